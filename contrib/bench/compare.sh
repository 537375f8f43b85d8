#!/bin/sh
# contrib/bench/compare.sh - dmarc-milter side by side with Debian's
# OpenDKIM -> OpenDMARC chain, on the same corpus, DNS and machine
#
#	contrib/bench/compare.sh [-q] [--postfix] [-n COUNT] [-m PER_CONN]
#	    [-c "1 8 32 256"] [--corpus-size N] [--corpus DIR] [--idle N]
#	    [--soak N] [--builddir DIR] [--keep]
#
# Starts on loopback, as root, in a private temporary directory:
#   - unbound serving only the corpus zone (local-zone static), on a free
#     port of 127.0.0.1 for dmarc-milter and OpenDKIM, and on port 53 of a
#     free loopback address for OpenDMARC and libspf2, which read
#     /etc/resolv.conf: OpenDMARC runs in a private mount namespace where a
#     resolv.conf naming that address is bound over /etc/resolv.conf;
#   - dmarc-milter (Nameservers: that unbound), OpenDKIM (Mode v, the same
#     unbound, InternalHosts empty) and OpenDMARC (SPFSelfValidate, IgnoreHosts
#     empty), all with the same authserv-id and RejectFailures on.
# Then it warms every cache with one pass over the corpus, runs milter-bench
# against dmarc-milter and against the chain at each concurrency (same corpus,
# same count), measures 1000 idle connections, measures the cryptographic
# floor with openssl speed, and prints the table.  It also measures what
# recording costs (the same runs at concurrency 32 against a second
# dmarc-milter with HistoryDB empty, interleaved), and CPU per message
# over a unix: socket.  --soak N sends N messages (concurrency 32) in ten
# parts and prints dmarc-milter's RSS after each.  --postfix adds smtp-source
# runs through a private Postfix instance: no milter, null-milter (a
# libmilter milter that checks nothing: what the protocol alone costs),
# dmarc-milter and the chain, each on inet: and unix: sockets, at 1 and 10
# sessions with a 3 KB DKIM-signed message.
#
# Installs nothing: it says which packages are missing.  Every process it
# starts is stopped on exit; the whole run is bounded by a watchdog.
# -q: a quick smoke run (small corpus and counts).  Exit 0 when every run
# completed without errors, 1 otherwise, 2 on usage or missing tools.
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3
AUTHSERV=mx.bench.example

QUICK=0 POSTFIX=0 KEEP=0
COUNT='' PER_CONN=10 CONCS='1 8 32 256' CORPUS_N='' CORPUS_DIR='' IDLE=1000
BUILDDIR='' SOAK=0
while [ $# -gt 0 ]; do
	case $1 in
	-q) QUICK=1 ;;
	--postfix) POSTFIX=1 ;;
	--keep) KEEP=1 ;;
	-n) COUNT=${2:?}; shift ;;
	-m) PER_CONN=${2:?}; shift ;;
	-c) CONCS=${2:?}; shift ;;
	--corpus-size) CORPUS_N=${2:?}; shift ;;
	--corpus) CORPUS_DIR=${2:?}; shift ;;
	--idle) IDLE=${2:?}; shift ;;
	--soak) SOAK=${2:?}; shift ;;
	--builddir) BUILDDIR=${2:?}; shift ;;
	-h|--help) sed -n '2,35s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	: "${COUNT:=200}" "${CORPUS_N:=200}"
	TCAP=20 WATCH=600 PF_COUNT=100 PF_TCAP=60
else
	: "${COUNT:=2000}" "${CORPUS_N:=2000}"
	TCAP=120 WATCH=3600 PF_COUNT=1000 PF_TCAP=600
fi

# ---------------------------------------------------------------- checks

missing='' pkgs=''
need() {	# need COMMAND PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then
		missing="$missing $1"
		case " $pkgs " in *" $2 "*) ;; *) pkgs="$pkgs $2" ;; esac
	fi
}
need unbound unbound
need unbound-checkconf unbound
need opendkim opendkim
need opendmarc opendmarc
need openssl openssl
need unshare util-linux
need cc gcc
if [ "$POSTFIX" = 1 ]; then
	need postfix postfix
	need smtp-source postfix
	need smtp-sink postfix
fi
[ -x "$PY" ] || { missing="$missing $PY"; pkgs="$pkgs python3"; }
if [ -x "$PY" ] && ! "$PY" -c 'import dkim, nacl' 2>/dev/null; then
	missing="$missing python-modules"
	pkgs="$pkgs python3-dkim python3-nacl"
