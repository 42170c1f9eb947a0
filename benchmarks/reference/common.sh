# Shared by compare.sh and tag_compare.sh (sourced): a temporary folder removed on exit, and
# `quietly NAME CMD…`, which runs a command with its output in $tmp/NAME.log, shown only on failure.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

quietly() {
    local name=$1; shift
    if ! "$@" >"$tmp/$name.log" 2>&1; then
        echo "error: $name failed:" >&2
        cat "$tmp/$name.log" >&2
        exit 1
    fi
}
