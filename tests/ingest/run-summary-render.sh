#!/bin/sh
# tests/ingest/run-summary-render.sh - the "dmarcctl summary --html" page of
# the sample reports, opened from disk in headless Chromium with no network
# (its own empty network namespace when unshare(1) can make one):
#   - the page names nothing to fetch and forbids fetching (its CSP);
#   - after load, a probe script added to a copy of the page finds each
#     SVG chart laid out with a non-zero size, as many bars with a non-zero
#     bounding box as the page draws, the CSS colours applied, the
#     organisations table shown, and no resource requested at all;
#   - the page's own policy keeps that probe from running in the original;
#   - a screenshot is a 1200x1600 PNG (decoded here with zlib) that is not
#     blank and shows the chart colours.
# Without chromium the test is counted as skipped (exit 77).
. "$(dirname "$0")/../lib.sh"
D="$top_builddir/tools/dmarcctl"
S="$top_srcdir/tests/ingest"
PY=/usr/bin/python3

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
if [ -z "$CHROMIUM" ]; then
	skip "no chromium"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# no network for the browser: an empty namespace, else no name resolves
net=
if unshare -n true 2>/dev/null; then
	net="unshare -n"
	echo "chromium runs in an empty network namespace"
fi
browse() {	# browse ARGS...: headless Chromium, its own profile, 60 s
	prof=$(mktemp -d "$tmp/profile.XXXXXX")
	$net timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-extensions \
	    --no-first-run --host-resolver-rules='MAP * ~NOTFOUND' \
	    --user-data-dir="$prof" --window-size=1200,1600 "$@" \
	    2>>"$tmp/chromium.log"
}

"$D" ingest --db "sqlite:$tmp/h.db" "$S"/reporter-*.xml >"$tmp/out" 2>&1 &&
    [ "$(grep -c ': ingested (' "$tmp/out")" -eq 5 ]
t_check "the sample reports ingested" $? "$(cat "$tmp/out")"
"$D" summary --db "sqlite:$tmp/h.db" --dns-zone "$S/rdns.zone" \
    --html "$tmp/summary.html" >"$tmp/out" 2>&1
t_check "summary --html" $? "$(cat "$tmp/out")"

# ---- self-contained ----
"$PY" - "$tmp/summary.html" <<'PYEOF'
import re, sys
from html.parser import HTMLParser
html = open(sys.argv[1], encoding="utf-8").read()
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fetch, self.csp = [], None
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "srcset", "action",
                     "poster", "data", "background", "formaction"):
                self.fetch.append((tag, k, v))
        if tag in ("script", "link", "img", "iframe", "object", "embed",
                   "audio", "video", "source", "base", "form"):
            self.fetch.append((tag,))
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content")
p = P()
p.feed(html)
# the SVG namespace name is not fetched; any other URL would be
urls = re.findall(r"(?i)(?:https?|ftp|wss?|file):|//[a-z0-9.-]+\.[a-z]",
                  html.replace('xmlns="http://www.w3.org/2000/svg"', ""))
css = re.findall(r"(?i)url\(|@import", html)
print("fetching elements", p.fetch, "urls", urls, "css", css, "csp", p.csp)
sys.exit(0 if not p.fetch and not urls and not css and
         p.csp == "default-src 'none'; style-src 'unsafe-inline'" else 1)
PYEOF
t_check "html: no src/href, no URL, no url(); CSP default-src 'none'" $?

# ---- the rendered DOM ----
# a copy with a probe script; its policy allows inline scripts, no more
"$PY" - "$tmp/summary.html" "$tmp/probe.html" "$tmp/blocked.html" <<'PYEOF'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = r"""<script>
(function () {
	var out = {charts: [], resources: [], fills: {}, orgs: 0};
	[].forEach.call(document.querySelectorAll("svg"), function (svg) {
		var r = svg.getBoundingClientRect(), bars = 0;
		[].forEach.call(svg.querySelectorAll("rect"), function (e) {
			var b = e.getBBox(), c = e.getBoundingClientRect();
			if (b.width > 0 && b.height > 0 && c.width > 0 &&
			    c.height > 0)
				bars++;
		});
		out.charts.push({id: svg.id, w: r.width, h: r.height,
		    bars: bars});
	});
	["pass", "fail"].forEach(function (k) {
		var e = document.querySelector("rect." + k);
		out.fills[k] = e ? getComputedStyle(e).fill : "";
	});
	var t = document.getElementById("orgs");
	out.orgs = t && t.offsetHeight > 0 ? t.rows.length - 1 : -1;
	out.resources = performance.getEntriesByType("resource").map(
	    function (e) { return e.name; });
	var ok = out.charts.length == 2 && out.resources.length == 0 &&
	    out.charts.every(function (c) {
		return c.w > 0 && c.h > 0 && c.bars > 0;
	    });
	var pre = document.createElement("pre");
	pre.id = "render-check";
	pre.textContent = JSON.stringify(out);
	document.body.appendChild(pre);
	document.body.dataset.rendered = ok ? "ok" : "bad";
})();
</script>
"""
csp = "default-src 'none'; style-src 'unsafe-inline'"
assert page.count(csp) == 1 and page.count("</body>") == 1
open(sys.argv[3], "w", encoding="utf-8").write(
    page.replace("</body>", probe + "</body>"))
