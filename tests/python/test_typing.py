# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The type hints of the public API (PEP 561, py.typed) are checked by mypy as a user's program
sees them: the examples type-check against them, and a program that misuses the API (a str
width, a a frame number added to a str, a wrong keyword) is rejected at the lines it misuses.
Modules without hints of their own (cv2) are taken as untyped. Skipped without mypy (Debian:
mypy)."""

import glob
import os
import shutil
import subprocess
import tempfile
import unittest

import helpers

MISUSE = '''import shmout
w = shmout.Writer("x", "640", 480)                      # line 2: width is an int
r = shmout.Reader("x", timeout=1)
v = r.latest(1)
s: str = v.pix_fmt_name + v.number                      # line 5: number is an int
ok: bool = v.intact and r.wait(1.0)                     # fine
r.next_view(timeout=1, evry=True)                       # line 7: no such keyword
'''


class Typing(unittest.TestCase):
    def mypy(self, *paths):
        exe = shutil.which("mypy")
        if exe is None:
            self.skipTest("SKIPPED: mypy is missing (Debian: mypy)")
        env = dict(os.environ, MYPYPATH=os.path.join(helpers.TOP, "python"))
        return subprocess.run([exe, "--follow-imports=silent", "--ignore-missing-imports",
                               "--no-error-summary",
                               "--cache-dir", os.path.join(tempfile.gettempdir(),
                                                           "shmout-mypy-cache")] + list(paths),
                              capture_output=True, text=True, timeout=300, env=env)

    def test_examples_type_check(self):
        examples = sorted(glob.glob(os.path.join(helpers.TOP, "examples", "*.py")))
        self.assertTrue(examples)
        q = self.mypy(*examples)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)

    def test_misuse_is_rejected(self):
        with tempfile.TemporaryDirectory() as tmp:
            prog = os.path.join(tmp, "misuse.py")
            with open(prog, "w") as f:
                f.write(MISUSE)
            q = self.mypy(prog)
        self.assertNotEqual(q.returncode, 0, q.stdout)
        lines = sorted({int(ln.split(":")[1]) for ln in q.stdout.splitlines()
                        if ln.startswith(prog + ":") and ": error:" in ln})
        self.assertEqual(lines, [2, 5, 7], q.stdout)


if __name__ == "__main__":
    unittest.main()
