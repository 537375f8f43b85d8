#!/bin/sh
# tests/daemon.sh - dmarc-milter's command line, start-up and signals,
# seen only through files, exit codes and signals (the milter protocol is
# tested end to end with Postfix in tests/e2e/)
. "$(dirname "$0")/lib.sh"
D="$top_builddir/milter/dmarc-milter"
# the daemon works in / once in the background: absolute paths only
top_srcdir=$(cd "$top_srcdir" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"	# readable by the UserID test's user
pids=""
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	[ -n "$KEEP" ] || rm -rf "$tmp"
}
trap cleanup EXIT

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

# wait_for SECONDS COMMAND...: until COMMAND succeeds; 0, or 1 on timeout
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
in_log() { grep -q "$1" "$2"; }

# ---- options ----
run 0 "-V" -V
grep -qx 'dmarc-milter [0-9][0-9.]*' "$tmp/out"
t_check "-V prints \"dmarc-milter VERSION\"" $? "$(cat "$tmp/out")"
run 2 "unknown option" -x
run 2 "extra argument" -n extra

cat >"$tmp/good.conf" <<EOF
# a good configuration
Socket unix:$tmp/milter.sock
SocketMode 0600
PidFile $tmp/milter.pid
DNSZoneFile $top_srcdir/contrib/sample/sample.zone
HistoryDB sqlite:$tmp/hist0/history.db
SpoolDirectory $tmp/spool0
IgnoreHosts 127.0.0.0/8, ::1, 192.0.2.0/24
EOF
run 0 "-n on a good file" -n -c "$tmp/good.conf"
grep -qx "configuration OK" "$tmp/out"
t_check "-n says configuration OK" $? "$(cat "$tmp/out")"

printf 'AuthservID mx.example.net\n\nBogus 1\n' >"$tmp/bad.conf"
run 1 "-n on an unknown key" -n -c "$tmp/bad.conf"
grep -qx "$tmp/bad.conf:3: unknown option \"Bogus\"" "$tmp/err"
t_check "-n names FILE:LINE" $? "$(cat "$tmp/err")"

printf '# socket\nSocket tcp:8893@127.0.0.1\n' >"$tmp/sock.conf"
run 1 "-n on a bad Socket" -n -c "$tmp/sock.conf"
grep -q "^$tmp/sock.conf:2: Socket: \"tcp:8893@127.0.0.1\": expected inet" \
    "$tmp/err"
t_check "bad Socket names the line" $? "$(cat "$tmp/err")"
printf 'Socket inet:99999@127.0.0.1\n' >"$tmp/sock.conf"
run 1 "-n on a bad port" -n -c "$tmp/sock.conf"
grep -q "^$tmp/sock.conf:1: Socket: .*bad port" "$tmp/err"
t_check "bad port is named" $? "$(cat "$tmp/err")"

printf 'SocketMode 0660\nUserID no-such-user-dm\n' >"$tmp/user.conf"
run 1 "-n on a missing user" -n -c "$tmp/user.conf"
grep -qx "$tmp/user.conf:2: UserID: no user \"no-such-user-dm\"" "$tmp/err"
t_check "missing user names the line" $? "$(cat "$tmp/err")"

printf 'IgnoreHosts %s/no-such-list\n' "$tmp" >"$tmp/list.conf"
run 1 "-n on a missing IgnoreHosts file" -n -c "$tmp/list.conf"
grep -q "^$tmp/list.conf:1: IgnoreHosts: $tmp/no-such-list: " "$tmp/err"
t_check "missing list file is named" $? "$(cat "$tmp/err")"

printf 'DNSZoneFile %s/no-such-zone\n' "$tmp" >"$tmp/zone.conf"
run 1 "-n builds the resolver (missing zone file)" -n -c "$tmp/zone.conf"
run 1 "a missing -c file" -n -c "$tmp/none.conf"
grep -q "^$tmp/none.conf: No such file or directory" "$tmp/err"
t_check "a missing -c file is named" $? "$(cat "$tmp/err")"

# ---- a foreground run on a unix socket ----
"$D" -f -c "$tmp/good.conf" >"$tmp/fg.out" 2>"$tmp/fg.log" &
pid=$!
pids="$pids $pid"
wait_for 10 test -S "$tmp/milter.sock"
t_check "the unix socket is created" $? "$(cat "$tmp/fg.log")"
mode=$(stat -c %a "$tmp/milter.sock" 2>/dev/null)
[ "$mode" = 600 ]
t_check "SocketMode 0600 is applied" $? "mode $mode"
wait_for 5 test -s "$tmp/milter.pid"
[ "$(cat "$tmp/milter.pid" 2>/dev/null)" = "$pid" ]
t_check "PidFile holds the pid" $? "$(cat "$tmp/milter.pid" 2>/dev/null)"
mode=$(stat -c %a "$tmp/milter.pid" 2>/dev/null)
[ "$mode" = 644 ]
t_check "PidFile mode 0644" $? "mode $mode"
wait_for 5 in_log "started: dmarc-milter" "$tmp/fg.log"
t_check "-f logs to stderr" $? "$(cat "$tmp/fg.log")"

