"""Shared harness of the runtime tests: real licetd processes over throwaway state dirs.

A test builds a state dir with the real `licet` CLI (Home), starts licetd on it (Licetd: the
documented test invocation, waiting for its ready line), and drives it through the C API with
the licet-runtime-client program (run_client / Holder) or through the Python module.

Every child process is started with PR_SET_PDEATHSIG (it dies with this process, also when
ctest kills a test at its timeout) and is registered for cleanup; every wait has a timeout.

Environment: LICET_BIN_DIR (build/bin: licet, licetd), LICET_RUNTIME_CLIENT (the client
program), PYTHONPATH with the `licet` module for the Python parts (optional).
"""

import ctypes
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

FIRM = 6000010
BIN = os.environ.get("LICET_BIN_DIR", "")
LICET = os.path.join(BIN, "licet")
LICETD = os.path.join(BIN, "licetd")
CLIENT = os.environ.get("LICET_RUNTIME_CLIENT", "")

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
_children = []
_daemons = []


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(args, daemon=False, **kwargs):
    """Popen that dies with this process and is killed by cleanup_children() (clients) or
    cleanup_all() (clients and daemons)."""
    proc = subprocess.Popen(args, preexec_fn=_die_with_parent, **kwargs)
    (_daemons if daemon else _children).append(proc)
    return proc


def _kill(procs):
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    procs.clear()


def cleanup_children():
    """SIGKILLs every client still running (a failed test leaves none behind)."""
    _kill(_children)


def cleanup_all():
    """SIGKILLs every client and every licetd still running."""
    _kill(_children)
    _kill(_daemons)


def check_binaries():
    """Exits 77 (ctest: skipped) when the binaries under test are not built."""
    for path in (LICET, LICETD, CLIENT):
        if not path or not os.access(path, os.X_OK):
            print(f"SKIP: {path or 'LICET_RUNTIME_CLIENT'} not built")
            sys.exit(77)


def python_module():
    """The licet module, or None when it is not on PYTHONPATH (not built)."""
    try:
        import licet  # noqa: PLC0415 (optional: the C API parts run without it)
    except ImportError:
        return None
    return licet


class Home:
    """A throwaway LICET_HOME (with its work dir) prepared with the licet CLI, before any
    licetd serves it: the CLI then works on the files."""

    def __init__(self, name="home"):
        self.work = tempfile.mkdtemp(prefix=f"licet-rt-{name}-", dir="/tmp")
        self.home = os.path.join(self.work, "home")
        self.socket = os.path.join(self.work, "licetd.sock")
        self.env = dict(os.environ, LICET_HOME=self.home, LICET_SOCKET=self.socket)

    def path(self, name):
        return os.path.join(self.work, name)

    def cli(self, *args, faketime=None, check=True, timeout=120):
        cmd = [LICET, *args]
        if faketime is not None:
            cmd = ["faketime", "-f", faketime, *cmd]
        out = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout,
                             preexec_fn=_die_with_parent)
        if check and out.returncode != 0:
            raise AssertionError(f"licet {' '.join(args)} exited {out.returncode}: {out.stderr.strip()}")
        return out

    def create_container(self):
        return self.cli("container", "create").stdout.strip()

    def firm_key(self, name="firm.key", firm_code=FIRM):
        """Creates a firm key file in the work dir (once per name) and returns its path."""
        path = self.path(name)
        if not os.path.exists(path):
            self.cli("firm", "init", "--firm-code", str(firm_code), "--name", "Sample Company", "-o", path)
        return path

    def issue(self, serial, product, *options, firm_key=None, faketime=None):
        """The vendor issues `product` to container `serial` offline (context, update, import)."""
        key = firm_key or self.firm_key()
        ctx, upd = self.path("request.context"), self.path("license.update")
        self.cli("context", "--serial", serial, "--firm-code", str(FIRM), "-o", ctx, faketime=faketime)
        self.cli("update", "create", "--firm-key", key, "--context", ctx, "--add-product", str(product),
                 *options, "-o", upd, faketime=faketime)
        self.cli("import", upd, faketime=faketime)

    def unit_counter(self, product, firm_code=FIRM):
        """The unit counter of `product` as `licet list --json` shows it (through licetd when
        it runs, else from the files)."""
        doc = json.loads(self.cli("list", "--json").stdout)
        for container in doc.get("containers", []):
            for firm in container.get("state", {}).get("firms", []):
                if firm.get("firm_code") != firm_code:
                    continue
                for item in firm.get("products", []):
                    if item.get("product_code") == product:
                        return item.get("unit_counter")
        raise AssertionError(f"product {product} not in licet list --json: {doc}")

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)


