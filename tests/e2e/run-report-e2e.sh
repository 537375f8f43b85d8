#!/bin/sh
# tests/e2e/run-report-e2e.sh - outcomes recorded by the daemon behind a
# real Postfix, and the aggregate reports dmarcctl builds and sends
#
# Starts, as root and in a private temporary directory: a Postfix instance
# of its own on loopback (XCLIENT allowed from 127.0.0.0/8), Postfix's
# smtp-sink behind it, the daemon as its milter (DNS from a zone written
# here), and for the last part a PostgreSQL server of its own (initdb in
# the temporary directory, loopback, a free port).  Then:
#   1. SQLite store: a day's mix of messages (several clients, IPv4 and
#      IPv6, p=reject/quarantine/none failures, SPF and DKIM passes,
#      hostile envelope values, rua destinations same-org, external with
#      and without authorization, with a size limit, with shell
#      metacharacters); "dmarcctl report --out" writes one file per
#      policy domain with a rua, each valid against the RFC 9990 schema,
#      whose counts equal what was sent; "--send" through a fake sendmail
#      reaches the verified addresses only, with the RFC 9990 subject and
#      attachment; a second --send sends nothing, --force sends again,
#      --dry-run changes nothing.
#   2. kill -9 of the daemon under load: every message Postfix accepted
#      (or the milter rejected) before the kill has its row in the store.
#   3. PostgreSQL store: report counts; the server stopped while mail
#      flows (no 4xx from the milter), restarted, the journal drains and
#      the report counts the messages of the outage.
# A --send refuses a day that is not over: the send checks run dmarcctl
# under faketime(1) one day ahead, and are skipped without it.
#
# Environment: top_srcdir, top_builddir (set by make check; default: this
# script's ../..), E2E_KEEP=1 keeps the temporary directory.
# Skips (exit 77) when not root or when Postfix is not installed; the
# PostgreSQL part is skipped without the server binaries.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/../..}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"

PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
PY=/usr/bin/python3
E2E=$top_srcdir/tests/e2e
XSD=$top_srcdir/tests/report/dmarc-2.0.xsd
D=$top_builddir/milter/dmarc-milter
DCTL=$top_builddir/tools/dmarcctl
AUTHSERV=mx.e2e.example
RECEIVER=mx.e2e.example
REPORT_EMAIL=dmarc-reports@mx.e2e.example
RCPT=rcpt@dest.example
T0=$(date +%s)

[ "$(id -u)" -eq 0 ] || skip "not root (Postfix needs root to start)"
[ -x /usr/sbin/postfix ] || skip "postfix is not installed"


need "$D" "the daemon (build it first)"
need "$DCTL" "dmarcctl (build it first)"
need /usr/bin/swaks "swaks (apt-get install swaks)"
need /usr/sbin/smtp-sink "smtp-sink (package postfix)"
need /usr/bin/xmllint "xmllint (apt-get install libxml2-utils)"
need "$PY" "Debian's python3"

FAKETIME_CMD=
[ -x "${FAKETIME_BIN-/usr/bin/faketime}" ] && FAKETIME_CMD=${FAKETIME_BIN-/usr/bin/faketime}

PGBIN=$(pg_bindir)
PSQL=$PGBIN/psql
[ -n "$PGBIN" ] && [ ! -x "$PSQL" ] && PSQL=/usr/bin/psql

# ---------------------------------------------------------------- lifecycle

T=$(mktemp -d /tmp/dmarc-rep-e2e.XXXXXX) || exit 1
chmod 755 "$T"
PF=$T/pf	# Postfix config_directory
MPID='' SINKPID='' WATCHDOG='' PGDATA_DIR='' PGOPTS=''


pg_stop_now() {
	[ -n "$PGDATA_DIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ] &&
	    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" \
	    -m immediate -w stop >/dev/null 2>&1
	return 0
}

cleanup() {
	if [ -f "$T/spool/pid/master.pid" ]; then
		postfix -c "$PF" stop >/dev/null 2>&1
		_p=$(tr -d ' ' <"$T/spool/pid/master.pid")
		stop_pid "$_p" 10
	fi
	stop_pid "$SINKPID" 5
	stop_pid "$MPID" 10
	pg_stop_now
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
# shellcheck disable=SC2154 # st is set inside the trap
trap 'st=$?; cleanup; exit $st' EXIT
trap 'exit 1' INT TERM HUP

# the whole run is bounded, whatever hangs
watchdog 300

# ---------------------------------------------------------------- helpers





# send NAME FILE CLIENT-IP MAIL-FROM [SWAKS-ARGS...]: one message through
# the smtpd, transcript in $T/out/NAME; $ehlo overrides the EHLO name
send() {
	_name=$1 _file=$2 _ip=$3 _from=$4
	shift 4
	case $_ip in *:*) _ip=IPV6:$_ip ;; esac	# XCLIENT syntax
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --timeout 20 \
	    --ehlo "${ehlo:-mx.sender.example}" --from "$_from" --to "$RCPT" \
	    --xclient-addr "$_ip" --data "@$_file" "$@" \
	    >"$T/out/$_name" 2>&1
}

# pycheck NAME ARGS...: run a check of rep.py; each of its lines "ok X"
# or "FAIL X: why" becomes a test result, "skip X" a skip
pycheck() {
	_pn=$1
	shift
	"$PY" "$T/rep.py" "$@" >"$T/out/py-$_pn" 2>&1
	_pst=$?
	_seen=0
	while IFS= read -r _line; do
		case $_line in
		"ok "*) t_ok "$_pn: ${_line#ok }"; _seen=1 ;;
		"FAIL "*) t_fail "$_pn: ${_line#FAIL }"; _seen=1 ;;
		"skip "*) t_skip "$_pn: ${_line#skip }"; _seen=1 ;;
		*) echo "  $_line" ;;
		esac
	done <"$T/out/py-$_pn"
	if [ $_pst -ne 0 ] && [ $_seen -eq 0 ]; then
		t_fail "$_pn: checker ran" "status $_pst"
	fi
}

# validate NAME FILE.xml.gz: well-formed and valid against the schema
validate() {
	if ! gzip -dc -- "$2" >"$T/out/v.xml" 2>"$T/out/v.err"; then
		t_fail "$1: gunzip $(basename "$2")" "$(cat "$T/out/v.err")"
		return
	fi
	xmllint --noout --schema "$XSD" "$T/out/v.xml" >"$T/out/v.err" 2>&1
	t_check "$1: $(basename "$2") valid against dmarc-2.0.xsd" $? \
	    "$(head -3 "$T/out/v.err" | tr '\n' ' ')"
}

# ---------------------------------------------------------------- daemon