kill -USR1 "$pid"
wait_for 10 in_log "reloaded $tmp/good.conf" "$tmp/fg.log"
t_check "SIGUSR1 reloads" $? "$(cat "$tmp/fg.log")"

cp "$tmp/good.conf" "$tmp/good.conf.orig"
printf 'TrustedForwarders 192.0.2.0/24, example.com\n' >>"$tmp/good.conf"
kill -USR1 "$pid"
wait_for 10 in_log "reload of $tmp/good.conf failed, keeping the current configuration: $tmp/good.conf:9: TrustedForwarders: bad entry \"example.com\"" "$tmp/fg.log"
t_check "a broken file is logged with FILE:LINE" $? "$(tail -3 "$tmp/fg.log")"
sleep 0.5
alive "$pid"
t_check "and the daemon keeps running" $?
test -S "$tmp/milter.sock"
t_check "with its socket" $?
cp "$tmp/good.conf.orig" "$tmp/good.conf"
kill -USR1 "$pid"
wait_for 10 sh -c "[ \$(grep -c 'reloaded $tmp/good.conf' '$tmp/fg.log') -ge 2 ]"
t_check "a fixed file reloads again" $? "$(tail -3 "$tmp/fg.log")"

kill -TERM "$pid"
wait_for 20 dead "$pid"
t_check "SIGTERM stops it" $?
wait "$pid"
rc=$?
[ "$rc" -eq 0 ]
t_check "exit status 0 after SIGTERM" $? "exit $rc: $(tail -5 "$tmp/fg.log")"
[ ! -e "$tmp/milter.pid" ]
t_check "the PidFile is removed" $?
[ ! -e "$tmp/milter.sock" ]
t_check "the socket is removed" $?
grep -q "stopped" "$tmp/fg.log"
t_check "the stop is logged" $? "$(tail -3 "$tmp/fg.log")"

# ---- in the background ----
"$D" -c "$tmp/good.conf" >"$tmp/bg.out" 2>"$tmp/bg.err"
rc=$?
[ "$rc" -eq 0 ]
t_check "without -f the command returns 0 once ready" $? \
    "exit $rc: $(cat "$tmp/bg.err")"
bgpid=$(cat "$tmp/milter.pid" 2>/dev/null)
[ -n "$bgpid" ] && alive "$bgpid"
t_check "the daemon runs in the background" $?
pids="$pids $bgpid"
test -S "$tmp/milter.sock"
t_check "with its socket" $?
[ -n "$bgpid" ] && kill -TERM "$bgpid"
wait_for 20 dead "${bgpid:-0}"
t_check "SIGTERM stops the background daemon" $?
wait_for 5 test ! -e "$tmp/milter.pid"
t_check "and removes its PidFile" $?

# a start-up error is seen and gives exit 1, in the background too
cat >"$tmp/nodir.conf" <<EOF
Socket unix:$tmp/no/such/dir/milter.sock
EOF
"$D" -c "$tmp/nodir.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ]
t_check "a socket that cannot be opened: exit 1" $? "exit $rc"
grep -q "cannot open the socket unix:$tmp/no/such/dir/milter.sock" "$tmp/err"
t_check "and it says why on stderr" $? "$(cat "$tmp/err")"

# ---- UserID: the process gives up root after binding ----
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	nobody=$(id -u nobody)
	cat >"$tmp/user.conf" <<EOF
Socket unix:$tmp/user.sock
UserID nobody
PidFile $tmp/user.pid
DNSZoneFile $top_srcdir/contrib/sample/sample.zone
HistoryDB sqlite:$tmp/hist1/history.db
SpoolDirectory $tmp/spool1
EOF
	chmod 644 "$tmp/user.conf"
	"$D" -f -c "$tmp/user.conf" >"$tmp/u.out" 2>"$tmp/u.log" &
	upid=$!
	pids="$pids $upid"
	wait_for 10 in_log "started: dmarc-milter" "$tmp/u.log"
	t_check "UserID nobody: started" $? "$(cat "$tmp/u.log")"
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$upid/status" 2>/dev/null)
	[ "$uids" = "$nobody $nobody $nobody $nobody" ]
	t_check "UserID nobody: every uid changed" $? "uids $uids"
	owner=$(stat -c %u "$tmp/user.sock" 2>/dev/null)
	[ "$owner" = "$nobody" ]
	t_check "UserID nobody: the socket belongs to nobody" $? "owner $owner"
	[ "$(cat "$tmp/user.pid" 2>/dev/null)" = "$upid" ]
	t_check "UserID nobody: PidFile written before the drop" $?
	kill -TERM "$upid"
	wait_for 20 dead "$upid"
	t_check "UserID nobody: SIGTERM stops it" $?
	wait "$upid"
	rc=$?
	[ "$rc" -eq 0 ]
	t_check "UserID nobody: exit status 0" $? "exit $rc: $(tail -3 "$tmp/u.log")"
else
	echo "skip UserID test: not root, or no user nobody"
fi

t_done
