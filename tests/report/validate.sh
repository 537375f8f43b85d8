#!/bin/sh
# tests/report/validate.sh - check aggregate reports against the RFC 9990
# schema: each FILE (.xml, or .xml.gz) must be well-formed and valid.
#
#   tests/report/validate.sh FILE...
#
# The schema is tests/report/dmarc-2.0.xsd (a copy of
# ../shared/schemas/dmarc-2.0.xsd, which, when present, must be the same
# file).  Prints "ok FILE" or "FAIL FILE" with xmllint's complaint, then
# "N passed, N failed"; exit 0 only if every file is valid.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$(dirname "$0")/../lib.sh"
xsd="$top_srcdir/tests/report/dmarc-2.0.xsd"
shared="$top_srcdir/../shared/schemas/dmarc-2.0.xsd"

if ! command -v xmllint >/dev/null 2>&1; then
	t_fail "xmllint installed" "Debian package libxml2-utils"
	t_done
	exit 1
fi
if [ -f "$shared" ]; then
	cmp -s "$xsd" "$shared"
	t_check "schema copy matches $shared" $?
fi
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
for f in "$@"; do
	case $f in
	*.gz) gzip -dc -- "$f" >"$tmp" 2>/dev/null || : >"$tmp" ;;
	*) cat -- "$f" >"$tmp" ;;
	esac
	if out=$(xmllint --noout --schema "$xsd" "$tmp" 2>&1); then
		t_ok "$f"
	else
		t_fail "$f" "$(echo "$out" | head -3 | tr '\n' ' ')"
	fi
done
t_done
