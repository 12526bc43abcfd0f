/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * sink.c - shmoutsink: writes raw video into a block, zero-copy from its own buffer pool.
 *
 * Zero copy. The protocol fixes frame n to slot n mod slot_count and the library lets one frame
 * be begun at a time, so the pool (propose_allocation) lends at most ONE buffer whose memory is
 * a slot ("slot-bound"): acquire_buffer calls shmout_writer_begin_frame and wraps the slot in a
 * GstShmoutSlotMemory. While that buffer is alive (upstream, videorate, tee, a queue may hold it),
 * acquire never blocks: it hands out ordinary system memory, which render copies into the slot.
 * When render gets the lent buffer for the begun frame it just publishes it.
 *
 * No reader may ever accept a torn frame, and nobody holding the lent buffer may see it change:
 * before the copy path writes the slot the lent buffer occupies (its unpublished frame, or the
 * same slot a ring turn later), the lent memory is "detached": its bytes are copied to private
 * memory and its map function points there from then on, so the holder keeps its content and
 * the slot is free. A memory mapped at that moment (upstream still writing into it) cannot be
 * moved: render waits for the unmap, at most 1 s, then posts an error ("upstream holds a buffer
 * of shmoutsink's pool mapped while sending others"). set_caps and stop detach it too.
 *
 * Mapping lifetime: each lent memory holds a reference to the data object's mapping
 * (shmout_writer_retain_mapping), so growth (set_geometry) or close never unmaps memory a buffer
 * still points into; the memory's free (or its detach) releases it.
 *
 * Locks: wlock serialises every writer call (acquire runs in upstream's thread, render in the
 * sink's); so.lock (with so.cond, gst/slotmem.c) guards the lending state and the memories'
 * map counts and is never held while waiting for wlock, so mapping a buffer never waits for the
 * writer.
 */
#include <errno.h>
#include <string.h>

#include <gst/base/gstbasesink.h>

#include "shmoutgst.h"

#define GST_CAT_DEFAULT gst_shmout_debug
#define DETACH_TIMEOUT_US (1 * G_TIME_SPAN_SECOND)

/* ---- enums ---------------------------------------------------------------------------- */

#define GST_TYPE_SHMOUT_MEMTYPE (gst_shmout_memtype_get_type())
#define GST_TYPE_SHMOUT_FILL_MODE (gst_shmout_fill_mode_get_type())
#define GST_TYPE_SHMOUT_FILTER (gst_shmout_filter_get_type())
GType gst_shmout_memtype_get_type(void);
GType gst_shmout_fill_mode_get_type(void);
GType gst_shmout_filter_get_type(void);

GType gst_shmout_memtype_get_type(void)
{
    static GType type;
    static const GEnumValue values[] = {
        { SHMOUT_MEMTYPE_LOCAL, "this user's block (/dev/shm/shmout.u<uid>.NAME)", "local" },
        { SHMOUT_MEMTYPE_GLOBAL, "every user's namespace (/dev/shm/shmout.g.NAME)", "global" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstShmoutMemtype", values));
    return type;
}

GType gst_shmout_fill_mode_get_type(void)
{
    static GType type;
    static const GEnumValue values[] = {
        { SHMOUT_FILL_FILL, "stretch to the viewer's area", "fill" },
        { SHMOUT_FILL_FITHORIZONTAL, "fit the width", "fithorizontal" },
        { SHMOUT_FILL_FITVERTICAL, "fit the height", "fitvertical" },
        { SHMOUT_FILL_BEST, "fit inside, keep the aspect", "best" },
        { SHMOUT_FILL_OUTSIDE, "cover, keep the aspect", "outside" },
        { SHMOUT_FILL_NATIVE, "native size", "native" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstShmoutFillMode", values));
    return type;
}

GType gst_shmout_filter_get_type(void)
{
    static GType type;
    static const GEnumValue values[] = {
        { SHMOUT_SMOOTH_NEAREST, "nearest neighbour", "nearest" },
        { SHMOUT_SMOOTH_LINEAR, "linear", "linear" },
        { SHMOUT_SMOOTH_MIPMAP, "mipmapped", "mipmap" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type))
        g_once_init_leave(&type, g_enum_register_static("GstShmoutFilterType", values));
    return type;
}

/* ---- the element's state ---------------------------------------------------------------- */

typedef struct {
    GstBaseSink parent;

    /* properties, under the object lock */
    gchar *block;
    gint memtype;
    guint slots;
    gint fill_mode;
    gint filter_type;
    gint wait_readers;
    gint wait_readers_timeout;
    guint lossless_timeout;

    GMutex wlock;                   /* every writer call, and the fields below to so.lock */
    shmout_writer *w;
    gchar *name;                    /* the block's name while open */
    guint w_slots;
    GstVideoInfo info;              /* current caps */
    struct shmout_geometry geom;    /* and the block geometry of them */
    guint64 gen;                    /* geometry generation */
    gboolean readers_waited;
    gint ready;                     /* atomic: acquire may lend slots */
    gint flushing;                  /* atomic: unlock() -> interrupt the library's waits */

    /* so.lock (with so.cond) guards the lending state (so.lent: the one slot-bound memory
     * alive, or NULL), the memories' maps and the fields below */
    GstShmoutSlotOwner so;
    guint alive;                    /* buffers of the sink's pools not yet released */
    guint64 published, zero_copy, copied, dropped;
} GstShmoutSink;

typedef struct {
    GstBaseSinkClass parent_class;
} GstShmoutSinkClass;

#define GST_SHMOUT_SINK(o) ((GstShmoutSink *)(o))

G_DEFINE_TYPE(GstShmoutSink, gst_shmout_sink, GST_TYPE_BASE_SINK)

/* ---- slot memory: gst/slotmem.c -------------------------------------------------------- */

/* Move the lent memory off its slot (see the top of the file). Called with the owner's lock
 * held; waits (at most wait_us, 0: not at all) while it is mapped. Returns FALSE if it stayed
 * mapped. */
static gboolean detach_lent(GstShmoutSink *sink, gint64 wait_us)
{
    gint64 deadline = wait_us ? g_get_monotonic_time() + wait_us : 0;

    return gst_shmout_slot_detach(&sink->so, deadline) >= 0;
}

/* ---- the pool ------------------------------------------------------------------------------ */

typedef struct {
    GstBufferPool parent;
    GstShmoutSink *sink;            /* a reference */
    GstVideoInfo info;
    struct shmout_geometry geom;
    gboolean configured;
} GstShmoutPool;

typedef struct {
    GstBufferPoolClass parent_class;
} GstShmoutPoolClass;

GType gst_shmout_pool_get_type(void);
G_DEFINE_TYPE(GstShmoutPool, gst_shmout_pool, GST_TYPE_BUFFER_POOL)

static const gchar **pool_get_options(GstBufferPool *pool)
{
    /* not GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT: a slot's layout is GStreamer's default one
     * for the caps; who wants padding uses its own pool and the sink copies */
    static const gchar *options[] = { GST_BUFFER_POOL_OPTION_VIDEO_META, NULL };

    (void)pool;
    return options;
}

/* Refuse what a slot cannot be. The refused config is left so that
 * gst_buffer_pool_config_validate_params() fails on it (size 0): GstBaseSrc, GstBaseTransform
 * and GstVideoDecoder then fall back to a pool of their own instead of failing. */
static gboolean pool_set_config(GstBufferPool *bpool, GstStructure *config)
{
    GstShmoutPool *pool = (GstShmoutPool *)bpool;
    GstAllocationParams params;
    GstAllocator *allocator = NULL;
    GstCaps *caps = NULL;
    guint size, min, max, i;
    const gchar *bad = NULL;
    GError *err = NULL;

    if (!gst_buffer_pool_config_get_params(config, &caps, &size, &min, &max) || !caps)
        bad = "no caps";
    else if (!gst_video_info_from_caps(&pool->info, caps))
        bad = "caps that are not raw video";
    else if (!gst_shmout_geometry_from_info(&pool->geom, &pool->info, &err))
        bad = "caps a block cannot hold";
    else if (size < GST_VIDEO_INFO_SIZE(&pool->info))
        bad = "a buffer size smaller than a frame";
    if (!bad && gst_buffer_pool_config_get_allocator(config, &allocator, &params) &&
        (params.prefix || params.padding || params.align >= SHMOUT_DATA_ALIGN))
        bad = "allocation parameters (prefix, padding or alignment) a slot cannot honour";
    for (i = 0; !bad && i < gst_buffer_pool_config_n_options(config); i++)
        if (strcmp(gst_buffer_pool_config_get_option(config, i),
                   GST_BUFFER_POOL_OPTION_VIDEO_META))
            bad = gst_buffer_pool_config_get_option(config, i);
    g_clear_error(&err);
    if (bad) {
        GST_INFO_OBJECT(pool, "refusing a configuration with %s: upstream uses its own pool, "
                        "shmoutsink copies", bad);
        pool->configured = FALSE;
        gst_buffer_pool_config_set_params(config, caps, 0, min, max);
        GST_BUFFER_POOL_CLASS(gst_shmout_pool_parent_class)->set_config(bpool, config);
        return FALSE;
    }
    pool->configured = TRUE;
    return GST_BUFFER_POOL_CLASS(gst_shmout_pool_parent_class)->set_config(bpool, config);
}

static gboolean pool_start(GstBufferPool *pool)
{
    (void)pool;
    return TRUE;                    /* nothing to preallocate: buffers are made per acquire */
}

static void add_meta(GstBuffer *buf, const GstVideoInfo *info, const struct shmout_geometry *g)
{
    gsize offset[GST_VIDEO_MAX_PLANES] = { 0 };
    gint stride[GST_VIDEO_MAX_PLANES] = { 0 };

    for (guint p = 0; p < g->nb_planes && p < GST_VIDEO_MAX_PLANES; p++) {
        offset[p] = g->plane_offset[p];
        stride[p] = (gint)g->plane_linesize[p];
    }
    gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT(info),
                                   GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info),
                                   GST_VIDEO_INFO_N_PLANES(info), offset, stride);
}

/* A slot-bound buffer if none is lent and the block has the pool's geometry, else system
 * memory. Never waits for the lent buffer (only the library may wait, for lossless readers). */
static GstFlowReturn pool_acquire(GstBufferPool *bpool, GstBuffer **buffer,
                                  GstBufferPoolAcquireParams *params)
{
    GstShmoutPool *pool = (GstShmoutPool *)bpool;
    GstShmoutSink *sink = pool->sink;
    GstShmoutSlotMemory *m = NULL;
    GstBuffer *buf = gst_buffer_new();
    uint8_t *data[4];
    int linesize[4];
    gboolean lend;

    (void)params;
    if (!pool->configured)
        return GST_FLOW_NOT_NEGOTIATED;
    if (g_atomic_int_get(&sink->ready)) {
        g_mutex_lock(&sink->wlock);
        g_mutex_lock(&sink->so.lock);
        /* lend only when no other buffer of the pools is alive: those are rendered first
         * (queues are FIFO) and the first would have to move the lent one off its slot */
        lend = sink->w && !sink->so.lent && !sink->alive && g_atomic_int_get(&sink->ready) &&
               !memcmp(&pool->geom, &sink->geom, sizeof(pool->geom));
        g_mutex_unlock(&sink->so.lock);
        if (lend && shmout_writer_begin_frame(sink->w, data, linesize) == 0) {
            m = gst_shmout_slot_memory_new(&sink->so, GST_OBJECT(sink), 0,
                                           data[0] - sink->geom.plane_offset[0],
                                           sink->geom.frame_bytes,
                                           shmout_writer_retain_mapping(sink->w),
                                           (GDestroyNotify)shmout_mapping_release);
            m->frame = shmout_writer_frames(sink->w) + 1;
            m->gen = sink->gen;
        }
        g_mutex_unlock(&sink->wlock);
    }
    if (m) {
        gst_buffer_append_memory(buf, GST_MEMORY_CAST(m));
    } else {
        GstMemory *mem = gst_allocator_alloc(NULL, GST_VIDEO_INFO_SIZE(&pool->info), NULL);
        if (!mem) {
            gst_buffer_unref(buf);
            return GST_FLOW_ERROR;
        }
        gst_buffer_append_memory(buf, mem);
    }
    add_meta(buf, &pool->info, &pool->geom);
    g_mutex_lock(&sink->so.lock);
    sink->alive++;
    g_mutex_unlock(&sink->so.lock);
    *buffer = buf;
    return GST_FLOW_OK;
}

/* Buffers are not recycled: freeing one frees its memory, which ends a slot binding. */
static void pool_release(GstBufferPool *bpool, GstBuffer *buffer)
{
    GstShmoutSink *sink = ((GstShmoutPool *)bpool)->sink;

    g_mutex_lock(&sink->so.lock);
    sink->alive--;
    g_mutex_unlock(&sink->so.lock);
    gst_buffer_unref(buffer);       /* buffer->pool is NULL by now: really freed */
}

static void pool_finalize(GObject *obj)
{
    GstShmoutPool *pool = (GstShmoutPool *)obj;

    gst_object_unref(pool->sink);
    G_OBJECT_CLASS(gst_shmout_pool_parent_class)->finalize(obj);
}

static void gst_shmout_pool_class_init(GstShmoutPoolClass *klass)
{
    GstBufferPoolClass *pc = GST_BUFFER_POOL_CLASS(klass);

    G_OBJECT_CLASS(klass)->finalize = pool_finalize;
    pc->get_options = pool_get_options;
    pc->set_config = pool_set_config;
    pc->start = pool_start;
    pc->acquire_buffer = pool_acquire;
    pc->release_buffer = pool_release;
}

static void gst_shmout_pool_init(GstShmoutPool *pool)
{
    (void)pool;
}

/* ---- properties ------------------------------------------------------------------------------ */

enum {
    PROP_0,
    PROP_BLOCK,
    PROP_MEMTYPE,
    PROP_SLOTS,
    PROP_FILL_MODE,
    PROP_FILTER_TYPE,
    PROP_WAIT_READERS,
    PROP_WAIT_READERS_TIMEOUT,
    PROP_LOSSLESS_TIMEOUT,
    PROP_STATS,
};

static GstStructure *make_stats(GstShmoutSink *sink)
{
    struct shmout_writer_stats ws;
    GstStructure *s;

    memset(&ws, 0, sizeof(ws));
    g_mutex_lock(&sink->so.lock);
    s = gst_structure_new("stats", "published", G_TYPE_UINT64, sink->published,
                          "zero-copy", G_TYPE_UINT64, sink->zero_copy,
                          "copied", G_TYPE_UINT64, sink->copied,
                          "dropped", G_TYPE_UINT64, sink->dropped,
                          "detached", G_TYPE_UINT64, sink->so.detached, NULL);
    g_mutex_unlock(&sink->so.lock);
    if (g_mutex_trylock(&sink->wlock)) {
        if (sink->w)
            shmout_writer_get_stats(sink->w, &ws);
        g_mutex_unlock(&sink->wlock);
        gst_structure_set(s, "lossless-waits", G_TYPE_UINT64, ws.lossless_waits,
                          "evictions", G_TYPE_UINT64, ws.evictions, NULL);
    }
    return s;
}

static void set_property(GObject *obj, guint id, const GValue *v, GParamSpec *pspec)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(obj);

    GST_OBJECT_LOCK(sink);
    switch (id) {
    case PROP_BLOCK:
        g_free(sink->block);
        sink->block = g_value_dup_string(v);
        break;
    case PROP_MEMTYPE:          sink->memtype = g_value_get_enum(v); break;
    case PROP_SLOTS:            sink->slots = g_value_get_uint(v); break;
    case PROP_FILL_MODE:        sink->fill_mode = g_value_get_enum(v); break;
    case PROP_FILTER_TYPE:      sink->filter_type = g_value_get_enum(v); break;
    case PROP_WAIT_READERS:     sink->wait_readers = g_value_get_int(v); break;
    case PROP_WAIT_READERS_TIMEOUT: sink->wait_readers_timeout = g_value_get_int(v); break;
    case PROP_LOSSLESS_TIMEOUT: sink->lossless_timeout = g_value_get_uint(v); break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
    }
    GST_OBJECT_UNLOCK(sink);
    /* the hints apply at once to an open block */
    if (id == PROP_FILL_MODE || id == PROP_FILTER_TYPE) {
        g_mutex_lock(&sink->wlock);
        if (sink->w)
            shmout_writer_set_hints(sink->w, (uint32_t)sink->fill_mode,
                                    (uint32_t)sink->filter_type);
        g_mutex_unlock(&sink->wlock);
    }
}

static void get_property(GObject *obj, guint id, GValue *v, GParamSpec *pspec)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(obj);

    if (id == PROP_STATS) {
        g_value_take_boxed(v, make_stats(sink));
        return;
    }
    GST_OBJECT_LOCK(sink);
    switch (id) {
    case PROP_BLOCK:            g_value_set_string(v, sink->block); break;
    case PROP_MEMTYPE:          g_value_set_enum(v, sink->memtype); break;
    case PROP_SLOTS:            g_value_set_uint(v, sink->slots); break;
    case PROP_FILL_MODE:        g_value_set_enum(v, sink->fill_mode); break;
    case PROP_FILTER_TYPE:      g_value_set_enum(v, sink->filter_type); break;
    case PROP_WAIT_READERS:     g_value_set_int(v, sink->wait_readers); break;
    case PROP_WAIT_READERS_TIMEOUT: g_value_set_int(v, sink->wait_readers_timeout); break;
    case PROP_LOSSLESS_TIMEOUT: g_value_set_uint(v, sink->lossless_timeout); break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
    }
    GST_OBJECT_UNLOCK(sink);
}

/* ---- GstBaseSink ------------------------------------------------------------------------------ */

static int interrupt_cb(void *opaque)
{
    return g_atomic_int_get(&GST_SHMOUT_SINK(opaque)->flushing);
}

static gboolean sink_start(GstBaseSink *bsink)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(bsink);
    char msg[256];
    gchar *name;

    GST_OBJECT_LOCK(sink);
    name = g_strdup(sink->block && sink->block[0] ? sink->block : GST_OBJECT_NAME(sink));
    GST_OBJECT_UNLOCK(sink);
    if (shmout_name_validate(name, msg, sizeof(msg)) < 0) {
        GST_ELEMENT_ERROR(sink, RESOURCE, SETTINGS,
                          ("bad block name '%s': %s", name, msg),
                          ("set the property block (or the element's name) to 1..%d characters "
                           "from A-Z a-z 0-9 _ . -, starting with a letter or digit, e.g. "
                           "block=cam1", SHMOUT_NAME_MAX));
        g_free(name);
        return FALSE;
    }
    g_mutex_lock(&sink->wlock);
    g_free(sink->name);
    sink->name = name;
    sink->readers_waited = FALSE;
    sink->gen = 0;
    g_atomic_int_set(&sink->ready, 0);
    g_atomic_int_set(&sink->flushing, 0);
    g_mutex_unlock(&sink->wlock);
    g_mutex_lock(&sink->so.lock);
    sink->published = sink->zero_copy = sink->copied = sink->dropped = sink->so.detached = 0;
    g_mutex_unlock(&sink->so.lock);
    return TRUE;
}

static gboolean sink_stop(GstBaseSink *bsink)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(bsink);

    g_mutex_lock(&sink->wlock);
    g_atomic_int_set(&sink->ready, 0);
    g_mutex_lock(&sink->so.lock);
    detach_lent(sink, 0);   /* a mapped one keeps the data object mapped (retained) */
    g_mutex_unlock(&sink->so.lock);
    shmout_writer_close(sink->w);
    sink->w = NULL;
    g_mutex_unlock(&sink->wlock);
    return TRUE;
}

