#!/bin/sh
# mkcorpus.sh - build the seed corpora of the fuzz targets, and session.zone
#
# usage: tests/fuzz/mkcorpus.sh [-m BINDIR] [SRCDIR]
#
# Rewrites SRCDIR/tests/fuzz/corpus/TARGET/ (SRCDIR defaults to two levels
# above this script) from what the tree already holds:
#   - the string literals of the unit tests (tests/unit/test-*.c, C
#     escapes decoded, adjacent literals joined);
#   - the eval cases (tests/cases/*/message.eml with an "ENVELOPE IP HELO
#     MAIL-FROM" first line from args, and */zone), the DKIM vectors
#     (tests/vectors/dkim/), the end-to-end messages and zone (tests/e2e/),
#     contrib/sample/;
#   - the sample configuration conf/dmarc-milter.conf, and one file per
#     key with its default;
#   - the SPF records of the RFC 7208 test suite when Debian's python3-spf
#     is installed.
# Files are named by the SHA-1 of their contents (as libFuzzer names
# them), so duplicates collapse; each target keeps at most CAP seeds, the
# first ones in the order above.  The same run writes tests/fuzz/session.zone,
# the fixed DNS of fuzz-session: the records of all those zones merged, a
# few curated ones first (for a name and type already given, later
# sources are skipped).
#
# -m BINDIR: afterwards, minimize each corpus with BINDIR/fuzz-TARGET
# -merge=1 (libFuzzer keeps only the seeds that add coverage).
#
# Deterministic: the same tree gives the same files.  Needs Debian's
# /usr/bin/python3 (python3-yaml only for the RFC 7208 seeds).
set -eu

bindir=
if [ "${1:-}" = "-m" ]; then
	bindir=$2
	shift 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=${1:-$here/../..}
top=$(cd "$top" && pwd)

/usr/bin/python3 - "$top" <<'EOF'
import glob
import gzip
import hashlib
import os
import re
import shutil
import sys

TOP = sys.argv[1]
FUZZ = os.path.join(TOP, "tests/fuzz")
CAP = 80  # seeds per target: the committed corpora stay small


def path(*p):
    return os.path.join(TOP, *p)


def read(p):
    with open(p, "rb") as f:
        return f.read()


# ---- C string literals ----

ESC = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11,
       "\\": 92, "'": 39, '"': 34, "?": 63}


def decode(body):
    """bytes of one C string literal body (between the quotes)"""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        i += 1
        c = body[i]
        if c in ESC:
            out.append(ESC[c])
            i += 1
        elif c == "x":
            j = i + 1
            while j < len(body) and body[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(body[i + 1:j], 16) & 0xFF)
            i = j
        elif c in "01234567":
            j = i
            while j < i + 3 and j < len(body) and body[j] in "01234567":
                j += 1
            out.append(int(body[i:j], 8) & 0xFF)
            i = j
        else:
            out += c.encode("utf-8")
            i += 1
    return bytes(out)


def literals(p):
    """every run of adjacent string literals of a C file, joined"""
    src = read(p).decode("utf-8", "replace")
    out, run, i, n = [], None, 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            i = src.find("*/", i + 2)
            i = n if i < 0 else i + 2
            continue
        if src.startswith("//", i):
            i = src.find("\n", i)
            i = n if i < 0 else i
            continue
        if c == "'":
            j = i + 1
            while j < n and src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            if run is not None:
                out.append(run)
                run = None
            continue
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            lit = decode(src[i + 1:j])
            run = lit if run is None else run + lit
            i = j + 1
            continue
        if c.isspace():
            i += 1
            continue
        if src.startswith("#", i) and (i == 0 or src[i - 1] == "\n"):
            i = src.find("\n", i)  # a preprocessor line ends a run
            i = n if i < 0 else i
        else:
            i += 1
        if run is not None:
            out.append(run)
            run = None
    if run is not None:
        out.append(run)
    return out


def unit(name):
    p = path("tests/unit", "test-%s.c" % name)
    return literals(p) if os.path.exists(p) else []


# ---- zone files ----

