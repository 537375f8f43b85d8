#!/bin/sh
# tests/tidy.sh - clang-tidy over every .c file of policy/ auth/ conf/
# milter/ report/ tools/ with the checks of .clang-tidy (which says which
# are left out and why); one check per folder, each must report nothing.
# Never tests/ or contrib/.
#
# The compile flags are the build tree's own (make prints them), so the
# files are analysed as they are built.  Runs in the plain build tree
# only: the sanitizer tree would analyse the same code again.  Two files
# at a time (xargs -P2).  Environment: top_srcdir, top_builddir (set by
# make check), CLANG_TIDY (default clang-tidy-14, else clang-tidy),
# TIDY_JOBS (default 2).
set -u
. "$(dirname "$0")/lib.sh"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
T0=$(date +%s)

if [ -z "${CLANG_TIDY:-}" ]; then
	CLANG_TIDY=$(command -v clang-tidy-14 || command -v clang-tidy) ||
	    skip "clang-tidy is not installed"
fi
[ -f "$top_builddir/Makefile" ] || skip "no Makefile in $top_builddir"
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile"; then
	skip "sanitizer build tree: clang-tidy runs in the plain one"
fi

# PENDING: known findings whose fixes are still to be made in their
# files.  One a line: FILE<TAB>CHECK<TAB>a fixed string of the flagged
# line.  Each entry excuses exactly that finding (it is still printed, as
# pending); the list is to be emptied as the fixes land.
PENDING='
'

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# the flags of the build: every module's include dirs and defines (one
# set for all: they only add -I and -D), -std from CFLAGS
# (a make of its own: not the jobserver of a "make -j2 check" around it,
# whose warnings would land among the flags)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s --no-print-directory -C "$top_builddir" -f Makefile -f - \
    tidy-print-flags >"$tmp/flags" 2>"$tmp/flags.err" <<'EOF'
tidy-print-flags:
	@echo $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) \
	    $(filter -std=%,$(CFLAGS)) $(UNBOUND_CFLAGS) $(PSL_CFLAGS) \
	    $(IDN2_CFLAGS) $(OPENDKIM_CFLAGS) $(MILTER_CFLAGS) \
	    $(ZLIB_CFLAGS) $(LIBMD_CFLAGS) $(XML2_CFLAGS) $(SQLITE_CFLAGS) \
	    $(PQ_CFLAGS) $(CRYPTO_CFLAGS)
EOF
st=$?
TIDY_FLAGS=$(cat "$tmp/flags")
case "$TIDY_FLAGS" in
*-I*) ;;
*) st=1 ;;
esac
t_check "compile flags from $top_builddir/Makefile" $st \
    "$TIDY_FLAGS $(head -c 300 "$tmp/flags.err")"
[ $st -eq 0 ] || { t_done; exit 1; }

# one log and one exit status per file: $tmp/out/DIR_FILE.c.{log,rc};
# the largest files first, so that the two jobs end together
mkdir "$tmp/out"
export CLANG_TIDY TIDY_FLAGS top_srcdir
(cd "$top_srcdir" && ls -S policy/*.c auth/*.c conf/*.c milter/*.c \
    report/*.c tools/*.c) >"$tmp/files" || exit 1
cd "$top_builddir" || exit 1	# -I. and the relative -I are the build's
xargs -P "${TIDY_JOBS:-2}" -n 1 sh -c '
	o="$0/$(echo "$1" | tr / _)"
	# shellcheck disable=SC2086 # the flags are words
	"$CLANG_TIDY" --quiet --warnings-as-errors="*" "$top_srcdir/$1" -- \
	    $TIDY_FLAGS >"$o.log" 2>&1
	echo $? >"$o.rc"' "$tmp/out" <"$tmp/files"

# findings: "FILE:LINE:COL: warning|error: TEXT", the check in brackets
# at the end of that line or of a later one (some texts take lines);
# FILE made relative to the source tree (headers come as BUILD/../DIR/x.h)
TAB=$(printf '\t')
parse() {
	awk '
	function flush() {
		if (f != "")
			print f "\t" l "\t" (c == "" ? "?" : c) "\t" m
		f = ""
	}
	/^\/[^:]*:[0-9]+:[0-9]+: (warning|error): / {
		flush()
		split($0, a, ":")
		f = a[1]; l = a[2]; c = ""; k = 0
		m = $0
		sub(/^[^ ]* (warning|error): /, "", m)
	}
	f != "" && k < 40 && / \[[A-Za-z0-9.,-]+\]$/ {
		c = $0
		sub(/.* \[/, "", c)
		sub(/[],].*/, "", c)
		sub(/ \[[^]]*\]$/, "", m)
		flush()
		next
	}
	f != "" { k++ }
	END { flush() }' "$1"
}
for log in "$tmp"/out/*.log; do
	parse "$log" >"${log%.log}.found"
done
cat "$tmp"/out/*.found | while IFS="$TAB" read -r f line check msg; do
	rel=$(realpath -m "$f")
	printf '%s\t%s\t%s\t%s\n' "${rel#"$top_srcdir"/}" "$line" "$check" "$msg"
done | sort -u >"$tmp/raw"

# each finding is kept, or pending if PENDING lists it
: >"$tmp/found"
: >"$tmp/pending"
while IFS="$TAB" read -r rel line check msg; do
	text=$(sed -n "${line}p" "$top_srcdir/$rel" 2>/dev/null)
	hit=$(printf '%s\n' "$PENDING" | awk -F '\t' -v f="$rel" -v c="$check" \
	    -v t="$text" 'NF == 3 && $1 == f && $2 == c && index(t, $3) {
		print; exit }')
	if [ -n "$hit" ]; then
		echo "$rel:$line: $msg [$check]" >>"$tmp/pending"
	else
		echo "$rel:$line: $msg [$check]" >>"$tmp/found"
	fi
done <"$tmp/raw"

for d in policy auth conf milter report tools; do
	n=$(grep -c "^$d/" "$tmp/found")
	bad=''
	for rc in "$tmp/out/${d}_"*.rc; do
		# a non-zero status and no finding: clang-tidy itself failed
		if [ "$(cat "$rc")" -ne 0 ] && [ ! -s "${rc%.rc}.found" ]; then
			bad="$bad $(basename "$rc" .rc | sed "s|^${d}_|$d/|")"
		fi
	done
	[ "$n" -eq 0 ] && [ -z "$bad" ]
	t_check "clang-tidy $d/" $? \
	    "$n findings${bad:+, clang-tidy failed on$bad}
$(grep "^$d/" "$tmp/found" | head -40)
$([ -n "$bad" ] && cat "$tmp/out/${d}_"*.log | head -20)"
done
npend=$(grep -c . "$tmp/pending")
if [ "$npend" -gt 0 ]; then
	echo "pending (known, listed in PENDING):"
	sed 's/^/  /' "$tmp/pending"
fi
printf '%s\n' "$PENDING" | while IFS="$TAB" read -r f c t; do
	[ -n "$f" ] || continue
	grep -q "^$f:.* \[$c\]\$" "$tmp/pending" ||
	    echo "note: PENDING entry no longer needed: $f $c $t"
done
echo "clang-tidy: $(grep -c . "$tmp/files") files," \
    "$(grep -c . "$tmp/found") findings, $npend pending," \
    "$(($(date +%s) - T0)) s"
t_done
