# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The Python command line (`python -m shmout ls|info|watch`) against the C tool
(build/bin/shmout) as the oracle: for the same blocks (Python writers, the C test writer, a
closed block, crafted corrupt and half set-up blocks) the same rows, fields and values except
those that change with time (ages), the same exit statuses and messages for usage errors and
missing blocks, and watch lines counting the frames actually written. Skipped (clearly) when
build/bin/shmout is missing, except the --help tests."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

import helpers
from helpers import shmout, SHMOUT_TOOL

PYENV = dict(os.environ, PYTHONPATH=os.path.join(helpers.TOP, "python"))
TIME_KEYS = ("last_frame_age_ms", "heartbeat_age_ms")         # change between two runs
TIME_LABELS = ("last frame age:", "heartbeat age:")
WATCH_LINE = re.compile(r"(?P<name>\S+): (?P<status>\w+), (?P<size>no frame yet|\d+x\d+ \w+), "
                        r"(?P<fps>\d+\.\d) fps, (?P<frames>\d+) frames, (?P<skipped>\d+) "
                        r"skipped, (?P<torn>\d+) torn retries\Z")


def py_cli(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "shmout"] + list(args), capture_output=True,
                          text=True, timeout=timeout, env=PYENV)


def c_tool(*args, timeout=30):
    return helpers.run([SHMOUT_TOOL] + list(args), timeout=timeout)


def both(*args, timeout=30):
    return c_tool(*args, timeout=timeout), py_cli(*args, timeout=timeout)


def frame_bytes(w):
    return sum(p.bytewidth * p.height for p in w.geometry.planes)


def ls_row(out, name, memtype="local"):
    """The row of block `name` in `memtype` in `shmout ls` output, split as (everything before
    AGE, AGE, READERS), or None."""
    rows = [ln for ln in out.splitlines() if ln.split()[:2] == [name, memtype]]
    if len(rows) != 1:
        return None
    return tuple(rows[0].rsplit(None, 2))


def json_entry(out, name, memtype="local"):
    mine = [b for b in json.loads(out) if (b["name"], b["memtype"]) == (name, memtype)]
    return mine[0] if len(mine) == 1 else None


def without(d, keys):
    return {k: v for k, v in d.items() if k not in keys}


def stable_lines(text):
    return [ln for ln in text.splitlines() if not ln.startswith(TIME_LABELS)]


class Help(unittest.TestCase):
    def test_help_exits_0(self):
        for args in (["--help"], ["-h"], ["help"], ["ls", "--help"], ["info", "x", "-h"],
                     ["watch", "--bogus", "--help"]):
            with self.subTest(args=args):
                q = py_cli(*args)
                self.assertEqual(q.returncode, 0, q.stderr)
                for cmd in ("ls", "info NAME", "watch NAME", "--memtype", "--count",
                            "--seconds", "--json"):
                    self.assertIn(cmd, q.stdout)
                self.assertEqual(q.stderr, "")

    def test_help_like_the_c_tool(self):
        helpers.need_tool(self, SHMOUT_TOOL)
        for args in (["--help"], ["-h"], ["help"], ["info", "x", "-h"]):
            c, p = both(*args)
            self.assertEqual((p.returncode, c.returncode), (0, 0))
        c = c_tool("--help").stdout
        p = py_cli("--help").stdout
        # the same lines for the three commands and the memtype option
        for line in c.splitlines():
            if line.lstrip().startswith(("ls ", "info ", "watch ", "--memtype")):
                self.assertIn(line.strip(), [x.strip() for x in p.splitlines()])


class UsageWithoutTheCTool(unittest.TestCase):
    """Usage errors the C tool cannot be the oracle of: its other commands, which this one
    does not have, are refused as usage errors naming them."""

    def test_c_only_commands_are_usage_errors_naming_them(self):
        for cmd in ("set", "rm", "test-writer"):
            with self.subTest(cmd=cmd):
                p = py_cli(cmd, "x")
                self.assertEqual(p.returncode, 2)
                self.assertIn("'%s'" % cmd, p.stderr)


