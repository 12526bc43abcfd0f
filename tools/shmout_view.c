/* SPDX-License-Identifier: MIT
 * Copyright (c) 2026 the shmout authors
 *
 * shmout-view: a live SDL2 window on a shared-memory block. It shows the newest frame,
 * honours the block's viewer hints (fill mode, smoothness) with keys to override them, puts
 * size, format, frame rate and skipped frames in the title, and follows the writer through
 * resizes and restarts. Pixel formats SDL displays itself are shown as they are (gray is
 * expanded to RGB); for the others it says to use `ffplay -f shmin NAME`.
 *
 *   shmout-view NAME [--memtype local|global] [--fill MODE] [--smoothness MODE] [--window WxH]
 *                    [--screenshot FILE.bmp --frames N]
 *
 * --screenshot saves the window's pixels after N frames and quits (software rendering, for
 * headless tests); without --window the window then takes the frame's size.
 *   keys: f next fill mode, s next smoothness, h back to the block's hints, q or Esc quit
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "shmout.h"

/* SDL texture format of a block format SDL can show, 0 if it cannot. gray: expanded to RGB24. */
static Uint32 sdl_format(const char *name)
{
    static const struct { const char *name; Uint32 sdl; } map[] = {
        { "rgba", SDL_PIXELFORMAT_ABGR8888 }, { "bgra", SDL_PIXELFORMAT_ARGB8888 },
        { "argb", SDL_PIXELFORMAT_BGRA8888 }, { "abgr", SDL_PIXELFORMAT_RGBA8888 },
        { "rgb0", SDL_PIXELFORMAT_XBGR8888 }, { "bgr0", SDL_PIXELFORMAT_XRGB8888 },
        { "rgb24", SDL_PIXELFORMAT_RGB24 },   { "bgr24", SDL_PIXELFORMAT_BGR24 },
        { "gray", SDL_PIXELFORMAT_RGB24 },    { "yuv420p", SDL_PIXELFORMAT_IYUV },
        { "nv12", SDL_PIXELFORMAT_NV12 },     { "nv21", SDL_PIXELFORMAT_NV21 },
        { "yuyv422", SDL_PIXELFORMAT_YUY2 },  { "uyvy422", SDL_PIXELFORMAT_UYVY },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i].name, name))
            return map[i].sdl;
    return 0;
}

/* Whether the frame's planes are those of its format at its size: SDL and the gray expansion
 * read width x height pixels as the format lays them out, not as the plane fields say. */
static int layout_ok(const struct shmout_geometry *g)
{
    struct shmout_geometry ref;

    if (shmout_geometry_init(&ref, shmout_pix_fmt_from_name(g->pix_fmt_name), g->width, g->height, 1) < 0 ||
        ref.nb_planes != g->nb_planes)
        return 0;
    for (uint32_t p = 0; p < ref.nb_planes; p++)
        if (ref.plane_bytewidth[p] != g->plane_bytewidth[p] || ref.plane_height[p] != g->plane_height[p])
            return 0;
    return 1;
}

/* Where the image goes in a window of ww x wh, for a fill mode and a display aspect. */
static SDL_Rect place(int fill, int ww, int wh, int iw, int ih, double dar)
{
    SDL_Rect r = { 0, 0, ww, wh };
    double win = (double)ww / wh;

    switch (fill) {
    case 1:  r.h = (int)(ww / dar + 0.5); break;                          /* fithorizontal */
    case 2:  r.w = (int)(wh * dar + 0.5); break;                          /* fitvertical */
    case 3:  if (dar > win) r.h = (int)(ww / dar + 0.5); else r.w = (int)(wh * dar + 0.5); break;
    case 4:  if (dar > win) r.w = (int)(wh * dar + 0.5); else r.h = (int)(ww / dar + 0.5); break;
    case 5:  r.w = iw; r.h = ih; break;                                   /* native */
    default: break;                                                       /* fill */
    }
    r.x = (ww - r.w) / 2;
    r.y = (wh - r.h) / 2;
    return r;
}

