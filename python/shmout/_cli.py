# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The command line of the Python package (``python -m shmout``, ``shmout-py``): ``ls``,
``info NAME`` and ``watch NAME``, printing what the C tool's ``shmout ls``, ``shmout info`` and
``shmout watch`` print (tools/shmout.c: the same columns, field labels, units, JSON keys, exit
statuses and, where sensible, error wording), for people who have the Python package and no
build. Exit status: 0 success, 1 runtime error, 2 usage error.

Built on the package's API: ``probe`` and ``list_blocks(include_invalid=True)`` give the
``BlockInfo`` of every block the C tool shows (also those without a header yet, "starting" or
"stale", and, in the listing, "corrupt" ones), ``Reader`` watches one, and ``name_faults`` (the
§3 rules) is reported in libshmout's wording. Nothing of the protocol is read here.
"""

import argparse
import os
import re
import signal
import sys
import time
from typing import Any, List, NoReturn, Optional, Sequence, Tuple

from . import (BlockInfo, Error, Geometry, NotReadyError, OverwrittenError, ProtocolError,
               Reader, list_blocks, probe, base_name, PROTOCOL_VERSION, __version__)
from . import _sys as S
from ._protocol import name_faults

_HAS_FPS = ("active", "inactive")               # libshmout reports fps only for these

USAGE = """\
usage: {prog} COMMAND [ARGS]

Inspect shmout shared-memory video blocks (/dev/shm/shmout.*) from Python: the ls,
info and watch commands of the C tool 'shmout', with the same output.

commands:
  ls [--json]                       list every block you can see (your local
                                    blocks and all global ones) with status
  info NAME [--json]                print everything in a block's header
  watch NAME [--count N] [--seconds S]
                                    print frame rate, skips and torn reads once per
                                    second until Ctrl-C (or N lines / S seconds)

options for NAME commands:
  --memtype local|global            which namespace NAME is in; default: local,
                                    falling back to global if no local block exists
  --help, --version

set, rm and test-writer are only in the C tool (build/bin/shmout).

exit status: 0 success, 1 runtime error, 2 usage error
"""

COMMANDS = ("ls", "info", "watch")
C_ONLY = ("set", "rm", "test-writer")


# --- errors ------------------------------------------------------------------------------------
class UsageError(Exception):
    """A usage error: printed as the C tool does, exit status 2."""


class RuntimeFailure(Exception):
    """A runtime error: printed as "shmout: MESSAGE", exit status 1."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors turned into the C tool's usage errors."""

    _MISSING = {"--memtype": "--memtype needs 'local' or 'global', got 'nothing'",
                "--count": "--count needs a positive integer",
                "--seconds": "--seconds needs a positive integer"}

    argv: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        m = re.match(r"argument (\S+): (.*)\Z", message, re.S)
        if m:
            opt, why = m.groups()
            if why == "expected one argument":
                message = self._MISSING.get(opt, why)
                # the C tool takes the next word, even an option, as the value
                argv = list(self.argv)
                if opt == "--memtype" and opt in argv and argv.index(opt) + 1 < len(argv):
                    message = message.replace("'nothing'", "'%s'" % argv[argv.index(opt) + 1])
            else:
                message = why
        raise UsageError(message)


def _memtype_arg(v: str) -> str:
    if v not in ("local", "global"):
        raise argparse.ArgumentTypeError("--memtype needs 'local' or 'global', got '%s'" % v)
    return v


def _positive_arg(opt: str):
    def parse(v: str) -> int:
        # as the C tool's strtol check: an integer in 1..1000000, nothing after it
        if not re.fullmatch(r"\s*[+-]?[0-9]+", v) or not 1 <= int(v) <= 1000000:
            raise argparse.ArgumentTypeError("%s needs a positive integer" % opt)
        return int(v)
    return parse


# libshmout's wording of the §3 rules (shmout_name_validate), in the order it reports them
_C_NAME_FAULTS = (("empty", "the name is empty"),
                  ("long", "the name is longer than 63 characters"),
                  ("first", "the name must start with a letter or digit"),
                  ("dots", 'the name must not contain ".."'),
                  ("chars", "the name may only contain A-Z a-z 0-9 _ - ."))


def name_error(name: str) -> Optional[str]:
    """The C tool's message (shmout_name_validate) for an invalid block name, or None."""
    faults = name_faults(name)
    for fault, why in _C_NAME_FAULTS:
        if fault in faults:
            return ("invalid block name: %s (allowed: 1 to 63 characters from A-Z a-z 0-9 "
                    "_ - ., starting with a letter or digit)" % why)
    return None


def _corrupt_message(name: str, memtype: str, err: Exception) -> str:
    return ("corrupt or incompatible shared-memory block '%s' (%s): %s; if no writer uses it, "
            "remove it with 'shmout rm %s --force'" % (name, memtype, err, name))


