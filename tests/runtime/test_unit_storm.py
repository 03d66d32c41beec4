"""Units under contention: 50 processes take 100 units each, one at a time, through the C API
(licet_unit_decrement) from a 5,000-unit item served by one real licetd.

Proves: no unit is lost or granted twice (every answer's `remaining` is distinct and together
they are exactly 0..4999), the counter ends at exactly 0 (in licetd and on disk after a
graceful stop), and one more decrement fails with LICET_ERROR_UNIT_COUNTER_ZERO (32), as
does a new access (units > 0 is an access rule).
"""

import subprocess
import sys
import time
import unittest

import runtime_harness as h

PRODUCT = 201040
UNITS = 5000
PROCESSES = 50
PER_PROCESS = 100


class UnitStormTest(unittest.TestCase):
    def setUp(self):
        self.home = h.Home("units")
        serial = self.home.create_container()
        self.home.issue(serial, PRODUCT, "--text", "Units", "--units", str(UNITS))
        self.licetd = h.Licetd(self.home).start()

    def tearDown(self):
        h.cleanup_all()
        if self.licetd.proc is not None and sys.exc_info()[0] is not None:
            print(self.licetd.tail(), file=sys.stderr)
        self.home.cleanup()

    def test_50_processes_take_exactly_5000_units(self):
        # Holds a handle from before the storm: its decrement afterwards is "one more".
        late = h.Holder(self.home, PRODUCT, 2)
        self.assertEqual(late.code, 0, late.message)

        go = self.home.path("go")
        procs = [h.spawn([h.CLIENT, "decrement", str(h.FIRM), str(PRODUCT), str(PER_PROCESS), go],
                         env=self.home.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(PROCESSES)]
        time.sleep(0.2)  # most have their handle by now: they start together
        open(go, "w").close()
        started = time.monotonic()

        remaining = []
        for i, proc in enumerate(procs):
            out, err = proc.communicate(timeout=240)
            lines = out.splitlines()
            self.assertEqual(proc.returncode, 0, f"process {i}: {err.strip()} / {lines[-1:]}")
            self.assertEqual(lines[-1], f"granted {PER_PROCESS} code 0", f"process {i}")
            values = [int(line.split()[1]) for line in lines[:-1]]
            self.assertEqual(len(values), PER_PROCESS, f"process {i}")
            # One process sees its own answers in decreasing order.
            self.assertEqual(values, sorted(values, reverse=True), f"process {i}")
            remaining.extend(values)
        elapsed = time.monotonic() - started
        print(f"{PROCESSES} x {PER_PROCESS} decrements in {elapsed:.2f} s "
              f"({PROCESSES * PER_PROCESS / elapsed:.0f}/s)")

        # Each granted unit saw a distinct counter value: nothing given twice, nothing lost.
        self.assertEqual(len(remaining), UNITS)
        self.assertEqual(sorted(remaining), list(range(UNITS)))

        # One more: refused with 32 on an existing handle, and at access.
        code, message = h.parse_code(late.command("decrement"))
        self.assertEqual(code, 32, message)
        self.assertTrue(message, "a refusal carries a message")
        code, message = h.try_access(self.home, PRODUCT, mode=2)
        self.assertEqual(code, 32, message)

        self.assertEqual(self.home.unit_counter(PRODUCT), 0)  # through licetd
        late.release()
        self.assertEqual(self.licetd.stop(), 0)
        self.assertEqual(self.home.unit_counter(PRODUCT), 0)  # on disk, licetd stopped


if __name__ == "__main__":
    h.check_binaries()
    unittest.main(verbosity=2)
