# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Packaging: `pip install` of a copy of python/ into fresh venvs, offline (--no-index), by the
two offline recipes of python/README.md, then checks of what was installed.

test_build_isolation_offline: `python3 -m venv V` (no system site packages, so no numpy) and
`V/bin/pip install --no-index --find-links /usr/share/python-wheels SRC`: pip's default build
isolation, fed with the setuptools and wheel wheels Debian ships (python3-setuptools-whl,
python3-wheel-whl). The module must be the installed one, carry the PEP 561 marker py.typed (on
disk and in the RECORD), have __version__ (and the distribution's version) equal to
python/shmout/_version.py, and write and read a frame of bytes without numpy.

test_installed_suite: `python3 -m venv --system-site-packages V` (Debian's numpy) and
`V/bin/pip install --no-build-isolation --no-index SRC` (Debian's python3-setuptools and
python3-wheel). Then every other module of tests/python (all but this one) runs with V's python
and SHMOUT_PY_INSTALLED=1 (helpers.py then does not put python/ on sys.path and refuses a tree
module) and must pass. They run from a copy of tests/python and examples/ in a directory without
python/, so that the child processes they start (with PYTHONPATH=TOP/python) import the installed
package too; B still names this checkout's build. A mypy.ini there gives mypy the venv's python,
so that test_typing.py type-checks against the installed package (found through its py.typed).

Each test is skipped, saying why, when its interpreter or Debian packages are missing. Nothing is
written into the checkout (pip builds in the copy) and the environment is scrubbed of PIP_*,
PYTHONPATH and the user site."""

import ast
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import helpers

WHEELS = "/usr/share/python-wheels"
IGNORE = shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "*.pyc")


def tree_version():
    """__version__ as python/shmout/_version.py writes it (parsed, not imported)."""
    path = os.path.join(helpers.TOP, "python", "shmout", "_version.py")
    with open(path) as f:
        for node in ast.parse(f.read(), path).body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and any(getattr(t, "id", None) == "__version__" for t in node.targets)):
                return node.value.value
    raise AssertionError("%s sets no __version__" % path)


def clean_env():
    """No PIP_* configuration (index, find-links), no PYTHONPATH, no user site."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
    return env


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:2])


