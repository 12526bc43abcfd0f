/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * src.c - shmoutsrc: a live GStreamer source that reads the frames of a shmout block.
 *
 * The block's writer decides the caps: the first frame's geometry (and its duration, for the
 * frame rate) becomes the source's caps, and a frame whose geometry differs renegotiates before
 * it is pushed. Each frame is copied once, by shmout_reader_read (which never returns a torn
 * frame), into a buffer of downstream's pool (or a GstVideoBufferPool) mapped as a
 * GstVideoFrame, so GStreamer's strides may differ from the block's. Waiting is the library's
 * futex wait in slices of WAIT_SLICE_MS, so unlock() stops the streaming thread promptly.
 * Timestamps: the frame's CLOCK_MONOTONIC publish time, mapped onto the pipeline clock.
 *
 * Zero copy in mode=lossless. A registered lossless reader's acquired frame is protected: the
 * writer does not overwrite it until the reader's next acquire or validate, for at most its
 * lossless timeout, then evicts the reader (PROTOCOL.md §21). So in lossless mode create()
 * acquires the frame and pushes a buffer whose one read-only GstMemory (gst/slotmem.c, shared
 * with shmoutsink) IS the slot, with a GstVideoMeta of the block's plane offsets and strides.
 * Only when downstream takes GstVideoMeta (allocation query) or the block's layout is
 * GStreamer's default for the caps, only while the writer honours the registration
 * (stats.registered LOSSLESS), not for a frame published before a (re)registration took effect
 * (at open, after an eviction or a data-object move: the writer's write in progress then may be
 * over it) and not for a frame already half the timeout old; otherwise the frame is copied from
 * the acquired view into a pool buffer and validated (stats: copied).
 *
 * One slot buffer is outstanding at a time. Before the next acquire (which gives the frame back
 * to the writer and may unmap it), and at stop() before the reader is closed, a slot buffer
 * still alive (a queue, a tee branch, a sink's last sample hold it) is "detached": its bytes
 * are copied to private memory and its memory maps those from then on, so its holders keep the
 * same content (stats: detached). A mapped one is waited for, at most DETACH_WAIT_US and never
 * beyond 3/4 of the writer's lossless timeout; past that the element posts an error rather
 * than give the frame back under a reader (at stop: a warning, and the buffer keeps the reader
 * open, so its mapping, until it is freed).
 *
 * The watchdog thread bounds the hold when the streaming thread is blocked (downstream does not
 * take the next buffer): at half the writer's lossless timeout (the block header's
 * lossless_timeout_ms, read from our own read-only map of the primary object; 2 *
 * HOLD_DEFAULT_US if unknown) it detaches the slot buffer and gives the frame back itself
 * (validate). The bounds count from the frame's publish, not its acquire: the writer may have
 * been waiting for that frame (unread) before we acquired it. Reader calls are serialised by
 * rlock (the library's reader is not thread-safe). A stall longer than the timeout still gets
 * the reader evicted (frames lost, as in copy mode), but never tears a held frame. The
 * remaining window: a downstream element that keeps the memory MAPPED past the bounds gets an
 * element error (and may then see the writer overwrite it once it evicts us); every given-back
 * frame is validated, so such a tear is always reported, never silent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gst/base/gstpushsrc.h>
#include <gst/video/gstvideometa.h>
#include <gst/video/gstvideopool.h>

#include "shmoutgst.h"

#define GST_CAT_DEFAULT gst_shmout_debug

#define WAIT_SLICE_MS 50
#define DETACH_WAIT_US (500 * G_TIME_SPAN_MILLISECOND)   /* longest wait for an unmap */
#define HOLD_DEFAULT_US (250 * G_TIME_SPAN_MILLISECOND)  /* watchdog, lossless timeout unknown */

typedef enum {
    SRC_MEMTYPE_AUTO = 0,
    SRC_MEMTYPE_LOCAL = SHMOUT_MEMTYPE_LOCAL,
    SRC_MEMTYPE_GLOBAL = SHMOUT_MEMTYPE_GLOBAL,
} GstShmoutSrcMemtype;

typedef enum {
    SRC_ON_CLOSE_EOS = 0,
    SRC_ON_CLOSE_WAIT = 1,
} GstShmoutSrcOnClose;

#define DEFAULT_MEMTYPE SRC_MEMTYPE_LOCAL
#define DEFAULT_MODE SHMOUT_READ_LATEST
#define DEFAULT_TIMEOUT 5000
#define DEFAULT_ON_CLOSE SRC_ON_CLOSE_EOS

typedef struct {
    GstPushSrc parent;

    /* properties, under the object lock; taken at start() */
    gchar *block;
    gint memtype;
    gint mode;
    gint timeout;
    gint on_close;

    /* the running source (streaming thread, after start()) */
    gchar *name;                /* block name in use */
    gint use_memtype;           /* property value at start (may be auto) */
    gint use_mode, use_timeout, use_on_close;
    gint opened_memtype;        /* the memtype the block was found in */
    shmout_reader *reader;
    gint64 deadline_ns;         /* CLOCK_MONOTONIC end of the open/first-frame wait, -1 none */
    gboolean have_frame;        /* a frame was pushed */
    gboolean have_geometry;
    struct shmout_geometry geometry;    /* of the current caps */
    GstVideoInfo info;                  /* the current caps */
    GstClockTime latency;               /* reported: about a frame's duration, NONE unknown */
    gint flushing;                      /* atomic: unlock() was called */
    gboolean negotiate_error;           /* src_negotiate posted the error */
    gulong backoff_us;                  /* after reads that found no intact frame */

    /* lossless zero copy (see the top of the file); so.lock guards so.lent (the pushed slot
     * buffer's memory while it is on its slot), the view_* flags, the watchdog's state and the
     * counters */
    GstShmoutSlotOwner so;
    struct shmout_frame_view view;      /* the frame acquired last (streaming thread) */
    gboolean view_pushed;               /* a slot buffer over it was pushed */
    gboolean view_detached;             /* its slot buffer was detached */
    gint64 view_since_us;               /* its publish (g_get_monotonic_time() clock), or its
                                           acquire if earlier: the writer's wait for it may
                                           have started then */
    gint64 timeout_us;                  /* the writer's lossless timeout, 2 * HOLD_DEFAULT_US
                                           if unknown */
    gboolean downstream_meta;           /* the allocation query has GstVideoMeta */
    gboolean reg_pending;               /* (re)registered at reg_ns: frames published before */
    gint64 reg_ns;                      /* may still be overwritten (see create_lossless) */
    guint64 last_evictions, last_reattaches;    /* reader stats at the last acquire */
    const struct shmout_header *hdr;    /* the block's primary object, read-only, or NULL */
    GMutex rlock;                       /* every reader call, in lossless mode also the
                                           watchdog's; taken before so.lock */
    gint watchdog_wants;                /* atomic: the watchdog waits for rlock */
    GThread *watchdog;
    gboolean watchdog_quit;
    gboolean watchdog_failed;           /* the pushed one stayed mapped: not retried */
    guint64 frames, zero_copy, copied, watchdog_detached, evictions;
} GstShmoutSrc;

typedef struct {
    GstPushSrcClass parent_class;
} GstShmoutSrcClass;

#define GST_TYPE_SHMOUT_SRC (gst_shmout_src_get_type())
#define GST_SHMOUT_SRC(obj) (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_SHMOUT_SRC, GstShmoutSrc))

G_DEFINE_TYPE(GstShmoutSrc, gst_shmout_src, GST_TYPE_PUSH_SRC)

enum {
    PROP_0,
    PROP_BLOCK,
    PROP_MEMTYPE,
    PROP_MODE,
    PROP_TIMEOUT,
    PROP_ON_CLOSE,
    PROP_STATS,
};

static GType memtype_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { SRC_MEMTYPE_LOCAL, "this user's block (ffmpeg -memtype local, the default)", "local" },
        { SRC_MEMTYPE_GLOBAL, "a block visible to every user (ffmpeg -memtype global)", "global" },
        { SRC_MEMTYPE_AUTO, "local if that block exists, else global; waits for either", "auto" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstShmoutSrcMemtype", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

static GType mode_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { SHMOUT_READ_LATEST, "the newest frame; frames the pipeline is too slow for are "
          "skipped (lowest latency, a viewer)", "latest" },
        { SHMOUT_READ_EVERY, "every frame still in the writer's ring, oldest first; frames "
          "the writer overwrote before they were read are lost", "every" },
        { SHMOUT_READ_LOSSLESS, "every frame: the writer waits for this reader (for at most "
          "its lossless timeout per frame), nothing is lost (recording)", "lossless" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstShmoutSrcMode", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

static GType on_close_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { SRC_ON_CLOSE_EOS, "end of stream when the writer closes the block or dies", "eos" },
        { SRC_ON_CLOSE_WAIT, "keep waiting and go on with the next writer of the block", "wait" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstShmoutSrcOnClose", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

static gint64 mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *memtype_label(gint memtype)
{
    return memtype == SRC_MEMTYPE_AUTO ? "local or global" : shmout_memtype_name(memtype);
}

/* ---- properties --------------------------------------------------------------------------- */

static void src_set_property(GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_BLOCK:
        g_free(self->block);
        self->block = g_value_dup_string(value);
        break;
    case PROP_MEMTYPE:
        self->memtype = g_value_get_enum(value);
        break;
    case PROP_MODE:
        self->mode = g_value_get_enum(value);
        break;
    case PROP_TIMEOUT:
        self->timeout = g_value_get_int(value);
        break;
    case PROP_ON_CLOSE:
        self->on_close = g_value_get_enum(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void src_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_BLOCK:
        g_value_set_string(value, self->block);
        break;
    case PROP_MEMTYPE:
        g_value_set_enum(value, self->memtype);
        break;
    case PROP_MODE:
        g_value_set_enum(value, self->mode);
        break;
    case PROP_TIMEOUT:
        g_value_set_int(value, self->timeout);
        break;
    case PROP_ON_CLOSE:
        g_value_set_enum(value, self->on_close);
        break;
    case PROP_STATS:
        GST_OBJECT_UNLOCK(self);
        g_mutex_lock(&self->so.lock);
        g_value_take_boxed(value, gst_structure_new("stats",
            "frames", G_TYPE_UINT64, self->frames,
            "zero-copy", G_TYPE_UINT64, self->zero_copy,
            "copied", G_TYPE_UINT64, self->copied,
            "detached", G_TYPE_UINT64, self->so.detached,
            "watchdog-detached", G_TYPE_UINT64, self->watchdog_detached,
            "evictions", G_TYPE_UINT64, self->evictions, NULL));
        g_mutex_unlock(&self->so.lock);
        return;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void src_finalize(GObject *object)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(object);

    shmout_reader_close(self->reader);
    g_free(self->block);
    g_free(self->name);
    gst_shmout_slot_owner_clear(&self->so);
    g_mutex_clear(&self->rlock);
    G_OBJECT_CLASS(gst_shmout_src_parent_class)->finalize(object);
}

/* ---- lossless zero copy: the watchdog, the writer's timeout -------------------------------- */

/* Detach the pushed slot buffer half the writer's lossless timeout after its acquire (see the
 * top of the file). */
static void reader_lock(GstShmoutSrc *self)
{
    /* the streaming thread takes rlock for each slice of its waits: let a waiting watchdog in */
    while (g_atomic_int_get(&self->watchdog_wants))
        g_usleep(100);
    g_mutex_lock(&self->rlock);
}

static gpointer watchdog_run(gpointer data)
{
    GstShmoutSrc *self = data;

    g_mutex_lock(&self->so.lock);
    while (!self->watchdog_quit) {
        gint64 due = self->view_since_us + self->timeout_us / 2;
        gboolean stuck = FALSE, torn = FALSE;
        int ret;

        if (!self->view_pushed || self->watchdog_failed) {
            g_cond_wait(&self->so.cond, &self->so.lock);
            continue;
        }
        if (g_get_monotonic_time() < due) {
            g_cond_wait_until(&self->so.cond, &self->so.lock, due);
            continue;
        }
        /* rlock before so.lock; the streaming thread cannot acquire meanwhile */
        g_mutex_unlock(&self->so.lock);
        g_atomic_int_set(&self->watchdog_wants, 1);
        g_mutex_lock(&self->rlock);
        g_atomic_int_set(&self->watchdog_wants, 0);
        g_mutex_lock(&self->so.lock);
        if (self->view_pushed && !self->watchdog_failed) {
            ret = gst_shmout_slot_detach(&self->so,
                                         self->view_since_us + self->timeout_us * 3 / 4);
            if (ret > 0) {
                self->view_detached = TRUE;
                self->watchdog_detached++;
            }
            if (ret >= 0) {
                /* off its slot (or freed): give the frame back before the writer evicts us */
                torn = shmout_reader_validate(self->reader, &self->view) < 0;
                self->view_pushed = FALSE;
                GST_DEBUG_OBJECT(self, "watchdog: frame %" G_GUINT64_FORMAT " %s, released",
                                 self->view.meta.frame_number, ret > 0 ? "detached" : "freed");
            } else {
                stuck = TRUE;
                self->watchdog_failed = TRUE;
            }
        }
        g_mutex_unlock(&self->so.lock);
        g_mutex_unlock(&self->rlock);
        if (stuck)
            GST_ELEMENT_ERROR(self, STREAM, FAILED,
                              ("a buffer shmoutsrc pushed (a frame of block '%s', lent from the "
                               "block in mode=lossless) stays mapped downstream for longer "
                               "than the writer waits for this reader", self->name),
                              ("mapped for more than 3/4 of the writer's lossless timeout (%"
                               G_GINT64_FORMAT " ms); an element that keeps a frame mapped "
                               "that long must copy it", self->timeout_us / 1000));
        if (torn)
            GST_ELEMENT_ERROR(self, STREAM, FAILED,
                              ("frame %" G_GUINT64_FORMAT " of block '%s' was overwritten by "
                               "the writer while downstream held it",
                               self->view.meta.frame_number, self->name),
                              ("the writer evicted this lossless reader"));
        g_mutex_lock(&self->so.lock);
    }
    g_mutex_unlock(&self->so.lock);
    return NULL;
}

/* Map the block's primary object to read the writer's lossless timeout (header field
 * lossless_timeout_ms, PROTOCOL.md §4, §21); without it the watchdog uses HOLD_DEFAULT_US. */
static void map_primary(GstShmoutSrc *self)
{
    char obj[128];
    struct stat st;
    void *p;
    int fd;

    if (self->hdr ||
        shmout_object_name(self->name, self->opened_memtype, obj, sizeof(obj)) < 0 ||
        (fd = shm_open(obj, O_RDONLY | O_CLOEXEC, 0)) < 0)
        return;
    p = fstat(fd, &st) == 0 && st.st_size >= (off_t)SHMOUT_PRIMARY_SIZE ?
        mmap(NULL, SHMOUT_PRIMARY_SIZE, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
    close(fd);
    if (p != MAP_FAILED)
        self->hdr = p;
}

static gint64 writer_timeout_us(const GstShmoutSrc *self)
{
    guint32 ms = self->hdr ? __atomic_load_n(&self->hdr->lossless_timeout_ms, __ATOMIC_RELAXED)
                           : 0;

    /* the header is untrusted: a value out of the protocol's range is "unknown" */
    if (ms < 1 || ms > SHMOUT_LOSSLESS_TIMEOUT_MAX_MS)
        return 2 * HOLD_DEFAULT_US;
    return (gint64)ms * G_TIME_SPAN_MILLISECOND;
}

/* ---- start / stop / unlock ---------------------------------------------------------------- */

static gboolean src_start(GstBaseSrc *bsrc)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);
    char err[256];

    GST_OBJECT_LOCK(self);
    g_free(self->name);
    self->name = g_strdup(self->block && self->block[0] ? self->block : GST_OBJECT_NAME(self));
    self->use_memtype = self->memtype;
    self->use_mode = self->mode;
    self->use_timeout = self->timeout;
    self->use_on_close = self->on_close;
    GST_OBJECT_UNLOCK(self);

    if (shmout_name_validate(self->name, err, sizeof(err)) < 0) {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                          ("'%s' is not a valid block name: %s", self->name, err),
                          ("set block=NAME (or name=NAME) to the writer's block name, e.g. the "
                           "NAME of ffmpeg ... -f shmout NAME; `shmout ls` lists the blocks"));
        return FALSE;
    }
    if (self->use_timeout < -1) {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                          ("timeout=%d is not valid: give milliseconds, or -1 to wait forever",
                           self->use_timeout), (NULL));
        return FALSE;
    }
    self->reader = NULL;
    self->deadline_ns = -1;
    self->have_frame = FALSE;
    self->have_geometry = FALSE;
    self->backoff_us = 0;
    self->latency = GST_CLOCK_TIME_NONE;
    gst_video_info_init(&self->info);
    g_atomic_int_set(&self->flushing, 0);
    g_mutex_lock(&self->so.lock);
    self->view_pushed = FALSE;
    self->view_detached = FALSE;
    self->timeout_us = 2 * HOLD_DEFAULT_US;
    self->watchdog_quit = FALSE;
    self->watchdog_failed = FALSE;
    self->frames = self->zero_copy = self->copied = self->so.detached = 0;
    self->watchdog_detached = self->evictions = 0;
    g_mutex_unlock(&self->so.lock);
    if (self->use_mode == SHMOUT_READ_LOSSLESS)
        self->watchdog = g_thread_new("shmoutsrc-watchdog", watchdog_run, self);
    GST_INFO_OBJECT(self, "reading block '%s' (%s), mode %d", self->name,
                    memtype_label(self->use_memtype), self->use_mode);
    return TRUE;
}

static gboolean src_stop(GstBaseSrc *bsrc)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);
    GstShmoutSlotMemory *orphan = NULL;

    if (self->watchdog) {
        g_mutex_lock(&self->so.lock);
        self->watchdog_quit = TRUE;
        g_cond_broadcast(&self->so.cond);
        g_mutex_unlock(&self->so.lock);
        g_thread_join(self->watchdog);
        self->watchdog = NULL;
    }
    /* closing the reader unmaps the slot a pushed buffer may still be on */
    g_mutex_lock(&self->so.lock);
    if (gst_shmout_slot_detach(&self->so, g_get_monotonic_time() + DETACH_WAIT_US) < 0 &&
        self->reader) {
        /* still mapped: the buffer keeps the reader (its mapping, its registration) until
         * it is freed; the writer evicts the reader at its lossless timeout */
        orphan = self->so.lent;
        orphan->keep = self->reader;
        orphan->keep_free = (GDestroyNotify)shmout_reader_close;
        self->so.lent = NULL;
        self->reader = NULL;
    }
    self->view_pushed = FALSE;
    g_mutex_unlock(&self->so.lock);
    if (orphan)
        GST_ELEMENT_WARNING(self, STREAM, FAILED,
                            ("a buffer shmoutsrc pushed is still mapped downstream at stop; the "
                             "reader of block '%s' stays open until it is freed", self->name),
                            (NULL));
    if (self->hdr)
        munmap((void *)(uintptr_t)self->hdr, SHMOUT_PRIMARY_SIZE);
    self->hdr = NULL;
    shmout_reader_close(self->reader);
    self->reader = NULL;
    self->have_geometry = FALSE;
    return TRUE;
}

