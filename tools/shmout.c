/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout.c - the "shmout" command: list, inspect, toggle, remove and
 * watch shared-memory blocks, plus a test writer that publishes a known
 * pattern. Exit status: 0 ok, 1 runtime error, 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmout.h"

static const char usage_text[] =
"usage: shmout COMMAND [ARGS]\n"
"\n"
"Inspect and manage shmout shared-memory video blocks (/dev/shm/shmout.*).\n"
"\n"
"commands:\n"
"  ls [--json]                       list every block you can see (your local\n"
"                                    blocks and all global ones) with status\n"
"  info NAME [--json]                print everything in a block's header\n"
"  set NAME active=0|1               flip the block's active toggle (owner only)\n"
"  rm NAME [--force]                 remove a stale or closed block; a block with a\n"
"                                    live writer is refused unless --force\n"
"  watch NAME [--count N] [--seconds S]\n"
"                                    print frame rate, skips and torn reads once per\n"
"                                    second until Ctrl-C (or N lines / S seconds)\n"
"  test-writer NAME [--width W] [--height H] [--format FMT] [--fps F]\n"
"              [--frames N] [--slots N] [--resize-every N] [--align N] [--hold]\n"
"                                    publish a test pattern (64x64 rgba, 30 fps,\n"
"                                    forever by default): byte x of row y of plane\n"
"                                    p of frame n is (n + 7*p + y*W + x) & 255, W the\n"
"                                    plane's bytes per row (padding left out); with\n"
"                                    --hold it keeps the block open after the last\n"
"                                    frame until killed; --resize-every N switches\n"
"                                    between WxH and 1.5 times that every N frames;\n"
"                                    --align N pads each row to a multiple of N bytes\n"
"\n"
"options for NAME commands:\n"
"  --memtype local|global            which namespace NAME is in; default: local,\n"
"                                    falling back to global if no local block exists\n"
"                                    (test-writer: local)\n"
"  --help, --version\n"
"\n"
"exit status: 0 success, 1 runtime error, 2 usage error\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "shmout: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nrun 'shmout --help' for usage\n");
    return 2;
}

static int runtime_error(int err)
{
    const char *m = shmout_errmsg();

    fprintf(stderr, "shmout: %s\n", *m ? m : shmout_strerror(err));
    return 1;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* parsed NAME-command arguments */
struct args {
    const char *name;
    int memtype;            /* 0 = default (local, then global) */
    int json, force, hold;
    const char *positional2;
    long count, seconds, width, height, frames, slots, resize, align;
    double fps;
    const char *format;
};

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a, const char *allowed)
{
    int i;

    for (i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (o[0] != '-' || !o[1]) {
            if (!a->name)
                a->name = o;
            else if (!a->positional2 && strstr(allowed, "P2"))
                a->positional2 = o;
            else
                return usage_error("unexpected argument '%s'", o);
            continue;
        }
        if (!strcmp(o, "--json") && strstr(allowed, "json")) {
            a->json = 1;
        } else if (!strcmp(o, "--force") && strstr(allowed, "force")) {
            a->force = 1;
        } else if (!strcmp(o, "--hold") && strstr(allowed, "hold")) {
            a->hold = 1;
        } else if (!strcmp(o, "--memtype") && strstr(allowed, "memtype")) {
            if (!v || (a->memtype = shmout_memtype_parse(v)) < 0)
                return usage_error("--memtype needs 'local' or 'global', got '%s'",
                                   v ? v : "nothing");
            i++;
        } else if (!strcmp(o, "--format") && strstr(allowed, "geom")) {
            if (!v)
                return usage_error("%s needs a value", o);
            a->format = v;
            i++;
        } else if (!strcmp(o, "--fps") && strstr(allowed, "geom")) {
            char *end;
            if (!v || (a->fps = strtod(v, &end)) < 0 || *end || end == v)
                return usage_error("--fps needs a number >= 0 (0 = as fast as possible), "
                                   "got '%s'", v ? v : "nothing");
            i++;
        } else if ((!strcmp(o, "--count") || !strcmp(o, "--seconds")) && strstr(allowed, "watch")) {
            if (!v || parse_long(v, 1, 1000000, &n) < 0)
                return usage_error("%s needs a positive integer", o);
            *(o[2] == 'c' ? &a->count : &a->seconds) = n;
            i++;
        } else if (!strcmp(o, "--align") && strstr(allowed, "geom")) {
            if (!v || parse_long(v, 1, 4096, &n) < 0 || (n & (n - 1)))
                return usage_error("--align needs a power of two 1..4096, got '%s'",
                                   v ? v : "nothing");
            a->align = n;
            i++;
        } else if ((!strcmp(o, "--width") || !strcmp(o, "--height") || !strcmp(o, "--frames") ||
                    !strcmp(o, "--slots") || !strcmp(o, "--resize-every")) && strstr(allowed, "geom")) {
            if (!v || parse_long(v, 0, 65536, &n) < 0)
                return usage_error("%s needs an integer 0..65536", o);
            *(o[2] == 'w' ? &a->width : o[2] == 'h' ? &a->height :
              o[2] == 'f' ? &a->frames : o[2] == 'r' ? &a->resize : &a->slots) = n;
            i++;
        } else {
            return usage_error("unknown option '%s'", o);
        }
    }
    if (!a->name && !strstr(allowed, "noname"))
        return usage_error("%s", "missing block NAME");
    if (a->name && shmout_name_validate(a->name, NULL, 0) < 0)
        return usage_error("%s", shmout_errmsg());
    return 0;
}

