# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Pure data side of the shmout protocol 1.1 (docs/PROTOCOL.md): constants, the name rules
(§3), the layouts of the primary header (§4), geometry (§5), data object and slot descriptors
(§6), the wait object and its registration entries (§7, §21), the pixel-format table (§5) and
the validation every reader must do (§16).

Nothing here touches shared memory: every function works on a private ``bytes`` copy, so a
value that changes while it is checked cannot fool the checks (§16, "copy, then check").
"""

import re
import struct
from dataclasses import dataclass, field
from typing import Optional, Tuple, Union

# --- constants (§4, §6, §7, §21) ---------------------------------------------------------------
# tests/libshmout/test_python_layout.py checks every value, offset and struct format of this
# section against the C header (libshmout/shmout_protocol.h) as compiled.
MAGIC_HEADER = 0x444854554F4D4853   # "SHMOUTHD" as little-endian bytes
MAGIC_SEGMENT = 0x534454554F4D4853  # "SHMOUTDS"
BYTE_ORDER = 0x01020304
VERSION_MAJOR = 1
VERSION_MINOR = 1                   # what this module's writer writes (§17)
PRIMARY_SIZE = 4096
HEADER_SIZE = 1024
SEG_HEADER_SIZE = 256
SLOT_DESC_SIZE = 512
WAIT_SIZE = 4096

STATE_INIT, STATE_OPEN, STATE_CLOSED = 0, 1, 2
STATE_NAMES = {STATE_INIT: "init", STATE_OPEN: "open", STATE_CLOSED: "closed"}
CONTROL_ACTIVE = 1
MEMTYPE_LOCAL, MEMTYPE_GLOBAL = 1, 2
MEMTYPES = {"local": MEMTYPE_LOCAL, "global": MEMTYPE_GLOBAL}
MEMTYPE_NAMES = {v: k for k, v in MEMTYPES.items()}

PTS_UNKNOWN = -(1 << 63)            # INT64_MIN
MAX_DIM = 65536
MAX_BYTES = 1 << 40
MIN_SLOTS, MAX_SLOTS = 2, 16

# Reader registration (1.1, §21)
READER_SLOTS_MAX = 32               # entries in the wait object; a reader uses at most these
READER_SLOTS_OFFSET = 2048          # offset of entry 0 in the wait object
READER_SLOT_SIZE = 64
LOSSLESS_TIMEOUT_MAX_MS = 600000    # header.lossless_timeout_ms bound
REG_FREE, REG_EVERY, REG_LOSSLESS = 0, 1, 2     # entry state; other values are FREE
REG_NAMES = {REG_EVERY: "every", REG_LOSSLESS: "lossless"}

# Names by value, as libshmout's shmout_*_name() give them (§13, §15). STATUS_NAMES is indexed
# by C's enum shmout_block_status; "corrupt" is only in listings (C's, and list_blocks() with
# include_invalid; without it a block whose header fails validation is left out).
STATUS_NAMES = ("active", "inactive", "closed", "stale", "starting", "corrupt")
(STATUS_ACTIVE, STATUS_INACTIVE, STATUS_CLOSED, STATUS_STALE, STATUS_STARTING,
 STATUS_CORRUPT) = STATUS_NAMES
FILL_MODES = ("fill", "fithorizontal", "fitvertical", "best", "outside", "native")
SMOOTHNESS = ("nearest", "linear", "mipmap")

# Layout conventions of the writers (libshmout's and this one), not of the protocol: readers take
# plane offsets and slot areas from the block, never from these (§5, §6).
PLANE_ALIGN = 64
DATA_ALIGN = 4096

# Primary header field offsets (§4)
OFF_MAGIC = 0
OFF_VERSION_MAJOR = 8
OFF_STATE = 20
OFF_CONTROL = 24
OFF_WAKE_WORD = 28
OFF_SEGMENT_GEN = 32
OFF_MEMTYPE = 36
OFF_SESSION = 40
OFF_OWNER_PID = 48
OFF_HEARTBEAT = 64
OFF_CREATED = 72
OFF_FILL_MODE = 80
OFF_SMOOTHNESS = 84
OFF_FPS_MILLI = 88
OFF_RESERVED0 = 92
OFF_NAME = 96
OFF_GEOMETRY_SEQ = 160
OFF_GEOMETRY_GEN = 168
OFF_READER_SLOTS = 176
OFF_LOSSLESS_TIMEOUT = 180
OFF_RESERVED1 = 184
OFF_GEOMETRY = 256
OFF_RESERVED2 = 512
NAME_SIZE = 64
# Data object header offsets (§6)
OFF_SEG_MAGIC = 0
OFF_SEG_VERSION_MAJOR = 8
OFF_LATEST_FRAME = 80
# Slot descriptor offsets (§6)
OFF_SLOT_SEQ = 0
OFF_SLOT_META = 16
OFF_SLOT_GEOMETRY = 256
# Wait object offsets (§7)
OFF_WAITERS = 0
OFF_ACK_WORD = 4
OFF_WRITER_WAITING = 8
OFF_READERS = READER_SLOTS_OFFSET
# Registration entry offsets, relative to the entry (§21)
OFF_REG_STATE = 0
OFF_REG_PID = 4
OFF_REG_SESSION = 8
OFF_REG_ACK = 16
OFF_REG_EVICTED = 24
OFF_REG_ID = 32
OFF_REG_RESERVED = 40

# '<' = standard sizes, no implicit padding: these formats are the byte layout of the spec.
PRIMARY_FMT = struct.Struct("<QHHIIIIIIIQiIQQQIIII64sQQII72x")     # bytes 0..255
GEOMETRY_FMT = struct.Struct("<IIIIQ4Q4I4I4I2i2i5B3x32s96x")      # 256 bytes
SEGMENT_FMT = struct.Struct("<QHHIIIQQQQQQQQ168x")                 # 256 bytes
META_FMT = struct.Struct("<QqqiiQQQQ")                             # 64 bytes
READER_SLOT_FMT = struct.Struct("<IiQQQQ24x")                      # 64 bytes (§21)
# the plain primary fields a writer fills at set-up (§9 step 9), each group at its OFF_*
IDENT_FMT = struct.Struct("<HHII")      # version_major, version_minor, header_size, byte_order
MEMTYPE_FMT = struct.Struct("<I")       # memtype
OWNER_FMT = struct.Struct("<iIQ")       # owner_pid, owner_uid, owner_starttime
CREATED_FMT = struct.Struct("<Q")       # created_ns
GEOMETRY_GEN_FMT = struct.Struct("<Q")  # geometry_gen, written inside the geometry seqlock
READERS_FMT = struct.Struct("<II")      # reader_slots, lossless_timeout_ms (1.1)
REG_PID_FMT = struct.Struct("<i")       # entry pid, the one plain field a reader writes (§21)
assert PRIMARY_FMT.size == 256 and GEOMETRY_FMT.size == 256
assert SEGMENT_FMT.size == 256 and META_FMT.size == 64 and READER_SLOT_FMT.size == 64


class ProtocolError(Exception):
    """A block is corrupt, hostile, of another version, or not a shmout block (errno EPROTO)."""


class Error(Exception):
    """Base class of the package's runtime errors other than ProtocolError."""