static gboolean src_unlock(GstBaseSrc *bsrc)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);

    g_atomic_int_set(&self->flushing, 1);
    return TRUE;
}

static gboolean src_unlock_stop(GstBaseSrc *bsrc)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);

    g_atomic_int_set(&self->flushing, 0);
    return TRUE;
}

static int open_interrupt(void *opaque)
{
    GstShmoutSrc *self = opaque;

    return g_atomic_int_get(&self->flushing);
}

/* ---- caps and allocation ------------------------------------------------------------------ */

static GstCaps *src_get_caps(GstBaseSrc *bsrc, GstCaps *filter)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);
    GstCaps *caps = NULL;

    GST_OBJECT_LOCK(self);
    if (self->have_geometry)
        caps = gst_video_info_to_caps(&self->info);
    GST_OBJECT_UNLOCK(self);
    if (!caps)
        caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(bsrc));
    if (filter) {
        GstCaps *tmp = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = tmp;
    }
    return caps;
}

/* The caps are the block's: nothing to negotiate before the first frame, and after it only
 * whether downstream takes them. */
static gboolean src_negotiate(GstBaseSrc *bsrc)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);
    GstCaps *caps, *peer;
    gboolean ok;

    if (!self->have_geometry)
        return TRUE;
    caps = gst_video_info_to_caps(&self->info);
    peer = gst_pad_peer_query_caps(GST_BASE_SRC_PAD(bsrc), caps);
    if (!peer || gst_caps_is_empty(peer)) {
        gchar *s = gst_caps_to_string(caps);
        GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                          ("downstream of shmoutsrc cannot take the block's %dx%d %s frames; "
                           "put videoconvert (and videoscale) after shmoutsrc",
                           GST_VIDEO_INFO_WIDTH(&self->info), GST_VIDEO_INFO_HEIGHT(&self->info),
                           GST_VIDEO_INFO_NAME(&self->info)),
                          ("caps %s", s));
        g_free(s);
        self->negotiate_error = TRUE;
        if (peer)
            gst_caps_unref(peer);
        gst_caps_unref(caps);
        return FALSE;
    }
    gst_caps_unref(peer);
    GST_DEBUG_OBJECT(self, "caps %" GST_PTR_FORMAT, caps);
    ok = gst_base_src_set_caps(bsrc, caps);
    gst_caps_unref(caps);
    return ok;
}