class Usage(unittest.TestCase):
    """Usage errors: status 2 from both, the same first line where the C tool's wording fits."""

    SAME_MESSAGE = [
        [], ["bogus"], ["ls", "x"], ["ls", "--bogus"], ["ls", "--memtype", "local"],
        ["info"], ["info", "--bogus"], ["info", "a..b"], ["info", "-x"], ["info", "_a"],
        ["info", "x", "y"], ["info", "x" * 64], ["info", "a b"], ["info", "x", "--memtype"],
        ["info", "x", "--memtype", "foo"], ["info", "x", "--memtype", "--json"],
        ["info", "x", "--count", "3"], ["watch"], ["watch", "x", "--json"],
        ["watch", "x", "--count"], ["watch", "x", "--count", "0"],
        ["watch", "x", "--count", "-3"], ["watch", "x", "--seconds", "abc"],
        ["watch", "x", "--count", "2", "--seconds"], ["watch", "x", "--count", "1000001"],
        ["watch", "x", "--memtype", "GLOBAL"], ["watch", "x", "--counts", "2"],
    ]

    def setUp(self):
        helpers.need_tool(self, SHMOUT_TOOL)

    def test_same_status_and_message(self):
        for args in self.SAME_MESSAGE:
            with self.subTest(args=args):
                c, p = both(*args)
                self.assertEqual(c.returncode, 2, c.stderr)
                self.assertEqual(p.returncode, c.returncode, p.stderr)
                self.assertEqual(p.stderr.splitlines()[0], c.stderr.splitlines()[0])
                self.assertIn("--help", p.stderr)
                self.assertEqual(p.stdout, "")


