# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# gst/gst.mk: the GStreamer plugin (libgstshmout.so: shmoutsrc, shmoutsink), included by the
# top-level Makefile. Built into build/lib/gstreamer-1.0 when GStreamer's development files are
# installed (libgstreamer1.0-dev, libgstreamer-plugins-base1.0-dev).
GST_PKGS := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0
HAVE_GST := $(shell pkg-config --exists $(GST_PKGS) 2>/dev/null && echo yes)
GST_PLUGIN_DIR := $(B)/lib/gstreamer-1.0
GST_PLUGIN := $(GST_PLUGIN_DIR)/libgstshmout.so
ifeq ($(HAVE_GST),yes)
GST_CFLAGS := $(shell pkg-config --cflags $(GST_PKGS))
GST_LIBS := $(shell pkg-config --libs $(GST_PKGS))
gst: $(GST_PLUGIN)
$(GST_PLUGIN): $(wildcard $(TOP)/gst/*.c) $(wildcard $(TOP)/gst/*.h) $(B)/lib/libshmout.a | lib
	@mkdir -p $(@D)
	$(CC) -std=c11 $(C_WARN) -O2 -g -fPIC -shared -I$(B)/include/shmout $(GST_CFLAGS) \
	    $(filter %.c,$^) $(B)/lib/libshmout.a $(GST_LIBS) -pthread -o $@
else
gst:
	@echo "make: GStreamer development files not found, no GStreamer plugin (apt-get install libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev)"
endif

# make install: the plugin into GStreamer's plugin directory under PREFIX (for PREFIX=/usr the
# directory GStreamer searches itself; under any other prefix, GST_PLUGIN_PATH must name it).
ifeq ($(HAVE_GST),yes)
GST_INSTALL_DIR = $(shell pkg-config --define-variable=prefix=$(PREFIX) --variable=pluginsdir gstreamer-1.0)
install-gst: gst
	@mkdir -p "$(DESTDIR)$(GST_INSTALL_DIR)"
	@install -m 755 $(GST_PLUGIN) "$(DESTDIR)$(GST_INSTALL_DIR)/libgstshmout.so"
	@echo "installed the GStreamer plugin into $(DESTDIR)$(GST_INSTALL_DIR)$(if $(filter /usr,$(PREFIX)),, (export GST_PLUGIN_PATH=$(GST_INSTALL_DIR) for GStreamer to find it))"
else
install-gst:
endif
