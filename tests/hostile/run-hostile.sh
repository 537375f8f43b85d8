#!/bin/sh
# tests/hostile/run-hostile.sh - hostile input through the real daemon
#
# Starts milter/dmarc-milter on a free loopback port with its DNS answered
# from a zone file; tests/hostile/mkhostile.py writes that zone and the
# messages into a temporary directory at each run (the big inputs are made
# there, never committed).  tests/hostile/milterc.py sends each message
# over the milter protocol as Postfix would (contrib/bench/milter-bench
# cannot send a command over 65000 bytes or a NUL byte, nor print each
# message's reply and header changes).  Queue ids are HX001, HX002, ...
#
# Every case asserts:
#  (a) the verdict: the final reply (reject is 550 5.7.1, tempfail 451,
#      "continue" is delivery; "closed" means the milter dropped the
#      connection, and Postfix then applies milter_default_action) and,
#      for delivered mail, the Authentication-Results header inserted
#      (dmarc=, spf=, dkim=) and the forged ones deleted;
#  (b) the daemon's summary line for the queue id (milter/milter.c
#      log_verdict: "QID: client=... spf=R/A dkim=... dmarc=R
#      disposition=D action=A"), and for malformed input that a line
#      naming the queue id says what was wrong;
#  (c) no crash: the daemon is alive after every message, the next
#      message is answered, and under ASan no ASan/UBSan/LSan report is
#      written (log_path in a temporary directory, checked after every
#      case and once more after SIGTERM, for leaks);
#  (d) bounds, per message: at most TIME_MAX ms from MAIL to the final
#      reply, and the daemon's peak RSS (VmHWM, reset before each case
#      through /proc/PID/clear_refs) at most RSS_MAX kB:
#
#	bound		build		build-asan
#	TIME_MAX	5000 ms		10000 ms
#	RSS_MAX		64 MB		256 MB
#
#      The whole run has a 300 s watchdog; it takes about 20 s, 5 of
#      them the daemon's own shutdown.
#
# The envelope is the attacker's unless a case says otherwise: client
# 203.0.113.66, MAIL FROM <a@evil.example> (evil.example's SPF passes for
# that client, unaligned with the spoofed domains), HELO
# mta.sender.example.  MaxDKIMSignatures is 6, MissingFromAction accept.
#
# Deviation: libspf2 1.2.10 keeps at most 511 bytes of compiled record
# (about 25 ip6 or 63 ip4 terms) and would silently evaluate the rest
# only; such a record is a permerror here (auth/spf.c), where RFC 7208
# would give pass or fail.
#
# Environment: top_srcdir, top_builddir (make check sets them; default:
# this script's ../..), HOSTILE_KEEP=1 keeps the temporary directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/../..}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/lib.sh"

PY=/usr/bin/python3
D=$top_builddir/milter/dmarc-milter
AUTHSERV=mx.hostile.example
EVIL_IP=203.0.113.66	# authorized by evil.example's SPF only
GOOD_IP=192.0.2.10	# authorized by the other domains' SPF
L64=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B63=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
N255=$B63.$B63.$B63.$B63	# 255 octets: over RFC 1035's 253

[ -x "$D" ] || {
	t_fail "setup" "the daemon is not built: $D"
	t_done
	exit 1
}
"$PY" -c 'import dkim' 2>/dev/null || skip "python3-dkim is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"

if grep -qa __asan_init "$D"; then
	ASAN=1 TIME_MAX=10000 RSS_MAX=262144
else
	ASAN=0 TIME_MAX=5000 RSS_MAX=65536
fi