static gboolean sink_unlock(GstBaseSink *bsink)
{
    g_atomic_int_set(&GST_SHMOUT_SINK(bsink)->flushing, 1);
    return TRUE;
}

static gboolean sink_unlock_stop(GstBaseSink *bsink)
{
    g_atomic_int_set(&GST_SHMOUT_SINK(bsink)->flushing, 0);
    return TRUE;
}

static gboolean sink_set_caps(GstBaseSink *bsink, GstCaps *caps)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(bsink);
    struct shmout_writer_options opts;
    struct shmout_geometry g;
    GstVideoInfo info;
    GError *err = NULL;
    gint memtype;
    int ret;

    if (!gst_video_info_from_caps(&info, caps)) {
        GST_ELEMENT_ERROR(sink, STREAM, FORMAT, ("shmoutsink got caps that are not raw video"),
                          ("caps %" GST_PTR_FORMAT, caps));
        return FALSE;
    }
    if (!gst_shmout_geometry_from_info(&g, &info, &err)) {
        GST_ELEMENT_ERROR(sink, STREAM, FORMAT, ("%s", err->message), (NULL));
        g_clear_error(&err);
        return FALSE;
    }
    shmout_writer_options_default(&opts);
    GST_OBJECT_LOCK(sink);
    memtype = sink->memtype;
    opts.slots = sink->slots;
    opts.fill_mode = (uint32_t)sink->fill_mode;
    opts.smoothness = (uint32_t)sink->filter_type;
    opts.lossless_timeout_ms = sink->lossless_timeout;
    GST_OBJECT_UNLOCK(sink);
    opts.interrupt = interrupt_cb;
    opts.interrupt_opaque = sink;

    g_mutex_lock(&sink->wlock);
    if (!sink->w) {
        ret = shmout_writer_open(&sink->w, sink->name, memtype, &g, &opts);
        if (ret < 0) {
            GST_ELEMENT_ERROR(sink, RESOURCE, OPEN_WRITE,
                              ("cannot write block '%s': %s", sink->name, shmout_errmsg()),
                              ("shmout_writer_open: %s", shmout_strerror(ret)));
            sink->w = NULL;
            g_mutex_unlock(&sink->wlock);
            return FALSE;
        }
        sink->w_slots = opts.slots;
        GST_INFO_OBJECT(sink, "writing block '%s': %ux%u %s, %u slots", sink->name, g.width,
                        g.height, gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)),
                        opts.slots);
    } else if (memcmp(&g, &sink->geom, sizeof(g))) {
        gboolean moved;

        /* the slot a lent buffer occupies is reused (in place) or unmapped (growth) */
        g_mutex_lock(&sink->so.lock);
        moved = detach_lent(sink, DETACH_TIMEOUT_US);
        g_mutex_unlock(&sink->so.lock);
        if (!moved) {
            GST_ELEMENT_ERROR(sink, STREAM, FAILED,
                              ("upstream keeps a buffer of shmoutsink's pool mapped across a "
                               "caps change"),
                              ("unmap buffers before pushing, or put a queue/videoconvert "
                               "before shmoutsink"));
            g_mutex_unlock(&sink->wlock);
            return FALSE;
        }
        ret = shmout_writer_set_geometry(sink->w, &g);
        if (ret < 0) {
            GST_ELEMENT_ERROR(sink, RESOURCE, WRITE,
                              ("cannot change block '%s' to %ux%u: %s", sink->name, g.width,
                               g.height, shmout_errmsg()), (NULL));
            g_mutex_unlock(&sink->wlock);
            return FALSE;
        }
        GST_INFO_OBJECT(sink, "block '%s' now %ux%u %s", sink->name, g.width, g.height,
                        gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)));
    }
    shmout_writer_geometry(sink->w, &sink->gen);
    GST_OBJECT_LOCK(sink);
    if (sink->wait_readers <= 0)
        sink->readers_waited = TRUE;        /* nothing to wait for: lend from the first frame */
    GST_OBJECT_UNLOCK(sink);
    sink->info = info;
    sink->geom = g;
    if (sink->readers_waited)
        g_atomic_int_set(&sink->ready, 1);
    g_mutex_unlock(&sink->wlock);
    return TRUE;
}