static gboolean src_decide_allocation(GstBaseSrc *bsrc, GstQuery *query)
{
    GstCaps *caps;
    GstVideoInfo vinfo;
    GstBufferPool *pool = NULL;
    GstStructure *config;
    guint size, min = 0, max = 0;
    gboolean update;

    gst_query_parse_allocation(query, &caps, NULL);
    GST_SHMOUT_SRC(bsrc)->downstream_meta =
        gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    if (!caps || !gst_video_info_from_caps(&vinfo, caps))
        return GST_BASE_SRC_CLASS(gst_shmout_src_parent_class)->decide_allocation(bsrc, query);
    size = (guint)vinfo.size;
    update = gst_query_get_n_allocation_pools(query) > 0;
    if (update) {
        gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
        size = MAX(size, (guint)vinfo.size);
    }
    if (!pool)
        pool = gst_video_buffer_pool_new();
    config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, size, min, max);
    if (gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL))
        gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (!gst_buffer_pool_set_config(pool, config)) {
        /* downstream's pool changed the parameters: take them if they still fit */
        config = gst_buffer_pool_get_config(pool);
        if (!gst_buffer_pool_config_validate_params(config, caps, size, min, max) ||
            !gst_buffer_pool_set_config(pool, config)) {
            gst_object_unref(pool);
            pool = gst_video_buffer_pool_new();
            config = gst_buffer_pool_get_config(pool);
            gst_buffer_pool_config_set_params(config, caps, (guint)vinfo.size, min, max);
            gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
            if (!gst_buffer_pool_set_config(pool, config)) {
                gst_object_unref(pool);
                return FALSE;
            }
            size = (guint)vinfo.size;
        }
    }
    if (update)
        gst_query_set_nth_allocation_pool(query, 0, pool, size, min, max);
    else
        gst_query_add_allocation_pool(query, pool, size, min, max);
    gst_object_unref(pool);
    return GST_BASE_SRC_CLASS(gst_shmout_src_parent_class)->decide_allocation(bsrc, query);
}

