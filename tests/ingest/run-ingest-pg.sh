#!/bin/sh
# tests/ingest/run-ingest-pg.sh - "dmarcctl ingest" and "dmarcctl summary"
# with a PostgreSQL store: a server of our own (initdb in a temporary
# directory, trust, 127.0.0.1 on a free port, the socket in that
# directory), the checks of checks.sh (the same as run-ingest.sh on
# SQLite), then what only a shared server shows: the UNIQUE constraint,
# concurrent runs storing each report once, a failed report rolled back
# whole, the same summary as on SQLite, and test-ingest's store tests.
# Without the server binaries (Debian: postgresql) it prints "skip: ..."
# and exits 77, which automake counts as skipped.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/ingest/checks.sh"

bindir=$(pg_bindir) || skip "no PostgreSQL server binaries (initdb, pg_ctl, postgres)"
PSQL=$bindir/psql
[ -x "$PSQL" ] || PSQL=$(command -v psql) ||
    skip "no psql (PostgreSQL client)"

# initdb refuses to run as root: run the server as "postgres"
as=
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || skip "running as root and no postgres user"
	as="runuser -u postgres --"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ingest-pg.XXXXXX") || exit 1
chmod 0755 "$tmp"
mkdir "$tmp/pg"
[ -z "$as" ] || chown postgres "$tmp/pg"
data=$tmp/pg/data
cleanup() {
	[ -f "$data/postmaster.pid" ] &&
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

# a free port on 127.0.0.1 (another test may take it first: retry)
started=
for try in 1 2 3 4 5; do
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	pgopts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$tmp/pg -c fsync=off"
	if $as "$bindir/pg_ctl" -D "$data" -l "$tmp/pg/server.log" -w -t 30 \
	    -o "$pgopts" start >/dev/null 2>&1; then
		started=1
		break
	fi
done
if [ -z "$started" ]; then
	echo "FAIL: the server did not start"
	tail -5 "$tmp/pg/server.log"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "postgresql: $bindir on 127.0.0.1:$port"
PGURI="postgresql://postgres@127.0.0.1:$port"
DB="$PGURI/postgres"

psqlc() {	# psqlc URI SQL: unaligned, "|" between columns
	"$PSQL" -X -A -t -q -F '|' -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
db_dump() {
	psqlc "$DB" "$DUMP_REPORTS" && psqlc "$DB" "$DUMP_ROWS" &&
	    echo "reports $(psqlc "$DB" 'SELECT count(*) FROM ingest_reports')" &&
	    echo "rows $(psqlc "$DB" 'SELECT count(*) FROM ingest_rows')"
}

# ---- the same checks as on SQLite ----
ingest_checks

# ---- what PostgreSQL adds ----
psqlc "$DB" "SELECT indexdef FROM pg_indexes WHERE tablename = 'ingest_reports'" >"$tmp/idx"
grep -q 'UNIQUE INDEX .* ON public.ingest_reports USING btree (reporter, report_id)' "$tmp/idx"
t_check "pg: UNIQUE (reporter, report_id) on ingest_reports" $? "$(cat "$tmp/idx")"
psqlc "$DB" "SELECT data_type FROM information_schema.columns WHERE table_name = 'ingest_rows' AND column_name = 'count'" >"$tmp/type"
grep -qx 'bigint' "$tmp/type"
t_check "pg: counts are 64-bit (RFC 9990 counts are unsigned 32-bit)" $? "$(cat "$tmp/type")"

# the same summary, text and HTML, from SQLite and from PostgreSQL
"$D" ingest --db "sqlite:$tmp/ref.db" "$tmp/in" >/dev/null 2>&1
"$D" summary --db "sqlite:$tmp/ref.db" --dns-zone "$ZONE" \
    --html "$tmp/ref.html" >"$tmp/ref.txt" 2>&1
"$D" summary --db "$DB" --dns-zone "$ZONE" --html "$tmp/pg.html" \
    >"$tmp/pg.txt" 2>&1
t_check "pg: summary of every domain" $?
grep -q 'all domains: 5 reports, 516 messages' "$tmp/pg.txt" &&
    cmp -s "$tmp/ref.txt" "$tmp/pg.txt" && cmp -s "$tmp/ref.html" "$tmp/pg.html"
t_check "pg: the same summary and page as SQLite's" $? \
    "$(diff "$tmp/ref.txt" "$tmp/pg.txt" | head -20)"

# four runs at once over the same five reports: each stored once
psqlc "$DB" "CREATE DATABASE race" && psqlc "$DB" "CREATE DATABASE atomic" &&
    psqlc "$DB" "CREATE DATABASE unit"
t_check "pg: more databases" $?
for i in 1 2 3 4; do
	"$D" ingest --db "$PGURI/race" "$tmp/in" >"$tmp/race$i" 2>&1 &
done
wait
cat "$tmp/race1" "$tmp/race2" "$tmp/race3" "$tmp/race4" >"$tmp/race"
[ "$(grep -c ': ingested (' "$tmp/race")" -eq 5 ] &&
    [ "$(grep -c ': duplicate: ' "$tmp/race")" -eq 15 ]
t_check "pg: concurrent runs: 5 ingested, 15 duplicates in all" $? \
    "$(cat "$tmp/race")"
[ "$(psqlc "$PGURI/race" 'SELECT count(*) FROM ingest_reports')" = 5 ] &&
    [ "$(psqlc "$PGURI/race" 'SELECT count(*) FROM ingest_rows')" = 16 ]
t_check "pg: concurrent runs: 5 reports and 16 rows stored" $?

# a report one of whose rows the database refuses: nothing of it is kept
"$D" ingest --db "$PGURI/atomic" "$tmp/in/a.xml" >/dev/null 2>&1 &&
    psqlc "$PGURI/atomic" "ALTER TABLE ingest_rows ADD CONSTRAINT t_no
	CHECK (source_ip <> '203.0.113.9')"
t_check "pg: a constraint that refuses one row of report E" $?
run 1 "pg: a database error stops the run (exit 1)" ingest \
    --db "$PGURI/atomic" "$tmp/in/e.xml"
grep -q 'e.xml: refused: postgresql: .*t_no' "$tmp/out"
t_check "pg: the database's message is shown" $? "$(cat "$tmp/out")"
[ "$(psqlc "$PGURI/atomic" "SELECT count(*) FROM ingest_reports")" = 1 ] &&
    [ "$(psqlc "$PGURI/atomic" "SELECT count(*) FROM ingest_rows")" = 2 ]
t_check "pg: the refused report rolled back whole" $?
psqlc "$PGURI/atomic" "ALTER TABLE ingest_rows DROP CONSTRAINT t_no"
run 0 "pg: once allowed, the report is stored (not a duplicate)" ingest \
    --db "$PGURI/atomic" "$tmp/in/e.xml"
grep -q 'e.xml: ingested' "$tmp/out"
t_check "pg: ingested after the rollback" $? "$(cat "$tmp/out")"

# the unit tests of the store on this server
INGEST_TEST_PG_URI="$PGURI/unit" "$top_builddir/tests/unit/test-ingest" \
    >"$tmp/unit" 2>&1
t_check "pg: test-ingest's store tests" $? "$(cat "$tmp/unit")"
grep -q '^ok ingest_db: PostgreSQL store' "$tmp/unit"
t_check "pg: test-ingest ran against the server" $?

# the server gone: a clear error, exit 1
$as "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1
run 1 "pg: server stopped: ingest fails" ingest --db "$DB" "$tmp/in/a.xml"
grep -q '^dmarcctl: postgresql: ' "$tmp/err"
t_check "pg: server stopped: the message says why" $? "$(cat "$tmp/err")"
run 1 "pg: server stopped: summary fails" summary --db "$DB" --no-dns

t_done
