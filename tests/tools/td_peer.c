/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * td_peer: an independent peer for testing our FFmpeg devices against TouchDesigner's
 * shared-memory layout (the "Shared Mem In" and "Shared Mem Out" TOPs) on Windows. It is
 * written from the published layout facts (docs/TOUCHDESIGNER.md) alone, not from our device
 * code, and plays both TouchDesigner roles so ffmpeg.exe can be tested against it.
 *
 *   td_peer read NAME COUNT OUTFILE [timeout_ms]
 *       the Shared Mem In role: attach (set supported=true in the info segment), follow the
 *       postfix, and append each NEW frame's image (rows top-to-bottom, tightly packed) to
 *       OUTFILE, printing "frame N WxH code C bytes B" (N from 0, C decimal) per frame. Stops
 *       after COUNT new frames or when the owner sets detach (prints "detach"); fails after
 *       timeout_ms (default 10000) without a new frame, or at once on a bad header.
 *   td_peer write NAME WIDTH HEIGHT CODE FRAMES [resize_at W2 H2] [--pattern-out FILE]
 *       the Shared Mem Out role: create the objects and write FRAMES frames ~40 ms apart;
 *       at frame index resize_at switch to W2xH2 under a new random postfix (needs a reader
 *       that set supported=true). --pattern-out appends every frame written, top row first.
 *   td_peer hold NAME MS        take the data mutex, print "held", keep it MS ms, release
 *   td_peer hold-die NAME       take the data mutex, print "held", exit without releasing
 *   td_peer hostile NAME KIND [ms]
 *       publish a lying segment (KIND: bigsize badoffset smalloffset badcode badmagic
 *       badversion negsize mismatch hugedims oldgen infomagic), print "ready", keep it up
 *       ms ms (default 5000), set detach, exit
 *   td_peer info NAME           print the info segment and the current header, key=value
 *
 * Exit status: 0 success, 1 usage, 2 failure (with a message on stderr).
 *
 * Test pattern of frame k (k from 0), defined on the TOP-FIRST image (row y = 0 is the top):
 *   integer codes (R8, RG8, RGBA8, sRGB, BGRA8, A2B10G10R10, R16, RG16, RGBA16, A8, A16, R8A8,
 *   R16A16): byte i of the image = (i*7 + k*13 + (i / rowbytes)*3) & 0xff, rowbytes = W*bpp.
 *   float codes: component c (0-based, in memory order) of pixel (x, y) =
 *   ((x + 2*y + 5*c + k) % 256) / 255.0, stored as IEEE half (R16F RG16F RGBA16F A16F
 *   R16A16F; round to nearest even) or float (R32F RG32F RGBA32F A32F R32A32F), little endian.
 *   B10G11R11 ufloat: c0 = R in bits 0-10, c1 = G in bits 11-21, c2 = B in bits 22-31, each
 *   the half of that value with its low mantissa bits dropped (R, G: half >> 4; B: half >> 5).
 *   The image is stored in the shared memory in the row order of TD_FIRST_ROW_IN_MEMORY_IS_BOTTOM.
 *
 * Behaviour (from docs/TOUCHDESIGNER.md unless said otherwise):
 *   - every access to the data mapping holds the data mutex (reader waits 1000 ms per try and
 *     keeps polling, writer fails after 5000 ms); every access to the info holds the info
 *     mutex (5000 ms, as the sample). The two are never held together.
 *   - WAIT_ABANDONED counts as owning the mutex (noted on stderr and carried on); the sample
 *     treats it as a failure, this peer deliberately survives a holder that died.
 *   - the reader accepts header versions 1 and 2 and always uses dataOffset; it waits while the
 *     info is still zero, or the header of a mapping that has not held a valid one yet
 *     (created, not yet written); any other bad value fails at once. It opens (never
 *     creates) the mutexes, so an owner that creates none is caught. The old-generation
 *     header (magic 0xe95df673) is recognised and rejected.
 *   - the writer writes header version 1 with dataOffset 48, aspectx = W, aspecty = H, in a
 *     mapping of exactly 48 + dataSize bytes. It holds each mutex from before it creates the
 *     mapping the mutex guards until that mapping is initialised. On resize it creates the new
 *     mapping, writes the frame there, then publishes the postfix, then closes the old one.
 */
#define WIN32_LEAN_AND_MEAN
#define __USE_MINGW_ANSI_STDIO 1
#include <windows.h>

#include <fcntl.h>
#include <inttypes.h>
#include <io.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---- ROW ORDER --------------------------------------------------------------------------
 * TouchDesigner textures have their origin at the bottom-left. 1: the first row in memory is
 * the BOTTOM row of the image (rows run bottom to top); 0: the first row is the top row.
 * Everything this program writes to files and compares is top-first; this switch only
 * decides how rows are laid out in the shared memory. docs/TOUCHDESIGNER.md ("Row order")
 * concludes bottom row first (OpenGL convention, inferred, ~80 % confidence; no Derivative
 * document states it). Flip with -DTD_FIRST_ROW_IN_MEMORY_IS_BOTTOM=0. */
#ifndef TD_FIRST_ROW_IN_MEMORY_IS_BOTTOM
#define TD_FIRST_ROW_IN_MEMORY_IS_BOTTOM 1
#endif

/* ---- names ---- */
#define TD_PREFIX L"TouchSHM"
#define TD_MUTEX_SUFFIX L"Mutex"
#define TD_INFO_PREFIX L"TouchSHMTouchSHM"
#define TD_INFO_SUFFIX L"4jhd783h"

/* ---- info segment (MSVC x64 layout: bool 1 byte, WCHAR 2 bytes) ---- */
#define INFO_MAGIC 0x56ed34bau
#define INFO_VERSION 2
#define INFO_OFF_MAGIC 0
#define INFO_OFF_VERSION 4
#define INFO_OFF_SUPPORTED 8
#define INFO_OFF_POSTFIX 10
#define INFO_POSTFIX_CHARS 32 /* WCHARs, NUL included */
#define INFO_OFF_DETACH 74
#define INFO_SIZE 76

