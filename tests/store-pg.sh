#!/bin/sh
# tests/store-pg.sh - the store tests against a PostgreSQL server of our
# own: initdb in a temporary directory (trust, loopback only, a free port,
# the socket in that directory), tests/unit/test-store --pg, then the
# server is stopped and everything removed.  The test itself stops and
# restarts the server under load (STORE_TEST_PG_STOP / _START).
# Without the server binaries (Debian: postgresql) it prints "skip: ..."
# and exits 77, which automake counts as skipped.
. "$(dirname "$0")/lib.sh"

bindir=$(pg_bindir) || skip "no PostgreSQL server binaries (initdb, pg_ctl, postgres)"

test_store=$top_builddir/tests/unit/test-store
if [ ! -x "$test_store" ]; then
	echo "FAIL: $test_store not built"
	echo "0 passed, 1 failed"
	exit 1
fi

# initdb refuses to run as root: run the server as "postgres"
as=
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || skip "running as root and no postgres user"
	as="runuser -u postgres --"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/store-pg.XXXXXX") || exit 1
chmod 0755 "$tmp"
[ -z "$as" ] || chown postgres "$tmp"
data=$tmp/data
cleanup() {
	$as "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! $as "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
    --no-locale --no-sync >"$tmp/initdb.log" 2>&1; then
	echo "FAIL: initdb"
	tail -5 "$tmp/initdb.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# a free port: try a few from a per-process base
port=$((20000 + $$ % 20000))
started=
for try in 1 2 3 4 5; do
	pgopts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$tmp"
	if $as "$bindir/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 30 \
	    -o "$pgopts" start >/dev/null 2>&1; then
		started=1
		break
	fi
	port=$((port + 1 + try * 7))
done
if [ -z "$started" ]; then
	echo "FAIL: the server did not start"
	tail -5 "$tmp/server.log"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "postgresql: $bindir on 127.0.0.1:$port"

STORE_TEST_PG_URI="postgresql://postgres@127.0.0.1:$port/postgres"
STORE_TEST_PG_STOP="$as '$bindir/pg_ctl' -D '$data' -m fast -w stop >/dev/null"
STORE_TEST_PG_START="$as '$bindir/pg_ctl' -D '$data' -l '$tmp/server.log' -w -t 30 -o '$pgopts' start >/dev/null"
export STORE_TEST_PG_URI STORE_TEST_PG_STOP STORE_TEST_PG_START
"$test_store" --pg
status=$?
exit $status