static gboolean src_query(GstBaseSrc *bsrc, GstQuery *query)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(bsrc);

    if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
        GstClockTime min;

        GST_OBJECT_LOCK(self);
        min = GST_CLOCK_TIME_IS_VALID(self->latency) ? self->latency : 0;
        GST_OBJECT_UNLOCK(self);
        /* frames are pushed right after their publish (their PTS); one frame of latency
         * gives downstream a frame's time to convert before a synchronising sink renders */
        gst_query_set_latency(query, TRUE, min, GST_CLOCK_TIME_NONE);
        return TRUE;
    }
    return GST_BASE_SRC_CLASS(gst_shmout_src_parent_class)->query(bsrc, query);
}

/* The frame rate a frame's duration implies (0/1: unknown). */
static void frame_rate(const struct shmout_frame_meta *m, gint *fps_n, gint *fps_d)
{
    gint64 n = m->tb_den, d, g;

    *fps_n = 0;
    *fps_d = 1;
    if (m->duration <= 0 || m->tb_num <= 0 || m->tb_den <= 0 ||
        m->duration > G_MAXINT64 / m->tb_num)
        return;
    d = m->duration * (gint64)m->tb_num;
    g = gst_util_greatest_common_divisor_int64(n, d);
    if (g <= 0 || n / g > G_MAXINT || d / g > G_MAXINT)
        return;
    *fps_n = (gint)(n / g);
    *fps_d = (gint)(d / g);
}

/* Take the geometry of a frame as the source's caps: check GStreamer's layout can hold its
 * planes, then renegotiate (caps event, allocation query). */
static GstFlowReturn set_geometry(GstShmoutSrc *self, const struct shmout_geometry *g,
                                  const struct shmout_frame_meta *m)
{
    GstVideoInfo info;
    struct shmout_geometry want;
    GError *error = NULL;
    gint fps_n, fps_d;

    frame_rate(m, &fps_n, &fps_d);
    gst_video_info_init(&info);
    if (!gst_shmout_info_from_geometry(&info, g, fps_n, fps_d, &error)) {
        GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("block '%s': %s", self->name, error->message),
                          (NULL));
        g_clear_error(&error);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    /* downstream takes the pixels by format and size: the block's planes must be those of the
     * format at its size (as writers lay them out), or a hostile block could have us push
     * buffers whose rows are partly never written */
    if (shmout_geometry_init(&want, g->pix_fmt, g->width, g->height, 1) < 0 ||
        want.nb_planes != g->nb_planes) {
        GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("block '%s': its %ux%u %s frames have %u planes, "
                          "the format has %u", self->name, g->width, g->height, g->pix_fmt_name,
                          g->nb_planes, want.nb_planes), (NULL));
        return GST_FLOW_NOT_NEGOTIATED;
    }
    for (guint p = 0; p < g->nb_planes; p++) {
        if (want.plane_bytewidth[p] != g->plane_bytewidth[p] ||
            want.plane_height[p] != g->plane_height[p]) {
            GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                              ("block '%s': plane %u of its %ux%u %s frames (%u rows of %u "
                               "bytes) does not fit the format (%u rows of %u bytes)",
                               self->name, p, g->width, g->height, g->pix_fmt_name,
                               g->plane_height[p], g->plane_bytewidth[p], want.plane_height[p],
                               want.plane_bytewidth[p]), (NULL));
            return GST_FLOW_NOT_NEGOTIATED;
        }
    }
    /* buffer pools take sizes as guint */
    if (GST_VIDEO_INFO_SIZE(&info) > G_MAXUINT) {
        GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                          ("block '%s': its %ux%u %s frames (%" G_GSIZE_FORMAT " bytes) are "
                           "larger than GStreamer's buffers can be", self->name, g->width,
                           g->height, g->pix_fmt_name, GST_VIDEO_INFO_SIZE(&info)), (NULL));
        return GST_FLOW_NOT_NEGOTIATED;
    }
    for (guint p = 0; p < g->nb_planes; p++) {
        gint comp[GST_VIDEO_MAX_COMPONENTS];
        guint rows, bytes;

        gst_video_format_info_component(info.finfo, p, comp);
        rows = (guint)GST_VIDEO_INFO_COMP_HEIGHT(&info, comp[0]);
        bytes = (guint)GST_VIDEO_INFO_PLANE_STRIDE(&info, p);
        if (rows != g->plane_height[p] || bytes < g->plane_bytewidth[p]) {
            GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                              ("block '%s': plane %u of its %ux%u %s frames (%u rows of %u "
                               "bytes) does not fit GStreamer's %s (%u rows of %u bytes)",
                               self->name, p, g->width, g->height, g->pix_fmt_name, g->plane_height[p],
                               g->plane_bytewidth[p], GST_VIDEO_INFO_NAME(&info), rows, bytes),
                              (NULL));
            return GST_FLOW_NOT_NEGOTIATED;
        }
    }
    GST_INFO_OBJECT(self, "block '%s': %ux%u %s, %d/%d fps", self->name, g->width, g->height,
                    g->pix_fmt_name, fps_n, fps_d);
    GST_OBJECT_LOCK(self);
    self->geometry = *g;
    self->info = info;
    self->have_geometry = TRUE;
    GST_OBJECT_UNLOCK(self);
    self->negotiate_error = FALSE;
    if (!gst_base_src_negotiate(GST_BASE_SRC(self))) {
        if (!g_atomic_int_get(&self->flushing) && !self->negotiate_error)
            GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                              ("downstream of shmoutsrc refused the block's %ux%u %s frames; put "
                               "videoconvert after shmoutsrc", g->width, g->height,
                               GST_VIDEO_INFO_NAME(&info)), (NULL));
        return g_atomic_int_get(&self->flushing) ? GST_FLOW_FLUSHING : GST_FLOW_NOT_NEGOTIATED;
    }
    return GST_FLOW_OK;
}