fi
if [ -n "$missing" ]; then
	echo "compare.sh: missing:$missing" >&2
	echo "compare.sh: install with: apt-get install$pkgs" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "compare.sh: run as root (mount namespace for OpenDMARC's" \
	    "resolv.conf, Postfix)" >&2
	exit 2
fi
if [ -z "$BUILDDIR" ]; then
	if [ -x "$top/build/milter/dmarc-milter" ]; then
		BUILDDIR=$top/build
	else
		BUILDDIR=$top
	fi
fi
OURS=$BUILDDIR/milter/dmarc-milter
if [ ! -x "$OURS" ]; then
	echo "compare.sh: $OURS not found: build the daemon first" \
	    "(or give --builddir)" >&2
	exit 2
fi

# ---------------------------------------------------------------- lifecycle

RUN=$(mktemp -d /tmp/dmarc-bench.XXXXXX) || exit 2
chmod 755 "$RUN"	# Postfix (user postfix) reaches the unix sockets
PIDS='' WATCHDOG='' PF_STARTED=0
started() { PIDS="$PIDS $1"; }

# shellcheck disable=SC2317 # called from the EXIT trap
# stop_all: SIGTERM to every process started here, SIGKILL to those
# still running 10 s later; wait reaps them (kill -0 would see zombies)
stop_all() {
	[ -n "$PIDS" ] || return 0
	for _p in $PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	(
		sleep 10
		for _p in $PIDS; do
			kill -KILL "$_p" 2>/dev/null
		done
	) &
	_killer=$!
	for _p in $PIDS; do
		wait "$_p" 2>/dev/null
	done
	kill -TERM "$_killer" 2>/dev/null
	PIDS=''
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	if [ "$PF_STARTED" = 1 ]; then
		postfix -c "$RUN/pf" stop >/dev/null 2>&1
		_n=100
		while [ "$_n" -gt 0 ] && [ -f "$RUN/spool/pid/master.pid" ] &&
		    kill -0 "$(tr -d ' ' <"$RUN/spool/pid/master.pid")" \
		    2>/dev/null; do
			sleep 0.1
			_n=$((_n - 1))
		done
	fi
	stop_all
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		echo "kept $RUN"
	else
		rm -rf "$RUN"
	fi
}
# shellcheck disable=SC2154 # st is set inside the trap
trap 'st=$?; cleanup; exit $st' EXIT
trap 'exit 1' INT TERM HUP

(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep "$WATCH" &
	s=$!
	wait "$s"
	echo "compare.sh: watchdog: the run took over $WATCH s" >&2
	kill -TERM $$
) &
WATCHDOG=$!

die() {
	echo "compare.sh: $*" >&2
	exit 1
}
say() { echo "== $*" >&2; }

# free_ports N: N TCP ports free on 127.0.0.1 now
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
EOF
}

# port53_addr: a loopback address whose UDP and TCP port 53 are free
port53_addr() {
	"$PY" - <<'EOF'
import socket, sys
for last in [1] + list(range(53, 64)):
    addr = '127.0.0.%d' % last
    ok = True
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((addr, 53))
        except OSError:
            ok = False
        s.close()
    if ok:
        print(addr)
        sys.exit(0)
sys.exit(1)
EOF
}

