# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Operating-system side of shmout: POSIX shared-memory objects, mappings with known addresses,
atomic loads/stores/read-modify-writes (also compare-exchange), memory fences, the futex system
call (on any 32-bit word of a mapping) and OFD locks (set, test, count in /proc/locks).

Memory model in CPython (§8, §11). Python has no atomics, so this module uses:
  * libatomic's out-of-line ``__atomic_*`` functions (``libatomic.so.1``, part of GCC's runtime)
    through ctypes for every field the spec marks "A". They are real C11 atomics of the field's
    exact width; we always pass ``__ATOMIC_SEQ_CST``, which is at least as strong as every order
    the spec requires (acquire, release, relaxed, seq_cst).
  * ``fence()`` for ``atomic_thread_fence``. On x86-64 (TSO) acquire and release fences emit no
    instruction; they only forbid the *compiler* to move memory accesses across them. Every
    Python-level step is an opaque C call inside the interpreter, so the plain copies (``mmap``
    slicing = memcpy) and the ctypes atomic calls happen in program order, which is exactly
    what the fences guarantee. On other architectures ``fence()`` also performs a seq_cst
    read-modify-write on a private word through libatomic (a barrier in practice on AArch64;
    CPython offers no portable way to emit a pure ``dmb``).
  * Without libatomic (or ctypes), aligned loads/stores fall back to ctypes' ``from_address``
    (one aligned ``memcpy`` of 4/8 bytes = one mov on x86-64 and AArch64, single-copy atomic
    in practice) and read-modify-writes become load+store (not atomic; only the advisory
    ``waiters`` hint and ``wake_word`` could lose a count, which §7 and §12 tolerate, and a
    registration's state or ``ack_word``, which costs at most a lossless wait, §21). That is
    only correct on x86 (TSO), where the fences need no instruction; on other CPUs there is
    then no way to emit a barrier, so ``fence()`` raises OSError(ENOSYS) and opening a Reader
    or Writer fails instead of risking a torn frame (§8, "Implementations without C11
    atomics").
"""

import ctypes
import ctypes.util
import errno
import fcntl
import mmap
import os
import platform
import select
import struct
import time

SHM_DIR = "/dev/shm"
RELAXED, ACQUIRE, RELEASE, SEQ_CST = 0, 2, 3, 5
INT_MAX = 0x7FFFFFFF

try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _libc = None


# --- buffer addresses -------------------------------------------------------------------------
class _PyBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int),
                ("ndim", ctypes.c_int), ("format", ctypes.c_char_p),
                ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p)]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(_PyBuffer)]
_release_buffer.restype = None


def buffer_address(obj):
    """Address of the memory of a buffer object (also a read-only mmap). The buffer is released
    at once, so the caller must keep `obj` open while it uses the address."""
    view = _PyBuffer()
    _get_buffer(obj, ctypes.byref(view), 0)  # PyBUF_SIMPLE: read-only is fine
    try:
        return view.buf
    finally:
        _release_buffer(ctypes.byref(view))


# --- atomics ------------------------------------------------------------------------------------
def _load_libatomic():
    for cand in ("libatomic.so.1", ctypes.util.find_library("atomic")):
        if not cand:
            continue
        try:
            return ctypes.CDLL(cand)
        except OSError:
            continue
    return None


_la = None if os.environ.get("SHMOUT_PY_NO_LIBATOMIC") else _load_libatomic()
HAVE_LIBATOMIC = _la is not None
_IS_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")

if _la is not None:
    def _fn(name, res, *args):
        f = getattr(_la, name)
        f.restype = res
        f.argtypes = list(args)
        return f
    _vp, _i = ctypes.c_void_p, ctypes.c_int
    _u32, _u64 = ctypes.c_uint32, ctypes.c_uint64
    _load4 = _fn("__atomic_load_4", _u32, _vp, _i)
    _load8 = _fn("__atomic_load_8", _u64, _vp, _i)
    _store4 = _fn("__atomic_store_4", None, _vp, _u32, _i)
    _store8 = _fn("__atomic_store_8", None, _vp, _u64, _i)
    _add4 = _fn("__atomic_fetch_add_4", _u32, _vp, _u32, _i)
    _sub4 = _fn("__atomic_fetch_sub_4", _u32, _vp, _u32, _i)
    _or4 = _fn("__atomic_fetch_or_4", _u32, _vp, _u32, _i)
    _and4 = _fn("__atomic_fetch_and_4", _u32, _vp, _u32, _i)
    # bool __atomic_compare_exchange_4(u32 *mem, u32 *expected, u32 desired, int succ, int fail)
    _cas4 = _fn("__atomic_compare_exchange_4", ctypes.c_bool, _vp, ctypes.POINTER(_u32), _u32,
                _i, _i)

    def load32(addr):
        return _load4(addr, SEQ_CST)

    def load64(addr):
        return _load8(addr, SEQ_CST)

    def store32(addr, v):
        _store4(addr, v & 0xFFFFFFFF, SEQ_CST)

    def store64(addr, v):
        _store8(addr, v & 0xFFFFFFFFFFFFFFFF, SEQ_CST)

    def fetch_add32(addr, v):
        return _add4(addr, v & 0xFFFFFFFF, SEQ_CST)

    def fetch_sub32(addr, v):
        return _sub4(addr, v & 0xFFFFFFFF, SEQ_CST)

    def fetch_or32(addr, v):
        return _or4(addr, v, SEQ_CST)

    def fetch_and32(addr, v):
        return _and4(addr, v, SEQ_CST)

    def compare_exchange32(addr, expected, desired):
        """Strong compare-exchange (seq_cst, covers acq_rel): store `desired` if the u32 at
        `addr` equals `expected`. Returns (True, expected) or (False, the value found)."""
        exp = _u32(expected & 0xFFFFFFFF)
        ok = _cas4(addr, ctypes.byref(exp), desired & 0xFFFFFFFF, SEQ_CST, SEQ_CST)
        return bool(ok), exp.value

    _fence_word = ctypes.c_uint32(0)
    _fence_addr = ctypes.addressof(_fence_word)

    def fence():
        if not _IS_X86:
            _add4(_fence_addr, 0, SEQ_CST)
else:
    def load32(addr):
        return ctypes.c_uint32.from_address(addr).value

    def load64(addr):
        return ctypes.c_uint64.from_address(addr).value

    def store32(addr, v):
        ctypes.c_uint32.from_address(addr).value = v & 0xFFFFFFFF

    def store64(addr, v):
        ctypes.c_uint64.from_address(addr).value = v & 0xFFFFFFFFFFFFFFFF

    def _rmw(addr, op):
        c = ctypes.c_uint32.from_address(addr)
        old = c.value
        c.value = op(old) & 0xFFFFFFFF
        return old

    def fetch_add32(addr, v):
        return _rmw(addr, lambda o: o + v)

    def fetch_sub32(addr, v):
        return _rmw(addr, lambda o: o - v)

    def fetch_or32(addr, v):
        return _rmw(addr, lambda o: o | v)

    def fetch_and32(addr, v):
        return _rmw(addr, lambda o: o & v)

    def compare_exchange32(addr, expected, desired):
        # load + store, not atomic: only registration states go through it, where a lost race
        # costs the writer at most one lossless_timeout_ms (§21), never a frame
        c = ctypes.c_uint32.from_address(addr)
        old = c.value
        if old != expected & 0xFFFFFFFF:
            return False, old
        c.value = desired & 0xFFFFFFFF
        return True, old

    def fence():
        if not _IS_X86:
            raise OSError(errno.ENOSYS, "shmout needs libatomic (libatomic.so.1) on %s: "
                          "without it Python cannot order its memory accesses, and frames "
                          "could be torn (PROTOCOL.md §8)" % platform.machine())


# --- inotify ----------------------------------------------------------------------------------
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x2, 0x4, 0x8, 0x80, 0x100
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC


def dir_watch(path):
    """An inotify descriptor watching path for objects created, renamed in, resized or
    changed (PROTOCOL.md §10 "Attach"), or None where there is none (the caller polls)."""
    if _libc is None or platform.system() != "Linux" or os.environ.get("SHMOUT_PY_NO_INOTIFY"):
        return None
    fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        return None
    if _libc.inotify_add_watch(fd, os.fsencode(path), IN_CREATE | IN_MOVED_TO | IN_MODIFY |
                               IN_ATTRIB | IN_CLOSE_WRITE) < 0:
        os.close(fd)
        return None
    return fd


def dir_wait(fd, timeout):
    """Sleep until the watch fd reports an event or timeout seconds pass; drain the events."""
    if fd is None:
        time.sleep(timeout)
        return
    if select.select([fd], [], [], timeout)[0]:
        try:
            while os.read(fd, 4096):
                pass
        except BlockingIOError:
            pass


# --- futex ----------------------------------------------------------------------------------------
_SYS_FUTEX = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98, "riscv64": 98,
              "i386": 240, "i686": 240, "armv7l": 240, "armv6l": 240, "ppc64le": 221,
              "ppc64": 221, "s390x": 238, "loongarch64": 98}.get(platform.machine().lower())
FUTEX_WAIT, FUTEX_WAKE = 0, 1   # shared (not _PRIVATE): the word crosses processes (§12)
HAVE_FUTEX = (platform.system() == "Linux" and _libc is not None and _SYS_FUTEX is not None
              and not os.environ.get("SHMOUT_PY_NO_FUTEX"))


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def futex_wait(addr, expected, timeout):
    """FUTEX_WAIT on the u32 at `addr` while it equals `expected`, at most `timeout` seconds.
    EINTR, EAGAIN and ETIMEDOUT are normal outcomes (§12): nothing is returned."""
    timeout = max(0.0, timeout)
    ts = _Timespec(int(timeout), int((timeout - int(timeout)) * 1e9))
    r = _libc.syscall(ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(addr),
                      ctypes.c_long(FUTEX_WAIT), ctypes.c_long(expected & 0xFFFFFFFF),
                      ctypes.byref(ts), ctypes.c_void_p(0), ctypes.c_long(0))
    if r == -1:
        e = ctypes.get_errno()
        if e not in (errno.EINTR, errno.EAGAIN, errno.ETIMEDOUT):
            raise OSError(e, "futex wait: " + os.strerror(e))


def futex_sleep(addr, expected, timeout):
    """FUTEX_WAIT as futex_wait where futexes exist, else just sleep `timeout` (§19)."""
    if HAVE_FUTEX:
        futex_wait(addr, expected, timeout)
    else:
        time.sleep(max(0.0, timeout))


def futex_wake(addr):
    if not HAVE_FUTEX:
        return
    _libc.syscall(ctypes.c_long(_SYS_FUTEX), ctypes.c_void_p(addr), ctypes.c_long(FUTEX_WAKE),
                  ctypes.c_long(INT_MAX), ctypes.c_void_p(0), ctypes.c_void_p(0),
                  ctypes.c_long(0))


# --- OFD locks (§13) ------------------------------------------------------------------------------
# F_OFD_GETLK = 36, F_OFD_SETLK = 37 on Linux (every architecture); fcntl has them from 3.9 on
_LINUX = platform.system() == "Linux"
F_OFD_GETLK = getattr(fcntl, "F_OFD_GETLK", 36 if _LINUX else None)
F_OFD_SETLK = getattr(fcntl, "F_OFD_SETLK", 37 if _LINUX else None)
HAVE_OFD = F_OFD_GETLK is not None
# Readers may test liveness without OFD locks (§19 fallback); the variable forces that path. A
# reader without OFD locks cannot own a registration entry either (§21), so it never registers.
READER_OFD = HAVE_OFD and not os.environ.get("SHMOUT_PY_NO_OFD")
_FLOCK = "hhqqi4x"   # struct flock: l_type, l_whence, l_start, l_len, l_pid (native layout)


def _flock(ltype, start, length):
    return struct.pack(_FLOCK, ltype, os.SEEK_SET, start, length, 0)


def ofd_lock(fd, write, start, length=1):
    """Take an OFD lock without waiting; return False if another open file holds a conflicting
    one. The lock belongs to the open file of `fd`: it goes when the last descriptor of that
    open file is closed, also when the process dies."""
    try:
        fcntl.fcntl(fd, F_OFD_SETLK,
                    _flock(fcntl.F_WRLCK if write else fcntl.F_RDLCK, start, length))
        return True
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise


def ofd_unlock(fd, start, length=1):
    """Drop this open file's OFD lock on the range (F_UNLCK)."""
    fcntl.fcntl(fd, F_OFD_SETLK, _flock(fcntl.F_UNLCK, start, length))


def ofd_held(fd, start=0, length=1):
    """True if some other open file holds a lock conflicting with a read lock on the range
    (F_OFD_GETLK: the writer lock test of §13, the dead-reader test of §21)."""
    res = fcntl.fcntl(fd, F_OFD_GETLK, _flock(fcntl.F_RDLCK, start, length))
    return struct.unpack(_FLOCK, res)[0] != fcntl.F_UNLCK


def count_reader_locks(st, strict=False):
    """Readers of the primary object `st` (an os.stat_result): the OFD read locks on its byte
    [1, 2) listed in /proc/locks (§13), in any pid namespace of this kernel. Without
    /proc/locks: 0, or with `strict` OSError(ENOTSUP) (readers cannot be counted here)."""
    key = "%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    n = 0
    try:
        with open("/proc/locks") as f:
            for line in f:
                t = line.split()
                if "->" in t or len(t) < 8:
                    continue
                if t[1] == "OFDLCK" and t[3] == "READ" and t[5] == key and t[6] == "1" \
                        and t[7] == "1":
                    n += 1
    except OSError as e:
        if strict:
            raise OSError(errno.ENOTSUP, "readers cannot be counted here: /proc/locks: %s"
                          % e.strerror) from None
        return 0
    return n


# --- objects and mappings -------------------------------------------------------------------------
def shm_path(objname):
    """File of POSIX shm object `/objname` (glibc puts them in /dev/shm, §3)."""
    return os.path.join(SHM_DIR, objname)


def shm_open(objname, flags, mode=0o600):
    # What glibc's shm_open does: open in /dev/shm, never following a symlink; O_NONBLOCK so
    # that a hostile FIFO in place of an object cannot make open() hang (callers refuse
    # anything but a regular file).
    return os.open(shm_path(objname), flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK,
                   mode)


def fstat_regular(fd, what):
    """fstat, refusing anything but a regular file (a FIFO, a directory, ...)."""
    import stat as _stat
    st = os.fstat(fd)
    if not _stat.S_ISREG(st.st_mode):
        from ._protocol import ProtocolError
        raise ProtocolError("%s is not a regular file" % what)
    return st


def shm_unlink(objname):
    try:
        os.unlink(shm_path(objname))
        return True
    except FileNotFoundError:
        return False


class Mapping:
    """A MAP_SHARED mapping of a whole object, with its address for atomics and futexes."""

    def __init__(self, fd, size, writable):
        # ACCESS_READ: MAP_SHARED + PROT_READ, and buffers of it are read-only (an array over
        # a read-only mapping can then not be made writable and fault on a store)
        self.mm = mmap.mmap(fd, size, access=mmap.ACCESS_WRITE if writable else mmap.ACCESS_READ)
        self.size = size
        self.addr = buffer_address(self.mm)

    def copy(self, off, n):
        """Plain (racy) copy of bytes [off, off+n) into private memory."""
        return self.mm[off:off + n]

    def close(self):
        try:
            self.mm.close()
            return True
        except BufferError:
            # Views of it are alive (a FrameView, numpy arrays of its planes): leave it
            # mapped; it is unmapped when the last of them goes, never under them.
            return False


# --- processes ------------------------------------------------------------------------------------
def proc_starttime(pid):
    """Field 22 of /proc/<pid>/stat (clock ticks since boot), or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        rest = data[data.rindex(b")") + 2:].split()
        return int(rest[19])   # fields 3.. follow the ")": field 22 is rest[22 - 3]
    except (ValueError, IndexError):
        return None


def monotonic_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def realtime_ns():
    return time.time_ns()


class Closeable:
    """A resource that close() releases: on leaving a ``with`` block, and when collected."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
