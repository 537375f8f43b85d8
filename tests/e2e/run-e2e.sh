#!/bin/sh
# tests/e2e/run-e2e.sh - dmarc-milter in front of a real Postfix on loopback
#
# Starts, as root and in a private temporary directory: the daemon (DNS from
# tests/e2e/zone), a Postfix instance of its own (postfix -c DIR) whose
# smtpd uses the daemon as milter, and Postfix's smtp-sink, which takes
# what Postfix relays and writes one file per message.  Mail is sent with
# swaks; XCLIENT presents documentation addresses as the SMTP client.  Each
# scenario asserts the SMTP reply, the delivered headers, the queue and the
# daemon's log line.  Everything started is stopped on exit.
#
# Environment: top_srcdir, top_builddir (set by make check; default: this
# script's ../..), E2E_KEEP=1 keeps the temporary directory.
# Skips (exit 77) when not root or when Postfix is not installed.
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
MSG=$E2E/msg
D=$top_builddir/milter/dmarc-milter
AUTHSERV=mx.e2e.example
RCPT=rcpt@dest.example
T0=$(date +%s)

[ "$(id -u)" -eq 0 ] || skip "not root (Postfix needs root to start)"
[ -x /usr/sbin/postfix ] || skip "postfix is not installed"

need "$D" "the daemon (build it first)"
need /usr/bin/swaks "swaks (apt-get install swaks)"
need /usr/sbin/smtp-sink "smtp-sink (package postfix)"
need /usr/sbin/smtp-source "smtp-source (package postfix)"
need /usr/sbin/saslpasswd2 "saslpasswd2 (apt-get install sasl2-bin)"
need "$PY" "Debian's python3"

# ---------------------------------------------------------------- lifecycle

T=$(mktemp -d /tmp/dmarc-e2e.XXXXXX) || exit 1
chmod 755 "$T"	# Postfix (user postfix) reaches the unix milter socket
PF=$T/pf	# Postfix config_directory
MPID='' M2PID='' SINKPID='' WATCHDOG=''


cleanup() {
	if [ -f "$T/spool/pid/master.pid" ]; then
		postfix -c "$PF" stop >/dev/null 2>&1
		_p=$(tr -d ' ' <"$T/spool/pid/master.pid")
		stop_pid "$_p" 10
	fi
	stop_pid "$SINKPID" 5
	stop_pid "$MPID" 10
	stop_pid "$M2PID" 10
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




# wait_sink N: N messages delivered to the sink and none left in the queue
wait_sink() { wait_for 15 sink_has "$1"; }
sink_file() { find "$T/sink" -type f -name 'msg.*' | head -1; }

# hdr FILE NAME: the unfolded values of every NAME header, one a line
hdr() {
	awk -v want="$2" '
	function flush(  n, v) {
		if (cur != "") {
			n = index(cur, ":")
			if (n > 0 && tolower(substr(cur, 1, n - 1)) == tolower(want)) {
				v = substr(cur, n + 1)
				sub(/^[ \t]+/, "", v)
				print v
			}
		}
		cur = ""
	}
	{ sub(/\r$/, "") }
	/^$/ { flush(); done = 1; exit }
	/^[ \t]/ { cur = cur $0; next }
	{ flush(); cur = $0 }
	END { if (!done) flush() }' "$1"
}
# ours FILE: the A-R headers whose authserv-id is ours (any case)
ours() {
	hdr "$1" Authentication-Results | awk -v id="$AUTHSERV" '{
		s = $0
		sub(/;.*/, "", s)
		gsub(/[ \t]/, "", s)
		if (tolower(s) == tolower(id)) print
	}'
}

