/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * gst_frames: the GStreamer side of the plugin's oracle tests. It runs the pipeline
 * "DESCRIPTION ! appsink" and prints one line per frame the appsink receives:
 *
 *   FRAME_INDEX WIDTHxHEIGHT FORMAT PTS_NS MD5
 *
 * MD5 is over the frame's planes in order, each row's pixel bytes only (no stride padding):
 * the same bytes ffmpeg's framemd5 hashes for the matching pix_fmt, so the two compare
 * directly. PTS_NS is the buffer's PTS ("none" if unset). At the end of the stream (or an
 * error, printed to stderr with status 1) it prints "eos FRAMES". --max N stops after N frames.
 *
 *   gst_frames [--max N] [--timeout SECONDS] 'shmoutsrc block=cam1 mode=every'
 *
 * Options for shmoutsrc's zero copy (mode=lossless pushes the block's slots):
 *   --video-meta      the appsink answers the allocation query with GstVideoMeta
 *   --no-last-sample  the appsink keeps no last sample (enable-last-sample=false)
 *   --hold K          keep the last K samples; when one leaves (and at the end) its MD5 is taken
 *                     again and must be the one printed at its pull ("changed while held": 1)
 *   --sleep MS        sleep MS after each pull (a slow consumer: the appsink queues meanwhile)
 *   --appsink PROPS   more properties of the appsink, e.g. "max-buffers=1"
 *   --map-first MS    the first buffer that is a slot of the block (memory of shmoutsrc's
 *                     "ShmoutSlot" allocator) is kept mapped MS ms as it reaches the appsink
 *                     (in the thread that pushes it: put a queue before it)
 *   --stats FILE      at the end write, per shmoutsrc, "NAME frames=N zero-copy=N copied=N
 *                     detached=N watchdog-detached=N evictions=N" to FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

static gchar *frame_md5(GstSample *sample, guint64 index, GstVideoInfo *out_info)
{
    GstVideoInfo info;
    GstVideoFrame frame;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GChecksum *md5;

    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
        !gst_video_frame_map(&frame, &info, buf, GST_MAP_READ)) {
        fprintf(stderr, "gst_frames: frame %" G_GUINT64_FORMAT " cannot be mapped\n", index);
        exit(1);
    }
    md5 = g_checksum_new(G_CHECKSUM_MD5);
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        const guint8 *d = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
        /* bytes of pixels per row: the components' pixel stride times the plane's width */
        gint comp[GST_VIDEO_MAX_COMPONENTS];
        gst_video_format_info_component(info.finfo, p, comp);
        gint w = GST_VIDEO_FRAME_COMP_WIDTH(&frame, comp[0]);
        gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, comp[0]);
        gint h = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, comp[0]);
        gsize row = (gsize)w * pstride;
        if (GST_VIDEO_FRAME_FORMAT(&frame) == GST_VIDEO_FORMAT_YUY2 ||
            GST_VIDEO_FRAME_FORMAT(&frame) == GST_VIDEO_FORMAT_UYVY)
            row = (gsize)GST_ROUND_UP_2(GST_VIDEO_FRAME_WIDTH(&frame)) * 2;
        for (gint y = 0; y < h; y++)
            g_checksum_update(md5, d + (gsize)y * stride, row);
    }
    gst_video_frame_unmap(&frame);
    *out_info = info;
    {
        gchar *r = g_strdup(g_checksum_get_string(md5));
        g_checksum_free(md5);
        return r;
    }
}

static gchar *print_frame(GstSample *sample, guint64 index)
{
    GstVideoInfo info;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    gchar *md5 = frame_md5(sample, index, &info);

    printf("%" G_GUINT64_FORMAT " %dx%d %s ", index, GST_VIDEO_INFO_WIDTH(&info),
           GST_VIDEO_INFO_HEIGHT(&info), gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)));
    if (GST_BUFFER_PTS_IS_VALID(buf))
        printf("%" G_GUINT64_FORMAT, GST_BUFFER_PTS(buf));
    else
        printf("none");
    printf(" %s\n", md5);
    fflush(stdout);
    return md5;
}