mkdir -p "$T/asan" "$T/out" "$T/msg" "$T/sent"
chmod 1777 "$T/asan"
# ASan/UBSan builds: reports go to files checked at the end; a leak found
# at exit is an error like any other.  faketime is preloaded, hence the
# link order check is off.
ASAN_OPTIONS="log_path=$T/asan/asan:detect_leaks=1:abort_on_error=0:halt_on_error=1:verify_asan_link_order=0"
UBSAN_OPTIONS="log_path=$T/asan/ubsan:print_stacktrace=1:halt_on_error=1"
LSAN_OPTIONS="log_path=$T/asan/lsan"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# mconf FILE HISTORYDB SPOOL: a daemon config (also read by dmarcctl)
mconf() {
	cat >"$1.new" <<EOF
# written by run-report-e2e.sh
Socket inet:$MILTER_PORT@127.0.0.1
PidFile $T/milter.pid
AuthservID $AUTHSERV
DNSZoneFile $T/zone
HistoryDB $2
SpoolDirectory $3
IgnoreHosts 192.0.2.200/32
RejectFailures yes
QuarantineAction tag
TempErrorAction tempfail
ReportDomain $RECEIVER
ReportEmail $REPORT_EMAIL
SendmailPath $T/sendmail
EOF
	mv "$1.new" "$1"
}

# start_daemon CONF: in the foreground, in the background, logging to
# $T/milter.log; waits until it listens.  Sets MPID.
start_daemon() {
	"$D" -f -c "$1" >>"$T/milter.log" 2>&1 &
	MPID=$!
	probe tcp "$MILTER_PORT" 15 "$MPID"
}
# stop_daemon NAME: SIGTERM, exit status 0 within 15 s
stop_daemon() {
	kill -TERM "$MPID"
	_n=150
	while [ $_n -gt 0 ] && kill -0 "$MPID" 2>/dev/null; do
		sleep 0.1
		_n=$((_n - 1))
	done
	if kill -0 "$MPID" 2>/dev/null; then
		t_fail "$1: daemon stops on SIGTERM" "still running after 15 s"
		kill -KILL "$MPID"
		wait "$MPID" 2>/dev/null
	else
		wait "$MPID"
		_st=$?
		t_check "$1: daemon stops on SIGTERM with status 0" $_st \
		    "status $_st"
	fi
	MPID=
}

# ---------------------------------------------------------------- setup

# shellcheck disable=SC2046 # three words wanted
set -- $(free_ports 3)
SMTP_PORT=$1 SINK_PORT=$2 MILTER_PORT=$3

# The zone: each policy domain publishes a rua; the DKIM key is the one
# of tests/e2e/zone (tests/gen/keys/rsa2048.pem), which signed msg/dkim.eml
SPF_GOOD='v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all'
PWNED=$T/pwned
{
	echo '$TTL 300'
	echo "_dmarc.reject.example. TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@reject.example,mailto:small@reject.example!1k\""
	echo "reject.example. TXT \"$SPF_GOOD\""
	# shell metacharacters and an option in rua: refused, never run
	echo "_dmarc.quarantine.example. TXT \"v=DMARC1; p=quarantine; rua=mailto:agg@quarantine.example,\" \"mailto:x&touch\$IFS$PWNED&@quarantine.example,\" \"mailto:a%60touch%20$PWNED%60@quarantine.example,\" \"mailto:-oQ$PWNED@quarantine.example\""
	echo "quarantine.example. TXT \"$SPF_GOOD\""
	# one destination of the same organization, one authorized external,
	# one external without authorization
	echo "_dmarc.none.example. TXT \"v=DMARC1; p=none; rua=mailto:rua@none.example,mailto:reports@ext-ok.example,mailto:reports@ext-no.example\""
	echo "none.example. TXT \"$SPF_GOOD\""
	echo "none.example._report._dmarc.ext-ok.example. TXT \"v=DMARC1\""
	echo "_dmarc.signed.example. TXT \"v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@signed.example\""
	echo "signed.example. TXT \"v=spf1 -all\""
	grep '^e2e\._domainkey\.signed\.example\. ' "$E2E/zone"
	echo "esp.example. TXT \"v=spf1 ip4:203.0.113.5 -all\""
	# no rua: no report
	echo "_dmarc.norua.example. TXT \"v=DMARC1; p=reject\""
	echo "norua.example. TXT \"$SPF_GOOD\""
	echo "_dmarc.bulk.example. TXT \"v=DMARC1; p=none; rua=mailto:dmarc@bulk.example\""
	echo "bulk.example. TXT \"$SPF_GOOD\""
} >"$T/zone"

# msg NAME FROM-HEADER: a message file $T/msg/NAME.eml
msg() {
	cat >"$T/msg/$1.eml" <<EOF
From: $2
To: Recipient <rcpt@dest.example>
Subject: report e2e: $1
Date: Tue, 14 Nov 2023 22:13:20 +0000
Message-ID: <$1@e2e.example>

Hello,

This message belongs to the dmarc-milter report tests.
EOF
}
msg reject 'The CEO <ceo@reject.example>'
msg quarantine 'News <news@quarantine.example>'
msg none 'Info <info@none.example>'
msg norua 'Who <who@norua.example>'
# a display name with XML's and the shell's special characters
msg hostile "\"Tom & Jerry's <boss> \\\"q\\\" \$(id)\" <info@none.example>"
cp "$E2E/msg/dkim.eml" "$T/msg/dkim.eml"

# the fake sendmail: records its argv (one a line) and the message
cat >"$T/sendmail" <<EOF
#!/bin/sh
n=\$(mktemp "$T/sent/mail.XXXXXX") || exit 75
for a in "\$@"; do printf '%s\n' "\$a"; done >"\$n.argv"
cat >"\$n.msg"
exit 0
EOF
chmod 755 "$T/sendmail"

# Postfix: its own config, queue and data directories, no chroot, only
# loopback; dest.example is relayed to the sink, nothing else.
mkdir -p "$PF" "$T/spool" "$T/data" "$T/sink"
chown postfix "$T/data" "$T/sink"
{
	pf_main_cf e2e.example "$SINK_PORT"
	cat <<EOF
inet_protocols = all
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
smtpd_milters = inet:127.0.0.1:$MILTER_PORT
EOF
} >"$PF/main.cf"
{
	cat <<EOF
127.0.0.1:$SMTP_PORT inet n - n - 30 smtpd
EOF
	pf_services
} >"$PF/master.cf"
postfix -c "$PF" set-permissions >"$T/out/postfix-setup" 2>&1 &&
    postfix -c "$PF" check >>"$T/out/postfix-setup" 2>&1
t_check "postfix check" $? "$(head -c 500 "$T/out/postfix-setup")"