static gboolean sink_propose_allocation(GstBaseSink *bsink, GstQuery *query)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(bsink);
    GstBufferPool *pool;
    GstStructure *config;
    GstVideoInfo info;
    GstCaps *caps;
    gboolean need_pool;

    gst_query_parse_allocation(query, &caps, &need_pool);
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    if (!caps || !gst_video_info_from_caps(&info, caps))
        return TRUE;
    pool = g_object_new(gst_shmout_pool_get_type(), NULL);
    gst_object_ref_sink(pool);
    ((GstShmoutPool *)pool)->sink = gst_object_ref(sink);
    config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, GST_VIDEO_INFO_SIZE(&info), 0, 0);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config)) {
        gst_object_unref(pool);
        return TRUE;                /* caps a block cannot hold: set_caps says why */
    }
    gst_query_add_allocation_pool(query, pool, GST_VIDEO_INFO_SIZE(&info), 0, 0);
    gst_object_unref(pool);
    return TRUE;
}

/* Called with wlock held, before the first frame is published. */
static GstFlowReturn wait_for_readers(GstShmoutSink *sink)
{
    gint count, timeout;
    int ret;

    GST_OBJECT_LOCK(sink);
    count = sink->wait_readers;
    timeout = sink->wait_readers_timeout;
    GST_OBJECT_UNLOCK(sink);
    if (count > 0) {
        GST_INFO_OBJECT(sink, "waiting for %d reader(s) of block '%s'", count, sink->name);
        ret = shmout_writer_wait_readers(sink->w, count, timeout);
        if (ret == -EINTR)
            return GST_FLOW_FLUSHING;
        if (ret < 0)
            GST_ELEMENT_WARNING(sink, RESOURCE, WRITE,
                                ("wait-readers=%d: %s; publishing anyway", count,
                                 shmout_errmsg()),
                                ("raise wait-readers-timeout (-1: forever) or start the "
                                 "reader(s) first"));
    }
    sink->readers_waited = TRUE;
    g_atomic_int_set(&sink->ready, 1);
    return GST_FLOW_OK;
}

