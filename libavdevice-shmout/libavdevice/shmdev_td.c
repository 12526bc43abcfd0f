/*
 * Shared-memory video devices: TouchDesigner's shared-memory layout (Windows)
 * Copyright (c) 2026 the shmout authors
 *
 * This file is part of FFmpeg.
 *
 * FFmpeg is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * FFmpeg is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with FFmpeg; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA
 */

/*
 * TouchDesigner's own layout behind the devices' layout seam, as its Shared Mem Out and In
 * TOPs (type Local) use it on Windows; docs/TOUCHDESIGNER.md gives each fact and its source.
 * A named mapping "TouchSHM<name><postfix>" holds a header and the image, bottom row first;
 * a named mutex "TouchSHM<name>Mutex" guards every access; a small info mapping announces
 * the postfix, which changes with every resize, and says when the writer closed (detach).
 * Unlike TouchDesigner, which waits up to 5 s, both sides wait for the mutex only a short,
 * bounded time: the writer drops (and counts) a frame it cannot write in time, and a mutex
 * whose holder died is taken over. The layout has no frame counter: the reader recognises a
 * new frame by its content. Beside TouchDesigner's objects the writer keeps one of its own,
 * "shmoutTouchDesignerWriter<name>" (its process id), by which readers and later writers know a
 * writer that died; TouchDesigner ignores it.
 */

#include <windows.h>

#include "libavutil/avstring.h"
#include "libavutil/imgutils.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/lfg.h"
#include "libavutil/mathematics.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavutil/random_seed.h"
#include "libavutil/time.h"
#include "libavutil/wchar_filename.h"
#include "shmdev_common.h"
#include "shmdev_layout.h"

/* The header (TOP_SharedMemHeader), current generation: little-endian fields at these offsets. */
#define HDR_MAGIC         0xd95ef835u
#define HDR_V1_SIZE       48
#define HDR_V2_SIZE       56
#define HDR_OFF_MAGIC     0
#define HDR_OFF_VERSION   4
#define HDR_OFF_WIDTH     8
#define HDR_OFF_HEIGHT    12
#define HDR_OFF_ASPECTX   16
#define HDR_OFF_ASPECTY   20
#define HDR_OFF_PIXFMT    24
#define HDR_OFF_DATASIZE  32          /* int64 */
#define HDR_OFF_DATAOFF   40
#define HDR_OFF_TRANSFER  48          /* version 2: 0 linear, 1 sRGB */
/* The older generation, with OpenGL's format and type instead of a pixel format code. */
#define OLD_MAGIC         0xe95df673u
#define OLD_SIZE          40
#define OLD_OFF_GLFORMAT  24
#define OLD_OFF_GLTYPE    28
#define OLD_OFF_DATAOFF   36
/* The info segment (UT_SharedMemInfo) with Windows' wide postfix. */
#define INFO_MAGIC        0x56ed34bau
#define INFO_VERSION      2
#define INFO_SIZE         76
#define INFO_OFF_MAGIC    0
#define INFO_OFF_VERSION  4
#define INFO_OFF_SUPPORTED 8
#define INFO_OFF_POSTFIX  10          /* WCHAR[32], NUL-terminated */
#define INFO_OFF_DETACH   74
#define POSTFIX_LEN       31
/* shmout's own liveness object: a magic and the writer's process id. */
#define OWNER_MAGIC       0x57686d73u /* "smhW" */
#define OWNER_SIZE        8

#define MAX_DIM           65536
#define INFO_LOCK_MS      1000        /* open and close: the info is tiny, a holder is brief */
#define POLL_US           2000

/* TouchDesigner's pixel formats (Vulkan VkFormat numbers, then its own from 0xF0001), the
 * name of the same memory layout (FFmpeg's where it has one), and its bytes per pixel. */
static const struct TdFormat {
    uint32_t code;
    const char *vk_name;
    const char *name;
    int srgb;
    int bpp;
} td_formats[] = {
    {       9, "R8_UNORM",                 "gray",       0, 1 },
    {      16, "R8G8_UNORM",               "rg8",        0, 2 },
    {      37, "R8G8B8A8_UNORM",           "rgba",       0, 4 },
    {      43, "R8G8B8A8_SRGB",            "rgba",       1, 4 },
    {      44, "B8G8R8A8_UNORM",           "bgra",       0, 4 },
    {      50, "B8G8R8A8_SRGB",            "bgra",       1, 4 },
    {      64, "A2B10G10R10_UNORM_PACK32", "x2bgr10le",  0, 4 },
    {      70, "R16_UNORM",                "gray16le",   0, 2 },
    {      76, "R16_SFLOAT",               "grayf16le",  0, 2 },
    {      77, "R16G16_UNORM",             "rg16le",     0, 4 },
    {      83, "R16G16_SFLOAT",            "rgf16le",    0, 4 },
    {      91, "R16G16B16A16_UNORM",       "rgba64le",   0, 8 },
    {      97, "R16G16B16A16_SFLOAT",      "rgbaf16le",  0, 8 },
    {     100, "R32_SFLOAT",               "grayf32le",  0, 4 },
    {     103, "R32G32_SFLOAT",            "rgf32le",    0, 8 },
    {     109, "R32G32B32A32_SFLOAT",      "rgbaf32le",  0, 16 },
    {     122, "B10G11R11_UFLOAT_PACK32",  "r11g11b10f", 0, 4 },
    { 0xF0001, "A8",                       "a8",         0, 1 },
    { 0xF0002, "A16",                      "a16le",      0, 2 },
    { 0xF0003, "A16F",                     "af16le",     0, 2 },
    { 0xF0004, "A32F",                     "af32le",     0, 4 },
    { 0xF0005, "R8A8",                     "ya8",        0, 2 },
    { 0xF0006, "R16A16",                   "ya16le",     0, 4 },
    { 0xF0007, "R16A16F",                  "yaf16le",    0, 4 },
    { 0xF0008, "R32A32F",                  "yaf32le",    0, 8 },
};