def list_entries() -> List[BlockInfo]:
    """Every block `shmout ls` lists: this user's local blocks and all global ones, sorted by
    object name; blocks that fail validation as ``corrupt``."""
    try:
        return list_blocks(include_invalid=True)
    except OSError as e:
        raise RuntimeFailure("cannot list %s: %s" % (S.SHM_DIR, e.strerror)) from None


def ages(b: BlockInfo) -> Tuple[int, int]:
    """(last frame age, heartbeat age) of `b` in ns (CLOCK_MONOTONIC), -1 = unknown."""
    now = time.monotonic_ns()
    frame, beat = b.latest_frame_ns, b.heartbeat_ns
    return (max(now - frame, 0) if frame else -1, max(now - beat, 0) if beat else -1)


def _fps(b: BlockInfo) -> float:
    return b.fps if b.status in _HAS_FPS else 0.0


# --- printing, as tools/shmout.c -----------------------------------------------------------------
def fmt_age(ns: int) -> str:
    if ns < 0:
        return "-"
    if ns < 10_000_000_000:
        return "%.0fms" % (ns / 1e6)
    return "%.0fs" % (ns / 1e9)


def json_str(s: str) -> str:
    out = ['"']
    for c in s.encode("utf-8", "surrogateescape"):
        if c in (0x22, 0x5C):
            out.append("\\" + chr(c))
        elif c < 0x20 or c >= 0x7F:
            out.append("\\u%04x" % c)
        else:
            out.append(chr(c))
    out.append('"')
    return "".join(out)


def _geometry_fields(g: Optional[Geometry]) -> dict:
    """The fields of libshmout's struct shmout_geometry; all zero when there is none (§14)."""
    if g is None:
        return dict(width=0, height=0, name="", code=0, frame_bytes=0, planes=(),
                    dar=(0, 0), sar=(0, 0), color=(0, 0, 0, 0, 0))
    c = g.color
    return dict(width=g.width, height=g.height, name=g.pix_fmt_name, code=g.pix_fmt,
                frame_bytes=g.frame_bytes, planes=tuple(g.planes)[:4], dar=tuple(g.dar),
                sar=tuple(g.sar),
                color=(c.range, c.matrix, c.primaries, c.transfer, c.chroma_location))


def format_json(b: BlockInfo) -> str:
    """print_json_info of tools/shmout.c."""
    frame_age, beat_age = ages(b)
    g = _geometry_fields(b.geometry)
    planes = ", ".join('{"offset": %d, "linesize": %d, "bytewidth": %d, "height": %d}'
                       % (p.offset, p.linesize, p.bytewidth, p.height) for p in g["planes"])
    ms = lambda ns: "null" if ns < 0 else "%.3f" % (ns / 1e6)
    return (
        '{"name": %s, "memtype": "%s", "object": %s, "status": "%s", "alive": %s, '
        '"owner_pid": %d, "owner_uid": %d, "owner_starttime": %d, "session": %d, '
        '"active": %s, "control": %d, "fill_mode": "%s", "smoothness": "%s", '
        '"segment_gen": %d, "slots": %d, "capacity": %d, "geometry_gen": %d, "width": %d, '
        '"height": %d, "format": %s, "pix_fmt_code": %d, "frame_bytes": %d, "planes": [%s], '
        '"dar": [%d, %d], "sar": [%d, %d], "color_range": %d, "color_matrix": %d, '
        '"color_primaries": %d, "color_transfer": %d, "chroma_location": %d, "frames": %d, '
        '"fps": %.3f, "last_frame_age_ms": %s, "heartbeat_age_ms": %s, "readers": %s}'
        % (json_str(b.name), b.memtype, json_str(b.object), b.status,
           "true" if b.alive else "false", b.owner_pid, b.owner_uid,
           b.owner_starttime, b.session, "true" if b.active else "false", b.control,
           b.fill_mode, b.smoothness, b.segment_gen, b.slots, b.capacity, b.geometry_gen,
           g["width"], g["height"], json_str(g["name"]), g["code"], g["frame_bytes"], planes,
           g["dar"][0], g["dar"][1], g["sar"][0], g["sar"][1], *g["color"], b.latest_frame,
           _fps(b), ms(frame_age), ms(beat_age),
           "null" if b.readers < 0 else "%d" % b.readers))


LS_HEADER = ("NAME", "MEMTYPE", "STATUS", "PID", "GEOMETRY", "FORMAT", "FPS", "FRAMES", "AGE",
             "READERS")
_LS_FMT = "%-24s %-7s %-8s %8s %-11s %-10s %8s %10s %7s %s"