static GstFlowReturn copy_frame(GstShmoutSink *sink, GstBuffer *buf)
{
    GstVideoFrame vf;
    uint8_t *data[4];
    int linesize[4], ret;
    guint64 next = shmout_writer_frames(sink->w) + 1;
    gboolean free_slot = TRUE;

    /* the slot of frame next may be the lent buffer's (see the top of the file) */
    g_mutex_lock(&sink->so.lock);
    if (sink->so.lent && sink->so.lent->slot &&
        sink->so.lent->frame % sink->w_slots == next % sink->w_slots)
        free_slot = detach_lent(sink, DETACH_TIMEOUT_US);
    g_mutex_unlock(&sink->so.lock);
    if (!free_slot) {
        GST_ELEMENT_ERROR(sink, STREAM, FAILED,
                          ("upstream holds a buffer of shmoutsink's pool mapped while sending "
                           "others; shmoutsink cannot write the block's next slot, which that "
                           "buffer occupies, without tearing it"),
                          ("waited 1 s for it to be unmapped; put a queue or videoconvert "
                           "before shmoutsink"));
        return GST_FLOW_ERROR;
    }
    ret = shmout_writer_begin_frame(sink->w, data, linesize);
    if (ret == -EINTR)
        return GST_FLOW_FLUSHING;
    if (ret < 0) {
        GST_ELEMENT_ERROR(sink, RESOURCE, WRITE, ("block '%s': %s", sink->name, shmout_errmsg()),
                          (NULL));
        return GST_FLOW_ERROR;
    }
    if (!gst_video_frame_map(&vf, &sink->info, buf, GST_MAP_READ)) {
        GST_ELEMENT_ERROR(sink, STREAM, FORMAT, ("shmoutsink cannot map a buffer as %dx%d %s",
                          GST_VIDEO_INFO_WIDTH(&sink->info), GST_VIDEO_INFO_HEIGHT(&sink->info),
                          gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&sink->info))),
                          ("the buffer is smaller than its caps say"));
        return GST_FLOW_ERROR;
    }
    for (guint p = 0; p < sink->geom.nb_planes; p++) {
        const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);

        if (stride == linesize[p]) {
            memcpy(data[p], src, (gsize)stride * (sink->geom.plane_height[p] - 1) +
                   sink->geom.plane_bytewidth[p]);
            continue;
        }
        for (guint y = 0; y < sink->geom.plane_height[p]; y++)
            memcpy(data[p] + (gsize)y * linesize[p], src + (gssize)y * stride,
                   sink->geom.plane_bytewidth[p]);
    }
    gst_video_frame_unmap(&vf);
    return GST_FLOW_OK;
}

