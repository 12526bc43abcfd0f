# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The reader side of the shmout protocol (docs/PROTOCOL.md §10, §12, §13, §16, §21): attach to
a block, follow its data object across resizes and writer takeovers, wait for frames with the
futex (or by polling), copy out the newest complete frame (or every frame), never a torn one,
and register in the wait object so that the writer counts what an every-frame reader lost or
waits for a lossless reader.

Every value read from shared memory is copied to private memory and validated before use
(``_protocol.parse_*``); a corrupt or hostile block raises ``ProtocolError``. The wait object
is never trusted: whatever it holds costs at most a registration or a wake-up.
"""

import os
import time
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from . import _arrays as A
from . import _protocol as P
from . import _sys as S
from ._protocol import ProtocolError, NotReadyError, OverwrittenError

MAX_RETRIES = 1000        # bounded acquire/copy-out and geometry seqlock retries (§10, §16)
WAIT_SLICE = 0.050        # futex wait slice with a writable wait object (§12)
WAIT_SLICE_NO_WAITOBJ = 0.005
POLL_INTERVAL = 0.002     # §19 polling when no futex is available
_LIVE = (P.STATUS_ACTIVE, P.STATUS_INACTIVE, P.STATUS_STARTING)   # a writer holds the block
_GONE = (P.STATUS_CLOSED, P.STATUS_STALE)                          # the end of a session (§13)


@dataclass(frozen=True)
class BlockInfo:
    """Everything the primary header and the data object tell about a block (``shmout info``).

    ``readers`` is -1 where readers cannot be counted (no /proc/locks, §13). ``latest_frame_ns``
    is the writer's CLOCK_MONOTONIC time of the newest frame (its slot descriptor's
    ``monotonic_ns``, §6), 0 when there is none or it could not be read intact.

    ``probe`` and ``list_blocks(include_invalid=True)`` also describe blocks without a header
    yet (status "starting" or "stale", §13) and, in the listing, blocks that fail validation
    (status "corrupt"): every field after ``status`` is then at its default (readers -1 for a
    corrupt block)."""
    name: str
    memtype: str
    object: str
    status: str
    alive: bool = False
    owner_pid: int = 0
    owner_uid: int = 0
    owner_starttime: int = 0
    session: int = 0
    active: bool = False
    control: int = 0
    state: int = 0
    fill_mode: str = "fill"
    smoothness: str = "nearest"
    fps: float = 0.0
    heartbeat_ns: int = 0
    created_ns: int = 0
    segment_gen: int = 0
    geometry_gen: int = 0
    geometry: Optional[P.Geometry] = None
    slots: int = 0
    capacity: int = 0
    latest_frame: int = 0
    readers: int = -1
    reader_slots: int = 0           # 1.1 (§21): registration entries the writer honours
    lossless_timeout_ms: int = 0    # 1.1: the writer's bound of a lossless wait per frame
    latest_frame_ns: int = 0

    # geometry is None while the announced geometry is unavailable (§14): 0, 0, ""
    @property
    def width(self) -> int:
        return self.geometry.width if self.geometry else 0

    @property
    def height(self) -> int:
        return self.geometry.height if self.geometry else 0

    @property
    def pix_fmt_name(self) -> str:
        return self.geometry.pix_fmt_name if self.geometry else ""


class _FrameMeta:
    """What a frame tells besides its pixels, shared by Frame (a copy) and FrameView (in
    place): number, session, pts (None = unknown), duration, time base, the writer's clocks at
    publication and the frame's own (authoritative) geometry."""

    __slots__ = ("number", "session", "pts", "duration", "tb_num", "tb_den", "realtime_ns",
                 "monotonic_ns", "geometry_gen", "geometry")

    def __init__(self, meta: P.Meta, geometry: P.Geometry, session: int) -> None:
        self.number = meta.frame_number
        self.session = session
        self.pts = None if meta.pts == P.PTS_UNKNOWN else meta.pts
        self.duration = meta.duration
        self.tb_num, self.tb_den = meta.tb_num, meta.tb_den
        self.realtime_ns = meta.realtime_ns
        self.monotonic_ns = meta.monotonic_ns
        self.geometry_gen = meta.geometry_gen
        self.geometry = geometry

    @property
    def width(self) -> int:
        return self.geometry.width

    @property
    def height(self) -> int:
        return self.geometry.height

    @property
    def pix_fmt(self) -> int:
        return self.geometry.pix_fmt

    @property
    def pix_fmt_name(self) -> str:
        return self.geometry.pix_fmt_name

    @property
    def dar(self) -> Tuple[int, int]:
        return self.geometry.dar

    @property
    def sar(self) -> Tuple[int, int]:
        return self.geometry.sar

    @property
    def color(self) -> P.Color:
        return self.geometry.color

    @property
    def time_base(self) -> Tuple[int, int]:
        """(tb_num, tb_den); (0, 0) = unknown."""
        return (self.tb_num, self.tb_den)

    @property
    def pts_seconds(self) -> Optional[float]:
        if self.pts is None or self.tb_den == 0 or self.tb_num == 0:
            return None
        return float(Fraction(self.pts * self.tb_num, self.tb_den))


