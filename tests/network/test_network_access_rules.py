"""Access rules and seat reservations of the network server with real processes
(docs/NETWORK.md "Access rules and reservations"): an address outside the allow list and a
denied user get LICET_ERROR_ACCESS_DENIED (231) with the rule in the message and in the
server's denials; seats reserved for a group stay free for it while everyone else is refused."""

import sys

import network_harness as nh
import runtime_harness as rt

ACCESS_DENIED = 231
NO_MORE_LICENSES = 212
PRODUCT = 31


def test_denied(homes):
    """allow = 10.0.0.0/8 refuses the relay on 127.0.0.1; deny = user:load refuses netload."""
    server_home, _ = nh.server_home({PRODUCT: 5}, name="rules")
    homes.append(server_home)
    server = nh.NetLicetd(server_home, *nh.server_flags(), "--network-allow", "10.0.0.0/8",
                          "--network-deny", "user:load", log_name="server-rules").start()
    relay_home = rt.Home("rules-relay")
    homes.append(relay_home)
    nh.NetLicetd(relay_home, *nh.client_flags(server), log_name="relay").start()
    app = nh.App(relay_home, PRODUCT)
    assert app.code == ACCESS_DENIED, (app.code, app.message)
    assert "no allow rule" in app.message, app.message
    driver = nh.Driver("race", server, PRODUCT, 2)
    load = driver.result(timeout=60)
    driver.kill9()
    assert load["granted"] == 0 and load["codes"] == {ACCESS_DENIED: 2}, load
    denials = server.network()["denials"]
    reasons = [d["reason"] for d in denials if d["code"] == "access_denied"]
    assert any("deny rule 'user:load'" in r for r in reasons), denials
    assert any("no allow rule" in r for r in reasons), denials
    item = server.item(PRODUCT)
    assert item is None or item["seats_used"] == 0, item
    server.stop()


def test_reservation(homes):
    """3 seats, 2 reserved for group cad (the netload hosts): the relay's apps get one seat,
    the group gets its two."""
    server_home, _ = nh.server_home({PRODUCT: 3}, name="reserve")
    homes.append(server_home)
    server = nh.NetLicetd(server_home, *nh.server_flags(),
                          "--network-groups", "cad=host:netload-*",
                          "--network-reservations", f"{nh.FIRM}:{PRODUCT}=2@cad",
                          log_name="server-reserve").start()
    relay_home = rt.Home("reserve-relay")
    homes.append(relay_home)
    nh.NetLicetd(relay_home, *nh.client_flags(server), log_name="relay").start()
    first = nh.App(relay_home, PRODUCT)
    assert first.code == 0, (first.code, first.message)
    second = nh.App(relay_home, PRODUCT)
    assert second.code == NO_MORE_LICENSES, (second.code, second.message)
    assert "reserved for group(s) cad" in second.message, second.message
    group = nh.Driver("race", server, PRODUCT, 4)
    result = group.result(timeout=60)
    assert result["granted"] == 2 and result["codes"] == {NO_MORE_LICENSES: 2}, result
    assert server.item(PRODUCT)["seats_used"] == 3, server.item(PRODUCT)
    group.release()
    first.release()
    server.stop()


def main():
    nh.check_binaries()
    with nh.test_homes() as homes:
        test_denied(homes)
        print("ok denied by address and by user")
        test_reservation(homes)
        print("ok reserved seats held for the group")
    return 0


if __name__ == "__main__":
    sys.exit(main())
