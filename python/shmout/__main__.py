# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""``python -m shmout ls|info|watch``: the command line of the package (shmout._cli)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m shmout"))
