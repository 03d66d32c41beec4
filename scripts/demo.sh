#!/usr/bin/env bash
# `make demo`: the offline licensing cycle end to end in a throwaway state dir, then the
# runtime: licetd serves that state dir on a throwaway socket and the protected-program
# example (examples/python/check_license.py) checks the license through it.
# A sample firm 6000010 "Sample Company" issues product 201010 "Sample App" (features 0x3,
# 100 units, expires in a year) to a new soft container, which imports it.
#
#   scripts/demo.sh [BUILD]      BUILD: the build tree (default build)
#
# Parts are functions run in order at the end; licetd runs from demo_runtime until the script
# exits (a trap stops it), so later parts can use it: LICET_HOME and LICET_SOCKET are exported.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $build == /* ]] || build="$root/$build"
licet="$build/bin/licet"
licetd="$build/bin/licetd"

demo=$(mktemp -d /tmp/licet-demo-XXXXXX)
export LICET_HOME="$demo/state"
export LICET_SOCKET="$demo/run/licetd.sock"  # nothing listens here until demo_runtime
vendor="$demo/vendor"
mkdir -p "$vendor"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

licetd_pid=
stop_licetd() {
  [[ -n $licetd_pid ]] || return 0
  kill -TERM "$licetd_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$licetd_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$licetd_pid" 2>/dev/null || true
  wait "$licetd_pid" 2>/dev/null || true
  licetd_pid=
}
trap stop_licetd EXIT

demo_offline_cycle() {
  step "Customer: create a device-bound soft container"
  serial=$("$licet" container create)
  echo "serial: $serial"

  step "Vendor: create the key material of firm 6000010 \"Sample Company\""
  "$licet" firm init --firm-code 6000010 --name "Sample Company" -o "$vendor/firm.key"

  step "Customer: make a context file (the license request)"
  "$licet" context --serial "$serial" --firm-code 6000010 -o "$demo/request.context"

  step "Vendor: issue product 201010 \"Sample App\" offline"
  "$licet" update create --firm-key "$vendor/firm.key" --context "$demo/request.context" \
    --add-product 201010 --text "Sample App" --feature-map 0x3 --units 100 --expiration 365d \
    -o "$demo/license.update"

  step "Customer: import the update"
  "$licet" import "$demo/license.update"
  "$licet" import "$demo/license.update"

  step "Customer: the container now holds"
  "$licet" list

  step "Customer: a receipt for the vendor"
  "$licet" receipt --serial "$serial" --firm-code 6000010 -o "$demo/license.receipt"
  "$licet" info "$demo/license.receipt"
}

# Starts licetd over $LICET_HOME on $LICET_SOCKET and waits for its ready line (30 s).
start_licetd() {
  [[ -x $licetd ]] || { echo "demo: $licetd is not built (make build)" >&2; exit 1; }
  "$licetd" --foreground --config /dev/null --home "$LICET_HOME" --socket "$LICET_SOCKET" \
    --admin-listen 127.0.0.1:0 --log-level warn >"$demo/licetd.out" 2>"$demo/licetd.log" &
  licetd_pid=$!
  for _ in $(seq 300); do
    if grep -q '^licetd ready' "$demo/licetd.out"; then
      cat "$demo/licetd.out"
      return 0
    fi
    if ! kill -0 "$licetd_pid" 2>/dev/null; then
      licetd_pid=
      echo "demo: licetd exited at start:" >&2
      cat "$demo/licetd.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "demo: licetd did not get ready in 30 s (log: $demo/licetd.log)" >&2
  exit 1
}

demo_runtime() {
  step "Runtime: start licetd on a throwaway socket, serving this state dir"
  start_licetd

  step "Protected program: check the license through licetd (examples/python/check_license.py)"
  local python=python3
  [[ -x /usr/bin/python3 ]] && python=/usr/bin/python3  # the module is built for Debian's python3
  if compgen -G "$build/python/licet*.so" >/dev/null; then
    PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}" "$python" "$root/examples/python/check_license.py"
  else
    echo "(the Python module is not built: LICET_BUILD_PYTHON=OFF; running the C example instead)"
    "$build/bin/licet-example-c"
  fi
}

# Central makes its own keys for firm 6000010, so its customer is another state dir: the
# container above trusts the offline firm.key, and Central would rightly call a context from
# it "manipulation detected".
demo_central() {
  step "License Central: a vendor back office on SQLite, an order, tickets, the activation wizard"
  env -u LICET_HOME -u LICET_SOCKET "$root/scripts/demo-central.sh" "$build"
}

demo_offline_cycle
demo_runtime
demo_central
# Later parts go here; licetd keeps serving $LICET_HOME until the script exits.

echo
echo "State dir: $LICET_HOME (throwaway; files of this run in $demo)"
