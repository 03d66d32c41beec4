#!/usr/bin/env python3
"""check_license.py: the access / crypt / release flow of a protected program, in Python.

    check_license.py [FIRM_CODE [PRODUCT_CODE]]      (default: 6000010 201010)

CodeMeter users know this flow as CmAccess2 / CmCrypt2 / CmRelease: access the product
through the local licetd, read the product item, encrypt 16 bytes with the license's key
(AES-256-GCM), decrypt them back, and release the license (here: at the end of the with
block). Exit code 0 on success; on failure one line on stderr and exit code 1.
Needs the `licet` module on PYTHONPATH (build/python).
"""

import sys

import licet


def main(argv: list[str]) -> int:
    try:
        codes = [int(a) for a in argv[1:3]]
    except ValueError:
        codes = None
    if codes is None or len(argv) > 3 or any(not 0 <= c <= 0xFFFFFFFF for c in codes):
        print("usage: check_license.py [FIRM_CODE [PRODUCT_CODE]] (decimal uint32 codes)", file=sys.stderr)
        return 2
    firm_code, product_code = (codes + [6000010, 201010][len(codes):])[:2]

    try:
        with licet.access(firm_code=firm_code, product_code=product_code) as lic:  # CmAccess2
            info = lic.info
            print(f"product item {info.firm_code}:{info.product_code} in container {info.serial}")
            print(f"  text               {info.text}")
            print(f"  feature map        {info.feature_map:#x}")
            if info.unit_counter is not None:
                print(f"  unit counter       {info.unit_counter}")
            if info.expiration is not None:
                print(f"  expiration         {info.expiration}")

            original = b"Licet example!!\0"  # 16 bytes
            ciphertext, iv, tag = lic.encrypt(original, encryption_code=42)  # CmCrypt2, encrypt
            print(f"encrypted 16 bytes: {ciphertext.hex(' ')}")
            if lic.decrypt(ciphertext, iv, tag, encryption_code=42) != original:  # CmCrypt2, decrypt
                print("check_license.py: decryption did not give back the original bytes", file=sys.stderr)
                return 1
            print("decrypted: the original bytes are back")
        print("released")  # CmRelease: leaving the with block released the license
        return 0
    except licet.LicetError as e:
        print(f"check_license.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