/* ---- data header, current generation ---- */
#define HDR_MAGIC 0xd95ef835u
#define HDR_VERSION 1     /* what we write */
#define HDR_VERSION_MAX 2 /* version 2 (TD 2025) appends gamutPrimaries @44, transfer @48 */
#define HDR_OFF_GAMUT 44
#define HDR_OFF_TRANSFER 48
#define HDR_OLD_MAGIC 0xe95df673u /* older generation: int32 fields, sizeof 40, no dataSize */
#define OLD_OFF_DATAFORMAT 24
#define OLD_OFF_DATATYPE 28
#define OLD_OFF_PIXELFORMAT 32
#define OLD_OFF_DATAOFFSET 36
#define OLD_HDR_SIZE 40
#define HDR_OFF_MAGIC 0
#define HDR_OFF_VERSION 4
#define HDR_OFF_WIDTH 8
#define HDR_OFF_HEIGHT 12
#define HDR_OFF_ASPECTX 16
#define HDR_OFF_ASPECTY 20
#define HDR_OFF_FORMAT 24
#define HDR_OFF_DATASIZE 32
#define HDR_OFF_DATAOFFSET 40
#define HDR_SIZE 48

#define POSTFIX_LETTERS 31
#define READ_LOCK_MS 1000  /* data mutex, reader */
#define WRITE_LOCK_MS 5000 /* data mutex, writer */
#define INFO_LOCK_MS 5000  /* info mutex, both sides (as the sample does) */
#define FRAME_INTERVAL_MS 40

/* ---- pixel formats ---- */
enum kind { K_BYTES, K_HALF, K_FLOAT, K_B10G11R11 };
struct fmt {
    uint32_t code;
    const char *name;
    int bpp;
    enum kind kind;
    int comps;
};
static const struct fmt fmts[] = {
    {9, "R8", 1, K_BYTES, 1},
    {16, "RG8", 2, K_BYTES, 2},
    {37, "RGBA8", 4, K_BYTES, 4},
    {43, "RGBA8_SRGB", 4, K_BYTES, 4},
    {44, "BGRA8", 4, K_BYTES, 4},
    {50, "BGRA8_SRGB", 4, K_BYTES, 4},
    {64, "A2B10G10R10", 4, K_BYTES, 4},
    {122, "B10G11R11_UFLOAT", 4, K_B10G11R11, 3},
    {70, "R16", 2, K_BYTES, 1},
    {77, "RG16", 4, K_BYTES, 2},
    {91, "RGBA16", 8, K_BYTES, 4},
    {76, "R16F", 2, K_HALF, 1},
    {83, "RG16F", 4, K_HALF, 2},
    {97, "RGBA16F", 8, K_HALF, 4},
    {100, "R32F", 4, K_FLOAT, 1},
    {103, "RG32F", 8, K_FLOAT, 2},
    {109, "RGBA32F", 16, K_FLOAT, 4},
    {0xF0001, "A8", 1, K_BYTES, 1},
    {0xF0002, "A16", 2, K_BYTES, 1},
    {0xF0003, "A16F", 2, K_HALF, 1},
    {0xF0004, "A32F", 4, K_FLOAT, 1},
    {0xF0005, "R8A8", 2, K_BYTES, 2},
    {0xF0006, "R16A16", 4, K_BYTES, 2},
    {0xF0007, "R16A16F", 4, K_HALF, 2},
    {0xF0008, "R32A32F", 8, K_FLOAT, 2},
};

static const struct fmt *find_fmt(uint32_t code)
{
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
        if (fmts[i].code == code)
            return &fmts[i];
    return NULL;
}

/* ---- small helpers ---- */
static const char *cmd = "td_peer";

static void die(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    fprintf(stderr, "td_peer: %s: ", cmd);
    vfprintf(stderr, f, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    exit(2);
}

static void note(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    fprintf(stderr, "td_peer: %s: ", cmd);
    vfprintf(stderr, f, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(void)
{
    fputs("usage: td_peer read NAME COUNT OUTFILE [timeout_ms]\n"
          "       td_peer write NAME WIDTH HEIGHT CODE FRAMES [resize_at W2 H2]\n"
          "                     [--pattern-out FILE]\n"
          "       td_peer hold NAME MS\n"
          "       td_peer hold-die NAME\n"
          "       td_peer hostile NAME KIND [ms]\n"
          "       td_peer info NAME\n",
          stderr);
    exit(1);
}

static long long num(const char *s, long long lo, long long hi, const char *what)
{
    char *end;
    long long v = strtoll(s, &end, 0);
    if (!*s || *end || v < lo || v > hi)
        die("bad %s '%s' (want %lld..%lld)", what, s, lo, hi);
    return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}
static void wr32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static int64_t rd64(const uint8_t *p, size_t off)
{
    int64_t v;
    memcpy(&v, p + off, 8);
    return v;
}
static void wr64(uint8_t *p, size_t off, int64_t v) { memcpy(p + off, &v, 8); }
static float rdf(const uint8_t *p, size_t off)
{
    float v;
    memcpy(&v, p + off, 4);
    return v;
}
static void wrf(uint8_t *p, size_t off, float v) { memcpy(p + off, &v, 4); }

/* object name = prefix + NAME (from the command line, ANSI code page) + suffix */
static void mkname(wchar_t *out, size_t cap, const wchar_t *prefix, const char *name,
                   const wchar_t *suffix)
{
    wchar_t wn[256];
    int n = MultiByteToWideChar(CP_ACP, 0, name, -1, wn, (int)(sizeof wn / sizeof wn[0]));
    if (n <= 0)
        die("name '%s' is too long or not valid", name);
    if (wcslen(prefix) + wcslen(wn) + wcslen(suffix) + 1 > cap)
        die("object name for '%s' is too long", name);
    wcscpy(out, prefix);
    wcscat(out, wn);
    wcscat(out, suffix);
}

static uint64_t now_ms(void) { return GetTickCount64(); }

/* lock a mutex for at most ms; returns 1 if owned (abandoned included), 0 on timeout */
static int lock(HANDLE m, DWORD ms, const char *what)
{
    DWORD r = WaitForSingleObject(m, ms);
    if (r == WAIT_OBJECT_0)
        return 1;
    if (r == WAIT_ABANDONED) {
        note("%s was abandoned by a holder that died; we own it now, carrying on", what);
        return 1;
    }
    if (r == WAIT_TIMEOUT)
        return 0;
    die("waiting for %s failed (error %lu)", what, (unsigned long)GetLastError());
    return 0;
}
static void unlock(HANDLE m) { ReleaseMutex(m); }

static size_t view_size(const void *view)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(view, &mbi, sizeof mbi))
        die("VirtualQuery failed (error %lu)", (unsigned long)GetLastError());
    size_t into = (size_t)((const uint8_t *)view - (const uint8_t *)mbi.BaseAddress);
    return (size_t)mbi.RegionSize - into;
}

/* poll for a named object until it exists or timeout_ms passes */
static HANDLE open_mapping_wait(const wchar_t *wname, DWORD access, uint64_t timeout_ms)
{
    uint64_t t0 = now_ms();
    for (;;) {
        HANDLE h = OpenFileMappingW(access, FALSE, wname);
        if (h)
            return h;
        if (now_ms() - t0 >= timeout_ms)
            return NULL;
        Sleep(1);
    }
}
static HANDLE open_mutex_wait(const wchar_t *wname, uint64_t timeout_ms)
{
    uint64_t t0 = now_ms();
    for (;;) {
        HANDLE h = OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, wname);
        if (h)
            return h;
        if (now_ms() - t0 >= timeout_ms)
            return NULL;
        Sleep(1);
    }
}

