#!/usr/bin/env bash
# License Central end to end over the real binaries: licet-central (its own process, SQLite
# file, KEK file), the real `licet` CLI with real soft containers, and curl. Covers the
# vendor API with auth, online and offline activation, exhausted tickets, missed-update
# combining with a replayed old context, "manipulation detected", receipts, the gateway's
# rate limit, the KEK at rest, access logs without tickets, and graceful shutdown.
source "${LICET_SOURCE_DIR:?}/tests/e2e/lib.sh"
CENTRAL="$LICET_BIN_DIR/licet-central"
command -v curl >/dev/null || fail "curl is missing (scripts/install-deps.sh installs it)"
command -v jq >/dev/null || fail "jq is missing (scripts/install-deps.sh installs it)"

C="$WORK/central"
mkdir -p "$C"
openssl rand -hex 32 >"$C/kek"
chmod 600 "$C/kek"
export LICET_CENTRAL_KEK_FILE="$C/kek"
export LICET_CENTRAL_DATA_DIR="$C/data"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_central NAME ARGS...: starts licet-central on a free port; sets URL and PID.
start_central() {
  local name=$1
  shift
  "$CENTRAL" --listen 127.0.0.1:0 "$@" serve >"$C/$name.out" 2>"$C/$name.log" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 100); do
    if grep -q "listening on" "$C/$name.out" 2>/dev/null; then break; fi
    kill -0 "$PID" 2>/dev/null || fail "licet-central exited: $(cat "$C/$name.log")"
    sleep 0.1
  done
  URL="http://$(sed -n 's/^licet-central listening on //p' "$C/$name.out")"
  [[ $URL != http:// ]] || fail "licet-central did not start: $(cat "$C/$name.log")"
}

# api METHOD PATH [BODY] -> $STATUS and $BODY (vendor API with $KEY).
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-s -o "$WORK/.body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $KEY")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  STATUS=$(curl "${args[@]}" "$URL$path")
  BODY=$(cat "$WORK/.body")
}

# activate TICKET CONTEXT OUT -> $STATUS; the update (or problem) in OUT.
activate() {
  STATUS=$(curl -s -o "$3" -w '%{http_code}' -X POST -H 'Content-Type: application/cbor' \
    -H "Licet-Ticket: $1" --data-binary "@$2" "$URL/api/v1/activations")
}

order() {  # order REQUEST_ID PRODUCT [ACTIVATIONS] -> prints the ticket
  api POST /api/v1/orders "{\"request_id\":\"$1\",\"firm_code\":6000010,\"items\":[{\"product_code\":$2,\"rights\":{\"activations_allowed\":${3:-1}}}]}"
  [[ $STATUS == 201 ]] || fail "order $1: $STATUS $BODY"
  echo "$BODY" | jq -r '.tickets[0].ticket'
}

products_of() {  # products_of SERIAL -> sorted product codes of firm 6000010
  "$LICET" list --json | jq -r --arg s "$1" \
    '.containers[] | select(.serial == $s) | .state.firms[] | select(.firm_code == 6000010) | .products[].product_code' | sort | tr '\n' ' '
}

# ---- setup: a key printed once, the PostgreSQL placeholder, the server ----
expect_fail "PostgreSQL support is not built yet|cannot connect to PostgreSQL" \
  "$CENTRAL" --database postgresql://u@127.0.0.1:1/db migrate
expect_fail "key-encryption key" env -u LICET_CENTRAL_KEK_FILE "$CENTRAL" migrate
expect_ok "$CENTRAL" apikey create --scopes '*' --description e2e
KEY=$OUT
[[ $KEY =~ ^lck_[0-9a-z]+_[0-9a-z]{32}$ ]] || fail "unexpected key format: $KEY"
expect_ok "$CENTRAL" apikey create --scopes licenses:read
READER=$OUT
start_central main --gateway-rate 0 --log-format json
MAIN_PID=$PID

# ---- vendor API with auth ----
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/firms")
expect_eq "$STATUS" 401
STATUS=$(curl -s -o "$WORK/.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $READER" \
  -H 'Content-Type: application/json' --data-binary '{"firm_code":1,"name":"x"}' "$URL/api/v1/firms")
expect_eq "$STATUS" 403
expect_eq "$(jq -r .code "$WORK/.body")" insufficient_scope
api POST /api/v1/firms '{"firm_code":6000010,"name":"Sample Company"}'
expect_eq "$STATUS" 201
[[ $(echo "$BODY" | jq -r 'keys | join(",")') == created_at,firm_code,name,public_key ]] ||
  fail "a firm response has only public fields: $BODY"
