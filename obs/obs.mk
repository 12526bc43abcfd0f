# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 the shmout authors
#
# obs/obs.mk: the OBS Studio source plugin, included by the top-level Makefile.
# Builds $(B)/lib/obs-plugins/shmout-obs.so (libshmout linked in statically) when libobs's and
# libswscale's development files are installed (libobs-dev, libswscale-dev).
#   make install-obs        into $(DESTDIR)$(OBS_PLUGIN_DIR), default
#                           $(PREFIX)/lib/<multiarch>/obs-plugins: the directory OBS searches when
#                           PREFIX is OBS's own prefix (/usr for Debian's obs-studio), and an
#                           empty data directory $(PREFIX)/share/obs/obs-plugins/shmout-obs
#   make install-obs-user   into ~/.config/obs-studio/plugins/shmout-obs/bin/64bit (OBS's
#                           per-user plugin directory; data/ stays empty: no locale, no effects)
OBS_PKGS := libobs libswscale libavutil
HAVE_OBS := $(shell pkg-config --exists $(OBS_PKGS) 2>/dev/null && echo yes)
OBS_PLUGIN := $(B)/lib/obs-plugins/shmout-obs.so
OBS_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
OBS_PLUGIN_DIR ?= $(PREFIX)/lib$(if $(OBS_MULTIARCH),/$(OBS_MULTIARCH))/obs-plugins
OBS_DATA_DIR ?= $(PREFIX)/share/obs/obs-plugins/shmout-obs
OBS_USER_DIR ?= $(HOME)/.config/obs-studio/plugins/shmout-obs

.PHONY: install-obs install-obs-user
ifeq ($(HAVE_OBS),yes)
# -isystem: libobs's inline functions do not build clean with $(C_WARN)
OBS_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(OBS_PKGS)))
OBS_LIBS := $(shell pkg-config --libs $(OBS_PKGS))
obs: $(OBS_PLUGIN)
$(OBS_PLUGIN): $(wildcard $(TOP)/obs/*.c) $(TOP)/obs/obs.mk $(B)/lib/libshmout.a | lib
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(C_WARN) -O2 -g -fPIC -shared -fvisibility=hidden -I$(B)/include/shmout \
	    $(OBS_CFLAGS) $(filter %.c,$^) $(B)/lib/libshmout.a $(OBS_LIBS) -pthread -Wl,-z,defs -Wl,--exclude-libs,ALL -o $@
install-obs: obs
	@mkdir -p "$(DESTDIR)$(OBS_PLUGIN_DIR)" "$(DESTDIR)$(OBS_DATA_DIR)"
	@install -m 755 $(OBS_PLUGIN) "$(DESTDIR)$(OBS_PLUGIN_DIR)/shmout-obs.so"
	@echo "installed the OBS plugin into $(DESTDIR)$(OBS_PLUGIN_DIR)"
install-obs-user: obs
	@mkdir -p "$(OBS_USER_DIR)/bin/64bit" "$(OBS_USER_DIR)/data"
	@install -m 755 $(OBS_PLUGIN) "$(OBS_USER_DIR)/bin/64bit/shmout-obs.so"
	@echo "installed the OBS plugin into $(OBS_USER_DIR) (restart OBS)"
else
obs:
	@echo "make: no OBS plugin (apt-get install libobs-dev libswscale-dev)"
install-obs install-obs-user:
	@:
endif
