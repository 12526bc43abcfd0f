# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Reader registration and lossless readers (PROTOCOL.md §21, protocol 1.1), with real
processes and no mocks: a fast writer with slow lossless readers loses nothing (every frame
compared byte for byte), eight lossless readers at once, an every reader is never waited for
(the writer only counts what it loses), a SIGSTOPped lossless reader is evicted at the bound and
counts the gap it saw, a SIGKILLed one is reclaimed without waiting, a hostile process that
scribbles over the whole wait object costs at most the bound per frame and corrupts nothing,
KeyboardInterrupt during the wait marks no slot, wait_readers, the counting of frames before the
first one returned (§10), pre-registration on a closed block, a resize, and the cases where the
writer cannot honour a lossless reader. Interoperability with the C library both ways (the C
test writer read by a Python lossless reader, a Python writer read by FFmpeg's shmin in lossless
mode) is skipped, saying so, while build/bin has no lossless support."""

import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

import helpers
from helpers import shmout, S, SHMOUT_TOOL, FFMPEG

P = shmout._protocol
HERE = os.path.dirname(os.path.abspath(__file__))
CHILD_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(helpers.TOP, "python"),
                                                         HERE]))
W, H = 64, 16               # gray: one plane of 1024 bytes, tight rows
SIZE = W * H

# A reader in a child process: prints {"ready": registered} once attached, then reads until
# frame `upto` (or until no frame came for `idle` seconds), checking every frame
# against the pattern, sleeping `sleep` seconds per frame, and prints its counters.
CHILD = r"""
import json, sys, time, warnings
import shmout
from helpers import pattern
name, sleep, upto, idle, lossless = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), sys.argv[5] == "1"
with warnings.catch_warnings(record=True) as warned:
    warnings.simplefilter("always")
    r = shmout.Reader(name, timeout=20, lossless=lossless)
print(json.dumps({"ready": r.registered, "warnings": [str(w.message) for w in warned],
                  "session": r._reg_session}), flush=True)
numbers, bad = [], []
quiet = time.monotonic()
while True:
    f = r.next_frame(timeout=0.5, every=True)
    if f is None:                       # a timeout, or an end of session: a writer may follow
        if time.monotonic() - quiet > idle:
            break
        continue
    quiet = time.monotonic()
    numbers.append(f.number)
    if b"".join(f.data) != pattern(f.number, 0, len(f.data[0])):
        bad.append(f.number)
    if f.number >= upto:
        break
    if sleep:
        time.sleep(sleep)
print(json.dumps(dict(numbers=numbers, bad=bad, seen=r.frames_seen, skipped=r.frames_skipped,
                      before=r.frames_before_attach, evictions=r.evictions,
                      evicted_at=r.evicted_at, registered=r.registered)), flush=True)
r.close()
"""

# A hostile process: opens the wait object read-write (as any reader can), holds the locks of
# entries 5..9 so that they look alive, and for `seconds` writes random bytes over the whole
# object (waiters, ack_word, writer_waiting, every entry), lossless entries of the current
# session that never acknowledge anything, and random words anywhere.
HOSTILE = r"""
import fcntl, mmap, os, random, struct, sys, time
path, session, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_RDWR)
mm = mmap.mmap(fd, 4096)
for i in range(5, 10):
    fcntl.fcntl(fd, getattr(fcntl, "F_OFD_SETLK", 37),
                struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 2048 + 64 * i, 1, 0))
print("ready", flush=True)
rnd = random.Random(1234)
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    k = rnd.random()
    if k < 0.03:
        mm[:] = os.urandom(4096)
    elif k < 0.75:
        i = rnd.randrange(32) if k < 0.4 else rnd.randrange(5, 10)
        struct.pack_into("<IiQQQQ", mm, 2048 + 64 * i, 2, 1, session, 0, 0, rnd.getrandbits(64))
    else:
        struct.pack_into("<I", mm, rnd.randrange(0, 4096, 4), rnd.getrandbits(32))
    n += 1
    if n % 8 == 0:
        time.sleep(0.001)
