#!/usr/bin/env python3
"""Verifies Licet files with stock libraries only: cbor2 and cryptography, as Debian 12
ships them (python3-cbor2, python3-cryptography). No Licet code is imported or run here;
every layout is taken from docs/FORMATS.md, so this script is the proof that a third party
can read, verify and decrypt Licet's files from the specification alone.

usage: verify_with_stock_libs.py SAMPLE_DIR [--cli-dir DIR]

SAMPLE_DIR is what tests/thirdparty/make_sample_files writes (its header comment lists the
files). With --cli-dir, DIR holds firm.key, context and update written by the `licet` CLI
for the same container, which are checked too.

Any mismatch raises Failure: the script prints "FAIL: <what>" and exits 1. On success it
prints one summary line and exits 0.
"""

import argparse
import hashlib
import io
import json
import os
import sys

try:
    import cbor2
    from cryptography.exceptions import InvalidSignature, InvalidTag
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                                   Ed25519PublicKey)
    from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                                  X25519PublicKey)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
except ImportError as error:
    print(f"FAIL: {error}: this test needs Debian's python3-cbor2 and python3-cryptography "
          f"(scripts/install-deps.sh installs them) in {sys.executable}", file=sys.stderr)
    sys.exit(1)

# ---- Constants from docs/FORMATS.md ----

MAGIC = b"\xda\x4c\x43"
KIND_CONTEXT, KIND_UPDATE, KIND_RECEIPT, KIND_FIRM_KEY, KIND_CONTAINER = range(1, 6)
KIND_NAMES = {1: "context", 2: "update", 3: "receipt", 4: "firm key", 5: "container",
              6: "credential"}
FORMAT_VERSION = 1
TAG_COSE_SIGN1 = 18
TAG_COSE_ENCRYPT = 96
PROTECTED_EDDSA = bytes.fromhex("a10127")          # {1: -8}
PROTECTED_A256GCM = bytes.fromhex("a10103")        # {1: 3}
PROTECTED_ECDH_ES_HKDF_256 = bytes.fromhex("a1013818")  # {1: -25}
ALG_A256GCM = 3
MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z
PRODUCT_SECRET_SALT = b"licet/product-secret/v1"
CONTAINER_BODY_INFO = b"licet container body v1"
SHARE_INFO = b"licet device share v1"

SAMPLE_FIRM = 6000010
SAMPLE_PRODUCT = 201010
SAMPLE_MODULE = 201011
CLI_FIRM = 6000020
CLI_PRODUCT = 401010


class Failure(Exception):
    pass


class Tally:
    """Counts checks and the files and primitives they covered, for the summary line."""

    def __init__(self):
        self.checks = 0
        self.files = set()
        self.signatures = 0
        self.decryptions = 0

    def check(self, condition, what):
        if not condition:
            raise Failure(what)
        self.checks += 1


T = Tally()
check = T.check


def expect_failure(action, errors, what):
    """`action` must raise one of `errors`: a tampered input has to be refused."""
    try:
        action()
    except errors:
        T.checks += 1
        return
    raise Failure(what)


# ---- CBOR ----