/* The older generation's OpenGL data format and type, as pixel format names. */
static const struct OldFormat {
    uint32_t gl_format, gl_type;
    const char *name;
    int bpp;
} old_formats[] = {
    { 0x1908, 0x1401, "rgba", 4 },      { 0x80E1, 0x1401, "bgra", 4 },     /* GL_RGBA, GL_BGRA: bytes */
    { 0x1907, 0x1401, "rgb24", 3 },     { 0x80E0, 0x1401, "bgr24", 3 },
    { 0x1903, 0x1401, "gray", 1 },      { 0x1909, 0x1401, "gray", 1 },     /* GL_RED, GL_LUMINANCE */
    { 0x190A, 0x1401, "ya8", 2 },       { 0x8227, 0x1401, "rg8", 2 },      /* GL_LUMINANCE_ALPHA, GL_RG */
    { 0x1906, 0x1401, "a8", 1 },                                        /* GL_ALPHA */
    { 0x1908, 0x1403, "rgba64le", 8 },  { 0x1903, 0x1403, "gray16le", 2 }, /* GL_UNSIGNED_SHORT */
    { 0x1909, 0x1403, "gray16le", 2 },  { 0x190A, 0x1403, "ya16le", 4 },
    { 0x1908, 0x140B, "rgbaf16le", 8 }, { 0x1903, 0x140B, "grayf16le", 2 },/* GL_HALF_FLOAT */
    { 0x1908, 0x1406, "rgbaf32le", 16 }, { 0x1903, 0x1406, "grayf32le", 4 },/* GL_FLOAT */
    { 0x1907, 0x1406, "rgbf32le", 12 },
};

static const struct TdFormat *format_by_code(uint32_t code)
{
    for (int i = 0; i < (int)FF_ARRAY_ELEMS(td_formats); i++)
        if (td_formats[i].code == code)
            return &td_formats[i];
    return NULL;
}

static const struct TdFormat *format_by_name(const char *name, int srgb)
{
    for (int i = 0; i < (int)FF_ARRAY_ELEMS(td_formats); i++)
        if (!strcmp(td_formats[i].name, name) && td_formats[i].srgb == srgb)
            return &td_formats[i];
    return NULL;
}

/*
 * A named kernel object's wide name: "TouchSHM" + name + suffix, or for the info segment and
 * its mutex, where TouchDesigner decorates an already decorated name,
 * "TouchSHMTouchSHM" + name + "4jhd783h" + suffix, or for shmout's own liveness object
 * "shmoutTouchDesignerWriter" + name.
 */
enum { OBJ_DATA, OBJ_INFO, OBJ_OWNER };
static wchar_t *object_name(int kind, const char *name, const char *suffix)
{
    static const char *const fmt[] = {
        [OBJ_DATA]  = "TouchSHM%s%s",
        [OBJ_INFO]  = "TouchSHMTouchSHM%s4jhd783h%s",
        [OBJ_OWNER] = "shmoutTouchDesignerWriter%s%s",   /* ours: outside TouchDesigner's names */
    };
    char *utf8 = av_asprintf(fmt[kind], name, suffix);
    wchar_t *w = NULL;

    if (utf8 && utf8towchar(utf8, &w) < 0)
        w = NULL;
    av_free(utf8);
    return w;
}

static int td_check_name(const char *name, char *err, size_t err_size)
{
    const char *why = NULL;

    if (!name || !*name)
        why = "the name is empty";
    else if (strlen(name) > 200)
        why = "longer than 200 bytes (Windows object names, decorated by TouchDesigner, stay "
              "under MAX_PATH)";
    else if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, NULL, 0) <= 0)
        why = "it is not valid UTF-8";
    else if (strchr(name, '\\'))
        why = "it contains '\\', which Windows reserves for object namespaces";
    else
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
            if (*p < 0x20 || *p == 0x7f) {
                why = "it contains a control character";
                break;
            }
    if (!why)
        return 0;
    snprintf(err, err_size, "%s: '%.40s%s'", why, name ? name : "", name && strlen(name) > 40 ? "..." : "");
    return AVERROR(EINVAL);
}

static int check_memtype(void *logctx, int memtype)
{
    if (memtype == SHMOUT_MEMTYPE_LOCAL)
        return 0;
    av_log(logctx, AV_LOG_ERROR, "TouchDesigner's Global shared memory is one segment per machine "
           "for TouchDesigner's own use; other applications talk to its Shared Mem TOPs only "
           "with type Local: drop -memtype global\n");
    return AVERROR(EINVAL);
}

static void log_win32(void *logctx, const char *what, const char *name)
{
    av_log(logctx, AV_LOG_ERROR, "%s for TouchDesigner block '%s' failed (Windows error %lu)\n",
           what, name, (unsigned long)GetLastError());
}

/* A mapped named object. */
typedef struct TdMapping {
    HANDLE handle;
    uint8_t *view;
    size_t size;                      /* of the view, as VirtualQuery reports it */
    char postfix[POSTFIX_LEN + 1];
} TdMapping;

static void unmap(TdMapping *m)
{
    if (m->view)
        UnmapViewOfFile(m->view);
    if (m->handle)
        CloseHandle(m->handle);
    memset(m, 0, sizeof(*m));
}

static int map_view(TdMapping *m)
{
    MEMORY_BASIC_INFORMATION mbi;

    if (!(m->view = MapViewOfFile(m->handle, FILE_MAP_ALL_ACCESS, 0, 0, 0)) ||
        !VirtualQuery(m->view, &mbi, sizeof(mbi)))
        return AVERROR(EIO);
    m->size = mbi.RegionSize;
    return 0;
}

/* Create a mapping of size bytes; AVERROR(EEXIST) when the name is taken. */
static int create_mapping(TdMapping *m, int kind, const char *name, const char *suffix, size_t size)
{
    wchar_t *w = object_name(kind, name, suffix);
    int ret;

    memset(m, 0, sizeof(*m));
    if (!w)
        return AVERROR(ENOMEM);
    m->handle = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                                   (DWORD)((uint64_t)size >> 32), (DWORD)size, w);
    av_free(w);
    if (m->handle && GetLastError() == ERROR_ALREADY_EXISTS)
        ret = AVERROR(EEXIST);
    else
        ret = m->handle ? map_view(m) : AVERROR(EIO);
    if (ret < 0)
        unmap(m);
    return ret;
}

