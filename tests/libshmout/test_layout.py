# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
#
# test_layout.py - checks that the layout tables in docs/PROTOCOL.md match
# shmout_protocol.h: every documented offset and size equals the compiled
# one, the rows of each table are contiguous and add up to the struct size,
# every named field of the header is documented (a row "a, b" documents
# a and b, each half of it), and the pixel-format table lists exactly the
# codes and names the library knows.
# usage: test_layout.py PROTOCOL.md OUTPUT_OF_test_layout
import re
import sys

doc, dump = open(sys.argv[1]).read(), open(sys.argv[2]).read().split("\n")
layout, known = {}, {}
for line in dump:
    if line.startswith("pixfmt "):
        _, code, name, _ = line.split()
        known[int(code)] = name
    elif line and not line.startswith(("const ", "name ")):   # for test_python_layout.py
        s, f, off, size = line.split()
        layout.setdefault(s, {})[f] = (int(off), int(size))

# (section heading prefix, table index within it, struct)
TABLES = [("## 4.", 0, "shmout_header"), ("## 5.", 0, "shmout_geometry"),
          ("## 6.", 0, "shmout_segment_header"), ("## 6.", 1, "shmout_slot_desc"),
          ("## 6.", 2, "shmout_frame_meta"), ("## 7.", 0, "shmout_wait_page"),
          ("## 21.", 0, "shmout_reader_slot")]
failed = 0


def report(ok, what):
    global failed
    print(("ok - " if ok else "not ok - ") + what)
    failed += not ok


sections = re.split(r"\n(?=## )", doc)
for head, index, struct in TABLES:
    sec = next(s for s in sections if s.startswith(head))
    tables = re.findall(r"(\| off \| size \|.*?)(?:\n\n|\Z)", sec, re.S)
    rows = [r.split("|")[1:-1] for r in tables[index].split("\n")[2:]]
    pos, seen, errors = 0, set(), []
    for cols in rows:
        off, size, field = int(cols[0]), int(cols[1]), cols[3].strip().strip("`")
        if off != pos:
            errors.append("row %s starts at %d, previous row ended at %d" % (field, off, pos))
        pos = off + size
        names = [n.strip() for n in field.split(",")]
        for i, name in enumerate(names):
            noff, nsize = off + i * size // len(names), size // len(names)
            if name in layout[struct]:
                seen.add(name)
                coff, csize = layout[struct][name]
                if coff != noff or csize != nsize:
                    errors.append("%s documented at %d+%d, compiled at %d+%d"
                                  % (name, noff, nsize, coff, csize))
            elif not name.startswith("reserved"):
                errors.append("documented field %s is not in the header" % name)
    if pos != layout[struct]["sizeof"][0]:
        errors.append("table ends at %d, sizeof is %d" % (pos, layout[struct]["sizeof"][0]))
    missing = [f for f in layout[struct] if f not in seen and f != "sizeof"
               and not f.startswith("reserved")]
    if missing:
        errors.append("not documented: " + ", ".join(missing))
    for e in errors:
        print("# " + e)
    report(not errors, "PROTOCOL.md table of struct %s matches shmout_protocol.h" % struct)
sec = next(s for s in sections if s.startswith("## 5."))
documented = {int(c): n for c, n in re.findall(r"^\| (\d+) \| ([a-z][a-z0-9]*) \|", sec, re.M)}
report(documented == known, "PROTOCOL.md pixel-format table matches the library (%d codes)"
       % len(known))
if documented != known:
    print("# only in the document: %s" % sorted(set(documented.items()) - set(known.items())))
    print("# only in the library: %s" % sorted(set(known.items()) - set(documented.items())))
sys.exit(1 if failed else 0)
