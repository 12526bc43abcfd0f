/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_util.c - error messages, block and enum names, clocks, futex and
 * file-lock helpers, opening a primary object, waking readers and the active
 * toggle: what the writer, the reader and the admin functions share.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
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

static _Thread_local char errmsg_buf[512];

const char *shmout_errmsg(void)
{
    return errmsg_buf;
}

int shmout_priv_fail(int err, const char *fmt, ...)
{
    char buf[sizeof(errmsg_buf)];     /* the arguments may include errmsg_buf itself */
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    memcpy(errmsg_buf, buf, sizeof(buf));
    return err;
}

const char *shmout_strerror(int err)
{
    switch (err) {
    case 0:            return "success";
    case -ENOENT:      return "no such shared-memory block";
    case -EBUSY:       return "block is in use by a live writer";
    case -ENOSPC:      return "not enough space in /dev/shm";
    case -EINVAL:      return "invalid argument";
    case -EPROTO:      return "corrupt or incompatible shared-memory block";
    case -ESTALE:      return "the writer died (block is stale)";
    case -ESHUTDOWN:   return "the writer closed the block";
    case -ETIMEDOUT:   return "timed out";
    case -EAGAIN:      return "no (intact) frame available, try again";
    case -EMSGSIZE:    return "frame geometry differs from the caller's buffers";
    case -EFBIG:       return "frame larger than the reserved capacity";
    case -EACCES:      return "permission denied";
    case -EPERM:       return "block owned by another user";
    case -ENOMEM:      return "out of memory";
    case -ENAMETOOLONG:return "name too long";
    default:           return err < 0 ? strerror(-err) : "unknown error";
    }
}

int shmout_name_validate(const char *name, char *errbuf, size_t errlen)
{
    const char *why = NULL;
    size_t i, len;
    int ret;

    if (!name || !*name) {
        why = "the name is empty";
    } else {
        len = strnlen(name, SHMOUT_NAME_MAX + 1);
        if (len > SHMOUT_NAME_MAX)
            why = "the name is longer than 63 characters";
        else if (!isalnum((unsigned char)name[0]) || (unsigned char)name[0] >= 0x80)
            why = "the name must start with a letter or digit";
        else if (strstr(name, ".."))
            why = "the name must not contain \"..\"";
        for (i = 0; !why && i < len; i++) {
            unsigned char c = (unsigned char)name[i];
            if (c >= 0x80 || !(isalnum(c) || c == '_' || c == '-' || c == '.'))
                why = "the name may only contain A-Z a-z 0-9 _ - .";
        }
    }
    if (!why)
        return 0;
    ret = shmout_priv_fail(-EINVAL, "invalid block name: %s (allowed: 1 to 63 "
                           "characters from A-Z a-z 0-9 _ - ., starting with a "
                           "letter or digit)", why);
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s", errmsg_buf);
    return ret;
}

/* Names of enum values, indexed by the value (NULL: no such value). */
static const char *const memtype_names[] = { NULL, "local", "global" };
static const char *const status_names[] = { "active", "inactive", "closed", "stale", "starting",
                                            "corrupt" };
static const char *const fill_mode_names[] = { "fill", "fithorizontal", "fitvertical", "best",
                                               "outside", "native" };
static const char *const smoothness_names[] = { "nearest", "linear", "mipmap" };
#define NB_NAMES(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(NB_NAMES(memtype_names) == SHMOUT_MEMTYPE_GLOBAL + 1, "memtype names");
_Static_assert(NB_NAMES(status_names) == SHMOUT_STATUS_CORRUPT + 1, "status names");
_Static_assert(NB_NAMES(fill_mode_names) == SHMOUT_FILL_NATIVE + 1, "fill mode names");
_Static_assert(NB_NAMES(smoothness_names) == SHMOUT_SMOOTH_MIPMAP + 1, "smoothness names");

static const char *name_of(const char *const *names, size_t nb, size_t v)
{
    return v < nb && names[v] ? names[v] : "unknown";
}

/* The value named s, or -EINVAL with a message listing the names ("use a, b or c"). */
static int parse_name(const char *const *names, size_t nb, const char *s, const char *what)
{
    char list[128] = "";
    size_t i, k = 0, count = 0, len = 0;

    for (i = 0; i < nb; i++) {
        if (names[i] && s && !strcmp(s, names[i]))
            return (int)i;
        count += names[i] != NULL;
    }
    for (i = 0; i < nb; i++) {
        if (!names[i] || len >= sizeof(list))
            continue;
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
                                !k ? "" : k + 1 < count ? ", " : " or ", names[i]);
        k++;
    }
    return shmout_priv_fail(-EINVAL, "unknown %s '%s' (use %s)", what, s ? s : "(null)", list);
}

int shmout_memtype_parse(const char *s)
{
    return parse_name(memtype_names, NB_NAMES(memtype_names), s, "memtype");
}

const char *shmout_memtype_name(int memtype)
{
    return name_of(memtype_names, NB_NAMES(memtype_names), (size_t)memtype);
}

const char *shmout_status_name(int status)
{
    return name_of(status_names, NB_NAMES(status_names), (size_t)status);
}

const char *shmout_fill_mode_name(uint32_t fill_mode)
{
    return name_of(fill_mode_names, NB_NAMES(fill_mode_names), fill_mode);
}

int shmout_fill_mode_parse(const char *s)
{
    return parse_name(fill_mode_names, NB_NAMES(fill_mode_names), s, "fill mode");
}

const char *shmout_smoothness_name(uint32_t smoothness)
{
    return name_of(smoothness_names, NB_NAMES(smoothness_names), smoothness);
}

int shmout_smoothness_parse(const char *s)
{
    return parse_name(smoothness_names, NB_NAMES(smoothness_names), s, "smoothness");
}

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