/* Block info with the default memtype rule. */
static int get_info(const struct args *a, struct shmout_block_info *info)
{
    int ret;

    if (a->memtype)
        return shmout_block_info(a->name, a->memtype, info);
    ret = shmout_block_info(a->name, SHMOUT_MEMTYPE_LOCAL, info);
    if (ret == -ENOENT)
        ret = shmout_block_info(a->name, SHMOUT_MEMTYPE_GLOBAL, info);
    return ret;
}

static int resolve_memtype(const struct args *a)
{
    struct shmout_block_info info;

    if (a->memtype)
        return a->memtype;
    return shmout_block_info(a->name, SHMOUT_MEMTYPE_LOCAL, &info) == -ENOENT &&
           shmout_block_info(a->name, SHMOUT_MEMTYPE_GLOBAL, &info) == 0 ?
           SHMOUT_MEMTYPE_GLOBAL : SHMOUT_MEMTYPE_LOCAL;
}

static void print_json_info(const struct shmout_block_info *b)
{
    const struct shmout_geometry *g = &b->geometry;
    unsigned p;

    printf("{\"name\": ");
    json_str(b->name);
    printf(", \"memtype\": \"%s\", \"object\": ", shmout_memtype_name(b->memtype));
    json_str(b->object);
    printf(", \"status\": \"%s\", \"alive\": %s, \"owner_pid\": %d, \"owner_uid\": %u, "
           "\"owner_starttime\": %" PRIu64 ", \"session\": %" PRIu64 ", "
           "\"active\": %s, \"control\": %u, \"fill_mode\": \"%s\", \"smoothness\": \"%s\", "
           "\"segment_gen\": %u, \"slots\": %u, \"capacity\": %" PRIu64 ", "
           "\"geometry_gen\": %" PRIu64 ", \"width\": %u, \"height\": %u, \"format\": ",
           shmout_status_name(b->status),
           b->status == SHMOUT_STATUS_ACTIVE || b->status == SHMOUT_STATUS_INACTIVE ||
           b->status == SHMOUT_STATUS_STARTING ? "true" : "false",
           (int)b->owner_pid, (unsigned)b->owner_uid, b->owner_starttime, b->session,
           b->control & SHMOUT_CONTROL_ACTIVE ? "true" : "false", (unsigned)b->control,
           shmout_fill_mode_name(b->fill_mode), shmout_smoothness_name(b->smoothness), (unsigned)b->segment_gen,
           (unsigned)b->slots, b->capacity, b->geometry_gen, (unsigned)g->width,
           (unsigned)g->height);
    json_str(g->pix_fmt_name);
    printf(", \"pix_fmt_code\": %u, \"frame_bytes\": %" PRIu64 ", \"planes\": [",
           (unsigned)g->pix_fmt, g->frame_bytes);
    for (p = 0; p < g->nb_planes && p < 4; p++)
        printf("%s{\"offset\": %" PRIu64 ", \"linesize\": %u, \"bytewidth\": %u, "
               "\"height\": %u}", p ? ", " : "", g->plane_offset[p],
               (unsigned)g->plane_linesize[p], (unsigned)g->plane_bytewidth[p],
               (unsigned)g->plane_height[p]);
    printf("], \"dar\": [%d, %d], \"sar\": [%d, %d], \"color_range\": %u, "
           "\"color_matrix\": %u, \"color_primaries\": %u, \"color_transfer\": %u, "
           "\"chroma_location\": %u, \"frames\": %" PRIu64 ", \"fps\": %.3f, "
           "\"last_frame_age_ms\": ", (int)g->dar_num, (int)g->dar_den, (int)g->sar_num,
           (int)g->sar_den, g->color.range, g->color.matrix, g->color.primaries,
           g->color.transfer, g->color.chroma_location, b->frames, b->fps);
    if (b->last_frame_age_ns < 0)
        printf("null");
    else
        printf("%.3f", b->last_frame_age_ns / 1e6);
    printf(", \"heartbeat_age_ms\": ");
    if (b->heartbeat_age_ns < 0)
        printf("null");
    else
        printf("%.3f", b->heartbeat_age_ns / 1e6);
    printf(", \"readers\": ");
    if (b->readers < 0)
        printf("null}");
    else
        printf("%d}", b->readers);
}

