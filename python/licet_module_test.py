"""Unit tests of the licet Python module against the in-process stand-in for licetd
(build/tests/fake-licetd, whose crypt is a toy cipher, not AES). They check the Python layer:
argument handling, exceptions, context manager, threads. tests/client/test_python_module.py
runs the same API against a real licetd.

Run: PYTHONPATH=build/python LICET_FAKE_LICETD=build/tests/fake-licetd \
     /usr/bin/python3 -m unittest python/licet_module_test.py
"""

import datetime
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import licet


def setUpModule():
    global _fake, _dir
    _dir = tempfile.TemporaryDirectory()
    path_file = os.path.join(_dir.name, "path")
    _fake = subprocess.Popen([os.environ["LICET_FAKE_LICETD"], path_file], stdin=subprocess.PIPE)
    def read():
        try:
            with open(path_file) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    for _ in range(500):
        if read().endswith("\n"):
            break
        time.sleep(0.01)
    os.environ["LICET_SOCKET"] = read().strip()


def tearDownModule():
    _fake.stdin.close()
    _fake.wait(timeout=10)
    _dir.cleanup()


FIRM, PRODUCT = 6000010, 201010


class AccessTest(unittest.TestCase):
    def test_context_manager_releases(self):
        with licet.access(firm_code=FIRM, product_code=PRODUCT) as lic:
            self.assertFalse(lic.released)
            self.assertEqual(lic.info.product_code, PRODUCT)
        self.assertTrue(lic.released)
        with self.assertRaises(licet.InvalidArgumentError) as ctx:
            lic.info
        self.assertEqual(ctx.exception.code, licet.ERROR_INVALID_ARGUMENT)
        lic.release()  # idempotent

    def test_context_manager_releases_on_exception(self):
        with self.assertRaises(RuntimeError):
            with licet.access(FIRM, PRODUCT) as lic:
                raise RuntimeError("app failure")
        self.assertTrue(lic.released)

    def test_info(self):
        with licet.access(FIRM, PRODUCT) as lic:
            info = lic.info
            self.assertEqual(info.serial, "130-1166426881")
            self.assertEqual(info.firm_code, FIRM)
            self.assertEqual(info.text, "Sample App")
            self.assertEqual(info.protected_data, b"\x01\x02\x03")
            self.assertIsNone(info.activation_time)
            self.assertEqual(info.expiration, 1893456000)
            self.assertEqual(info.as_dict()["feature_map"], 3)
            self.assertIn("Sample App", repr(info))

    def test_arguments(self):
        for kwargs in (
            dict(mode="station-share"),
            dict(mode=licet.MODE_EXCLUSIVE),
            dict(where="local"),
            dict(release_date=datetime.date(2024, 1, 1)),
            dict(release_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)),
            dict(release_date=1700000000),
            dict(serial="130-1166426881"),
            dict(firm_key=bytes(32)),
            dict(firm_key="00" * 32),
        ):
            with self.subTest(kwargs=kwargs):
                licet.access(FIRM, PRODUCT, **kwargs).release()
        for kwargs in (
            dict(mode="shared"),
            dict(mode=3),
            dict(where="moon"),
            dict(firm_key=bytes(31)),
            dict(firm_key="zz"),
            dict(serial=""),
        ):
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(licet.InvalidArgumentError) as ctx:
                    licet.access(FIRM, PRODUCT, **kwargs)
                self.assertIsInstance(ctx.exception, ValueError)
                self.assertEqual(ctx.exception.code, 1)
        with self.assertRaises(TypeError):
            licet.access(FIRM, PRODUCT, release_date="tomorrow")
        with self.assertRaises(TypeError):
            licet.access(FIRM, PRODUCT, mode=1.5)
        with self.assertRaises(TypeError):
            licet.access(FIRM, -1)


