# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""The writer side of the shmout protocol (docs/PROTOCOL.md §9, §12-§15, §21): create or take
over a block, reserve its storage, publish frames round the slot ring with the seqlock, wait (up
to a bound) for lossless readers before a slot is reused, count what every registered reader
lost, wake waiting readers, keep the liveness fields fresh, flip the active toggle, change
geometry, wait for readers to attach and close.
"""

import errno
import os
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _arrays as A
from . import _protocol as P
from . import _sys as S
from ._protocol import ProtocolError, BusyError

_MODES = {P.MEMTYPE_LOCAL: (0o600, 0o600), P.MEMTYPE_GLOBAL: (0o644, 0o666)}


def _align(v, a):
    return (v + a - 1) // a * a


def _unlink_data_objects(base):
    prefix = base + "@d"
    try:
        names = os.listdir(S.SHM_DIR)
    except OSError:
        return
    for n in names:
        if n.startswith(prefix) and n[len(prefix):].isdigit():
            try:
                S.shm_unlink(n)
            except OSError:
                pass        # e.g. another user's object in the sticky /dev/shm (§9 step 6)


GEN_TRIES = 16              # data-object generations tried before giving up (§9 step 8)
WAIT_SLICE_NS = 10_000_000  # the longest sleep on ack_word: dead readers are noticed (§21)


@dataclass(frozen=True)
class WriterStats:
    """What a writer knows of its readers (``Writer.stats``), as libshmout's
    shmout_writer_stats: ``frames`` published in this session, ``lossless_waits`` frames that
    waited for a lossless reader and ``lossless_wait_ns`` the time spent in those waits,
    ``evictions`` lossless registrations evicted at the bound, ``reclaimed`` registrations of
    dead lossless readers freed, ``slowest_reader_lost`` the most frames one registration
    (entry and reg_id) lost (overwritten before it had acknowledged them), ``registered``
    registrations of this session seen at the last frame that reused a slot (§21)."""
    frames: int
    lossless_waits: int
    lossless_wait_ns: int
    evictions: int
    reclaimed: int
    slowest_reader_lost: int
    registered: int


def _aspect(width, height, dar, sar):
    """(dar, sar) of a width x height frame from what was given (None: not given): square
    pixels when neither was, and the one not given follows from the other (0:0, unknown, only
    when the given one is unknown)."""
    def reduce(num, den):
        if num <= 0 or den <= 0:
            return (0, 0)
        f = Fraction(num, den).limit_denominator(0x7FFFFFFF)
        return (f.numerator, f.denominator) if f.numerator <= 0x7FFFFFFF else (0, 0)
    if dar is None and sar is None:
        sar = (1, 1)
    if dar is None:
        dar = reduce(width * sar[0], height * sar[1])
    elif sar is None:
        sar = reduce(dar[0] * height, dar[1] * width)
    return tuple(dar), tuple(sar)


def _new_data_object(base, gen, session, slots, capacity, mode, uid):
    """§9 step 8 "Creating a new data object": generation `gen`, or the next ones (skipping 0)
    when a name cannot be freed; an object found at a name is never used."""
    for i in range(GEN_TRIES):
        try:
            S.shm_unlink(P.data_name(base, gen))    # a crashed writer's leftover: ours
        except OSError:
            pass
        try:
            return _DataObject(base, gen, session, slots, capacity, mode, uid)
        except FileExistsError:
            if i == GEN_TRIES - 1:
                raise
            gen = (gen + 1) & 0xFFFFFFFF or 1


def _open_owned(objname, flags, mode, uid):
    """Open (maybe create) an object, refuse one that is not ours (§3), set its mode."""
    fd = S.shm_open(objname, flags, mode)
    try:
        st = S.fstat_regular(fd, "/" + objname)
        if st.st_uid != uid:
            raise PermissionError(errno.EPERM, "/%s is owned by uid %d, not by us (%d)"
                                  % (objname, st.st_uid, uid))
        os.fchmod(fd, mode)     # the umask does not apply
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _no_room(base, size):
    """The ENOSPC message, as libshmout's: the block, the bytes needed and what to do."""
    try:
        st = os.statvfs(S.SHM_DIR)
        free = ", %d free" % (st.f_bavail * st.f_frsize)
    except OSError:
        free = ""
    name = base.split(".", 2)[2]
    return ("%s is full: %d bytes needed for block '%s'%s (ENOSPC); free space in %s (shmout "
            "ls, shmout rm), enlarge it (mount -o remount,size=... %s) or use a smaller frame "
            "or fewer slots" % (S.SHM_DIR, size, name, free, S.SHM_DIR, S.SHM_DIR))