static void fmt_age(char *buf, size_t len, int64_t ns)
{
    if (ns < 0)
        snprintf(buf, len, "-");
    else if (ns < 10000000000LL)
        snprintf(buf, len, "%.0fms", ns / 1e6);
    else
        snprintf(buf, len, "%.0fs", ns / 1e9);
}

static int cmd_ls(int argc, char **argv)
{
    struct args a = { 0 };
    struct shmout_block_info *list;
    char geom[32], age[32], readers[16];
    size_t n, i;
    int ret = parse_args(argc, argv, &a, "json noname");

    if (ret)
        return ret;
    if (a.name)
        return usage_error("ls takes no NAME (got '%s')", a.name);
    ret = shmout_list(&list, &n);
    if (ret < 0)
        return runtime_error(ret);
    if (a.json) {
        printf("[");
        for (i = 0; i < n; i++) {
            printf(i ? ",\n " : "\n ");
            print_json_info(&list[i]);
        }
        printf("%s]\n", n ? "\n" : "");
    } else {
        printf("%-24s %-7s %-8s %8s %-11s %-10s %8s %10s %7s %s\n", "NAME", "MEMTYPE",
               "STATUS", "PID", "GEOMETRY", "FORMAT", "FPS", "FRAMES", "AGE", "READERS");
        for (i = 0; i < n; i++) {
            const struct shmout_block_info *b = &list[i];
            /* width 0: no geometry announced yet, or unavailable (PROTOCOL.md §14) */
            if (b->geometry.width)
                snprintf(geom, sizeof(geom), "%ux%u", (unsigned)b->geometry.width,
                         (unsigned)b->geometry.height);
            else
                snprintf(geom, sizeof(geom), "-");
            fmt_age(age, sizeof(age), b->last_frame_age_ns);
            if (b->readers < 0)
                snprintf(readers, sizeof(readers), "?");
            else
                snprintf(readers, sizeof(readers), "%d", b->readers);
            printf("%-24s %-7s %-8s %8d %-11s %-10s %8.2f %10" PRIu64 " %7s %s\n", b->name,
                   shmout_memtype_name(b->memtype), shmout_status_name(b->status), (int)b->owner_pid,
                   geom, b->geometry.pix_fmt_name, b->fps, b->frames, age, readers);
        }
    }
    free(list);
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    struct args a = { 0 };
    struct shmout_block_info b;
    const struct shmout_geometry *g = &b.geometry;
    char age[32], hb[32];
    unsigned p;
    int ret = parse_args(argc, argv, &a, "json memtype");

    if (ret)
        return ret;
    ret = get_info(&a, &b);
    if (ret < 0)
        return runtime_error(ret);
    if (a.json) {
        print_json_info(&b);
        printf("\n");
        return 0;
    }
    fmt_age(age, sizeof(age), b.last_frame_age_ns);
    fmt_age(hb, sizeof(hb), b.heartbeat_age_ns);
    printf("name:            %s\nmemtype:         %s\nobject:          /dev/shm%s\n"
           "status:          %s\nowner pid:       %d\nowner uid:       %u\n"
           "owner starttime: %" PRIu64 "\nsession:         %" PRIu64 "\nactive:          %s\n"
           "fill mode:       %s\nsmoothness:      %s\ndata object gen: %u\nslots:           %u\n"
           "capacity:        %" PRIu64 " bytes/slot\ngeometry gen:    %" PRIu64 "\n",
           b.name, shmout_memtype_name(b.memtype), b.object, shmout_status_name(b.status),
           (int)b.owner_pid, (unsigned)b.owner_uid, b.owner_starttime, b.session,
           b.control & SHMOUT_CONTROL_ACTIVE ? "yes" : "no", shmout_fill_mode_name(b.fill_mode),
           shmout_smoothness_name(b.smoothness), (unsigned)b.segment_gen, (unsigned)b.slots, b.capacity,
           b.geometry_gen);
    if (g->width)
        printf("geometry:        %ux%u %s (code %u), %" PRIu64 " bytes\n", (unsigned)g->width,
               (unsigned)g->height, g->pix_fmt_name, (unsigned)g->pix_fmt, g->frame_bytes);
    else        /* none announced yet, or unavailable (PROTOCOL.md §14) */
        printf("geometry:        unknown\n");
    for (p = 0; p < g->nb_planes && p < 4; p++)
        printf("  plane %u:        offset %" PRIu64 ", linesize %u, %u bytes x %u rows\n", p,
               g->plane_offset[p], (unsigned)g->plane_linesize[p],
               (unsigned)g->plane_bytewidth[p], (unsigned)g->plane_height[p]);
    printf("aspect:          display %d:%d, sample %d:%d\n"
           "colour:          range %u, matrix %u, primaries %u, transfer %u, chroma loc %u\n"
           "frames:          %" PRIu64 "\nframe rate:      %.2f fps\nlast frame age:  %s\n"
           "heartbeat age:   %s\n", (int)g->dar_num, (int)g->dar_den, (int)g->sar_num,
           (int)g->sar_den, g->color.range, g->color.matrix, g->color.primaries,
           g->color.transfer, g->color.chroma_location, b.frames, b.fps, age, hb);
    if (b.readers < 0)
        printf("readers:         unknown\n");
    else
        printf("readers:         %d\n", b.readers);
    return 0;
}

