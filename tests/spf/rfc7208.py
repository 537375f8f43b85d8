#!/usr/bin/python3
"""rfc7208.py - turn the RFC 7208 SPF test suite (YAML) into zone files

usage: rfc7208.py SUITE.yml[.gz] OUTDIR

Writes OUTDIR/sNN.zone, one zone file per scenario (YAML document), in the
format of auth/zone.h, and OUTDIR/cases.txt, one line per test:

    ZONEFILE TAB SCENARIO TAB CASE TAB HOST TAB HELO TAB MAILFROM TAB RESULTS

RESULTS is the accepted results joined by ",".  Fields use C escapes
(\\\\, \\t, \\n, \\xHH) so that no field holds a tab or a newline.

The zone data follows the suite driver (testspf.py of pyspf):
  - "SPF" data also makes a TXT record, unless the name has TXT data of
    its own (or "TXT: NONE", which only stops that copy);
  - a bare "TIMEOUT" in a name's list times out every type that has no
    record before it in the list; records after it are never reached;
  - "TYPE: TIMEOUT" times out that type alone;
  - TXT strings are UTF-8 and are written as \\DDD escapes where needed.
Names that no DNS query could carry (empty or over-long labels) are left
out, with a note on stderr.
"""

import gzip
import os
import sys

import yaml

TYPES = ("A", "AAAA", "MX", "PTR", "TXT", "CNAME")


def esc_field(s):
    """C escapes for a cases.txt field."""
    out = []
    for ch in s.encode("utf-8"):
        if ch == 0x5C:
            out.append("\\\\")
        elif ch == 0x09:
            out.append("\\t")
        elif ch == 0x0A:
            out.append("\\n")
        elif ch < 0x20 or ch >= 0x7F:
            out.append("\\x%02x" % ch)
        else:
            out.append(chr(ch))
    return "".join(out)


def esc_name(name):
    """A zone-file name: \\DDD for octets that are not plainly safe."""
    out = []
    for ch in name.encode("utf-8"):
        if ch <= 0x20 or ch >= 0x7F or chr(ch) in '\\";()':
            out.append("\\%03d" % ch)
        else:
            out.append(chr(ch))
    return "".join(out)


def name_ok(name):
    labels = name.rstrip(".").split(".")
    raw = name.rstrip(".").encode("utf-8")
    return (0 < len(raw) <= 253 and all(labels)
            and all(len(lab.encode("utf-8")) <= 63 for lab in labels))


def esc_txt(strings):
    """TXT rdata: quoted strings of at most 255 octets."""
    parts = []
    for s in strings:
        b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
        chunks = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
        for c in chunks:
            q = []
            for ch in c:
                if ch < 0x20 or ch >= 0x7F or chr(ch) in '\\"':
                    q.append("\\%03d" % ch)
                else:
                    q.append(chr(ch))
            parts.append('"' + "".join(q) + '"')
    return " ".join(parts) if parts else '""'


def records(name, rrlist):
    """testspf.py getrdata(): (type, value) pairs and "TIMEOUT" marks."""
    out = []
    gen = True
    spf = []
    for m in rrlist:
        if not isinstance(m, dict):
            out.append(m)
            continue
        for t, v in m.items():
            if t in ("TXT", "SPF") and isinstance(v, str):
                v = (v,)
            if t == "TXT":
                gen = False
            elif t == "SPF" and gen:
                spf.append(("TXT", v))
            if v != ("NONE",):
                out.append((t, v))
    if gen:
        out.extend(spf)
    return out


def zone_lines(name, rrlist):
    lines = []
    owner = esc_name(name)
    recs = records(name, rrlist)
    seen = set()
    for r in recs:
        if r == "TIMEOUT":
            for t in TYPES:
                if t not in seen:
                    lines.append("$TIMEOUT %s %s" % (owner, t))
            break       # testspf.py: nothing after it is reached
        t, v = r
        if v == "TIMEOUT":
            lines.append("$TIMEOUT %s %s" % (owner, t))
            continue
        seen.add(t)
        if t in ("A", "AAAA"):
            lines.append("%s %s %s" % (owner, t, v))
        elif t == "MX":
            pref, target = v
            target = esc_name(target) if target else "."
            lines.append("%s MX %d %s" % (owner, int(pref), target))
        elif t in ("PTR", "CNAME", "NS"):
            lines.append("%s %s %s" % (owner, t, esc_name(v)))
        elif t in ("TXT", "SPF"):
            lines.append("%s %s %s" % (owner, t, esc_txt(v)))
        else:
            raise ValueError("%s: unknown type %s" % (name, t))
    return lines


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: rfc7208.py SUITE.yml[.gz] OUTDIR\n")
        return 2
    path, outdir = sys.argv[1], sys.argv[2]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        docs = list(yaml.safe_load_all(f))
    ncases = 0
    with open(os.path.join(outdir, "cases.txt"), "w") as cases:
        for i, doc in enumerate(docs):
            if not doc:
                continue
            zfile = "s%02d.zone" % i
            scen = doc.get("description", "scenario %d" % i)
            scen = "-".join(scen.lower().split())
            with open(os.path.join(outdir, zfile), "w") as z:
                z.write("; %s\n" % scen)
                for name, rrlist in doc.get("zonedata", {}).items():
                    if not name_ok(name):
                        sys.stderr.write("rfc7208.py: %s: name %r left out "
                                         "(no query can carry it)\n"
                                         % (scen, name))
                        continue
                    for line in zone_lines(name, rrlist or []):
                        z.write(line + "\n")
            for cname, t in doc.get("tests", {}).items():
                res = t["result"]
                if isinstance(res, str):
                    res = [res]
                fields = [zfile, scen, cname, str(t["host"]),
                          str(t.get("helo", "")), str(t.get("mailfrom", "")),
                          ",".join(res)]
                cases.write("\t".join(esc_field(x) for x in fields) + "\n")
                ncases += 1
    sys.stderr.write("rfc7208.py: %d scenarios, %d cases\n"
                     % (len(docs), ncases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
