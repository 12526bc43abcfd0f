#!/bin/sh
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# run.sh: runs the tests of the Python package (python/shmout) and ends with the line
# "N passed, M failed" (tests/run adds it up); exits non-zero on failure. Skipped tests (missing
# build/bin/shmout or build/bin/ffmpeg, no numpy) are listed as "skip - ..." and never count as
# passed. PYTHON selects the interpreter (default: python3).
#   sh tests/python/run.sh [PATTERN]      PATTERN: e.g. test_interop.py
cd "$(dirname "$0")" || exit 1
exec "${PYTHON:-python3}" -B run.py "$@"