class Frame(_FrameMeta):
    """One frame copied out of a block. ``data[p]`` holds plane p as bytes, rows packed
    tightly (``plane.bytewidth`` bytes per row, ``plane.height`` rows); ``planes`` is the
    frame's layout in shared memory (``geometry.planes``)."""

    __slots__ = ("data",)

    def __init__(self, meta: P.Meta, geometry: P.Geometry, data: Sequence[bytes],
                 session: int) -> None:
        super().__init__(meta, geometry, session)
        self.data = tuple(data)

    @property
    def planes(self) -> Tuple[P.Plane, ...]:
        return self.geometry.planes

    def plane(self, p: int) -> bytes:
        return self.data[p]

    def tobytes(self) -> bytes:
        """All planes concatenated (tight rows), the layout of ``ffmpeg -f rawvideo``."""
        return b"".join(self.data)

    def __repr__(self) -> str:
        return "<shmout.Frame #%d %dx%d %s pts=%s>" % (self.number, self.width, self.height,
                                                      self.pix_fmt_name, self.pts)

    def plane_to_numpy(self, p: int, copy: bool = False) -> Any:
        """Plane p as a numpy array: (rows, pixels) or (rows, pixels, channels) of the
        format's sample type, as ``FrameView.planes[p]``. Without ``copy`` it is a read-only
        view of the frame's bytes."""
        np = A.numpy()
        pl = self.planes[p]
        arr = A.plane_array(np, self.data[p], 0, P.Plane(0, pl.bytewidth, pl.bytewidth,
                                                          pl.height), A.elements(self.geometry)[p])
        return arr.copy() if copy else arr

    def to_numpy(self, copy: bool = False) -> Any:
        """The frame as a numpy array shaped (height, width, channels): packed formats, and
        planar formats whose planes all have the same size and type (channels in storage
        order, e.g. G, B, R for gbrp). Other layouts (yuv420p, nv12, ...): use
        ``plane_to_numpy``. Without ``copy`` a packed frame's array is a read-only view of
        its bytes."""
        np = A.numpy()
        pls, elems = self.planes, A.elements(self.geometry)
        if len(pls) == 1:
            arr = self.plane_to_numpy(0, copy)
            return arr if arr.ndim == 3 else arr[:, :, np.newaxis]
        if any((q.bytewidth, q.height, e) != (pls[0].bytewidth, pls[0].height, elems[0])
               for q, e in zip(pls, elems)) or elems[0][1] != 1:
            raise ValueError("planes of %s differ in size: use plane_to_numpy(p)"
                             % self.pix_fmt_name)
        return np.stack([self.plane_to_numpy(p) for p in range(len(pls))], axis=2)


class FrameView(_FrameMeta):
    """One frame in place in shared memory: no copy. Use it as a context manager (or call
    ``close``) and read its pixels inside:

        with reader.latest(timeout=1) as f:
            total = f.planes[0].sum()
        if not f.intact: ...             # the writer overwrote the slot meanwhile

    ``planes[p]`` is plane p as a read-only numpy array over the slot, (rows, pixels) or
    (rows, pixels, channels) with the format's sample type and a row stride of the plane's
    linesize (a cv2 image for BGR(A), gray and other 8-bit packed formats); ``buffers[p]``
    is the same plane as a read-only memoryview (``linesize * height`` bytes), numpy or not.

    The writer may overwrite the slot at any time (a lossless reader's views are waited for,
    up to the writer's lossless timeout). ``intact`` tells whether it has not: while the view
    is open, checked at that moment; after ``close``, whether the slot still held this frame
    when the view was closed (so everything read before then was this frame, untorn). With
    ``strict``, close raises OverwrittenError instead of returning with ``intact`` False.
    Closing acknowledges the frame to the writer (every and lossless readers, §21).

    Arrays and memoryviews taken from a view keep the mapping alive: they never point at
    unmapped memory, even after the reader is closed, and closing never raises BufferError.
    But only what is read before ``close`` is checked; after it they show whatever the writer
    puts in the slot next. ``Reader.read`` copies a frame to keep."""

    __slots__ = ("_reader", "_mv", "_base", "_seq", "_s1", "_strict", "_buffers", "_planes",
                 "_intact")

    def __init__(self, reader: "Reader", seg: "_Seg", meta: P.Meta, geometry: P.Geometry,
                 seq_addr: int, s1: int, strict: bool) -> None:
        super().__init__(meta, geometry, seg.hdr.session)
        self._reader = reader
        self._mv: Optional[memoryview] = memoryview(seg.map.mm)   # pins the mapping
        self._base = seg.hdr.data_area(self.number % seg.hdr.slot_count)
        self._seq, self._s1, self._strict = seq_addr, s1, strict
        self._buffers: Optional[Tuple[memoryview, ...]] = None
        self._planes: Optional[Tuple[Any, ...]] = None
        self._intact: Optional[bool] = None

    @property
    def buffers(self) -> Tuple[memoryview, ...]:
        if self._buffers is None:
            mv, b = self._open_mv(), self._base
            self._buffers = tuple(mv[b + pl.offset:b + pl.offset + pl.linesize * pl.height]
                                  for pl in self.geometry.planes)
        return self._buffers

    @property
    def planes(self) -> Tuple[Any, ...]:
        if self._planes is None:
            self._planes = A.plane_arrays(self._open_mv(), self._base, self.geometry)
        return self._planes

    def _open_mv(self) -> memoryview:
        if self._mv is None:
            raise ValueError("frame view #%d is closed" % self.number)
        return self._mv

    @property
    def closed(self) -> bool:
        return self._mv is None

    @property
    def intact(self) -> bool:
        if self._mv is None:
            return bool(self._intact)
        S.fence()               # acquire: the caller's reads of the pixels come before
        return S.load64(self._seq) == self._s1

    def close(self) -> bool:
        """Check the slot (``intact``), acknowledge the frame and let the mapping go; returns
        ``intact``. With ``strict`` a torn frame raises OverwrittenError. Idempotent."""
        if self._mv is None:
            return bool(self._intact)
        ok = self.intact
        self._intact = ok
        self._mv.release()      # slices and arrays made from it keep their own hold
        self._mv = None
        self._reader._view_closed(self, ok)
        if not ok and self._strict:
            raise OverwrittenError("block %r: frame %d was overwritten while it was in use"
                                   % (self._reader.name, self.number))
        return ok

    def __enter__(self) -> "FrameView":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:    # an exception on its way out wins over a torn frame
            self._strict = False
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_mv", None) is not None:
            try:
                self._strict = False
                self.close()
            except Exception:
                pass

    def __repr__(self) -> str:
        return "<shmout.FrameView #%d %dx%d %s pts=%s%s>" % (
            self.number, self.width, self.height, self.pix_fmt_name, self.pts,
            "" if self._mv is not None else " intact" if self._intact else " torn")