class BusyError(Error):
    """The block has a live writer (open step 3 failed: the writer lock is held)."""


class NotReadyError(Error):
    """The block does not exist (yet) or is still being set up and the timeout expired."""


class OverwrittenError(Error):
    """The writer kept overwriting the frame being read (bounded retries exhausted)."""


# --- names (§3) ----------------------------------------------------------------------------------
_NAME_CHARS = re.compile(rb"[A-Za-z0-9_.\-]*\Z")


_PIX_FMT_NAME_CHARS = re.compile(r"[a-z0-9_]+")

# check_name's wording of each rule, in the order it reports them
_NAME_RULES = {
    "ascii": "only ASCII letters, digits, '_', '-' and '.' are allowed",
    "empty": "must be 1 to 63 bytes long (is {len})",
    "long": "must be 1 to 63 bytes long (is {len})",
    "chars": "only letters A-Z a-z, digits 0-9, '_', '-' and '.' are allowed",
    "first": "the first character must be a letter or a digit",
    "dots": "'..' is not allowed anywhere",
}


def name_faults(name: str) -> Tuple[str, ...]:
    """The rules of §3 that the str `name` breaks, by key, in the order of ``_NAME_RULES``
    (empty: a valid name): "ascii" (not ASCII), "empty", "long" (more than 63 bytes), "chars"
    (a byte other than A-Z a-z 0-9 _ - .), "first" (it does not start with a letter or digit),
    "dots" (it contains ".."). Each caller reports the first in its own order: check_name, or
    the command line in libshmout's (shmout_name_validate)."""
    try:
        raw = name.encode("utf-8", "surrogateescape")   # the bytes of an os.fsdecode'd name
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogatepass")
    broken = {"ascii": not raw.isascii(), "empty": not raw, "long": len(raw) > 63,
              "chars": not _NAME_CHARS.match(raw), "first": not raw[:1].isalnum(),
              "dots": b".." in raw}
    return tuple(k for k in _NAME_RULES if broken[k])


