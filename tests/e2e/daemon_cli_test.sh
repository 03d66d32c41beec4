#!/usr/bin/env bash
# The licet CLI goes through licetd when it runs (and serves the state dir asked for), and
# falls back to the files when it does not; `licet access` tests an access through licetd.
source "$(dirname "$0")/lib.sh"
V="$WORK/vendor"
mkdir -p "$V" "$WORK/run"
export LICET_SOCKET="$WORK/run/licetd.sock"

"$LICET_BIN_DIR/licetd" --foreground --config /dev/null --home "$LICET_HOME" \
  --socket "$LICET_SOCKET" --admin-listen 127.0.0.1:0 --log-level warn > "$WORK/licetd.out" 2>&1 &
licetd_pid=$!
trap 'kill $licetd_pid 2>/dev/null || true; wait $licetd_pid 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q "licetd ready" "$WORK/licetd.out" && break; sleep 0.1; done
grep -q "licetd ready" "$WORK/licetd.out" || fail "licetd did not start: $(cat "$WORK/licetd.out")"

expect_ok "$LICET" container create
expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r .source)" licetd
expect_eq "$(echo "$OUT" | jq -r '.containers | length')" 1

expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/firm.key"
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/req.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/req.context" \
  --add-product 201010 --text "Sample App" --feature-map 0x3 --units 100 -o "$WORK/lic.update"
expect_ok "$LICET" info "$WORK/lic.update"
expect_contains "$OUT" "add product 201010"
expect_ok "$LICET" import "$WORK/lic.update"
expect_contains "$OUT" "FUC 0 -> 2"

# licetd serves the new item at once.
expect_ok "$LICET" access --firm-code 6000010 --product-code 201010 --feature-code 0x1
expect_contains "$OUT" "access granted"
expect_ok "$LICET" access --json --firm-code 6000010 --product-code 201010 --mode station-share
expect_eq "$(echo "$OUT" | jq -r .item.unit_counter)" 100
expect_fail "201011" "$LICET" access --firm-code 6000010 --product-code 201011
expect_fail "feature" "$LICET" access --firm-code 6000010 --product-code 201010 --feature-code 0x4

# The receipt through licetd reports the new FUC.
expect_ok "$LICET" receipt -o "$WORK/done.receipt"
expect_ok "$LICET" info --json "$WORK/done.receipt"
expect_eq "$(echo "$OUT" | jq -r '.firms[0].fuc')" 2

# --no-daemon, or another state dir than licetd's, works on the files.
expect_ok "$LICET" --no-daemon list --json
expect_eq "$(echo "$OUT" | jq -r .source)" files
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[0].unit_counter')" 100
LICET_HOME="$WORK/elsewhere" expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r .source)" files
expect_eq "$(echo "$OUT" | jq -r '.containers | length')" 0

# Without licetd the files are used, and access says what to start.
kill "$licetd_pid"; wait "$licetd_pid" 2>/dev/null || true
expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r .source)" files
expect_fail "needs licetd" "$LICET" access --firm-code 6000010 --product-code 201010
finish
