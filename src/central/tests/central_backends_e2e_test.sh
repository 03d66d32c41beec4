#!/usr/bin/env bash
# License Central end to end on one backend: `central_backends_e2e_test.sh sqlite|postgres`.
# Real processes throughout: licet-central instances (SQLite file, or a real PostgreSQL
# server started by the ctest fixture `postgres`), the `licet` CLI with real soft containers,
# licetd and the C example app when they are built, and licet-central-load for the storms.
#
#   order -> tickets -> `licet activate` online -> import -> licet list -> the app's access
#   offline: `licet activate --offline` -> `licet-central activate-offline` -> `licet import`
#   the wizard's one-line errors (unknown, typo, exhausted, unreachable, https)
#   an old or replayed context (missed-update rule), a contradicting context (flagged)
#   200 concurrent activations of a ticket allowing 10 over 3 instances: exactly 10
#   kill -9 of an instance during an activation storm: nothing over-spent, every answered
#   update imports, every answered activation survives, a second round settles the rest
source "${LICET_SOURCE_DIR:?}/tests/e2e/lib.sh"
BACKEND=${1:?usage: central_backends_e2e_test.sh sqlite|postgres}
CENTRAL="$LICET_BIN_DIR/licet-central"
LOAD="$LICET_BIN_DIR/licet-central-load"
command -v curl >/dev/null || fail "curl is missing (scripts/install-deps.sh installs it)"
command -v jq >/dev/null || fail "jq is missing (scripts/install-deps.sh installs it)"
[[ -x $LOAD ]] || fail "$LOAD is not built"

C="$WORK/central"
mkdir -p "$C"
openssl rand -hex 32 >"$C/kek"
chmod 600 "$C/kek"
export LICET_CENTRAL_KEK_FILE="$C/kek"
export LICET_CENTRAL_DATA_DIR="$C/data"
PIDS=()
PG_ADMIN=
PG_DB=

psql_bin() {
  if command -v psql >/dev/null; then
    command -v psql
  else
    ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1
  fi
}

cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [[ -n ${LICETD_PID:-} ]] && kill "$LICETD_PID" 2>/dev/null || true
  if [[ $rc -ne 0 ]]; then
    for log in "$C"/*.log; do
      [[ -f $log ]] || continue
      echo "--- $log (last 20 lines) ---" >&2
      tail -n 20 "$log" >&2
    done
  fi
  if [[ -n $PG_DB ]]; then
    "$(psql_bin)" "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

case $BACKEND in
  sqlite)
    export LICET_CENTRAL_DATABASE="sqlite://$C/data/central.db"
    ;;
  postgres)
    : "${LICET_TEST_POSTGRES_URL_FILE:?the ctest fixture 'postgres' sets it}"
    PG_ADMIN=$(cat "$LICET_TEST_POSTGRES_URL_FILE") || fail "no PostgreSQL URL: did the fixture start?"
    [[ -n $PG_ADMIN ]] || fail "empty PostgreSQL URL in $LICET_TEST_POSTGRES_URL_FILE"
    PG_DB="licet_e2e_$(openssl rand -hex 4)"
    "$(psql_bin)" "$PG_ADMIN" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $PG_DB" >/dev/null ||
      fail "cannot create database $PG_DB"
    export LICET_CENTRAL_DATABASE="${PG_ADMIN%/*}/$PG_DB"
    ;;
  *) fail "unknown backend $BACKEND" ;;
esac

# start_central NAME ARGS...: starts an instance on a free port; sets URL and PID.
start_central() {
  local name=$1
  shift
  local rate=(--gateway-rate 0)  # load tests; a caller passing its own limit keeps it
  [[ " $* " == *" --gateway-rate "* ]] && rate=()
  "$CENTRAL" --listen 127.0.0.1:0 "${rate[@]}" "$@" serve >"$C/$name.out" 2>"$C/$name.log" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 200); do
    if grep -q "listening on" "$C/$name.out" 2>/dev/null; then break; fi
    kill -0 "$PID" 2>/dev/null || fail "licet-central $name exited: $(cat "$C/$name.log")"
    sleep 0.05
  done
  URL="http://$(sed -n 's/^licet-central listening on //p' "$C/$name.out")"
  [[ $URL != http:// ]] || fail "licet-central $name did not start: $(cat "$C/$name.log")"
}

forget_pid() {  # forget_pid PID: no longer ours to stop
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

stop_central() {  # stop_central PID: SIGTERM, must exit 0
  kill -TERM "$1"
  wait "$1" || fail "licet-central $1 exited non-zero after SIGTERM"
}

# api METHOD PATH [BODY] -> $STATUS and $BODY (vendor API with $KEY at $MAIN_URL).
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-s -o "$WORK/.body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $KEY")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  STATUS=$(curl "${args[@]}" "$MAIN_URL$path")
  BODY=$(cat "$WORK/.body")
}

order() {  # order REQUEST_ID PRODUCT [ACTIVATIONS] -> prints the ticket
  api POST /api/v1/orders "{\"request_id\":\"$1\",\"firm_code\":6000010,\"items\":[{\"product_code\":$2,\"rights\":{\"activations_allowed\":${3:-1}}}]}"
  [[ $STATUS == 201 ]] || fail "order $1: $STATUS $BODY"
  echo "$BODY" | jq -r '.tickets[0].ticket'
}

used() {  # used TICKET -> activations_used
  api GET "/api/v1/tickets/$1"
  [[ $STATUS == 200 ]] || fail "ticket $1: $STATUS $BODY"
  echo "$BODY" | jq -r .activations_used
}

products_of() {  # products_of SERIAL -> sorted product codes of firm 6000010
  "$LICET" list --json | jq -r --arg s "$1" \
    '.containers[] | select(.serial == $s) | .state.firms[] | select(.firm_code == 6000010) | .products[].product_code' | sort | tr '\n' ' '
}

# ---- setup ----
expect_ok "$CENTRAL" apikey create --scopes '*' --description "e2e $BACKEND"
KEY=$OUT
start_central main --log-format json
MAIN_PID=$PID
MAIN_URL=$URL
STATUS=$(curl -s -o "$WORK/.body" -w '%{http_code}' "$MAIN_URL/readyz")
expect_eq "$STATUS" 200
expect_eq "$(jq -r .database "$WORK/.body")" "${BACKEND/postgres/postgresql}"
api POST /api/v1/firms '{"firm_code":6000010,"name":"Sample Company"}'
expect_eq "$STATUS" 201
for p in "201010 Sample App" "201020 Plugin" "201030 Extra" "201040 More"; do
  code=${p%% *}
  api POST /api/v1/firms/6000010/products "{\"product_code\":$code,\"name\":\"${p#* }\",\"template\":{\"features\":3,\"units\":100,\"expires_after\":\"365d\",\"text\":\"${p#* }\"}}"
  expect_eq "$STATUS" 201
done
api POST /api/v1/orders '{"request_id":"erp-1","firm_code":6000010,"items":[{"product_code":201010,"quantity":3}]}'
expect_eq "$STATUS" 201
T1=$(echo "$BODY" | jq -r '.tickets[0].ticket')
T2=$(echo "$BODY" | jq -r '.tickets[1].ticket')
T3=$(echo "$BODY" | jq -r '.tickets[2].ticket')

# ---- online: the wizard creates a container, activates, imports, confirms ----
expect_ok "$LICET" activate --server "$MAIN_URL" --ticket "$T1"
expect_contains "$OUT" "created soft container"
expect_contains "$OUT" "activated ticket $T1"
expect_contains "$OUT" "FUC 0 -> 2"
expect_contains "$OUT" "added product 201010 'Sample App'"
expect_contains "$OUT" "activations left on the ticket: 0"
S1=$("$LICET" list --json | jq -r '.containers[0].serial')
expect_eq "$(products_of "$S1")" "201010 "
expect_ok "$LICET" list
expect_contains "$OUT" "201010 'Sample App'"
# The receipt the wizard sent confirmed the licenses.
api GET "/api/v1/containers/$S1"
expect_eq "$(echo "$BODY" | jq -r '[.licenses[].state] | unique | join(",")')" confirmed
# Again: nothing spent, nothing changed.
expect_ok "$LICET" activate --server "$MAIN_URL" --ticket "$T1"
expect_contains "$OUT" "re-activated"
expect_contains "$OUT" "nothing changed"
expect_eq "$(used "$T1")" 1

# The app's access: licetd serving the container to the C example (when they are built).
if [[ -x $LICET_BIN_DIR/licetd && -x $LICET_BIN_DIR/licet-example-c ]]; then
  export LICET_SOCKET="$WORK/licetd.sock"
  "$LICET_BIN_DIR/licetd" --socket "$LICET_SOCKET" --home "$LICET_HOME" --admin-listen off \
    >"$C/licetd.log" 2>&1 &
  LICETD_PID=$!
  for _ in $(seq 200); do [[ -S $LICET_SOCKET ]] && break; sleep 0.05; done
  [[ -S $LICET_SOCKET ]] || fail "licetd did not start: $(cat "$C/licetd.log")"
  expect_ok "$LICET_BIN_DIR/licet-example-c" 6000010 201010
  expect_contains "$OUT" "Sample App"
  if "$LICET" --help 2>/dev/null | grep -E '^ +access +' >/dev/null; then
    expect_ok "$LICET" access --firm-code 6000010 --product-code 201010
  fi
  # Not licensed here: refused.
  run "$LICET_BIN_DIR/licet-example-c" 6000010 201020
  [[ $RC -ne 0 ]] || fail "access to an unlicensed product succeeded"
  kill "$LICETD_PID"
  wait "$LICETD_PID" || true
  LICETD_PID=
  unset LICET_SOCKET
else
  echo "note: licetd or licet-example-c not built; the access check is 'licet list' only"
fi

# ---- the wizard's errors: one line each, nothing changed ----
before=$(state_digest)
expect_fail "unknown to Central" "$LICET" activate --server "$MAIN_URL" --ticket 00000-00000-00000-00000-00000
expect_fail "25 characters" "$LICET" activate --server "$MAIN_URL" --ticket ABCDE-12345
expect_fail "cannot reach License Central at http://127.0.0.1:1" \
  "$LICET" activate --server http://127.0.0.1:1 --ticket "$T2"
expect_fail "https:// is not supported yet" "$LICET" activate --server https://central.example --ticket "$T2"
expect_fail "no server" "$LICET" activate --ticket "$T2"
expect_fail "letters, digits and dashes" "$LICET" activate --server "$MAIN_URL" --ticket "$T2
Host: evil"
expect_eq "$(state_digest)" "$before"
# Exhausted: a second container on this machine, T1 allowed one.
expect_ok "$LICET" container create
S1B=$OUT
expect_fail "ticket is exhausted" "$LICET" activate --server "$MAIN_URL" --ticket "$T1" --serial "$S1B"
expect_fail "several containers" "$LICET" activate --server "$MAIN_URL" --ticket "$T2"
# Central's gateway limit reached: said so, with when to retry.
start_central limited --gateway-rate 1 --gateway-burst 1
LIMITED_PID=$PID
expect_fail "limits requests from this address; retry in [0-9]+ s" \
  "$LICET" activate --server "$URL" --ticket "$T2" --serial "$S1B"
stop_central "$LIMITED_PID"
forget_pid "$LIMITED_PID"
expect_eq "$(products_of "$S1B")" ""

# ---- offline: a second machine without network ----
HOME1=$LICET_HOME
export LICET_HOME="$WORK/home2"
expect_ok "$LICET" activate --ticket "$T2" --offline -o "$WORK/m2.context" --server "$MAIN_URL"
expect_contains "$OUT" "created soft container"
expect_contains "$OUT" "licet-central activate-offline --ticket $T2 --context $WORK/m2.context"
expect_contains "$OUT" "$MAIN_URL/api/v1/activations/offline"
S2=$("$LICET" list --json | jq -r '.containers[0].serial')
expect_eq "$(products_of "$S2")" ""
# The vendor's side, on the Central host (the server keeps running beside it).
expect_ok "$CENTRAL" activate-offline --ticket "$T2" --context "$WORK/m2.context" -o "$WORK/m2.update"
expect_contains "$ERR" "new activation"
expect_ok "$LICET" import "$WORK/m2.update"
expect_contains "$OUT" "FUC 0 -> 2"
expect_eq "$(products_of "$S2")" "201010 "
# The same through the gateway's form upload (a browser), for the third ticket.
expect_ok "$LICET" container create
S2B=$OUT
expect_ok "$LICET" activate --ticket "$T3" --offline -o "$WORK/m2b.context" --serial "$S2B"
expect_fail "no activation left" "$CENTRAL" activate-offline --ticket "$T1" --context "$WORK/m2b.context" -o "$WORK/x.update"
[[ ! -e $WORK/x.update ]] || fail "a refused offline activation wrote a file"
STATUS=$(curl -s -o "$WORK/m2b.update" -w '%{http_code}' -F "ticket=$T3" \
  -F "context=@$WORK/m2b.context;type=application/octet-stream" "$MAIN_URL/api/v1/activations/offline")
expect_eq "$STATUS" 200
expect_ok "$LICET" import "$WORK/m2b.update"
expect_eq "$(products_of "$S2B")" "201010 "

# ---- an old or replayed context: the missed-update rule ----
export LICET_HOME="$WORK/home3"
expect_ok "$LICET" container create
S3=$OUT
expect_ok "$LICET" context --serial "$S3" --firm-code 6000010 -o "$WORK/s3-at-0.context"
T4=$(order erp-4 201010)
expect_ok "$LICET" activate --server "$MAIN_URL" --ticket "$T4"   # FUC 1..2, imported
expect_ok "$LICET" context --serial "$S3" --firm-code 6000010 -o "$WORK/s3-at-2.context"
T5=$(order erp-5 201020)
STATUS=$(curl -s -o "$WORK/t5.update" -w '%{http_code}' -H 'Content-Type: application/cbor' \
  -H "Licet-Ticket: $T5" --data-binary "@$WORK/s3-at-2.context" "$MAIN_URL/api/v1/activations")
expect_eq "$STATUS" 200                                               # FUC 3, never imported
T6=$(order erp-6 201030)
expect_ok "$LICET" activate --server "$MAIN_URL" --ticket "$T6"      # context at 2: gets 3..4
expect_contains "$OUT" "FUC 2 -> 4"
expect_contains "$OUT" "added product 201020"
expect_contains "$OUT" "added product 201030"
expect_eq "$(products_of "$S3")" "201010 201020 201030 "
expect_ok "$LICET" import "$WORK/t5.update"
expect_contains "$OUT" "already applied"
# The very first request replayed: nothing spent, everything from FUC 1.
STATUS=$(curl -s -o "$WORK/replay.update" -D "$WORK/replay.headers" -w '%{http_code}' \
  -H 'Content-Type: application/cbor' -H "Licet-Ticket: $T4" \
  --data-binary "@$WORK/s3-at-0.context" "$MAIN_URL/api/v1/activations")
expect_eq "$STATUS" 200
grep -qi '^licet-new-activation: false' "$WORK/replay.headers" || fail "a replay spent an activation"
grep -qi '^licet-fuc-from: 1' "$WORK/replay.headers" || fail "a replay must carry FUC 1.."
expect_eq "$(used "$T4")" 1
expect_ok "$LICET" import "$WORK/replay.update"
expect_contains "$OUT" "already applied"

# ---- a contradicting context: flagged, refused until a vendor decides ----
expect_ok "$LICET" container create
S4=$OUT
expect_ok "$LICET" firm init --firm-code 6000010 --name "Not the vendor" -o "$WORK/fake-firm.key"
expect_ok "$LICET" context --serial "$S4" --firm-code 6000010 -o "$WORK/s4.context"
expect_ok "$LICET" update create --firm-key "$WORK/fake-firm.key" --context "$WORK/s4.context" \
  --add-product 201040 --feature-map 0xff -o "$WORK/fake.update"
expect_ok "$LICET" import "$WORK/fake.update"
T7=$(order erp-7 201040)
expect_fail "manipulation detected" "$LICET" activate --server "$MAIN_URL" --ticket "$T7" --serial "$S4"
api GET "/api/v1/containers/$S4"
expect_eq "$(echo "$BODY" | jq -r .state)" manipulation_detected
expect_eq "$(used "$T7")" 0
export LICET_HOME=$HOME1

# ---- 200 at once on a ticket allowing 10, over three instances ----
start_central second
URL2=$URL
start_central third
URL3=$URL
T10=$(order erp-10 201010 10)
expect_ok "$LOAD" --server "$MAIN_URL" --server "$URL2" --server "$URL3" --ticket "$T10" \
  --firm-code 6000010 --containers 200 --concurrency 200
R=$OUT
expect_eq "$(jq -r .answered_ok <<<"$R")" 10
expect_eq "$(jq -r .new_activations <<<"$R")" 10
expect_eq "$(jq -r '.by_code.no_more_licenses' <<<"$R")" 190
expect_eq "$(jq -r .unanswered <<<"$R")" 0
expect_eq "$(jq -r .verified <<<"$R")" 10
expect_eq "$(jq -r .verify_failures <<<"$R")" 0
expect_eq "$(used "$T10")" 10
echo "200 concurrent activations over 3 instances: $(jq -c '{by_status, latency_ms}' <<<"$R")"

# ---- kill -9 during an activation storm ----
# The storm instance is killed once it has answered some requests; the driver keeps going
# (the rest are refused), imports every update it was given into real containers, and a
# second round after the restart settles the activations whose answers were lost.
# On SQLite the 12 concurrent requests share transactions (group commit), so the kill lands
# in or between batches: an answered activation must still be recorded (its batch had
# committed before the answer), and after round 2 exactly 100 containers hold the product.
STORM_HOME="$WORK/storm-home"
# Machines of the storm: enough that it outlasts the wait for its first 25 answers even when
# an activation takes ~2 ms and this shell is starved by a loaded machine (300 once finished
# before the kill).
STORM_MACHINES=600
T20=$(order erp-20 201010 100)
start_central storm --log-format json
STORM_PID=$PID
STORM_URL=$URL
"$LOAD" --server "$STORM_URL" --ticket "$T20" --firm-code 6000010 --containers "$STORM_MACHINES" \
  --concurrency 12 --home "$STORM_HOME" --ready-file "$WORK/storm.ready" \
  >"$WORK/storm1.json" 2>"$WORK/storm1.err" &
LOAD_PID=$!
for _ in $(seq 1200); do [[ -e $WORK/storm.ready ]] && break; sleep 0.05; done
[[ -e $WORK/storm.ready ]] || fail "the load driver did not start: $(cat "$WORK/storm1.err")"
for _ in $(seq 400); do
  [[ $(grep -c '"msg":"request"' "$C/storm.log" 2>/dev/null || true) -ge 25 ]] && break
  sleep 0.01
done
kill -9 "$STORM_PID"
wait "$STORM_PID" 2>/dev/null || true
wait "$LOAD_PID" || fail "the load driver failed: $(cat "$WORK/storm1.err")"
R1=$(cat "$WORK/storm1.json")
A1=$(jq -r .answered_ok <<<"$R1")
N1=$(jq -r .new_activations <<<"$R1")
echo "storm round 1 (killed): $(jq -c '{answered_ok, new_activations, unanswered, by_status}' <<<"$R1")"
[[ $A1 -ge 1 ]] || fail "nothing was answered before the kill: $R1"
[[ $(jq -r .unanswered <<<"$R1") -ge 1 ]] || fail "the kill came after the storm: $R1"
expect_eq "$(jq -r .verified <<<"$R1")" "$A1"            # every answered update imported
expect_eq "$(jq -r .verify_failures <<<"$R1")" 0
# Central restarted: every answered activation is there, nothing over-spent.
start_central storm2
STORM_URL=$URL
U=$(used "$T20")
[[ $U -ge $N1 && $U -le 100 ]] || fail "after kill -9: $U activations recorded, $N1 answered, 100 allowed"
echo "after restart: $U recorded (>= $N1 answered, <= 100 allowed)"
# Round 2, every machine again: the answered ones spend nothing more; the rest take what is left.
expect_ok "$LOAD" --server "$STORM_URL" --ticket "$T20" --firm-code 6000010 --containers "$STORM_MACHINES" \
  --concurrency 12 --home "$STORM_HOME"
R2=$OUT
expect_eq "$(jq -r .verify_failures <<<"$R2")" 0
expect_eq "$(jq -r .unanswered <<<"$R2")" 0
expect_eq "$(( U + $(jq -r .new_activations <<<"$R2") ))" 100
expect_eq "$(used "$T20")" 100
HOLDERS=$(LICET_HOME=$STORM_HOME "$LICET" list --json | jq '[.containers[] | select(any(.state.firms[]?; .firm_code == 6000010 and any(.products[]; .product_code == 201010)))] | length')
expect_eq "$HOLDERS" 100

# ---- graceful stops ----
for p in "${PIDS[@]}"; do
  [[ $p == "$STORM_PID" ]] && continue  # killed above
  stop_central "$p"
done
PIDS=()
finish
