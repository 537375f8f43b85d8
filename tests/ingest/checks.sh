# tests/ingest/checks.sh - the "dmarcctl ingest" and "dmarcctl summary"
# checks, sourced by run-ingest.sh (SQLite) and run-ingest-pg.sh
# (PostgreSQL) so that both stores pass the same assertions.
#
# The caller sets tmp (a private directory) and DB (the store URI) and
# defines db_dump: it prints the rows of $DUMP_REPORTS and $DUMP_ROWS, the
# columns separated by "|", then the lines "reports N" and "rows N".  ingest_checks then builds the
# inputs and runs everything: both report schemas, gzip, zip, a mail
# message, several reporters, duplicates, hostile input (XML bomb,
# external entity, gzip bomb), the summary and its HTML page, and the
# grouping of senders by reverse DNS from tests/ingest/rdns.zone.
D="$top_builddir/tools/dmarcctl"
S="$top_srcdir/tests/ingest"
PY=/usr/bin/python3
ZONE="$S/rdns.zone"
# what db_dump prints: every column but the ids and the ingestion time
DUMP_REPORTS="SELECT reporter, report_id, org_name, email, begin_ts, end_ts,
 domain, p, sp, np, adkim, aspf, version FROM ingest_reports ORDER BY begin_ts"
DUMP_ROWS="SELECT source_ip, count, disposition, dkim_eval, spf_eval,
 header_from, envelope_from, dkim_domain, dkim_selector, dkim_result,
 spf_domain, spf_result FROM ingest_rows ORDER BY source_ip, count"

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

# make_inputs: the reports as they arrive, in $tmp/in; hostile ones in
# $tmp/bad
make_inputs() {
	mkdir "$tmp/in" "$tmp/bad" || return 1
	cp "$S/reporter-a-2026-11-20.xml" "$tmp/in/a.xml" &&
	    cp "$S/reporter-e-rdns.xml" "$tmp/in/e.xml" &&
	    cp "$S/billion-laughs.xml" "$S/xxe.xml" "$tmp/bad/" || return 1
	"$PY" - "$S" "$tmp" <<'PYEOF'
import gzip, io, sys, zipfile
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
}

# groups FILE: the "Sending organisations" table of a summary as lines
# "GROUP MESSAGES DMARC: ADDRESS [NAME] [(NOTE)], ..."
groups() {
	"$PY" - "$1" <<'PYEOF'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
start = [i for i, l in enumerate(lines) if l.startswith("ORGANISATION ")]
out, cur = [], None
for l in lines[start[0] + 1:] if start else []:
    if not l.strip():
        break
    if not l.startswith(" "):
        m = re.match(r"(\S+) +(\d+) +(\S+)  (.*)$", l)
        cur = [m.group(1) + " " + m.group(2) + " " + m.group(3), [m.group(4)]]
        out.append(cur)
    else:
        cur[1].append(l.strip())
for g in out:
    print(g[0] + ": " + ", ".join(g[1]))
PYEOF
}

