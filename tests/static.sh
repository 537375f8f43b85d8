#!/bin/sh
# tests/static.sh - cppcheck over every module (STYLE.md, DESIGN.md 4):
# one check per folder, each must report nothing.
. "$(dirname "$0")/lib.sh"
cd "$top_srcdir" || exit 1
if ! command -v cppcheck >/dev/null 2>&1; then
	skip "cppcheck not installed"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for d in policy auth conf milter report tools; do
	cppcheck --quiet --enable=warning,portability --inline-suppr \
	    --std=c11 -D_GNU_SOURCE -I. -I"$top_builddir" \
	    --suppress=missingIncludeSystem --error-exitcode=1 "$d" >"$out" 2>&1
	t_check "cppcheck $d/" $? "$(head -20 "$out")"
done
t_done
