"""`licet protect exe|lib` end to end (issue #6): real programs of this machine and test
programs (C++ exceptions, threads, thread_local; PIE, non-PIE, static; IFUNC; a Python C
extension) protected with the real `licet`, run against a real licetd holding the license,
and compared with the originals. Negative cases assert the exit code and the message:
no licetd, wrong product, missing feature, expired, a patched byte (plain and encrypted
part), a stripped file, a debugger under the enforce policy, and a license lost while
running (periodic checks, with the low-units/low-days warnings). Also: --config files, and
the decryptor under PR_SET_MDWE (the kernel's MemoryDenyWriteExecute)."""

import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

import runtime_harness as h
import protect_harness as p

SQL = """create table t(id integer primary key, name text, score real);
insert into t(name, score) values ('alpha', 1.5), ('beta', 2.25), ('gamma', -3);
select count(*), sum(score), group_concat(name, '|') from t;
select upper(name), length(name) from t order by score desc;
with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000) select sum(x * x) from c;
select printf('%08.3f', 3.14159), hex('licet'), json_object('a', 1, 'b', json_array(1, 2));
"""


def setUpModule():
    global home, daemon, work
    h.check_binaries_protect = None
    for path in (h.LICET, h.LICETD):
        if not path or not os.access(path, os.X_OK):
            print(f"SKIP: {path} not built")
            sys.exit(77)
    home = h.Home("protect")
    serial = home.create_container()
    home.issue(serial, p.PRODUCT, "--text", "Sample App", "--feature-map", "0x3",
               "--expiration", "365d", "--license-quantity", "50")
    home.issue(serial, p.PRODUCT_EXPIRED, "--text", "Expired", "--expiration", "2020-01-01")
    home.issue(serial, p.PRODUCT_UNITS, "--text", "Metered", "--units", "5", "--expiration", "3d")
    daemon = h.Licetd(home).start()
    work = home.work


def tearDownModule():
    if daemon.proc is not None:
        daemon.stop()
    h.cleanup_all()
    home.cleanup()


def path(name):
    return os.path.join(work, name)


