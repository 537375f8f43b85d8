# tests/lib.sh - shared by the shell tests: t_ok/t_fail and the total line
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
T_PASS=0
T_FAIL=0
T_SKIP=0
t_ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok $1"
}
t_fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL $1${2:+: $2}"
}
# t_check NAME CONDITION-EXIT-STATUS [DETAIL]
t_check() {
	if [ "$2" -eq 0 ]; then t_ok "$1"; else t_fail "$1" "${3:-}"; fi
}
# t_skip NAME WHY: a test that cannot run here (not a pass)
t_skip() {
	T_SKIP=$((T_SKIP + 1))
	echo "skip $1${2:+: $2}"
}
t_done() {
	if [ "$T_SKIP" -gt 0 ]; then
		echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	else
		echo "$T_PASS passed, $T_FAIL failed"
	fi
	[ "$T_FAIL" -eq 0 ]
}
# pg_bindir: the newest PostgreSQL server binaries (initdb, pg_ctl,
# postgres) of $PG_BINDIR or Debian's /usr/lib/postgresql/*/bin; 1 if none
pg_bindir() {
	for _d in ${PG_BINDIR:-} $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
	    sort -t/ -k5 -rn); do
		if [ -x "$_d/initdb" ] && [ -x "$_d/pg_ctl" ] &&
		    [ -x "$_d/postgres" ]; then
			echo "$_d"
			return 0
		fi
	done
	return 1
}
# skip WHY: the whole script cannot run here; exit 77 (automake's skip)
skip() {
	echo "skip: $1"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
}
