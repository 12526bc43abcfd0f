/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * sink_hold.c - an upstream that holds shmoutsink's slot buffers, to test the sink's lending
 * rules (gst/sink.c): "appsrc ! shmoutsink block=NAME wait-readers=1 slots=3", GRAY8 16x8, each
 * frame filled with one byte value. In order:
 *   1. a slot buffer (value 1) is pushed and kept; five more frames (2..6) lap the ring, so the
 *      sink must move the kept buffer off its slot: its content must stay 1s;
 *   2. a slot buffer (7) is filled but held back while another frame (8) is pushed: the sink
 *      must not copy 8 into the slot 7 occupies; then 7 is pushed;
 *   3. a slot buffer is kept mapped while another frame is pushed: the sink waits 1 s, then
 *      posts an error ("upstream holds a buffer ...").
 * Prints the md5 of every frame the block should show, in order ("want MD5"), what it found
 * ("held-intact yes|no", "lent N" for the slot buffers it got, "error-after-ms N MESSAGE"), and
 * shmoutsink's stats; exits 0 if every step behaved.
 *
 *   sink_hold NAME
 */
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#define W 16
#define H 8

static GstElement *pipe_, *src, *sink;

static guint64 stat(const char *field)
{
    GstStructure *s = NULL;
    guint64 v = 0;

    g_object_get(sink, "stats", &s, NULL);
    gst_structure_get_uint64(s, field, &v);
    gst_structure_free(s);
    return v;
}

static int wait_published(guint64 n)
{
    for (int i = 0; i < 1000; i++) {
        if (stat("published") >= n)
            return 1;
        g_usleep(10000);
    }
    fprintf(stderr, "sink_hold: frame %" G_GUINT64_FORMAT " not published\n", n);
    return 0;
}


static void want(guint8 v)
{
    guint8 frame[W * H];
    gchar *md5;

    memset(frame, v, sizeof(frame));
    md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, frame, sizeof(frame));
    printf("want %s\n", md5);
    g_free(md5);
}

static gboolean is_slot(GstBuffer *b)
{
    GstMemory *m = gst_buffer_peek_memory(b, 0);
    return m->allocator && !g_strcmp0(m->allocator->mem_type, "ShmoutSlot");
}

/* A slot buffer from the pool (retrying while the sink still holds its last buffers). */
static GstBuffer *acquire_slot(GstBufferPool *pool)
{
    for (int i = 0; i < 200; i++) {
        GstBuffer *b = NULL;
        if (gst_buffer_pool_acquire_buffer(pool, &b, NULL) != GST_FLOW_OK)
            return NULL;
        if (is_slot(b))
            return b;
        gst_buffer_unref(b);
        g_usleep(10000);
    }
    return NULL;
}

static void push(GstBuffer *b, guint8 v, guint64 k)
{
    (void)v;
    GST_BUFFER_PTS(b) = k * GST_SECOND / 25;
    GST_BUFFER_DURATION(b) = GST_SECOND / 25;
    gst_app_src_push_buffer(GST_APP_SRC(src), b);
}

static void push_value(GstBufferPool *pool, guint8 v, guint64 k)
{
    GstBuffer *b = NULL;

    if (pool)
        gst_buffer_pool_acquire_buffer(pool, &b, NULL);
    else
        b = gst_buffer_new_allocate(NULL, W * H, NULL);
    {
        GstMapInfo m;
        gst_buffer_map(b, &m, GST_MAP_WRITE);
        memset(m.data, v, m.size);
        gst_buffer_unmap(b, &m);
    }
    want(v);
    push(b, v, k);
}