def check_name(name: str) -> str:
    """Raise ValueError naming the violated rule of §3 unless `name` is a valid block name."""
    if not isinstance(name, str):
        raise TypeError("block name must be a str, not %s" % type(name).__name__)
    faults = name_faults(name)
    if faults:
        raise ValueError("invalid block name %r: %s"
                         % (name, _NAME_RULES[faults[0]].format(len=len(name))))
    return name


def memtype_code(memtype: Union[str, int]) -> int:
    if isinstance(memtype, int) and memtype in MEMTYPE_NAMES:
        return memtype
    try:
        return MEMTYPES[memtype]     # type: ignore[index]  # anything else: ValueError
    except (KeyError, TypeError):
        raise ValueError("memtype must be 'local' or 'global', not %r" % (memtype,)) from None


def base_name(name: str, memtype: Union[str, int], uid: int) -> str:
    """`<base>` of §3: the primary object name without its leading '/'."""
    check_name(name)
    if memtype_code(memtype) == MEMTYPE_LOCAL:
        return "shmout.u%d.%s" % (uid, name)
    return "shmout.g.%s" % name


def data_name(base: str, gen: int) -> str:
    return "%s@d%d" % (base, gen)


def wait_name(base: str) -> str:
    return base + "@w"


# --- pixel formats (§5) -------------------------------------------------------------------------
def _half(v):
    return (v + 1) // 2


def _packed(k):
    return ((lambda w, h: (w * k, h)),)


def _planar(n, k):
    return tuple((lambda w, h: (w * k, h)) for _ in range(n))


def _each(n, elem):
    return (elem,) * n


def _yuv(ys, cw, ch, n=3, alpha=False):
    planes = [lambda w, h: (w * ys, h)]
    planes += [lambda w, h: (cw(w), ch(h))] * (n - 1)
    if alpha:
        planes.append(lambda w, h: (w * ys, h))
    return tuple(planes)


