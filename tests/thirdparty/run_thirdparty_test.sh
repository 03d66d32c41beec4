#!/bin/bash
# run_thirdparty_test.sh MAKE_SAMPLE_FILES PYTHON VERIFY_SCRIPT [LICET]
#
# The ctest driver of the third-party verification: writes sample files with Licet's engine
# into a throwaway directory, then has verify_with_stock_libs.py check them with stock
# libraries only, and runs the worked example of docs/FORMATS.md on them. With LICET (the CLI
# binary) it also has `licet` write a firm key, a context and an update for the same
# container, and checks those too.
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 ]]; then
  echo "usage: $0 MAKE_SAMPLE_FILES PYTHON VERIFY_SCRIPT [LICET]" >&2
  exit 2
fi
make_samples=$1
python=$2
script=$3
licet=${4:-}

for tool in "$make_samples" ${licet:+"$licet"}; do
  if [[ ! -x "$tool" ]]; then
    echo "FAIL: $tool is not built (build it before running ctest)" >&2
    exit 1
  fi
done

work=$(mktemp -d /tmp/licet-thirdparty-XXXXXX)
trap 'rm -rf "$work"' EXIT

"$make_samples" "$work"

args=("$work")
if [[ -n "$licet" ]]; then
  cli="$work/cli"
  mkdir -p "$cli"
  serial=$(cat "$work/serial.txt")
  export LICET_HOME="$work/home"
  "$licet" firm init --firm-code 6000020 --name "CLI Sample Firm" -o "$cli/firm.key"
  "$licet" context --serial "$serial" --firm-code 6000020 -o "$cli/context"
  "$licet" update create --firm-key "$cli/firm.key" --context "$cli/context" \
    --add-product 401010 -o "$cli/update"
  args+=(--cli-dir "$cli")
fi

# The worked example of docs/FORMATS.md §10 must run as printed, on these files.
doc="$(dirname "$script")/../../docs/FORMATS.md"
example="$work/example"
mkdir "$example"
awk '/<!-- example:begin -->/ {on = 1; next} /<!-- example:end -->/ {on = 0} on' "$doc" |
  grep -v '^```' >"$example/example.py"
ln -s ../context "$example/request.context"
ln -s ../update "$example/license.update"
ln -s ../firm.key "$example/firm.key"
ln -s ../container-enc.key "$example/container-enc.key"
if ! (cd "$example" && "$python" example.py) >"$example/out" 2>&1 ||
  ! grep -q "^  2 add_product 201010$" "$example/out"; then
  echo "FAIL: the worked example of docs/FORMATS.md §10 does not run on the sample files:" >&2
  cat "$example/out" >&2
  exit 1
fi

"$python" "$script" "${args[@]}"