/* Same caps apart from the layout (aspect, colour): a change there needs new caps too. */
static gboolean same_caps_geometry(const struct shmout_geometry *a,
                                   const struct shmout_geometry *b)
{
    return a->width == b->width && a->height == b->height && a->pix_fmt == b->pix_fmt &&
           a->nb_planes == b->nb_planes && a->sar_num == b->sar_num &&
           a->sar_den == b->sar_den && !memcmp(&a->color, &b->color, sizeof(a->color)) &&
           !memcmp(a->plane_bytewidth, b->plane_bytewidth, sizeof(a->plane_bytewidth)) &&
           !memcmp(a->plane_height, b->plane_height, sizeof(a->plane_height)) &&
           !strncmp(a->pix_fmt_name, b->pix_fmt_name, sizeof(a->pix_fmt_name));
}

/* ---- opening and waiting ------------------------------------------------------------------ */

static gint remaining_ms(GstShmoutSrc *self)
{
    gint64 left;

    if (self->deadline_ns < 0)
        return -1;
    left = self->deadline_ns - mono_ns();
    return left <= 0 ? 0 : (gint)((left + 999999) / 1000000);
}

static GstFlowReturn no_writer(GstShmoutSrc *self, const char *what)
{
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                      ("no writer %s block '%s' (%s memory) within %d ms", what, self->name,
                       memtype_label(self->use_memtype), self->use_timeout),
                      ("start the writer first (e.g. ffmpeg ... -f shmout %s), check the name "
                       "and memtype with `shmout ls`, or raise timeout (-1: wait forever)",
                       self->name));
    return GST_FLOW_ERROR;
}

static GstFlowReturn corrupt(GstShmoutSrc *self, int ret)
{
    GST_ELEMENT_ERROR(self, RESOURCE, READ,
                      ("cannot read block '%s' (%s memory): %s", self->name,
                       shmout_memtype_name(self->opened_memtype),
                       shmout_errmsg()[0] ? shmout_errmsg() : shmout_strerror(ret)),
                      ("error %d", ret));
    return GST_FLOW_ERROR;
}

static GstFlowReturn open_block(GstShmoutSrc *self)
{
    struct shmout_reader_options opts = { 0 };
    int ret, slice, left;

    opts.mode = self->use_mode;
    opts.interrupt = open_interrupt;
    opts.interrupt_opaque = self;
    if (self->use_timeout >= 0)
        self->deadline_ns = mono_ns() + (gint64)self->use_timeout * 1000000;
    for (;;) {
        if (g_atomic_int_get(&self->flushing))
            return GST_FLOW_FLUSHING;
        left = remaining_ms(self);
        if (self->use_memtype != SRC_MEMTYPE_AUTO) {
            self->opened_memtype = self->use_memtype;
            ret = shmout_reader_open_opts(&self->reader, self->name, self->use_memtype, left,
                                          &opts);
        } else {
            /* auto: local, else global, in turns of a slice each while neither exists */
            slice = left < 0 || left > 2 * WAIT_SLICE_MS ? WAIT_SLICE_MS : (left + 1) / 2;
            self->opened_memtype = SHMOUT_MEMTYPE_LOCAL;
            ret = shmout_reader_open_opts(&self->reader, self->name, SHMOUT_MEMTYPE_LOCAL,
                                          slice, &opts);
            if (ret == -ETIMEDOUT || ret == -ENOENT || ret == -EAGAIN) {
                self->opened_memtype = SHMOUT_MEMTYPE_GLOBAL;
                ret = shmout_reader_open_opts(&self->reader, self->name, SHMOUT_MEMTYPE_GLOBAL,
                                              slice, &opts);
            }
            if ((ret == -ETIMEDOUT || ret == -ENOENT || ret == -EAGAIN) && remaining_ms(self))
                continue;
        }
        if (ret == 0) {
            if (self->use_mode == SHMOUT_READ_LOSSLESS) {
                map_primary(self);
                self->reg_pending = TRUE;   /* registered in the open */
                self->reg_ns = mono_ns();
                self->last_evictions = self->last_reattaches = 0;
            }
            return GST_FLOW_OK;
        }
        if (ret == -EINTR)
            return GST_FLOW_FLUSHING;
        if (ret == -ETIMEDOUT || ret == -ENOENT || ret == -EAGAIN)
            return no_writer(self, "created");
        if (ret == -EINVAL) {
            GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("block '%s': %s", self->name,
                              shmout_errmsg()), (NULL));
            return GST_FLOW_ERROR;
        }
        if (ret == -EACCES || ret == -EPERM) {
            GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                              ("cannot open block '%s' (%s memory): %s", self->name,
                               shmout_memtype_name(self->opened_memtype), shmout_errmsg()),
                              (NULL));
            return GST_FLOW_ERROR;
        }
        return corrupt(self, ret);
    }
}

/* Wait until a frame newer than the last one read exists (GST_FLOW_OK), the writer is gone
 * (EOS), the pipeline stops (FLUSHING), or the open/first-frame timeout expires. */
static GstFlowReturn wait_frame(GstShmoutSrc *self)
{
    int ret, slice, left;

    for (;;) {
        if (g_atomic_int_get(&self->flushing))
            return GST_FLOW_FLUSHING;
        left = self->have_frame ? -1 : remaining_ms(self);
        slice = left >= 0 && left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS;
        reader_lock(self);
        ret = shmout_reader_wait(self->reader, slice);
        g_mutex_unlock(&self->rlock);
        if (ret == 0)
            return GST_FLOW_OK;
        if (ret == -ESHUTDOWN || ret == -ESTALE) {
            /* before the first frame a closed or stale block is a left-over of an earlier
             * writer: wait for the next one like for a missing block */
            if (self->have_frame && self->use_on_close == SRC_ON_CLOSE_EOS) {
                GST_INFO_OBJECT(self, "block '%s': the writer %s, end of stream", self->name,
                                ret == -ESHUTDOWN ? "closed it" : "died");
                return GST_FLOW_EOS;
            }
            if (self->have_frame)
                GST_LOG_OBJECT(self, "block '%s': writer gone, waiting for the next one",
                               self->name);
        } else if (ret != -ETIMEDOUT) {
            return corrupt(self, ret);
        }
        if (!self->have_frame && left == 0)
            return no_writer(self, "published a frame in");
    }
}

/* A wait said a new frame exists, but the read found none intact (-EAGAIN: the writer kept
 * overwriting it, or a hostile block announces a frame it never wrote). The wait would say so
 * again at once: back off briefly, and before the first frame give up at the timeout. */
