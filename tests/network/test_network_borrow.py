"""Borrowing with real processes (issue #5, docs/NETWORK.md "Borrowing"): `licet borrow` takes
a seat from a network licetd into the client's soft container (made on the way); the server
counts it (other clients see one fewer seat) across a restart; max_seats and max_days are
enforced with their own errors; the client's licetd serves the borrowed license with the
server stopped, and refuses it once expired (faketime); a return frees the seat, a replayed
return frees nothing more, and a return forged for another container's loan is refused."""

import json
import os
import stat
import sys

import network_harness as nh
import runtime_harness as rt

PRODUCT = 31    # 3 seats, borrowable for 3 days, 2 at once
NO_BORROW = 32  # 2 seats, no borrow rules


def borrow(home, server, *args, check=True):
    return home.cli("borrow", "--server", f"127.0.0.1:{server.port}", "--fingerprint",
                    server.fingerprint, "--firm-code", str(nh.FIRM), *args, check=check)


def free_seats(server, product, most=4):
    """How many seats a race of `most` fresh clients gets (then gives back)."""
    d = nh.Driver("race", server, product, most)
    r = d.result(timeout=60)
    d.release()
    return r["granted"]


def loans(home):
    return json.loads(home.cli("borrow", "list", "--json").stdout)["borrows"]


def licetd_at(home, offset, log_name):
    """A licetd for `home` whose clock runs `offset` ahead (faketime), e.g. "+2d"."""
    wrapper = home.path(f"{log_name}-faketime.sh")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec faketime -f '{offset}' '{rt.LICETD}' \"$@\"\n")
    os.chmod(wrapper, stat.S_IRWXU)
    real, rt.LICETD = rt.LICETD, wrapper
    try:
        return nh.NetLicetd(home, log_name=log_name).start()
    finally:
        rt.LICETD = real


def local_access(home):
    out = home.cli("access", "--firm-code", str(nh.FIRM), "--product-code", str(PRODUCT),
                   "--json", check=False)
    return out.returncode, out.stdout + out.stderr