static GstFlowReturn sink_render(GstBaseSink *bsink, GstBuffer *buf)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(bsink);
    struct shmout_frame_meta meta;
    GstMemory *mem = gst_buffer_n_memory(buf) == 1 ? gst_buffer_peek_memory(buf, 0) : NULL;
    GstShmoutSlotMemory *m = gst_shmout_slot_is(&sink->so, mem) ? (GstShmoutSlotMemory *)mem : NULL;
    GstFlowReturn fr = GST_FLOW_OK;
    gboolean zero_copy;

    memset(&meta, 0, sizeof(meta));
    /* pts in ns, tb 1/1000000000: the buffer's running time (its PTS in the stream's time,
     * which keeps growing across segments, e.g. after concat), the PTS itself if it has none */
    meta.pts = SHMOUT_NOPTS;
    if (GST_BUFFER_PTS_IS_VALID(buf)) {
        GstClockTime rt = GST_CLOCK_TIME_NONE;

        GST_OBJECT_LOCK(sink);
        if (bsink->segment.format == GST_FORMAT_TIME)
            rt = gst_segment_to_running_time(&bsink->segment, GST_FORMAT_TIME,
                                             GST_BUFFER_PTS(buf));
        GST_OBJECT_UNLOCK(sink);
        meta.pts = (int64_t)(GST_CLOCK_TIME_IS_VALID(rt) ? rt : GST_BUFFER_PTS(buf));
    }
    meta.duration = GST_BUFFER_DURATION_IS_VALID(buf) ? (int64_t)GST_BUFFER_DURATION(buf) : 0;
    meta.tb_num = 1;
    meta.tb_den = 1000000000;

    g_mutex_lock(&sink->wlock);
    if (!sink->w) {
        g_mutex_unlock(&sink->wlock);
        GST_ELEMENT_ERROR(sink, CORE, NEGOTIATION, ("shmoutsink got a buffer before caps"),
                          (NULL));
        return GST_FLOW_NOT_NEGOTIATED;
    }
    if (!sink->readers_waited && (fr = wait_for_readers(sink)) != GST_FLOW_OK)
        goto out;
    if (!shmout_writer_get_active(sink->w)) {
        /* the block's owner switched it off: consume, publish nothing */
        g_mutex_lock(&sink->so.lock);
        sink->dropped++;
        g_mutex_unlock(&sink->so.lock);
        goto out;
    }
    g_mutex_lock(&sink->so.lock);
    zero_copy = m && m == sink->so.lent && m->slot && !m->published && m->gen == sink->gen &&
                m->frame == shmout_writer_frames(sink->w) + 1;
    g_mutex_unlock(&sink->so.lock);
    if (!zero_copy && (fr = copy_frame(sink, buf)) != GST_FLOW_OK)
        goto out;
    if (shmout_writer_publish(sink->w, &meta) < 0) {
        GST_ELEMENT_ERROR(sink, RESOURCE, WRITE, ("block '%s': %s", sink->name, shmout_errmsg()),
                          (NULL));
        fr = GST_FLOW_ERROR;
        goto out;
    }
    g_mutex_lock(&sink->so.lock);
    if (zero_copy)
        m->published = TRUE;
    sink->published++;
    if (zero_copy)
        sink->zero_copy++;
    else
        sink->copied++;
    g_mutex_unlock(&sink->so.lock);