print(n, flush=True)
"""


def frame_data(n, size=SIZE):
    return helpers.pattern(n, 0, size)


def wait_entries(name, memtype="local"):
    """The registration entries of a block's wait object, from a private copy."""
    path = os.path.join(S.SHM_DIR, shmout.base_name(name, memtype, os.geteuid()) + "@w")
    with open(path, "rb") as fh:
        return P.parse_reader_slots(fh.read())


class Child:
    """A reader (or another program) in a child process, killed and reaped at cleanup."""

    def __init__(self, test, code, *args):
        self.p = subprocess.Popen([sys.executable, "-B", "-c", code] + [str(a) for a in args],
                                  env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        test.addCleanup(self.kill)

    def line(self):
        s = self.p.stdout.readline()
        if not s:
            raise AssertionError("child ended: %s" % self.p.stderr.read()[-3000:])
        return s

    def json(self):
        return json.loads(self.line())

    def result(self, timeout=120):
        out, err = self.p.communicate(timeout=timeout)
        if self.p.returncode != 0:
            raise AssertionError("child failed (%s): %s" % (self.p.returncode, err[-3000:]))
        return json.loads(out.strip().splitlines()[-1])

    def kill(self):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGCONT)
            except OSError:
                pass
            self.p.kill()
        self.p.communicate()


def reader_child(test, name, sleep=0.0, upto=10 ** 9, idle=10.0, lossless=True):
    c = Child(test, CHILD, name, sleep, upto, idle, "1" if lossless else "0")
    c.ready = c.json()
    return c


