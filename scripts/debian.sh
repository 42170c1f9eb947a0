# Sourced by the browser checks: `need COMMAND` (is it on PATH?) and `install PACKAGE…` (apt-get,
# with sudo unless root, quietly, without recommended packages).
need() { command -v "$1" >/dev/null 2>&1; }
install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}