out:
    g_mutex_unlock(&sink->wlock);
    return fr;
}

/* ---- GObject ---------------------------------------------------------------------------------- */

static void sink_finalize(GObject *obj)
{
    GstShmoutSink *sink = GST_SHMOUT_SINK(obj);

    shmout_writer_close(sink->w);
    g_free(sink->block);
    g_free(sink->name);
    g_mutex_clear(&sink->wlock);
    gst_shmout_slot_owner_clear(&sink->so);
    G_OBJECT_CLASS(gst_shmout_sink_parent_class)->finalize(obj);
}

static void gst_shmout_sink_class_init(GstShmoutSinkClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GstElementClass *ec = GST_ELEMENT_CLASS(klass);
    GstBaseSinkClass *bc = GST_BASE_SINK_CLASS(klass);
    const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                           GST_PARAM_MUTABLE_READY;

    oc->set_property = set_property;
    oc->get_property = get_property;
    oc->finalize = sink_finalize;

    g_object_class_install_property(oc, PROP_BLOCK,
        g_param_spec_string("block", "Block",
                            "Name of the block to write (readers: ffmpeg -f shmin -i NAME, "
                            "shmoutsrc block=NAME); unset: the element's name, so "
                            "'shmoutsink name=cam1' writes block cam1", NULL, rw));
    g_object_class_install_property(oc, PROP_MEMTYPE,
        g_param_spec_enum("memtype", "Memory type",
                          "Namespace of the block: local (this user's) or global",
                          GST_TYPE_SHMOUT_MEMTYPE, SHMOUT_MEMTYPE_LOCAL, rw));
    g_object_class_install_property(oc, PROP_SLOTS,
        g_param_spec_uint("slots", "Slots", "Frames in the block's ring",
                          SHMOUT_MIN_SLOTS, SHMOUT_MAX_SLOTS, 3, rw));
    g_object_class_install_property(oc, PROP_FILL_MODE,
        g_param_spec_enum("fill-mode", "Fill mode",
                          "Viewer hint: how to fit the frame into the viewer's area",
                          GST_TYPE_SHMOUT_FILL_MODE, SHMOUT_FILL_FILL,
                          rw | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(oc, PROP_FILTER_TYPE,
        g_param_spec_enum("filter-type", "Filter type",
                          "Viewer hint: the scaling filter (smoothness)",
                          GST_TYPE_SHMOUT_FILTER, SHMOUT_SMOOTH_LINEAR,
                          rw | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(oc, PROP_WAIT_READERS,
        g_param_spec_int("wait-readers", "Wait for readers",
                         "Publish nothing until this many readers are attached (like ffmpeg's "
                         "-wait_readers), so they miss no frame; 0: don't wait",
                         0, 1000, 0, rw));
    g_object_class_install_property(oc, PROP_WAIT_READERS_TIMEOUT,
        g_param_spec_int("wait-readers-timeout", "Wait-readers timeout",
                         "Longest wait for wait-readers, in ms (-1: forever); then a warning is "
                         "posted and publishing starts anyway", -1, G_MAXINT, 10000, rw));
    g_object_class_install_property(oc, PROP_LOSSLESS_TIMEOUT,
        g_param_spec_uint("lossless-timeout", "Lossless timeout",
                          "Longest wait per frame for a lossless reader (ffmpeg -f shmin -mode "
                          "lossless) before it is evicted, in ms",
                          1, SHMOUT_LOSSLESS_TIMEOUT_MAX_MS, 1000, rw));
    g_object_class_install_property(oc, PROP_STATS,
        g_param_spec_boxed("stats", "Statistics",
                           "Frames published, zero-copy (straight from a slot buffer of the "
                           "sink's pool), copied, dropped (block inactive), detached (slot "
                           "buffers moved to private memory), lossless-waits, evictions",
                           GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

    gst_element_class_set_static_metadata(ec, "shmout video sink", "Sink/Video",
        "Writes raw video into a shmout shared-memory block (read it with ffmpeg -f shmin, "
        "shmoutsrc, the shmout viewers), zero-copy from its own buffer pool",
        "the shmout authors");
    gst_element_class_add_pad_template(ec,
        gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, gst_shmout_template_caps()));

    bc->start = sink_start;
    bc->stop = sink_stop;
    bc->unlock = sink_unlock;
    bc->unlock_stop = sink_unlock_stop;
    bc->set_caps = sink_set_caps;
    bc->propose_allocation = sink_propose_allocation;
    bc->render = sink_render;

    gst_type_mark_as_plugin_api(GST_TYPE_SHMOUT_MEMTYPE, 0);
    gst_type_mark_as_plugin_api(GST_TYPE_SHMOUT_FILL_MODE, 0);
    gst_type_mark_as_plugin_api(GST_TYPE_SHMOUT_FILTER, 0);
}

static void gst_shmout_sink_init(GstShmoutSink *sink)
{
    sink->memtype = SHMOUT_MEMTYPE_LOCAL;
    sink->slots = 3;
    sink->fill_mode = SHMOUT_FILL_FILL;
    sink->filter_type = SHMOUT_SMOOTH_LINEAR;
    sink->wait_readers = 0;
    sink->wait_readers_timeout = 10000;
    sink->lossless_timeout = 1000;
    g_mutex_init(&sink->wlock);
    gst_shmout_slot_owner_init(&sink->so);
    /* a kept last sample would pin the lent slot buffer until the next render */
    gst_base_sink_set_last_sample_enabled(GST_BASE_SINK(sink), FALSE);
}