class Lossless(helpers.BlockTest):
    def tearDown(self):
        self.doCleanups()       # children and writers first, then the block's objects
        super().tearDown()

    def writer(self, name, slots=3, lossless_timeout=10.0, **kw):
        w = shmout.Writer(name, W, H, "gray", slots=slots, heartbeat=False,
                          lossless_timeout=lossless_timeout, **kw)
        self.addCleanup(w.close)
        return w

    def assert_every_frame(self, res, n_frames):
        self.assertEqual(res["bad"], [])
        self.assertEqual(res["numbers"], list(range(1, n_frames + 1)))
        self.assertEqual((res["seen"], res["skipped"], res["before"], res["evictions"]),
                         (n_frames, 0, 0, 0))

    def test_header_and_wait_object(self):
        """§4, §7, §9 step 9: a 1.1 writer announces 32 entries and its bound; writer_waiting
        starts 0; the timeout is checked."""
        name = self.name()
        for bad in (0, 0.0005, 600.5, -1, "1", None, True):
            with self.assertRaises(ValueError):
                shmout.Writer(name, W, H, "gray", lossless_timeout=bad)
        mm = None
        with shmout.Writer(name, W, H, "gray", heartbeat=False, lossless_timeout=0.25) as w:
            self.assertEqual(w.lossless_timeout, 0.25)
            with shmout.Reader(name) as r:
                h = r.header()
                self.assertEqual(h.version, (1, 1))
                self.assertEqual((h.reader_slots, h.lossless_timeout_ms), (32, 250))
                self.assertEqual((r.info().reader_slots, r.info().lossless_timeout_ms),
                                 (32, 250))
                self.assertIsNone(r.registered)
                r.read()                        # newest-frame reads never register
                self.assertIsNone(r.registered)
            mm = helpers.obj_map(name, "@w")
            self.assertEqual(struct.unpack_from("<I", mm, P.OFF_WRITER_WAITING)[0], 0)
            self.assertEqual(w.stats, shmout.WriterStats(0, 0, 0, 0, 0, 0, 0))
        mm.close()

    def test_fast_writer_slow_lossless_reader_loses_nothing(self):
        name = self.name("ll")
        N = 80
        w = self.writer(name)
        c = reader_child(self, name, sleep=0.004, upto=N)
        self.assertEqual(c.ready["ready"], "lossless")
        self.assertEqual(c.ready["warnings"], [])
        for n in range(1, N + 1):
            self.assertEqual(w.write(frame_data(n)), n)      # as fast as it can
        self.assert_every_frame(c.result(), N)
        st = w.stats
        self.assertEqual((st.frames, st.evictions, st.reclaimed, st.slowest_reader_lost),
                         (N, 0, 0, 0))
        self.assertGreater(st.lossless_waits, 0)             # it had to wait for the reader
        self.assertGreater(st.lossless_wait_ns, 0)

    def test_eight_lossless_readers(self):
        name = self.name("ll8")
        N = 120
        w = self.writer(name, slots=4, lossless_timeout=30.0)
        children = [reader_child(self, name, upto=N) for _ in range(8)]
        self.assertEqual([c.ready["ready"] for c in children], ["lossless"] * 8)
        self.assertEqual(w.wait_readers(8, timeout=10), 8)
        self.assertEqual(sorted(e.index for e in wait_entries(name) if e.mode == "lossless"),
                         list(range(8)))
        for n in range(1, N + 1):
            w.write(frame_data(n))
        for c in children:
            self.assert_every_frame(c.result(), N)
        st = w.stats
        self.assertEqual((st.evictions, st.slowest_reader_lost, st.registered), (0, 0, 8))

    def test_every_reader_is_never_waited_for(self):
        """An every registration only lets the writer count the frames it overwrote unread: a
        reader that reads one frame and then nothing does not hold the writer up (the writer
        publishes in the same thread, so a wait would show as an eviction)."""
        name = self.name("every")
        w = self.writer(name, slots=3, lossless_timeout=30.0)
        with shmout.Reader(name) as r:
            w.write(frame_data(1))
            self.assertEqual(r.read_next().number, 1)        # registers as every, acks 1
            self.assertEqual(r.registered, "every")
            e = [x for x in wait_entries(name) if x.mode]
            self.assertEqual([(x.mode, x.session, x.ack, x.pid) for x in e],
                             [("every", 1, 1, os.getpid())])
            for n in range(2, 101):
                w.write(frame_data(n))
            st = w.stats
            self.assertEqual((st.frames, st.lossless_waits, st.evictions), (100, 0, 0))
            self.assertEqual(st.slowest_reader_lost, 96)     # frames 2..97 overwritten unread
            self.assertEqual(st.registered, 1)
            f = r.read_next()
            self.assertEqual((f.number, f.data[0]), (98, frame_data(98)))
            self.assertEqual((r.frames_seen, r.frames_skipped, r.frames_before_attach),
                             (2, 96, 0))
        self.assertEqual([x for x in wait_entries(name) if x.mode], [])   # left on close

    def test_eviction_in_one_thread(self):
        """§21: a lossless reader that does not acknowledge is waited for at most the bound,
        once per frame, then evicted (it becomes an every registration with evicted = m); the
        reader counts the eviction and registers again as lossless with ack = its last
        frame."""
        name = self.name("ev")
        w = self.writer(name, slots=3, lossless_timeout=0.05)
        with shmout.Reader(name, lossless=True) as r:
            for n in (1, 2):
                w.write(frame_data(n))
            self.assertEqual([r.read().number, r.read().number], [1, 2])
            w.write(frame_data(3))
            w.write(frame_data(4))           # m = 1: acknowledged, no wait
            self.assertEqual(w.stats.lossless_waits, 0)
            t = time.monotonic()
            w.write(frame_data(5))           # m = 2: acknowledged too
            w.write(frame_data(6))           # m = 3: not read yet: the bound, then eviction
            self.assertGreaterEqual(time.monotonic() - t, 0.045)
            st = w.stats
            self.assertEqual((st.lossless_waits, st.evictions, st.slowest_reader_lost), (1, 1, 1))
            e = [x for x in wait_entries(name) if x.mode][0]
            self.assertEqual((e.mode, e.evicted, e.ack), ("every", 3, 2))
            self.assertEqual(r.registered, "every")
            for n in range(7, 12):
                w.write(frame_data(n))       # no wait for an every registration
            self.assertEqual(w.stats.lossless_waits, 1)
            f = r.read()                     # lossless: the next frame, not the newest
            self.assertEqual((f.number, f.data[0]), (9, frame_data(9)))
            self.assertEqual((r.evictions, r.evicted_at, r.registered), (1, 3, "lossless"))
            self.assertEqual((r.frames_seen, r.frames_skipped, r.frames_before_attach),
                             (3, 6, 0))
            e = [x for x in wait_entries(name) if x.mode][0]
            self.assertEqual((e.mode, e.evicted, e.ack), ("lossless", 0, 9))
            self.assertEqual(w.stats.slowest_reader_lost, 6)  # 3..8, as the reader counts
            self.assertEqual([r.read().number, r.read().number], [10, 11])
            self.assertIsNone(r.read())

    def test_sigstopped_reader_is_evicted_and_counts_its_gap(self):
        name = self.name("stop")
        bound = 1.0
        N, STOP_AT, WHILE_STOPPED = 150, 30, 40
        w = self.writer(name, slots=3, lossless_timeout=bound)
        c = reader_child(self, name, sleep=0.002, upto=N)
        self.assertEqual(c.ready["ready"], "lossless")
        while w.frame_number < STOP_AT:
            w.write(frame_data(w.frame_number + 1))
        self.assertEqual(w.stats.evictions, 0)
        os.kill(c.p.pid, signal.SIGSTOP)
        try:
            f0, longest = w.frame_number, 0.0
            while w.frame_number < f0 + WHILE_STOPPED:
                t = time.monotonic()
                w.write(frame_data(w.frame_number + 1))
                longest = max(longest, time.monotonic() - t)
            # the writer went on while the reader was stopped: one eviction, after the bound
            self.assertEqual(w.frame_number - f0, WHILE_STOPPED)
            self.assertEqual(w.stats.evictions, 1)
            self.assertGreaterEqual(longest, bound * 0.9)
        finally:
            os.kill(c.p.pid, signal.SIGCONT)
        while w.frame_number < N:
            w.write(frame_data(w.frame_number + 1))
        res = c.result()
        nums = res["numbers"]
        self.assertEqual(res["bad"], [])
        self.assertEqual(nums[-1], N)
        gaps = [(a, b) for a, b in zip(nums, nums[1:]) if b != a + 1]
        self.assertEqual(len(gaps), 1, gaps)               # lossless before and after
        (before_gap, after_gap), = gaps
        self.assertEqual(nums[0], 1)
        self.assertEqual(res["evictions"], 1)
        self.assertIn(res["evicted_at"], (before_gap, before_gap + 1))
        self.assertEqual(res["skipped"], after_gap - before_gap - 1)
        self.assertEqual(res["seen"] + res["skipped"], N)
        self.assertEqual(res["before"], 0)
        self.assertEqual(res["registered"], "lossless")
        # the writer counted the same loss for that registration (one more if the stop fell
        # between the reader's last check of a frame and its acknowledgement)
        self.assertIn(w.stats.slowest_reader_lost, (res["skipped"], res["skipped"] + 1),
                      (w._losses, before_gap, after_gap, res["evicted_at"], f0))
        self.assertEqual(w.stats.evictions, 1)

    def test_killed_reader_is_reclaimed_without_waiting(self):
        name = self.name("kill")
        w = self.writer(name, slots=3, lossless_timeout=60.0)
        c = reader_child(self, name, upto=10 ** 9, idle=60)
        for n in range(1, 21):
            w.write(frame_data(n))
        self.assertTrue(helpers.wait_until(
            lambda: [x.ack for x in wait_entries(name) if x.mode] == [20], 10))
        c.p.kill()
        c.p.wait()
        t = time.monotonic()
        for n in range(21, 41):
            w.write(frame_data(n))
        st = w.stats
        self.assertEqual((st.reclaimed, st.evictions), (1, 0))
        self.assertLess(time.monotonic() - t, 30)           # far below the 60 s bound
        self.assertEqual([x for x in wait_entries(name) if x.mode], [])

    def test_hostile_wait_object(self):
        """§21: whatever a process writes into the wait object costs the writer at most the
        bound per frame and never corrupts a frame; readers (newest, every and lossless) only
        ever return intact frames and raise nothing."""
        name = self.name("hostile")
        bound, N = 0.05, 40
        w = self.writer(name, slots=3, lossless_timeout=bound)
        path = os.path.join(S.SHM_DIR, shmout.base_name(name, "local", os.geteuid()) + "@w")
        hostile = Child(self, HOSTILE, path, w.session, 60)
        self.assertEqual(hostile.line().strip(), "ready")
        stop, errors, got = threading.Event(), [], {"newest": [], "every": [], "lossless": []}

        def read(kind):
            try:
                with shmout.Reader(name, lossless=kind == "lossless") as r:
                    while not stop.is_set():
                        if not r.wait(0.05):
                            continue
                        f = r.read_next() if kind == "every" else r.read()
                        if f is None:
                            continue
                        got[kind].append(f.number)
                        if f.data[0] != frame_data(f.number):
                            errors.append("%s reader: frame %d corrupt" % (kind, f.number))
            except Exception as e:       # noqa: BLE001 - the test reports any exception
                errors.append("%s reader: %r" % (kind, e))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # a lossless claim may find garbage anywhere
            threads = [threading.Thread(target=read, args=(k,)) for k in got]
            for t in threads:
                t.start()
            t0 = time.monotonic()
            try:
                for n in range(1, N + 1):
                    self.assertEqual(w.write(frame_data(n)), n)
            finally:
                took = time.monotonic() - t0
                time.sleep(0.2)
                stop.set()
                for t in threads:
                    t.join()
        self.assertEqual(errors, [])
        self.assertLess(took, N * bound * 2 + 5)
        st = w.stats
        self.assertGreater(st.evictions, 0)      # the live-looking entries were waited for
        self.assertGreater(st.reclaimed, 0)      # the others were dead
        for kind, numbers in got.items():
            self.assertTrue(numbers, kind)
            self.assertEqual(numbers, sorted(numbers), kind)

    def test_keyboard_interrupt_marks_no_slot(self):
        """Python writers have no interrupt callback: KeyboardInterrupt during the wait leaves
        every slot even (nothing is marked before the wait is over) and the writer usable."""
        name = self.name("int")
        prog = (
            "import shmout, struct, sys\n"
            "w = shmout.Writer(sys.argv[1], 4, 2, 'gray', slots=2, lossless_timeout=600,\n"
            "                  heartbeat=False)\n"
            "r = shmout.Reader(sys.argv[1], lossless=True)     # never reads\n"
            "w.write(bytes(8)); w.write(bytes(8))\n"
            "print('ready', flush=True)\n"
            "try:\n"
            "    w.write(bytes(8))                            # waits for frame 1\n"
            "except KeyboardInterrupt:\n"
            "    fn, d = w.frame_number, w._data\n"
            "    seqs = [struct.unpack_from('<Q', d.map.mm, d.desc(s))[0] for s in range(2)]\n"
            "    wait = struct.unpack_from('<I', w._wait.mm, 8)[0]\n"
            "    r.read(); r.read()                           # acknowledges 1 and 2\n"
            "    n = w.write(bytes(8))\n"
            "    print(seqs, wait, fn, n, flush=True)\n"
            "r.close(); w.close(); shmout.remove(sys.argv[1])\n")
        c = Child(self, prog, name)
        self.assertEqual(c.line().strip(), "ready")
        mm = helpers.obj_map(name, "@w")
        self.addCleanup(mm.close)
        self.assertTrue(helpers.wait_until(       # the writer is inside the wait
            lambda: struct.unpack_from("<I", mm, P.OFF_WRITER_WAITING)[0] == 1, 20))
        t = time.monotonic()
        os.kill(c.p.pid, signal.SIGINT)
        out, err = c.p.communicate(timeout=30)
        self.assertLess(time.monotonic() - t, 5)
        self.assertEqual(c.p.returncode, 0, err)
        self.assertEqual(out.strip(), "[4, 2] 0 2 3")       # frames 2 and 1 complete, no 2n-1

    def test_wait_readers(self):
        name = self.name("wr")
        w = self.writer(name)
        readers = []
        opener = threading.Timer(0.2, lambda: readers.extend(
            [shmout.Reader(name), shmout.Reader(name, lossless=True)]))
        opener.start()
        try:
            t = time.monotonic()
            self.assertEqual(w.wait_readers(2, timeout=10), 2)
            self.assertGreaterEqual(time.monotonic() - t, 0.15)
            opener.join()
            self.assertEqual(w.wait_readers(1, timeout=0), 2)
            with self.assertRaises(TimeoutError) as cm:
                w.wait_readers(3, timeout=0.2)
            self.assertIn("2 readers attached", str(cm.exception))
            self.assertIn("3 wanted", str(cm.exception))
            with shmout.Reader(name, _probe=True):     # inspect() is not a reader
                self.assertEqual(w.wait_readers(0), 2)
        finally:
            opener.join()
            for r in readers:
                r.close()
        with self.assertRaises(TimeoutError) as cm:
            w.wait_readers(1, timeout=0)
        self.assertIn("0 readers attached", str(cm.exception))
        with self.assertRaises(ValueError):
            w.wait_readers(-1)

    def test_counting_from_frame_one(self):
        """§10 Counting: the first frame n returned in a session counts n - 1 skipped, those
        up to the newest frame at attach before attach; seen + skipped is the number of the last frame returned."""
        name = self.name("cnt")
        w = self.writer(name, slots=3)
        for n in range(1, 6):
            w.write(frame_data(n))
        with shmout.Reader(name) as late, shmout.Reader(name) as every:
            self.assertEqual(late.read().number, 5)
            self.assertEqual((late.frames_seen, late.frames_skipped, late.frames_before_attach),
                             (1, 4, 4))
            self.assertEqual(every.read_next().number, 3)    # the oldest in the ring
            self.assertEqual((every.frames_skipped, every.frames_before_attach), (2, 2))
            for n in range(6, 10):
                w.write(frame_data(n))
            self.assertEqual(late.read().number, 9)
            self.assertEqual([every.read_next().number for _ in range(3)], [7, 8, 9])
            for r in (late, every):
                self.assertEqual(r.frames_seen + r.frames_skipped, 9)
            self.assertEqual((late.frames_skipped, late.frames_before_attach), (7, 4))
            self.assertEqual((every.frames_skipped, every.frames_before_attach), (5, 2))
            w.close()
            w2 = shmout.Writer(name, W, H, "gray", heartbeat=False)   # a new session
            self.addCleanup(w2.close)
            for n in range(1, 4):
                w2.write(frame_data(n))
            # followed the new session, which began after it attached: frames 1 and 2 were
            # lapped (skipped), not published before it attached
            self.assertEqual(late.read().number, 3)
            self.assertEqual((late.frames_seen, late.frames_skipped, late.frames_before_attach),
                             (3, 9, 4))

    def test_closed_block_preregistration(self):
        """§21: a lossless reader waiting on a closed block registers for session S + 1, so the
        next writer honours it from its first frame, however fast it publishes."""
        name = self.name("pre")
        with shmout.Writer(name, W, H, "gray", heartbeat=False) as w0:
            w0.write(frame_data(1))
        N = 60
        c = reader_child(self, name, upto=N)
        self.assertEqual(c.ready["ready"], "lossless")
        self.assertEqual(c.ready["session"], 2)
        e = [x for x in wait_entries(name) if x.mode]
        self.assertEqual([(x.mode, x.session, x.ack) for x in e], [("lossless", 2, 0)])
        w = self.writer(name, slots=2)
        self.assertEqual(w.session, 2)
        for n in range(1, N + 1):
            w.write(frame_data(n))
        res = c.result()
        self.assertEqual(res["bad"], [])
        self.assertEqual(res["numbers"][-N:], list(range(1, N + 1)))   # after session 1's
        self.assertEqual(w.stats.evictions, 0)

    def test_recreated_block(self):
        """§13: a block removed and created again is a new primary and wait object: the
        lossless reader leaves its old entry, registers in the new wait object and only then
        counts as attached (so wait_readers implies the registration)."""
        name = self.name("recr")
        with shmout.Writer(name, W, H, "gray", heartbeat=False) as w0:
            w0.write(frame_data(1))
        N = 40
        c = reader_child(self, name, upto=N)
        self.assertEqual(c.ready["ready"], "lossless")
        self.assertTrue(shmout.remove(name))
        w = self.writer(name, slots=2)
        self.assertEqual(w.session, 1)
        self.assertEqual(w.wait_readers(1, timeout=10), 1)
        self.assertEqual([(x.mode, x.session) for x in wait_entries(name) if x.mode],
                         [("lossless", 1)])
        for n in range(1, N + 1):
            w.write(frame_data(n))
        res = c.result()
        self.assertEqual(res["bad"], [])
        self.assertEqual(res["numbers"], list(range(1, N + 1)))
        self.assertEqual((res["skipped"], res["evictions"]), (0, 0))

    def test_lossless_across_a_resize(self):
        """A geometry change into a new data object: the frames left in the old one come first,
        so a lossless reader still gets every frame in order."""
        name = self.name("rsz")
        N = 40
        w = self.writer(name, slots=3)
        c = reader_child(self, name, sleep=0.003, upto=N)
        for n in range(1, N + 1):
            if n == 15:
                self.assertTrue(w.set_geometry(W * 4, H))     # does not fit: @d2
            if n == 30:
                self.assertFalse(w.set_geometry(W, H))        # fits: in place
            w.write(helpers.pattern(n, 0, w.geometry.frame_bytes))
        res = c.result()
        self.assertEqual(res["bad"], [])
        self.assertEqual(res["numbers"], list(range(1, N + 1)))
        self.assertEqual((res["skipped"], res["evictions"]), (0, 0))

    def test_not_honoured(self):
        """A lossless reader whose writer cannot honour it (reader_slots 0 as from a 1.0 writer,
        no wait object, all 32 entries taken) says so once and reads every frame
        unregistered."""
        def lossless_reader(name):
            with warnings.catch_warnings(record=True) as warned:
                warnings.simplefilter("always")
                r = shmout.Reader(name, lossless=True)
                w.write(frame_data(w.frame_number + 1))
                w.write(frame_data(w.frame_number + 1))
                self.assertEqual(r.read().number, w.frame_number - 1)   # every frame
                r.read()
            self.addCleanup(r.close)
            self.assertIsNone(r.registered)
            self.assertEqual(len(warned), 1, [str(x.message) for x in warned])
            self.assertIs(warned[0].category, RuntimeWarning)
            return r, str(warned[0].message)

        name = self.name("v10")
        w = self.writer(name)
        mm = helpers.obj_map(name)
        struct.pack_into("<II", mm, P.OFF_READER_SLOTS, 0, 0)    # as a 1.0 writer leaves it
        mm.close()
        _, msg = lossless_reader(name)
        self.assertIn("reader_slots 0", msg)
        self.assertIn(name, msg)

        name = self.name("now")
        w = self.writer(name)
        os.unlink(os.path.join(S.SHM_DIR, shmout.base_name(name, "local", os.geteuid()) + "@w"))
        _, msg = lossless_reader(name)
        self.assertIn("no wait object", msg)

        name = self.name("full")
        w = self.writer(name)
        fd = os.open(os.path.join(S.SHM_DIR, shmout.base_name(name, "local", os.geteuid())
                                  + "@w"), os.O_RDWR)
        self.addCleanup(os.close, fd)
        for i in range(32):
            self.assertTrue(S.ofd_lock(fd, True, P.OFF_READERS + 64 * i))
        _, msg = lossless_reader(name)
        self.assertIn("all 32 registration entries", msg)
        with shmout.Reader(name) as r:           # an every reader: no entry, no warning
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                self.assertIsNotNone(r.read_next())
            self.assertIsNone(r.registered)
        S.ofd_unlock(fd, P.OFF_READERS + 64 * 31)
        with shmout.Reader(name, lossless=True) as r:
            self.assertEqual(r.registered, "lossless")
            self.assertEqual([x.index for x in wait_entries(name) if x.mode], [31])

    def test_entry_of_dead_reader_reused(self):
        """A new reader claims the first entry whose lock is free, whatever it holds."""
        name = self.name("reuse")
        w = self.writer(name)
        mm = helpers.obj_map(name, "@w")
        struct.pack_into("<IiQQQQ", mm, P.OFF_READERS, P.REG_LOSSLESS, 99999, w.session, 0,
                         7, 123)
        mm.close()
        with shmout.Reader(name, lossless=True) as r:
            e = wait_entries(name)[0]
            self.assertEqual((r.registered, e.pid, e.ack, e.evicted), ("lossless", os.getpid(),
                                                                       0, 0))
            self.assertNotEqual(e.reg_id, 123)
            self.assertEqual(r.evictions, 0)


