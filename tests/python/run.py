# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Runs the Python package's tests (every tests/python/test_*.py) and ends with the line
"N passed, M failed" that tests/run reads; skips are listed and counted separately, never as
passes. Exit status 1 if anything failed or nothing passed."""

import os
import sys
import unittest


class Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    suite = unittest.defaultTestLoader.discover(here, pattern=sys.argv[1] if len(sys.argv) > 1
                                                else "test_*.py", top_level_dir=here)
    runner = unittest.TextTestRunner(resultclass=Result, verbosity=2, stream=sys.stdout)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    for test, why in res.skipped:
        print("skip - %s: %s" % (test.id(), why))
    print("%d skipped" % len(res.skipped))
    print("%d passed, %d failed" % (res.passed, failed))
    sys.exit(0 if failed == 0 and res.passed > 0 else 1)


if __name__ == "__main__":
    main()