class ErrorTest(unittest.TestCase):
    def test_codes_pick_subclasses(self):
        with self.assertRaises(licet.NotFoundError) as ctx:
            licet.access(FIRM, 12345)
        self.assertEqual(ctx.exception.code, licet.ERROR_ENTRY_NOT_FOUND)
        self.assertEqual(ctx.exception.message, "no product 12345")
        self.assertIn("no product 12345", str(ctx.exception))
        with self.assertRaises(licet.FeatureMissingError) as ctx:
            licet.access(FIRM, PRODUCT, feature_code=0x10)
        self.assertEqual(ctx.exception.code, 33)

    def test_hierarchy_and_pickling(self):
        for cls, code in (
            (licet.ExpiredError, 35),
            (licet.UnitCounterZeroError, 32),
            (licet.UnavailableError, 15),
            (licet.NoMoreLicensesError, 212),
        ):
            err = cls(code, "why")
            self.assertIsInstance(err, licet.LicetError)
            back = pickle.loads(pickle.dumps(err))
            self.assertIs(type(back), cls)
            self.assertEqual((back.code, back.message), (code, "why"))

    def test_unavailable_names_the_socket(self):
        # A fresh process: this one keeps its connection to the stand-in open.
        code = (
            "import licet\n"
            "try:\n"
            "    licet.access(6000010, 201010)\n"
            "except licet.UnavailableError as e:\n"
            "    print(e.code, e.message)\n"
        )
        env = dict(os.environ, LICET_SOCKET="/tmp/licet-python-test-missing.sock")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("15 "), out.stdout)
        self.assertIn("/tmp/licet-python-test-missing.sock", out.stdout)
        self.assertIn("start licetd", out.stdout)


class CryptTest(unittest.TestCase):
    def test_round_trips(self):
        with licet.access(FIRM, PRODUCT) as lic:
            data = bytes(range(16))
            enc = lic.encrypt(data, encryption_code=7)
            ciphertext, iv, tag = enc
            self.assertEqual((len(ciphertext), len(iv), len(tag)), (16, 12, 16))
            self.assertNotEqual(ciphertext, data)
            self.assertEqual(lic.decrypt(ciphertext, iv, tag, encryption_code=7), data)
            self.assertEqual(lic.decrypt(enc, encryption_code=7), data)
            with self.assertRaises(licet.DecryptFailedError):
                lic.decrypt(ciphertext, iv, tag, encryption_code=8)
            self.assertEqual(lic.crypt_direct(lic.crypt_direct(data, iv), iv), data)
            self.assertEqual(lic.encrypt(bytearray(data), iv=iv, encryption_code=7).ciphertext, ciphertext)
            self.assertEqual(lic.encrypt(memoryview(data), iv=iv, encryption_code=7).ciphertext, ciphertext)
            self.assertNotEqual(lic.encrypt(data).iv, lic.encrypt(data).iv, "random iv by default")

    def test_bad_crypt_arguments(self):
        with licet.access(FIRM, PRODUCT) as lic:
            with self.assertRaises(TypeError):
                lic.encrypt("text")
            with self.assertRaises(licet.InvalidArgumentError):
                lic.encrypt(b"x", iv=b"short")
            with self.assertRaises(licet.InvalidArgumentError):
                lic.decrypt(b"x", bytes(12), bytes(15))

    def test_units(self):
        with licet.access(FIRM, PRODUCT) as lic:
            left = lic.decrement_units()
            self.assertEqual(lic.decrement_units(2), left - 2)
            with self.assertRaises(licet.UnitCounterZeroError) as ctx:
                lic.decrement_units(10**6)
            self.assertEqual(ctx.exception.code, 32)
            with self.assertRaises(licet.InvalidArgumentError):
                lic.decrement_units(0)


class ThreadTest(unittest.TestCase):
    def test_release_waits_for_calls_in_other_threads(self):
        lic = licet.access(FIRM, PRODUCT)
        errors = []

        def work():
            try:
                for _ in range(50):
                    lic.crypt_direct(b"0123456789", bytes(12))
            except licet.InvalidArgumentError:
                pass  # released meanwhile: refused cleanly
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        lic.release()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class ListTest(unittest.TestCase):
    def test_list(self):
        doc = licet.list()
        self.assertEqual(doc["containers"][0]["serial"], "130-1166426881")

    def test_version(self):
        self.assertEqual(licet.__version__, licet.version())
        self.assertEqual(licet.strerror(35), "license expired")


if __name__ == "__main__":
    unittest.main()
