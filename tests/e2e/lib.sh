# tests/e2e/lib.sh - helpers shared by the end-to-end scripts (sourced
# after tests/lib.sh); they use the caller's $T (temp dir), $PF (Postfix
# config dir) and $PY (python3)

skip() {
	echo "skip: $1"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
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