static HANDLE create_mutex(const wchar_t *wname)
{
    HANDLE h = CreateMutexW(NULL, FALSE, wname);
    if (!h)
        die("CreateMutexW failed (error %lu)", (unsigned long)GetLastError());
    return h;
}

static HANDLE create_mapping(const wchar_t *wname, uint64_t size, uint8_t **view)
{
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, (DWORD)(size >> 32),
                                  (DWORD)size, wname);
    if (!h)
        die("CreateFileMappingW (%" PRIu64 " bytes) failed (error %lu)", size,
            (unsigned long)GetLastError());
    if (GetLastError() == ERROR_ALREADY_EXISTS)
        die("a mapping of that name already exists (another owner, or a stale one)");
    *view = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (!*view)
        die("MapViewOfFile failed (error %lu)", (unsigned long)GetLastError());
    return h;
}

/* ---- rows ---- */
/* memory row r holds image row (top-first) mem_to_top(r) */
static int64_t mem_row_to_top(int64_t r, int64_t h)
{
#if TD_FIRST_ROW_IN_MEMORY_IS_BOTTOM
    return h - 1 - r;
#else
    (void)h;
    return r;
#endif
}

static void mem_to_topfirst(uint8_t *top, const uint8_t *mem, size_t rowbytes, int64_t h)
{
    for (int64_t r = 0; r < h; r++)
        memcpy(top + (size_t)mem_row_to_top(r, h) * rowbytes, mem + (size_t)r * rowbytes, rowbytes);
}
static void topfirst_to_mem(uint8_t *mem, const uint8_t *top, size_t rowbytes, int64_t h)
{
    for (int64_t r = 0; r < h; r++)
        memcpy(mem + (size_t)r * rowbytes, top + (size_t)mem_row_to_top(r, h) * rowbytes, rowbytes);
}

/* ---- pattern ---- */
static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf / nan */
        return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
    int32_t e = (int32_t)(ax >> 23) - 127 + 15;
    uint32_t m = ax & 0x7fffffu;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) { /* subnormal half or zero */
        if (e < -10)
            return sign;
        m |= 0x800000u;
        int shift = 14 - e;
        uint32_t h = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (m >> 13), rem = m & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent: still correct */
    return (uint16_t)(sign | h);
}

static float pattern_value(int64_t x, int64_t y, int c, int k)
{
    return (float)((x + 2 * y + 5 * c + k) % 256) / 255.0f;
}

/* the top-first image of frame k */
static void fill_pattern(uint8_t *img, int64_t w, int64_t h, const struct fmt *f, int k)
{
    size_t rowbytes = (size_t)w * (size_t)f->bpp;
    size_t total = rowbytes * (size_t)h;
    switch (f->kind) {
    case K_BYTES:
        for (size_t i = 0; i < total; i++)
            img[i] = (uint8_t)((i * 7 + (size_t)k * 13 + (i / rowbytes) * 3) & 0xff);
        break;
    case K_HALF:
    case K_FLOAT:
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++)
                for (int c = 0; c < f->comps; c++) {
                    float v = pattern_value(x, y, c, k);
                    size_t off = (size_t)y * rowbytes + (size_t)x * f->bpp;
                    if (f->kind == K_HALF) {
                        uint16_t hv = float_to_half(v);
                        memcpy(img + off + (size_t)c * 2, &hv, 2);
                    } else {
                        memcpy(img + off + (size_t)c * 4, &v, 4);
                    }
                }
        break;
    case K_B10G11R11:
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                uint32_t r = (uint32_t)(float_to_half(pattern_value(x, y, 0, k)) >> 4) & 0x7ff;
                uint32_t g = (uint32_t)(float_to_half(pattern_value(x, y, 1, k)) >> 4) & 0x7ff;
                uint32_t b = (uint32_t)(float_to_half(pattern_value(x, y, 2, k)) >> 5) & 0x3ff;
                uint32_t v = r | (g << 11) | (b << 22);
                memcpy(img + (size_t)y * rowbytes + (size_t)x * 4, &v, 4);
            }
        break;
    }
}

/* ---- header ---- */
struct hdr {
    uint32_t magic, version;
    int32_t width, height;
    float aspectx, aspecty;
    uint32_t format;
    int64_t datasize;
    int32_t dataoffset;
};