class _Seg:
    """A mapped, validated data object. For a previous data object that still holds frames
    this reader has not returned, `last` is the last frame number returned from it and `same`
    tells whether it belongs to the current session."""
    __slots__ = ("map", "hdr", "gen", "last", "same")

    def __init__(self, mapping, hdr, gen):
        self.map, self.hdr, self.gen = mapping, hdr, gen
        self.last, self.same = 0, True

    def latest(self):
        return S.load64(self.map.addr + P.OFF_LATEST_FRAME)

    def acquire(self, n):
        """The first steps of §10 "Acquire" for frame n: (a private copy of its slot
        descriptor, the address of its seq, seq = 2n), the copy taken while seq stayed 2n; or
        None if slot n mod slot_count does not hold frame n intact (overwritten, being
        written). A copy-out of the pixels ends with a last check of seq."""
        d = self.hdr.desc_offset(n % self.hdr.slot_count)
        seq = self.map.addr + d + P.OFF_SLOT_SEQ
        s1 = S.load64(seq)
        if s1 != 2 * n:                     # slot already reused for a newer frame
            return None
        desc = self.map.copy(d, P.SLOT_DESC_SIZE)
        S.fence()
        if S.load64(seq) != s1:
            return None
        return desc, seq, s1

    def newest_meta(self, tries):
        """The Meta of the newest frame, acquired and validated as a read does (§10, §16), or
        None: no frame yet, not seen intact in `tries` attempts, or an invalid descriptor."""
        for _ in range(tries):
            n = self.latest()
            if n == 0:
                return None
            got = self.acquire(n)
            if got is not None:
                try:
                    return P.parse_slot(got[0], n, self.hdr.capacity)[0]
                except ProtocolError:
                    return None
        return None


def _readers_count(st):
    """Readers of the primary object `st` (§13); -1 where they cannot be counted."""
    try:
        return S.count_reader_locks(st, strict=True)
    except OSError:
        return -1


# What a reader owns of the block it is attached to; _maybe_reattach swaps it as a whole.
_ATTACHMENT = (("_fd", None), ("_prim", None), ("_ino", None), ("_wait_map", None),
               ("_wait_fd", None), ("_seg", None), ("_entry", None), ("_reg_mode", P.REG_FREE),
               ("_reg_session", None), ("_acked", 0), ("_reg_tried", None))