/* Open an existing mapping; AVERROR(ENOENT) when there is none. */
static int open_mapping(TdMapping *m, int kind, const char *name, const char *suffix)
{
    wchar_t *w = object_name(kind, name, suffix);
    int ret;

    memset(m, 0, sizeof(*m));
    if (!w)
        return AVERROR(ENOMEM);
    m->handle = OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, w);
    av_free(w);
    ret = m->handle ? map_view(m) : AVERROR(ENOENT);
    if (ret < 0)
        unmap(m);
    return ret;
}

/* Create or open a named mutex (both sides do: whoever comes first creates it). */
static HANDLE create_mutex(int kind, const char *name)
{
    wchar_t *w = object_name(kind, name, "Mutex");
    HANDLE h = w ? CreateMutexW(NULL, FALSE, w) : NULL;

    av_free(w);
    return h;
}

/* The block's two mutexes, the image's and the info's, created or opened. */
static int open_mutexes(void *logctx, const char *name, HANDLE *mutex, HANDLE *info_mutex)
{
    if ((*mutex = create_mutex(OBJ_DATA, name)) && (*info_mutex = create_mutex(OBJ_INFO, name)))
        return 0;
    log_win32(logctx, "Creating the mutexes", name);
    return AVERROR(EIO);
}

static void close_mutexes(HANDLE *mutex, HANDLE *info_mutex)
{
    if (*mutex)
        CloseHandle(*mutex);
    if (*info_mutex)
        CloseHandle(*info_mutex);
    *mutex = *info_mutex = NULL;
}

/*
 * Take a mutex, waiting at most ms. 1: taken (also from a holder that died, which
 * *abandoned is set for); 0: timed out; < 0: error.
 */
static int lock(HANDLE mutex, DWORD ms, int *abandoned)
{
    switch (WaitForSingleObject(mutex, ms)) {
    case WAIT_OBJECT_0:
        return 1;
    case WAIT_ABANDONED:
        if (abandoned)
            *abandoned = 1;
        return 1;
    case WAIT_TIMEOUT:
        return 0;
    default:
        return AVERROR(EIO);
    }
}

static DWORD lock_ms(int64_t us)
{
    return (DWORD)av_clip64((us + 999) / 1000, 0, INT32_MAX);
}

static void random_postfix(AVLFG *lfg, char postfix[POSTFIX_LEN + 1])
{
    for (int i = 0; i < POSTFIX_LEN; i++)
        postfix[i] = 'a' + av_lfg_get(lfg) % 26;
    postfix[POSTFIX_LEN] = 0;
}

static void info_read_postfix(const uint8_t *info, char postfix[POSTFIX_LEN + 1])
{
    int i;

    for (i = 0; i < POSTFIX_LEN; i++) {
        unsigned c = AV_RL16(info + INFO_OFF_POSTFIX + 2 * i);
        if (!c)
            break;
        postfix[i] = c >= 'a' && c <= 'z' ? c : '?';     /* '?' never names a mapping */
    }
    postfix[i] = 0;
}

static void info_write_postfix(uint8_t *info, const char *postfix)
{
    for (int i = 0; i <= POSTFIX_LEN; i++)
        AV_WL16(info + INFO_OFF_POSTFIX + 2 * i, i < (int)strlen(postfix) ? postfix[i] : 0);
}

/* The process id in an owner object, and whether that process still runs. (Two writers
 * starting together on the name of one that died may both take it over: the second's
 * frames win; nothing is torn, each frame is written under the mutex.) */
static int owner_alive(const uint8_t *owner, DWORD *pid)
{
    HANDLE proc;
    int alive;

    if (AV_RL32(owner) != OWNER_MAGIC)
        return 0;
    *pid = AV_RL32(owner + 4);
    if (!(proc = OpenProcess(SYNCHRONIZE, FALSE, *pid)))
        return GetLastError() == ERROR_ACCESS_DENIED;   /* another user's: it exists */
    alive = WaitForSingleObject(proc, 0) == WAIT_TIMEOUT;
    CloseHandle(proc);
    return alive;
}

/* ---- the writer ---------------------------------------------------------------------- */

typedef struct TdWriter {
    char *name;
    HANDLE mutex, info_mutex;
    TdMapping owner, info;
    TdMapping cur;                    /* the mapping readers are told about */
    TdMapping next;                   /* made by a resize, announced with its first frame */
    const struct TdFormat *fmt;
    struct shmout_geometry g;
    int64_t lock_timeout;
    uint64_t frames, dropped;
    int abandoned;
    int opened;                       /* the objects are ours: close announces it (detach) */
    AVLFG lfg;
} TdWriter;

static const char *td_useinput_format(enum AVPixelFormat in)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in);

    if (desc && format_by_name(desc->name, 0))
        return NULL;                  /* TouchDesigner shows it as it is */
    if (desc && (desc->flags & AV_PIX_FMT_FLAG_FLOAT))
        return "rgba32float";
    if (desc && desc->comp[0].depth > 8)
        return "rgba16fixed";
    return "rgba8fixed";
}

static int td_format_of(void *logctx, const struct shmout_geometry *g, const struct TdFormat **fmt)
{
    int srgb = g->color.transfer == AVCOL_TRC_IEC61966_2_1;

    if (g->frame_bytes > UINT32_MAX - HDR_V1_SIZE) {
        av_log(logctx, AV_LOG_ERROR, "A %ux%u %s frame does not fit a TouchDesigner block (4 GiB at "
               "most): lower the resolution\n", g->width, g->height, g->pix_fmt_name);
        return AVERROR(EINVAL);
    }
    if (g->nb_planes == 1 && ((*fmt = format_by_name(g->pix_fmt_name, srgb)) ||
                              (*fmt = format_by_name(g->pix_fmt_name, 0))))
        return 0;
    av_log(logctx, AV_LOG_ERROR, "TouchDesigner cannot show pixel format %s: choose one it has with "
           "-format (rgba8fixed, srgba8fixed, rgba16fixed, rgba16float, rgba32float, rgb10a2fixed, "
           "rgb11float, mono/rg/a/monoalpha in 8fixed, 16fixed, 16float and 32float, or the FFmpeg "
           "formats rgba, bgra, gray, gray16le, rgba64le, x2bgr10le, ya8, ya16le, grayf32le)\n",
           g->pix_fmt_name);
    return AVERROR(EINVAL);
}