static void hdr_read(struct hdr *h, const uint8_t *p)
{
    h->magic = rd32(p, HDR_OFF_MAGIC);
    h->version = rd32(p, HDR_OFF_VERSION);
    h->width = (int32_t)rd32(p, HDR_OFF_WIDTH);
    h->height = (int32_t)rd32(p, HDR_OFF_HEIGHT);
    h->aspectx = rdf(p, HDR_OFF_ASPECTX);
    h->aspecty = rdf(p, HDR_OFF_ASPECTY);
    h->format = rd32(p, HDR_OFF_FORMAT);
    h->datasize = rd64(p, HDR_OFF_DATASIZE);
    h->dataoffset = (int32_t)rd32(p, HDR_OFF_DATAOFFSET);
}

static void hdr_write(uint8_t *p, const struct hdr *h)
{
    memset(p, 0, HDR_SIZE);
    wr32(p, HDR_OFF_MAGIC, h->magic);
    wr32(p, HDR_OFF_VERSION, h->version);
    wr32(p, HDR_OFF_WIDTH, (uint32_t)h->width);
    wr32(p, HDR_OFF_HEIGHT, (uint32_t)h->height);
    wrf(p, HDR_OFF_ASPECTX, h->aspectx);
    wrf(p, HDR_OFF_ASPECTY, h->aspecty);
    wr32(p, HDR_OFF_FORMAT, h->format);
    wr64(p, HDR_OFF_DATASIZE, h->datasize);
    wr32(p, HDR_OFF_DATAOFFSET, (uint32_t)h->dataoffset);
}

static struct hdr hdr_for(int32_t w, int32_t h, const struct fmt *f)
{
    struct hdr x = {HDR_MAGIC, HDR_VERSION, w, h, (float)w, (float)h, f->code,
                    (int64_t)w * h * f->bpp, HDR_SIZE};
    return x;
}

/* validate a header against a view of mapsize bytes; NULL if good, else why not */
static const char *hdr_check(const struct hdr *h, size_t mapsize, const struct fmt **fo, char *buf,
                             size_t cap)
{
    *fo = NULL;
    if (mapsize < HDR_SIZE) {
        snprintf(buf, cap, "mapping is %zu bytes, smaller than the %d-byte header", mapsize,
                 HDR_SIZE);
        return buf;
    }
    if (h->magic == HDR_OLD_MAGIC) {
        snprintf(buf, cap, "old-generation header (magic 0x%08" PRIx32 ") is not supported",
                 h->magic);
        return buf;
    }
    if (h->magic != HDR_MAGIC) {
        snprintf(buf, cap, "bad header magic 0x%08" PRIx32 " (want 0x%08x)", h->magic, HDR_MAGIC);
        return buf;
    }
    if (h->version < 1 || h->version > HDR_VERSION_MAX) {
        snprintf(buf, cap, "unsupported header version %" PRIu32 " (want 1..%d)", h->version,
                 HDR_VERSION_MAX);
        return buf;
    }
    if (h->dataoffset < HDR_SIZE) {
        snprintf(buf, cap, "dataOffset %" PRId32 " is inside the %d-byte header", h->dataoffset,
                 HDR_SIZE);
        return buf;
    }
    if (h->width <= 0 || h->height <= 0) {
        snprintf(buf, cap, "bad size %" PRId32 "x%" PRId32, h->width, h->height);
        return buf;
    }
    const struct fmt *f = find_fmt(h->format);
    if (!f) {
        snprintf(buf, cap, "unknown pixelFormat %" PRIu32 " (0x%" PRIx32 ")", h->format, h->format);
        return buf;
    }
    if (h->datasize < 0) {
        snprintf(buf, cap, "negative dataSize %" PRId64, h->datasize);
        return buf;
    }
    uint64_t px = (uint64_t)h->width * (uint64_t)h->height; /* < 2^62 */
    if (px > (uint64_t)INT64_MAX / (uint64_t)f->bpp) {
        snprintf(buf, cap, "size %" PRId32 "x%" PRId32 " %s overflows 64 bits", h->width, h->height,
                 f->name);
        return buf;
    }
    if ((uint64_t)h->datasize != px * (uint64_t)f->bpp) {
        snprintf(buf, cap,
                 "dataSize %" PRId64 " is not %" PRId32 "x%" PRId32 "x%d (%s) = %" PRIu64,
                 h->datasize, h->width, h->height, f->bpp, f->name, px * (uint64_t)f->bpp);
        return buf;
    }
    if ((uint64_t)h->dataoffset > mapsize ||
        (uint64_t)h->datasize > mapsize - (uint64_t)h->dataoffset) {
        snprintf(buf, cap,
                 "image (dataOffset %" PRId32 " + dataSize %" PRId64
                 ") runs past the %zu-byte mapping",
                 h->dataoffset, h->datasize, mapsize);
        return buf;
    }
    *fo = f;
    return NULL;
}

/* ---- info segment ---- */
struct info {
    HANDLE map, mutex;
    uint8_t *view;
    size_t size;
};

struct infocopy {
    uint32_t magic, version;
    int supported, detach;
    wchar_t postfix[INFO_POSTFIX_CHARS + 1];
};

static void info_names(const char *name, wchar_t *map, wchar_t *mtx, size_t cap)
{
    mkname(map, cap, TD_INFO_PREFIX, name, TD_INFO_SUFFIX);
    mkname(mtx, cap, TD_INFO_PREFIX, name, TD_INFO_SUFFIX TD_MUTEX_SUFFIX);
}

static void info_read(struct info *in, struct infocopy *c)
{
    if (!lock(in->mutex, INFO_LOCK_MS, "the info mutex"))
        die("the info mutex was held for more than %d ms", INFO_LOCK_MS);
    c->magic = rd32(in->view, INFO_OFF_MAGIC);
    c->version = rd32(in->view, INFO_OFF_VERSION);
    c->supported = in->view[INFO_OFF_SUPPORTED] != 0;
    c->detach = c->version > 1 && in->view[INFO_OFF_DETACH] != 0; /* detach: version 2 on */
    memcpy(c->postfix, in->view + INFO_OFF_POSTFIX, INFO_POSTFIX_CHARS * 2);
    unlock(in->mutex);
    c->postfix[INFO_POSTFIX_CHARS] = 0; /* the owner's NUL is not trusted */
}

