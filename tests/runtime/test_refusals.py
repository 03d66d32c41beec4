"""Refusals at access, from a real licetd, each with its own code and message, through the C
API (licet_access / licet_errmsg, in a separate process) and through the Python module (an
exception class per code carrying `code` and `message`):

    expired 35, not yet active 37, clock set back 38, feature missing 33, unknown product 200

The state dir holds two containers. Container A: the sample product 201010 (features 0x3,
expires in a year), 201060 expired at 2020-01-01, 201061 active from 2099-01-01. Container B was last written
by a vendor tool and an import running two days ahead (faketime +2d), so its newest time seen
is two days ahead of the real clock: its time-limited item 201062 reports a clock set back.
"""

import os
import sys
import unittest

import runtime_harness as h

SAMPLE, EXPIRED, NOT_YET_ACTIVE, CLOCK_SKEWED, UNKNOWN = 201010, 201060, 201061, 201062, 999999

# (name, product, feature code, code, Python exception class name, words the message has)
CASES = [
    ("expired", EXPIRED, 0, 35, "ExpiredError", ["expired"]),
    ("not yet active", NOT_YET_ACTIVE, 0, 37, "NotYetActiveError", ["activ"]),
    ("clock set back", CLOCK_SKEWED, 0, 38, "ClockSetBackError", ["clock"]),
    ("feature missing", SAMPLE, 0x4, 33, "FeatureMissingError", ["feature"]),
    ("unknown product", UNKNOWN, 0, 200, "NotFoundError", [str(UNKNOWN)]),
]


def setUpModule():
    global home, licetd
    home = h.Home("refusals")
    a = home.create_container()
    b = home.create_container()
    home.issue(a, SAMPLE, "--text", "Sample App", "--feature-map", "0x3", "--expiration", "365d")
    home.issue(a, EXPIRED, "--text", "Expired", "--expiration", "2020-01-01")
    home.issue(a, NOT_YET_ACTIVE, "--text", "Later", "--activation-time", "2099-01-01")
    home.issue(b, CLOCK_SKEWED, "--text", "Skewed", "--expiration", "365d", faketime="+2d")
    os.environ["LICET_SOCKET"] = home.socket  # for the Python module in this process
    licetd = h.Licetd(home).start()


def tearDownModule():
    if licetd.proc is not None:
        licetd.stop()
    h.cleanup_all()
    home.cleanup()


class RefusalTest(unittest.TestCase):
    def tearDown(self):
        if sys.exc_info()[0] is not None:
            print(licetd.tail(), file=sys.stderr)

    def test_sample_product_is_granted(self):
        # The refusals below are about the items, not a broken setup.
        self.assertEqual(h.try_access(home, SAMPLE, 0x3), (0, ""))

    def test_c_api_codes_and_messages(self):
        messages = {}
        for name, product, feature, want, _, words in CASES:
            with self.subTest(name):
                code, message = h.try_access(home, product, feature)
                print(f"  C API, {name}: code {code}: {message}")
                self.assertEqual(code, want, f"{name}: {message}")
                for word in words:
                    self.assertIn(word, message.lower(), f"{name}: {message}")
                messages[name] = message
        self.assertEqual(len(set(messages.values())), len(CASES), f"messages are not distinct: {messages}")

    def test_python_exceptions(self):
        licet = h.python_module()
        if licet is None:
            self.skipTest("the licet Python module is not built")
        messages = {}
        for name, product, feature, want, class_name, words in CASES:
            with self.subTest(name):
                with self.assertRaises(getattr(licet, class_name)) as ctx:
                    licet.access(h.FIRM, product, feature)
                e = ctx.exception
                self.assertIsInstance(e, licet.LicetError)
                self.assertEqual(e.code, want, f"{name}: {e}")
                for word in words:
                    self.assertIn(word, e.message.lower(), f"{name}: {e.message}")
                # The same verdict and message as the C API gives (both come from licetd).
                self.assertEqual(e.message, h.try_access(home, product, feature)[1])
                messages[name] = e.message
        self.assertEqual(len(set(messages.values())), len(CASES), f"messages are not distinct: {messages}")

    def test_strerror_texts_are_distinct(self):
        licet = h.python_module()
        if licet is None:
            self.skipTest("the licet Python module is not built")
        texts = {licet.strerror(case[3]) for case in CASES}
        self.assertEqual(len(texts), len(CASES), texts)


if __name__ == "__main__":
    h.check_binaries()
    unittest.main(verbosity=2)