static GstFlowReturn no_intact_frame(GstShmoutSrc *self)
{
    if (!self->have_frame && remaining_ms(self) == 0) {
        GST_ELEMENT_ERROR(self, RESOURCE, READ,
                          ("no intact frame in block '%s' (%s memory) within %d ms: %s",
                           self->name, shmout_memtype_name(self->opened_memtype),
                           self->use_timeout, shmout_errmsg()),
                          ("the writer may be broken; `shmout info %s` shows the block",
                           self->name));
        return GST_FLOW_ERROR;
    }
    if (self->have_frame && self->use_on_close == SRC_ON_CLOSE_EOS) {
        int st;

        reader_lock(self);
        st = shmout_reader_status(self->reader);
        g_mutex_unlock(&self->rlock);

        if (st == SHMOUT_STATUS_CLOSED || st == SHMOUT_STATUS_STALE) {
            GST_WARNING_OBJECT(self, "block '%s': writer gone, its last frame not intact: %s",
                               self->name, shmout_errmsg());
            return GST_FLOW_EOS;
        }
    }
    /* 1, 2, 4 ... 32 ms: short for a writer that lapped us, no busy loop on a broken one */
    self->backoff_us = self->backoff_us ? MIN(self->backoff_us * 2, 32000) : 1000;
    g_usleep(self->backoff_us);
    return g_atomic_int_get(&self->flushing) ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

/* ---- producing buffers -------------------------------------------------------------------- */

static void stamp(GstShmoutSrc *self, GstBuffer *buf, const struct shmout_frame_meta *m)
{
    GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
    GstClockTime duration = GST_CLOCK_TIME_NONE;
    gboolean changed;

    if (clock) {
        GstClockTime now = gst_clock_get_time(clock);
        GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
        gint64 age = mono_ns() - (gint64)m->monotonic_ns;
        gint64 pts;

        if (age < 0 || m->monotonic_ns == 0)
            age = 0;
        pts = (gint64)now - age - (gint64)base;
        GST_BUFFER_PTS(buf) = pts > 0 ? (GstClockTime)pts : 0;
        GST_BUFFER_DTS(buf) = GST_BUFFER_PTS(buf);
        gst_object_unref(clock);
    }
    if (m->duration > 0 && m->tb_num > 0 && m->tb_den > 0)
        duration = gst_util_uint64_scale((guint64)m->duration, (guint64)m->tb_num * GST_SECOND,
                                         (guint64)m->tb_den);
    GST_BUFFER_DURATION(buf) = duration;
    GST_BUFFER_OFFSET(buf) = m->frame_number;
    /* the latency (one frame) is known now, or changed: a longer frame, or one much shorter
     * than the latency reported (not on every jitter of a variable rate: each message makes
     * the pipeline query every element again) */
    GST_OBJECT_LOCK(self);
    changed = GST_CLOCK_TIME_IS_VALID(duration) &&
              (!GST_CLOCK_TIME_IS_VALID(self->latency) || duration > self->latency ||
               duration < self->latency - self->latency / 4);
    if (changed)
        self->latency = duration;
    GST_OBJECT_UNLOCK(self);
    if (changed)
        gst_element_post_message(GST_ELEMENT(self),
                                 gst_message_new_latency(GST_OBJECT(self)));
}

static GstFlowReturn alloc_buffer(GstShmoutSrc *self, GstBuffer **buf)
{
    GstBufferPool *pool = gst_base_src_get_buffer_pool(GST_BASE_SRC(self));
    GstFlowReturn fr;

    if (!pool) {
        *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&self->info), NULL);
        return *buf ? GST_FLOW_OK : GST_FLOW_ERROR;
    }
    /* basesrc activates the pool it negotiated and deactivates it to flush: an inactive pool
     * says FLUSHING */
    fr = gst_buffer_pool_acquire_buffer(pool, buf, NULL);
    gst_object_unref(pool);
    return fr;
}

/* Before the next acquire gives the frame pushed last back to the writer (and may unmap it):
 * detach its slot buffer if it is still alive, then check the frame was not overwritten while
 * downstream had it (see the top of the file). */
static GstFlowReturn release_view(GstShmoutSrc *self)
{
    gint64 limit, deadline;
    int ret;

    g_mutex_lock(&self->so.lock);
    if (!self->view_pushed) {
        g_mutex_unlock(&self->so.lock);
        return GST_FLOW_OK;             /* not pushed, or the watchdog gave it back */
    }
    limit = self->view_since_us + self->timeout_us * 3 / 4;
    deadline = MIN(g_get_monotonic_time() + DETACH_WAIT_US, limit);
    ret = gst_shmout_slot_detach(&self->so, deadline);
    if (ret > 0)
        self->view_detached = TRUE;
    if (ret < 0)
        self->watchdog_failed = TRUE;   /* one error for it */
    g_mutex_unlock(&self->so.lock);
    if (ret < 0) {
        GST_ELEMENT_ERROR(self, STREAM, FAILED,
                          ("a buffer shmoutsrc pushed (a frame of block '%s', lent from the "
                           "block in mode=lossless) stays mapped downstream; shmoutsrc cannot "
                           "give the frame back to the writer without tearing it", self->name),
                          ("waited for the unmap until 3/4 of the writer's lossless timeout "
                           "(%" G_GINT64_FORMAT " ms) or %d ms; an element that keeps a frame "
                           "mapped that long must copy it", self->timeout_us / 1000,
                           (int)(DETACH_WAIT_US / 1000)));
        return GST_FLOW_ERROR;
    }
    g_mutex_lock(&self->so.lock);
    self->view_pushed = FALSE;
    g_mutex_unlock(&self->so.lock);
    if (shmout_reader_validate(self->reader, &self->view) < 0) {
        GST_ELEMENT_ERROR(self, STREAM, FAILED,
                          ("frame %" G_GUINT64_FORMAT " of block '%s' was overwritten by the "
                           "writer while downstream held it", self->view.meta.frame_number,
                           self->name),
                          ("the writer evicted this lossless reader: %s", shmout_errmsg()));
        return GST_FLOW_ERROR;
    }
    return GST_FLOW_OK;
}

/* The acquired frame can be pushed as its slot: its planes lie in frame_bytes from the start of
 * the slot, and downstream reads them by GstVideoMeta or they are GStreamer's default layout. */
static gboolean slot_fits(const GstShmoutSrc *self, const struct shmout_geometry *g)
{
    const guint8 *base = self->view.data[0] - g->plane_offset[0];

    if (!g->frame_bytes || g->nb_planes < 1 || g->nb_planes > SHMOUT_MAX_PLANES ||
        g->frame_bytes > G_MAXSIZE / 2 ||
        g->nb_planes != GST_VIDEO_INFO_N_PLANES(&self->info))
        return FALSE;
    for (guint p = 0; p < g->nb_planes; p++) {
        if (self->view.data[p] != base + g->plane_offset[p] || !g->plane_height[p] ||
            (guint64)self->view.linesize[p] != g->plane_linesize[p] ||
            g->plane_offset[p] + (guint64)g->plane_linesize[p] * (g->plane_height[p] - 1) +
            g->plane_bytewidth[p] > g->frame_bytes)
            return FALSE;
    }
    if (self->downstream_meta)
        return TRUE;
    for (guint p = 0; p < g->nb_planes; p++)
        if (g->plane_offset[p] != GST_VIDEO_INFO_PLANE_OFFSET(&self->info, p) ||
            g->plane_linesize[p] != (guint64)GST_VIDEO_INFO_PLANE_STRIDE(&self->info, p))
            return FALSE;
    return g->frame_bytes >= GST_VIDEO_INFO_SIZE(&self->info);
}

