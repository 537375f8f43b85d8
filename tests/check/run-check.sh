#!/bin/sh
# run-check.sh - "dmarcctl check" against tests/check/zone: for each domain
# of the zone (written by mkzone.py), the exit code, the rollout stage and
# the exact set of finding codes; then the terminal output and the command
# line.
#
# Environment: top_srcdir and top_builddir (as set by "make check"; both
# default to this script's ../..), DMARCCTL to name another binary.
here=$(cd "$(dirname "$0")" && pwd) || exit 99
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd) || exit 99
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd) || exit 99
. "$top_srcdir/tests/lib.sh"
D=${DMARCCTL:-$top_builddir/tools/dmarcctl}
Z="$top_srcdir/tests/check/zone"
if [ ! -x "$D" ]; then
	echo "run-check.sh: $D is not built" >&2
	exit 99
fi
if [ ! -x /usr/bin/python3 ]; then
	echo "run-check.sh: /usr/bin/python3 not found" >&2
	exit 99
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# json_check FILE STAGE PARTIAL CODES EXPR: the JSON object in FILE has
# that stage and partial flag, exactly that set of finding codes, and EXPR
# (Python, with the object as v) is true
json_check() {
	/usr/bin/python3 - "$@" <<'PY'
import json, sys
path, stage, partial, codes, expr = sys.argv[1:6]
try:
    v = json.load(open(path))
except ValueError as e:
    sys.exit('not JSON: %s' % e)
errs = []
if v['stage'] != stage:
    errs.append('stage %r, want %r' % (v['stage'], stage))
if v['partial'] != (partial == 'y'):
    errs.append('partial %r, want %r' % (v['partial'], partial == 'y'))
got = sorted({f['code'] for f in v['findings']})
want = sorted(set(codes.split()))
if got != want:
    errs.append('codes %s, want %s' % (' '.join(got) or '-',
        ' '.join(want) or '-'))
for f in v['findings']:
    if f['level'] not in ('error', 'warning', 'info') or not f['message'] \
            or f['area'] not in ('dmarc', 'spf', 'dkim'):
        errs.append('bad finding %r' % f)
if not v['next_step'] or v['next_step'] != v['next_steps'][0]:
    errs.append('next_step %r' % v['next_step'])
if expr and not eval('(' + expr + ')', {'v': v}):
    errs.append('false: ' + expr)
if errs:
    sys.exit('; '.join(errs))
PY
}

# domain EXIT STAGE PARTIAL "CODES" "EXPR" DOMAIN [ARGS...]
domain() {
	want=$1 stage=$2 partial=$3 codes=$4 expr=$5 dom=$6
	shift 6
	name="check $dom${*:+ $*}"
	"$D" check "$dom" --dns-zone "$Z" --json "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		t_fail "$name" "exit $got, want $want: $(head -c 300 "$tmp/err")"
		return
	fi
	msg=$(json_check "$tmp/out" "$stage" "$partial" "$codes" "$expr" 2>&1)
	t_check "$name" $? "$msg"
}

# -- in order
domain 0 reject n "" \
    'v["dkim"][0]["selector"] == "s1" and v["dkim"][0]["bits"] == 2048 and
     v["spf"]["lookups"] == 0 and v["spf"]["all"] == "-all" and
     [s["status"] for s in v["dmarc"]["walk"]] == ["ok", "nxdomain"] and
     v["dmarc"]["rua"][0]["status"] == "same-organization" and
     v["next_step"].startswith("nothing to do")' good.test
domain 0 reject n "dmarc-inherited" \
    'v["dmarc"]["source"] == "organizational" and
     v["dmarc"]["policy_domain"] == "good.test" and
     [s["query"] for s in v["dmarc"]["walk"]] ==
         ["_dmarc.mail.good.test", "_dmarc.good.test", "_dmarc.test"] and
     [s["status"] for s in v["dmarc"]["walk"]] ==
         ["nxdomain", "ok", "nxdomain"] and v["spf"]["lookups"] == 1' \
    mail.good.test
domain 0 reject n "dmarc-legacy-tag" \
    '[t["tag"] for t in v["dmarc"]["tags"]] ==
         ["v", "p", "pct", "rf", "ri", "rua"]' legacy.test
domain 0 reject n "" \
    'v["spf"]["all"] == "-all" and v["spf"]["lookups"] == 1 and
     v["spf"]["tree"][1]["via"] == "redirect" and
     v["spf"]["tree"][1]["parent"] == 0' redirect.test
