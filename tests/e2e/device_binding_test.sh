#!/usr/bin/env bash
# A soft container opens on its device with one property changed, and is refused on another
# device ("container is bound to another device"). The real property readers run inside a
# mount namespace where tests/support/with-fake-device.sh has bind-mounted fake
# /etc/machine-id, /sys and /proc files. Needs root (unshare -m); skipped otherwise.
source "$(dirname "$0")/lib.sh"
if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
  echo "SKIP: needs root and unshare -m"
  exit 0
fi
FAKE="$LICET_SOURCE_DIR/tests/support/with-fake-device.sh"
V="$WORK/vendor"
mkdir -p "$V"
dev_a=(--machine-id 0123456789abcdef0123456789abcdef --dmi-uuid 11111111-2222-3333-4444-555555555555
       --mac 52:54:00:12:34:56 --disk-serial DISK-A-0001 --cpu "vendor_id : GenuineIntel")
on_device() {  # on_device ARGS... -- CMD...: run CMD on a fake device
  "$FAKE" "$@"
}

expect_ok on_device "${dev_a[@]}" -- "$LICET" container create
serial=$OUT
expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/firm.key"
expect_ok on_device "${dev_a[@]}" -- "$LICET" context --firm-code 6000010 -o "$WORK/req.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/req.context" \
  --add-product 201010 --units 100 -o "$WORK/lic.update"
expect_ok on_device "${dev_a[@]}" -- "$LICET" import "$WORK/lic.update"
expect_ok on_device "${dev_a[@]}" -- "$LICET" list
expect_contains "$OUT" "100 units"

# One property changed (a new NIC): still opens, and keeps working.
one_changed=("${dev_a[@]}")
one_changed[5]=52:54:00:ab:cd:ef
expect_ok on_device "${one_changed[@]}" -- "$LICET" list
expect_contains "$OUT" "product 201010"

# Two properties changed (machine-id and disk): another device.
two_changed=("${one_changed[@]}")
two_changed[1]=fedcba9876543210fedcba9876543210
expect_ok on_device "${two_changed[@]}" -- "$LICET" list
expect_contains "$OUT" "container is bound to another device"
before=$(state_digest)
expect_fail "container is bound to another device" on_device "${two_changed[@]}" -- "$LICET" import "$WORK/lic.update"
expect_fail "container is bound to another device" on_device "${two_changed[@]}" -- \
  "$LICET" context -o "$WORK/x.context"

# The container file copied to another machine's state dir fails the same way.
mkdir -p "$WORK/copy/containers"
cp "$LICET_HOME/containers/$serial.lcc" "$WORK/copy/containers/"
LICET_HOME="$WORK/copy" expect_fail "container is bound to another device" \
  on_device --machine-id aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --mac 02:00:00:00:00:01 \
  --disk-serial OTHER --cpu "vendor_id : AuthenticAMD" -- "$LICET" context -o "$WORK/y.context"
[[ "$(state_digest)" == "$before" ]] || fail "a refused command changed the container"
TESTS_RUN=$((TESTS_RUN + 1))
finish