class ProtectExeTest(unittest.TestCase):
    def assert_same(self, original, protected, argv=(), stdin=None):
        a = p.run(home, [original, *argv], stdin=stdin)
        b = p.run(home, [protected, *argv], stdin=stdin)
        self.assertEqual(b.stderr, a.stderr)
        self.assertEqual(b.stdout, a.stdout)
        self.assertEqual(b.returncode, a.returncode)
        return b

    def test_sqlite3_same_results(self):
        src = shutil.which("sqlite3")
        if src is None:
            self.skipTest("sqlite3 not installed")
        out = p.protect(home, "exe", src, path("sqlite3"), "--json")
        report = json.loads(out.stdout)
        self.assertGreater(report["bytes_encrypted"], 64 * 1024)
        self.assertEqual(report["entry_hook"], "e_entry")
        self.assertEqual(os.stat(path("sqlite3")).st_mode & 0o777, os.stat(src).st_mode & 0o777)
        r = self.assert_same(src, path("sqlite3"), stdin=SQL)
        self.assertIn("333833500", r.stdout)
        # The plaintext never exists as a file and /proc/self/exe is the protected file.
        r = p.run(home, [path("sqlite3"), ":memory:"],
                  stdin=".shell readlink /proc/$PPID/exe\n.shell grep -c memfd /proc/$PPID/maps\n")
        self.assertEqual(r.stdout.split()[0], path("sqlite3"))
        self.assertGreater(int(r.stdout.split()[1]), 0)

    def test_jq_same_results(self):
        src = shutil.which("jq")
        if src is None:
            self.skipTest("jq not installed")
        r = p.protect(home, "exe", src, path("jq"), check=False)
        if r.returncode != 0:
            # Debian's jq keeps its code in libjq: the binary itself may have no whole page.
            self.assertIn("nothing to encrypt", r.stderr)
            return
        doc = '{"a": [1, 2, 3], "b": {"c": "licet"}, "d": [{"x": 1}, {"x": 5}]}'
        for program in (".a | add", ".b.c | ascii_upcase", "[.d[].x] | max", "keys"):
            with self.subTest(program):
                self.assert_same(src, path("jq"), argv=[program], stdin=doc)
        self.assert_same(src, path("jq"), argv=[".a |"], stdin=doc)  # a jq error: code 3

    def test_cxx_program_pie_nonpie_static(self):
        for name, flags in (("pie", ["-fPIE", "-pie"]), ("nopie", ["-fno-PIE", "-no-pie"]),
                            ("static", ["-static"]), ("staticpie", ["-static-pie"])):
            with self.subTest(name):
                src = p.compile_program(path(f"cxx-{name}"), "cxx_program.cc", *flags, cxx=True)
                p.protect(home, "exe", src, path(f"cxx-{name}.p"))
                r = self.assert_same(src, path(f"cxx-{name}.p"), argv=["20000", "7"])
                self.assertEqual(r.returncode, 7)
                self.assertIn("caught=42", r.stdout)

    def test_ifunc_program(self):
        for name, flags in (("dyn", []), ("static", ["-static"])):
            with self.subTest(name):
                src = p.compile_program(path(f"ifunc-{name}"), "ifunc_program.c", *flags)
                p.protect(home, "exe", src, path(f"ifunc-{name}.p"))
                r = self.assert_same(src, path(f"ifunc-{name}.p"), argv=["5"])
                self.assertEqual(r.returncode, 5)

    def test_python_extension(self):
        orig = p.compile_pyext(path("pyext-orig"))
        os.makedirs(path("pyext-prot"), exist_ok=True)
        prot = os.path.join(path("pyext-prot"), os.path.basename(orig))
        out = p.protect(home, "lib", orig, prot, "--json")
        self.assertEqual(json.loads(out.stdout)["entry_hook"], "DT_INIT")
        code = "import licetpyext; print(licetpyext.checksum(200000))"
        a = p.run(home, [sys.executable, "-c", code], env=dict(home.env, PYTHONPATH=path("pyext-orig")))
        b = p.run(home, [sys.executable, "-c", code], env=dict(home.env, PYTHONPATH=path("pyext-prot")))
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(b.returncode, 0, b.stderr)
        self.assertEqual(b.stdout, a.stdout)
        # Without licetd the import ends the interpreter with the message.
        c = p.run(home, [sys.executable, "-c", code],
                  env=dict(home.env, PYTHONPATH=path("pyext-prot"), LICET_SOCKET=path("none.sock")))
        self.assertEqual(c.returncode, 15, c.stderr)
        self.assertIn("Sample App: the Licet runtime (licetd) is not reachable", c.stderr)

    def test_memory_deny_write_execute(self):
        """Under PR_SET_MDWE (what systemd's MemoryDenyWriteExecute=yes becomes on Linux >=
        6.3; systemd is not running here): no W+X mapping and no mprotect to executable is
        allowed, and the decryptor needs neither."""
        libc = ctypes.CDLL(None, use_errno=True)

        def mdwe():
            h._die_with_parent()
            if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
                os._exit(99)

        probe = subprocess.run([sys.executable, "-c", "import ctypes; print(ctypes.CDLL(None).prctl(66, 0, 0, 0, 0))"],
                               capture_output=True, text=True, preexec_fn=mdwe, timeout=60)
        if probe.returncode == 99 or probe.stdout.strip() != "1":
            self.skipTest("PR_SET_MDWE not supported by this kernel")
        src = p.compile_program(path("cxx-mdwe"), "cxx_program.cc", cxx=True)
        p.protect(home, "exe", src, path("cxx-mdwe.p"))
        r = subprocess.run([path("cxx-mdwe.p"), "1000", "4"], capture_output=True, text=True,
                           env=home.env, preexec_fn=mdwe, timeout=60)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("caught=42", r.stdout)

    def test_ip_protection_runs_without_licetd(self):
        src = p.compile_program(path("cxx-ip"), "cxx_program.cc", cxx=True)
        p.protect(home, "exe", src, path("cxx-ip.p"), "--ip-protection")
        env = dict(home.env, LICET_SOCKET=path("none.sock"))
        a = p.run(home, [src, "1000", "3"], env=env)
        b = p.run(home, [path("cxx-ip.p"), "1000", "3"], env=env)
        self.assertEqual((b.returncode, b.stdout), (a.returncode, a.stdout))

    def test_config_file(self):
        src = p.compile_program(path("cxx-cfg"), "cxx_program.cc", cxx=True)
        cfg = path("protect.toml")
        with open(cfg, "w") as f:
            f.write(f'firm-key = "{home.firm_key()}"\nfirm-code = {h.FIRM}\nproduct-code = 201099\n'
                    'product-name = "From Config"\ncheck-interval = "0s"\n')
        home.cli("protect", "exe", "--config", cfg, src, "-o", path("cfg-1"))
        r = p.run(home, [path("cfg-1")])
        self.assertEqual(r.returncode, 200, r.stderr)
        self.assertIn("From Config: no license found (firm 6000010, product 201099)", r.stderr)
        # A flag wins over the file.
        home.cli("protect", "exe", "--config", cfg, "--product-code", str(p.PRODUCT), src, "-o", path("cfg-2"))
        self.assertEqual(p.run(home, [path("cfg-2"), "100", "0"]).returncode, 0)
        with open(cfg, "a") as f:
            f.write("prodcut-code = 3\n")
        r = home.cli("protect", "exe", "--config", cfg, src, "-o", path("cfg-3"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown key 'prodcut-code'", r.stderr)

    def test_refusals_of_the_tool(self):
        src = p.compile_program(path("cxx-r"), "cxx_program.cc", cxx=True)
        p.protect(home, "exe", src, path("cxx-r.p"))
        for args, text in (((path("cxx-r.p"),), "already protected"),
                           (("/etc/passwd",), "malformed ELF file"),
                           ((src, "--where", "moon"), "--where must be one of")):
            with self.subTest(text):
                r = p.protect(home, "exe", args[0], path("x"), *args[1:], check=False)
                self.assertEqual(r.returncode, 1)
                self.assertIn(text, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        r = p.protect(home, "lib", src, path("x"), check=False)
        self.assertIn("not a shared object", r.stderr)


class ProtectNegativeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = p.compile_program(path("neg"), "cxx_program.cc", cxx=True)

    def protected(self, name, *options, product=p.PRODUCT):
        out = path(f"neg-{name}")
        p.protect(home, "exe", self.src, out, "--json", *options, product=product)
        return out

    def assert_refused(self, argv, code, text, env=None, stdin=None):
        r = p.run(home, argv, env=env, stdin=stdin)
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertIn(text, r.stderr)
        self.assertEqual(r.stdout, "")
        return r

    def test_no_licetd(self):
        prog = self.protected("nolicetd")
        self.assert_refused([prog], 15, "Sample App: the Licet runtime (licetd) is not reachable",
                            env=dict(home.env, LICET_SOCKET=path("none.sock")))

    def test_wrong_product(self):
        prog = self.protected("wrong", product=201099, *["--message-url", "https://example.com/buy"])
        r = self.assert_refused([prog], 200, "Sample App: no license found (firm 6000010, product 201099)")
        self.assertIn("https://example.com/buy", r.stderr)
        self.assertIn("licet activate", r.stderr)

    def test_missing_feature(self):
        prog = self.protected("feature", "--feature-code", "4")
        self.assert_refused([prog], 33, "does not include feature 4")

    def test_expired(self):
        prog = self.protected("expired", product=p.PRODUCT_EXPIRED)
        self.assert_refused([prog], 35, "the license has expired")

    def test_patched_byte_in_plain_part(self):
        prog = self.protected("patch-plain")
        with open(prog, "r+b") as f:
            data = f.read()
            at = data.index(b"GCC: ")  # .comment: not loaded, not encrypted
            f.seek(at)
            f.write(b"g")
        self.assert_refused([prog], 6, "was modified or stripped")

    def test_patched_byte_in_encrypted_part(self):
        out = path("neg-patch-enc")
        report = json.loads(p.protect(home, "exe", self.src, out, "--json").stdout)
        at = report["ranges"][0]["file_offset"] + 100
        with open(out, "r+b") as f:
            f.seek(at)
            b = f.read(1)
            f.seek(at)
            f.write(bytes([b[0] ^ 1]))
        self.assert_refused([out], 6, "was modified")

    def test_stripped(self):
        prog = self.protected("strip")
        subprocess.run(["strip", prog], check=True, timeout=60)
        r = p.run(home, [prog])
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertIn("was modified or stripped", r.stderr)

    def test_debugger_with_enforce(self):
        gdb = shutil.which("gdb")
        if gdb is None:
            self.skipTest("gdb not installed")
        prog = self.protected("gdb", "--hardening", "enforce")
        r = p.run(home, [gdb, "-batch", "-nx", "-ex", "run", "--args", prog], timeout=120)
        self.assertIn("refusing to run under a debugger", r.stderr + r.stdout)
        self.assertIn("exited with code 013", r.stdout)  # gdb prints the code in octal
        ok = p.run(home, [prog, "1000", "0"])  # without a debugger it runs
        self.assertEqual(ok.returncode, 0, ok.stderr)


class PeriodicCheckTest(unittest.TestCase):
    def test_low_units_and_days_warnings(self):
        sqlite = shutil.which("sqlite3")
        if sqlite is None:
            self.skipTest("sqlite3 not installed")
        p.protect(home, "exe", sqlite, path("low"), "--check-interval", "1s", "--warn-units", "10",
                  "--warn-days", "7", product=p.PRODUCT_UNITS)
        proc = h.spawn([path("low")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=home.env)
        try:
            time.sleep(2.5)
            out, err = proc.communicate(input=b"select 1;\n", timeout=30)
        finally:
            h.cleanup_children()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(out.decode().strip(), "1")
        self.assertIn("Sample App: warning: only 5 license units left", err.decode())
        self.assertIn("Sample App: warning: the license expires in 2 days", err.decode())

    def test_license_lost_while_running(self):
        src = None
        sqlite = shutil.which("sqlite3")
        if sqlite is None:
            self.skipTest("sqlite3 not installed")
        p.protect(home, "exe", sqlite, path("loss-exit"), "--check-interval", "1s",
                  "--on-loss", "exit", "--grace", "1s")
        p.protect(home, "exe", sqlite, path("loss-warn"), "--check-interval", "1s")
        procs = {}
        for name in ("loss-exit", "loss-warn"):
            procs[name] = h.spawn([path(name)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=home.env)
        time.sleep(1.5)
        for proc in procs.values():
            self.assertIsNone(proc.poll())  # running with the license
        daemon.stop()
        try:
            rc = procs["loss-exit"].wait(timeout=30)
            err = procs["loss-exit"].stderr.read().decode()
            self.assertEqual(rc, 231, err)
            self.assertIn("license lost", err)
            time.sleep(1)
            self.assertIsNone(procs["loss-warn"].poll())  # warn: keeps running
            out, err = procs["loss-warn"].communicate(input=b"select 6*7;\n", timeout=30)
            self.assertEqual(procs["loss-warn"].returncode, 0, err)
            self.assertEqual(out.decode().strip(), "42")
            self.assertIn("license lost", err.decode())
        finally:
            h.cleanup_children()
            daemon.start()
        del src


if __name__ == "__main__":
    unittest.main(verbosity=2)
