"""`licet access --firm-code F --product-code P [--feature-code X] [--mode M]` end to end:
the CLI asks a real licetd for the access (every check happens there), prints the item,
releases the lease when it ends, and refuses with exit 1 and one line naming the reason.
Skips (77) when the licet CLI has no `access` command.
"""

import json
import subprocess
import sys
import unittest

import runtime_harness as h

SAMPLE, EXPIRED, ONE_SEAT = 201010, 201060, 201070


def setUpModule():
    global home, licetd
    home = h.Home("cli-access")
    serial = home.create_container()
    home.issue(serial, SAMPLE, "--text", "Sample App", "--feature-map", "0x3", "--units", "10",
               "--expiration", "365d")
    home.issue(serial, EXPIRED, "--text", "Expired", "--expiration", "2020-01-01")
    home.issue(serial, ONE_SEAT, "--text", "One seat", "--license-quantity", "1")
    licetd = h.Licetd(home)


def tearDownModule():
    if licetd.proc is not None:
        licetd.stop()
    h.cleanup_all()
    home.cleanup()


def access(*args):
    return home.cli("access", "--firm-code", str(h.FIRM), *args, check=False, timeout=60)


class CliAccessTest(unittest.TestCase):
    def setUp(self):
        if licetd.proc is None:
            licetd.start()

    def tearDown(self):
        h.cleanup_children()
        if sys.exc_info()[0] is not None:
            print(licetd.tail(), file=sys.stderr)

    def assert_refused(self, out, *words):
        self.assertEqual(out.returncode, 1, f"stdout: {out.stdout}\nstderr: {out.stderr}")
        lines = out.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"one line expected: {out.stderr}")
        for word in words:
            self.assertIn(word, lines[0].lower())

    def test_granted_prints_the_item(self):
        out = access("--product-code", str(SAMPLE), "--feature-code", "0x3")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Sample App", out.stdout)
        self.assertIn(str(SAMPLE), out.stdout)

    def test_json(self):
        out = access("--product-code", str(SAMPLE), "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        doc = json.loads(out.stdout)
        self.assertEqual(doc["item"]["product_code"], SAMPLE)
        self.assertEqual(doc["item"]["unit_counter"], 10)

    def test_refusals(self):
        self.assert_refused(access("--product-code", str(SAMPLE), "--feature-code", "4"), "feature")
        self.assert_refused(access("--product-code", str(EXPIRED)), "expired")
        self.assert_refused(access("--product-code", "999999"), "999999")

    def test_modes_and_release(self):
        # The CLI's lease ends with the command: the only seat is free again afterwards.
        for mode in ("user-limit", "exclusive", "station-share"):
            out = access("--product-code", str(ONE_SEAT), "--mode", mode)
            self.assertEqual(out.returncode, 0, f"{mode}: {out.stderr}")
        self.assertEqual(h.try_access(home, ONE_SEAT)[0], 0)
        holder = h.Holder(home, ONE_SEAT, 1)
        self.assertEqual(holder.code, 0, holder.message)
        self.assert_refused(access("--product-code", str(ONE_SEAT)))  # no seat left (212)
        self.assert_refused(access("--product-code", str(ONE_SEAT), "--mode", "exclusive"))  # 213
        holder.release()
        self.assertEqual(access("--product-code", str(ONE_SEAT), "--mode", "exclusive").returncode, 0)

    def test_bad_mode(self):
        out = access("--product-code", str(SAMPLE), "--mode", "bogus")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("mode", out.stderr.lower())

    def test_without_licetd(self):
        self.assertEqual(licetd.stop(), 0)
        self.assert_refused(access("--product-code", str(SAMPLE)), "licetd")


if __name__ == "__main__":
    h.check_binaries()
    probe = subprocess.run([h.LICET, "access", "--help"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        print("SKIP: this licet has no `access` command")
        sys.exit(77)
    unittest.main(verbosity=2)