/* Upload a frame into the texture; returns 0 or -1 when it was overwritten while read. */
static int upload(shmout_reader *r, SDL_Texture *tex, const struct shmout_frame_view *v, uint8_t **rgb)
{
    const struct shmout_geometry *g = &v->geometry;

    if (!strcmp(g->pix_fmt_name, "gray")) {
        uint8_t *dst = realloc(*rgb, (size_t)g->width * g->height * 3);
        if (!dst)
            return -1;
        *rgb = dst;
        for (uint32_t y = 0; y < g->height; y++)
            for (uint32_t x = 0; x < g->width; x++)
                memset(dst + ((size_t)y * g->width + x) * 3, v->data[0][(size_t)y * v->linesize[0] + x], 3);
        if (shmout_reader_validate(r, v) < 0)
            return -1;
        return SDL_UpdateTexture(tex, NULL, dst, (int)g->width * 3);
    }
    if (!strcmp(g->pix_fmt_name, "yuv420p"))
        SDL_UpdateYUVTexture(tex, NULL, v->data[0], v->linesize[0], v->data[1], v->linesize[1],
                             v->data[2], v->linesize[2]);
    else if (g->nb_planes == 2)
        SDL_UpdateNVTexture(tex, NULL, v->data[0], v->linesize[0], v->data[1], v->linesize[1]);
    else
        SDL_UpdateTexture(tex, NULL, v->data[0], v->linesize[0]);
    return shmout_reader_validate(r, v) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *name = NULL, *shot = NULL;
    int memtype = SHMOUT_MEMTYPE_LOCAL, fill = -1, smooth = -1, fill_set = -1, smooth_set = -1;
    long frames_for_shot = 1, shown = 0;
    int win_w = 0, win_h = 0;
    shmout_reader *r;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex = NULL;
    struct shmout_geometry cur;
    struct shmout_reader_stats st;
    struct shmout_block_info info;
    uint8_t *rgb = NULL;
    Uint32 fps_tick, fps_frames = 0;
    double fps = 0;
    int ret, quit = 0, status = 0;

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--memtype") && v)         { memtype = shmout_memtype_parse(v); i++; }
        else if (!strcmp(argv[i], "--fill") && v)       { fill_set = shmout_fill_mode_parse(v); i++;
                                                          if (fill_set < 0) { fprintf(stderr, "shmout-view: --fill: %s\n", shmout_errmsg()); return 2; } }
        else if (!strcmp(argv[i], "--smoothness") && v) { smooth_set = shmout_smoothness_parse(v); i++;
                                                          if (smooth_set < 0) { fprintf(stderr, "shmout-view: --smoothness: %s\n", shmout_errmsg()); return 2; } }
        else if (!strcmp(argv[i], "--window") && v)     { if (sscanf(v, "%dx%d", &win_w, &win_h) != 2 || win_w <= 0 || win_h <= 0) {
                                                              fprintf(stderr, "shmout-view: --window takes WxH, e.g. 1280x720\n"); return 2; } i++; }
        else if (!strcmp(argv[i], "--screenshot") && v) { shot = v; i++; }
        else if (!strcmp(argv[i], "--frames") && v)     { frames_for_shot = atol(v); i++; }
        else if (!strcmp(argv[i], "--help"))            { name = NULL; break; }
        else if (argv[i][0] != '-' && !name)            name = argv[i];
        else { fprintf(stderr, "shmout-view: unknown option '%s' (see --help)\n", argv[i]); return 2; }
    }
    if (!name || memtype < 0) {
        fprintf(stderr, "usage: shmout-view NAME [--memtype local|global] [--fill MODE] [--smoothness MODE] [--window WxH]\n"
                        "                         [--screenshot FILE.bmp --frames N]\n"
                        "keys: f next fill mode, s next smoothness, h the block's hints, q or Esc quit\n");
        return 2;
    }
    if ((ret = shmout_reader_open(&r, name, memtype, 10000)) < 0) {
        fprintf(stderr, "shmout-view: %s\n", shmout_errmsg());
        return 1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        fprintf(stderr, "shmout-view: cannot open a window: %s (is DISPLAY set?)\n", SDL_GetError());
        return 1;
    }
    win = SDL_CreateWindow(name, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                           win_w ? win_w : 640, win_h ? win_h : 360, SDL_WINDOW_RESIZABLE);
    /* The software renderer: the same pixels everywhere, Xvfb included. */
    ren = win ? SDL_CreateRenderer(win, -1, shot ? SDL_RENDERER_SOFTWARE : 0) : NULL;
    if (!ren) {
        fprintf(stderr, "shmout-view: cannot create a renderer: %s\n", SDL_GetError());
        return 1;
    }
    memset(&cur, 0, sizeof(cur));
    fps_tick = SDL_GetTicks();
    while (!quit) {
        struct shmout_frame_view v;
        SDL_Event e;

        while (SDL_PollEvent(&e)) {
            if (e.type == SDL_QUIT || (e.type == SDL_KEYDOWN && (e.key.keysym.sym == SDLK_q ||
                                                                e.key.keysym.sym == SDLK_ESCAPE)))
                quit = 1;
            else if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_f)
                fill_set = ((fill_set < 0 ? fill : fill_set) + 1) % (SHMOUT_FILL_NATIVE + 1);
            else if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_s)
                smooth_set = ((smooth_set < 0 ? smooth : smooth_set) + 1) % (SHMOUT_SMOOTH_MIPMAP + 1);
            else if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_h)
                fill_set = smooth_set = -1;
        }
        ret = shmout_reader_wait(r, 50);
        if (ret == -ETIMEDOUT || ret == -ESHUTDOWN || ret == -ESTALE)
            continue;                      /* keep the last frame; a new writer is followed */
        if (ret == 0 && (ret = shmout_reader_acquire(r, &v)) == -EAGAIN) {
            SDL_Delay(10);                 /* announced but not intact: retry, without spinning */
            continue;
        }
        if (ret < 0) {
            fprintf(stderr, "shmout-view: %s\n", shmout_errmsg());
            status = 1;
            break;
        }
        if (shmout_block_info(name, memtype, &info) == 0) {
            /* hints this version does not know mean the defaults (PROTOCOL.md §15) */
            fill = info.fill_mode <= SHMOUT_FILL_NATIVE ? (int)info.fill_mode : SHMOUT_FILL_FILL;
            smooth = info.smoothness <= SHMOUT_SMOOTH_MIPMAP ? (int)info.smoothness : SHMOUT_SMOOTH_LINEAR;
        }
        if (sdl_format(v.geometry.pix_fmt_name) && !layout_ok(&v.geometry)) {
            fprintf(stderr, "shmout-view: block '%s' is corrupt: its planes do not fit a %ux%u %s frame\n",
                    name, v.geometry.width, v.geometry.height, v.geometry.pix_fmt_name);
            status = 1;
            break;
        }
        if (!tex || v.geometry.width != cur.width || v.geometry.height != cur.height ||
            strcmp(v.geometry.pix_fmt_name, cur.pix_fmt_name)) {
            Uint32 f = sdl_format(v.geometry.pix_fmt_name);
            if (tex)
                SDL_DestroyTexture(tex);
            tex = NULL;
            cur = v.geometry;
            if (!f) {
                fprintf(stderr, "shmout-view: block '%s' holds %s frames, which this viewer does not "
                        "display; use ffplay -f shmin %s\n", name, v.geometry.pix_fmt_name, name);
                status = 1;
                break;
            }
            if (!(tex = SDL_CreateTexture(ren, f, SDL_TEXTUREACCESS_STREAMING, (int)cur.width, (int)cur.height)))
                break;
            if (shot && !win_w)
                SDL_SetWindowSize(win, (int)cur.width, (int)cur.height);
        }
        if (upload(r, tex, &v, &rgb) < 0)
            continue;                      /* overwritten while read: take the next one */
        {
            int ww, wh, f = fill_set < 0 ? fill : fill_set, sm = smooth_set < 0 ? smooth : smooth_set;
            double dar = cur.dar_num > 0 && cur.dar_den > 0 ? (double)cur.dar_num / cur.dar_den
                                                           : (double)cur.width / cur.height;
            char title[256];
            SDL_Rect dst;

            SDL_GetRendererOutputSize(ren, &ww, &wh);
            dst = place(f, ww, wh, (int)cur.width, (int)cur.height, dar);
            SDL_SetTextureScaleMode(tex, sm == 0 ? SDL_ScaleModeNearest : sm == 1 ? SDL_ScaleModeLinear : SDL_ScaleModeBest);
            SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
            SDL_RenderClear(ren);
            SDL_RenderCopy(ren, tex, NULL, &dst);
            SDL_RenderPresent(ren);
            fps_frames++;
            if (SDL_GetTicks() - fps_tick >= 1000) {
                fps = fps_frames * 1000.0 / (SDL_GetTicks() - fps_tick);
                fps_frames = 0;
                fps_tick = SDL_GetTicks();
            }
            shmout_reader_get_stats(r, &st);
            snprintf(title, sizeof(title), "%s - %ux%u %s - %.1f fps - %llu skipped - %s, %s", name,
                     cur.width, cur.height, cur.pix_fmt_name, fps, (unsigned long long)st.frames_skipped,
                     shmout_fill_mode_name((uint32_t)f), shmout_smoothness_name((uint32_t)sm));
            SDL_SetWindowTitle(win, title);
            if (shot && ++shown >= frames_for_shot) {
                SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, ww, wh, 24, SDL_PIXELFORMAT_RGB24);
                /* Read back what was drawn: render again, read before presenting. */
                SDL_RenderClear(ren);
                SDL_RenderCopy(ren, tex, NULL, &dst);
                if (!s || SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_RGB24, s->pixels, s->pitch) < 0 ||
                    SDL_SaveBMP(s, shot) < 0) {
                    fprintf(stderr, "shmout-view: cannot save %s: %s\n", shot, SDL_GetError());
                    status = 1;
                }
                SDL_FreeSurface(s);
                printf("%s\n", title);
                quit = 1;
            }
        }
    }
    free(rgb);
    if (tex)
        SDL_DestroyTexture(tex);
    SDL_DestroyRenderer(ren);
    SDL_DestroyWindow(win);
    SDL_Quit();
    shmout_reader_close(r);
    return status;
}
