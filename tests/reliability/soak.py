# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# soak.py: the fault and load scenarios of tests/reliability/soak.sh (short, in make check) and
# make soak (long). Frames come from `soak gen` through the real `ffmpeg -f shmout` path, or from
# `soak storm` (a libshmout writer changing size and format); every reader checks every frame it
# accepts against the frame oracle (tests/tools/frame_oracle.h, which tests/tools/soak.c applies
# and the libshmout tests share), byte for byte.
#
#   soak  - 1 writer, 11 readers: every/latest/lossless, fast, slow, stalled (SIGSTOP), killed and
#           restarted, and ffmpeg -f shmin. No bad frame; counters add up (seen + skipped =
#           published); lossless readers lose nothing unless evicted; the writer goes on while a
#           lossless reader is stopped or dead; the writer's rate with the readers against its
#           rate alone; no memory growth.
#   kill  - ffmpeg -f shmout SIGKILLed at random points, restarted with the same name: readers
#           see it stale within a bound, keep the last good frame, `shmout ls` says stale, the
#           new ffmpeg takes the name over without cleanup, readers follow; a lossless one reads
#           every frame of every writer, the killed ones' too.
#   storm - size and format change every few frames while 8 readers run, 4 of them lossless:
#           fast, slow, stalled and killed; the writer's stats show each stalled one evicted and
#           each killed one reclaimed.
#   growth-kill - the storm writer SIGKILLed inside a growth of its data object (and at random
#           points of a resize every frame); readers and the next writer carry on, a lossless
#           one reading every frame of every writer.
#
# Lossless readers (soak read --mode lossless, registered before they count as attached): the
# writers wait for them at most --lossless-timeout ms per frame (-lossless_timeout, storm
# --lossless-timeout-ms), so that the chaos evicts a stopped one quickly. What "lost nothing"
# means, and how it is checked: check_lossless.
#
# Prints "ok - ..." / "not ok - ..." lines and "N passed, M failed"; exit status 1 on failure.
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

A = None
results = [0, 0]


def ok(desc):
    results[0] += 1
    print("ok - " + desc, flush=True)


def fail(desc, details=""):
    results[1] += 1
    print("not ok - " + desc, flush=True)
    for line in str(details).splitlines()[:30]:
        print("    # " + line)


def check(cond, desc, details=""):
    (ok if cond else lambda d: fail(d, details))(desc)
    return cond


def note(msg):
    print("# " + msg, flush=True)


def counters(line):
    """'a=1 b=2' -> {'a': 1, 'b': 2}"""
    return {k: int(v) for k, v in (f.split("=", 1) for f in line.split())}


def pinned(cmd, cpu):
    """cmd run on one CPU (writer on 0, readers on 1), when there are two."""
    if A.pin and cpu is not None:
        return ["taskset", "-c", str(cpu)] + cmd
    return cmd


