"""Access modes and seats against a real licetd, each handle in its own process (C API), as
on a machine running several protected programs; the Python module adds the same-process
cases.

- EXCLUSIVE excludes: while an exclusive handle exists every other access, in any mode, gets
  213; an exclusive access while any other handle exists (user-limit, station-share,
  no-user-limit) gets 213.
- STATION_SHARE: one seat per machine for any number of handles: with license_quantity 1
  three processes hold station-share handles, while a user-limit access gets 212 (and a
  station-share access is refused while a user-limit handle holds the only seat).
- USER_LIMIT: license_quantity 2, the third handle gets 212; kill -9 of a holder frees its
  seat, and so does a holder that exits without releasing.
"""

import os
import sys
import unittest

import runtime_harness as h

UL, SS, EX, NUL = 1, 2, 4, 8
EXCLUSIVE_ITEM, STATION_ITEM, SEATS_ITEM = 201050, 201051, 201052
ALL_MODES = "user-limit,station-share,exclusive,no-user-limit"


def setUpModule():
    global home, licetd
    home = h.Home("modes")
    serial = home.create_container()
    home.issue(serial, EXCLUSIVE_ITEM, "--text", "Exclusive", "--license-quantity", "5",
               "--access-modes", ALL_MODES)
    home.issue(serial, STATION_ITEM, "--text", "Station share", "--license-quantity", "1")
    home.issue(serial, SEATS_ITEM, "--text", "Two seats", "--license-quantity", "2")
    os.environ["LICET_SOCKET"] = home.socket  # for the Python module in this process
    licetd = h.Licetd(home).start()


def tearDownModule():
    h.cleanup_children()
    if licetd.proc is not None:
        licetd.stop()
    h.cleanup_all()
    home.cleanup()


class ModesTest(unittest.TestCase):
    def tearDown(self):
        h.cleanup_children()  # holders of a failed test must not leak into the next one
        if sys.exc_info()[0] is not None:
            print(licetd.tail(), file=sys.stderr)

    def hold(self, product, mode):
        holder = h.Holder(home, product, mode)
        self.assertEqual(holder.code, 0, f"mode {mode} on {product}: {holder.message}")
        return holder

    def assert_code(self, product, mode, want):
        code, message = h.try_access(home, product, mode=mode)
        self.assertEqual(code, want, f"mode {mode} on {product}: {message}")
        if want != 0:
            self.assertTrue(message, "a refusal carries a message")

    def wait_free(self, product, mode):
        h.wait_until(lambda: h.try_access(home, product, mode=mode)[0] == 0, 20,
                     f"a seat of {product} to be freed")

    def test_exclusive_excludes_every_other_access(self):
        exclusive = self.hold(EXCLUSIVE_ITEM, EX)
        for mode in (UL, SS, EX, NUL):
            self.assert_code(EXCLUSIVE_ITEM, mode, 213)
        self.assertEqual(exclusive.release(), "released code=0\n")
        self.assert_code(EXCLUSIVE_ITEM, UL, 0)

    def test_exclusive_refused_while_another_handle_exists(self):
        for mode in (UL, SS, NUL):
            other = self.hold(EXCLUSIVE_ITEM, mode)
            self.assert_code(EXCLUSIVE_ITEM, EX, 213)
            other.release()
        self.assert_code(EXCLUSIVE_ITEM, EX, 0)

    def test_station_share_one_seat_for_many_processes(self):
        holders = [self.hold(STATION_ITEM, SS) for _ in range(3)]  # one seat: license_quantity 1
        self.assert_code(STATION_ITEM, UL, 212)
        holders[0].release()
        self.assert_code(STATION_ITEM, UL, 212)  # the others still hold the machine's seat
        for holder in holders[1:]:
            holder.release()
        self.assert_code(STATION_ITEM, UL, 0)

        user = self.hold(STATION_ITEM, UL)
        self.assert_code(STATION_ITEM, SS, 212)
        user.release()
        self.assert_code(STATION_ITEM, SS, 0)

    def test_user_limit_counts_handles_and_dead_processes_free_seats(self):
        first, second = self.hold(SEATS_ITEM, UL), self.hold(SEATS_ITEM, UL)
        self.assert_code(SEATS_ITEM, UL, 212)
        first.kill9()  # its connection closes: licetd frees the lease
        self.wait_free(SEATS_ITEM, UL)
        third = self.hold(SEATS_ITEM, UL)
        self.assert_code(SEATS_ITEM, UL, 212)
        second.exit_without_release()
        self.wait_free(SEATS_ITEM, UL)
        third.release()

    def test_python_module_same_process(self):
        licet = h.python_module()
        if licet is None:
            self.skipTest("the licet Python module is not built")
        with licet.access(h.FIRM, EXCLUSIVE_ITEM, mode="exclusive"):
            for mode in ("user-limit", "station-share", "exclusive", "no-user-limit"):
                with self.assertRaises(licet.ExclusiveConflictError) as ctx:
                    licet.access(h.FIRM, EXCLUSIVE_ITEM, mode=mode)
                self.assertEqual(ctx.exception.code, 213)
            self.assert_code(EXCLUSIVE_ITEM, UL, 213)  # and from another process
        with licet.access(h.FIRM, STATION_ITEM, mode="station-share"), \
                licet.access(h.FIRM, STATION_ITEM, mode="station-share"):
            other = self.hold(STATION_ITEM, SS)
            with self.assertRaises(licet.NoMoreLicensesError) as ctx:
                licet.access(h.FIRM, STATION_ITEM, mode="user-limit")
            self.assertEqual(ctx.exception.code, 212)
            other.release()


if __name__ == "__main__":
    h.check_binaries()
    unittest.main(verbosity=2)