/* The header of a frame of geometry g, written at the start of a data mapping. */
static void write_header(uint8_t *h, const struct shmout_geometry *g, const struct TdFormat *fmt)
{
    double dar = g->dar_num > 0 && g->dar_den > 0 ? (double)g->dar_num / g->dar_den
                                                  : (double)g->width / g->height;

    AV_WL32(h + HDR_OFF_MAGIC, HDR_MAGIC);
    AV_WL32(h + HDR_OFF_VERSION, 1);
    AV_WL32(h + HDR_OFF_WIDTH, g->width);
    AV_WL32(h + HDR_OFF_HEIGHT, g->height);
    AV_WL32(h + HDR_OFF_ASPECTX, av_float2int(dar));
    AV_WL32(h + HDR_OFF_ASPECTY, av_float2int(1.0f));
    AV_WL32(h + HDR_OFF_PIXFMT, fmt->code);
    AV_WL32(h + HDR_OFF_PIXFMT + 4, 0);
    AV_WL64(h + HDR_OFF_DATASIZE, g->frame_bytes);
    AV_WL32(h + HDR_OFF_DATAOFF, HDR_V1_SIZE);
    AV_WL32(h + HDR_OFF_DATAOFF + 4, 0);
}

/* A data mapping for frames of geometry g: under the empty postfix if it is free and
 * random_first is 0, else under a random one. */
static int create_data(TdWriter *w, void *logctx, TdMapping *m, const struct shmout_geometry *g,
                       int random_first)
{
    int ret = AVERROR(EEXIST);

    for (int tries = 0; tries < 16 && ret == AVERROR(EEXIST); tries++) {
        char postfix[POSTFIX_LEN + 1] = "";
        if (tries || random_first)
            random_postfix(&w->lfg, postfix);
        if ((ret = create_mapping(m, OBJ_DATA, w->name, postfix, HDR_V1_SIZE + g->frame_bytes)) >= 0)
            av_strlcpy(m->postfix, postfix, sizeof(m->postfix));
    }
    if (ret < 0)
        log_win32(logctx, "Creating the image mapping", w->name);
    return ret;                       /* its header, zero until the first frame, says "none yet" */
}

static void td_out_close(void **wp, void *logctx);
static int writer_open(void **wp, void *logctx, const ShmDevWriterParams *p,
                       const struct shmout_geometry *g);

static int td_out_open(void **wp, void *logctx, const ShmDevWriterParams *p,
                       const struct shmout_geometry *g)
{
    int ret = writer_open(wp, logctx, p, g);

    if (ret < 0)
        td_out_close(wp, logctx);     /* only releases what it opened: another writer's objects stay */
    return ret;
}

static int writer_open(void **wp, void *logctx, const ShmDevWriterParams *p,
                       const struct shmout_geometry *g)
{
    TdWriter *w;
    DWORD pid = 0;
    int ret, taken_over = 0, abandoned = 0, locked;

    if ((ret = check_memtype(logctx, p->memtype)) < 0)
        return ret;
    if (!(w = av_mallocz(sizeof(*w))) || !(w->name = av_strdup(p->name))) {
        av_free(w);
        return AVERROR(ENOMEM);
    }
    *wp = w;
    w->g = *g;
    w->lock_timeout = p->lock_timeout;
    av_lfg_init(&w->lfg, av_get_random_seed());
    if ((ret = td_format_of(logctx, g, &w->fmt)) < 0)
        return ret;
    if ((ret = open_mutexes(logctx, w->name, &w->mutex, &w->info_mutex)) < 0)
        return ret;

    /* Who else has the name: a live shmout writer, one that died, or another program. */
    ret = create_mapping(&w->owner, OBJ_OWNER, w->name, "", OWNER_SIZE);
    if (ret == AVERROR(EEXIST)) {
        if ((ret = open_mapping(&w->owner, OBJ_OWNER, w->name, "")) >= 0 &&
            (w->owner.size < OWNER_SIZE || owner_alive(w->owner.view, &pid))) {
            av_log(logctx, AV_LOG_ERROR, "TouchDesigner block '%s' is in use by process %lu: "
                   "stop that writer or choose another name\n", w->name, (unsigned long)pid);
            return AVERROR(EBUSY);
        }
        taken_over = 1;               /* its writer died; readers still hold its objects */
    }
    if (ret < 0) {
        log_win32(logctx, "Creating the writer's own object", w->name);
        return ret;
    }
    ret = create_mapping(&w->info, OBJ_INFO, w->name, "", INFO_SIZE);
    if (ret == AVERROR(EEXIST) && (ret = open_mapping(&w->info, OBJ_INFO, w->name, "")) >= 0 &&
        !taken_over && (w->info.size < INFO_SIZE || !w->info.view[INFO_OFF_DETACH])) {
        av_log(logctx, AV_LOG_ERROR, "TouchDesigner block '%s' already has a writer (a Shared Mem "
               "Out TOP or another program): stop it or choose another name\n", w->name);
        return AVERROR(EBUSY);
    }
    if (ret < 0 || w->info.size < INFO_SIZE) {
        log_win32(logctx, "Creating the info segment", w->name);
        return ret < 0 ? ret : AVERROR_INVALIDDATA;
    }
    /* A name readers still hold from an earlier writer gets a new postfix at once. */
    if ((ret = create_data(w, logctx, &w->cur, g, taken_over)) < 0)
        return ret;
    if ((locked = lock(w->info_mutex, INFO_LOCK_MS, &abandoned)) < 0)
        return AVERROR(EIO);
    AV_WL32(w->info.view + INFO_OFF_MAGIC, INFO_MAGIC);
    AV_WL32(w->info.view + INFO_OFF_VERSION, INFO_VERSION);
    w->info.view[INFO_OFF_SUPPORTED] = 0;
    info_write_postfix(w->info.view, w->cur.postfix);
    w->info.view[INFO_OFF_DETACH] = 0;
    if (locked)
        ReleaseMutex(w->info_mutex);
    /* Only now is the name ours: readers and later writers see this process as its writer. */
    AV_WL32(w->owner.view + 4, GetCurrentProcessId());
    AV_WL32(w->owner.view, OWNER_MAGIC);
    w->opened = 1;
    av_log(logctx, AV_LOG_VERBOSE, "Writing %ux%u %s frames (TouchDesigner %s) to TouchDesigner "
           "block '%s'%s; the writer waits at most %"PRId64" ms for the mutex\n",
           g->width, g->height, g->pix_fmt_name, w->fmt->vk_name, w->name,
           taken_over ? ", taken over from a writer that died" : "", (w->lock_timeout + 999) / 1000);
    return 0;
}

