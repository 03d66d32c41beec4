"""The network license server over loopback TLS with real processes (issue #5 "Must show"):
1,000 clients racing for 10 seats never hold more than 10 (checked by the server and by the
clients), real licetd relays get their seats and their own errors, kill -9 of a client frees
its seat after the lease timeout, the clients hold their seats again after a server restart,
plaintext and tampered connections are refused, and a wrong pinned fingerprint refuses the
server."""

import json
import resource
import socket
import ssl
import sys
import time

import network_harness as nh
import runtime_harness as rt

LEASE_TIMEOUT = 2
RACE = 1000
SEATS = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_race(server):
    product = 21
    drivers = [nh.Driver("race", server, product, RACE // 2) for _ in range(2)]
    results = [d.result(timeout=180) for d in drivers]
    granted = sum(r["granted"] for r in results)
    assert granted == SEATS, results
    for r in results:
        assert r["held_max"] <= SEATS, r
        assert set(r["codes"]) <= {212}, r  # LICET_ERROR_NO_MORE_LICENSES, nothing else
    item = server.item(product)
    assert item["seats_used"] == SEATS and item["peak_seats"] == SEATS, item
    assert item["denied"] == RACE - SEATS, item
    # The sysadmin's table, over TLS like any client: the 10 holders.
    home = rt.Home("cli")
    try:
        out = home.cli("network", "status", "--server", f"127.0.0.1:{server.port}",
                       "--fingerprint", server.fingerprint, "--json")
        rows = [r for r in json.loads(out.stdout)["leases"] if r["product_code"] == product]
        assert len(rows) == SEATS, rows
        assert all(r["client"].startswith("netload-") and r["client"].endswith("\\load")
                   for r in rows), rows
        text = home.cli("network", "status", "--server", f"127.0.0.1:{server.port}",
                        "--fingerprint", server.fingerprint).stdout
        assert "LAST HEARTBEAT" in text and "user-limit" in text, text
        bad = home.cli("network", "status", "--server", f"127.0.0.1:{server.port}",
                       "--fingerprint", "sha256:" + "11" * 32, check=False)
        assert bad.returncode == 1 and "not trusted" in bad.stderr, bad.stderr
    finally:
        home.cleanup()
    return drivers


def test_relays_while_full(server, relays):
    """Apps behind real licetd relays are refused with their own code while the seats are
    taken, and get seats once they are free."""
    product = 21
    for relay in relays:
        app = nh.App(relay.home, product)
        assert app.code == 212, (app.code, app.message)
        assert "seat" in app.message, app.message


def test_relays_get_seats(server, relays):
    product = 21
    apps = [nh.App(r.home, product) for r in relays for _ in range(3)]
    for app in apps:
        assert app.code == 0, (app.code, app.message)
        line = app.command("info")
        assert line.startswith("info code=0 serial=130-"), line
    rt.wait_until(lambda: server.item(product)["seats_used"] == 6, 10, "6 seats used")
    for app in apps[:3]:
        assert app.release() == "released code=0"
    rt.wait_until(lambda: server.item(product)["seats_used"] == 3, 10, "3 seats after release")
    # An app killed with kill -9: its licetd sees the connection close and releases at once.
    apps[3].kill9()
    rt.wait_until(lambda: server.item(product)["seats_used"] == 2, 10, "release after app kill")
    # The administrator frees a seat; an unknown lease is a 404.
    lease = next(r["lease"] for r in server.network()["leases"] if r["product_code"] == product)
    assert server.free_lease(lease) == 204
    assert server.free_lease(lease) == 404
    assert server.item(product)["seats_used"] == 1
    for app in apps[4:]:
        app.release()
    rt.wait_until(lambda: server.item(product)["seats_used"] == 0, 10, "all released")


def test_denials(server, relay):
    # Unknown product, and an exclusive access while another client holds the item.
    app = nh.App(relay.home, 9999)
    assert app.code == 200, (app.code, app.message)  # LICET_ERROR_ENTRY_NOT_FOUND
    holder = nh.App(relay.home, 22)
    assert holder.code == 0, holder.message
    d = nh.Driver("race", server, 22, 1, mode=4)
    r = d.result()
    assert r["codes"] == {213: 1}, r  # LICET_ERROR_EXCLUSIVE_CONFLICT
    d.release()
    holder.release()
    denials = server.network()["denials"]
    codes = {row["code"] for row in denials}
    assert {"entry_not_found", "exclusive_conflict", "no_more_licenses"} <= codes, codes
    metrics = server.metrics()
    assert 'licet_network_seats_used{firm_code="6000010",product_code="21"}' in metrics
    # 990 lost the race, and the 2 relayed applications that asked while it was full.
    assert 'licet_network_denied_total{firm_code="6000010",product_code="21"} 992' in metrics, \
        [l for l in metrics.splitlines() if "denied" in l]


def test_kill9_client_licetd(server, relay_home):
    """A client machine dies (its licetd is killed with -9): the seat is freed after the lease
    timeout, not before."""
    product = 23  # one seat
    relay = nh.NetLicetd(relay_home, *nh.client_flags(server), log_name="victim").start()
    app = nh.App(relay_home, product)
    assert app.code == 0, app.message
    relay.kill9()
    killed = time.monotonic()
    assert server.item(product)["seats_used"] == 1
    blocked = nh.Driver("race", server, product, 1)
    assert blocked.result()["codes"] == {212: 1}
    blocked.release()
    rt.wait_until(lambda: server.item(product)["seats_used"] == 0, LEASE_TIMEOUT + 10,
                  "the dead client's seat to be freed")
    assert time.monotonic() - killed >= LEASE_TIMEOUT - 0.5
    d = nh.Driver("race", server, product, 1)
    assert d.result()["granted"] == 1
    d.release()
    app.kill9()


def test_restart(server_home, port, relay):
    """kill -9 of the server: the clients reconnect and hold their seats again."""
    server = nh.NetLicetd(server_home, *nh.server_flags(LEASE_TIMEOUT, f"127.0.0.1:{port}"),
                          log_name="server-restart").start()
    relay_app = None
    d = nh.Driver("hold", server, 24, 5)
    assert d.result()["granted"] == 5
    relay_app = nh.App(relay.home, 24)
    assert relay_app.code == 0, relay_app.message
    rt.wait_until(lambda: server.item(24)["seats_used"] == 6, 10, "6 seats")
    server.kill9()
    time.sleep(0.5)
    server = nh.NetLicetd(server_home, *nh.server_flags(LEASE_TIMEOUT, f"127.0.0.1:{port}"),
                          log_name="server-restart2").start()
    rt.wait_until(lambda: (server.item(24) or {}).get("seats_used") == 6, 30,
                  "the clients to hold their 6 seats again")
    held, _ = d.held()
    assert held == 5, held
    assert relay_app.command("info").startswith("info code=0"), "relayed handle lost"
    d.release()
    relay_app.release()
    server.stop()


def test_refused_connections(server):
    # Plaintext: a frame of the protocol without TLS gets no answer, only a closed connection.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\x00\x00\x00\x05hello")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        assert b"leases" not in data, data
    # Tampered: a TLS session whose record is altered in flight is dropped.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                s.sendall(outgoing.read())
                incoming.write(s.recv(65536))
        s.sendall(outgoing.read())
        tls.write(b"\x00\x00\x00\x04\xa0\xa0\xa0\xa0")
        record = bytearray(outgoing.read())
        record[-3] ^= 0x40  # flip a bit of the ciphertext
        s.sendall(bytes(record))
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        # Whatever comes back decrypts to no application data: an alert at most, then EOF.
        incoming.write(data)
        incoming.write_eof()
        try:
            got = tls.read(4096)
        except (ssl.SSLError, ssl.SSLEOFError) as e:
            got = b""
            print(f"tampered record: the server answered {e.__class__.__name__}: {e}")
        assert got == b"", got
    failures = [l for l in server.metrics().splitlines()
                if l.startswith("licet_network_handshake_failures_total ")]
    assert failures and float(failures[0].split()[1]) >= 1, failures


def test_wrong_fingerprint(server, home):
    wrong = "sha256:" + "00" * 32
    relay = nh.NetLicetd(home, "--servers", f"127.0.0.1:{server.port}",
                         "--server-fingerprints", wrong, log_name="wrongpin").start()
    app = nh.App(home, 21)
    assert app.code == 101, (app.code, app.message)  # LICET_ERROR_SERVER_NOT_FOUND
    assert "not trusted" in app.message, app.message
    relay.stop()


def main():
    nh.check_binaries()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with nh.test_homes() as homes:
        server_home, _ = nh.server_home({21: SEATS, 22: 2, 23: 1, 24: 10})
        homes.append(server_home)
        port = free_port()
        server = nh.NetLicetd(server_home, *nh.server_flags(LEASE_TIMEOUT, f"127.0.0.1:{port}"),
                              log_name="server").start()
        assert server.port == port and server.fingerprint.startswith("sha256:")
        relay_homes = [rt.Home(f"relay{i}") for i in range(2)]
        homes += relay_homes
        relays = [nh.NetLicetd(h, *nh.client_flags(server), log_name="relay").start()
                  for h in relay_homes]

        drivers = test_race(server)
        test_relays_while_full(server, relays)
        for d in drivers:
            d.release()
        rt.wait_until(lambda: server.item(21)["seats_used"] == 0, 10, "race seats released")
        print("ok race: 1000 clients, 10 seats, never more than 10")
        test_relays_get_seats(server, relays)
        print("ok relays")
        test_denials(server, relays[0])
        print("ok denials")
        victim_home = rt.Home("victim")
        homes.append(victim_home)
        test_kill9_client_licetd(server, victim_home)
        print("ok kill -9 of a client frees its seat after the timeout")
        test_refused_connections(server)
        print("ok plaintext and tampered connections refused")
        pin_home = rt.Home("pin")
        homes.append(pin_home)
        test_wrong_fingerprint(server, pin_home)
        print("ok wrong fingerprint refused")
        server.stop()
        test_restart(server_home, port, relays[1])
        print("ok restart: seats held again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
