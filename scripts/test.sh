#!/usr/bin/env bash
# The test suite: set up (Debian packages, dataset) and run `swift test` (arguments go to it).
# Output is line-buffered, so a log shows the last test that started. A run still going after
# FASHION_TEST_TIMEOUT seconds (default 2400: the debug build plus a suite that takes 3–5 minutes
# on 2 cores) is taken for a hang: the test process gets SIGQUIT, on which the Swift runtime prints
# the stack of the test thread (SWIFT_BACKTRACE asks for all threads), and the run stops with exit
# status 124.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
limit=${FASHION_TEST_TIMEOUT:-2400}

descendants() {  # every process below $1
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}

fired=$(mktemp)
rm -f "$fired"
trap 'rm -f "$fired"' EXIT
SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-threads=all} stdbuf -oL -eL swift test "$@" &
run=$!
(
  sleep "$limit" </dev/null >/dev/null 2>&1
  touch "$fired"
  echo "error: the test suite was still running after $limit s (FASHION_TEST_TIMEOUT); thread stacks follow" >&2
  for p in $(descendants "$run"); do
    case "$(cat "/proc/$p/comm" 2>/dev/null)" in swift-test | swift-build | swift-package | stdbuf) ;; *) kill -QUIT "$p" 2>/dev/null || true ;; esac
  done
  sleep 60 </dev/null >/dev/null 2>&1
  kill -KILL $(descendants "$run") "$run" 2>/dev/null || true
) &
watchdog=$!
status=0
wait "$run" || status=$?
pkill -P "$watchdog" sleep 2>/dev/null || true  # its timer, then itself
kill "$watchdog" 2>/dev/null || true
wait "$watchdog" 2>/dev/null || true  # (reaped here, so the shell does not report it as "Terminated")
[ -e "$fired" ] && exit 124
exit "$status"