static void info_check(const struct infocopy *c)
{
    if (c->magic != INFO_MAGIC)
        die("bad info magic 0x%08" PRIx32 " (want 0x%08x)", c->magic, INFO_MAGIC);
    if (c->version < 1 || c->version > INFO_VERSION)
        die("unsupported info version %" PRIu32 " (want 1..%d)", c->version, INFO_VERSION);
    if (wcslen(c->postfix) >= INFO_POSTFIX_CHARS)
        die("info namePostFix is not NUL-terminated");
}

/* owner side: create the info segment */
static void info_create(struct info *in, const char *name, uint32_t magic)
{
    wchar_t wmap[512], wmtx[512];
    info_names(name, wmap, wmtx, 512);
    in->mutex = create_mutex(wmtx);
    /* locked before the mapping exists, so no reader sees it uninitialised */
    if (!lock(in->mutex, INFO_LOCK_MS, "the info mutex"))
        die("the info mutex was held for more than %d ms", INFO_LOCK_MS);
    in->map = create_mapping(wmap, INFO_SIZE, &in->view);
    in->size = INFO_SIZE;
    memset(in->view, 0, INFO_SIZE);
    wr32(in->view, INFO_OFF_MAGIC, magic);
    wr32(in->view, INFO_OFF_VERSION, INFO_VERSION);
    in->view[INFO_OFF_SUPPORTED] = 0;
    in->view[INFO_OFF_DETACH] = 0;
    unlock(in->mutex);
}

