"""Harness of the network license server tests: real licetd processes with [network] on
loopback (or in network namespaces), the licet-netload driver (many TLS clients, each with its
own identity) and licet-net-app (an application asking its local licetd for a LAN license).

Builds on tests/runtime/runtime_harness.py (Home, spawn, cleanup, wait_until).
Environment: LICET_BIN_DIR, LICET_NETLOAD, LICET_NET_APP.
"""

import contextlib
import json
import os
import re
import select
import subprocess
import time
import urllib.error
import urllib.request

import runtime_harness as rt

NETLOAD = os.environ.get("LICET_NETLOAD", "")
NET_APP = os.environ.get("LICET_NET_APP", "")
FIRM = rt.FIRM


@contextlib.contextmanager
def test_homes():
    """The state dirs a test makes (append to the list): removed at the end, with every
    process the runtime harness started, whatever happens."""
    homes = []
    try:
        yield homes
    finally:
        rt.cleanup_all()
        for h in homes:
            h.cleanup()


def check_binaries():
    for path in (rt.LICET, rt.LICETD, NETLOAD, NET_APP):
        if not path or not os.access(path, os.X_OK):
            print(f"SKIP: {path or 'a test program'} not built")
            raise SystemExit(77)


class NetLicetd:
    """licetd over a Home with extra flags (network server and/or client)."""

    def __init__(self, home, *extra, log_name="licetd", netns=None):
        self.home = home
        self.extra = [str(a) for a in extra]
        self.netns = netns
        self.stdout = home.path(f"{log_name}.out")
        self.log = home.path(f"{log_name}.log")
        self.proc = None
        self.admin = None
        self.port = None
        self.fingerprint = None

    def start(self, timeout=30):
        args = [rt.LICETD, "--foreground", "--config", "/dev/null", "--home", self.home.home,
                "--socket", self.home.socket, "--admin-listen", "127.0.0.1:0",
                "--log-level", "info", *self.extra]
        if self.netns:
            args = ["ip", "netns", "exec", self.netns, *args]
        with open(self.stdout, "wb") as out, open(self.log, "ab") as err:
            self.proc = rt.spawn(args, daemon=True, stdout=out, stderr=err, env=self.home.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.stdout) as f:
                text = f.read()
            m = re.search(r"licetd ready socket=(\S+) admin=(\S+) pid=(\d+)(?: network=(\d+) "
                          r"fingerprint=(\S+))?", text)
            if m:
                self.admin = m.group(2)
                if m.group(4):
                    self.port = int(m.group(4))
                    self.fingerprint = m.group(5)
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"licetd exited {self.proc.returncode}:\n{self.tail()}")
            time.sleep(0.02)
        raise AssertionError(f"licetd not ready in {timeout} s:\n{self.tail()}")

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            rc = self.proc.wait(timeout=30)
            self.proc = None
            return rc
        return None

    def _get(self, path):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://{self.admin}{path}", timeout=10) as r:
            return r.read().decode()

    def free_lease(self, lease):
        """DELETE /api/v1/network/leases/LEASE: the HTTP status."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(f"http://{self.admin}/api/v1/network/leases/{lease}",
                                     method="DELETE")
        try:
            with opener.open(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def status(self):
        """The admin status document (needs the admin API in this namespace)."""
        if self.netns:
            out = subprocess.run(["ip", "netns", "exec", self.netns, "curl", "-s",
                                  f"http://{self.admin}/api/v1/status"],
                                 capture_output=True, text=True, timeout=20, check=True)
            return json.loads(out.stdout)
        return json.loads(self._get("/api/v1/status"))

    def metrics(self):
        return self._get("/metrics")

    def network(self):
        return self.status()["network_server"]

    def item(self, product):
        for row in self.network()["items"]:
            if row["product_code"] == product:
                return row
        return None

    def tail(self, lines=40):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


def server_flags(lease_timeout=120, listen="127.0.0.1:0"):
    return ["--network-enable", "true", "--network-listen", listen,
            "--network-lease-timeout", str(lease_timeout)]


def client_flags(server):
    return ["--servers", f"127.0.0.1:{server.port}", "--server-fingerprints", server.fingerprint]


class Driver:
    """A licet-netload process (race or hold)."""

    def __init__(self, command, server, product, clients, mode=1, address="127.0.0.1",
                 fingerprint=None, heartbeat=0, netns=None):
        args = [NETLOAD, command, "--server", f"{address}:{server.port}",
                "--fingerprint", fingerprint or server.fingerprint, "--firm", str(FIRM),
                "--product", str(product), "--clients", str(clients), "--mode", str(mode),
                "--heartbeat", str(heartbeat)]
        if netns:
            args = ["ip", "netns", "exec", netns, *args]
        self.proc = rt.spawn(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, bufsize=1)

    def readline(self, timeout=120):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"netload: no output in {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"netload exited: {self.proc.stderr.read()}")
        return line.strip()

    def result(self, timeout=120):
        """The first line: {'granted', 'denied', 'held_max', 'codes': {code: n}}."""
        line = self.readline(timeout)
        m = re.match(r"granted=(\d+) denied=(\d+) held_max=(\d+) codes=(\S*)", line)
        if not m:
            raise AssertionError(f"netload: unexpected {line!r}")
        codes = {}
        for part in filter(None, m.group(4).split(",")):
            code, count = part.split(":")
            codes[int(code)] = int(count)
        return {"granted": int(m.group(1)), "denied": int(m.group(2)),
                "held_max": int(m.group(3)), "codes": codes}

    def held(self, timeout=30):
        """The next 'held=H connected=C' line as (H, C)."""
        m = re.match(r"held=(\d+) connected=(\d+)", self.readline(timeout))
        return int(m.group(1)), int(m.group(2))

    def release(self):
        self.proc.stdin.write("release\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.readline() == "released":
                break
        self.proc.wait(timeout=30)

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=30)


class App(rt.LineProcess):
    """licet-net-app: an application holding a license through its local licetd."""

    def __init__(self, home, product, mode=1, where=1):
        super().__init__([NET_APP, str(FIRM), str(product), str(mode), str(where)], home,
                         "net-app")

    def readline(self, timeout=60):
        return super().readline(timeout).strip()


def server_home(products, name="server"):
    """A Home with one container holding `products` {product: quantity}."""
    home = rt.Home(name)
    serial = home.create_container()
    for product, quantity in products.items():
        home.issue(serial, product, "--license-quantity", str(quantity),
                   "--access-modes", "user-limit,station-share,exclusive,no-user-limit")
    return home, serial
