# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Packaging: `pip install --no-build-isolation --no-deps` of a copy of python/ into a fresh
`python3 -m venv --system-site-packages` (offline), then the installed module (not the tree's)
publishes and reads a frame. Skipped when the interpreter has no venv/pip/setuptools."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import helpers


class Packaging(unittest.TestCase):
    def test_pip_install_offline(self):
        for mod in ("venv", "ensurepip", "setuptools"):
            q = subprocess.run([sys.executable, "-c", "import " + mod], capture_output=True)
            if q.returncode:
                self.skipTest("SKIPPED: %s has no %s module" % (sys.executable, mod))
        # setuptools older than 70.1 builds wheels with the separate 'wheel' package
        q = subprocess.run([sys.executable, "-c",
                            "import setuptools, sys\n"
                            "v = tuple(int(x) for x in setuptools.__version__.split('.')[:2])\n"
                            "if v < (70, 1): import wheel"], capture_output=True)
        if q.returncode:
            self.skipTest("SKIPPED: %s has setuptools < 70.1 without the wheel package "
                          "(Debian: python3-wheel)" % sys.executable)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            shutil.copytree(os.path.join(helpers.TOP, "python"), src,
                            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
            venv = os.path.join(tmp, "venv")
            q = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(q.returncode, 0, q.stderr)
            py = os.path.join(venv, "bin", "python")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env["PIP_NO_INDEX"] = "1"
            q = subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                                src], capture_output=True, text=True, timeout=300, env=env)
            self.assertEqual(q.returncode, 0, q.stdout[-2000:] + q.stderr[-2000:])
            name = helpers.block_name("pkg")
            prog = ("import shmout, sys\n"
                    "assert shmout.__file__.startswith(%r), shmout.__file__\n"
                    "with shmout.Writer(%r, 2, 2, 'gray') as w, shmout.Reader(%r) as r:\n"
                    "    w.write(b'abcd')\n"
                    "    assert r.read().data[0] == b'abcd'\n"
                    "shmout.remove(%r)\n"
                    "print('ok', shmout.__version__)\n" % (venv, name, name, name))
            try:
                q = subprocess.run([py, "-c", prog], capture_output=True, text=True,
                                   timeout=60, env=env, cwd=tmp)
            finally:
                helpers.cleanup(name)
            self.assertEqual(q.returncode, 0, q.stderr)
            self.assertEqual(q.stdout.strip(), "ok 1.1.0")


if __name__ == "__main__":
    unittest.main()
