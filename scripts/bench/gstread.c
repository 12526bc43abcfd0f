/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * gstread: the GStreamer reader of `make bench`. It pulls raw frames from a GStreamer source
 * element (shmsrc reading a shmsink, or shmoutsrc reading a block) through an appsink and checks
 * every row against the expected pixel with memcmp, exactly as benchtool does for shmout and the
 * pipe, then prints one JSON line. shmsink sends no end of stream to shmsrc and drops frames a
 * slow reader misses, so it stops after FRAMES or after a second without a frame, and times from
 * the first frame to the last.
 *
 *   gstread SOURCE CAPS FRAMES ROW_BYTES PIXEL
 *   e.g. gstread "shmsrc socket-path=/tmp/s is-live=false" \
 *                "video/x-raw,format=RGBA,width=1920,height=1080,framerate=0/1" 300 7680 000000ff
 *        gstread "shmoutsrc block=cam1 mode=lossless" "video/x-raw,format=RGBA" 300 7680 000000ff
 *
 * A source with a "stats" property (shmoutsrc) adds how its frames left it: "zero_copy" (the
 * block's slot itself), "copied" (into a pool buffer) and "detached" (a slot buffer still held
 * when the next frame was taken, copied to private memory then).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/gst.h>
#include <gst/app/gstappsink.h>

#include "measure.h"

/* ", \"zero_copy\": N, ..." from the stats of the pipeline's element that has them, or "". */
static gchar *source_stats(GstElement *pipe)
{
    GstIterator *it = gst_bin_iterate_elements(GST_BIN(pipe));
    GValue v = G_VALUE_INIT;
    gchar *out = g_strdup("");

    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        GstElement *e = g_value_get_object(&v);
        GstStructure *st = NULL;
        guint64 z = 0, c = 0, d = 0;
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(e), "stats")) {
            g_object_get(e, "stats", &st, NULL);
            if (st && gst_structure_get_uint64(st, "zero-copy", &z) &&
                gst_structure_get_uint64(st, "copied", &c) && gst_structure_get_uint64(st, "detached", &d)) {
                g_free(out);
                out = g_strdup_printf(", \"zero_copy\": %" G_GUINT64_FORMAT ", \"copied\": %" G_GUINT64_FORMAT
                                      ", \"detached\": %" G_GUINT64_FORMAT, z, c, d);
            }
            if (st)
                gst_structure_free(st);
        }
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    return out;
}

int main(int argc, char **argv)
{
    char *desc;
    GstElement *pipe, *sink;
    GError *err = NULL;
    uint8_t *ref;
    size_t row;
    long frames, got = 0, bad = 0;
    double t0 = 0, t1 = 0, c0, c1;
    gchar *stats;

    if (argc != 6) {
        fprintf(stderr, "usage: gstread SOURCE CAPS FRAMES ROW_BYTES PIXEL\n");
        return 2;
    }
    frames = atol(argv[3]);
    row = (size_t)atol(argv[4]);
    if (!(ref = malloc(row)))
        return 1;
    if (!fill_pattern(ref, row, argv[5])) {
        fprintf(stderr, "gstread: PIXEL must be 1 to 16 bytes in hex, not %s\n", argv[5]);
        free(ref);
        return 2;
    }
    gst_init(&argc, &argv);
    desc = g_strdup_printf("%s ! %s ! appsink name=s sync=false enable-last-sample=false", argv[1], argv[2]);
    if (!(pipe = gst_parse_launch(desc, &err))) {
        fprintf(stderr, "gstread: %s\n", err->message);
        return 1;
    }
    sink = gst_bin_get_by_name(GST_BIN(pipe), "s");
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    c0 = cpu_s();
    while (got < frames) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), got ? GST_SECOND : 20 * GST_SECOND);
        GstMapInfo map;
        if (!s)
            break;                              /* end of stream */
        if (!got)
            t0 = now_s();
        if (gst_buffer_map(gst_sample_get_buffer(s), &map, GST_MAP_READ)) {
            for (size_t off = 0; off < map.size; off += row)
                bad += memcmp(map.data + off, ref, map.size - off < row ? map.size - off : row) != 0;
            gst_buffer_unmap(gst_sample_get_buffer(s), &map);
            got++;
            t1 = now_s();
        }
        gst_sample_unref(s);
    }
    c1 = cpu_s();
    stats = source_stats(pipe);
    printf("{\"frames\": %ld, \"seconds\": %.6f, \"cpu\": %.6f, \"bad_rows\": %ld%s}\n", got, t1 - t0, c1 - c0, bad,
           stats);
    g_free(stats);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    g_free(desc);
    free(ref);
    return 0;
}
