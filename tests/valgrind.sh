#!/bin/sh
# tests/valgrind.sh - the daemon under valgrind memcheck, with real traffic
#
# Starts milter/dmarc-milter of the plain build tree under valgrind
# (memcheck, full leak check, fd tracking) with a zone file (DNSZoneFile),
# a SQLite HistoryDB and failure reports to a fake sendmail, and drives it
# over the milter protocol with contrib/bench's milter-bench, which talks
# to it as Postfix does (macros, headers one by one, body, end of message,
# abort) and applies its header changes.  The corpus, made here with
# Debian's python3-dkim and the keys of tests/gen/keys, covers DKIM pass
# (rsa-sha256 and ed25519-sha256), DKIM fail, SPF pass and fail, DMARC
# reject, quarantine and none, DNS temperror, no From, malformed From and
# forged Authentication-Results; a client that drops mid-message; a reload
# (SIGUSR1) between two rounds, and a concurrent round of every message.
# Each verdict, header change, log line and HistoryDB row is checked, so a
# daemon that skipped the work fails.  Then SIGTERM; the daemon must exit
# 0 and valgrind must report 0 errors and no definitely lost byte.
#
# Known reports of the libraries, not ours, are in tests/valgrind.supp.
# Skipped (exit 77) without valgrind, and in a sanitizer build (valgrind
# and ASan do not mix: the build-asan tree is covered by the ASan runs).
# Environment: top_srcdir, top_builddir (set by make check), KEEP=1 keeps
# the temporary directory (valgrind's log is vg.log), VG_GEN=1 has
# valgrind write a suppression for each report.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/..}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"

PY=/usr/bin/python3
D=$top_builddir/milter/dmarc-milter
B=$top_builddir/contrib/bench/milter-bench
SUPP=$top_srcdir/tests/valgrind.supp
AUTHSERV=mx.vg.example
T0=$(date +%s)

command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"
for f in "$D" "$B" "$PY"; do
	if [ ! -x "$f" ]; then
		t_fail "setup" "$f not found (build first)"
		t_done
		exit 1
	fi
done
if ldd "$D" 2>/dev/null | grep -Eq 'lib(a|ub|l|t)san'; then
	skip "sanitizer build (valgrind and ASan do not mix)"
fi
"$PY" -c 'import dkim, nacl.signing' 2>/dev/null ||
    skip "Debian's python3-dkim and python3-nacl are not installed"

