"""Crypt, units and the usage period on network handles with real processes (docs/NETWORK.md
"Crypt and units"):

* an application's LAN handle encrypts through the network server, and the same ciphertext
  decrypts through a local container holding the same product (same firm key): the key is
  the same wherever the item is;
* three applications on three relays decrement units over the network down to exactly 0
  (each decrement on the server's disk before it answers), and one more fails with
  LICET_ERROR_UNIT_COUNTER_ZERO;
* a crypt above the network limit is refused with a clear message;
* the first network access of an item with a usage period starts the period on the server,
  on its disk before the grant (it survives kill -9 of the server)."""

import json
import sys

import network_harness as nh
import runtime_harness as rt

CRYPT_PRODUCT = 51
UNITS_PRODUCT = 52
PERIOD_PRODUCT = 53
UNITS = 9
IV = "000102030405060708090a0b"
DATA = "4c69636574206e6574776f726b2100" * 4  # 60 bytes
MAX_NETWORK_CRYPT = 60 * 1024


def crypt(app, op, data, tag=None, encryption_code=7, feature=0):
    line = app.command(f"crypt {op} {encryption_code} {feature} {IV} {data}" +
                       (f" {tag}" if tag else "")).strip()
    fields = dict(w.split("=", 1) for w in line.split()[1:])
    return int(fields["code"]), fields["data"], fields["tag"]


def usage_started(home, product):
    doc = json.loads(home.cli("list", "--json").stdout)
    for container in doc.get("containers", []):
        for firm in container.get("state", {}).get("firms", []):
            for item in firm.get("products", []):
                if item.get("product_code") == product:
                    return item.get("usage_started")
    raise AssertionError(f"product {product} not listed: {doc}")


def main():
    nh.check_binaries()
    with nh.test_homes() as homes:
        server_home = rt.Home("ops-server")
        homes.append(server_home)
        serial = server_home.create_container()
        modes = ("--access-modes", "user-limit,station-share,exclusive,no-user-limit")
        server_home.issue(serial, CRYPT_PRODUCT, "--license-quantity", "3", *modes)
        server_home.issue(serial, UNITS_PRODUCT, "--license-quantity", "3", "--units", str(UNITS),
                          *modes)
        server_home.issue(serial, PERIOD_PRODUCT, "--license-quantity", "3", "--usage-period",
                          "30d", *modes)
        server = nh.NetLicetd(server_home, *nh.server_flags(), log_name="ops-server").start()

        # The relays; the first also holds a local container with the crypt product, issued by
        # the same firm key as the server's.
        relays = []
        for i in range(3):
            home = rt.Home(f"ops-relay{i}")
            homes.append(home)
            relays.append(nh.NetLicetd(home, *nh.client_flags(server), log_name="relay").start())
        local_serial = relays[0].home.create_container()
        relays[0].home.issue(local_serial, CRYPT_PRODUCT, firm_key=server_home.firm_key())

        # 1. Encrypt on a LAN handle, decrypt through the local container, and back.
        lan = nh.App(relays[0].home, CRYPT_PRODUCT, where=1)
        assert lan.code == 0, (lan.code, lan.message)
        local = nh.App(relays[0].home, CRYPT_PRODUCT, where=0)
        assert local.code == 0, (local.code, local.message)
        code, cipher, tag = crypt(lan, 1, DATA)
        assert code == 0 and cipher != DATA, (code, cipher)
        code, plain, _ = crypt(local, 2, cipher, tag)
        assert code == 0 and plain == DATA, (code, plain)
        code, cipher2, tag2 = crypt(local, 1, DATA)
        assert (cipher2, tag2) == (cipher, tag), "the local and the network key differ"
        code, plain, _ = crypt(lan, 2, cipher, tag)
        assert code == 0 and plain == DATA, (code, plain)
        code, direct, _ = crypt(lan, 3, DATA)
        assert code == 0 and crypt(local, 3, direct)[1] == DATA
        bad_tag = ("00" if tag[:2] != "00" else "11") + tag[2:]
        assert crypt(lan, 2, cipher, bad_tag)[0] == 6  # DECRYPT_FAILED
        # Shared memory (16 KiB and up) and the network limit.
        ok = lan.command(f"cryptlen 1 {MAX_NETWORK_CRYPT}").split()
        assert ok[1] == "code=0", ok
        big = lan.command(f"cryptlen 1 {MAX_NETWORK_CRYPT + 1}")  # INVALID_ARGUMENT
        assert big.startswith("cryptlen code=1 ") and "at most" in big, big
        print("ok LAN encrypt == local encrypt; limits enforced")

        # 2. Units: three apps on three relays take 9 units down to exactly 0.
        apps = [nh.App(r.home, UNITS_PRODUCT) for r in relays]
        assert all(a.code == 0 for a in apps), [(a.code, a.message) for a in apps]
        remaining = []
        for _ in range(UNITS // 3):
            for app in apps:
                line = app.command("units 1").split()
                assert line[1] == "code=0", line
                remaining.append(int(line[2].split("=")[1]))
        assert sorted(remaining) == list(range(UNITS)), remaining
        assert server_home.unit_counter(UNITS_PRODUCT) == 0
        line = apps[1].command("units 1").split()
        assert line[1] == "code=32", line  # UNIT_COUNTER_ZERO
        print("ok 3 network clients decremented units to exactly 0; one more refused")

        # 3. The usage period starts at the first network access, on disk before the grant.
        assert usage_started(server_home, PERIOD_PRODUCT) is None
        period = nh.App(relays[2].home, PERIOD_PRODUCT)
        assert period.code == 0, (period.code, period.message)
        server.kill9()
        started = usage_started(server_home, PERIOD_PRODUCT)
        assert started, "usage_started not persisted by the network server"
        print(f"ok usage period started at the first network access ({started})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
