/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_admin.c - inspection and administration of blocks without being
 * their writer or reader: block info, listing /dev/shm, flipping the active
 * toggle and removing blocks. Used by the shmout tool.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmout_priv.h"

/* Open and map a block's primary object; -ENOENT with the message for tools. */
static int open_primary(const char *obj, int flags, int *fd, void **map)
{
    struct stat st;
    int ret = shmout_priv_open_primary(obj, flags, 0, &st, fd, map);

    if (ret == -ENOENT)
        return shmout_priv_fail(-ENOENT, "no such block (%s does not exist); see 'shmout ls'",
                                obj);
    return ret;
}

/* Frame count, slot info and last frame time from the current data object. */
static void inspect_segment(const char *obj, uint32_t gen, struct shmout_block_info *info)
{
    char dname[SHMOUT_PRIV_OBJ_LEN];
    struct shmout_segment_header sh;
    struct shmout_slot_desc d;
    struct stat st;
    const uint8_t *map;
    uint64_t n, now;
    int fd, tries;

    if (shmout_priv_data_name(dname, sizeof(dname), obj, gen) < 0 ||
        (fd = shmout_priv_shm_open(dname, O_RDONLY, 0)) < 0)
        return;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return;
    if (shmout_priv_validate_segment(map, (size_t)st.st_size, &sh) == 0) {
        info->slots = sh.slot_count;
        info->capacity = sh.capacity;
        for (tries = 0; tries < SHMOUT_PRIV_MAX_TRIES; tries++) {
            n = atomic_load_explicit(SHMOUT_A64(map + offsetof(struct shmout_segment_header,
                                                               latest_frame)),
                                     memory_order_acquire);
            info->frames = n;
            if (!n)
                break;
            if (shmout_priv_read_slot((const void *)(map + shmout_priv_slot_desc_off(&sh, n)), n,
                                      &d) != SHMOUT_PRIV_SLOT_OK)
                continue;
            now = shmout_priv_now_ns(CLOCK_MONOTONIC);
            info->last_frame_age_ns = now >= d.meta.monotonic_ns ?
                                      (int64_t)(now - d.meta.monotonic_ns) : 0;
            break;
        }
    }
    munmap((void *)(uintptr_t)map, (size_t)st.st_size);
}

/* A block's name, memtype and object from its object name "/shmout.u<uid>.<name>" or
 * "/shmout.g.<name>", for a block whose header cannot tell them. Tools print the name: one
 * planted in /dev/shm that is not a valid block name (control characters) is not a block. */
static int identify(const char *obj, struct shmout_block_info *info)
{
    const char *name = strchr(obj + 8, '.');
    size_t len = strlen(obj);

    if (!name || shmout_name_validate(name + 1, NULL, 0) < 0 || len >= sizeof(info->object))
        return shmout_priv_fail(-EPROTO, "%s is not a shmout block name", obj);
    memcpy(info->object, obj, len + 1);
    memcpy(info->name, name + 1, strlen(name + 1) + 1);     /* a valid name fits */
    info->memtype = obj[8] == 'g' ? SHMOUT_MEMTYPE_GLOBAL : SHMOUT_MEMTYPE_LOCAL;
    return 0;
}

/* A primary object without a header yet (size 0 or magic 0), open at fd: starting while a
 * writer holds its lock, stale (an abandoned set-up, which the next writer takes over) when
 * none does. */
static int inspect_unset(const char *obj, int fd, struct shmout_block_info *info)
{
    int alive, ret = identify(obj, info);

    if (ret < 0)
        return ret;
    alive = shmout_priv_writer_alive(fd);
    if (alive >= 0) {
        info->status = alive ? SHMOUT_STATUS_STARTING : SHMOUT_STATUS_STALE;
        info->readers = shmout_priv_count_readers(fd);
    }
    return alive < 0 ? alive : 0;
}

/* A block whose primary object fails validation, for listing: status CORRUPT. */
static int corrupt_entry(const char *obj, struct shmout_block_info *info)
{
    memset(info, 0, sizeof(*info));
    info->status = SHMOUT_STATUS_CORRUPT;
    info->last_frame_age_ns = info->heartbeat_age_ns = -1;
    info->readers = -1;
    return identify(obj, info);
}

/* Fill *info from a valid header (snap, its copy) of the primary object open at fd. */
static int inspect_header(const char *obj, int fd, const struct shmout_header *h,
                          const struct shmout_header *snap, struct shmout_block_info *info)
{
    uint64_t hb, now;
    int ret;

    snprintf(info->object, sizeof(info->object), "%s", obj);
    snprintf(info->name, sizeof(info->name), "%s", snap->name);
    info->memtype = (int)snap->memtype;
    ret = shmout_priv_status(h, fd);
    if (ret < 0)
        return ret;
    info->status = ret;
    info->owner_pid = snap->owner_pid;
    info->owner_uid = snap->owner_uid;
    info->owner_starttime = snap->owner_starttime;
    info->session = snap->session;
    info->control = snap->control;
    info->fill_mode = snap->fill_mode;
    info->smoothness = snap->smoothness;
    info->segment_gen = snap->segment_gen;
    if (info->status <= SHMOUT_STATUS_INACTIVE)
        info->fps = snap->fps_milli / 1000.0;
    hb = snap->heartbeat_ns;
    now = shmout_priv_now_ns(CLOCK_MONOTONIC);
    if (hb)
        info->heartbeat_age_ns = now >= hb ? (int64_t)(now - hb) : 0;
    ret = shmout_priv_read_geometry(h, &info->geometry, &info->geometry_gen);
    if (ret < 0 && ret != -EAGAIN)
        return ret;
    inspect_segment(obj, snap->segment_gen, info);
    info->readers = shmout_priv_count_readers(fd);
    return 0;
}