SECRET_HEX=$(openssl rand -hex 32)
api POST /api/v1/firms/6000010/products "{\"product_code\":201010,\"name\":\"Sample App\",\"template\":{\"features\":3,\"units\":100,\"expires_after\":\"365d\",\"text\":\"Sample App\"}}"
expect_eq "$STATUS" 201
api POST /api/v1/firms/6000010/products "{\"product_code\":201020,\"name\":\"Plugin\",\"template\":{\"features\":1,\"secret\":\"$SECRET_HEX\",\"hidden\":\"c0ffee\",\"hidden_access_code\":\"open sesame\"}}"
expect_eq "$STATUS" 201
expect_eq "$(echo "$BODY" | jq -r .template.secret_data)" set
api POST /api/v1/firms/6000010/products '{"product_code":201030,"name":"Extra","template":{"features":7}}'
expect_eq "$STATUS" 201
api GET /api/v1/firms/6000010/products?limit=2
expect_eq "$(echo "$BODY" | jq -r '.items | length')" 2
[[ $(echo "$BODY" | jq -r .next_cursor) != null ]] || fail "expected a next cursor"

# Idempotent orders: the same request id returns the same tickets.
api POST /api/v1/orders '{"request_id":"erp-1","firm_code":6000010,"items":[{"product_code":201010,"quantity":2}]}'
expect_eq "$STATUS" 201
FIRST=$(echo "$BODY" | jq -c '[.tickets[].ticket]')
api POST /api/v1/orders '{"request_id":"erp-1","firm_code":6000010,"items":[{"product_code":201010,"quantity":2}]}'
expect_eq "$STATUS" 200
expect_eq "$(echo "$BODY" | jq -c '[.tickets[].ticket]')" "$FIRST"
T1=$(echo "$FIRST" | jq -r '.[0]')
[[ $T1 =~ ^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$ ]] || fail "ticket code format: $T1"

# ---- online activation with the real CLI ----
expect_ok "$LICET" container create
S1=$OUT
expect_ok "$LICET" context --serial "$S1" --firm-code 6000010 -o "$WORK/s1-at-0.context"
STATUS=$(curl -s "$URL/api/v1/tickets/$(echo "$T1" | tr 'A-Z' 'a-z')/status" -o "$WORK/.body" -w '%{http_code}')
expect_eq "$STATUS" 200
expect_eq "$(jq -r .activations_left "$WORK/.body")" 1
activate "$T1" "$WORK/s1-at-0.context" "$WORK/t1.update"
expect_eq "$STATUS" 200
expect_ok "$LICET" import "$WORK/t1.update"
expect_contains "$OUT" "FUC 0 -> 2"
expect_eq "$(products_of "$S1")" "201010 "
expect_ok "$LICET" list
expect_contains "$OUT" "201010"

# Activations exhausted: T1 allows one.
expect_ok "$LICET" container create
S2=$OUT
expect_ok "$LICET" context --serial "$S2" --firm-code 6000010 -o "$WORK/s2.context"
activate "$T1" "$WORK/s2.context" "$WORK/refused.json"
expect_eq "$STATUS" 409
expect_eq "$(jq -r .code "$WORK/refused.json")" no_more_licenses
expect_eq "$(jq -r .status "$WORK/refused.json")" 409

# ---- offline: file in, file out (a browser form) ----
T2=$(echo "$FIRST" | jq -r '.[1]')
STATUS=$(curl -s -o "$WORK/t2.update" -D "$WORK/t2.headers" -w '%{http_code}' \
  -F "ticket=$T2" -F "context=@$WORK/s2.context;type=application/octet-stream" \
  "$URL/api/v1/activations/offline")
expect_eq "$STATUS" 200
grep -qi "content-disposition: attachment; filename=\"$S2.update\"" "$WORK/t2.headers" ||
  fail "offline answer is not a download: $(cat "$WORK/t2.headers")"
expect_ok "$LICET" import "$WORK/t2.update"
expect_eq "$(products_of "$S2")" "201010 "

# ---- missed updates: an update never imported, then a replayed old context ----
T3=$(order erp-3 201020)
expect_ok "$LICET" context --serial "$S1" --firm-code 6000010 -o "$WORK/s1-at-2.context"
activate "$T3" "$WORK/s1-at-2.context" "$WORK/t3.update"  # FUC 3, never imported
expect_eq "$STATUS" 200
T4=$(order erp-4 201030)
activate "$T4" "$WORK/s1-at-0.context" "$WORK/t4.update"  # the very first context again
expect_eq "$STATUS" 200
expect_ok "$LICET" info --json "$WORK/t4.update"
expect_eq "$(echo "$OUT" | jq -r .fuc_from)" 1
expect_eq "$(echo "$OUT" | jq -r .fuc_to)" 4
expect_ok "$LICET" import "$WORK/t4.update"
expect_eq "$(products_of "$S1")" "201010 201020 201030 "
expect_ok "$LICET" import "$WORK/t3.update"
expect_contains "$OUT" "already applied"

# ---- receipts confirm ----
expect_ok "$LICET" receipt --serial "$S1" --firm-code 6000010 -o "$WORK/s1.receipt"
STATUS=$(curl -s -o "$WORK/.body" -w '%{http_code}' -H 'Content-Type: application/cbor' \
  --data-binary "@$WORK/s1.receipt" "$URL/api/v1/receipts")
