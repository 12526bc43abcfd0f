# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Block-name rules (PROTOCOL.md §3) and object naming, for Reader, Writer and check_name."""

import os
import unittest

import helpers  # noqa: F401  (puts python/ on sys.path)
from helpers import shmout


class NameRules(unittest.TestCase):
    GOOD = ["a", "A", "0", "cam1", "Cam-1_x.y", "a" * 63, "9lives", "a.b.c", "x-", "a_"]
    BAD = {
        "": "1 to 63",
        "a" * 64: "1 to 63",
        "a/b": "only",
        "/a": "only",
        "a\0b": "only",
        "a b": "only",
        "a\tb": "only",
        "a\nb": "only",
        "a@b": "only",
        "caf\u00e9": "ASCII",
        "_a": "first character",
        "-a": "first character",
        ".a": "first character",
        "a..b": "'..'",
        "a..": "'..'",
        "a:b": "only",
        "a*": "only",
    }

    def test_good_names(self):
        for n in self.GOOD:
            self.assertEqual(shmout.check_name(n), n)

    def test_bad_names_name_the_rule(self):
        for n, rule in self.BAD.items():
            with self.subTest(name=n):
                with self.assertRaises(ValueError) as cm:
                    shmout.check_name(n)
                self.assertIn(rule, str(cm.exception))

    def test_non_str(self):
        for n in (b"cam1", None, 5):
            with self.assertRaises(TypeError):
                shmout.check_name(n)

    def test_reader_and_writer_reject_bad_names(self):
        for n in ("", "a/b", "a@w", "..", "a..b", "_x"):
            with self.subTest(name=n):
                with self.assertRaises(ValueError):
                    shmout.Reader(n)
                with self.assertRaises(ValueError):
                    shmout.Writer(n, 4, 4)
        self.assertFalse([f for f in os.listdir("/dev/shm") if f.endswith(".a/b")])

    def test_object_names(self):
        uid = os.geteuid()
        self.assertEqual(shmout.base_name("cam1", "local", uid), "shmout.u%d.cam1" % uid)
        self.assertEqual(shmout.base_name("cam1", "local", 1000), "shmout.u1000.cam1")
        self.assertEqual(shmout.base_name("cam1", "global", 1000), "shmout.g.cam1")
        with self.assertRaises(ValueError):
            shmout.base_name("cam1", "other", uid)

    def test_case_sensitive(self):
        self.assertNotEqual(shmout.base_name("Cam", "local", 1),
                            shmout.base_name("cam", "local", 1))


if __name__ == "__main__":
    unittest.main()