smtp-sink -u postfix -d "$T/sink/msg." "127.0.0.1:$SINK_PORT" 64 \
    >"$T/sink.log" 2>&1 &
SINKPID=$!

# ---------------------------------------------------------------- rep.py

# The checks that read reports, mails and stores.
cat >"$T/rep.py" <<'PYEOF'
import collections, email, email.policy, glob, gzip, ipaddress, os, re
import sqlite3, subprocess, sys
import xml.etree.ElementTree as ET

NS = '{urn:ietf:params:xml:ns:dmarc-2.0}'


def ok(what):
    print('ok ' + what)


def fail(what, why):
    print('FAIL %s: %s' % (what, str(why).replace('\n', ' ')[:600]))


def canon_ip(s):
    try:
        return ipaddress.ip_address(s).compressed
    except ValueError:
        return s


def text(el, path):
    e = el.find(path)
    return None if e is None else (e.text or '')


def parse(data):
    """The feedback root of a report's XML bytes."""
    root = ET.fromstring(data)
    if root.tag != NS + 'feedback':
        raise ValueError('root is %s' % root.tag)
    return root


def q(name):
    return '/'.join(NS + p for p in name.split('/'))


def rows(root):
    """(ip, disposition, dkim, spf, count, record element) of each row."""
    for rec in root.findall(q('record')):
        row = rec.find(q('row'))
        yield (canon_ip(text(row, q('source_ip'))),
            text(row, q('policy_evaluated/disposition')),
            text(row, q('policy_evaluated/dkim')),
            text(row, q('policy_evaluated/spf')),
            int(text(row, q('count'))), rec)


def reports(dirname):
    out = []
    for path in sorted(glob.glob(os.path.join(dirname, '*.xml.gz'))):
        with gzip.open(path, 'rb') as f:
            data = f.read()
        out.append((path, data, parse(data)))
    return out


def expected(path):
    c = collections.Counter()
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 5:
                c[(w[0], canon_ip(w[1]), w[2], w[3], w[4])] += 1
    return c


def cmd_counts(exp_path, dirname, receiver, domains, ndays):
    """One file per policy domain (and day) with a rua, counts equal."""
    want_domains = set(domains.split(','))
    ndays = int(ndays)
    exp = expected(exp_path)
    got = collections.Counter()
    files = collections.Counter()
    for path, data, root in reports(dirname):
        base = os.path.basename(path)
        dom = text(root, q('policy_published/domain'))
        files[dom] += 1
        m = re.match(r'^(.+)!(.+)!(\d+)!(\d+)(!([0-9A-Za-z]+))?\.xml\.gz$',
            base)
        if not m or m.group(1) != receiver or m.group(2) != dom:
            fail('file name %s' % base, 'not %s!%s!BEGIN!END!ID.xml.gz'
                % (receiver, dom))
        b = text(root, q('report_metadata/date_range/begin'))
        e = text(root, q('report_metadata/date_range/end'))
        if m and (m.group(3) != b or m.group(4) != e):
            fail('file name %s' % base, 'range %s-%s in the XML' % (b, e))
        if m and m.group(6) and m.group(6) != text(root,
                q('report_metadata/report_id')):
            fail('file name %s' % base, 'report_id differs')
        for ip, disp, dkim, spf, n, _ in rows(root):
            got[(dom, ip, disp, dkim, spf)] += n
    for dom in sorted(want_domains):
        if 1 <= files[dom] <= ndays:
            ok('one report for %s' % dom)
        else:
            fail('one report for %s' % dom, '%d files' % files[dom])
    extra = set(files) - want_domains
    if extra:
        fail('no report for other domains', ' '.join(sorted(extra)))
    else:
        ok('no report for domains without rua or mail')
    for dom in sorted(want_domains):
        e = {k: v for k, v in exp.items() if k[0] == dom}
        g = {k: v for k, v in got.items() if k[0] == dom}
        if e == g:
            ok('%s: %d messages in %d rows (ip, disposition, dkim, spf) as '
                'sent' % (dom, sum(e.values()), len(e)))
        else:
            diff = []
            for k in sorted(set(e) | set(g)):
                if e.get(k, 0) != g.get(k, 0):
                    diff.append('%s sent %d reported %d'
                        % ('/'.join(k[1:]), e.get(k, 0), g.get(k, 0)))
            fail('%s: counts as sent' % dom, '; '.join(diff))


def find_report(dirname, dom):
    for path, data, root in reports(dirname):
        if text(root, q('policy_published/domain')) == dom:
            return path, data, root
    return None, None, None


def cmd_details(dirname, db, ips):
    """Identifiers, DKIM auth results, hostile values escaped."""
    path, data, root = find_report(dirname, 'signed.example')
    if root is None:
        fail('signed.example report', 'missing')
    else:
        found = False
        for ip, disp, dkim, spf, n, rec in rows(root):
            for d in rec.findall(q('auth_results/dkim')):
                if (text(d, q('domain')) == 'signed.example' and
                        text(d, q('selector')) == 'e2e' and
                        text(d, q('result')) == 'pass'):
                    found = True
        if found:
            ok('signed.example: auth_results dkim domain, selector e2e, '
                'pass')
        else:
            fail('signed.example: auth_results dkim', data.decode()[-1500:])
    path, data, root = find_report(dirname, 'reject.example')
    if root is not None:
        pp = root.find(q('policy_published'))
        want = {'domain': 'reject.example', 'p': 'reject',
            'discovery_method': 'treewalk'}
        got = {k: text(pp, q(k)) for k in want}
        if got == want and text(pp, q('testing')) in ('n', None):
            ok('reject.example: policy_published p, discovery_method')
        else:
            fail('reject.example: policy_published', got)
        hf = set(text(r, q('identifiers/header_from'))
            for *_, r in rows(root))
        if hf == {'reject.example'}:
            ok('reject.example: header_from')
        else:
            fail('reject.example: header_from', hf)
        gen = text(root, q('report_metadata/generator'))
        if gen and gen.startswith('dmarc-milter'):
            ok('generator ' + gen)
        else:
            fail('generator', gen)
    path, data, root = find_report(dirname, 'none.example')
    if root is None:
        fail('none.example report', 'missing')
        return
    xml = {}
    for ip, disp, dkim, spf, n, rec in rows(root):
        xml.setdefault(ip, set()).add(
            text(rec, q('identifiers/envelope_from')))
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    stored = {}
    for ip, env in con.execute('SELECT source_ip, env_from_domain FROM '
            'messages WHERE policy_domain = ?', ('none.example',)):
        stored.setdefault(canon_ip(ip), set()).add(env)
    con.close()
    raw = data.decode('utf-8')
    for spec in ips.split(','):
        ip, want = spec.split('=', 1)
        st, got = stored.get(ip), xml.get(ip)
        if not st:
            fail('none.example: %s recorded' % ip, 'no row')
        elif st != got:
            fail('none.example: %s envelope_from as stored' % ip,
                'stored %r, report %r' % (st, got))
        elif want != '-' and st != {want}:
            fail('none.example: %s envelope_from %r' % (ip, want),
                'stored and reported %r' % ' '.join(st))
        else:
            ok('none.example: %s envelope_from %r as stored' % (ip,
                ' '.join(st)))
        for v in st or ():
            esc = (v.replace('&', '&amp;').replace('<', '&lt;')
                .replace('>', '&gt;'))
            if esc != v and esc not in raw and \
                    esc.replace("'", '&apos;').replace('"', '&quot;') \
                    not in raw:
                fail('none.example: %r escaped in the XML' % v, 'not found')
    if 'Tom' in raw or 'Jerry' in raw:
        fail('none.example: display name not in the report', 'found')
    else:
        ok('none.example: display name not in the report')