# code: (name, plane layouts, numpy element (dtype, channels) of each plane). The elements are
# how this module presents a plane as an array (_arrays.py), not a rule of the protocol: a
# plane of `channels` samples per pixel becomes (rows, pixels, channels), or (rows, pixels)
# with one channel.
PIX_FMTS = {
    16: ("rgba", _packed(4), (("u1", 4),)),
    17: ("bgra", _packed(4), (("u1", 4),)),
    18: ("argb", _packed(4), (("u1", 4),)),
    19: ("abgr", _packed(4), (("u1", 4),)),
    20: ("rgb24", _packed(3), (("u1", 3),)),
    21: ("bgr24", _packed(3), (("u1", 3),)),
    22: ("rgb0", _packed(4), (("u1", 4),)),
    23: ("bgr0", _packed(4), (("u1", 4),)),
    32: ("rgba64le", _packed(8), (("<u2", 4),)),
    33: ("bgra64le", _packed(8), (("<u2", 4),)),
    34: ("rgb48le", _packed(6), (("<u2", 3),)),
    48: ("gray", _packed(1), (("u1", 1),)),
    49: ("gray16le", _packed(2), (("<u2", 1),)),
    50: ("grayf32le", _packed(4), (("<f4", 1),)),
    51: ("ya8", _packed(2), (("u1", 2),)),
    52: ("ya16le", _packed(4), (("<u2", 2),)),
    64: ("rg8", _packed(2), (("u1", 2),)),
    65: ("rg16le", _packed(4), (("<u2", 2),)),
    66: ("rgf16le", _packed(4), (("<f2", 2),)),
    67: ("rgf32le", _packed(8), (("<f4", 2),)),
    80: ("gbrp", _planar(3, 1), _each(3, ("u1", 1))),
    81: ("gbrap", _planar(4, 1), _each(4, ("u1", 1))),
    82: ("gbrp16le", _planar(3, 2), _each(3, ("<u2", 1))),
    83: ("gbrap16le", _planar(4, 2), _each(4, ("<u2", 1))),
    84: ("gbrpf32le", _planar(3, 4), _each(3, ("<f4", 1))),
    85: ("gbrapf32le", _planar(4, 4), _each(4, ("<f4", 1))),
    96: ("rgbaf16le", _packed(8), (("<f2", 4),)),
    97: ("rgbaf32le", _packed(16), (("<f4", 4),)),
    98: ("rgbf32le", _packed(12), (("<f4", 3),)),
    99: ("x2rgb10le", _packed(4), (("<u4", 1),)),
    100: ("x2bgr10le", _packed(4), (("<u4", 1),)),
    128: ("yuv420p", _yuv(1, _half, _half), _each(3, ("u1", 1))),
    129: ("yuv422p", _yuv(1, _half, lambda h: h), _each(3, ("u1", 1))),
    130: ("yuv444p", _yuv(1, lambda w: w, lambda h: h), _each(3, ("u1", 1))),
    131: ("yuva420p", _yuv(1, _half, _half, alpha=True), _each(4, ("u1", 1))),
    132: ("yuv420p10le", _yuv(2, lambda w: _half(w) * 2, _half), _each(3, ("<u2", 1))),
    133: ("yuv422p10le", _yuv(2, lambda w: _half(w) * 2, lambda h: h), _each(3, ("<u2", 1))),
    134: ("yuv444p10le", _yuv(2, lambda w: w * 2, lambda h: h), _each(3, ("<u2", 1))),
    135: ("nv12", _yuv(1, lambda w: _half(w) * 2, _half, n=2), (("u1", 1), ("u1", 2))),
    136: ("nv21", _yuv(1, lambda w: _half(w) * 2, _half, n=2), (("u1", 1), ("u1", 2))),
    137: ("p010le", _yuv(2, lambda w: _half(w) * 4, _half, n=2), (("<u2", 1), ("<u2", 2))),
    138: ("yuyv422", ((lambda w, h: (_half(w) * 4, h)),), (("u1", 2),)),
    139: ("uyvy422", ((lambda w, h: (_half(w) * 4, h)),), (("u1", 2),)),
}
PIX_FMT_CODES = {v[0]: k for k, v in PIX_FMTS.items()}
PIX_FMT_OTHER = 1


