#!/usr/bin/env bash
# The License Central part of `make demo` (scripts/demo.sh calls it): licet-central on SQLite
# in a throwaway directory, a sample firm 6000010 "Sample Company" with product 201010
# "Sample App", an order making two tickets, one of them activated with the wizard
# (`licet activate`) into a soft container of this machine.
#
#   scripts/demo-central.sh BUILD      BUILD: the build tree (absolute or relative to the repo)
#
# On a terminal Central keeps running in the background afterwards, so that the other
# ticket can be tried; it stops by itself after an hour (LICET_DEMO_MINUTES), and the last
# lines say how to stop it sooner. Not on a terminal (CI, pipes) or with LICET_DEMO_KEEP=0
# it is stopped before the script ends (LICET_DEMO_CLEANUP=1 also removes its files: tests).
# LICET_HOME, when set, is the customer's state dir
# (scripts/demo.sh shares it with licetd); else a throwaway one is used.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[[ $build == /* ]] || build="$root/$build"
licet="$build/bin/licet"
central="$build/bin/licet-central"
for b in "$licet" "$central"; do
  [[ -x $b ]] || { echo "demo-central: $b is not built (make build)" >&2; exit 1; }
done
for tool in curl jq openssl; do
  command -v "$tool" >/dev/null || { echo "demo-central: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

keep=${LICET_DEMO_KEEP:-}
if [[ -z $keep ]]; then
  if [[ -t 1 ]]; then keep=1; else keep=0; fi
fi
minutes=${LICET_DEMO_MINUTES:-60}

demo=$(mktemp -d /tmp/licet-central-demo-XXXXXX)
export LICET_HOME=${LICET_HOME:-$demo/customer}
export LICET_CENTRAL_DATA_DIR="$demo/central"
export LICET_CENTRAL_KEK_FILE="$demo/kek"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pid=
stop_central() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$demo/central.pid"
}
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 || $keep != 1 ]]; then stop_central; fi
  if [[ $rc -ne 0 && -f $demo/central.log ]]; then
    echo "--- licet-central log ---" >&2
    tail -n 20 "$demo/central.log" >&2
  fi
  exit $rc
}
trap on_exit EXIT

step "Vendor: start License Central on SQLite in $demo"
openssl rand -hex 32 >"$LICET_CENTRAL_KEK_FILE"
chmod 600 "$LICET_CENTRAL_KEK_FILE"
key=$("$central" apikey create --scopes '*' --description demo 2>/dev/null)
start() {  # start LISTEN: sets url, or returns 1 when the address is taken
  : >"$demo/central.out"
  if [[ $keep == 1 ]]; then
    # Its own session: Ctrl-C on this script or the terminal closing does not stop it.
    setsid "$central" --listen "$1" serve >"$demo/central.out" 2>"$demo/central.log" </dev/null &
  else
    "$central" --listen "$1" serve >"$demo/central.out" 2>"$demo/central.log" </dev/null &
  fi
  pid=$!
  for _ in $(seq 200); do
    grep -q "listening on" "$demo/central.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  url="http://$(sed -n 's/^licet-central listening on //p' "$demo/central.out")"
  [[ $url != http:// ]]
}
start 127.0.0.1:22480 || start 127.0.0.1:0 || { echo "licet-central did not start" >&2; exit 1; }
echo "$pid" >"$demo/central.pid"
echo "License Central: $url (pid $pid)"

call() {  # call PATH JSON: POST with the vendor key, prints the response
  local out status
  out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary "$2" "$url$1")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $status == 20[01] ]] || { echo "POST $1: HTTP $status $out" >&2; return 1; }
  echo "$out"
}

step "Vendor: firm 6000010 \"Sample Company\" (Central makes its keys), product 201010 \"Sample App\""
call /api/v1/firms '{"firm_code":6000010,"name":"Sample Company"}' | jq -r '"firm \(.firm_code) \(.name), public key \(.public_key[0:16])..."'
call /api/v1/firms/6000010/products \
  '{"product_code":201010,"name":"Sample App","template":{"features":3,"units":100,"expires_after":"365d","text":"Sample App"}}' |
  jq -r '"product \(.product_code) \(.name)"'

step "ERP: an order for two licenses of Sample App makes two tickets"
order=$(call /api/v1/orders \
  '{"request_id":"demo-order-1","firm_code":6000010,"items":[{"product_code":201010,"quantity":2}]}')
echo "$order" | jq -r '.tickets[] | "ticket \(.ticket)  (\(.activations_left) activation)"'
ticket=$(echo "$order" | jq -r '.tickets[0].ticket')
other=$(echo "$order" | jq -r '.tickets[1].ticket')

step "Customer: licet activate --server $url --ticket $ticket"
"$licet" activate --server "$url" --ticket "$ticket"

step "Customer: licet list"
"$licet" list

step "Try the other ticket"
cat <<EOF
License Central:   $url   (API key for the vendor API: $key)
Other ticket:      $other
Online:            LICET_HOME=$LICET_HOME $licet activate --server $url --ticket $other
Offline:           LICET_HOME=$LICET_HOME $licet activate --ticket $other --offline -o /tmp/request.context
                   $central activate-offline --ticket $other --context /tmp/request.context -o /tmp/answer.update
                     (with LICET_CENTRAL_DATA_DIR=$LICET_CENTRAL_DATA_DIR LICET_CENTRAL_KEK_FILE=$LICET_CENTRAL_KEK_FILE)
                   LICET_HOME=$LICET_HOME $licet import /tmp/answer.update
Ticket status:     curl $url/api/v1/tickets/$other/status
EOF
if [[ $keep == 1 ]]; then
  # A watchdog in its own session ends a forgotten demo server.
  # It checks that the pid is still licet-central: after an hour the number may be reused.
  setsid bash -c "sleep $((minutes * 60)); grep -qa licet-central /proc/$pid/cmdline 2>/dev/null &&
    kill -TERM $pid; rm -f '$demo/central.pid'" >/dev/null 2>&1 </dev/null &
  echo
  echo "License Central keeps running for $minutes minutes (pid $pid, in $demo/central.pid)."
  echo "Stop it sooner with: kill \$(cat $demo/central.pid)"
elif [[ ${LICET_DEMO_CLEANUP:-0} == 1 ]]; then
  stop_central
  rm -rf "$demo"
else
  echo
  echo "License Central stopped (LICET_DEMO_KEEP=1 keeps it running). Files of this run: $demo"
fi
