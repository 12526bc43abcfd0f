/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * gstwrite: the GStreamer writer of `make bench`. It runs a pipeline whose sink element is named
 * "s" to its end of stream and times every buffer as it reaches that sink (a probe on its sink
 * pad), then prints one JSON line: the frames that reached it and the writer's rate from the
 * 10th frame to the last, (N - 10) / (t(N) - t(10)), which cancels the start-up and the wait for
 * a reader to connect; and the process's CPU seconds.
 *
 *   gstwrite PIPELINE
 *   e.g. gstwrite "videotestsrc num-buffers=300 ! video/x-raw,format=RGBA ! shmoutsink name=s block=x"
 */
#include <stdio.h>
#include <stdlib.h>

#include <gst/gst.h>

#include "measure.h"

#define SKIP 10

static long frames;
static double t_skip, t_last;

static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad, (void)info, (void)data;
    t_last = now_s();
    if (++frames == SKIP)
        t_skip = t_last;
    return GST_PAD_PROBE_OK;
}

int main(int argc, char **argv)
{
    GstElement *pipe, *sink;
    GstPad *pad;
    GstMessage *msg;
    GError *err = NULL;
    int status = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: gstwrite PIPELINE (its sink named s)\n");
        return 2;
    }
    gst_init(&argc, &argv);
    if (!(pipe = gst_parse_launch(argv[1], &err))) {
        fprintf(stderr, "gstwrite: %s\n", err->message);
        return 1;
    }
    if (!(sink = gst_bin_get_by_name(GST_BIN(pipe), "s"))) {
        fprintf(stderr, "gstwrite: the pipeline has no element named s\n");
        return 2;
    }
    pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, NULL, NULL);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipe), 300 * GST_SECOND,
                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (!msg || GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        fprintf(stderr, "gstwrite: %s\n", msg ? "the pipeline failed" : "no end of stream in 300 s");
        status = 1;
    }
    printf("{\"frames\": %ld, \"fps\": %.3f, \"cpu\": %.6f}\n", frames,
           frames > SKIP && t_last > t_skip ? (frames - SKIP) / (t_last - t_skip) : 0.0, cpu_s());
    if (msg)
        gst_message_unref(msg);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(pad);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return status;
}
