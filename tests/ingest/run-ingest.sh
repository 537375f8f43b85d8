#!/bin/sh
# tests/ingest/run-ingest.sh - "dmarcctl ingest" and "dmarcctl summary" on
# sample reports, with the SQLite store (the checks are in checks.sh;
# run-ingest-pg.sh runs the same ones on PostgreSQL)
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/ingest/checks.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DB="sqlite:$tmp/history.db"

db_dump() {
	"$PY" - "$tmp/history.db" "$DUMP_REPORTS" "$DUMP_ROWS" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for q in sys.argv[2:]:
    for r in c.execute(q):
        print("|".join("" if x is None else str(x) for x in r))
print("reports", c.execute("SELECT count(*) FROM ingest_reports").fetchone()[0])
print("rows", c.execute("SELECT count(*) FROM ingest_rows").fetchone()[0])
PYEOF
}

run 1 "an empty sqlite: path refused" ingest --db sqlite: "$S/xxe.xml"
grep -q 'not sqlite:PATH' "$tmp/err"
t_check "the message says why" $? "$(cat "$tmp/err")"
ingest_checks

# a report one of whose rows the database refuses: nothing of it is kept
sq() {	# sq FILE SQL: run SQL, print the first column of each row
	"$PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]):
    print(r[0])
c.commit()' "$@"
}
"$D" ingest --db "sqlite:$tmp/atomic.db" "$tmp/in/a.xml" >/dev/null 2>&1 &&
    sq "$tmp/atomic.db" "CREATE TRIGGER t_no BEFORE INSERT ON ingest_rows
	WHEN NEW.source_ip = '203.0.113.9'
	BEGIN SELECT RAISE(ABORT, 't_no refuses it'); END"
t_check "a trigger that refuses one row of report E" $?
run 1 "a database error stops the run (exit 1)" ingest \
    --db "sqlite:$tmp/atomic.db" "$tmp/in/e.xml"
grep -q 'e.xml: refused: sqlite: t_no refuses it' "$tmp/out"
t_check "the database's message is shown" $? "$(cat "$tmp/out")"
[ "$(sq "$tmp/atomic.db" 'SELECT count(*) FROM ingest_reports')" = 1 ] &&
    [ "$(sq "$tmp/atomic.db" 'SELECT count(*) FROM ingest_rows')" = 2 ]
t_check "the refused report rolled back whole" $?
sq "$tmp/atomic.db" "DROP TRIGGER t_no"
run 0 "once allowed, the report is stored (not a duplicate)" ingest \
    --db "sqlite:$tmp/atomic.db" "$tmp/in/e.xml"
grep -q 'e.xml: ingested' "$tmp/out"
t_check "ingested after the rollback" $? "$(cat "$tmp/out")"
t_done
