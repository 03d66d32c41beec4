#!/usr/bin/env bash
# Concurrent writers are serialised by the container's flock: 16 imports of the same update
# and 16 context reads at once end with exactly one import that applied it and a container
# that still opens.
source "$(dirname "$0")/lib.sh"
V="$WORK/vendor"
mkdir -p "$V"
expect_ok "$LICET" container create
expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/firm.key"
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/req.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/req.context" \
  --add-product 201010 --units 100 -o "$WORK/lic.update"

pids=()
for i in $(seq 1 16); do
  "$LICET" import "$WORK/lic.update" > "$WORK/import.$i" 2>&1 &
  pids+=($!)
  "$LICET" context -o "$WORK/ctx.$i" > /dev/null 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "a concurrent licet command failed"; done
applied=$(grep -l "FUC 0 -> 2" "$WORK"/import.* | wc -l)
already=$(grep -l "already applied" "$WORK"/import.* | wc -l)
expect_eq "$applied" 1
expect_eq "$already" 15
expect_ok "$LICET" list --json
expect_eq "$(echo "$OUT" | jq -r '.containers[0].state.firms[0].fuc')" 2
for i in $(seq 1 16); do expect_ok "$LICET" info "$WORK/ctx.$i"; done
finish