/* reader side: wait for the info segment and its mutex */
static void info_open(struct info *in, const char *name, uint64_t timeout_ms)
{
    wchar_t wmap[512], wmtx[512];
    uint64_t t0 = now_ms();
    info_names(name, wmap, wmtx, 512);
    in->map = open_mapping_wait(wmap, FILE_MAP_ALL_ACCESS, timeout_ms);
    if (!in->map)
        die("no info segment for '%s' after %" PRIu64 " ms", name, timeout_ms);
    uint64_t spent = now_ms() - t0;
    in->mutex = open_mutex_wait(wmtx, spent < timeout_ms ? timeout_ms - spent : 0);
    if (!in->mutex)
        die("the info segment of '%s' has no mutex", name);
    in->view = MapViewOfFile(in->map, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (!in->view)
        die("MapViewOfFile (info) failed (error %lu)", (unsigned long)GetLastError());
    in->size = view_size(in->view);
    if (in->size < INFO_SIZE)
        die("info segment is %zu bytes, want at least %d", in->size, INFO_SIZE);
}

static void info_set_flag(struct info *in, size_t off, int v)
{
    if (!lock(in->mutex, INFO_LOCK_MS, "the info mutex"))
        die("the info mutex was held for more than %d ms", INFO_LOCK_MS);
    in->view[off] = (uint8_t)(v != 0);
    unlock(in->mutex);
}

/* ---- data mapping (reader side) ---- */
struct dmap {
    HANDLE map;
    uint8_t *view;
    size_t size;
};

static int dmap_open(struct dmap *d, const char *name, const wchar_t *postfix, uint64_t timeout_ms)
{
    wchar_t w[512];
    mkname(w, 512, TD_PREFIX, name, postfix);
    d->map = open_mapping_wait(w, FILE_MAP_READ, timeout_ms);
    if (!d->map)
        return 0;
    d->view = MapViewOfFile(d->map, FILE_MAP_READ, 0, 0, 0);
    if (!d->view)
        die("MapViewOfFile (data) failed (error %lu)", (unsigned long)GetLastError());
    d->size = view_size(d->view);
    if (d->size < HDR_SIZE)
        die("the data mapping is %zu bytes, smaller than the %d-byte header", d->size, HDR_SIZE);
    return 1;
}

static void dmap_close(struct dmap *d)
{
    if (d->view)
        UnmapViewOfFile(d->view);
    if (d->map)
        CloseHandle(d->map);
    d->view = NULL;
    d->map = NULL;
}

/* ---- read ---- */
static int do_read(int argc, char **argv)
{
    if (argc < 3 || argc > 4)
        usage();
    const char *name = argv[0];
    long long count = num(argv[1], 1, 1LL << 40, "COUNT");
    const char *outpath = argv[2];
    uint64_t timeout = argc > 3 ? (uint64_t)num(argv[3], 1, 1LL << 40, "timeout_ms") : 10000;

    FILE *out = fopen(outpath, "wb");
    if (!out)
        die("cannot open %s", outpath);

    struct info in;
    struct infocopy ic;
    uint64_t t0 = now_ms();
    info_open(&in, name, timeout);
    /* an all-zero info: the owner created it but has not initialised it yet */
    for (info_read(&in, &ic); ic.magic == 0 && now_ms() - t0 < timeout; info_read(&in, &ic))
        Sleep(1);
    info_check(&ic);
    info_set_flag(&in, INFO_OFF_SUPPORTED, 1);

    wchar_t mtxname[512];
    mkname(mtxname, 512, TD_PREFIX, name, TD_MUTEX_SUFFIX);
    HANDLE mtx = open_mutex_wait(mtxname, timeout);
    if (!mtx)
        die("no mutex for '%s' after %" PRIu64 " ms", name, timeout);

    struct dmap d = {0};
    wchar_t postfix[INFO_POSTFIX_CHARS + 1];
    wcscpy(postfix, ic.postfix);
    if (!dmap_open(&d, name, postfix, timeout))
        die("no data mapping for '%s' (postfix '%ls') after %" PRIu64 " ms", name, postfix,
            timeout);

    uint8_t lasthdr[HDR_SIZE], curhdr[HDR_SIZE];
    uint8_t *last = NULL, *cur = NULL, *top = NULL;
    size_t lastsize = 0, lastcap = 0, cap = 0;
    int have_last = 0, lock_timeouts = 0, valid_here = 0; /* valid_here: in this mapping */
    long long frames = 0;
    uint64_t tlast = now_ms();
    char why[256];

    for (;;) {
        /* the info first: a frame written before detach is read below before we stop */
        info_read(&in, &ic);
        info_check(&ic);
        if (wcscmp(ic.postfix, postfix) != 0) {
            dmap_close(&d);
            valid_here = 0;
            wcscpy(postfix, ic.postfix);
            if (!dmap_open(&d, name, postfix, READ_LOCK_MS))
                die("the info names postfix '%ls' but there is no such data mapping", postfix);
            note("followed the postfix to '%ls' (%zu-byte mapping)", postfix, d.size);
        }

        if (lock(mtx, READ_LOCK_MS, "the data mutex")) {
            struct hdr h;
            const struct fmt *f;
            memcpy(curhdr, d.view, HDR_SIZE);
            hdr_read(&h, curhdr);
            if (h.magic == 0 && !valid_here) {
                /* a zero header in a mapping that never held a valid one: the owner has not
                 * written its first frame there yet (an owner may publish a new postfix
                 * before it writes the mapping) */
                unlock(mtx);
                goto next;
            }
            if (hdr_check(&h, d.size, &f, why, sizeof why)) {
                unlock(mtx);
                die("invalid header: %s", why);
            }
            size_t n = (size_t)h.datasize;
            if (n > cap) {
                free(cur);
                free(top);
                cur = malloc(n);
                top = malloc(n);
                if (!cur || !top)
                    die("out of memory for a %zu-byte image", n);
                cap = n;
            }
            memcpy(cur, d.view + h.dataoffset, n);
            unlock(mtx);
            valid_here = 1;

            if (!have_last || memcmp(curhdr, lasthdr, HDR_SIZE) || n != lastsize ||
                memcmp(cur, last, n)) {
                size_t rowbytes = (size_t)h.width * (size_t)f->bpp;
                mem_to_topfirst(top, cur, rowbytes, h.height);
                if (fwrite(top, 1, n, out) != n)
                    die("writing %s failed", outpath);
                printf("frame %lld %" PRId32 "x%" PRId32 " code %" PRIu32 " bytes %zu\n", frames,
                       h.width, h.height, h.format, n);
                fflush(stdout);
                frames++;
                memcpy(lasthdr, curhdr, HDR_SIZE);
                if (n > lastcap) {
                    free(last);
                    if (!(last = malloc(n)))
                        die("out of memory for a %zu-byte image", n);
                    lastcap = n;
                }
                memcpy(last, cur, n);
                lastsize = n;
                have_last = 1;
                tlast = now_ms();
                if (frames >= count)
                    break;
            }
        } else if (lock_timeouts++ == 0) {
            note("the data mutex was held for more than %d ms; still waiting", READ_LOCK_MS);
        }
    next:
        if (ic.detach) {
            if (frames > 0) {
                printf("detach\n");
                fflush(stdout);
                break;
            }
            die("the owner detached before any frame");
        }
        if (now_ms() - tlast >= timeout)
            die("no new frame for %" PRIu64 " ms (%lld frames read)", timeout, frames);
        Sleep(1);
    }
    if (fclose(out))
        die("closing %s failed", outpath);
    return 0;
}

/* ---- write ---- */
static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static void random_postfix(wchar_t *p)
{
    for (int i = 0; i < POSTFIX_LETTERS; i++)
        p[i] = (wchar_t)(L'a' + rng() % 26);
    p[POSTFIX_LETTERS] = 0;
}

struct owner {
    const char *name;
    struct info in;
    HANDLE mutex;
    HANDLE map;
    uint8_t *view;
    size_t size;
};

/* create the data mutex, the info segment and the data mapping (datasize image bytes after
 * the header), and write the first header h and image img (top-first; NULL: none). The data
 * mutex is taken before the mapping exists, so no reader sees it before that first frame. */
static void owner_create(struct owner *o, const char *name, uint64_t datasize, uint32_t infomagic,
                         const struct hdr *h, const uint8_t *img, size_t rowbytes, int64_t rows)
{
    wchar_t w[512];
    o->name = name;
    mkname(w, 512, TD_PREFIX, name, TD_MUTEX_SUFFIX);
    o->mutex = create_mutex(w);
    info_create(&o->in, name, infomagic);
    mkname(w, 512, TD_PREFIX, name, L"");
    if (!lock(o->mutex, WRITE_LOCK_MS, "the data mutex"))
        die("the data mutex was held for more than %d ms", WRITE_LOCK_MS);
    o->map = create_mapping(w, HDR_SIZE + datasize, &o->view);
    o->size = (size_t)(HDR_SIZE + datasize);
    hdr_write(o->view, h);
    if (img)
        topfirst_to_mem(o->view + HDR_SIZE, img, rowbytes, rows);
    unlock(o->mutex);
}

/* header + image (top-first in img) into the current mapping, under the mutex */
static void owner_put(struct owner *o, const struct hdr *h, const uint8_t *img, size_t rowbytes,
                      int64_t rows)
{
    if (!lock(o->mutex, WRITE_LOCK_MS, "the data mutex"))
        die("the data mutex was held for more than %d ms", WRITE_LOCK_MS);
    hdr_write(o->view, h);
    if (img)
        topfirst_to_mem(o->view + HDR_SIZE, img, rowbytes, rows);
    unlock(o->mutex);
}

static void owner_detach(struct owner *o)
{
    info_set_flag(&o->in, INFO_OFF_DETACH, 1);
    Sleep(500);
    UnmapViewOfFile(o->view);
    CloseHandle(o->map);
    UnmapViewOfFile(o->in.view);
    CloseHandle(o->in.map);
    CloseHandle(o->in.mutex);
    CloseHandle(o->mutex);
}

static int do_write(int argc, char **argv)
{
    const char *pos[8];
    int npos = 0;
    const char *patpath = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--pattern-out")) {
            if (++i >= argc)
                usage();
            patpath = argv[i];
        } else if (npos < 8) {
            pos[npos++] = argv[i];
        } else {
            usage();
        }
    }
    if (npos != 5 && npos != 8)
        usage();
    const char *name = pos[0];
    int32_t w = (int32_t)num(pos[1], 1, 1 << 15, "WIDTH");
    int32_t h = (int32_t)num(pos[2], 1, 1 << 15, "HEIGHT");
    uint32_t code = (uint32_t)num(pos[3], 0, UINT32_MAX, "CODE");
    long long frames = num(pos[4], 1, 1LL << 31, "FRAMES");
    long long resize_at = -1;
    int32_t w2 = 0, h2 = 0;
    if (npos == 8) {
        resize_at = num(pos[5], 1, 1LL << 31, "resize_at");
        w2 = (int32_t)num(pos[6], 1, 1 << 15, "W2");
        h2 = (int32_t)num(pos[7], 1, 1 << 15, "H2");
    }
    const struct fmt *f = find_fmt(code);
    if (!f)
        die("unknown pixel format code %" PRIu32, code);

    FILE *pat = NULL;
    if (patpath && !(pat = fopen(patpath, "wb")))
        die("cannot open %s", patpath);

    LARGE_INTEGER qpc;
    QueryPerformanceCounter(&qpc);
    rng_state = ((uint64_t)qpc.QuadPart * 0x9e3779b97f4a7c15ull) ^ GetCurrentProcessId();
    if (!rng_state)
        rng_state = 1;

    struct owner o;
    struct hdr hd = hdr_for(w, h, f);
    uint8_t *img = NULL;
    size_t imgcap = 0;
    for (long long k = 0; k < frames; k++) {
        wchar_t pf[INFO_POSTFIX_CHARS];
        if (k == resize_at) {
            struct infocopy ic;
            info_read(&o.in, &ic);
            if (!ic.supported)
                die("resize at frame %lld: no reader set supported=true, so the mapping cannot be "
                    "replaced",
                    k);
            w = w2;
            h = h2;
            hd = hdr_for(w, h, f);
        }
        size_t n = (size_t)hd.datasize;
        if (n > imgcap) {
            free(img);
            if (!(img = malloc(n)))
                die("out of memory for a %zu-byte image", n);
            imgcap = n;
        }
        fill_pattern(img, w, h, f, (int)k);
        if (k == 0) {
            owner_create(&o, name, n, INFO_MAGIC, &hd, img, (size_t)w * f->bpp, h);
        } else if (k == resize_at) {
            wchar_t wn[512];
            HANDLE oldmap = o.map;
            uint8_t *oldview = o.view;
            random_postfix(pf);
            mkname(wn, 512, TD_PREFIX, name, pf);
            o.map = create_mapping(wn, HDR_SIZE + (uint64_t)n, &o.view);
            o.size = HDR_SIZE + n;
            /* the frame goes into the new mapping before its postfix is published */
            owner_put(&o, &hd, img, (size_t)w * f->bpp, h);
            if (!lock(o.in.mutex, INFO_LOCK_MS, "the info mutex"))
                die("the info mutex was held for more than %d ms", INFO_LOCK_MS);
            memset(o.in.view + INFO_OFF_POSTFIX, 0, INFO_POSTFIX_CHARS * 2);
            memcpy(o.in.view + INFO_OFF_POSTFIX, pf, POSTFIX_LETTERS * 2);
            unlock(o.in.mutex);
            UnmapViewOfFile(oldview);
            CloseHandle(oldmap);
            fprintf(stderr, "td_peer: write: resized to %" PRId32 "x%" PRId32 ", postfix %ls\n", w,
                    h, pf);
        } else {
            owner_put(&o, &hd, img, (size_t)w * f->bpp, h);
        }
        if (pat) {
            if (fwrite(img, 1, (size_t)hd.datasize, pat) != (size_t)hd.datasize || fflush(pat))
                die("writing %s failed", patpath);
        }
        if (k + 1 < frames)
            Sleep(FRAME_INTERVAL_MS);
    }
    if (pat && fclose(pat))
        die("closing %s failed", patpath);
    owner_detach(&o);
    free(img);
    return 0;
}

