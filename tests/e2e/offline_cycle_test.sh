#!/usr/bin/env bash
# The offline licensing cycle through the real `licet` binary: create, request, issue with
# every product option, import (twice), modify, delete, receipt, list and info.
source "$(dirname "$0")/lib.sh"
V="$WORK/vendor"
mkdir -p "$V"

expect_ok "$LICET" container create
serial=$OUT
[[ $serial =~ ^130-[0-9]+$ ]] || fail "serial '$serial' is not 130-NUMBER"

expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/firm.key"
[[ $(stat -c %a "$V/firm.key") == 600 ]] || fail "firm.key must be mode 0600"
expect_fail "exists.*--force" "$LICET" firm init --firm-code 6000010 --name X -o "$V/firm.key"
expect_ok "$LICET" info "$V/firm.key"
expect_contains "$OUT" "6000010 'Sample Company'"

expect_ok "$LICET" context --serial "$serial" --firm-code 6000010 -o "$WORK/req.context"
expect_ok "$LICET" info "$WORK/req.context"
expect_contains "$OUT" "not in the container yet (FUC 0)"

# Every product item option of DESIGN §1.
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/req.context" \
  --add-product 201010 --text "Sample App" --feature-map 0x3 --units 100 --expiration 365d \
  --activation-time 2020-01-01 --usage-period 30d --maintenance-until 2030-01-01T00:00:00Z \
  --license-quantity 5 --access-modes user-limit,station-share --linger-time 5m \
  --protected-data "hello" --hidden-data hex:00ff --hidden-access-code s3cret \
  --secret-data random --checkpoint-days 30 --borrow-max-days 7 --borrow-max-seats 2 \
  --module 201011:0x1:10:Extras -o "$WORK/1.update"
expect_ok "$LICET" info "$WORK/1.update"
expect_contains "$OUT" "add product 201010"
expect_contains "$OUT" "signature valid"

expect_ok "$LICET" import "$WORK/1.update"
expect_contains "$OUT" "FUC 0 -> 2"
expect_ok "$LICET" import "$WORK/1.update"
expect_contains "$OUT" "already applied"

expect_ok "$LICET" list --json
item=$(echo "$OUT" | jq '.containers[0].state.firms[0].products[0]')
expect_eq "$(echo "$item" | jq -r .feature_map)" 3
expect_eq "$(echo "$item" | jq -r .unit_counter)" 100
expect_eq "$(echo "$item" | jq -r .license_quantity)" 5
expect_eq "$(echo "$item" | jq -r .linger_time)" 5m
expect_eq "$(echo "$item" | jq -r .usage_period)" 30d
expect_eq "$(echo "$item" | jq -r .checkpoint_days)" 30
expect_eq "$(echo "$item" | jq -r .borrow.max_seats)" 2
expect_eq "$(echo "$item" | jq -r .secret_data)" set
expect_eq "$(echo "$item" | jq -r '.modules[0].product_code')" 201011
expect_eq "$(echo "$item" | jq -r 'has("hidden_data")')" false
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].fuc')" 2

# Modify (units, expiration removed, add units) and delete, each from a fresh context.
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/2.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/2.context" \
  --modify-product 201010 --units 40 --expiration none --add-units 2 -o "$WORK/2.update"
expect_ok "$LICET" import "$WORK/2.update"
expect_contains "$OUT" "FUC 2 -> 4"
expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[0].unit_counter')" 42
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[0] | has("expiration")')" false

expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/3.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/3.context" \
  --delete-product 201010 -o "$WORK/3.update"
expect_ok "$LICET" import "$WORK/3.update"
expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products | length')" 0
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].fuc')" 5

# An old update imported late changes nothing.
expect_ok "$LICET" import "$WORK/2.update"
expect_contains "$OUT" "already applied"

expect_ok "$LICET" receipt --firm-code 6000010 -o "$WORK/done.receipt"
expect_ok "$LICET" info --json "$WORK/done.receipt"
expect_eq "$(echo "$OUT" | jq -r .kind)" receipt
expect_eq "$(echo "$OUT" | jq -r '.firms[0].fuc')" 5

# A passphrase-protected firm key.
echo "correct horse" > "$V/pass"
expect_ok "$LICET" firm init --firm-code 6000020 --name "Other Firm" -o "$V/other.key" --passphrase-file "$V/pass"
expect_ok "$LICET" context --firm-code 6000020 -o "$WORK/4.context"
expect_fail "passphrase" "$LICET" update create --firm-key "$V/other.key" --context "$WORK/4.context" \
  --add-product 1 -o "$WORK/4.update"
LICET_FIRM_KEY_PASSPHRASE=wrong expect_fail "wrong passphrase" "$LICET" update create \
  --firm-key "$V/other.key" --context "$WORK/4.context" --add-product 1 -o "$WORK/4.update"
expect_ok "$LICET" update create --firm-key "$V/other.key" --passphrase-file "$V/pass" \
  --context "$WORK/4.context" --add-product 1 --units 3 -o "$WORK/4.update"
expect_ok "$LICET" import "$WORK/4.update"
expect_ok "$LICET" list
expect_contains "$OUT" "firm 6000020 'Other Firm' FUC 2"

# Help everywhere.
for cmd in "" "container create" "list" "context" "receipt" "import" "info" "firm init" "update create"; do
  # shellcheck disable=SC2086
  expect_ok "$LICET" $cmd --help
done
finish
