# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
"""bench.py: `make bench`. Carries the same frames over four transports in one run and reports
ratios, since absolute times on a shared machine are not stable and ratios are:

  shmout     ffmpeg -f shmout -> benchtool shm (libshmout, every frame, zero-copy, validated)
  pipe       ffmpeg -f rawvideo - | benchtool pipe
  gstreamer  gst-launch-1.0 ... ! shmsink -> gstread (shmsrc ! appsink)
  limit      memcpy of the same frame size into a shared mapping (benchtool memcpy)

Every reader checks every byte of every frame against the pixel the source produces (opaque
black), so no transport wins by not reading. Cases: rgba passthrough, yuv420p -> rgba, and a
2x downscale with inputfiltertype linear, at 1280x720, 1920x1080 and 3840x2160; shmout with both
downloadtype values. Also: publish-to-wake-up latency (a waiting reader, paced writer: median,
99th percentile and the slowest wake-up), the cost of a libshmout publish alone without a reader
and with one waiting (benchtool publish), CPU seconds per frame of writer and reader, the
writer's peak RSS and the block's size.

Lossless delivery (1920x1080 rgba, in the same run): the writer `ffmpeg ... -f shmout -wait_readers 1`
(as fast as it goes) read by benchtool shm --lossless (libshmout in SHMOUT_READ_LOSSLESS mode,
registered before it counts as attached, zero-copy; it fails unless it got frames 1..N, every
byte as expected, nothing skipped, torn or evicted) against the pipe a lossless reader would
otherwise use, the same source and frame count into benchtool pipe; and, with an ffmpeg reader
on both sides, `ffmpeg -f shmin -mode lossless -i NAME -f rawvideo - | benchtool pipe` against
`ffmpeg -f rawvideo - | ffmpeg -f rawvideo -i - -f rawvideo - | benchtool pipe`. The fastest of
a few interleaved runs each. Also the writer's own rate with no reader, one every reader and one
lossless reader: (N - 10) / (t(N) - t(10)) of its wall clock, which cancels its start-up.

With --win-bin (the Windows build's bin, `make windows`): ffmpeg.exe under Wine, -f shmout
(TouchDesigner's layout: a named mapping, a mutex per frame, no reader) against -f rawvideo NUL
(the same frames written nowhere), at 1920x1080 and 640x360 rgba, in the same run.

    python3 scripts/bench/bench.py --bin BUILD/bin --tools DIR --out BUILD/bench [--quick] [--win-bin DIR]
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

RES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
CASES = {
    # name: (source pixel format, shmout options, ffmpeg -vf for the pipe, GStreamer conversion, scale)
    "rgba": ("rgba", [], None, "", 1),
    "yuv420p-to-rgba": ("yuv420p", ["-format", "rgba"], None, "videoconvert ! ", 1),
    "downscale-2x": ("rgba", ["-outputresolution", "half", "-inputfiltertype", "linear"],
                     "scale=w=iw/2:h=ih/2:flags=bilinear", "videoscale method=bilinear ! ", 2),
}
PIXEL = "000000ff"                      # opaque black rgba, what every case delivers
LOSSLESS = {                            # the lossless section's paths, 1080p rgba, and the one each is compared with
    "lossless-shmout": ("`-f shmout -wait_readers 1` → benchtool shm --lossless (libshmout, in place)", "lossless-pipe"),
    "lossless-shmout-16slots": ("the same with `-slots 16`", "lossless-pipe"),
    "lossless-pipe": ("`-f rawvideo -` → pipe → benchtool pipe", None),
    "lossless-shmin+pipe": ("`-f shmout -wait_readers 1` → `ffmpeg -f shmin -mode lossless -i NAME -f rawvideo -` "
                            "→ pipe → benchtool pipe", "lossless-pipe+ffmpeg+pipe"),
    "lossless-pipe+ffmpeg+pipe": ("`-f rawvideo -` → pipe → `ffmpeg -f rawvideo -i - -f rawvideo -` → pipe → benchtool pipe", None),
}
WIN_RES = {"1080p": (1920, 1080), "360p": (640, 360)}


def run_pair(writer, reader, log=None):
    """Start writer, then reader; wait for both. Returns (reader JSON, writer rusage). log: a file
    for the writer's standard error."""
    w = subprocess.Popen(writer, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
    r = subprocess.run(reader, capture_output=True, text=True, timeout=300)
    _, _, wru = os.wait4(w.pid, 0)
    if r.returncode != 0 or not r.stdout.strip():
        raise RuntimeError("reader failed: %s %s" % (" ".join(reader), r.stderr.strip()))
    return json.loads(r.stdout.strip().splitlines()[-1]), wru


def cpu(ru):
    return ru.ru_utime + ru.ru_stime


def reader_row(transport, res, case, n, got, wru):
    """The figures every transport has: what its reader verified, what its writer cost."""
    return {"transport": transport, "res": res, "case": case, "frames": n, "read": got["frames"],
            "lost": n - got["frames"], "bad_rows": got["bad_rows"],
            "fps": got["frames"] / got["seconds"] if got["seconds"] else 0,
            "writer_cpu_per_frame": cpu(wru) / n, "reader_cpu_per_frame": got["cpu"] / max(got["frames"], 1),
            "writer_rss_mb": wru.ru_maxrss / 1024}


class Bench:
    def __init__(self, args):
        self.bin, self.tools, self.quick, self.win_bin = args.bin, args.tools, args.quick, args.win_bin
        self.ffmpeg = os.path.join(self.bin, "ffmpeg")
        self.gst = shutil.which("gst-launch-1.0") and os.path.exists(os.path.join(self.tools, "gstread"))
        self.results, self.n = [], 0

    def name(self):
        self.n += 1
        return "bench_%d_%d" % (os.getpid(), self.n)

    def frames(self, w, h):
        n = {1280: 600, 1920: 300, 3840: 100}[w]
        return n // 3 if self.quick else n

    def source(self, w, h, fmt, n, rate=1000, realtime=False, loglevel="error"):
        return [self.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", loglevel] + (["-re"] if realtime else []) + \
               (["-nostats"] if loglevel != "error" else []) + ["-f", "lavfi", "-i",
                "color=c=black:s=%dx%d:r=%d,format=%s" % (w, h, rate, fmt), "-frames:v", str(n)]

    def shmout(self, res, case, download):
        (w, h), (fmt, opts, _, _, _) = RES[res], CASES[case]
        n, name = self.frames(w, h), self.name()
        writer = self.source(w, h, fmt, n) + opts + ["-downloadtype", download, "-slots", "16",
                                                     "-f", "shmout", name]
        got, wru = run_pair(writer, [os.path.join(self.tools, "benchtool"), "shm", name, str(n), PIXEL])
        subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)
        row = reader_row("shmout-" + download, res, case, n, got, wru)
        row.update(lost=got["skipped"], block_mb=got["block_bytes"] / 2**20,
                   publish_fps=got["published"] / got["publish_seconds"] if got["publish_seconds"] else 0)
        return row

    def pipe(self, res, case):
        (w, h), (fmt, _, vf, _, sc) = RES[res], CASES[case]
        n = self.frames(w, h)
        cmd = self.source(w, h, fmt, n) + (["-vf", vf] if vf else []) + ["-pix_fmt", "rgba", "-f", "rawvideo", "-"]
        size, row = (w // sc) * (h // sc) * 4, (w // sc) * 4
        wr = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        r = subprocess.run([os.path.join(self.tools, "benchtool"), "pipe", str(size), str(row), str(n), PIXEL],
                           stdin=wr.stdout, capture_output=True, text=True, timeout=300)
        wr.stdout.close()
        _, _, wru = os.wait4(wr.pid, 0)
        return reader_row("pipe", res, case, n, json.loads(r.stdout), wru)

    def gstreamer(self, res, case):
        (w, h), (fmt, _, _, conv, sc) = RES[res], CASES[case]
        n, sock = self.frames(w, h), "/tmp/shmout-bench-%d.sock" % os.getpid()
        ow, oh = w // sc, h // sc
        gfmt = {"rgba": "RGBA", "yuv420p": "I420"}[fmt]
        caps = "video/x-raw,format=RGBA,width=%d,height=%d,framerate=1000/1" % (ow, oh)
        writer = ["gst-launch-1.0", "-q", "videotestsrc", "pattern=black", "num-buffers=%d" % n, "!",
                  "video/x-raw,format=%s,width=%d,height=%d,framerate=1000/1" % (gfmt, w, h), "!"]
        writer += conv.split() + ([caps, "!"] if conv else [])
        writer += ["shmsink", "socket-path=" + sock, "shm-size=%d" % (ow * oh * 4 * 16),
                   "wait-for-connection=true", "sync=false"]
        if os.path.exists(sock):
            os.unlink(sock)
        w_proc = subprocess.Popen(writer, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        r = subprocess.run([os.path.join(self.tools, "gstread"), sock, caps, str(n), str(ow * 4), PIXEL],
                           capture_output=True, text=True, timeout=300)
        # os.kill, not Popen.kill: that polls first and may reap the writer, whose rusage
        # wait4 then can no longer get (ECHILD).
        os.kill(w_proc.pid, signal.SIGKILL)
        _, status, wru = os.wait4(w_proc.pid, 0)
        w_proc.returncode = os.waitstatus_to_exitcode(status)
        # A killed shmsink leaves its area behind as /dev/shm/shmpipe.<pid, 5 wide>.<n, 5 wide>
        # (16 frames each): remove the writer's, or every run would leave hundreds of MB.
        for f in os.listdir("/dev/shm"):
            part = f.split(".")
            if len(part) == 3 and part[0] == "shmpipe" and part[1].strip() == str(w_proc.pid):
                os.unlink(os.path.join("/dev/shm", f))
        if os.path.exists(sock):
            os.unlink(sock)
        return reader_row("gstreamer", res, case, n, json.loads(r.stdout.strip().splitlines()[-1]), wru)

    def limit(self, res, case):
        (w, h), sc = RES[res], CASES[case][4]
        r = subprocess.run([os.path.join(self.tools, "benchtool"), "memcpy", str((w // sc) * (h // sc) * 4),
                            "0.5" if self.quick else "1"], capture_output=True, text=True, check=True)
        got = json.loads(r.stdout)
        return {"transport": "limit", "res": res, "case": case, "fps": got["frames"] / got["seconds"]}

    def latency(self, download):
        w, h = RES["1080p"]
        n, name = (90 if self.quick else 300), self.name()
        writer = self.source(w, h, "rgba", n + 30, rate=60, realtime=True) + ["-downloadtype", download, "-f", "shmout", name]
        got, _ = run_pair(writer, [os.path.join(self.tools, "benchtool"), "latency", name, str(n)])
        subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)
        return {"downloadtype": download, "frames": got["frames"], "median_us": got["median_us"], "p99_us": got["p99_us"],
                "max_us": got["max_us"]}

    # Lossless delivery (PROTOCOL.md §21): the writer does not overwrite a frame its lossless
    # reader has not finished with, so it goes at the reader's pace, like a pipe's writer.

    def writer_log(self, log, n, lossless):
        """The writer's own account (-loglevel verbose) of a run: it published all n frames and,
        with a lossless reader, evicted none and lost nothing. Returns (frames that waited for a
        lossless reader, seconds they waited)."""
        log.seek(0)
        text = log.read()
        m = re.search(r"Closing the block after (\d+) frames", text)
        if not m or int(m.group(1)) != n:
            raise RuntimeError("the writer did not publish all %d frames: %s" % (n, text.strip()[-500:]))
        if lossless and re.search(r"evicted|lost \d+ frames", text):
            raise RuntimeError("the writer lost frames of its lossless reader: %s" % text.strip()[-500:])
        m = re.search(r"(\d+) frames waited ([0-9.]+) s in all for lossless readers", text)
        return (int(m.group(1)), float(m.group(2))) if m else (0, 0.0)

    def shm_writer(self, n, name, slots, readers=1):
        """ffmpeg -f shmout as fast as it goes, 1080p rgba; readers: -wait_readers."""
        w, h = RES["1080p"]
        return self.source(w, h, "rgba", n, loglevel="verbose") + (["-slots", str(slots)] if slots else []) + \
            (["-wait_readers", str(readers)] if readers else []) + ["-f", "shmout", name]

    def lossless_shm(self, n, slots):
        """-f shmout -wait_readers 1 -> benchtool shm --lossless, which fails unless it got every frame."""
        name = self.name()
        try:
            with tempfile.TemporaryFile("w+") as log:
                got, wru = run_pair(self.shm_writer(n, name, slots),
                                    [os.path.join(self.tools, "benchtool"), "shm", name, str(n), PIXEL, "--lossless"], log)
                waits, waited = self.writer_log(log, n, True)
        finally:
            subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)
        row = reader_row("lossless-shmout" + ("-%dslots" % slots if slots else ""), "1080p", "rgba", n, got, wru)
        row.update(lost=n - got["seen"], block_mb=got["block_bytes"] / 2**20, waits=waits, waited_s=waited,
                   publish_fps=got["published"] / got["publish_seconds"] if got["publish_seconds"] else 0)
        return row

    def ffmpeg_reader(self, n, shm):
        """An ffmpeg reader on both sides, its rawvideo piped into benchtool pipe: ffmpeg -f shmin
        -mode lossless on the block of a -wait_readers 1 writer (shm), or ffmpeg -f rawvideo -i -
        on the source's pipe."""
        w, h = RES["1080p"]
        out = ["-fps_mode", "passthrough", "-pix_fmt", "rgba", "-f", "rawvideo", "-"]
        rd = [self.ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning"]
        name = self.name()
        try:
            with tempfile.TemporaryFile("w+") as wlog, tempfile.TemporaryFile("w+") as rlog:
                if shm:
                    src = subprocess.Popen(self.shm_writer(n, name, 0), stdout=subprocess.DEVNULL, stderr=wlog)
                    mid = subprocess.Popen(rd + ["-f", "shmin", "-mode", "lossless", "-i", name] + out,
                                           stdout=subprocess.PIPE, stderr=rlog)
                else:
                    src = subprocess.Popen(self.source(w, h, "rgba", n) + ["-pix_fmt", "rgba", "-f", "rawvideo", "-"],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                    mid = subprocess.Popen(rd + ["-f", "rawvideo", "-pix_fmt", "rgba", "-s", "%dx%d" % (w, h), "-i", "-"] + out,
                                           stdin=src.stdout, stdout=subprocess.PIPE, stderr=rlog)
                    src.stdout.close()
                r = subprocess.run([os.path.join(self.tools, "benchtool"), "pipe", str(w * h * 4), str(w * 4), str(n), PIXEL],
                                   stdin=mid.stdout, capture_output=True, text=True, timeout=300)
                mid.stdout.close()
                _, mstatus, mru = os.wait4(mid.pid, 0)
                _, _, wru = os.wait4(src.pid, 0)
                rlog.seek(0)
                rtext = rlog.read()
                if os.waitstatus_to_exitcode(mstatus) or "lost" in rtext or r.returncode or not r.stdout.strip():
                    raise RuntimeError("the ffmpeg reader failed or lost frames: %s %s" % (rtext.strip()[-500:], r.stderr.strip()))
                waits, waited = self.writer_log(wlog, n, True) if shm else (0, 0.0)
        finally:
            if shm:
                subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)
        got = json.loads(r.stdout.strip().splitlines()[-1])
        row = reader_row("lossless-shmin+pipe" if shm else "lossless-pipe+ffmpeg+pipe", "1080p", "rgba", n, got, wru)
        # the reader's CPU: the ffmpeg reader's and the byte checker's
        row.update(reader_cpu_per_frame=(got["cpu"] + cpu(mru)) / max(got["frames"], 1))
        if shm:
            row.update(waits=waits, waited_s=waited)
        return row

    def timed_writer(self, writer, reader, log):
        """Wall clock of the writer from its start to its exit; its reader, if any, started right
        after it. Returns (seconds, the reader's JSON or None)."""
        t = time.monotonic()
        w = subprocess.Popen(writer, stdout=subprocess.DEVNULL, stderr=log)
        r = reader and subprocess.Popen(reader, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, _ = os.wait4(w.pid, 0)
        t = time.monotonic() - t
        got = None
        if r:
            out, err = r.communicate(timeout=300)
            if r.returncode or not out.strip():
                raise RuntimeError("reader failed: %s %s" % (" ".join(reader), err.strip()))
            got = json.loads(out.strip().splitlines()[-1])
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError("writer failed: %s" % " ".join(writer))
        return t, got

    def writer_rates(self, rounds):
        """The writer's rate with no reader, one every reader and one lossless reader (1080p rgba,
        default ring): (N - 10) / (t(N) - t(10)) of its wall clock, the fastest of rounds runs."""
        n0, n = 10, 200 if self.quick else 600
        readers = {"none": None, "every": [], "lossless": ["--lossless"]}
        best, extra = {}, {}
        for _ in range(rounds):
            for kind, flag in readers.items():
                for k in (n0, n):
                    name = self.name()
                    reader = None if flag is None else [os.path.join(self.tools, "benchtool"), "shm", name, str(k), PIXEL] + flag
                    try:
                        with tempfile.TemporaryFile("w+") as log:
                            t, got = self.timed_writer(self.shm_writer(k, name, 0, 0 if flag is None else 1), reader, log)
                            waits, waited = self.writer_log(log, k, kind == "lossless")
                    finally:
                        subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)
                    if k == n and t < best.get((kind, k), t + 1):
                        extra[kind] = {"waits": waits, "waited_s": waited, "lost": got["skipped"] if got else 0,
                                       "publish_fps": got["published"] / got["publish_seconds"] if got and got["publish_seconds"] else 0}
                    best[kind, k] = min(t, best.get((kind, k), t))
        rows = []
        for kind in readers:
            rows.append(dict(extra[kind], readers=kind, frames=n, fps=(n - n0) / (best[kind, n] - best[kind, n0])))
            print("bench: %-18s %-6s %-16s %8.1f fps" % ("writer, " + kind, "1080p", "rgba", rows[-1]["fps"]), file=sys.stderr)
        return rows

    def lossless(self):
        """Lossless delivery and the writer's rates, 1080p rgba; the fastest of a few interleaved runs."""
        t0 = time.monotonic()
        rounds = 3 if self.quick else 4
        n = self.frames(*RES["1080p"])
        best = {}
        for _ in range(rounds):
            pipe = self.pipe("1080p", "rgba")
            pipe["transport"] = "lossless-pipe"
            for row in (self.lossless_shm(n, 0), self.lossless_shm(n, 16), pipe,
                        self.ffmpeg_reader(n, True), self.ffmpeg_reader(n, False)):
                if row["fps"] > best.get(row["transport"], {"fps": -1})["fps"]:
                    best[row["transport"]] = row
        rows = sorted(best.values(), key=lambda r: list(LOSSLESS).index(r["transport"]))
        for r in rows:
            print("bench: %-18s %-6s %-16s %8.1f fps" % (r["transport"], "1080p", "rgba", r["fps"]), file=sys.stderr)
        self.results += rows
        t1 = time.monotonic()
        writer = self.writer_rates(rounds)
        return {"frames": n, "rounds": rounds, "writer": writer, "delivery_s": t1 - t0, "writer_s": time.monotonic() - t1,
                "runs": rounds * (len(LOSSLESS) + 6)}

    def publish_cost(self):
        """ns per begin_frame + publish (64x64 rgba, no pixel writes), no reader and one waiting."""
        n = 50000 if self.quick else 200000
        r = subprocess.run([os.path.join(self.tools, "benchtool"), "publish", self.name(), str(n)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("benchtool publish failed: %s" % r.stderr.strip())
        return json.loads(r.stdout)

    def profile(self):
        """perf profile of the writer (1920x1080 rgba passthrough, a reader attached), if perf works."""
        if not shutil.which("perf") or subprocess.run(["perf", "stat", "-e", "task-clock", "true"],
                                                        capture_output=True).returncode:
            return None
        w, h = RES["1080p"]
        name, data = self.name(), "/tmp/shmout-bench-%d.perf" % os.getpid()
        writer = ["perf", "record", "-q", "-o", data, "--"] + self.source(w, h, "rgba", 600) + \
                 ["-slots", "16", "-f", "shmout", name]
        run_pair(writer, [os.path.join(self.tools, "benchtool"), "shm", name, "600", PIXEL])
        subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso,symbol",
                              "--stdio"], capture_output=True, text=True)
        os.unlink(data)
        return [l.rstrip() for l in rep.stdout.splitlines() if "%" in l and not l.startswith("#")][:8]

    def wine_seconds(self, env, w, h, n, out):
        """Wall clock of one ffmpeg.exe under Wine making n frames of w x h rgba into OUT, and its log."""
        cmd = ["wine", os.path.join(self.win_bin, "ffmpeg.exe"), "-hide_banner", "-nostdin", "-nostats",
               "-loglevel", "verbose", "-y", "-f", "lavfi", "-i", "color=c=black:s=%dx%d:r=1000,format=rgba" % (w, h),
               "-frames:v", str(n)] + out
        # The log into a file, not a pipe: Wine's service processes inherit it and outlive ffmpeg.exe.
        with tempfile.TemporaryFile("w+") as log:
            t = time.monotonic()
            r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, timeout=300)
            t = time.monotonic() - t
            log.seek(0)
            text = log.read()
        if r.returncode != 0:
            raise RuntimeError("wine failed: %s %s" % (" ".join(cmd), text.strip()[-500:]))
        return t, text

    def windows(self):
        """ffmpeg.exe under Wine, -f shmout against -f rawvideo NUL. frames/s = (N - N0) / (t(N) - t(N0)) of
        the whole command's wall clock, the fastest of 3 runs each (interleaved), so that Wine's and
        ffmpeg's start-up cancel; shmout's own count at close checks that it wrote every frame."""
        cache = os.environ.get("SHMOUT_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "shmout")
        env = dict(os.environ, WINEPREFIX=os.path.join(cache, "wine"), WINEDEBUG="-all",
                   WINEDLLOVERRIDES="mscoree,mshtml=")   # no Mono or Gecko: their installers would ask
        os.makedirs(cache, exist_ok=True)
        if not os.path.exists(os.path.join(env["WINEPREFIX"], "system.reg")):
            print("bench: creating the Wine prefix %s" % env["WINEPREFIX"], file=sys.stderr)
            subprocess.run(["wine", "wineboot", "-i"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            subprocess.run(["wineserver", "-w"], env=env)     # wineboot's own server: let it end
        # One persistent wineserver (the named mapping and mutex live there), and Wine's services
        # started before anything is timed.
        subprocess.run(["wineserver", "-p"], env=env)
        rows = []
        try:
            subprocess.run(["wine", os.path.join(self.win_bin, "ffmpeg.exe"), "-version"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            for res, (w, h) in WIN_RES.items():
                n0, n = 10, {1920: 600, 640: 3000}[w] // (3 if self.quick else 1)
                sinks = {"shmout": ["-f", "shmout", self.name()],
                         "rawvideo-NUL": ["-f", "rawvideo", "NUL"]}
                best = {}
                for _ in range(3):
                    for sink, out in sinks.items():
                        for k in (n0, n):
                            t, log = self.wine_seconds(env, w, h, k, out)
                            if sink == "shmout" and "after %d frames; 0 dropped" % k not in log:
                                raise RuntimeError("ffmpeg.exe -f shmout did not write all %d frames: %s" % (k, log[-500:]))
                            best[sink, k] = min(t, best.get((sink, k), t))
                fps = {sink: (n - n0) / (best[sink, n] - best[sink, n0]) for sink in sinks}
                rows.append({"res": res, "size": "%dx%d" % (w, h), "frames": n, "shmout_fps": fps["shmout"],
                             "rawvideo_nul_fps": fps["rawvideo-NUL"], "startup_s": best["rawvideo-NUL", n0]})
                for sink in sinks:
                    print("bench: %-18s %-6s %-16s %8.1f fps" % ("wine-" + sink, res, "rgba", fps[sink]), file=sys.stderr)
        finally:
            subprocess.run(["wineserver", "-k"], env=env)
        return rows

    def run(self):
        resolutions = ["720p", "1080p"] if self.quick else list(RES)
        cases = ["rgba", "yuv420p-to-rgba"] if self.quick else list(CASES)
        for res in resolutions:
            for case in cases:
                rows = [self.shmout(res, case, "immediate"), self.shmout(res, case, "nextframe"),
                        self.pipe(res, case)]
                if self.gst:
                    rows.append(self.gstreamer(res, case))
                rows.append(self.limit(res, case))
                for r in rows:
                    print("bench: %-18s %-6s %-16s %8.1f fps" % (r["transport"], res, case, r["fps"]), file=sys.stderr)
                self.results += rows
        lat = [self.latency("immediate"), self.latency("nextframe")]
        ll = self.lossless()
        return self.results, lat, self.publish_cost(), ll, self.profile(), self.windows() if self.win_bin else None


def ratio(a, b):
    return a / b if a and b else float("nan")


# The targets of the design, and what limits them when missed (see the profile below).
WHY = {
    "limit": "the writer's rate is FFmpeg's whole per-frame pipeline (source, filter graph, "
             "wrapped_avframe, muxer thread) around the one copy into the block; the profile shows "
             "the copy and first-touch page faults of the mapping dominating the muxer thread",
    "gstreamer": "GStreamer's videotestsrc writes straight into shmsink's shared memory (shmsink "
                 "offers its allocator upstream), while an FFmpeg muxer receives frames its upstream "
                 "already allocated, so shmout copies each passthrough frame once",
    "lossless": "lossless delivery goes at the pace of the slower of writer and reader ('writer waited' "
                "below says which: the writer waits only for a reader slower than itself); the writer's is "
                "FFmpeg's per-frame pipeline around the one copy into the block, as for the limit, and on 2 "
                "cores its threads share them with the reader and whatever else runs",
    "nextframe": "on 2 cores the conversion competes with FFmpeg's own threads either way; moving it "
                 "to the worker overlaps it with the next frame's production only when that is costly",
}


def targets(by, keys, lat):
    """Rows: target, measured, met."""
    rows = []
    for res in ("1080p", "4k"):
        if ("shmout-nextframe", res, "rgba") in by:
            v = ratio(by[("shmout-nextframe", res, "rgba")]["publish_fps"], by[("limit", res, "rgba")]["fps"])
            rows.append(("rgba %s, nextframe: publish rate >= 0.85 of the memcpy limit" % res, "%.2f" % v, v >= 0.85, "limit"))
    for res, case in keys:
        if case == "rgba":
            v = ratio(by[("shmout-nextframe", res, case)]["fps"], by[("pipe", res, case)]["fps"])
            rows.append(("rgba %s: >= 4x the pipe's frame rate" % res, "%.1fx" % v, v >= 4, None))
            if ("gstreamer", res, case) in by:
                v = ratio(by[("shmout-nextframe", res, case)]["fps"], by[("gstreamer", res, case)]["fps"])
                rows.append(("rgba %s: >= the GStreamer shm rate" % res, "%.2fx" % v, v >= 1, "gstreamer"))
    if ("lossless-shmout", "1080p", "rgba") in by:
        v = ratio(by[("lossless-shmout", "1080p", "rgba")]["fps"], by[("lossless-pipe", "1080p", "rgba")]["fps"])
        rows.append(("rgba 1080p, lossless (every frame, -wait_readers 1): >= 3x the pipe's frame rate", "%.1fx" % v, v >= 3,
                     "lossless"))
    for l in lat:
        rows.append(("latency, %s: median < 50 µs, p99 < 500 µs" % l["downloadtype"],
                     "%.0f / %.0f µs" % (l["median_us"], l["p99_us"]), l["median_us"] < 50 and l["p99_us"] < 500, None))
    for res, case in keys:
        if case != "rgba":
            v = ratio(by[("shmout-nextframe", res, case)]["publish_fps"], by[("shmout-immediate", res, case)]["publish_fps"])
            rows.append(("%s %s: nextframe faster than immediate" % (case, res), "%.2fx" % v, v > 1, "nextframe"))
    return rows


def waited(r):
    return "%d of %d frames, %.0f ms" % (r["waits"], r["frames"], r["waited_s"] * 1e3) if "waits" in r else ""


def report(results, lat, pub, ll, prof, win, out, gst, quick):
    by = {(r["transport"], r["res"], r["case"]): r for r in results}
    lines = ["# shmout benchmark%s" % (" (quick)" if quick else ""), "",
             "One run of `make bench%s` on this machine. Every reader checks every byte of every frame "
             "it accepts. **fps** is frames verified per second by the reader; for shmout, frames the "
             "writer published faster than the reader read them are counted as lost (shared memory "
             "never slows the writer down); *publish fps* is the writer's own rate." % (" QUICK=1" if quick else ""), "",
             "## Ratios", "",
             "| resolution | case | shmout/pipe | shmout/gstreamer | shmout publish/limit | nextframe/immediate |",
             "| --- | --- | --- | --- | --- | --- |"]
    keys = sorted({(r["res"], r["case"]) for r in results}, key=lambda k: (list(RES).index(k[0]), list(CASES).index(k[1])))
    for res, case in keys:
        s = by[("shmout-nextframe", res, case)]
        si = by[("shmout-immediate", res, case)]
        p, lim = by[("pipe", res, case)], by[("limit", res, case)]
        g = by.get(("gstreamer", res, case))
        lines.append("| %s | %s | %.2f | %s | %.2f | %.2f |" % (
            res, case, ratio(s["fps"], p["fps"]), "%.2f" % ratio(s["fps"], g["fps"]) if g else "n/a",
            ratio(s["publish_fps"], lim["fps"]), ratio(s["publish_fps"], si["publish_fps"])))
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    missed = set()
    for what, val, met, why in targets(by, keys, lat):
        lines.append("| %s | %s | %s |" % (what, val, "yes" if met else "**no**"))
        if not met and why:
            missed.add(why)
    for why in sorted(missed):
        lines += ["", "Why not (%s): %s." % (why, WHY[why])]
    lines += ["", "## Latency (1920x1080 rgba at 60 frames/s, publish to the reader's wake-up)", "",
              "| downloadtype | frames | median | 99th percentile | slowest |", "| --- | --- | --- | --- | --- |"]
    for l in lat:
        lines.append("| %s | %d | %.0f µs | %.0f µs | %.0f µs |" % (l["downloadtype"], l["frames"], l["median_us"],
                                                              l["p99_us"], l["max_us"]))
    lines += ["", "## Publish cost (libshmout begin_frame + publish, 64x64 rgba, no pixel writes, %d frames)" % pub["frames"], "",
              "| no reader | one reader waiting | waiting/none |", "| --- | --- | --- |",
              "| %.0f ns | %.0f ns | %.1f |" % (pub["idle_ns"], pub["waiting_ns"], ratio(pub["waiting_ns"], pub["idle_ns"])),
              "", "With a reader registered as waiting, each publish also issues FUTEX_WAKE."]
    lines += ["", "## Lossless delivery (1920x1080 rgba, %d frames, the fastest of %d interleaved runs each)" % (
              ll["frames"], ll["rounds"]), "",
              "The writer is `ffmpeg -f lavfi -i color=... -frames:v %d`, as fast as it goes, the same for every path. "
              "benchtool shm --lossless reads in SHMOUT_READ_LOSSLESS mode, registered before it counts as "
              "attached, and fails the run unless it got frames 1 to %d, each byte as expected, none skipped, torn "
              "or evicted, and the writer published no other; the pipe readers check every byte of %d frames. "
              "*vs* compares each path with the pipe that would carry the same frames: the libshmout reader with "
              "one pipe, the ffmpeg reader with two (its rawvideo goes to the byte checker through a pipe on both "
              "sides). *writer waited*: frames whose slot the writer had to wait for the reader to finish." % (
                  ll["frames"], ll["frames"], ll["frames"]), "",
              "| path | fps | vs | writer waited | writer CPU ms/frame | reader CPU ms/frame |",
              "| --- | --- | --- | --- | --- | --- |"]
    for t, (what, peer) in LOSSLESS.items():
        r = by.get((t, "1080p", "rgba"))
        if r:
            vs = "%.2fx" % ratio(r["fps"], by[(peer, "1080p", "rgba")]["fps"]) if peer else "1"
            lines.append("| %s | %.0f | %s | %s | %.2f | %.2f |" % (what, r["fps"], vs, waited(r),
                         r["writer_cpu_per_frame"] * 1e3, r["reader_cpu_per_frame"] * 1e3))
    wr = {r["readers"]: r for r in ll["writer"]}
    lines += ["", "### The writer's rate with its reader (1920x1080 rgba, the default ring of 3 slots, %d frames)" % (
              ll["writer"][0]["frames"]), "",
              "frames/s = (N - 10) / (t(N) - t(10)) of the writer's wall clock, the fastest of %d runs, which cancels "
              "its start-up (and the wait for its reader, -wait_readers 1, when it has one); *publish fps* is the same "
              "rate from the frames' publish times, as the reader saw them." % ll["rounds"], "",
              "| reader | writer fps | vs no reader | vs one every reader | publish fps | writer waited | frames the reader lost |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for k, what in (("none", "none"), ("every", "one, -mode every"), ("lossless", "one, lossless")):
        r = wr[k]
        lines.append("| %s | %.0f | %.2f | %s | %s | %s | %s |" % (
            what, r["fps"], ratio(r["fps"], wr["none"]["fps"]),
            "%.2f" % ratio(r["fps"], wr["every"]["fps"]) if k != "none" else "",
            "%.0f" % r["publish_fps"] if k != "none" else "", waited(r) if k == "lossless" else "",
            r["lost"] if k != "none" else ""))
    lines += ["", "These runs took %.0f s (delivery) and %.0f s (writer rates)." % (ll["delivery_s"], ll["writer_s"])]
    if win:
        lines += ["", "## Windows writer under Wine (ffmpeg.exe, rgba from a 1000 frames/s color source)", "",
                  "| size | frames | shmout fps | rawvideo to NUL fps | shmout/rawvideo |", "| --- | --- | --- | --- | --- |"]
        for r in win:
            lines.append("| %s | %d | %.0f | %.0f | %.2f |" % (r["size"], r["frames"], r["shmout_fps"], r["rawvideo_nul_fps"],
                                                               ratio(r["shmout_fps"], r["rawvideo_nul_fps"])))
        lines += ["", "shmout writes TouchDesigner's layout (bottom row first, under the block's mutex, no reader "
                  "attached); rawvideo to NUL makes the same frames and writes them nowhere. frames/s is "
                  "(N - 10) / (t(N) - t(10)) of each command's wall clock, the fastest of 3 runs, which cancels "
                  "Wine's and ffmpeg's start-up (about %.1f s here). Under Wine the mutex and mapping calls go "
                  "through wineserver (two round trips a frame for the mutex), so these are Wine's figures, not "
                  "Windows'." % win[0]["startup_s"]]
    lines += ["", "## All figures", "",
              "| transport | resolution | case | fps | publish fps | lost | writer CPU ms/frame | reader CPU ms/frame | writer RSS MB | block MB |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        f = lambda k, m=1.0, fmt="%.2f": (fmt % (r[k] * m)) if k in r else ""
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["transport"], r["res"], r["case"], f("fps", fmt="%.0f"), f("publish_fps", fmt="%.0f"),
            f("lost", fmt="%d"), f("writer_cpu_per_frame", 1e3), f("reader_cpu_per_frame", 1e3),
            f("writer_rss_mb", fmt="%.0f"), f("block_mb", fmt="%.0f")))
    bad = [r for r in results if r.get("bad_rows")]
    lines += ["", "Rows that did not match the expected pixels: %d." % sum(r["bad_rows"] for r in bad)]
    if not gst:
        lines += ["", "GStreamer was not measured: install gstreamer1.0-tools gstreamer1.0-plugins-bad "
                  "libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev (make bench does, as root)."]
    if prof:
        lines += ["", "## Profile of the writer (perf, 1920x1080 rgba passthrough, a reader attached)", "", "```"] + prof + ["```"]
    lines += ["", "![fps](fps.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump({"results": results, "latency": lat, "publish": pub, "lossless": ll, "profile": prof, "windows": win}, f, indent=1)
    # fps vs resolution per transport, rgba passthrough
    data = os.path.join(out, "fps.dat")
    transports = ["shmout-nextframe", "shmout-immediate", "pipe"] + (["gstreamer"] if gst else []) + ["limit"]
    with open(data, "w") as f:
        for res in [r for r in RES if any(k[0] == r for k in keys)]:
            f.write("%s %s\n" % (res, " ".join("%.1f" % by[(t, res, "rgba")]["fps"] if (t, res, "rgba") in by else "NaN"
                                                for t in transports)))
    if shutil.which("gnuplot"):
        plot = ["set terminal png size 900,500", "set output '%s'" % os.path.join(out, "fps.png"),
                "set title 'rgba passthrough: frames per second verified by the reader'",
                "set logscale y", "set ylabel 'frames/s'", "set style data histograms",
                "set style fill solid 0.8", "set key top right", "set grid y",
                "plot " + ", ".join("'%s' using %d:xtic(1) title '%s'" % (data, i + 2, t) for i, t in enumerate(transports))]
        subprocess.run(["gnuplot"], input="\n".join(plot), text=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--win-bin", help="the Windows build's bin (ffmpeg.exe): also measure it under Wine")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.monotonic()
    b = Bench(args)
    results, lat, pub, ll, prof, win = b.run()
    report(results, lat, pub, ll, prof, win, args.out, b.gst, args.quick)
    print("bench: %d runs in %.0f s; report in %s" % (len(results) - len(LOSSLESS) + ll["runs"] + 3 + len(win or []) * 24,
                                                      time.monotonic() - t0,
                                                      os.path.join(args.out, "report.md")), file=sys.stderr)


if __name__ == "__main__":
    main()
