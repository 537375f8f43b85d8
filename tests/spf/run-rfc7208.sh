#!/bin/sh
# run-rfc7208.sh - the RFC 7208 SPF test suite through tests/spf/spf-suite
#
# make check runs this with top_srcdir and top_builddir set; by hand they
# default to two levels above this script.  The suite comes from Debian's
# python3-spf, is converted at test time by rfc7208.py (Debian's python3
# with python3-yaml) into a temporary directory, and removed afterwards.
# Exit status: 0 when every case passed or is a listed known failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$here/../..}
python=/usr/bin/python3

fail() {
	echo "FAIL rfc7208: $*"
	echo "0 passed, 1 failed"
	exit 1
}

suite=
for f in /usr/share/doc/python3-spf/rfc7208-tests.yml.gz \
    /usr/share/doc/python3-spf/rfc7208-tests.yml; do
	if [ -r "$f" ]; then
		suite=$f
		break
	fi
done
[ -n "$suite" ] || fail "rfc7208-tests.yml not found (Debian: python3-spf)"
[ -x "$python" ] || fail "$python not found"
runner=$top_builddir/tests/spf/spf-suite
[ -x "$runner" ] || fail "$runner not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rfc7208.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

"$python" "$top_srcdir/tests/spf/rfc7208.py" "$suite" "$tmp" ||
    fail "cannot convert $suite (Debian: python3-yaml)"
"$runner" "$tmp"