def main():
    nh.check_binaries()
    with nh.test_homes() as homes:
        server_home, serial = nh.server_home({})
        homes.append(server_home)
        server_home.issue(serial, PRODUCT, "--license-quantity", "3", "--borrow-max-days", "3",
                          "--borrow-max-seats", "2")
        server_home.issue(serial, NO_BORROW, "--license-quantity", "2")
        server = nh.NetLicetd(server_home, *nh.server_flags(), log_name="server").start()
        a, b, c = rt.Home("borrower-a"), rt.Home("borrower-b"), rt.Home("borrower-c")
        homes.extend([a, b, c])

        # A borrows for one day into a container made on the way.
        out = json.loads(borrow(a, server, "--product-code", str(PRODUCT), "--days", "1",
                                "--json").stdout)
        assert out["created_container"] is True and out["firm_code"] == nh.FIRM, out
        a_serial = out["serial"]
        assert loans(a)[0]["state"] == "active"
        assert free_seats(server, PRODUCT) == 2, "a borrowed seat is used"
        rows = json.loads(server_home.cli("network", "status", "--server",
                                          f"127.0.0.1:{server.port}", "--fingerprint",
                                          server.fingerprint, "--json").stdout)["leases"]
        lent = [r for r in rows if r.get("mode") == "borrowed"]
        assert len(lent) == 1 and lent[0]["client_container"] == a_serial, rows
        assert server.network()["borrows"][0]["until"], server.network()

        # Refusals, each with its own code and reason.
        too_long = borrow(b, server, "--product-code", str(PRODUCT), "--days", "4", check=False)
        assert too_long.returncode == 1 and "at most 3 day(s)" in too_long.stderr, too_long.stderr
        never = borrow(b, server, "--product-code", str(NO_BORROW), check=False)
        assert never.returncode == 1 and "may not be borrowed" in never.stderr, never.stderr
        borrow(b, server, "--product-code", str(PRODUCT), "--days", "2")
        third = borrow(c, server, "--product-code", str(PRODUCT), "--days", "1", check=False)
        assert third.returncode == 1 and "lent out" in third.stderr, third.stderr
        assert free_seats(server, PRODUCT) == 1

        # A restart still counts both loans.
        server.stop()
        server = nh.NetLicetd(server_home, *nh.server_flags(), log_name="server2").start()
        assert free_seats(server, PRODUCT) == 1, "loans survive a restart"

        # A uses its license with the server stopped.
        server.stop()
        local = nh.NetLicetd(a, log_name="a-licetd").start()
        code, text = local_access(a)
        assert code == 0, text
        app = nh.App(a, PRODUCT, where=2)  # LOCAL_LAN: found locally
        assert app.code == 0, (app.code, app.message)
        app.release()
        local.stop()
        # Two days later the one-day loan has expired.
        late = licetd_at(a, "+2d", "a-late")
        code, text = local_access(a)
        assert code == 1 and "expired" in text, text
        late.stop()

        # A forged return: A's key over B's loan id is refused, and the count stays.
        server = nh.NetLicetd(server_home, *nh.server_flags(), log_name="server3").start()
        b_loan = loans(b)[0]
        a_loan_path = os.path.join(a.home, "borrow", f"{loans(a)[0]['borrow_id']}.json")
        with open(a_loan_path) as f:
            a_loan = json.load(f)
        forged = dict(a_loan, borrow_id=b_loan["borrow_id"], until_unix=2**40)
        forged_path = os.path.join(a.home, "borrow", f"{b_loan['borrow_id']}.json")
        os.remove(a_loan_path)
        with open(forged_path, "w") as f:
            json.dump(forged, f)
        # (The CLI removes A's local item first, then the server says no.)
        bad = a.cli("borrow", "return", "--firm-code", str(nh.FIRM), "--product-code",
                    str(PRODUCT), "--server", f"127.0.0.1:{server.port}", "--fingerprint",
                    server.fingerprint, check=False)
        assert bad.returncode == 1 and "not signed by container" in bad.stderr, bad.stderr
        assert free_seats(server, PRODUCT) == 1

        # B returns: the seat is free; a replayed return frees nothing more.
        b_path = os.path.join(b.home, "borrow", f"{b_loan['borrow_id']}.json")
        with open(b_path) as f:
            saved = f.read()
        b.cli("borrow", "return", "--firm-code", str(nh.FIRM), "--product-code", str(PRODUCT),
              "--server", f"127.0.0.1:{server.port}", "--fingerprint", server.fingerprint)
        assert loans(b) == []
        assert free_seats(server, PRODUCT) == 2
        with open(b_path, "w") as f:
            f.write(saved)
        again = b.cli("borrow", "return", "--firm-code", str(nh.FIRM), "--product-code",
                      str(PRODUCT), "--server", f"127.0.0.1:{server.port}", "--fingerprint",
                      server.fingerprint, check=False)
        assert again.returncode == 0, again.stderr  # the server already has it back
        assert free_seats(server, PRODUCT) == 2, "a replayed return frees no extra seat"
        # C can borrow now (one loan out: A's, until it expires).
        borrow(c, server, "--product-code", str(PRODUCT), "--days", "1")
        server.stop()

        # The usage log has every loan and the return (mode "borrowed").
        with open(os.path.join(server_home.home, "network", "usage", f"{nh.FIRM}.log")) as f:
            records = [json.loads(line) for line in f]
        lent = [r for r in records if r.get("mode") == "borrowed" and r["event"] == "grant"]
        back = [r for r in records if r.get("mode") == "borrowed" and r["event"] == "release"]
        assert len(lent) == 3 and len(back) == 1 and back[0]["reason"] == "returned", records
        assert any(r["event"] == "deny" and r.get("mode") == "borrowed" for r in records)
    print("OK test_network_borrow")


if __name__ == "__main__":
    sys.exit(main())