def load_mails(dirname):
    """[(argv list, message bytes)] of each fake sendmail run."""
    out = []
    for a in sorted(glob.glob(os.path.join(dirname, 'mail.*.argv'))):
        with open(a) as f:
            argv = f.read().splitlines()
        with open(a[:-5] + '.msg', 'rb') as f:
            out.append((argv, f.read()))
    return out


def cmd_mails(dirname, outdir, xsd, sender, receiver, expect, nmail):
    """Each mail: argv, headers, attachment; expect is DOM=a+b;..."""
    want = {}
    for part in expect.split(';'):
        dom, addrs = part.split('=')
        want[dom] = sorted(addrs.split('+'))
    mails = load_mails(dirname)
    if len(mails) == int(nmail):
        ok('%d sendmail runs' % len(mails))
    else:
        fail('%s sendmail runs' % nmail, '%d' % len(mails))
    seen = {}
    for argv, raw in mails:
        if argv[:4] != ['-i', '-f', sender, '--']:
            fail('argv', argv)
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subj = re.sub(r'\s+', ' ', str(msg['Subject']))
        m = re.match(r'^Report Domain: (\S+) Submitter: (\S+) '
            r'Report-ID: <([^>]+)>$', subj)
        if not m or m.group(2) != receiver:
            fail('Subject', subj)
            continue
        dom, rid = m.group(1), m.group(3)
        seen[dom] = sorted(argv[4:])
        to = sorted(a.strip() for a in str(msg['To']).split(','))
        if to != sorted(argv[4:]):
            fail('%s: To: as argv' % dom, '%s vs %s' % (to, argv[4:]))
        if sender not in str(msg['From']):
            fail('%s: From:' % dom, msg['From'])
        atts = [p for p in msg.iter_attachments()
            if p.get_content_type() == 'application/gzip']
        if len(atts) != 1:
            fail('%s: one application/gzip attachment' % dom,
                [p.get_content_type() for p in msg.walk()])
            continue
        gz = atts[0].get_payload(decode=True)
        fname = atts[0].get_filename()
        try:
            xml = gzip.decompress(gz)
            root = parse(xml)
        except Exception as e:  # noqa
            fail('%s: attachment is a gzipped report' % dom, e)
            continue
        tmp = os.path.join(dirname, 'att-%s.xml' % dom)
        with open(tmp, 'wb') as f:
            f.write(xml)
        r = subprocess.run(['xmllint', '--noout', '--schema', xsd, tmp],
            capture_output=True, text=True)
        if r.returncode != 0:
            fail('%s: attachment valid' % dom, r.stderr[:300])
            continue
        xid = text(root, q('report_metadata/report_id'))
        xdom = text(root, q('policy_published/domain'))
        if xid != rid or xdom != dom:
            fail('%s: Subject matches the report' % dom,
                'report_id %s domain %s' % (xid, xdom))
            continue
        same = ''
        if outdir and fname:
            p = os.path.join(outdir, fname)
            if os.path.exists(p):
                with open(p, 'rb') as f:
                    same = ', same bytes as --out' if f.read() == gz else \
                        ', DIFFERS from --out'
        if 'DIFFERS' in same:
            fail('%s: attachment %s' % (dom, fname), 'differs from --out')
        else:
            ok('%s: Subject, From, To, valid gzip attachment %s%s' %
                (dom, fname, same))
    if seen == want:
        ok('argv: only verified addresses: %s' % ' '.join(
            '%s=%s' % (d, '+'.join(a)) for d, a in sorted(seen.items())))
    else:
        fail('argv: only verified addresses', 'got %s want %s'
            % (seen, want))


def cmd_qids(db, drive_out, postfix_log):
    """Every queue id Postfix accepted or the milter rejected has a row."""
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    have = set(r[0] for r in con.execute('SELECT queue_id FROM messages'))
    con.close()
    acc, codes = set(), collections.Counter()
    with open(drive_out) as f:
        for line in f:
            w = line.split()
            if len(w) < 3:
                continue
            codes[w[2][:3]] += 1
            m = re.search(r'queued as ([0-9A-Za-z]+)', line)
            if w[2].startswith('250') and m:
                acc.add(m.group(1))
    rej = set()
    with open(postfix_log, errors='replace') as f:
        for line in f:
            m = re.search(r': ([0-9A-Za-z]+): milter-reject: END-OF-MESSAGE'
                r' .*: 5\.7\.1 DMARC policy', line)
            if m:
                rej.add(m.group(1))
    print('replies: %s; %d accepted, %d rejected by the milter; %d rows'
        % (dict(codes), len(acc), len(rej), len(have)))
    if len(acc) >= 20:
        ok('%d messages accepted around the kill' % len(acc))
    else:
        fail('messages accepted around the kill', len(acc))
    if codes.get('451', 0) + codes.get('421', 0) + codes.get('ERR', 0) > 0:
        ok('some messages deferred while the daemon was down')
    else:
        fail('some messages deferred while the daemon was down', dict(codes))
    miss = sorted(acc - have)
    if miss:
        fail('every accepted message has its row', '%d missing: %s'
            % (len(miss), ' '.join(miss[:20])))
    else:
        ok('every accepted message (%d) has its row' % len(acc))
    miss = sorted(rej - have)
    if miss:
        fail('every rejected message has its row', '%d missing: %s'
            % (len(miss), ' '.join(miss[:20])))
    else:
        ok('every message rejected by the milter (%d) has its row'
            % len(rej))


def cmd_sent_log(db):
    """The sent-log as lines, for comparisons."""
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    for r in con.execute('SELECT policy_domain, day, rua, report_id, sent '
            'FROM sent_reports ORDER BY 1, 2, 3'):
        print(' '.join(str(x) for x in r))
    con.close()