class _DataObject:
    """A data object this writer created and mapped read-write (§6)."""

    def __init__(self, base, gen, session, slots, capacity, mode, uid):
        self.gen, self.slots, self.capacity = gen, slots, capacity
        self.name = P.data_name(base, gen)
        self.slot_table_offset = P.SEG_HEADER_SIZE
        self.slot_desc_size = P.SLOT_DESC_SIZE
        self.data_offset = _align(P.SEG_HEADER_SIZE + P.SLOT_DESC_SIZE * slots, P.DATA_ALIGN)
        self.data_stride = _align(capacity, P.DATA_ALIGN)
        self.size = self.data_offset + slots * self.data_stride
        fd = S.shm_open(self.name, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.fchmod(fd, mode)
            self.ino = os.fstat(fd).st_ino
            os.ftruncate(fd, self.size)
            os.posix_fallocate(fd, 0, self.size)    # ENOSPC now, not SIGBUS later
            self.map = S.Mapping(fd, self.size, writable=True)
        except BaseException as e:
            os.close(fd)
            S.shm_unlink(self.name)
            if isinstance(e, OSError) and e.errno == errno.ENOSPC:
                raise OSError(errno.ENOSPC, _no_room(base, self.size)) from None
            raise
        os.close(fd)
        hdr = P.SEGMENT_FMT.pack(0, P.VERSION_MAJOR, P.VERSION_MINOR, P.SEG_HEADER_SIZE, gen,
                                 slots, session, self.slot_table_offset, self.slot_desc_size,
                                 self.data_offset, self.data_stride, capacity, self.size, 0)
        self.map.mm[P.OFF_SEG_VERSION_MAJOR:P.SEG_HEADER_SIZE] = hdr[P.OFF_SEG_VERSION_MAJOR:]
        S.store64(self.map.addr + P.OFF_SEG_MAGIC, P.MAGIC_SEGMENT)   # magic last, release

    def desc(self, slot):
        return self.slot_table_offset + slot * self.slot_desc_size

    def area(self, slot):
        return self.data_offset + slot * self.data_stride

    def unlink_if_ours(self):
        """Unlink the name only if it still refers to this object (§9 close, §20)."""
        try:
            st = os.stat(S.shm_path(self.name), follow_symlinks=False)
        except OSError:
            return
        if st.st_ino == self.ino:
            S.shm_unlink(self.name)


class WriterFrame:
    """A frame being written (``Writer.frame()``), straight in the slot: ``planes[p]`` is
    plane p as a writable numpy array, (rows, pixels) or (rows, pixels, channels) of the
    format's sample type (``FrameView.planes`` of a reader has the same shape), to be used as
    an output: ``np.subtract(255, src, out=f.planes[0])``, ``cv2.resize(src, size,
    dst=f.planes[0])``. ``buffers[p]`` is the same plane as a writable memoryview
    (``linesize * height`` bytes, rows ``linesize`` apart), numpy or not. Set
    ``pts``/``duration``/``tb`` before the block ends to change them.

    ``abandon()`` drops the frame instead of publishing it, as an exception leaving the block
    does. When the block ends the arrays handed out become read-only and the memoryviews are
    released, so that a published frame is not changed by mistake: readers could not tell
    (numpy lets an owner set the flag back, and OpenCV ignores it: do not keep them)."""

    def __init__(self, number: int, geometry: P.Geometry, buffers: List[memoryview],
                 pts: Optional[int], duration: int, tb: Optional[Tuple[int, int]],
                 in_shm: bool) -> None:
        self.number, self.geometry, self.buffers = number, geometry, tuple(buffers)
        self.pts, self.duration, self.tb = pts, duration, tb
        self.in_shm = in_shm    # False while the block is inactive: private scratch buffers
        self._planes = None
        self.abandoned = False

    @property
    def planes(self) -> Tuple[Any, ...]:
        if self._planes is None:
            if not self.buffers or self.buffers[0].readonly:
                raise ValueError("frame #%d is finished" % self.number)
            np = A.numpy()
            self._planes = tuple(A.plane_array(np, b, 0, pl, el) for b, pl, el in
                                 zip(self.buffers, self.geometry.planes,
                                     A.elements(self.geometry)))
        return self._planes

    def abandon(self) -> None:
        """Do not publish this frame: when the block ends it is dropped, as on an exception
        (nothing of it is visible to readers; the next frame takes its number)."""
        self.abandoned = True

    def _release(self) -> None:
        for a in self._planes or ():
            a.flags.writeable = False
        for v in self.buffers:
            try:
                v.release()
            except BufferError:
                pass            # an array of it is alive (read-only now)
        self.buffers = ()


class Writer(S.Closeable):
    """Writer of the block `name` (§9).

    ``pix_fmt``: an FFmpeg name or code of §5's table. ``slots``: ring size 2..16.
    ``capacity``: bytes per slot to reserve (default: the frame size), so later
    ``set_geometry`` calls up to that size reuse the ring. ``active``: initial ACTIVE bit.
    ``fill_mode``/``smoothness``: viewer hints (§15). ``dar``/``sar``: display and sample
    (pixel) aspect ratios as (num, den); by default square pixels (sar 1:1) and the display
    aspect of the size; given one, the other follows from it. ``heartbeat``: refresh
    ``heartbeat_ns`` once per second from a background thread while no frame is published.
    ``lossless_timeout``: the longest, in seconds (0.001..600), that starting a frame waits
    for a lossless reader that has not finished with the frame the slot holds (§21); the
    reader is then evicted (it becomes an every reader) and the frame goes ahead.
    """

    def __init__(self, name: str, width: int, height: int, pix_fmt: Union[str, int] = "rgba",
                 memtype: str = "local", slots: int = 3, *, capacity: Optional[int] = None,
                 active: bool = True, fill_mode: int = 0, smoothness: int = 1,
                 dar: Optional[Tuple[int, int]] = None, sar: Optional[Tuple[int, int]] = None,
                 color: Optional[P.Color] = None, heartbeat: bool = True,
                 lossless_timeout: float = 1.0) -> None:
        P.check_name(name)
        self.name = name
        self._mt = P.memtype_code(memtype)
        self.memtype = P.MEMTYPE_NAMES[self._mt]
        if not isinstance(slots, int) or not P.MIN_SLOTS <= slots <= P.MAX_SLOTS:
            raise ValueError("slots must be an integer in 2..16, not %r" % (slots,))
        for what, v, n in (("fill_mode", fill_mode, len(P.FILL_MODES)),
                           ("smoothness", smoothness, len(P.SMOOTHNESS))):
            if not isinstance(v, int) or not 0 <= v < n:
                raise ValueError("%s must be an integer in 0..%d" % (what, n - 1))
        if (isinstance(lossless_timeout, bool) or
                not isinstance(lossless_timeout, (int, float)) or
                not 0.001 <= lossless_timeout <= P.LOSSLESS_TIMEOUT_MAX_MS / 1000):
            raise ValueError("lossless_timeout must be a number of seconds in 0.001..600, "
                             "not %r" % (lossless_timeout,))
        self._lossless_ms = min(max(int(round(lossless_timeout * 1000)), 1),
                                P.LOSSLESS_TIMEOUT_MAX_MS)
        dar, sar = _aspect(width, height, dar, sar)
        self.geometry = P.make_geometry(width, height, pix_fmt, dar, sar, color)
        cap = max(self.geometry.frame_bytes, capacity or 0)
        if cap > P.MAX_BYTES:
            raise ValueError("capacity too large")
        self._uid = os.geteuid()
        self.base = P.base_name(name, self._mt, self._uid)
        self._mode, self._wmode = _MODES[self._mt]
        self._fd = self._prim = self._wait = self._wfd = self._data = None
        self._reader_slots = P.READER_SLOTS_MAX     # entries honoured (§21)
        self._lossless_waits = self._lossless_wait_ns = 0
        self._evictions = self._reclaimed = self._slowest = self._registered = 0
        self._losses = {}       # entry -> [reg_id, frames lost by that registration]
        self._counted_m = 0     # the last frame m whose losses were counted
        self._seg_first = 1     # the first frame published in the current data object
        self._lock = threading.RLock()
        self._n = 0
        self._in_frame = False
        self._last_publish_ns = None
        self._fps = 0.0
        self._closed = False
        self._claimed = False
        try:
            self._open(slots, cap, active, fill_mode, smoothness)
        except BaseException:
            self._undo_open()
            self._teardown()
            raise
        self._hb_stop = threading.Event()
        self._hb_thread = None
        if heartbeat:
            self._hb_thread = threading.Thread(target=self._heartbeat_loop, daemon=True,
                                               name="shmout-heartbeat-" + name)
            self._hb_thread.start()

    # -- open (§9 steps 1-10) -------------------------------------------------------------------
    def _open(self, slots, capacity, active, fill_mode, smoothness):
        # 1. create, or open the existing object
        for _ in range(10):
            try:
                fd = S.shm_open(self.base, os.O_RDWR | os.O_CREAT | os.O_EXCL, self._mode)
                break
            except FileExistsError:
                try:
                    fd = S.shm_open(self.base, os.O_RDWR)
                    break
                except FileNotFoundError:
                    continue
        else:
            raise OSError(errno.EAGAIN, "/%s keeps appearing and vanishing" % self.base)
        self._fd = fd
        # 2. ownership
        st = S.fstat_regular(fd, "/" + self.base)
        if st.st_uid != self._uid:
            raise PermissionError(errno.EPERM, "block %r (/%s) is owned by uid %d, not by us"
                                  % (self.name, self.base, st.st_uid))
        # 3. the writer lock
        if S.HAVE_OFD and not S.ofd_lock(fd, True, 0):
            pid = "?"
            if st.st_size == P.PRIMARY_SIZE:
                with open(S.shm_path(self.base), "rb") as f:
                    pid = P.OWNER_FMT.unpack_from(f.read(P.OFF_OWNER_PID + P.OWNER_FMT.size),
                                                  P.OFF_OWNER_PID)[0]
            raise BusyError("block %r is in use by pid %s" % (self.name, pid))
        os.fchmod(fd, self._mode)
        self._ino = st.st_ino
        # 4. size
        if st.st_size == 0:
            os.ftruncate(fd, P.PRIMARY_SIZE)
        elif st.st_size != P.PRIMARY_SIZE:
            raise ProtocolError("/%s is %d bytes, not a shmout primary object: remove it with "
                                "shmout rm" % (self.base, st.st_size))
        os.posix_fallocate(fd, 0, P.PRIMARY_SIZE)
        # 5. map, remember the previous writer's generation and session
        self._prim = S.Mapping(fd, P.PRIMARY_SIZE, writable=True)
        a, mm = self._prim.addr, self._prim.mm
        magic = S.load64(a + P.OFF_MAGIC)
        if magic == 0:
            old_gen = old_session = 0
        elif (magic == P.MAGIC_HEADER and
              P.IDENT_FMT.unpack_from(mm, P.OFF_VERSION_MAJOR)[0] == P.VERSION_MAJOR):
            old_gen = S.load32(a + P.OFF_SEGMENT_GEN)
            old_session = S.load64(a + P.OFF_SESSION)
        else:
            raise ProtocolError("/%s is not a shmout 1.x block: remove it with shmout rm"
                                % self.base)
        # 6. INIT, and we own the name: no old data object survives
        S.store32(a + P.OFF_STATE, P.STATE_INIT)
        self._claimed = True
        _unlink_data_objects(self.base)
        # 7. wait object; its descriptor stays open for the dead-reader test (F_OFD_GETLK, §21)
        wfd, wst = _open_owned(P.wait_name(self.base), os.O_RDWR | os.O_CREAT, self._wmode,
                               self._uid)
        self._wfd = wfd
        if wst.st_size < P.WAIT_SIZE:
            os.ftruncate(wfd, P.WAIT_SIZE)
        os.posix_fallocate(wfd, 0, P.WAIT_SIZE)
        self._wait = S.Mapping(wfd, P.WAIT_SIZE, writable=True)
        # 8. session and the first data object
        self.session = (old_session + 1) & 0xFFFFFFFFFFFFFFFF
        gen = (old_gen + 1) & 0xFFFFFFFF or 1
        self._data = _new_data_object(self.base, gen, self.session, slots, capacity,
                                      self._mode, self._uid)
        gen = self._data.gen
        # 9. the primary header; reserved bytes are zeroed
        self._geometry_gen = 1
        P.IDENT_FMT.pack_into(mm, P.OFF_VERSION_MAJOR, P.VERSION_MAJOR, P.VERSION_MINOR,
                              P.HEADER_SIZE, P.BYTE_ORDER)
        P.MEMTYPE_FMT.pack_into(mm, P.OFF_MEMTYPE, self._mt)
        P.OWNER_FMT.pack_into(mm, P.OFF_OWNER_PID, os.getpid(), self._uid,
                              S.proc_starttime(os.getpid()) or 0)
        P.CREATED_FMT.pack_into(mm, P.OFF_CREATED, S.realtime_ns())
        S.store32(a + P.OFF_FILL_MODE, fill_mode)
        S.store32(a + P.OFF_SMOOTHNESS, smoothness)
        S.store32(a + P.OFF_FPS_MILLI, 0)
        mm[P.OFF_RESERVED0:P.OFF_NAME] = bytes(P.OFF_NAME - P.OFF_RESERVED0)
        mm[P.OFF_NAME:P.OFF_NAME + P.NAME_SIZE] = self.name.encode("ascii").ljust(P.NAME_SIZE,
                                                                                b"\0")
        P.READERS_FMT.pack_into(mm, P.OFF_READER_SLOTS, self._reader_slots, self._lossless_ms)
        mm[P.OFF_RESERVED1:P.OFF_GEOMETRY] = bytes(P.OFF_GEOMETRY - P.OFF_RESERVED1)
        S.store32(self._wait.addr + P.OFF_WRITER_WAITING, 0)
        mm[P.OFF_RESERVED2:P.PRIMARY_SIZE] = bytes(P.PRIMARY_SIZE - P.OFF_RESERVED2)
        S.store32(a + P.OFF_CONTROL, P.CONTROL_ACTIVE if active else 0)
        self._announce()
        S.store64(a + P.OFF_SESSION, self.session)
        S.store64(a + P.OFF_HEARTBEAT, S.monotonic_ns())
        S.store32(a + P.OFF_SEGMENT_GEN, gen)
        S.store64(a + P.OFF_MAGIC, P.MAGIC_HEADER)
        S.store32(a + P.OFF_STATE, P.STATE_OPEN)
        # 10. wake readers
        self._wake(always=True)

    def _announce(self):
        """Write geometry_gen and the announced geometry under the geometry seqlock (§14)."""
        a, mm = self._prim.addr, self._prim.mm
        s = S.load64(a + P.OFF_GEOMETRY_SEQ)
        s += s & 1          # a writer that died inside the window left it odd
        S.store64(a + P.OFF_GEOMETRY_SEQ, s + 1)
        S.fence()
        P.GEOMETRY_GEN_FMT.pack_into(mm, P.OFF_GEOMETRY_GEN, self._geometry_gen)
        mm[P.OFF_GEOMETRY:P.OFF_GEOMETRY + P.GEOMETRY_FMT.size] = self.geometry.pack()
        S.store64(a + P.OFF_GEOMETRY_SEQ, s + 2)

    def _wake(self, always=False):
        """wake_word += 1 (seq_cst), FUTEX_WAKE if a reader may sleep (§12)."""
        a = self._prim.addr + P.OFF_WAKE_WORD
        S.fetch_add32(a, 1)
        if always or self._wait is None or S.load32(self._wait.addr + P.OFF_WAITERS) != 0:
            S.futex_wake(a)

    # -- properties --------------------------------------------------------------------------------
    @property
    def frame_number(self) -> int:
        """Number of the last published frame (0: none yet)."""
        return self._n

    @property
    def slots(self) -> int:
        return self._data.slots

    @property
    def capacity(self) -> int:
        return self._data.capacity

    @property
    def segment_gen(self) -> int:
        return self._data.gen

    @property
    def active(self) -> bool:
        self._check()
        return bool(S.load32(self._prim.addr + P.OFF_CONTROL) & P.CONTROL_ACTIVE)

    @property
    def lossless_timeout(self) -> float:
        """The bound of a lossless wait per frame, in seconds (§21)."""
        return self._lossless_ms / 1000

    @property
    def stats(self) -> WriterStats:
        """A WriterStats snapshot."""
        return WriterStats(self._n, self._lossless_waits, self._lossless_wait_ns,
                           self._evictions, self._reclaimed, self._slowest, self._registered)

    def _check(self):
        if self._closed:
            raise ValueError("writer is closed")

    # -- publishing (§9 "Publish frame n") ------------------------------------------------------
    def _begin(self):
        n = self._n + 1
        d = self._data
        slot = n % d.slots
        # §21 first: an exception in the wait (KeyboardInterrupt) leaves the slot unmarked
        self._wait_lossless(n)
        S.store64(d.map.addr + d.desc(slot) + P.OFF_SLOT_SEQ, 2 * n - 1)
        S.fence()           # release fence after the odd store
        return n, slot

    def _publish(self, n, slot, pts, duration, tb):
        d, mm = self._data, self._data.map.mm
        now_mono, now_real = S.monotonic_ns(), S.realtime_ns()
        if pts is None:
            pts = P.PTS_UNKNOWN
        tb_num, tb_den = tb if tb is not None else (0, 0)
        desc = d.desc(slot)
        P.META_FMT.pack_into(mm, desc + P.OFF_SLOT_META, n, pts, duration, tb_num, tb_den,
                             now_real, now_mono, self._geometry_gen, 0)
        geo = desc + P.OFF_SLOT_GEOMETRY
        mm[geo:geo + P.GEOMETRY_FMT.size] = self.geometry.pack()
        S.store64(d.map.addr + desc + P.OFF_SLOT_SEQ, 2 * n)      # release
        S.store64(d.map.addr + P.OFF_LATEST_FRAME, n)             # release
        self._n = n
        a = self._prim.addr
        S.store64(a + P.OFF_HEARTBEAT, now_mono)
        if self._last_publish_ns is not None and now_mono > self._last_publish_ns:
            inst = 1e9 / (now_mono - self._last_publish_ns)
            # exponential average over publish intervals, weight 1/8 (first interval: as is)
            self._fps = inst if self._fps == 0 else self._fps + (inst - self._fps) / 8
            S.store32(a + P.OFF_FPS_MILLI, min(int(self._fps * 1000 + 0.5), 0xFFFFFFFF))
        self._last_publish_ns = now_mono
        self._wake()
        return n

    # -- registered readers (§21) -----------------------------------------------------------
    def _entry(self, i):
        return self._wait.addr + P.OFF_READERS + P.READER_SLOT_SIZE * i

    def _reader_alive(self, i):
        """The owner of entry i still holds its lock (F_OFD_GETLK on the entry's first byte of
        the wait object). Without OFD locks it cannot be told: treated as alive (the bound
        still applies)."""
        if not S.HAVE_OFD:
            return True
        try:
            return S.ofd_held(self._wfd, P.OFF_READERS + P.READER_SLOT_SIZE * i)
        except OSError:
            return True

    def _lost(self, i, reg_id):
        """Frame m was overwritten before registration (i, reg_id) acknowledged it."""
        cur = self._losses.get(i)
        if cur is None or cur[0] != reg_id:
            cur = self._losses[i] = [reg_id, 0]
        cur[1] += 1
        self._slowest = max(self._slowest, cur[1])

    def _scan(self, m, count):
        """One pass of §21's check of every entry for frame m (the frame the slot about to be
        reused holds). Returns the live lossless entries that have not acknowledged m; the
        entries of dead readers that are behind are freed; with `count`, every-entries behind m lose
        it, counted per registration (entry and reg_id). Only atomic loads of state, reg_id,
        session and ack are acted upon, and any value is harmless: the entry index stays
        below reader_slots <= 32."""
        behind, registered, session = [], 0, self.session
        for i in range(self._reader_slots):
            e = self._entry(i)
            for _ in range(3):
                st = S.load32(e + P.OFF_REG_STATE)                   # acquire
                if st != P.REG_EVERY and st != P.REG_LOSSLESS:
                    break
                rid = S.load64(e + P.OFF_REG_ID)                     # relaxed
                sess = S.load64(e + P.OFF_REG_SESSION)               # acquire
                a = S.load64(e + P.OFF_REG_ACK)                      # acquire
                # a reader registering meanwhile stores reg_id before state: if neither
                # changed, state, session and ack are of one registration (it is only tried
                # a few times: a process that keeps changing them gets the last values)
                if S.load32(e + P.OFF_REG_STATE) == st and S.load64(e + P.OFF_REG_ID) == rid:
                    break
            if st != P.REG_EVERY and st != P.REG_LOSSLESS:
                continue
            if sess != session:
                continue
            registered += 1
            if a >= m:
                continue
            # behind: is its reader alive? (a system call only for a registration behind)
            if not self._reader_alive(i):
                if S.compare_exchange32(e + P.OFF_REG_STATE, st, P.REG_FREE)[0]:
                    self._reclaimed += 1
                continue
            if st == P.REG_EVERY:
                if count:
                    self._lost(i, rid)
                continue
            behind.append(i)
        if count:
            self._registered = registered
        return behind

    def _beat(self, now):
        """Keep heartbeat_ns fresh while a wait holds the writer (the heartbeat thread cannot
        take the lock meanwhile)."""
        hb = self._prim.addr + P.OFF_HEARTBEAT
        if now - S.load64(hb) >= 500_000_000:
            S.store64(hb, now)

    def _wait_lossless(self, n):
        """§21 "Writer, before D.seq = 2n-1 of frame n": the slot holds frame m = n - slot_count
        if that one is in this data object; count the every-readers' losses of it and wait for
        the lossless readers that still need it."""
        m = n - self._data.slots
        if m < self._seg_first:
            return
        count = m > self._counted_m         # a begin repeated for the same n counts once
        self._counted_m = max(self._counted_m, m)
        self._wait_acks(m, count)

    def _wait_acks(self, m, count):
        """Wait, up to lossless_timeout, for the lossless readers that have not finished with
        frame m; sleep on ack_word in slices of 10 ms (dead readers are freed at every
        slice), evict the ones still behind at the deadline; with `count`, count m lost to
        the every readers behind it."""
        if m < 1 or not self._reader_slots or self._wait is None:
            return
        if not self._scan(m, count):
            return
        t0 = S.monotonic_ns()
        deadline = t0 + self._lossless_ms * 1_000_000
        self._lossless_waits += 1
        ww = self._wait.addr + P.OFF_WRITER_WAITING
        aw = self._wait.addr + P.OFF_ACK_WORD
        try:
            while True:
                S.store32(ww, 1)                                     # seq_cst
                w0 = S.load32(aw)                                    # seq_cst
                behind = self._scan(m, False)
                if not behind:
                    break
                now = S.monotonic_ns()
                if now >= deadline:
                    for i in behind:
                        e = self._entry(i)
                        S.store64(e + P.OFF_REG_EVICTED, m)          # release
                        if S.compare_exchange32(e + P.OFF_REG_STATE, P.REG_LOSSLESS,
                                                P.REG_EVERY)[0]:     # acq_rel
                            self._evictions += 1
                            self._lost(i, S.load64(e + P.OFF_REG_ID))
                    break
                self._beat(now)
                S.futex_sleep(aw, w0, min(deadline - now, WAIT_SLICE_NS) / 1e9)
        finally:
            S.store32(ww, 0)                                         # seq_cst
            self._lossless_wait_ns += S.monotonic_ns() - t0

    def wait_readers(self, count: int, timeout: Optional[float] = None) -> int:
        """Wait until at least `count` readers are attached to the block (readers of any mode,
        libshmout's and this module's: the OFD read locks on byte 1 of the primary object in
        /proc/locks, as ``BlockInfo.readers``), at most `timeout` seconds (None: forever).
        Returns the number attached. Raises TimeoutError saying how many were attached, or
        OSError(ENOTSUP) where readers cannot be counted (no /proc/locks). Sleeps on ack_word,
        so a lossless reader's registration wakes it early; otherwise it looks every 10 ms.
        Frames cannot be published from other threads meanwhile."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError("count must be an integer >= 0, not %r" % (count,))
        if timeout is not None and not timeout >= 0:
            raise ValueError("timeout must be None or >= 0 seconds, not %r" % (timeout,))
        t0 = S.monotonic_ns()
        deadline = None if timeout is None else t0 + int(timeout * 1e9)
        with self._lock:
            self._check()
            st = os.fstat(self._fd)
            ww = self._wait.addr + P.OFF_WRITER_WAITING
            aw = self._wait.addr + P.OFF_ACK_WORD
            try:
                while True:
                    S.store32(ww, 1)
                    w0 = S.load32(aw)
                    n = S.count_reader_locks(st, strict=True)
                    if n >= count:
                        return n
                    now = S.monotonic_ns()
                    if deadline is not None and now >= deadline:
                        raise TimeoutError(
                            "block %r: %d reader%s attached after %.3g s, %d wanted"
                            % (self.name, n, "" if n == 1 else "s", (now - t0) / 1e9, count))
                    self._beat(now)
                    step = WAIT_SLICE_NS if deadline is None else min(deadline - now,
                                                                        WAIT_SLICE_NS)
                    S.futex_sleep(aw, w0, step / 1e9)
            finally:
                S.store32(ww, 0)

    def _check_args(self, pts, duration, tb):
        if pts is not None and not -(1 << 63) < pts < (1 << 63):
            raise ValueError("pts out of int64 range")
        if not -(1 << 63) <= duration < (1 << 63):
            raise ValueError("duration out of int64 range")
        if tb is not None:
            if len(tb) != 2 or not all(-(1 << 31) <= v < (1 << 31) for v in tb):
                raise ValueError("tb must be (num, den) of 32-bit integers")

    def frame(self, pts: Optional[int] = None, tb: Optional[Tuple[int, int]] = (1, 30),
              duration: int = 0) -> "_FrameContext":
        """Context manager writing the next frame in place:

            with w.frame(pts=i) as f:
                f.planes[0][:] = pixels

        It is published when the block ends without an exception. While the block is
        inactive (§15) the planes are private scratch buffers and nothing is published."""
        return _FrameContext(self, pts, tb, duration)

    def write(self, data: Union[Any, Sequence[Any]], pts: Optional[int] = None,
              tb: Optional[Tuple[int, int]] = (1, 30), duration: int = 0) -> int:
        """Publish one frame. `data`: one bytes-like object with all planes packed tightly
        (the ``ffmpeg -f rawvideo`` layout, ``bytewidth * height`` bytes per plane), or a
        sequence with one bytes-like object per plane. `pts` in time base `tb` (None =
        unknown). Returns the frame number, or 0 if the block is inactive (not published)."""
        g = self.geometry
        if isinstance(data, (list, tuple)):
            if len(data) != g.nb_planes:
                raise ValueError("%s has %d planes, got %d buffers"
                                 % (g.pix_fmt_name, g.nb_planes, len(data)))
            parts = [memoryview(b).cast("B") for b in data]
            for p, (pl, b) in enumerate(zip(g.planes, parts)):
                if len(b) != pl.bytewidth * pl.height:
                    raise ValueError("plane %d needs %d bytes, got %d"
                                     % (p, pl.bytewidth * pl.height, len(b)))
        else:
            buf = memoryview(data).cast("B")
            need = sum(pl.bytewidth * pl.height for pl in g.planes)
            if len(buf) != need:
                raise ValueError("a %dx%d %s frame needs %d bytes, got %d"
                                 % (g.width, g.height, g.pix_fmt_name, need, len(buf)))
            parts, pos = [], 0
            for pl in g.planes:
                parts.append(buf[pos:pos + pl.bytewidth * pl.height])
                pos += pl.bytewidth * pl.height
        with self.frame(pts, tb, duration) as f:
            if not f.in_shm:
                return 0
            for pl, view, src in zip(g.planes, f.buffers, parts):
                if pl.linesize == pl.bytewidth:
                    view[:len(src)] = src
                else:
                    for y in range(pl.height):
                        view[y * pl.linesize:y * pl.linesize + pl.bytewidth] = \
                            src[y * pl.bytewidth:(y + 1) * pl.bytewidth]
        return f.number

    # -- control, hints, heartbeat -----------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        """Flip the ACTIVE bit (§15) and wake readers."""
        with self._lock:
            self._check()
            a = self._prim.addr + P.OFF_CONTROL
            if active:
                S.fetch_or32(a, P.CONTROL_ACTIVE)
            else:
                S.fetch_and32(a, ~P.CONTROL_ACTIVE & 0xFFFFFFFF)
            self._wake(always=True)

    def set_hints(self, fill_mode: Optional[int] = None,
                  smoothness: Optional[int] = None) -> None:
        with self._lock:
            self._check()
            if fill_mode is not None:
                S.store32(self._prim.addr + P.OFF_FILL_MODE, fill_mode)
            if smoothness is not None:
                S.store32(self._prim.addr + P.OFF_SMOOTHNESS, smoothness)

    def heartbeat(self) -> None:
        """Refresh heartbeat_ns (§13); call about once per second when not publishing."""
        with self._lock:
            if not self._closed:
                S.store64(self._prim.addr + P.OFF_HEARTBEAT, S.monotonic_ns())

    def _heartbeat_loop(self):
        while not self._hb_stop.wait(0.25):
            last = self._last_publish_ns or 0
            if S.monotonic_ns() - last >= 900_000_000:
                hb = S.load64(self._prim.addr + P.OFF_HEARTBEAT) if not self._closed else 0
                if S.monotonic_ns() - hb >= 900_000_000:
                    self.heartbeat()

    # -- geometry changes (§14) --------------------------------------------------------------------
    def set_geometry(self, width: int, height: int, pix_fmt: Union[str, int, None] = None,
                     dar: Optional[Tuple[int, int]] = None,
                     sar: Optional[Tuple[int, int]] = None,
                     color: Optional[P.Color] = None) -> bool:
        """Change the geometry of the frames published from now on (§14). Returns True if a
        new data object had to be created."""
        with self._lock:
            self._check()
            if self._in_frame:
                raise RuntimeError("set_geometry inside frame()")
            g = self.geometry
            dar, sar = _aspect(width, height, dar, g.sar if dar is None and sar is None else sar)
            new = P.make_geometry(width, height, g.pix_fmt if pix_fmt is None else pix_fmt,
                                  dar, sar, g.color if color is None else color)
            if new == g:
                return False
            old = self._data
            if new.frame_bytes <= old.capacity:
                self.geometry = new
                self._geometry_gen += 1
                self._announce()
                self._wake(always=True)
                return False
            # readers find this data object's frames only while it is current: lossless ones
            # read them to the last before it is left (or are evicted, §21)
            if self._n >= self._seg_first:
                self._wait_acks(self._n, False)
            data = _new_data_object(self.base, (old.gen + 1) & 0xFFFFFFFF or 1, self.session,
                                    old.slots, new.frame_bytes, self._mode,
                                    self._uid)   # ENOSPC, EEXIST: raises, nothing changed
            gen = data.gen
            self.geometry = new
            self._geometry_gen += 1
            self._announce()
            self._data = data
            self._seg_first = self._n + 1
            S.store32(self._prim.addr + P.OFF_SEGMENT_GEN, gen)
            old.unlink_if_ours()
            old.map.close()
            self._wake(always=True)
            return True

    # -- close (§9 "Close") ------------------------------------------------------------------------
    def close(self) -> None:
        """state = CLOSED, wake readers, unlink the data object, unmap, release the lock.
        The primary and wait objects stay so readers follow the next writer (§9)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._hb_thread is not None:
            self._hb_stop.set()
            self._hb_thread.join()
        with self._lock:
            # the data object goes with the close: lossless readers read it to the end first
            if self._n >= self._seg_first:
                self._wait_acks(self._n, False)
            a = self._prim.addr
            S.store32(a + P.OFF_STATE, P.STATE_CLOSED)
            self._wake(always=True)
            self._data.unlink_if_ours()
            self._teardown()

    def _undo_open(self):
        """A failed open leaves no half-made block (§9): one that never had a header is removed
        while the writer lock is still held; one that was being taken over is left closed."""
        if not self._claimed:
            return
        if S.load64(self._prim.addr + P.OFF_MAGIC) == 0:
            for n in (P.wait_name(self.base), self.base):
                try:
                    S.shm_unlink(n)
                except OSError:
                    pass
        else:
            S.store32(self._prim.addr + P.OFF_STATE, P.STATE_CLOSED)

    def _teardown(self):
        for attr in ("_data", "_wait", "_prim"):
            obj = getattr(self, attr, None)
            if obj is not None:
                (obj.map if attr == "_data" else obj).close()
                setattr(self, attr, None)
        if getattr(self, "_wfd", None) is not None:
            os.close(self._wfd)
            self._wfd = None
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)      # releases the writer lock
            self._fd = None