class Licetd:
    """licetd over a Home, started the documented way for tests."""

    def __init__(self, home, log_name="licetd"):
        self.home = home
        self.stdout = home.path(f"{log_name}.out")
        self.log = home.path(f"{log_name}.log")
        self.proc = None
        self.admin = None
        self.starts = 0

    def start(self, timeout=30):
        args = [LICETD, "--foreground", "--config", "/dev/null", "--home", self.home.home,
                "--socket", self.home.socket, "--admin-listen", "127.0.0.1:0", "--log-level", "warn"]
        with open(self.stdout, "wb") as out, open(self.log, "ab") as err:
            self.proc = spawn(args, daemon=True, stdout=out, stderr=err, env=self.home.env)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.stdout) as f:
                m = re.search(r"licetd ready socket=(\S+) admin=(\S+) pid=(\d+)", f.read())
            if m:
                assert m.group(1) == self.home.socket, m.group(0)
                assert int(m.group(3)) == self.proc.pid, m.group(0)
                self.admin = m.group(2)
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"licetd exited {self.proc.returncode} at start:\n{self.tail()}")
            time.sleep(0.02)
        raise AssertionError(f"licetd not ready in {timeout} s:\n{self.tail()}")

    @property
    def pid(self):
        return self.proc.pid

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        return self.wait()

    def wait(self, timeout=30):
        rc = self.proc.wait(timeout=timeout)
        self.proc = None
        return rc

    def stop(self, timeout=30):
        """Graceful stop (SIGTERM); returns the exit status (0 expected)."""
        if self.proc is None:
            return None
        self.proc.terminate()
        return self.wait(timeout)

    def metric(self, name):
        """The value of an unlabelled metric from the admin API (0 when absent)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        with opener.open(f"http://{self.admin}/metrics", timeout=10) as r:
            text = r.read().decode()
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else 0.0

    def tail(self, lines=40):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


def run_client(home, *args, timeout=120):
    """Runs licet-runtime-client against `home`'s licetd; returns its CompletedProcess."""
    proc = spawn([CLIENT, *map(str, args)], env=home.env, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"licet-runtime-client {' '.join(map(str, args))}: no answer in {timeout} s")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def parse_code(line):
    """("code=N message") -> (N, message)."""
    m = re.match(r"code=(-?\d+) ?(.*)$", line.strip())
    if not m:
        raise AssertionError(f"unexpected client output: {line!r}")
    return int(m.group(1)), m.group(2).strip()


def try_access(home, product, feature=0, mode=1, firm_code=FIRM):
    """Access then release in a fresh process (C API): (code, message)."""
    out = run_client(home, "try", firm_code, product, feature, mode)
    if out.returncode != 0:
        raise AssertionError(f"try exited {out.returncode}: {out.stderr}")
    return parse_code(out.stdout)


class LineProcess:
    """A helper process driven line by line (stdin commands, one stdout line per answer) whose
    first line is the code of its access."""

    def __init__(self, argv, home, name):
        self.name = name
        self.proc = spawn(argv, env=home.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, bufsize=1)
        self.code, self.message = parse_code(self.readline())

    def readline(self, timeout=60):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"{self.name} {self.proc.pid}: no output in {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"{self.name} {self.proc.pid} exited: {self.proc.stderr.read()}")
        return line

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.readline()

    def release(self):
        line = self.command("release")
        self.proc.wait(timeout=30)
        return line

    def exit_without_release(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


class Holder(LineProcess):
    """A process holding one access through the C API until told to release or killed."""

    def __init__(self, home, product, mode, feature=0, firm_code=FIRM):
        super().__init__([CLIENT, "hold", str(firm_code), str(product), str(mode), str(feature)],
                         home, "holder")


def wait_until(predicate, timeout, what):
    """Polls predicate() until true; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