def cmd_rows(db, where):
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    for r in con.execute('SELECT queue_id, source_ip, env_from_domain, '
            'header_from, policy_domain, disposition, spf_domain, '
            'spf_result FROM messages WHERE ' + where):
        print('|'.join(str(x) for x in r))
    con.close()


def cmd_rua(db, dom):
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    for r in con.execute('SELECT DISTINCT rua FROM messages WHERE '
            'policy_domain = ?', (dom,)):
        print(r[0])
    con.close()


cmds = {'rua': cmd_rua, 'counts': cmd_counts, 'details': cmd_details, 'mails': cmd_mails,
    'qids': cmd_qids, 'sentlog': cmd_sent_log, 'rows': cmd_rows}
cmds[sys.argv[1]](*sys.argv[2:])
PYEOF

# ---------------------------------------------------------------- the drive

# drive.py PORT N THREADS KILL-AT PID OUT: N messages, one session each,
# over THREADS parallel clients; a mix of SPF passes (accepted), p=none
# failures (accepted) and p=reject spoofs (550).  After KILL-AT replies it
# sends SIGKILL to PID.  One line per message: "INDEX IP REPLY".
cat >"$T/drive.py" <<'PYEOF'
import os, signal, socket, sys, threading

port, n, threads, kill_at, pid, out = sys.argv[1:7]
port, n, threads, kill_at, pid = int(port), int(n), int(threads), \
    int(kill_at), int(pid)
lock = threading.Lock()
state = {'next': 0, 'done': 0, 'killed': False}
lines = []


def reply(f):
    last = b''
    while True:
        r = f.readline()
        if not r:
            raise OSError('connection closed')
        last = r
        if r[3:4] != b'-':
            return last.decode(errors='replace').strip()


def one(i):
    kind = i % 4
    if kind == 0:
        ip, frm, hdr = '192.0.2.10', 'ceo@bulk.example', 'ceo@bulk.example'
    elif kind == 1:
        ip, frm, hdr = '198.51.100.%d' % (1 + i % 200), 'x@bulk.example', \
            'x@bulk.example'
    elif kind == 2:
        ip, frm, hdr = '2001:db8:1::%x' % (1 + i), 'x@bulk.example', \
            'x@bulk.example'
    else:
        ip, frm, hdr = '198.51.100.%d' % (1 + i % 200), \
            'ceo@reject.example', 'ceo@reject.example'
    xip = 'IPV6:' + ip if ':' in ip else ip
    s = socket.create_connection(('127.0.0.1', port), 20)
    s.settimeout(20)
    f = s.makefile('rb')
    try:
        steps = [(None, '220'), ('EHLO load.example', '250'),
            ('XCLIENT ADDR=' + xip, '220'), ('EHLO load.example', '250'),
            ('MAIL FROM:<%s>' % frm, '250'),
            ('RCPT TO:<rcpt@dest.example>', '250'), ('DATA', '354')]
        for cmd, want in steps:
            if cmd is not None:
                s.sendall(cmd.encode() + b'\r\n')
            r = reply(f)
            if not r.startswith(want):
                return ip, r
        body = ('From: <%s>\r\nTo: <rcpt@dest.example>\r\n'
            'Subject: load %d\r\nMessage-ID: <load%d@e2e.example>\r\n\r\n'
            'load test message %d\r\n.\r\n' % (hdr, i, i, i))
        s.sendall(body.encode())
        r = reply(f)
        try:
            s.sendall(b'QUIT\r\n')
        except OSError:
            pass
        return ip, r
    finally:
        s.close()


def worker():
    while True:
        with lock:
            i = state['next']
            if i >= n:
                return
            state['next'] += 1
        try:
            ip, r = one(i)
        except OSError as e:
            ip, r = '-', 'ERR ' + str(e)
        with lock:
            lines.append('%d %s %s' % (i, ip, r))
            state['done'] += 1
            if pid > 0 and state['done'] >= kill_at and \
                    not state['killed']:
                state['killed'] = True
                os.kill(pid, signal.SIGKILL)


ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, 'w') as f:
    f.write('\n'.join(lines) + '\n')
PYEOF

# ---------------------------------------------------------------- start

DAY0=$(date -u +%Y-%m-%d)
mconf "$T/milter.conf" "sqlite:$T/hist/history.db" "$T/mspool"
"$D" -n -c "$T/milter.conf" >"$T/out/n" 2>&1 && grep -q 'configuration OK' "$T/out/n"
t_check "dmarc-milter -n accepts the config" $? "$(head -c 300 "$T/out/n")"
: >"$T/milter.log"
start_daemon "$T/milter.conf"
t_check "daemon listens on inet:$MILTER_PORT@127.0.0.1" $? \
    "$(tail -5 "$T/milter.log")"
postfix -c "$PF" start >"$T/out/postfix-start" 2>&1
t_check "postfix start" $? "$(cat "$T/out/postfix-start")"
probe tcp "$SINK_PORT" 10 "$SINKPID" && probe tcp "$SMTP_PORT" 10 0 smtp
st=$?
t_check "postfix smtpd and smtp-sink answer" $st \
    "$(tail -5 "$T/postfix.log" 2>/dev/null)"
if [ $st -ne 0 ] || [ -z "$MPID" ] || ! kill -0 "$MPID" 2>/dev/null; then
	echo "---- daemon log"
	cat "$T/milter.log"
	t_done
	exit 1
fi

# ======================================================= 1. SQLite: a day

