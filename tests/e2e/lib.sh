# tests/e2e/lib.sh - helpers shared by the end-to-end scripts (sourced
# after tests/lib.sh); they use the caller's $T (temp dir), $PF (Postfix
# config dir) and $PY (python3)

need() {	# need FILE WHAT: a missing dependency is a failure, not a skip
	if [ ! -x "$1" ]; then
		t_fail "setup" "$2 not found: $1"
		t_done
		exit 1
	fi
}

# probe tcp|unix PORT|PATH SECONDS PID [smtp]: 0 once it accepts a
# connection (and, with smtp, sends a 220 greeting); 1 at once if process
# PID (0: none) is gone
probe() {
	"$PY" - "$@" <<'EOF'
import os, socket, sys, time
kind, where, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
pid = int(sys.argv[4])
smtp = len(sys.argv) > 5
end = time.time() + secs
while time.time() < end:
    if pid:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(1)
    try:
        if kind == 'unix':
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(2)
            s.connect(where)
        else:
            s = socket.create_connection(('127.0.0.1', int(where)), 2)
        if not smtp or s.recv(512).startswith(b'220'):
            s.close()
            sys.exit(0)
        s.close()
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}

stop_pid() {	# stop_pid PID SECONDS: SIGTERM, wait, then SIGKILL
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	_n=$(($2 * 10))
	while [ $_n -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		_n=$((_n - 1))
	done
	kill -KILL "$1" 2>/dev/null
	return 0
}

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

# wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds
wait_for() {
	_w=$(($1 * 10))
	shift
	while [ "$_w" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	return 1
}

queue_busy() {	# messages waiting in Postfix's queues (not hold)
	find "$T/spool/maildrop" "$T/spool/incoming" "$T/spool/active" \
	    "$T/spool/deferred" -type f 2>/dev/null | grep -q .
}

sink_count() { find "$T/sink" -type f -name 'msg.*' | wc -l; }

sink_clear() { find "$T/sink" -type f -name 'msg.*' -exec rm -f {} +; }

sink_has() { [ "$(sink_count)" -ge "$1" ] && ! queue_busy; }

# reply NAME: the server's answer to the end of DATA (else its last error)
reply() {
	awk '/^ -> \.$/ { dot = 1; next }
	    dot && /^<(-|\*\*) / { sub(/^<(-|\*\*) +/, ""); print; found = 1; exit }
	    /^<\*\* / { last = $0 }
	    END { if (!found && last != "") print last }' "$T/out/$1"
}

# watchdog SECONDS: SIGTERM to this script after SECONDS, whatever hangs;
# $WATCHDOG is the watcher, for the cleanup to stop
watchdog() {
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$1" &
		s=$!
		wait "$s"
		echo "FAIL watchdog: the run took over $1 s" >&2
		kill -TERM $$
	) &
	WATCHDOG=$!
}

# pf_main_cf DOMAIN SINK_PORT: the main.cf lines every private Postfix of
# the tests shares (queue, data and log under $T, myhostname $AUTHSERV,
# mail relayed to an smtp-sink on SINK_PORT, milters deferring on
# failure); the caller adds its own lines after them
pf_main_cf() {
	cat <<EOF
compatibility_level = 3.6
queue_directory = $T/spool
data_directory = $T/data
maillog_file = $T/postfix.log
maillog_file_prefixes = $T
myhostname = $AUTHSERV
mydomain = $1
inet_interfaces = 127.0.0.1
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
relay_domains = dest.example
relay_transport = smtp:[127.0.0.1]:$2
default_transport = smtp:[127.0.0.1]:$2
smtp_dns_support_level = disabled
smtpd_relay_restrictions = reject_unauth_destination
smtpd_peername_lookup = no
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_command_timeout = 15s
milter_content_timeout = 30s
EOF
}

# pf_services: the master.cf lines of Postfix's own services
pf_services() {
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
}
