# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# Makefile: builds shmout's library (libshmout/), the programs built on it (tools/, examples/) and
# FFmpeg with shmout's components, into build/; builds and runs the tests, the demo and the
# benchmark; installs. Run ./configure first: it writes config.mk. Run from
# another directory, configure also writes a Makefile there that includes this one (TOP), so
# several configurations (e.g. one per FFmpeg series) can be built side by side.

TOP ?= $(CURDIR)
B := $(CURDIR)/build
PREFIX ?= /usr/local
# make check TESTS="tests/ffmpeg/devices.sh ...": run only these suites.
TESTS ?=

.PHONY: all lib tools viewer examples gst obs install-gst install-obs ffmpeg windows check check-lib soak fuzz fuzz-seeds demo bench install patches clean distclean
all:

ifneq ($(wildcard config.mk),)
include config.mk
else
config.mk:
	@echo "make: run ./configure first (./configure --help lists the options)" >&2; exit 1
endif

# ./configure --target=windows builds only FFmpeg (ffmpeg.exe, ffprobe.exe): the library and
# the tools on it use POSIX shared memory.
ifeq ($(TARGET),windows)
all: ffmpeg
else
all: lib tools examples gst obs ffmpeg
endif

# The Windows build beside this one, in build/windows, from the same FFmpeg tree and cache:
# make check builds it and runs its tests under Wine when mingw-w64 and Wine are installed.
WIN_DIR := $(B)/windows
HAVE_WINDOWS_TOOLS := $(shell command -v x86_64-w64-mingw32-gcc >/dev/null && command -v wine >/dev/null && echo yes)
windows: config.mk
	@mkdir -p $(WIN_DIR)
	@[ -f $(WIN_DIR)/config.mk ] && [ $(WIN_DIR)/config.mk -nt $(TOP)/configure ] || \
	    (cd $(WIN_DIR) && $(TOP)/configure --target=windows --ffmpeg-source=$(FFMPEG_TREE) \
	        --cache-dir=$(SHMOUT_CACHE) >/dev/null)
	@$(MAKE) --no-print-directory -C $(WIN_DIR)

lib: config.mk
	@$(MAKE) --no-print-directory -C $(TOP)/libshmout O=$(B) CC="$(CC)"

# Programs on the library: the shmout tool, and shmout-view, the SDL2 viewer, when SDL2's
# development files are installed.
C_WARN := -Wall -Wextra -Wdeclaration-after-statement -Wmissing-prototypes -Wvla
tools: $(B)/bin/shmout viewer
$(B)/bin/shmout: $(TOP)/tools/shmout.c $(B)/lib/libshmout.a | lib
	@mkdir -p $(@D)
	$(CC) -std=c11 $(C_WARN) -O2 -g -I$(B)/include/shmout $< $(B)/lib/libshmout.a -o $@

SDL2_CFLAGS := $(shell pkg-config --cflags sdl2 2>/dev/null)
SDL2_LIBS := $(shell pkg-config --libs sdl2 2>/dev/null)
ifneq ($(SDL2_LIBS),)
viewer: $(B)/bin/shmout-view
$(B)/bin/shmout-view: $(TOP)/tools/shmout_view.c $(B)/lib/libshmout.a | lib
	$(CC) -std=c11 -Wall -Wextra -O2 -I$(B)/include/shmout $(SDL2_CFLAGS) $< $(B)/lib/libshmout.a $(SDL2_LIBS) -pthread -o $@
else
viewer:
	@echo "make: SDL2 not found, no shmout-view (apt-get install libsdl2-dev)"
endif

$(B)/lib/libshmout.a: lib

# The GStreamer plugin (gst/) and the OBS source (obs/), when their development files are there.
include $(TOP)/gst/gst.mk
include $(TOP)/obs/obs.mk

# examples/read_frames.c, built the way its comment tells users to: with pkg-config.
examples: $(B)/examples/read_frames
$(B)/examples/read_frames: $(TOP)/examples/read_frames.c $(B)/lib/libshmout.a | lib
	@mkdir -p $(B)/examples
	$(CC) -std=c11 -Wall -Wextra -O2 $< $$(PKG_CONFIG_PATH=$(B)/lib/pkgconfig pkg-config --cflags --libs shmout) -Wl,-rpath,$(B)/lib -o $@

ffmpeg: config.mk $(if $(filter windows,$(TARGET)),,lib)
	@$(TOP)/scripts/build-ffmpeg "$(FFMPEG_TREE)" "$(FFMPEG_BUILD)" "$(B)" "$(FFMPEG_FLAGS)"