ingest_checks() {
	make_inputs
	t_check "sample inputs built" $?

	# ---- ingest ----
	run 2 "ingest without a file" ingest --db "$DB"
	run 2 "ingest with a bad option" ingest --frobnicate x
	run 1 "a store URI of neither kind refused" ingest --db mysql://x \
	    "$tmp/in/a.xml"
	grep -q 'not sqlite:PATH or postgresql://' "$tmp/err"
	t_check "the message names both kinds" $? "$(cat "$tmp/err")"

	run 0 "ingest a directory of good reports" ingest --db "$DB" "$tmp/in"
	cp "$tmp/out" "$tmp/ingest1"
	[ "$(grep -c ': ingested (' "$tmp/ingest1")" -eq 5 ]
	t_check "five reports ingested (XML, gzip, zip, mail)" $? \
	    "$(cat "$tmp/ingest1")"
	grep -q 'a.xml: ingested (mail.reporter-a.example, 4412190336017458112, example.com, 2 records)' "$tmp/ingest1"
	t_check "RFC 7489 XML: reporter, id, domain, records" $?
	grep -q 'b.xml.gz: ingested (Reporter B, b-20261121-example.com, example.com, 3 records)' "$tmp/ingest1"
	t_check "RFC 9990 gzip" $?
	grep -q 'c.zip: ingested (Reporter C, c-0001, example.com, 1 records)' "$tmp/ingest1"
	t_check "zip" $?
	grep -q 'd.eml: ingested (Reporter D, d-77, example.net, 1 records)' "$tmp/ingest1"
	t_check "mail message with a base64 gzip attachment" $?
	grep -q 'e.xml: ingested (Reporter E, e-20251123-example.org, example.org, 9 records)' "$tmp/ingest1"
	t_check "a report with IPv4 and IPv6 senders" $?

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
	grep -q 'junk.txt: refused' "$tmp/out" &&
	    grep -q 'a.xml: duplicate' "$tmp/out"
	t_check "one line per file, the others still done" $?

	db_dump >"$tmp/dump"
	t_check "database readable" $?
	grep -q '^reports 5$' "$tmp/dump" && grep -q '^rows 16$' "$tmp/dump"
	t_check "5 reports and 16 rows stored, no more" $? \
	    "$(tail -2 "$tmp/dump")"
	! grep -q -e 'root:' -e 'lol' -e '/bin/' -e 'xxe' -e 'bomb' "$tmp/dump"
	t_check "no passwd content or entity text stored" $?
	grep -q '^noreply-dmarc@reporter-e.example|e-20251123-example.org|Reporter E|noreply-dmarc@reporter-e.example|1763856000|1763942399|example.org|quarantine|' "$tmp/dump" &&
	    grep -q '^2a00:1450:4864:20::42a|10|none|pass|fail|example.org||example.org|s1|pass|bounces.example.net|pass$' "$tmp/dump"
	t_check "a report and an IPv6 row stored column by column" $? \
	    "$(grep -e reporter-e -e 2a00 "$tmp/dump")"

	# ---- summary ----
	run 0 "summary for example.com" summary --db "$DB" --no-dns \
	    --domain Example.COM
	cp "$tmp/out" "$tmp/sum"
	grep -q 'example.com: 3 reports, 294 messages, 2025-11-20 to 2025-11-22' "$tmp/sum"
	t_check "summary: totals and dates" $? "$(head -3 "$tmp/sum")"
	grep -q 'DMARC pass: 78.2%' "$tmp/sum"
	t_check "summary: DMARC pass rate" $?
	grep -Eq '^192\.0\.2\.10 +example\.com +200 +100\.0% +100\.0% +100\.0% +100\.0% +100\.0%$' "$tmp/sum"
	t_check "summary: a clean source merged over two reporters" $? \
	    "$(cat "$tmp/sum")"
	grep -Eq '^198\.51\.100\.5 +example\.com +30 +100\.0% +100\.0% +0\.0% +100\.0% +100\.0%$' "$tmp/sum"
	t_check "summary: SPF pass but unaligned, DKIM aligned" $?
	grep -q 'Would break under p=reject: 2 sources' "$tmp/sum"
	t_check "summary: two sources would break" $?
	grep -Eq '^  203\.0\.113\.77 +example\.com +55 of 55 messages fail' "$tmp/sum" &&
	    grep -Eq '^  2001:db8:4::25 +example\.com +9 of 9 messages fail' "$tmp/sum"
	t_check "summary: the breaking sources listed" $?
	! grep -q -e 'example.net' -e 'example.org' "$tmp/sum"
	t_check "summary: --domain filters" $?
	grep -q '^Sending organisations (reverse DNS not looked up (--no-dns)):' "$tmp/sum"
	t_check "summary --no-dns: says so" $?
	groups "$tmp/sum" >"$tmp/groups"
	[ "$(wc -l <"$tmp/groups")" -eq 4 ] &&
	    grep -qx '192.0.2.10 200 100.0%: 192.0.2.10' "$tmp/groups" &&
	    grep -qx '2001:db8:4::25 9 0.0%: 2001:db8:4::25' "$tmp/groups"
	t_check "summary --no-dns: one group per address, no names" $? \
	    "$(cat "$tmp/groups")"
	run 0 "summary, every domain" summary --db "$DB" --no-dns
	grep -q 'all domains: 5 reports, 516 messages' "$tmp/out"
	t_check "summary: all domains" $? "$(head -1 "$tmp/out")"
	run 0 "summary --days 1 (reports are older)" summary --db "$DB" \
	    --no-dns --days 1
	grep -q '0 reports, 0 messages' "$tmp/out"
	t_check "summary: --days excludes old reports" $?
	run 2 "summary --days 0" summary --db "$DB" --days 0
	run 2 "summary with an argument" summary --db "$DB" extra
	run 2 "summary --dns-max -1" summary --db "$DB" --dns-max -1
	run 2 "summary --no-dns with --dns-zone" summary --db "$DB" --no-dns \
	    --dns-zone "$ZONE"
	printf 'bad.example. IN A 300.1.1.1\n' >"$tmp/bad.zone"
	run 1 "summary with a broken zone file" summary --db "$DB" \
	    --dns-zone "$tmp/bad.zone"
	grep -q 'bad.zone:1:' "$tmp/err"
	t_check "the zone error names file and line" $? "$(cat "$tmp/err")"

	# ---- senders by organisation (reverse DNS from rdns.zone) ----
	run 0 "summary example.org with reverse DNS" summary --db "$DB" \
	    --domain example.org --dns-zone "$ZONE"
	cp "$tmp/out" "$tmp/sum-org"
	groups "$tmp/sum-org" >"$tmp/groups"
	grep -q '^Sending organisations (reverse DNS names, forward-confirmed; all 9 addresses looked up):' "$tmp/sum-org"
	t_check "rdns: every address looked up" $? "$(cat "$tmp/sum-org")"
	grep -qx 'google.com 160 100.0%: 209.85.220.41 mail-sor-f41.google.com, 209.85.220.42 mail-sor-f42.google.com, 2a00:1450:4864:20::42a mail-yw1-x42a.google.com' "$tmp/groups"
	t_check "rdns: IPv4 and IPv6 senders grouped under google.com" $? \
	    "$(cat "$tmp/groups")"
	grep -qx 'outlook.com 30 100.0%: 40.107.22.51 mail-db5eur03on2051.outbound.protection.outlook.com' "$tmp/groups"
	t_check "rdns: a deep name grouped by its organizational domain" $?
	grep -qx 'example.co.uk 6 0.0%: 192.0.2.77 a.mailer.example.co.uk, 192.0.2.78 b.mailer.example.co.uk' "$tmp/groups"
	t_check "rdns: public suffix co.uk; the confirmed one of two PTR names" $?
	grep -qx '198.51.100.23 12 0.0%: 198.51.100.23 mail-sor-f23.google.com (not forward-confirmed)' "$tmp/groups"
	t_check "rdns: a PTR that does not resolve back stays by address" $?
	grep -qx '203.0.113.9 6 100.0%: 203.0.113.9 slow.example.net (not forward-confirmed)' "$tmp/groups"
	t_check "rdns: a forward lookup timing out confirms nothing" $?
	grep -qx '198.51.100.99 3 0.0%: 198.51.100.99 (DNS error)' "$tmp/groups"
	t_check "rdns: SERVFAIL on the PTR: by address" $?
	[ "$(wc -l <"$tmp/groups")" -eq 6 ]
	t_check "rdns: 9 addresses in 6 groups" $?
	head -1 "$tmp/groups" | grep -q '^google.com '
	t_check "rdns: the busiest group first" $?

	run 0 "summary example.com with reverse DNS" summary --db "$DB" \
	    --domain example.com --dns-zone "$ZONE"
	groups "$tmp/out" >"$tmp/groups"
	grep -qx 'example.com 200 100.0%: 192.0.2.10 mx1.example.com' "$tmp/groups" &&
	    grep -qx '203.0.113.77 55 0.0%: 203.0.113.77 mail-sor-f77.google.com (not forward-confirmed)' "$tmp/groups" &&
	    grep -qx 'newsletter-vendor.co.uk 30 100.0%: 198.51.100.5 o5.mta.newsletter-vendor.co.uk' "$tmp/groups" &&
	    grep -qx '2001:db8:4::25 9 0.0%: 2001:db8:4::25 (no reverse name)' "$tmp/groups"
	t_check "rdns: example.com's four senders" $? "$(cat "$tmp/groups")"
	grep -Eq '^192\.0\.2\.10 +example\.com +200 +100\.0% +100\.0% +100\.0% +100\.0% +100\.0%$' "$tmp/out"
	t_check "rdns: the per-source table is unchanged" $?

	run 0 "summary --dns-max 2" summary --db "$DB" --domain example.org \
	    --dns-zone "$ZONE" --dns-max 2
	groups "$tmp/out" >"$tmp/groups"
	grep -q 'forward-confirmed; the 2 busiest of 9 addresses looked up' "$tmp/out"
	t_check "--dns-max: says how many were looked up" $?
	grep -qx 'google.com 150 100.0%: 209.85.220.41 mail-sor-f41.google.com, 209.85.220.42 mail-sor-f42.google.com' "$tmp/groups" &&
	    grep -qx '2a00:1450:4864:20::42a 10 100.0%: 2a00:1450:4864:20::42a (not looked up)' "$tmp/groups"
	t_check "--dns-max: only the two busiest addresses resolved" $? \
	    "$(cat "$tmp/groups")"
	[ "$(wc -l <"$tmp/groups")" -eq 8 ]
	t_check "--dns-max: the others stay by address" $?

	# ---- the HTML page ----
	run 0 "summary --html" summary --db "$DB" --domain example.com \
	    --no-dns --html "$tmp/summary.html"
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
        self.csp = ""
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg.append(a.get("id"))
        if tag == "rect" and a.get("class") in self.rects:
            self.rects[a["class"]] += 1
        if tag == "tr" and a.get("class") == "bad":
            self.rows += 1
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content", "")
        for k in ("src", "href", "xlink:href", "action", "srcset"):
            if k in a:
                self.external.append(a[k])
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.external.append(tag)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
ok = (p.svg == ["chart-days", "chart-top"] and p.rects["pass"] == 3
      and p.rects["fail"] == 3 + 2 and not p.external and p.rows == 2
      and p.csp.startswith("default-src 'none';")
      and "script-src" not in p.csp)
print(p.svg, p.rects, p.external, p.rows, p.csp)
sys.exit(0 if ok else 1)
PYEOF
	t_check "html: two inline SVG charts (3 days, 2 failing sources), no external resources, CSP" $?
	! grep -q -e 'url(' -e '@import' "$tmp/summary.html"
	t_check "html: no url() or @import in the CSS" $?

	run 0 "summary --html with reverse DNS" summary --db "$DB" \
	    --domain example.org --dns-zone "$ZONE" --html "$tmp/org.html"
	"$PY" - "$tmp/org.html" <<'PYEOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cur, self.span, self.td = [], None, None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and self.cur is None and a.get("class", "").split()[:1] in (["org"], ["addr"]):
            self.cur = {"class": a["class"], "group": "", "ips": [], "ptrs": [], "notes": []}
        elif self.cur is not None and tag == "td":
            self.td = a.get("class")
        elif self.cur is not None and tag == "span":
            self.span = a.get("class")
    def handle_endtag(self, tag):
        if tag == "tr" and self.cur is not None:
            self.rows.append(self.cur)
            self.cur = None
        if tag == "span":
            self.span = None
        if tag == "td":
            self.td = None
    def handle_data(self, d):
        if self.cur is None:
            return
        if self.td == "group":
            self.cur["group"] += d
        elif self.span in ("ip", "ptr", "note"):
            self.cur[self.span + "s"].append(d)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
g = {r["group"]: r for r in p.rows}
ok = (len(p.rows) == 6
      and g["google.com"]["class"] == "org"
      and g["google.com"]["ips"] == ["209.85.220.41", "209.85.220.42", "2a00:1450:4864:20::42a"]
      and g["google.com"]["ptrs"] == ["mail-sor-f41.google.com", "mail-sor-f42.google.com", "mail-yw1-x42a.google.com"]
      and g["198.51.100.23"]["class"] == "addr bad"
      and g["198.51.100.23"]["ptrs"] == ["mail-sor-f23.google.com"]
      and g["198.51.100.23"]["notes"] == ["(not forward-confirmed)"]
      and g["example.co.uk"]["ips"] == ["192.0.2.77", "192.0.2.78"])
for r in p.rows:
    print(r)
sys.exit(0 if ok else 1)
PYEOF
	t_check "html: the organisations table (groups, addresses, reverse names)" $?
	run 1 "summary --html to an unwritable path" summary --db "$DB" \
	    --no-dns --html "$tmp/nodir/x.html"
}
