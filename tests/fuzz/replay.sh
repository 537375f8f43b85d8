#!/bin/sh
# replay.sh - the fuzz corpora and crash reproducers as regression tests
#
# make check runs this with top_srcdir and top_builddir set (by hand they
# default to two levels above this script).  For every
# tests/fuzz/corpus/TARGET/ it runs top_builddir/tests/fuzz/replay-TARGET
# (fuzz-TARGET.c linked with standalone.c: no libFuzzer, any compiler)
# over the seeds and every tests/fuzz/crashes/TARGET-* reproducer: each
# input must hold the target's invariants, under ASan and UBSan when the
# tree is configured with --enable-sanitizers.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/lib.sh"
FUZZ_SESSION_ZONE=${FUZZ_SESSION_ZONE:-$top_srcdir/tests/fuzz/session.zone}
export FUZZ_SESSION_ZONE

for dir in "$top_srcdir"/tests/fuzz/corpus/*/; do
	t=$(basename "$dir")
	bin=$top_builddir/tests/fuzz/replay-$t
	if [ ! -x "$bin" ]; then
		t_fail "replay $t" "$bin not built"
		continue
	fi
	set -- "$dir"
	for c in "$top_srcdir"/tests/fuzz/crashes/"$t"-*; do
		[ -f "$c" ] && set -- "$@" "$c"
	done
	out=$("$bin" "$@" 2>&1)
	rc=$?
	n=$(echo "$out" | sed -nE 's/^ok .*: ([0-9]+) inputs$/\1/p')
	t_check "replay $t (${n:-0} inputs)" "$rc" \
	    "$(echo "$out" | grep -m3 -E 'invariant|ERROR|runtime error')"
done
t_done