static GstBuffer *slot_buffer(GstShmoutSrc *self, const struct shmout_geometry *g)
{
    GstShmoutSlotMemory *m;
    GstBuffer *buf = gst_buffer_new();
    gsize offset[GST_VIDEO_MAX_PLANES] = { 0 };
    gint stride[GST_VIDEO_MAX_PLANES] = { 0 };

    m = gst_shmout_slot_memory_new(&self->so, GST_OBJECT(self), GST_MEMORY_FLAG_READONLY,
                                   (guint8 *)(uintptr_t)(self->view.data[0] -
                                                         g->plane_offset[0]),
                                   (gsize)g->frame_bytes, NULL, NULL);
    m->frame = self->view.meta.frame_number;
    gst_buffer_append_memory(buf, GST_MEMORY_CAST(m));
    for (guint p = 0; p < g->nb_planes; p++) {
        offset[p] = (gsize)g->plane_offset[p];
        stride[p] = (gint)g->plane_linesize[p];
    }
    gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
                                   GST_VIDEO_INFO_FORMAT(&self->info),
                                   GST_VIDEO_INFO_WIDTH(&self->info),
                                   GST_VIDEO_INFO_HEIGHT(&self->info), g->nb_planes, offset,
                                   stride);
    return buf;
}

/* Copy the acquired frame into a buffer of the pool, then validate (which gives it back). NULL
 * in *buf: it was overwritten meanwhile (not protected: the writer does not honour us). */
static GstFlowReturn copy_view(GstShmoutSrc *self, const struct shmout_geometry *g,
                               GstBuffer **out)
{
    GstVideoFrame frame;
    GstBuffer *buf = NULL;
    GstFlowReturn fr;
    int ret;

    *out = NULL;
    if ((fr = alloc_buffer(self, &buf)) != GST_FLOW_OK)
        return fr;
    if (!gst_video_frame_map(&frame, &self->info, buf, GST_MAP_WRITE)) {
        gst_buffer_unref(buf);
        GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("cannot map a buffer for %s frames",
                          GST_VIDEO_INFO_NAME(&self->info)), (NULL));
        return GST_FLOW_ERROR;
    }
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame) && p < g->nb_planes; p++) {
        guint8 *d = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);

        for (guint y = 0; y < g->plane_height[p]; y++)
            memcpy(d + (gsize)y * stride, self->view.data[p] + (gsize)y * self->view.linesize[p],
                   g->plane_bytewidth[p]);
    }
    gst_video_frame_unmap(&frame);
    reader_lock(self);
    ret = shmout_reader_validate(self->reader, &self->view);
    g_mutex_unlock(&self->rlock);
    if (ret < 0) {
        GST_DEBUG_OBJECT(self, "frame %" G_GUINT64_FORMAT " overwritten while copied",
                         self->view.meta.frame_number);
        gst_buffer_unref(buf);
        return GST_FLOW_OK;
    }
    *out = buf;
    return GST_FLOW_OK;
}

/* mode=lossless: acquire, push the slot itself (or a copy, see slot_fits). */
static GstFlowReturn create_lossless(GstShmoutSrc *self, GstBuffer **outbuf)
{
    const struct shmout_geometry *g = &self->view.geometry;
    struct shmout_reader_stats st;
    GstBuffer *buf;
    GstFlowReturn fr;
    gboolean zero_copy;
    gint64 now_us;
    int ret;

    for (;;) {
        if ((fr = wait_frame(self)) != GST_FLOW_OK)
            return fr;
        reader_lock(self);
        if ((fr = release_view(self)) != GST_FLOW_OK) {
            g_mutex_unlock(&self->rlock);
            return fr;
        }
        ret = shmout_reader_acquire(self->reader, &self->view);
        if (ret == 0)
            shmout_reader_get_stats(self->reader, &st);
        g_mutex_unlock(&self->rlock);
        if (ret == -EAGAIN) {
            if ((fr = no_intact_frame(self)) != GST_FLOW_OK)
                return fr;
            continue;
        }
        if (ret < 0)
            return corrupt(self, ret);
        g_mutex_lock(&self->so.lock);
        /* the writer's wait for this frame (slot k, begin_frame of k + slots) starts at the
         * earliest at its publish: every bound counts from there */
        now_us = g_get_monotonic_time();
        self->view_since_us = self->view.meta.monotonic_ns &&
                              (gint64)(self->view.meta.monotonic_ns / 1000) < now_us ?
                              (gint64)(self->view.meta.monotonic_ns / 1000) : now_us;
        self->view_detached = FALSE;
        self->timeout_us = writer_timeout_us(self);
        self->evictions = st.evictions;
        g_mutex_unlock(&self->so.lock);
        if ((!self->have_geometry || !same_caps_geometry(g, &self->geometry)) &&
            (fr = set_geometry(self, g, &self->view.meta)) != GST_FLOW_OK)
            return fr;
        /* Protected only while the writer honours our registration, and it may honour a new
         * one (at open, again after an eviction or a move to another data object) only from
         * its next check (PROTOCOL.md §21): a frame published before that may be the one its
         * write in progress then overwrites. A frame published after the registration is
         * safe, and so is every later one. */
        if (st.evictions != self->last_evictions || st.reattaches != self->last_reattaches) {
            self->reg_pending = TRUE;
            self->reg_ns = mono_ns();
        }
        self->last_evictions = st.evictions;
        self->last_reattaches = st.reattaches;
        /* and a frame already half the writer's timeout old is copied: the watchdog could not
         * take it off its slot in time */
        zero_copy = st.registered == SHMOUT_REG_LOSSLESS &&
                    (!self->reg_pending || (gint64)self->view.meta.monotonic_ns > self->reg_ns) &&
                    g_get_monotonic_time() < self->view_since_us + self->timeout_us / 2 &&
                    slot_fits(self, g);
        if (zero_copy)
            self->reg_pending = FALSE;
        if (zero_copy) {
            buf = slot_buffer(self, g);
        } else {
            if ((fr = copy_view(self, g, &buf)) != GST_FLOW_OK)
                return fr;
            if (!buf)
                continue;
        }
        g_mutex_lock(&self->so.lock);
        self->frames++;
        if (zero_copy) {
            self->zero_copy++;
            self->view_pushed = TRUE;
            self->watchdog_failed = FALSE;
            g_cond_broadcast(&self->so.cond);
        } else {
            self->copied++;
        }
        g_mutex_unlock(&self->so.lock);
        stamp(self, buf, &self->view.meta);
        self->have_frame = TRUE;
        self->backoff_us = 0;
        *outbuf = buf;
        return GST_FLOW_OK;
    }
}