open(sys.argv[2], "w", encoding="utf-8").write(
    page.replace(csp, csp + "; script-src 'unsafe-inline'")
        .replace("</body>", probe + "</body>"))
PYEOF
t_check "a copy of the page with a probe script" $?

browse --dump-dom "file://$tmp/probe.html" >"$tmp/dom.html"
t_check "chromium --dump-dom exits 0" $? "$(tail -3 "$tmp/chromium.log")"
"$PY" - "$tmp/summary.html" "$tmp/dom.html" <<'PYEOF'
import html, json, re, sys
from html.parser import HTMLParser
class Bars(HTMLParser):
    """bars the page draws: <rect> with width and height > 0, per chart"""
    def __init__(self):
        super().__init__()
        self.svg, self.bars = None, {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a.get("id")
            self.bars[self.svg] = 0
        elif tag == "rect" and self.svg is not None:
            if float(a.get("width", 0)) > 0 and float(a.get("height", 0)) > 0:
                self.bars[self.svg] += 1
    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None
want = Bars()
want.feed(open(sys.argv[1], encoding="utf-8").read())
dom = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r'<pre id="render-check">(.*?)</pre>', dom, re.S)
if not m:
    print("no probe output in the DOM")
    sys.exit(1)
got = json.loads(html.unescape(m.group(1)))
print("page draws", want.bars)
print("rendered", got)
charts = {c["id"]: c for c in got["charts"]}
ok = ('data-rendered="ok"' in dom
      and sorted(charts) == ["chart-days", "chart-top"]
      and all(charts[k]["bars"] == want.bars[k] and want.bars[k] > 0 and
              charts[k]["w"] > 100 and charts[k]["h"] > 50 for k in charts)
      and got["fills"] == {"pass": "rgb(58, 154, 74)", "fail": "rgb(208, 57, 43)"}
      and got["orgs"] == 11
      and got["resources"] == [])
sys.exit(0 if ok else 1)
PYEOF
t_check "dom: both charts laid out, every bar with a bounding box, colours, the organisations table, no request" $?

browse --dump-dom "file://$tmp/blocked.html" >"$tmp/dom-blocked.html"
grep -q '<h1>DMARC aggregate reports' "$tmp/dom-blocked.html" &&
    grep -q 'pre.id = "render-check"' "$tmp/dom-blocked.html" &&
    ! grep -q -e 'data-rendered=' -e '<pre id="render-check">' \
	"$tmp/dom-blocked.html"
t_check "dom: the page's own policy keeps scripts from running" $? \
    "$(wc -c <"$tmp/dom-blocked.html") bytes; $(tail -3 "$tmp/chromium.log")"

# ---- the screenshot ----
(cd "$tmp" && browse --screenshot="$tmp/shot.png" \
    "file://$tmp/summary.html" >/dev/null)
t_check "chromium --screenshot exits 0" $? "$(tail -3 "$tmp/chromium.log")"
"$PY" - "$tmp/shot.png" <<'PYEOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("not a PNG")
    sys.exit(1)
pos, idat, ihdr = 8, [], None
while pos + 8 <= len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    if typ == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", data[pos + 8:pos + 8 + n])
    elif typ == b"IDAT":
        idat.append(data[pos + 8:pos + 8 + n])
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
if depth != 8 or ctype not in (2, 6) or interlace != 0:
    print("unexpected PNG format", ihdr)
    sys.exit(1)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(b"".join(idat))
stride = w * bpp
prev = bytearray(stride)
colours = {}
i = 0
for y in range(h):
    # PNG filters (RFC 2083 6): None, Sub, Up, Average, Paeth
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    if f == 1:
        for x in range(bpp, stride):
            line[x] = (line[x] + line[x - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
    elif f == 4:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc
                                  else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        k = bytes(line[x:x + 3])
        colours[k] = colours.get(k, 0) + 1
    prev = line
def near(rgb):
    return sum(n for k, n in colours.items()
               if all(abs(k[j] - rgb[j]) <= 3 for j in range(3)))
green, red = near((58, 154, 74)), near((208, 57, 43))
top = max(colours.values())
print("%dx%d, %d colours, the commonest on %d pixels; chart green %d, "
      "red %d pixels" % (w, h, len(colours), top, green, red))
sys.exit(0 if (w, h) == (1200, 1600) and len(colours) > 16 and
         top < w * h * 0.98 and green > 5000 and red > 2000 else 1)
PYEOF
t_check "screenshot: a 1200x1600 PNG, not blank, the charts' colours painted" $?

t_done