def format_ls(entries: Sequence[BlockInfo]) -> str:
    """The table of ``shmout ls``."""
    lines = [_LS_FMT % LS_HEADER]
    for b in entries:
        g = b.geometry
        geom = "%dx%d" % (g.width, g.height) if g is not None and g.width else "-"
        lines.append("%-24s %-7s %-8s %8d %-11s %-10s %8.2f %10d %7s %s" % (
            b.name, b.memtype, b.status, b.owner_pid, geom, g.pix_fmt_name if g else "",
            _fps(b), b.latest_frame, fmt_age(ages(b)[0]),
            "?" if b.readers < 0 else "%d" % b.readers))
    return "\n".join(lines) + "\n"


def format_info(b: BlockInfo) -> str:
    """The text of ``shmout info NAME``."""
    frame_age, beat_age = ages(b)
    g = _geometry_fields(b.geometry)
    out = [
        "name:            %s" % b.name,
        "memtype:         %s" % b.memtype,
        "object:          /dev/shm%s" % b.object,
        "status:          %s" % b.status,
        "owner pid:       %d" % b.owner_pid,
        "owner uid:       %d" % b.owner_uid,
        "owner starttime: %d" % b.owner_starttime,
        "session:         %d" % b.session,
        "active:          %s" % ("yes" if b.active else "no"),
        "fill mode:       %s" % b.fill_mode,
        "smoothness:      %s" % b.smoothness,
        "data object gen: %d" % b.segment_gen,
        "slots:           %d" % b.slots,
        "capacity:        %d bytes/slot" % b.capacity,
        "geometry gen:    %d" % b.geometry_gen,
    ]
    if g["width"]:
        out.append("geometry:        %dx%d %s (code %d), %d bytes"
                   % (g["width"], g["height"], g["name"], g["code"], g["frame_bytes"]))
    else:
        out.append("geometry:        unknown")
    for i, p in enumerate(g["planes"]):
        out.append("  plane %d:        offset %d, linesize %d, %d bytes x %d rows"
                   % (i, p.offset, p.linesize, p.bytewidth, p.height))
    out += [
        "aspect:          display %d:%d, sample %d:%d" % (g["dar"] + g["sar"]),
        "colour:          range %d, matrix %d, primaries %d, transfer %d, chroma loc %d"
        % g["color"],
        "frames:          %d" % b.latest_frame,
        "frame rate:      %.2f fps" % _fps(b),
        "last frame age:  %s" % fmt_age(frame_age),
        "heartbeat age:   %s" % fmt_age(beat_age),
        "readers:         %s" % ("unknown" if b.readers < 0 else "%d" % b.readers),
    ]
    return "\n".join(out) + "\n"


# --- the commands ---------------------------------------------------------------------------------
def _objects(name: str) -> tuple:
    return ("/" + base_name(name, "local", os.geteuid()), "/" + base_name(name, "global", 0))


def resolve_memtype(name: str, memtype: Optional[str]) -> str:
    """The C tool's rule for set/rm/watch: `memtype` when given; else global if there is no
    local block of the name and a global one can be inspected; else local."""
    if memtype:
        return memtype
    if os.path.lexists(S.shm_path(_objects(name)[0][1:])):
        return "local"
    try:
        probe(name, "global")
    except (Error, ProtocolError, OSError, ValueError):
        return "local"
    return "global"


def _info_entry(name: str, memtype: Optional[str]) -> BlockInfo:
    """The C tool's get_info: `memtype`, or local then global when the local one is missing."""
    tried = [memtype] if memtype else ["local", "global"]
    for mt in tried:
        try:
            return probe(name, mt)
        except NotReadyError:
            continue                # (probe gives a block without a header: it does not exist)
        except ProtocolError as e:
            raise RuntimeFailure(_corrupt_message(name, mt, e)) from None
        except OSError as e:
            raise RuntimeFailure(str(e)) from None
    objs = dict(zip(("local", "global"), _objects(name)))
    if memtype:
        why = "%s does not exist" % objs[memtype]
    else:
        why = "neither %s (local) nor %s (global) exists" % (objs["local"], objs["global"])
    raise RuntimeFailure("no such block (%s); see 'shmout ls'" % why)


def cmd_ls(args: argparse.Namespace) -> int:
    if args.name is not None:
        raise UsageError("ls takes no NAME (got '%s')" % args.name)
    entries = list_entries()
    if args.json:
        body = "".join((",\n " if i else "\n ") + format_json(b) for i, b in enumerate(entries))
        sys.stdout.write("[%s%s]\n" % (body, "\n" if entries else ""))
    else:
        sys.stdout.write(format_ls(entries))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    b = _info_entry(args.name, args.memtype)
    sys.stdout.write(format_json(b) + "\n" if args.json else format_info(b))
    return 0


