#!/bin/sh
# tests/ingest/run-ingest.sh - "dmarcctl ingest" and "dmarcctl summary" on
# sample reports: both schemas, gzip, zip, a mail message, several
# reporters, a duplicate, and hostile input (XML bomb, external entity,
# gzip bomb)
. "$(dirname "$0")/../lib.sh"
D="$top_builddir/tools/dmarcctl"
S="$top_srcdir/tests/ingest"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DB="sqlite:$tmp/history.db"

run() {	# run EXPECTED-EXIT NAME ARGS...
	want=$1 name=$2
	shift 2
	"$D" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		t_ok "$name"
	else
		t_fail "$name" "exit $got, want $want: $(head -c 300 "$tmp/err")"
	fi
}

# the inputs as they arrive: built from the XML samples
mkdir "$tmp/in" "$tmp/bad"
cp "$S/reporter-a-2026-11-20.xml" "$tmp/in/a.xml"
"$PY" - "$S" "$tmp" <<'PYEOF'
import base64, gzip, io, sys, zipfile
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
src, tmp = sys.argv[1], sys.argv[2]
def rd(n):
    return open(src + "/" + n, "rb").read()
open(tmp + "/in/b.xml.gz", "wb").write(gzip.compress(rd("reporter-b-2026-11-21.xml")))
with zipfile.ZipFile(tmp + "/in/c.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("reporter-c!example.com!1763769600!1763855999.xml", rd("reporter-c-2026-11-22.xml"))
m = MIMEMultipart()
m["From"] = "dmarc@reporter-d.example"
m["To"] = "rua@example.net"
m["Subject"] = "Report Domain: example.net Submitter: reporter-d.example Report-ID: d-77"
m.attach(MIMEText("This is an aggregate report.\n"))
part = MIMEApplication(gzip.compress(rd("reporter-d-other-domain.xml")), "gzip")
part.add_header("Content-Disposition", "attachment", filename="d.xml.gz")
m.attach(part)
open(tmp + "/in/d.eml", "wb").write(m.as_bytes())
# a gzip bomb: 200 MB of zeros, a few hundred KB compressed
buf = io.BytesIO()
with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as g:
    chunk = b"\0" * (1 << 20)
    for _ in range(200):
        g.write(chunk)
open(tmp + "/bad/bomb.xml.gz", "wb").write(buf.getvalue())
PYEOF
t_check "sample inputs built" $?
cp "$S/billion-laughs.xml" "$S/xxe.xml" "$tmp/bad/"

# ---- ingest ----
run 2 "ingest without a file" ingest --db "$DB"
run 2 "ingest with a bad option" ingest --frobnicate x
run 1 "ingest into PostgreSQL: not supported yet" ingest \
    --db postgresql://u@localhost/x "$tmp/in/a.xml"
grep -q "not supported yet" "$tmp/err"
t_check "PostgreSQL: the message says so" $?

run 0 "ingest a directory of good reports" ingest --db "$DB" "$tmp/in"
cp "$tmp/out" "$tmp/ingest1"
[ "$(grep -c ': ingested (' "$tmp/ingest1")" -eq 4 ]
t_check "four reports ingested (XML, gzip, zip, mail)" $? "$(cat "$tmp/ingest1")"
grep -q 'a.xml: ingested (mail.reporter-a.example, 4412190336017458112, example.com, 2 records)' "$tmp/ingest1"
t_check "RFC 7489 XML: reporter, id, domain, records" $?
grep -q 'b.xml.gz: ingested (Reporter B, b-20261121-example.com, example.com, 3 records)' "$tmp/ingest1"
t_check "RFC 9990 gzip" $?
grep -q 'c.zip: ingested (Reporter C, c-0001, example.com, 1 records)' "$tmp/ingest1"
t_check "zip" $?
grep -q 'd.eml: ingested (Reporter D, d-77, example.net, 1 records)' "$tmp/ingest1"
t_check "mail message with a base64 gzip attachment" $?

run 0 "the same reports again" ingest --db "$DB" "$tmp/in/a.xml" \
    "$tmp/in/b.xml.gz"
[ "$(grep -c ': duplicate: already ingested' "$tmp/out")" -eq 2 ]
t_check "re-ingesting is a no-op (duplicate)" $? "$(cat "$tmp/out")"
"$D" ingest --db "$DB" - <"$tmp/in/c.zip" >"$tmp/out" 2>&1
grep -q '^-: duplicate' "$tmp/out"
t_check "standard input (zip), a duplicate" $? "$(cat "$tmp/out")"

run 1 "hostile inputs refused (exit 1)" ingest --db "$DB" "$tmp/bad"
cp "$tmp/out" "$tmp/ingest2"
grep -q 'billion-laughs.xml: refused: DOCTYPE' "$tmp/ingest2"
t_check "billion laughs refused" $? "$(cat "$tmp/ingest2")"
grep -q 'xxe.xml: refused: DOCTYPE' "$tmp/ingest2"
t_check "external entity refused" $?
grep -q 'bomb.xml.gz: refused: decompresses past' "$tmp/ingest2"
t_check "gzip bomb refused" $?
[ "$(grep -c ': ingested' "$tmp/ingest2")" -eq 0 ]
t_check "nothing hostile stored" $?
printf 'not a report at all\n' >"$tmp/junk.txt"
run 1 "junk refused" ingest --db "$DB" "$tmp/junk.txt" "$tmp/in/a.xml"
grep -q 'junk.txt: refused' "$tmp/out" && grep -q 'a.xml: duplicate' "$tmp/out"
t_check "one line per file, the others still done" $?

"$PY" - "$tmp/history.db" >"$tmp/dump" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in ("ingest_reports", "ingest_rows"):
    for r in c.execute("SELECT * FROM " + t):
        print("|".join(str(x) for x in r))
print("reports", c.execute("SELECT count(*) FROM ingest_reports").fetchone()[0])
print("rows", c.execute("SELECT count(*) FROM ingest_rows").fetchone()[0])
PYEOF
t_check "database readable" $?
grep -q '^reports 4$' "$tmp/dump" && grep -q '^rows 7$' "$tmp/dump"
t_check "4 reports and 7 rows stored, no more" $? "$(tail -2 "$tmp/dump")"
! grep -q -e 'root:' -e 'lol' -e '/bin/' -e 'xxe' -e 'bomb' "$tmp/dump"
t_check "no passwd content or entity text stored" $?

# ---- summary ----
run 0 "summary for example.com" summary --db "$DB" --domain Example.COM
cp "$tmp/out" "$tmp/sum"
grep -q 'example.com: 3 reports, 294 messages, 2025-11-20 to 2025-11-22' "$tmp/sum"
t_check "summary: totals and dates" $? "$(head -3 "$tmp/sum")"
grep -q 'DMARC pass: 78.2%' "$tmp/sum"
t_check "summary: DMARC pass rate" $?
grep -Eq '^192\.0\.2\.10 +example\.com +200 +100\.0% +100\.0% +100\.0% +100\.0% +100\.0%$' "$tmp/sum"
t_check "summary: a clean source merged over two reporters" $? "$(cat "$tmp/sum")"
grep -Eq '^198\.51\.100\.5 +example\.com +30 +100\.0% +100\.0% +0\.0% +100\.0% +100\.0%$' "$tmp/sum"
t_check "summary: SPF pass but unaligned, DKIM aligned" $?
grep -q 'Would break under p=reject: 2 sources' "$tmp/sum"
t_check "summary: two sources would break" $?
grep -Eq '^  203\.0\.113\.77 +example\.com +55 of 55 messages fail' "$tmp/sum" &&
    grep -Eq '^  2001:db8:4::25 +example\.com +9 of 9 messages fail' "$tmp/sum"
t_check "summary: the breaking sources listed" $?
! grep -q 'example.net' "$tmp/sum"
t_check "summary: --domain filters" $?
run 0 "summary, every domain" summary --db "$DB"
grep -q 'all domains: 4 reports, 299 messages' "$tmp/out"
t_check "summary: all domains" $?
run 0 "summary --days 1 (reports are older)" summary --db "$DB" --days 1
grep -q '0 reports, 0 messages' "$tmp/out"
t_check "summary: --days excludes old reports" $?
run 2 "summary --days 0" summary --db "$DB" --days 0
run 2 "summary with an argument" summary --db "$DB" extra

run 0 "summary --html" summary --db "$DB" --domain example.com \
    --html "$tmp/summary.html"
"$PY" - "$tmp/summary.html" <<'PYEOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = []
        self.rects = {"pass": 0, "fail": 0}
        self.external = []
        self.rows = 0
        self.cur = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg.append(a.get("id"))
        if tag == "rect" and a.get("class") in self.rects:
            self.rects[a["class"]] += 1
        if tag == "tr" and a.get("class") == "bad":
            self.rows += 1
        for k in ("src", "href"):
            if k in a:
                self.external.append(a[k])
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
ok = (p.svg == ["chart-days", "chart-top"] and p.rects["pass"] == 3
      and p.rects["fail"] == 3 + 2 and not p.external and p.rows == 2)
print(p.svg, p.rects, p.external, p.rows)
sys.exit(0 if ok else 1)
PYEOF
t_check "html: two inline SVG charts (3 days, 2 failing sources), no external resources" $?
! grep -q 'url(' "$tmp/summary.html"
t_check "html: no url() in the CSS" $?
if command -v chromium >/dev/null 2>&1; then
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
	    --screenshot="$tmp/shot.png" --window-size=900,1200 \
	    "file://$tmp/summary.html" >/dev/null 2>&1
	[ -s "$tmp/shot.png" ]
	t_check "html: chromium renders it" $?
fi
run 1 "summary --html to an unwritable path" summary --db "$DB" \
    --html "$tmp/nodir/x.html"

t_done
