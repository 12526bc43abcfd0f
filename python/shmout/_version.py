# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The package's version: the one place it is written (pyproject.toml reads it from here)."""

__version__ = "1.2.0"
