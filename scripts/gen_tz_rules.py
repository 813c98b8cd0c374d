#!/usr/bin/env python3
"""Generate engine/src/time/tz_rules.inc: IANA zone name -> POSIX TZ rule.

Every TZif (version 2+) file ends with a footer line holding the POSIX TZ string that
governs instants after its last explicit transition. tariff evaluates that rule for all
dates, so native and WebAssembly builds agree without shipping the zoneinfo database.

Usage: scripts/gen_tz_rules.py [ZONEINFO_DIR] [OUTPUT]
  defaults: /usr/share/zoneinfo and engine/src/time/tz_rules.inc next to this script.

Skipped: posix/ and right/ (duplicate trees), localtime (machine-specific link),
posixrules (a legacy alias), and anything that is not a TZif file.

Since 2000, where a zone's past differs from its current rule (rule changes such as
Asia/Almaty 2024 or Mexico 2022, and the one-off Ramadan transitions of Africa/Casablanca or
Asia/Gaza), the explicit TZif transitions are kept as well, but only up to the point after
which the rule alone reproduces every later transition (checked with Python's zoneinfo on a
footer-only TZif). Before 2000 the rule is used.

Output layout (deduplicated, sorted, so lookups are a binary search):
  kTzRules[]        = distinct rule strings
  kTzTransitions[]  = {unix_seconds, utc_offset_seconds}, histories back to back
  kTzHistories[]    = {first, count, rule_from}: the offset is the last transition <= t
                      for kTzTransitions[first].at <= t < rule_from, else the rule's
  kTzZones[]        = {name, rule index, history index or -1}, sorted by name (byte order)
"""
import bisect
import calendar
import datetime
import io
import os
import struct
import sys
import zoneinfo

CUTOFF = calendar.timegm((2000, 1, 1, 0, 0, 0))
FOREVER = 2**63 - 1

SKIP_DIRS = {"posix", "right"}
SKIP_NAMES = {"localtime", "posixrules"}