domain 0 reject n "" \
    '[(k["selector"], k["key_type"], k["bits"]) for k in v["dkim"]] ==
         [("s1", "rsa", 2048), ("ed", "ed25519", 256)]' \
    ed25519.test --selector s1 --selector ed

# -- DMARC
domain 1 none n "dmarc-missing" \
    '"_dmarc.nodmarc.test" in v["next_step"] and
     v["dmarc"]["source"] == "none"' nodmarc.test
domain 1 monitoring n "dmarc-no-rua dmarc-policy-none" \
    '"rua=" in v["next_step"] and
     "p=quarantine" in v["next_steps"][1]' none-norua.test
domain 1 none n "dmarc-missing dmarc-multiple-records" \
    'v["dmarc"]["walk"][0]["dmarc_records"] == 2' multi.test
domain 1 reject n "dmarc-tag-invalid" \
    'sum(f["code"] == "dmarc-tag-invalid" for f in v["findings"]) == 4 and
     v["dmarc"]["testing"] is False and v["dmarc"]["pct"] == 100' \
    badtags.test
domain 1 none n "dmarc-invalid" \
    '"p: unknown policy" in v["findings"][0]["message"]' badp.test
domain 1 none n "dmarc-bad-version dmarc-missing" "" badver.test
domain 1 reject n "dmarc-rua-unauthorized" \
    '[(a["address"], a["status"]) for a in v["dmarc"]["rua"]] ==
         [("a@reports.example.net", "authorized"),
          ("b@noauth.example.org", "unauthorized")] and
     "extrua.test._report._dmarc.noauth.example.org" in
         v["findings"][0]["message"]' extrua.test
domain 1 quarantine y "dmarc-policy-quarantine dmarc-testing" \
    'v["dmarc"]["testing"] and "t=y" in v["next_step"]' quarantine-t.test
domain 1 reject y "dmarc-pct" 'v["dmarc"]["pct"] == 50' pct.test
domain 1 reject n "dmarc-sp-weaker" \
    'v["dmarc"]["sp"] == "none" and "sp=reject" in v["next_step"]' \
    sp-weak.test
domain 1 reject n "dmarc-np-weaker" '"np=reject" in v["next_step"]' \
    np-weak.test
domain 0 reject n "dmarc-unknown-tag" "" unknown-tag.test
domain 1 unknown n "dmarc-dns-error" \
    'v["dmarc"]["walk"][0]["status"] == "tempfail"' tempfail.test
domain 1 reject n "dmarc-tag-invalid dmarc-unknown-tag" \
    '"\x1b" not in v["dmarc"]["record"] and
     "x=?[2J?]0;owned?" in v["dmarc"]["record"]' evil.test
domain 1 reject n "dmarc-psd-flag" "" psd-y.test
domain 1 reject n "dmarc-rua-duplicate dmarc-rua-invalid
    dmarc-rua-unsupported dmarc-ruf-duplicate dmarc-ruf-invalid
    dmarc-ruf-unauthorized dmarc-ruf-unsupported" \
    '[a["status"] for a in v["dmarc"]["rua"]] ==
         ["same-organization", "unsupported", "invalid", "duplicate"] and
     [a["status"] for a in v["dmarc"]["ruf"]] ==
         ["unauthorized", "unsupported", "invalid", "duplicate"]' \
    rua-mixed.test
domain 1 reject n "dmarc-rua-dns-error dmarc-ruf-dns-error" \
    'v["dmarc"]["rua"][0]["status"] == "tempfail"' rua-tempfail.test
domain 0 reject n "dmarc-fo-without-ruf" "" fo.test
domain 0 reject n "dmarc-sp-ignored" \
    'v["dmarc"]["source"] == "author" and
     v["dmarc"]["org_domain"] == "spi.test" and
     v["dmarc"]["policy"] == "reject"' sub.spi.test
domain 1 reject n "dmarc-from-psd dmarc-no-rua" \
    'v["dmarc"]["source"] == "psd" and
     v["dmarc"]["policy_domain"] == "psdtld" and
     v["dmarc"]["org_domain"] == "owner.psdtld"' owner.psdtld

# -- SPF
domain 1 reject n "spf-too-many-lookups" \
    'v["spf"]["lookups"] == 11 and v["spf"]["void_lookups"] == 0 and
     v["spf"]["complete"] and len(v["spf"]["tree"]) == 5 and
     [n["depth"] for n in v["spf"]["tree"]] == [0, 1, 2, 1, 2] and
     v["next_step"].startswith("SPF has 11 lookups")' spf-lookups.test
domain 0 reject n "spf-lookups-near-limit" 'v["spf"]["lookups"] == 9' \
    spf-near.test
