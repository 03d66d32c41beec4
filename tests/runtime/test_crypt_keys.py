"""licet_crypt keys (DESIGN §3, docs/PROTOCOL.md "Key derivation of crypt") across containers
and licetd instances.

Three state dirs, each with its own container and its own licetd:
  A and B: product 201010 issued with the same firm key (same firm secret, so the same
           derived product secret);
  C:       product 201010 issued with another firm key of the same firm code.
Encrypting the same bytes with the same iv gives the same ciphertext and tag on A and B, and
each decrypts the other's; another encryption code, another feature code or another secret
(C) gives another key: other ciphertext, and decryption fails with code 6. Through the C API
(licet-runtime-client crypt) and, across languages, the Python module.
"""

import subprocess
import sys
import unittest

import runtime_harness as h

PRODUCT = 201010
IV = "000102030405060708090a0b"
DATA = "4c69636574206578616d706c65212100" * 4  # 64 bytes


def setUpModule():
    global homes, daemons
    homes, daemons = {}, {}
    vendor = h.Home("vendor")
    key_1 = vendor.firm_key("firm-1.key")
    key_2 = vendor.firm_key("firm-2.key")
    homes["vendor"] = vendor
    for name, key in (("A", key_1), ("B", key_1), ("C", key_2)):
        home = h.Home(f"crypt{name}")
        serial = home.create_container()
        home.issue(serial, PRODUCT, "--text", "Sample App", "--feature-map", "0x3", firm_key=key)
        homes[name] = home
        daemons[name] = h.Licetd(home).start()


def tearDownModule():
    for d in daemons.values():
        if d.proc is not None:
            d.stop()
    h.cleanup_all()
    for home in homes.values():
        home.cleanup()


def crypt(name, op, encryption_code, feature, data, tag=None):
    """(code, data hex, tag hex) from licet_crypt on container `name`."""
    args = ["crypt", h.FIRM, PRODUCT, op, encryption_code, feature, IV, data] + ([tag] if tag else [])
    out = h.run_client(homes[name], *args)
    if out.returncode != 0:
        raise AssertionError(f"crypt exited {out.returncode}: {out.stderr}")
    fields = dict(w.split("=", 1) for w in out.stdout.split()[:3])
    return int(fields["code"]), fields["data"], fields["tag"]


class CryptKeyTest(unittest.TestCase):
    def tearDown(self):
        if sys.exc_info()[0] is not None:
            for name, d in daemons.items():
                print(f"--- licetd {name}\n{d.tail()}", file=sys.stderr)

    def encrypt(self, name, encryption_code=42, feature=0):
        code, data, tag = crypt(name, 1, encryption_code, feature, DATA)
        self.assertEqual(code, 0)
        self.assertNotEqual(data, DATA)
        self.assertEqual(len(data), len(DATA))
        self.assertEqual(len(tag), 32)
        return data, tag

    def test_same_product_same_key_on_two_containers(self):
        self.assertNotEqual(daemons["A"].pid, daemons["B"].pid)
        a, b = self.encrypt("A"), self.encrypt("B")
        self.assertEqual(a, b)
        self.assertEqual(crypt("B", 2, 42, 0, a[0], a[1]), (0, DATA, ""))
        self.assertEqual(crypt("A", 2, 42, 0, b[0], b[1]), (0, DATA, ""))
        direct_a, direct_b = crypt("A", 3, 7, 0, DATA), crypt("B", 3, 7, 0, DATA)
        self.assertEqual(direct_a, direct_b)
        self.assertEqual(direct_a[0], 0)
        self.assertEqual(crypt("B", 3, 7, 0, direct_a[1]), (0, DATA, ""))  # CTR is its own inverse

    def test_other_encryption_code_other_key(self):
        a42, a43 = self.encrypt("A", 42), self.encrypt("A", 43)
        self.assertNotEqual(a42[0], a43[0])
        self.assertEqual(crypt("B", 2, 43, 0, a42[0], a42[1])[0], 6)
        self.assertNotEqual(crypt("A", 3, 42, 0, DATA)[1], crypt("A", 3, 43, 0, DATA)[1])

    def test_other_feature_code_other_key(self):
        by_feature = {f: self.encrypt("A", 42, f) for f in (0, 1, 2, 3)}
        self.assertEqual(len({c for c, _ in by_feature.values()}), 4)
        self.assertEqual(self.encrypt("B", 42, 1), by_feature[1])
        self.assertEqual(crypt("B", 2, 42, 2, by_feature[1][0], by_feature[1][1])[0], 6)
        self.assertEqual(crypt("A", 1, 42, 4, DATA)[0], 33)  # an unlicensed feature: no key

    def test_other_secret_other_key(self):
        a, c = self.encrypt("A"), self.encrypt("C")
        self.assertNotEqual(a[0], c[0])
        self.assertEqual(crypt("C", 2, 42, 0, a[0], a[1])[0], 6)

    def test_shared_memory_and_socket_agree_on_large_buffers(self):
        # 40 KiB: above liblicet's shared-memory threshold (16 KiB), within one argv string.
        big = bytes(range(256)).hex() * 160
        results = {}
        for shm in ("1", "0"):
            homes["A"].env["LICET_SHM"] = shm
            try:
                enc = crypt("A", 1, 42, 0, big)
                self.assertEqual(enc[0], 0)
                dec = crypt("A", 2, 42, 0, enc[1], enc[2])
                bad_tag = crypt("A", 2, 42, 0, enc[1], "00" * 16)
                direct = crypt("A", 3, 7, 0, big)
                results[shm] = (enc, dec, bad_tag[0], direct)
            finally:
                del homes["A"].env["LICET_SHM"]
        self.assertEqual(results["1"], results["0"])
        enc, dec, bad_tag_code, direct = results["1"]
        self.assertEqual(dec, (0, big, ""))
        self.assertEqual(bad_tag_code, 6)
        self.assertNotEqual(enc[1], big)
        self.assertEqual(crypt("B", 3, 7, 0, direct[1]), (0, big, ""))  # and B agrees over the socket

    def test_python_module_agrees_with_the_c_api(self):
        if h.python_module() is None:
            self.skipTest("the licet Python module is not built")
        ciphertext, tag = self.encrypt("A")
        script = (
            "import sys, licet\n"
            "with licet.access(firm_code=%d, product_code=%d) as lic:\n"
            "    enc = lic.encrypt(bytes.fromhex(sys.argv[1]), encryption_code=42, iv=bytes.fromhex(sys.argv[2]))\n"
            "    print(enc.ciphertext.hex(), enc.tag.hex())\n"
            "    print(lic.decrypt(bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[2]),"
            " bytes.fromhex(sys.argv[4]), encryption_code=42).hex())\n" % (h.FIRM, PRODUCT))
        out = subprocess.run([sys.executable, "-c", script, DATA, IV, ciphertext, tag], env=homes["B"].env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.split("\n")
        self.assertEqual(lines[0], f"{ciphertext} {tag}")  # Python on B == C on A
        self.assertEqual(lines[1], DATA)


if __name__ == "__main__":
    h.check_binaries()
    unittest.main(verbosity=2)
