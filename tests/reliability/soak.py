# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (c) 2026 the shmout authors
#
# soak.py: the fault and load scenarios of tests/reliability/soak.sh (short, in make check) and
# make soak (long). Frames come from `soak gen` through the real `ffmpeg -f shmout` path, or from
# `soak storm` (a libshmout writer changing size and format); every reader checks every frame it
# accepts against the frame oracle (tests/tools/frame_oracle.h, which tests/tools/soak.c applies
# and the libshmout tests share), byte for byte.
#
#   soak  - 1 writer, 8 readers: every/latest, fast, slow, stalled (SIGSTOP), killed and restarted,
#           and ffmpeg -f shmin. No bad frame; counters add up (seen + skipped = published);
#           the writer's rate with the readers against its rate alone; no memory growth.
#   kill  - ffmpeg -f shmout SIGKILLed at random points, restarted with the same name: readers
#           see it stale within a bound, keep the last good frame, `shmout ls` says stale, the
#           new ffmpeg takes the name over without cleanup, readers follow.
#   storm - size and format change every few frames while 4 readers run.
#   growth-kill - the storm writer SIGKILLed inside a growth of its data object (and at random
#           points of a resize every frame); readers and the next writer carry on.
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
    """soak gen | ffmpeg -f shmout NAME, paused after frame 1 until resume() when pause is set."""

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
              "-f", "shmout", name]
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
    """soak read NAME ARGS; its output lines are collected as they come (self.lines)."""

    def __init__(self, name, args, label):
        self.label = label
        self.name = name
        self.args = args
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

    def stale(self):
        """The deaths it reported: [{'at': CLOCK_MONOTONIC ns, 'last': frame}]."""
        return [counters(l[6:]) for l in list(self.lines) if l.startswith("stale ")]

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


def expect_good(r, desc):
    """The reader exited 0 having accepted only frames that match the oracle."""
    c = r.c
    return check(c is not None and r.rc == 0 and c["bad"] == 0 and c["badnum"] == 0 and
                 c["badpts"] == 0, desc, "rc=%s counters=%s %s" % (r.rc, c, r.err))


# ---- soak -----------------------------------------------------------------------------------

