# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""Validation a reader must do (PROTOCOL.md §16): a valid block is cloned under a new name, one
field is corrupted, and the reader must refuse with ProtocolError (or give up with
OverwrittenError for seqlocks that never settle) instead of crashing, hanging or reading out of
bounds. Also: header parsing of a valid block, minor-version and unknown-format tolerance, and
a random-mutation fuzz pass."""

import os
import random
import struct
import sys
import time
import unittest

import helpers
from helpers import shmout, S

P = shmout._protocol
W, H = 6, 4
# primary header offsets (§4)
PRIM = dict(magic=(0, "Q"), version_major=(8, "H"), version_minor=(10, "H"),
            header_size=(12, "I"), byte_order=(16, "I"), state=(20, "I"), memtype=(36, "I"),
            geometry_seq=(160, "Q"))
# data object header offsets (§6)
SEG = dict(magic=(0, "Q"), version_major=(8, "H"), header_size=(12, "I"), segment_gen=(16, "I"),
           slot_count=(20, "I"), slot_table_offset=(32, "Q"), slot_desc_size=(40, "Q"),
           data_offset=(48, "Q"), data_stride=(56, "Q"), capacity=(64, "Q"),
           segment_size=(72, "Q"), latest_frame=(80, "Q"))
# geometry offsets (§5), relative to the geometry
GEO = dict(width=(0, "I"), height=(4, "I"), pix_fmt=(8, "I"), nb_planes=(12, "I"),
           frame_bytes=(16, "Q"), plane_offset0=(24, "Q"), plane_offset1=(32, "Q"),
           linesize0=(56, "I"), linesize1=(60, "I"), bytewidth0=(72, "I"), bytewidth1=(76, "I"),
           height0=(88, "I"), height1=(92, "I"))


def put(mm, off, fmt, value):
    struct.pack_into("<" + fmt, mm, off, value)


class Corruption(helpers.BlockTest):
    """Each test clones the template block (a stale copy of a live writer's objects)."""

    @classmethod
    def setUpClass(cls):
        cls.src = helpers.block_name("tpl")
        cls.w = shmout.Writer(cls.src, W, H, "rgba", slots=3, heartbeat=False)
        cls.w.write(bytes(range(W * H * 4)), pts=5, tb=(1, 25))   # frame 1, slot 1
        base = shmout.base_name(cls.src, "local", os.geteuid())
        cls.files = {}
        for f in helpers.shm_files(cls.src):
            with open(os.path.join(S.SHM_DIR, f), "rb") as fh:
                cls.files[f[len(base):]] = fh.read()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        helpers.cleanup(cls.src)

    def clone(self):
        """A copy of the template under a new name: primary, @w, @d1."""
        name = self.name("bad")
        base = shmout.base_name(name, "local", os.geteuid())
        for suffix, data in self.files.items():
            data = bytearray(data)
            if suffix == "":
                data[96:160] = name.encode().ljust(64, b"\0")
            fd = os.open(os.path.join(S.SHM_DIR, base + suffix),
                         os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, data)
            os.close(fd)
        return name

    def slot_desc(self):
        return 256 + 512 * (1 % 3)

    # -- sanity: the clone itself is valid ---------------------------------------------------------
    def test_clone_is_valid(self):
        name = self.clone()
        with shmout.Reader(name) as r:
            self.assertEqual(r.status, "stale")   # nobody holds its writer lock
            f = r.read()
            self.assertEqual(f.number, 1)
            self.assertEqual(f.pts, 5)
            self.assertEqual(f.time_base, (1, 25))
            self.assertEqual(f.data[0], bytes(range(W * H * 4)))
            h = r.header()
            self.assertEqual(h.version, (1, 1))          # a 1.1 writer (§17)
            self.assertEqual((h.reader_slots, h.lossless_timeout_ms), (32, 1000))
            self.assertEqual(h.header_size, 1024)
            self.assertEqual(h.geometry.width, W)
            self.assertEqual(h.geometry.pix_fmt_name, "rgba")
            self.assertEqual(h.owner_pid, os.getpid())
            self.assertEqual(h.memtype, 1)

    def expect_refused(self, name, exc=shmout.ProtocolError, on_read=False, **kw):
        if on_read:
            with shmout.Reader(name, **kw) as r:
                with self.assertRaises(exc):
                    r.read()
        else:
            with self.assertRaises(exc):
                shmout.Reader(name, **kw)

    # -- primary (§16) ----------------------------------------------------------------------------
    def test_primary_fields(self):
        cases = [("magic", 0x1122334455667788), ("magic", 0x5348444854554F4D),
                 ("magic", int.from_bytes(P.MAGIC_HEADER.to_bytes(8, "little"), "big")),
                 ("byte_order", 0x04030201), ("byte_order", 0),
                 ("version_major", 2), ("version_major", 0),
                 ("header_size", 1023), ("header_size", 0), ("header_size", 4097),
                 ("state", 3), ("state", 0xFFFFFFFF), ("memtype", 0), ("memtype", 3)]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                name = self.clone()
                mm = helpers.obj_map(name)
                put(mm, PRIM[field][0], PRIM[field][1], value)
                self.expect_refused(name)

    def test_primary_name_without_nul(self):
        name = self.clone()
        mm = helpers.obj_map(name)
        mm[96:160] = b"A" * 64
        self.expect_refused(name)

    def test_primary_name_not_a_name(self):
        for raw in (b"\x1b[2Jx", b"a/b", b"a\x7f"):
            with self.subTest(raw=raw):
                name = self.clone()
                mm = helpers.obj_map(name)
                mm[96:160] = raw.ljust(64, b"\0")
                self.expect_refused(name)

    def test_primary_size(self):
        for size in (4095, 4097, 8192, 1):
            with self.subTest(size=size):
                name = self.clone()
                os.truncate(os.path.join(S.SHM_DIR, shmout.base_name(name, "local",
                                                                      os.geteuid())), size)
                self.expect_refused(name)

    def test_not_ready(self):
        name = self.clone()
        path = os.path.join(S.SHM_DIR, shmout.base_name(name, "local", os.geteuid()))
        mm = helpers.obj_map(name)
        put(mm, 0, "Q", 0)                          # magic 0: not initialised yet
        with self.assertRaises(shmout.NotReadyError):
            shmout.Reader(name, timeout=0.1)
        os.truncate(path, 0)                        # size 0: not initialised yet
        with self.assertRaises(shmout.NotReadyError):
            shmout.Reader(name)
        os.unlink(path)
        with self.assertRaises(shmout.NotReadyError):
            shmout.Reader(name, timeout=0.05)

    def test_not_a_regular_file(self):
        """A FIFO or symlink in place of an object is refused at once (no hang)."""
        for suffix in ("", "@d1"):
            for kind in ("fifo", "symlink"):
                with self.subTest(suffix=suffix, kind=kind):
                    name = self.clone()
                    path = os.path.join(S.SHM_DIR, shmout.base_name(name, "local",
                                                                    os.geteuid()) + suffix)
                    os.unlink(path)
                    if kind == "fifo":
                        os.mkfifo(path, 0o600)
                    else:
                        os.symlink("/etc/passwd", path)
                    with self.assertRaises((shmout.ProtocolError, OSError)):
                        shmout.Reader(name)
                    if suffix == "":
                        with self.assertRaises((shmout.ProtocolError, OSError)):
                            shmout.Writer(name, 2, 2, "gray", heartbeat=False)
                    else:           # a writer owns every @d name: it removes the odd one
                        with shmout.Writer(name, 2, 2, "gray", heartbeat=False) as w:
                            self.assertEqual(w.segment_gen, 2)
                        self.assertFalse(os.path.lexists(path))

    def test_minor_version_and_reserved_accepted(self):
        name = self.clone()
        mm = helpers.obj_map(name)
        put(mm, 10, "H", 7)                         # any minor is accepted (§17)
        mm[600:700] = b"\xff" * 100                 # reserved bytes are ignored
        put(mm, 12, "I", 2048)                      # a bigger header (≤ object size)
        with shmout.Reader(name) as r:
            self.assertEqual(r.header().version, (1, 7))
            self.assertEqual(r.read().number, 1)

    def test_announced_geometry(self):
        for field, value in (("width", 0), ("height", 65537), ("pix_fmt", 0), ("nb_planes", 0),
                             ("nb_planes", 5), ("linesize0", 0), ("bytewidth0", 1 << 20),
                             ("plane_offset1", 64), ("frame_bytes", 1 << 41)):
            with self.subTest(field=field, value=value):
                name = self.clone()
                mm = helpers.obj_map(name)
                put(mm, 256 + GEO[field][0], GEO[field][1], value)
                self.expect_refused(name)

    def test_announced_geometry_larger_than_slots(self):
        """§4: checked on its own, never against the data object: during a §14 change that does
        not fit, a valid block announces a frame larger than the slots segment_gen names."""
        name = self.clone()
        mm = helpers.obj_map(name)
        big = shmout.make_geometry(64, 64, "rgba")
        put(mm, 160, "Q", 5)                            # a writer inside the window ...
        mm[168:176] = (2).to_bytes(8, "little")
        mm[256:512] = big.pack()
        put(mm, 160, "Q", 6)                            # ... and out of it
        with shmout.Reader(name) as r:
            self.assertEqual((r.header().geometry, r.header().geometry_gen), (big, 2))
            self.assertEqual(r.info().capacity, W * H * 4)
            f = r.read()
            self.assertEqual((f.number, f.width, f.data[0]), (1, W, bytes(range(W * H * 4))))

    def test_geometry_seqlock_stuck_odd(self):
        """§14: a writer died inside the announce window: the announced geometry is unavailable,
        which is no error and no reason to spin; the next writer rounds the sequence up."""
        name = self.clone()
        mm = helpers.obj_map(name)
        put(mm, 160, "Q", 3)
        t = time.monotonic()
        with shmout.Reader(name) as r:
            h = r.header()
            self.assertEqual((h.geometry, h.geometry_gen), (None, 0))
            self.assertEqual(r.status, "stale")
            info = r.info()
            self.assertEqual((info.width, info.height, info.pix_fmt_name), (0, 0, ""))
            f = r.read()                                # frames carry their own geometry
            self.assertEqual((f.number, f.data[0]), (1, bytes(range(W * H * 4))))
            self.assertLess(time.monotonic() - t, 2.0)
            with shmout.Writer(name, 3, 2, "gray", heartbeat=False):   # takeover
                self.assertEqual(struct.unpack_from("<Q", mm, 160)[0], 6)   # 3 -> 4, 5, 6
                h = r.header()
                self.assertEqual((h.geometry.width, h.geometry.height, h.geometry_gen), (3, 2, 1))

    def test_wait_object_checked(self):
        """§7: a reader uses @w only if it is a regular file of the primary's owner of at least
        4096 bytes; anything else is ignored, never an error (and never mapped)."""
        kinds = ["short", "directory", "fifo", "symlink", "ours"]
        if os.geteuid() == 0:
            kinds.append("other owner")
        for kind in kinds:
            with self.subTest(kind=kind):
                name = self.clone()
                path = os.path.join(S.SHM_DIR, shmout.base_name(name, "local",
                                                                os.geteuid()) + "@w")
                os.unlink(path)
                if kind == "directory":
                    os.mkdir(path, 0o700)
                elif kind == "fifo":
                    os.mkfifo(path, 0o600)
                elif kind == "symlink":
                    os.symlink("/etc/passwd", path)
                else:
                    with open(path, "wb") as fh:
                        fh.write(bytes(100 if kind == "short" else 4096))
                    if kind == "other owner":
                        os.chown(path, 65534, 65534)
                with shmout.Reader(name) as r:
                    self.assertEqual(r._wait_map is not None, kind == "ours")
                    self.assertEqual(r.read().number, 1)
                    self.assertFalse(r.wait(0.02))
                if kind == "directory":
                    os.rmdir(path)

    # -- data object (§16) -------------------------------------------------------------------------
    def test_data_object_fields(self):
        size = len(self.files["@d1"])
        cases = [("magic", 1), ("version_major", 2), ("header_size", 255),
                 ("header_size", size + 1), ("segment_gen", 2), ("slot_count", 1),
                 ("slot_count", 17), ("slot_count", 0), ("slot_desc_size", 448),
                 ("slot_desc_size", 65600), ("slot_desc_size", 520),
                 ("slot_table_offset", 128), ("slot_table_offset", 300),
                 ("slot_table_offset", size + 64), ("slot_table_offset", size - 64),
                 ("data_offset", 1024), ("data_offset", size + 4096),
                 ("capacity", 0), ("capacity", (1 << 40) + 1),
                 ("data_stride", 10), ("data_stride", size), ("data_stride", 1 << 63),
                 ("segment_size", size + 1), ("slot_desc_size", 1 << 62)]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                name = self.clone()
                mm = helpers.obj_map(name, "@d1")
                put(mm, SEG[field][0], SEG[field][1], value)
                self.expect_refused(name)

    def test_data_object_too_small(self):
        for size in (0, 100, 255):
            with self.subTest(size=size):
                name = self.clone()
                base = shmout.base_name(name, "local", os.geteuid())
                os.truncate(os.path.join(S.SHM_DIR, base + "@d1"), size)
                self.expect_refused(name)

    def test_data_object_truncated_below_segment_size(self):
        name = self.clone()
        base = shmout.base_name(name, "local", os.geteuid())
        os.truncate(os.path.join(S.SHM_DIR, base + "@d1"), 4096)
        self.expect_refused(name)

    # -- slots (§16) -------------------------------------------------------------------------------
    def test_slot_fields(self):
        d = self.slot_desc()
        g = d + 256
        cases = [(d + 16, "Q", 2), (g + 0, "I", 0), (g + 0, "I", 65537), (g + 4, "I", 0),
                 (g + 8, "I", 0), (g + 12, "I", 0), (g + 12, "I", 5), (g + 16, "Q", 1 << 41),
                 (g + 16, "Q", 10 ** 6), (g + 56, "I", 0), (g + 72, "I", 0), (g + 88, "I", 0),
                 (g + 72, "I", W * 4 + 1), (g + 56, "I", 0x80000000), (g + 24, "Q", 97),
                 (g + 88, "I", H + 1), (g + 88, "I", 0xFFFFFFFF),
                 (g + 32, "Q", 64), (g + 60, "I", 1), (g + 92, "I", 1), (g + 76, "I", 1)]
        for off, fmt, value in cases:
            with self.subTest(off=off - d, value=value):
                name = self.clone()
                mm = helpers.obj_map(name, "@d1")
                put(mm, off, fmt, value)
                self.expect_refused(name, on_read=True)

    def test_slot_pix_fmt_names(self):
        g = self.slot_desc() + 256
        for code, raw in ((16, b"bgra"), (16, b""), (16, b"A" * 32), (20, b"rgba"),
                          (1, b"\x1b[2J"), (1, b"rgb a")):
            with self.subTest(code=code, raw=raw):
                name = self.clone()
                mm = helpers.obj_map(name, "@d1")
                put(mm, g + 8, "I", code)
                mm[g + 128:g + 160] = raw.ljust(32, b"\0")[:32]
                self.expect_refused(name, on_read=True)

    def test_slot_unknown_code_is_other(self):
        name = self.clone()
        mm = helpers.obj_map(name, "@d1")
        put(mm, self.slot_desc() + 256 + 8, "I", 4000)   # unknown code: treated like OTHER
        with shmout.Reader(name) as r:
            f = r.read()
            self.assertEqual(f.pix_fmt, 4000)
            self.assertEqual(f.data[0], bytes(range(W * H * 4)))

    def test_seq_never_settles(self):
        for seq in (1, 3, 0, 4):       # 2n-1 (being written), other frames, never written
            with self.subTest(seq=seq):
                name = self.clone()
                mm = helpers.obj_map(name, "@d1")
                put(mm, self.slot_desc(), "Q", seq)
                self.expect_refused(name, shmout.OverwrittenError, on_read=True, max_retries=20)

    def test_latest_frame_hostile(self):
        for n in (2, 1 << 63, (1 << 64) - 1):
            with self.subTest(latest=n):
                name = self.clone()
                mm = helpers.obj_map(name, "@d1")
                put(mm, 80, "Q", n)
                self.expect_refused(name, shmout.OverwrittenError, on_read=True, max_retries=20)

    def test_random_mutations(self):
        """Fuzz: random bytes in the headers give a frame or a clean error, nothing else."""
        rnd = random.Random(1234)
        outcomes = set()
        for i in range(150):
            name = self.clone()
            suffix = rnd.choice(["", "@d1", "@d1"])
            mm = helpers.obj_map(name, suffix)
            limit = 1024 if suffix == "" else 256 + 512 * 3
            for _ in range(rnd.randint(1, 4)):
                off = rnd.randrange(limit)
                mm[off] = rnd.randrange(256)
            mm.close()
            try:
                with shmout.Reader(name, max_retries=10) as r:
                    f = r.read()
                    r.status
                    if f is not None:
                        self.assertEqual(sum(len(d) for d in f.data),
                                         sum(p.bytewidth * p.height for p in f.planes))
                outcomes.add("ok")
            except (shmout.ProtocolError, shmout.OverwrittenError, shmout.NotReadyError) as e:
                outcomes.add(type(e).__name__)
            helpers.cleanup(name)
        self.assertIn("ProtocolError", outcomes)


ENOSPC_PROG = r"""
import errno, os, sys
sys.path.insert(0, %r)
import shmout
def full(call):
    try:
        call()
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
        print(e.strerror)
    else:
        print("no error")
full(lambda: shmout.Writer("big", 1280, 720, "rgba"))
print(sorted(os.listdir("/dev/shm")))
with shmout.Writer("small", 64, 64, "rgba") as w:
    full(lambda: w.set_geometry(1280, 720))
    print(w.write(bytes(64 * 64 * 4)), w.geometry.width)
"""


class FullShm(unittest.TestCase):
    def test_enospc_names_block_bytes_and_fix(self):
        """A full /dev/shm (a private 2 MiB tmpfs: needs root): opening and growing fail with
        ENOSPC and a message naming the block, the bytes needed and the fix, as libshmout's;
        a failed open leaves nothing behind; a failed growth leaves the writer working."""
        if os.geteuid() != 0 or helpers.run(["unshare", "-m", "true"]).returncode:
            self.skipTest("SKIPPED: a full /dev/shm needs root for a private tmpfs")
        prog = ENOSPC_PROG % os.path.join(helpers.TOP, "python")
        q = helpers.run(["unshare", "-m", "sh", "-c",
                         'mount --make-rprivate / && mount -t tmpfs -o size=2m t /dev/shm && '
                         'exec "$0" -c "$1"', sys.executable, prog])
        self.assertEqual(q.returncode, 0, q.stderr)
        lines = q.stdout.splitlines()
        self.assertEqual(len(lines), 4, q.stdout)
        # 3 slots of 1280x720 rgba: the data object's size, as the writer lays it out
        size = shmout.make_geometry(1280, 720, "rgba").frame_bytes * 3
        for ln, name in ((lines[0], "big"), (lines[2], "small")):
            self.assertRegex(ln, r"^/dev/shm is full: (\d+) bytes needed for block '%s'"
                             r", \d+ free \(ENOSPC\); free space in /dev/shm .*enlarge it"
                             % name)
            self.assertGreaterEqual(int(ln.split()[3]), size)
        self.assertEqual(lines[1], "[]")
        self.assertEqual(lines[3], "1 64")


class ParseUnits(unittest.TestCase):
    def test_make_and_parse_geometry(self):
        for fmt in shmout.PIX_FMT_CODES:
            with self.subTest(fmt=fmt):
                g = shmout.make_geometry(7, 5, fmt)
                back = P.parse_geometry(g.pack(), g.frame_bytes)
                self.assertEqual(back, g)
                for pl in g.planes:
                    self.assertEqual(pl.offset % 64, 0)

    def test_layouts(self):
        g = shmout.make_geometry(5, 3, "yuv420p")
        self.assertEqual([(p.offset, p.bytewidth, p.height) for p in g.planes],
                         [(0, 5, 3), (64, 3, 2), (128, 3, 2)])
        self.assertEqual(g.frame_bytes, 134)
        self.assertEqual(shmout.make_geometry(5, 3, "yuyv422").planes[0].bytewidth, 12)
        self.assertEqual(shmout.make_geometry(5, 3, "p010le").planes[1].bytewidth, 12)
        self.assertEqual(shmout.make_geometry(5, 3, "rgb48le").planes[0].bytewidth, 30)
        self.assertEqual(len(shmout.make_geometry(5, 3, "gbrap").planes), 4)

    def test_geometry_capacity(self):
        g = shmout.make_geometry(8, 8, "rgba")
        with self.assertRaises(shmout.ProtocolError):
            P.parse_geometry(g.pack(), g.frame_bytes - 1)

    def test_bad_dimensions(self):
        for w, h in ((0, 1), (1, 0), (65537, 1), (1, 65537), (-1, 5)):
            with self.assertRaises(ValueError):
                shmout.make_geometry(w, h, "rgba")
        with self.assertRaises(ValueError):
            shmout.make_geometry(4, 4, "rgb565le")

    def test_codes_stable(self):
        self.assertEqual(shmout.pix_fmt_code("rgba"), 16)
        self.assertEqual(shmout.pix_fmt_code("grayf32le"), 50)
        self.assertEqual(shmout.pix_fmt_code("yuv420p"), 128)
        self.assertEqual(shmout.pix_fmt_code("uyvy422"), 139)
        self.assertEqual(len(shmout.PIX_FMTS), 43)


if __name__ == "__main__":
    unittest.main()
