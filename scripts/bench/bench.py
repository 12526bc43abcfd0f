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
writer's peak RSS and the block's size. Readers waiting (issue 16): the writer's rate, rgba
frames written whole, with 0, 1, 4 and 8 readers waiting in processes of their own, at 1080p
and 320x240 (benchtool readers).

Lossless delivery (1920x1080 rgba, in the same run): the writer `ffmpeg ... -f shmout -wait_readers 1`
(as fast as it goes) read by benchtool shm --lossless (libshmout in SHMOUT_READ_LOSSLESS mode,
registered before it counts as attached, zero-copy; it fails unless it got frames 1..N, every
byte as expected, nothing skipped, torn or evicted) against the pipe a lossless reader would
otherwise use, the same source and frame count into benchtool pipe; and, with an ffmpeg reader
on both sides, `ffmpeg -f shmin -mode lossless -i NAME -f rawvideo - | benchtool pipe` against
`ffmpeg -f rawvideo - | ffmpeg -f rawvideo -i - -f rawvideo - | benchtool pipe`. The fastest of
a few interleaved runs each. Also the writer's own rate with no reader, one every reader and one
lossless reader: (N - 10) / (t(N) - t(10)) of its wall clock, which cancels its start-up.

Python against C (issue 14, in the same run): at 1280x720 and 1920x1080 rgba, the Python
module's zero-copy reader (Reader.next_view, FrameView.planes) and copying reader
(Reader.next_frame, bytes) against libshmout's (benchtool sum), newest-frame mode, each touching
every byte of every frame with the same checksum (the wrapping sum of the frame as
little-endian uint64 words) and accepting a frame only if it is intact and has the checksum of the
known frame `benchtool source` writes (each reader derives it itself); frames accepted per
second. And examples/relay.py --invert (run by pyrelay.py) against the same relay in C
(benchtool relay), frames relayed per second at the destination, every byte of the frames a
reader of it gets (benchtool relaycheck) checked to be the inverted source. The Python side runs
under a python3 that has numpy (PYTHON, python3 or /usr/bin/python3); without one it is left out.

GStreamer's elements against shmout's (issue 15, in the same run): at 1280x720 and 1920x1080
rgba, `videotestsrc ! shmsink` read by `shmsrc` against `videotestsrc ! shmoutsink wait-readers=1`
read by `shmoutsrc` (mode=every, and mode=lossless), each writer run by gstwrite (the writer's
rate, frame 10 to the last) and each reader by gstread, which checks every byte; frames per
second at both ends, and the writer's and reader's CPU per frame (when gst-inspect-1.0 finds the
plugin: make bench sets GST_PLUGIN_PATH).

