# Sourced by the client tests: a real licetd on a temporary socket, over a temporary
# LICET_HOME made with the licet CLI, holding firm 6000010 "Sample Company" with
#   201010 "Sample App"  feature map 0x3, 100 units, expires in 365 days (the examples' product)
#   201011 "One Unit"    1 unit
# Sets WORK, LICET_HOME, LICET_SOCKET (exported), SERIAL; stops licetd and removes WORK on exit,
# printing licetd's log when the test failed. Exits 77 (ctest: skipped) without a licetd.
set -euo pipefail

: "${LICET_BIN_DIR:?LICET_BIN_DIR must point at build/bin}"
LICET="$LICET_BIN_DIR/licet"
LICETD="$LICET_BIN_DIR/licetd"
if [[ ! -x "$LICETD" ]]; then
  echo "SKIP: $LICETD not built"
  exit 77
fi

WORK=$(mktemp -d /tmp/licet-client-XXXXXX)
export LICET_HOME="$WORK/home"
export LICET_SOCKET="$WORK/licetd.sock"
LICETD_PID=

stop_licetd() {
  if [[ -n "$LICETD_PID" ]]; then
    kill "$LICETD_PID" 2>/dev/null || true
    wait "$LICETD_PID" 2>/dev/null || true
    LICETD_PID=
  fi
}

cleanup() {
  local rc=$?
  stop_licetd
  if [[ $rc -ne 0 ]]; then
    for log in cli licetd; do
      [[ -f "$WORK/$log.log" ]] || continue
      echo "--- $log.log (last 40 lines) ---" >&2
      tail -n 40 "$WORK/$log.log" >&2
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

# issue PRODUCT OPTIONS...: the vendor issues a product item to the container, offline.
issue() {
  local product=$1
  shift
  "$LICET" context --serial "$SERIAL" --firm-code 6000010 -o "$WORK/request.context" >>"$WORK/cli.log" 2>&1
  "$LICET" update create --firm-key "$WORK/firm.key" --context "$WORK/request.context" \
    --add-product "$product" "$@" -o "$WORK/license.update" >>"$WORK/cli.log" 2>&1
  "$LICET" import "$WORK/license.update" >>"$WORK/cli.log" 2>&1
}

SERIAL=$("$LICET" container create 2>>"$WORK/cli.log")
"$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$WORK/firm.key" >>"$WORK/cli.log" 2>&1
issue 201010 --text "Sample App" --feature-map 0x3 --units 100 --expiration 365d
issue 201011 --text "One Unit" --units 1

# start_licetd: starts licetd in the background and waits for its socket (10 s at most).
start_licetd() {
  local args=(--socket "$LICET_SOCKET" --home "$LICET_HOME" --admin-listen off)
  local help
  help=$("$LICETD" --help 2>&1 || true)
  if [[ "$help" == *--foreground* ]]; then args+=(--foreground); fi
  "$LICETD" "${args[@]}" >>"$WORK/licetd.log" 2>&1 &
  LICETD_PID=$!
  for _ in $(seq 200); do
    [[ -S "$LICET_SOCKET" ]] && return 0
    kill -0 "$LICETD_PID" 2>/dev/null || { echo "FAIL: licetd exited at start" >&2; return 1; }
    sleep 0.05
  done
  echo "FAIL: licetd did not create $LICET_SOCKET in 10 s" >&2
  return 1
}
