#!/usr/bin/env bash
# Clock set back: once a container has seen a time, a system clock more than the tolerance
# behind it makes time-limited items unusable ("clock set back"), while items without time
# limits stay valid. The real `licet` runs under faketime (LD_PRELOAD), no bypass switch.
source "$(dirname "$0")/lib.sh"
command -v faketime >/dev/null || fail "faketime is not installed (scripts/install-deps.sh installs it)"
V="$WORK/vendor"
mkdir -p "$V"
expect_ok "$LICET" container create
expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/firm.key"
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/1.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/1.context" \
  --add-product 201010 --expiration 30d -o "$WORK/1.update"
expect_ok "$LICET" import "$WORK/1.update"
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/2.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/2.context" \
  --add-product 201011 --units 5 -o "$WORK/2.update"
expect_ok "$LICET" import "$WORK/2.update"

expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r '.containers[0].clock')" ok
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[] | select(.product_code==201010) | .status')" valid

# Two days back: the time-limited item is refused, the other one is not.
expect_ok faketime -f "-2d" "$LICET" list --json
expect_contains "$(echo "$OUT" | jq -r '.containers[0].clock')" "clock"
expect_contains "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[] | select(.product_code==201010) | .status')" "clock"
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[] | select(.product_code==201011) | .status')" valid

# Within the tolerance (5 minutes back) nothing is refused.
expect_ok faketime -f "-5m" "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r '.containers[0].clock')" ok

# Forty days ahead the item has expired.
expect_ok faketime -f "+40d" "$LICET" list --json
expect_contains "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].products[] | select(.product_code==201010) | .status')" "expired"
finish