/* A new size or format: a new mapping under a new postfix, announced with its first frame. */
static int td_out_set_geometry(void *wp, void *logctx, const struct shmout_geometry *g)
{
    TdWriter *w = wp;
    const struct TdFormat *fmt;
    TdMapping m;
    int ret;

    if ((ret = td_format_of(logctx, g, &fmt)) < 0 || (ret = create_data(w, logctx, &m, g, 1)) < 0)
        return ret;
    unmap(&w->next);                  /* a resize not announced yet: never seen by a reader */
    w->next = m;
    w->g    = *g;
    w->fmt  = fmt;
    return 0;
}

static int td_out_begin_frame(void *wp, void *logctx, uint8_t *dst[4], int dst_linesize[4])
{
    TdWriter *w = wp;
    TdMapping *m = w->next.view ? &w->next : &w->cur;
    int abandoned = 0, ret = lock(w->mutex, lock_ms(w->lock_timeout), &abandoned);
    int ls = w->g.plane_linesize[0];

    if (ret < 0) {
        log_win32(logctx, "Waiting for the mutex", w->name);
        return ret;
    }
    if (!ret) {
        w->dropped++;
        av_log(logctx, AV_LOG_VERBOSE, "Frame dropped: a reader held block '%s' longer than "
               "lock_timeout (%"PRIu64" dropped so far)\n", w->name, w->dropped);
        return AVERROR(EAGAIN);
    }
    if (abandoned && !w->abandoned++)
        av_log(logctx, AV_LOG_WARNING, "A reader of block '%s' died holding its mutex; "
               "the writer took the mutex over\n", w->name);
    write_header(m->view, &w->g, w->fmt);
    /* TouchDesigner's images start with the bottom row. */
    memset(dst, 0, 4 * sizeof(*dst));
    memset(dst_linesize, 0, 4 * sizeof(*dst_linesize));
    dst[0]          = m->view + HDR_V1_SIZE + (size_t)(w->g.height - 1) * ls;
    dst_linesize[0] = -ls;
    return 0;
}

static int td_out_publish(void *wp, void *logctx, av_unused struct shmout_frame_meta *meta)
{
    TdWriter *w = wp;
    int abandoned = 0, locked;

    if (w->next.view) {
        /* Readers lock the mutex, then the info: the same order here, and no longer a wait. */
        if ((locked = lock(w->info_mutex, lock_ms(w->lock_timeout), &abandoned)) <= 0)
            av_log(logctx, AV_LOG_WARNING, "The info segment of block '%s' stayed locked longer "
                   "than lock_timeout; announcing the new size anyway\n", w->name);
        info_write_postfix(w->info.view, w->next.postfix);
        if (locked > 0)
            ReleaseMutex(w->info_mutex);
        unmap(&w->cur);
        w->cur = w->next;
        memset(&w->next, 0, sizeof(w->next));
    }
    ReleaseMutex(w->mutex);
    w->frames++;
    return 0;
}

static void td_out_close(void **wp, void *logctx)
{
    TdWriter *w = *wp;
    int abandoned = 0, locked;

    if (!w)
        return;
    if (w->opened) {
        if ((locked = lock(w->info_mutex, INFO_LOCK_MS, &abandoned)) >= 0) {
            w->info.view[INFO_OFF_DETACH] = 1;
            if (locked)
                ReleaseMutex(w->info_mutex);
        }
        AV_WL32(w->owner.view, 0);    /* no writer now */
        av_log(logctx, w->dropped ? AV_LOG_WARNING : AV_LOG_VERBOSE,
               "Closing TouchDesigner block '%s' after %"PRIu64" frames; %"PRIu64" dropped because "
               "a reader held the mutex longer than lock_timeout\n", w->name, w->frames, w->dropped);
    }
    unmap(&w->next);
    unmap(&w->cur);
    unmap(&w->info);
    unmap(&w->owner);
    close_mutexes(&w->mutex, &w->info_mutex);
    av_free(w->name);
    av_freep(wp);
}

const ShmDevOutLayout ff_shmdev_out_touchdesigner = {
    .name            = "touchdesigner",
    .useinput_format = td_useinput_format,
    .check_name      = td_check_name,
    .open            = td_out_open,
    .set_geometry    = td_out_set_geometry,
    .begin_frame     = td_out_begin_frame,
    .publish         = td_out_publish,
    .close           = td_out_close,
};

/* ---- the reader ---------------------------------------------------------------------- */

typedef struct TdReader {
    ShmDevReaderParams p;
    const char *name;
    HANDLE mutex, info_mutex;
    TdMapping info, data, owner;      /* info and owner may be missing (other writers) */
    AVFrame *pending;                 /* the new frame wait() found, handed out by read() */
    uint8_t *last;                    /* header and image of the last frame, to tell a new one */
    unsigned last_size, last_alloc;
    uint64_t frames;
    int abandoned;
    int owner_seen;                   /* a shmout writer announced itself in the owner object */
    int end;                          /* the writer's end, seen with its last frame: next look */
    const char *format_desc;          /* the current frame's format, as TouchDesigner names it */
    int eof;                          /* the stream ended (onclose eof) */
} TdReader;