def decode_exact(data, what):
    """One CBOR item spanning all of `data`, in Licet's deterministic encoding: re-encoding
    the decoded value with cbor2 (shortest heads, definite lengths, map order kept) must
    give back the same bytes."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except Exception as error:  # cbor2 raises several types for malformed input
        raise Failure(f"{what}: not well-formed CBOR: {error}")
    check(stream.tell() == len(data), f"{what}: {len(data) - stream.tell()} bytes after the item")
    check(cbor2.dumps(value) == data,
          f"{what}: encoding is not deterministic (shortest heads, definite lengths)")
    return value


def decode_payload(data, what):
    """A payload map: text keys, written in bytewise order of their UTF-8 (nlohmann's order)."""
    value = decode_exact(data, what)
    check(isinstance(value, dict), f"{what}: payload is not a map")
    keys = list(value)
    check(all(isinstance(k, str) for k in keys), f"{what}: payload keys must be text")
    check(keys == sorted(keys, key=lambda k: k.encode()), f"{what}: keys are not sorted")
    return value


# ---- Field types (CDDL of docs/FORMATS.md) ----

def is_uint(v, maximum=2**64 - 1):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= maximum


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63


U32 = lambda v: is_uint(v, 0xffffffff)
U64 = lambda v: is_uint(v)
I64 = is_int
TIME = lambda v: is_uint(v, MAX_TIME)
NONZERO_U32 = lambda v: U32(v) and v != 0


def tstr(max_bytes):
    return lambda v: isinstance(v, str) and 0 < len(v.encode()) <= max_bytes


def tstr_or_empty(max_bytes):
    return lambda v: isinstance(v, str) and len(v.encode()) <= max_bytes


def bstr(size=None, max_size=None, min_size=1):
    def ok(v):
        if not isinstance(v, bytes):
            return False
        if size is not None:
            return len(v) == size
        return min_size <= len(v) <= max_size
    return ok


def nested(validator):
    """Marks a validator of a nested structure: called as validator(value, what), it runs
    its own checks instead of returning a truth value."""
    validator.nested = True
    return validator


def array_of(validator, max_items):
    @nested
    def ok(v, what):
        check(isinstance(v, list) and len(v) <= max_items,
              f"{what}: not an array of at most {max_items}")
        for i, element in enumerate(v):
            validator(element, f"{what}[{i}]")
        return True
    return ok


def check_map(value, required, optional, what):
    """`value` must be a map with every key of `required`, keys of `optional` at most, and no
    other key; each field must pass its validator (a predicate, or a function (v, what) for
    nested structures)."""
    check(isinstance(value, dict), f"{what}: not a map")
    for key in required:
        check(key in value, f"{what}: '{key}' is missing")
    for key in value:
        check(key in required or key in optional, f"{what}: unexpected key '{key}'")
    for key, field in value.items():
        validator = required.get(key) or optional.get(key)
        if getattr(validator, "nested", False):
            validator(field, f"{what}.{key}")
        else:
            check(validator(field), f"{what}.{key}: bad value {field!r}")


@nested
def check_module(v, what):
    check_map(v, {"code": NONZERO_U32, "features": U32},
              {"units": U64, "text": tstr(256)}, what)


@nested
def check_borrow(v, what):
    check_map(v, {"days": lambda d: is_uint(d, 3660), "seats": U32}, {}, what)


PRODUCT_COMMON = {
    "units": U64,
    "expires": TIME,
    "active_from": TIME,
    "usage_period": lambda v: is_uint(v, 100 * 366 * 86400) and v > 0,
    "maintenance_until": TIME,
    "linger": lambda v: is_uint(v, 366 * 86400) and v > 0,
    "text": tstr(256),
    "protected": bstr(max_size=256),
    "hidden": bstr(max_size=256),
    "hidden_code": bstr(size=32),
    "checkpoint_days": lambda v: is_uint(v, 3660) and v > 0,
    "borrow": check_borrow,
    "modules": array_of(check_module, 64),
}


@nested
def check_product(v, what, summary=False):
    """A ProductItem as the writer emits it ("quantity" and "modes" always written)."""
    optional = dict(PRODUCT_COMMON, usage_started=TIME, last_checkpoint=TIME,
                    secret=bstr(size=32))
    if summary:  # contexts and receipts never carry these
        for key in ("secret", "hidden", "hidden_code"):
            check(key not in v, f"{what}: a context must not carry '{key}'")
    check_map(v, {"code": NONZERO_U32, "features": U32, "quantity": NONZERO_U32,
                  "modes": lambda m: is_uint(m, 0x0f) and m != 0},
              optional, what)


@nested
def check_patch(v, what):
    clearable = ["units", "expires", "active_from", "usage_period", "maintenance_until",
                 "checkpoint_days"]
    optional = dict(PRODUCT_COMMON, features=U32, quantity=NONZERO_U32,
                    modes=lambda m: is_uint(m, 0x0f) and m != 0,
                    linger=lambda s: is_uint(s, 366 * 86400),
                    text=tstr_or_empty(256), protected=bstr(max_size=256, min_size=0),
                    hidden=bstr(max_size=256, min_size=0),
                    clear=lambda c: isinstance(c, list) and 0 < len(c) <= 6
                    and all(x in clearable for x in c) and len(set(c)) == len(c))
    check_map(v, {}, optional, what)


OPERATIONS = {
    "add_firm_item": {"name": tstr(128), "key": bstr(size=32)},
    "add_product": {"item": check_product},
    "modify_product": {"code": NONZERO_U32, "patch": check_patch},
    "delete_product": {"code": NONZERO_U32},
    "set_units": {"code": NONZERO_U32, "units": U64},
    "add_units": {"code": NONZERO_U32, "delta": I64},
    "set_expiration": {"code": NONZERO_U32, "expires": TIME},
}


@nested
def check_operation(v, what):
    check(isinstance(v, dict) and v.get("op") in OPERATIONS, f"{what}: unknown operation")
    required = dict(OPERATIONS[v["op"]], fuc=lambda f: is_uint(f) and f >= 1, op=lambda o: True)
    check_map(v, required, {}, f"{what} ({v['op']})")


@nested
def check_binding(v, what):
    @nested
    def slot(s, w):
        check_map(s, {"kind": lambda k: k in (1, 2, 3, 4, 5),
                      "x": lambda x: is_uint(x, 255) and x >= 1,
                      "salt": bstr(size=16), "nonce": bstr(size=12), "ciphertext": bstr(size=48)},
                  {}, w)
    check_map(v, {"threshold": lambda k: is_uint(k, 255) and k >= 2,
                  "count": lambda n: is_uint(n, 255) and n >= 2,
                  "slots": array_of(slot, 64)}, {}, what)
    check(2 <= v["threshold"] <= v["count"], f"{what}: threshold outside 2..count")
    check(sorted({s["x"] for s in v["slots"]}) == list(range(1, v["count"] + 1)),
          f"{what}: share indexes are not 1..count")


# ---- Crypto building blocks ----

def ed25519_public(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519_public(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def hkdf_sha256(ikm, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def derive_product_secret(firm_secret, firm_code, product_code):
    info = firm_code.to_bytes(4, "big") + product_code.to_bytes(4, "big")
    return hkdf_sha256(firm_secret, PRODUCT_SECRET_SALT, info)


def gf_mul(a, b):
    product = 0
    for _ in range(8):
        if b & 1:
            product ^= a
        carry = a & 0x80
        a = (a << 1) & 0xff
        if carry:
            a ^= 0x1b
        b >>= 1
    return product


def gf_inverse(a):
    result = 1
    for _ in range(254):
        result = gf_mul(result, a)
    return result


def shamir_combine(shares):
    """Lagrange interpolation at 0 over GF(2^8) (AES polynomial), byte by byte."""
    secret = bytearray(len(shares[0][1]))
    for i, (xi, yi) in enumerate(shares):
        numerator, denominator = 1, 1
        for j, (xj, _) in enumerate(shares):
            if i != j:
                numerator = gf_mul(numerator, xj)
                denominator = gf_mul(denominator, xj ^ xi)
        basis = gf_mul(numerator, gf_inverse(denominator))
        for b in range(len(secret)):
            secret[b] ^= gf_mul(yi[b], basis)
    return bytes(secret)


# ---- Licet layers ----

def read(directory, name):
    path = os.path.join(directory, name)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise Failure(f"cannot read {path}: {error}")
    T.files.add(path)
    return data


def parse_envelope(data, expected_kind, what):
    """Returns (header, body value, body bytes). Refuses what a Licet reader refuses."""
    check(len(data) >= 5, f"{what}: truncated envelope")
    check(data[:3] == MAGIC, f"{what}: not a Licet file (no DA 4C 43)")
    kind, version = data[3], data[4]
    check(kind in KIND_NAMES, f"{what}: unknown file kind {kind}")
    check(version == FORMAT_VERSION, f"{what}: unsupported format version {version}")
    check(kind == expected_kind,
          f"{what}: expected a {KIND_NAMES[expected_kind]} file, got a {KIND_NAMES[kind]} file")
    whole = decode_exact(data, what)
    check(isinstance(whole, cbor2.CBORTag) and whole.tag == 0x4C430000 | kind << 8 | version,
          f"{what}: the file is not one CBOR tag 0x4C43{kind:02X}{version:02X}")
    body = data[5:]
    check(decode_exact(body, f"{what} body") == whole.value, f"{what}: body mismatch")
    return data[:5], whole.value, body


def envelope_header(kind):
    return MAGIC + bytes([kind, FORMAT_VERSION])


def verify_sign1(message, header, public_key, what, expected_sig_structure=None):
    """Checks the COSE_Sign1 profile and the signature; returns the payload bytes."""
    check(isinstance(message, cbor2.CBORTag) and message.tag == TAG_COSE_SIGN1,
          f"{what}: body is not a COSE_Sign1 (tag 18)")
    check(isinstance(message.value, list) and len(message.value) == 4,
          f"{what}: COSE_Sign1 is not an array of 4")
    protected, unprotected, payload, signature = message.value
    check(protected == PROTECTED_EDDSA, f"{what}: protected header is not A1 01 27 (alg EdDSA)")
    check(unprotected == {}, f"{what}: unprotected header is not empty")
    check(isinstance(payload, bytes), f"{what}: payload is not embedded")
    check(isinstance(signature, bytes) and len(signature) == 64, f"{what}: signature size")
    # RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload].
    sig_structure = cbor2.dumps(["Signature1", protected, header, payload])
    if expected_sig_structure is not None:
        check(sig_structure == expected_sig_structure,
              f"{what}: the Sig_structure built per RFC 9052 differs from the one Licet signed")
    key = Ed25519PublicKey.from_public_bytes(public_key)
    try:
        key.verify(signature, sig_structure)
    except InvalidSignature:
        raise Failure(f"{what}: EdDSA signature does not verify")
    T.checks += 1
    T.signatures += 1
    # The envelope header is external_aad: the body moved into another kind must not verify.
    other = envelope_header(KIND_RECEIPT if header[3] != KIND_RECEIPT else KIND_CONTEXT)
    expect_failure(lambda: key.verify(signature, cbor2.dumps(["Signature1", protected, other,
                                                               payload])),
                   InvalidSignature, f"{what}: signature also verifies under another file kind")
    flipped = bytearray(payload)
    flipped[len(flipped) // 2] ^= 1
    expect_failure(lambda: key.verify(signature, cbor2.dumps(["Signature1", protected, header,
                                                               bytes(flipped)])),
                   InvalidSignature, f"{what}: signature also verifies a changed payload")
    return payload


def open_cose_encrypt(sealed, header, private_key, expected_kid, what):
    """Checks the COSE_Encrypt profile and decrypts it; returns the plaintext."""
    message = decode_exact(sealed, what)
    check(isinstance(message, cbor2.CBORTag) and message.tag == TAG_COSE_ENCRYPT,
          f"{what}: not a COSE_Encrypt (tag 96)")
    check(isinstance(message.value, list) and len(message.value) == 4,
          f"{what}: COSE_Encrypt is not an array of 4")
    protected, unprotected, ciphertext, recipients = message.value
    check(protected == PROTECTED_A256GCM, f"{what}: protected header is not A1 01 03 (A256GCM)")
    check(set(unprotected) == {5} and len(unprotected[5]) == 12,
          f"{what}: unprotected header must be {{5: 12-byte IV}}")
    iv = unprotected[5]
    check(isinstance(ciphertext, bytes) and len(ciphertext) >= 16, f"{what}: ciphertext")
    check(isinstance(recipients, list) and len(recipients) == 1, f"{what}: one recipient")
    recipient = recipients[0]
    check(isinstance(recipient, list) and len(recipient) == 3, f"{what}: recipient is not [3]")
    r_protected, r_unprotected, r_ciphertext = recipient
    check(r_protected == PROTECTED_ECDH_ES_HKDF_256,
          f"{what}: recipient protected header is not A1 01 38 18 (ECDH-ES + HKDF-256)")
    check(set(r_unprotected) == {-1, 4}, f"{what}: recipient header must hold -1 and 4")
    check(r_unprotected[4] == expected_kid, f"{what}: kid is not the container serial")
    ephemeral = r_unprotected[-1]
    check(set(ephemeral) == {1, -1, -2} and ephemeral[1] == 1 and ephemeral[-1] == 4
          and len(ephemeral[-2]) == 32, f"{what}: ephemeral key is not an X25519 OKP key")
    check(r_ciphertext == b"", f"{what}: direct key agreement needs an empty recipient ciphertext")

    shared = X25519PrivateKey.from_private_bytes(private_key).exchange(
        X25519PublicKey.from_public_bytes(ephemeral[-2]))
    # RFC 9053 §5.2: COSE_KDF_Context = [AlgorithmID, PartyUInfo, PartyVInfo, SuppPubInfo].
    kdf_context = cbor2.dumps([ALG_A256GCM, [None, None, None], [None, None, None],
                               [256, r_protected]])
    content_key = hkdf_sha256(shared, None, kdf_context)
    # RFC 9052 §5.3: Enc_structure = ["Encrypt", protected, external_aad].
    aad = cbor2.dumps(["Encrypt", protected, header])
    try:
        plaintext = AESGCM(content_key).decrypt(iv, ciphertext, aad)
    except InvalidTag:
        raise Failure(f"{what}: A256GCM does not decrypt with the container key")
    T.checks += 1
    T.decryptions += 1
    other_aad = cbor2.dumps(["Encrypt", protected, envelope_header(KIND_CONTEXT)])
    expect_failure(lambda: AESGCM(content_key).decrypt(iv, ciphertext, other_aad), InvalidTag,
                   f"{what}: decrypts under another envelope header")
    return plaintext


# ---- File kinds ----

def check_firm_key(directory, name, passphrase=None):
    what = name
    header, body, _ = parse_envelope(read(directory, name), KIND_FIRM_KEY, what)
    public_fields = {"firm_code": NONZERO_U32, "name": tstr(128), "public_key": bstr(size=32),
                     "created": I64}
    if passphrase is None:
        check_map(body, dict(public_fields, secrets=bstr(max_size=1024)), {}, what)
        secrets_plain = body["secrets"]
    else:
        check_map(body, dict(public_fields, kdf=lambda k: k == "scrypt", salt=bstr(size=16),
                             nonce=bstr(size=12), sealed_secrets=bstr(max_size=1024)), {}, what)
        kek = Scrypt(salt=body["salt"], length=32, n=2**15, r=8, p=1).derive(passphrase)
        # AAD = envelope header || firm_code (4 bytes BE) || public_key.
        seal_aad = header + body["firm_code"].to_bytes(4, "big") + body["public_key"]
        try:
            secrets_plain = AESGCM(kek).decrypt(body["nonce"], body["sealed_secrets"], seal_aad)
        except InvalidTag:
            raise Failure(f"{what}: scrypt/AES-256-GCM does not open the secrets")
        T.decryptions += 1
        wrong = Scrypt(salt=body["salt"], length=32, n=2**15, r=8, p=1).derive(passphrase + b"!")
        other_code = header + (body["firm_code"] + 1).to_bytes(4, "big") + body["public_key"]
        expect_failure(lambda: AESGCM(kek).decrypt(body["nonce"], body["sealed_secrets"], other_code),
                       InvalidTag, f"{what}: opens with another firm code in its AAD")
        expect_failure(lambda: AESGCM(wrong).decrypt(body["nonce"], body["sealed_secrets"],
                                                     seal_aad),
                       InvalidTag, f"{what}: a wrong passphrase opens it")
    secrets = decode_payload(secrets_plain, f"{what} secrets")
    check_map(secrets, {"signing_key": bstr(size=32), "firm_secret": bstr(size=32)}, {},
              f"{what} secrets")
    check(ed25519_public(secrets["signing_key"]) == body["public_key"],
          f"{what}: public_key is not the public key of signing_key")
    return body, secrets


def check_context(directory, name, kind, sig_structure=None):
    what = name
    header, body, _ = parse_envelope(read(directory, name), kind, what)
    check(isinstance(body, cbor2.CBORTag) and isinstance(body.value, list)
          and len(body.value) == 4 and isinstance(body.value[2], bytes), f"{what}: not COSE_Sign1")
    # Self-signed: the key that verifies is the sig_key inside the payload.
    unverified = decode_payload(body.value[2], f"{what} payload")
    check("sig_key" in unverified and bstr(size=32)(unverified["sig_key"]), f"{what}: sig_key")
    payload = decode_payload(verify_sign1(body, header, unverified["sig_key"], what, sig_structure),
                             f"{what} payload")

    @nested
    def firm(v, w):
        check_map(v, {"firm_code": NONZERO_U32, "fuc": U64,
                      "products": array_of(nested(lambda p, pw: check_product(p, pw, summary=True)),
                                           1000)},
                  {"name": tstr(128), "firm_key": bstr(size=32)}, w)
        check((v["fuc"] == 0) == ("firm_key" not in v) == ("name" not in v),
              f"{w}: name and firm_key are present exactly when fuc > 0")

    check_map(payload, {"serial": tstr(24), "enc_key": bstr(size=32), "sig_key": bstr(size=32),
                        "time": I64, "certified_time": I64, "highest_time": I64,
                        "nonce": bstr(size=16), "firms": array_of(firm, 1000)}, {}, what)
    return payload


def check_update(directory, name, firm_public_key, container_private_key, serial):
    what = name
    header, body, _ = parse_envelope(read(directory, name), KIND_UPDATE, what)
    sig_structure = None
    if os.path.exists(os.path.join(directory, name + ".sig_structure")):
        sig_structure = read(directory, name + ".sig_structure")
    # Verified with the firm key the verifier trusts, never with the one the file names.
    payload = decode_payload(verify_sign1(body, header, firm_public_key, what, sig_structure),
                             f"{what} payload")
    check_map(payload, {"serial": tstr(24), "firm_code": NONZERO_U32,
                        "fuc_from": lambda f: is_uint(f) and f >= 1, "fuc_to": U64,
                        "certified_time": I64, "firm_key": bstr(size=32),
                        "recipient": bstr(size=32), "sealed": bstr(max_size=1 << 20)}, {}, what)
    check(payload["firm_key"] == firm_public_key, f"{what}: firm_key is not the signer's key")
    check(payload["serial"] == serial, f"{what}: made for another container")
    check(payload["recipient"] == x25519_public(container_private_key),
          f"{what}: recipient is not the container's X25519 key")
    # The sealed operations are bound to firm and container: external_aad = envelope header ||
    # firm_code (4 bytes BE) || serial.
    seal_aad = header + payload["firm_code"].to_bytes(4, "big") + payload["serial"].encode()
    plaintext = open_cose_encrypt(payload["sealed"], seal_aad, container_private_key,
                                  serial.encode(), f"{what} sealed")
    sealed = decode_payload(plaintext, f"{what} plaintext")
    check_map(sealed, {"ops": array_of(check_operation, 10000)}, {}, f"{what} plaintext")
    ops = sealed["ops"]
    check(len(ops) >= 1, f"{what}: no operation")
    check([op["fuc"] for op in ops] == list(range(payload["fuc_from"], payload["fuc_to"] + 1)),
          f"{what}: operation FUCs are not fuc_from..fuc_to, consecutive")
    return payload, ops


def check_container_file(directory, name, what=None):
    what = what or name
    header, body, _ = parse_envelope(read(directory, name), KIND_CONTAINER, what)
    check_map(body, {"public": bstr(max_size=1 << 20), "nonce": bstr(size=12),
                     "sealed": bstr(max_size=1 << 20)}, {}, what)
    public = decode_payload(body["public"], f"{what} public")
    check_map(public, {"serial": tstr(24), "created": I64, "enc_key": bstr(size=32),
                       "sig_key": bstr(size=32), "binding": check_binding}, {}, f"{what} public")
    return header, body, public


def open_bound_container(header, body, public, properties, what):
    """Opens the device binding with the given property values, then the sealed body.
    Returns the sealed plaintext map, or None when fewer than k shares open."""
    binding = public["binding"]
    shares = []
    for x in range(1, binding["count"] + 1):
        for slot in (s for s in binding["slots"] if s["x"] == x):
            info = SHARE_INFO + bytes([slot["kind"], x])
            for value in properties.get(slot["kind"], []):
                key = hkdf_sha256(value.encode(), slot["salt"], info)
                try:
                    shares.append((x, AESGCM(key).decrypt(slot["nonce"], slot["ciphertext"], info)))
                    break
                except InvalidTag:
                    continue
            if shares and shares[-1][0] == x:
                break
    if len(shares) < binding["threshold"]:
        # Fewer than k shares interpolate to an unrelated value: the body must not open.
        if len(shares) >= 1:
            wrong_master = shamir_combine(shares)
            body_key = hkdf_sha256(wrong_master, None, CONTAINER_BODY_INFO)
            expect_failure(lambda: AESGCM(body_key).decrypt(body["nonce"], body["sealed"],
                                                            header + body["public"]),
                           InvalidTag, f"{what}: opens with fewer than k shares")
        return None
    master = shamir_combine(shares[:binding["threshold"]])
    body_key = hkdf_sha256(master, None, CONTAINER_BODY_INFO)
    try:
        plain = AESGCM(body_key).decrypt(body["nonce"], body["sealed"], header + body["public"])
    except InvalidTag:
        raise Failure(f"{what}: the body does not open with the master secret from the binding")
    T.decryptions += 1
    return decode_payload(plain, f"{what} sealed")


def check_bound_container(directory):
    what = "bound-container.lcc"
    header, body, public = check_container_file(directory, what)
    props_json = json.loads(read(directory, "bound-container-props.json"))
    properties = {p["kind"]: p["values"] for p in props_json["properties"]}
    sealed = open_bound_container(header, body, public, properties, what)
    check(sealed is not None, f"{what}: the binding does not open with all properties")

    @nested
    def state(v, w):
        check_map(v, {"firms": lambda f: isinstance(f, list), "certified_time": TIME,
                      "highest_time": TIME}, {}, w)

    check_map(sealed, {"enc_private": bstr(size=32), "sig_private": bstr(size=32),
                       "generation": U64, "state": state}, {}, f"{what} sealed")
    check(x25519_public(sealed["enc_private"]) == public["enc_key"],
          f"{what}: enc_private does not match enc_key")
    check(ed25519_public(sealed["sig_private"]) == public["sig_key"],
          f"{what}: sig_private does not match sig_key")
    # k of n: one property changed still opens; one value of a multi-valued one suffices.
    k = public["binding"]["threshold"]
    one_changed = dict(properties)
    one_changed[1] = ["00112233445566778899aabbccddeeff"]
    one_changed[3] = properties[3][-1:]
    check(open_bound_container(header, body, public, one_changed, what) is not None,
          f"{what}: does not open with one property changed (k = {k})")
    too_few = {kind: values for kind, values in properties.items() if kind in (3, 5)}
    check(open_bound_container(header, body, public, too_few, what) is None,
          f"{what}: opens with only 2 matching properties (k = {k})")
    tampered = dict(body, public=body["public"][:-1] + bytes([body["public"][-1] ^ 1]))
    expect_failure(lambda: open_bound_container(header, tampered, public, properties, what),
                   Failure, f"{what}: opens with a modified public part")


def check_sample_dir(directory):
    serial = read(directory, "serial.txt").decode()
    enc_private = read(directory, "container-enc.key")
    check(len(enc_private) == 32, "container-enc.key must be 32 bytes")
    passphrase = read(directory, "firm-passphrase.txt")

    firm, secrets = check_firm_key(directory, "firm.key")
    firm2, secrets2 = check_firm_key(directory, "firm-protected.key", passphrase)
    check(firm2["public_key"] == firm["public_key"] and secrets2 == secrets,
          "firm-protected.key does not hold the key of firm.key")
    check(firm["firm_code"] == SAMPLE_FIRM, "firm.key: firm code")

    _, _, container = check_container_file(directory, "container.lcc")
    check(container["serial"] == serial, "container.lcc: serial")
    check(container["enc_key"] == x25519_public(enc_private),
          "container.lcc: enc_key is not the public key of container-enc.key")

    context = check_context(directory, "context", KIND_CONTEXT,
                            read(directory, "context.sig_structure"))
    check(context["serial"] == serial, "context: serial")
    check(context["sig_key"] == container["sig_key"] and context["enc_key"] == container["enc_key"],
          "context: keys differ from the container file's")
    check(context["firms"] == [{"firm_code": SAMPLE_FIRM, "fuc": 0, "products": []}],
          "context: expected firm 6000010 at FUC 0 without products")

    update, ops = check_update(directory, "update", firm["public_key"], enc_private, serial)
    check(update["firm_code"] == SAMPLE_FIRM and update["fuc_from"] == 1 and update["fuc_to"] == 2,
          "update: expected firm 6000010, FUC 1..2")
    check(ops[0] == {"fuc": 1, "op": "add_firm_item", "name": firm["name"],
                     "key": firm["public_key"]},
          "update: the first operation does not add the firm item with the firm's key")
    check(ops[1]["op"] == "add_product", "update: the second operation is not add_product")
    item = ops[1]["item"]
    check(item["code"] == SAMPLE_PRODUCT and item["features"] == 3 and item["units"] == 100
          and item["quantity"] == 5 and item["modes"] == 7 and item["linger"] == 60
          and item["text"] == "Sample App" and item["protected"] == b"\x01\x02\x03"
          and item["hidden"] == b"\x09\x08\x07"
          and item["borrow"] == {"days": 7, "seats": 2}
          and item["modules"] == [{"code": SAMPLE_MODULE, "features": 1, "units": 10,
                                   "text": "Sample Module"}],
          "update: the product item differs from the one make_sample_files added")
    check(item["hidden_code"] == hashlib.sha256(b"hidden-access-code").digest(),
          "update: hidden_code is not SHA-256 of the access code")
    check(item["secret"] == derive_product_secret(secrets["firm_secret"], SAMPLE_FIRM,
                                                  SAMPLE_PRODUCT),
          "update: secret is not the product secret derived from the firm secret")

    receipt = check_context(directory, "receipt", KIND_RECEIPT)
    check(receipt["sig_key"] == context["sig_key"], "receipt: signed by another key")
    [entry] = receipt["firms"]
    check(entry["fuc"] == 2 and entry["firm_key"] == firm["public_key"]
          and entry["name"] == firm["name"], "receipt: firm item after the import")
    [summary] = entry["products"]
    check(summary["code"] == SAMPLE_PRODUCT and summary["protected"] == b"\x01\x02\x03"
          and summary["last_checkpoint"] == update["certified_time"],
          "receipt: product summary after the import")

    update2, ops2 = check_update(directory, "update2", firm["public_key"], enc_private, serial)
    check([op["op"] for op in ops2] == ["modify_product", "set_units", "add_units",
                                        "set_expiration", "add_product", "delete_product"],
          "update2: operation kinds")
    check(update2["fuc_from"] == 3, "update2: continues at FUC 3")
    check(ops2[0]["patch"].get("clear") == ["usage_period"] and ops2[2]["delta"] == -10,
          "update2: patch clear list or negative delta")
    check("secret" in ops2[4]["item"], "update2: added product has no secret")
    receipt2 = check_context(directory, "receipt2", KIND_RECEIPT)
    [entry2] = receipt2["firms"]
    check(entry2["fuc"] == 8 and [p["code"] for p in entry2["products"]] == [SAMPLE_PRODUCT]
          and entry2["products"][0]["units"] == 90
          and entry2["products"][0]["modules"][0]["units"] == 50
          and "usage_period" not in entry2["products"][0],
          "receipt2: state after update2")

    check_bound_container(directory)
    return serial, enc_private


def check_cli_dir(directory, serial, enc_private):
    firm, secrets = check_firm_key(directory, "firm.key")
    check(firm["firm_code"] == CLI_FIRM, "cli firm.key: firm code")
    context = check_context(directory, "context", KIND_CONTEXT)
    check(context["serial"] == serial, "cli context: serial")
    update, ops = check_update(directory, "update", firm["public_key"], enc_private, serial)
    check(ops[0]["op"] == "add_firm_item" and ops[0]["key"] == firm["public_key"],
          "cli update: first operation")
    check(ops[1]["op"] == "add_product" and ops[1]["item"]["code"] == CLI_PRODUCT
          and ops[1]["item"]["secret"] == derive_product_secret(secrets["firm_secret"], CLI_FIRM,
                                                                 CLI_PRODUCT),
          "cli update: added product and its derived secret")


def version_of(package):
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sample_dir")
    parser.add_argument("--cli-dir")
    args = parser.parse_args()
    try:
        serial, enc_private = check_sample_dir(args.sample_dir)
        if args.cli_dir:
            check_cli_dir(args.cli_dir, serial, enc_private)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print(f"thirdparty_verify: OK: {len(T.files)} files, {T.checks} checks, "
          f"{T.signatures} COSE_Sign1 signatures verified and {T.decryptions} decryptions "
          f"(COSE_Encrypt, scrypt firm key, device-bound container) with stock cbor2 "
          f"{version_of('cbor2')} and cryptography {version_of('cryptography')}"
          + (", including files written by the licet CLI" if args.cli_dir else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
