/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout_names.c - error messages, the block-name rule and the names of the
 * enum values (memtype, status, fill mode, smoothness). Nothing here uses the
 * operating system, so the Windows build of the devices compiles it too.
 */
#define _GNU_SOURCE                /* strnlen under FFmpeg's -D_POSIX_C_SOURCE=200112 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
#if defined(ESTALE) && defined(ESHUTDOWN)   /* the POSIX reader's; not in Windows' C library */
    case -ESTALE:      return "the writer died (block is stale)";
    case -ESHUTDOWN:   return "the writer closed the block";
#endif
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
