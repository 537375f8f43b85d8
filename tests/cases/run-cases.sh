#!/bin/sh
# run-cases.sh - run the dmarcctl eval corpus (tests/cases/NNN-name/)
#
# Environment: top_srcdir and top_builddir (as set by "make check"; both
# default to this script's ../..), DMARCCTL to name another binary,
# CASES_WRAPPER for a command prefix (e.g. "valgrind -q --error-exitcode=99").
# Arguments are passed on to run-cases.py: case names or numbers to run
# only some, -v to show each command and its stderr.
# Exit: 0 all passed, 1 a case failed, 99 the harness could not run.

here=$(cd "$(dirname "$0")" && pwd) || exit 99
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd) || exit 99
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd) || exit 99

DMARCCTL=${DMARCCTL:-$top_builddir/tools/dmarcctl}
if [ ! -x "$DMARCCTL" ]; then
	echo "run-cases.sh: $DMARCCTL is not built" >&2
	exit 99
fi
if [ ! -x /usr/bin/python3 ]; then
	echo "run-cases.sh: /usr/bin/python3 not found" >&2
	exit 99
fi
export DMARCCTL

/usr/bin/python3 "$top_srcdir/tests/cases/run-cases.py" "$@"
status=$?
case $status in
0|1)	exit $status ;;
*)	exit 99 ;;
esac
