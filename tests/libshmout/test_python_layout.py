# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# test_python_layout.py - checks the Python module's copy of the protocol
# (python/shmout/_protocol.py) against the C header as compiled, the way
# test_layout.py checks docs/PROTOCOL.md: every OFF_* offset and every
# struct.Struct format (each item's offset and size) against offsetof and
# sizeof, the sizes and constants (magics, slot bounds, state, control and
# memtype values, SHMOUT_NOPTS, the writers' alignments, the registration
# entries' bounds and states of 1.1), the pixel-format codes and names, and
# the status, fill-mode, smoothness and memtype names
# against the library's shmout_*_name(). An OFF_* or Struct this test does
# not know fails too, so nothing new goes unchecked.
# usage: test_python_layout.py OUTPUT_OF_test_layout PYTHON_PACKAGE_DIR
import importlib.util
import os
import re
import struct
import sys

dump, pydir = open(sys.argv[1]).read().split("\n"), sys.argv[2]
spec = importlib.util.spec_from_file_location("_protocol",
                                              os.path.join(pydir, "shmout", "_protocol.py"))
P = importlib.util.module_from_spec(spec)
spec.loader.exec_module(P)

layout, const, names, pixfmts = {}, {}, {}, {}
for line in dump:
    w = line.split()
    if not w:
        continue
    if w[0] == "pixfmt":
        pixfmts[int(w[1])] = w[2]
    elif w[0] == "const":
        const[w[1]] = int(w[2])
    elif w[0] == "name":
        names.setdefault(w[1], {})[int(w[2])] = w[3]
    else:
        layout.setdefault(w[0], {})[w[1]] = (int(w[2]), int(w[3]))

failed = 0


def report(ok, what, detail=None):
    global failed
    if not ok and detail:
        print("# " + detail)
    print(("ok - " if ok else "not ok - ") + what)
    failed += not ok


def field(struct_name, name):
    return layout.get(struct_name, {}).get(name)


# Every OFF_* constant: the C field it is the offset of.
H, G, SEG, SD, WP, RS = ("shmout_header", "shmout_geometry", "shmout_segment_header",
                         "shmout_slot_desc", "shmout_wait_page", "shmout_reader_slot")
OFFSETS = {
    "OFF_MAGIC": (H, "magic"), "OFF_VERSION_MAJOR": (H, "version_major"),
    "OFF_STATE": (H, "state"), "OFF_CONTROL": (H, "control"),
    "OFF_WAKE_WORD": (H, "wake_word"), "OFF_SEGMENT_GEN": (H, "segment_gen"),
    "OFF_MEMTYPE": (H, "memtype"), "OFF_SESSION": (H, "session"),
    "OFF_OWNER_PID": (H, "owner_pid"), "OFF_HEARTBEAT": (H, "heartbeat_ns"),
    "OFF_CREATED": (H, "created_ns"), "OFF_FILL_MODE": (H, "fill_mode"),
    "OFF_SMOOTHNESS": (H, "smoothness"), "OFF_FPS_MILLI": (H, "fps_milli"),
    "OFF_RESERVED0": (H, "reserved0"), "OFF_NAME": (H, "name"),
    "OFF_GEOMETRY_SEQ": (H, "geometry_seq"), "OFF_GEOMETRY_GEN": (H, "geometry_gen"),
    "OFF_READER_SLOTS": (H, "reader_slots"), "OFF_LOSSLESS_TIMEOUT": (H, "lossless_timeout_ms"),
    "OFF_RESERVED1": (H, "reserved1"), "OFF_GEOMETRY": (H, "geometry"),
    "OFF_RESERVED2": (H, "reserved2"),
    "OFF_SEG_MAGIC": (SEG, "magic"), "OFF_SEG_VERSION_MAJOR": (SEG, "version_major"),
    "OFF_LATEST_FRAME": (SEG, "latest_frame"),
    "OFF_SLOT_SEQ": (SD, "seq"), "OFF_SLOT_META": (SD, "meta"),
    "OFF_SLOT_GEOMETRY": (SD, "geometry"),
    "OFF_WAITERS": (WP, "waiters"), "OFF_ACK_WORD": (WP, "ack_word"),
    "OFF_WRITER_WAITING": (WP, "writer_waiting"), "OFF_READERS": (WP, "readers"),
    "OFF_REG_STATE": (RS, "state"), "OFF_REG_PID": (RS, "pid"),
    "OFF_REG_SESSION": (RS, "session"), "OFF_REG_ACK": (RS, "ack"),
    "OFF_REG_EVICTED": (RS, "evicted"), "OFF_REG_ID": (RS, "reg_id"),
    "OFF_REG_RESERVED": (RS, "reserved"),
}
for off in sorted(n for n in vars(P) if n.startswith("OFF_")):
    if off not in OFFSETS:
        report(False, "%s is checked" % off, "add the C field of %s to OFFSETS" % off)
        continue
    s, f = OFFSETS[off]
    c = field(s, f)
    report(c is not None and getattr(P, off) == c[0],
           "%s = %d is offsetof(struct %s, %s)" % (off, getattr(P, off), s, f),
           "compiled: %s" % (c,))