T=$(mktemp -d /tmp/dmarc-vg.XXXXXX) || exit 1
chmod 755 "$T"
VPID='' WATCHDOG=''
cleanup() {
	stop_pid "$VPID" 20
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
# shellcheck disable=SC2154 # st is set inside the trap
trap 'st=$?; cleanup; exit $st' EXIT
trap 'exit 1' INT TERM HUP

# the whole run is bounded, whatever hangs
watchdog 170

# ---------------------------------------------------------------- corpus

# One directory per scenario (NAME/m.eml, NAME/m.env), all/ with every
# message, and the zone.  Each scenario has its own From domain, so its
# log line and HistoryDB row can be told apart.
"$PY" - "$top_srcdir/tests/gen/keys" "$T" <<'EOF'
import base64, os, subprocess, sys
import dkim
import nacl.signing

keys, out = sys.argv[1], sys.argv[2]


class FixedTime:
    """dkimpy reads time.time() for t=: a fixed one, no x=."""

    @staticmethod
    def time():
        return 1700000000


dkim.time = FixedTime
rsa = open(os.path.join(keys, 'rsa2048.pem'), 'rb').read()
der = subprocess.run(['openssl', 'rsa', '-in', os.path.join(keys,
    'rsa2048.pem'), '-pubout', '-outform', 'DER'], check=True,
    capture_output=True).stdout
rsa_p = base64.b64encode(der).decode()
ed = open(os.path.join(keys, 'ed25519.key'), 'rb').read().strip()
ed_p = base64.b64encode(bytes(nacl.signing.SigningKey(
    base64.b64decode(ed)).verify_key)).decode()


def txt(s):
    """a TXT rdata: strings of at most 255 octets"""
    return ' '.join('"%s"' % s[i:i + 255] for i in range(0, len(s), 255))


zone = ['$TTL 300']
for d, p in (('rsa', 'reject'), ('ed', 'reject'), ('tamper', 'reject'),
        ('spf', 'reject'), ('reject', 'reject; ruf=mailto:ruf@reject.example'),
        ('quarantine', 'quarantine'), ('none', 'none'), ('nofrom', 'reject'),
        ('bank', 'reject'), ('forged', 'none'), ('drop', 'reject')):
    zone.append('_dmarc.%s.example. IN TXT "v=DMARC1; p=%s"' % (d, p))
    zone.append('%s.example. IN TXT "v=spf1 ip4:192.0.2.10 -all"' % d)
zone.append('s1._domainkey.rsa.example. IN TXT '
    + txt('v=DKIM1; k=rsa; p=' + rsa_p))
zone.append('s1._domainkey.tamper.example. IN TXT '
    + txt('v=DKIM1; k=rsa; p=' + rsa_p))
zone.append('ed1._domainkey.ed.example. IN TXT '
    + txt('v=DKIM1; k=ed25519; p=' + ed_p))
zone.append('$SERVFAIL _dmarc.servfail.example. TXT')
zone.append('servfail.example. IN TXT "v=spf1 ip4:192.0.2.10 -all"')
with open(os.path.join(out, 'zone'), 'w') as f:
    f.write('\n'.join(zone) + '\n')

BODY = ('Hello,\r\n\r\nA message of the valgrind run.\r\n' * 20)
BAD, GOOD = '198.51.100.7', '192.0.2.10'
# name, From field (None: none), MAIL FROM, client, sign, extra headers
CASES = [
    ('rsa', 'User <user@rsa.example>', 'user@rsa.example', BAD,
        ('rsa', b'rsa.example', b's1'), []),
    ('ed', 'User <user@ed.example>', 'user@ed.example', BAD,
        ('ed', b'ed.example', b'ed1'), []),
    ('tamper', 'User <user@tamper.example>', 'user@tamper.example', BAD,
        ('rsa', b'tamper.example', b's1'), []),
    ('spf', 'User <user@spf.example>', 'user@spf.example', GOOD, None, []),
    ('reject', 'CEO <ceo@reject.example>', 'ceo@reject.example', BAD,
        None, []),
    ('quarantine', 'News <news@quarantine.example>',
        'news@quarantine.example', BAD, None, []),
    ('none', 'Info <info@none.example>', 'info@none.example', BAD, None,
        []),
    ('nofrom', None, 'user@nofrom.example', BAD, None, []),
    ('badfrom', 'ceo@bank.example, <<@>', 'user@bank.example', BAD,
        None, []),
    ('badfrom2', 'ceo@bank..example', 'user@bank.example', BAD, None, []),
    ('forged', 'Info <info@forged.example>', 'info@forged.example', BAD,
        None, [('Authentication-Results', 'MX.VG.Example; spf=pass '
            'smtp.mailfrom=forged.example;\r\n\tdmarc=pass '
            'header.from=forged.example'),
            ('Authentication-Results', 'relay.other.example; spf=pass '
            'smtp.mailfrom=forged.example')]),
    ('servfail', 'User <user@servfail.example>', 'user@servfail.example',
        GOOD, None, []),
]
os.makedirs(os.path.join(out, 'c', 'all'))
for name, frm, mfrom, ip, sign, extra in CASES:
    hdrs = []
    if frm is not None:
        hdrs.append(('From', frm))
    hdrs += [('To', 'Rcpt <rcpt@dest.example>'),
        ('Subject', 'valgrind ' + name),
        ('Date', 'Tue, 14 Nov 2023 22:13:20 +0000'),
        ('Message-ID', '<%s@vg.example>' % name)] + extra
    msg = b''.join(('%s: %s\r\n' % h).encode() for h in hdrs)
    msg += b'\r\n' + BODY.encode()
    if sign:
        k, d, s = sign
        msg = dkim.sign(msg, s, d, rsa if k == 'rsa' else ed,
            signature_algorithm=b'rsa-sha256' if k == 'rsa'
            else b'ed25519-sha256',
            include_headers=[b'from', b'to', b'subject', b'date',
                b'message-id'], linesep=b'\r\n') + msg
    if name == 'tamper':
        msg = msg.replace(b'A message of', b'A forged message of', 1)
    # all/: one client for all, as a connection has only one
    for where, c in ((os.path.join(out, 'c', name, 'm'), ip),
            (os.path.join(out, 'c', 'all', name), BAD)):
        os.makedirs(os.path.dirname(where), exist_ok=True)
        open(where + '.eml', 'wb').write(msg)
        open(where + '.env', 'w').write('client %s\nhelo mta.sender.example'
            '\nfrom <%s>\nrcpt <rcpt@dest.example>\n' % (c, mfrom))
EOF
t_check "corpus and zone written" $? || { t_done; exit 1; }

# ---------------------------------------------------------------- daemon

mkdir "$T/out"
cat >"$T/sendmail" <<EOF
#!/bin/sh
# the fake sendmail: one file per report
cat >"$T/out/\$\$.msg"
EOF
chmod 755 "$T/sendmail"
cat >"$T/conf" <<EOF
Socket unix:$T/milter.sock
PidFile $T/milter.pid
AuthservID $AUTHSERV
DNSZoneFile $T/zone
HistoryDB sqlite:$T/hist/history.db
SpoolDirectory $T/spool
IgnoreHosts 127.0.0.0/8
RejectFailures yes
QuarantineAction tag
TempErrorAction tempfail
MissingFromAction accept
FailureReports yes
SendmailPath $T/sendmail
ReportDomain $AUTHSERV
ReportEmail dmarc-reports@$AUTHSERV
EOF
"$D" -n -c "$T/conf" >"$T/n.out" 2>&1
t_check "dmarc-milter -n accepts the config" $? "$(cat "$T/n.out")"

valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=99 --track-fds=yes --child-silent-after-fork=yes \
    --num-callers=40 --suppressions="$SUPP" ${VG_GEN:+--gen-suppressions=all} \
    --log-file="$T/vg.log" "$D" -f -c "$T/conf" >"$T/milter.log" 2>&1 &
VPID=$!
wait_for 60 test -S "$T/milter.sock"
t_check "the daemon starts under valgrind" $? "$(tail -5 "$T/milter.log")"

NSENT=0
# drive NAME: the message of NAME through the daemon; the JSON in bench.NAME
drive() {
	"$B" --milter "unix:$T/milter.sock" --corpus "$T/c/$1" -n 1 \
	    --timeout 60 --json >"$T/bench.$1" 2>"$T/bench.$1.err"
	t_check "$1: milter-bench ran" $? "$(tail -3 "$T/bench.$1.err")"
	NSENT=$((NSENT + 1))
}
# verdict NAME: accept|reject|tempfail..., then the header changes, from
# the JSON: "reject 0 0 0" (verdict, add, insert, change)
summary() {
	"$PY" - "$T/bench.$1" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError:
    print('no-json')
    sys.exit(0)
v = [k for k, n in j['verdicts'].items() if n]
h = j['header_changes']
print('%s add=%d ins=%d chg=%d' % (','.join(v) or '-', h['add'], h['insert'],
    h['change']))
EOF
}
# logline DOMAIN: the daemon's last summary line for From domain DOMAIN
logline() { grep " from=$1 " "$T/milter.log" | grep ' dmarc=' | tail -1; }
# expect NAME SUMMARY LOG-PATTERN...: drive NAME, check the verdict and
# header changes, and its summary line (grep -E patterns)
expect() {
	_n=$1 _s=$2
	shift 2
	drive "$_n"
	_got=$(summary "$_n")
	[ "$_got" = "$_s" ]
	t_check "$_n: $_s" $? "got '$_got'"
	for _p in "$@"; do
		grep ' dmarc=' "$T/milter.log" | tail -1 | grep -Eq -- "$_p"
		t_check "$_n: log line has $_p" $? \
		    "$(grep ' dmarc=' "$T/milter.log" | tail -1)"
	done
}

round() {	# round TAG: every scenario once
	expect rsa "accept add=0 ins=1 chg=0" ' from=rsa\.example ' \
	    ' dkim=pass/aligned ' ' dmarc=pass ' ' action=accept '
	expect ed "accept add=0 ins=1 chg=0" ' from=ed\.example ' \
	    ' dkim=pass/aligned ' ' dmarc=pass '
	expect tamper "reject add=0 ins=0 chg=0" ' from=tamper\.example ' \
	    ' spf=fail/unaligned dkim=fail/' ' dmarc=fail ' ' action=reject '
	expect spf "accept add=0 ins=1 chg=0" ' from=spf\.example ' \
	    ' spf=pass/aligned ' ' dkim=none ' ' dmarc=pass '
	expect reject "reject add=0 ins=0 chg=0" ' from=reject\.example ' \
	    ' spf=fail/unaligned ' ' dmarc=fail ' ' action=reject '
	expect quarantine "accept add=1 ins=1 chg=0" \
	    ' from=quarantine\.example ' ' dmarc=fail ' \
	    ' action=quarantine-tag '
	expect none "accept add=0 ins=1 chg=0" ' from=none\.example ' \
	    ' dmarc=fail ' ' action=accept '
	expect nofrom "accept add=0 ins=1 chg=0" \
	    ' mailfrom_domain=nofrom\.example from=- ' ' dmarc=permerror ' \
	    ' action=accept '
	# malformed From: one with a domain that can be salvaged, and one
	# without
	expect badfrom "reject add=0 ins=0 chg=0" ' from=bank\.example ' \
	    ' dmarc=fail ' ' action=reject '
	expect badfrom2 "accept add=0 ins=1 chg=0" \
	    ' mailfrom_domain=bank\.example from=- ' ' dmarc=permerror '
	expect forged "accept add=0 ins=1 chg=1" ' from=forged\.example ' \
	    ' dmarc=fail ' ' action=accept '
	expect servfail "tempfail add=0 ins=0 chg=0" \
	    ' from=servfail\.example ' ' dmarc=temperror ' ' action=tempfail '
}
round 1

# a client that goes away in the middle of the headers, then of the body:
# the per-message state is freed by xxfi_abort/xxfi_close.  No protocol
# flag is offered, so every step is answered: SMFIR_CONTINUE is checked.
"$PY" - "$T/milter.sock" >"$T/drop.out" 2>&1 <<'EOF'
import socket, struct, sys


def pkt(cmd, data=b''):
    return struct.pack('>I', len(data) + 1) + cmd + data


def z(*s):
    return b''.join(x.encode() + b'\0' for x in s)


def session(cut_in_body):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60)
    s.connect(sys.argv[1])
    f = s.makefile('rb')

    def step(p, want=b'c'):
        s.sendall(p)
        n = struct.unpack('>I', f.read(4))[0]
        r = f.read(n)
        if r[:1] != want:
            raise SystemExit('%r: got %r' % (p[4:5], r[:1]))

    step(pkt(b'O', struct.pack('>III', 6, 0x1ff, 0)), b'O')
    step(pkt(b'D', b'C' + z('j', 'mx.vg.example'))
        + pkt(b'C', z('mta.sender.example') + b'4' + struct.pack('>H', 25)
            + z('198.51.100.9')))
    step(pkt(b'H', z('mta.sender.example')))
    step(pkt(b'D', b'M' + z('i', 'DROP000001'))
        + pkt(b'M', z('<user@drop.example>')))
    step(pkt(b'R', z('<rcpt@dest.example>')))
    step(pkt(b'T'))
    step(pkt(b'L', z('From', ' User <user@drop.example>')))
    step(pkt(b'L', z('Subject', ' cut')))
    if cut_in_body:
        step(pkt(b'N'))
        step(pkt(b'B', b'first line\r\nsecond li'))
    s.close()


