/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * slotmem.c - GstMemory over a slot of a block, shared by shmoutsink (the slot it lends
 * upstream) and shmoutsrc (the slot of the frame it pushes in mode=lossless).
 *
 * At most one such memory of an owner is on its slot at a time (owner->lent). Its map and unmap
 * count the maps under owner->lock, so the owner can "detach" it when the slot is about to be
 * given back: wait (bounded) until nobody has it mapped, copy its bytes to private memory and
 * point its map there from then on; its holders keep the same content and the slot is free.
 * A memory holds a reference to its element (which embeds the owner), so freeing it after the
 * element stopped is safe; freeing it ends the binding (owner->lent = NULL).
 */
#include <string.h>

#include "shmoutgst.h"

typedef struct {
    GstAllocator parent;
} GstShmoutSlotAllocator;

typedef struct {
    GstAllocatorClass parent_class;
} GstShmoutSlotAllocatorClass;

GType gst_shmout_slot_allocator_get_type(void);
G_DEFINE_TYPE(GstShmoutSlotAllocator, gst_shmout_slot_allocator, GST_TYPE_ALLOCATOR)

static GstMemory *allocator_alloc(GstAllocator *a, gsize size, GstAllocationParams *p)
{
    (void)a, (void)size, (void)p;
    return NULL;                    /* memories are made by gst_shmout_slot_memory_new only */
}

static void allocator_free(GstAllocator *a, GstMemory *mem)
{
    GstShmoutSlotMemory *m = (GstShmoutSlotMemory *)mem;
    GstShmoutSlotOwner *o = m->owner;

    (void)a;
    g_mutex_lock(&o->lock);
    if (o->lent == m) {
        o->lent = NULL;             /* the slot is free: the owner may bind one again */
        g_cond_broadcast(&o->cond);
    }
    g_mutex_unlock(&o->lock);
    if (m->keep_free)
        m->keep_free(m->keep);
    g_free(m->copy);
    gst_object_unref(m->element);
    g_free(m);
}

static gpointer mem_map(GstMemory *mem, gsize maxsize, GstMapFlags flags)
{
    GstShmoutSlotMemory *m = (GstShmoutSlotMemory *)mem;
    gpointer p;

    (void)maxsize, (void)flags;
    g_mutex_lock(&m->owner->lock);
    m->maps++;
    p = m->slot ? m->slot : m->copy;
    g_mutex_unlock(&m->owner->lock);
    return p;
}

static void mem_unmap(GstMemory *mem)
{
    GstShmoutSlotMemory *m = (GstShmoutSlotMemory *)mem;

    g_mutex_lock(&m->owner->lock);
    m->maps--;
    g_cond_broadcast(&m->owner->cond);
    g_mutex_unlock(&m->owner->lock);
}

static GstMemory *mem_share(GstMemory *mem, gssize offset, gssize size)
{
    (void)mem, (void)offset, (void)size;
    return NULL;                    /* GST_MEMORY_FLAG_NO_SHARE: buffers copy it instead */
}

static void gst_shmout_slot_allocator_class_init(GstShmoutSlotAllocatorClass *klass)
{
    GstAllocatorClass *ac = GST_ALLOCATOR_CLASS(klass);

    ac->alloc = allocator_alloc;
    ac->free = allocator_free;
}

static void gst_shmout_slot_allocator_init(GstShmoutSlotAllocator *a)
{
    GstAllocator *alloc = GST_ALLOCATOR_CAST(a);

    alloc->mem_type = "ShmoutSlot";
    alloc->mem_map = mem_map;
    alloc->mem_unmap = mem_unmap;
    alloc->mem_share = mem_share;
    GST_OBJECT_FLAG_SET(a, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

void gst_shmout_slot_owner_init(GstShmoutSlotOwner *o)
{
    g_mutex_init(&o->lock);
    g_cond_init(&o->cond);
    o->lent = NULL;
    o->detached = 0;
    o->allocator = g_object_new(gst_shmout_slot_allocator_get_type(), NULL);
    gst_object_ref_sink(o->allocator);
}

void gst_shmout_slot_owner_clear(GstShmoutSlotOwner *o)
{
    gst_object_unref(o->allocator);
    g_mutex_clear(&o->lock);
    g_cond_clear(&o->cond);
}

GstShmoutSlotMemory *gst_shmout_slot_memory_new(GstShmoutSlotOwner *o, GstObject *element,
                                                GstMemoryFlags flags, guint8 *slot, gsize size,
                                                gpointer keep, GDestroyNotify keep_free)
{
    GstShmoutSlotMemory *m = g_new0(GstShmoutSlotMemory, 1);

    gst_memory_init(GST_MEMORY_CAST(m), flags | GST_MEMORY_FLAG_NO_SHARE, o->allocator, NULL,
                    size, 0, 0, size);
    m->owner = o;
    m->element = gst_object_ref(element);
    m->slot = slot;
    m->keep = keep;
    m->keep_free = keep_free;
    g_mutex_lock(&o->lock);
    o->lent = m;
    g_cond_broadcast(&o->cond);     /* a watchdog waiting for one */
    g_mutex_unlock(&o->lock);
    return m;
}

gboolean gst_shmout_slot_is(const GstShmoutSlotOwner *o, GstMemory *mem)
{
    return mem && mem->allocator == o->allocator;
}

int gst_shmout_slot_detach(GstShmoutSlotOwner *o, gint64 deadline_us)
{
    GstShmoutSlotMemory *m = o->lent;

    if (!m)
        return 0;
    while (m->maps > 0 && o->lent == m) {
        if (!g_cond_wait_until(&o->cond, &o->lock, deadline_us) && m->maps > 0 &&
            o->lent == m)
            return -1;
    }
    if (o->lent != m)
        return 0;                   /* freed meanwhile */
    m->copy = g_malloc(m->mem.maxsize);
    memcpy(m->copy, m->slot, m->mem.maxsize);
    m->slot = NULL;
    if (m->keep_free)
        m->keep_free(m->keep);
    m->keep = NULL;
    m->keep_free = NULL;
    o->lent = NULL;
    o->detached++;
    return 1;
}
