"""The licet Python module against a real licetd.

setUpModule builds a LICET_HOME with the licet CLI (firm 6000010; product 201010 with
features 0x3 and 100 units; product 201011 with 1 unit) and starts licetd on a temporary
socket; the tests restart it once. Skipped when build/bin has no licetd.

Run: LICET_BIN_DIR=build/bin PYTHONPATH=build/python /usr/bin/python3 -m unittest \
     tests/client/test_python_module.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import licet

FIRM, PRODUCT, ONE_UNIT = 6000010, 201010, 201011
BIN = os.environ.get("LICET_BIN_DIR", "")
LICETD = os.path.join(BIN, "licetd")


class Licetd:
    """A licetd process over a temporary state directory."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="licet-pytest-")
        self.home = os.path.join(self.work, "home")
        self.socket = os.path.join(self.work, "licetd.sock")
        self.log = os.path.join(self.work, "licetd.log")
        self.env = dict(os.environ, LICET_HOME=self.home, LICET_SOCKET=self.socket)
        self.proc = None
        self.serial = self._cli("container", "create").strip()
        self._cli("firm", "init", "--firm-code", str(FIRM), "--name", "Sample Company", "-o", self._path("firm.key"))
        self._issue(PRODUCT, "--text", "Sample App", "--feature-map", "0x3", "--units", "100", "--expiration", "365d")
        self._issue(ONE_UNIT, "--text", "One Unit", "--units", "1")

    def _path(self, name):
        return os.path.join(self.work, name)

    def _cli(self, *args):
        out = subprocess.run([os.path.join(BIN, "licet"), *args], env=self.env, capture_output=True, text=True,
                             timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"licet {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def _issue(self, product, *options):
        self._cli("context", "--serial", self.serial, "--firm-code", str(FIRM), "-o", self._path("r.context"))
        self._cli("update", "create", "--firm-key", self._path("firm.key"), "--context", self._path("r.context"),
                  "--add-product", str(product), *options, "-o", self._path("u.update"))
        self._cli("import", self._path("u.update"))

    def start(self):
        args = [LICETD, "--socket", self.socket, "--home", self.home, "--admin-listen", "off"]
        help_text = subprocess.run([LICETD, "--help"], capture_output=True, text=True).stdout
        if "--foreground" in help_text:
            args.append("--foreground")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=log)
        for _ in range(200):
            if os.path.exists(self.socket):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"licetd did not start: {self.tail()}")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def tail(self):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-20:])
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)


daemon = None


def setUpModule():
    global daemon
    if not os.access(LICETD, os.X_OK):
        raise unittest.SkipTest(f"{LICETD} not built")
    daemon = Licetd()
    os.environ["LICET_SOCKET"] = daemon.socket
    daemon.start()


def tearDownModule():
    if daemon is not None:
        daemon.cleanup()


class ContextManagerTest(unittest.TestCase):
    def test_with_block_releases_the_lease_in_licetd(self):
        # One seat (license_quantity 1) in user-limit mode: a second holder is refused while
        # the first holds it, so a successful access after the block proves the release.
        with licet.access(firm_code=FIRM, product_code=PRODUCT) as lic:
            self.assertFalse(lic.released)
            with self.assertRaises(licet.NoMoreLicensesError) as ctx:
                licet.access(FIRM, PRODUCT)
            self.assertEqual(ctx.exception.code, licet.ERROR_NO_MORE_LICENSES)
        self.assertTrue(lic.released)
        licet.access(FIRM, PRODUCT).release()

    def test_release_on_exception_and_garbage_collection(self):
        with self.assertRaises(KeyError):
            with licet.access(FIRM, PRODUCT):
                raise KeyError("app failure")
        lic = licet.access(FIRM, PRODUCT)
        del lic  # the destructor releases
        licet.access(FIRM, PRODUCT).release()


class InfoTest(unittest.TestCase):
    def test_info_and_list(self):
        with licet.access(FIRM, PRODUCT) as lic:
            info = lic.info
            self.assertEqual(info.serial, daemon.serial)
            self.assertEqual((info.firm_code, info.product_code), (FIRM, PRODUCT))
            self.assertEqual(info.feature_map, 0x3)
            self.assertEqual(info.text, "Sample App")
            self.assertIsNotNone(info.unit_counter)
            self.assertGreater(info.expiration, time.time())
        doc = licet.list()
        self.assertIn(daemon.serial, [c["serial"] for c in doc["containers"]])