class _FrameContext:
    def __init__(self, writer, pts, tb, duration):
        writer._check_args(pts, duration, tb)
        self.w, self.pts, self.tb, self.duration = writer, pts, tb, duration
        self.f = None

    def __enter__(self) -> WriterFrame:
        w = self.w
        w._lock.acquire()
        try:
            w._check()
            if w._in_frame:
                raise RuntimeError("frame() is not reentrant")
            g = w.geometry
            if not w.active:
                planes = [memoryview(bytearray(pl.linesize * pl.height)) for pl in g.planes]
                self.f = WriterFrame(0, g, planes, self.pts, self.duration, self.tb, False)
            else:
                n, slot = w._begin()
                area = w._data.area(slot)
                mv = memoryview(w._data.map.mm)
                planes = [mv[area + pl.offset:area + pl.offset + pl.linesize * pl.height]
                          for pl in g.planes]
                mv.release()
                self.slot = slot
                self.f = WriterFrame(n, g, planes, self.pts, self.duration, self.tb, True)
            w._in_frame = True
        except BaseException:
            w._lock.release()
            raise
        return self.f

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        w, f = self.w, self.f
        try:
            f._release()
            w._in_frame = False
            if exc_type is None and f.in_shm and not f.abandoned:
                w._check_args(f.pts, f.duration, f.tb)
                w._publish(f.number, self.slot, f.pts, f.duration, f.tb)
        finally:
            w._lock.release()


def remove(name: str, memtype: str = "local", force: bool = False) -> bool:
    """Remove a block's objects (like ``shmout rm``): refused (BusyError) while a writer is
    alive unless `force`. Returns True if the primary object existed."""
    P.check_name(name)
    base = P.base_name(name, memtype, os.geteuid())
    try:
        fd = S.shm_open(base, os.O_RDONLY)
    except FileNotFoundError:
        fd = None
    if fd is not None:
        try:
            if not force and S.HAVE_OFD and S.ofd_held(fd, 0, 1):
                raise BusyError("block %r has a live writer (use force=True)" % name)
        finally:
            os.close(fd)
    _unlink_data_objects(base)
    S.shm_unlink(P.wait_name(base))
    return S.shm_unlink(base)