# Every struct.Struct: the C struct it lays out, from which field, and the C field of each
# format item. A count before a code (4Q) is one array field, or as many fields as names are
# given for it; padding (x) is not named. The format must end where the next field (or the
# struct) does.
META = "shmout_frame_meta"
FORMATS = {
    "PRIMARY_FMT": (H, ["magic", "version_major", "version_minor", "header_size", "byte_order",
                        "state", "control", "wake_word", "segment_gen", "memtype", "session",
                        "owner_pid", "owner_uid", "owner_starttime", "heartbeat_ns",
                        "created_ns", "fill_mode", "smoothness", "fps_milli", "reserved0",
                        "name", "geometry_seq", "geometry_gen", "reader_slots",
                        "lossless_timeout_ms"], "geometry"),
    "GEOMETRY_FMT": (G, ["width", "height", "pix_fmt", "nb_planes", "frame_bytes",
                         "plane_offset", "plane_linesize", "plane_bytewidth", "plane_height",
                         ("dar_num", "dar_den"), ("sar_num", "sar_den"),
                         ("color.range", "color.matrix", "color.primaries", "color.transfer",
                          "color.chroma_location"), "pix_fmt_name"], "sizeof"),
    "SEGMENT_FMT": (SEG, ["magic", "version_major", "version_minor", "header_size",
                          "segment_gen", "slot_count", "session", "slot_table_offset",
                          "slot_desc_size", "data_offset", "data_stride", "capacity",
                          "segment_size", "latest_frame"], "sizeof"),
    "META_FMT": (META, ["frame_number", "pts", "duration", "tb_num", "tb_den", "realtime_ns",
                        "monotonic_ns", "geometry_gen", "reserved"], "sizeof"),
    "IDENT_FMT": (H, ["version_major", "version_minor", "header_size", "byte_order"],
                  "state"),
    "MEMTYPE_FMT": (H, ["memtype"], "session"),
    "OWNER_FMT": (H, ["owner_pid", "owner_uid", "owner_starttime"], "heartbeat_ns"),
    "CREATED_FMT": (H, ["created_ns"], "fill_mode"),
    "GEOMETRY_GEN_FMT": (H, ["geometry_gen"], "reader_slots"),
    "READERS_FMT": (H, ["reader_slots", "lossless_timeout_ms"], "reserved1"),
    "READER_SLOT_FMT": (RS, ["state", "pid", "session", "ack", "evicted", "reg_id"], "sizeof"),
    "REG_PID_FMT": (RS, ["pid"], "session"),
}


def check_format(fmt, s, fields, end):
    """Errors of the Struct `fmt` laid over struct `s` from its first field on."""
    errors = []
    if fmt.format[0] != "<":
        return ["format %r does not start with '<' (standard sizes, no padding)" % fmt.format]
    first = fields[0] if isinstance(fields[0], str) else fields[0][0]
    pos = field(s, first)[0] if field(s, first) else 0
    todo = list(fields)
    for count, code in re.findall(r"(\d*)([a-zA-Z?])", fmt.format[1:]):
        n, size = int(count or 1), struct.calcsize("<" + code)
        if code == "x":
            pos += n
            continue
        if not todo:
            return errors + ["format has more items than the test names"]
        want = todo.pop(0)
        if code in "sp" or isinstance(want, str):
            items = [(want, pos, n * size)]       # one field: a string or an array of n
        else:
            items = [(f, pos + i * size, size) for i, f in enumerate(want)]
            if len(want) != n:
                errors.append("%s%s names %d fields, not %d" % (count, code, len(want), n))
        for name, off, nbytes in items:
            c = field(s, name)
            if c is None:
                errors.append("%s is not a field of struct %s" % (name, s))
            elif c != (off, nbytes):
                errors.append("%s at %d+%d, compiled at %d+%d" % (name, off, nbytes, *c))
        pos += n * size
    if todo:
        errors.append("format lacks %s" % (todo,))
    c = field(s, end)
    if c is None:
        errors.append("%s is not a field of struct %s" % (end, s))
    elif pos != c[0]:
        errors.append("format ends at %d, %s.%s is at %d" % (pos, s, end, c[0]))
    return errors


for name in sorted(n for n in vars(P) if isinstance(getattr(P, n), struct.Struct)):
    if name not in FORMATS:
        report(False, "%s is checked" % name, "add the layout of %s to FORMATS" % name)
        continue
    s, fields, end = FORMATS[name]
    errors = check_format(getattr(P, name), s, fields, end)
    report(not errors, "%s %r lays out struct %s as compiled" % (name, getattr(P, name).format, s),
           "; ".join(errors))

