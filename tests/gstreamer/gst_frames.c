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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

static void print_frame(GstSample *sample, guint64 index)
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
    printf("%" G_GUINT64_FORMAT " %dx%d %s ", index, GST_VIDEO_FRAME_WIDTH(&frame),
           GST_VIDEO_FRAME_HEIGHT(&frame), gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(&frame)));
    if (GST_BUFFER_PTS_IS_VALID(buf))
        printf("%" G_GUINT64_FORMAT, GST_BUFFER_PTS(buf));
    else
        printf("none");
    printf(" %s\n", g_checksum_get_string(md5));
    fflush(stdout);
    g_checksum_free(md5);
    gst_video_frame_unmap(&frame);
}

int main(int argc, char **argv)
{
    guint64 max = G_MAXUINT64, n = 0;
    double timeout = 30;
    GError *err = NULL;
    GstElement *pipe, *sink;
    GstBus *bus;
    GstMessage *msg;
    char *desc;
    int status = 0;

    gst_init(&argc, &argv);
    while (argc > 2 && argv[1][0] == '-') {
        if (!strcmp(argv[1], "--max"))
            max = g_ascii_strtoull(argv[2], NULL, 10);
        else if (!strcmp(argv[1], "--timeout"))
            timeout = g_ascii_strtod(argv[2], NULL);
        else
            break;
        argv += 2, argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: gst_frames [--max N] [--timeout SECONDS] 'PIPELINE'\n");
        return 2;
    }
    desc = g_strdup_printf("%s ! appsink name=gst_frames_out sync=false", argv[1]);
    pipe = gst_parse_launch(desc, &err);
    g_free(desc);
    if (!pipe) {
        fprintf(stderr, "gst_frames: %s\n", err->message);
        return 1;
    }
    sink = gst_bin_get_by_name(GST_BIN(pipe), "gst_frames_out");
    if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        status = 1;
    bus = gst_element_get_bus(pipe);
    while (!status && n < max) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink),
                                                    (GstClockTime)(timeout * GST_SECOND));
        if (s) {
            print_frame(s, n++);
            gst_sample_unref(s);
            continue;
        }
        if (!gst_app_sink_is_eos(GST_APP_SINK(sink))) {
            fprintf(stderr, "gst_frames: no frame for %g s\n", timeout);
            status = 1;
        }
        break;
    }
    /* an error that ended the stream */
    while ((msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR))) {
        GError *e = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &e, &dbg);
        fprintf(stderr, "gst_frames: error from %s: %s\n", GST_OBJECT_NAME(msg->src), e->message);
        g_clear_error(&e);
        g_free(dbg);
        gst_message_unref(msg);
        status = 1;
    }
    printf("eos %" G_GUINT64_FORMAT "\n", n);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return status;
}
