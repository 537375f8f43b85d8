#!/bin/sh
# fuzz-smoke.sh - run every built libFuzzer target briefly over its corpus
#
# usage: tests/fuzz/fuzz-smoke.sh [-t SECONDS | -r RUNS] BINDIR [SRCDIR]
#
# Builds nothing: BINDIR holds fuzz-TARGET binaries (configure
# --enable-fuzzers with CC=clang; see tests/fuzz/README).  SRCDIR (default:
# two levels above this script) holds tests/fuzz/corpus/TARGET/ and
# tests/fuzz/crashes/TARGET-*.  For each binary:
#   1. every crash reproducer of that target is run once: it must pass
#      now (a regression test);
#   2. the target is fuzzed for SECONDS (default 10) or RUNS executions,
#      with -rss_limit_mb=1024 and -timeout=25, starting from its corpus;
#      new inputs go to a temporary directory, the tree is never written.
# Prints "ok TARGET execs=N cov=C ft=F" (libFuzzer's final "#N DONE cov: C
# ft: F" line) or "FAIL TARGET: why" with the end of the log, and last
# "N passed, N failed".  A crashing input is kept as
# $FUZZ_ARTIFACTS/TARGET-crash-... (default ./fuzz-artifacts).  Exit
# status 1 if anything failed, 2 on bad usage.
set -u

mode="-max_total_time=10"
case "${1:-}" in
-t)
	mode="-max_total_time=$2"
	shift 2
	;;
-r)
	mode="-runs=$2"
	shift 2
	;;
esac
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 [-t SECONDS | -r RUNS] BINDIR [SRCDIR]" >&2
	exit 2
fi
bindir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${2:-$here/../..}" && pwd)
artifacts=${FUZZ_ARTIFACTS:-$(pwd)/fuzz-artifacts}
: "${FUZZ_SESSION_ZONE:=$srcdir/tests/fuzz/session.zone}"
export FUZZ_SESSION_ZONE
pass=0
fail=0

failed() {
	fail=$((fail + 1))
	echo "FAIL $1: $2"
	sed -n '/==ERROR\|invariant failed\|runtime error\|SUMMARY/,$p' "$3" |
	    head -40 | sed 's/^/  /'
}

found=0
for bin in "$bindir"/fuzz-*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	case "$bin" in *.o | *.c | *.sh) continue ;; esac
	found=1
	t=${bin##*/fuzz-}
	corpus=$srcdir/tests/fuzz/corpus/$t
	tmp=$(mktemp -d) || exit 1
	mkdir "$tmp/new" "$tmp/art"

	# 1. the reproducers of crashes found before
	set -- "$srcdir"/tests/fuzz/crashes/"$t"-*
	if [ -e "$1" ] && ! "$bin" -rss_limit_mb=1024 -timeout=25 "$@" \
	    >"$tmp/log" 2>&1; then
		failed "$t" "a crash reproducer fails again" "$tmp/log"
		rm -rf "$tmp"
		continue
	fi

	# 2. a short run from the corpus
	set -- "$tmp/new"
	[ -d "$corpus" ] && set -- "$@" "$corpus"
	"$bin" "$mode" -rss_limit_mb=1024 -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$tmp/art/" "$@" >"$tmp/log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$artifacts"
		for a in "$tmp"/art/*; do
			[ -f "$a" ] && cp "$a" "$artifacts/$t-${a##*/}"
		done
		why=$(grep -m1 -E 'invariant failed|SUMMARY' "$tmp/log")
		failed "$t" "${why:-exit status $rc} (input in $artifacts)" \
		    "$tmp/log"
		rm -rf "$tmp"
		continue
	fi
	line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$tmp/log" | tail -1)
	execs=$(echo "$line" | sed -nE 's/^#([0-9]+).*/\1/p')
	cov=$(echo "$line" | sed -nE 's/.* cov: ([0-9]+).*/\1/p')
	ft=$(echo "$line" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')
	[ -n "$execs" ] || execs=$(sed -nE \
	    's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$tmp/log")
	if [ -z "$execs" ]; then
		failed "$t" "no final statistics" "$tmp/log"
	else
		pass=$((pass + 1))
		echo "ok $t execs=$execs cov=${cov:-?} ft=${ft:-?}"
	fi
	rm -rf "$tmp"
done
if [ "$found" -eq 0 ]; then
	echo "FAIL no fuzz-* binary in $bindir"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