session(False)
session(True)
print('two sessions dropped')
EOF
t_check "two clients dropped mid-message, every step answered" $? \
    "$(cat "$T/drop.out")"
NSENT=$((NSENT + 2))
sleep 1
kill -0 "$VPID" 2>/dev/null
t_check "daemon still running after the drops" $?

# a reload, then every message again
reloads() { grep -c 'reloaded ' "$T/milter.log"; }
reload_seen() { [ "$(reloads)" -gt 0 ]; }
kill -USR1 "$VPID"
wait_for 30 reload_seen
t_check "SIGUSR1 reload logged" $? "$(tail -3 "$T/milter.log")"
round 2

# every message twice, over two concurrent connections of 12 messages,
# all from 198.51.100.7: 7 accepted (2 tagged, 1 forged A-R removed), 4
# rejected (spf.example too now), 1 tempfail, each twice
"$B" --milter "unix:$T/milter.sock" --corpus "$T/c/all" -n 24 -c 2 -m 12 \
    --timeout 90 --json >"$T/bench.all" 2>"$T/bench.all.err"
t_check "concurrent round: milter-bench ran" $? \
    "$(tail -3 "$T/bench.all.err")"
NSENT=$((NSENT + 24))
got=$("$PY" - "$T/bench.all" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except ValueError:
    print('no-json')
    sys.exit(0)
print(' '.join('%s=%d' % (k, n) for k, n in sorted(j['verdicts'].items())
    if n), ' '.join('%s=%d' % kv for kv in
    sorted(j['header_changes'].items())))
EOF
)
want="accept=14 reject=8 tempfail=2 add=2 change=2 insert=14 other=0"
[ "$got" = "$want" ]
t_check "concurrent round: $want" $? "got '$got'"