def pix_fmt_code(pix_fmt: Union[str, int]) -> int:
    """Code of a pixel format given by FFmpeg name or code; ValueError if not in §5's table."""
    if isinstance(pix_fmt, int):
        if pix_fmt in PIX_FMTS:
            return pix_fmt
        raise ValueError("unknown pixel format code %d" % pix_fmt)
    try:
        return PIX_FMT_CODES[pix_fmt]
    except KeyError:
        raise ValueError("unsupported pixel format %r (supported: %s)"
                         % (pix_fmt, ", ".join(sorted(PIX_FMT_CODES)))) from None


# --- structures ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plane:
    """Layout of one plane inside a slot's data area (§5)."""
    offset: int
    linesize: int
    bytewidth: int
    height: int


@dataclass(frozen=True)
class Color:
    """Colour description (§5): H.273 / FFmpeg code points. The defaults are "unspecified":
    2 for matrix, primaries and transfer, 0 for range and chroma location."""
    range: int = 0
    matrix: int = 2
    primaries: int = 2
    transfer: int = 2
    chroma_location: int = 0


@dataclass(frozen=True)
class Geometry:
    """`struct shmout_geometry` (§5), decoded."""
    width: int
    height: int
    pix_fmt: int
    pix_fmt_name: str
    frame_bytes: int
    planes: Tuple[Plane, ...]
    dar: Tuple[int, int] = (0, 0)
    sar: Tuple[int, int] = (0, 0)
    color: Color = field(default_factory=Color)

    @property
    def nb_planes(self) -> int:
        return len(self.planes)

    def pack(self):
        """The 256 bytes of this geometry."""
        off = [0] * 4
        ls = [0] * 4
        bw = [0] * 4
        ht = [0] * 4
        for i, p in enumerate(self.planes):
            off[i], ls[i], bw[i], ht[i] = p.offset, p.linesize, p.bytewidth, p.height
        c = self.color
        return GEOMETRY_FMT.pack(self.width, self.height, self.pix_fmt, len(self.planes),
                                 self.frame_bytes, *off, *ls, *bw, *ht,
                                 self.dar[0], self.dar[1], self.sar[0], self.sar[1],
                                 c.range, c.matrix, c.primaries, c.transfer, c.chroma_location,
                                 self.pix_fmt_name.encode("ascii"))


def _align(v, a):
    return (v + a - 1) // a * a


def make_geometry(width: int, height: int, pix_fmt: Union[str, int] = "rgba",
                  dar: Tuple[int, int] = (0, 0), sar: Tuple[int, int] = (0, 0),
                  color: Optional["Color"] = None) -> "Geometry":
    """Geometry of a tightly packed frame (linesize = bytewidth, planes on 64-byte offsets)."""
    code = pix_fmt_code(pix_fmt)
    for what, v in (("width", width), ("height", height)):
        if not isinstance(v, int) or not 1 <= v <= MAX_DIM:
            raise ValueError("%s must be an integer in 1..%d, not %r" % (what, MAX_DIM, v))
    name, layouts, _ = PIX_FMTS[code]
    planes, pos = [], 0
    for lay in layouts:
        bw, rows = lay(width, height)
        pos = _align(pos, PLANE_ALIGN)
        planes.append(Plane(pos, bw, bw, rows))
        pos += bw * rows
    return Geometry(width, height, code, name, pos, tuple(planes), (dar[0], dar[1]),
                    (sar[0], sar[1]), color or Color())


def _cstring(raw, what):
    nul = raw.find(b"\0")
    if nul < 0:
        raise ProtocolError("%s is not NUL-terminated" % what)
    return raw[:nul].decode("ascii", "replace")