# Sizes and constants.
def size_of(s):
    c = field(s, "sizeof")
    return c and c[0]


SIZES = [("PRIMARY_SIZE", const.get("SHMOUT_PRIMARY_SIZE")),
         ("WAIT_SIZE", const.get("SHMOUT_WAIT_SIZE")),
         ("WAIT_SIZE", size_of(WP)),
         ("HEADER_SIZE", field(H, "sizeof")[0]),
         ("SEG_HEADER_SIZE", field(SEG, "sizeof")[0]),
         ("SLOT_DESC_SIZE", field(SD, "sizeof")[0]),
         ("NAME_SIZE", field(H, "name")[1]),
         ("MAGIC_HEADER", const.get("SHMOUT_MAGIC_HEADER")),
         ("MAGIC_SEGMENT", const.get("SHMOUT_MAGIC_SEGMENT")),
         ("BYTE_ORDER", const.get("SHMOUT_BYTE_ORDER_MARK")),
         ("VERSION_MAJOR", const.get("SHMOUT_PROTO_MAJOR")),
         ("VERSION_MINOR", const.get("SHMOUT_PROTO_MINOR")),
         ("MIN_SLOTS", const.get("SHMOUT_MIN_SLOTS")),
         ("MAX_SLOTS", const.get("SHMOUT_MAX_SLOTS")),
         ("STATE_INIT", const.get("SHMOUT_STATE_INIT")),
         ("STATE_OPEN", const.get("SHMOUT_STATE_OPEN")),
         ("STATE_CLOSED", const.get("SHMOUT_STATE_CLOSED")),
         ("CONTROL_ACTIVE", const.get("SHMOUT_CONTROL_ACTIVE")),
         ("MEMTYPE_LOCAL", const.get("SHMOUT_MEMTYPE_LOCAL")),
         ("MEMTYPE_GLOBAL", const.get("SHMOUT_MEMTYPE_GLOBAL")),
         ("PTS_UNKNOWN", const.get("SHMOUT_NOPTS")),
         ("PIX_FMT_OTHER", const.get("SHMOUT_PIX_OTHER")),
         ("PLANE_ALIGN", const.get("SHMOUT_PLANE_ALIGN")),
         ("DATA_ALIGN", const.get("SHMOUT_DATA_ALIGN")),
         ("READER_SLOTS_MAX", const.get("SHMOUT_READER_SLOTS_MAX")),
         ("READER_SLOTS_OFFSET", const.get("SHMOUT_READER_SLOTS_OFFSET")),
         ("READER_SLOT_SIZE", size_of(RS)),
         ("LOSSLESS_TIMEOUT_MAX_MS", const.get("SHMOUT_LOSSLESS_TIMEOUT_MAX_MS")),
         ("REG_FREE", const.get("SHMOUT_REG_FREE")),
         ("REG_EVERY", const.get("SHMOUT_REG_EVERY")),
         ("REG_LOSSLESS", const.get("SHMOUT_REG_LOSSLESS"))]
for name, want in SIZES:
    have = getattr(P, name, None)
    report(want is not None and have == want, "%s = %s is the C value" % (name, have),
           "compiled: %s" % want)

readers = field(WP, "readers")
report(readers is not None and readers[1] == P.READER_SLOTS_MAX * P.READER_SLOT_SIZE,
       "the wait object's readers[] holds READER_SLOTS_MAX entries of READER_SLOT_SIZE bytes",
       "compiled: %s" % (readers,))

py_fmts = {code: v[0] for code, v in P.PIX_FMTS.items()}
report(py_fmts == pixfmts and const.get("SHMOUT_PIX_NONE") not in py_fmts,
       "PIX_FMTS has the library's %d pixel-format codes and names" % len(pixfmts),
       "only in Python: %s; only in C: %s" % (sorted(set(py_fmts.items()) - set(pixfmts.items())),
                                              sorted(set(pixfmts.items()) - set(py_fmts.items()))))

# Names: Python's tuples are indexed by value, like C's name functions.
NAMES = [("STATUS_NAMES", "status", dict(enumerate(P.STATUS_NAMES))),
         ("FILL_MODES", "fill_mode", dict(enumerate(P.FILL_MODES))),
         ("SMOOTHNESS", "smoothness", dict(enumerate(P.SMOOTHNESS))),
         ("MEMTYPE_NAMES", "memtype", P.MEMTYPE_NAMES)]
for name, kind, have in NAMES:
    want = names.get(kind, {})
    report(want and have == want, "%s are the library's %s names" % (name, kind),
           "Python %s, C %s" % (have, want))

sys.exit(1 if failed else 0)