class LosslessInterop(helpers.BlockTest):
    """Both ways with the C library, once build/bin has lossless support (protocol 1.1)."""

    def tearDown(self):
        self.doCleanups()       # the C writer and FFmpeg first, then the block's objects
        super().tearDown()

    def c_writer_lossless(self):
        helpers.need_tool(self, SHMOUT_TOOL)
        name = self.name("cprobe")
        q = helpers.run([SHMOUT_TOOL, "test-writer", name, "--frames", "1", "--fps", "0"])
        if q.returncode != 0:
            self.skipTest("SKIPPED: shmout test-writer failed: %s" % q.stderr.strip())
        with shmout.Reader(name) as r:
            if r.header().reader_slots == 0:
                self.skipTest("SKIPPED: %s writes protocol 1.0 (no reader registration): the "
                              "C library with lossless support is not built yet" % SHMOUT_TOOL)

    def test_c_writer_python_lossless_reader(self):
        """`shmout test-writer --fps 0` (as fast as it can) and a Python lossless reader that
        sleeps per frame: frames 1..N all arrive intact (pattern of `shmout --help`: byte i of
        plane p of frame n is (n + 7p + i) & 255)."""
        self.c_writer_lossless()
        name = self.name("cll")
        N = 60
        q = helpers.run([SHMOUT_TOOL, "test-writer", name, "--frames", "1", "--fps", "0"])
        self.assertEqual(q.returncode, 0, q.stderr)          # a closed block, session 1
        with shmout.Reader(name, timeout=10, lossless=True) as r:
            self.assertEqual((r.registered, r._reg_session), ("lossless", 2))
            p = subprocess.Popen([SHMOUT_TOOL, "test-writer", name, "--fps", "0", "--frames",
                                  str(N), "--slots", "3", "--width", "32", "--height", "8",
                                  "--format", "rgba"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
            numbers, end = [], time.monotonic() + 30
            while not numbers or numbers[-1] < N:
                f = r.next_frame(timeout=1)         # None at once: the end of session 1
                if f is None:
                    self.assertLess(time.monotonic(), end,
                                    "no frame from the C writer after %s" % numbers[-1:])
                    continue
                if f.session != 2:
                    continue                                  # session 1's last frame
                numbers.append(f.number)
                for i, pl in enumerate(f.planes):
                    rows = [helpers.pattern((f.number + 7 * i + y * pl.linesize) & 255, 0,
                                            pl.bytewidth) for y in range(pl.height)]
                    self.assertEqual(f.data[i], b"".join(rows), "frame %d" % f.number)
                time.sleep(0.005)
            self.assertEqual(numbers, list(range(1, N + 1)))
            self.assertEqual(r.evictions, 0)
            _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)

    def test_python_writer_ffmpeg_lossless(self):
        """A Python writer publishing as fast as it can, FFmpeg's shmin in lossless mode: all N
        frames, byte for byte."""
        helpers.need_tool(self, FFMPEG)
        q = helpers.run([FFMPEG, "-hide_banner", "-h", "demuxer=shmin"])
        if "lossless" not in q.stdout:
            self.skipTest("SKIPPED: %s has no shmin -mode lossless yet (the C library with "
                          "lossless support is not built)" % FFMPEG)
        name = self.name("ffll")
        N, width, height = 50, 32, 18
        out = tempfile.NamedTemporaryFile(suffix=".raw", delete=False)
        out.close()
        self.addCleanup(os.unlink, out.name)
        w = shmout.Writer(name, width, height, "rgba", slots=3, heartbeat=False,
                          lossless_timeout=20)
        self.addCleanup(w.close)
        size = width * height * 4
        p = subprocess.Popen([FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                              "-f", "shmin", "-mode", "lossless", "-timeout", "20", "-i", name,
                              "-frames:v", str(N), "-f", "rawvideo", "-pix_fmt", "rgba",
                              out.name],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
        self.assertEqual(w.wait_readers(1, timeout=20), 1)
        self.assertTrue(helpers.wait_until(
            lambda: [x.mode for x in wait_entries(name) if x.session == w.session] ==
            ["lossless"], 20), "ffmpeg did not register as lossless")
        for n in range(1, N + 1):
            w.write(frame_data(n, size), pts=n - 1, tb=(1, 25))
        st = w.stats
        w.close()           # shmin's demuxer thread then ends (its frames stay readable)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        with open(out.name, "rb") as fh:
            got = fh.read()
        self.assertEqual(len(got), N * size)
        for n in range(1, N + 1):
            self.assertEqual(got[(n - 1) * size:n * size], frame_data(n, size), "frame %d" % n)
        self.assertEqual((st.frames, st.evictions, st.slowest_reader_lost), (N, 0, 0))


if __name__ == "__main__":
    unittest.main()
