# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# Makefile: builds shmout's library and tool, and FFmpeg with shmout's components, into build/;
# runs the tests and the demo; installs. Run ./configure first: it writes config.mk. Run from
# another directory, configure also writes a Makefile there that includes this one (TOP), so
# several configurations (e.g. one per FFmpeg series) can be built side by side.

TOP ?= $(CURDIR)
B := $(CURDIR)/build
PREFIX ?= /usr/local
# make check TESTS="tests/ffmpeg/devices.sh ...": run only these suites.
TESTS ?=

.PHONY: all lib ffmpeg check demo install patches clean distclean
all: lib ffmpeg

ifneq ($(wildcard config.mk),)
include config.mk
else
config.mk:
	@echo "make: run ./configure first (./configure --help lists the options)" >&2; exit 1
endif

lib: config.mk
	@$(MAKE) --no-print-directory -C $(TOP)/libshmout O=$(B) CC="$(CC)"

ffmpeg: config.mk lib
	@$(TOP)/scripts/build-ffmpeg "$(FFMPEG_TREE)" "$(FFMPEG_BUILD)" "$(B)" "$(FFMPEG_FLAGS)"

# The test suites, with the settings they need.
check: all
	@B="$(B)" FFMPEG_TREE="$(FFMPEG_TREE)" FFMPEG_BUILD="$(FFMPEG_BUILD)" \
	    FFMPEG_FLAGS="$(FFMPEG_FLAGS)" SHMOUT_CACHE="$(SHMOUT_CACHE)" CC="$(CC)" $(TOP)/tests/run $(TESTS)

demo: all
	@$(TOP)/scripts/demo "$(B)/bin"

install: all
	@$(MAKE) --no-print-directory -C $(TOP)/libshmout O=$(B) PREFIX="$(PREFIX)" install
	@mkdir -p "$(DESTDIR)$(PREFIX)/bin"
	@for p in ffmpeg ffprobe ffplay; do \
	    [ ! -x "$(B)/bin/$$p" ] || install -m 755 "$(B)/bin/$$p" "$(DESTDIR)$(PREFIX)/bin/$$p"; done
	@echo "installed into $(DESTDIR)$(PREFIX)"

# Regenerates patches/SERIES/ for every series whose pristine source is in the cache.
patches: config.mk
	@SHMOUT_CACHE="$(SHMOUT_CACHE)" $(TOP)/scripts/make-patches "$(TOP)/patches"

clean:
	rm -rf $(B)

distclean: clean
	rm -f config.mk