def parse_geometry(raw, capacity=MAX_BYTES, where="geometry"):
    """Decode and validate (§16, "geometry") a private copy of a 256-byte geometry."""
    if len(raw) < GEOMETRY_FMT.size:
        raise ProtocolError("%s: truncated" % where)
    v = GEOMETRY_FMT.unpack_from(raw, 0)
    width, height, code, nb, frame_bytes = v[0:5]
    offs, lss, bws, hts = v[5:9], v[9:13], v[13:17], v[17:21]
    dar, sar = (v[21], v[22]), (v[23], v[24])
    color = Color(*v[25:30])
    name = _cstring(v[30], where + ": pix_fmt_name")
    bad = lambda msg: ProtocolError("%s: %s" % (where, msg))
    if not 1 <= width <= MAX_DIM or not 1 <= height <= MAX_DIM:
        raise bad("size %dx%d out of range 1..65536" % (width, height))
    if code == 0:
        raise bad("pix_fmt 0 (none)")
    if not name:
        raise bad("pix_fmt_name is empty")
    if not _PIX_FMT_NAME_CHARS.fullmatch(name):
        raise bad("pix_fmt_name has characters other than a-z 0-9 _")
    if code in PIX_FMTS and PIX_FMTS[code][0] != name:
        raise bad("pix_fmt %d must be named %r, not %r" % (code, PIX_FMTS[code][0], name))
    if not 1 <= nb <= 4:
        raise bad("nb_planes %d not in 1..4" % nb)
    if frame_bytes > capacity or frame_bytes > MAX_BYTES:
        raise bad("frame_bytes %d larger than the slot capacity %d" % (frame_bytes, capacity))
    planes = []
    for p in range(4):
        if p >= nb:
            if offs[p] or lss[p] or bws[p] or hts[p]:
                raise bad("unused plane %d has non-zero fields" % p)
            continue
        if lss[p] == 0 or bws[p] == 0 or hts[p] == 0:
            raise bad("plane %d has a zero linesize, bytewidth or height" % p)
        if bws[p] > lss[p]:
            raise bad("plane %d bytewidth %d > linesize %d" % (p, bws[p], lss[p]))
        if lss[p] > 0x7FFFFFFF:
            raise bad("plane %d linesize %d too large" % (p, lss[p]))
        if offs[p] > frame_bytes or lss[p] * hts[p] > frame_bytes - offs[p]:
            raise bad("plane %d (offset %d, %d x %d) does not fit frame_bytes %d"
                      % (p, offs[p], lss[p], hts[p], frame_bytes))
        planes.append(Plane(offs[p], lss[p], bws[p], hts[p]))
    return Geometry(width, height, code, name, frame_bytes, tuple(planes), dar, sar, color)


@dataclass(frozen=True)
class Header:
    """The primary header (§4), decoded from a validated private copy."""
    version: tuple
    header_size: int
    state: int
    control: int
    wake_word: int
    segment_gen: int
    memtype: int
    session: int
    owner_pid: int
    owner_uid: int
    owner_starttime: int
    heartbeat_ns: int
    created_ns: int
    fill_mode: int
    smoothness: int
    fps_milli: int
    name: str
    geometry_seq: int
    geometry_gen: int           # 0 when the announced geometry is unavailable (§14)
    geometry: Geometry          # None when the announced geometry is unavailable (§14)
    reader_slots: int = 0       # 1.1 (§21): as written; 0 from a 1.0 writer
    lossless_timeout_ms: int = 0

    @property
    def active(self):
        return bool(self.control & CONTROL_ACTIVE)

    @property
    def usable_reader_slots(self):
        """Registration entries a reader may use: min(reader_slots, 32) (§21). A larger value
        is not a reason to refuse the block, only clamped."""
        return min(self.reader_slots, READER_SLOTS_MAX)