def footer_rule(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 44 or data[:4] != b"TZif":
        return None
    if data[4:5] not in (b"2", b"3", b"4"):
        return None  # version 1 files carry no footer
    # The footer is "\n<rule>\n" at the very end of the file.
    if not data.endswith(b"\n"):
        return None
    start = data.rfind(b"\n", 0, len(data) - 1)
    if start < 0:
        return None
    rule = data[start + 1:-1].decode("ascii")
    if "\n" in rule or '"' in rule or "\\" in rule:
        return None
    return rule


def explicit_transitions(path):
    """[(unix_seconds, utc_offset)] from the 64-bit body, plus the offset before the first."""
    with open(path, "rb") as f:
        d = f.read()

    def counts(o):
        return struct.unpack(">6l", d[o + 20:o + 44])

    isut, isstd, leap, timecnt, typecnt, charcnt = counts(0)
    o = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut  # skip v1 body
    isut, isstd, leap, timecnt, typecnt, charcnt = counts(o)
    o += 44
    times = struct.unpack(">%dq" % timecnt, d[o:o + 8 * timecnt])
    o += 8 * timecnt
    idx = d[o:o + timecnt]
    o += timecnt
    offs = [struct.unpack(">l", d[o + 6 * i:o + 6 * i + 4])[0] for i in range(typecnt)]
    return [(t, offs[i]) for t, i in zip(times, idx)], offs[0]


def rule_zone(rule):
    """A zoneinfo zone that knows nothing but the POSIX rule (a footer-only TZif)."""
    head = b"TZif2" + b"\0" * 15 + struct.pack(">6l", 0, 0, 0, 0, 1, 1)
    body = struct.pack(">lBB", 0, 0, 0) + b"\0"
    data = head + body + head + body + b"\n" + rule.encode("ascii") + b"\n"
    return zoneinfo.ZoneInfo.from_file(io.BytesIO(data))


def rule_offset(zone, t):
    dt = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
    return int(dt.astimezone(zone).utcoffset().total_seconds())


RULE_TRANSITIONS = {}


def rule_transitions(rule, zone):
    """Every instant (to the second) from 1999 to 2110 at which the rule changes offset."""
    if rule in RULE_TRANSITIONS:
        return RULE_TRANSITIONS[rule]
    found = []
    if "," in rule:
        t = CUTOFF - 366 * 86400
        prev = rule_offset(zone, t)
        while t < 2**32:
            nxt = t + 6 * 3600  # no rule changes twice within 6 hours
            off = rule_offset(zone, nxt)
            if off != prev:
                lo, hi = t, nxt  # offset(lo) = prev, offset(hi) = off
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if rule_offset(zone, mid) == prev:
                        lo = mid
                    else:
                        hi = mid
                found.append(hi)
                prev = off
            t = nxt
    RULE_TRANSITIONS[rule] = found
    return found


def history(path, rule):
    """Explicit (unix_seconds, offset) list since CUTOFF where the rule is wrong, and rule_from."""
    transitions, initial = explicit_transitions(path)
    at_cutoff = initial
    for t, off in transitions:
        if t <= CUTOFF:
            at_cutoff = off
    points = [(CUTOFF, at_cutoff)]
    for t, off in transitions:
        if t > CUTOFF and off != points[-1][1]:
            points.append((t, off))
    zone = rule_zone(rule)
    changes = rule_transitions(rule, zone)

    def agrees(i):  # the rule gives points[i]'s offset throughout its segment
        t, off = points[i]
        if i + 1 == len(points):  # after the last transition TZif itself defers to the rule
            return rule_offset(zone, t) == off
        end = points[i + 1][0]
        inside = bisect.bisect_right(changes, t) < bisect.bisect_left(changes, end)
        return rule_offset(zone, t) == off and not inside

    k = len(points)
    while k > 0 and agrees(k - 1):
        k -= 1
    if k == 0:
        return None
    rule_from = points[k][0] if k < len(points) else FOREVER
    return tuple(points[:k]), rule_from


def collect(root):
    zones = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if rel in SKIP_NAMES:
                continue
            rule = footer_rule(os.path.join(dirpath, name))
            if rule is None:
                continue
            zones[rel.replace(os.sep, "/")] = (rule, history(os.path.join(dirpath, name), rule))
    return zones


def tzdata_version(root):
    try:
        with open(os.path.join(root, "tzdata.zi"), encoding="ascii") as f:
            first = f.readline().strip()
        if first.startswith("# version "):
            return first[len("# version "):]
    except OSError:
        pass
    return "unknown"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "..", "engine", "src", "time", "tz_rules.inc")

    zones = collect(root)
    if "UTC" not in zones:
        sys.exit("gen_tz_rules: no UTC zone found under " + root)
    rules = sorted(set(r for r, _ in zones.values()))
    index = {r: i for i, r in enumerate(rules)}
    names = sorted(zones, key=lambda s: s.encode("ascii"))
    histories = []
    history_index = {}
    for n in names:
        h = zones[n][1]
        if h is not None and h not in history_index:
            history_index[h] = len(histories)
            histories.append(h)
    transition_count = sum(len(points) for points, _ in histories)
    assert all(0 <= t < 2**32 for points, _ in histories for t, _ in points), "uint32 overflow"

    lines = [
        "// Generated by scripts/gen_tz_rules.py from tzdata " + tzdata_version(root) + ". Do not edit.",
        "// %d zones, %d distinct POSIX TZ rules (the footer line of each TZif file);" % (
            len(names), len(rules)),
        "// %d histories, %d transitions since 2000 where a zone's past differs from its rule." % (
            len(histories), transition_count),
        "// Included by engine/src/time/tz_table.hpp only.",
        "",
        "constexpr const char* kTzRules[] = {",
    ]
    lines += ['    "%s",  // %d' % (r, i) for i, r in enumerate(rules)]
    lines += ["};", "", "constexpr TzTransition kTzTransitions[] = {"]
    starts = []
    for points, _ in histories:
        starts.append(sum(len(p) for p, _ in histories[:len(starts)]))
        row = ", ".join("{%d, %d}" % p for p in points)
        lines.append("    " + row + ",")
    lines += ["};", "", "constexpr TzHistory kTzHistories[] = {"]
    for (points, rule_from), first in zip(histories, starts):
        lines.append("    {%d, %d, %s}," % (first, len(points),
                                            "kTzForever" if rule_from == FOREVER else rule_from))
    lines += ["};", "", "constexpr TzZoneEntry kTzZones[] = {"]
    for n in names:
        rule, h = zones[n]
        lines.append('    {"%s", %d, %d},' % (n, index[rule], -1 if h is None else history_index[h]))
    lines += ["};", ""]
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines))
    print("gen_tz_rules: %d zones, %d rules, %d histories (%d transitions) -> %s" % (
        len(names), len(rules), len(histories), transition_count, out))


if __name__ == "__main__":
    main()