# a failure report for each reject.example failure (ruf=): one a round,
# two in the concurrent one; none for the others (no ruf=)
nrep() { find "$T/out" -name '*.msg' | grep -c .; }
nrep_is() { [ "$(nrep)" -ge "$1" ]; }
wait_for 30 nrep_is 4
sleep 0.5
[ "$(nrep)" -eq 4 ]
t_check "4 failure reports sent for reject.example" $? "$(nrep) reports"
! grep -L '^To: ruf@reject\.example' "$T"/out/*.msg | grep -q .
t_check "each to ruf@reject.example" $? \
    "$(grep -h '^To:' "$T"/out/*.msg)"

# ---------------------------------------------------------------- shutdown

kill -TERM "$VPID"
_n=600
while [ $_n -gt 0 ] && kill -0 "$VPID" 2>/dev/null; do
	sleep 0.1
	_n=$((_n - 1))
done
if kill -0 "$VPID" 2>/dev/null; then
	t_fail "the daemon stops on SIGTERM" "still running after 60 s"
	kill -KILL "$VPID"
fi
wait "$VPID"
status=$?
VPID=
[ "$status" -ne 99 ]
t_check "valgrind exit status is not 99 (errors)" $? "status $status"
[ "$status" -eq 0 ]
t_check "the daemon exits with status 0" $? "status $status"

# every evaluated message has its HistoryDB row (the drops have none):
# 2 rounds and 2 in the concurrent one, of each From domain ("-": none)
rows=$("$PY" - "$T/hist/history.db" <<'EOF' 2>&1
import sqlite3, sys
c = sqlite3.connect('file:%s?mode=ro' % sys.argv[1], uri=True)
print(' '.join('%s=%d' % (d or '-', n) for d, n in c.execute(
    'SELECT header_from, count(*) FROM messages GROUP BY header_from'
    ' ORDER BY header_from')))
EOF
)
want="-=8 bank.example=4 ed.example=4 forged.example=4 none.example=4"
want="$want quarantine.example=4 reject.example=4 rsa.example=4"
want="$want servfail.example=4 spf.example=4 tamper.example=4"
[ "$rows" = "$want" ]
t_check "HistoryDB: 48 rows, 4 of each From domain" $? "got '$rows'"

# valgrind's verdict
errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$T/vg.log" |
    tail -1)
lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$T/vg.log" |
    tail -1 | tr -d ,)
fds=$(sed -n 's/.*FILE DESCRIPTORS: \([0-9]*\) open.*/\1/p' "$T/vg.log" |
    tail -1)
