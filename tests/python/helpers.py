# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Shared helpers of the Python tests: import path, unique block names, cleanup of the blocks a
test created, the build's programs (skipping clearly when they are missing), a writable view
of a block's objects for corrupting them."""

import mmap
import os
import subprocess
import sys
import time
import unittest
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# SHMOUT_PY_INSTALLED=1: test the installed package (pip install ./python) instead of the
# tree's python/ (test_packaging.py runs the suite that way in a fresh venv).
INSTALLED = os.environ.get("SHMOUT_PY_INSTALLED", "") not in ("", "0")
if not INSTALLED:
    sys.path.insert(0, os.path.join(TOP, "python"))

import shmout                      # noqa: E402
from shmout import _sys as S       # noqa: E402

if INSTALLED:
    _tree = os.path.realpath(os.path.join(TOP, "python")) + os.sep
    if os.path.realpath(shmout.__file__).startswith(_tree):
        raise ImportError("SHMOUT_PY_INSTALLED=1 but shmout was imported from the tree: %s "
                          "(unset PYTHONPATH, install it with pip install ./python)"
                          % shmout.__file__)

B = os.environ.get("B", os.path.join(TOP, "build"))
SHMOUT_TOOL = os.environ.get("SHMOUT_TOOL", os.path.join(B, "bin", "shmout"))
FFMPEG = os.environ.get("FFMPEG", os.path.join(B, "bin", "ffmpeg"))


def block_name(tag="t"):
    """Unique per test: the pid and a random part, like tests/lib/testlib.sh's blockname."""
    return "py%s_%d_%s" % (tag, os.getpid(), uuid.uuid4().hex[:8])


def shm_files(name, memtype="local"):
    base = shmout.base_name(name, memtype, os.geteuid())
    return sorted(f for f in os.listdir(S.SHM_DIR) if f == base or f.startswith(base + "@"))


def cleanup(name, memtype="local"):
    """Remove every object of the block (whatever state it is in)."""
    base = shmout.base_name(name, memtype, os.geteuid())
    for f in os.listdir(S.SHM_DIR):
        if f == base or f.startswith(base + "@"):
            try:
                os.unlink(os.path.join(S.SHM_DIR, f))
            except FileNotFoundError:
                pass


def need_tool(testcase, path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        testcase.skipTest("SKIPPED: %s is missing (build the project with ./configure && make)"
                          % path)


def obj_map(name, suffix="", memtype="local"):
    """A writable MAP_SHARED mapping of one object of a block (for corrupting it)."""
    base = shmout.base_name(name, memtype, os.geteuid())
    fd = os.open(os.path.join(S.SHM_DIR, base + suffix), os.O_RDWR)
    try:
        return mmap.mmap(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def wait_until(pred, timeout=10.0, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def pattern(n, p, size):
    """The documented test-writer pattern: byte i of plane p of frame n is (n + 7p + i) & 255."""
    start = (n + 7 * p) & 255
    one = bytes((start + i) & 255 for i in range(256))
    return (one * (size // 256 + 1))[:size]


def run(cmd, timeout=30, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


class BlockTest(unittest.TestCase):
    """A test case that removes the blocks it names with self.name()."""

    def setUp(self):
        self._names = []

    def tearDown(self):
        for n, mt in self._names:
            cleanup(n, mt)

    def name(self, tag="t", memtype="local"):
        n = block_name(tag)
        self._names.append((n, memtype))
        return n
