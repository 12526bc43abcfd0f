# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The reader's fallbacks, each in a child interpreter: polling instead of the futex (§19),
plain loads/stores without libatomic, and liveness from owner_pid/owner_starttime instead of
the OFD writer lock (§19), and polling for a block that does not exist yet instead of inotify
(§10). The same round-trip, wait, stale and takeover tests must pass, and
lossless readers (§21) must work when polling without libatomic (the writer then sleeps its
10 ms slices instead of waiting on ack_word); a reader without OFD locks cannot own a
registration entry and says so."""

import os
import subprocess
import sys
import unittest

import helpers  # noqa: F401  (puts python/ on sys.path)

TESTS = ["test_roundtrip.RoundTrip.test_wait_wakes_up_and_times_out",
         "test_roundtrip.RoundTrip.test_killed_writer_is_stale_then_taken_over",
         "test_roundtrip.RoundTrip.test_end_of_session_close",
         "test_roundtrip.RoundTrip.test_active_toggle",
         "test_roundtrip.RoundTrip.test_no_torn_frames_under_stress"]
LOSSLESS_TESTS = ["test_lossless.Lossless.test_fast_writer_slow_lossless_reader_loses_nothing",
                  "test_lossless.Lossless.test_eviction_in_one_thread",
                  "test_lossless.Lossless.test_killed_reader_is_reclaimed_without_waiting",
                  "test_lossless.Lossless.test_every_reader_is_never_waited_for",
                  "test_lossless.Lossless.test_keyboard_interrupt_marks_no_slot"]


class Fallbacks(unittest.TestCase):
    def run_with(self, tests=TESTS, **env):
        here = os.path.dirname(os.path.abspath(__file__))
        q = subprocess.run([sys.executable, "-B", "-m", "unittest"] + tests, cwd=here,
                           env=dict(os.environ, **env), capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(q.returncode, 0, q.stderr[-3000:])
        self.assertIn("Ran %d test%s" % (len(tests), "s" if len(tests) > 1 else ""), q.stderr)

    def test_polling_without_futex_or_libatomic(self):
        self.run_with(SHMOUT_PY_NO_FUTEX="1", SHMOUT_PY_NO_LIBATOMIC="1")

    def test_attach_polling_without_inotify(self):
        self.run_with(["test_roundtrip.RoundTrip.test_reader_started_before_its_writer"],
                      SHMOUT_PY_NO_INOTIFY="1")

    def test_lossless_polling_without_futex_or_libatomic(self):
        self.run_with(LOSSLESS_TESTS, SHMOUT_PY_NO_FUTEX="1", SHMOUT_PY_NO_LIBATOMIC="1")

    def test_liveness_without_ofd_locks(self):
        self.run_with(SHMOUT_PY_NO_OFD="1")

    def test_lossless_without_ofd_locks(self):
        """§21: no OFD locks, no entry of one's own: a lossless reader says so once and reads
        every frame unregistered."""
        name = helpers.block_name("noofd")
        self.addCleanup(helpers.cleanup, name)
        with helpers.shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w:
            w.write(b"abcd")
            prog = ("import sys, warnings\n"
                    "import shmout\n"
                    "with warnings.catch_warnings(record=True) as warned:\n"
                    "    warnings.simplefilter('always')\n"
                    "    r = shmout.Reader(sys.argv[1], lossless=True)\n"
                    "    f = r.read()\n"
                    "print(f.number, r.registered, len(warned), warned[0].message)\n")
            q = subprocess.run([sys.executable, "-B", "-c", prog, name], capture_output=True,
                               text=True, timeout=60,
                               env=dict(os.environ, SHMOUT_PY_NO_OFD="1",
                                        PYTHONPATH=os.path.join(helpers.TOP, "python")))
            self.assertEqual(q.returncode, 0, q.stderr[-2000:])
            self.assertTrue(q.stdout.startswith("1 None 1 "), q.stdout)
            self.assertIn("OFD locks are not available", q.stdout)

    def test_refused_without_a_barrier(self):
        """§8: without libatomic on a weakly ordered CPU no fence can be emitted: Reader and
        Writer refuse (ENOSYS) rather than risk torn frames."""
        name = helpers.block_name("nobar")
        self.addCleanup(helpers.cleanup, name)
        self.addCleanup(helpers.cleanup, name + "x")
        with helpers.shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w:
            w.write(bytes(4))
            prog = ("import errno, platform, sys\n"
                    "platform.machine = lambda: 'aarch64'\n"
                    "import shmout\n"
                    "assert not shmout._sys.HAVE_LIBATOMIC\n"
                    "for make in (lambda: shmout.Reader(sys.argv[1]),\n"
                    "             lambda: shmout.Writer(sys.argv[1] + 'x', 2, 2, 'gray')):\n"
                    "    try:\n"
                    "        make()\n"
                    "    except OSError as e:\n"
                    "        assert e.errno == errno.ENOSYS, e\n"
                    "    else:\n"
                    "        sys.exit('not refused')\n"
                    "print('refused')\n")
            q = subprocess.run([sys.executable, "-B", "-c", prog, name], capture_output=True,
                               text=True, timeout=60,
                               env=dict(os.environ, SHMOUT_PY_NO_LIBATOMIC="1",
                                        PYTHONPATH=os.path.join(helpers.TOP, "python")))
            self.assertEqual((q.returncode, q.stdout.strip()), (0, "refused"), q.stderr[-2000:])


if __name__ == "__main__":
    unittest.main()
