#!/usr/bin/env bash
# `make demo`: the offline licensing cycle end to end in a throwaway state dir.
# A sample firm 6000010 "Sample Company" issues product 201010 "Sample App" (features 0x3,
# 100 units, expires in a year) to a new soft container, which imports it.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
licet="$root/$build/bin/licet"

demo=$(mktemp -d /tmp/licet-demo-XXXXXX)
export LICET_HOME="$demo/state"
vendor="$demo/vendor"
mkdir -p "$vendor"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

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

echo
echo "State dir: $LICET_HOME (throwaway; files of this run in $demo)"