domain 1 reject n "spf-too-many-void-lookups" \
    'v["spf"]["void_lookups"] == 3 and
     len(v["spf"]["tree"][0]["notes"]) == 3' spf-void.test
domain 1 reject n "spf-plus-all" 'v["spf"]["all"] == "+all"' \
    spf-plusall.test
domain 1 reject n "spf-softfail-all" 'v["spf"]["all"] == "~all"' \
    spf-softall.test
domain 1 reject n "spf-neutral-all" 'v["spf"]["all"] == "?all"' \
    spf-neutral.test
domain 1 reject n "spf-no-all" '"all" not in v["spf"]' spf-noall.test
domain 1 reject n "spf-ptr" 'v["spf"]["lookups"] == 1' spf-ptr.test
domain 1 reject n "spf-multiple-records" \
    'v["spf"]["status"] == "multiple"' spf-dup.test
domain 1 reject n "spf-include-loop" \
    'v["spf"]["tree"][-1]["status"] == "loop" and
     v["spf"]["lookups"] == 3' spf-loop.test
domain 1 reject n "spf-include-no-record" \
    'v["spf"]["void_lookups"] == 1 and
     v["spf"]["tree"][1]["status"] == "none"' spf-incnone.test
domain 1 reject n "spf-syntax" 'v["spf"]["status"] == "syntax"' \
    spf-syntax.test
domain 1 reject n "spf-missing" 'v["spf"]["status"] == "none"' nospf.test
domain 1 reject n "spf-mx-too-many" 'v["spf"]["lookups"] == 1' spf-mx.test
domain 1 reject n "spf-redirect-no-record" \
    'v["spf"]["tree"][1]["status"] == "none" and "all" not in v["spf"]' \
    spf-redirnone.test
domain 0 reject n "spf-redirect-ignored" \
    'len(v["spf"]["tree"]) == 1 and v["spf"]["lookups"] == 0' \
    spf-redirall.test
domain 1 reject n "spf-dns-error" 'v["spf"]["status"] == "dns-error"' \
    spf-servfail.test
domain 1 reject n "spf-check-limit spf-too-many-lookups" \
    'not v["spf"]["complete"] and v["spf"]["lookups"] == 12 and
     v["spf"]["tree"][-1]["status"] == "not-followed" and
     "at least 12" in v["next_step"]' spf-deep.test

# -- DKIM
domain 1 reject n "dkim-rsa-weak" \
    'v["dkim"][0]["bits"] == 1024 and v["dkim"][0]["usable"]' dkim1024.test
domain 1 reject n "dkim-rsa-too-short" \
    'v["dkim"][0]["bits"] == 512 and not v["dkim"][0]["usable"]' \
    dkim512.test
domain 1 reject n "dkim-revoked" 'v["dkim"][0]["revoked"]' \
    dkim-revoked.test
domain 1 reject n "dkim-testing" 'v["dkim"][0]["testing"]' \
    dkim-testing.test
domain 1 reject n "dkim-sha1-only" "" dkim-sha1.test
domain 1 reject n "dkim-bad-key" "" dkim-badkey.test
domain 1 reject n "dkim-syntax" "" dkim-syntax.test
domain 1 reject n "dkim-ed25519-only" \
    'v["dkim"][0]["key_type"] == "ed25519"' dkim-edonly.test
domain 1 reject n "dkim-none-found" 'v["dkim"] == []' dkim-none.test
domain 0 reject n "" 'v["dkim"][0]["selector"] == "sel2026"' \
    dkim-given.test --selector sel2026
domain 1 reject n "dkim-key-missing" \
    'v["dkim"][0]["status"] == "missing"' dkim-given.test --selector nope
domain 1 reject n "dkim-multiple-records" 'v["dkim"][0]["usable"]' \
    dkim-multi.test
domain 1 reject n "dkim-not-email" 'not v["dkim"][0]["usable"]' \
    dkim-service.test
domain 1 reject n "dkim-unknown-key-type" \
    'v["dkim"][0]["key_type"] == "dsa"' dkim-ktype.test
domain 1 reject n "dkim-dns-error" \
    '[k["status"] for k in v["dkim"]] == ["dns-error"] and
     v["next_step"].startswith("DNS lookups failed")' dkim-servfail.test

