# Shared helpers of the end-to-end tests: each test script sources this file, runs the real
# binaries from $LICET_BIN_DIR against a throwaway $LICET_HOME, and fails on the first
# broken expectation with the command's output.
set -euo pipefail

: "${LICET_BIN_DIR:?LICET_BIN_DIR must point at build/bin}"
: "${LICET_SOURCE_DIR:?LICET_SOURCE_DIR must point at the source tree}"
LICET="$LICET_BIN_DIR/licet"

WORK=$(mktemp -d /tmp/licet-e2e-XXXXXX)
export LICET_HOME="$WORK/home"
trap 'rm -rf "$WORK"' EXIT
TESTS_RUN=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# run CMD...: runs a command, keeping stdout in $OUT, stderr in $ERR and the exit code in $RC.
run() {
  set +e
  OUT=$("$@" 2>"$WORK/.stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/.stderr")
}

expect_ok() {
  run "$@"
  [[ $RC -eq 0 ]] || fail "expected success: $*
exit $RC
stdout: $OUT
stderr: $ERR"
  TESTS_RUN=$((TESTS_RUN + 1))
}

# expect_fail PATTERN CMD...: the command must exit non-zero with PATTERN (grep -E) on stderr,
# in one line.
expect_fail() {
  local pattern=$1
  shift
  run "$@"
  [[ $RC -ne 0 ]] || fail "expected failure: $*
stdout: $OUT"
  echo "$ERR" | grep -Eq -- "$pattern" || fail "stderr of '$*' does not match /$pattern/:
$ERR"
  [[ $(printf '%s\n' "$ERR" | wc -l) -eq 1 ]] || fail "expected a one-line error from '$*', got:
$ERR"
  TESTS_RUN=$((TESTS_RUN + 1))
}

expect_contains() {
  local haystack=$1 needle=$2
  [[ "$haystack" == *"$needle"* ]] || fail "expected to find '$needle' in:
$haystack"
  TESTS_RUN=$((TESTS_RUN + 1))
}

expect_eq() {
  [[ "$1" == "$2" ]] || fail "expected '$2', got '$1'"
  TESTS_RUN=$((TESTS_RUN + 1))
}

# A hash of every file in the state dir: proves that a refused command changed nothing.
state_digest() {
  (cd "$LICET_HOME" && find . -type f ! -name '*.lock' -print0 | sort -z | xargs -0 sha256sum) | sha256sum
}

finish() {
  echo "$(basename "$0"): $TESTS_RUN checks passed"
}
