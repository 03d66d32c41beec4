"""The network license server across network namespaces (ip netns + veth), so that client
stations are distinct hosts with their own addresses (issue #5 "Must show"): a relay licetd in
each of two namespaces, applications holding STATION_SHARE licenses through them: two stations
take two seats however many handles they hold; USER_LIMIT accesses are relayed across the
namespaces; a station cut off from the network (its veth down) loses its seat after the lease
timeout while the other keeps its own. Needs root; skipped (77) otherwise."""

import os
import subprocess
import sys
import time

import network_harness as nh
import runtime_harness as rt

LEASE_TIMEOUT = 3
PREFIX = f"lc{os.getpid() % 10000}"


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


class Station:
    """A network namespace linked to the host by a veth pair: host 10.231.N.1, station .2."""

    def __init__(self, n):
        self.n = n
        self.ns = f"{PREFIX}-ns{n}"
        self.host_if = f"{PREFIX}h{n}"
        self.ns_if = f"{PREFIX}n{n}"
        self.host_ip = f"10.231.{n}.1"
        self.ip = f"10.231.{n}.2"
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        sh("ip", "link", "set", self.ns_if, "netns", self.ns)
        sh("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.host_if)
        sh("ip", "link", "set", self.host_if, "up")
        sh("ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.ip}/24", "dev", self.ns_if)
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", self.ns_if, "up")
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up")

    def cut(self):
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", self.ns_if, "down")

    def remove(self):
        sh("ip", "link", "del", self.host_if, check=False)
        sh("ip", "netns", "del", self.ns, check=False)


def main():
    nh.check_binaries()
    if os.geteuid() != 0 or sh("ip", "netns", "list", check=False).returncode != 0:
        print("SKIP: needs root and ip netns")
        return 77
    stations, homes = [], []
    try:
        try:
            stations = [Station(1), Station(2)]
        except subprocess.CalledProcessError as e:
            print(f"SKIP: cannot make network namespaces: {e.stderr.strip()}")
            return 77
        server_home, _ = nh.server_home({31: 5, 32: 5})
        homes.append(server_home)
        server = nh.NetLicetd(server_home, *nh.server_flags(LEASE_TIMEOUT, "0.0.0.0:0"),
                              log_name="server").start()
        relays = []
        for st in stations:
            home = rt.Home(f"station{st.n}")
            homes.append(home)
            relays.append(nh.NetLicetd(home, "--servers", f"{st.host_ip}:{server.port}",
                                       "--server-fingerprints", server.fingerprint,
                                       log_name="relay", netns=st.ns).start())

        # STATION_SHARE: two handles per station, two stations -> two seats, four leases.
        apps = [nh.App(r.home, 31, mode=2) for r in relays for _ in range(2)]
        for app in apps:
            assert app.code == 0, (app.code, app.message)
        rt.wait_until(lambda: (server.item(31) or {}).get("leases") == 4, 10, "4 leases")
        item = server.item(31)
        assert item["seats_used"] == 2, item
        addresses = {row["address"] for row in server.network()["leases"]}
        assert addresses == {st.ip for st in stations}, addresses
        print("ok station share from two namespaces uses 2 seats")

        # USER_LIMIT relayed across the namespaces: one seat per handle.
        users = [nh.App(r.home, 32, mode=1) for r in relays for _ in range(2)]
        assert all(u.code == 0 for u in users), [(u.code, u.message) for u in users]
        rt.wait_until(lambda: server.item(32)["seats_used"] == 4, 10, "4 user-limit seats")
        more = [nh.App(relays[0].home, 32, mode=1), nh.App(relays[1].home, 32, mode=1)]
        assert sorted(m.code for m in more) == [0, 212], [(m.code, m.message) for m in more]
        print("ok user-limit relayed across namespaces, the 6th is refused")

        # Station 2 loses its network: its seats go after the lease timeout, station 1 keeps its.
        stations[1].cut()
        cut_at = time.monotonic()
        rt.wait_until(lambda: server.item(31)["seats_used"] == 1, LEASE_TIMEOUT + 15,
                      "the cut station's share seat to be freed")
        assert time.monotonic() - cut_at >= LEASE_TIMEOUT - 0.5
        assert server.item(31)["leases"] == 2
        print("ok a station cut off loses its seats after the timeout; the other keeps its")
        for r in relays:
            r.stop()
        server.stop()
    finally:
        rt.cleanup_all()
        for st in stations:
            st.remove()
        for h in homes:
            h.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
