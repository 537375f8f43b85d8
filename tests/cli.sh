#!/bin/sh
# tests/cli.sh - dmarcctl's command line: exit codes, usage, bad input,
# and the README's sample run
. "$(dirname "$0")/lib.sh"
D="$top_builddir/tools/dmarcctl"
S="$top_srcdir/contrib/sample"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

run 0 "--version" -V
grep -q '^dmarcctl [0-9]' "$tmp/out"
t_check "--version prints the version" $?
run 2 "no command"
run 2 "unknown command" frobnicate
run 0 "help" help
run 2 "eval without --client-ip" eval "$S/sample.eml"
grep -q 'client-ip is required' "$tmp/err"
t_check "eval says what is missing" $?
run 2 "eval with a bad --client-ip" eval --dns-zone "$S/sample.zone" \
    --client-ip 999.1.1.1 "$S/sample.eml"
run 2 "eval with an unknown option" eval --client-ip 192.0.2.1 --frob x
run 2 "eval with a bad --pct-roll" eval --client-ip 192.0.2.1 --pct-roll 100
run 1 "eval on a missing file" eval --dns-zone "$S/sample.zone" \
    --client-ip 192.0.2.1 "$tmp/nonexistent.eml"
grep -q 'No such file' "$tmp/err"
t_check "missing file: clear message" $?
: >"$tmp/empty.eml"
run 1 "eval on an empty file" eval --dns-zone "$S/sample.zone" \
    --client-ip 192.0.2.1 "$tmp/empty.eml"
grep -q 'empty file' "$tmp/err"
t_check "empty file: clear message" $?
printf 'From: a@example.com\r\n\r\n\000\001\002' >"$tmp/bin.eml"
run 1 "eval on a binary file" eval --dns-zone "$S/sample.zone" \
    --client-ip 192.0.2.1 "$tmp/bin.eml"
grep -q 'not a mail message' "$tmp/err"
t_check "binary file: clear message" $?
printf 'just some text\nwithout any header\n' >"$tmp/text.eml"
run 1 "eval on a text file without header" eval --dns-zone \
    "$S/sample.zone" --client-ip 192.0.2.1 "$tmp/text.eml"
printf 'AuthservID a\nBogusKey 1\n' >"$tmp/bad.conf"
run 1 "eval with a bad config" eval --config "$tmp/bad.conf" \
    --client-ip 192.0.2.1 "$S/sample.eml"
grep -q 'bad.conf:2: unknown option "BogusKey"' "$tmp/err"
t_check "bad config: FILE:LINE: message" $?
printf 'Nameservers 127.0.0.1@1\n' >"$tmp/zone.conf"
run 1 "eval with a missing zone file" eval --dns-zone "$tmp/none.zone" \
    --client-ip 192.0.2.1 "$S/sample.eml"

# the README's "run" command: the sample passes DMARC through SPF and DKIM
run 0 "sample evaluation" eval --dns-zone "$S/sample.zone" --authserv-id mx.example.net \
    --client-ip 192.0.2.25 --helo mail.example.com \
    --mail-from newsletter@example.com --json "$S/sample.eml"
/usr/bin/python3 - "$tmp/out" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
d = v["dmarc"]
assert v["spf"]["result"] == "pass", v["spf"]
assert [s["result"] for s in v["dkim"]] == ["pass"], v["dkim"]
assert d["result"] == "pass" and d["policy"] == "reject", d
assert d["disposition"] == "none" and d["spf_aligned"] and d["dkim_aligned"], d
assert v["authentication_results"].startswith("mx.example.net; spf=pass"), v
PY
t_check "sample: spf, dkim and dmarc pass" $?
# the same from standard input, header output
"$D" eval --dns-zone "$S/sample.zone" --client-ip 192.0.2.25 \
    --helo mail.example.com --mail-from newsletter@example.com \
    --authserv-id mx.example.net - <"$S/sample.eml" >"$tmp/out" 2>&1
grep -q '^Authentication-Results: mx.example.net; spf=pass .*dmarc=pass' \
    "$tmp/out"
t_check "sample from stdin prints the A-R header" $? "$(cat "$tmp/out")"
# ---- dmarcctl expire ----
run 2 "expire without --older-than" expire --db "sqlite:$tmp/h.db"
run 2 "expire with a bad --older-than" expire --db "sqlite:$tmp/h.db" \
    --older-than 0
run 0 "expire creates an empty store" expire --db "sqlite:$tmp/h.db" \
    --older-than 30
grep -qx "0 records older than 30 days removed" "$tmp/out"
t_check "expire: nothing to remove" $? "$(cat "$tmp/out")"
# two old outcomes, one new, written as the daemon's store would
/usr/bin/python3 - "$tmp/h.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in db.execute("PRAGMA table_info(messages)")]
now = int(time.time())
for i, age in enumerate((40, 35, 1)):
    row = {c: "" for c in cols}
    row.update(id="e%030d" % i, received=now - age * 86400, has_policy=0,
               testing=0, spf_aligned=0, dkim_aligned=0)
    db.execute("INSERT INTO messages (%s) VALUES (%s)" % (
        ",".join(cols), ",".join("?" * len(cols))), [row[c] for c in cols])
db.commit()
PY
run 0 "expire --older-than 30" expire --db "sqlite:$tmp/h.db" --older-than 30
grep -qx "2 records older than 30 days removed" "$tmp/out"
t_check "expire removes only the old outcomes" $? "$(cat "$tmp/out")"
left=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from messages").fetchone()[0])' "$tmp/h.db")
[ "$left" = 1 ]
t_check "one recent outcome kept" $? "left=$left"
t_done