# The test suites, with the settings they need. WIN_BIN: the Windows build's programs, for the
# suites under Wine (tests/windows); a Windows configuration runs only those.
ifeq ($(TARGET),windows)
check: all
	@B="$(B)" WIN_BIN="$(B)/bin" SHMOUT_CACHE="$(SHMOUT_CACHE)" $(TOP)/tests/run $(or $(TESTS),$(wildcard $(TOP)/tests/windows/*.sh))
else
# The Windows build is made for the suites under Wine: all of them, or TESTS naming one.
# tests/run makes it (WIN_BUILD) in the background while the suites before them run.
WITH_WINDOWS := $(and $(HAVE_WINDOWS_TOOLS),$(if $(TESTS),$(findstring tests/windows,$(TESTS)),yes))
check: all
	@B="$(B)" MAKE_DIR="$(CURDIR)" FFMPEG_TREE="$(FFMPEG_TREE)" FFMPEG_BUILD="$(FFMPEG_BUILD)" \
	    FFMPEG_FLAGS="$(FFMPEG_FLAGS)" SHMOUT_CACHE="$(SHMOUT_CACHE)" CC="$(CC)" \
	    WIN_BUILD="$(if $(WITH_WINDOWS),$(MAKE) --no-print-directory -C $(CURDIR) windows)" \
	    WIN_BIN="$(if $(WITH_WINDOWS),$(WIN_DIR)/build/bin)" $(TOP)/tests/run $(TESTS)
endif

# The long fault and load run (tests/reliability/soak.sh): 1,000,000 frames, 50 writer kills.
soak: all
	@B="$(B)" SHMOUT_SOAK=long CC="$(CC)" $(TOP)/tests/run tests/reliability/soak.sh

# The library's tests (tests/libshmout): make check-lib [SANITIZE=address,undefined|thread]
# builds the library, the shmout tool and the test programs (with the sanitizers, in a tree of
# their own under build/obj), the libFuzzer target when clang is there, and runs them all.
# make check runs it without sanitizers; .ci/run with each.
SANITIZE ?=
comma := ,
LIB_TESTS := test_unit test_corrupt test_stress test_crash test_resize test_lossless test_layout
ifeq ($(SANITIZE),)
LIB_OBJ := $(B)/obj/libshmout
LIB_OUT := $(B)
SANFLAGS :=
else
LIB_OBJ := $(B)/obj/libshmout-san-$(subst $(comma),-,$(SANITIZE))
LIB_OUT := $(LIB_OBJ)/out
SANFLAGS := -fsanitize=$(SANITIZE) -g -O1 -fno-omit-frame-pointer
endif
LIB_A := $(LIB_OUT)/lib/libshmout.a
TEST_CFLAGS := -std=c11 $(C_WARN) -O2 -g $(SANFLAGS) -I$(TOP)/libshmout
FUZZ_BIN := $(B)/obj/libshmout-fuzz/fuzz_block
LIB_SRCS := $(wildcard $(TOP)/libshmout/*.c)
LIB_HDRS := $(wildcard $(TOP)/libshmout/*.h)

.PHONY: lib-for-tests
lib-for-tests:
	@$(MAKE) --no-print-directory -C $(TOP)/libshmout O=$(B) CC="$(CC)" SANITIZE=$(SANITIZE)
$(LIB_A): lib-for-tests
ifneq ($(SANITIZE),)
$(LIB_OUT)/bin/shmout: $(TOP)/tools/shmout.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $< $(LIB_A) $(SANFLAGS) -o $@
endif
$(LIB_OBJ)/tests/%: $(TOP)/tests/libshmout/%.c $(TOP)/tests/libshmout/testutil.h \
    $(TOP)/tests/tools/frame_oracle.h $(TOP)/tests/tools/corrupt_fields.h $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $< $(LIB_A) $(SANFLAGS) -o $@
$(LIB_OBJ)/tests/gen_seeds: $(TOP)/tests/libshmout/fuzz/gen_seeds.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $< $(LIB_A) $(SANFLAGS) -o $@
$(FUZZ_BIN): $(TOP)/tests/libshmout/fuzz/fuzz_block.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I$(TOP)/libshmout $< $(LIB_SRCS) -o $@

check-lib: $(LIB_OUT)/bin/shmout $(LIB_TESTS:%=$(LIB_OBJ)/tests/%)
	@if command -v clang >/dev/null; then $(MAKE) --no-print-directory $(FUZZ_BIN); \
	 else echo "clang not found: the fuzz test will be skipped"; fi
	@SHMOUT_TOOL=$(LIB_OUT)/bin/shmout SHMOUT_TESTBIN=$(LIB_OBJ)/tests SHMOUT_FUZZBIN=$(FUZZ_BIN) \
	 SHMOUT_SANITIZE='$(SANITIZE)' SHMOUT_WORK=$(LIB_OBJ)/work SHMOUT_WARN='$(C_WARN)' \
	 sh $(TOP)/tests/libshmout/run_tests.sh

# Long fuzzing, FUZZ_TIME seconds per target: the library's block validation, then the devices'
# options against an FFmpeg built with ASan and libFuzzer's instrumentation (scripts/check-asan).
FUZZ_TIME ?= 600
fuzz: $(FUZZ_BIN)
	rm -rf $(B)/obj/libshmout-fuzz/corpus && mkdir -p $(B)/obj/libshmout-fuzz/corpus
	cp $(TOP)/tests/libshmout/fuzz/corpus/* $(B)/obj/libshmout-fuzz/corpus/
	$(FUZZ_BIN) -max_total_time=$(FUZZ_TIME) $(B)/obj/libshmout-fuzz/corpus
	@$(TOP)/scripts/check-asan --no-tests --fuzz-time $(FUZZ_TIME)

# Regenerates the committed seed corpus of the library's fuzz target with the library itself.
fuzz-seeds: $(LIB_OBJ)/tests/gen_seeds
	rm -rf $(TOP)/tests/libshmout/fuzz/corpus && mkdir -p $(TOP)/tests/libshmout/fuzz/corpus
	$(LIB_OBJ)/tests/gen_seeds $(TOP)/tests/libshmout/fuzz/corpus

# The benchmark (scripts/bench): shmout against a pipe, GStreamer's shm and the memcpy limit;
# the Python module's readers and examples/relay.py against libshmout's (a python3 with numpy).
# make bench QUICK=1: the short run. GStreamer is installed when missing (as root). When the
# Windows build is there (make windows), also its ffmpeg.exe under Wine.
BENCH_TOOLS := $(B)/bench/tools
bench: all
	@mkdir -p $(BENCH_TOOLS)
	@$(CC) -std=c11 -Wall -Wextra -O2 -I$(B)/include/shmout $(TOP)/scripts/bench/benchtool.c \
	    $(B)/lib/libshmout.a -pthread -o $(BENCH_TOOLS)/benchtool
	@pkg-config --exists gstreamer-app-1.0 && command -v gst-launch-1.0 >/dev/null || \
	    { [ "$$(id -u)" = 0 ] && echo "bench: installing GStreamer" && \
	      apt-get install -y -qq --no-install-recommends gstreamer1.0-tools gstreamer1.0-plugins-base \
	        gstreamer1.0-plugins-bad libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev >/dev/null; } || \
	    echo "bench: no GStreamer; as root: apt-get install gstreamer1.0-tools gstreamer1.0-plugins-bad libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev"
	@! pkg-config --exists gstreamer-app-1.0 || $(CC) -std=c11 -Wall -Wextra -O2 $(TOP)/scripts/bench/gstread.c \
	    $$(pkg-config --cflags --libs gstreamer-1.0 gstreamer-app-1.0) -o $(BENCH_TOOLS)/gstread
	@! pkg-config --exists gstreamer-1.0 || $(CC) -std=c11 -Wall -Wextra -O2 $(TOP)/scripts/bench/gstwrite.c \
	    $$(pkg-config --cflags --libs gstreamer-1.0) -o $(BENCH_TOOLS)/gstwrite
	@GST_PLUGIN_PATH=$(GST_PLUGIN_DIR) python3 $(TOP)/scripts/bench/bench.py --bin $(B)/bin --tools $(BENCH_TOOLS) --out $(B)/bench $(if $(QUICK),--quick) \
	    $(if $(wildcard $(WIN_DIR)/build/bin/ffmpeg.exe),--win-bin $(WIN_DIR)/build/bin)

demo: all
	@$(TOP)/scripts/demo "$(B)/bin"

install: all
	@$(if $(filter windows,$(TARGET)),:,$(MAKE) --no-print-directory -C $(TOP)/libshmout O=$(B) PREFIX="$(PREFIX)" install)
	@mkdir -p "$(DESTDIR)$(PREFIX)/bin"
	@for p in ffmpeg ffprobe ffplay shmout shmout-view ffmpeg.exe ffprobe.exe; do \
	    [ ! -x "$(B)/bin/$$p" ] || install -m 755 "$(B)/bin/$$p" "$(DESTDIR)$(PREFIX)/bin/$$p"; done
	@$(if $(filter windows,$(TARGET)),:,$(MAKE) --no-print-directory install-gst install-obs)
	@echo "installed into $(DESTDIR)$(PREFIX)"

# Regenerates patches/SERIES/ for every series whose pristine source is in the cache.
patches: config.mk
	@SHMOUT_CACHE="$(SHMOUT_CACHE)" $(TOP)/scripts/make-patches "$(TOP)/patches"

clean:
	rm -rf $(B)

distclean: clean
	rm -f config.mk