def _open_reader(name: str, memtype: Optional[str]) -> Reader:
    mt = resolve_memtype(name, memtype)
    for _ in range(3):
        try:
            try:
                return Reader(name, mt)
            except NotReadyError:
                b = probe(name, mt)         # no header yet, or gone: which
        except NotReadyError:
            where = "(%s) exists" % mt if memtype else "exists (tried local, then global)"
            raise RuntimeFailure("no shared-memory block '%s' %s; start its writer first"
                                 % (name, where)) from None
        except ProtocolError as e:
            raise RuntimeFailure(_corrupt_message(name, mt, e)) from None
        except OSError as e:
            raise RuntimeFailure(str(e)) from None
        if b.status == "stale":
            raise RuntimeFailure("block '%s' was left half set up by a writer that died; the "
                                 "next writer of the name takes it over ('shmout rm %s' "
                                 "removes it)" % (name, name))
        if b.status == "starting":
            raise RuntimeFailure("block '%s' is still being set up by its writer" % name)
        # it has a header by now: attach again
    raise RuntimeFailure("block '%s' (%s) keeps changing; try again" % (name, mt))


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def cmd_watch(args: argparse.Namespace) -> int:
    r = _open_reader(args.name, args.memtype)
    stop = []

    def on_signal(sig, frame):
        stop.append(sig)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        prev = (0, 0, 0)
        size = "no frame yet"
        start = tick = _now_ms()
        lines = 0
        while not stop:
            now = _now_ms()
            if now >= tick + 1000:
                st = (r.frames_seen, r.frames_skipped, r.torn_retries)
                d = [a - b for a, b in zip(st, prev)]
                sys.stdout.write("%s: %s, %s, %.1f fps, %d frames, %d skipped, %d torn retries\n"
                                 % (args.name, r.status, size, d[0] * 1000.0 / (now - tick),
                                    d[0], d[1], d[2]))
                sys.stdout.flush()
                prev, tick = st, now
                lines += 1
                if ((args.count and lines >= args.count) or
                        (args.seconds and now - start >= args.seconds * 1000)):
                    break
                continue
            # short slices: a signal is seen within 0.1 s
            try:
                if r.wait(min(tick + 1000 - now, 100) / 1000.0):
                    f = r.read()
                    if f is not None:
                        size = "%dx%d %s" % (f.width, f.height, f.pix_fmt_name)
            except OverwrittenError:
                time.sleep(0.01)        # announced but not intact: do not spin
            except ProtocolError as e:
                raise RuntimeFailure(_corrupt_message(args.name, r.memtype, e)) from None
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        r.close()
    return 0


def _parser(cmd: str) -> _Parser:
    p = _Parser(prog=cmd, add_help=False, allow_abbrev=False)
    p.add_argument("name", nargs="?", metavar="NAME")
    if cmd in ("ls", "info"):
        p.add_argument("--json", action="store_true")
    if cmd in ("info", "watch"):
        p.add_argument("--memtype", type=_memtype_arg)
    if cmd == "watch":
        p.add_argument("--count", type=_positive_arg("--count"), default=0)
        p.add_argument("--seconds", type=_positive_arg("--seconds"), default=0)
    return p


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The command and its arguments, as the C tool's parse_args checks them (raises
    UsageError)."""
    if not argv:
        raise UsageError("missing COMMAND")
    cmd = argv[0]
    if cmd in C_ONLY:
        raise UsageError("'%s' is a command of the C tool only (build/bin/shmout); this one "
                         "has ls, info and watch" % cmd)
    if cmd not in COMMANDS:
        raise UsageError("unknown command '%s'" % cmd)
    parser = _parser(cmd)
    parser.argv = list(argv[1:])
    args, extra = parser.parse_known_args(parser.argv)
    for x in extra:
        if x.startswith("-") and x != "-":
            raise UsageError("unknown option '%s'" % x)
        raise UsageError("unexpected argument '%s'" % x)
    if args.name is None and cmd != "ls":
        raise UsageError("missing block NAME")
    if args.name is not None:
        why = name_error(args.name)
        if why:
            raise UsageError(why)
    args.command = cmd
    return args


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = prog or os.path.basename(sys.argv[0] or "shmout-py")
    if argv and (argv[0] == "help" or "--help" in argv or "-h" in argv):
        sys.stdout.write(USAGE.format(prog=prog))
        return 0
    if argv and argv[0] == "--version":
        print("shmout (Python) %s (protocol %d.%d)" % (__version__, *PROTOCOL_VERSION))
        return 0
    try:
        args = parse(argv)
        run: Any = {"ls": cmd_ls, "info": cmd_info, "watch": cmd_watch}[args.command]
        return run(args)
    except UsageError as e:
        sys.stderr.write("shmout: %s\nrun '%s --help' for usage\n" % (e, prog))
        return 2
    except RuntimeFailure as e:
        sys.stdout.flush()
        sys.stderr.write("shmout: %s\n" % e)
        return 1
    except BrokenPipeError:
        # the reader of our output went away (| head): no traceback
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except KeyboardInterrupt:
        return 130
