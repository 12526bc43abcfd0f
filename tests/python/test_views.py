# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Zero-copy frames: FrameView (numpy arrays and memoryviews over the slot, checked by the
seqlock when closed) and WriterFrame.planes (writable arrays in the next slot).

The oracles: the bytes the writer was given (Python writers), the documented test-writer
pattern (C writers, whose linesizes are padded), the copy-out path (Reader.read), and the
seqlock itself for torn frames. Skipped without numpy; the C-writer cases without
build/bin/shmout."""

import os
import random
import subprocess
import sys
import threading
import time
import unittest

import helpers
from helpers import shmout, SHMOUT_TOOL

try:
    import numpy as np
except ImportError:     # pragma: no cover
    np = None

from test_interop import expected_plane


def need_numpy(tc):
    if np is None:
        tc.skipTest("SKIPPED: numpy is missing (Debian: python3-numpy)")


def tight(arr):
    """The bytes of an array's rows, without the padding between them."""
    return np.ascontiguousarray(arr).tobytes()


class Views(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        need_numpy(self)

    def test_every_format_view_equals_copy(self):
        """Every format of the table, odd sizes: each plane of a view holds, byte for byte,
        the bytes written, equal to the copy; read-only; shape and dtype as documented."""
        for code, (fmt, _, elems) in sorted(shmout.PIX_FMTS.items()):
            with self.subTest(fmt=fmt):
                name = self.name("v")
                with shmout.Writer(name, 7, 5, fmt) as w, shmout.Reader(name) as r:
                    g = w.geometry
                    data = helpers.pattern(code, 1, sum(p.bytewidth * p.height for p in g.planes))
                    w.write(data)
                    c = r.read()
                    self.assertEqual(c.tobytes(), data)
                    with r.view() as v:
                        self.assertEqual(v.number, c.number)
                        self.assertEqual(len(v.planes), g.nb_planes)
                        pos = 0
                        for p, (pl, a, el) in enumerate(zip(g.planes, v.planes, elems)):
                            dt = np.dtype(el[0])
                            self.assertEqual(a.dtype, dt)
                            self.assertEqual(a.shape, (pl.height, pl.bytewidth // (dt.itemsize * el[1]))
                                             + ((el[1],) if el[1] > 1 else ()))
                            self.assertEqual(a.strides[0], pl.linesize)
                            self.assertFalse(a.flags.writeable)
                            with self.assertRaises(ValueError):
                                a.flags.writeable = True
                            self.assertEqual(tight(a), c.data[p])
                            self.assertEqual(tight(a), data[pos:pos + pl.bytewidth * pl.height])
                            self.assertEqual(bytes(v.buffers[p][:pl.bytewidth]),
                                             c.data[p][:pl.bytewidth])
                            self.assertTrue(v.buffers[p].readonly)
                            pos += pl.bytewidth * pl.height
                            np.testing.assert_array_equal(a, c.plane_to_numpy(p))
                    self.assertTrue(v.intact)
                    self.assertTrue(v.closed)

    def test_padded_linesizes_from_the_c_writer(self):
        """The C test writer with rows padded to 32 bytes (linesize > bytewidth): the arrays stride
        over the padding and hold exactly the documented pattern, in every format it writes."""
        helpers.need_tool(self, SHMOUT_TOOL)
        from test_interop import FORMATS
        padded = 0
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                name = self.name("pad")
                p = subprocess.Popen([SHMOUT_TOOL, "test-writer", name, "--width", "13",
                                      "--height", "7", "--format", fmt, "--fps", "100",
                                      "--frames", "3", "--align", "32", "--hold"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                self.addCleanup(lambda p=p: (p.poll() is None and p.kill(), p.communicate()))
                with shmout.Reader(name, timeout=10) as r:
                    self.assertTrue(helpers.wait_until(lambda: r.info().latest_frame >= 3))
                    with r.view() as v:
                        self.assertEqual(v.number, 3)
                        for i, (pl, a) in enumerate(zip(v.geometry.planes, v.planes)):
                            padded += pl.linesize > pl.bytewidth
                            self.assertEqual(a.strides[0], pl.linesize)
                            self.assertEqual(tight(a), expected_plane(3, i, pl))
                    self.assertTrue(v.intact)
                p.kill()
        self.assertGreater(padded, 0, "no format had padded rows: the case proves nothing")
        for bad in ("3", "8192", "x"):
            q = helpers.run([SHMOUT_TOOL, "test-writer", self.name("pad"), "--align", bad])
            self.assertEqual(q.returncode, 2, q.stderr)
            self.assertIn("--align needs a power of two 1..4096, got '%s'" % bad, q.stderr)

    def test_overwritten_during_with_is_not_intact(self):
        name = self.name("ow")
        with shmout.Writer(name, 8, 8, "gray", slots=3) as w, shmout.Reader(name) as r:
            w.write(bytes(64))
            with r.latest(0) as v:
                self.assertTrue(v.intact)
                for i in range(2):          # frames 2, 3: slot of frame 1 untouched
                    w.write(bytes([i + 1]) * 64)
                self.assertTrue(v.intact)
                w.write(bytes([9]) * 64)    # frame 4 reuses frame 1's slot
                self.assertFalse(v.intact)
            self.assertFalse(v.intact)
            self.assertEqual(r.torn_views, 1)
            for what in ("planes", "buffers"):      # closed: its memory is no longer checked
                with self.assertRaisesRegex(ValueError, r"frame view #1 is closed"):
                    getattr(v, what)
            with self.assertRaises(shmout.OverwrittenError):
                with r.latest(0, strict=True) as v:
                    for i in range(3):
                        w.write(bytes(64))
            # an exception raised inside the block wins over the torn frame
            with self.assertRaises(KeyError):
                with r.latest(0, strict=True) as v:
                    for i in range(3):
                        w.write(bytes(64))
                    raise KeyError("mine")
            self.assertEqual(r.torn_views, 3)
            r.latest(0).close()             # the newest: nothing newer is left
            with self.assertRaises(TimeoutError):
                r.latest(0)

    def test_lossless_view_is_waited_for(self):
        """A lossless reader's open view holds the writer back (up to its lossless timeout):
        the frame stays intact while the writer goes round the ring, and goes on once the view
        is closed."""
        name = self.name("ll")
        with shmout.Writer(name, 4, 4, "gray", slots=2, lossless_timeout=5) as w, \
                shmout.Reader(name, lossless=True) as r:
            w.write(bytes([1]) * 16)
            v = r.next_view(1)
            done = threading.Event()
            t = threading.Thread(target=lambda: (w.write(bytes([2]) * 16),
                                                 w.write(bytes([3]) * 16), done.set()))
            t.start()
            self.assertFalse(done.wait(0.3), "the writer reused the slot of an open view")
            self.assertTrue(v.intact)
            self.assertEqual(tight(v.planes[0]), bytes([1]) * 16)
            v.close()
            self.assertTrue(done.wait(5))
            t.join()
            self.assertTrue(v.intact)
            got = []
            for _ in range(2):
                with r.next_view(1) as f:
                    got.append((f.number, int(f.planes[0][0, 0])))
            self.assertEqual(got, [(2, 2), (3, 3)])
            self.assertEqual(w.stats.evictions, 0)

    def test_views_iterator_closes_each_view(self):
        name = self.name("it")
        with shmout.Writer(name, 4, 2, "gray") as w, shmout.Reader(name) as r:
            seen = []
            for i in range(1, 4):
                w.write(bytes([i]) * 8)
                for v in r.views(timeout=0.05):
                    seen.append((v.number, int(v.planes[0][1, 3])))
                    prev = v
                    break
                self.assertTrue(prev.closed)
            self.assertEqual(seen, [(1, 1), (2, 2), (3, 3)])
            self.assertEqual(r.frames_seen, 3)

    def test_reader_closed_with_live_views(self):
        """Documented: arrays and memoryviews outliving the reader keep the mapping alive
        (readable, no crash, no BufferError); it is unmapped when the last of them goes."""
        name = self.name("live")
        w = shmout.Writer(name, 64, 32, "rgba")
        self.addCleanup(w.close)
        w.write(bytes(range(256)) * 32)
        r = shmout.Reader(name)
        v = r.view()
        arr, buf = v.planes[0], v.buffers[0]
        data_obj = shmout.base_name(name, "local", os.geteuid()) + "@d"
        r.close()                         # the view is still open: no BufferError
        self.assertTrue(v.intact)
        self.assertEqual(v.close(), True)
        w.close()                         # the data object is unlinked, the mapping stays
        self.assertEqual(tight(arr), bytes(range(256)) * 32)
        self.assertEqual(bytes(buf[:4]), b"\0\1\2\3")

        def mapped():
            with open("/proc/self/maps") as f:
                return data_obj in f.read()
        self.assertTrue(mapped())
        del arr, buf, v
        import gc
        gc.collect()
        self.assertFalse(mapped(), "the mapping outlived every view of it")
        with self.assertRaises(ValueError):
            r.view()


class WriterFrames(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        need_numpy(self)

    def test_planes_are_writable_arrays_in_the_slot(self):
        for code, (fmt, _, elems) in sorted(shmout.PIX_FMTS.items()):
            with self.subTest(fmt=fmt):
                name = self.name("wf")
                with shmout.Writer(name, 9, 3, fmt) as w, shmout.Reader(name) as r:
                    g = w.geometry
                    src = helpers.pattern(code, 2, sum(p.bytewidth * p.height for p in g.planes))
                    with w.frame(pts=5) as f:
                        pos = 0
                        for pl, a in zip(g.planes, f.planes):
                            self.assertTrue(a.flags.writeable)
                            n = pl.bytewidth * pl.height
                            a[...] = np.frombuffer(src[pos:pos + n], a.dtype).reshape(a.shape)
                            pos += n
                    c = r.read()
                    self.assertEqual((c.number, c.pts), (1, 5))
                    self.assertEqual(c.tobytes(), src)
                    with r.view() as v:
                        self.assertEqual([a.shape for a in v.planes],
                                         [a.shape for a in f.planes])
                    for a in f.planes:     # published: read-only from now on
                        self.assertFalse(a.flags.writeable)
                    with self.assertRaises(ValueError):
                        f.planes[0][...] = 0

    def test_numpy_out_writes_straight_into_shared_memory(self):
        name = self.name("out")
        rng = np.random.default_rng(7)
        src = rng.integers(0, 256, (24, 40, 4), dtype=np.uint8)
        with shmout.Writer(name, 40, 24, "bgra") as w, shmout.Reader(name) as r:
            with w.frame() as f:
                np.subtract(255, src, out=f.planes[0])
            self.assertEqual(r.read().data[0], (255 - src).tobytes())

    def test_exception_or_abandon_drops_the_frame(self):
        name = self.name("ab")
        with shmout.Writer(name, 4, 4, "gray") as w, shmout.Reader(name) as r:
            w.write(bytes([1]) * 16)
            with self.assertRaises(RuntimeError):
                with w.frame() as f:
                    f.planes[0][...] = 2
                    raise RuntimeError("abandon")
            self.assertEqual(w.frame_number, 1)
            self.assertEqual(r.info().latest_frame, 1)
            c = r.read()
            self.assertEqual((c.number, c.data[0]), (1, bytes([1]) * 16))
            self.assertIsNone(r.read_next())        # nothing after frame 1
            with w.frame() as f:
                f.planes[0][...] = 4
                f.abandon()
            self.assertEqual((w.frame_number, r.info().latest_frame), (1, 1))
            self.assertEqual(w.write(bytes([3]) * 16), 2)
            self.assertEqual(r.read().data[0], bytes([3]) * 16)


class TornStress(helpers.BlockTest):
    """A fast C writer and a Python reader that holds each view for a random time: a view
    closed intact always held, untorn, the frame its number says (the test-writer pattern);
    the writer lapped some views (so the check was exercised) and some stayed intact."""

    def test_no_torn_frame_accepted(self):
        need_numpy(self)
        helpers.need_tool(self, SHMOUT_TOOL)
        name = self.name("st")
        p = subprocess.Popen([SHMOUT_TOOL, "test-writer", name, "--width", "320", "--height",
                              "240", "--format", "rgba", "--fps", "0", "--slots", "3"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
        rnd = random.Random(14)
        intact = torn = 0
        with shmout.Reader(name, timeout=10) as r:
            end = time.monotonic() + 4
            while time.monotonic() < end and (intact < 200 or torn < 200):
                v = r.next_view(2)
                self.assertIsNotNone(v, "the C writer stopped")
                with v:
                    pl = v.geometry.planes[0]
                    got = tight(v.planes[0])            # read inside the block
                    hold = rnd.random() * 0.002
                    if hold > 0.001:
                        time.sleep(hold)
                if v.intact:
                    intact += 1
                    self.assertEqual(got, expected_plane(v.number, 0, pl),
                                     "frame %d accepted as intact but torn" % v.number)
                else:
                    torn += 1
            self.assertEqual(r.torn_views, torn)
        self.assertGreater(intact, 0)
        self.assertGreater(torn, 0, "the writer never lapped a view: nothing was tested")


class WithoutNumpy(unittest.TestCase):
    def test_bytes_and_memoryviews_without_numpy(self):
        """numpy stays optional: copies, memoryviews of views and writer frames work; asking
        for arrays says what to install."""
        name = helpers.block_name("nonp")
        prog = r'''
import sys
sys.modules["numpy"] = None            # import numpy fails
sys.path.insert(0, %r)
import shmout
name = %r
with shmout.Writer(name, 4, 2, "gray") as w, shmout.Reader(name) as r:
    with w.frame() as f:
        f.buffers[0][:] = b"abcdefgh"
        try:
            f.planes
        except ModuleNotFoundError as e:
            print("planes:", e)
    assert r.read().data[0] == b"abcdefgh"
    with r.view() as v:
        print("view:", bytes(v.buffers[0]))
        try:
            v.planes
        except ModuleNotFoundError as e:
            print("planes:", e)
    print("intact:", v.intact)
shmout.remove(name)
''' % (os.path.join(helpers.TOP, "python"), name)
        try:
            q = helpers.run([sys.executable, "-c", prog])
        finally:
            helpers.cleanup(name)
        self.assertEqual(q.returncode, 0, q.stderr)
        lines = q.stdout.splitlines()
        self.assertEqual(lines[1], "view: b'abcdefgh'")
        self.assertEqual(lines[3], "intact: True")
        for ln in (lines[0], lines[2]):
            self.assertIn("need numpy", ln)
            self.assertIn("python3-numpy", ln)


if __name__ == "__main__":
    unittest.main()
