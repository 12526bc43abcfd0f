/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * sink_stats.c - runs a gst-launch pipeline to its end and prints the stats property of its
 * shmoutsinks and shmoutsrcs.
 *
 *   sink_stats [--timeout SECONDS] 'videotestsrc num-buffers=10 ! shmoutsink name=s'
 *
 * At EOS it prints, for every shmoutsink in the pipeline, one line
 * "NAME published=N zero-copy=N copied=N dropped=N detached=N", and for every shmoutsrc
 * "NAME frames=N zero-copy=N copied=N detached=N watchdog-detached=N", and exits 0; on an
 * error it prints "error from ELEMENT: MESSAGE" to stderr (after the stats) and exits 1; on a
 * timeout, 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

static void print_stats(const GValue *item, gpointer user_data)
{
    GstElement *e = g_value_get_object(item);
    GstElementFactory *f = gst_element_get_factory(e);
    GstStructure *s = NULL;
    guint64 pub = 0, zc = 0, cp = 0, dr = 0, de = 0;

    (void)user_data;
    if (f && !strcmp(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)), "shmoutsrc")) {
        guint64 fr = 0, wd = 0;

        g_object_get(e, "stats", &s, NULL);
        gst_structure_get_uint64(s, "frames", &fr);
        gst_structure_get_uint64(s, "zero-copy", &zc);
        gst_structure_get_uint64(s, "copied", &cp);
        gst_structure_get_uint64(s, "detached", &de);
        gst_structure_get_uint64(s, "watchdog-detached", &wd);
        printf("%s frames=%" G_GUINT64_FORMAT " zero-copy=%" G_GUINT64_FORMAT " copied=%"
               G_GUINT64_FORMAT " detached=%" G_GUINT64_FORMAT " watchdog-detached=%"
               G_GUINT64_FORMAT "\n", GST_OBJECT_NAME(e), fr, zc, cp, de, wd);
        gst_structure_free(s);
        return;
    }
    if (!f || strcmp(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)), "shmoutsink"))
        return;
    g_object_get(e, "stats", &s, NULL);
    gst_structure_get_uint64(s, "published", &pub);
    gst_structure_get_uint64(s, "zero-copy", &zc);
    gst_structure_get_uint64(s, "copied", &cp);
    gst_structure_get_uint64(s, "dropped", &dr);
    gst_structure_get_uint64(s, "detached", &de);
    printf("%s published=%" G_GUINT64_FORMAT " zero-copy=%" G_GUINT64_FORMAT " copied=%"
           G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT " detached=%" G_GUINT64_FORMAT "\n",
           GST_OBJECT_NAME(e), pub, zc, cp, dr, de);
    gst_structure_free(s);
}

int main(int argc, char **argv)
{
    double timeout = 30;
    GError *err = NULL;
    GstElement *pipe;
    GstBus *bus;
    GstMessage *msg;
    GstIterator *it;
    int status = 0;

    gst_init(&argc, &argv);
    if (argc > 3 && !strcmp(argv[1], "--timeout")) {
        timeout = g_ascii_strtod(argv[2], NULL);
        argv += 2, argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: sink_stats [--timeout SECONDS] 'PIPELINE'\n");
        return 2;
    }
    pipe = gst_parse_launch(argv[1], &err);
    if (!pipe || err) {
        fprintf(stderr, "sink_stats: %s\n", err ? err->message : "cannot parse the pipeline");
        return 1;
    }
    bus = gst_element_get_bus(pipe);
    if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        status = 1;
    msg = gst_bus_timed_pop_filtered(bus, (GstClockTime)(timeout * GST_SECOND),
                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (!msg) {
        fprintf(stderr, "sink_stats: no EOS within %g s\n", timeout);
        status = 2;
    }
    it = gst_bin_iterate_recurse(GST_BIN(pipe));
    gst_iterator_foreach(it, print_stats, NULL);
    gst_iterator_free(it);
    fflush(stdout);
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *e = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &e, &dbg);
        fprintf(stderr, "error from %s: %s (%s)\n", GST_OBJECT_NAME(msg->src), e->message,
                dbg ? dbg : "");
        g_clear_error(&e);
        g_free(dbg);
        status = 1;
    }
    if (msg)
        gst_message_unref(msg);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipe);
    return status;
}