def zone_tokens(line):
    """(tokens, quoted flags) of one zone line, comments removed"""
    toks, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c in " \t\r":
            i += 1
        elif c == ";":
            break
        elif c == '"':
            j, buf = i + 1, bytearray()
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n:
                    if line[j + 1:j + 4].isdigit() and len(line[j + 1:j + 4]) == 3:
                        buf.append(int(line[j + 1:j + 4]) & 0xFF)
                        j += 4
                        continue
                    buf += line[j + 1].encode("utf-8")
                    j += 2
                    continue
                buf += line[j].encode("utf-8")
                j += 1
            toks.append((bytes(buf), True))
            i = j + 1
        else:
            j = i
            while j < n and line[j] not in " \t\r;\"":
                j += 1
            toks.append((line[i:j].encode("utf-8"), False))
            i = j
    return toks


TYPES = {"A", "AAAA", "MX", "PTR", "CNAME", "NS", "TXT", "SPF"}


def zone_rrs(text):
    """[(owner, type, rdata bytes, line)] of a zone text; owner lower case"""
    out, owner = [], None
    for line in text.decode("utf-8", "replace").split("\n"):
        toks = zone_tokens(line)
        if not toks:
            continue
        first = toks[0][0].decode("utf-8", "replace")
        if first.startswith("$"):
            out.append((None, first, b"", line))
            continue
        if line[:1] in " \t":
            rest = toks
        else:
            owner = first.lower().rstrip(".")
            rest = toks[1:]
        k = 0
        while k < len(rest) and rest[k][0].decode("utf-8", "replace").upper() not in TYPES:
            k += 1
        if k == len(rest) or owner is None:
            continue
        typ = rest[k][0].decode().upper()
        data = b"".join(t for t, q in rest[k + 1:]) if typ in ("TXT", "SPF") \
            else b" ".join(t for t, q in rest[k + 1:])
        out.append((owner, typ, data, line))
    return out


def zone_files():
    files = sorted(glob.glob(path("tests/cases/*/zone")))
    files += [path("tests/vectors/dkim/zone"), path("tests/e2e/zone"),
              path("contrib/sample/sample.zone")]
    return [f for f in files if os.path.exists(f)]


def zone_texts():
    """zone texts of the tree and of the unit tests' literals"""
    out = [read(f) for f in zone_files()]
    for name in ("zone", "spf", "dkimv", "rua", "report"):
        for lit in unit(name):
            if b"\n" in lit and re.search(rb"\s(TXT|A|AAAA|MX|PTR|CNAME)\s", lit):
                out.append(lit)
    return out


def txt_records():
    recs = []
    for text in zone_texts():
        for owner, typ, data, line in zone_rrs(text):
            if typ in ("TXT", "SPF"):
                recs.append((owner, data))
    return recs


# ---- messages ----

def messages():
    """(envelope line or b"", message bytes)"""
    out = []
    for d in sorted(glob.glob(path("tests/cases/*"))):
        m = os.path.join(d, "message.eml")
        if not os.path.exists(m):
            continue
        args = {}
        a = os.path.join(d, "args")
        if os.path.exists(a):
            words = read(a).decode("utf-8", "replace").split("\n")
            for k in range(0, len(words) - 1):
                if words[k].startswith("--"):
                    args[words[k]] = words[k + 1]
        env = "ENVELOPE %s %s %s\n" % (
            args.get("--client-ip", "192.0.2.10") or "192.0.2.10",
            args.get("--helo", "mta.example.net") or "mta.example.net",
            args.get("--mail-from", "") or "<>")
        out.append((env.encode(), read(m)))
    for pat in ("tests/vectors/dkim/*.eml", "tests/e2e/msg/*.eml",
                "contrib/sample/*.eml"):
        for m in sorted(glob.glob(path(pat))):
            out.append((b"", read(m)))
    return out


def header_values(msg, name):
    """raw values of a header field, folding kept, as after the colon"""
    head = re.split(rb"\r?\n\r?\n", msg, maxsplit=1)[0]
    vals, cur = [], None
    for line in re.split(rb"(?<=\n)", head):
        if line[:1] in (b" ", b"\t") and cur is not None:
            cur += line
            continue
        if cur is not None:
            vals.append(cur.rstrip(b"\r\n"))
            cur = None
        m = re.match(rb"([!-9;-~]+):(.*)", line, re.S)
        if m and m.group(1).lower() == name.lower():
            cur = m.group(2)
    if cur is not None:
        vals.append(cur.rstrip(b"\r\n"))
    return vals