/* ---- hold / hold-die ---- */
static int do_hold(int argc, char **argv, int die_holding)
{
    if (argc != (die_holding ? 1 : 2))
        usage();
    const char *name = argv[0];
    DWORD ms = die_holding ? 0 : (DWORD)num(argv[1], 0, 1LL << 31, "MS");
    wchar_t w[512];
    mkname(w, 512, TD_PREFIX, name, TD_MUTEX_SUFFIX);
    HANDLE m = open_mutex_wait(w, 10000);
    if (!m)
        die("no mutex for '%s' after 10000 ms", name);
    if (!lock(m, 10000, "the data mutex"))
        die("could not take the data mutex in 10000 ms");
    printf("held\n");
    fflush(stdout);
    if (die_holding)
        ExitProcess(3);
    Sleep(ms);
    unlock(m);
    CloseHandle(m);
    return 0;
}

/* ---- hostile ---- */
static int do_hostile(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        usage();
    const char *name = argv[0], *kind = argv[1];
    DWORD ms = argc > 2 ? (DWORD)num(argv[2], 0, 1LL << 31, "ms") : 5000;
    const int32_t W = 64, H = 48;
    const struct fmt *f = find_fmt(37);
    struct hdr hd = hdr_for(W, H, f);
    uint64_t realsize = (uint64_t)hd.datasize;
    uint32_t infomagic = INFO_MAGIC;

    if (!strcmp(kind, "bigsize")) { /* consistent dims, but far more than the mapping holds */
        hd.width = 4096;
        hd.height = 4096;
        hd.aspectx = 4096;
        hd.aspecty = 4096;
        hd.datasize = (int64_t)4096 * 4096 * 4;
    } else if (!strcmp(kind, "badoffset")) {
        hd.dataoffset = 1 << 20;
    } else if (!strcmp(kind, "smalloffset")) {
        hd.dataoffset = 8;
    } else if (!strcmp(kind, "badcode")) {
        hd.format = 12345;
    } else if (!strcmp(kind, "badmagic")) {
        hd.magic = 0x12345678u;
    } else if (!strcmp(kind, "badversion")) {
        hd.version = 99;
    } else if (!strcmp(kind, "negsize")) {
        hd.width = -5;
    } else if (!strcmp(kind, "mismatch")) {
        hd.datasize -= 4;
    } else if (!strcmp(kind, "hugedims")) {
        hd.width = 0x7fffffff;
        hd.height = 0x7fffffff;
    } else if (!strcmp(kind, "oldgen")) {
        hd.magic = HDR_OLD_MAGIC; /* the rest is rewritten below, old-generation style */
    } else if (!strcmp(kind, "infomagic")) {
        infomagic = 0xdeadbeefu;
    } else {
        die("unknown KIND '%s'", kind);
    }

    struct owner o;
    uint8_t *img = malloc((size_t)realsize);
    if (!img)
        die("out of memory");
    fill_pattern(img, W, H, f, 0);
    owner_create(&o, name, realsize, infomagic, &hd, img, (size_t)W * 4, H);
    if (hd.magic == HDR_OLD_MAGIC) {
        if (!lock(o.mutex, WRITE_LOCK_MS, "the data mutex"))
            die("the data mutex was held for more than %d ms", WRITE_LOCK_MS);
        /* a well-formed old-generation header (version 2, sizeof 40): GL_BGRA_EXT,
         * GL_UNSIGNED_BYTE, GL_RGBA8, image at 40 */
        memset(o.view, 0, HDR_SIZE);
        wr32(o.view, HDR_OFF_MAGIC, HDR_OLD_MAGIC);
        wr32(o.view, HDR_OFF_VERSION, 2);
        wr32(o.view, HDR_OFF_WIDTH, (uint32_t)W);
        wr32(o.view, HDR_OFF_HEIGHT, (uint32_t)H);
        wrf(o.view, HDR_OFF_ASPECTX, (float)W);
        wrf(o.view, HDR_OFF_ASPECTY, (float)H);
        wr32(o.view, OLD_OFF_DATAFORMAT, 0x80E1);
        wr32(o.view, OLD_OFF_DATATYPE, 0x1401);
        wr32(o.view, OLD_OFF_PIXELFORMAT, 0x8058);
        wr32(o.view, OLD_OFF_DATAOFFSET, OLD_HDR_SIZE);
        topfirst_to_mem(o.view + OLD_HDR_SIZE, img, (size_t)W * 4, H);
        unlock(o.mutex);
    }
    free(img);
    printf("ready\n");
    fflush(stdout);
    Sleep(ms);
    owner_detach(&o);
    return 0;
}