enum { POLL_NONE, POLL_FRAME, POLL_CLOSED, POLL_GONE };

static void detach(TdReader *r)
{
    unmap(&r->data);
    unmap(&r->info);
    unmap(&r->owner);
}

/*
 * Attach to the block's objects once: 0, or AVERROR(ENOENT) while there is no writer. Writers
 * create the info segment before the image mapping, so an image mapping found without an info
 * segment is looked at again before it is taken for a writer that has none.
 */
static int attach(TdReader *r, AVFormatContext *s)
{
    char postfix[POSTFIX_LEN + 1] = "";
    int ret, locked, abandoned = 0;

    if (open_mapping(&r->info, OBJ_INFO, r->name, "") < 0 &&
        open_mapping(&r->data, OBJ_DATA, r->name, "") >= 0) {
        unmap(&r->data);
        open_mapping(&r->info, OBJ_INFO, r->name, "");
    }
    if (r->info.view) {
        if (r->info.size >= INFO_SIZE && !AV_RL32(r->info.view + INFO_OFF_MAGIC)) {
            detach(r);                /* created, not yet filled in by its writer */
            return AVERROR(ENOENT);
        }
        if (r->info.size < INFO_SIZE || AV_RL32(r->info.view + INFO_OFF_MAGIC) != INFO_MAGIC) {
            av_log(s, AV_LOG_ERROR, "The info segment of TouchDesigner block '%s' is not one "
                   "(magic 0x%08x): another program uses the name\n", r->name,
                   r->info.size >= 4 ? AV_RL32(r->info.view) : 0);
            detach(r);
            return AVERROR_INVALIDDATA;
        }
        if ((locked = lock(r->info_mutex, INFO_LOCK_MS, &abandoned)) < 0)
            return AVERROR(EIO);
        if (r->info.view[INFO_OFF_DETACH] && AV_RL32(r->info.view + INFO_OFF_VERSION) > 1) {
            if (locked)
                ReleaseMutex(r->info_mutex);
            detach(r);                /* a closed block: wait for the next writer */
            return AVERROR(ENOENT);
        }
        r->info.view[INFO_OFF_SUPPORTED] = 1;   /* this reader follows resizes */
        info_read_postfix(r->info.view, postfix);
        if (locked)
            ReleaseMutex(r->info_mutex);
    }
    /* Without an info segment (a writer that has none) the data mapping is used as it is. */
    if ((ret = open_mapping(&r->data, OBJ_DATA, r->name, postfix)) < 0) {
        detach(r);
        return ret;
    }
    av_strlcpy(r->data.postfix, postfix, sizeof(r->data.postfix));
    if (open_mapping(&r->owner, OBJ_OWNER, r->name, "") >= 0 && r->owner.size < OWNER_SIZE)
        unmap(&r->owner);
    r->owner_seen = 0;
    return 0;
}

/* Attach, waiting up to timeout microseconds (-1: forever) for a writer. */
static int attach_wait(TdReader *r, AVFormatContext *s, int64_t timeout)
{
    int64_t deadline = timeout < 0 ? INT64_MAX : av_gettime_relative() + timeout;
    int ret;

    while ((ret = attach(r, s)) == AVERROR(ENOENT)) {
        if (ff_shmdev_interrupted(s))
            return AVERROR_EXIT;
        if (av_gettime_relative() >= deadline) {
            av_log(s, AV_LOG_ERROR, "No writer created TouchDesigner block '%s' (local) within the "
                   "timeout: start the writer (a Shared Mem Out TOP of type Local named '%s'), or "
                   "raise -timeout\n", r->name, r->name);
            return AVERROR(ETIMEDOUT);
        }
        av_usleep(10000);
    }
    return ret;
}

static int td_in_open(void **rp, AVFormatContext *s, const ShmDevReaderParams *p)
{
    TdReader *r;
    char err[256];
    int ret;

    if ((ret = check_memtype(s, p->memtype)) < 0)
        return ret;
    if (td_check_name(s->url, err, sizeof(err)) < 0) {
        av_log(s, AV_LOG_ERROR, "Invalid block name %s\n", err);
        return AVERROR(EINVAL);
    }
    if (!(r = av_mallocz(sizeof(*r))))
        return AVERROR(ENOMEM);
    *rp = r;
    r->p    = *p;
    r->name = s->url;
    if ((ret = open_mutexes(s, r->name, &r->mutex, &r->info_mutex)) < 0)
        return ret;
    return attach_wait(r, s, p->timeout);
}

/*
 * Check a header against the mapping holding it, and describe its image. The mapping's
 * size bounds every read, whatever the header says.
 */
static int parse_header(TdReader *r, AVFormatContext *s, const uint8_t *h, size_t size,
                        struct shmout_geometry *g, unsigned *offset, int *trc, float *aspect)
{
    uint32_t magic = size >= 4 ? AV_RL32(h) : 0, version = size >= 8 ? AV_RL32(h + 4) : 0;
    int64_t w, ht, data_size = 0, data_off;
    const struct TdFormat *fmt = NULL;
    const char *name = NULL;
    uint32_t code = 0;
    int ret, bpp = 0, has_size = 0;