static int inspect(const char *obj, struct shmout_block_info *info)
{
    struct shmout_header snap;
    void *map;
    int fd, ret;

    memset(info, 0, sizeof(*info));
    info->last_frame_age_ns = -1;
    info->heartbeat_age_ns = -1;
    ret = open_primary(obj, O_RDONLY, &fd, &map);
    if (ret == 0)
        ret = shmout_priv_validate_header(map, SHMOUT_PRIMARY_SIZE, &snap);
    if (ret == -EAGAIN)                 /* size 0 or magic 0: no header yet */
        ret = inspect_unset(obj, fd, info);
    else if (ret == 0)
        ret = inspect_header(obj, fd, map, &snap, info);
    if (map)
        munmap(map, SHMOUT_PRIMARY_SIZE);
    if (fd >= 0)
        close(fd);
    return ret;
}

int shmout_block_info(const char *name, int memtype, struct shmout_block_info *info)
{
    char obj[SHMOUT_PRIV_OBJ_LEN];
    int ret = shmout_object_name(name, memtype, obj, sizeof(obj));

    return ret < 0 ? ret : inspect(obj, info);
}

static int by_object(const void *a, const void *b)
{
    return strcmp(((const struct shmout_block_info *)a)->object,
                  ((const struct shmout_block_info *)b)->object);
}

int shmout_list(struct shmout_block_info **list, size_t *count)
{
    char obj[NAME_MAX + 2], *end;
    struct shmout_block_info *v = NULL, *nv;
    size_t n = 0, cap = 0;
    unsigned long uid;
    struct dirent *de;
    DIR *dir;
    int ret;

    *list = NULL;
    *count = 0;
    dir = opendir(SHMOUT_PRIV_SHM_DIR);
    if (!dir)
        return shmout_priv_fail(-errno, "cannot list " SHMOUT_PRIV_SHM_DIR ": %s",
                                strerror(errno));
    while ((de = readdir(dir))) {
        const char *s = de->d_name;
        if (strncmp(s, "shmout.", 7) || strchr(s, '@'))
            continue;
        if (s[7] == 'u') {
            uid = strtoul(s + 8, &end, 10);
            if (*end != '.' || (uid != geteuid() && geteuid() != 0))
                continue;
        } else if (strncmp(s + 7, "g.", 2)) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                free(v);
                closedir(dir);
                return shmout_priv_fail(-ENOMEM, "out of memory");
            }
            v = nv;
        }
        snprintf(obj, sizeof(obj), "/%s", s);
        ret = inspect(obj, &v[n]);
        if (ret == 0 || (ret == -EPROTO && corrupt_entry(obj, &v[n]) == 0))
            n++;
    }
    closedir(dir);
    if (n)
        qsort(v, n, sizeof(*v), by_object);
    *list = v;
    *count = n;
    return 0;
}

int shmout_set_active(const char *name, int memtype, int active)
{
    char obj[SHMOUT_PRIV_OBJ_LEN];
    struct shmout_header snap;
    void *map;
    int fd, ret;

    ret = shmout_object_name(name, memtype, obj, sizeof(obj));
    if (ret < 0)
        return ret;
    ret = open_primary(obj, O_RDWR, &fd, &map);
    if (ret == 0)
        ret = shmout_priv_validate_header(map, SHMOUT_PRIMARY_SIZE, &snap);
    if (ret == 0)
        shmout_priv_set_active(map, NULL, active);  /* no wait page here: always wake */
    if (map)
        munmap(map, SHMOUT_PRIMARY_SIZE);
    if (fd >= 0)
        close(fd);
    return ret;
}

int shmout_remove(const char *name, int memtype, int force)
{
    char obj[SHMOUT_PRIV_OBJ_LEN], wname[SHMOUT_PRIV_OBJ_LEN];
    int32_t pid;
    int fd, alive, found = 0, ret;

    ret = shmout_object_name(name, memtype, obj, sizeof(obj));
    if (ret < 0)
        return ret;
    fd = shmout_priv_shm_open(obj, O_RDONLY, 0);
    if (fd >= 0) {
        alive = shmout_priv_writer_alive(fd);
        pid = shmout_priv_owner_pid(fd);
        close(fd);
        if (alive > 0 && !force)
            return shmout_priv_fail(-EBUSY, "block '%s' is in use by pid %d; stop that writer "
                                    "first, or use --force (its readers keep the old memory)",
                                    name, (int)pid);
    }
    if (shm_unlink(obj) == 0)
        found = 1;
    else if (errno != ENOENT)
        return shmout_priv_fail(-errno, "cannot remove %s: %s", obj, strerror(errno));
    if (shmout_priv_wait_name(wname, sizeof(wname), obj) == 0 && shm_unlink(wname) == 0)
        found = 1;
    shmout_priv_unlink_data_objects(obj);
    if (!found)
        return shmout_priv_fail(-ENOENT, "no block '%s' (%s) to remove; see 'shmout ls'",
                                name, shmout_memtype_name(memtype));
    return 0;
}