T=$(mktemp -d /tmp/dmarc-hostile.XXXXXX) || exit 1
IN=$T/in
MPID='' WATCHDOG=''
cleanup() {
	stop_pid "$MPID" 10
	[ -n "$WATCHDOG" ] && kill -TERM "$WATCHDOG" 2>/dev/null
	if [ "${HOSTILE_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
# shellcheck disable=SC2154 # st is set inside the trap
trap 'st=$?; cleanup; exit $st' EXIT
trap 'exit 1' INT TERM HUP
# the whole run is bounded, whatever hangs
watchdog 300

mkdir -p "$T/asan" "$T/out" "$T/db" "$T/spool"
ASAN_OPTIONS="log_path=$T/asan/asan:detect_leaks=1:abort_on_error=0:halt_on_error=1"
UBSAN_OPTIONS="log_path=$T/asan/ubsan:print_stacktrace=1:halt_on_error=1"
LSAN_OPTIONS="log_path=$T/asan/lsan"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

if ! "$PY" "$here/mkhostile.py" "$IN" >"$T/mk.log" 2>&1; then
	t_fail "setup" "mkhostile.py: $(tail -3 "$T/mk.log")"
	t_done
	exit 1
fi
PORT=$(free_ports 1)
cat >"$T/dmarc-milter.conf" <<EOF
Socket inet:$PORT@127.0.0.1
AuthservID $AUTHSERV
DNSZoneFile $IN/zone
HistoryDB sqlite:$T/db/history.db
SpoolDirectory $T/spool
MaxDKIMSignatures 6
EOF
LOG=$T/milter.log
"$D" -f -c "$T/dmarc-milter.conf" >"$LOG" 2>&1 &
MPID=$!
started() { grep -q 'started: dmarc-milter' "$LOG"; }
if ! wait_for 30 started; then
	t_fail "setup" "the daemon did not start: $(tail -5 "$LOG")"
	t_done
	exit 1
fi

# ---------------------------------------------------------------- helpers

ok() { t_ok "$1"; }
fail() {	# the detail on one line
	t_fail "$1" "$(printf '%s' "${2:-}" | tr '\n' ' ' | cut -c1-400)"
}
check() {	# check NAME STATUS [DETAIL]
	if [ "$2" -eq 0 ]; then ok "$1"; else fail "$1" "${3:-}"; fi
}

NCASE=0
printf '%-20s %-9s %7s %9s\n' case verdict ms peak_kB >"$T/table"

# hx NAME MSG [milterc.py options]: send $IN/MSG.eml, then check (c), (d)
hx() {
	C=$1
	_msg=$2
	shift 2
	NCASE=$((NCASE + 1))
	QID=$(printf 'HX%03d' "$NCASE")
	echo 5 >"/proc/$MPID/clear_refs" 2>/dev/null
	"$PY" "$here/milterc.py" --port "$PORT" --message "$IN/$_msg.eml" \
	    --qid "$QID" --client-ip "$EVIL_IP" --mail-from '<a@evil.example>' \
	    "$@" >"$T/out/$C" 2>&1
	RES=$(sed -n 's/^result=//p' "$T/out/$C")
	_ms=$(sed -n 's/^ms=//p' "$T/out/$C")
	_rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MPID/status" 2>/dev/null)
	printf '%-20s %-9s %7s %9s\n' "$C" "${RES:-?}" "${_ms:-?}" \
	    "${_rss:-?}" >>"$T/table"
	kill -0 "$MPID" 2>/dev/null
	check "$C: the daemon is alive" $? "$(tail -3 "$LOG")"
	[ "${_ms:-999999}" -le "$TIME_MAX" ]
	check "$C: answered in ${_ms:-?} ms (bound $TIME_MAX)" $?
	[ "${_rss:-999999999}" -le "$RSS_MAX" ]
	check "$C: peak RSS ${_rss:-?} kB (bound $RSS_MAX)" $?
	[ -z "$(ls -A "$T/asan")" ]
	check "$C: no sanitizer report" $? "$(head -c 600 "$T/asan/"* 2>/dev/null)"
}

# want_result R: the final reply (accept/continue, reject, tempfail, closed)
want_result() {
	[ "$RES" = "$1" ]
	check "$C: verdict $1" $? "got '$RES': $(head -c 300 "$T/out/$C")"
}
# want_reply ERE: the SMFIR_REPLYCODE text
want_reply() {
	grep -Eq "^reply=$1" "$T/out/$C"
	check "$C: reply $1" $? "$(grep '^reply=' "$T/out/$C")"
}
# ar: the A-R header the milter inserted, unfolded
ar() {
	sed -n 's/^ins=0 Authentication-Results: *//p' "$T/out/$C" |
	    sed 's/\\x0a\\x09/ /g'
}
# want_ar ERE: our A-R is inserted at the top and matches
want_ar() {
	ar | grep -Eq -- "^$AUTHSERV;.*$1"
	check "$C: A-R $1" $? "A-R '$(ar)'"
}
# no_changes: nothing added, changed or deleted (the message is refused)
no_changes() {
	! grep -Eq '^(ins|add|chg)=' "$T/out/$C"
	check "$C: no header changes" $? "$(grep -E '^(ins|add|chg)=' "$T/out/$C" | head -3)"
}
# want_deleted "I J ...": exactly these A-R headers deleted, in this order
want_deleted() {
	_got=$(sed -n 's/^chg=\([0-9]*\) Authentication-Results: *$/\1/p' \
	    "$T/out/$C" | tr '\n' ' ' | sed 's/ $//')
	[ "$_got" = "$1" ] &&
	    ! grep -q '^chg=.*Authentication-Results: *[^ ]' "$T/out/$C"
	check "$C: forged A-R deleted: ${1:-none}" $? "deleted '$_got'"
}
# logline: the summary line of the current queue id
logline() { grep -a -F "]: $QID: client=" "$LOG" | tail -1; }
# want_log ERE: the summary line matches
want_log() {
	logline | grep -Eq -- "$1"
	check "$C: log $1" $? "line '$(logline)'"
}
# want_why ERE: a line naming the queue id says what was wrong
want_why() {
	grep -a -F "$QID" "$LOG" | grep -Eiq -- "$1"
	check "$C: log says why: /$1/" $? \
	    "lines '$(grep -a -F "$QID" "$LOG" | head -2)'"
}
REFUSED=' dmarc=fail disposition=reject action=reject '

# ---------------------------------------------------------------- cases

hx control control
want_result reject
want_reply '550 5\.7\.1 DMARC policy of reject\.example rejects'
want_log "from=reject\.example policy_domain=reject\.example p=reject spf=pass/unaligned dkim=none$REFUSED"

# ---- OpenDMARC CVE shapes ----

# CVE-2019-16378: several author domains.  RFC 9989 5.3.1 (RFC 7489
# 6.6.1): each domain of the From: field is checked and the strictest
# policy applies (DESIGN.md 1), whatever the order or the number of From:
# fields (RFC 5322 3.6 allows one, so two are evaluated the same way).
for c in multifrom multifrom-rev multifrom-2hdr; do
	hx "$c" "$c"
	want_result reject
	want_reply '550 5\.7\.1 DMARC policy of good\.example rejects'
	no_changes
	want_log "from=good\.example policy_domain=good\.example p=reject .*$REFUSED"
done
# 9 domains, the spoofed one ninth: still the strictest outcome
hx multifrom-9 multifrom-9
# RFC 9989 5.3.1 leaves it to local policy: the domains past the eighth
# are not looked up, the strictest outcome is assumed
want_result reject
want_log " dmarc=fail disposition=reject action=reject reasons=local_policy "
want_why 'From: more than 8 author domains'

# CVE-2019-20790: a forged Received-SPF: pass and a forged A-R carrying
# our authserv-id are not evidence (RFC 7208 9.1: Received-SPF is the
# adding receiver's own record; RFC 8601 5: A-R with our id from outside
# are forgeries): SPF is checked from the envelope and fails.
hx forged-reject forged-reject --mail-from '<ceo@reject.example>'
want_result reject
want_log "mailfrom_domain=reject\.example from=reject\.example .* spf=fail/unaligned dkim=none$REFUSED"
# delivered (p=none): the two with our id, in any case and spacing, are
# deleted, from the last up (indexes among the A-R fields, RFC 8601 5);
# the foreign ones (1 and 4) stay; ours goes on top
hx forged-none forged-none --mail-from '<ceo@none.example>'
want_result continue
want_deleted "3 2"
want_ar 'spf=fail smtp\.mailfrom=ceo@none\.example; dkim=none; dmarc=fail header\.from=none\.example policy\.dmarc=none$'
want_log ' spf=fail/unaligned dkim=none dmarc=fail disposition=none action=accept '
# our id quoted, commented, folded, with a version: deleted;
# an id swallowed by an unclosed comment, or another id: kept (11, 12)
hx forged-variants forged-variants --mail-from '<ceo@none.example>'
want_result continue
want_deleted "13 10 9 8 7 6 5 4 3 2 1"
want_ar 'dmarc=fail header\.from=none\.example policy\.dmarc=none$'

# CVE-2020-12272: parentheses where the domain is.  RFC 5322 3.2.2: a
# comment is CFWS, never part of a domain; 4.4 obs-domain allows CFWS
# around its parts.
hx paren-open paren-open		# "x@(evil.example": no domain at all
want_result continue
want_ar 'dmarc=permerror \(unbalanced comment\)$'
want_log ' from=- policy_domain=- p=- .* dmarc=permerror disposition=none action=accept '
want_why 'unbalanced.comment'
hx paren-domain paren-domain		# "x@(evil.example)reject.example"
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx paren-after paren-after		# "x@reject.example (@evil.example"
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx paren-local paren-local		# comments with '@' around the local part
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx paren-deep paren-deep		# 20 000 nested comments, then the address
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx paren-deep-open paren-deep-open	# 30 000 '(' never closed
want_result reject
want_log "from=reject\.example .*$REFUSED"

# CVE-2021-34555: "u1@x.org, u2, u3@x.org".  RFC 5322 3.4: "u2" is no
# mailbox, so the field is malformed; a malformed field naming domains is
# evaluated for each (DESIGN.md 1), never downgraded to a permerror.
hx nodomain nodomain
want_result reject
want_reply '550 5\.7\.1 DMARC policy of x\.org rejects'
want_log "from=x\.org policy_domain=x\.org p=reject .*$REFUSED"
want_why 'address.without.a.domain'

# An A-R of 100 results: a foreign one stays, ours (2nd) is deleted
hx ar100 ar100 --mail-from '<ceo@none.example>'
want_result continue
want_deleted "2"
want_ar 'dmarc=fail header\.from=none\.example policy\.dmarc=none$'
want_log ' dmarc=fail disposition=none action=accept '

# ---- sizes ----

# A 1 MB From: in one SMFIC_HEADER: libmilter refuses a command over
# 65535 bytes (MILTER_MAX_DATA_SIZE) and drops the connection; the MTA
# then applies milter_default_action (tempfail in README.md).  The
# daemon must say so and take the next message.
hx from1m from1m
want_result closed
want_why 'too (big|large|long)|65535|dropped|aborted|lost'
hx from1m-next control
want_result reject
want_log "from=reject\.example .*$REFUSED"
# The largest From: a milter command carries (64 000 bytes of display
# name), and 64 000 bytes of junk around the address (RFC 5322 2.1.1
# lines of 998: a field this long is malformed, its domain still counts)
hx from64k from64k
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx from64k-junk from64k-junk
want_result reject
want_log "from=reject\.example .*$REFUSED"
# 10 000 header fields, the From: after all of them
hx hdr10k hdr10k
want_result reject
want_log "from=reject\.example .*$REFUSED"
# 10 000 A-R with our id: more than the milter deletes (8192).  It may
# not deliver them (RFC 8601 5), so it defers, and must say why.
hx ar10k ar10k
want_result tempfail
want_reply '451 4\.'
want_why 'Authentication-Results|forged'
# 1 000 DKIM-Signature fields (copies of one valid signature): RFC 6376
# 6.1 lets a verifier limit the signatures it checks; MaxDKIMSignatures 6
# are verified and reported, the other 994 ignored.
hx dkim1000 dkim1000
want_result continue
want_ar 'dkim=pass header\.d=reject\.example header\.s=hx; .*dmarc=pass header\.from=reject\.example policy\.dmarc=none$'
n=$(ar | grep -o 'dkim=pass' | wc -l)
[ "$n" -eq 6 ]
check "dkim1000: 6 signatures verified (MaxDKIMSignatures)" $? "$n in the A-R"
want_log ' dkim=pass/aligned,pass/aligned,pass/aligned,pass/aligned,pass/aligned,pass/aligned dmarc=pass disposition=none action=accept '

# ---- NUL and 8-bit bytes ----

# A NUL ends a milter string: "X-Fr\0om" is "X-Fr"; a NUL in the From:
# value cuts it (RFC 5322 2.2: field bodies are printable US-ASCII)
hx nul-name nul-name
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx nul-value nul-value
want_result reject
want_log "from=reject\.example .*$REFUSED"
# RFC 5322 3.6.8: a field name is printable US-ASCII; "Fr\xf6m" is not
# From: and changes nothing; 8-bit display names are phrase text
hx 8bit-name 8bit-name
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx 8bit-display 8bit-display
want_result reject
want_log "from=reject\.example .*$REFUSED"
# RFC 9989 5.3.1, RFC 6532: a UTF-8 domain is looked up as its A-label
hx idn idn
want_result reject
want_reply '550 5\.7\.1 DMARC policy of xn--bcher-kva\.example rejects'
want_log "from=xn--bcher-kva\.example policy_domain=xn--bcher-kva\.example p=reject .*$REFUSED"
# Invalid UTF-8 as the only domain: no author domain, permerror
hx 8bit-domain 8bit-domain
want_result continue
want_ar 'dmarc=permerror \(domain not UTF-8\)$'
want_log ' from=- .* dmarc=permerror disposition=none action=accept '
want_why 'not.UTF-8'
# ... but next to the spoofed domain it must not hide it (DESIGN.md 1)
hx 8bit-domain-2 8bit-domain-2
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx idn-bad-2 idn-bad-2		# "\u0301x": RFC 5891 5.4 refuses it
want_result reject
want_log "from=reject\.example .*$REFUSED"

# ---- labels over 63 octets, names over 253 (RFC 1035 2.3.4) ----

# From: no such domain can exist: permerror (RFC 9989 5.3.1), and next
# to the spoofed domain the latter still counts
hx from-label64 from-label64
want_result continue
want_ar 'dmarc=permerror \(label too long\)$'
want_log ' from=- .* dmarc=permerror disposition=none action=accept '
want_why 'label.too.long'
hx from-label64-2 from-label64-2
want_result reject
want_log "from=reject\.example .*$REFUSED"
hx from-name255 from-name255
want_result continue
want_ar 'dmarc=permerror \(domain too long\)$'
want_why 'domain.too.long'
hx from-name255-2 from-name255-2
want_result reject
want_log "from=reject\.example .*$REFUSED"
# MAIL FROM and HELO: RFC 7208 4.3, a malformed domain is SPF none
hx mailfrom-label64 none --client-ip "$GOOD_IP" --mail-from "<u@$L64.example>"
want_result continue
want_ar "spf=none smtp\.mailfrom=\"?u@$L64\.example\"?; dkim=none; dmarc=fail header\.from=none\.example"
want_log ' spf=none/unaligned dkim=none dmarc=fail disposition=none action=accept '
hx mailfrom-name255 none --client-ip "$GOOD_IP" --mail-from "<u@$N255>"
want_result continue
want_ar 'spf=none smtp\.mailfrom=.*; dkim=none; dmarc=fail header\.from=none\.example'
want_log ' spf=none/unaligned dkim=none dmarc=fail '
# the null sender is checked as postmaster@HELO (RFC 7208 2.4)
hx helo-label64 none --client-ip "$GOOD_IP" --mail-from '<>' \
    --helo "$L64.example"
want_result continue
want_ar "spf=none smtp\.helo=$L64\.example; dkim=none; dmarc=fail"
want_log ' spf=none/unaligned dkim=none dmarc=fail '
hx helo-name255 none --client-ip "$GOOD_IP" --mail-from '<>' --helo "$N255"
want_result continue
want_ar 'spf=none; dkim=none; dmarc=fail header\.from=none\.example'
want_log ' spf=none/unaligned dkim=none dmarc=fail '
# DKIM d= and s=: RFC 6376 3.5 and 6.1.1, a malformed tag is PERMFAIL
hx dkim-label64 dkim-label64 --mail-from '<ceo@none.example>'
want_result continue
want_ar "dkim=permerror \(invalid d= tag\) header\.d=$L64\.example header\.s=hx; dmarc=fail"
want_log ' dkim=permerror/unaligned dmarc=fail disposition=none action=accept '
want_why 'invalid.d=.tag'
hx dkim-name255 dkim-name255 --mail-from '<ceo@none.example>'
want_result continue
want_ar 'dkim=permerror \(invalid d= tag\) header\.d=b+\.b+\.b+\.b+ header\.s=hx; dmarc=fail'
want_log ' dkim=permerror/unaligned dmarc=fail '
want_why 'invalid.d=.tag'
hx dkim-sel64 dkim-sel64 --mail-from '<ceo@none.example>'
want_result continue
want_ar "dkim=permerror \(invalid s= tag\) header\.d=none\.example header\.s=$L64; dmarc=fail"
want_log ' dkim=permerror/unaligned dmarc=fail '
want_why 'invalid.s=.tag'

# ---- malformed DMARC answers (RFC 9989 4.7, 4.10) ----

# 64 KB of TXT in 256 strings: one record, padded with unknown tags,
# which are ignored (4.7): p=reject applies
hx dns-bigtxt dns-bigtxt
want_result reject
want_log "from=bigtxt\.example policy_domain=bigtxt\.example p=reject .*$REFUSED"
# TXT records not starting with v=DMARC1 are not DMARC records (4.10
# step 2): no policy
hx dns-notdmarc dns-notdmarc
want_result continue
want_ar 'dmarc=none header\.from=notdmarc\.example$'
want_log ' policy_domain=- p=- .* dmarc=none disposition=none action=accept '
# two DMARC records at one name: both discarded, as if none (DESIGN.md 1)
hx dns-multi dns-multi
want_result continue
want_ar 'dmarc=none header\.from=multi\.example$'
want_log ' policy_domain=- p=- .* dmarc=none disposition=none action=accept '
# binary garbage: not a DMARC record
hx dns-garbage dns-garbage
want_result continue
want_ar 'dmarc=none header\.from=garbage\.example$'
want_log ' dmarc=none disposition=none action=accept '
# a DMARC record followed by binary tags: unknown tags are ignored (4.7)
hx dns-garbage2 dns-garbage2
want_result reject
want_log "from=garbage2\.example policy_domain=garbage2\.example p=reject .*$REFUSED"
# a NUL in the record: unusable, permerror, no policy (DESIGN.md 1)
hx dns-nulrec dns-nulrec
want_result continue
want_ar 'dmarc=permerror header\.from=nulrec\.example$'
want_log ' policy_domain=nulrec\.example p=- .* dmarc=permerror disposition=none action=accept '
want_why 'NUL.byte'
# an empty TXT record: no policy
hx dns-empty dns-empty
want_result continue
want_ar 'dmarc=none header\.from=empty\.example$'
want_log ' dmarc=none disposition=none action=accept '
# 10 000 unknown tags: ignored (4.7), linear time
hx dns-tags10k dns-tags10k
want_result reject
want_log "from=tags10k\.example policy_domain=tags10k\.example p=reject .*$REFUSED"
# p= 9 001 times: the first counts (dmarc_record.h), p=reject
hx dns-dup10k dns-dup10k
want_result reject
want_log "from=dup10k\.example policy_domain=dup10k\.example p=reject .*$REFUSED"

# ---- SPF limits (RFC 7208 4.6.4), from the authorized client ----

spf() {	# spf NAME RESULT [WHY]: MAIL FROM ceo@NAME.example
	hx "dns-$1" "dns-$1" --client-ip "$GOOD_IP" \
	    --mail-from "<ceo@$1.example>"
	want_result continue
	want_ar "spf=$2 smtp\.mailfrom=ceo@$1\.example; dkim=none"
	want_log " spf=$2/"
	[ $# -lt 3 ] || want_why "$3"
}
spf spfloop permerror 'more.than.10.DNS.lookups|include.loop' # a<->b
spf spfchain permerror 'more.than.10.DNS.lookups'	# 11 includes in a chain
spf spfchain10 pass		# 10: the limit itself is allowed
spf spfvoid permerror 'more.than.2.void.lookups'	# a 3rd void lookup
spf spfvoid2 pass		# 2 void lookups are allowed
# 64 KB of SPF record (3 800 ip4 terms, the client's last): no limit
# applies to ip4 terms, RFC 7208 says pass; libspf2 cannot hold it: see
# the deviation at the top
hx dns-spfbig dns-spfbig --client-ip "$GOOD_IP" \
    --mail-from '<ceo@spfbig.example>'
want_result continue
want_ar 'spf=permerror smtp\.mailfrom=ceo@spfbig\.example; dkim=none'
want_log ' spf=permerror/unaligned '
want_why 'SPF: SPF record at spfbig\.example: 3802 terms, more than libspf2 can hold'

# ---- still answering ----
hx final control
want_result reject
want_log "from=reject\.example .*$REFUSED"

# ---------------------------------------------------------------- the end

stop_pid "$MPID" 15
wait "$MPID"
rc=$?
MPID=''
[ "$rc" -eq 0 ]
check "the daemon stops cleanly on SIGTERM" $? "exit $rc: $(tail -3 "$LOG")"
[ -z "$(ls -A "$T/asan")" ]
check "no sanitizer report at exit (leaks)" $? \
    "$(head -c 2000 "$T/asan/"* 2>/dev/null)"
! grep -aq 'ERROR: \|runtime error' "$LOG"
check "no sanitizer report in the log" $? \
    "$(grep -a 'ERROR: \|runtime error' "$LOG" | head -3)"

echo "# per case: verdict, ms from MAIL to the final reply, peak RSS" \
    "(asan=$ASAN, bounds $TIME_MAX ms, $RSS_MAX kB)"
sed 's/^/# /' "$T/table"
t_done
