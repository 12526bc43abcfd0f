/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_util.c - object names, clocks, futex and file-lock helpers, opening
 * a primary object, waking readers and the active toggle: the POSIX parts the
 * writer, the reader and the admin functions share.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "shmout_priv.h"
int shmout_object_name(const char *name, int memtype, char *buf, size_t len)
{
    int ret = shmout_name_validate(name, NULL, 0);
    int n;

    if (ret < 0)
        return ret;
    if (memtype == SHMOUT_MEMTYPE_LOCAL)
        n = snprintf(buf, len, "/shmout.u%u.%s", (unsigned)geteuid(), name);
    else if (memtype == SHMOUT_MEMTYPE_GLOBAL)
        n = snprintf(buf, len, "/shmout.g.%s", name);
    else
        return shmout_priv_fail(-EINVAL, "invalid memtype %d (use local or global)", memtype);
    if (n < 0 || (size_t)n >= len)
        return shmout_priv_fail(-ENAMETOOLONG, "object name buffer too small");
    return 0;
}

int shmout_priv_data_name(char *buf, size_t len, const char *obj, uint32_t gen)
{
    int n = snprintf(buf, len, "%s@d%" PRIu32, obj, gen);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int shmout_priv_wait_name(char *buf, size_t len, const char *obj)
{
    int n = snprintf(buf, len, "%s@w", obj);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void shmout_priv_unlink_data_objects(const char *obj)
{
    char prefix[SHMOUT_PRIV_OBJ_LEN], path[NAME_MAX + 2];
    struct dirent *de;
    size_t plen;
    DIR *dir;

    if (snprintf(prefix, sizeof(prefix), "%s@d", obj + 1) >= (int)sizeof(prefix))
        return;
    plen = strlen(prefix);
    dir = opendir(SHMOUT_PRIV_SHM_DIR);
    if (!dir)
        return;
    while ((de = readdir(dir))) {
        if (strncmp(de->d_name, prefix, plen))
            continue;
        snprintf(path, sizeof(path), "/%s", de->d_name);
        shm_unlink(path);
    }
    closedir(dir);
}

uint64_t shmout_priv_now_ns(int clock_id)
{
    struct timespec ts;

    clock_gettime(clock_id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t shmout_priv_proc_starttime(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long v = 0;
    ssize_t n;
    int fd, field;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    p = strrchr(buf, ')');          /* comm may contain spaces and ')' */
    if (!p)
        return 0;
    /* after ")" comes field 3 (state); skip to field 22 */
    for (field = 2; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p + 1, "%llu", &v) != 1)
        return 0;
    return v;
}

int shmout_priv_futex_wait(const uint32_t *addr, uint32_t expected, int timeout_ms)
{
    struct timespec ts;
    long r;

    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    r = syscall(SYS_futex, addr, FUTEX_WAIT, expected, &ts, NULL, 0);
    return r < 0 ? -errno : 0;
}

void shmout_priv_futex_wake_all(const uint32_t *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static int ofd_lock(int fd, int cmd, short type, off_t start, struct flock *fl)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = start;
    fl->l_len = 1;
    return fcntl(fd, cmd, fl) < 0 ? -errno : 0;
}

int shmout_priv_lock_writer(int fd)
{
    struct flock fl;
    int r = ofd_lock(fd, F_OFD_SETLK, F_WRLCK, 0, &fl);

    return r == -EAGAIN || r == -EACCES ? -EBUSY : r;
}

int shmout_priv_writer_alive(int fd)
{
    struct flock fl;
    int r = ofd_lock(fd, F_OFD_GETLK, F_RDLCK, 0, &fl);

    return r < 0 ? r : fl.l_type != F_UNLCK;
}

int shmout_priv_lock_reader(int fd)
{
    struct flock fl;

    return ofd_lock(fd, F_OFD_SETLK, F_RDLCK, 1, &fl);
}

int shmout_priv_lock_byte(int fd, off_t off)
{
    struct flock fl;
    int r = ofd_lock(fd, F_OFD_SETLK, F_WRLCK, off, &fl);

    return r == -EAGAIN || r == -EACCES ? -EBUSY : r;
}

int shmout_priv_byte_locked(int fd, off_t off)
{
    struct flock fl;
    int r = ofd_lock(fd, F_OFD_GETLK, F_WRLCK, off, &fl);

    return r < 0 ? r : fl.l_type != F_UNLCK;
}

int shmout_priv_count_readers(int fd)
{
    char line[256], kind[16], mode[16], rw[16];
    unsigned maj, min;
    unsigned long long ino, start;
    struct stat st;
    int count = 0;
    FILE *f;

    if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        /* "N: OFDLCK ADVISORY  READ -1 00:1a:1234 1 1" */
        const char *p = strchr(line, ':');
        if (!p || sscanf(p + 1, "%15s %15s %15s %*s %x:%x:%llu %llu", kind, mode, rw,
                         &maj, &min, &ino, &start) != 7)
            continue;
        if (!strcmp(kind, "OFDLCK") && !strcmp(rw, "READ") && start == 1 &&
            ino == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
            min == minor(st.st_dev))
            count++;
    }
    fclose(f);
    return count;
}

#if defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define SHMOUT_TSAN 1
#  endif
#endif
#if defined(__SANITIZE_THREAD__)
#  define SHMOUT_TSAN 1
#endif

#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wtsan"
void shmout_priv_fence(memory_order order)
{
    atomic_thread_fence(order);
}
#endif

#ifdef SHMOUT_TSAN
/* Under ThreadSanitizer memcpy is intercepted and would report the
 * intended seqlock race; copy through volatile bytes in an uninstrumented
 * function instead (slow, TSan builds only). */
__attribute__((no_sanitize("thread")))
void shmout_priv_shared_copy(void *dst, const void *src, size_t n)
{
    const volatile unsigned char *s = src;
    unsigned char *d = dst;
    size_t i;

    for (i = 0; i < n; i++)
        d[i] = s[i];
}
#else
void shmout_priv_shared_copy(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}
#endif

int shmout_priv_shm_open(const char *name, int flags, mode_t mode)
{
    struct stat st;
    int fd = shm_open(name, flags | O_NONBLOCK, mode), err;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        err = errno;
        close(fd);
        errno = S_ISREG(st.st_mode) ? err : EPROTO;
        return -1;
    }
    return fd;
}

int shmout_priv_open_primary(const char *obj, int flags, int owner_only, struct stat *st,
                             int *fd, void **map)
{
    int ret;

    *map = NULL;
    *fd = shmout_priv_shm_open(obj, flags, 0);
    if (*fd < 0 && errno == ENOENT)
        return -ENOENT;
    if (*fd < 0 && errno == EACCES)
        return shmout_priv_fail(-EACCES, "permission denied on " SHMOUT_PRIV_SHM_DIR "%s: "
                                "only the block's owner may do this", obj);
    if (*fd < 0 && errno == EPROTO)
        return shmout_priv_fail(-EPROTO, SHMOUT_PRIV_SHM_DIR "%s is not a shared-memory block "
                                "but a FIFO, device or directory: refusing it", obj);
    if (*fd < 0)
        return shmout_priv_fail(-errno, "cannot open shared-memory block " SHMOUT_PRIV_SHM_DIR
                                "%s: %s", obj, strerror(errno));
    if (fstat(*fd, st) < 0)
        ret = shmout_priv_fail(-errno, "fstat of %s failed: %s", obj, strerror(errno));
    else if (owner_only && st->st_uid != geteuid())
        ret = shmout_priv_fail(-EPERM, "local block %s belongs to uid %u, not to you; "
                               "refusing to read it", obj, (unsigned)st->st_uid);
    else if (st->st_size == 0)
        return shmout_priv_fail(-EAGAIN, "block %s has no header yet", obj);
    else if (st->st_size != SHMOUT_PRIMARY_SIZE)
        ret = shmout_priv_fail(-EPROTO, SHMOUT_PRIV_SHM_DIR "%s has %lld bytes, not %u: not a "
                               "shmout block; if no writer uses it, remove it with 'shmout rm "
                               "NAME --force'", obj, (long long)st->st_size,
                               SHMOUT_PRIMARY_SIZE);
    else if ((*map = mmap(NULL, SHMOUT_PRIMARY_SIZE, flags == O_RDWR ? PROT_READ | PROT_WRITE :
                          PROT_READ, MAP_SHARED, *fd, 0)) == MAP_FAILED)
        ret = shmout_priv_fail(-errno, "mmap of %s failed: %s", obj, strerror(errno));
    else
        return 0;
    *map = NULL;
    close(*fd);
    *fd = -1;
    return ret;
}

int32_t shmout_priv_owner_pid(int fd)
{
    int32_t pid;

    if (pread(fd, &pid, sizeof(pid), offsetof(struct shmout_header, owner_pid)) !=
        (ssize_t)sizeof(pid))
        return 0;
    return pid;
}

void shmout_priv_wake_readers(struct shmout_header *h, const struct shmout_wait_page *wait)
{
    atomic_fetch_add_explicit(SHMOUT_A32(&h->wake_word), 1, memory_order_seq_cst);
    if (!wait || atomic_load_explicit(SHMOUT_A32(&wait->waiters), memory_order_seq_cst))
        shmout_priv_futex_wake_all(&h->wake_word);
}

void shmout_priv_set_active(struct shmout_header *h, const struct shmout_wait_page *wait,
                            int active)
{
    if (active)
        atomic_fetch_or_explicit(SHMOUT_A32(&h->control), SHMOUT_CONTROL_ACTIVE,
                                 memory_order_relaxed);
    else
        atomic_fetch_and_explicit(SHMOUT_A32(&h->control), ~SHMOUT_CONTROL_ACTIVE,
                                  memory_order_relaxed);
    shmout_priv_wake_readers(h, wait);
}
