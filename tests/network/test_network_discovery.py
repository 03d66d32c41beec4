"""UDP broadcast discovery across two network namespaces joined by a veth pair (docs/NETWORK.md
"Discovery"): the network server (port 22450 in its namespace) answers probes; a relay with
discovery on and no servers finds it by broadcast and connects, still checking the pinned
fingerprint: a relay pinning another fingerprint finds the server but does not trust it, one
with trust_discovered (labs) pins what it found. A short probe (amplification) gets no answer,
and an answer is never larger than its probe. Needs root; skipped (77) otherwise."""

import os
import subprocess
import sys

import network_harness as nh
import runtime_harness as rt

PRODUCT = 61
PREFIX = f"ld{os.getpid() % 10000}"
SUBNET = f"10.232.{os.getpid() % 200 + 1}"

# Sends a probe (padded to `size` bytes, or short) and prints the answer's size, or "none".
PROBE_SCRIPT = r"""
import os, socket, struct, sys
size = int(sys.argv[2])
def head(major, n):
    if n < 24: return bytes([major << 5 | n])
    if n < 256: return bytes([major << 5 | 24, n])
    return bytes([major << 5 | 25]) + struct.pack('>H', n)
def text(s): return head(3, len(s)) + s.encode()
def bstr(b): return head(2, len(b)) + b
body = text('licet') + text('probe') + text('nonce') + bstr(os.urandom(16)) + text('v') + b'\x01'
pad = max(0, size - 1 - len(body) - 4 - 3)
probe = head(5, 4) + body + text('pad') + bstr(bytes(pad))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.settimeout(0.5)
s.sendto(probe, (sys.argv[1], 22450))
try:
    data, _ = s.recvfrom(4096)
    print(len(probe), len(data))
except socket.timeout:
    print(len(probe), "none")
"""


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


class Link:
    """Namespaces `server` (SUBNET.1) and `client` (SUBNET.2) joined by a veth pair."""

    def __init__(self):
        self.server_ns, self.client_ns = f"{PREFIX}-srv", f"{PREFIX}-cli"
        self.server_ip, self.client_ip = f"{SUBNET}.1", f"{SUBNET}.2"
        sh("ip", "netns", "add", self.server_ns)
        sh("ip", "netns", "add", self.client_ns)
        sh("ip", "link", "add", f"{PREFIX}s", "netns", self.server_ns, "type", "veth", "peer",
           "name", f"{PREFIX}c", "netns", self.client_ns)
        for ns, ifname, ip in ((self.server_ns, f"{PREFIX}s", self.server_ip),
                               (self.client_ns, f"{PREFIX}c", self.client_ip)):
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{ip}/24", "brd", "+", "dev", ifname)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", ifname, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def probe(self, target, size):
        out = sh("ip", "netns", "exec", self.client_ns, sys.executable, "-c", PROBE_SCRIPT, target,
                 str(size))
        sent, got = out.stdout.split()
        return int(sent), (None if got == "none" else int(got))

    def remove(self):
        sh("ip", "netns", "del", self.server_ns, check=False)
        sh("ip", "netns", "del", self.client_ns, check=False)


def relay(home, link, *flags):
    return nh.NetLicetd(home, "--discovery", "true", *flags, log_name="relay",
                        netns=link.client_ns).start()


def main():
    nh.check_binaries()
    if os.geteuid() != 0 or sh("ip", "netns", "list", check=False).returncode != 0:
        print("SKIP: needs root and ip netns")
        return 77
    link, homes = None, []
    try:
        try:
            link = Link()
        except subprocess.CalledProcessError as e:
            print(f"SKIP: cannot make network namespaces: {e.stderr.strip()}")
            return 77
        server_home, serial = nh.server_home({PRODUCT: 5})
        homes.append(server_home)
        server = nh.NetLicetd(server_home, *nh.server_flags(30, "0.0.0.0:22450"),
                              log_name="server", netns=link.server_ns).start()
        assert server.port == 22450, server.port

        # A relay that knows only the fingerprint finds the server by broadcast.
        home = rt.Home("disc-pinned")
        homes.append(home)
        pinned = relay(home, link, "--server-fingerprints", server.fingerprint)
        app = nh.App(home, PRODUCT)
        assert app.code == 0, (app.code, app.message)
        leases = server.network()["leases"]
        assert [row["address"] for row in leases] == [link.client_ip], leases
        assert pinned.status()["network_client"]["server"] == f"{link.server_ip}:22450"
        print("ok a relay without servers discovered the server and took a seat")

        # Another pinned fingerprint: discovered, but not trusted.
        home = rt.Home("disc-wrong")
        homes.append(home)
        relay(home, link, "--server-fingerprints", "sha256:" + "ab" * 32)
        refused = nh.App(home, PRODUCT)
        assert refused.code == 101, (refused.code, refused.message)  # SERVER_NOT_FOUND
        assert "not trusted" in refused.message, refused.message
        print("ok a discovered server with another fingerprint is not trusted")

        # Labs: trust_discovered pins what answered at start.
        home = rt.Home("disc-lab")
        homes.append(home)
        relay(home, link, "--trust-discovered", "true")
        lab = nh.App(home, PRODUCT)
        assert lab.code == 0, (lab.code, lab.message)
        print("ok trust_discovered pins the discovered fingerprint")

        # Amplification: a short probe gets nothing; an answer is never larger than its probe.
        sent, got = link.probe(f"{SUBNET}.255", 60)
        assert got is None, (sent, got)
        sent, got = link.probe(link.server_ip, 512)
        assert got is not None and got <= sent, (sent, got)
        print(f"ok short probes are ignored; a {sent}-byte probe got a {got}-byte answer")
        server.stop()
    finally:
        rt.cleanup_all()
        if link:
            link.remove()
        for h in homes:
            h.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