# ---- seeds per target ----

def dmarc_records():
    recs = [d for o, d in txt_records() if o.startswith("_dmarc.") or
            d.startswith(b"v=DMARC")]
    for name in ("dmarc_record", "dmarc_walk", "dmarc_policy", "rua",
                 "aggregate", "report"):
        for lit in unit(name):
            if re.search(rb"DMARC", lit, re.I) and b"=" in lit and len(lit) < 70000:
                recs.append(lit)
    return recs


def seeds_dmarc_record():
    recs = dmarc_records()
    extra = [
        b"v=DMARC1; p=reject\nv=DMARC1; p=none",       # two records
        b"v=spf1 -all\nv=DMARC1; p=quarantine; psd=y",  # one among others
        b"v=DMARC1; p=reject; psd=n\xff",               # every step answers
        b"v=DMARC1; p=none; psd=y\x01",
        b"v=DMARC1; p=reject\xfa\x0f",                  # a temporary failure
    ]
    return recs + extra


def seeds_rua():
    out = []
    for r in dmarc_records():
        for tag in re.findall(rb"(?:^|;)\s*ru[af]\s*=([^;]*)", r):
            out.append(tag.strip())
    for lit in unit("rua"):
        if b":" in lit and b"\n" not in lit:
            out.append(lit)
    out += [b"mailto:a@example.net!10m, mailto:b@example.com,"
            b"https://r.example/x", b"mailto:%61@example.org?subject=x",
            b"mailto:a@servfail.example,mailto:b@tempfail.example"]
    return out


def seeds_from_header():
    out = []
    for lit in unit("from_header"):
        if re.search(rb"[@<>:;,\"()]", lit):
            out.append(lit)
    for env, m in messages():
        out += header_values(m, b"From")
    return out


def seeds_authres():
    out = []
    for lit in unit("authres"):
        if b";" in lit or b"=" in lit:
            out.append(lit)
    for env, m in messages():
        out += header_values(m, b"Authentication-Results")
    return out


def seeds_zone():
    return zone_texts()


def seeds_config():
    out, keys = [], set()
    conf = path("conf/dmarc-milter.conf")
    if os.path.exists(conf):
        text = read(conf)
        out.append(text)
        for line in text.split(b"\n"):
            m = re.match(rb"# ([A-Z][A-Za-z0-9]+)( .*)?$", line)
            if m:
                keys.add(m.group(1).lower())
                out.append(line[2:] + b"\n")
    for lit in unit("config") + unit("cidr"):
        words = [m.lower() for m in
                 re.findall(rb"(?m)^[ \t]*([A-Za-z][A-Za-z0-9]*)", lit)]
        if any(w in keys for w in words) or \
                re.search(rb"\d+\.\d+\.\d+\.\d+|[0-9a-f]*::", lit):
            out.append(lit)
    return out


def seeds_spf():
    out = [d for o, d in txt_records() if d[:6].lower() == b"v=spf1"]
    for lit in unit("spf"):
        if lit[:6].lower() == b"v=spf1":
            out.append(lit)
    for suite in ("/usr/share/doc/python3-spf/rfc7208-tests.yml.gz",
                  "/usr/share/doc/python3-spf/rfc7208-tests.yml"):
        if not os.path.exists(suite):
            continue
        try:
            import yaml
        except ImportError:
            break
        f = gzip.open(suite) if suite.endswith(".gz") else open(suite, "rb")
        for doc in yaml.safe_load_all(f):
            for name, rrs in sorted((doc or {}).get("zonedata", {}).items()):
                for rr in rrs:
                    if not isinstance(rr, dict):
                        continue
                    for typ in ("SPF", "TXT"):
                        v = rr.get(typ)
                        vals = v if isinstance(v, list) else [v]
                        for s in vals:
                            if isinstance(s, str) and s[:6].lower() == "v=spf1":
                                out.append(s.encode("utf-8"))
        break
    return out


def seeds_session():
    return [env + m for env, m in messages()]


