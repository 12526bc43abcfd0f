/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmoutgst.h - what the GStreamer plugin's files share: the element types and the mapping
 * between a block's geometry (pixel format, plane table, aspect, colour) and GstVideoInfo.
 */
#ifndef SHMOUT_GST_H
#define SHMOUT_GST_H

#include <gst/gst.h>
#include <gst/video/video.h>

#include "shmout.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN(gst_shmout_debug);

GType gst_shmout_src_get_type(void);
GType gst_shmout_sink_get_type(void);

/* The GstVideoFormat of a block pixel-format code, GST_VIDEO_FORMAT_UNKNOWN if GStreamer has
 * no equivalent (the code's FFmpeg name is in the geometry, for the error message). */
GstVideoFormat gst_shmout_format_to_gst(uint32_t pix_fmt);
/* The block code of a GstVideoFormat, SHMOUT_PIX_NONE if a block cannot carry it. */
uint32_t gst_shmout_format_from_gst(GstVideoFormat format);

/* "video/x-raw" in every format that maps, any size and rate: the pad templates. */
GstCaps *gst_shmout_template_caps(void);

/* Fill *info from a block geometry: format, size, pixel aspect (SAR; 1/1 if unknown) and
 * colorimetry, in GStreamer's default layout (the block's own strides may differ: copy with
 * shmout_reader_read, which takes both). fps_n/fps_d: the rate to announce (0/1: variable).
 * Returns FALSE, with a message naming the format in *error, when the format has no GStreamer
 * equivalent. */
gboolean gst_shmout_info_from_geometry(GstVideoInfo *info, const struct shmout_geometry *g,
                                       gint fps_n, gint fps_d, GError **error);

/* Fill *g from *info: the block's plane table is GStreamer's own layout for the caps (offsets
 * and strides of *info), so buffers of upstream's default layout fit a slot as they are.
 * Returns FALSE, with a message in *error, for a format no block code carries. */
gboolean gst_shmout_geometry_from_info(struct shmout_geometry *g, const GstVideoInfo *info,
                                       GError **error);

/* ---- slot memory (slotmem.c) ----------------------------------------------------------- */

/* GstMemory over a slot of a block (shmoutsink's lent slot, shmoutsrc's pushed frame). An owner
 * (embedded in its element) has at most one memory on its slot at a time, owner->lent; lock
 * guards lent, the memories' map counts and whatever the element keeps with them, and cond is
 * broadcast on each unmap and free. */
typedef struct _GstShmoutSlotMemory GstShmoutSlotMemory;

typedef struct {
    GMutex lock;
    GCond cond;
    GstShmoutSlotMemory *lent;      /* the memory still on its slot, or NULL */
    GstAllocator *allocator;
    guint64 detached;               /* memories moved off their slot */
} GstShmoutSlotOwner;

struct _GstShmoutSlotMemory {
    GstMemory mem;
    GstShmoutSlotOwner *owner;
    GstObject *element;             /* a reference: keeps the owner alive */
    guint8 *slot;                   /* the slot; NULL once detached */
    guint8 *copy;                   /* private bytes after detach */
    gpointer keep;                  /* what keeps slot mapped, released by keep_free at */
    GDestroyNotify keep_free;       /* detach or free (NULL: nothing) */
    gint maps;
    guint64 frame;                  /* the element's: the frame it holds */
    guint64 gen;                    /* geometry generation then */
    gboolean published;
};

void gst_shmout_slot_owner_init(GstShmoutSlotOwner *o);
void gst_shmout_slot_owner_clear(GstShmoutSlotOwner *o);
/* A memory of size bytes over slot, made o->lent (which must be NULL). flags: e.g.
 * GST_MEMORY_FLAG_READONLY; GST_MEMORY_FLAG_NO_SHARE is always added (copies really copy). */
GstShmoutSlotMemory *gst_shmout_slot_memory_new(GstShmoutSlotOwner *o, GstObject *element,
                                                GstMemoryFlags flags, guint8 *slot, gsize size,
                                                gpointer keep, GDestroyNotify keep_free);
/* TRUE if mem is one of o's memories. */
gboolean gst_shmout_slot_is(const GstShmoutSlotOwner *o, GstMemory *mem);
/* Move o->lent off its slot (copy to private memory, release keep). Called with o->lock held;
 * while it is mapped, waits until deadline_us (g_get_monotonic_time; a past one: no wait).
 * Returns 1 (detached), 0 (nothing lent, or freed meanwhile) or -1 (still mapped). */
int gst_shmout_slot_detach(GstShmoutSlotOwner *o, gint64 deadline_us);

G_END_DECLS

#endif /* SHMOUT_GST_H */