static GstFlowReturn src_create(GstPushSrc *psrc, GstBuffer **outbuf)
{
    GstShmoutSrc *self = GST_SHMOUT_SRC(psrc);
    struct shmout_geometry got;
    struct shmout_frame_meta meta;
    GstFlowReturn fr;
    int ret;

    if (!self->reader && (fr = open_block(self)) != GST_FLOW_OK)
        return fr;
    if (self->use_mode == SHMOUT_READ_LOSSLESS)
        return create_lossless(self, outbuf);
    for (;;) {
        GstBuffer *buf = NULL;
        GstVideoFrame frame;
        uint8_t *dst[4] = { NULL, NULL, NULL, NULL };
        int dst_linesize[4] = { 0, 0, 0, 0 };
        uint8_t dummy[1];

        if ((fr = wait_frame(self)) != GST_FLOW_OK)
            return fr;
        if (!self->have_geometry) {
            /* learn the first frame's geometry: a read for an empty geometry tells it */
            struct shmout_geometry none;

            memset(&none, 0, sizeof(none));
            for (int p = 0; p < 4; p++)
                dst[p] = dummy;
            ret = shmout_reader_read(self->reader, &none, dst, dst_linesize, &got, &meta);
            if (ret == -EAGAIN) {
                if ((fr = no_intact_frame(self)) != GST_FLOW_OK)
                    return fr;
                continue;
            }
            if (ret != -EMSGSIZE)
                return corrupt(self, ret);
            if ((fr = set_geometry(self, &got, &meta)) != GST_FLOW_OK)
                return fr;
        }
        if ((fr = alloc_buffer(self, &buf)) != GST_FLOW_OK)
            return fr;
        if (!gst_video_frame_map(&frame, &self->info, buf, GST_MAP_WRITE)) {
            gst_buffer_unref(buf);
            GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("cannot map a buffer for %s frames",
                              GST_VIDEO_INFO_NAME(&self->info)), (NULL));
            return GST_FLOW_ERROR;
        }
        for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame) && p < 4; p++) {
            dst[p] = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
            dst_linesize[p] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
        }
        ret = shmout_reader_read(self->reader, &self->geometry, dst, dst_linesize, &got, &meta);
        gst_video_frame_unmap(&frame);
        if (ret == 0) {
            if (!same_caps_geometry(&got, &self->geometry) &&
                (fr = set_geometry(self, &got, &meta)) != GST_FLOW_OK) {
                gst_buffer_unref(buf);
                return fr;
            }
            g_mutex_lock(&self->so.lock);
            self->frames++;
            self->copied++;
            g_mutex_unlock(&self->so.lock);
            stamp(self, buf, &meta);
            self->have_frame = TRUE;
            self->backoff_us = 0;
            *outbuf = buf;
            return GST_FLOW_OK;
        }
        gst_buffer_unref(buf);
        if (ret == -EMSGSIZE) {
            /* the writer changed the size or format: new caps, then read the frame again */
            GST_DEBUG_OBJECT(self, "geometry changed: %s", shmout_errmsg());
            if ((fr = set_geometry(self, &got, &meta)) != GST_FLOW_OK)
                return fr;
            continue;
        }
        if (ret != -EAGAIN)
            return corrupt(self, ret);
        if ((fr = no_intact_frame(self)) != GST_FLOW_OK)
            return fr;
    }
}

/* ---- class -------------------------------------------------------------------------------- */

static void gst_shmout_src_class_init(GstShmoutSrcClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS(klass);
    GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS(klass);
    GstCaps *caps = gst_shmout_template_caps();

    gobject_class->set_property = src_set_property;
    gobject_class->get_property = src_get_property;
    gobject_class->finalize = src_finalize;

    g_object_class_install_property(gobject_class, PROP_BLOCK,
        g_param_spec_string("block", "Block",
                            "Name of the shmout block to read (the NAME of ffmpeg ... -f shmout "
                            "NAME); unset: the element's name, so 'shmoutsrc name=cam1' reads "
                            "block cam1", NULL,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                            GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(gobject_class, PROP_MEMTYPE,
        g_param_spec_enum("memtype", "Memory type",
                          "Where the block is: local (this user's), global (every user's) or "
                          "auto (local, else global); must match the writer's -memtype",
                          memtype_get_type(), DEFAULT_MEMTYPE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                          GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(gobject_class, PROP_MODE,
        g_param_spec_enum("mode", "Read mode",
                          "Which frames to read: latest (newest, skip what the pipeline is too "
                          "slow for), every (each frame still in the ring) or lossless (the "
                          "writer waits for this reader: nothing lost)",
                          mode_get_type(), DEFAULT_MODE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                          GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(gobject_class, PROP_TIMEOUT,
        g_param_spec_int("timeout", "Timeout",
                         "Milliseconds to wait for the block to exist and for its first frame, "
                         "then fail (-1: wait forever, 0: fail at once if there is none)",
                         -1, G_MAXINT, DEFAULT_TIMEOUT,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(gobject_class, PROP_ON_CLOSE,
        g_param_spec_enum("on-close", "On close",
                          "When the writer closes the block or dies: eos (end the stream) or "
                          "wait (go on with the next writer of the block, new caps if its "
                          "frames differ)",
                          on_close_get_type(), DEFAULT_ON_CLOSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                          GST_PARAM_MUTABLE_READY));
    g_object_class_install_property(gobject_class, PROP_STATS,
        g_param_spec_boxed("stats", "Statistics",
                           "Frames pushed, zero-copy (mode=lossless: the buffer is the block's "
                           "slot), copied, detached (slot buffers still held downstream when "
                           "the frame was given back, copied then), watchdog-detached (of "
                           "those, held past half the writer's lossless timeout), evictions",
                           GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

    gst_element_class_set_static_metadata(element_class, "shmout source", "Source/Video",
        "Reads live video from a shmout shared-memory block (ffmpeg ... -f shmout NAME); caps "
        "come from the block and follow its size and format changes",
        "the shmout authors");
    gst_element_class_add_pad_template(element_class,
        gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
    gst_caps_unref(caps);

    gst_type_mark_as_plugin_api(memtype_get_type(), 0);
    gst_type_mark_as_plugin_api(mode_get_type(), 0);
    gst_type_mark_as_plugin_api(on_close_get_type(), 0);

    basesrc_class->start = src_start;
    basesrc_class->stop = src_stop;
    basesrc_class->unlock = src_unlock;
    basesrc_class->unlock_stop = src_unlock_stop;
    basesrc_class->get_caps = src_get_caps;
    basesrc_class->negotiate = src_negotiate;
    basesrc_class->decide_allocation = src_decide_allocation;
    basesrc_class->query = src_query;
    pushsrc_class->create = src_create;
}

static void gst_shmout_src_init(GstShmoutSrc *self)
{
    self->memtype = DEFAULT_MEMTYPE;
    self->mode = DEFAULT_MODE;
    self->timeout = DEFAULT_TIMEOUT;
    self->on_close = DEFAULT_ON_CLOSE;
    self->reader = NULL;
    gst_video_info_init(&self->info);
    gst_shmout_slot_owner_init(&self->so);
    g_mutex_init(&self->rlock);
    self->timeout_us = 2 * HOLD_DEFAULT_US;
    gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
    gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
    gst_base_src_set_do_timestamp(GST_BASE_SRC(self), FALSE);
}