class Reader(S.Closeable):
    """Reader of the block `name` (§10).

    ``timeout``: seconds to wait for the block to exist and be initialised; None or 0 = try
    once and raise NotReadyError if it is not there. ``memtype``: "local", "global" or "auto"
    (local, falling back to global, like the shmout tool: at every look while waiting, so a
    block created later of either memtype is found; local wins when both exist).

    Frames come as copies (read, next_frame, frames: ``Frame``, bytes) or in place, with no
    copy (view, next_view, latest, views: ``FrameView``, numpy arrays over the slot checked by
    the seqlock when the view is closed).

    ``lossless``: register as a lossless reader (§21): read() and next_frame() return every
    frame in order (as read_next), and the writer does not overwrite a frame this reader has
    not copied yet, for at most its lossless timeout per frame; then it evicts the reader, which
    counts it (``evictions``, ``evicted_at``), registers again and goes on (the frames lost are
    counted in ``frames_skipped``). Where the writer cannot honour it (a 1.0 writer, no
    writable wait object, all registration entries taken) the reader reads every frame
    unregistered, says so once with a RuntimeWarning, and ``registered`` is None. Without
    ``lossless``, the first every-frame read (read_next, ``every=True``) registers as an every
    reader (the writer then counts what it loses, never waits); newest-frame reads never
    register.

    Counters (§10 "Counting", as libshmout's shmout_reader_stats): ``frames_seen`` (distinct
    frames returned by read), ``frames_skipped`` (frames the writer published that this reader
    never returned, including frames 1 .. n-1 before the first frame n it returned in a
    session, so ``frames_seen + frames_skipped`` is the number of the last frame returned),
    ``frames_before_attach`` (those of frames_skipped published before the reader attached:
    frames 1 .. the newest one then, of the session it attached in; the others were lost to a
    lapping writer), ``evictions`` and ``evicted_at`` (the frame the writer overwrote
    at the last eviction, 0 none), ``torn_retries`` (acquire/copy attempts discarded because
    the writer touched the slot), ``torn_views`` (FrameViews closed with ``intact`` False).
    """

    def __init__(self, name: str, memtype: str = "local", timeout: Optional[float] = None, *,
                 max_retries: int = MAX_RETRIES, lossless: bool = False,
                 _probe: bool = False, _headerless: bool = False) -> None:
        P.check_name(name)
        self.name = name
        self._uid = os.geteuid()
        self._auto = memtype == "auto"
        self.memtype = "local" if self._auto else P.MEMTYPE_NAMES[P.memtype_code(memtype)]
        self.base = P.base_name(name, self.memtype, self._uid)
        self.max_retries = max_retries
        self._probe = _probe
        # _headerless (probe only): a primary without a header is "attached" as _unset, the
        # (status, readers) _no_header found, instead of raising NotReadyError
        self._headerless = _headerless
        self._unset = None
        self.frames_seen = 0
        self.frames_skipped = 0
        self.frames_before_attach = 0
        self.evictions = 0
        self.evicted_at = 0
        self.torn_retries = 0
        self.torn_views = 0
        for attr, value in _ATTACHMENT:
            setattr(self, attr, value)
        # _entry: index of the registration entry whose lock we hold; _reg_mode, _reg_session,
        # _acked: what we registered (§21); _reg_tried: (inode, session) a claim last failed for
        self._lossless = bool(lossless)
        self._every_used = False    # an every-frame read happened: register as every (§21)
        self._reg_count = 0         # registrations made, the low half of reg_id
        self._reg_reason = None     # why the reader is not registered, when it wants to be
        self._warned = False
        self._old = None        # previous data object with frames not returned yet (§13)
        self._last = 0
        self._session = None
        self._end_reported = None   # the end of session (closed/stale) wait() reported (§12)
        self._notify = None         # inotify watch of /dev/shm while attaching, or None
        self._attach(None if not timeout else time.monotonic() + timeout)
        # what was there when we came: frames before it were never ours to read
        self._attach_session = self._seg.hdr.session if self._seg is not None else None
        self._attach_latest = self._seg.latest() if self._seg is not None else 0
        if self._lossless and not _probe:
            try:
                self._sync_registration(self._status_now())
            except BaseException:
                self.close()
                raise
            self._count_me()

    # -- attach / detach ----------------------------------------------------------------------
    def _attach(self, deadline):
        """Attach, waiting until deadline for the block: told of its creation by inotify on
        /dev/shm (watched before the first look, so nothing is missed), polling only where
        there is none; a header is filled in through the mapping, which inotify does not see,
        so a primary without one is looked at every 2 ms. The watch stays open until close
        (closing one takes milliseconds, during which a fast writer's frames go by)."""
        if deadline is not None:
            self._notify = S.dir_watch(S.SHM_DIR)
        while True:
            err = self._try_attach()
            if err is None:
                return
            left = deadline - time.monotonic() if deadline is not None else 0
            if left <= 0 and self._unset is not None:
                self._close_notify()
                return
            if left <= 0:
                self._close_notify()
                raise NotReadyError("block %r (%s): %s" % (
                    self.name, "local or global" if self._auto else self.memtype, err))
            slice_ = 0.002 if err.startswith("not initialised") else \
                0.05 if self._notify is not None else 0.01
            S.dir_wait(self._notify, min(left, slice_))

    def _close_notify(self):
        if self._notify is not None:
            os.close(self._notify)
            self._notify = None

    def _try_attach(self):
        """Attach once (§10). Returns None on success or the reason it is not ready."""
        fd = None
        self._unset = None
        for memtype in ("local", "global") if self._auto else (self.memtype,):
            try:
                fd = S.shm_open(P.base_name(self.name, memtype, self._uid), os.O_RDONLY)
            except FileNotFoundError:
                continue
            # the first found is kept: a later re-attach (§13) looks at the same memtype
            self.memtype, self.base = memtype, P.base_name(self.name, memtype, self._uid)
            self._auto = False
            break
        if fd is None:
            return "does not exist"
        try:
            st = S.fstat_regular(fd, "/" + self.base)
            if self.memtype == "local" and st.st_uid != self._uid:
                raise PermissionError("local block %r is owned by uid %d, not by us (%d)"
                                      % (self.name, st.st_uid, self._uid))
            if st.st_size == 0:
                return self._no_header(fd, st, "size 0")
            if st.st_size != P.PRIMARY_SIZE:
                raise ProtocolError("primary object of %r is %d bytes, not 4096"
                                    % (self.name, st.st_size))
            prim = S.Mapping(fd, st.st_size, writable=False)
        except BaseException:
            os.close(fd)
            raise
        try:
            hdr = self._read_header(prim)
        except BaseException:
            prim.close()
            os.close(fd)
            raise
        if hdr is None:
            prim.close()
            return self._no_header(fd, st, "magic 0")
        self._fd, self._prim, self._ino = fd, prim, st.st_ino
        if not self._probe:
            if not self._lossless:
                self._count_me()
            try:
                wfd = S.shm_open(P.wait_name(self.base), os.O_RDWR)
            except OSError:
                wfd = None
            if wfd is not None:
                try:
                    wst = S.fstat_regular(wfd, "/" + P.wait_name(self.base))
                    # §7: only the primary's owner's, never mapped past its end (no SIGBUS)
                    if wst.st_uid == st.st_uid and wst.st_size >= P.WAIT_SIZE:
                        self._wait_map = S.Mapping(wfd, P.WAIT_SIZE, writable=True)
                except (OSError, ProtocolError):
                    self._wait_map = None
                if self._wait_map is None:
                    os.close(wfd)
                else:
                    self._wait_fd = wfd     # a registration's lock is held through it (§21)
        self._follow()
        return None

    def _no_header(self, fd, st, why):
        """The primary object open at `fd` (`st`) has no header yet: close it and return why
        the block is not ready. With _headerless, first note in _unset what libshmout's
        listing shows of it: "starting" while a writer holds the writer lock, "stale" when its
        writer died setting it up (§13; where there are no OFD locks it cannot be told, so
        "starting"), and its readers."""
        try:
            if self._headerless:
                alive = S.ofd_held(fd, 0, 1) if S.HAVE_OFD else True
                self._unset = (P.STATUS_STARTING if alive else P.STATUS_STALE,
                               _readers_count(st))
        finally:
            os.close(fd)
        return "not initialised yet (%s)" % why

    def _count_me(self):
        """The OFD read lock on byte [1, 2) of the primary that counts us as a reader (§13). A
        lossless reader takes it only after its first registration, so that a writer whose
        wait_readers saw it attached also has its registration."""
        if S.HAVE_OFD:
            try:
                S.ofd_lock(self._fd, False, 1)
            except OSError:
                pass

    def _detach(self):
        self._drop_old()
        self._release(tuple(getattr(self, a) for a, _ in _ATTACHMENT))
        for attr, value in _ATTACHMENT:
            setattr(self, attr, value)

    @staticmethod
    def _release(att):
        """Leave the registration (§21 "Leave": state FREE, then close the descriptor, which
        drops the entry's lock), unmap and close what an attachment (an _ATTACHMENT tuple) holds
        and release the reader lock."""
        fd, prim, _ino, wait_map, wait_fd, seg, entry = att[:7]
        if entry is not None and wait_map is not None:
            S.store32(wait_map.addr + P.OFF_READERS + P.READER_SLOT_SIZE * entry
                      + P.OFF_REG_STATE, P.REG_FREE)                 # release
        for m in (seg and seg.map, wait_map, prim):
            if m is not None:
                m.close()
        for d in (wait_fd, fd):
            if d is not None:
                os.close(d)

    def close(self) -> None:
        """Leave the registration, unmap everything and release the reader lock."""
        self._detach()
        self._close_notify()

    def _check_open(self):
        if self._prim is None:
            raise ValueError("reader is closed")

    # -- primary header -----------------------------------------------------------------------
    def _read_header(self, prim):
        """Copy and validate the primary header; the announced geometry through its seqlock
        (§14). Returns None when magic is 0."""
        a = prim.addr
        if S.load64(a + P.OFF_MAGIC) == 0:
            return None         # checked first: nothing else is meaningful yet (§10 attach)
        for _ in range(self.max_retries):
            s1 = S.load64(a + P.OFF_GEOMETRY_SEQ)
            if s1 & 1:
                time.sleep(0)
                continue
            g = prim.copy(P.OFF_GEOMETRY_GEN,
                          P.OFF_GEOMETRY + P.GEOMETRY_FMT.size - P.OFF_GEOMETRY_GEN)
            S.fence()
            if S.load64(a + P.OFF_GEOMETRY_SEQ) == s1:
                break
        else:
            # §14: odd for good (a writer died inside the window) or changing all the time:
            # the announced geometry is unavailable, which is not an error
            g = None
        if S.load64(a + P.OFF_MAGIC) == 0:
            return None
        raw = prim.copy(0, P.HEADER_SIZE)
        return P.parse_header(raw, prim.size, g, geometry_unavailable=g is None)

    def header(self) -> P.Header:
        """The validated primary header (a private copy)."""
        self._check_open()
        h = self._read_header(self._prim)
        if h is None:
            raise ProtocolError("block %r: primary magic became 0" % self.name)
        return h

    # -- liveness (§13) -----------------------------------------------------------------------
    def _writer_alive(self):
        if S.READER_OFD:
            return S.ofd_held(self._fd, 0, 1)
        # §19 fallback: pid + starttime in our pid namespace, else heartbeat age
        h = self.header()
        if h.owner_starttime and os.path.isdir("/proc/self"):
            return S.proc_starttime(h.owner_pid) == h.owner_starttime
        return S.monotonic_ns() - h.heartbeat_ns < 3_000_000_000

    def _status_now(self):
        a = self._prim.addr
        state = S.load32(a + P.OFF_STATE)
        if state == P.STATE_CLOSED:
            return P.STATUS_CLOSED
        if not self._writer_alive():
            return P.STATUS_STALE
        if state == P.STATE_INIT:
            return P.STATUS_STARTING
        if state != P.STATE_OPEN:
            raise ProtocolError("block %r: state %d invalid" % (self.name, state))
        return (P.STATUS_ACTIVE if S.load32(a + P.OFF_CONTROL) & P.CONTROL_ACTIVE
                else P.STATUS_INACTIVE)

    def _maybe_reattach(self, status):
        """§13: a closed or stale block whose name now refers to another primary object (it was
        removed and created again) is left for the new one."""
        if status not in _GONE or self._has_new():
            return status       # §13 "End of a session": first return what is left
        try:
            st = os.stat(S.shm_path(self.base), follow_symlinks=False)
        except OSError:
            return status
        if st.st_ino == self._ino:
            return status
        old = tuple(getattr(self, a) for a, _ in _ATTACHMENT)
        for attr, value in _ATTACHMENT:
            setattr(self, attr, value)
        try:
            err = self._try_attach()
        except (ProtocolError, OSError):
            err = "invalid"
        if err is not None:
            self._release(tuple(getattr(self, a) for a, _ in _ATTACHMENT))  # a half attach
            for (attr, _), value in zip(_ATTACHMENT, old):
                setattr(self, attr, value)
            return status
        self._release(old)      # the registration, if any, is made again in the new @w
        self._drop_old()
        # frame numbers restart with the new object (its session may have the same number)
        self._session = self._seg.hdr.session if self._seg is not None else None
        self._last = 0
        status = self._status_now()
        if self._lossless and not self._probe:
            self._sync_registration(status)     # in the new wait object, then counted
            self._count_me()
        return status

    @property
    def status(self) -> str:
        """"active", "inactive", "starting", "closed" or "stale" (writer died), §13."""
        self._check_open()
        return self._maybe_reattach(self._status_now())

    @property
    def alive(self) -> bool:
        return self.status in _LIVE

    # -- data object (§10 "Follow the data object") -------------------------------------------
    def _follow(self):
        g = S.load32(self._prim.addr + P.OFF_SEGMENT_GEN)
        if g == 0 or (self._seg is not None and self._seg.gen == g):
            return
        try:
            fd = S.shm_open(P.data_name(self.base, g), os.O_RDONLY)
        except FileNotFoundError:
            return      # the writer closed or is moving again: keep the current mapping
        try:
            size = S.fstat_regular(fd, "/" + P.data_name(self.base, g)).st_size
            if size < P.SEG_HEADER_SIZE:
                raise ProtocolError("data object @d%d of %r is %d bytes" % (g, self.name, size))
            m = S.Mapping(fd, size, writable=False)
        finally:
            os.close(fd)
        try:
            hdr = P.parse_segment(m.copy(0, P.SEG_HEADER_SIZE), size, g)
        except BaseException:
            m.close()
            raise
        old, self._seg = self._seg, _Seg(m, hdr, g)
        self._drop_old()
        if old is not None:
            if old.latest() > self._last:
                # frames published before a resize, close or crash are never lost (§13):
                # keep the old mapping until they have been returned
                old.last, old.same = self._last, old.hdr.session == hdr.session
                self._old = old
            else:
                old.map.close()  # frames are copied out: nothing points into it any more
        if self._session is not None and hdr.session != self._session:
            self._last = 0      # a new writer took over: frame numbers restart
        self._session = hdr.session

    def _drop_old(self):
        if self._old is not None:
            self._old.map.close()
            self._old = None

    def _old_pending(self):
        old = self._old
        if old is None:
            return False
        if old.latest() > old.last:
            return True
        self._drop_old()
        return False

    def _has_new(self):
        """A frame newer than the last one returned exists (in the current or an older data
        object)."""
        return self._latest() > self._last or self._old_pending()

    def _latest(self):
        seg = self._seg
        return 0 if seg is None else S.load64(seg.map.addr + P.OFF_LATEST_FRAME)

    def _poll(self):
        self._check_open()
        status = self._maybe_reattach(self._status_now())
        self._follow()
        self._sync_registration(status)
        return status

    # -- registration (§21) -------------------------------------------------------------------
    def _entry_addr(self):
        return self._wait_map.addr + P.OFF_READERS + P.READER_SLOT_SIZE * self._entry

    @property
    def registered(self) -> Optional[str]:
        """How the writer knows this reader now (§21): "lossless", "every" or None (not
        registered: only newest-frame reads so far, or the writer cannot honour a
        registration). Right after an eviction, until the next read, it is "every"."""
        if self._entry is None or self._wait_map is None:
            return None
        return P.REG_NAMES.get(S.load32(self._entry_addr() + P.OFF_REG_STATE))

    def _sync_registration(self, status):
        """Register as the reads need (lossless, or every after an every-frame read): claim an
        entry, and register again for each new session this reader follows (§21 "Register",
        with the session S of the data object it reads and A the last frame returned in S).
        A lossless reader of a closed or stale block registers for the session the next writer
        will use (S + 1). Sessions only go forward, so the two never alternate."""
        want = P.REG_LOSSLESS if self._lossless else (P.REG_EVERY if self._every_used else 0)
        if not want or self._probe or self._prim is None:
            return
        a = self._prim.addr
        seg = self._seg
        target = seg.hdr.session if seg is not None else S.load64(a + P.OFF_SESSION)
        if want == P.REG_LOSSLESS and status in _GONE:
            s = S.load64(a + P.OFF_SESSION)
            # still gone after that load: s is the last writer's session, not its successor's
            if self._status_now() in _GONE:
                target = max(target, (s + 1) & 0xFFFFFFFFFFFFFFFF)
        if self._reg_session is not None:
            target = max(target, self._reg_session)
        if self._entry is not None and target == self._reg_session:
            if self._reg_mode != want:
                self._register(want, target)
            return
        if self._entry is None and self._reg_tried == (self._ino, target):
            return                  # no entry for this session: tried already
        self._reg_tried = (self._ino, target)
        reason = self._claim()
        if reason is not None:
            self._leave()
            self._reg_reason = reason
            if self._lossless and not self._warned:
                self._warned = True
                warnings.warn("shmout: reader of block %r is not lossless: %s; it reads every "
                              "frame unregistered, and the writer does not wait for it"
                              % (self.name, reason), RuntimeWarning, stacklevel=4)
            return
        self._register(want, target)

    def _claim(self):
        """Own a registration entry the current writer honours (§21 "Ownership"): keep ours,
        or take the first entry whose OFD write lock we get. Returns None or why not."""
        if self._wait_map is None or self._wait_fd is None:
            return "the block has no wait object this reader can write (PROTOCOL.md §7)"
        if not S.READER_OFD:
            return "OFD locks are not available here"
        try:
            h = self.header()
        except ProtocolError as e:
            return "its header cannot be read (%s)" % e
        limit = h.usable_reader_slots
        if limit == 0:
            return ("its writer does not take reader registrations (protocol %d.%d, "
                    "reader_slots 0)" % h.version)
        if self._entry is not None:
            if self._entry < limit:
                return None
            self._leave()
        for i in range(limit):
            off = P.OFF_READERS + P.READER_SLOT_SIZE * i
            try:
                if not S.ofd_lock(self._wait_fd, True, off):
                    continue
            except OSError as e:
                return "its wait object cannot be locked (%s)" % e.strerror
            self._entry = i
            # a dead owner's registration is no longer honoured from here on
            S.store32(self._entry_addr() + P.OFF_REG_STATE, P.REG_FREE)
            return None
        return "all %d registration entries of its wait object are taken" % limit

    def _leave(self):
        """§21 "Leave" while staying attached: state FREE, then drop the entry's lock."""
        if self._entry is None:
            return
        S.store32(self._entry_addr() + P.OFF_REG_STATE, P.REG_FREE)   # release
        try:
            S.ofd_unlock(self._wait_fd, P.OFF_READERS + P.READER_SLOT_SIZE * self._entry)
        except OSError:
            pass
        self._entry, self._reg_mode, self._reg_session, self._acked = None, P.REG_FREE, None, 0

    def _register(self, mode, session):
        """§21 "Register" in our entry: evicted, pid, ack, session, reg_id, then state. An
        eviction of our lossless registration still in the entry is counted first (this is the
        only place that clears `evicted`)."""
        e = self._entry_addr()
        if self._reg_mode == P.REG_LOSSLESS and S.load32(e + P.OFF_REG_STATE) == P.REG_EVERY:
            ev = S.load64(e + P.OFF_REG_EVICTED)                     # acquire
            if ev:
                self.evictions += 1
                self.evicted_at = ev
        ack = self._last if session == self._session else 0
        pid = os.getpid()
        self._reg_count = (self._reg_count + 1) & 0xFFFFFFFF
        S.store64(e + P.OFF_REG_EVICTED, 0)                          # relaxed
        P.REG_PID_FMT.pack_into(self._wait_map.mm, e - self._wait_map.addr + P.OFF_REG_PID,
                                pid)                                 # plain
        S.store64(e + P.OFF_REG_ACK, ack)                            # release
        S.store64(e + P.OFF_REG_SESSION, session)                    # release
        S.store64(e + P.OFF_REG_ID, (pid & 0xFFFFFFFF) << 32 | self._reg_count)   # relaxed
        S.store32(e + P.OFF_REG_STATE, mode)                         # release, last
        self._reg_mode, self._reg_session, self._acked = mode, session, ack
        self._reg_reason = None
        if mode == P.REG_LOSSLESS:
            self._kick()

    def _kick(self):
        """ack_word += 1 (seq_cst), then wake the writer if it waits on it (§21)."""
        w = self._wait_map.addr
        S.fetch_add32(w + P.OFF_ACK_WORD, 1)
        if S.load32(w + P.OFF_WRITER_WAITING) != 0:
            S.futex_wake(w + P.OFF_ACK_WORD)

    def _ack(self, n, session):
        """§21 "Acknowledge": done with frame n of `session` (copied and validated, or found
        overwritten). ack never decreases within a session."""
        if self._entry is None or session != self._reg_session or n <= self._acked:
            return
        S.store64(self._entry_addr() + P.OFF_REG_ACK, n)            # release
        self._acked = n
        if self._reg_mode == P.REG_LOSSLESS:
            self._kick()

    def _check_registration(self):
        """Before a frame is returned (§21 "Eviction, seen by the reader"): a lossless
        registration the writer turned into an every one with evicted != 0 was evicted; count
        it and register again as lossless with ack = the last frame returned. Any other
        change of our entry's state (a hostile write, a wrong reclaim) is repaired silently."""
        if self._entry is None:
            return
        if S.load32(self._entry_addr() + P.OFF_REG_STATE) != self._reg_mode:    # acquire
            self._register(self._reg_mode, self._reg_session)

    # -- frames ---------------------------------------------------------------------------------
    @property
    def last_frame_number(self) -> int:
        """Number of the last frame read() returned in this session (0: none)."""
        return self._last

    def read(self) -> Optional[Frame]:
        """Copy out the newest complete frame (§10), or None if the block has none yet. A
        lossless reader returns the next frame instead, as read_next.

        Frames left in a previous data object (published before a resize or before the writer
        closed, crashed or was replaced) are returned first, newest first (§13).

        Memory order (§10, §11) in CPython: ``S.load64`` is a seq_cst atomic load (covers the
        acquire loads of latest_frame and seq), ``S.fence()`` is the acquire fence before the
        second and third loads of seq; the descriptor and pixel copies are plain memcpy's that
        may race with the writer and are only kept if seq is unchanged afterwards."""
        return self._read(every=False)

    def read_next(self) -> Optional[Frame]:
        """Copy out the frame after the last one returned (§10 "Reading every frame"), or None
        if there is no newer frame. Frames the writer overwrote before they could be read are
        counted in ``frames_skipped``; a reader that returned nothing yet starts at the oldest
        frame still in the ring. A frame overwritten before or while it is copied is lost,
        never retried (§10)."""
        return self._read(every=True)

    def _read(self, every, view=None):
        """read() / read_next(), or with `view` (its `strict`: True/False) the same frame as
        a FrameView."""
        every = every or self._lossless
        if every:
            self._every_used = True
        self._poll()
        self._check_registration()
        old = self._old
        if old is not None and self._old_pending():
            if every and old.same:
                # every frame, in order: those left in the data object the writer moved away
                # from (a resize, same session) come before the new object's; none at or
                # below the last one returned will be
                last = old.last = max(old.last, self._last)
                take = old.latest() > last
            else:
                last = old.last
                take = self._latest() <= self._last
            if take:
                frame = self._copy(old, last, every, view)
                if frame is not None:
                    old.last = frame.number
                    if old.same:
                        self._last = max(self._last, frame.number)
                    return frame
                if every and old.same:
                    old.last = max(last, old.latest())   # the rest of it is lost: done with it
        seg = self._seg
        if seg is None:
            return None
        frame = self._copy(seg, self._last, every, view)
        if frame is not None:
            self._last = max(self._last, frame.number)
        return frame

    def _copy(self, seg, last, every, view=None):
        """Newest frame of `seg` or, with `every`, the first one after `last` that is still
        intact (a copy, or with `view` a FrameView, acknowledged when it is closed); updates
        the counters (relative to `last`, the last number returned from the session of
        `seg`)."""
        a, slots = seg.map.addr, seg.hdr.slot_count
        n = None
        for _ in range(self.max_retries):
            latest = S.load64(a + P.OFF_LATEST_FRAME)
            if latest == 0:
                return None
            if not every:
                n = latest
            else:
                # §10: after `last` (0: nothing returned yet in this session), the oldest the
                # ring can still hold.
                if n is None:
                    n = last + 1
                n = max(n, latest - slots + 1)
                if n > latest:
                    return None
            frame = self._copy_one(seg, n, view)
            if frame is not None:
                if n != last:
                    self.frames_seen += 1
                    if not last:        # the first frame of the session: 1 .. n-1 skipped
                        self.frames_skipped += n - 1
                        if seg.hdr.session == self._attach_session:
                            self.frames_before_attach += min(n - 1, self._attach_latest)
                    elif n > last:
                        self.frames_skipped += n - last - 1
                if view is None:
                    self._ack(n, seg.hdr.session)
                return frame
            self.torn_retries += 1
            if every:           # §10: seq never returns to 2n: frame n is lost, go on with n + 1
                self._ack(n, seg.hdr.session)   # (it will not be read: §21 "Acknowledge")
                n += 1          # (counted as skipped when a later frame is returned)
        raise OverwrittenError("block %r: the writer kept overwriting the frame (%d retries)"
                               % (self.name, self.max_retries))

    def _copy_one(self, seg, n, view=None):
        """Steps of §10 "Acquire" + copy-out for frame n: the Frame (with `view`: the
        FrameView, whose close does the last step), or None if slot n mod slot_count does not
        hold frame n intact (overwritten, being written)."""
        got = seg.acquire(n)
        if got is None:
            return None
        desc, seq, s1 = got
        m, h = seg.map, seg.hdr
        meta, geo = P.parse_slot(desc, n, h.capacity)
        if view is not None:
            return FrameView(self, seg, meta, geo, seq, s1, view)
        base = h.data_area(n % h.slot_count)
        data = []
        for pl in geo.planes:
            start = base + pl.offset
            if pl.linesize == pl.bytewidth:
                data.append(m.copy(start, pl.bytewidth * pl.height))
            else:
                mm, ls, bw = m.mm, pl.linesize, pl.bytewidth
                data.append(b"".join(mm[start + y * ls:start + y * ls + bw]
                                     for y in range(pl.height)))
        S.fence()
        if S.load64(seq) != s1:              # overwritten while copying: discard
            return None
        return Frame(meta, geo, data, h.session)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until a frame newer than the last one read() returned exists (§12). Returns
        True, or False when `timeout` seconds (None = forever) passed or, at once, the first
        time the writer is seen gone (closed or stale, within one wait slice of its death) with
        no newer frame left; check ``status`` then to tell a quiet writer from a gone one.
        While the block stays closed or stale, later calls wait for a new writer."""
        self._check_open()
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        while True:
            status = self._poll()
            # after _poll: it may have moved to a re-created primary object (§13)
            wake = self._prim.addr + P.OFF_WAKE_WORD
            if status in _GONE:
                if self._has_new():
                    return True         # §13: frames published before the end come first
                # once per end: a writer that took over and died since is a new end
                if (status, self._session) != self._end_reported:
                    self._end_reported = (status, self._session)
                    return False        # §12: the end of the session is reported at once
            else:
                self._end_reported = None
            remaining = None if deadline is None else deadline - time.monotonic()
            # futex with the wait object (registered as a waiter), futex without it (shorter
            # slices: the writer may not wake us), or polling (§19: no futex, no wait object)
            waiters = (self._wait_map.addr + P.OFF_WAITERS
                       if S.HAVE_FUTEX and self._wait_map is not None else None)
            step = (WAIT_SLICE if waiters is not None else WAIT_SLICE_NO_WAITOBJ) \
                if S.HAVE_FUTEX else POLL_INTERVAL
            if waiters is not None:
                S.fetch_add32(waiters, 1)
            try:
                w0 = S.load32(wake) if S.HAVE_FUTEX else None
                if self._has_new():
                    return True
                if remaining is not None and remaining <= 0:
                    return False
                step = step if remaining is None else min(remaining, step)
                if S.HAVE_FUTEX:
                    S.futex_wait(wake, w0, step)
                else:
                    time.sleep(step)
            finally:
                if waiters is not None:
                    S.fetch_sub32(waiters, 1)
            if deadline is not None and time.monotonic() >= deadline:
                self._poll()
                return self._has_new()

    def next_frame(self, timeout: Optional[float] = None,
                   every: bool = False) -> Optional[Frame]:
        """wait() then read() (or read_next() with `every`, or when lossless): the next new
        frame, or None on timeout or when the writer is first seen gone (§12)."""
        return self._next(timeout, every, None)

    def _next(self, timeout, every, view):
        """wait() then _read() until a frame (a copy, or with `view` a FrameView) comes."""
        while self.wait(timeout):
            f = self._read(every, view)
            if f is not None:
                return f
        return None

    def frames(self, timeout: Optional[float] = None,
               every: bool = False) -> Iterator[Frame]:
        """Iterate over new frames (the newest each time, or every frame with `every`) until
        no new frame comes within `timeout` seconds, or the writer closes or dies (after its
        last frames, §13)."""
        while True:
            f = self.next_frame(timeout, every)
            if f is None:
                return
            yield f

    __iter__ = frames

    # -- frames in place (zero-copy) ------------------------------------------------------------
    def view(self, every: bool = False, strict: bool = False) -> Optional[FrameView]:
        """The newest complete frame (with `every`, or for a lossless reader: the frame after
        the last one returned, as read_next) as a FrameView over the slot, or None if there is
        none. Counted and ordered as read() / read_next(); acknowledged when it is closed."""
        return self._read(every, bool(strict))

    def next_view(self, timeout: Optional[float] = None, every: bool = False,
                  strict: bool = False) -> Optional[FrameView]:
        """wait() then view(): the next new frame in place, or None on timeout or when the
        writer is first seen gone (§12), as next_frame."""
        return self._next(timeout, every, bool(strict))

    def latest(self, timeout: Optional[float] = None, strict: bool = False) -> FrameView:
        """The newest frame newer than the last one returned, in place, for a ``with`` block
        (a lossless reader's come in order, every one). Waits for it up to `timeout` seconds
        (None: for ever; 0: not at all) and raises TimeoutError if none came, or, at once,
        when the writer is seen gone with no newer frame (the message says which)."""
        v = self.next_view(timeout, False, strict)
        if v is None:
            status = self.status
            if status in _GONE:
                raise TimeoutError("block %r is %s: no new frame" % (self.name, status))
            raise TimeoutError("block %r: no new frame within %g s (block is %s)"
                               % (self.name, timeout or 0, status))
        return v

    def views(self, timeout: Optional[float] = None, every: bool = False,
              strict: bool = False) -> Iterator[FrameView]:
        """Iterate over new frames in place, as frames(); each view is closed (checked and
        acknowledged) when the loop goes on to the next one, or when the loop ends. Check
        ``intact`` inside the loop body to know whether what was read so far is untorn."""
        while True:
            v = self.next_view(timeout, every, strict)
            if v is None:
                return
            try:
                yield v
            finally:
                v.close()

    def _view_closed(self, v: FrameView, intact: bool) -> None:
        """A FrameView of this reader was closed: count a torn one, acknowledge the frame
        (§21: a lossless writer may reuse the slot from now on)."""
        if not intact:
            self.torn_views += 1
        if self._prim is not None:
            self._ack(v.number, v.session)

    # -- info -----------------------------------------------------------------------------------
    def info(self) -> BlockInfo:
        """A BlockInfo snapshot of the block (header, status, data object, readers)."""
        if self._prim is None and self._unset is not None:      # probe: no header yet
            status, readers = self._unset
            return BlockInfo(self.name, self.memtype, "/" + self.base, status,
                             alive=status in _LIVE, readers=readers)
        status = self.status
        self._follow()
        h = self.header()
        seg = self._seg
        meta = seg.newest_meta(self.max_retries) if seg is not None else None
        st = os.fstat(self._fd)
        return BlockInfo(
            name=self.name, memtype=self.memtype, object="/" + self.base, status=status,
            alive=status in _LIVE, owner_pid=h.owner_pid,
            owner_uid=h.owner_uid, owner_starttime=h.owner_starttime, session=h.session,
            active=h.active, control=h.control, state=h.state,
            fill_mode=P.FILL_MODES[h.fill_mode] if h.fill_mode < len(P.FILL_MODES) else "fill",
            smoothness=(P.SMOOTHNESS[h.smoothness] if h.smoothness < len(P.SMOOTHNESS)
                        else "linear"),
            fps=h.fps_milli / 1000.0, heartbeat_ns=h.heartbeat_ns, created_ns=h.created_ns,
            segment_gen=h.segment_gen, geometry_gen=h.geometry_gen, geometry=h.geometry,
            slots=seg.hdr.slot_count if seg else 0, capacity=seg.hdr.capacity if seg else 0,
            latest_frame=self._latest(), readers=_readers_count(st),
            reader_slots=h.reader_slots, lossless_timeout_ms=h.lossless_timeout_ms,
            latest_frame_ns=meta.monotonic_ns if meta is not None else 0)


def inspect(name: str, memtype: str = "local") -> BlockInfo:
    """BlockInfo of one block without attaching as a reader (no reader lock, no wait object)."""
    with Reader(name, memtype, _probe=True) as r:
        return r.info()


def probe(name: str, memtype: str = "local") -> BlockInfo:
    """BlockInfo of one block as ``shmout info`` shows it: that of ``inspect``, and also one of a
    block whose primary object has no header yet (size 0 or magic 0, §10): status "starting"
    while a writer holds it, "stale" when its writer died setting it up (§13; the next writer
    of the name takes it over), the other fields at their defaults but ``alive`` and
    ``readers``. Raises NotReadyError if the block does not exist, ProtocolError if it fails
    validation."""
    with Reader(name, memtype, _probe=True, _headerless=True) as r:
        return r.info()


def list_blocks(include_invalid: bool = False) -> List[BlockInfo]:
    """BlockInfo of every block this user can see: its local blocks and all global ones, in
    the order of their object names. Blocks that cannot be read or validated are left out.

    With `include_invalid`, every block ``shmout ls`` lists: also those without a header yet
    (as ``probe`` gives them) and those that fail validation, as status "corrupt" (every other
    field at its default, readers -1); and a /dev/shm that cannot be listed raises OSError
    instead of giving an empty list."""
    uid = os.geteuid()
    local_prefix = "shmout.u%d." % uid
    out: List[BlockInfo] = []
    try:
        names = sorted(os.listdir(S.SHM_DIR))
    except OSError:
        if include_invalid:
            raise
        return out
    for entry in names:
        if "@" in entry:
            continue
        if entry.startswith(local_prefix):
            name, memtype = entry[len(local_prefix):], "local"
        elif entry.startswith("shmout.g."):
            name, memtype = entry[len("shmout.g."):], "global"
        else:
            continue
        try:
            out.append(probe(name, memtype) if include_invalid else inspect(name, memtype))
        except ProtocolError:
            if include_invalid:     # (a name that is not a block name is a ValueError)
                out.append(BlockInfo(name, memtype, "/" + entry, P.STATUS_CORRUPT))
        except (ValueError, OSError, P.Error):
            continue
    return out