    *trc = AVCOL_TRC_UNSPECIFIED;
    if (magic == HDR_MAGIC) {
        if (version != 1 && version != 2) {
            av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' has header version %u; this reader "
                   "knows versions 1 and 2\n", r->name, version);
            return AVERROR_PATCHWELCOME;
        }
        if (size < (version == 2 ? HDR_V2_SIZE : HDR_V1_SIZE))
            goto too_small;
        if (!(fmt = format_by_code(code = AV_RL32(h + HDR_OFF_PIXFMT)))) {
            av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' holds pixel format code %u (0x%x), "
                   "which is not one of TouchDesigner's\n", r->name, code, code);
            return AVERROR_INVALIDDATA;
        }
        name      = fmt->name;
        bpp       = fmt->bpp;
        has_size  = 1;
        data_size = (int64_t)AV_RL64(h + HDR_OFF_DATASIZE);
        data_off  = (int32_t)AV_RL32(h + HDR_OFF_DATAOFF);
        if (fmt->srgb || (version == 2 && AV_RL32(h + HDR_OFF_TRANSFER) == 1))
            *trc = AVCOL_TRC_IEC61966_2_1;
        else if (version == 2 && AV_RL32(h + HDR_OFF_TRANSFER) == 0)
            *trc = AVCOL_TRC_LINEAR;
        if (data_off < (version == 2 ? HDR_V2_SIZE : HDR_V1_SIZE))
            goto bad_offset;
    } else if (magic == OLD_MAGIC) {
        uint32_t glf, glt;
        if (size < OLD_SIZE)
            goto too_small;
        glf = AV_RL32(h + OLD_OFF_GLFORMAT);
        glt = AV_RL32(h + OLD_OFF_GLTYPE);
        for (int i = 0; i < (int)FF_ARRAY_ELEMS(old_formats); i++)
            if (old_formats[i].gl_format == glf && old_formats[i].gl_type == glt) {
                name = old_formats[i].name;
                bpp  = old_formats[i].bpp;
            }
        if (!name) {
            av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' (older header generation) holds "
                   "OpenGL format 0x%x with type 0x%x, which this reader cannot convert\n",
                   r->name, glf, glt);
            return AVERROR_PATCHWELCOME;
        }
        data_off = (int32_t)AV_RL32(h + OLD_OFF_DATAOFF);
        if (data_off < OLD_SIZE)
            goto bad_offset;
    } else if (!magic) {
        return 0;                     /* nothing written yet */
    } else {
        av_log(s, AV_LOG_ERROR, "Mapping '%s' is not a TouchDesigner block: magic 0x%08x "
               "(this reader knows 0x%08x and the older 0x%08x)\n", r->name, magic, HDR_MAGIC, OLD_MAGIC);
        return AVERROR_INVALIDDATA;
    }
    w  = (int32_t)AV_RL32(h + HDR_OFF_WIDTH);
    ht = (int32_t)AV_RL32(h + HDR_OFF_HEIGHT);
    if (w < 1 || ht < 1 || w > MAX_DIM || ht > MAX_DIM) {
        av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' claims a %"PRId64"x%"PRId64" image "
               "(1 to %d each)\n", r->name, w, ht, MAX_DIM);
        return AVERROR_INVALIDDATA;
    }
    memset(g, 0, sizeof(*g));
    if ((ret = ff_shmdev_layout(g, AV_PIX_FMT_NONE, bpp, w, ht)) < 0)
        return ret;
    av_strlcpy(g->pix_fmt_name, name, sizeof(g->pix_fmt_name));
    if (g->frame_bytes > UINT32_MAX - HDR_V2_SIZE) {
        av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' claims a %"PRId64"x%"PRId64" image of "
               "more than 4 GiB\n", r->name, w, ht);
        return AVERROR_INVALIDDATA;
    }
    if (has_size && data_size != (int64_t)g->frame_bytes) {
        av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' claims %"PRId64" image bytes; a %"PRId64
               "x%"PRId64" %s image has %"PRIu64"\n", r->name, data_size, w, ht,
               fmt ? fmt->vk_name : name, g->frame_bytes);
        return AVERROR_INVALIDDATA;
    }
    if ((uint64_t)data_off + g->frame_bytes > size) {
        av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' claims an image of %"PRIu64" bytes at "
               "offset %"PRId64", beyond its mapping of %zu bytes\n", r->name, g->frame_bytes,
               data_off, size);
        return AVERROR_INVALIDDATA;
    }
    *offset = data_off;
    r->format_desc = fmt ? fmt->vk_name : "an OpenGL format of the older header";
    *aspect = (float)av_int2float(AV_RL32(h + HDR_OFF_ASPECTX)) /
              av_int2float(AV_RL32(h + HDR_OFF_ASPECTY));
    return 1;
too_small:
    av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' is too small for its header\n", r->name);
    return AVERROR_INVALIDDATA;
bad_offset:
    av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' puts its image at offset %"PRId64", inside "
           "its header\n", r->name, data_off);
    return AVERROR_INVALIDDATA;
}

/* Copy a frame out of the mapping (under the mutex) into r->pending, top row first. */
static int take_frame(TdReader *r, AVFormatContext *s, const struct shmout_geometry *g,
                      unsigned offset, int trc, float aspect)
{
    const uint8_t *img = r->data.view + offset;
    int ls = g->plane_linesize[0], ret;
    AVFrame *f;

    if (!r->pending && !(r->pending = av_frame_alloc()))
        return AVERROR(ENOMEM);
    f = r->pending;
    av_frame_unref(f);
    f->width  = g->width;
    f->height = g->height;
    if ((f->format = av_get_pix_fmt(g->pix_fmt_name)) == AV_PIX_FMT_NONE) {
        av_log(s, AV_LOG_ERROR, "TouchDesigner block '%s' holds %s, which has no FFmpeg pixel "
               "format: set its Shared Mem Out TOP to another format (e.g. 8-bit fixed RGBA)\n",
               r->name, r->format_desc);
        return AVERROR_PATCHWELCOME;
    }
    if ((ret = av_frame_get_buffer(f, 0)) < 0)
        return ret;
    av_image_copy_plane(f->data[0], f->linesize[0], img + (size_t)(g->height - 1) * ls, -ls,
                        ls, g->height);
    f->color_trc = trc;
    if (aspect > 0 && isfinite(aspect))
        f->sample_aspect_ratio = av_d2q(aspect * g->height / g->width, 65535);
    else
        f->sample_aspect_ratio = (AVRational){ 1, 1 };
    return 0;
}

