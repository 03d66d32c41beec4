#!/usr/bin/env bash
# Every kind of bad input gets a non-zero exit, one line naming the reason, and leaves the
# container exactly as it was.
source "$(dirname "$0")/lib.sh"
V="$WORK/vendor"
mkdir -p "$V"

expect_ok "$LICET" container create
serial=$OUT
expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/firm.key"
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/old.context"
expect_ok "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/old.context" \
  --add-product 201010 --units 100 -o "$WORK/good.update"
expect_ok "$LICET" import "$WORK/good.update"
before=$(state_digest)
size=$(stat -c %s "$WORK/good.update")

# Tampered: one flipped bit anywhere after the header.
for pos in 20 $((size / 2)) $((size - 2)); do
  cp "$WORK/good.update" "$WORK/tampered.update"
  byte=$(od -An -tu1 -j "$pos" -N1 "$WORK/tampered.update" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$WORK/tampered.update" bs=1 seek="$pos" conv=notrunc 2>/dev/null
  expect_fail "cannot import.*(signature|malformed|CBOR|truncated|corrupt|decrypt)" "$LICET" import "$WORK/tampered.update"
done

# Truncated.
head -c $((size / 2)) "$WORK/good.update" > "$WORK/truncated.update"
expect_fail "cannot import.*truncated" "$LICET" import "$WORK/truncated.update"
head -c 3 "$WORK/good.update" > "$WORK/stub.update"
expect_fail "cannot import" "$LICET" import "$WORK/stub.update"
: > "$WORK/empty.update"
expect_fail "cannot import" "$LICET" import "$WORK/empty.update"

# Not a Licet file, the wrong kind, a newer version.
echo "hello" > "$WORK/text.update"
expect_fail "not a Licet file" "$LICET" import "$WORK/text.update"
expect_fail "expected an update file, got a context file" "$LICET" import "$WORK/old.context"
cp "$WORK/good.update" "$WORK/v2.update"
printf '\x02' | dd of="$WORK/v2.update" bs=1 seek=4 conv=notrunc 2>/dev/null
expect_fail "version 2.*upgrade" "$LICET" import "$WORK/v2.update"
expect_fail "no such file" "$LICET" import "$WORK/missing.update"

# Signed by another key: an impostor with the same firm code replays an old context (made
# before the firm item existed) to build a "first" update for this container.
expect_ok "$LICET" firm init --firm-code 6000010 --name "Sample Company" -o "$V/impostor.key"
expect_ok "$LICET" update create --firm-key "$V/impostor.key" --context "$WORK/old.context" \
  --add-product 201010 --units 1000000 -o "$WORK/impostor.update"
expect_fail "signed by another key" "$LICET" import "$WORK/impostor.update"
# ... and with a current context the vendor tool itself refuses.
expect_ok "$LICET" context --firm-code 6000010 -o "$WORK/now.context"
expect_fail "another firm key" "$LICET" update create --firm-key "$V/impostor.key" \
  --context "$WORK/now.context" --add-product 201011 -o "$WORK/x.update"

# Wrong container: an update for this container imported on another machine (state dir).
other_home="$WORK/other-home"
LICET_HOME="$other_home" expect_ok "$LICET" container create
LICET_HOME="$other_home" expect_fail "is for container $serial, which is not on this machine" \
  "$LICET" import "$WORK/good.update"

# A tampered context is refused by the vendor tool.
cp "$WORK/now.context" "$WORK/bad.context"
csize=$(stat -c %s "$WORK/bad.context")
printf 'X' | dd of="$WORK/bad.context" bs=1 seek=$((csize / 2)) conv=notrunc 2>/dev/null
expect_fail "bad.context" "$LICET" update create --firm-key "$V/firm.key" --context "$WORK/bad.context" \
  --add-product 5 -o "$WORK/y.update"

# Bad flags and values.
expect_fail "exactly one of --add-product" "$LICET" update create --firm-key "$V/firm.key" \
  --context "$WORK/now.context" -o "$WORK/z.update"
expect_fail "feature-map.*not a number" "$LICET" update create --firm-key "$V/firm.key" \
  --context "$WORK/now.context" --add-product 7 --feature-map 0xZZ -o "$WORK/z.update"
expect_fail "expiration" "$LICET" update create --firm-key "$V/firm.key" \
  --context "$WORK/now.context" --add-product 7 --expiration tomorrow -o "$WORK/z.update"
expect_fail "--secret-data" "$LICET" update create --firm-key "$V/firm.key" \
  --context "$WORK/now.context" --add-product 7 --secret-data 1234 -o "$WORK/z.update"
expect_fail "is not a container serial" "$LICET" context --serial nonsense -o "$WORK/c.context"
expect_fail "not on this machine" "$LICET" context --serial 130-1 -o "$WORK/c.context"
run "$LICET" frobnicate
[[ $RC -eq 2 ]] || fail "an unknown subcommand must exit 2, got $RC"

[[ "$(state_digest)" == "$before" ]] || fail "a refused command changed the container"
TESTS_RUN=$((TESTS_RUN + 1))
finish