# m NAME FILE IP MAIL-FROM REPLY-RE DOMAIN DISPOSITION DKIM SPF [ARGS...]:
# send, check the reply, and note what the report must count
: >"$T/expected"
nmix=0 badmix=''
m() {
	_mn=$1 _mf=$2 _mi=$3 _mm=$4 _re=$5 _dom=$6 _disp=$7 _dk=$8 _sp=$9
	shift 9
	send "$_mn" "$T/msg/$_mf.eml" "$_mi" "$_mm" "$@"
	_r=$(reply "$_mn")
	if echo "$_r" | grep -Eq "$_re"; then
		nmix=$((nmix + 1))
	else
		badmix="$badmix $_mn: '$_r' (want $_re);"
	fi
	[ "$_dom" = - ] || echo "$_dom $_mi $_disp $_dk $_sp" >>"$T/expected"
}
R550='^550 5\.7\.1 '
R250='^250 '
# p=reject spoofs, IPv4 (three, one client) and IPv6
m r1 reject 198.51.100.7 ceo@reject.example "$R550" reject.example reject fail fail
m r2 reject 198.51.100.7 ceo@reject.example "$R550" reject.example reject fail fail
m r3 reject 198.51.100.7 ceo@reject.example "$R550" reject.example reject fail fail
m r4 reject 2001:db8:bad::7 ceo@reject.example "$R550" reject.example reject fail fail
# SPF-aligned passes under p=reject, IPv4 and IPv6
m r5 reject 192.0.2.10 ceo@reject.example "$R250" reject.example pass fail pass
m r6 reject 192.0.2.10 ceo@reject.example "$R250" reject.example pass fail pass
m r7 reject 2001:db8::10 ceo@reject.example "$R250" reject.example pass fail pass
# p=quarantine: failures (tagged), a pass
m q1 quarantine 198.51.100.8 news@quarantine.example "$R250" quarantine.example quarantine fail fail
m q2 quarantine 198.51.100.8 news@quarantine.example "$R250" quarantine.example quarantine fail fail
m q3 quarantine 2001:db8:bad::8 news@quarantine.example "$R250" quarantine.example quarantine fail fail
m q4 quarantine 192.0.2.10 news@quarantine.example "$R250" quarantine.example pass fail pass
# p=none: failures, a pass
m n1 none 198.51.100.9 info@none.example "$R250" none.example none fail fail
m n2 none 198.51.100.9 info@none.example "$R250" none.example none fail fail
m n3 none 2001:db8:bad::9 info@none.example "$R250" none.example none fail fail
m n4 none 192.0.2.10 info@none.example "$R250" none.example none fail pass
# hostile values: a MAIL FROM address literal; a quoted local part with
# "&", "<" and ">"; a display name full of special characters; the null
# sender with a HELO name holding & ' < > and "
# (Postfix refuses a MAIL FROM domain with such characters, 501 5.1.7,
# but passes such a HELO name to the milter as sent; a quoted local part
# may hold them too)
HELO_HOSTILE="odd&o'hara<x>\"q\".example"
# client=envelope_from expected in the report ("-": as stored)
HOSTILE_IPS="198.51.100.10=-,198.51.100.11=$HELO_HOSTILE,198.51.100.13=none.example"
m h1 hostile 198.51.100.10 'x@[192.0.2.99]' "$R250" none.example none fail fail
ehlo=$HELO_HOSTILE m h2 none 198.51.100.11 '<>' "$R250" none.example none fail fail
m h3 hostile 198.51.100.13 '"a&b<c>"@none.example' "$R250" none.example none fail fail
# a quoted local part holding ">" (RFC 5321 4.1.2): SPF is still that of
# reject.example, which passes from 192.0.2.10
m h4 reject 192.0.2.10 '"a>b"@reject.example' "$R250" reject.example pass fail pass
# DKIM alone: signed.example (p=reject, adkim=s) through an ESP
m d1 dkim 203.0.113.5 bounce@esp.example "$R250" signed.example pass pass fail
m d2 dkim 203.0.113.5 bounce@esp.example "$R250" signed.example pass pass fail
# no rua: recorded, not reported
m x1 norua 192.0.2.10 who@norua.example "$R250" - - - -
m x2 norua 198.51.100.12 who@norua.example "$R550" - - - -
# IgnoreHosts: not evaluated, not recorded
m x3 reject 192.0.2.200 ceo@reject.example "$R250" - - - -
[ -z "$badmix" ]
t_check "s1: $nmix messages sent, replies as expected" $? "$badmix"

DAY1=$(date -u +%Y-%m-%d)
if [ "$DAY0" = "$DAY1" ]; then
	DAYS="--day $DAY0" NDAYS=1
else
	DAYS="--from $DAY0 --to $DAY1" NDAYS=2	# midnight (UTC) passed
fi

# what the daemon recorded of the hostile ones (for the log, on failure)
"$PY" "$T/rep.py" rows "$T/hist/history.db" \
    "source_ip IN ('198.51.100.10', '198.51.100.11', '198.51.100.13')" \
    >"$T/out/hostile-rows" 2>&1

# --out: the reports of the day so far (allowed without --send)
mkdir -p "$T/rep1"
# shellcheck disable=SC2086 # DAYS is two or four words
"$DCTL" report --config "$T/milter.conf" $DAYS --out "$T/rep1" \
    >"$T/out/report1" 2>&1
t_check "s1: dmarcctl report $DAYS --out exits 0" $? \
    "$(head -c 600 "$T/out/report1")"