# send NAME FILE CLIENT-IP MAIL-FROM [SWAKS-ARGS...]: one message through
# the smtpd on $SMTP_PORT (or $port if set), transcript in $T/out/NAME
send() {
	_name=$1 _file=$2 _ip=$3 _from=$4
	shift 4
	case $_ip in *:*) _ip=IPV6:$_ip ;; esac	# XCLIENT syntax
	swaks --server 127.0.0.1 --port "${port:-$SMTP_PORT}" --timeout 20 \
	    --ehlo mx.sender.example --from "$_from" --to "$RCPT" \
	    --xclient-addr "$_ip" --data "@$_file" "$@" \
	    >"$T/out/$_name" 2>&1
}
qid_of() { reply "$1" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'; }
# rejected_qid IP: queue id of the last message the milter refused from IP
rejected_qid() {
	grep -F "milter-reject: END-OF-MESSAGE from unknown[$1]" \
	    "$T/postfix.log" | tail -1 | sed -n 's/.*: \([0-9A-Za-z]*\): milter-reject.*/\1/p'
}

# logline QID: the daemon's summary line for that queue id
logline_now() { grep -E "(^|[^0-9A-Za-z])$1([^0-9A-Za-z]|\$)" "$T/milter.log" | grep 'dmarc=' | tail -1; }
has_logline() { [ -n "$(logline_now "$1")" ]; }
logline() {
	[ -n "$1" ] || return 0
	wait_for 3 has_logline "$1"
	logline_now "$1"
}

# check_log NAME QID DMARC ACTION: the summary line says dmarc= and action=
check_log() {
	_l=$(logline "$2")
	case " $_l " in
	*" dmarc=$3 "*)
		case " $_l " in
		*" action=$4 "*)
			t_ok "$1: log line dmarc=$3 action=$4"
			return ;;
		esac ;;
	esac
	t_fail "$1: log line dmarc=$3 action=$4" "qid '$2', line '$_l'"
}

# expect_reply NAME PATTERN: the end-of-DATA reply matches (grep -E)
expect_reply() {
	_r=$(reply "$1")
	echo "$_r" | grep -Eq "$2"
	t_check "$1: reply $2" $? "got '$_r'"
}

# expect_nothing NAME: no delivery and nothing queued
expect_nothing() {
	sleep 0.3
	_c=$(sink_count)
	queue_busy
	_q=$?
	[ "$_c" -eq 0 ] && [ "$_q" -ne 0 ]
	t_check "$1: nothing delivered or queued" $? \
	    "$_c delivered, queue busy: $([ "$_q" -eq 0 ] && echo yes || echo no)"
}

# expect_delivered NAME: one message delivered; sets F to its file (no
# wait when the message was not accepted)
expect_delivered() {
	F=
	if reply "$1" | grep -q '^250 ' && wait_sink 1 &&
	    [ "$(sink_count)" -eq 1 ]; then
		F=$(sink_file)
		cp "$F" "$T/out/$1.msg"
		t_ok "$1: delivered"
	else
		t_fail "$1: delivered" "$(sink_count) messages in the sink"
	fi
}

# expect_ar NAME FILE PATTERN...: exactly one A-R of ours, matching each
# PATTERN (grep -E)
expect_ar() {
	_n=$1 _f=$2
	shift 2
	if [ -z "$_f" ]; then
		t_fail "$_n: our A-R header" "no delivered message"
		return
	fi
	_ar=$(ours "$_f")
	_c=$(printf '%s' "$_ar" | grep -c .)
	if [ "$_c" -ne 1 ]; then
		t_fail "$_n: exactly one A-R of ours" "$_c found: $_ar"
		return
	fi
	for _p in "$@"; do
		if ! echo "$_ar" | grep -Eq "$_p"; then
			t_fail "$_n: A-R has $_p" "$_ar"
			return
		fi
	done
	t_ok "$_n: A-R $*"
}
expect_no_ar() {
	_c=$([ -n "$2" ] && ours "$2" | grep -c .)
	[ -n "$2" ] && [ "${_c:-0}" -eq 0 ]
	t_check "$1: no A-R of ours" $? "$(ours "$2" 2>/dev/null)"
}

# ---------------------------------------------------------------- daemon

# mconf FILE SOCKET PIDFILE < EXTRA-LINES: a daemon config
mconf() {
	{
		echo "# written by run-e2e.sh"
		echo "Socket $2"
		echo "PidFile $3"
		echo "AuthservID $AUTHSERV"
		echo "DNSZoneFile $E2E/zone"
		echo "HistoryDB sqlite:${3%.pid}.hist/history.db"
		echo "SpoolDirectory ${3%.pid}.spool"
		echo "IgnoreHosts 192.0.2.200/32, 2001:db8::200/128"
		echo "IgnoreAuthenticatedClients yes"
		cat
	} >"$1.new" && mv "$1.new" "$1"
}

mkdir -p "$T/asan" "$T/out"
chmod 1777 "$T/asan"	# the daemon may run as UserID postfix
# ASan/UBSan builds: reports go to files checked at the end, not only to
# stderr; a leak found at exit is an error like any other.
ASAN_OPTIONS="log_path=$T/asan/asan:detect_leaks=1:abort_on_error=0:halt_on_error=1"
UBSAN_OPTIONS="log_path=$T/asan/ubsan:print_stacktrace=1:halt_on_error=1"
LSAN_OPTIONS="log_path=$T/asan/lsan"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# start_daemon CONF LOG: run it in the foreground, in the background; the
# PID is left in $LASTPID
start_daemon() {
	"$D" -f -c "$1" >>"$2" 2>&1 &
	LASTPID=$!
}

# reload PID NAME: SIGUSR1 and wait for the daemon to log "reloaded FILE"
reloads() { grep -c 'reloaded ' "$T/milter.log"; }
reload_seen() { [ "$(reloads)" -gt "$_r0" ]; }
reload() {
	_r0=$(reloads)
	kill -USR1 "$1"
	wait_for 5 reload_seen
	t_check "$2: SIGUSR1 reload logged" $?
	sleep 0.2
}

# ---------------------------------------------------------------- setup

# shellcheck disable=SC2046 # four words wanted
set -- $(free_ports 4)
SMTP_PORT=$1 SMTP2_PORT=$2 SINK_PORT=$3 MILTER_PORT=$4
MSOCK=$T/milter.sock

phase_a() {	# the defaults of the run: enforce, tag, tempfail
	mconf "$T/milter.conf" "inet:$MILTER_PORT@127.0.0.1" "$T/milter.pid" <<EOF
RejectFailures yes
QuarantineAction tag
TempErrorAction tempfail
EOF
}
phase_b() {	# hold quarantined mail, accept on DNS trouble
	mconf "$T/milter.conf" "inet:$MILTER_PORT@127.0.0.1" "$T/milter.pid" <<EOF
RejectFailures yes
QuarantineAction hold
TempErrorAction accept
EOF
}
phase_c() {	# monitor mode
	mconf "$T/milter.conf" "inet:$MILTER_PORT@127.0.0.1" "$T/milter.pid" <<EOF
RejectFailures no
QuarantineAction hold
TempErrorAction accept
EOF
}

# check_conf NAME FILE: dmarc-milter -n says "configuration OK", exit 0
check_conf() {
	"$D" -n -c "$2" >"$T/out/n" 2>&1 && grep -q 'configuration OK' "$T/out/n"
	t_check "dmarc-milter -n accepts the $1 config" $? \
	    "$(head -c 300 "$T/out/n")"
}
for p in phase_b phase_c phase_a; do
	$p
	check_conf "$p" "$T/milter.conf"
done

# Postfix: its own config, queue and data directories, no chroot, only
# loopback; every recipient domain but dest.example is refused, and
# dest.example is relayed to the sink.
mkdir -p "$PF/sasl" "$T/spool" "$T/data" "$T/sink"
chown postfix "$T/data" "$T/sink"
{
	pf_main_cf e2e.example "$SINK_PORT"
	cat <<EOF
inet_protocols = all
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_milters = inet:127.0.0.1:$MILTER_PORT
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF/sasl
EOF
} >"$PF/main.cf"
{
	cat <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SMTP2_PORT inet n - n - - smtpd
  -o smtpd_milters=unix:$MSOCK
EOF
	pf_services
} >"$PF/master.cf"
# SMTP AUTH (Cyrus SASL, sasldb): user alice@e2e.example, password secret
cat >"$PF/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $PF/sasl/sasldb2
EOF
echo secret | saslpasswd2 -p -c -f "$PF/sasl/sasldb2" -u e2e.example alice
chown root:postfix "$PF/sasl/sasldb2"
chmod 640 "$PF/sasl/sasldb2"

postfix -c "$PF" set-permissions >"$T/out/postfix-setup" 2>&1 &&
    postfix -c "$PF" check >>"$T/out/postfix-setup" 2>&1
t_check "postfix check" $? "$(head -c 500 "$T/out/postfix-setup")"

smtp-sink -u postfix -d "$T/sink/msg." "127.0.0.1:$SINK_PORT" 64 \
    >"$T/sink.log" 2>&1 &
SINKPID=$!

: >"$T/milter.log"
start_daemon "$T/milter.conf" "$T/milter.log"
MPID=$LASTPID
postfix -c "$PF" start >"$T/out/postfix-start" 2>&1
t_check "postfix start" $? "$(cat "$T/out/postfix-start")"

up=0
probe tcp "$MILTER_PORT" 10 "$MPID"
st=$?
t_check "daemon listens on inet:$MILTER_PORT@127.0.0.1" $st \
    "$(tail -5 "$T/milter.log")"
up=$((up + st))
probe tcp "$SINK_PORT" 10 "$SINKPID"
st=$?
t_check "smtp-sink listens" $st "$(cat "$T/sink.log")"
up=$((up + st))
probe tcp "$SMTP_PORT" 10 0 smtp
st=$?
t_check "postfix smtpd answers" $st "$(tail -5 "$T/postfix.log" 2>/dev/null)"
up=$((up + st))
if [ $up -ne 0 ]; then
	echo "---- daemon log"
	cat "$T/milter.log"
	echo "---- Postfix log"
	cat "$T/postfix.log" 2>/dev/null
	t_done
	exit 1
fi
wait_for 5 test -s "$T/milter.pid" &&
    [ "$(tr -d ' \n' <"$T/milter.pid")" = "$MPID" ]
t_check "PidFile holds the daemon's PID" $? \
    "$(cat "$T/milter.pid" 2>/dev/null) vs $MPID"

# ---------------------------------------------------------------- scenarios

# (1) p=reject spoof from an address outside SPF, no DKIM: 550 after DATA
sink_clear
send s1-reject "$MSG/reject.eml" 198.51.100.7 ceo@reject.example
expect_reply s1-reject \
    '^550 5\.7\.1 DMARC policy of reject\.example rejects this message'
expect_nothing s1-reject
check_log s1-reject "$(rejected_qid 198.51.100.7)" fail reject

# (2) p=quarantine failure, QuarantineAction tag: delivered and tagged
sink_clear
send s2-quarantine "$MSG/quarantine.eml" 198.51.100.7 news@quarantine.example
expect_reply s2-quarantine '^250 '
expect_delivered s2-quarantine
_q=$([ -n "$F" ] && hdr "$F" X-DMARC-Quarantine)
[ "$_q" = "yes; policy=quarantine domain=quarantine.example" ]
t_check "s2-quarantine: X-DMARC-Quarantine header" $? "got '$_q'"
expect_ar s2-quarantine "$F" 'dmarc=fail' 'header\.from=quarantine\.example'
check_log s2-quarantine "$(qid_of s2-quarantine)" fail quarantine-tag

# (4) p=none failure: delivered with dmarc=fail, untagged
sink_clear
send s4-none "$MSG/none.eml" 198.51.100.7 info@none.example
expect_reply s4-none '^250 '
expect_delivered s4-none
expect_ar s4-none "$F" '^'"$AUTHSERV"';' 'spf=fail' 'dkim=none' \
    'dmarc=fail' 'header\.from=none\.example'
[ -n "$F" ] && [ -z "$(hdr "$F" X-DMARC-Quarantine)" ]
t_check "s4-none: no quarantine header" $?
check_log s4-none "$(qid_of s4-none)" fail accept

# (5) pass: SPF aligned (IPv4, then IPv6), and DKIM aligned alone
sink_clear
send s5-spf4 "$MSG/reject.eml" 192.0.2.10 ceo@reject.example
expect_reply s5-spf4 '^250 '
expect_delivered s5-spf4
expect_ar s5-spf4 "$F" 'spf=pass' 'dmarc=pass' 'header\.from=reject\.example'
check_log s5-spf4 "$(qid_of s5-spf4)" pass accept

sink_clear
send s5-spf6 "$MSG/reject.eml" 2001:db8::10 ceo@reject.example
expect_reply s5-spf6 '^250 '
expect_delivered s5-spf6
expect_ar s5-spf6 "$F" 'spf=pass' 'dmarc=pass'

sink_clear
send s5-dkim "$MSG/dkim.eml" 203.0.113.5 bounce@esp.example
expect_reply s5-dkim '^250 '
expect_delivered s5-dkim
expect_ar s5-dkim "$F" 'dkim=pass' 'header\.d=signed\.example' \
    'dmarc=pass' 'header\.from=signed\.example'
check_log s5-dkim "$(qid_of s5-dkim)" pass accept

# (6) the DMARC query fails (SERVFAIL): 451 4.7.5, nothing queued
sink_clear
send s6-temperror "$MSG/servfail.eml" 192.0.2.10 user@servfail.example
expect_reply s6-temperror '^451 4\.7\.5 '
expect_nothing s6-temperror
check_log s6-temperror "$(rejected_qid 192.0.2.10)" temperror tempfail

# (7) forged A-R headers with our authserv-id are removed, others kept
sink_clear
send s7-forged "$MSG/forged-ar.eml" 198.51.100.7 info@none.example
expect_reply s7-forged '^250 '
expect_delivered s7-forged
expect_ar s7-forged "$F" 'dmarc=fail'
! ([ -n "$F" ] && hdr "$F" Authentication-Results | grep -q 'dmarc=pass')
t_check "s7-forged: no forged dmarc=pass left" $? \
    "$(hdr "$F" Authentication-Results 2>/dev/null)"
[ -n "$F" ] && hdr "$F" Authentication-Results |
    grep -q '^relay\.other\.example; spf=pass'
t_check "s7-forged: another host's A-R kept" $?

# (8) IgnoreHosts: a listed client is not evaluated
sink_clear
send s8-ignore "$MSG/reject.eml" 192.0.2.200 ceo@reject.example
expect_reply s8-ignore '^250 '
expect_delivered s8-ignore
expect_no_ar s8-ignore "$F"
grep -q 'client=192\.0\.2\.200 .*action=skip reason=ignored_host' "$T/milter.log"
t_check "s8-ignore: logged as skipped, ignored_host" $?
sink_clear
send s8-ignore6 "$MSG/reject.eml" 2001:db8::200 ceo@reject.example
expect_reply s8-ignore6 '^250 '
expect_delivered s8-ignore6
expect_no_ar s8-ignore6 "$F"
grep -q 'client=2001:db8::200 .*action=skip reason=ignored_host' "$T/milter.log"
t_check "s8-ignore6: logged as skipped, ignored_host" $?

# (9) SMTP AUTH client: not evaluated (IgnoreAuthenticatedClients yes)
sink_clear
send s9-auth "$MSG/reject.eml" 198.51.100.7 ceo@reject.example \
    --auth PLAIN --auth-user alice@e2e.example --auth-password secret
grep -q '^<-  235 ' "$T/out/s9-auth"
t_check "s9-auth: AUTH PLAIN accepted" $? "$(grep -i auth "$T/out/s9-auth")"
expect_reply s9-auth '^250 '
expect_delivered s9-auth
expect_no_ar s9-auth "$F"
grep -q 'client=198\.51\.100\.7 .*action=skip reason=authenticated' "$T/milter.log"
t_check "s9-auth: logged as skipped, authenticated" $?

# (12) clients that vanish mid-message leave the daemon healthy
sink_clear
"$PY" - "$SMTP_PORT" >"$T/out/s12-drop" 2>&1 <<'EOF'
import socket, sys

def session(cut):
    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 10)
    f = s.makefile('rb')

    def cmd(line, want):
        if line is not None:
            s.sendall(line.encode() + b'\r\n')
        while True:
            r = f.readline()
            if not r or r[3:4] != b'-':
                break
        if not r.startswith(want.encode()):
            raise SystemExit('%r: got %r' % (line, r))

    cmd(None, '220')
    cmd('EHLO mx.sender.example', '250')
    cmd('XCLIENT ADDR=198.51.100.9', '220')
    cmd('EHLO mx.sender.example', '250')
    cmd('MAIL FROM:<ceo@reject.example>', '250')
    cmd('RCPT TO:<rcpt@dest.example>', '250')
    cmd('DATA', '354')
    s.sendall(cut.encode())
    s.close()
    print('dropped after %d octets' % len(cut))

# in the middle of a header line, then in the middle of the body
session('From: The CEO <ceo@reject.example>\r\nTo: <rcpt@dest.ex')
session('From: The CEO <ceo@reject.example>\r\nTo: <rcpt@dest.example>\r\n'
    'Subject: cut\r\n\r\nfirst line of the body\r\nsecond li')
EOF
t_check "s12-drop: two sessions cut mid-message" $? "$(cat "$T/out/s12-drop")"
sleep 0.5
kill -0 "$MPID" 2>/dev/null
t_check "s12-drop: daemon still running" $?
send s12-after "$MSG/reject.eml" 192.0.2.10 ceo@reject.example
expect_reply s12-after '^250 '
expect_delivered s12-after
expect_ar s12-after "$F" 'dmarc=pass'

# (13) 50 concurrent sessions, half spoofs, half passes: all answered
sink_clear
i=0
pids=
while [ $i -lt 50 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		send "c$i" "$MSG/reject.eml" "198.51.100.$((i + 100))" \
		    ceo@reject.example &
	else
		send "c$i" "$MSG/reject.eml" 192.0.2.10 ceo@reject.example &
	fi
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
n550=0 n250=0 nother=0
i=0
while [ $i -lt 50 ]; do
	r=$(reply "c$i")
	case $r in
	"550 5.7.1 DMARC policy of reject.example"*)
		[ $((i % 2)) -eq 0 ] && n550=$((n550 + 1)) ||
		    nother=$((nother + 1)) ;;
	"250 2.0.0 Ok: queued"*)
		[ $((i % 2)) -eq 1 ] && n250=$((n250 + 1)) ||
		    nother=$((nother + 1)) ;;
	*)
		nother=$((nother + 1))
		[ $nother -le 5 ] && echo "c$i: $r" ;;
	esac
	i=$((i + 1))
done
[ $n550 -eq 25 ] && [ $n250 -eq 25 ] && [ $nother -eq 0 ]
t_check "s13-concurrent: 50 swaks sessions, 25 x 550 and 25 x 250" $? \
    "550: $n550, 250: $n250, other: $nother"
wait_sink 25
n=$(sink_count)
[ "$n" -eq 25 ]
t_check "s13-concurrent: 25 delivered" $? "$n delivered"
bad=0
for f in "$T"/sink/msg.*; do	# names made by smtp-sink: no blanks
	[ "$(ours "$f" | grep -c 'dmarc=pass')" -eq 1 ] || bad=$((bad + 1))
done
t_check "s13-concurrent: each delivered one has dmarc=pass" $bad \
    "$bad without"

# 100 more messages over 50 parallel sessions from loopback (smtp-source)
sink_clear
smtp-source -s 50 -m 100 -f user@bulk.example -t "$RCPT" \
    -M client.bulk.example "127.0.0.1:$SMTP_PORT" >"$T/out/s13-source" 2>&1
t_check "s13-source: smtp-source -s 50 -m 100 ran without error" $? \
    "$(head -c 500 "$T/out/s13-source")"
wait_sink 100
n=$(sink_count)
[ "$n" -eq 100 ]
t_check "s13-source: 100 delivered" $? "$n delivered"
f=$(sink_file)
[ -n "$f" ] && [ "$(ours "$f" | grep -c 'dmarc=')" -eq 1 ]
t_check "s13-source: delivered mail carries our A-R" $?
n=$(grep -c 'warning: milter' "$T/postfix.log")
t_check "s13: no milter warning in the Postfix log" "$n" \
    "$(grep 'warning: milter' "$T/postfix.log" | head -5)"
kill -0 "$MPID" 2>/dev/null
t_check "s13: daemon still running" $?

# (3) QuarantineAction hold, after a reload: p=quarantine -> hold queue
phase_b
reload "$MPID" "s3-hold"
sink_clear
send s3-hold "$MSG/quarantine.eml" 198.51.100.7 news@quarantine.example
expect_reply s3-hold '^250 '
q=$(qid_of s3-hold)
held() { postqueue -c "$PF" -j | grep "\"queue_id\": *\"$q\"" |
    grep -q "\"queue_name\": *\"hold\""; }
[ -n "$q" ] && wait_for 5 held
t_check "s3-hold: $q in the hold queue" $? \
    "$(postqueue -c "$PF" -j 2>&1 | head -c 500)"
[ "$(sink_count)" -eq 0 ]
t_check "s3-hold: not delivered" $?
check_log s3-hold "$q" fail quarantine-hold
[ -n "$q" ] && postsuper -c "$PF" -d "$q" hold >/dev/null 2>&1

# (6b) TempErrorAction accept: the same SERVFAIL is delivered
sink_clear
send s6-accept "$MSG/servfail.eml" 192.0.2.10 user@servfail.example
expect_reply s6-accept '^250 '
expect_delivered s6-accept
expect_ar s6-accept "$F" 'dmarc=temperror'
check_log s6-accept "$(qid_of s6-accept)" temperror accept

# (11) SIGUSR1 changes behaviour mid-run, the PID stays: the spoof is
# refused before the reload and (10) delivered, marked, after it
sink_clear
send s11-before "$MSG/reject.eml" 198.51.100.7 ceo@reject.example
expect_reply s11-before '^550 5\.7\.1 '
phase_c
reload "$MPID" "s11-reload"
kill -0 "$MPID" 2>/dev/null &&
    [ "$(tr -d ' \n' <"$T/milter.pid")" = "$MPID" ]
t_check "s11-reload: same PID after the reload" $?
send s10-monitor "$MSG/reject.eml" 198.51.100.7 ceo@reject.example
expect_reply s10-monitor '^250 '
expect_delivered s10-monitor
expect_ar s10-monitor "$F" 'spf=fail' 'dmarc=fail' 'header\.from=reject\.example'
check_log s10-monitor "$(qid_of s10-monitor)" fail accept
# p=quarantine is not held either in monitor mode
sink_clear
send s10-quarantine "$MSG/quarantine.eml" 198.51.100.7 news@quarantine.example
expect_reply s10-quarantine '^250 '
expect_delivered s10-quarantine
expect_ar s10-quarantine "$F" 'dmarc=fail'

# a bad file on reload is refused and the running config kept
cp "$T/milter.conf" "$T/milter.good"
printf 'NoSuchKey 1\n' >>"$T/milter.conf"
kill -USR1 "$MPID"
badreload() { grep 'reload of .* failed' "$T/milter.log" | grep -q NoSuchKey; }
wait_for 5 badreload
t_check "s11-badconf: the failed reload is logged, naming the key" $? \
    "$(tail -3 "$T/milter.log")"
kill -0 "$MPID" 2>/dev/null
t_check "s11-badconf: daemon survives a bad config on SIGUSR1" $?
sink_clear
send s11-badconf "$MSG/reject.eml" 198.51.100.7 ceo@reject.example
expect_reply s11-badconf '^250 '
mv "$T/milter.good" "$T/milter.conf"

# Phase D: the texts and headers, and local policy
mconf "$T/milter.conf" "inet:$MILTER_PORT@127.0.0.1" "$T/milter.pid" <<EOF
RejectFailures yes
RejectText Mail claiming {domain} refused by DMARC
QuarantineAction tag
QuarantineHeader X-E2E-Quarantine
QuarantineSubjectPrefix [DMARC]
TrustedForwarders 203.0.113.77/32
PolicyOverrides none.example=quarantine
EOF
check_conf "phase D" "$T/milter.conf"
reload "$MPID" "s15"

# (15) RejectText: the reply names the policy domain as configured
sink_clear
send s15-rejecttext "$MSG/reject.eml" 198.51.100.7 ceo@reject.example
expect_reply s15-rejecttext \
    '^550 5\.7\.1 Mail claiming reject\.example refused by DMARC$'
expect_nothing s15-rejecttext

# (16) QuarantineHeader and QuarantineSubjectPrefix
sink_clear
send s16-tag "$MSG/quarantine.eml" 198.51.100.7 news@quarantine.example
expect_reply s16-tag '^250 '
expect_delivered s16-tag
_q=$([ -n "$F" ] && hdr "$F" X-E2E-Quarantine)
_o=$([ -n "$F" ] && hdr "$F" X-DMARC-Quarantine)
[ "$_q" = "yes; policy=quarantine domain=quarantine.example" ] && [ -z "$_o" ]
t_check "s16-tag: QuarantineHeader X-E2E-Quarantine, and only it" $? \
    "X-E2E-Quarantine '$_q', X-DMARC-Quarantine '$_o'"
_s=$([ -n "$F" ] && hdr "$F" Subject)
[ "$_s" = "[DMARC] e2e: p=quarantine author domain" ]
t_check "s16-tag: Subject prefixed" $? "Subject: '$_s'"

# (17) PolicyOverrides: p=none failure of none.example is quarantined
sink_clear
send s17-override "$MSG/none.eml" 198.51.100.7 info@none.example
expect_reply s17-override '^250 '
expect_delivered s17-override
[ -n "$F" ] && [ -n "$(hdr "$F" X-E2E-Quarantine)" ]
t_check "s17-override: tagged" $? "$(hdr "$F" X-E2E-Quarantine 2>/dev/null)"
check_log s17-override "$(qid_of s17-override)" fail quarantine-tag
logline "$(qid_of s17-override)" | grep -q 'reasons=.*local_policy'
t_check "s17-override: reason local_policy" $?

# (18) TrustedForwarders: the p=reject spoof from a trusted relay passes
sink_clear
send s18-forwarder "$MSG/reject.eml" 203.0.113.77 ceo@reject.example
expect_reply s18-forwarder '^250 '
expect_delivered s18-forwarder
expect_ar s18-forwarder "$F" 'dmarc=fail'
check_log s18-forwarder "$(qid_of s18-forwarder)" fail accept
logline "$(qid_of s18-forwarder)" | grep -q 'reasons=.*trusted_forwarder'
t_check "s18-forwarder: reason trusted_forwarder" $?

# (19) RejectAction quarantine (RFC 9989 7.4): p=reject is tagged instead
mconf "$T/milter.conf" "inet:$MILTER_PORT@127.0.0.1" "$T/milter.pid" <<EOF
RejectFailures yes
RejectAction quarantine
QuarantineAction tag
EOF
reload "$MPID" "s19"
sink_clear
send s19-rejectaction "$MSG/reject.eml" 198.51.100.7 ceo@reject.example
expect_reply s19-rejectaction '^250 '
expect_delivered s19-rejectaction
_q=$([ -n "$F" ] && hdr "$F" X-DMARC-Quarantine)
[ "$_q" = "yes; policy=reject domain=reject.example" ]
t_check "s19-rejectaction: tagged with policy=reject" $? "got '$_q'"
check_log s19-rejectaction "$(qid_of s19-rejectaction)" fail quarantine-tag

# (14) a second daemon on a unix socket, for the second smtpd; it runs
# as the postfix user, who alone (with its group) may use the socket
mconf "$T/milter2.conf" "unix:$MSOCK" "$T/milter2.pid" <<EOF
SocketMode 0660
UserID postfix
EOF
check_conf "unix socket" "$T/milter2.conf"
: >"$T/milter2.log"
start_daemon "$T/milter2.conf" "$T/milter2.log"
M2PID=$LASTPID
probe unix "$MSOCK" 10 "$M2PID"
t_check "s14-unix: daemon listens on unix:$MSOCK" $? \
    "$(tail -5 "$T/milter2.log")"
[ "$(stat -c '%U %a' "$MSOCK" 2>/dev/null)" = "postfix 660" ]
t_check "s14-unix: socket owned by UserID, mode SocketMode" $? \
    "$(stat -c '%U:%G %a' "$MSOCK" 2>&1)"
[ "$(ps -o user= -p "$M2PID" 2>/dev/null)" = postfix ]
t_check "s14-unix: daemon runs as UserID" $? \
    "$(ps -o user= -p "$M2PID" 2>&1)"
sink_clear
port=$SMTP2_PORT send s14-unix "$MSG/dkim.eml" 203.0.113.5 bounce@esp.example
expect_reply s14-unix '^250 '
expect_delivered s14-unix
expect_ar s14-unix "$F" 'dkim=pass' 'dmarc=pass'
sink_clear
port=$SMTP2_PORT send s14-unix-reject "$MSG/reject.eml" 198.51.100.7 \
    ceo@reject.example
expect_reply s14-unix-reject '^550 5\.7\.1 '

# ---------------------------------------------------------------- shutdown

# stop_daemon NAME PID: SIGTERM, exit status 0 within 10 s
stop_daemon() {
	kill -TERM "$2"
	_n=100
	while [ $_n -gt 0 ] && kill -0 "$2" 2>/dev/null; do
		sleep 0.1
		_n=$((_n - 1))
	done
	if kill -0 "$2" 2>/dev/null; then
		t_fail "$1: stops on SIGTERM" "still running after 10 s"
		kill -KILL "$2"
		return
	fi
	wait "$2"
	_st=$?
	t_check "$1: stops on SIGTERM with status 0" $_st "status $_st"
}
postfix -c "$PF" stop >/dev/null 2>&1
stop_daemon "daemon (inet)" "$MPID"
MPID=
stop_daemon "daemon (unix)" "$M2PID"
M2PID=

# sanitizer reports, leaks at exit included
if grep -l -E 'ERROR|runtime error|LeakSanitizer' "$T"/asan/* >/dev/null 2>&1; then
	t_fail "sanitizers: no report" "$(cat "$T"/asan/* | head -60)"
else
	t_ok "sanitizers: no report"
fi
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/milter.log" \
    "$T/milter2.log" >/dev/null; then
	t_fail "sanitizers: nothing on stderr" \
	    "$(grep -h -A20 -E 'Sanitizer|runtime error' "$T/milter.log" "$T/milter2.log" | head -60)"
fi

if [ "$T_FAIL" -ne 0 ]; then
	echo "---- daemon log (inet), last 60 lines"
	tail -60 "$T/milter.log"
	echo "---- daemon log (unix), last 20 lines"
	tail -20 "$T/milter2.log"
	echo "---- Postfix log, last 60 lines"
	tail -60 "$T/postfix.log"
fi
echo "run took $(($(date +%s) - T0)) s"
t_done