expect_eq "$STATUS" 200
expect_eq "$(jq -r '.firms[0].fuc' "$WORK/.body")" 4
api GET "/api/v1/containers/$S1"
expect_eq "$(echo "$BODY" | jq -r '[.licenses[].state] | unique | join(",")')" confirmed
expect_eq "$(echo "$BODY" | jq -r '.firms[0].issued_fuc')" 4

# ---- manipulation detected: a container holding firm 6000010 items Central never issued ----
expect_ok "$LICET" container create
S3=$OUT
expect_ok "$LICET" firm init --firm-code 6000010 --name "Not the vendor" -o "$WORK/fake-firm.key"
expect_ok "$LICET" context --serial "$S3" --firm-code 6000010 -o "$WORK/s3-at-0.context"
expect_ok "$LICET" update create --firm-key "$WORK/fake-firm.key" --context "$WORK/s3-at-0.context" \
  --add-product 201010 --feature-map 0xff -o "$WORK/fake.update"
expect_ok "$LICET" import "$WORK/fake.update"
expect_ok "$LICET" context --serial "$S3" --firm-code 6000010 -o "$WORK/s3-forged.context"
T5=$(order erp-5 201030)
activate "$T5" "$WORK/s3-forged.context" "$WORK/t5.json"
expect_eq "$STATUS" 403
expect_eq "$(jq -r .code "$WORK/t5.json")" manipulation_detected
# From now on every activation for it is refused, even with its old honest context.
activate "$T5" "$WORK/s3-at-0.context" "$WORK/t5b.json"
expect_eq "$STATUS" 403
expect_eq "$(jq -r .code "$WORK/t5b.json")" manipulation_detected
api GET "/api/v1/containers/$S3"
expect_eq "$(echo "$BODY" | jq -r .state)" manipulation_detected
api POST "/api/v1/containers/$S3/decision" '{"decision":"block","note":"self-made firm key"}'
expect_eq "$STATUS" 200
expect_eq "$(echo "$BODY" | jq -r .state)" blocked
api GET /api/v1/tickets/$T5
expect_eq "$(echo "$BODY" | jq -r .activations_used)" 0

# ---- push to a known container, without a context ----
T6=$(order erp-6 201020)
STATUS=$(curl -s -o "$WORK/push.update" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' --data-binary "{\"firm_code\":6000010,\"ticket\":\"$T6\"}" \
  "$URL/api/v1/containers/$S2/push")
expect_eq "$STATUS" 200
expect_ok "$LICET" import "$WORK/push.update"
expect_eq "$(products_of "$S2")" "201010 201020 "

# ---- the audit log and the access log ----
api GET "/api/v1/audit?limit=200"
expect_contains "$BODY" "ticket.activated"
expect_contains "$BODY" "container.manipulation_detected"
grep -q '"msg":"request"' "$C/main.log" || fail "no access log lines in $C/main.log"
grep -q '"status":409' "$C/main.log" || fail "access log misses statuses"
for t in "$T1" "$T2" "$T3" "$T4"; do
  ! grep -q "$t" "$C/main.log" || fail "a ticket appears in full in the access log"
  ! grep -q "${t//-/}" "$C/main.log" || fail "a ticket appears in full in the access log"
done
! grep -q "$KEY" "$C/main.log" || fail "the API key appears in the log"

# ---- graceful shutdown, then the KEK at rest ----
kill -TERM "$MAIN_PID"
for _ in $(seq 100); do kill -0 "$MAIN_PID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$MAIN_PID" 2>/dev/null || fail "licet-central did not stop on SIGTERM"
wait "$MAIN_PID" || fail "licet-central exited non-zero after SIGTERM"
grep -q '"msg":"stopped"' "$C/main.log" || fail "no 'stopped' log line"
python3 - "$C/data" "$SECRET_HEX" <<'EOF' || fail "a product secret is in the database in clear"
import os, sys
d, secret_hex = sys.argv[1], sys.argv[2]
blob = b"".join(open(os.path.join(d, f), "rb").read() for f in os.listdir(d))
assert len(blob) > 4096
for needle in (bytes.fromhex(secret_hex), secret_hex.encode(), secret_hex.upper().encode(),
               b"open sesame"):
    if needle in blob:
        sys.exit(1)
EOF
TESTS_RUN=$((TESTS_RUN + 1))
[[ $(stat -c %a "$C/data/central.db") == 600 ]] || fail "central.db must be mode 0600"

# ---- the gateway's rate limit (a second instance on the same database) ----
start_central limited --gateway-rate 1 --gateway-burst 3
codes=""
for _ in 1 2 3 4; do
  codes+=$(curl -s -o /dev/null -w '%{http_code} ' "$URL/api/v1/tickets/$T1/status")
done
expect_eq "$codes" "200 200 200 429 "
kill -TERM "$PID"
wait "$PID" || true

finish