[ "${errs:-x}" = 0 ]
t_check "valgrind: ERROR SUMMARY: 0 errors" $? \
    "$(grep -B40 'ERROR SUMMARY' "$T/vg.log" | head -80)"
# no leak summary at all means every block was freed
[ "${lost:-x}" = 0 ] ||
    { [ -z "$lost" ] && grep -q 'All heap blocks were freed' "$T/vg.log"; }
t_check "valgrind: definitely lost: 0 bytes" $? \
    "$(grep -A40 'definitely lost in' "$T/vg.log" | head -80)"
# --track-fds: every descriptor left open at exit was inherited or is
# libmilter's (its worker pool's pipes); none was opened by our code
ourfds=$(awk '
function flush() {
	if (blk != "" && !inh && !lib)
		print blk
	blk = ""
}
/Open (file descriptor|AF_[A-Z0-9]+ socket) [0-9]+/ {
	flush(); blk = $0; inh = lib = 0; next
}
/<inherited from parent>/ { inh = 1 }
/\(in [^)]*libmilter\.so[^)]*\)/ { lib = 1 }
/^==[0-9]+== *$/ { flush() }
END { flush() }' "$T/vg.log")
[ -z "$ourfds" ]
t_check "valgrind: no descriptor of ours left open at exit" $? "$ourfds"
echo "valgrind: $NSENT messages sent, ${errs:-?} errors," \
    "${lost:-0} bytes definitely lost, ${fds:-?} descriptors open at exit"
if [ "$T_FAIL" -ne 0 ]; then
	echo "---- valgrind log, last 80 lines"
	tail -80 "$T/vg.log"
	echo "---- daemon log, last 40 lines"
	tail -40 "$T/milter.log"
fi
echo "run took $(($(date +%s) - T0)) s"
t_done
