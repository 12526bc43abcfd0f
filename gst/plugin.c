/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * plugin.c - the GStreamer plugin "shmout": registers shmoutsrc (reads a block) and
 * shmoutsink (writes one).
 */
#include "shmoutgst.h"

GST_DEBUG_CATEGORY(gst_shmout_debug);

static gboolean plugin_init(GstPlugin *plugin)
{
    GST_DEBUG_CATEGORY_INIT(gst_shmout_debug, "shmout", 0, "shmout shared-memory video");
    return gst_element_register(plugin, "shmoutsrc", GST_RANK_NONE, gst_shmout_src_get_type()) &&
           gst_element_register(plugin, "shmoutsink", GST_RANK_NONE, gst_shmout_sink_get_type());
}

#define PACKAGE "shmout"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, shmout,
                  "Live video through shmout shared-memory blocks (FFmpeg's -f shmout / -f shmin)",
                  plugin_init, SHMOUT_VERSION_STRING, "MIT/X11", "shmout",
                  "the shmout source tree")
