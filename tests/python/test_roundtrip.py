# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Python writer -> Python reader: every format byte for byte, frame numbers, pts and metadata,
waiting with the futex, counters, the active toggle, close, a killed writer (stale), takeover,
resizes in place and into a new data object, permissions, heartbeat, and a concurrent stress
run in which a writer process overwrites a two-slot ring as fast as it can while the reader
must never return a torn frame."""

import os
import signal
import stat
import subprocess
import sys
import threading
import time
import unittest

import helpers
from helpers import shmout, S

P = shmout._protocol
PYENV = dict(os.environ, PYTHONPATH=os.path.join(helpers.TOP, "python"))


def frame_bytes(g, n):
    """Deterministic content of frame n for geometry g, plane by plane (tight rows)."""
    out = []
    for p, pl in enumerate(g.planes):
        out.append(helpers.pattern(n * 3 + 11 * p, 0, pl.bytewidth * pl.height))
    return out


def spawn_writer(name, code, *args):
    """A writer in another process; it prints 'ready' once the block is open."""
    prog = ("import shmout, sys, time\n"
            "w = shmout.Writer(%r, 16, 8, 'rgba')\n" % name + code)
    p = subprocess.Popen([sys.executable, "-c", prog] + list(args), env=PYENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        raise AssertionError("writer did not start: %s %s" % (line, p.stderr.read()))
    return p


class RoundTrip(helpers.BlockTest):
    def test_formats_byte_for_byte(self):
        fmts = ["rgba", "bgra", "argb", "abgr", "rgb24", "bgr24", "rgb0", "bgr0", "rgba64le",
                "bgra64le", "rgb48le", "gray", "gray16le", "grayf32le", "ya8", "ya16le", "rg8",
                "rg16le", "rgbaf32le", "rgbf32le", "x2rgb10le", "gbrp", "gbrap16le",
                "yuv420p", "yuv422p", "yuva420p", "yuv420p10le", "nv12", "p010le", "yuyv422"]
        for fmt in fmts:
            with self.subTest(fmt=fmt):
                name = self.name("fmt")
                with shmout.Writer(name, 13, 7, fmt, slots=2, heartbeat=False) as w, \
                        shmout.Reader(name) as r:
                    self.assertIsNone(r.read())
                    g = w.geometry
                    for n in range(1, 5):
                        data = frame_bytes(g, n)
                        pts = 1000 * n - 7
                        self.assertEqual(w.write(data if n % 2 else b"".join(data), pts=pts,
                                                 tb=(1, 1000), duration=40), n)
                        f = r.read()
                        self.assertEqual(f.number, n)
                        self.assertEqual(list(f.data), data)
                        self.assertEqual(f.tobytes(), b"".join(data))
                        self.assertEqual((f.pts, f.time_base, f.duration), (pts, (1, 1000), 40))
                        self.assertEqual((f.width, f.height, f.pix_fmt_name), (13, 7, fmt))
                        self.assertEqual(f.pix_fmt, shmout.pix_fmt_code(fmt))
                        self.assertEqual(f.session, 1)
                        self.assertEqual(f.geometry_gen, 1)
                        self.assertAlmostEqual(f.realtime_ns / 1e9, time.time(), delta=5)
                        self.assertLessEqual(f.monotonic_ns, S.monotonic_ns())
                    self.assertEqual((r.frames_seen, r.frames_skipped), (4, 0))

    def test_wrong_sizes_rejected(self):
        name = self.name()
        with shmout.Writer(name, 4, 4, "rgba", heartbeat=False) as w:
            with self.assertRaises(ValueError):
                w.write(bytes(63))
            with self.assertRaises(ValueError):
                w.write([bytes(64), bytes(1)])
            self.assertEqual(w.frame_number, 0)

    def test_pts_unknown_and_metadata(self):
        name = self.name()
        with shmout.Writer(name, 4, 2, "gray", heartbeat=False, dar=(16, 9), sar=(1, 1),
                           color=shmout.Color(2, 1, 1, 1, 1)) as w, shmout.Reader(name) as r:
            w.write(bytes(8), tb=None)
            f = r.read()
            self.assertIsNone(f.pts)
            self.assertIsNone(f.pts_seconds)
            self.assertEqual(f.time_base, (0, 0))
            self.assertEqual((f.dar, f.sar), ((16, 9), (1, 1)))
            self.assertEqual(f.color, shmout.Color(2, 1, 1, 1, 1))
            w.write(bytes(8), pts=45, tb=(1, 30))
            self.assertEqual(r.read().pts_seconds, 1.5)

    def test_header_fields(self):
        name = self.name()
        t0 = time.time_ns()
        with shmout.Writer(name, 4, 4, "bgra", slots=5, fill_mode=3, smoothness=2) as w, \
                shmout.Reader(name) as r:
            h = r.header()
            self.assertEqual((h.owner_pid, h.owner_uid), (os.getpid(), os.geteuid()))
            self.assertEqual(h.owner_starttime, S.proc_starttime(os.getpid()))
            self.assertEqual((h.state, h.session, h.geometry_gen, h.segment_gen), (1, 1, 1, 1))
            self.assertEqual((h.fill_mode, h.smoothness, h.memtype), (3, 2, 1))
            self.assertEqual(h.name, name)
            self.assertAlmostEqual(h.created_ns, t0, delta=5e9)
            info = r.info()
            self.assertEqual((info.slots, info.capacity, info.readers), (5, 64, 1))
            self.assertEqual((info.fill_mode, info.smoothness), ("best", "mipmap"))
            self.assertEqual(h.fps_milli, 0)                 # §4: unknown until 2 publishes
            w.write(bytes(64))
            self.assertEqual(r.header().fps_milli, 0)
            for i in range(4):
                time.sleep(0.02)                              # at most 50 frames/s
                w.write(bytes(64))
            self.assertTrue(10_000 <= r.header().fps_milli <= 50_000)   # frames per 1000 s
            self.assertTrue(10 <= r.info().fps <= 50)
            self.assertEqual(r.info().latest_frame, 5)

    def test_wait_wakes_up_and_times_out(self):
        name = self.name()
        with shmout.Writer(name, 4, 4, "rgba", heartbeat=False) as w, shmout.Reader(name) as r:
            t = time.monotonic()
            self.assertFalse(r.wait(0.2))
            self.assertGreaterEqual(time.monotonic() - t, 0.19)
            waiters = []

            def look_then_write():
                # The reader sits in FUTEX_WAIT all but the moments between its 50 ms slices
                # (§12), when a loaded machine may catch it: look for up to 0.5 s.
                end = time.monotonic() + (0.5 if S.HAVE_FUTEX else 0)
                seen = S.load32(r._wait_map.addr)
                while not seen and time.monotonic() < end:
                    time.sleep(0.001)
                    seen = S.load32(r._wait_map.addr)
                waiters.append(seen)
                w.write(bytes(64))
            timer = threading.Timer(0.3, look_then_write)
            timer.start()
            t = time.monotonic()
            self.assertTrue(r.wait(5))
            took = time.monotonic() - t
            timer.join()
            self.assertLess(took, 1.0)
            if S.HAVE_FUTEX:
                self.assertEqual(waiters, [1])         # the reader was inside FUTEX_WAIT
            else:
                self.assertEqual(waiters, [0])         # §19: polling never touches @w
            self.assertEqual(S.load32(r._wait_map.addr), 0)
            self.assertEqual(r.read().number, 1)
            self.assertFalse(r.wait(0))                # nothing newer than frame 1
            self.assertIsNone(r.next_frame(0.05))

    def test_reader_started_before_its_writer(self):
        """§10 Attach: a reader waiting for a block that does not exist yet attaches once its
        writer creates it (told by inotify; by polling without it) and gets frame 1."""
        name = self.name()
        writer = []

        def write():
            w = shmout.Writer(name, 4, 4, "rgba", heartbeat=False)
            writer.append(w)
            w.write(bytes(range(64)))

        timer = threading.Timer(0.3, write)
        timer.start()
        try:
            with shmout.Reader(name, timeout=10) as r:
                self.assertEqual(r._notify is not None,
                                 not os.environ.get("SHMOUT_PY_NO_INOTIFY"))
                self.assertTrue(r.wait(5))
                f = r.read_next()
                self.assertEqual((f.number, f.data[0]), (1, bytes(range(64))))
                self.assertEqual((r.frames_skipped, r.frames_before_attach), (0, 0))
        finally:
            timer.join()
            for w in writer:
                w.close()

    def test_wait_without_wait_object(self):
        """A reader that cannot open @w still waits on the futex, in short slices (§12)."""
        name = self.name()
        with shmout.Writer(name, 4, 4, "rgba", heartbeat=False) as w:
            base = shmout.base_name(name, "local", os.geteuid())
            os.unlink(os.path.join(S.SHM_DIR, base + "@w"))
            with shmout.Reader(name) as r:
                self.assertIsNone(r._wait_map)
                timer = threading.Timer(0.2, lambda: w.write(bytes(64)))
                timer.start()
                t = time.monotonic()
                self.assertTrue(r.wait(5))
                timer.join()
                self.assertLess(time.monotonic() - t, 1.0)
                self.assertEqual(r.read().number, 1)

    def test_skipped_counter_and_iteration(self):
        name = self.name()
        with shmout.Writer(name, 2, 2, "gray", slots=3, heartbeat=False) as w, \
                shmout.Reader(name) as r:
            w.write(bytes(4))
            self.assertEqual(r.read().number, 1)
            for _ in range(4):
                w.write(bytes(4))
            self.assertEqual(r.read().number, 5)
            self.assertEqual((r.frames_seen, r.frames_skipped), (2, 3))
            r.read()                                   # same frame again: not counted
            self.assertEqual((r.frames_seen, r.frames_skipped), (2, 3))
            w.write(bytes(4))
            self.assertEqual([f.number for f in r.frames(timeout=0.1)], [6])

    def test_read_every_frame(self):
        """§10 "Reading every frame": in order, skipping only what was overwritten."""
        name = self.name()
        with shmout.Writer(name, 2, 1, "gray", slots=3, heartbeat=False) as w, \
                shmout.Reader(name) as r:
            self.assertIsNone(r.read_next())
            for i in range(1, 4):
                w.write(bytes([i, i]), pts=i)
            f = r.read_next()                      # nothing returned yet: the oldest in the ring
            self.assertEqual((f.number, f.data[0]), (1, b"\1\1"))
            self.assertEqual([r.read_next().number, r.read_next().number], [2, 3])
            w.write(b"\4\4")
            w.write(b"\5\5")
            self.assertEqual([r.read_next().number, r.read_next().number], [4, 5])
            self.assertIsNone(r.read_next())
            self.assertEqual((r.frames_seen, r.frames_skipped), (5, 0))
            for i in range(6, 13):
                w.write(bytes([i, i]), pts=i)
            got = [f.number for f in r.frames(timeout=0.05, every=True)]
            self.assertEqual(got, [10, 11, 12])    # 6..9 were overwritten (3 slots)
            self.assertEqual((r.frames_seen, r.frames_skipped), (8, 4))
            f = r.read()                            # the newest again: not a new frame
            self.assertEqual((f.number, r.frames_seen), (12, 8))

    def test_active_toggle(self):
        name = self.name()
        with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w, shmout.Reader(name) as r:
            w.write(b"\1\2\3\4")
            self.assertEqual(r.status, "active")
            w.set_active(False)
            self.assertEqual(r.status, "inactive")
            self.assertEqual(w.write(b"\5\6\7\10"), 0)       # not published
            with w.frame() as f:
                self.assertFalse(f.in_shm)
                f.buffers[0][:] = b"zzzz"
            f = r.read()
            self.assertEqual((f.number, f.data[0]), (1, b"\1\2\3\4"))   # last frame kept
            w.set_active(True)
            self.assertEqual(r.status, "active")
            self.assertEqual(w.write(b"\5\6\7\10"), 2)

    def test_frame_context_in_place(self):
        name = self.name()
        with shmout.Writer(name, 3, 2, "rgb24", heartbeat=False) as w, shmout.Reader(name) as r:
            with w.frame(pts=3, tb=(1, 50)) as f:
                self.assertEqual(f.number, 1)
                f.buffers[0][:] = bytes(range(18))
                f.pts = 4
            g = r.read()
            self.assertEqual((g.number, g.pts, g.data[0]), (1, 4, bytes(range(18))))
            with self.assertRaises(KeyError):
                with w.frame() as f:
                    f.buffers[0][:] = bytes(18)
                    raise KeyError("abandoned")
            self.assertEqual(r.read().data[0], bytes(range(18)))   # still frame 1
            self.assertEqual(w.write(bytes(18)), 2)    # "begin again reuses the same number"
            self.assertEqual(r.read().number, 2)

    def test_close_keeps_last_frame(self):
        name = self.name()
        w = shmout.Writer(name, 2, 2, "gray", heartbeat=False)
        r = shmout.Reader(name)
        w.write(b"abcd")
        w.close()
        self.assertEqual(r.status, "closed")
        self.assertEqual(r.read().data[0], b"abcd")     # our mapping survives the unlink
        base = shmout.base_name(name, "local", os.geteuid())
        self.assertEqual(helpers.shm_files(name), [base, base + "@w"])
        r.close()
        with shmout.Reader(name) as r2:                 # a new reader: no data object any more
            self.assertEqual(r2.status, "closed")
            self.assertIsNone(r2.read())
        self.assertTrue(shmout.remove(name))
        self.assertEqual(helpers.shm_files(name), [])

    def test_busy_and_remove(self):
        name = self.name()
        with shmout.Writer(name, 2, 2, "gray", heartbeat=False):
            with self.assertRaises(shmout.BusyError) as cm:
                shmout.Writer(name, 2, 2, "gray")
            self.assertIn(str(os.getpid()), str(cm.exception))
            with self.assertRaises(shmout.BusyError):
                shmout.remove(name)
        self.assertTrue(shmout.remove(name))

    def test_refuses_foreign_or_odd_objects(self):
        name = self.name()
        path = os.path.join(S.SHM_DIR, shmout.base_name(name, "local", os.geteuid()))
        with open(path, "wb") as fh:
            fh.write(b"x" * 100)
        with self.assertRaises(shmout.ProtocolError):
            shmout.Writer(name, 2, 2, "gray")
        with open(path, "wb") as fh:
            fh.write(b"x" * 4096)
        with self.assertRaises(shmout.ProtocolError):
            shmout.Writer(name, 2, 2, "gray")
        if os.geteuid() == 0:
            os.chown(path, 12345, -1)
            with self.assertRaises(PermissionError):
                shmout.Writer(name, 2, 2, "gray")
            with self.assertRaises(PermissionError):
                shmout.Reader(name)

    def test_permissions(self):
        for memtype, modes in (("local", (0o600, 0o600, 0o600)),
                               ("global", (0o644, 0o644, 0o666))):
            with self.subTest(memtype=memtype):
                name = self.name(memtype=memtype)
                old = os.umask(0o077)
                try:
                    w = shmout.Writer(name, 2, 2, "gray", memtype=memtype, heartbeat=False)
                finally:
                    os.umask(old)
                with w:
                    base = shmout.base_name(name, memtype, os.geteuid())
                    got = tuple(stat.S_IMODE(os.stat(os.path.join(S.SHM_DIR, base + s)).st_mode)
                                for s in ("", "@d1", "@w"))
                    self.assertEqual(got, modes)
                    self.assertEqual(os.stat(os.path.join(S.SHM_DIR, base)).st_size, 4096)
                    self.assertEqual(os.stat(os.path.join(S.SHM_DIR, base + "@w")).st_size,
                                     4096)
                    with shmout.Reader(name, memtype) as r:
                        self.assertEqual(r.header().memtype, 1 if memtype == "local" else 2)
                    with shmout.Reader(name, "auto") as r:
                        self.assertEqual(r.memtype, memtype)

    def test_resize_in_place_and_new_data_object(self):
        name = self.name()
        with shmout.Writer(name, 4, 4, "rgba", capacity=4096, heartbeat=False) as w, \
                shmout.Reader(name) as r:
            w.write(bytes([1]) * 64)
            self.assertEqual(r.read().geometry_gen, 1)
            self.assertFalse(w.set_geometry(8, 8))               # 256 bytes fit 4096
            self.assertEqual((r.header().geometry_gen, r.header().geometry.width), (2, 8))
            self.assertEqual(r.read().width, 4)                  # frame 1 keeps its geometry
            w.write(bytes([2]) * 256)
            f = r.read()
            self.assertEqual((f.number, f.width, f.geometry_gen, f.data[0]),
                             (2, 8, 2, bytes([2]) * 256))
            self.assertFalse(w.set_geometry(64, 32, "gray16le"))  # 4096 bytes: fits exactly
            self.assertEqual(w.segment_gen, 1)
            self.assertTrue(w.set_geometry(64, 64, "rgba"))       # does not fit: @d2
            self.assertEqual(w.segment_gen, 2)
            base = shmout.base_name(name, "local", os.geteuid())
            self.assertEqual(helpers.shm_files(name), [base, base + "@d2", base + "@w"])
            data = helpers.pattern(9, 0, 64 * 64 * 4)
            self.assertFalse(r.wait(0.05))       # the new data object has no frame yet
            w.write(data, pts=77)
            f = r.read()
            self.assertEqual((f.number, f.width, f.height, f.pix_fmt_name, f.pts, f.data[0]),
                             (3, 64, 64, "rgba", 77, data))
            self.assertEqual(r.info().capacity, 64 * 64 * 4)
            self.assertEqual(r.info().segment_gen, 2)
            self.assertEqual(r.header().geometry_gen, 4)

    def test_killed_writer_is_stale_then_taken_over(self):
        name = self.name()
        p = spawn_writer(name, "w.write(bytes(512), pts=1)\nprint('ready', flush=True)\n"
                               "time.sleep(60)\n")
        try:
            r = shmout.Reader(name, timeout=5)
            self.assertEqual(r.status, "active")
            self.assertEqual(r.read().number, 1)
            self.assertEqual(r.info().owner_pid, p.pid)
            with self.assertRaises(shmout.BusyError):
                shmout.Writer(name, 2, 2, "gray")
        finally:
            p.send_signal(signal.SIGKILL)
            p.communicate()
        t = time.monotonic()
        self.assertFalse(r.wait(5))        # §12: the end is reported at once, not at timeout
        self.assertEqual(r.status, "stale")
        self.assertLess(time.monotonic() - t, 1.0)
        self.assertEqual(r.read().number, 1)               # the last frame stays readable
        with shmout.Writer(name, 3, 1, "rgb24", heartbeat=False) as w:   # takeover
            self.assertEqual(w.session, 2)
            self.assertEqual(w.segment_gen, 2)
            self.assertEqual(r.status, "active")
            w.write(bytes(range(9)), pts=0)
            self.assertTrue(r.wait(2))
            f = r.read()
            self.assertEqual((f.number, f.session, f.width, f.data[0]), (1, 2, 3, bytes(range(9))))
            self.assertEqual(r.header().session, 2)
        r.close()

    def test_unseen_successor_death_is_reported(self):
        """§12: a writer that takes the name over and dies between two waits is a new end of
        session, reported at once, not at the wait's timeout."""
        name = self.name()
        code = "w.write(bytes(512), pts=1)\nprint('ready', flush=True)\ntime.sleep(60)\n"
        p = spawn_writer(name, code)
        r = shmout.Reader(name, timeout=5)
        self.assertEqual(r.read().number, 1)
        p.kill()
        p.communicate()
        self.assertFalse(r.wait(5))
        p = spawn_writer(name, code)         # comes, publishes and dies between two waits
        p.kill()
        p.communicate()
        self.assertEqual(r.read().session, 2)
        t = time.monotonic()
        self.assertFalse(r.wait(5))
        self.assertLess(time.monotonic() - t, 1.0)
        self.assertEqual(r.status, "stale")
        r.close()

    def test_reattach_after_remove_and_recreate(self):
        name = self.name()
        w = shmout.Writer(name, 2, 2, "gray", heartbeat=False)
        w.write(b"1111")
        r = shmout.Reader(name)
        self.assertEqual(r.read().data[0], b"1111")
        w.close()
        self.assertEqual(r.status, "closed")
        shmout.remove(name)
        with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w2:
            self.assertEqual(w2.session, 1)
            self.assertEqual(r.status, "active")          # followed the new primary object
            w2.write(b"2222")
            self.assertTrue(r.wait(2))
            self.assertEqual(r.read().data[0], b"2222")
        r.close()

    def test_end_of_session_close(self):
        """§13 "End of a session": frames published before a close are returned first."""
        name = self.name()
        w = shmout.Writer(name, 2, 1, "gray", heartbeat=False)
        with shmout.Reader(name) as r:
            w.write(b"\1\1")
            self.assertEqual(r.read().number, 1)
            w.write(b"\2\2")
            w.write(b"\3\3")
            w.close()
            self.assertTrue(r.wait(0))
            f = r.read()
            self.assertEqual((f.number, f.data[0]), (3, b"\3\3"))
            self.assertEqual((r.frames_seen, r.frames_skipped), (2, 1))
            self.assertFalse(r.wait(0.05))
            self.assertEqual(r.status, "closed")

    def test_wait_reports_end_once_then_waits_for_a_new_writer(self):
        """§12 "What a wait returns": frames first, then the end at once (whatever the
        timeout), then later waits sleep until a successor writer's first frame."""
        name = self.name()
        w = shmout.Writer(name, 2, 1, "gray", heartbeat=False)
        with shmout.Reader(name) as r:
            w.write(b"\1\1")
            w.close()
            self.assertTrue(r.wait(5))                  # frame 1 comes first
            self.assertEqual(r.read().number, 1)
            t = time.monotonic()
            self.assertFalse(r.wait(5))
            self.assertLess(time.monotonic() - t, 1.0)
            self.assertEqual(r.status, "closed")
            t = time.monotonic()
            self.assertFalse(r.wait(0.2))               # reported already: sleeps this time
            self.assertGreaterEqual(time.monotonic() - t, 0.19)
            w = shmout.Writer(name, 2, 1, "gray", heartbeat=False)    # takeover
            timer = threading.Timer(0.1, lambda: w.write(b"\2\2"))
            timer.start()
            self.assertTrue(r.wait(5))
            timer.join()
            self.assertEqual(r.read().data[0], b"\2\2")
            w.close()
            self.assertFalse(r.wait(5))                 # a new end: reported at once again
            self.assertEqual(r.status, "closed")

    def test_failed_open_leaves_no_block(self):
        """§9 "A failed open": a new block whose open fails (no data object name can be
        created) leaves no object behind; a failed takeover leaves the block closed."""
        name = self.name()
        base = shmout.base_name(name, "local", os.geteuid())
        dirs = [os.path.join(S.SHM_DIR, "%s@d%d" % (base, g)) for g in range(1, 18)]
        for d in dirs[:16]:
            os.mkdir(d, 0o700)
        try:
            with self.assertRaises(FileExistsError):
                shmout.Writer(name, 2, 2, "gray", heartbeat=False)
            for suffix in ("", "@w"):
                self.assertFalse(os.path.exists(os.path.join(S.SHM_DIR, base + suffix)), suffix)
            os.rmdir(dirs[0])
            with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w:
                self.assertEqual(w.segment_gen, 1)
                w.write(b"abcd")
            os.mkdir(dirs[0], 0o700)
            os.mkdir(dirs[16], 0o700)
            with self.assertRaises(FileExistsError):
                shmout.Writer(name, 2, 2, "gray", heartbeat=False)
            os.rmdir(dirs[0])
            self.assertEqual(shmout.inspect(name).status, "closed")
        finally:
            for d in dirs:
                if os.path.isdir(d):
                    os.rmdir(d)

    def test_data_object_name_taken(self):
        """§9 step 8: a @d name that cannot be freed (a directory here) is skipped and left
        alone; after 16 generations the writer gives up (EEXIST) and nothing changes."""
        name = self.name()
        base = shmout.base_name(name, "local", os.geteuid())
        dirs = [os.path.join(S.SHM_DIR, "%s@d%d" % (base, g)) for g in [1, 3] + list(range(5, 21))]
        for d in dirs[:2]:
            os.mkdir(d, 0o700)
        try:
            with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w, \
                    shmout.Reader(name) as r:
                self.assertEqual(w.segment_gen, 2)
                self.assertTrue(os.path.isdir(dirs[0]))
                w.write(b"abcd")
                self.assertEqual(r.read().data[0], b"abcd")
                self.assertTrue(w.set_geometry(8, 8))
                self.assertEqual((w.segment_gen, r.info().segment_gen), (4, 4))
                w.write(bytes(range(64)))
                self.assertEqual(r.read().data[0], bytes(range(64)))
                for d in dirs[2:]:
                    os.mkdir(d, 0o700)
                with self.assertRaises(FileExistsError):
                    w.set_geometry(64, 64)
                self.assertEqual((w.geometry.width, w.segment_gen), (8, 4))   # nothing changed
                w.write(bytes(64))
                self.assertEqual(r.read().number, 3)
        finally:
            for d in dirs:
                if os.path.isdir(d):
                    os.rmdir(d)

    def test_read_every_lost_frame(self):
        """§10 every mode: a frame found overwritten — before or during the copy — is lost and
        never retried, also when nothing was returned yet (last = 0)."""
        import shmout.reader as R
        name = self.name()
        with shmout.Writer(name, 2, 1, "gray", slots=3, heartbeat=False) as w, \
                shmout.Reader(name, max_retries=50) as r:
            for i in (1, 2, 3):
                w.write(bytes([i, i]))
            with w.frame() as f:                        # frame 4 takes frame 1's slot, stalls
                f.buffers[0][:] = b"\4\4"
                g = r.read_next()
                self.assertEqual((g.number, g.data[0]), (2, b"\2\2"))
            with shmout.Reader(name, max_retries=50) as r2:
                ctx = w.frame()                         # frames 5, 6 in slots 2, 0

                class Hook:                             # the reader's _sys, with a hook
                    calls = 0

                    def __getattr__(self, a):
                        return getattr(S, a)

                    def fence(self):
                        S.fence()
                        Hook.calls += 1
                        if Hook.calls == 2:             # frame 2's pixels copied: overwrite
                            w.write(b"\5\5")
                            ctx.__enter__()             # frame 6 begins in frame 3's slot
                saved, R.S = R.S, Hook()
                try:
                    g = r2.read_next()                  # oldest in the ring: 2, lost meanwhile
                finally:
                    R.S = saved
                self.assertEqual((g.number, g.data[0]), (4, b"\4\4"))
                ctx.f.buffers[0][:] = b"\6\6"
                ctx.__exit__(None, None, None)
                self.assertEqual([r2.read_next().number, r2.read_next().number], [5, 6])

    def test_end_of_session_resize(self):
        name = self.name()
        with shmout.Writer(name, 2, 1, "gray", heartbeat=False) as w, shmout.Reader(name) as r:
            w.write(b"\1\1")
            self.assertEqual(r.read().number, 1)
            w.write(b"\2\2")
            self.assertTrue(w.set_geometry(64, 64))          # new data object, no frame yet
            self.assertTrue(r.wait(0))
            f = r.read()                                     # frame 2 from the old object
            self.assertEqual((f.number, f.width, f.data[0]), (2, 2, b"\2\2"))
            self.assertFalse(r.wait(0.05))
            w.write(bytes(4096))
            f = r.read()
            self.assertEqual((f.number, f.width), (3, 64))
            self.assertEqual((r.frames_seen, r.frames_skipped), (3, 0))

    def test_end_of_session_takeover_and_recreate(self):
        name = self.name()
        p = spawn_writer(name, "w.write(bytes(512), pts=1)\nw.write(bytes([2]) * 512, pts=2)\n"
                               "print('ready', flush=True)\ntime.sleep(60)\n")
        r = shmout.Reader(name, timeout=5)
        self.addCleanup(r.close)
        w2 = None
        try:
            self.assertEqual(r.read().number, 2)
            p.send_signal(signal.SIGKILL)
            p.communicate()
            w2 = shmout.Writer(name, 2, 1, "gray", heartbeat=False)   # takeover, session 2
            w2.write(b"\7\7")
            self.assertEqual(r.status, "active")
            f = r.read()
            self.assertEqual((f.number, f.session, f.data[0]), (1, 2, b"\7\7"))
            w2.write(b"\10\10")
            w2.close()
            shmout.remove(name)
            w2 = shmout.Writer(name, 2, 1, "gray", heartbeat=False)   # a new primary object
            w2.write(b"\11\11")
            f = r.read()               # the old session's last frame comes first
            self.assertEqual((f.number, f.session, f.data[0]), (2, 2, b"\10\10"))
            self.assertEqual(r.status, "active")   # then the reader moves to the new object
            f = r.read()
            self.assertEqual((f.number, f.session, f.data[0]), (1, 1, b"\11\11"))
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
            if w2 is not None:
                w2.close()

    def test_heartbeat_thread(self):
        name = self.name()
        with shmout.Writer(name, 2, 2, "gray") as w, shmout.Reader(name) as r:
            w.write(bytes(4))
            h0 = r.header().heartbeat_ns
            time.sleep(1.5)
            self.assertGreater(r.header().heartbeat_ns, h0 + 500_000_000)

    def test_no_torn_frames_under_stress(self):
        """A writer process laps a 2-slot ring with 4 MiB frames; every frame n is filled
        with byte n & 255 and its pts is n: any frame mixing two writes would be caught."""
        name = self.name("stress")
        code = ("w.close(); w = shmout.Writer(%r, 1024, 1024, 'rgba', slots=2, heartbeat=False)\n"
                "print('ready', flush=True)\n"
                "end = time.monotonic() + float(sys.argv[1])\n"
                "n = 0\n"
                "while time.monotonic() < end:\n"
                "    n += 1\n"
                "    w.write(bytes([n & 255]) * (1024 * 1024 * 4), pts=n)\n"
                "w.close()\n" % name)
        p = spawn_writer(name, code, "2.0")
        try:
            r = shmout.Reader(name, timeout=5, max_retries=100000)
            got = 0
            while p.poll() is None and got < 300:
                if not r.wait(0.5):
                    continue
                f = r.read()
                if f is None:
                    continue
                self.assertEqual(f.pts, f.number)
                d = f.data[0]
                self.assertEqual(d.count(bytes([f.number & 255])), len(d),
                                 "torn frame %d" % f.number)
                got += 1
            self.assertGreater(got, 20)
            sys.stderr.write("[stress: %d frames read, %d skipped, %d torn retries] "
                             % (got, r.frames_skipped, r.torn_retries))
            r.close()
        finally:
            p.kill()
            p.communicate()

    def test_relay_example(self):
        """examples/relay.py republishes a block: frames, pts and a geometry change arrive."""
        src, dst = self.name("rsrc"), self.name("rdst")
        relay = subprocess.Popen([sys.executable, "-B",
                                  os.path.join(helpers.TOP, "examples", "relay.py"), src, dst,
                                  "--quiet", "--timeout", "10"], env=PYENV,
                                 stderr=subprocess.PIPE, text=True)
        try:
            with shmout.Writer(src, 5, 3, "rgb24", heartbeat=False) as w:
                w.write(bytes(range(45)), pts=100, tb=(1, 90000))
                r = shmout.Reader(dst, timeout=10)
                self.addCleanup(r.close)
                f = r.read() or r.next_frame(5)
                self.assertEqual((f.data[0], f.pts, f.time_base), (bytes(range(45)), 100,
                                                                   (1, 90000)))
                w.set_geometry(4, 4, "gray")
                w.write(bytes(range(16)), pts=200, tb=(1, 90000))
                f = r.next_frame(5)
                self.assertEqual((f.width, f.height, f.pix_fmt_name, f.data[0], f.pts),
                                 (4, 4, "gray", bytes(range(16)), 200))
            self.assertTrue(helpers.wait_until(lambda: r.status == "inactive", 5))
        finally:
            relay.send_signal(signal.SIGTERM)
            _, err = relay.communicate(timeout=10)
        self.assertEqual(relay.returncode, 0, err)
        self.assertEqual(r.status, "closed")

    def test_relay_example_waits_for_a_local_source_and_inverts(self):
        """Started before its source exists, the relay finds a local source (the default
        memtype of ffmpeg and of Writer) created later, and --invert publishes 255 - v of
        every colour byte, alpha kept, for frames written after it attached, up to the last
        one before the source closes."""
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.skipTest("SKIPPED: numpy is not installed (the relay needs it)")
        src, dst = self.name("isrc"), self.name("idst")
        relay = subprocess.Popen([sys.executable, "-B",
                                  os.path.join(helpers.TOP, "examples", "relay.py"), src, dst,
                                  "--invert", "--quiet", "--timeout", "10"], env=PYENV,
                                 stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)             # the relay is waiting: neither memtype exists yet
            self.assertIsNone(relay.poll(), "the relay gave up before its source existed")
            data = bytes(range(7, 7 + 4 * 6 * 3))
            want = bytes(v if i % 4 == 3 else 255 - v for i, v in enumerate(data))
            with shmout.Writer(src, 6, 3, "rgba", heartbeat=False) as w:
                w.write(data, pts=1)
                r = shmout.Reader(dst, timeout=10)
                self.addCleanup(r.close)
                f = r.read() or r.next_frame(5)
                self.assertEqual((f.data[0], f.pts), (want, 1))
                w.write(data[::-1], pts=2)
                f = r.next_frame(5)
                self.assertEqual((f.data[0], f.pts),
                                 (bytes(v if i % 4 == 3 else 255 - v
                                        for i, v in enumerate(data[::-1])), 2))
                w.write(data, pts=3)        # the source's last frame, closed at once:
            f = r.next_frame(5)             # still relayed, not lost to the close
            self.assertEqual((f.data[0], f.pts) if f else None, (want, 3))
        finally:
            relay.send_signal(signal.SIGTERM)
            _, err = relay.communicate(timeout=10)
        self.assertEqual(relay.returncode, 0, err)

    def test_relay_invert_every_layout(self):
        """relay.py's one-pass invert: 255 - v for every sample of every plane, the alpha byte
        of rgba, bgra, argb and abgr kept, in each 8-bit format it takes."""
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.skipTest("SKIPPED: numpy is not installed (the relay needs it)")
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            "relay", os.path.join(helpers.TOP, "examples", "relay.py"))
        relay = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(relay)
        for fmt in sorted(relay.EIGHT_BIT):
            with self.subTest(fmt=fmt):
                a, b = self.name("ia"), self.name("ib")
                with shmout.Writer(a, 5, 3, fmt) as wa, shmout.Writer(b, 5, 3, fmt) as wb, \
                        shmout.Reader(a) as ra, shmout.Reader(b) as rb:
                    g = wa.geometry
                    data = bytes((i * 37 + 11) & 255 for i in range(
                        sum(p.bytewidth * p.height for p in g.planes)))
                    wa.write(data)
                    with ra.view() as v, wb.frame() as out:
                        relay.relay_frame(v, out, True)
                    alpha = relay.ALPHA_AT.get(fmt)
                    want = bytes(x if alpha is not None and i % 4 == alpha else 255 - x
                                 for i, x in enumerate(data))
                    self.assertEqual(rb.read().tobytes(), want)

    def test_to_numpy(self):
        try:
            import numpy  # noqa: F401
        except ImportError:
            self.skipTest("SKIPPED: numpy is not installed")
        name = self.name()
        with shmout.Writer(name, 3, 2, "rgba64le", heartbeat=False) as w, \
                shmout.Reader(name) as r:
            vals = list(range(24))
            w.write(b"".join(v.to_bytes(2, "little") for v in vals))
            a = r.read().to_numpy()
            self.assertEqual(a.shape, (2, 3, 4))
            self.assertEqual(a.dtype.str, "<u2")
            self.assertEqual(a.ravel().tolist(), vals)
        cases = {"gray": (2, 3, 1), "rgb24": (2, 3, 3), "grayf32le": (2, 3, 1),
                 "gbrp": (2, 3, 3), "yuyv422": (2, 4, 2)}
        for fmt, shape in cases.items():
            with self.subTest(fmt=fmt):
                name = self.name()
                with shmout.Writer(name, 3, 2, fmt, heartbeat=False) as w, \
                        shmout.Reader(name) as r:
                    g = w.geometry
                    data = helpers.pattern(1, 0, sum(p.bytewidth * p.height for p in g.planes))
                    w.write(data)
                    f = r.read()
                    a = f.to_numpy()
                    self.assertEqual(a.shape, shape)
                    self.assertEqual(a.tobytes() if len(g.planes) == 1 else
                                     b"".join(f.plane_to_numpy(p).tobytes()
                                              for p in range(len(g.planes))), data)
                    self.assertTrue(f.to_numpy(copy=True).flags.writeable)
        name = self.name()
        with shmout.Writer(name, 5, 3, "yuv420p", heartbeat=False) as w, \
                shmout.Reader(name) as r:
            w.write(bytes(15 + 6 + 6))
            f = r.read()
            with self.assertRaises(ValueError):
                f.to_numpy()
            self.assertEqual(f.plane_to_numpy(1).shape, (2, 3))


if __name__ == "__main__":
    unittest.main()