def info(name):
    out = subprocess.run([A.tool, "info", name, "--json"], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else None


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    fail("waited %gs for %s" % (timeout, what))
    return False


class Writer:
    """soak gen | ffmpeg -f shmout NAME, paused after frame 1 until resume() when pause is set;
    it waits --lossless-timeout ms at most per frame for a lossless reader."""

    def __init__(self, name, frames, pause):
        self.resume_file = os.path.join(A.tmp, "resume-" + name)
        if os.path.exists(self.resume_file):
            os.unlink(self.resume_file)
        gen = [A.soak, "gen", str(A.width), str(A.height), str(frames)]
        if pause:
            gen += ["--pause-after", "1", self.resume_file]
        self.gen = subprocess.Popen(pinned(gen, 0), stdout=subprocess.PIPE)
        # -probesize 32: start at the first frame, without reading ahead for stream info.
        ff = [A.ffmpeg, "-nostdin", "-v", "error", "-probesize", "32", "-f", "rawvideo", "-pix_fmt", "rgba",
              "-s", "%dx%d" % (A.width, A.height), "-framerate", "1000", "-i", "-",
              "-f", "shmout", "-slots", str(A.slots),
              "-lossless_timeout", "%dms" % A.lossless_timeout, name]
        self.ff = subprocess.Popen(pinned(ff, 0), stdin=self.gen.stdout,
                                   stderr=subprocess.PIPE, text=True)
        self.gen.stdout.close()
        self.t0 = None

    def resume(self):
        open(self.resume_file, "w").close()
        self.t0 = time.monotonic()

    def wait(self, timeout):
        try:
            self.ff.wait(timeout)
        except subprocess.TimeoutExpired:
            self.ff.kill()
            self.ff.wait()
            fail("ffmpeg -f shmout finished within %ds" % timeout)
        self.t1 = time.monotonic()
        self.gen.wait()
        return self.ff.returncode, self.ff.stderr.read()


class Reader:
    """soak read NAME ARGS; its output lines are collected as they come (self.lines; those of
    earlier runs, killed by restart(), in self.past)."""

    def __init__(self, name, args, label):
        self.label = label
        self.name = name
        self.args = args
        self.past = []
        self.start()

    def start(self):
        self.p = subprocess.Popen(pinned([A.soak, "read", self.name] + self.args, 1),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._collect, daemon=True)
        self.reader.start()

    def _collect(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def kill(self):
        """SIGKILL this run; what it printed goes to self.past."""
        self.p.kill()
        self.p.wait()
        self.reader.join(10)
        self.p.stdout.close()
        self.p.stderr.close()
        self.past.append(self.lines)
        self.lines = []

    def restart(self):
        self.kill()
        self.start()

    def _tagged(self, tag, lines=None):
        return [counters(l[len(tag):]) for l in list(self.lines if lines is None else lines)
                if l.startswith(tag)]

    def stale(self):
        """The deaths it reported: [{'at': CLOCK_MONOTONIC ns, 'last': frame}]."""
        return self._tagged("stale ")

    def attached(self):
        """{'registered': R} once this run has opened the block (R: enum shmout_reg_state)."""
        a = self._tagged("attached ")
        return a[0] if a else None

    def sessions(self):
        """The sessions this run read: [{'first', 'last', 'seen', 'gaps', 'lost'}], in order."""
        return self._tagged("session ")

    def gaps(self, lines=None):
        """The frames a lossless run (or the run that printed lines) found missing: [{'from',
        'to'}]."""
        return self._tagged("gap ", lines)

    def evicted(self, lines=None):
        """The evictions this run (or the run that printed lines) found: [{'at', 'frame',
        'skipped'}]."""
        return self._tagged("evicted ", lines)

    def finish(self, timeout=30):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            fail("reader %s ended within %ds of the writer" % (self.label, timeout))
        self.reader.join(10)
        self.rc = self.p.returncode
        self.err = self.p.stderr.read()
        final = [l for l in self.lines if l.startswith("seen=")]
        self.c = counters(final[-1]) if final else None
        return self.c


def proc_state(pid):
    """The state letter of process pid (R, S, T ...), None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def frames_of(name):
    """(frames published in the block's session, whether its writer is active), from shmout info."""
    i = info(name) or {}
    return i.get("frames", 0), i.get("status") == "active"


def stall(readers, name, secs):
    """SIGSTOP the readers; once all of them are stopped (so none can acknowledge a frame any
    more), the writer's frame count; secs later, the count again; SIGCONT. Returns (frames
    before, frames after, seconds between, the writer active at both counts)."""
    for r in readers:
        os.kill(r.p.pid, signal.SIGSTOP)
    end = time.monotonic() + 5
    while time.monotonic() < end and any(proc_state(r.p.pid) not in ("T", "t", None)
                                         for r in readers):
        time.sleep(0.001)
    (f0, a0), t0 = frames_of(name), time.monotonic()
    time.sleep(secs)
    (f1, a1), t1 = frames_of(name), time.monotonic()
    for r in readers:
        os.kill(r.p.pid, signal.SIGCONT)
    return f0, f1, t1 - t0, a0 and a1


def kill_lossless(r, name, slots, running):
    """SIGKILL lossless reader r once it is attached (registered), then wait until the writer
    has published slots + 1 frames more than it had when r died: by then the writer has found
    the dead registration behind (it acknowledged at most that count) and let it go; then start
    r again (not before: the new run could take over the dead one's entry first). Returns None
    if r was not attached yet (not killed), else (the frame count when it died, whether the
    writer got slots + 1 past it while active, whether it did not within 10 s while active:
    stuck; running(): the writer is still running)."""
    if not r.attached():
        return None
    r.kill()
    f, _ = frames_of(name)
    end = time.monotonic() + 10
    due = False
    while time.monotonic() < end and running():
        n, active = frames_of(name)
        if active and n >= f + slots + 1:
            due = True
            break
        time.sleep(0.002)
    stuck = not due and running() and frames_of(name)[1]
    r.start()
    return f, due, stuck


def check_kills(kills, slots, label):
    """The writer went on past every killed lossless reader (kill_lossless)."""
    stuck = [f for f, _, s in kills if s]
    check(kills and not stuck, "%s: the writer went on past each of the %d killed lossless "
          "readers (%d frames within 10 s of each death)" % (label, len(kills), slots + 1),
          "stuck at frames %s" % stuck)


def check_stalls(stalls, slots, readers, label):
    """While the lossless readers were stopped (stall), the writer went on past them: it
    published more than a ring of frames (slots) beyond what they could have acknowledged,
    which it may do only by evicting each of them, once per stall (an evicted reader is no
    longer waited for, and cannot register again while stopped)."""
    due = [(f0, f1, dt) for f0, f1, dt, active in stalls if active]
    short = [(f0, f1, round(dt, 3)) for f0, f1, dt in due if f1 - f0 <= slots]
    if due:
        note("%s: %d stalls of the lossless readers of %.0f-%.0f ms, the writer published %d-%d "
             "frames during each" % (label, len(due), 1000 * min(d[2] for d in due),
                                     1000 * max(d[2] for d in due), min(d[1] - d[0] for d in due),
                                     max(d[1] - d[0] for d in due)))
    check(due and not short, "%s: the writer went on while lossless readers were stopped: more "
          "than %d frames (a ring) in each of %d stalls of at least twice the lossless timeout"
          % (label, slots, len(due)), "stalls without progress (before, after, s): %s; all: %s"
          % (short, stalls))
    for r in readers:
        c = r.c or {}
        check(c.get("evictions", 0) >= len(due), "%s: lossless reader %s was evicted in each of "
              "the %d stalls (%s evictions)" % (label, r.label, len(due), c.get("evictions")),
              "%s %s" % (c, r.evicted()))


def unexplained_gaps(r, lines=None):
    """The frames a run of lossless reader r lost that nothing it was told explains, session by
    session (soak read names each gap as it returns the frame after it, each eviction it found
    before it returns a frame, and ends each session with a "session" line): in a session in
    which it found an eviction, the frames it lost are those of the eviction, counted by the
    library (catching up, it may find several gaps: frames the writer overwrote, and those of
    data objects the writer left meanwhile); in one without, it may have lost only frames
    published before it attached (the head of the session it attached in, as the library
    counts them: before_attach)."""
    out, gaps, evicted = [], [], False
    for l in list(r.lines if lines is None else lines) + ["session "]:
        if l.startswith("gap "):
            g = counters(l[4:])
            if not (g["from"] == 1 and g.get("before_attach", -1) == g["to"]):
                gaps.append(g)
        elif l.startswith("evicted "):
            evicted = True
        elif l.startswith("session "):
            if not evicted:
                out += gaps
            gaps, evicted = [], False
    return out


def check_lossless(r, desc, lasts, late=False, stopped=False):
    """Lossless reader r (finished; its last run) against the writer's last frame of each session
    it read, in order (lasts).

    What "lost nothing" means for a lossless reader the writer never evicted (evictions == 0):
    in each session it read (the run of one writer: a new writer restarts frame numbers at 1),
    it returned every frame from its first one of that session to the last one that session's
    writer published (a writer that was killed leaves its frames readable, so they count too),
    none missing, each matching the oracle byte for byte; its first frame of every session is
    frame 1, except in the session it attached in if it attached late (late: after the writer
    had published a ring of frames, or while the writer published its first ones, PROTOCOL.md
    §20): there it starts right after the frames the library counts as published before it
    attached (frames_before_attach), and the library agrees: frames_skipped ==
    frames_before_attach, 0 unless late.

    An evicted one lost only frames it was told of: none in a session in which it found no
    eviction (unexplained_gaps), the library counted all of them as skipped, and it read every
    session to that writer's last frame. One that was never
    stopped (stopped false) is named in a note: a reader that keeps running should not stay a
    whole bound behind."""
    c = r.c
    a = r.attached()
    if not expect_good(r, "%s: every accepted frame matches the oracle" % desc):
        return
    check(a is not None and a["registered"] == 2, "%s: registered as lossless when it "
          "attached" % desc, a)
    sess = r.sessions()
    missing = sum(s["first"] - 1 + s["lost"] for s in sess)
    check(c["lib_seen"] == c["seen"] and c["skipped"] == missing and
          c["gaps"] == sum(s["gaps"] for s in sess),
          "%s: the library counted the frames it returned (%d) and those missing (%d)"
          % (desc, c["seen"], missing), "%s %s" % (c, sess))
    problems = []
    if len(sess) != len(lasts):
        problems.append("read %d sessions, the writers had %d" % (len(sess), len(lasts)))
    for i, (s, last) in enumerate(zip(sess, lasts)):
        if s["last"] != last:
            problems.append("session %d: frames %d-%d; the writer's last: %d"
                            % (i + 1, s["first"], s["last"], last))
    lost = unexplained_gaps(r)
    if lost:
        problems.append("frames lost in a session without an eviction, not before it "
                        "attached: %s"
                        % ", ".join("%d-%d" % (g["from"], g["to"]) for g in lost))
    if c["before_attach"] and not late:
        problems.append("%d frames published before it attached (attached early)"
                        % c["before_attach"])
    details = "; ".join(problems) + "\n%s %s\nits gaps: %s\nits evictions: %s" % (
        c, sess, r.gaps(), r.evicted())
    if c["evictions"]:
        if not stopped:
            note("%s was evicted though never stopped: %s, gaps %s"
                 % (desc, r.evicted(), r.gaps()))
        check(not problems, "%s: evicted %d times (the last at frame %d), lost only the %d "
              "frames it was told of, read every session to the writer's last frame (%s)"
              % (desc, c["evictions"], c["evicted_at"], c["skipped"] - c["before_attach"],
                 ", ".join(str(x) for x in lasts)), details)
        return
    check(not problems, "%s, never evicted, lost nothing: every frame of its %d session(s), "
          "from its first (%s) to the writer's last (%s)%s"
          % (desc, len(sess), ", ".join(str(s["first"]) for s in sess),
             ", ".join(str(x) for x in lasts),
             ", %d published before it attached" % c["before_attach"] if late else ""), details)


def check_killed_runs(r):
    """The runs of lossless reader r that were killed: up to its death, each lost only frames
    published before it attached, or in a session in which it found an eviction
    (unexplained_gaps)."""
    bad = [(i + 1, unexplained_gaps(r, l)) for i, l in enumerate(r.past)
           if unexplained_gaps(r, l)]
    check(r.past and not bad, "lossless reader %s: none of its %d killed runs lost a frame "
          "after it attached, but in a session where it found an eviction (%d of them did)"
          % (r.label, len(r.past), sum(1 for l in r.past if r.evicted(l))),
          "runs that did (run, gaps): %s" % bad)


def expect_good(r, desc):
    """The reader exited 0 having accepted only frames that match the oracle."""
    c = r.c
    return check(c is not None and r.rc == 0 and c["bad"] == 0 and c["badnum"] == 0 and
                 c["badpts"] == 0, desc, "rc=%s counters=%s %s" % (r.rc, c, r.err))


# ---- soak -----------------------------------------------------------------------------------

class Readers:
    """The soak's 11 readers of block NAME: every, latest and lossless, fast and slow, two to be
    SIGSTOPped (every, lossless), two to be SIGKILLed and restarted (latest, lossless), and
    ffmpeg -f shmin into `soak check`."""

    def __init__(self, name):
        self.list = [
            Reader(name, ["--mode", "every"], "every"),
            Reader(name, ["--mode", "every"], "every-2"),
            Reader(name, ["--mode", "latest"], "latest"),
            Reader(name, ["--mode", "every", "--delay-us", "300"], "every-slow"),
            Reader(name, ["--mode", "latest", "--delay-us", "3000"], "latest-slow"),
            Reader(name, ["--mode", "every"], "every-stopped"),
            Reader(name, ["--mode", "latest"], "killed-restarted"),
            Reader(name, ["--mode", "lossless"], "lossless"),
            Reader(name, ["--mode", "lossless"], "lossless-stopped"),
            Reader(name, ["--mode", "lossless"], "lossless-killed"),
        ]
        self.stopped, self.killed = self.list[5], self.list[6]
        self.lossless, self.lossless_stopped, self.lossless_killed = self.list[7:10]
        self.shmin_log = open(os.path.join(A.tmp, "shmin.log"), "w+")
        self.shmin = subprocess.Popen(
            pinned([A.ffmpeg, "-nostdin", "-v", "warning", "-f", "shmin", "-mode", "every", "-i",
                    name, "-fps_mode", "passthrough", "-f", "rawvideo", "-"], 1),
            stdout=subprocess.PIPE, stderr=self.shmin_log, text=True)
        self.check = subprocess.Popen(pinned([A.soak, "check", str(A.width), str(A.height)], 1),
                                      stdin=self.shmin.stdout, stdout=subprocess.PIPE, text=True)
        self.shmin.stdout.close()
        wait_for(lambda: (info(name) or {}).get("readers", 0) >= 11, 20, "11 readers to attach")

    def finish(self):
        for r in self.list:
            r.finish()
        out, _ = self.check.communicate(timeout=60)
        self.shmin.wait(60)
        self.shmin_log.seek(0)
        log = self.shmin_log.read()
        self.shmin_log.close()
        lost = [int(l.split("(")[1].split()[0]) for l in log.splitlines() if " in all)" in l]
        return (counters(out.strip()) if out.strip() else {}), (lost[-1] if lost else 0), \
            "%s\n%s" % (out, log)


def soak_pass(name, frames):
    """The writer over `frames` frames with the 11 readers attached from its first frame; all
    along, two (every, lossless) SIGSTOPped for 2-3 lossless timeouts at a time and resumed, and
    two (latest, lossless) SIGKILLed and restarted; RSS sampled. Returns (ffmpeg's status, its
    errors, the Readers, the RSS samples, the reader kills, the stalls (stall()), the ring's
    slots)."""
    w = Writer(name, frames, pause=True)
    if not wait_for(lambda: (info(name) or {}).get("status") == "active" and
                    info(name).get("frames", 0) >= 1, 20, "the first frame"):
        w.ff.kill()
        return None
    slots = info(name).get("slots", 3)
    rs = Readers(name)
    w.resume()
    rss = {"ffmpeg": [], "reader": []}
    stalls = []
    kills, lossless_kills = 0, []
    running = lambda: w.ff.poll() is None

    def sample_rss():
        # every 50 ms for the whole run, apart from the stalls and kills below, so that even a
        # short run on a loaded machine gives enough samples to see growth
        while running():
            for key, pid in (("ffmpeg", w.ff.pid), ("reader", rs.list[0].p.pid)):
                v = rss_kb(pid)
                if v:
                    rss[key].append(v)
            time.sleep(0.05)
    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    next_kill = time.monotonic() + random.uniform(0.05, 0.3)
    while running():
        stalls.append(stall([rs.stopped, rs.lossless_stopped], name,
                            random.uniform(2, 3) * A.lossless_timeout / 1000))
        if time.monotonic() >= next_kill and running():
            rs.killed.restart()
            kills += 1
            k = kill_lossless(rs.lossless_killed, name, slots, running)
            if k:
                lossless_kills.append(k)
            next_kill = time.monotonic() + random.uniform(0.05, 0.3)
        time.sleep(random.uniform(0.02, 0.1))
    sampler.join()
    rc, err = w.wait(3600)
    note("%d frames in %.1f s; %d SIGSTOP/SIGCONT stalls, %d reader kills and restarts (%d of "
         "the lossless one)" % (frames, w.t1 - w.t0, len(stalls), kills, len(lossless_kills)))
    return rc, err, rs, rss, lossless_kills, stalls, slots


def rate_pass(name, readers):
    """`ffmpeg -f shmout` writing --rate-frames frames of --rate-size from its own source at full
    speed, with `soak read --no-oracle` readers (lists of arguments) started before it; the one
    marked "stop" is SIGSTOPped once all are attached. Returns (ffmpeg's status, frames/s)."""
    rs = [subprocess.Popen(pinned([A.soak, "read", name, "--no-oracle", "--open-timeout", "20000"] +
                                  [x for x in a if x != "stop"], 1), stdout=subprocess.DEVNULL)
          for a in readers]
    t0 = time.monotonic()
    ff = subprocess.Popen(pinned([A.ffmpeg, "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                                  "color=c=gray:s=%s:r=1000,format=rgba" % A.rate_size,
                                  "-frames:v", str(A.rate_frames), "-f", "shmout", name], 0))
    stopped = not readers
    while ff.poll() is None:
        # the stopped reader is stopped once all are attached: it holds a reader lock
        if not stopped and (info(name) or {}).get("readers", 0) >= len(readers):
            for r, a in zip(rs, readers):
                if "stop" in a:
                    os.kill(r.pid, signal.SIGSTOP)
            stopped = True
        time.sleep(0.005)
    t1 = time.monotonic()
    for r, a in zip(rs, readers):
        if "stop" in a:
            os.kill(r.pid, signal.SIGCONT)
        r.wait(30)
    subprocess.run([A.tool, "rm", name], capture_output=True)
    return ff.returncode, A.rate_frames / (t1 - t0)


def scenario_soak(frames):
    name = A.prefix + "_soak"
    # The writer's rate alone and with 8 readers, in alternating rounds (so that drift in the
    # machine's speed hits all alike), medians compared. Zero-copy readers (--peek: woken for
    # every frame, reading its number) measure what the protocol costs the writer; readers that
    # copy whole frames add the cost of sharing the caches and memory bandwidth with them.
    mix = [["--mode", "every"]] * 3 + [["--mode", "latest"]] * 3 + \
        [["--mode", "every", "--delay-us", "300"], ["--mode", "every", "stop"]]
    kinds = {"alone": [], "zero-copy": [a + ["--peek"] for a in mix], "copying": mix}
    rates = {k: [] for k in kinds}
    for i in range(A.rate_rounds):
        for k, readers in kinds.items():
            rc, fps = rate_pass("%s_rate%d" % (name, i), readers)
            if rc != 0:
                fail("ffmpeg -f shmout at full speed (%s) exited %d" % (k, rc))
                return
            rates[k].append(fps)
    med = {k: sorted(v)[len(v) // 2] for k, v in rates.items()}
    for k in ("zero-copy", "copying"):
        note("writer rate, %s %s frames, median of %d rounds: %.0f fps alone, %.0f fps with 8 %s "
             "readers: ratio %.3f (%s)" % (A.rate_size, "rgba", A.rate_rounds, med["alone"], med[k],
                                           k, med[k] / med["alone"],
                                           "writer on CPU 0, readers on CPU 1" if A.pin else
                                           "unpinned"))
    if A.assert_rate:
        check(med["zero-copy"] / med["alone"] >= 0.9, "the writer's rate with 8 readers taking "
              "every frame is within 10%% of its rate alone (%.3f)"
              % (med["zero-copy"] / med["alone"]), rates)

    # The soak: every frame checked, stalls and kills all along.
    r = soak_pass(name, frames)
    if r is None:
        return
    rc, err, rs, rss, lossless_kills, stalls, slots = r
    check(rc == 0 and not err.strip(), "with 11 readers: ffmpeg -f shmout wrote %d frames, no "
          "error" % frames, err)
    cc, lost, log = rs.finish()
    for rd in rs.list[:6]:
        c = rd.c
        if not expect_good(rd, "reader %s: every accepted frame matches the oracle" % rd.label):
            continue
        check(c["last"] == frames, "reader %s got the last frame (%d)" % (rd.label, frames), c)
        check(c["lib_seen"] == c["seen"] and c["seen"] + c["skipped"] == frames,
              "reader %s: seen %d + skipped %d = published %d" % (rd.label, c["seen"],
                                                                c["skipped"], frames), c)
    # The last run of a restarted reader counts from frame 1 too (PROTOCOL.md §10), those
    # published before it attached among the skipped ones; a run that attached only after the
    # writer's close finds nothing to read: nothing was published while it ran.
    for rd in (rs.killed, rs.lossless_killed):
        c = rd.c
        if expect_good(rd, "reader %s killed %d times and restarted: its last run saw only good "
                       "frames" % (rd.label, len(rd.past))):
            check((c["last"] == frames and c["seen"] + c["skipped"] == frames and
                   c["before_attach"] < c["first"]) or
                  (c["seen"] == 0 and c["skipped"] == 0 and c["status"] == 2),
                  "restarted reader %s: seen + skipped = published, %s before it attached"
                  % (rd.label, c["before_attach"]), c)
    # The lossless ones: the one never stopped, the stopped one (evicted in each stall), the
    # last run of the killed one (attached late).
    check_lossless(rs.lossless, "lossless reader", [frames])
    check_lossless(rs.lossless_stopped, "stopped lossless reader", [frames], stopped=True)
    if rs.lossless_killed.c and rs.lossless_killed.c["seen"]:
        check_lossless(rs.lossless_killed, "restarted lossless reader (its last run)", [frames],
                       late=bool(rs.lossless_killed.past))
    check_killed_runs(rs.lossless_killed)
    check_stalls(stalls, slots, [rs.lossless_stopped], "ffmpeg -f shmout")
    check_kills(lossless_kills, slots, "ffmpeg -f shmout")
    check(rs.shmin.returncode == 0 and rs.check.returncode == 0 and cc.get("bad") == 0,
          "ffmpeg -f shmin: every frame it delivered matches the oracle", log)
    check(cc.get("last") == frames and cc.get("frames", 0) + lost == frames,
          "ffmpeg -f shmin: delivered %s + reported lost %d = published %d"
          % (cc.get("frames"), lost, frames), log)
    for key, v in rss.items():
        if len(v) >= 4:
            q = len(v) // 4
            growth = max(v[-q:]) - max(v[q:2 * q])
            note("%s RSS %d kB -> %d kB" % (key, max(v[q:2 * q]), max(v[-q:])))
            check(growth <= A.rss_slack, "%s: no memory growth over the run (%+d kB, limit %d kB)"
                  % (key, growth, A.rss_slack))
        else:
            fail("%s: RSS sampled at least 4 times during the run (%d)" % (key, len(v)))


# ---- kill: ffmpeg -f shmout SIGKILLed and restarted ------------------------------------------

def scenario_kill(rounds):
    name = A.prefix + "_kill"
    readers = [Reader(name, ["--mode", "every", "--follow", "--open-timeout", "20000"], "every"),
               Reader(name, ["--mode", "latest", "--follow", "--open-timeout", "20000"], "latest"),
               Reader(name, ["--mode", "lossless", "--follow", "--open-timeout", "20000"],
                      "lossless")]
    lat = {r.label: [] for r in readers}
    lasts = []      # the last frame each killed writer published
    ls_ok = last_ok = 0
    for i in range(rounds):
        w = Writer(name, 10 ** 9, pause=False)
        if not wait_for(lambda: (info(name) or {}).get("status") == "active" and
                        info(name).get("session", 0) == i + 1, 20, "round %d's writer" % (i + 1)):
            w.ff.kill()
            break
        time.sleep(random.uniform(0.05, 0.4))
        w.ff.send_signal(signal.SIGKILL)
        t_kill = time.monotonic_ns()     # the CLOCK_MONOTONIC of the readers' stale reports
        w.wait(10)
        # Each reader reports the death before the name is taken over (a quick enough takeover
        # is followed without one).
        for r in readers:
            if wait_for(lambda: len(r.stale()) == i + 1, 5, "reader %s to see death %d"
                        % (r.label, i + 1)):
                lat[r.label].append((r.stale()[i]["at"] - t_kill) / 1e6)
        wait_for(lambda: (info(name) or {}).get("status") == "stale", 5, "status stale")
        lasts.append((info(name) or {}).get("frames", 0))
        ls = subprocess.run([A.tool, "ls"], capture_output=True, text=True).stdout
        ls_ok += any(l.split()[:1] == [name] and "stale" in l.split() for l in ls.splitlines())
        # A reader arriving now gets the last complete frame, good, and then the end.
        late = Reader(name, ["--mode", "latest", "--open-timeout", "0"], "late")
        late.finish(10)
        last_ok += late.rc == 0 and late.c is not None and late.c["seen"] == 1 and \
            late.c["bad"] == 0 and late.c["badnum"] == 0
    # The last writer ends normally: the readers see the close and exit.
    w = Writer(name, 50, pause=False)
    w.wait(60)
    check(ls_ok == rounds, "after each of %d SIGKILLs, shmout ls lists the block as stale" % rounds,
          "%d of %d" % (ls_ok, rounds))
    check(last_ok == rounds, "after each SIGKILL, a new reader gets the last complete frame, good",
          "%d of %d" % (last_ok, rounds))
    for r in readers:
        c = r.finish(30)
        expect_good(r, "reader %s following %d killed writers: only good frames" % (r.label, rounds))
        check(c is not None and c["sessions"] == rounds + 1 and c["last"] == 50,
              "reader %s followed all %d writers to the final close" % (r.label, rounds + 1), c)
        if r.label == "lossless":
            # It reported each death (and so registered for the next writer's session) before
            # the next writer started; it attached while the first one set up (late).
            check_lossless(r, "lossless reader following %d killed writers" % rounds,
                           lasts + [50], late=True)
        v = lat[r.label]
        if check(len(v) == rounds, "reader %s saw each of the %d deaths" % (r.label, rounds), v):
            note("reader %s: death seen %.1f ms after SIGKILL at most (median %.1f)"
                 % (r.label, max(v), sorted(v)[len(v) // 2]))
            check(max(v) <= 1000, "reader %s saw every death within 1 s (documented: one 50 ms "
                  "wait slice plus scheduling)" % r.label, v)


# ---- storm and growth-kill: libshmout writer changing geometry -------------------------------

def storm(name, frames, every, extra=(), cpu=0):
    return subprocess.Popen(pinned([A.soak, "storm", name, str(frames), str(every),
                                    "--lossless-timeout-ms", str(A.lossless_timeout)] +
                                   list(extra), cpu),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def writer_stats(out):
    """The stats line `soak storm` prints at its end (shmout_writer_get_stats), or {}."""
    lines = [l for l in out.splitlines() if l.startswith("writer ")]
    return counters(lines[-1][7:]) if lines else {}


def scenario_storm(frames):
    name = A.prefix + "_storm"
    resume = os.path.join(A.tmp, "resume-" + name)
    if os.path.exists(resume):
        os.unlink(resume)
    w = storm(name, frames, 3, ["--delay-us", "20", "--pause-after", "1", resume])
    if not wait_for(lambda: (info(name) or {}).get("frames", 0) >= 1, 20, "the first frame"):
        w.kill()
        return
    slots = info(name).get("slots", 3)
    readers = [Reader(name, ["--mode", "every"], "every"),
               Reader(name, ["--mode", "latest"], "latest"),
               Reader(name, ["--mode", "every", "--delay-us", "200"], "every-slow"),
               Reader(name, ["--mode", "latest", "--delay-us", "1000"], "latest-slow")]
    lossless = [Reader(name, ["--mode", "lossless"], "lossless"),
                Reader(name, ["--mode", "lossless", "--delay-us", "200"], "lossless-slow"),
                Reader(name, ["--mode", "lossless"], "lossless-stopped"),
                Reader(name, ["--mode", "lossless"], "lossless-killed")]
    stopped, killed = lossless[2], lossless[3]
    wait_for(lambda: (info(name) or {}).get("readers", 0) >= 8, 20, "8 readers to attach")
    open(resume, "w").close()
    # The chaos, while the writer runs: the stopped one stalled for 2-3 lossless timeouts at a
    # time, the killed one SIGKILLed and restarted in between.
    stalls, kills = [], []
    running = lambda: w.poll() is None
    while running():
        stalls.append(stall([stopped], name, random.uniform(2, 3) * A.lossless_timeout / 1000))
        if running():
            k = kill_lossless(killed, name, slots, running)
            if k:
                kills.append(k)
        time.sleep(random.uniform(0.02, 0.1))
    out, err = w.communicate(timeout=600)
    ws = writer_stats(out)
    check(w.returncode == 0 and ws.get("frames") == frames,
          "storm writer: %d frames, size and format every 3" % frames, err + out)
    for r in readers:
        c = r.finish()
        if expect_good(r, "storm reader %s: every frame matches the geometry it was published with"
                       % r.label):
            check(c["last"] == frames and c["seen"] + c["skipped"] == frames and
                  c["geometry_changes"] > 0, "storm reader %s: last frame, seen + skipped = "
                  "published, %d geometry changes followed" % (r.label, c["geometry_changes"]), c)
    for r in lossless:
        r.finish()
    note("storm writer: %s; %d stalls, %d kills of the lossless readers" % (ws, len(stalls),
                                                                           len(kills)))
    # Lossless through every size and format change and data-object growth: the fast one, the
    # slow one (the writer waits for it on every frame, never for as long as the bound), the
    # stalled one (evicted in each stall) and the killed one's last run.
    check_lossless(lossless[0], "storm lossless reader", [frames])
    check_lossless(lossless[1], "storm lossless reader, slow", [frames])
    check_lossless(stopped, "storm lossless reader, stopped", [frames], stopped=True)
    if killed.c and killed.c["seen"]:
        check_lossless(killed, "storm lossless reader, restarted (its last run)", [frames],
                       late=bool(killed.past))
    check_killed_runs(killed)
    check_stalls(stalls, slots, [stopped], "storm writer")
    # The writer's own count of what it did (shmout_writer_get_stats): every eviction a reader
    # found was the writer's (runs killed before they found theirs found none), each one after
    # waiting the whole bound; each killed lossless reader's registration freed (reclaimed),
    # certainly once the writer got slots + 1 frames past its death (due), and nothing else
    # reclaimed; at its last frame no dead registration left (registered: the every and lossless
    # readers alive then, at most 6).
    found = sum((r.c or {}).get("evictions", 0) for r in lossless) + \
        sum(len(killed.evicted(lines)) for lines in killed.past)
    check(ws.get("evictions", -1) >= found and
          ws.get("lossless_wait_ms", 0) >= ws.get("evictions", 0) * A.lossless_timeout,
          "storm writer: %s evictions (the readers found %d), each after the %d ms bound "
          "(%s ms waited in all)" % (ws.get("evictions"), found, A.lossless_timeout,
                                     ws.get("lossless_wait_ms")), ws)
    check_kills(kills, slots, "storm writer")
    due = sum(1 for f, d, _ in kills if d or ws.get("frames", 0) >= f + slots + 1)
    check(kills and due <= ws.get("reclaimed", -1) <= len(kills) and
          ws.get("registered", 99) <= 6,
          "storm writer: the %d killed lossless readers reclaimed (%s; %d of them certainly), no "
          "dead registration left at its last frame (%s registered)"
          % (len(kills), ws.get("reclaimed"), due, ws.get("registered")), "%s %s" % (ws, kills))


def scenario_growth_kill(rounds):
    name = A.prefix + "_grow"
    readers = [Reader(name, ["--mode", "every", "--follow", "--open-timeout", "20000"], "every"),
               Reader(name, ["--mode", "latest", "--follow", "--open-timeout", "20000"], "latest"),
               Reader(name, ["--mode", "lossless", "--follow", "--open-timeout", "20000"],
                      "lossless")]
    lossless = readers[2]
    planned = 0
    lasts = []      # the last frame of each writer that published any
    session = 0     # the block's session after the last of those
    for i in range(rounds):
        # What the writer published: its count (--count-file), or one more if it was killed
        # between a frame and its count (the block then says so).
        count = os.path.join(A.tmp, "count-%s-%d" % (name, i))
        if i % 2 == 0:
            # Right after the k-th object is sized: in set-up (1: primary, 2: wait object,
            # 3: first data object), or inside a growth (4, 5: sized, not yet announced).
            k = (4, 1, 5, 2, 3)[(i // 2) % 5]
            w = storm(name, 10 ** 6, 2, ["--die-in-fallocate", str(k), "--delay-us", "200",
                                         "--count-file", count])
            w.wait(30)
            planned += w.returncode == -signal.SIGKILL
            if k >= 4:
                # Died mid-growth: the next data object exists, the header still names this one.
                i_ = info(name) or {}
                nxt = "/dev/shm%s@d%d" % (i_.get("object", "?"), i_.get("segment_gen", 0) + 1)
                check(os.path.exists(nxt), "death %d: inside a growth (%s exists, unannounced)"
                      % (i + 1, os.path.basename(nxt)), i_)
        else:
            # At a random point of a resize on every frame.
            k = 0
            w = storm(name, 10 ** 9, 1, ["--delay-us", "50", "--count-file", count])
            time.sleep(random.uniform(0.05, 0.3))
            w.kill()
            w.wait()
        wait_for(lambda: (info(name) or {}).get("status") == "stale", 5,
                 "status stale after death %d" % (i + 1))
        try:
            with open(count) as f:
                n = int(f.read().strip() or 0)
        except OSError:
            n = 0
        i_ = info(name) or {}
        if i_.get("session", 0) > session:      # it set the block up (k 1-3: not)
            session = i_["session"]
            n = max(n, i_.get("frames", 0))
        if n:
            # The lossless reader reads them all, then reports the death and registers for
            # the next writer's session, before that one starts: it is honoured from its first
            # frame. (One that missed this writer's frames says so below.)
            lasts.append(n)
            end = time.monotonic() + 5
            while len(lossless.stale()) < len(lasts) and time.monotonic() < end:
                time.sleep(0.01)
        if k in (1, 2):
            continue    # died before its first frame: nothing to read
        late = Reader(name, ["--mode", "latest", "--open-timeout", "0"], "late")
        late.finish(10)
        expect_good(late, "after death %d, a new reader gets a good last frame" % (i + 1))
    # Paced: a close right after a growth would unlink frames a reader has not reached yet
    # (PROTOCOL.md §13, Limit).
    w = storm(name, 40, 3, ["--delay-us", "1000"])
    _, err = w.communicate(timeout=60)
    check(w.returncode == 0, "a new writer takes the name over after %d deaths, no cleanup"
          % rounds, err)
    check(planned == (rounds + 1) // 2, "%d writers died at their planned point" % planned)
    for r in readers:
        c = r.finish(30)
        expect_good(r, "reader %s across %d deaths: only good frames" % (r.label, rounds))
        check(c is not None and c["last"] == 40 and c["sessions"] >= 2,
              "reader %s followed the writers to the final close (%s sessions)"
              % (r.label, c and c["sessions"]), c)
    # Through deaths in set-up and inside growths: every frame of every writer that published
    # any (it attached while the first one published its first frames: late). A writer that
    # grows its data object twice between two looks of this reader (here: resizing every frame
    # or two) leaves one it never mapped, whose frames are lost to it (PROTOCOL.md §20): for a
    # lossless reader that is a loss without an eviction, and fails here.
    check_lossless(lossless, "growth-kill lossless reader across %d deaths" % rounds,
                   lasts + [40], late=True)


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--soak", required=True, help="the soak program (tests/tools/soak.c)")
    p.add_argument("--ffmpeg", required=True)
    p.add_argument("--tool", required=True, help="the shmout tool")
    p.add_argument("--tmp", required=True)
    p.add_argument("--prefix", required=True, help="block name prefix")
    p.add_argument("--frames", type=int, default=20000)
    # Small frames: with lossless readers the writer goes at their pace, so that every reader
    # reads (copies and checks) nearly every frame, and the CPU that takes sets the soak's
    # length (at 64x48, about what 256x192 took before lossless readers).
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--height", type=int, default=48)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--storm-frames", type=int, default=3000)
    p.add_argument("--rate-rounds", type=int, default=3)
    p.add_argument("--rate-frames", type=int, default=1200)
    p.add_argument("--rate-size", default="1920x1080")
    p.add_argument("--assert-rate", action="store_true")
    p.add_argument("--rss-slack", type=int, default=2048, help="kB of RSS growth tolerated")
    p.add_argument("--slots", type=int, default=3,
                   help="ring slots of the ffmpeg -f shmout writers")
    p.add_argument("--lossless-timeout", type=int, default=100,
                   help="ms the writers wait at most per frame for a lossless reader")
    p.add_argument("scenarios", nargs="*", default=["soak", "kill", "storm", "growth-kill"])
    A = p.parse_args()
    A.pin = (os.cpu_count() or 1) >= 2 and subprocess.run(
        ["taskset", "-c", "0", "true"], capture_output=True).returncode == 0
    random.seed(os.getpid())
    for s in A.scenarios:
        note("scenario " + s)
        {"soak": lambda: scenario_soak(A.frames), "kill": lambda: scenario_kill(A.kills),
         "storm": lambda: scenario_storm(A.storm_frames),
         "growth-kill": lambda: scenario_growth_kill(A.kills)}[s]()
    print("%d passed, %d failed" % tuple(results))
    return 1 if results[1] else 0


if __name__ == "__main__":
    sys.exit(main())