/*
 * One look at the block, under its mutex: POLL_FRAME (a new frame is in r->pending), POLL_NONE,
 * or the writer's end, POLL_CLOSED or POLL_GONE. A writer's last frame is taken before its end
 * is reported (at the next look).
 */
static int poll_once(TdReader *r, AVFormatContext *s)
{
    struct shmout_geometry g;
    unsigned offset = 0;
    uint64_t total;
    int abandoned = 0, locked, ret, trc, end = POLL_NONE;
    DWORD pid;
    float aspect;

    if (r->end)
        return r->end;
    if (r->owner.view) {              /* a shmout writer: it says when it died or closed */
        if (AV_RL32(r->owner.view) == OWNER_MAGIC) {
            r->owner_seen = 1;
            if (!owner_alive(r->owner.view, &pid))
                end = POLL_GONE;
        } else if (r->owner_seen) {
            end = POLL_CLOSED;
        }
    }
    if ((locked = lock(r->mutex, lock_ms(r->p.lock_timeout), &abandoned)) <= 0)
        return locked < 0 ? AVERROR(EIO) : end;   /* the writer holds it: look again */
    if (abandoned) {
        /* A reader, or the writer, died holding it: this image may be half written. Look again
         * later; whether the writer is gone, its owner object tells. */
        if (!r->abandoned++)
            av_log(s, AV_LOG_WARNING, "A process died holding block '%s''s mutex\n", r->name);
        goto done;
    }
    if (r->info.view) {
        char postfix[POSTFIX_LEN + 1];
        int ilocked = lock(r->info_mutex, lock_ms(r->p.lock_timeout), NULL);

        if (ilocked < 0) {
            ret = AVERROR(EIO);
            goto done;
        }
        if (r->info.view[INFO_OFF_DETACH] && AV_RL32(r->info.view + INFO_OFF_VERSION) > 1)
            end = POLL_CLOSED;
        info_read_postfix(r->info.view, postfix);
        if (ilocked)
            ReleaseMutex(r->info_mutex);
        if (strcmp(postfix, r->data.postfix)) {   /* resized: the image moved */
            TdMapping m;
            if (open_mapping(&m, OBJ_DATA, r->name, postfix) < 0)
                goto done;
            unmap(&r->data);
            r->data = m;
            av_strlcpy(r->data.postfix, postfix, sizeof(r->data.postfix));
        }
    }
    ret = parse_header(r, s, r->data.view, r->data.size, &g, &offset, &trc, &aspect);
    if (ret > 0) {
        total = offset + g.frame_bytes;
        if (total == r->last_size && !memcmp(r->last, r->data.view, total)) {
            ret = POLL_NONE;          /* the same frame as last time */
        } else if ((ret = take_frame(r, s, &g, offset, trc, aspect)) >= 0) {
            av_fast_malloc(&r->last, &r->last_alloc, total);
            if (!r->last) {
                ret = AVERROR(ENOMEM);
            } else {
                memcpy(r->last, r->data.view, total);
                r->last_size = total;
                ret = POLL_FRAME;
            }
        }
    }
    ReleaseMutex(r->mutex);
    if (ret == POLL_FRAME)
        r->end = end;
    return ret < 0 ? ret : ret == POLL_FRAME ? POLL_FRAME : end;
done:
    ReleaseMutex(r->mutex);
    return end;
}

static int td_in_wait(void *rp, AVFormatContext *s, int64_t timeout)
{
    TdReader *r = rp;
    int64_t deadline = timeout < 0 ? INT64_MAX : av_gettime_relative() + timeout;
    int ret;

    while (!r->pending || !r->pending->buf[0]) {
        if (r->eof)
            return AVERROR_EOF;
        if (ff_shmdev_interrupted(s))
            return AVERROR_EXIT;
        if ((ret = poll_once(r, s)) < 0)
            return ret;
        if (ret == POLL_CLOSED || ret == POLL_GONE) {
            av_log(s, ret == POLL_GONE ? AV_LOG_WARNING : AV_LOG_INFO, "The writer of block '%s' "
                   "%s%s\n", r->name, ret == POLL_GONE ? "is gone" : "closed it",
                   r->p.onclose_wait ? "; waiting for the next writer" : "");
            detach(r);
            r->end = POLL_NONE;
            r->last_size = 0;
            if (!r->p.onclose_wait) {
                r->eof = 1;
                return AVERROR_EOF;
            }
            if ((ret = attach_wait(r, s, -1)) < 0)
                return ret;
            continue;
        }
        if (ret == POLL_FRAME)
            break;
        if (av_gettime_relative() >= deadline)
            return AVERROR(ETIMEDOUT);
        av_usleep(POLL_US);
    }
    return 0;
}

static int td_in_read(void *rp, av_unused AVFormatContext *s, AVFrame *frame,
                      struct shmout_frame_meta *meta)
{
    TdReader *r = rp;

    if (!r->pending || !r->pending->buf[0])
        return AVERROR(EAGAIN);
    av_frame_move_ref(frame, r->pending);
    memset(meta, 0, sizeof(*meta));
    meta->frame_number = ++r->frames;
    meta->pts          = SHMOUT_NOPTS;
    meta->realtime_ns  = av_gettime() * 1000;
    return 0;
}

static int td_in_unreadable(av_unused void *rp, av_unused AVFormatContext *s)
{
    return AVERROR(EAGAIN);
}

/* The layout has no frame counter: a frame overwritten before it was seen is not known. */
static void td_in_report(av_unused void *rp, av_unused AVFormatContext *s,
                         av_unused const struct shmout_frame_meta *meta)
{
}

static void td_in_close(void **rp)
{
    TdReader *r = *rp;

    if (!r)
        return;
    detach(r);
    close_mutexes(&r->mutex, &r->info_mutex);
    av_frame_free(&r->pending);
    av_free(r->last);
    av_freep(rp);
}

const ShmDevInLayout ff_shmdev_in_touchdesigner = {
    .name       = "touchdesigner",
    .open       = td_in_open,
    .wait       = td_in_wait,
    .read       = td_in_read,
    .unreadable = td_in_unreadable,
    .report     = td_in_report,
    .close      = td_in_close,
};