class LsInfo(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        helpers.need_tool(self, SHMOUT_TOOL)

    def assert_same_block(self, name, memtype="local", explicit=True):
        """ls, ls --json, info and info --json of both tools agree on block `name`."""
        c, p = both("ls")
        self.assertEqual((c.returncode, p.returncode), (0, 0), c.stderr + p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], c.stdout.splitlines()[0])   # header
        crow, prow = ls_row(c.stdout, name, memtype), ls_row(p.stdout, name, memtype)
        self.assertIsNotNone(crow, c.stdout)
        self.assertIsNotNone(prow, p.stdout)
        self.assertEqual((prow[0], prow[2]), (crow[0], crow[2]))   # all but AGE
        self.assertEqual(prow[1] == "-", crow[1] == "-")
        c, p = both("ls", "--json")
        cj, pj = json_entry(c.stdout, name, memtype), json_entry(p.stdout, name, memtype)
        self.assertIsNotNone(cj)
        self.assertEqual(list(pj), list(cj))                           # keys, in order
        self.assertEqual(without(pj, TIME_KEYS), without(cj, TIME_KEYS))
        for k in TIME_KEYS:
            self.assertEqual(pj[k] is None, cj[k] is None, k)
        mt = ["--memtype", memtype] if explicit else []
        c, p = both("info", name, *mt)
        self.assertEqual((c.returncode, p.returncode), (0, 0), c.stderr + p.stderr)
        self.assertEqual(stable_lines(p.stdout), stable_lines(c.stdout))
        self.assertEqual(len(p.stdout.splitlines()), len(c.stdout.splitlines()))
        c, p = both("info", name, "--json", *mt)
        self.assertEqual((c.returncode, p.returncode), (0, 0), c.stderr + p.stderr)
        cj, pj = json.loads(c.stdout), json.loads(p.stdout)
        self.assertEqual(without(pj, TIME_KEYS), without(cj, TIME_KEYS))
        self.assertEqual(cj["memtype"], memtype)
        return cj

    def test_python_writer(self):
        name = self.name("cli")
        with shmout.Writer(name, 21, 9, "yuv420p", slots=4, fill_mode=4, smoothness=0,
                           dar=(16, 9), heartbeat=False) as w:
            for i in range(5):
                w.write(bytes(frame_bytes(w)), pts=i)
            js = self.assert_same_block(name)
            self.assertEqual((js["frames"], js["status"], js["slots"]), (5, "active", 4))
            w.set_active(False)
            self.assertEqual(self.assert_same_block(name)["status"], "inactive")
            w.set_active(True)
            w.set_geometry(40, 30, "nv12")          # a new data object, another geometry
            w.write(bytes(frame_bytes(w)))
            js = self.assert_same_block(name)
            self.assertEqual((js["segment_gen"], js["format"]), (2, "nv12"))
        self.assertEqual(self.assert_same_block(name)["status"], "closed")

    def test_reader_is_counted(self):
        name = self.name("cli")
        with shmout.Writer(name, 4, 4, "rgba", heartbeat=False) as w, shmout.Reader(name):
            w.write(bytes(64))
            self.assertEqual(self.assert_same_block(name)["readers"], 1)

    def test_c_writer_global_and_default_memtype(self):
        name = self.name("cli", memtype="global")
        p = subprocess.Popen([SHMOUT_TOOL, "test-writer", name, "--memtype", "global",
                              "--width", "33", "--height", "17", "--format", "gbrp",
                              "--fps", "100", "--frames", "7", "--slots", "5", "--hold"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        self.assertTrue(helpers.wait_until(
            lambda: (json_entry(c_tool("ls", "--json").stdout, name, "global") or {})
            .get("frames") == 7))
        js = self.assert_same_block(name, "global", explicit=False)    # found via the fallback
        self.assertEqual((js["owner_pid"], js["frames"], js["slots"]), (p.pid, 7, 5))
        self.assert_same_block(name, "global")
        # a local block of the same name comes first, in both
        with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w:
            w.write(b"abcd")
            self.addCleanup(helpers.cleanup, name, "local")
            c, q = both("info", name, "--json")
            self.assertEqual((c.returncode, q.returncode), (0, 0))
            self.assertEqual(json.loads(q.stdout)["memtype"], json.loads(c.stdout)["memtype"])
            self.assertEqual(json.loads(q.stdout)["memtype"], "local")
            self.assert_same_block(name)

    def test_closed_c_writer(self):
        name = self.name("cli")
        q = c_tool("test-writer", name, "--frames", "3", "--fps", "200")
        self.assertEqual(q.returncode, 0, q.stderr)
        js = self.assert_same_block(name)
        self.assertEqual((js["status"], js["frames"], js["last_frame_age_ms"]),
                         ("closed", 0, None))

    def test_corrupt_and_half_set_up_blocks(self):
        S = shmout._sys
        corrupt, unset, zeros = self.name("clibad"), self.name("cliuns"), self.name("clizer")
        for n, data in ((corrupt, os.urandom(4096)), (unset, b""), (zeros, bytes(4096))):
            with open(os.path.join(S.SHM_DIR, shmout.base_name(n, "local", os.geteuid())),
                      "wb") as f:
                f.write(data)
        for n in (corrupt, unset, zeros):
            with self.subTest(block=n):
                c, p = both("ls")
                self.assertEqual(ls_row(p.stdout, n), ls_row(c.stdout, n))
                self.assertIsNotNone(ls_row(c.stdout, n))
                c, p = both("ls", "--json")
                self.assertEqual(json_entry(p.stdout, n), json_entry(c.stdout, n))
                for cmd in (["info", n], ["info", n, "--json"], ["watch", n, "--count", "1"]):
                    c, p = both(*cmd)
                    self.assertEqual(p.returncode, c.returncode, (cmd, c.stderr, p.stderr))
                    if c.returncode == 0:
                        self.assertEqual(p.stdout, c.stdout)
                    else:       # (the C tool does not name a corrupt block)
                        self.assertIn(n, p.stderr)
                        self.assertEqual(p.stderr.count("\n"), c.stderr.count("\n"))
        self.assertEqual(json_entry(c_tool("ls", "--json").stdout, corrupt)["status"],
                         "corrupt")

    def test_missing_block(self):
        name = self.name("clinone")
        for cmd in (["info", name], ["info", name, "--json"], ["info", name, "--memtype",
                    "global"], ["watch", name], ["watch", name, "--memtype", "local"]):
            with self.subTest(cmd=cmd):
                c, p = both(*cmd)
                self.assertEqual(c.returncode, 1)
                self.assertEqual(p.returncode, c.returncode)
                self.assertIn(name, c.stderr)
                self.assertIn(name, p.stderr)
                self.assertEqual(p.stdout, "")
                if "--memtype" in cmd:      # nothing tried but that memtype: C's wording
                    self.assertEqual(p.stderr, c.stderr)
                else:                       # and says it tried both
                    self.assertIn("local", p.stderr)
                    self.assertIn("global", p.stderr)

    def test_ls_json_is_a_list_like_the_c_tools(self):
        c, p = both("ls", "--json")
        self.assertEqual((c.returncode, p.returncode), (0, 0))
        self.assertIsInstance(json.loads(p.stdout), list)
        self.assertEqual(p.stdout.startswith("[\n") or p.stdout == "[]\n", True)


class Watch(helpers.BlockTest):
    def setUp(self):
        super().setUp()
        helpers.need_tool(self, SHMOUT_TOOL)

    def watch_both(self, *args):
        c = subprocess.Popen([SHMOUT_TOOL, "watch"] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        p = subprocess.Popen([sys.executable, "-m", "shmout", "watch"] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=PYENV)
        for x in (c, p):
            self.addCleanup(lambda x=x: (x.poll() is None and x.kill(), x.communicate()))
        return c, p

    @staticmethod
    def lines(proc, timeout=30):
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, [WATCH_LINE.match(ln) for ln in out.splitlines()], err

    def test_count_lines_and_frames_written(self):
        name = self.name("cliw")
        N, W = 4, 60
        with shmout.Writer(name, 16, 8, "bgra", heartbeat=False) as w:
            w.write(bytes(frame_bytes(w)))
            c, p = self.watch_both(name, "--count", str(N))
            time.sleep(0.3)             # both attached before the frames come

            def writer():
                for _ in range(W - 1):
                    w.write(bytes(frame_bytes(w)))
                    time.sleep(0.02)
            t = threading.Thread(target=writer)
            t.start()
            t.join()
            written = w.frame_number
            self.assertEqual(written, W)
            results = [self.lines(x) for x in (c, p)]
        (crc, cl, cerr), (prc, pl, perr) = results
        self.assertEqual((crc, prc), (0, 0), cerr + perr)
        self.assertEqual(len(cl), N)
        self.assertEqual(len(pl), N)
        self.assertTrue(all(pl), pl)
        for ct, pt in zip(cl, pl):
            self.assertEqual((pt["name"], pt["status"]), (ct["name"], ct["status"]))
            self.assertIn(pt["size"], ("no frame yet", ct["size"]))
        self.assertEqual(pl[-1]["size"], "16x8 bgra")
        self.assertEqual(pl[-1]["size"], cl[-1]["size"])
        # every frame written is seen or counted skipped: seen + skipped = last frame returned
        for lines in (cl, pl):
            total = sum(int(m["frames"]) + int(m["skipped"]) for m in lines)
            self.assertEqual(total, written, [m.group(0) for m in lines])
            for m in lines:
                self.assertAlmostEqual(float(m["fps"]), int(m["frames"]), delta=
                                       max(1.0, 0.1 * int(m["frames"])))
        # the last line: the writer has been idle for a second, no frame in it
        self.assertEqual(int(pl[-1]["frames"]), 0)

    def test_seconds(self):
        name = self.name("cliw")
        with shmout.Writer(name, 4, 4, "gray", heartbeat=False) as w:
            w.write(bytes(16))
            c, p = self.watch_both(name, "--seconds", "2")
            (crc, cl, _), (prc, pl, perr) = self.lines(c), self.lines(p)
        self.assertEqual((prc, crc), (0, 0), perr)
        self.assertEqual(len(pl), len(cl))
        self.assertEqual([m.group(0) for m in pl], [m.group(0) for m in cl])

    def test_closed_block(self):
        name = self.name("cliw")
        q = c_tool("test-writer", name, "--frames", "2", "--fps", "200")
        self.assertEqual(q.returncode, 0, q.stderr)
        c, p = both("watch", name, "--count", "1")
        self.assertEqual((c.returncode, p.returncode), (0, 0), p.stderr)
        self.assertEqual(p.stdout, c.stdout)
        self.assertTrue(p.stdout.startswith(name + ": closed, "), p.stdout)

    def test_sigint_exits_0(self):
        name = self.name("cliw")
        with shmout.Writer(name, 4, 4, "gray", heartbeat=False) as w:
            w.write(bytes(16))
            c, p = self.watch_both(name)
            time.sleep(1.5)
            for x in (c, p):
                x.send_signal(signal.SIGINT)
            (crc, cl, _), (prc, pl, perr) = self.lines(c, 10), self.lines(p, 10)
        self.assertEqual((prc, crc), (0, 0), perr)
        self.assertEqual(perr, "")
        self.assertTrue(pl and all(pl))


if __name__ == "__main__":
    unittest.main()