# dns_ok ADDR PORT NAME: unbound answers a TXT query for NAME
dns_ok() {
	"$PY" - "$@" <<'EOF'
import socket, struct, sys
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
q = struct.pack('>HHHHHH', 0x4242, 0x0100, 1, 0, 0, 0)
for label in name.rstrip('.').split('.'):
    q += bytes([len(label)]) + label.encode()
q += b'\0' + struct.pack('>HH', 16, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
try:
    s.sendto(q, (addr, port))
    r = s.recv(4096)
except OSError:
    sys.exit(1)
sys.exit(0 if r[3] & 0x0f == 0 and struct.unpack('>H', r[6:8])[0] > 0 else 1)
EOF
}

# probe tcp PORT | probe unix PATH: accepts a connection within 15 s
probe() {
	"$PY" - "$@" <<'EOF'
import socket, sys, time
kind, where = sys.argv[1], sys.argv[2]
end = time.time() + 15
while time.time() < end:
    try:
        if kind == 'unix':
            s = socket.socket(socket.AF_UNIX)
            s.connect(where)
        else:
            s = socket.create_connection(('127.0.0.1', int(where)), 2)
        s.close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# manifest KEY: a value from the corpus manifest
manifest() {
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	    "$DATA/manifest.json" "$1"
}

# ---------------------------------------------------------------- build

BENCH=$BUILDDIR/contrib/bench/milter-bench
if [ ! -x "$BENCH" ]; then
	BENCH=$RUN/milter-bench
	say "building milter-bench"
	# shellcheck disable=SC2046
	cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra \
	    $(pkg-config --cflags libbsd-overlay) -o "$BENCH" \
	    "$here/milter-bench.c" $(pkg-config --libs libbsd-overlay) \
	    -lpthread || die "cannot build milter-bench"
fi

# ---------------------------------------------------------------- corpus

if [ -n "$CORPUS_DIR" ]; then
	DATA=$CORPUS_DIR
	[ -f "$DATA/manifest.json" ] || die "$DATA: no manifest.json"
else
	DATA=$RUN/data
	say "corpus: $CORPUS_N messages"
	"$PY" "$here/mkcorpus.py" -n "$CORPUS_N" "$DATA" >&2 ||
	    die "mkcorpus.py failed"
fi
CORPUS_N=$(find "$DATA/corpus" -name '*.eml' | wc -l)

# ---------------------------------------------------------------- DNS

# shellcheck disable=SC2046 # a list of numbers
set -- $(free_ports 15)
DNSPORT=$1 P_OURS=$2 P_DKIM=$3 P_DMARC=$4 P_SMTP0=$5 P_SMTP1=$6
P_SMTP2=$7 P_SMTP3=$8 P_SMTP4=$9
shift 9
P_SINK=$1 P_NOREC=$2 P_SMTP5=$3 P_SMTP6=$4 P_NULL=$5
DNS53=$(port53_addr) || die "no loopback address with port 53 free"

cat >"$RUN/unbound.conf" <<EOF
server:
	interface: 127.0.0.1@$DNSPORT
	interface: $DNS53@53
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$RUN"
	pidfile: "$RUN/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 0
	num-threads: 1
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	local-zone: "." static
	include: "$DATA/unbound.conf"
remote-control:
	control-enable: no
EOF
unbound-checkconf "$RUN/unbound.conf" >"$RUN/unbound.check" 2>&1 ||
    die "unbound-checkconf: $(head -c 400 "$RUN/unbound.check")"
unbound -d -c "$RUN/unbound.conf" >"$RUN/unbound.log" 2>&1 &
started $!
QNAME=_dmarc.$(manifest postfix_domain)
_n=50
until dns_ok 127.0.0.1 "$DNSPORT" "$QNAME" && dns_ok "$DNS53" 53 "$QNAME"; do
	_n=$((_n - 1))
	[ $_n -gt 0 ] || die "unbound does not answer: $(head -c 400 "$RUN/unbound.log")"
	sleep 0.1
done
echo "nameserver $DNS53" >"$RUN/resolv.conf"
: >"$RUN/empty"

# ---------------------------------------------------------------- milters

# ours NAME SOCKET [norec]: dmarc-milter with its own config, log, pid
# and outcome store (none with norec)
ours() {
	if [ "${3:-}" = norec ]; then
		_hist=''
	else
		_hist="sqlite:$RUN/$1-store/history.db"
	fi
	cat >"$RUN/$1.conf" <<EOF
Socket $2
SocketMode 0666
AuthservID $AUTHSERV
Nameservers 127.0.0.1@$DNSPORT
IgnoreHosts 10.255.255.255/32
RejectFailures yes
QuarantineAction hold
HistoryDB $_hist
SpoolDirectory $RUN/$1-store/spool
EOF
	"$OURS" -n -c "$RUN/$1.conf" >"$RUN/$1.check" 2>&1 ||
	    die "dmarc-milter -n: $(cat "$RUN/$1.check")"
	"$OURS" -f -c "$RUN/$1.conf" >"$RUN/$1.log" 2>&1 &
	_pid=$!
	started $_pid
	eval "PID_$1=$_pid"
}

# chain NAME DKIM-SOCKET DMARC-SOCKET: OpenDKIM (verify) and OpenDMARC
chain() {
	cat >"$RUN/$1-dkim.conf" <<EOF
Mode v
Socket $2
PidFile $RUN/$1-dkim.pid
Background no
Syslog no
UMask 000
Nameservers 127.0.0.1@$DNSPORT
InternalHosts $RUN/empty
AuthservID $AUTHSERV
EOF
	cat >"$RUN/$1-dmarc.conf" <<EOF
Socket $3
PidFile $RUN/$1-dmarc.pid
Background false
Syslog false
UMask 000
AuthservID $AUTHSERV
TrustedAuthservIDs $AUTHSERV
IgnoreHosts $RUN/empty
RejectFailures true
HoldQuarantinedMessages true
SPFSelfValidate true
FailureReports false
EOF
	opendkim -n -x "$RUN/$1-dkim.conf" >"$RUN/$1-dkim.check" 2>&1 ||
	    die "opendkim -n: $(cat "$RUN/$1-dkim.check")"
	opendkim -f -x "$RUN/$1-dkim.conf" >"$RUN/$1-dkim.log" 2>&1 &
	_pid=$!
	started $_pid
	eval "PID_$1_dkim=$_pid"
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --propagation private sh -c \
	    'mount --bind "$1" /etc/resolv.conf && exec opendmarc -f -c "$2"' \
	    sh "$RUN/resolv.conf" "$RUN/$1-dmarc.conf" \
	    >"$RUN/$1-dmarc.log" 2>&1 &
	_pid=$!
	started $_pid
	eval "PID_$1_dmarc=$_pid"
}

say "starting dmarc-milter, OpenDKIM and OpenDMARC"
ours ours "inet:$P_OURS@127.0.0.1"
ours norec "inet:$P_NOREC@127.0.0.1" norec
ours oursl "unix:$RUN/oursl.sock"
chain chain "inet:$P_DKIM@127.0.0.1" "inet:$P_DMARC@127.0.0.1"
probe tcp "$P_OURS" || die "dmarc-milter does not listen: $(tail -5 "$RUN/ours.log")"
probe tcp "$P_NOREC" || die "dmarc-milter (norec) does not listen: $(tail -5 "$RUN/norec.log")"
probe unix "$RUN/oursl.sock" || die "dmarc-milter (unix) does not listen: $(tail -5 "$RUN/oursl.log")"
probe tcp "$P_DKIM" || die "opendkim does not listen: $(tail -5 "$RUN/chain-dkim.log")"
probe tcp "$P_DMARC" || die "opendmarc does not listen: $(tail -5 "$RUN/chain-dmarc.log")"
M_OURS="--milter inet:$P_OURS@127.0.0.1"
M_NOREC="--milter inet:$P_NOREC@127.0.0.1"
M_OURSL="--milter unix:$RUN/oursl.sock"
M_CHAIN="--milter inet:$P_DKIM@127.0.0.1 --milter inet:$P_DMARC@127.0.0.1"
# shellcheck disable=SC2154
PIDS_CHAIN="$PID_chain_dkim,$PID_chain_dmarc"

FAILED=0
# bench NAME ARGS...: one milter-bench run, JSON in $RUN/res/NAME.json
mkdir -p "$RUN/res"
bench() {
	_name=$1
	shift
	if ! "$BENCH" --corpus "$DATA/corpus" --json "$@" \
	    >"$RUN/res/$_name.json" 2>"$RUN/res/$_name.err"; then
		FAILED=1
		echo "compare.sh: run $_name had errors:" >&2
		head -5 "$RUN/res/$_name.err" >&2
	fi
}

say "warming caches ($CORPUS_N messages each)"
# shellcheck disable=SC2086
bench warm-ours $M_OURS -c 8 -m "$PER_CONN" -n "$CORPUS_N" -t "$TCAP"
# shellcheck disable=SC2086
bench warm-chain $M_CHAIN -c 8 -m "$PER_CONN" -n "$CORPUS_N" -t "$TCAP"
# shellcheck disable=SC2086
bench warm-norec $M_NOREC -c 8 -m "$PER_CONN" -n "$CORPUS_N" -t "$TCAP"
# shellcheck disable=SC2086
bench warm-oursl $M_OURSL -c 8 -m "$PER_CONN" -n "$CORPUS_N" -t "$TCAP"

for c in $CONCS; do
	say "concurrency $c: $COUNT messages, $PER_CONN a connection"
	# shellcheck disable=SC2086,SC2154
	bench "ours-c$c" $M_OURS -c "$c" -m "$PER_CONN" -n "$COUNT" \
	    -t "$TCAP" --pid "$PID_ours"
	# shellcheck disable=SC2086
	bench "chain-c$c" $M_CHAIN -c "$c" -m "$PER_CONN" -n "$COUNT" \
	    -t "$TCAP" --pid "$PIDS_CHAIN"
done
say "recording on and off, and a unix: socket: concurrency 32, interleaved"
for r in 1 2; do
	# shellcheck disable=SC2086,SC2154
	bench "rec$r" $M_OURS -c 32 -m "$PER_CONN" -n "$COUNT" -t "$TCAP" \
	    --pid "$PID_ours"
	# shellcheck disable=SC2086,SC2154
	bench "norec$r" $M_NOREC -c 32 -m "$PER_CONN" -n "$COUNT" -t "$TCAP" \
	    --pid "$PID_norec"
done
# shellcheck disable=SC2086,SC2154
bench unix-c32 $M_OURSL -c 32 -m "$PER_CONN" -n "$COUNT" -t "$TCAP" \
    --pid "$PID_oursl"

if [ "$IDLE" -gt 0 ]; then
	say "$IDLE idle connections"
	# shellcheck disable=SC2086
	bench idle-ours $M_OURS --idle "$IDLE" -n 0 --pid "$PID_ours"
	# shellcheck disable=SC2086
	bench idle-chain $M_CHAIN --idle "$IDLE" -n 0 --pid "$PIDS_CHAIN"
fi

if [ "$SOAK" -gt 0 ]; then
	say "soak: $SOAK messages in ten parts"
	: >"$RUN/res/soak.txt"
	_part=$((SOAK / 10))
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		# shellcheck disable=SC2086
		bench "soak$_i" $M_OURS -c 32 -m 100 -n "$_part" \
		    --pid "$PID_ours"
		echo "$_i $_part $(awk '/^VmRSS:/ { print $2 }' \
		    "/proc/$PID_ours/status") $(awk '/^VmHWM:/ { print $2 }' \
		    "/proc/$PID_ours/status")" >>"$RUN/res/soak.txt"
	done
fi

say "cryptographic floor (openssl speed)"
openssl speed -seconds 1 rsa2048 ed25519 >"$RUN/res/speed-pk.txt" 2>/dev/null
openssl speed -seconds 1 -bytes 16384 -evp sha256 \
    >"$RUN/res/speed-sha.txt" 2>/dev/null

# ---------------------------------------------------------------- Postfix

if [ "$POSTFIX" = 1 ]; then
	say "Postfix: private instance, smtp-source"
	ours oursu "unix:$RUN/ours.sock"
	chain chainu "unix:$RUN/dkim.sock" "unix:$RUN/dmarc.sock"
	probe unix "$RUN/ours.sock" || die "dmarc-milter (unix) does not listen"
	probe unix "$RUN/dkim.sock" || die "opendkim (unix) does not listen"
	probe unix "$RUN/dmarc.sock" || die "opendmarc (unix) does not listen"
	# the baseline: a libmilter milter that checks nothing
	NULLM=$BUILDDIR/contrib/bench/null-milter
	if [ -x "$NULLM" ]; then
		"$NULLM" "inet:$P_NULL@127.0.0.1" >"$RUN/null-inet.log" 2>&1 &
		started $!
		"$NULLM" "unix:$RUN/null.sock" >"$RUN/null-unix.log" 2>&1 &
		started $!
		probe tcp "$P_NULL" || die "null-milter does not listen"
		probe unix "$RUN/null.sock" || die "null-milter (unix) does not listen"
		chmod 666 "$RUN/null.sock"
		NULLV="null-inet:$P_SMTP5 null-unix:$P_SMTP6"
	else
		NULLV=''
	fi
	PF=$RUN/pf
	mkdir -p "$PF" "$RUN/spool" "$RUN/data-pf"
	cat >"$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $RUN/spool
data_directory = $RUN/data-pf
maillog_file = $RUN/postfix.log
maillog_file_prefixes = $RUN
myhostname = $AUTHSERV
mydomain = bench.example
inet_interfaces = 127.0.0.1
inet_protocols = all
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
relay_domains = dest.example
relay_transport = smtp:[127.0.0.1]:$P_SINK
default_transport = smtp:[127.0.0.1]:$P_SINK
smtp_dns_support_level = disabled
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_milters =
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_command_timeout = 15s
milter_content_timeout = 30s
EOF
	{
		echo "127.0.0.1:$P_SMTP0 inet n - n - - smtpd"
		echo "127.0.0.1:$P_SMTP1 inet n - n - - smtpd"
		echo "  -o smtpd_milters=inet:127.0.0.1:$P_OURS"
		echo "127.0.0.1:$P_SMTP2 inet n - n - - smtpd"
		echo "  -o smtpd_milters=unix:$RUN/ours.sock"
		echo "127.0.0.1:$P_SMTP3 inet n - n - - smtpd"
		echo "  -o smtpd_milters=inet:127.0.0.1:$P_DKIM,inet:127.0.0.1:$P_DMARC"
		echo "127.0.0.1:$P_SMTP5 inet n - n - - smtpd"
		echo "  -o smtpd_milters=inet:127.0.0.1:$P_NULL"
		echo "127.0.0.1:$P_SMTP6 inet n - n - - smtpd"
		echo "  -o smtpd_milters=unix:$RUN/null.sock"
		echo "127.0.0.1:$P_SMTP4 inet n - n - - smtpd"
		echo "  -o smtpd_milters=unix:$RUN/dkim.sock,unix:$RUN/dmarc.sock"
		cat <<'EOF'
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	} >"$PF/master.cf"
	smtp-sink -u postfix "127.0.0.1:$P_SINK" 1024 >"$RUN/sink.log" 2>&1 &
	started $!
	if ! postfix -c "$PF" set-permissions >"$RUN/pf-setup.log" 2>&1 ||
	    ! postfix -c "$PF" check >>"$RUN/pf-setup.log" 2>&1; then
		die "postfix check: $(head -c 400 "$RUN/pf-setup.log")"
	fi
	postfix -c "$PF" start >>"$RUN/pf-setup.log" 2>&1 ||
	    die "postfix start: $(head -c 400 "$RUN/pf-setup.log")"
	PF_STARTED=1
	for p in $P_SMTP0 $P_SMTP1 $P_SMTP2 $P_SMTP3 $P_SMTP4 $P_SMTP5 \
	    $P_SMTP6; do
		probe tcp "$p" || die "Postfix does not listen on $p"
	done
	PFMSG=$DATA/postfix/msg3k.eml
	PFFROM=$(manifest postfix_from)
	# warm: every listener starts its 10 smtpd processes and their
	# milter connections
	for p in $P_SMTP0 $P_SMTP1 $P_SMTP2 $P_SMTP3 $P_SMTP4 $P_SMTP5 \
	    $P_SMTP6; do
		timeout "$PF_TCAP" smtp-source -s 10 -m 50 -F "$PFMSG" \
		    -f "$PFFROM" -t sink@dest.example "127.0.0.1:$p" \
		    >/dev/null 2>&1
	done
	: >"$RUN/res/postfix.txt"
	for s in 1 10; do
		# shellcheck disable=SC2086 # a list of words
		for v in none:$P_SMTP0 $NULLV ours-inet:$P_SMTP1 \
		    ours-unix:$P_SMTP2 chain-inet:$P_SMTP3 chain-unix:$P_SMTP4; do
			name=${v%%:*} port=${v#*:}
			before=$(grep -c 'milter-reject' "$RUN/postfix.log" 2>/dev/null)
			t0=$(date +%s.%N)
			timeout "$PF_TCAP" smtp-source -s "$s" -m "$PF_COUNT" \
			    -F "$PFMSG" -f "$PFFROM" -t sink@dest.example \
			    "127.0.0.1:$port" >"$RUN/res/pf-$name-$s.err" 2>&1
			rc=$?
			t1=$(date +%s.%N)
			after=$(grep -c 'milter-reject' "$RUN/postfix.log" 2>/dev/null)
			echo "$s $name $PF_COUNT $t0 $t1 $rc $((after - before))" \
			    >>"$RUN/res/postfix.txt"
			[ "$rc" -eq 0 ] || FAILED=1
		done
	done
fi

# ---------------------------------------------------------------- table

"$PY" - "$RUN/res" "$DATA/manifest.json" "$CONCS" "$IDLE" "$POSTFIX" \
    "$COUNT" "$TCAP" "$SOAK" <<'EOF'
import json, os, re, sys

res, manifest, concs, idle, postfix, count, tcap, soak = sys.argv[1:9]
concs = concs.split()
man = json.load(open(manifest))


def load(name):
    try:
        with open(os.path.join(res, name + '.json')) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rss_mb(r, key='vmhwm_kb'):
    if not r or not r.get('processes'):
        return float('nan')
    return sum(max(p[key], 0) for p in r['processes']) / 1024.0


def ratio(a, b):
    return a / b if b else float('nan')


print('dmarc-milter vs OpenDKIM -> OpenDMARC (milter-bench, direct milter '
      'protocol, inet sockets on loopback)')
print('corpus: %d messages, %.1f MB, %d RSA-2048 and %d ed25519 '
      'signatures; %s' % (man['messages'], man['bytes'] / 1048576.0,
      man['rsa2048_verifies'], man['ed25519_verifies'],
      ', '.join('%s %d' % kv for kv in sorted(man['classes'].items()))))
hdr = ('%5s | %9s %9s %6s | %8s %8s | %8s %8s %6s | %7s %7s | %8s %8s'
       % ('conc', 'ours/s', 'chain/s', 'ratio', 'p50 ours', 'chain',
          'p99 ours', 'chain', 'ratio', 'RSS MB', 'chain', 'CPU ms', 'chain'))
print(hdr)
print('-' * len(hdr))
cpu32 = None
cut = []
for c in concs:
    o, ch = load('ours-c' + c), load('chain-c' + c)
    if not o or not ch:
        print('%5s | run failed' % c)
        continue
    if c == '32' or cpu32 is None:
        cpu32 = (c, o['cpu_ms_per_msg'], ch['cpu_ms_per_msg'])
    if o['messages'] < int(count) or ch['messages'] < int(count):
        cut.append('c=%s: ours %d, chain %d' % (c, o['messages'],
            ch['messages']))
        c += '*'
    print('%5s | %9.1f %9.1f %6.2f | %8.2f %8.2f | %8.2f %8.2f %6.2f | '
          '%7.1f %7.1f | %8.3f %8.3f' % (c, o['msgs_per_s'],
          ch['msgs_per_s'], ratio(o['msgs_per_s'], ch['msgs_per_s']),
          o['latency_ms']['p50'], ch['latency_ms']['p50'],
          o['latency_ms']['p99'], ch['latency_ms']['p99'],
          ratio(o['latency_ms']['p99'], ch['latency_ms']['p99']),
          rss_mb(o), rss_mb(ch), o['cpu_ms_per_msg'], ch['cpu_ms_per_msg']))
print('%s messages a run; ratio = ours/chain (throughput: higher is better; '
      'p99: lower is better).  RSS = VmHWM so far; chain = OpenDKIM + '
      'OpenDMARC; CPU = milter CPU time per message.' % count)
if cut:
    print('* stopped at the %s s cap: %s' % (tcap, '; '.join(cut)))
for c in concs:
    o, ch = load('ours-c' + c), load('chain-c' + c)
    if o and ch:
        print('verdicts c=%s: ours %s; chain %s' % (c,
            ' '.join('%s %d' % kv for kv in o['verdicts'].items() if kv[1]),
            ' '.join('%s %d' % kv for kv in ch['verdicts'].items() if kv[1])))
        break
io, ic = load('idle-ours'), load('idle-chain')
if io and ic:
    print('with %s idle connections: ours %.1f MB RSS (%d threads), chain '
          '%.1f MB (%d threads)' % (idle, rss_mb(io, 'vmrss_idle_kb'),
          max(p['threads_max'] for p in io['processes']),
          rss_mb(ic, 'vmrss_idle_kb'),
          sum(p['threads_max'] for p in ic['processes'])))

# the floor: one thread's openssl speed for the corpus's mix
pk = open(os.path.join(res, 'speed-pk.txt')).read()
sha = open(os.path.join(res, 'speed-sha.txt')).read()
m_rsa = re.search(r'^rsa 2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)', pk,
    re.M)
m_ed = re.search(r'\(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)', pk)
m_sha = re.search(r'^sha256\s+([\d.]+)k', sha, re.M)
if m_rsa and m_ed and m_sha:
    rsa_v, ed_v = float(m_rsa.group(2)), float(m_ed.group(2))
    sha_bps = float(m_sha.group(1)) * 1000
    n = man['messages']
    f_rsa = man['rsa2048_verifies'] / n / rsa_v * 1000
    f_ed = man['ed25519_verifies'] / n / ed_v * 1000
    f_sha = man['sha256_bytes'] / n / sha_bps * 1000
    floor = f_rsa + f_ed + f_sha
    print('crypto floor: RSA-2048 verify %.0f/s, ed25519 verify %.0f/s, '
          'SHA-256 %.0f MB/s -> %.3f ms a message (RSA %.3f + ed25519 '
          '%.3f + SHA-256 %.3f)' % (rsa_v, ed_v, sha_bps / 1e6, floor,
          f_rsa, f_ed, f_sha))
    if cpu32 and cpu32[1] > 0:
        print('CPU per message at c=%s: ours %.3f ms = %.1fx the floor; '
              'chain %.3f ms = %.1fx' % (cpu32[0], cpu32[1],
              cpu32[1] / floor, cpu32[2], cpu32[2] / floor))
    u = load('unix-c32')
    if u and u['cpu_ms_per_msg'] > 0:
        print('CPU per message at c=32 over a unix: socket: ours %.3f ms = '
              '%.1fx the floor' % (u['cpu_ms_per_msg'],
              u['cpu_ms_per_msg'] / floor))
else:
    print('crypto floor: cannot parse openssl speed output')
print('note: milter-bench sets TCP_NODELAY on its own sockets only; each '
      "milter's side keeps its own Nagle setting.")

rec = [load('rec1'), load('rec2')]
nor = [load('norec1'), load('norec2')]
if all(rec) and all(nor):
    mr = sum(r['msgs_per_s'] for r in rec) / 2
    mn = sum(r['msgs_per_s'] for r in nor) / 2
    cr = sum(r['cpu_ms_per_msg'] for r in rec) / 2
    cn = sum(r['cpu_ms_per_msg'] for r in nor) / 2
    print('recording (c=32, two interleaved runs each): HistoryDB on %.1f '
          'msgs/s, %.3f ms CPU; off %.1f msgs/s, %.3f ms CPU: on costs '
          '%.1f%% of throughput, %.1f%% more CPU' % (mr, cr, mn, cn,
          100.0 * (1 - mr / mn), 100.0 * (cr / cn - 1)))

if soak != '0' and os.path.exists(os.path.join(res, 'soak.txt')):
    rows = [l.split() for l in open(os.path.join(res, 'soak.txt'))]
    if rows:
        done = 0
        parts = []
        for i, part, rss, hwm in rows:
            done += int(part)
            parts.append('%dk %.1f' % (done // 1000, int(rss) / 1024.0))
        print('soak, %s messages at c=32: RSS MB after each part: %s; peak '
              '%.1f MB; last/first %.2f' % (soak, ', '.join(parts),
              int(rows[-1][3]) / 1024.0, int(rows[-1][2]) /
              float(rows[0][2])))

if postfix == '1':
    rows = {}
    for line in open(os.path.join(res, 'postfix.txt')):
        s, name, count, t0, t1, rc, rej = line.split()
        rows[(s, name)] = (int(count) / (float(t1) - float(t0)), int(rc),
            int(rej))
    print()
    print('through Postfix (smtp-source, 3 KB DKIM-signed aligned pass '
          'message, %s messages a run)' % count)
    names = ['ours-inet', 'ours-unix', 'chain-inet', 'chain-unix']
    if ('1', 'null-inet') in rows:
        names = ['null-inet', 'null-unix'] + names
    hdr = '%8s | %10s | ' % ('sessions', 'no milter') + ' | '.join(
        '%10s %6s' % (n.replace('-', ' '), 'ratio') for n in names)
    print(hdr)
    print('-' * len(hdr))
    for s in ('1', '10'):
        base = rows.get((s, 'none'), (float('nan'), 1, 0))[0]
        cells = []
        for name in names:
            r = rows.get((s, name), (float('nan'), 1, 0))
            if r[1] != 0:  # smtp-source failed or timed out: no rate
                cells.append('%10s %6s' % ('failed', '-'))
                continue
            mark = '!' if r[2] != 0 else ' '
            cells.append('%9.1f%s %6.2f' % (r[0], mark, ratio(r[0], base)))
        print('%8s | %10.1f | %s' % (s, base, ' | '.join(cells)))
    print('msgs/s; ratio = to no milter; ! = a milter rejected or deferred '
          'mail (see postfix.log); null = contrib/bench/null-milter, '
          'libmilter checking nothing')
EOF
exit "$FAILED"
