"""kill -9 of licetd with 50 clients taking units (C API), then a restart: what the clients
were granted against what is left on disk.

`granted` is the sum of decrements answered OK; `in_flight` the number of clients whose last
call failed with LICET_ERROR_UNAVAILABLE (its request may have been sent and applied without
an answer: at most one request, of one unit, per client). The contract (docs/LICETD.md
"Units and crashes"):

    granted  <=  units_before - units_after  <=  granted + in_flight

Tolerance: in_flight <= 1 per client (50 here), counted by the clients themselves; with no
request in flight the two sides are equal: granted + left == 5000 exactly.

- test_parked_kill9_exact: the clients stop between requests (no request in flight), licetd
  is killed -9 with their handles open: granted + left == 5000 exactly.
- test_kill9_mid_storm: client 0 kills licetd -9 right after its K-th unit while the others are
  mid-request; three rounds (K = 5, 15, 30) on the same item, each checked with the bounds
  above; then the rest is drained after the last restart and one more fails with 32.
"""

import os
import subprocess
import sys
import unittest

import runtime_harness as h

PRODUCT = 201041
UNITS = 5000
CLIENTS = 50


class Storm:
    """CLIENTS storm clients on one item; see licet-runtime-client `storm`."""

    def __init__(self, home, tag, kill_pid=None, kill_after=None):
        self.dir = home.path(f"storm-{tag}")
        os.mkdir(self.dir)
        self.procs = []
        for i in range(CLIENTS):
            args = [h.CLIENT, "storm", str(h.FIRM), str(PRODUCT), self.dir, str(i)]
            if i == 0 and kill_pid is not None:
                args += [str(kill_pid), str(kill_after)]
            self.procs.append(h.spawn(args, env=home.env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
        h.wait_until(lambda: all(os.path.exists(self.file("ready", i)) or p.poll() is not None
                                 for i, p in enumerate(self.procs)), 120, "the clients' accesses")
        for i, p in enumerate(self.procs):
            if p.poll() is not None:
                raise AssertionError(f"client {i} failed to start: {p.communicate(timeout=10)}")

    def file(self, kind, i):
        return os.path.join(self.dir, f"{kind}.{i}")

    def touch(self, name):
        open(os.path.join(self.dir, name), "w").close()

    def results(self, timeout=180):
        """[(granted, in_flight, code)] of every client, once all have ended."""
        out = []
        for i, proc in enumerate(self.procs):
            stdout, stderr = proc.communicate(timeout=timeout)
            words = stdout.split()
            if proc.returncode != 0 or len(words) != 6 or words[0] != "granted":
                raise AssertionError(f"client {i} exited {proc.returncode}: {stdout!r} {stderr!r}")
            out.append((int(words[1]), int(words[3]), int(words[5])))
        return out


class Kill9Test(unittest.TestCase):
    def setUp(self):
        self.home = h.Home("kill9")
        serial = self.home.create_container()
        self.home.issue(serial, PRODUCT, "--text", "Units", "--units", str(UNITS))
        self.licetd = h.Licetd(self.home).start()

    def tearDown(self):
        h.cleanup_all()
        if sys.exc_info()[0] is not None:
            print(self.licetd.tail(), file=sys.stderr)
        self.home.cleanup()

    def restart_and_count(self):
        """Starts licetd again over the same files; the units left, as it reads them."""
        self.licetd.start()
        return self.home.unit_counter(PRODUCT)

    def test_parked_kill9_exact(self):
        storm = Storm(self.home, "parked")
        storm.touch("go")
        h.wait_until(lambda: self.licetd.metric("licetd_units_decremented_total") >= 1000, 120,
                     "1000 units taken")
        storm.touch("pause")
        h.wait_until(lambda: all(os.path.exists(storm.file("parked", i)) or p.poll() is not None
                                 for i, p in enumerate(storm.procs)), 120, "every client to park")
        granted = 0
        for i, p in enumerate(storm.procs):
            if p.poll() is not None:
                self.fail(f"client {i} ended before the pause: {p.communicate(timeout=10)}")
            with open(storm.file("parked", i)) as f:
                granted += int(f.read().split()[1])

        self.licetd.kill9()  # the clients still hold their handles
        left = self.restart_and_count()
        print(f"parked: granted {granted}, left {left}, granted + left = {granted + left}")
        self.assertGreater(granted, 0)
        self.assertEqual(granted + left, UNITS, "no request was in flight: the sum must be exact")

        storm.touch("stop")
        for i, (g, in_flight, code) in enumerate(storm.results()):
            self.assertEqual((in_flight, code), (0, 0), f"client {i} took a unit after parking")
        self.assertEqual(self.home.unit_counter(PRODUCT), left)

    def test_kill9_mid_storm(self):
        before = UNITS
        for kill_after in (5, 15, 30):
            storm = Storm(self.home, f"k{kill_after}", kill_pid=self.licetd.pid, kill_after=kill_after)
            storm.touch("go")
            results = storm.results()
            rc = self.licetd.wait(timeout=60)
            self.assertEqual(rc, -9, "licetd must have been killed by client 0")
            granted = sum(r[0] for r in results)
            in_flight = sum(r[1] for r in results)
            self.assertLessEqual(in_flight, CLIENTS)
            for i, (g, f, code) in enumerate(results):
                # Everyone was cut off by the kill (units were still left): code 15, with at
                # most its one unanswered request in flight.
                self.assertEqual(code, 15, f"client {i}: granted {g}, code {code}")
                self.assertIn(f, (0, 1), f"client {i}")
            self.assertGreaterEqual(results[0][0], kill_after)

            left = self.restart_and_count()
            taken = before - left
            print(f"kill after {kill_after}: granted {granted}, in flight {in_flight}, "
                  f"taken {taken} (left {left}); taken - granted = {taken - granted}")
            self.assertGreater(left, 0, "the storm must be cut in the middle")
            self.assertLessEqual(granted, taken, "a granted unit was lost by the crash")
            self.assertLessEqual(taken, granted + in_flight,
                                 "more units gone than granted plus in flight")
            before = left

        # The counter still works after the crashes: the rest, exactly, then 32.
        open(self.home.path("go-drain"), "w").close()
        out = h.run_client(self.home, "decrement", h.FIRM, PRODUCT, before + 1, self.home.path("go-drain"),
                           timeout=240)
        self.assertEqual(out.stdout.splitlines()[-1], f"granted {before} code 32", out.stderr)
        self.assertEqual(self.home.unit_counter(PRODUCT), 0)
        self.assertEqual(self.licetd.stop(), 0)


if __name__ == "__main__":
    h.check_binaries()
    unittest.main(verbosity=2)