int main(int argc, char **argv)
{
    GstCaps *caps;
    GstPad *pad;
    GstQuery *q;
    GstBufferPool *pool = NULL;
    GstStructure *config;
    GstBuffer *a, *c, *e;
    GstMapInfo m, em;
    GstBus *bus;
    GstMessage *msg;
    GError *perr = NULL;
    gchar *desc;
    gint64 t0;
    int ok = 1, intact = 1;

    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: sink_hold NAME\n");
        return 2;
    }
    desc = g_strdup_printf("appsrc name=src format=time ! shmoutsink name=s block=%s "
                           "wait-readers=1 slots=3 sync=false", argv[1]);
    pipe_ = gst_parse_launch(desc, &perr);
    g_free(desc);
    if (!pipe_ || perr || !GST_IS_BIN(pipe_)) {
        fprintf(stderr, "sink_hold: %s\n", perr ? perr->message : "cannot make the pipeline");
        return 1;
    }
    src = gst_bin_get_by_name(GST_BIN(pipe_), "src");
    sink = gst_bin_get_by_name(GST_BIN(pipe_), "s");
    caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "GRAY8",
                               "width", G_TYPE_INT, W, "height", G_TYPE_INT, H,
                               "framerate", GST_TYPE_FRACTION, 25, 1, NULL);
    g_object_set(src, "caps", caps, NULL);
    bus = gst_element_get_bus(pipe_);
    gst_element_set_state(pipe_, GST_STATE_PLAYING);
    push_value(NULL, 0, 0);                 /* caps, and the wait for the reader */
    if (!wait_published(1))
        return 1;
    /* the sink's pool, as a source's decide_allocation gets it */
    pad = gst_element_get_static_pad(src, "src");
    q = gst_query_new_allocation(caps, TRUE);
    if (!gst_pad_peer_query(pad, q) || gst_query_get_n_allocation_pools(q) < 1) {
        fprintf(stderr, "sink_hold: shmoutsink proposed no pool\n");
        return 1;
    }
    /* a configuration the pool cannot honour is refused so that the caller falls back to a
     * pool of its own (GstBaseSrc, GstBaseTransform, GstVideoDecoder check exactly this) */
    {
        GstQuery *q2 = gst_query_new_allocation(caps, TRUE);
        GstBufferPool *p2 = NULL;

        gst_pad_peer_query(pad, q2);
        gst_query_parse_nth_allocation_pool(q2, 0, &p2, NULL, NULL, NULL);
        config = gst_buffer_pool_get_config(p2);
        gst_buffer_pool_config_set_params(config, caps, W * H, 0, 0);
        gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
        if (gst_buffer_pool_has_option(p2, GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT) ||
            gst_buffer_pool_set_config(p2, config)) {
            fprintf(stderr, "sink_hold: the pool offers or accepts VIDEO_ALIGNMENT\n");
            return 1;
        }
        config = gst_buffer_pool_get_config(p2);
        printf("refused-alignment %s\n",
               gst_buffer_pool_config_validate_params(config, caps, W * H, 0, 0) ? "no" : "yes");
        gst_structure_free(config);
        gst_object_unref(p2);
        gst_query_unref(q2);
    }
    gst_query_parse_nth_allocation_pool(q, 0, &pool, NULL, NULL, NULL);
    config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, W * H, 0, 0);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config) || !gst_buffer_pool_set_active(pool, TRUE)) {
        fprintf(stderr, "sink_hold: the pool refused its config\n");
        return 1;
    }

    /* 1. a published slot buffer kept while the ring laps its slot */
    if (!(a = acquire_slot(pool)))
        return fprintf(stderr, "sink_hold: no slot buffer (1)\n"), 1;
    printf("lent 1\n");
    gst_buffer_map(a, &m, GST_MAP_WRITE);
    memset(m.data, 1, m.size);
    gst_buffer_unmap(a, &m);
    want(1);
    push(gst_buffer_ref(a), 1, 1);
    wait_published(2);
    for (guint8 v = 2; v <= 6; v++)
        push_value(pool, v, v);             /* system memory: a is alive */
    wait_published(7);
    gst_buffer_map(a, &m, GST_MAP_READ);
    for (gsize i = 0; i < m.size; i++)
        intact &= m.data[i] == 1;
    gst_buffer_unmap(a, &m);
    printf("held-intact %s\n", intact ? "yes" : "no");
    ok &= intact;
    gst_buffer_unref(a);

    /* 2. an unpublished slot buffer held back while another frame goes first */
    if (!(c = acquire_slot(pool)))
        return fprintf(stderr, "sink_hold: no slot buffer (2)\n"), 1;
    printf("lent 2\n");
    gst_buffer_map(c, &m, GST_MAP_WRITE);
    memset(m.data, 7, m.size);
    gst_buffer_unmap(c, &m);
    push_value(NULL, 8, 7);
    wait_published(8);
    want(7);
    push(c, 7, 8);
    wait_published(9);

    /* 3. a slot buffer kept mapped while another frame is pushed: an error after 1 s */
    if (!(e = acquire_slot(pool)))
        return fprintf(stderr, "sink_hold: no slot buffer (3)\n"), 1;
    printf("lent 3\n");
    gst_buffer_map(e, &em, GST_MAP_WRITE);
    t0 = g_get_monotonic_time();
    {
        GstBuffer *f = gst_buffer_new_allocate(NULL, W * H, NULL);
        gst_buffer_memset(f, 0, 9, W * H);
        push(f, 9, 9);
    }
    msg = gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
    if (msg) {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        printf("error-after-ms %" G_GINT64_FORMAT " %s\n", (g_get_monotonic_time() - t0) / 1000,
               err->message);
        g_clear_error(&err);
        gst_message_unref(msg);
    } else {
        printf("error-after-ms none\n");
        ok = 0;
    }
    gst_buffer_unmap(e, &em);
    gst_buffer_unref(e);
    printf("stats published=%" G_GUINT64_FORMAT " zero-copy=%" G_GUINT64_FORMAT " copied=%"
           G_GUINT64_FORMAT " detached=%" G_GUINT64_FORMAT "\n", stat("published"),
           stat("zero-copy"), stat("copied"), stat("detached"));
    fflush(stdout);
    gst_buffer_pool_set_active(pool, FALSE);
    gst_object_unref(pool);
    gst_query_unref(q);
    gst_object_unref(pad);
    gst_element_set_state(pipe_, GST_STATE_NULL);
    gst_caps_unref(caps);
    gst_object_unref(bus);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipe_);
    return ok ? 0 : 1;
}
