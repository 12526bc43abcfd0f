# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""examples/opencv_relay.py end to end: FFmpeg's shmout muxer writes testsrc2 into a block, the
relay runs an OpenCV operation on every frame in place into another block, and a reader of that
block (the Python module, or FFmpeg's shmin) gets every frame: no frame may be lost (the source
waits for the relay with -wait_readers and a lossless reader, the relay for the reader of its
output likewise), so all N frames are compared byte for byte, with their count and pts.

The oracles never go through shared memory: for flip, FFmpeg's own hflip/vflip of the same
lavfi source (-f rawvideo); for blur, edges and gray, the same cv2 call applied to the source
frames as FFmpeg's -f rawvideo gives them; for the geometry-change test, numpy's flip of the
frames the test wrote; pts against the source's frame rate. Also: torn source frames are
dropped, never published; SIGTERM and Ctrl-C close the output block; unsupported formats,
a missing cv2 and an OpenCV that did not write in place are refused with clear messages.

Skipped (clearly) without OpenCV's Python bindings (Debian: python3-opencv); the FFmpeg runs
without build/bin/ffmpeg.
"""

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import types
import unittest
from fractions import Fraction

import helpers
from helpers import shmout, FFMPEG

try:
    import numpy as np
    import cv2
except ImportError:     # pragma: no cover
    np = cv2 = None

RELAY = os.path.join(helpers.TOP, "examples", "opencv_relay.py")
N = 30                  # frames of each end-to-end run: all of them are compared
W, H, RATE = 320, 240, 25
CHANNELS = {"bgr24": 3, "rgb24": 3, "bgra": 4, "rgba": 4, "gray": 1}
SUMMARY = re.compile(r"opencv_relay: (\w+) \S+ -> \S+ (\d+)x(\d+) (\w+): (\d+) frames relayed, "
                     r"(\d+) skipped, (\d+) dropped torn")
QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error"]


def lavfi(size=(W, H)):
    return ["-f", "lavfi", "-i", "testsrc2=size=%dx%d:rate=%d" % (size[0], size[1], RATE)]


def reap(p):
    if p.poll() is None:
        p.kill()
    try:
        p.communicate(timeout=10)
    except (ValueError, OSError, subprocess.TimeoutExpired):
        pass


class DestReader(threading.Thread):
    """A lossless Python reader of the relay's output block, in a thread: every frame (copied
    out) until the writer closes it."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.block, self.frames, self.error = name, [], None
        self.registered = self.skipped = None

    def run(self):
        try:
            with shmout.Reader(self.block, timeout=30, lossless=True) as r:
                self.registered = r.registered
                for f in r.frames(timeout=30):
                    self.frames.append(f)
                self.skipped = r.frames_skipped
        except BaseException as e:      # reported by the test
            self.error = e