def parse_header(raw, object_size=PRIMARY_SIZE, geometry_raw=None, geometry_unavailable=False):
    """Decode and validate (§16, "primary") a private copy of the primary object's first bytes.

    Returns None when magic is 0 (the block is not initialised yet, §10 attach).
    `geometry_raw`, when given, is a consistent seqlock copy of bytes 168..511 (geometry_gen
    and the announced geometry) to use instead of those bytes in `raw`. With
    `geometry_unavailable` (the seqlock read did not settle, §14) the header has no announced
    geometry (None, geometry_gen 0); that is not an error. The announced geometry is checked on
    its own (capacity bound 2^40), never against a data object (§4).
    """
    if object_size != PRIMARY_SIZE:
        raise ProtocolError("primary object is %d bytes, not %d" % (object_size, PRIMARY_SIZE))
    if len(raw) < HEADER_SIZE:
        raise ProtocolError("primary header truncated")
    v = PRIMARY_FMT.unpack_from(raw, 0)
    magic = v[0]
    if magic == 0:
        return None
    if magic != MAGIC_HEADER:
        swapped = int.from_bytes(magic.to_bytes(8, "little"), "big")
        if swapped == MAGIC_HEADER:
            raise ProtocolError("primary magic is byte-swapped (other byte order)")
        raise ProtocolError("not a shmout block (magic 0x%016x)" % magic)
    (vmaj, vmin, header_size, byte_order, state, control, wake, gen, memtype, session,
     pid, uid, starttime, heartbeat, created, fill, smooth, fps, _res0, name,
     gseq, ggen, reader_slots, lossless_ms) = v[1:]
    if byte_order != BYTE_ORDER:
        raise ProtocolError("byte_order mark 0x%08x, expected 0x01020304" % byte_order)
    if vmaj != VERSION_MAJOR:
        raise ProtocolError("protocol version %d.%d not supported (major must be 1)"
                            % (vmaj, vmin))
    if header_size < HEADER_SIZE or header_size > object_size:
        raise ProtocolError("header_size %d out of range" % header_size)
    if state > STATE_CLOSED:
        raise ProtocolError("state %d invalid" % state)
    if memtype not in MEMTYPE_NAMES:
        raise ProtocolError("memtype %d invalid" % memtype)
    name = _cstring(name, "primary name")
    try:
        check_name(name)        # tools print it: no control characters or escapes (§16)
    except ValueError:
        raise ProtocolError("the block name in the header is not a valid name") from None
    if geometry_unavailable:
        ggen, geometry = 0, None
    else:
        if geometry_raw is not None:
            ggen = GEOMETRY_GEN_FMT.unpack_from(geometry_raw, 0)[0]
            graw = geometry_raw[OFF_GEOMETRY - OFF_GEOMETRY_GEN:]
        else:
            graw = raw[OFF_GEOMETRY:OFF_GEOMETRY + GEOMETRY_FMT.size]
        geometry = parse_geometry(graw, where="announced geometry")
    # reader_slots and lossless_timeout_ms (1.1) are never a reason to refuse a block: a reader
    # uses at most min(reader_slots, 32) entries (§21) and only copies the timeout (§4, §7)
    return Header((vmaj, vmin), header_size, state, control, wake, gen, memtype, session, pid,
                  uid, starttime, heartbeat, created, fill, smooth, fps, name, gseq, ggen,
                  geometry, reader_slots, lossless_ms)


@dataclass(frozen=True)
class Segment:
    """A data object header (§6), decoded from a validated private copy."""
    segment_gen: int
    slot_count: int
    session: int
    slot_table_offset: int
    slot_desc_size: int
    data_offset: int
    data_stride: int
    capacity: int
    segment_size: int
    version: tuple = (1, 0)
    header_size: int = SEG_HEADER_SIZE

    def desc_offset(self, slot):
        return self.slot_table_offset + slot * self.slot_desc_size

    def data_area(self, slot):
        return self.data_offset + slot * self.data_stride


