# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the shmout authors
"""help.py: the options of the shmout and shmin devices and of the chanmask filter, as
`ffmpeg -h` shows them to the user, against their documentation, for tests/ffmpeg/devices.sh:
README.md's tables of the devices' options (every option there and no other, its values as
the constants -h lists, its range and default) and docs/chanmask.md (the mask option, each
constant with its help text, the default those constants make up, runtime, slice threading,
timeline). Prints one line per check, "ok<TAB>DESC" or "not ok<TAB>DESC<TAB>DETAIL".

    python3 help.py FFMPEG README.md docs/chanmask.md
"""
import re
import subprocess
import sys

OPTION = re.compile(r"^ {2,3}-?(\S+)\s+<(\w+)>\s+([.A-Z]{8,})\s?(.*)$")
CONST = re.compile(r"^ {5}(\S+)\s+(-?\d+)?\s+([.A-Z]{8,})\s?(.*)$")


def report(ok, desc, detail=""):
    print("%s\t%s\t%s" % ("ok" if ok else "not ok", desc, detail.replace("\n", " | ")))


def ffmpeg_help(ffmpeg, what):
    """The text of ffmpeg -h WHAT and its options: name -> type, flags, help, constants."""
    text = subprocess.run([ffmpeg, "-hide_banner", "-h", what], capture_output=True,
                          text=True).stdout
    opts, cur = {}, None
    for line in text.splitlines():
        m = OPTION.match(line)
        if m:
            cur = opts[m.group(1)] = {"type": m.group(2), "flags": m.group(3),
                                      "help": m.group(4).strip(), "consts": []}
            continue
        m = CONST.match(line)
        if m and cur:
            cur["consts"].append((m.group(1), m.group(4).strip()))
        elif not line.startswith("     "):
            cur = None
    return text, opts


def doc_table(path, heading):
    """Rows (cells) of the first Markdown table after the line heading in the file path."""
    lines = open(path, encoding="utf-8").read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().startswith(heading))
    rows, seen = [], False
    for l in lines[start + 1:]:
        if l.startswith("|"):
            seen = True
            cells = [c.strip() for c in l.strip().strip("|").split("|")]
            if not set(cells[0]) <= set("-: "):
                rows.append(cells)
        elif seen:
            break
    return rows[1:]                     # without the header row


def ticked(cell):
    return re.findall(r"`([^`]*)`", cell)


def check_option(what, name, o, values):
    """One documented option of a device against its -h entry."""
    desc = "-h %s: -%s, its values and help text" % (what, name)
    if o is None:
        return report(False, desc, "not listed")
    why, words = [], ticked(values)
    consts = [c for c, _ in o["consts"]]
    if not o["help"]:
        why.append("no help text")
    why += ["value %s has no help text" % c for c, h in o["consts"] if not h]
    if o["type"] == "boolean" and words != ["1", "0"]:
        why.append("a boolean documented as %s" % values)
    if o["type"] == "flags" and (len(words) != 1 or consts != words[0].split("+")):
        why.append("constants %s, documented %s" % (consts, words))
    if o["type"] == "int" and consts and sorted(consts) != sorted(words):
        why.append("constants %s, documented %s" % (consts, words))
    m = re.search(r"(-?\d+) to (-?\d+)", values)
    if m and "(from %s to %s)" % m.groups() not in o["help"]:
        why.append("range %s to %s not in '%s'" % (m.group(1), m.group(2), o["help"]))
    m = re.search(r"`(\w+)` \(default\)", values) or re.search(r"\(default ([^,)\s]+)", values)
    if m and "(default %s)" % m.group(1) not in o["help"]:
        why.append("default %s not in '%s'" % (m.group(1), o["help"]))
    report(not why, desc, "; ".join(why))


def check_device(ffmpeg, what, title, readme, heading):
    text, opts = ffmpeg_help(ffmpeg, what)
    rows = doc_table(readme, heading)
    report(title in text, "-h %s prints '%s'" % (what, title), text[:300])
    documented = [ticked(r[0])[0] for r in rows]
    report(sorted(documented) == sorted(opts), "-h %s lists exactly the options README.md documents" % what,
           "listed %s, documented %s" % (sorted(opts), sorted(documented)))
    for r, name in zip(rows, documented):
        check_option(what, name, opts.get(name), r[1])
    return rows


def check_chanmask(ffmpeg, doc):
    text, opts = ffmpeg_help(ffmpeg, "filter=chanmask")
    lines = text.splitlines()
    report(len(lines) > 1 and lines[0] == "Filter chanmask" and lines[1].strip() != "",
           "-h filter=chanmask names the filter and says what it does", text[:300])
    report("slice threading supported" in text and "support for timeline through the 'enable' option" in text,
           "-h filter=chanmask: slice threading and timeline, as docs/chanmask.md says", text[-300:])
    table = doc_table(doc, "`mask` (flags")
    docc = [(ticked(r[0])[0], int(r[1]), r[2]) for r in table]
    o = opts.get("mask")
    if o is None:
        return report(False, "-h filter=chanmask: the mask option", text)
    report(o["type"] == "flags" and "T" in o["flags"] and o["help"] != "",
           "-h filter=chanmask: mask, flags, a runtime option, with help text", str(o))
    report([c for c, _ in o["consts"]] == [c for c, _, _ in docc],
           "-h filter=chanmask: mask's constants are docs/chanmask.md's, in its order",
           "%s, documented %s" % (o["consts"], docc))
    helps = dict(o["consts"])
    for c, _, meaning in docc:
        report(helps.get(c) == meaning, "-h filter=chanmask: constant %s: '%s'" % (c, meaning),
               "help text: %s" % helps.get(c))
    default = re.search(r"default `(\w+)`", open(doc, encoding="utf-8").read()).group(1)
    dv = next(v for c, v, _ in docc if c == default)
    want = "+".join(c for c, v, _ in docc if v and v & dv == v)
    report(o["help"].endswith("(default %s)" % want),
           "-h filter=chanmask: mask's default is %s (%s)" % (default, want), o["help"])


def main():
    ffmpeg, readme, chanmask = sys.argv[1:4]
    rows = check_device(ffmpeg, "muxer=shmout", "Muxer shmout [Shared-memory video output device]",
                        readme, "### The shmout device's options")
    m = re.search(r"The options are the (\d+) parameters of TouchDesigner", open(readme, encoding="utf-8").read())
    top = [r for r in rows if "not a TOP parameter" not in r[2]]
    ours = sorted(r[0].strip("`") for r in rows if "not a TOP parameter" in r[2])
    extra = ["layout", "lock_timeout", "lossless_timeout", "slots", "wait_readers",
             "wait_readers_fail", "wait_readers_timeout"]
    report(m is not None and len(top) == int(m.group(1)) and ours == extra,
           "README.md documents the %s TouchDesigner parameters, and %s"
           % (m.group(1) if m else "?", ", ".join(extra)),
           "%d rows, %d of them TouchDesigner parameters, the others %s" % (len(rows), len(top), ours))
    check_device(ffmpeg, "demuxer=shmin", "Demuxer shmin [Shared-memory video input device]",
                 readme, "Options of `-f shmin`")
    check_chanmask(ffmpeg, chanmask)


if __name__ == "__main__":
    main()