class Packaging(unittest.TestCase):
    def setUp(self):
        for mod in ("venv", "ensurepip"):
            q = subprocess.run([sys.executable, "-c", "import " + mod], capture_output=True)
            if q.returncode:
                self.skipTest("SKIPPED: %s has no %s module (Debian: python3-venv)"
                              % (sys.executable, mod))
        self.tmp = tempfile.mkdtemp(prefix="shmout-pkg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.env = clean_env()
        self.src = os.path.join(self.tmp, "src")
        shutil.copytree(os.path.join(helpers.TOP, "python"), self.src, ignore=IGNORE)

    def venv(self, name, *opts):
        venv = os.path.join(self.tmp, name)
        q = subprocess.run([sys.executable, "-m", "venv", *opts, venv], capture_output=True,
                           text=True, timeout=180, env=self.env)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)
        return venv, os.path.join(venv, "bin", "python")

    def pip_install(self, py, *opts):
        q = subprocess.run([py, "-m", "pip", "install", "--no-index", "--no-cache-dir", *opts,
                            self.src], capture_output=True, text=True, timeout=600, env=self.env,
                           cwd=self.tmp)
        self.assertEqual(q.returncode, 0, q.stdout[-3000:] + q.stderr[-3000:])

    def probe(self, py, venv, prog, *args):
        """Runs prog in the venv (outside any tree); its first output line must be the
        installed module's file, under the venv's site-packages."""
        q = subprocess.run([py, "-B", "-c", "import shmout; print(shmout.__file__)\n" + prog,
                            *args], capture_output=True, text=True, timeout=120, env=self.env,
                           cwd=self.tmp)
        self.assertEqual(q.returncode, 0, q.stdout + q.stderr)
        lines = q.stdout.splitlines()
        site = glob.glob(os.path.join(venv, "lib", "python*", "site-packages"))
        self.assertTrue(site and lines and lines[0].startswith(site[0] + os.sep),
                        "not the venv's module: %r (site-packages %r)" % (lines[:1], site))
        return lines[1:]

    def test_build_isolation_offline(self):
        """python/README.md's offline recipe: plain build isolation from Debian's wheels."""
        if not os.path.realpath(sys.executable).startswith("/usr/bin/"):
            self.skipTest("SKIPPED: %s is not Debian's /usr/bin/python3: the setuptools wheel "
                          "in %s is patched for Debian's Python" % (sys.executable, WHEELS))
        st = sorted(glob.glob(os.path.join(WHEELS, "setuptools-*.whl")))
        if not st:
            self.skipTest("SKIPPED: no setuptools wheel in %s (Debian: python3-setuptools-whl)"
                          % WHEELS)
        # setuptools older than 70.1 builds wheels with the separate 'wheel' package
        if (version_tuple(os.path.basename(st[-1])[len("setuptools-"):]) < (70, 1)
                and not glob.glob(os.path.join(WHEELS, "wheel-*.whl"))):
            self.skipTest("SKIPPED: no wheel wheel in %s (Debian: python3-wheel-whl)" % WHEELS)
        venv, py = self.venv("plain")
        self.pip_install(py, "--find-links", WHEELS)
        name = helpers.block_name("pkg")
        prog = ("import importlib.metadata as md, os, sys\n"
                "try:\n"
                "    import numpy\n"
                "    print('numpy', numpy.__file__)\n"
                "except ImportError:\n"
                "    print('no numpy')\n"
                "print(shmout.__version__, md.version('shmout'))\n"
                "print(os.path.isfile(os.path.join(os.path.dirname(shmout.__file__), 'py.typed')),"
                " any(str(f) == 'shmout/py.typed' for f in md.files('shmout')))\n"
                "with shmout.Writer(sys.argv[1], 2, 2, 'gray') as w, "
                "shmout.Reader(sys.argv[1]) as r:\n"
                "    w.write(b'abcd')\n"
                "    print(bytes(r.read().data[0]))\n"
                "shmout.remove(sys.argv[1])\n")
        try:
            out = self.probe(py, venv, prog, name)
        finally:
            helpers.cleanup(name)
        v = tree_version()
        self.assertEqual(out, ["no numpy", "%s %s" % (v, v), "True True", "b'abcd'"])

    def test_installed_suite(self):
        """The other test modules pass against the package installed with
        --no-build-isolation into a --system-site-packages venv."""
        q = subprocess.run([sys.executable, "-c",
                            "import setuptools, sys\n"
                            "v = tuple(int(x) for x in setuptools.__version__.split('.')[:2])\n"
                            "assert v >= (61, 0), setuptools.__version__\n"
                            "if v < (70, 1): import wheel"], capture_output=True, text=True)
        if q.returncode:
            self.skipTest("SKIPPED: %s lacks setuptools >= 61 or (below 70.1) the wheel package "
                          "(Debian: python3-setuptools python3-wheel): %s"
                          % (sys.executable, q.stderr.strip().splitlines()[-1:]))
        venv, py = self.venv("system", "--system-site-packages")
        self.pip_install(py, "--no-build-isolation")
        v = tree_version()
        self.assertEqual(self.probe(py, venv, "print(shmout.__version__)"), [v])
        # the suite, from a copy without python/: helpers' TOP/python does not exist there
        tree = os.path.join(self.tmp, "tree")
        here = os.path.join(tree, "tests", "python")
        shutil.copytree(os.path.dirname(os.path.abspath(__file__)), here,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "test_packaging.py"))
        shutil.copytree(os.path.join(helpers.TOP, "examples"), os.path.join(tree, "examples"),
                        ignore=IGNORE)
        # mypy (test_typing.py) run there reads this: it then checks against the venv's
        # site-packages, where only the installed py.typed makes the package's hints visible
        with open(os.path.join(here, "mypy.ini"), "w") as f:
            f.write("[mypy]\npython_executable = %s\n" % py)
        env = dict(self.env, SHMOUT_PY_INSTALLED="1", B=helpers.B)
        q = subprocess.run([py, "-B", "-c", "import helpers; print(helpers.shmout.__file__)"],
                           capture_output=True, text=True, timeout=60, env=env, cwd=here)
        self.assertEqual(q.returncode, 0, q.stderr)
        self.assertTrue(q.stdout.startswith(venv + os.sep), q.stdout)
        q = subprocess.run([py, "-B", "run.py"], capture_output=True, text=True, timeout=1200,
                           env=env, cwd=here)
        tail = (q.stdout[-6000:] + q.stderr[-3000:])
        self.assertEqual(q.returncode, 0, "the suite failed against the installed package:\n"
                         + tail)
        self.assertRegex(q.stdout, r"(?m)^[1-9]\d* passed, 0 failed$", tail)


if __name__ == "__main__":
    unittest.main()