/* ---- info ---- */
static int do_info(int argc, char **argv)
{
    if (argc != 1)
        usage();
    const char *name = argv[0];
    struct info in;
    struct infocopy ic;
    info_open(&in, name, 0);
    info_read(&in, &ic);
    printf("info_view_size=%zu\n", in.size);
    printf("magic=0x%08" PRIx32 "\n", ic.magic);
    printf("version=%" PRIu32 "\n", ic.version);
    printf("supported=%d\n", ic.supported);
    printf("postfix=%ls\n", ic.postfix);
    printf("detach=%d\n", ic.detach);

    wchar_t w[512];
    mkname(w, 512, TD_PREFIX, name, TD_MUTEX_SUFFIX);
    HANDLE m = open_mutex_wait(w, 0);
    struct dmap d = {0};
    if (!dmap_open(&d, name, ic.postfix, 0)) {
        printf("data=absent\n");
        return 0;
    }
    uint8_t raw[56] = {0};
    int locked = m ? lock(m, READ_LOCK_MS, "the data mutex") : 0;
    memcpy(raw, d.view, d.size < sizeof raw ? d.size : sizeof raw);
    if (locked)
        unlock(m);
    struct hdr h;
    hdr_read(&h, raw);
    printf("data_view_size=%zu\n", d.size);
    printf("mutex=%s\n", m ? (locked ? "ok" : "busy") : "absent");
    printf("hdr_magic=0x%08" PRIx32 "\n", h.magic);
    printf("hdr_version=%" PRIu32 "\n", h.version);
    printf("width=%" PRId32 "\n", h.width);
    printf("height=%" PRId32 "\n", h.height);
    printf("aspectx=%g\n", (double)h.aspectx);
    printf("aspecty=%g\n", (double)h.aspecty);
    printf("pixelFormat=%" PRIu32 "\n", h.format);
    printf("dataSize=%" PRId64 "\n", h.datasize);
    printf("dataOffset=%" PRId32 "\n", h.dataoffset);
    if (h.magic == HDR_MAGIC && h.version >= 2 && d.size >= 56) {
        printf("gamutPrimaries=%" PRIu32 "\n", rd32(raw, HDR_OFF_GAMUT));
        printf("transfer=%" PRIu32 "\n", rd32(raw, HDR_OFF_TRANSFER));
    }
    const struct fmt *f;
    char why[256];
    const char *bad = hdr_check(&h, d.size, &f, why, sizeof why);
    printf("valid=%s\n", bad ? bad : "yes");
    return 0;
}

int main(int argc, char **argv)
{
    _setmode(_fileno(stdout), _O_BINARY);
    if (argc < 2)
        usage();
    cmd = argv[1];
    if (!strcmp(argv[1], "read"))
        return do_read(argc - 2, argv + 2);
    if (!strcmp(argv[1], "write"))
        return do_write(argc - 2, argv + 2);
    if (!strcmp(argv[1], "hold"))
        return do_hold(argc - 2, argv + 2, 0);
    if (!strcmp(argv[1], "hold-die"))
        return do_hold(argc - 2, argv + 2, 1);
    if (!strcmp(argv[1], "hostile"))
        return do_hostile(argc - 2, argv + 2);
    if (!strcmp(argv[1], "info"))
        return do_info(argc - 2, argv + 2);
    usage();
    return 1;
}