typedef struct {
    GstSample *sample;
    gchar *md5;
    guint64 index;
} Held;

/* A held sample leaves: its bytes must be the ones it had at its pull. */
static int release_held(Held *h)
{
    GstVideoInfo info;
    gchar *now = frame_md5(h->sample, h->index, &info);
    int bad = strcmp(now, h->md5) != 0;

    if (bad)
        fprintf(stderr, "gst_frames: frame %" G_GUINT64_FORMAT " changed while held (%s, "
                "then %s)\n", h->index, h->md5, now);
    g_free(now);
    g_free(h->md5);
    gst_sample_unref(h->sample);
    g_free(h);
    return bad;
}

static GstPadProbeReturn add_video_meta(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);

    (void)pad, (void)data;
    if (GST_QUERY_TYPE(q) == GST_QUERY_ALLOCATION &&
        !gst_query_find_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL))
        gst_query_add_allocation_meta(q, GST_VIDEO_META_API_TYPE, NULL);
    return GST_PAD_PROBE_OK;
}

/* Print the errors on the bus (other messages are dropped); how many there were. */
static int print_errors(GstBus *bus)
{
    GstMessage *msg;
    int count = 0;

    while ((msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR))) {
        GError *e = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &e, &dbg);
        fprintf(stderr, "gst_frames: error from %s: %s\n", GST_OBJECT_NAME(msg->src), e->message);
        g_clear_error(&e);
        g_free(dbg);
        gst_message_unref(msg);
        count++;
    }
    return count;
}

static GstPadProbeReturn map_first(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    static gboolean done;
    GstMapInfo map;

    (void)pad;
    if (done || !gst_memory_is_type(gst_buffer_peek_memory(GST_PAD_PROBE_INFO_BUFFER(info), 0),
                                    "ShmoutSlot"))
        return GST_PAD_PROBE_OK;
    done = TRUE;
    if (gst_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), &map, GST_MAP_READ)) {
        g_usleep((gulong)GPOINTER_TO_UINT(data) * 1000);
        gst_buffer_unmap(GST_PAD_PROBE_INFO_BUFFER(info), &map);
    }
    return GST_PAD_PROBE_OK;
}

static void write_stats(const GValue *item, gpointer user_data)
{
    GstElement *e = g_value_get_object(item);
    GstElementFactory *f = gst_element_get_factory(e);
    static const char *const keys[] = { "frames", "zero-copy", "copied", "detached",
                                        "watchdog-detached", "evictions" };
    GstStructure *st = NULL;

    if (!f || strcmp(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)), "shmoutsrc"))
        return;
    g_object_get(e, "stats", &st, NULL);
    fprintf(user_data, "%s", GST_OBJECT_NAME(e));
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        guint64 v = 0;
        gst_structure_get_uint64(st, keys[i], &v);
        fprintf(user_data, " %s=%" G_GUINT64_FORMAT, keys[i], v);
    }
    fprintf(user_data, "\n");
    gst_structure_free(st);
}