class Readers:
    """The soak's 8 readers of block NAME: every and latest, fast and slow, one to be SIGSTOPped,
    one to be SIGKILLed and restarted, and ffmpeg -f shmin into `soak check`."""

    def __init__(self, name):
        self.list = [
            Reader(name, ["--mode", "every"], "every"),
            Reader(name, ["--mode", "every"], "every-2"),
            Reader(name, ["--mode", "latest"], "latest"),
            Reader(name, ["--mode", "every", "--delay-us", "300"], "every-slow"),
            Reader(name, ["--mode", "latest", "--delay-us", "3000"], "latest-slow"),
            Reader(name, ["--mode", "every"], "every-stopped"),
            Reader(name, ["--mode", "latest"], "killed-restarted"),
        ]
        self.stopped, self.killed = self.list[5], self.list[6]
        self.shmin_log = open(os.path.join(A.tmp, "shmin.log"), "w+")
        self.shmin = subprocess.Popen(
            pinned([A.ffmpeg, "-nostdin", "-v", "warning", "-f", "shmin", "-mode", "every", "-i",
                    name, "-fps_mode", "passthrough", "-f", "rawvideo", "-"], 1),
            stdout=subprocess.PIPE, stderr=self.shmin_log, text=True)
        self.check = subprocess.Popen(pinned([A.soak, "check", str(A.width), str(A.height)], 1),
                                      stdin=self.shmin.stdout, stdout=subprocess.PIPE, text=True)
        self.shmin.stdout.close()
        wait_for(lambda: (info(name) or {}).get("readers", 0) >= 8, 20, "8 readers to attach")

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
    """The writer over `frames` frames with the 8 readers attached from its first frame, one
    SIGSTOPped and resumed and one SIGKILLed and restarted all along, RSS sampled.
    Returns (ffmpeg's status, its errors, the Readers, the RSS samples, the reader kills)."""
    w = Writer(name, frames, pause=True)
    if not wait_for(lambda: (info(name) or {}).get("status") == "active" and
                    info(name).get("frames", 0) >= 1, 20, "the first frame"):
        w.ff.kill()
        return None
    rs = Readers(name)
    w.resume()
    rss = {"ffmpeg": [], "reader": []}
    stops = kills = 0
    next_kill = time.monotonic() + random.uniform(0.05, 0.3)
    while w.ff.poll() is None:
        os.kill(rs.stopped.p.pid, signal.SIGSTOP if stops % 2 == 0 else signal.SIGCONT)
        stops += 1
        if time.monotonic() >= next_kill:
            rs.killed.p.kill()
            rs.killed.p.wait()
            rs.killed.start()
            kills += 1
            next_kill = time.monotonic() + random.uniform(0.05, 0.3)
        for key, pid in (("ffmpeg", w.ff.pid), ("reader", rs.list[0].p.pid)):
            v = rss_kb(pid)
            if v:
                rss[key].append(v)
        time.sleep(random.uniform(0.02, 0.1))
    rc, err = w.wait(3600)
    os.kill(rs.stopped.p.pid, signal.SIGCONT)
    note("%d SIGSTOP/SIGCONT, %d reader kills and restarts" % (stops, kills))
    return rc, err, rs, rss, kills


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
    rc, err, rs, rss, kills = r
    check(rc == 0 and not err.strip(), "with 8 readers: ffmpeg -f shmout wrote %d frames, no error"
          % frames, err)
    cc, lost, log = rs.finish()
    for rd in rs.list[:6]:
        c = rd.c
        if not expect_good(rd, "reader %s: every accepted frame matches the oracle" % rd.label):
            continue
        check(c["last"] == frames, "reader %s got the last frame (%d)" % (rd.label, frames), c)
        check(c["lib_seen"] == c["seen"] and c["seen"] + c["skipped"] == frames,
              "reader %s: seen %d + skipped %d = published %d" % (rd.label, c["seen"],
                                                                c["skipped"], frames), c)
    c = rs.killed.c
    if expect_good(rs.killed, "reader killed %d times and restarted: its last run saw only good "
                   "frames" % kills):
        check(c["last"] == frames and c["seen"] + c["skipped"] == c["last"] - c["first"] + 1,
              "restarted reader: seen + skipped = frames published while it ran", c)
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
               Reader(name, ["--mode", "latest", "--follow", "--open-timeout", "20000"], "latest")]
    lat = {r.label: [] for r in readers}
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
        v = lat[r.label]
        if check(len(v) == rounds, "reader %s saw each of the %d deaths" % (r.label, rounds), v):
            note("reader %s: death seen %.1f ms after SIGKILL at most (median %.1f)"
                 % (r.label, max(v), sorted(v)[len(v) // 2]))
            check(max(v) <= 1000, "reader %s saw every death within 1 s (documented: one 50 ms "
                  "wait slice plus scheduling)" % r.label, v)


# ---- storm and growth-kill: libshmout writer changing geometry -------------------------------

def storm(name, frames, every, extra=(), cpu=0):
    return subprocess.Popen(pinned([A.soak, "storm", name, str(frames), str(every)] + list(extra),
                                   cpu), stderr=subprocess.PIPE, text=True)


def scenario_storm(frames):
    name = A.prefix + "_storm"
    resume = os.path.join(A.tmp, "resume-" + name)
    if os.path.exists(resume):
        os.unlink(resume)
    w = storm(name, frames, 3, ["--delay-us", "20", "--pause-after", "1", resume])
    if not wait_for(lambda: (info(name) or {}).get("frames", 0) >= 1, 20, "the first frame"):
        w.kill()
        return
    readers = [Reader(name, ["--mode", "every"], "every"),
               Reader(name, ["--mode", "latest"], "latest"),
               Reader(name, ["--mode", "every", "--delay-us", "200"], "every-slow"),
               Reader(name, ["--mode", "latest", "--delay-us", "1000"], "latest-slow")]
    wait_for(lambda: (info(name) or {}).get("readers", 0) >= 4, 20, "4 readers to attach")
    open(resume, "w").close()
    _, err = w.communicate(timeout=600)
    check(w.returncode == 0, "storm writer: %d frames, size and format every 3" % frames, err)
    for r in readers:
        c = r.finish()
        if expect_good(r, "storm reader %s: every frame matches the geometry it was published with"
                       % r.label):
            check(c["last"] == frames and c["seen"] + c["skipped"] == frames and
                  c["geometry_changes"] > 0, "storm reader %s: last frame, seen + skipped = "
                  "published, %d geometry changes followed" % (r.label, c["geometry_changes"]), c)


def scenario_growth_kill(rounds):
    name = A.prefix + "_grow"
    readers = [Reader(name, ["--mode", "every", "--follow", "--open-timeout", "20000"], "every"),
               Reader(name, ["--mode", "latest", "--follow", "--open-timeout", "20000"], "latest")]
    planned = 0
    for i in range(rounds):
        if i % 2 == 0:
            # Right after the k-th object is sized: in set-up (1: primary, 2: wait object,
            # 3: first data object), or inside a growth (4, 5: sized, not yet announced).
            k = (4, 1, 5, 2, 3)[(i // 2) % 5]
            w = storm(name, 10 ** 6, 2, ["--die-in-fallocate", str(k), "--delay-us", "200"])
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
            w = storm(name, 10 ** 9, 1, ["--delay-us", "50"])
            time.sleep(random.uniform(0.05, 0.3))
            w.kill()
            w.wait()
        wait_for(lambda: (info(name) or {}).get("status") == "stale", 5,
                 "status stale after death %d" % (i + 1))
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


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--soak", required=True, help="the soak program (tests/tools/soak.c)")
    p.add_argument("--ffmpeg", required=True)
    p.add_argument("--tool", required=True, help="the shmout tool")
    p.add_argument("--tmp", required=True)
    p.add_argument("--prefix", required=True, help="block name prefix")
    p.add_argument("--frames", type=int, default=20000)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--height", type=int, default=192)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--storm-frames", type=int, default=3000)
    p.add_argument("--rate-rounds", type=int, default=3)
    p.add_argument("--rate-frames", type=int, default=1200)
    p.add_argument("--rate-size", default="1920x1080")
    p.add_argument("--assert-rate", action="store_true")
    p.add_argument("--rss-slack", type=int, default=2048, help="kB of RSS growth tolerated")
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
