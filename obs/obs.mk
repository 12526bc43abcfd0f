# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 the shmout authors
#
# obs/obs.mk: the OBS Studio source plugin, included by the top-level Makefile.
obs:
