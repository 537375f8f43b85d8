#!/bin/sh
# tests/faults/run-faults.sh - the daemon under faults, with real traffic
#
# Each section sends real mail (the milter protocol from milterc.py or
# milter-bench, or SMTP through a private Postfix) while something breaks,
# and checks that nothing is lost: every message gets exactly one final
# answer, every accepted message is delivered or recorded, the daemon
# survives (or stops cleanly when told to).
#
#   dns     a real unbound on loopback serves the test names; broken names
#           are forwarded to a black hole (timeout), to a server answering
#           SERVFAIL, or refused by unbound; then the same faults from the
#           zone file backend ($TIMEOUT, $SERVFAIL)
#   drops   a client leaves at every protocol stage (close, and RST), then
#           200 more times: the daemon lives, fds and threads come back
#   conc    500 concurrent SMTP sessions through Postfix (smtp-source),
#           and 500 concurrent milter connections (milter-bench -c 500)
#   reload  SIGUSR1 every 100 ms under load, flipping the config; then a
#           broken config
#   term    SIGTERM under load: milter-bench directly, then through Postfix
#           with milter_default_action = tempfail and a restart
#   store   the SQLite HistoryDB locked and unwritable mid-run: outcomes go
#           to the journal and reach the database after recovery
#
# FAULTS="dns drops" runs only those sections.  Environment: top_srcdir,
# top_builddir (set by make check), FAULTS_KEEP=1 keeps the temporary
# directory.  Skips (exit 77) when not root or without Postfix or unbound.
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
FT=$top_srcdir/tests/faults
MSG=$top_srcdir/tests/e2e/msg
ZONE=$top_srcdir/tests/e2e/zone
D=$top_builddir/milter/dmarc-milter
BENCH=$top_builddir/contrib/bench/milter-bench
AUTHSERV=mx.faults.example
FAULTS=${FAULTS:-dns drops conc reload term store}
T0=$(date +%s)

[ "$(id -u)" -eq 0 ] || skip "not root (Postfix and UserID need root)"
[ -x /usr/sbin/postfix ] || skip "postfix is not installed"
[ -x /usr/sbin/unbound ] || skip "unbound is not installed"

need "$D" "the daemon (build it first)"
need "$BENCH" "milter-bench (build it first)"
need /usr/sbin/smtp-sink "smtp-sink (package postfix)"
need /usr/sbin/smtp-source "smtp-source (package postfix)"
need "$PY" "Debian's python3"
if ! "$PY" -c 'import dkim, sqlite3' 2>/dev/null; then
	t_fail "setup" "python3-dkim is not installed"
	t_done
	exit 1
fi

want() { case " $FAULTS " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- lifecycle

T=$(mktemp -d /tmp/dmarc-faults.XXXXXX) || exit 1
chmod 755 "$T"	# the daemon runs as nobody in the store section
PF=$T/pf
mkdir -p "$T/asan" "$T/out" "$T/sink"
chmod 1777 "$T/asan"
: >"$T/pids"	# every process we started and must stop
WATCHDOG=''

cleanup() {
	if [ -f "$T/spool/pid/master.pid" ]; then
		postfix -c "$PF" stop >/dev/null 2>&1
		stop_pid "$(tr -d ' ' <"$T/spool/pid/master.pid")" 10
	fi
	while read -r _p; do
		ours "$_p" && stop_pid "$_p" 10
	done <"$T/pids"
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	if [ "${FAULTS_KEEP:-0}" = 1 ]; then
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

ASAN_OPTIONS="log_path=$T/asan/asan:detect_leaks=1:abort_on_error=0:halt_on_error=1"
UBSAN_OPTIONS="log_path=$T/asan/ubsan:print_stacktrace=1:halt_on_error=1"
LSAN_OPTIONS="log_path=$T/asan/lsan"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# ---------------------------------------------------------------- helpers

now_ms() { echo $(($(date +%s%N) / 1000000)); }
started() { echo "$1" >>"$T/pids"; }
# ours PID: PID is a child of this shell (a finished one's PID may be
# another process's by now)
ours() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }
info() { echo "info: $*"; }

# listening PORT PID SECONDS: 0 once 127.0.0.1:PORT accepts; 1 at once if
# process PID is gone
listening() {
	"$PY" - "$@" <<'EOF'
import os, socket, sys, time
port, pid, end = int(sys.argv[1]), int(sys.argv[2]), time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        socket.create_connection(('127.0.0.1', port), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# dconf NAME PORT < EXTRA-LINES: the daemon config $T/NAME.conf
dconf() {
	_x=$(cat)
	{
		echo "# written by run-faults.sh"
		echo "Socket inet:$2@127.0.0.1"
		printf '%s\n' "$_x" | grep -qi '^PidFile' ||
		    echo "PidFile $T/$1.pid"
		printf '%s\n' "$_x" | grep -qi '^AuthservID' ||
		    echo "AuthservID $AUTHSERV"
		printf '%s\n' "$_x" | grep -qi '^HistoryDB' || echo "HistoryDB"
		printf '%s\n' "$_x" | grep -qi '^IgnoreHosts' ||
		    echo "IgnoreHosts 192.0.2.200/32"
		printf '%s\n' "$_x"
	} >"$T/$1.conf.new" && mv "$T/$1.conf.new" "$T/$1.conf"
	echo "$2" >"$T/$1.port"
}

# dstart NAME: run the daemon of $T/NAME.conf in the foreground, in the
# background, log in $T/NAME.log; DPID is its PID; 0 once it listens
dstart() {
	"$D" -f -c "$T/$1.conf" >>"$T/$1.log" 2>&1 &
	DPID=$!
	started "$DPID"
	listening "$(cat "$T/$1.port")" "$DPID" 15
	t_check "$1: daemon listens" $? "$(tail -5 "$T/$1.log")"
}

# dstop NAME PID SECONDS [SENT-MS]: SIGTERM (unless sent at SENT-MS
# already); checks exit status 0 within SECONDS; STOP_MS is how long it
# took
dstop() {
	_t=${4:-$(now_ms)}
	if [ -z "${4:-}" ]; then
		if ! ours "$2"; then
			t_fail "$1: still running when told to stop"
			return
		fi
		kill -TERM "$2" 2>/dev/null
	fi
	_n=$(($3 * 10))
	while [ $_n -gt 0 ] && kill -0 "$2" 2>/dev/null; do
		sleep 0.1
		_n=$((_n - 1))
	done
	STOP_MS=$(($(now_ms) - _t))
	if kill -0 "$2" 2>/dev/null; then
		t_fail "$1: stops on SIGTERM within $3 s" "after $STOP_MS ms"
		ours "$2" && kill -KILL "$2"
		wait "$2" 2>/dev/null
		return
	fi
	wait "$2"
	_st=$?
	if [ -n "${4:-}" ]; then
		t_check "$1: exits 0 on SIGTERM" $_st "status $_st"
	else
		t_check "$1: exits 0 on SIGTERM (after $STOP_MS ms)" $_st \
		    "status $_st"
	fi
}

# dstop_later NAME PID: SIGTERM now, while the next section runs (libmilter
# takes ~5 s to notice); dstop_collect checks the exit and the sanitizers
dstop_later() {
	if ours "$2"; then
		echo "$1 $2 $(now_ms)" >>"$T/stopping"
		kill -TERM "$2"
	else
		t_fail "$1: still running when told to stop"
	fi
}
dstop_collect() {
	[ -f "$T/stopping" ] || return 0
	while read -r _sn _sp _st; do
		dstop "$_sn" "$_sp" 15 "$_st"
		sancheck "$_sn" "$_sp"
	done <"$T/stopping"
	rm -f "$T/stopping"
}

# sancheck NAME PID: no sanitizer report from that process
sancheck() {
	# reports are named PREFIX.PID
	if grep -l -E 'ERROR|runtime error|LeakSanitizer' \
	    "$T"/asan/*."$2" >/dev/null 2>&1; then
		t_fail "$1: no sanitizer report" \
		    "$(cat "$T"/asan/*."$2" | head -60)"
	else
		t_ok "$1: no sanitizer report"
	fi
	if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$T/$1.log" >/dev/null 2>&1; then
		t_fail "$1: no sanitizer output on stderr" \
		    "$(grep -A20 -E 'Sanitizer|runtime error' "$T/$1.log" | head -40)"
	fi
}

fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# peak PID FILE: sample the open fds of PID every 50 ms (each milter
# connection is one; libmilter's worker pool has no thread for an idle
# one), the highest in FILE, until FILE.stop exists; PEAKPID is the
# sampler
peak() {
	(
		_m=0
		while [ ! -e "$2.stop" ] && kill -0 "$1" 2>/dev/null; do
			_c=$(fds "$1")
			if [ "${_c:-0}" -gt "$_m" ]; then
				_m=$_c
				echo "$_m" >"$2"
			fi
			sleep 0.05
		done
	) &
	PEAKPID=$!
	started "$PEAKPID"
}
peak_end() {
	touch "$1.stop"
	wait "$PEAKPID"
	cat "$1" 2>/dev/null || echo 0
}

# settled PID FDS THREADS: fd count at most FDS and threads at most THREADS
settled() {
	[ "$(fds "$1")" -le "$2" ] && [ "$(threads "$1")" -le "$3" ]
}

# jx FILE EXPR: EXPR over L, the JSON objects of FILE (one a line)
jx() {
	"$PY" -c 'import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(eval(sys.argv[2]))' "$1" "$2"
}

# mc ARGS...: milterc.py
mc() { "$PY" "$FT/milterc.py" "$@"; }

# logline NAME QID: the daemon's summary line for that queue id
logline() { grep -E " $2: client=.* dmarc=" "$T/$1.log" | tail -1; }
# logfields LINE: what the verdict was
logfields() {
	echo "$1" | grep -oE '(spf|dkim|dmarc|disposition|action)=[^ ]*' |
	    tr '\n' ' '
}

# reload NAME PID: SIGUSR1, and wait for "reloaded" in the log
reload() {
	_r0=$(grep -c 'reloaded ' "$T/$1.log")
	kill -USR1 "$2"
	_w=50
	while [ $_w -gt 0 ] &&
	    [ "$(grep -c 'reloaded ' "$T/$1.log")" -le "$_r0" ]; do
		sleep 0.1
		_w=$((_w - 1))
	done
	[ $_w -gt 0 ]
	t_check "$1: SIGUSR1 reload logged" $?
}

# corpus DIR: a milter-bench corpus from the e2e messages: spoofs of a
# p=reject domain (rejected), SPF passes, DKIM passes, p=quarantine fails
corpus() {
	mkdir -p "$1"
	cp "$MSG/reject.eml" "$1/1spoof.eml"
	printf 'client 198.51.100.7\nhelo mx.sender.example\nfrom ceo@reject.example\nrcpt rcpt@dest.example\n' >"$1/1spoof.env"
	cp "$MSG/reject.eml" "$1/2pass.eml"
	printf 'client 192.0.2.10\nhelo mx.sender.example\nfrom ceo@reject.example\nrcpt rcpt@dest.example\n' >"$1/2pass.env"
	cp "$MSG/dkim.eml" "$1/3dkim.eml"
	printf 'client 203.0.113.5\nhelo mx.esp.example\nfrom bounce@esp.example\nrcpt rcpt@dest.example\n' >"$1/3dkim.env"
	cp "$MSG/quarantine.eml" "$1/4quar.eml"
	printf 'client 198.51.100.7\nhelo mx.sender.example\nfrom news@quarantine.example\nrcpt rcpt@dest.example\n' >"$1/4quar.env"
}
corpus "$T/corpus"

# bench OUT ARGS...: milter-bench --json, result in OUT.json, stderr in
# OUT.err; BENCH_RC (and OUT.rc) its exit status
bench() {
	_o=$1
	shift
	"$BENCH" --corpus "$T/corpus" --json "$@" >"$_o.json" 2>"$_o.err"
	BENCH_RC=$?
	echo "$BENCH_RC" >"$_o.rc"	# for a run in the background
}
# bj OUT EXPR: EXPR over the milter-bench JSON object J
bj() {
	"$PY" -c 'import json, sys
try:
    J = json.load(open(sys.argv[1]))
except ValueError:
    J = {"messages": -1, "verdicts": {}, "header_changes": {}}
print(eval(sys.argv[2]))' "$1.json" "$2"
}

# sinkcheck N: N messages in the sink, each with exactly one A-R of ours
sinkcheck() {
	"$PY" - "$T/sink" "$AUTHSERV" "$1" <<'EOF'
import email.parser, os, sys
d, ours, want = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3])
files = [f for f in os.listdir(d) if f.startswith('msg.')]
bad = 0
for f in files:
    with open(os.path.join(d, f), 'rb') as fh:
        h = email.parser.BytesHeaderParser().parse(fh)
    ar = [v for v in h.get_all('Authentication-Results', [])
        if v.split(';')[0].strip().lower() == ours]
    if len(ar) != 1:
        bad += 1
print('%d delivered, %d without exactly one A-R of ours' % (len(files), bad))
sys.exit(0 if len(files) == want and bad == 0 else 1)
EOF
}

# ================================================================ dns
# A real unbound serves every name; the broken ones go to a black hole,
# to a SERVFAIL server, or are refused by unbound itself (mkdns.py).

dns_section() {
	echo "# ---- dns: unbound on loopback, then the zone file backend"
	# shellcheck disable=SC2046 # four words wanted
	set -- $(free_ports 4)
	UBPORT=$1 BHPORT=$2 SFPORT=$3 MPORT=$4
	mkdir -p "$T/dns"
	"$PY" "$FT/mkdns.py" "$T/dns" "$BHPORT" "$SFPORT"
	t_check "dns: test data written" $?
	"$PY" "$FT/dnsfake.py" blackhole "$BHPORT" --lifetime 170 \
	    2>"$T/dns/blackhole.log" &
	BHPID=$!
	started "$BHPID"
	"$PY" "$FT/dnsfake.py" servfail "$SFPORT" --lifetime 170 \
	    2>"$T/dns/servfail.log" &
	SFPID=$!
	started "$SFPID"
	{
		cat <<EOF
server:
  interface: 127.0.0.1@$UBPORT
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$T/dns"
  pidfile: "$T/dns/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  do-ip6: no
  num-threads: 1
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  outgoing-interface: 127.0.0.1
  qname-minimisation: no
EOF
		cat "$T/dns/unbound.local"
		printf 'remote-control:\n  control-enable: no\n'
	} >"$T/dns/unbound.conf"
	unbound-checkconf "$T/dns/unbound.conf" >"$T/out/ubcheck" 2>&1
	t_check "dns: unbound-checkconf" $? "$(cat "$T/out/ubcheck")"
	unbound -d -c "$T/dns/unbound.conf" >"$T/dns/unbound.log" 2>&1 &
	UBPID=$!
	started "$UBPID"
	wait_for 10 grep -q 'start of service' "$T/dns/unbound.log"
	t_check "dns: unbound started" $? "$(cat "$T/dns/unbound.log")"

	TMO=1000	# DNSTimeout, ms
	dconf dnsub "$MPORT" <<EOF
Nameservers 127.0.0.1@$UBPORT
DNSTimeout 1s
EOF
	: >"$T/dnsub.log"
	dstart dnsub
	UBD=$DPID

	# name message client mail-from kind how
	cat >"$T/dns/scenarios" <<EOF
goodspf $MSG/reject.eml 192.0.2.10 ceo@reject.example good -
goodkim $MSG/dkim.eml 203.0.113.5 bounce@esp.example good -
dmarcto $T/dns/dmarcto.eml 198.51.100.7 user@dmarcto.example dmarc timeout
dmarcsf $T/dns/dmarcsf.eml 198.51.100.7 user@dmarcsf.example dmarc servfail
dmarcref $T/dns/dmarcref.eml 198.51.100.7 user@dmarcref.example dmarc refused
spfto $T/dns/spfto.eml 198.51.100.7 user@spfto.example spf timeout
spfsf $T/dns/spfsf.eml 198.51.100.7 user@spfsf.example spf servfail
dkimto $T/dns/dkimto.eml 198.51.100.7 user@dkimto.example dkim timeout
dkimsf $T/dns/dkimsf.eml 198.51.100.7 user@dkimsf.example dkim servfail
EOF

	# phase A: unbound, TempErrorAction at its default (tempfail)
	dns_phase A dnsub "$MPORT"
	# phase B: TempErrorAction accept, by a reload of the same daemon
	dconf dnsub "$MPORT" <<EOF
Nameservers 127.0.0.1@$UBPORT
DNSTimeout 1s
TempErrorAction accept
EOF
	reload dnsub "$UBD"
	dns_phase B dnsub "$MPORT"
	kill -0 "$UBD" 2>/dev/null
	t_check "dns: daemon alive after the DNS faults" $?

	# phases C and D: the same through the zone file backend; each
	# outcome must equal unbound's
	# shellcheck disable=SC2046
	set -- $(free_ports 1)
	ZPORT=$1
	dconf dnszone "$ZPORT" <<EOF
DNSZoneFile $T/dns/zone
DNSTimeout 1s
EOF
	: >"$T/dnszone.log"
	dstart dnszone
	ZD=$DPID
	dns_phase C dnszone "$ZPORT"
	dconf dnszone "$ZPORT" <<EOF
DNSZoneFile $T/dns/zone
DNSTimeout 1s
TempErrorAction accept
EOF
	reload dnszone "$ZD"
	dns_phase D dnszone "$ZPORT"
	while read -r name _ _ _ _ _; do
		for pair in A:C B:D; do
			a=${pair%:*} b=${pair#*:}
			[ "$(cat "$T/out/dns-$a-$name.sig")" = \
			    "$(cat "$T/out/dns-$b-$name.sig")" ]
			t_check "dns $name: zone file ($b) gives unbound's outcome ($a)" \
			    $? "unbound: $(cat "$T/out/dns-$a-$name.sig") zone: $(cat "$T/out/dns-$b-$name.sig")"
		done
	done <"$T/dns/scenarios"

	dstop_later dnsub "$UBD"
	dstop_later dnszone "$ZD"
	for _p in "$UBPID" "$BHPID" "$SFPID"; do
		ours "$_p" && stop_pid "$_p" 5
	done
	info "$(cat "$T/dns/blackhole.log" "$T/dns/servfail.log" 2>/dev/null)"
}

# dns_phase PHASE NAME PORT: every scenario once; checks; writes a
# signature of each outcome (verdict, reply, A-R, log fields) for the
# backend comparison
dns_phase() {
	_ph=$1 _dn=$2 _port=$3
	_perm=''
	while read -r name file client from kind how; do
		_o=$T/out/dns-$_ph-$name
		mc send --milter "inet:$_port@127.0.0.1" --msg "$file" \
		    --client "$client" --from "$from" --qid "$_ph$name" \
		    >"$_o.json" 2>&1
		_v=$(jx "$_o.json" 'L[0]["verdict"]')
		_r=$(jx "$_o.json" 'L[0]["reply"] or ""')
		_ar=$(jx "$_o.json" '"|".join(" ".join(c[3].split()) for c in L[0]["changes"] if c[0] == "insert" and c[2] == "Authentication-Results")')
		_ms=$(jx "$_o.json" 'int(L[0]["ms"])')
		_l=$(logline "$_dn" "$_ph$name")
		_f=$(logfields "$_l")
		echo "$_v|$_r|$_ar|$_f" >"$_o.sig"
		info "$_ph $name ($kind $how): $_v ${_r:+'$_r' }in $_ms ms; $_f"
		case $kind in
		good)
			[ "$_v" = accept ] && echo "$_ar" | grep -q 'dmarc=pass'
			t_check "dns $_ph $name: a good name resolves: accept, dmarc=pass" \
			    $? "$_v '$_ar'" ;;
		dmarc)
			if [ "$_ph" = A ] || [ "$_ph" = C ]; then
				echo "$_r" | grep -q '^451 4\.7\.5 ' &&
				    echo "$_f" | grep -q 'dmarc=temperror .*action=tempfail'
				t_check "dns $_ph $name: DMARC lookup $how: 451 4.7.5, dmarc=temperror" \
				    $? "$_v '$_r' $_f"
			else
				[ "$_v" = accept ] &&
				    echo "$_ar" | grep -q 'dmarc=temperror' &&
				    echo "$_f" | grep -q 'action=accept'
				t_check "dns $_ph $name: DMARC lookup $how, TempErrorAction accept: accepted, A-R dmarc=temperror" \
				    $? "$_v '$_ar' $_f"
			fi ;;
		spf | dkim)
			# the A-R when accepted, else the log line
			_src=$_f
			[ -n "$_ar" ] && _src=$_ar
			echo "$_src" | grep -q "$kind=temperror"
			t_check "dns $_ph $name: $kind lookup $how: $kind=temperror" \
			    $? "$_v '$_r' A-R '$_ar' log '$_f'"
			case $_r in 5*) _perm="$_perm $name:'$_r'" ;; esac ;;
		esac
		[ "$_v" != error ] && [ -n "$_l" ]
		t_check "dns $_ph $name: one final answer, one log line" $? \
		    "$(cat "$_o.json")"
		if [ "$_dn" = dnsub ]; then
			[ "$_ms" -le $((TMO + 1500)) ]
			t_check "dns $_ph $name: done within DNSTimeout + 1.5 s" \
			    $? "$_ms ms"
			if [ "$_ph" = A ] && [ "$how" = timeout ]; then
				[ "$_ms" -ge $((TMO * 9 / 10)) ]
				t_check "dns $_ph $name: the lookup really timed out" \
				    $? "$_ms ms"
			fi
		fi
	done <"$T/dns/scenarios"
	# RFC 7208 2.6.6 and RFC 6376 6.1.2: a temporary failure may succeed
	# later; turning it into a permanent 550 bounces mail that would
	# pass once DNS answers again.  Checked once, for the defaults (the
	# other phases compare outcomes with this one).
	if [ "$_ph" = A ]; then
		[ -z "$_perm" ]
		t_check "dns: no permanent 5xx for a transient SPF or DKIM DNS failure (p=reject, TempErrorAction tempfail)" \
		    $? "refused:$_perm"
	fi
}

# ================================================================ drops

drops_section() {
	echo "# ---- drops: clients leaving at every stage"
	# shellcheck disable=SC2046
	set -- $(free_ports 1)
	DRPORT=$1
	dconf drops "$DRPORT" <<EOF
DNSZoneFile $ZONE
EOF
	: >"$T/drops.log"
	dstart drops
	DR=$DPID
	_m="--milter inet:$DRPORT@127.0.0.1 --msg $MSG/dkim.eml --client 203.0.113.5 --from bounce@esp.example"
	# warm up, then the baseline
	# shellcheck disable=SC2086
	mc send $_m --qid WARM --count 3 >"$T/out/drops-warm.json"
	sleep 0.3
	f0=$(fds "$DR") th0=$(threads "$DR")
	info "drops: baseline $f0 fds, $th0 threads"
	_t=$(now_ms)
	# shellcheck disable=SC2086
	mc drops $_m --pid "$DR" >"$T/out/drops.json" 2>"$T/out/drops.err"
	t_check "drops: the drop matrix ran" $? "$(tail -3 "$T/out/drops.err")"
	n=$(jx "$T/out/drops.json" 'len(L)')
	info "drops: $n drop cases in $(($(now_ms) - _t)) ms"
	[ "$n" -ge 60 ]
	t_check "drops: every stage x close/RST x both offers ($n cases)" $?
	for st in $(jx "$T/out/drops.json" '" ".join(sorted(set(d["stage"] for d in L)))'); do
		bad=$(jx "$T/out/drops.json" "[(d['how'], d['offer'], d['drop'], d['after'].get('verdict'), d['after'].get('error')) for d in L if d['stage'] == '$st' and not (d['alive'] and d['after'].get('verdict') == 'accept' and 'dmarc=pass' in str(d['after'].get('changes')) and (d['drop'] is None) == ('$st' != 'after-eom'))]")
		[ "$bad" = "[]" ]
		t_check "drops $st: daemon alive, the next message evaluated (dmarc=pass)" \
		    $? "$bad"
	done
	wait_for 5 settled "$DR" $((f0 + 2)) "$th0"
	t_check "drops: fds and threads back to baseline after the matrix" $? \
	    "$(fds "$DR") fds (baseline $f0), $(threads "$DR") threads (baseline $th0)"
	# shellcheck disable=SC2086
	mc storm $_m --count 200 >"$T/out/storm.json"
	info "storm: $(cat "$T/out/storm.json")"
	[ "$(jx "$T/out/storm.json" 'L[0]["errors"]')" = 0 ]
	t_check "drops: 200 drops in a row" $? "$(cat "$T/out/storm.json")"
	wait_for 5 settled "$DR" $((f0 + 2)) "$th0"
	t_check "drops: fds and threads back to baseline after 200 drops" $? \
	    "$(fds "$DR") fds (baseline $f0), $(threads "$DR") threads (baseline $th0)"
	info "drops: after 200 drops $(fds "$DR") fds, $(threads "$DR") threads"
	# shellcheck disable=SC2086
	mc send $_m --qid AFTERSTORM >"$T/out/drops-after.json"
	[ "$(jx "$T/out/drops-after.json" 'L[0]["verdict"]')" = accept ]
	t_check "drops: a message after the storm is evaluated" $? \
	    "$(cat "$T/out/drops-after.json")"
	dstop_later drops "$DR"
}

# ================================================================ Postfix

# One private Postfix instance: smtpd on P_DIRECT uses the conc daemon as
# milter and relays to the sink; smtpd on P_IN has no milter and passes
# everything (content_filter) to smtpd on P_MID, which uses the term
# daemon, so that a milter failure there leaves the mail deferred in
# Postfix's queue rather than with the SMTP client.  The filter hop does
# not cache SMTP sessions: Postfix's smtpd keeps a milter that failed
# disabled for the rest of its session, and a cached session opened while
# the daemon was down would defer the queue again after the restart.
postfix_setup() {
	# shellcheck disable=SC2046
	set -- $(free_ports 6)
	P_DIRECT=$1 P_IN=$2 P_MID=$3 SINK_PORT=$4 M_CONC=$5 M_TERM=$6
	mkdir -p "$PF" "$T/spool" "$T/data"
	chown postfix "$T/data" "$T/sink"
	{
		pf_main_cf faults.example "$SINK_PORT"
		cat <<EOF
inet_protocols = ipv4
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 600
smtpd_milters = inet:127.0.0.1:$M_CONC
EOF
	} >"$PF/main.cf"
	{
		cat <<EOF
127.0.0.1:$P_DIRECT inet n - n - - smtpd
127.0.0.1:$P_IN inet n - n - - smtpd
  -o smtpd_milters=
  -o content_filter=filter:[127.0.0.1]:$P_MID
127.0.0.1:$P_MID inet n - n - - smtpd
  -o content_filter=
  -o smtpd_milters=inet:127.0.0.1:$M_TERM
pickup    unix  n       -       n       60      1       pickup
filter    unix  -       -       n       -       20      smtp
  -o smtp_connection_cache_on_demand=no
EOF
		pf_services
	} >"$PF/master.cf"
	postfix -c "$PF" set-permissions >"$T/out/postfix-setup" 2>&1 &&
	    postfix -c "$PF" check >>"$T/out/postfix-setup" 2>&1
	t_check "postfix: check" $? "$(head -c 500 "$T/out/postfix-setup")"
	smtp-sink -u postfix -d "$T/sink/msg." "127.0.0.1:$SINK_PORT" 1024 \
	    >"$T/sink.log" 2>&1 &
	started $!
	postfix -c "$PF" start >"$T/out/postfix-start" 2>&1
	t_check "postfix: start" $? "$(cat "$T/out/postfix-start")"
	# P_IN: the one smtpd without a milter, nothing logged
	listening "$P_IN" "$$" 10 && listening "$SINK_PORT" "$$" 10
	t_check "postfix and the sink listen" $? \
	    "$(tail -5 "$T/postfix.log" 2>/dev/null)"
	POSTFIX_UP=1
}
POSTFIX_UP=0

# ================================================================ conc

conc_section() {
	echo "# ---- conc: 500 concurrent connections"
	[ "$POSTFIX_UP" = 1 ] || postfix_setup
	dconf conc "$M_CONC" <<EOF
DNSZoneFile $ZONE
IgnoreHosts 192.0.2.200/32
EOF
	: >"$T/conc.log"
	dstart conc
	CD=$DPID
	# one message to warm up (Postfix's own connection is loopback)
	smtp-source -m 1 -f user@bulk.example -t rcpt@dest.example \
	    "127.0.0.1:$P_DIRECT" >/dev/null 2>&1
	wait_for 10 sink_has 1
	sleep 0.5
	f0=$(fds "$CD") th0=$(threads "$CD")
	sink_clear
	peak "$CD" "$T/out/conc-peak"
	_t=$(now_ms)
	# -d: each session stays open for its 4 messages, 3 s apart, so that
	# Postfix runs 500 smtpd processes, each with its milter connection
	smtp-source -d -s 500 -m 2000 -w 3 -f user@bulk.example \
	    -t rcpt@dest.example -M client.bulk.example "127.0.0.1:$P_DIRECT" \
	    >"$T/out/conc-source" 2>&1
	_st=$?
	_sent=$(($(now_ms) - _t))
	t_check "conc: smtp-source -d -s 500 -m 2000 got 250 for every message" \
	    $_st "$(head -c 500 "$T/out/conc-source")"
	wait_for 60 sink_has 2000
	n=$(sink_count)
	pk=$(peak_end "$T/out/conc-peak")
	info "conc: daemon fds during the 500 sessions: baseline $f0, peak $pk"
	# Postfix starts smtpd processes one by one: how many are up at once
	# depends on the machine's speed; 300 is far above the usual limits
	[ "$pk" -ge $((f0 + 300)) ]
	t_check "conc: at least 300 milter connections at once through Postfix ($((pk - f0)))" $?
	info "conc: 2000 messages over 500 sessions sent in $_sent ms, $n delivered after $(($(now_ms) - _t)) ms"
	sinkcheck 2000 >"$T/out/conc-sink"
	t_check "conc: 2000 delivered, each with one A-R of ours" $? \
	    "$(cat "$T/out/conc-sink")"
	n=$(grep -c 'warning: milter\|milter-reject' "$T/postfix.log")
	t_check "conc: no milter warning or refusal in the Postfix log" "$n" \
	    "$(grep 'warning: milter\|milter-reject' "$T/postfix.log" | head -5)"
	kill -0 "$CD" 2>/dev/null
	t_check "conc: daemon alive" $?
	wait_for 20 settled "$CD" $((f0 + 2)) "$th0"
	t_check "conc: fds and threads back to baseline after 500 sessions" $? \
	    "$(fds "$CD") fds (baseline $f0), $(threads "$CD") threads (baseline $th0)"

	# the milter directly: 500 connections at once, 4 messages each
	_t=$(now_ms)
	bench "$T/out/conc-bench" --milter "inet:$M_CONC@127.0.0.1" -c 500 \
	    -m 4 -n 2000 --timeout 60 --pid "$CD"
	info "conc: milter-bench -c 500 -n 2000: rc $BENCH_RC in $(($(now_ms) - _t)) ms, $(bj "$T/out/conc-bench" 'J["verdicts"], "threads max", [p["threads_max"] for p in J["processes"]]')"
	[ "$BENCH_RC" = 0 ] &&
	    [ "$(bj "$T/out/conc-bench" 'J["messages"]')" = 2000 ] &&
	    [ "$(bj "$T/out/conc-bench" 'J["verdicts"]["error"] + J["verdicts"]["other"]')" = 0 ]
	t_check "conc: milter-bench -c 500: 2000 messages, every one answered" \
	    $? "rc $BENCH_RC: $(head -c 300 "$T/out/conc-bench.err") $(bj "$T/out/conc-bench" 'J["verdicts"]')"
	[ "$(bj "$T/out/conc-bench" 'J["verdicts"]["accept"]')" = \
	    "$(bj "$T/out/conc-bench" 'J["header_changes"]["insert"]')" ]
	t_check "conc: every accepted message carries our A-R" $? \
	    "$(bj "$T/out/conc-bench" 'J["verdicts"], J["header_changes"]')"
	wait_for 20 settled "$CD" $((f0 + 2)) "$th0"
	t_check "conc: fds and threads back to baseline after -c 500" $? \
	    "$(fds "$CD") fds (baseline $f0), $(threads "$CD") threads (baseline $th0)"
	dstop_later conc "$CD"
}

# ================================================================ reload

reload_section() {
	echo "# ---- reload: SIGUSR1 every 100 ms under load"
	# shellcheck disable=SC2046
	set -- $(free_ports 1)
	RPORT=$1
	# reconf 0|1: the two configs flipped between
	reconf() {
		if [ "$1" = 0 ]; then
			dconf reload "$RPORT" <<EOF
DNSZoneFile $ZONE
AuthservID even.faults.example
RejectAction reject
EOF
		else
			dconf reload "$RPORT" <<EOF
DNSZoneFile $ZONE
AuthservID odd.faults.example
RejectAction quarantine
EOF
		fi
	}
	reconf 0
	: >"$T/reload.log"
	dstart reload
	RD=$DPID
	bench "$T/out/reload-bench" --milter "inet:$RPORT@127.0.0.1" -c 8 \
	    -m 20 -t 5 --timeout 20 --pid "$RD" &
	_bp=$!
	_i=0
	while [ $_i -lt 40 ]; do
		reconf $((_i % 2))
		kill -USR1 "$RD"
		sleep 0.1
		_i=$((_i + 1))
	done
	wait "$_bp"
	_rc=$(cat "$T/out/reload-bench.rc")
	nrel=$(grep -c 'reloaded ' "$T/reload.log")
	info "reload: 40 SIGUSR1, $nrel reloads logged; milter-bench $(bj "$T/out/reload-bench" 'J["messages"], J["verdicts"], J["header_changes"]')"
	[ "$_rc" = 0 ] &&
	    [ "$(bj "$T/out/reload-bench" 'J["verdicts"]["error"] + J["verdicts"]["other"]')" = 0 ] &&
	    [ "$(bj "$T/out/reload-bench" 'J["messages"] > 100')" = True ]
	t_check "reload: milter-bench exit 0, no message failed across the reloads" \
	    $? "rc $_rc: $(head -c 300 "$T/out/reload-bench.err") $(bj "$T/out/reload-bench" 'J["verdicts"]')"
	[ "$(bj "$T/out/reload-bench" 'J["verdicts"]["reject"] > 0 and J["header_changes"]["add"] > 0')" = True ]
	t_check "reload: both configs were in force during the run" $? \
	    "$(bj "$T/out/reload-bench" 'J["verdicts"], J["header_changes"]')"
	[ "$(bj "$T/out/reload-bench" 'J["verdicts"]["accept"] == J["header_changes"]["insert"]')" = True ]
	t_check "reload: every accepted message carries our A-R" $? \
	    "$(bj "$T/out/reload-bench" 'J["verdicts"], J["header_changes"]')"
	[ "$nrel" -ge 5 ]
	t_check "reload: the reloads were logged ($nrel)" $?
	kill -0 "$RD" 2>/dev/null
	t_check "reload: daemon alive" $?

	# the last reload wins: odd, quarantine
	reconf 1
	reload reload "$RD"
	mc send --milter "inet:$RPORT@127.0.0.1" --msg "$MSG/reject.eml" \
	    --client 198.51.100.7 --qid LAST >"$T/out/reload-last.json"
	_ar=$(jx "$T/out/reload-last.json" '[c[3].strip() for c in L[0]["changes"] if c[0] == "insert"]')
	[ "$(jx "$T/out/reload-last.json" 'L[0]["verdict"]')" = accept ] &&
	    echo "$_ar" | grep -q "'odd\.faults\.example;" &&
	    jx "$T/out/reload-last.json" 'L[0]["changes"]' | grep -q 'X-DMARC-Quarantine'
	t_check "reload: after the last reload the spoof is tagged (RejectAction quarantine) with AuthservID odd.faults.example" \
	    $? "$(cat "$T/out/reload-last.json")"

	# a broken config (even, with a bad line): refused, odd kept
	reconf 0
	echo "NoSuchKey 1" >>"$T/reload.conf"
	kill -USR1 "$RD"
	wait_for 5 grep -q 'reload of .* failed.*NoSuchKey' "$T/reload.log"
	t_check "reload: a broken config is refused, the log says why" $? \
	    "$(tail -3 "$T/reload.log")"
	mc send --milter "inet:$RPORT@127.0.0.1" --msg "$MSG/reject.eml" \
	    --client 198.51.100.7 --qid KEPT >"$T/out/reload-kept.json"
	_ar=$(jx "$T/out/reload-kept.json" '[c[3].strip() for c in L[0]["changes"] if c[0] == "insert"]')
	[ "$(jx "$T/out/reload-kept.json" 'L[0]["verdict"]')" = accept ] &&
	    echo "$_ar" | grep -q "'odd\.faults\.example;"
	t_check "reload: the previous config is still in force" $? \
	    "$(cat "$T/out/reload-kept.json")"
	dstop_later reload "$RD"
}

# ================================================================ term

term_section() {
	echo "# ---- term: SIGTERM under load"
	[ "$POSTFIX_UP" = 1 ] || postfix_setup
	# (a) milter-bench straight at the daemon
	# shellcheck disable=SC2046
	set -- $(free_ports 1)
	TPORT=$1
	dconf terma "$TPORT" <<EOF
DNSZoneFile $ZONE
EOF
	: >"$T/terma.log"
	dstart terma
	TA=$DPID
	_t=$(now_ms)
	bench "$T/out/term-bench" --milter "inet:$TPORT@127.0.0.1" -c 16 \
	    -m 50 -n 100000 -t 15 --timeout 20 &
	_bp=$!
	sleep 1.5
	dstop terma "$TA" 15
	info "term: the daemon took $STOP_MS ms to exit"
	[ "$STOP_MS" -le 12000 ]
	t_check "term: exit within 12 s of SIGTERM (libmilter ~5 s, grace 5 s)" \
	    $? "$STOP_MS ms"
	[ ! -e "$T/terma.pid" ]
	t_check "term: PidFile removed" $?
	wait "$_bp"
	_rc=$(cat "$T/out/term-bench.rc")
	_bt=$(($(now_ms) - _t))
	info "term: milter-bench rc $_rc after $_bt ms: $(bj "$T/out/term-bench" 'J["messages"], J["verdicts"], J["header_changes"]')"
	[ "$_bt" -le 20000 ]
	t_check "term: the client did not hang ($_bt ms)" $?
	[ "$(bj "$T/out/term-bench" 'J["verdicts"]["accept"] == J["header_changes"]["insert"] and J["verdicts"]["other"] == 0')" = True ]
	t_check "term: no message accepted without evaluation (each accept carries our A-R)" \
	    $? "$(bj "$T/out/term-bench" 'J["verdicts"], J["header_changes"]')"
	nlog=$(grep -c ' dmarc=' "$T/terma.log")
	nv=$(bj "$T/out/term-bench" 'J["verdicts"]["accept"] + J["verdicts"]["reject"] + J["verdicts"]["tempfail"]')
	[ "$nlog" -ge "$nv" ]
	t_check "term: every answered message was evaluated and logged ($nlog log lines, $nv answers)" $?
	sancheck terma "$TA"

	# (b) through Postfix: P_IN queues, P_MID asks the milter, which is
	# stopped mid-run; then restarted and the queue flushed
	dconf termb "$M_TERM" <<EOF
DNSZoneFile $ZONE
EOF
	: >"$T/termb.log"
	dstart termb
	TB=$DPID
	sink_clear
	N=300
	smtp-source -s 10 -m $N -f user@bulk.example -t rcpt@dest.example \
	    -M client.bulk.example "127.0.0.1:$P_IN" >"$T/out/term-source" 2>&1 &
	_sp=$!
	_t=$(now_ms)
	wait_for 20 sink_has_some 20
	info "term: SIGTERM with $(sink_count) of $N delivered"
	dstop termb "$TB" 15
	[ ! -e "$T/termb.pid" ]
	t_check "term (postfix): PidFile removed" $?
	wait "$_sp"
	t_check "term (postfix): smtp-source: all $N queued by Postfix" $? \
	    "$(head -c 300 "$T/out/term-source")"
	sancheck termb "$TB"
	sleep 1
	ndef=$(grep -c 'status=deferred' "$T/postfix.log")
	before=$(sink_count)
	info "term (postfix): $before delivered, $ndef deferrals while the milter was down"
	[ "$ndef" -gt 0 ]
	t_check "term (postfix): mail was deferred, not lost, while the milter was down" \
	    $? "no deferral logged"
	: >>"$T/termb.log"
	dstart termb
	TB=$DPID
	# a flush may race the restart: flush until done (bounded)
	_fl=0 _fst=0
	while [ $_fl -lt 15 ] && ! sink_has $N; do
		postqueue -c "$PF" -f >"$T/out/postqueue-f" 2>&1 || _fst=1
		_fl=$((_fl + 1))
		wait_for 3 sink_has $N
	done
	t_check "term (postfix): postqueue -f" $_fst "$(cat "$T/out/postqueue-f")"
	after=$(sink_count)
	info "term (postfix): after the restart and $_fl x postqueue -f: $after delivered, $(($(now_ms) - _t)) ms after the start"
	sinkcheck $N >"$T/out/term-sink"
	t_check "term (postfix): all $N delivered in the end, each with one A-R of ours" \
	    $? "$(cat "$T/out/term-sink"); queue: $(postqueue -c "$PF" -p | tail -1)"
	dstop termb "$TB" 15
	sancheck termb "$TB"
}
sink_has_some() { [ "$(sink_count)" -ge "$1" ]; }

# ================================================================ store

store_section() {
	echo "# ---- store: SQLite HistoryDB unwritable mid-run"
	if ! id nobody >/dev/null 2>&1; then
		t_fail "store: user nobody exists"
		return
	fi
	# shellcheck disable=SC2046
	set -- $(free_ports 1)
	SPORT=$1
	S=$T/store
	mkdir -p "$S/run"
	chmod 755 "$S"
	chown nobody "$S/run"	# the PidFile is removed as nobody
	DB=$S/hist/history.db
	dconf store "$SPORT" <<EOF
DNSZoneFile $ZONE
UserID nobody
PidFile $S/run/store.pid
HistoryDB sqlite:$DB
SpoolDirectory $S/spool
EOF
	: >"$T/store.log"
	dstart store
	SD=$DPID
	[ "$(ps -o user= -p "$SD")" = nobody ]
	t_check "store: the daemon runs as nobody" $? "$(ps -o user= -p "$SD")"
	bench "$T/out/store1" --milter "inet:$SPORT@127.0.0.1" -c 2 -n 20
	wait_for 5 rows_are 20
	t_check "store: 20 messages, 20 rows" $? "rc $BENCH_RC, $(rows) rows"

	# the fault: another process holds the write lock, and the file and
	# its directory lose their write bits (the daemon is not root), so
	# that the reconnection fails too
	"$PY" "$FT/sqlock.py" "$DB" "$S/locked" "$S/unlock" &
	_lp=$!
	started "$_lp"
	wait_for 10 test -e "$S/locked"
	t_check "store: write lock taken by another process" $?
	chmod 0550 "$S/hist"
	chmod 0440 "$DB" "$DB-wal" "$DB-shm" 2>/dev/null
	_t=$(now_ms)
	bench "$T/out/store2" --milter "inet:$SPORT@127.0.0.1" -c 4 -n 60
	info "store: 60 messages with the database locked: rc $BENCH_RC in $(($(now_ms) - _t)) ms, latency $(bj "$T/out/store2" 'J["latency_ms"]')"
	[ "$BENCH_RC" = 0 ] &&
	    [ "$(bj "$T/out/store2" 'J["messages"] == 60 and J["verdicts"]["error"] == 0')" = True ]
	t_check "store: all 60 messages answered while the database fails" $? \
	    "rc $BENCH_RC: $(head -c 300 "$T/out/store2.err")"
	wait_for 10 grep -q 'history: database write failed.*journal' \
	    "$T/store.log"
	t_check "store: the failed commit is logged, records go to the journal" \
	    $? "$(grep history: "$T/store.log" | tail -3)"
	wait_for 5 jsize_over 0
	t_check "store: the journal holds the outcomes ($(jsize) bytes)" $?
	# the writer retries 5 s after the failure: the file is unwritable
	wait_for 10 grep -q 'history: database .*unavailable.*denied' \
	    "$T/store.log"
	t_check "store: the reconnection fails (permission denied), logged" \
	    $? "$(grep history: "$T/store.log" | tail -3)"
	bench "$T/out/store3" --milter "inet:$SPORT@127.0.0.1" -c 4 -n 40
	[ "$BENCH_RC" = 0 ] &&
	    [ "$(bj "$T/out/store3" 'J["messages"] == 40 and J["verdicts"]["error"] == 0')" = True ]
	t_check "store: 40 more answered while the database is unwritable" $? \
	    "rc $BENCH_RC: $(head -c 300 "$T/out/store3.err")"
	info "store: journal $(jsize) bytes, database $(rows) rows during the outage"
	[ "$(rows)" = 20 ]
	t_check "store: nothing reached the database during the outage" $?
	_t=$(now_ms)
	chmod 0750 "$S/hist"
	chmod 0640 "$DB" "$DB-wal" "$DB-shm" 2>/dev/null
	touch "$S/unlock"
	wait "$_lp"
	# the next retry comes 10 s after the failed one
	wait_for 25 rows_are 120
	_n=$(rows)
	info "store: $_n rows $(($(now_ms) - _t)) ms after the recovery"
	[ "$_n" = 120 ]
	t_check "store: after recovery all 120 outcomes are in the database" $? \
	    "$_n rows; $(grep history: "$T/store.log" | tail -3)"
	grep -q 'history: journal .* records written to the database' \
	    "$T/store.log"
	t_check "store: the journal replay is logged" $?
	bench "$T/out/store4" --milter "inet:$SPORT@127.0.0.1" -c 2 -n 20
	wait_for 5 rows_are 140
	t_check "store: 20 more after recovery: 140 rows" $? \
	    "rc $BENCH_RC, $(rows) rows"
	_d=$(rows distinct)
	[ "$_d" = 140 ]
	t_check "store: no outcome recorded twice ($_d distinct ids)" $?
	[ "$(jsize)" = 0 ]
	t_check "store: the journal is empty again" $? "$(jsize) bytes"
	dstop store "$SD" 15
	! grep -q 'outcomes left in the journal\|records not stored' \
	    "$T/store.log"
	t_check "store: nothing lost or left in the journal at exit" $? \
	    "$(grep history: "$T/store.log" | tail -3)"
	[ ! -e "$S/run/store.pid" ]
	t_check "store: PidFile removed by the unprivileged daemon" $?
	sancheck store "$SD"
}
# rows [distinct]: the messages recorded in $DB (-1: unreadable)
rows() {
	"$PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
what = "count(distinct id)" if len(sys.argv) > 2 else "count(*)"
print(c.execute("select %s from messages" % what).fetchone()[0])' \
	    "$DB" "$@" 2>/dev/null || echo -1
}
rows_are() { [ "$(rows)" = "$1" ]; }
jsize() { stat -c %s "$S/spool/store.journal" 2>/dev/null || echo 0; }
jsize_over() { [ "$(jsize)" -gt "$1" ]; }

# ================================================================ main

want dns && dns_section
want drops && drops_section
want conc && conc_section
want reload && reload_section
want term && term_section
want store && store_section
dstop_collect

# every process of ours built with sanitizers (milter-bench too)
if grep -l -E 'ERROR|runtime error|LeakSanitizer' "$T"/asan/* >/dev/null 2>&1; then
	t_fail "sanitizers: no report from any process" \
	    "$(cat "$T"/asan/* | head -60)"
else
	t_ok "sanitizers: no report from any process"
fi

if [ "$T_FAIL" -ne 0 ]; then
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f"), last 15 lines"
		tail -15 "$f"
	done
fi
echo "run took $(($(date +%s) - T0)) s"
t_done