TARGETS = {
    "dmarc_record": seeds_dmarc_record,
    "rua": seeds_rua,
    "from_header": seeds_from_header,
    "authres": seeds_authres,
    "zone": seeds_zone,
    "config": seeds_config,
    "spf": seeds_spf,
    "session": seeds_session,
}

# ---- session.zone ----

CURATED = """\
; the policies the corpus messages meet most; listed first, they win
_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; pct=50; fo=1:d; rua=mailto:dmarc@example.com,mailto:agg@example.net!10m; ruf=mailto:dmarc@example.com"
example.com. 300 IN TXT "v=spf1 mx a:smtp.example.com include:_spf.esp.example ip4:192.0.2.10 ip6:2001:db8::/32 ~all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=quarantine; adkim=s; aspf=s; t=y"
example.org. 300 IN TXT "v=spf1 ptr:example.org exists:%{i}.ip.example.org -all"
10.2.0.192.in-addr.arpa. 300 IN PTR mta.example.org.
mta.example.org. 300 IN A 192.0.2.10
10.2.0.192.ip.example.org. 300 IN A 127.0.0.2
_dmarc.ghost.example.com. 300 IN TXT "v=DMARC1; p=reject"
$SERVFAIL _dmarc.servfail.example. TXT
$TIMEOUT _dmarc.timeout.example. TXT
$SERVFAIL s1._domainkey.servfail.example. TXT
"""


def write_session_zone():
    seen, lines = set(), []
    sources = [("curated", CURATED.encode())]
    sources += [(os.path.relpath(f, TOP), read(f)) for f in zone_files()]
    for label, text in sources:
        given = set()
        block = []
        for owner, typ, data, line in zone_rrs(text):
            if owner is None:
                if typ.upper() not in ("$SERVFAIL", "$TIMEOUT"):
                    continue
                parts = line.split()
                if len(parts) < 3:
                    continue
                name = parts[1].lower().rstrip(".")
                key = (name, parts[2].upper())
                if (name, "TXT") in seen or key in seen or \
                        any(k[0] == name for k in seen):
                    continue
                given.add(key)
                block.append(line.strip())
                continue
            key = (owner, typ)
            if key in seen:
                continue
            given.add(key)
            block.append(line.strip() if line[:1] not in " \t"
                         else owner + ". " + line.strip())
        seen |= given
        if block:
            lines.append("; from %s" % label)
            lines += block
    head = ("; session.zone - DNS of fuzz-session (tests/fuzz/fuzz-session.c)\n"
            "; Written by tests/fuzz/mkcorpus.sh from the zones of the eval\n"
            "; cases, the DKIM vectors, the end-to-end tests and the sample;\n"
            "; for a name and type several give, the first source wins.\n"
            "$TTL 300\n")
    with open(os.path.join(FUZZ, "session.zone"), "w") as f:
        f.write(head + "\n".join(lines) + "\n")


def main():
    write_session_zone()
    total = 0
    for target, fn in TARGETS.items():
        d = os.path.join(FUZZ, "corpus", target)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        names, kept = set(), 0
        for s in fn():
            h = hashlib.sha1(s).hexdigest()
            if h in names:
                continue
            if kept == CAP:
                break
            names.add(h)
            with open(os.path.join(d, h), "wb") as f:
                f.write(s)
            kept += 1
        total += kept
        print("%-13s %4d seeds" % (target, kept))
    print("%-13s %4d seeds" % ("total", total))


main()
EOF

if [ -n "$bindir" ]; then
	FUZZ_SESSION_ZONE=$top/tests/fuzz/session.zone
	export FUZZ_SESSION_ZONE
	for d in "$top"/tests/fuzz/corpus/*/; do
		t=$(basename "$d")
		[ -x "$bindir/fuzz-$t" ] || continue
		tmp=$(mktemp -d)
		"$bindir/fuzz-$t" -merge=1 -rss_limit_mb=1024 "$tmp" "$d" \
		    >/dev/null 2>&1 || {
			echo "mkcorpus: fuzz-$t -merge=1 failed" >&2
			rm -rf "$tmp"
			exit 1
		}
		rm -rf "$d"
		mkdir "$d"
		cp "$tmp"/* "$d" 2>/dev/null || true
		rm -rf "$tmp"
		echo "$t: $(ls "$d" | wc -l) seeds after -merge=1"
	done
fi
