#!/usr/bin/env bash
# The examples of examples/ against a real licetd: each must succeed on the sample product and
# fail with one line and a non-zero exit on a product the container does not hold.
# Usage: examples_test.sh EXAMPLE_C PYTHON PYTHONPATH   (LICET_BIN_DIR, LICET_SOURCE_DIR set;
# PYTHON "none" when the Python module is not built)
source "$(dirname "$0")/licetd_fixture.sh"
example_c=$1
python=$2
export PYTHONPATH=$3
example_py="$LICET_SOURCE_DIR/examples/python/check_license.py"
start_licetd

fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$example_c") || fail "licet-example-c failed: $out"
grep -q "Sample App" <<<"$out" || fail "licet-example-c did not print the item: $out"
grep -q "original bytes are back" <<<"$out" || fail "licet-example-c did not decrypt: $out"

commands=("$example_c 6000010 999999")
if [[ "$python" != none ]]; then
  out=$("$python" "$example_py") || fail "check_license.py failed: $out"
  grep -q "Sample App" <<<"$out" || fail "check_license.py did not print the item: $out"
  commands+=("$python $example_py 6000010 999999")
fi

# Failures: exit code 1 and exactly one line on stderr, naming the problem.
for cmd in "${commands[@]}"; do
  set +e
  err=$($cmd 2>&1 >/dev/null)
  rc=$?
  set -e
  [[ $rc -eq 1 ]] || fail "'$cmd' exited $rc, want 1"
  [[ $(wc -l <<<"$err") -eq 1 ]] || fail "'$cmd' printed more than one line: $err"
  grep -q "999999" <<<"$err" || fail "'$cmd' does not name the product: $err"
done

# Without licetd: one line that says to start it.
stop_licetd
set +e
err=$("$example_c" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "licet-example-c without licetd exited $rc"
grep -q "start licetd" <<<"$err" || fail "licet-example-c without licetd: $err"
echo "examples: all checks passed"
