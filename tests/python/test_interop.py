# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Interoperability with the C implementation: the C test writer (`shmout test-writer`) read by
the Python reader byte for byte; Python writers read by FFmpeg's shmin input device byte for
byte; the `shmout` tool's ls/info/set/rm on Python blocks; writer locks and takeovers across
the two implementations. Skipped (clearly) when build/bin/shmout or build/bin/ffmpeg is
missing."""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import helpers
from helpers import shmout, SHMOUT_TOOL, FFMPEG

FORMATS = ["rgba", "bgra", "rgb24", "gray", "gray16le", "rgba64le", "grayf32le", "ya8",
           "rgbaf32le", "gbrp", "yuv420p", "yuv422p", "yuv420p10le", "nv12", "p010le",
           "yuyv422"]


def expected_plane(n, p, pl):
    """Plane p of test-writer frame n, rows tight (bytewidth bytes): byte x of row y is
    (n + 7p + y * bytewidth + x) & 255, whatever the linesize (its padding is not written)."""
    return helpers.pattern(n, p, pl.bytewidth * pl.height)


class CWriterPythonReader(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        helpers.need_tool(self, SHMOUT_TOOL)

    def start_writer(self, name, *args):
        p = subprocess.Popen([SHMOUT_TOOL, "test-writer", name] + list(args),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
        return p

    def test_pattern_all_formats(self):
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                name = self.name("c")
                N = 8
                p = self.start_writer(name, "--width", "13", "--height", "7", "--format", fmt,
                                      "--fps", "50", "--frames", str(N), "--slots", "4",
                                      "--hold")
                r = shmout.Reader(name, timeout=10)
                self.addCleanup(r.close)
                numbers = []
                while not numbers or numbers[-1] < N:
                    self.assertTrue(r.wait(10), "no frame from the C writer (%s)" % fmt)
                    f = r.read()
                    numbers.append(f.number)
                    self.assertEqual((f.width, f.height, f.pix_fmt_name), (13, 7, fmt))
                    self.assertEqual(f.pix_fmt, shmout.pix_fmt_code(fmt))
                    ref = shmout.make_geometry(13, 7, fmt)   # §5's table, from the spec alone
                    self.assertEqual([(q.bytewidth, q.height) for q in f.planes],
                                     [(q.bytewidth, q.height) for q in ref.planes])
                    for i, pl in enumerate(f.planes):
                        self.assertEqual(f.data[i], expected_plane(f.number, i, pl),
                                         "frame %d plane %d" % (f.number, i))
                    self.assertEqual(f.session, 1)
                self.assertEqual(numbers, sorted(set(numbers)))
                # §10 Counting: frames 1 .. first-1 count as skipped before attach
                self.assertEqual(r.frames_seen + r.frames_skipped, N)
                self.assertLessEqual(r.frames_before_attach, numbers[0] - 1)
                info = r.info()
                self.assertEqual((info.slots, info.owner_pid, info.status, info.readers),
                                 (4, p.pid, "active", 1))
                p.send_signal(signal.SIGTERM)
                p.wait(10)
                self.assertEqual(r.status, "closed")
                self.assertEqual(r.read().number, N)          # last frame still mapped
                r.close()

    def test_wait_follows_live_c_writer(self):
        name = self.name("c")
        self.start_writer(name, "--fps", "100", "--frames", "30", "--hold")
        with shmout.Reader(name, timeout=10) as r:
            got = [f.number for f in r.frames(timeout=2)]
            self.assertEqual(got[-1], 30)
            self.assertEqual(len(got) + r.frames_skipped, 30)
            self.assertLessEqual(r.frames_before_attach, got[0] - 1)
            for f in [r.read()]:
                self.assertEqual((f.width, f.height, f.pix_fmt_name), (64, 64, "rgba"))
                self.assertEqual(f.data[0], expected_plane(30, 0, f.planes[0]))

    def test_every_frame_from_c_writer(self):
        name = self.name("c")
        self.start_writer(name, "--width", "32", "--height", "16", "--format", "rgb24",
                          "--fps", "200", "--frames", "120", "--slots", "16", "--hold")
        with shmout.Reader(name, timeout=10) as r:
            got = []
            for f in r.frames(timeout=2, every=True):
                self.assertEqual(f.data[0], expected_plane(f.number, 0, f.planes[0]))
                got.append(f.number)
                if f.number == 120:
                    break
            self.assertEqual(got, sorted(set(got)))
            self.assertEqual(got[-1], 120)
            self.assertEqual(len(got) + r.frames_skipped, 120)
            self.assertLessEqual(r.frames_before_attach, got[0] - 1)
            # 16 slots at 200 fps leave 80 ms per frame: only a badly stalled reader skips
            self.assertLess(r.frames_skipped - r.frames_before_attach, 60)

    def test_c_writer_resizes(self):
        """`test-writer --resize-every 4`: 8x4 and 12x6 alternate every 4 frames (a new data
        object for the bigger size, in place for the smaller); the reader follows."""
        name = self.name("c")
        self.start_writer(name, "--width", "8", "--height", "4", "--format", "yuv420p",
                          "--fps", "25", "--frames", "16", "--resize-every", "4", "--hold")
        with shmout.Reader(name, timeout=10) as r:
            sizes, gens = set(), set()
            for f in r.frames(timeout=2, every=True):
                big = (f.number - 1) // 4 % 2 == 1
                self.assertEqual((f.width, f.height), (12, 6) if big else (8, 4))
                ref = shmout.make_geometry(f.width, f.height, "yuv420p")
                self.assertEqual([(q.bytewidth, q.height) for q in f.planes],
                                 [(q.bytewidth, q.height) for q in ref.planes])
                for i, pl in enumerate(f.planes):
                    self.assertEqual(f.data[i], expected_plane(f.number, i, pl))
                sizes.add((f.width, f.height))
                gens.add(f.geometry_gen)
                if f.number == 16:
                    break
            self.assertEqual(f.number, 16)
            self.assertEqual(sizes, {(8, 4), (12, 6)})
            self.assertGreaterEqual(len(gens), 2)
            self.assertGreaterEqual(r.info().segment_gen, 2)

    def test_killed_c_writer_stale_then_python_takeover(self):
        name = self.name("c")
        p = self.start_writer(name, "--fps", "100", "--frames", "3", "--hold")
        r = shmout.Reader(name, timeout=10)
        self.addCleanup(r.close)
        self.assertTrue(helpers.wait_until(lambda: r.info().latest_frame == 3))
        with self.assertRaises(shmout.BusyError):
            shmout.Writer(name, 4, 4)
        p.kill()
        p.wait()
        self.assertTrue(helpers.wait_until(lambda: r.status == "stale", 2))
        with shmout.Writer(name, 4, 4, "gray", heartbeat=False) as w:
            self.assertEqual((w.session, w.segment_gen), (2, 2))
            w.write(bytes(range(16)), pts=0)
            self.assertTrue(r.wait(2))
            f = r.read()
            self.assertEqual((f.number, f.session, f.data[0]), (1, 2, bytes(range(16))))
            # the C writer must refuse a block a Python writer holds
            q = helpers.run([SHMOUT_TOOL, "test-writer", name, "--frames", "1"])
            self.assertNotEqual(q.returncode, 0)
            self.assertIn(str(os.getpid()), q.stderr)


class PythonWriterCTool(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        helpers.need_tool(self, SHMOUT_TOOL)

    def tool(self, *args):
        return helpers.run([SHMOUT_TOOL] + list(args))

    def info(self, name, memtype="local"):
        q = self.tool("info", name, "--json", "--memtype", memtype)
        self.assertEqual(q.returncode, 0, q.stderr)
        return json.loads(q.stdout)

    def test_ls_and_info(self):
        name = self.name("tool")
        with shmout.Writer(name, 21, 9, "yuv420p", slots=4, fill_mode=4, smoothness=0,
                           dar=(16, 9), heartbeat=False) as w, shmout.Reader(name) as r:
            for i in range(3):
                w.write(bytes(sum(p.bytewidth * p.height for p in w.geometry.planes)), pts=i)
            q = self.tool("ls", "--json")
            self.assertEqual(q.returncode, 0, q.stderr)
            mine = [b for b in json.loads(q.stdout) if b["name"] == name]
            self.assertEqual(len(mine), 1)
            js = self.info(name)
            for key in ("name", "memtype", "status", "owner_pid", "width", "height", "format"):
                self.assertEqual(mine[0][key], js[key])
            g = w.geometry
            self.assertEqual(js["name"], name)
            self.assertEqual(js["memtype"], "local")
            self.assertEqual(js["status"], "active")
            self.assertTrue(js["alive"])
            self.assertEqual(js["owner_pid"], os.getpid())
            self.assertEqual(js["owner_uid"], os.geteuid())
            self.assertEqual(js["owner_starttime"], shmout._sys.proc_starttime(os.getpid()))
            self.assertEqual((js["width"], js["height"], js["format"], js["pix_fmt_code"]),
                             (21, 9, "yuv420p", 128))
            self.assertEqual(js["frame_bytes"], g.frame_bytes)
            self.assertEqual([(p["offset"], p["linesize"], p["bytewidth"], p["height"])
                              for p in js["planes"]],
                             [(p.offset, p.linesize, p.bytewidth, p.height) for p in g.planes])
            self.assertEqual((js["slots"], js["capacity"], js["frames"]), (4, g.frame_bytes, 3))
            self.assertEqual((js["session"], js["segment_gen"], js["geometry_gen"]), (1, 1, 1))
            self.assertEqual((js["fill_mode"], js["smoothness"]), ("outside", "nearest"))
            self.assertEqual(js["dar"], [16, 9])
            self.assertEqual(js["readers"], 1)
            self.assertEqual(r.info().readers, 1)
            w.set_active(False)
            self.assertEqual(self.info(name)["status"], "inactive")
            w.set_geometry(40, 30)                      # new data object
            js = self.info(name)
            self.assertEqual((js["width"], js["height"], js["segment_gen"], js["geometry_gen"]),
                             (40, 30, 2, 2))
        self.assertEqual(self.info(name)["status"], "closed")
        q = self.tool("rm", name)
        self.assertEqual(q.returncode, 0, q.stderr)
        self.assertEqual(helpers.shm_files(name), [])

    def test_global_block(self):
        name = self.name("glob", memtype="global")
        with shmout.Writer(name, 4, 4, "rgba", memtype="global", heartbeat=False) as w:
            w.write(bytes(64))
            js = self.info(name, "global")
            self.assertEqual((js["memtype"], js["object"]), ("global", "/shmout.g." + name))

    def test_tool_set_active_and_rm(self):
        name = self.name("tool")
        with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w:
            w.write(b"abcd")
            q = self.tool("set", name, "active=0")
            self.assertEqual(q.returncode, 0, q.stderr)
            self.assertFalse(w.active)
            self.assertEqual(w.write(b"efgh"), 0)
            self.assertEqual(self.tool("set", name, "active=1").returncode, 0)
            self.assertTrue(w.active)
            self.assertEqual(w.write(b"efgh"), 2)
            self.assertNotEqual(self.tool("rm", name).returncode, 0)   # live writer
        self.assertEqual(self.tool("rm", name).returncode, 0)

    def test_stale_python_writer(self):
        name = self.name("tool")
        prog = ("import shmout, time; w = shmout.Writer(%r, 2, 2, 'gray'); w.write(b'1234');"
                "print('ready', flush=True); time.sleep(60)" % name)
        p = subprocess.Popen([__import__("sys").executable, "-c", prog],
                             env=dict(os.environ, PYTHONPATH=os.path.join(helpers.TOP, "python")),
                             stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        self.assertEqual(self.info(name)["status"], "active")
        p.kill()
        p.communicate()
        self.assertEqual(self.info(name)["status"], "stale")
        # the C writer takes over the stale Python block
        q = helpers.run([SHMOUT_TOOL, "test-writer", name, "--frames", "2", "--fps", "100"])
        self.assertEqual(q.returncode, 0, q.stderr)
        js = self.info(name)
        self.assertEqual((js["status"], js["session"]), ("closed", 2))


class PythonWriterFFmpeg(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        helpers.need_tool(self, FFMPEG)

    def run_shmin(self, fmt, width, height, frames_to_read=4, extra=2):
        name = self.name("ff")
        out = tempfile.NamedTemporaryFile(suffix=".raw", delete=False)
        out.close()
        self.addCleanup(os.unlink, out.name)
        with shmout.Writer(name, width, height, fmt, heartbeat=False) as w:
            size = sum(p.bytewidth * p.height for p in w.geometry.planes)
            frames = [helpers.pattern(17 * i + 3, 0, size) for i in range(frames_to_read + extra)]
            p = subprocess.Popen([FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                                  "-f", "shmin", "-timeout", "10", "-i", name,
                                  "-frames:v", str(frames_to_read), "-f", "rawvideo",
                                  "-pix_fmt", fmt, out.name],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                base = shmout.base_name(name, "local", os.geteuid())

                def attached():
                    try:
                        with open("/proc/%d/maps" % p.pid) as fh:
                            return base in fh.read()
                    except OSError:
                        return False
                self.assertTrue(helpers.wait_until(attached, 10), "ffmpeg did not attach")
                for i, fr in enumerate(frames):
                    if p.poll() is not None:
                        break
                    w.write(fr, pts=i, tb=(1, 25))
                    time.sleep(0.15)
                _, err = p.communicate(timeout=30)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.communicate()
            self.assertEqual(p.returncode, 0, err)
        with open(out.name, "rb") as fh:
            got = fh.read()
        self.assertEqual(len(got), frames_to_read * size)
        for i in range(frames_to_read):
            self.assertEqual(got[i * size:(i + 1) * size], frames[i], "frame %d differs" % i)

    def test_rgba(self):
        self.run_shmin("rgba", 32, 18)

    def test_default_aspect_is_square_pixels(self):
        """A default Writer's block reads in ffmpeg as SAR 1:1 with the size's DAR, without
        "ignoring invalid SAR"; a given sar gives the DAR that follows from it."""
        for kw, want in (({}, "SAR 1:1 DAR 16:9"), ({"sar": (4, 3)}, "SAR 4:3 DAR 64:27")):
            with self.subTest(**kw):
                name = self.name("sar")
                with shmout.Writer(name, 32, 18, "rgba", heartbeat=False, **kw) as w:
                    p = subprocess.Popen([FFMPEG, "-hide_banner", "-nostdin", "-f", "shmin",
                                          "-timeout", "10", "-i", name, "-frames:v", "1",
                                          "-f", "null", "-"], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True)
                    try:
                        while p.poll() is None:
                            w.write(bytes(32 * 18 * 4))
                            time.sleep(0.05)
                    finally:
                        if p.poll() is None:
                            p.kill()
                        err = p.communicate()[1]
                self.assertEqual(p.returncode, 0, err)
                self.assertNotIn("invalid SAR", err)
                self.assertIn(want, err)

    def test_gray16le(self):
        self.run_shmin("gray16le", 15, 7, 3)

    def test_yuv420p(self):
        self.run_shmin("yuv420p", 21, 9, 3)


if __name__ == "__main__":
    unittest.main()
