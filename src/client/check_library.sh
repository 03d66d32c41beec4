#!/usr/bin/env bash
# check_library.sh LIBLICET_SO LIBLICET_A: the promises of DESIGN §2 on the built libraries:
# no OpenSSL, SONAME liblicet.so.0, only licet_* exported (both), every function of licet.h
# present.
set -euo pipefail
so=$1
archive=$2
header=$(dirname "$0")/../../include/licet/licet.h
fail() { echo "FAIL: $*" >&2; exit 1; }

deps=$(ldd "$so")
if grep -Eq 'libcrypto|libssl' <<<"$deps"; then fail "$so links OpenSSL:
$deps"; fi
if nm -D --undefined-only "$so" | grep -E ' (EVP_|OPENSSL_|CRYPTO_|SSL_)' >/dev/null; then
  fail "$so references OpenSSL symbols"
fi

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ "$soname" == liblicet.so.0 ]] || fail "SONAME is '$soname', want liblicet.so.0"

exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sed 's/@.*//' | sort -u)
unexpected=$(grep -v '^licet_' <<<"$exported" | grep -v '^LICET_0$' || true)
[[ -z "$unexpected" ]] || fail "$so exports more than licet_*:
$unexpected"

for f in $(grep -o '^LICET_EXPORT [^(]*(' "$header" | sed -E 's/.*[ *]([a-z_0-9]+)\($/\1/'); do
  grep -qx "$f" <<<"$exported" || fail "$so does not export $f"
done

# In liblicet.a only licet_* are strong globals; library internals (licet::, nlohmann::) are
# local. Standard-library templates may stay weak, and function-local constant tables stay
# GNU-unique ('u', which objcopy cannot localize) but hidden, so a program or plug-in linking
# the archive never exports them.
strong=$(nm --defined-only -g "$archive" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBR]$/ {print $3}' | sort -u)
unexpected=$(grep -v '^licet_' <<<"$strong" || true)
[[ -z "$unexpected" ]] || fail "$archive has strong global symbols besides licet_*:
$(head -20 <<<"$unexpected")"
internal=$(nm --defined-only -g -C "$archive" 2>/dev/null | grep -v ' u ' | grep -E ' (licet::|nlohmann::)' || true)
[[ -z "$internal" ]] || fail "$archive exposes internals:
$(head -20 <<<"$internal")"
if nm --undefined-only "$archive" 2>/dev/null | grep -E ' (EVP_|OPENSSL_|CRYPTO_|SSL_)' >/dev/null; then
  fail "$archive references OpenSSL symbols"
fi
echo "liblicet: no OpenSSL, SONAME $soname, exports $(wc -l <<<"$exported") licet_* symbols"