int main(int argc, char **argv)
{
    guint64 max = G_MAXUINT64, n = 0;
    double timeout = 30;
    guint hold = 0, sleep_ms = 0, map_ms = 0;
    gboolean video_meta = FALSE, last_sample = TRUE;
    const char *stats = NULL, *props = "";
    GQueue held = G_QUEUE_INIT;
    GError *err = NULL;
    GstElement *pipe, *sink;
    GstBus *bus;
    char *desc;
    int status = 0;

    gst_init(&argc, &argv);
    while (argc > 2 && argv[1][0] == '-') {
        if (!strcmp(argv[1], "--video-meta") || !strcmp(argv[1], "--no-last-sample")) {
            if (argv[1][2] == 'v')
                video_meta = TRUE;
            else
                last_sample = FALSE;
            argv++, argc--;
            continue;
        }
        if (!strcmp(argv[1], "--hold"))
            hold = (guint)g_ascii_strtoull(argv[2], NULL, 10);
        else if (!strcmp(argv[1], "--sleep"))
            sleep_ms = (guint)g_ascii_strtoull(argv[2], NULL, 10);
        else if (!strcmp(argv[1], "--map-first"))
            map_ms = (guint)g_ascii_strtoull(argv[2], NULL, 10);
        else if (!strcmp(argv[1], "--appsink"))
            props = argv[2];
        else if (!strcmp(argv[1], "--stats"))
            stats = argv[2];
        else if (!strcmp(argv[1], "--max"))
            max = g_ascii_strtoull(argv[2], NULL, 10);
        else if (!strcmp(argv[1], "--timeout"))
            timeout = g_ascii_strtod(argv[2], NULL);
        else
            break;
        argv += 2, argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: gst_frames [--max N] [--timeout SECONDS] [--video-meta] "
                "[--no-last-sample] [--hold K] [--sleep MS] [--appsink PROPS] [--map-first MS] "
                "[--stats FILE] "
                "'PIPELINE'\n");
        return 2;
    }
    desc = g_strdup_printf("%s ! appsink name=gst_frames_out sync=false %s", argv[1], props);
    pipe = gst_parse_launch(desc, &err);
    g_free(desc);
    if (!pipe) {
        fprintf(stderr, "gst_frames: %s\n", err->message);
        return 1;
    }
    sink = gst_bin_get_by_name(GST_BIN(pipe), "gst_frames_out");
    g_object_set(sink, "enable-last-sample", last_sample, NULL);
    {
        GstPad *pad = gst_element_get_static_pad(sink, "sink");
        if (video_meta)
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, add_video_meta, NULL,
                              NULL);
        if (map_ms)
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, map_first,
                              GUINT_TO_POINTER(map_ms), NULL);
        gst_object_unref(pad);
    }
    if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        status = 1;
    bus = gst_element_get_bus(pipe);
    while (!status && n < max) {
        /* in slices of 100 ms, so that an error upstream (no EOS follows it) ends the wait */
        GstSample *s = NULL;
        double waited;
        for (waited = 0; !s && waited < timeout && !gst_app_sink_is_eos(GST_APP_SINK(sink)); waited += 0.1)
            if (!(s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 10)) &&
                print_errors(bus))
                status = 1;
        if (status)
            break;
        if (s) {
            gchar *md5 = print_frame(s, n++);

            if (hold) {
                Held *h = g_new0(Held, 1);
                h->sample = s;
                h->md5 = md5;
                h->index = n - 1;
                g_queue_push_tail(&held, h);
                if (g_queue_get_length(&held) > hold && release_held(g_queue_pop_head(&held)))
                    status = 1;
            } else {
                g_free(md5);
                gst_sample_unref(s);
            }
            if (sleep_ms)
                g_usleep((gulong)sleep_ms * 1000);
            continue;
        }
        if (!gst_app_sink_is_eos(GST_APP_SINK(sink))) {
            fprintf(stderr, "gst_frames: no frame for %g s\n", timeout);
            status = 1;
        }
        break;
    }
    if (print_errors(bus))          /* an error that ended the stream */
        status = 1;
    printf("eos %" G_GUINT64_FORMAT "\n", n);
    if (stats) {
        FILE *f = fopen(stats, "w");
        GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipe));

        if (f) {
            gst_iterator_foreach(it, write_stats, f);
            fclose(f);
        }
        gst_iterator_free(it);
    }
    /* the held samples outlive the pipeline's stop, then they are checked once more */
    gst_element_set_state(pipe, GST_STATE_NULL);
    while (!g_queue_is_empty(&held))
        if (release_held(g_queue_pop_head(&held)))
            status = 1;
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return status;
}