def parse_segment(raw, size, gen):
    """Decode and validate (§16, "data object") a private copy of a data object header.
    `size` is the object's size (fstat) and `gen` the generation in its name."""
    if size < SEG_HEADER_SIZE or len(raw) < SEG_HEADER_SIZE:
        raise ProtocolError("data object is %d bytes, smaller than its header" % size)
    (magic, vmaj, vmin, header_size, sgen, slots, session, sto, sds, doff, stride, cap,
     ssize, _latest) = SEGMENT_FMT.unpack_from(raw, 0)
    bad = lambda msg: ProtocolError("data object @d%d: %s" % (gen, msg))
    if magic != MAGIC_SEGMENT:
        raise bad("bad magic 0x%016x" % magic)
    if vmaj != VERSION_MAJOR:
        raise bad("version %d.%d not supported" % (vmaj, vmin))
    if header_size < SEG_HEADER_SIZE or header_size > size:
        raise bad("header_size %d out of range" % header_size)
    if sgen != gen:
        raise bad("segment_gen %d does not match its name" % sgen)
    if not MIN_SLOTS <= slots <= MAX_SLOTS:
        raise bad("slot_count %d not in 2..16" % slots)
    if sds < SLOT_DESC_SIZE or sds > 65536 or sds % 64:
        raise bad("slot_desc_size %d invalid" % sds)
    if sto < header_size or sto % 64 or sto > size:
        raise bad("slot_table_offset %d invalid" % sto)
    if sto + slots * sds > size:
        raise bad("slot table does not fit the object")
    if doff < sto + slots * sds or doff > size:
        raise bad("data_offset %d invalid" % doff)
    if cap == 0 or cap > MAX_BYTES:
        raise bad("capacity %d invalid" % cap)
    if stride < cap or stride > (size - doff) // slots:
        raise bad("data_stride %d invalid (capacity %d, size %d)" % (stride, cap, size))
    if ssize > size:
        raise bad("segment_size %d larger than the object (%d)" % (ssize, size))
    return Segment(sgen, slots, session, sto, sds, doff, stride, cap, ssize, (vmaj, vmin),
                   header_size)


@dataclass(frozen=True)
class Meta:
    """`struct shmout_frame_meta` (§6)."""
    frame_number: int
    pts: int
    duration: int
    tb_num: int
    tb_den: int
    realtime_ns: int
    monotonic_ns: int
    geometry_gen: int


def parse_slot(desc, n, capacity):
    """Decode and validate (§16, "slot") a consistent private copy of a slot descriptor."""
    meta = Meta(*META_FMT.unpack_from(desc, OFF_SLOT_META)[:8])
    if meta.frame_number != n:
        raise ProtocolError("slot holds frame %d where frame %d was announced"
                            % (meta.frame_number, n))
    geometry = parse_geometry(desc[OFF_SLOT_GEOMETRY:OFF_SLOT_GEOMETRY + GEOMETRY_FMT.size],
                              capacity, "geometry of frame %d" % n)
    return meta, geometry


@dataclass(frozen=True)
class ReaderSlot:
    """Registration entry `index` of the wait object (§21), decoded from a private copy. Only
    informational (tools, tests): the writer and readers act on atomic loads of the fields.
    `state` is the raw value; `mode` is "every", "lossless" or None (FREE, and any other value,
    which counts as FREE)."""
    index: int
    state: int
    pid: int
    session: int
    ack: int
    evicted: int
    reg_id: int

    @property
    def mode(self):
        return REG_NAMES.get(self.state)


def parse_reader_slots(raw, reader_slots=READER_SLOTS_MAX):
    """The first min(reader_slots, 32) registration entries of a private copy of the wait
    object (at least READER_SLOTS_OFFSET + 64 * entries bytes; fewer bytes: fewer entries).
    Every value is accepted: the wait object is never a reason to refuse a block (§16)."""
    out = []
    for i in range(min(max(reader_slots, 0), READER_SLOTS_MAX)):
        off = READER_SLOTS_OFFSET + READER_SLOT_SIZE * i
        if off + READER_SLOT_SIZE > len(raw):
            break
        out.append(ReaderSlot(i, *READER_SLOT_FMT.unpack_from(raw, off)))
    return out
