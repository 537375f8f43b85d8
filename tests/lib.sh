# tests/lib.sh - shared by the shell tests: t_ok/t_fail and the total line
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
T_PASS=0
T_FAIL=0
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
t_done() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