class Base(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        if cv2 is None:
            self.skipTest("SKIPPED: OpenCV's Python bindings (cv2) or numpy are missing for %s "
                          "(Debian: apt install python3-opencv)" % sys.executable)
        self.tmp = tempfile.mkdtemp(prefix="shmout-cv-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    # -- processes ------------------------------------------------------------------------------
    def relay(self, src, dst, *args, lossless=True):
        """Start the relay: by default taking every source frame losslessly, waiting for one
        reader of DST before its first frame and ending with the source (--once)."""
        cmd = [sys.executable, "-B", RELAY, src, dst, "--timeout", "30"]
        if lossless:
            cmd += ["--mode", "lossless", "--once", "--wait-readers", "1",
                    "--lossless-timeout", "30"]
        p = subprocess.Popen(cmd + [str(a) for a in args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(reap, p)
        return p

    def finish(self, p, timeout=60):
        """Wait for the relay; it must exit 0; returns its stderr."""
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            self.fail("the relay did not end within %d s; stderr:\n%s" % (timeout, err))
        self.assertEqual(p.returncode, 0, "relay failed:\n%s" % err)
        return err

    def source(self, name, fmt, vf=None):
        """FFmpeg's shmout muxer: N frames of testsrc2 into block `name`, waiting for one
        reader (the relay) before the first frame and, per frame, for the lossless relay."""
        cmd = [FFMPEG] + QUIET + lavfi() + ["-frames:v", str(N)] + \
            (["-vf", vf] if vf else []) + \
            ["-pix_fmt", fmt, "-f", "shmout", "-wait_readers", "1", "-wait_readers_timeout",
             "30", "-wait_readers_fail", "1", "-lossless_timeout", "30", name]
        r = helpers.run(cmd, timeout=90)
        self.assertEqual(r.returncode, 0, "source ffmpeg failed: %s" % r.stderr)

    def oracle_frames(self, fmt, vf=None):
        """The N source frames as FFmpeg makes them, straight to a pipe (no shared memory),
        optionally through FFmpeg filters: arrays (H, W, channels), or (H, W) for gray."""
        cmd = [FFMPEG] + QUIET + lavfi() + ["-frames:v", str(N)] + \
            (["-vf", vf] if vf else []) + ["-pix_fmt", fmt, "-f", "rawvideo", "pipe:1"]
        r = subprocess.run(cmd, capture_output=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        ch = CHANNELS[fmt]
        size = W * H * ch
        self.assertEqual(len(r.stdout), N * size, "oracle ffmpeg gave a short output")
        shape = (H, W, ch) if ch > 1 else (H, W)
        return [np.frombuffer(r.stdout, np.uint8, size, i * size).reshape(shape)
                for i in range(N)]

    # -- checks ---------------------------------------------------------------------------------
    def assertPixels(self, got, want, what):
        """Byte for byte; on failure says how many bytes differ instead of dumping them."""
        want = np.ascontiguousarray(want).tobytes()
        if got != want:
            if len(got) != len(want):
                self.fail("%s: %d bytes, %d expected" % (what, len(got), len(want)))
            diff = np.count_nonzero(np.frombuffer(got, np.uint8) != np.frombuffer(want, np.uint8))
            self.fail("%s: %d of %d bytes differ from the oracle" % (what, diff, len(want)))

    def check_summary(self, err, op, fmt, relayed, size=(W, H)):
        m = SUMMARY.search(err)
        self.assertIsNotNone(m, "no summary line in the relay's stderr:\n%s" % err)
        self.assertEqual((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)),
                         (op, size[0], size[1], fmt))
        self.assertEqual((int(m.group(5)), int(m.group(6)), int(m.group(7))), (relayed, 0, 0),
                         err)

    def check_frames(self, frames, want, fmt, what):
        """Every frame of the run: numbers 1..N, pts i/RATE seconds, the output geometry and
        the pixels of the oracle's frame i."""
        self.assertEqual(len(frames), len(want), "%s: %d frames read, %d sent"
                         % (what, len(frames), len(want)))
        for i, (f, ref) in enumerate(zip(frames, want)):
            self.assertEqual(f.number, i + 1)
            self.assertEqual((f.width, f.height, f.pix_fmt_name), (W, H, fmt))
            self.assertIsNotNone(f.pts, "frame %d has no pts" % f.number)
            self.assertNotEqual(f.tb_den, 0, "frame %d has no time base" % f.number)
            self.assertEqual(Fraction(f.pts * f.tb_num, f.tb_den), Fraction(i, RATE),
                             "frame %d: pts %d in %d/%d" % (f.number, f.pts, f.tb_num, f.tb_den))
            self.assertPixels(f.tobytes(), ref, "%s frame %d" % (what, f.number))

    def end_to_end(self, op, fmt, args, expect):
        """SRC (ffmpeg, `fmt`) -> relay --op op -> DST (a Python lossless reader); `expect`
        maps the oracle's source frames to the expected output frames."""
        src, dst = self.name("cvs"), self.name("cvd")
        p = self.relay(src, dst, "--op", op, *args)
        rd = DestReader(dst)
        rd.start()
        self.source(src, fmt)
        err = self.finish(p)
        rd.join(60)
        self.assertFalse(rd.is_alive(), "the reader of DST did not end")
        self.assertIsNone(rd.error, "reader of DST: %r" % rd.error)
        self.assertEqual(rd.registered, "lossless")
        self.assertEqual(rd.skipped, 0)
        source = self.oracle_frames(fmt)
        want = [expect(s) for s in source]
        out_fmt = "gray" if op in ("gray", "edges") else fmt
        self.check_frames(rd.frames, want, out_fmt, "%s of %s" % (op, fmt))
        self.check_summary(err, op, out_fmt, N)
        # the operation did something: the test could not pass with a copy of the source
        # (nor, for edges, with a blank image)
        if out_fmt == fmt:
            self.assertFalse(all(np.array_equal(a, b) for a, b in zip(want, source)))
        return want


class EndToEnd(Base):
    def setUp(self):
        super().setUp()
        helpers.need_tool(self, FFMPEG)

    def test_blur_bgr24(self):
        self.end_to_end("blur", "bgr24", ["--ksize", "7"],
                        lambda s: cv2.GaussianBlur(s, (7, 7), 0))

    def test_blur_bgra(self):
        self.end_to_end("blur", "bgra", ["--ksize", "3"],
                        lambda s: cv2.GaussianBlur(s, (3, 3), 0))

    def test_blur_gray(self):
        self.end_to_end("blur", "gray", ["--ksize", "11"],
                        lambda s: cv2.GaussianBlur(s, (11, 11), 0))

    def test_edges_bgr24(self):
        want = self.end_to_end("edges", "bgr24", ["--low", "50", "--high", "150"],
                               lambda s: cv2.Canny(cv2.cvtColor(s, cv2.COLOR_BGR2GRAY), 50, 150))
        self.assertTrue(all(set(np.unique(w)) == {0, 255} for w in want))

    def test_edges_bgra(self):
        self.end_to_end("edges", "bgra", [],
                        lambda s: cv2.Canny(cv2.cvtColor(s, cv2.COLOR_BGRA2GRAY), 100, 200))

    def test_edges_gray(self):
        self.end_to_end("edges", "gray", ["--low", "20", "--high", "60"],
                        lambda s: cv2.Canny(s, 20, 60))

    def test_gray_bgr24(self):
        self.end_to_end("gray", "bgr24", [], lambda s: cv2.cvtColor(s, cv2.COLOR_BGR2GRAY))

    def test_gray_bgra(self):
        self.end_to_end("gray", "bgra", [], lambda s: cv2.cvtColor(s, cv2.COLOR_BGRA2GRAY))

    def test_gray_rgba(self):
        """An RGBA source is converted with cvtColor's RGBA code (not taken as BGRA)."""
        want = self.end_to_end("gray", "rgba", [],
                               lambda s: cv2.cvtColor(s, cv2.COLOR_RGBA2GRAY))
        bgr = [cv2.cvtColor(s, cv2.COLOR_BGRA2GRAY) for s in self.oracle_frames("rgba")]
        self.assertFalse(all(np.array_equal(a, b) for a, b in zip(want, bgr)))

    def test_flip_python_reader(self):
        """flip --axis v/both on bgra, against FFmpeg's own vflip / hflip+vflip."""
        for axis, vf in (("v", "vflip"), ("both", "hflip,vflip")):
            with self.subTest(axis=axis):
                src, dst = self.name("cvs"), self.name("cvd")
                p = self.relay(src, dst, "--op", "flip", "--axis", axis)
                rd = DestReader(dst)
                rd.start()
                self.source(src, "bgra")
                err = self.finish(p)
                rd.join(60)
                self.assertIsNone(rd.error, "reader of DST: %r" % rd.error)
                want = self.oracle_frames("bgra", vf)
                self.check_frames(rd.frames, want, "bgra", "flip %s" % axis)
                self.check_summary(err, "flip", "bgra", N)
                self.assertFalse(all(np.array_equal(a, b) for a, b in
                                     zip(want, self.oracle_frames("bgra"))))

    def test_flip_ffmpeg_reader(self):
        """flip --axis h on bgr24, DST read by FFmpeg's shmin (lossless) to rawvideo and
        framecrc (pts), against FFmpeg's hflip."""
        src, dst = self.name("cvs"), self.name("cvd")
        raw, crc = os.path.join(self.tmp, "out.raw"), os.path.join(self.tmp, "out.crc")
        p = self.relay(src, dst, "--op", "flip", "--axis", "h")
        rd = subprocess.Popen([FFMPEG] + QUIET + ["-copyts", "-f", "shmin", "-mode", "lossless",
                                                  "-timeout", "30", "-i", dst,
                                                  "-map", "0:v", "-f", "rawvideo", "-y", raw,
                                                  "-map", "0:v", "-f", "framecrc", "-y", crc],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(reap, rd)
        self.source(src, "bgr24")
        err = self.finish(p)
        _, rerr = rd.communicate(timeout=60)
        self.assertEqual(rd.returncode, 0, "shmin reader failed: %s" % rerr)
        want = self.oracle_frames("bgr24", "hflip")
        with open(raw, "rb") as f:
            got = f.read()
        size = W * H * 3
        self.assertEqual(len(got), N * size, "shmin read %d bytes, %d frames expected"
                         % (len(got), N))
        for i in range(N):
            self.assertPixels(got[i * size:(i + 1) * size], want[i], "frame %d" % (i + 1))
        with open(crc) as f:
            lines = f.read().splitlines()
        tb = [ln.split(":")[1].strip() for ln in lines if ln.startswith("#tb 0:")]
        self.assertEqual(len(tb), 1, lines[:8])
        num, den = (int(v) for v in tb[0].split("/"))
        pts = [int(ln.split(",")[2]) for ln in lines if ln and not ln.startswith("#")]
        self.assertEqual([Fraction(t * num, den) for t in pts],
                         [Fraction(i, RATE) for i in range(N)])
        self.check_summary(err, "flip", "bgr24", N)
        self.assertFalse(all(np.array_equal(a, b) for a, b in
                             zip(want, self.oracle_frames("bgr24"))))


class Behaviour(Base):
    def py_source(self, name, w, h, fmt, **kw):
        wr = shmout.Writer(name, w, h, fmt, lossless_timeout=30, **kw)
        self.addCleanup(wr.close)
        return wr

    def test_follows_geometry_keeps_timestamps(self):
        """A Python source changes size (in place, then a bigger data object) and format
        mid-stream; DEST follows, every frame flipped as numpy flips it, with the source's
        pts, time base (1/1000) and duration."""
        src, dst = self.name("cvs"), self.name("cvd")
        plan = [(64, 48, "bgr24")] * 3 + [(32, 20, "bgr24")] * 3 + [(96, 50, "bgr24")] * 3 + \
            [(96, 50, "bgra")] * 3 + [(40, 30, "gray")] * 2
        p = self.relay(src, dst, "--op", "flip", "--axis", "h")
        w = self.py_source(src, 64, 48, "bgr24")
        self.assertEqual(w.wait_readers(1, timeout=30), 1)
        rd = DestReader(dst)
        rd.start()
        rng = np.random.default_rng(7)
        sent = []
        for i, (fw, fh, fmt) in enumerate(plan):
            if (fw, fh, fmt) != (w.geometry.width, w.geometry.height, w.geometry.pix_fmt_name):
                w.set_geometry(fw, fh, fmt)
            with w.frame(pts=1000 + 40 * i, tb=(1, 1000), duration=40) as f:
                f.planes[0][...] = rng.integers(0, 256, f.planes[0].shape, np.uint8)
                sent.append(f.planes[0].copy())
        w.close()
        err = self.finish(p)
        rd.join(60)
        self.assertIsNone(rd.error, "reader of DST: %r" % rd.error)
        self.assertEqual(len(rd.frames), len(plan))
        for i, (f, (fw, fh, fmt), s) in enumerate(zip(rd.frames, plan, sent)):
            self.assertEqual((f.width, f.height, f.pix_fmt_name), (fw, fh, fmt), i)
            self.assertEqual((f.pts, f.time_base, f.duration), (1000 + 40 * i, (1, 1000), 40))
            self.assertEqual(f.sar, (1, 1))
            self.assertPixels(f.tobytes(), s[:, ::-1], "frame %d (%dx%d %s)" % (i + 1, fw, fh,
                                                                                  fmt))
        self.check_summary(err, "flip", "gray", len(plan), (40, 30))

    def test_torn_source_frames_are_dropped(self):
        """A writer in another process publishes big frames as fast as it can round 2 slots,
        while the relay (newest frame) runs a slow blur: source frames overwritten under
        OpenCV are dropped, and every frame DEST publishes is the blur of one whole source
        frame (identified by its pts)."""
        src, dst = self.name("cvs"), self.name("cvd")
        fw, fh, K, M = 1280, 720, 8, 300
        code = ("import sys, numpy as np; sys.path.insert(0, %r); import shmout\n"
                "rng = np.random.default_rng(1)\n"
                "base = [rng.integers(0, 256, (%d, %d, 3), np.uint8) for _ in range(%d)]\n"
                "with shmout.Writer(%r, %d, %d, 'bgr24', slots=2) as w:\n"
                "    w.wait_readers(1, timeout=30)\n"
                "    for i in range(%d):\n"
                "        w.write(base[i %% %d], pts=i, tb=(1, 1000))\n"
                % (os.path.join(helpers.TOP, "python"), fh, fw, K, src, fw, fh, M, K))
        p = self.relay(src, dst, "--op", "blur", "--ksize", "31", "--mode", "latest", "--once",
                       "--wait-readers", "1", lossless=False)
        wr = subprocess.Popen([sys.executable, "-B", "-c", code], stderr=subprocess.PIPE,
                              text=True)
        self.addCleanup(reap, wr)
        # DEST: every frame the relay publishes, read losslessly (the relay waits for it)
        got = []
        with shmout.Reader(dst, timeout=30, lossless=True) as r:
            for f in r.frames(timeout=30):
                got.append((f.pts, f.to_numpy(copy=True)))
        _, werr = wr.communicate(timeout=60)
        self.assertEqual(wr.returncode, 0, werr)
        err = self.finish(p)
        rng = np.random.default_rng(1)
        base = [rng.integers(0, 256, (fh, fw, 3), np.uint8) for _ in range(K)]
        want = {}
        for pts, arr in got:
            if pts % K not in want:
                want[pts % K] = cv2.GaussianBlur(base[pts % K], (31, 31), 0)
            self.assertPixels(arr.tobytes(), want[pts % K], "DEST frame of pts %d" % pts)
        m = SUMMARY.search(err)
        self.assertIsNotNone(m, err)
        relayed, skipped, dropped = (int(m.group(i)) for i in (5, 6, 7))
        self.assertEqual(relayed, len(got))
        # every source frame was relayed, dropped torn or skipped: the last one, M, was read
        self.assertEqual(relayed + skipped + dropped, M, err)
        self.assertEqual(got[-1][0], M - 1)         # the last frame (pts M - 1) is whole
        self.assertGreater(dropped, 0, "no source frame was torn: the test proves nothing "
                           "(%s)" % err.strip())

    def test_signals_close_dest(self):
        """SIGTERM and Ctrl-C (SIGINT) end the relay with status 0 and its summary; DEST is
        closed (readers see it closed) and the source block has no reader left. Before that,
        DEST goes inactive while the source is closed, and active again with a new writer."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name):
                src, dst = self.name("cvs"), self.name("cvd")
                w = self.py_source(src, 32, 16, "gray")
                p = self.relay(src, dst, "--op", "blur", lossless=False)
                self.assertEqual(w.wait_readers(1, timeout=30), 1)
                w.write(bytes(range(256)) * 2, pts=0, tb=(1, 25))
                with shmout.Reader(dst, timeout=30) as r:
                    f = r.next_frame(30)
                    self.assertIsNotNone(f, "no frame on DEST")
                    self.assertEqual((f.width, f.height, f.pix_fmt_name), (32, 16, "gray"))
                    w.close()
                    self.assertTrue(helpers.wait_until(lambda: r.status == "inactive", 10),
                                    r.status)
                    w = self.py_source(src, 32, 16, "gray")
                    w.write(bytes(512), pts=1, tb=(1, 25))
                    self.assertTrue(helpers.wait_until(lambda: r.status == "active", 10),
                                    r.status)
                    p.send_signal(sig)
                    err = self.finish(p, 15)
                    self.assertEqual(r.status, "closed")
                self.check_summary(err.replace("\n", " "), "blur", "gray", 2, (32, 16))
                self.assertEqual([f for f in helpers.shm_files(dst) if "@d" in f], [],
                                 "DEST's data object is left")
                w.close()


class NoOpenCV(unittest.TestCase):
    """Runs with or without cv2, numpy and ffmpeg."""

    def test_missing_cv2(self):
        """Without cv2 the relay says what to install (a cv2 that fails to import is put
        first on the path), and creates no block."""
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "cv2.py"), "w") as f:
                f.write("raise ImportError(\"No module named 'cv2'\")\n")
            dst = helpers.block_name("cvd")
            r = helpers.run([sys.executable, "-B", RELAY, "nosuchsrc", dst],
                            env=dict(os.environ, PYTHONPATH=tmp))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("apt install python3-opencv", r.stderr)
        self.assertIn("No module named", r.stderr)
        self.assertEqual(helpers.shm_files(dst), [])


class Refusals(Base):
    def run_relay_on(self, fmt, op, w=8, h=4):
        src, dst = self.name("cvs"), self.name("cvd")
        wr = shmout.Writer(src, w, h, fmt)
        self.addCleanup(wr.close)
        p = self.relay(src, dst, "--op", op, lossless=False)
        self.assertEqual(wr.wait_readers(1, timeout=30), 1)
        wr.write(bytes(sum(pl.bytewidth * pl.height for pl in wr.geometry.planes)))
        _, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 1, err)
        self.assertEqual(helpers.shm_files(dst), [], "DEST was created")
        return err

    def test_unsupported_source_format(self):
        err = self.run_relay_on("yuv420p", "blur")
        self.assertIn("yuv420p", err)
        self.assertIn("-pix_fmt bgr24", err)
        err = self.run_relay_on("argb", "gray")
        self.assertIn("argb", err)
        self.assertIn("-pix_fmt bgra", err)
        self.assertIn("cannot convert", err)

    def load_relay(self):
        spec = importlib.util.spec_from_file_location("opencv_relay_under_test", RELAY)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    def test_not_in_place_is_refused(self):
        """The relay's check that OpenCV wrote into the slot: cv2 silently returns a new array
        for a dst of the wrong size, channel count or type; each op must then raise NotInPlace
        (and refuse a read-only dst, which cv2 would write into), and pass, with the result in
        dst, for a fitting one, also a strided one like a slot's."""
        mod = self.load_relay()
        rng = np.random.default_rng(3)
        src = rng.integers(0, 256, (24, 40, 3), np.uint8)
        src.flags.writeable = False
        for op, out_shape, ref in (
                ("blur", (24, 40, 3), cv2.GaussianBlur(src, (5, 5), 0)),
                ("flip", (24, 40, 3), cv2.flip(src, 1)),
                ("gray", (24, 40), cv2.cvtColor(src, cv2.COLOR_BGR2GRAY)),
                ("edges", (24, 40), cv2.Canny(cv2.cvtColor(src, cv2.COLOR_BGR2GRAY), 100, 200))):
            with self.subTest(op=op):
                args = types.SimpleNamespace(op=op, ksize=5, axis="h", low=100.0, high=200.0)
                run = mod.Op(args)
                narrow = np.zeros(out_shape[:1] + (out_shape[1] - 1,) + out_shape[2:], np.uint8)
                wide = np.zeros(out_shape + (4,) if len(out_shape) == 2 else
                                out_shape[:2] + (4,), np.uint8)     # wrong channel count
                deep = np.zeros(out_shape, np.uint16)
                for bad in (narrow, wide, deep):
                    with self.assertRaises(mod.NotInPlace) as cm:
                        run("bgr24", src, bad)
                    self.assertIn("did not write in place", str(cm.exception))
                    self.assertFalse(bad.any(), "the unfit dst was written")
                # cv2 would write into a read-only array: the relay refuses it first
                ro = np.zeros(out_shape, np.uint8)
                ro.flags.writeable = False
                with self.assertRaises(mod.NotInPlace) as cm:
                    run("bgr24", src, ro)
                self.assertIn("read-only", str(cm.exception))
                self.assertFalse(ro.any())
                # a slot-like dst: rows padded to 64-byte multiples, in a bigger buffer
                ls = -(-out_shape[1] * (out_shape[2] if len(out_shape) == 3 else 1) // 64) * 64
                buf = bytearray(64 + ls * out_shape[0])
                strides = (ls, out_shape[2], 1) if len(out_shape) == 3 else (ls, 1)
                dst = np.ndarray(out_shape, np.uint8, buffer=buf, offset=64, strides=strides)
                run("bgr24", src, dst)
                self.assertTrue(np.array_equal(dst, ref))
        with self.assertRaises(mod.NotInPlace):
            a = np.zeros((4, 4), np.uint8)
            mod.in_place(a.copy(), a, "test")
        a = np.zeros((4, 4), np.uint8)
        self.assertIs(mod.in_place(a[:], a, "test"), a)   # same memory, another object


if __name__ == "__main__":
    unittest.main()