for f in "$T"/rep1/*.xml.gz; do
	[ -f "$f" ] && validate s1 "$f"
done
pycheck s1-counts counts "$T/expected" "$T/rep1" "$RECEIVER" \
    reject.example,quarantine.example,none.example,signed.example "$NDAYS"
pycheck s1-details details "$T/rep1" "$T/hist/history.db" "$HOSTILE_IPS"
grep -q 'norua.example' "$T/out/report1"
t_check "s1: nothing written for norua.example (no rua)" $((! $?)) \
    "$(grep norua "$T/out/report1")"

# the same day rebuilt: the same bytes (same Report-ID and file name)
mkdir -p "$T/rep1b"
# shellcheck disable=SC2086
"$DCTL" report --config "$T/milter.conf" $DAYS --out "$T/rep1b" \
    >"$T/out/report1b" 2>&1
(cd "$T/rep1" && ls) >"$T/out/ls1"
(cd "$T/rep1b" && ls) >"$T/out/ls1b"
same_dirs() {
	cmp -s "$T/out/ls1" "$T/out/ls1b" || return 1
	for f in "$T"/rep1/*.xml.gz; do
		cmp -s "$f" "$T/rep1b/$(basename "$f")" || return 1
	done
}
same_dirs
t_check "s1: a rebuild gives the same file names and bytes" $? \
    "$(diff "$T/out/ls1" "$T/out/ls1b")"

# a --send of today is refused (the day is not over)
# shellcheck disable=SC2086
"$DCTL" report --config "$T/milter.conf" $DAYS --send >"$T/out/send0" 2>&1
st=$?
[ $st -eq 2 ] && grep -q 'not over' "$T/out/send0" && [ -z "$(ls "$T/sent")" ]
t_check "s1-send: --send of a day not over is refused (status 2)" $? \
    "status $st: $(cat "$T/out/send0")"

# --send: only with faketime (the day must be over)
if [ -z "$FAKETIME_CMD" ]; then
	t_skip "s1-send" "faketime(1) not installed; --send refuses today"
else
	# shellcheck disable=SC2086
	ctl_tomorrow() {
		"$FAKETIME_CMD" -f +1d "$DCTL" report --config "$T/milter.conf" \
		    $DAYS "$@"
	}
	SENT_WANT='reject.example=dmarc@reject.example;quarantine.example=agg@quarantine.example;none.example=reports@ext-ok.example+rua@none.example;signed.example=dmarc@signed.example'
	sentlog() { "$PY" "$T/rep.py" sentlog "$T/hist/history.db"; }

	# --dry-run first: says what would go where, changes nothing
	sentlog >"$T/out/sentlog0"
	mkdir -p "$T/rep-dry"
	ctl_tomorrow --send --dry-run --out "$T/rep-dry" >"$T/out/dry" 2>&1
	st=$?
	t_check "s1-send: --send --dry-run exits 0" $st "$(head -c 600 "$T/out/dry")"
	[ -z "$(ls "$T/sent")" ] && [ -z "$(ls "$T/rep-dry")" ] &&
	    sentlog | cmp -s - "$T/out/sentlog0"
	t_check "s1-send: --dry-run sends, writes and records nothing" $? \
	    "sent: $(ls "$T/sent"), out: $(ls "$T/rep-dry")"
	grep -q '^would send .*none\.example.* to rua@none\.example, reports@ext-ok\.example$' "$T/out/dry" &&
	    grep -q '^would write ' "$T/out/dry"
	t_check "s1-send: --dry-run prints what would go where" $? \
	    "$(cat "$T/out/dry")"

	ctl_tomorrow --send >"$T/out/send1" 2>&1
	st=$?
	t_check "s1-send: --send exits 0" $st "$(head -c 800 "$T/out/send1")"
	pycheck s1-send mails "$T/sent" "$T/rep1" "$XSD" "$REPORT_EMAIL" \
	    "$RECEIVER" "$SENT_WANT" 4
	grep -q '^skip none\.example .*ext-no\.example' "$T/out/send1"
	t_check "s1-send: unauthorized external rua skipped, said so" $? \
	    "$(grep skip "$T/out/send1")"
	grep -q '^skip reject\.example .*small@reject\.example.*exceeds its limit' \
	    "$T/out/send1"
	t_check "s1-send: rua with !1k limit skipped (report larger)" $? \
	    "$(grep skip "$T/out/send1")"
	# each hostile rua is dropped by the record parser or skipped here
	n=$(grep -c '^skip quarantine\.example ' "$T/out/send1")
	k=$("$PY" "$T/rep.py" rua "$T/hist/history.db" quarantine.example |
	    tr ',' '\n' | grep -c -v '^mailto:agg@')
	[ "$n" -eq "$k" ] && [ ! -e "$PWNED" ]
	t_check "s1-send: rua with shell metacharacters refused ($((3 - k)) by the record parser, $n at sending), none run" $? \
	    "$n skip lines for $k stored, $([ -e "$PWNED" ] && echo "$PWNED exists")"
	[ "$(sentlog | wc -l)" -eq 5 ]
	t_check "s1-send: 5 addresses in the sent-log" $? "$(sentlog)"

	# a second --send: nothing (sent-log)
	mv "$T/sent" "$T/sent1"
	mkdir "$T/sent"
	ctl_tomorrow --send >"$T/out/send2" 2>&1
	st=$?
	n=$(grep -c 'already sent' "$T/out/send2")
	[ $st -eq 0 ] && [ -z "$(ls "$T/sent")" ] && [ "$n" -eq 5 ]
	t_check "s1-send: a second --send sends nothing (5 'already sent')" $? \
	    "status $st, $(ls "$T/sent" | wc -l) files, $(head -c 600 "$T/out/send2")"

	# --force: again, the same reports
	ctl_tomorrow --send --force >"$T/out/send3" 2>&1
	st=$?
	t_check "s1-send: --send --force exits 0" $st "$(head -c 600 "$T/out/send3")"
	pycheck s1-force mails "$T/sent" "$T/rep1" "$XSD" "$REPORT_EMAIL" \
	    "$RECEIVER" "$SENT_WANT" 4
fi

# ======================================================= 2. kill -9 under load

mconf "$T/milter2.conf" "sqlite:$T/hist2/history.db" "$T/mspool2"
stop_daemon s2-setup
start_daemon "$T/milter2.conf"
t_check "s2: daemon with a new store listens" $? "$(tail -5 "$T/milter.log")"
sink_clear
L0=$(wc -l <"$T/postfix.log")	# the Postfix log of this part only
KILLED=$MPID
"$PY" "$T/drive.py" "$SMTP_PORT" 200 8 100 "$MPID" "$T/out/drive" \
    >"$T/out/drive.err" 2>&1
t_check "s2: 200 messages driven, the daemon killed after 100" $? \
    "$(head -c 500 "$T/out/drive.err")"
wait "$KILLED" 2>/dev/null
st=$?
[ $st -eq 137 ]
t_check "s2: the daemon died of SIGKILL" $? "status $st"
MPID=
start_daemon "$T/milter2.conf"
t_check "s2: the daemon restarts on the store" $? "$(tail -5 "$T/milter.log")"
# after the restart: mail is accepted again and recorded
"$PY" "$T/drive.py" "$SMTP_PORT" 12 4 1000 0 "$T/out/drive2" \
    >"$T/out/drive2.err" 2>&1
n=$(grep -c ' 250 ' "$T/out/drive2")
[ "$n" -eq 9 ] && [ "$(grep -c ' 550 ' "$T/out/drive2")" -eq 3 ]
t_check "s2: after the restart 9 x 250, 3 x 550" $? "$(cat "$T/out/drive2")"
cat "$T/out/drive" "$T/out/drive2" >"$T/out/drive-all"
n250=$(grep -c ' 250 ' "$T/out/drive-all")
wait_for 20 sink_has "$n250"
t_check "s2: the $n250 accepted messages delivered" $? \
    "$(sink_count) in the sink"
sed -n "$((L0 + 1)),\$p" "$T/postfix.log" >"$T/out/postfix-s2.log"
pycheck s2-rows qids "$T/hist2/history.db" "$T/out/drive-all" \
    "$T/out/postfix-s2.log"

# ======================================================= 3. PostgreSQL

if [ -z "$PGBIN" ]; then
	t_skip "s3-postgresql" "no PostgreSQL server binaries"
elif ! id postgres >/dev/null 2>&1; then
	t_skip "s3-postgresql" "no postgres user"
else
	mkdir -p "$T/pg"
	chown postgres "$T/pg"
	PGDATA_DIR=$T/pg/data
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres \
	    --auth=trust -E UTF8 --no-locale --no-sync >"$T/out/initdb" 2>&1
	t_check "s3: initdb" $? "$(tail -5 "$T/out/initdb")"
	PGPORT=$(free_ports 1)
	PGOPTS="-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$T/pg -c fsync=off"
	pg_start() {
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" \
		    -l "$T/pg/server.log" -w -t 30 -o "$PGOPTS" start \
		    >"$T/out/pg-start" 2>&1
	}
	pg_start
	t_check "s3: PostgreSQL starts on 127.0.0.1:$PGPORT" $? \
	    "$(tail -5 "$T/pg/server.log")"
	PGURI="postgresql://postgres@127.0.0.1:$PGPORT/postgres"
	psqlc() { "$PSQL" -X -A -t -q -d "$PGURI" -c "$1" 2>&1; }

	mconf "$T/milter3.conf" "$PGURI" "$T/mspool3"
	stop_daemon s3-setup
	start_daemon "$T/milter3.conf"
	t_check "s3: daemon on the PostgreSQL store listens" $? \
	    "$(tail -5 "$T/milter.log")"
	mv "$T/expected" "$T/expected.s1"	# this store counts anew
	: >"$T/expected"
	nmix=0 badmix=''
	m p1 reject 198.51.100.20 ceo@reject.example "$R550" reject.example reject fail fail
	m p2 reject 2001:db8:bad::20 ceo@reject.example "$R550" reject.example reject fail fail
	m p3 reject 192.0.2.10 ceo@reject.example "$R250" reject.example pass fail pass
	m p4 none 198.51.100.21 info@none.example "$R250" none.example none fail fail
	m p5 dkim 203.0.113.5 bounce@esp.example "$R250" signed.example pass pass fail
	[ -z "$badmix" ]
	t_check "s3: $nmix messages sent, replies as expected" $? "$badmix"
	n=$(psqlc 'SELECT count(*) FROM messages')
	[ "$n" = 5 ]
	t_check "s3: 5 rows in PostgreSQL" $? "got '$n'"
	mkdir -p "$T/rep3"
	# shellcheck disable=SC2086
	"$DCTL" report --config "$T/milter3.conf" --db "$PGURI" $DAYS \
	    --out "$T/rep3" >"$T/out/report3" 2>&1
	t_check "s3: dmarcctl report --db postgresql://... exits 0" $? \
	    "$(head -c 600 "$T/out/report3")"
	for f in "$T"/rep3/*.xml.gz; do
		[ -f "$f" ] && validate s3 "$f"
	done
	pycheck s3-counts counts "$T/expected" "$T/rep3" "$RECEIVER" \
	    reject.example,none.example,signed.example "$NDAYS"

	# the server goes away: mail still flows, outcomes are journaled
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w \
	    stop >"$T/out/pg-stop" 2>&1
	t_check "s3: PostgreSQL stopped" $? "$(cat "$T/out/pg-stop")"
	nmix=0 badmix=''
	m o1 reject 198.51.100.22 ceo@reject.example "$R550" reject.example reject fail fail
	m o2 reject 192.0.2.10 ceo@reject.example "$R250" reject.example pass fail pass
	m o3 none 198.51.100.23 info@none.example "$R250" none.example none fail fail
	m o4 none 2001:db8:bad::23 info@none.example "$R250" none.example none fail fail
	[ -z "$badmix" ]
	t_check "s3: PostgreSQL down: 4 messages, replies as usual (no 4xx)" $? \
	    "$badmix"
	[ -s "$T/mspool3/store.journal" ]
	t_check "s3: outcomes in the journal meanwhile" $? \
	    "$(ls -l "$T/mspool3" 2>&1)"
	pg_start
	t_check "s3: PostgreSQL restarted" $? "$(tail -5 "$T/pg/server.log")"
	drained() { [ "$(psqlc 'SELECT count(*) FROM messages')" = 9 ]; }
	wait_for 40 drained
	t_check "s3: the journal drains into PostgreSQL (9 rows)" $? \
	    "$(psqlc 'SELECT count(*) FROM messages'); $(grep history "$T/milter.log" | tail -5)"
	jempty() { [ ! -s "$T/mspool3/store.journal" ]; }
	wait_for 5 jempty
	t_check "s3: the journal is emptied" $? "$(ls -l "$T/mspool3")"

	# the daemon (re)started while the server is down: the same
	pg_stop() {
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" \
		    -m fast -w stop >"$T/out/pg-stop" 2>&1
	}
	pg_stop
	stop_daemon s3b-setup
	start_daemon "$T/milter3.conf"
	t_check "s3b: daemon starts while PostgreSQL is down" $? \
	    "$(tail -5 "$T/milter.log")"
	nmix=0 badmix=''
	m b1 reject 192.0.2.10 ceo@reject.example "$R250" reject.example pass fail pass
	m b2 none 198.51.100.24 info@none.example "$R250" none.example none fail fail
	m b3 reject 198.51.100.24 ceo@reject.example "$R550" reject.example reject fail fail
	[ -z "$badmix" ]
	t_check "s3b: 3 messages, replies as usual (no 4xx)" $? "$badmix"
	pg_start
	t_check "s3b: PostgreSQL started" $? "$(tail -5 "$T/pg/server.log")"
	drained12() { [ "$(psqlc 'SELECT count(*) FROM messages')" = 12 ]; }
	wait_for 40 drained12
	t_check "s3b: their outcomes reach PostgreSQL (12 rows)" $? \
	    "$(psqlc 'SELECT count(*) FROM messages'); $(grep -e history -e HistoryDB "$T/milter.log" | tail -5)"

	rm -f "$T"/rep3/*.xml.gz
	# shellcheck disable=SC2086
	"$DCTL" report --config "$T/milter3.conf" --db "$PGURI" $DAYS \
	    --out "$T/rep3" >"$T/out/report3b" 2>&1
	t_check "s3: dmarcctl report after the outage exits 0" $? \
	    "$(head -c 600 "$T/out/report3b")"
	for f in "$T"/rep3/*.xml.gz; do
		[ -f "$f" ] && validate s3 "$f"
	done
	pycheck s3-counts-outage counts "$T/expected" "$T/rep3" "$RECEIVER" \
	    reject.example,none.example,signed.example "$NDAYS"
fi

# ---------------------------------------------------------------- shutdown

postfix -c "$PF" stop >/dev/null 2>&1
stop_daemon shutdown

# sanitizer reports, leaks at exit included
if grep -l -E 'ERROR|runtime error|LeakSanitizer' "$T"/asan/* >/dev/null 2>&1; then
	t_fail "sanitizers: no report" "$(cat "$T"/asan/* | head -60)"
else
	t_ok "sanitizers: no report"
fi
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/milter.log" \
    "$T"/out/* >/dev/null 2>&1; then
	t_fail "sanitizers: nothing on stderr" \
	    "$(grep -h -A20 -E 'Sanitizer|runtime error' "$T/milter.log" "$T"/out/* | head -60)"
fi

if [ "$T_FAIL" -ne 0 ]; then
	echo "---- recorded hostile rows"
	cat "$T/out/hostile-rows"
	echo "---- daemon log, last 40 lines"
	tail -40 "$T/milter.log"
	echo "---- Postfix log, last 30 lines"
	tail -30 "$T/postfix.log"
fi
echo "run took $(($(date +%s) - T0)) s"
t_done
