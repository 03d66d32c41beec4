"""The signed usage log of the network server with real processes (docs/NETWORK.md "Usage
log"): a relayed grant, its release and a denial land in HOME/network/usage/<firm>.log;
after the server stops (final checkpoint) `licet network audit` verifies the file with the
key licetd publishes, and refuses a copy with one changed, one deleted or two swapped lines."""

import os
import subprocess
import sys

import network_harness as nh
import runtime_harness as rt

PRODUCT = 41


def audit(path, key, *extra):
    return subprocess.run([rt.LICET, "network", "audit", path, "--public-key", key, *extra],
                          capture_output=True, text=True, timeout=60)


def main():
    nh.check_binaries()
    with nh.test_homes() as homes:
        server_home, _ = nh.server_home({PRODUCT: 1}, name="usage")
        homes.append(server_home)
        server = nh.NetLicetd(server_home, *nh.server_flags(), log_name="server-usage").start()
        key = server.network()["usage_log_public_key"]
        assert len(key) == 64, key
        key_file = os.path.join(server_home.home, "network", "usage.key")
        assert os.stat(key_file).st_mode & 0o777 == 0o600
        relay_home = rt.Home("usage-relay")
        homes.append(relay_home)
        nh.NetLicetd(relay_home, *nh.client_flags(server), log_name="relay").start()
        holder = nh.App(relay_home, PRODUCT)
        assert holder.code == 0, (holder.code, holder.message)
        refused = nh.App(relay_home, PRODUCT)
        assert refused.code == 212, (refused.code, refused.message)  # NO_MORE_LICENSES
        holder.release()
        rt.wait_until(lambda: server.item(PRODUCT)["seats_used"] == 0, 10, "seat released")
        assert server.stop() == 0
        log = os.path.join(server_home.home, "network", "usage", f"{nh.FIRM}.log")
        r = audit(log, key, "--require-signed", "--json")
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert '"records": 3' in r.stdout, r.stdout  # grant, deny, release
        with open(log) as f:
            lines = f.read().splitlines(keepends=True)
        events = [l for l in lines if '"event":"grant"' in l or '"event":"deny"' in l
                  or '"event":"release"' in l]
        assert len(events) == 3, lines
        wrong = audit(log, "00" * 32)
        assert wrong.returncode != 0 and "signature" in wrong.stderr, wrong.stderr
        variants = {
            "changed": [lines[0].replace('"product":41', '"product":42')] + lines[1:],
            "deleted": lines[:1] + lines[2:],
            "swapped": [lines[1], lines[0]] + lines[2:],
        }
        for name, content in variants.items():
            bad = os.path.join(server_home.home, f"{name}.log")
            with open(bad, "w") as f:
                f.write("".join(content))
            r = audit(bad, key)
            assert r.returncode != 0, (name, r.stdout)
            assert "line " in r.stderr, (name, r.stderr)
            print(f"ok {name} record detected: {r.stderr.strip()}")
        print("ok real server's usage log verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