# -- the terminal: readable lines, no escape codes when not a terminal
"$D" check spf-lookups.test --dns-zone "$Z" >"$tmp/out" 2>"$tmp/err"
rc=$?
t_check "terminal output: exit 1" "$([ $rc -eq 1 ]; echo $?)"
for line in \
    '^DMARC (RFC 9989)$' \
    '^    TXT _dmarc.spf-lookups.test: ok, 1 DMARC record in 1 TXT$' \
    '^    p=reject               policy for spf-lookups.test: failing mail is to be refused$' \
    '^  spf-lookups.test: "v=spf1 include:_a.spf-lookups.test include:_b.spf-lookups.test -all" \[2 lookups\]$' \
    '^     └─ include:_d.spf-lookups.test: "v=spf1 ip4:198.51.100.0/24 -all"$' \
    '^  DNS lookups: 11 (limit 10), void lookups: 0 (limit 2)$' \
    '^  ✗ SPF needs 11 DNS lookups (limit 10, RFC 7208 4.6.4): .* \[spf-too-many-lookups\]$' \
    '^  ✓ key s1._domainkey.spf-lookups.test: 2048-bit RSA$' \
    '^  Stage: reject$' \
    '^  Next step: SPF has 11 lookups: flatten or remove includes'; do
	grep -q "$line" "$tmp/out"
	t_check "terminal output has /$line/" $? "$(cat "$tmp/out")"
done
"$D" check evil.test --dns-zone "$Z" >>"$tmp/out" 2>&1
! grep -q "$(printf '\033')" "$tmp/out"
t_check "no escape codes when stdout is not a terminal" $?
grep -q '^      "v=DMARC1; p=reject; rua=mailto:dmarc@evil.test; x=?\[2J?\]0;owned?"$' \
    "$tmp/out"
t_check "control bytes from DNS are shown as ?" $?
# on a terminal (script(1) gives one): colour, unless asked not to
if command -v script >/dev/null 2>&1; then
	script -qec "\"$D\" check good.test --dns-zone \"$Z\"" /dev/null \
	    >"$tmp/tty" 2>&1
	grep -q "$(printf '\033')\[32m" "$tmp/tty"
	t_check "colour on a terminal" $?
	script -qec "\"$D\" check good.test --dns-zone \"$Z\" --no-color" \
	    /dev/null >"$tmp/tty" 2>&1
	! grep -q "$(printf '\033')" "$tmp/tty"
	t_check "--no-color: no escape codes on a terminal" $?
	NO_COLOR=1 script -qec "\"$D\" check good.test --dns-zone \"$Z\"" \
	    /dev/null >"$tmp/tty" 2>&1
	! grep -q "$(printf '\033')" "$tmp/tty"
	t_check "NO_COLOR: no escape codes on a terminal" $?
fi

# -- the command line
run() {	# run EXPECTED-EXIT NAME ARGS...
	want=$1 name=$2
	shift 2
	"$D" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	t_check "$name" "$([ "$got" -eq "$want" ]; echo $?)" \
	    "exit $got, want $want: $(head -c 300 "$tmp/err")"
}
run 2 "check without a domain" check --dns-zone "$Z"
grep -q 'DOMAIN is required' "$tmp/err"
t_check "check says what is missing" $?
run 2 "check with two domains" check a.test b.test --dns-zone "$Z"
run 2 "check with a bad domain" check 'a..test' --dns-zone "$Z"
grep -q 'is not a domain name' "$tmp/err"
t_check "bad domain: clear message" $?
run 2 "check with a top-level domain alone" check test --dns-zone "$Z"
run 2 "check with an unknown option" check good.test --frob
run 2 "check with a bad selector" check good.test --selector 'a b'
run 0 "check --help" check --help
grep -q '^usage: dmarcctl check DOMAIN' "$tmp/out"
t_check "check --help prints the usage" $?
run 1 "check with a missing zone file" check good.test \
    --dns-zone "$tmp/none.zone"
printf 'DNSZoneFile %s\n' "$Z" >"$tmp/zone.conf"
run 0 "check with DNSZoneFile from --config" check good.test \
    --config "$tmp/zone.conf" --json
printf 'BogusKey 1\n' >"$tmp/bad.conf"
run 1 "check with a bad config" check good.test --config "$tmp/bad.conf"
grep -q 'bad.conf:1: unknown option "BogusKey"' "$tmp/err"
t_check "bad config: FILE:LINE: message" $?
run 1 "check of an IDN" check 'bücher.test' --dns-zone "$Z" --json
/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert v["domain"] == "xn--bcher-kva.test", v["domain"]
assert v["dmarc"]["walk"][0]["query"] == "_dmarc.xn--bcher-kva.test"
' "$tmp/out"
t_check "an IDN is checked as its A-label" $?

t_done