class ErrorTest(unittest.TestCase):
    def test_exception_classes_carry_codes(self):
        cases = [
            (dict(firm_code=FIRM, product_code=999999), licet.NotFoundError, licet.ERROR_ENTRY_NOT_FOUND),
            (dict(firm_code=6000099, product_code=PRODUCT), licet.NotFoundError, None),
            (dict(firm_code=FIRM, product_code=PRODUCT, feature_code=0x4), licet.FeatureMissingError,
             licet.ERROR_FEATURE_MISSING),
            (dict(firm_code=FIRM, product_code=PRODUCT, firm_key=bytes(32)), licet.UntrustedSignerError,
             licet.ERROR_UNTRUSTED_SIGNER),
            (dict(firm_code=FIRM, product_code=PRODUCT, mode="bogus"), licet.InvalidArgumentError,
             licet.ERROR_INVALID_ARGUMENT),
        ]
        for kwargs, cls, code in cases:
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(cls) as ctx:
                    licet.access(**kwargs)
                self.assertIsInstance(ctx.exception, licet.LicetError)
                if code is not None:
                    self.assertEqual(ctx.exception.code, code)
                self.assertTrue(ctx.exception.message)
                self.assertNotIn("\n", str(ctx.exception))

    def test_unit_counter_zero(self):
        with licet.access(FIRM, ONE_UNIT) as lic:
            self.assertEqual(lic.decrement_units(1), 0)
            with self.assertRaises(licet.UnitCounterZeroError) as ctx:
                lic.decrement_units(1)
            self.assertEqual(ctx.exception.code, 32)
        with self.assertRaises(licet.UnitCounterZeroError):
            licet.access(FIRM, ONE_UNIT)

    def test_unavailable_without_licetd(self):
        code = (
            "import licet\n"
            "try:\n"
            "    licet.access(6000010, 201010)\n"
            "except licet.UnavailableError as e:\n"
            "    print(e.code, e.message)\n"
        )
        env = dict(os.environ, LICET_SOCKET=os.path.join(daemon.work, "missing.sock"))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("15 "), out.stdout)
        self.assertIn("start licetd", out.stdout)


class CryptTest(unittest.TestCase):
    def test_round_trip(self):
        data = bytes(range(16))
        with licet.access(FIRM, PRODUCT) as lic:
            ciphertext, iv, tag = lic.encrypt(data, encryption_code=42)
            self.assertNotEqual(ciphertext, data)
            self.assertEqual(lic.decrypt(ciphertext, iv, tag, encryption_code=42), data)
            for wrong in (dict(encryption_code=43), dict(encryption_code=42, feature_code=1)):
                with self.assertRaises(licet.DecryptFailedError) as ctx:
                    lic.decrypt(ciphertext, iv, tag, **wrong)
                self.assertEqual(ctx.exception.code, licet.ERROR_DECRYPT_FAILED)
            tampered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
            with self.assertRaises(licet.DecryptFailedError):
                lic.decrypt(tampered, iv, tag, encryption_code=42)
            direct = lic.crypt_direct(data, iv)
            self.assertNotEqual(direct, data)
            self.assertEqual(lic.crypt_direct(direct, iv), data)
            big = os.urandom(1 << 20)
            enc = lic.encrypt(big)
            self.assertEqual(lic.decrypt(enc), big)

    def test_same_key_for_two_accesses(self):
        data = b"0123456789abcdef"
        iv = bytes(range(12))
        with licet.access(FIRM, PRODUCT) as first:
            a = first.encrypt(data, iv=iv, encryption_code=7)
            direct = first.crypt_direct(data, iv, encryption_code=7)
        with licet.access(FIRM, PRODUCT) as second:
            b = second.encrypt(data, iv=iv, encryption_code=7)
            self.assertEqual((a.ciphertext, a.tag), (b.ciphertext, b.tag))
            self.assertEqual(second.decrypt(a, encryption_code=7), data)
            self.assertEqual(second.crypt_direct(direct, iv, encryption_code=7), data)
            other = second.encrypt(data, iv=iv, encryption_code=8)
            self.assertNotEqual(other.ciphertext, a.ciphertext, "another encryption code, another key")
        # Two holders at once (station-share: one seat for the machine) share the key too.
        with licet.access(FIRM, PRODUCT, mode="station-share") as x, \
                licet.access(FIRM, PRODUCT, mode="station-share") as y:
            self.assertEqual(y.decrypt(x.encrypt(data, encryption_code=9), encryption_code=9), data)


class ProcessTest(unittest.TestCase):
    def test_forked_child_uses_its_own_connection(self):
        with licet.access(FIRM, PRODUCT, mode="station-share") as lic:
            pid = os.fork()
            if pid == 0:
                status = 0
                try:
                    lic.info
                    status = 1  # the parent's handle must not work in the child
                except licet.UnavailableError:
                    pass
                except BaseException:
                    status = 2
                try:
                    with licet.access(FIRM, PRODUCT, mode="station-share") as mine:
                        if mine.info.product_code != PRODUCT:
                            status = 3
                except BaseException:
                    status = 4
                os._exit(status)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            self.assertEqual(lic.info.product_code, PRODUCT, "the parent's lease survives the child")

    def test_licetd_restart(self):
        old = licet.access(FIRM, PRODUCT, mode="station-share")
        daemon.stop()
        daemon.start()
        with self.assertRaises(licet.UnavailableError) as ctx:
            old.info
        self.assertIn("licetd", ctx.exception.message)
        with licet.access(FIRM, PRODUCT) as fresh:  # a new access reconnects
            self.assertEqual(fresh.info.product_code, PRODUCT)
        old.release()  # its lease went with the old connection: nothing to do, no error


if __name__ == "__main__":
    unittest.main()