With --win-bin (the Windows build's bin, `make windows`): ffmpeg.exe under Wine, -f shmout
(TouchDesigner's layout: a named mapping, a mutex per frame, no reader) against -f rawvideo NUL
(the same frames written nowhere), at 1920x1080 and 640x360 rgba, in the same run.

The run leaves /dev/shm as it found it: every row removes its blocks and its peers' areas
(GStreamer's shmsink leaves its own when killed), and at the end it removes shmsink areas of
processes that are gone, compares /dev/shm with what it held before, reports that as a target
and exits with status 1 if anything was left.

    python3 scripts/bench/bench.py --bin BUILD/bin --tools DIR --out BUILD/bench [--quick] [--win-bin DIR]
"""
import argparse
import ctypes
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
GST_SIZES = ("720p", "1080p")   # the GStreamer elements' rows
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
PY_SIZES = ("720p", "1080p")            # the Python rows (issue 14), rgba
PY_READERS = {                          # kind: what reads, the C reader first (the others' reference)
    "c": "C: `benchtool sum` (libshmout acquire, the checksum in a plain -O2 loop, validate)",
    "zero-copy": "Python zero-copy: `pyread.py view` (`Reader.next_view()`, the checksum over "
                 "`FrameView.planes[0]`, `close()`)",
    "copy": "Python copy: `pyread.py copy` (`Reader.next_frame()` bytes, the checksum over `np.frombuffer`)",
}
PY_RELAYS = {
    "c": "C: `benchtool relay` (acquire, `shmout_writer_begin_frame`, 255 - v but alpha 8 bytes at a time, "
         "validate, publish)",
    "python": "Python: `examples/relay.py --invert` (`next_view`, `writer.frame()`, `np.bitwise_xor` of each pixel "
              "as a u32, alpha masked out, `intact`, publish)",
}

# The readers-waiting rows (issue 16): sizes, and how many readers wait.
READER_SIZES = {"1080p": (1920, 1080), "320x240": (320, 240)}
READER_COUNTS = (0, 1, 4, 8)

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_us():
    """preexec_fn of the Python rows' processes: SIGTERM when bench.py ends, however (even by
    SIGKILL), so that they end and remove the blocks they made (PR_SET_PDEATHSIG)."""
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)


def shm_objects():
    """What /dev/shm holds: {name: bytes allocated}."""
    out = {}
    for f in os.listdir("/dev/shm"):
        try:
            out[f] = os.lstat(os.path.join("/dev/shm", f)).st_blocks * 512
        except FileNotFoundError:
            pass
    return out


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def shmsink_area_pid(f):
    """The process id in the name of a GStreamer shmsink area in /dev/shm
    (shmpipe.<pid, 5 wide>.<n, 5 wide>), or None for any other name."""
    part = f.split(".")
    return int(part[1]) if len(part) == 3 and part[0] == "shmpipe" and part[1].strip().isdigit() else None


def sweep_shm(before):
    """Remove what a killed GStreamer peer leaves behind (shmsink areas, shmpipe.<pid>.<n>, of
    processes that are gone: gst_pair removes them too, but not if bench.py itself was stopped
    on the way); then what is in /dev/shm that was not there before the run, this run's own
    blocks included, which nothing removes here: (removed, {name: bytes} left)."""
    removed = 0
    for f in shm_objects():
        pid = shmsink_area_pid(f)
        if f not in before and pid is not None and not pid_alive(pid):
            try:
                os.unlink(os.path.join("/dev/shm", f))
                removed += 1
            except FileNotFoundError:
                pass
    return removed, {f: b for f, b in shm_objects().items() if f not in before}


def numpy_python():
    """A python3 that has numpy (as tests/run looks for one), or None."""
    for p in (os.environ.get("PYTHON"), "python3", "/usr/bin/python3"):
        exe = p and shutil.which(p)
        if exe and subprocess.run([exe, "-c", "import numpy"], capture_output=True).returncode == 0:
            return exe
    return None


def stop(proc):
    """SIGTERM a process (one that ends on it and removes what it made) and wait for it; its
    standard output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


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
        # shmout's own elements (GST_PLUGIN_PATH from make bench)
        self.gst_plugin = self.gst and subprocess.run(["gst-inspect-1.0", "shmoutsink"],
                                                      capture_output=True).returncode == 0
        self.results, self.n = [], 0
        self.numpy_py = numpy_python()
        self.here = os.path.dirname(os.path.abspath(__file__))

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
        got, wru, _ = self.gst_pair(writer, "shmsrc socket-path=%s is-live=false" % sock, caps, n, ow * 4, sock=sock)
        return reader_row("gstreamer", res, case, n, got, wru)

    def gst_pair(self, writer, source, caps, n, row, sock=None, block=None):
        """A GStreamer writer and gstread with SOURCE reading it: what gstread verified, the writer's
        rusage and what it printed (gstwrite's JSON line, or None). The writer gets 10 s to end
        after the reader, then it is killed; what it leaves behind is removed: shmsink's areas
        (/dev/shm/shmpipe.<pid, 5 wide>.<n, 5 wide>, 16 frames each, hundreds of MB a run) and its
        socket, or shmoutsink's block."""
        if sock and os.path.exists(sock):
            os.unlink(sock)
        w_proc = subprocess.Popen(writer, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        wait_s = 0
        try:
            for _ in range(100):
                if not sock or os.path.exists(sock):
                    break
                time.sleep(0.02)
            r = subprocess.run([os.path.join(self.tools, "gstread"), source, caps, str(n), str(row), PIXEL],
                               capture_output=True, text=True, timeout=300)
            wait_s = 10 if writer[0].endswith("gstwrite") else 0
        finally:
            # wait4, not Popen.wait: only it gives the writer's rusage. A writer still there after
            # wait_s is killed (os.kill: Popen.kill polls first and may reap it).
            deadline = time.monotonic() + wait_s
            while True:
                pid, status, wru = os.wait4(w_proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() >= deadline:
                    os.kill(w_proc.pid, signal.SIGKILL)
                    _, status, wru = os.wait4(w_proc.pid, 0)
                    break
                time.sleep(0.01)
            w_proc.returncode = os.waitstatus_to_exitcode(status)
            wout = w_proc.stdout.read().strip().splitlines() if w_proc.returncode == 0 and wait_s else []
            w_proc.stdout.close()
            for f in os.listdir("/dev/shm"):
                if shmsink_area_pid(f) == w_proc.pid:
                    os.unlink(os.path.join("/dev/shm", f))
            if sock and os.path.exists(sock):
                os.unlink(sock)
            if block:
                subprocess.run([os.path.join(self.bin, "shmout"), "rm", block], capture_output=True)
        return json.loads(r.stdout.strip().splitlines()[-1]), wru, json.loads(wout[-1]) if wout else None

    def gst_elements(self):
        """The plugin's elements against GStreamer's shm elements, rgba at 720p and 1080p, the same
        videotestsrc pipeline into each sink (run by gstwrite, which gives the writer's rate), read
        by its matching source into gstread, which checks every byte; the fastest of a few
        interleaved runs each. shmsink blocks when its area is full (wait-for-connection);
        shmoutsink never waits for an every reader (its losses are counted) and waits for a
        lossless one, so that pair loses nothing."""
        rows, rounds = [], 1 if self.quick else 3
        gstwrite = os.path.join(self.tools, "gstwrite")
        for res in GST_SIZES:
            w, h = RES[res]
            n = self.frames(w, h)
            caps = "video/x-raw,format=RGBA,width=%d,height=%d" % (w, h)
            src = "videotestsrc pattern=black num-buffers=%d ! %s,framerate=1000/1 ! " % (n, caps)
            best = {}
            for _ in range(rounds):
                sock = "/tmp/shmout-bench-%d.sock" % os.getpid()
                runs = [("gst-shmsink", self.gst_pair(
                    [gstwrite, src + "shmsink name=s socket-path=%s shm-size=%d wait-for-connection=true sync=false" % (
                        sock, w * h * 4 * 16)],
                    "shmsrc socket-path=%s is-live=false" % sock, caps, n, w * 4, sock=sock))]
                for mode in ("every", "lossless"):
                    name = self.name()
                    runs.append(("gst-shmoutsink" + ("-lossless" if mode == "lossless" else ""), self.gst_pair(
                        [gstwrite, src + "shmoutsink name=s block=%s wait-readers=1 sync=false" % name],
                        "shmoutsrc block=%s mode=%s timeout=20000" % (name, mode), caps, n, w * 4, block=name)))
                for t, (got, wru, wout) in runs:
                    r = reader_row(t, res, "rgba", n, got, wru)
                    r["publish_fps"] = wout["fps"] if wout else 0
                    r.update({k: got[k] for k in ("zero_copy", "copied", "detached") if k in got})
                    if t not in best or r["publish_fps"] > best[t]["publish_fps"]:
                        best[t] = r
            for r in best.values():
                print("bench: %-18s %-6s %-16s %8.1f fps (writer %.1f)" % (r["transport"], res, "rgba", r["fps"],
                                                                         r["publish_fps"]), file=sys.stderr)
            rows += list(best.values())
        return rows

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
        got = json.loads(r.stdout)
        got["readers"] = self.readers_cost()
        return got

    def readers_cost(self):
        """The writer's rate (rgba, each frame written whole) with 0, 1, 4 and 8 readers waiting,
        at 1080p and 320x240: the fastest of a few interleaved runs each (benchtool readers)."""
        rows, secs = [], 0.5 if self.quick else 1.0
        for res, (w, h) in READER_SIZES.items():
            best = {}
            for _ in range(2 if self.quick else 3):
                for n in READER_COUNTS:
                    r = subprocess.run([os.path.join(self.tools, "benchtool"), "readers", self.name(), str(w), str(h),
                                        str(n), str(secs)], capture_output=True, text=True, timeout=120)
                    if r.returncode != 0:
                        raise RuntimeError("benchtool readers failed: %s" % r.stderr.strip())
                    got = json.loads(r.stdout)
                    got.update(res=res, fps=got["frames"] / got["seconds"],
                               reader_fps=got["reader_frames"] / got["seconds"])
                    if n not in best or got["fps"] > best[n]["fps"]:
                        best[n] = got
            for n in READER_COUNTS:
                rows.append(best[n])
                print("bench: %-18s %-6s %-16s %8.1f fps" % ("writer, %d readers" % n, res, "rgba", best[n]["fps"]),
                      file=sys.stderr)
        return rows

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

    # Python against C (issue 14). The writer, `benchtool source`, publishes a known frame (16
    # slots) at a set rate, a few times the fastest consumer's so far (first round: a guess from
    # the frame's size): always a new frame when a reader or relay comes back for one, never so
    # fast that it overwrites the frame one is reading.

    def py_run(self, cmd, what, src_log):
        """Run a reader to its end; its JSON. src_log: the writer's standard error, for a failure."""
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=die_with_us)
        if r.returncode or not r.stdout.strip():
            src_log.seek(0)
            raise RuntimeError("%s failed: %s %s (the writer said: %s)" % (
                what, " ".join(cmd), r.stderr.strip()[-800:], src_log.read().strip()[-300:]))
        return json.loads(r.stdout.strip().splitlines()[-1])

    def py_source(self, w, h, fps, log):
        """benchtool source; it removes its block when it ends (stop())."""
        name = self.name()
        p = subprocess.Popen([os.path.join(self.tools, "benchtool"), "source", name, str(w), str(h), "%.0f" % fps],
                             stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=die_with_us)
        return name, p

    def py_end(self, procs, names):
        """Stop the processes, then remove the blocks if they could not."""
        for p in procs:
            stop(p)
        for name in names:
            subprocess.run([os.path.join(self.bin, "shmout"), "rm", name], capture_output=True)

    def py_timing(self):
        """(rounds, seconds counted, warm-up seconds) of each Python-row run."""
        return (2, 0.5, 0.2) if self.quick else (3, 1.5, 0.3)

    def py_best(self, res, kinds, run, pace):
        """Rounds of one writer each at `res`, on which run(kind, block, writer_log) measures
        every kind in turn (interleaved); the fastest row of each kind. The writer is paced at
        `pace` times the fastest row so far (first round: a guess from the frame's size)."""
        w, h = RES[res]
        fps, best = 3e10 / (w * h * 4), {}
        for _ in range(self.py_timing()[0]):
            with tempfile.TemporaryFile("w+") as log:
                name, src = self.py_source(w, h, fps, log)
                try:
                    for kind in kinds:
                        got = run(kind, name, log)
                        got.update(kind=kind, res=res, writer_set_fps=fps)
                        if got["fps"] > best.get(kind, {"fps": -1})["fps"]:
                            best[kind] = got
                finally:
                    self.py_end([src], [name])
            fps = min(pace * max(b["fps"] for b in best.values()), 100000)
        return best

    def py_readers(self):
        """The C, zero-copy and copy readers on one writer per round, interleaved; the fastest
        of the rounds each."""
        _, secs, warm = self.py_timing()
        bt = os.path.join(self.tools, "benchtool")

        def run(kind, name, log):
            cmd = [bt, "sum", name, str(secs), str(warm)] if kind == "c" else \
                  [self.numpy_py, "-B", os.path.join(self.here, "pyread.py"),
                   "view" if kind == "zero-copy" else "copy", name, str(secs), str(warm)]
            got = self.py_run(cmd, "the %s reader" % kind, log)
            got.update(fps=got["frames"] / got["seconds"],
                       writer_fps=got["published"] / got["publish_seconds"] if got["publish_seconds"] else 0)
            return got
        rows = []
        for res in PY_SIZES:
            best = self.py_best(res, PY_READERS, run, 3)
            bases = {b["base"] for b in best.values()}
            if len(bases) != 1:
                raise RuntimeError("the readers derived different checksums of the known frame at %s: %s" % (res, bases))
            for kind in PY_READERS:
                rows.append(best[kind])
                print("bench: %-18s %-6s %-16s %8.1f fps" % ("read, " + kind, res, "rgba", best[kind]["fps"]), file=sys.stderr)
        return rows

    def py_relay_run(self, kind, src, secs, warm, src_log):
        """One relay of src into a new block, measured by benchtool relaycheck on it; the row,
        with the relay's own account of its time (`timing`)."""
        bt = os.path.join(self.tools, "benchtool")
        dst = self.name()
        cmd = [bt, "relay", src, dst, "0"] if kind == "c" else \
              [self.numpy_py, "-B", os.path.join(self.here, "pyrelay.py"), src, dst]
        proc = None
        try:
            with tempfile.TemporaryFile("w+") as log:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=die_with_us)
                try:
                    got = self.py_run([bt, "relaycheck", dst, str(secs), str(warm)], "the check of the %s relay" % kind,
                                      src_log)
                except RuntimeError as e:
                    stop(proc)
                    log.seek(0)
                    raise RuntimeError("%s; the relay said: %s" % (e, log.read().strip()[-800:])) from None
                out = stop(proc)
                if proc.returncode:
                    log.seek(0)
                    raise RuntimeError("the %s relay failed (%d): %s" % (kind, proc.returncode, log.read().strip()[-800:]))
        finally:
            if proc is not None and proc.poll() is None:
                stop(proc)
            subprocess.run([os.path.join(self.bin, "shmout"), "rm", dst], capture_output=True)
        end = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        got.update(kind=kind, fps=got["published"] / got["publish_seconds"] if got["publish_seconds"] else 0,
                   source_fps=got["source_published"] / got["publish_seconds"] if got["publish_seconds"] else 0,
                   dropped=end.get("dropped"), timing=end)
        return got

    def py_relays(self):
        """The C and the Python relay on one writer per round, interleaved; the fastest of the
        rounds each."""
        _, secs, warm = self.py_timing()
        rows = []
        for res in ("1080p",) if self.quick else PY_SIZES:
            best = self.py_best(res, PY_RELAYS, lambda kind, src, log: self.py_relay_run(kind, src, secs, warm, log),
                                2.5)
            for kind in PY_RELAYS:
                rows.append(best[kind])
                print("bench: %-18s %-6s %-16s %8.1f fps" % ("relay, " + kind, res, "rgba", best[kind]["fps"]), file=sys.stderr)
        return rows

    def python(self):
        """The Python rows, or None without a python3 that has numpy."""
        if not self.numpy_py:
            print("bench: no python3 with numpy: the Python rows are left out", file=sys.stderr)
            return None
        t0 = time.monotonic()
        readers = self.py_readers()
        relays = self.py_relays()
        return {"python": self.numpy_py, "readers": readers, "relays": relays,
                "runs": self.py_timing()[0] * (len(readers) + len(relays)),
                "rounds": self.py_timing()[0], "seconds": self.py_timing()[1], "warmup": self.py_timing()[2],
                "elapsed_s": time.monotonic() - t0}

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
        if self.gst_plugin:
            self.results += self.gst_elements()
        lat = [self.latency("immediate"), self.latency("nextframe")]
        ll = self.lossless()
        py = self.python()
        return self.results, lat, self.publish_cost(), ll, py, self.profile(), self.windows() if self.win_bin else None


def ratio(a, b):
    return a / b if a and b else float("nan")


# The targets of the design, and what limits them when missed (see the profile below).
WHY = {
    "readers": "each publish with a reader waiting issues one FUTEX_WAKE, which wakes every waiting "
               "reader: the writer pays for the wake-ups in that system call, and the readers woken "
               "run on the writer's cores (the reader frames/s column); see 'Readers waiting'",
    "limit": "the writer's rate is FFmpeg's whole per-frame pipeline (source, filter graph, "
             "wrapped_avframe, muxer thread) around the one copy into the block; the profile shows "
             "the copy dominating the muxer thread (the ring's pages are populated at the open, "
             "so the mapping takes no first-touch faults)",
    "gstreamer": "GStreamer's videotestsrc writes straight into shmsink's shared memory (shmsink "
                 "offers its allocator upstream), while an FFmpeg muxer receives frames its upstream "
                 "already allocated, so shmout copies each passthrough frame once",
    "lossless": "lossless delivery goes at the pace of the slower of writer and reader ('writer waited' "
                "below says which: the writer waits only for a reader slower than itself); the writer's is "
                "FFmpeg's per-frame pipeline around the one copy into the block, as for the limit, and on 2 "
                "cores its threads share them with the reader and whatever else runs",
    "gst-sink": "shmoutsink never waits for an every reader, so its rate is its own: videotestsrc filling the "
                "slot it was lent, plus publishing; shmsink instead waits when its area is full. On 2 cores the "
                "writer shares them with shmoutsrc's copy of each frame (see the GStreamer table and the CPU rows)",
    "nextframe": "on 2 cores the conversion competes with FFmpeg's own threads either way; moving it "
                 "to the worker overlaps it with the next frame's production only when that is costly",
}


def py_ms(r):
    """ms per frame of a reader row: (in all, in the checksum, the rest)."""
    n = max(r["window"], 1)
    total, sm = r["seconds"] / n * 1e3, r["sum_seconds"] / n * 1e3
    return total, sm, total - sm


def py_limited(r, key):
    """A row whose writer may have held it back: its rate near the writer's."""
    return r.get(key) and r["fps"] >= 0.8 * r[key]


def py_relay_split(r):
    """ms a frame of a Python relay row, from pyrelay.py's timing: period, relay_frame, np.bitwise_xor in
    it, the module's calls (and each, most first), the rest of the loop; None without it."""
    t = r.get("timing") or {}
    n = t.get("frames")
    if not n:
        return None
    ms = lambda e: e["seconds"] / n * 1e3
    top, nested = t.get("top", {}), t.get("nested", {})
    frame = sum(ms(e) for k, e in top.items() if k.startswith("relay_frame"))
    calls = sorted(((k, ms(e)) for k, e in top.items() if not k.startswith("relay_frame")), key=lambda kv: -kv[1])
    period = t["seconds"] / n * 1e3
    module = sum(v for _, v in calls)
    inner = {k.split(" > ", 1)[1]: ms(e) for k, e in nested.items() if k.startswith("relay_frame")}
    invert = sum(v for k, v in inner.items() if k.startswith("np.bitwise_xor"))
    return {"period": period, "frame": frame, "module": module, "calls": calls, "rest": period - frame - module,
            "invert": invert, "arrays": sum(inner.values()) - invert, "other": frame - sum(inner.values()),
            "nested": sorted(((k, e["calls"] / n, ms(e)) for k, e in nested.items()), key=lambda x: -x[2])}


def py_why(py):
    """Why each Python target that can miss would, from what was measured (see targets())."""
    if not py:
        return {}
    rd = {(r["kind"], r["res"]): r for r in py["readers"]}
    rl = {(r["kind"], r["res"]): r for r in py["relays"]}
    why = {}
    for res in PY_SIZES:
        z, c = rd[("zero-copy", res)], rd[("c", res)]
        (zt, zs, zr), (ct, cs, cr) = py_ms(z), py_ms(c)
        why["py-read-" + res] = (
            "at %s the zero-copy reader took %.3f ms a frame, %.3f of them in the checksum (numpy add.reduce) and %.3f "
            "in the module's calls (next_view: wait, acquire, the FrameView and its arrays; close: the seqlock check) and "
            "the loop; the C reader %.3f ms, %.3f in its checksum loop and %.3f in libshmout's calls and the loop%s%s" % (
                res, zt, zs, zr, ct, cs, cr,
                "; %d of the zero-copy reader's frames were overwritten while it read them" % z["torn"] if z["torn"] else "",
                "; the C reader's rate is near the writer's (%.0f frames/s): the writer held it back" % c["writer_fps"]
                if py_limited(c, "writer_fps") else ""))
    p, c = rl.get(("python", "1080p")), rl.get(("c", "1080p"))
    if p and c:
        ct = c["timing"]
        text = ("relay.py took %.2f ms a frame (1 / its rate) against the C relay's %.2f ms (by its own account, over "
                "its whole run: %.2f ms a frame, %.2f of them in its one inverting pass)" % (
                    1e3 / p["fps"], 1e3 / c["fps"], ct["seconds"] / max(ct["relayed"], 1) * 1e3,
                    ct["invert_seconds"] / max(ct["relayed"], 1) * 1e3))
        split = py_relay_split(p)
        if split:
            text += ("; relay.py's own account of its %.2f ms a frame: relay_frame (the numpy work) %.2f ms, of them "
                     "`np.bitwise_xor` (one pass over both frames) %.2f, the rest of relay_frame %.2f and the planes' "
                     "arrays %.2f; the module's calls %.2f ms (%s); the rest of its loop %.2f ms" % (
                         split["period"], split["frame"], split["invert"], split["other"], split["arrays"],
                         split["module"], ", ".join("%s %.3f" % (k.split(" (")[0], v) for k, v in split["calls"]),
                         split["rest"]))
        if py_limited(c, "source_fps"):
            text += "; the C relay's rate is near its source's (%.0f frames/s): the source held it back" % c["source_fps"]
        why["py-relay"] = text
    return why


def targets(by, keys, lat, py=None, pub=None):
    """Rows: target, measured, met, the key of the reason if missed (WHY, py_why)."""
    rows = []
    if pub and pub.get("readers"):
        rd = {(r["res"], r["readers"]): r for r in pub["readers"]}
        for res, want in (("1080p", 0.9), ("320x240", 0.8)):
            vs = [ratio(rd[(res, n)]["fps"], rd[(res, 0)]["fps"]) for n in READER_COUNTS if n]
            rows.append(("rgba %s: the writer's rate with %s readers waiting >= %.1f of its rate with none" % (
                res, ", ".join(str(n) for n in READER_COUNTS if n), want), " / ".join("%.2f" % v for v in vs),
                min(vs) >= want, "readers"))
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
    for res in GST_SIZES:
        if ("gst-shmoutsink", res, "rgba") in by:
            v = ratio(by[("gst-shmoutsink", res, "rgba")]["publish_fps"], by[("gst-shmsink", res, "rgba")]["publish_fps"])
            rows.append(("rgba %s: `videotestsrc ! shmoutsink` >= 1.0x `videotestsrc ! shmsink`, the writer's rate, "
                         "each read by its source element" % res, "%.2fx" % v, v >= 1, "gst-sink"))
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
    if py:
        rd = {(r["kind"], r["res"]): r for r in py["readers"]}
        for res in PY_SIZES:
            v = ratio(rd[("zero-copy", res)]["fps"], rd[("c", res)]["fps"])
            rows.append(("rgba %s: the Python zero-copy reader (`Reader.next_view`) >= 0.8 of the C reader's rate" % res,
                         "%.2f" % v, v >= 0.8, "py-read-" + res))
        rl = {(r["kind"], r["res"]): r for r in py["relays"]}
        v = ratio(rl[("python", "1080p")]["fps"], rl[("c", "1080p")]["fps"])
        rows.append(("rgba 1080p: the Python relay (`examples/relay.py --invert`) >= 0.6 of the C relay's rate", "%.2f" % v,
                     v >= 0.6, "py-relay"))
    return rows


def waited(r):
    return "%d of %d frames, %.0f ms" % (r["waits"], r["frames"], r["waited_s"] * 1e3) if "waits" in r else ""


def py_section(py):
    """The Python rows' figures (issue 14)."""
    if not py:
        return ["", "## Python against C (issue 14)", "", "Not measured: no python3 with numpy (set PYTHON, or "
                "apt install python3-numpy)."]
    rd = {(r["kind"], r["res"]): r for r in py["readers"]}
    rl = {(r["kind"], r["res"]): r for r in py["relays"]}
    lines = ["", "## Python against C (issue 14: rgba, newest-frame mode, %s)" % py["python"], "",
             "The writer is `benchtool source`: 16 slots of a known frame (byte i is (i + (i >> 8) + (i >> 16)) mod 256, "
             "bytes 0 to 7 the frame number), its pixels written once per slot and then only its number, published at "
             "a set rate: 3 times the fastest reader's so far for the readers, 2.5 times the fastest relay's for the "
             "relays (the first round: a guess from the frame's size), so that there is always a new frame and none is "
             "overwritten while it is read. Each reader takes the newest frame, sums all of it as little-endian uint64 "
             "words (wrapping) and accepts it if it is intact and its sum is the known frame's (base + its number; "
             "base %s, each reader deriving it on its own: the C loop, numpy). *fps*: frames accepted per second in "
             "%g s after a %g s warm-up, the fastest of %d interleaved runs; *checksum* and *rest*: ms a frame in the "
             "checksum and in all else (the reader's calls, the loop); *writer fps*: the writer's rate in that run, "
             "from the frames' numbers and publish times." % (
                 ", ".join("%s at %s" % (rd[("c", res)]["base"], res) for res in PY_SIZES),
                 py["seconds"], py["warmup"], py["rounds"]), "",
             "| reader | size | fps | vs C | torn | checksum ms/frame | rest ms/frame | CPU ms/frame | writer fps |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for res in PY_SIZES:
        for kind, what in PY_READERS.items():
            r = rd[(kind, res)]
            _, sm, rest = py_ms(r)
            lines.append("| %s | %s | %.0f | %.2f | %d | %.3f | %.3f | %.3f | %.0f%s |" % (
                what, res, r["fps"], ratio(r["fps"], rd[("c", res)]["fps"]), r["torn"], sm, rest,
                r["cpu"] / max(r["window"], 1) * 1e3, r["writer_fps"], " (held it back)" if py_limited(r, "writer_fps") else ""))
    lines += ["", "Each relay reads the newest frame of the writer's block and writes its inversion (255 - v, alpha kept) "
              "into a block of its own (3 slots); `benchtool relaycheck` reads that block's newest frames for %g s after "
              "%g s and checks every byte of each against the inverted known frame (of the source frame its pts names), "
              "sleeping 3 times as long as a check took after each (a quarter of a core, the rest left to the relay). "
              "*fps*: frames the relay published a second meanwhile (from the frames' numbers and publish times), the "
              "fastest of %d interleaved runs; *checked*: frames checked; *dropped*: source frames the relay found "
              "overwritten and did not publish (counted by the C relay only); *source fps*: the source's rate, from "
              "the pts." % (py["seconds"], py["warmup"], py["rounds"]), "",
              "| relay | size | fps | vs C | checked | dropped | source fps |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for res in PY_SIZES:
        for kind, what in PY_RELAYS.items():
            r = rl.get((kind, res))
            if r:
                lines.append("| %s | %s | %.0f | %.2f | %d | %s | %.0f%s |" % (
                    what, res, r["fps"], ratio(r["fps"], rl[("c", res)]["fps"]), r["frames"],
                    "" if r["dropped"] is None else r["dropped"], r["source_fps"],
                    " (held it back)" if py_limited(r, "source_fps") else ""))
    for res in PY_SIZES:
        r = rl.get(("python", res))
        split = r and py_relay_split(r)
        if not split:
            continue
        t = r["timing"]
        lines += ["", "### Where examples/relay.py's frames go (%s, its fastest run: %d frames timed by pyrelay.py, "
                  "perf_counter around each call)" % (res, t["frames"]), "",
                  "| call | calls/frame | ms/frame |", "| --- | --- | --- |",
                  "| a frame, in all (relay.py's loop) | 1 | %.3f |" % split["period"],
                  "| relay_frame (the numpy work) | 1 | %.3f |" % split["frame"]]
        inner = [(k.split(" > ", 1)[1], calls, v) for k, calls, v in split["nested"] if k.startswith("relay_frame")]
        for k, calls, v in inner:
            lines.append("| &nbsp;&nbsp;in it: %s | %.1f | %.3f |" % (k, calls, v))
        lines.append("| &nbsp;&nbsp;in it, the rest (the `.view(\"<u4\")` arrays, the loop) | 1 | %.3f |" % (
            split["frame"] - sum(v for _, _, v in inner)))
        for k, v in split["calls"]:
            lines.append("| %s | %.1f | %.3f |" % (k, t["top"][k]["calls"] / t["frames"], v))
            for kk, calls, vv in split["nested"]:
                if kk.startswith(k + " > "):
                    lines.append("| &nbsp;&nbsp;in it: %s | %.1f | %.3f |" % (kk.split(" > ", 1)[1], calls, vv))
        lines.append("| the rest of relay.py's loop | | %.3f |" % split["rest"])
        c = rl[("c", res)]["timing"]
        lines += ["", "The C relay, by its own account over its whole run (%d frames): %.3f ms a frame, %.3f of them "
                  "inverting." % (c["relayed"], c["seconds"] / max(c["relayed"], 1) * 1e3,
                                  c["invert_seconds"] / max(c["relayed"], 1) * 1e3)]
    lines += ["", "These runs took %.0f s." % py["elapsed_s"]]
    return lines


def report(results, lat, pub, ll, py, prof, win, out, gst, quick, shm):
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
    if py:
        rd = {(r["kind"], r["res"]): r for r in py["readers"]}
        rl = {(r["kind"], r["res"]): r for r in py["relays"]}
        lines += ["", "| Python against C (issue 14, rgba) | %s |" % " | ".join(PY_SIZES),
                  "| --- |" + " --- |" * len(PY_SIZES)]
        for kind, what in (("zero-copy", "zero-copy read (`Reader.next_view`) / C read"),
                           ("copy", "copy read (`Reader.next_frame`) / C read")):
            lines.append("| %s | %s |" % (what, " | ".join("%.2f" % ratio(rd[(kind, res)]["fps"], rd[("c", res)]["fps"])
                                                         for res in PY_SIZES)))
        lines.append("| relay (`examples/relay.py --invert`) / C relay | %s |" % " | ".join(
            "%.2f" % ratio(rl[("python", res)]["fps"], rl[("c", res)]["fps"]) if ("c", res) in rl else "n/a"
            for res in PY_SIZES))
    if any(k[0] == "gst-shmoutsink" for k in by):
        lines += ["", "| GStreamer elements (rgba) | %s |" % " | ".join(GST_SIZES), "| --- |" + " --- |" * len(GST_SIZES)]
        for what, t, key in (("shmoutsink / shmsink, the writer's rate (reader: shmoutsrc mode=every / shmsrc)",
                              "gst-shmoutsink", "publish_fps"),
                             ("shmoutsink / shmsink, writer CPU per frame", "gst-shmoutsink", "writer_cpu_per_frame"),
                             ("shmoutsrc mode=lossless / shmsrc, frames/s verified, nothing lost", "gst-shmoutsink-lossless",
                              "fps"),
                             ("shmoutsrc / shmsrc, reader CPU per frame", "gst-shmoutsink-lossless", "reader_cpu_per_frame")):
            lines.append("| %s | %s |" % (what, " | ".join(
                "%.2f" % ratio(by[(t, res, "rgba")][key], by[("gst-shmsink", res, "rgba")][key]) for res in GST_SIZES)))
        lines.append("| shmoutsrc mode=lossless: frames pushed as the slot itself / of those, copied out (detached) "
                     "because the reader still held them when the next frame was taken | %s |" % " | ".join(
                         "%d / %d" % (by[("gst-shmoutsink-lossless", res, "rgba")].get("zero_copy", 0),
                                      by[("gst-shmoutsink-lossless", res, "rgba")].get("detached", 0)) for res in GST_SIZES))
        lines += ["", "shmoutsrc in mode=every copies each frame out of the block (a reader never owns a slot: "
                  "the writer may reuse it). In mode=lossless it pushes the slot itself but keeps one frame "
                  "from the writer at a time, so a frame its consumer still holds when the next one is taken "
                  "is copied out then; gstread's appsink queues, so that is nearly every frame. shmsrc "
                  "hands its reader shmsink's memory, kept by reference counts across the socket."]
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    missed, why_text = set(), dict(WHY, **py_why(py))
    for what, val, met, why in targets(by, keys, lat, py, pub):
        lines.append("| %s | %s | %s |" % (what, val, "yes" if met else "**no**"))
        if not met and why:
            missed.add(why)
    nbefore, swept, left = shm
    lines.append("| /dev/shm after the run holds no more than before it (%d objects) | %s%s | %s |" % (
        nbefore, ", ".join("%s: %d bytes" % kv for kv in sorted(left.items())) or "nothing more",
        "; %d shmsink areas of stopped peers removed at the end" % swept if swept else "", "**no**" if left else "yes"))
    for why in sorted(missed):
        lines += ["", "Why not (%s): %s." % (why, why_text[why])]
    lines += ["", "## Latency (1920x1080 rgba at 60 frames/s, publish to the reader's wake-up)", "",
              "| downloadtype | frames | median | 99th percentile | slowest |", "| --- | --- | --- | --- | --- |"]
    for l in lat:
        lines.append("| %s | %d | %.0f µs | %.0f µs | %.0f µs |" % (l["downloadtype"], l["frames"], l["median_us"],
                                                              l["p99_us"], l["max_us"]))
    lines += ["", "## Publish cost (libshmout begin_frame + publish, 64x64 rgba, no pixel writes, %d frames)" % pub["frames"], "",
              "| no reader | one reader waiting | waiting/none |", "| --- | --- | --- |",
              "| %.0f ns | %.0f ns | %.1f |" % (pub["idle_ns"], pub["waiting_ns"], ratio(pub["waiting_ns"], pub["idle_ns"])),
              "", "With a reader registered as waiting, each publish also issues FUTEX_WAKE."]
    if pub.get("readers"):
        lines += ["", "## Readers waiting (the writer's rate, rgba, each frame written whole into its slot)", "",
                  "Each reader is a process of its own in the default newest-frame mode, attached before the writer "
                  "starts: wait, acquire, validate, no pixel read. *reader frames/s*: the frames all of them took; "
                  "*writer page faults*: those the writer took while writing (the ring is populated when it is made). "
                  "The fastest of a few interleaved runs each.", "",
                  "| size | readers | writer fps | / no reader | reader frames/s | writer page faults |",
                  "| --- | --- | --- | --- | --- | --- |"]
        rd = {(r["res"], r["readers"]): r for r in pub["readers"]}
        for res in READER_SIZES:
            for n in READER_COUNTS:
                r = rd[(res, n)]
                lines.append("| %s | %d | %.0f | %.2f | %.0f | %d |" % (res, n, r["fps"], ratio(r["fps"], rd[(res, 0)]["fps"]),
                                                                        r["reader_fps"], r["writer_faults"]))
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
    lines += py_section(py)
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
        json.dump({"results": results, "latency": lat, "publish": pub, "lossless": ll, "python": py, "profile": prof,
                   "windows": win}, f, indent=1)
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
    # SIGTERM ends the run as Ctrl-C does: the finally clauses stop what runs and remove its blocks
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    before = shm_objects()
    try:
        b = Bench(args)
        results, lat, pub, ll, py, prof, win = b.run()
    finally:
        swept, left = sweep_shm(before)
        if left:
            print("bench: left in /dev/shm: %s" % ", ".join("%s (%d bytes)" % kv for kv in sorted(left.items())),
                  file=sys.stderr)
    report(results, lat, pub, ll, py, prof, win, args.out, b.gst, args.quick, (len(before), swept, left))
    print("bench: %d runs in %.0f s; report in %s" % (len(results) - len(LOSSLESS) + ll["runs"] + 3 + len(win or []) * 24 +
                                                      (py["runs"] if py else 0),
                                                      time.monotonic() - t0,
                                                      os.path.join(args.out, "report.md")), file=sys.stderr)
    if left:
        sys.exit(1)


if __name__ == "__main__":
    main()