static int cmd_set(int argc, char **argv)
{
    struct args a = { 0 };
    int ret = parse_args(argc, argv, &a, "memtype P2"), active;

    if (ret)
        return ret;
    if (!a.positional2 || (strcmp(a.positional2, "active=0") && strcmp(a.positional2, "active=1")))
        return usage_error("set needs 'active=0' or 'active=1', got '%s'",
                           a.positional2 ? a.positional2 : "nothing");
    active = a.positional2[7] == '1';
    ret = shmout_set_active(a.name, resolve_memtype(&a), active);
    if (ret < 0)
        return runtime_error(ret);
    printf("%s: active=%d\n", a.name, active);
    return 0;
}

static int cmd_rm(int argc, char **argv)
{
    struct args a = { 0 };
    int ret = parse_args(argc, argv, &a, "memtype force");

    if (ret)
        return ret;
    ret = shmout_remove(a.name, resolve_memtype(&a), a.force);
    if (ret < 0)
        return runtime_error(ret);
    printf("removed %s\n", a.name);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int cmd_watch(int argc, char **argv)
{
    struct args a = { 0 };
    struct shmout_reader_stats st, prev;
    struct shmout_frame_view v;
    shmout_reader *r;
    uint64_t start, tick, now;
    long lines = 0;
    int ret = parse_args(argc, argv, &a, "memtype watch"), status, have_frame = 0;
    char size[64];

    if (ret)
        return ret;
    ret = shmout_reader_open(&r, a.name, resolve_memtype(&a), 0);
    if (ret < 0)
        return runtime_error(ret);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    memset(&prev, 0, sizeof(prev));
    start = tick = now_ms();
    while (!stop) {
        now = now_ms();
        if (now >= tick + 1000) {
            shmout_reader_get_stats(r, &st);
            status = shmout_reader_status(r);
            if (have_frame)
                snprintf(size, sizeof(size), "%ux%u %s", v.geometry.width, v.geometry.height,
                         v.geometry.pix_fmt_name);
            else
                snprintf(size, sizeof(size), "no frame yet");
            printf("%s: %s, %s, %.1f fps, %" PRIu64 " frames, %" PRIu64 " skipped, %" PRIu64
                   " torn retries\n", a.name, shmout_status_name(status), size,
                   (double)(st.frames_seen - prev.frames_seen) * 1000.0 / (double)(now - tick),
                   st.frames_seen - prev.frames_seen, st.frames_skipped - prev.frames_skipped,
                   st.torn_retries - prev.torn_retries);
            fflush(stdout);
            prev = st;
            tick = now;
            lines++;
            if ((a.count && lines >= a.count) ||
                (a.seconds && now - start >= (uint64_t)a.seconds * 1000u))
                break;
            continue;
        }
        ret = shmout_reader_wait(r, (int)(tick + 1000 - now));
        if (ret == 0 && (ret = shmout_reader_acquire(r, &v)) == 0) {
            have_frame = 1;
        } else if (ret == -EPROTO) {
            shmout_reader_close(r);
            return runtime_error(ret);
        } else if (ret == -EAGAIN) {
            usleep(10000);                  /* announced but not intact: do not spin */
        }
    }
    shmout_reader_close(r);
    return 0;
}

static int cmd_test_writer(int argc, char **argv)
{
    struct args a = { 0 };
    struct shmout_writer_options opts;
    struct shmout_geometry g;
    struct shmout_frame_meta meta;
    shmout_writer *w;
    uint8_t *data[4];
    int linesize[4];
    uint32_t fmt;
    uint64_t n, next;
    unsigned p, y, x;
    int ret;

    a.width = 64;
    a.align = 1;
    a.height = 64;
    a.fps = 30;
    a.format = "rgba";
    a.frames = -1;
    ret = parse_args(argc, argv, &a, "memtype geom hold");
    if (ret)
        return ret;
    fmt = shmout_pix_fmt_from_name(a.format);
    if (fmt == SHMOUT_PIX_OTHER)
        return usage_error("unknown --format '%s' (e.g. rgba, bgra, gray, yuv420p, nv12)",
                           a.format);
    if (shmout_geometry_init(&g, fmt, (uint32_t)a.width, (uint32_t)a.height,
                             (uint32_t)a.align) < 0)
        return usage_error("%s", shmout_errmsg());
    shmout_writer_options_default(&opts);
    if (a.slots)
        opts.slots = (uint32_t)a.slots;
    ret = shmout_writer_open(&w, a.name, a.memtype ? a.memtype : SHMOUT_MEMTYPE_LOCAL, &g,
                             &opts);
    if (ret < 0)
        return runtime_error(ret);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    next = now_ms() * 1000u;
    for (n = 1; !stop && (a.frames < 0 || n <= (uint64_t)a.frames); n++) {
        if (a.resize && n > 1 && (n - 1) % (uint64_t)a.resize == 0) {
            /* alternate between WxH and 1.5 times that: growing moves to a new data object */
            int big = (n - 1) / (uint64_t)a.resize % 2;
            if (shmout_geometry_init(&g, fmt, (uint32_t)(big ? a.width * 3 / 2 : a.width),
                                     (uint32_t)(big ? a.height * 3 / 2 : a.height),
                                     (uint32_t)a.align) < 0 ||
                (ret = shmout_writer_set_geometry(w, &g)) < 0) {
                shmout_writer_close(w);
                return runtime_error(ret < 0 ? ret : -EINVAL);
            }
        }
        shmout_writer_begin_frame(w, data, linesize);
        for (p = 0; p < g.nb_planes; p++)
            for (y = 0; y < g.plane_height[p]; y++)
                for (x = 0; x < g.plane_bytewidth[p]; x++)
                    data[p][(size_t)y * (size_t)linesize[p] + x] =
                        (uint8_t)(n + 7 * p + (uint64_t)y * g.plane_bytewidth[p] + x);
        memset(&meta, 0, sizeof(meta));
        meta.pts = (int64_t)n - 1;
        meta.tb_num = 1000;
        meta.tb_den = a.fps > 0 ? (int32_t)(a.fps * 1000) : 1000;
        meta.duration = 1;
        shmout_writer_publish(w, &meta);
        if (a.fps > 0) {
            next += (uint64_t)(1e6 / a.fps);
            while (!stop && now_ms() * 1000u < next)
                usleep(1000);
        }
    }
    while (a.hold && !stop) {               /* idle: the heartbeat once a second (§13) */
        sleep(1);
        shmout_writer_heartbeat(w);
    }
    shmout_writer_close(w);
    return 0;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    { "ls", cmd_ls }, { "info", cmd_info }, { "set", cmd_set }, { "rm", cmd_rm },
    { "watch", cmd_watch }, { "test-writer", cmd_test_writer },
};

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    int i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!cmd)
        return usage_error("%s", "missing COMMAND");
    for (i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[1], "help")) {
            fputs(usage_text, stdout);
            return 0;
        }
    if (!strcmp(cmd, "--version")) {
        printf("shmout %s (protocol %u.%u)\n", SHMOUT_VERSION_STRING, SHMOUT_PROTO_MAJOR,
               SHMOUT_PROTO_MINOR);
        return 0;
    }
    for (i = 0; i < (int)(sizeof(commands) / sizeof(commands[0])); i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", cmd);
}
