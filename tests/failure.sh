#!/bin/sh
# tests/failure.sh - failure reports (RFC 9991) end to end, without an MTA:
# the daemon with FailureReports yes and a zone file, contrib/bench's
# milter-bench as the MTA (one message per run), and a fake sendmail that
# keeps its argv and its standard input.  Checks what is sent, to whom,
# and what is not: an aligned pass under fo=0, an external ruf without
# _report._dmarc authorization, the rate limit, a report about a report;
# then fo=1 after a reload.
. "$(dirname "$0")/lib.sh"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
D="$top_builddir/milter/dmarc-milter"
B="$top_builddir/contrib/bench/milter-bench"
C="$top_srcdir/tests/cases"
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/dmarc-failure.XXXXXX) || exit 1
chmod 755 "$tmp"
pid=""
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: until COMMAND succeeds; 0, or 1 on timeout
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
in_log() { grep -qF -- "$1" "$tmp/log"; }
nsent() { ls "$tmp/out" | grep -c '\.argv$'; }
sent_n() { [ "$(nsent)" -eq "$1" ]; }

for f in "$D" "$B" "$PY"; do
	if [ ! -x "$f" ]; then
		t_fail "setup" "$f not found (build first)"
		t_done
		exit 1
	fi
done

# the fake sendmail: message first, then argv (one per line) as the marker
mkdir "$tmp/out"
cat >"$tmp/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$tmp/out" | grep -c '\.argv\$')
cat >"$tmp/out/\$n.msg"
printf '%s\n' "\$@" >"$tmp/out/\$n.argv.tmp"
mv "$tmp/out/\$n.argv.tmp" "$tmp/out/\$n.argv"
EOF
chmod 755 "$tmp/sendmail"

# DNS: the eval corpus's example.com (p=reject, DKIM key of case 011) with
# ruf=, and two more domains whose ruf is outside their organization
zone() {	# zone FO_TAG RUF
	{
		echo "_dmarc.example.com. TXT \"v=DMARC1; p=reject; ruf=$2$1\""
		echo 'example.com. TXT "v=spf1 ip4:192.0.2.10 -all"'
		grep '^s1._domainkey.mail.example.com' \
		    "$C/011-dkim-relaxed-aligned/zone"
		echo '_dmarc.ext.example. TXT "v=DMARC1; p=none; ruf=mailto:r@reports.example"'
		echo 'ext.example. TXT "v=spf1 ip4:192.0.2.10 -all"'
		echo '_dmarc.auth.example. TXT "v=DMARC1; p=none; ruf=mailto:r@reports.example"'
		echo 'auth.example. TXT "v=spf1 ip4:192.0.2.10 -all"'
		echo 'auth.example._report._dmarc.reports.example. TXT "v=DMARC1"'
	} >"$tmp/zone"
}
zone "" "mailto:ruf@example.com"

cat >"$tmp/conf" <<EOF
Socket unix:$tmp/milter.sock
DNSZoneFile $tmp/zone
AuthservID mx.test.example
HistoryDB
FailureReports yes
FailureReportRate 1
SendmailPath $tmp/sendmail
ReportDomain mx.test.example
ReportEmail dmarc-reports@mx.test.example
EOF

# message NAME EML FROM-DOMAIN [EXTRA-HEADER]: a one-message corpus
message() {
	mkdir -p "$tmp/c/$1"
	{
		[ -n "${4:-}" ] && echo "$4"
		sed "s/@example\.com>/@$3>/" "$2"
	} >"$tmp/c/$1/m.eml"
	printf 'client 203.0.113.66\nhelo mta.example.net\nfrom <user@%s>\nrcpt <rcpt@example.org>\n' \
	    "$3" >"$tmp/c/$1/m.env"
}
message fail "$C/006-p-reject-fail/message.eml" example.com
message pass "$C/011-dkim-relaxed-aligned/message.eml" example.com
message ext "$C/006-p-reject-fail/message.eml" ext.example
message authz "$C/006-p-reject-fail/message.eml" auth.example
message report "$C/006-p-reject-fail/message.eml" example.com \
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b"'

drive() {	# drive NAME: one message through the daemon
	"$B" --milter "unix:$tmp/milter.sock" --corpus "$tmp/c/$1" -n 1 \
	    >"$tmp/bench.$1" 2>&1
	t_check "milter-bench ran message $1" $? "$(tail -3 "$tmp/bench.$1")"
}

# fields NUM: the report NUM as Python's email package reads it
fields() {
	"$PY" - "$tmp/out/$1.msg" <<'EOF'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
print('Subject=%s' % m['Subject'])
print('From=%s' % m['From'])
print('To=%s' % m['To'])
print('type=%s;%s' % (m.get_content_type(), m.get_param('report-type')))
p = m.get_payload()
print('parts=' + ','.join(x.get_content_type() for x in p))
fb = p[1].get_payload()[0]
for k in fb.keys():
    print('f.%s=%s' % (k, ' '.join(str(fb[k]).split())))
h = email.message_from_string(p[2].get_payload())
for k in h.keys():
    print('h.%s=%s' % (k, ' '.join(str(h[k]).split())))
EOF
}
has() {	# has FILE LINE NAME
	grep -qxF -- "$2" "$1"
	t_check "$3" $? "no line \"$2\" in: $(cat "$1")"
}

"$D" -f -c "$tmp/conf" >/dev/null 2>"$tmp/log" &
pid=$!
wait_for 10 test -S "$tmp/milter.sock"
t_check "the daemon starts" $? "$(cat "$tmp/log")"

# 1. fo=0 (default), DKIM aligned pass: DMARC passes, nothing is queued
drive pass
# 2. an external ruf that does not authorize the domain: skipped, logged
drive ext
wait_for 10 in_log "failure report for ext.example to mailto:r@reports.example skipped: external destination not authorized (no _report._dmarc record)"
t_check "an unauthorized external ruf is skipped and logged" $? \
    "$(grep -i failure "$tmp/log")"
# 3. DMARC fail under p=reject: one report to ruf@example.com
drive fail
wait_for 10 sent_n 1
t_check "the failing message gets a report" $? "$(grep -i failure "$tmp/log")"
sleep 0.3
[ "$(nsent)" -eq 1 ]
t_check "the passing and the unauthorized ones got none" $? "$(nsent) sent"
printf -- '-i\n-f\ndmarc-reports@mx.test.example\n--\nruf@example.com\n' \
    >"$tmp/want.argv"
cmp -s "$tmp/want.argv" "$tmp/out/0.argv"
t_check "sendmail argv: -i -f ReportEmail -- the ruf address" $? \
    "$(cat "$tmp/out/0.argv")"
fields 0 >"$tmp/f0" 2>&1
has "$tmp/f0" "Subject=DMARC failure report for example.com" "Subject"
has "$tmp/f0" "From=dmarc-reports@mx.test.example" "From: ReportEmail"
has "$tmp/f0" "To=ruf@example.com" "To: the ruf address"
has "$tmp/f0" "type=multipart/report;feedback-report" \
    "multipart/report; report-type=feedback-report"
has "$tmp/f0" "parts=text/plain,message/feedback-report,text/rfc822-headers" \
    "three parts (RFC 5965 2)"
has "$tmp/f0" "f.Feedback-Type=auth-failure" "Feedback-Type: auth-failure"
has "$tmp/f0" "f.Version=1" "Version: 1"
has "$tmp/f0" "f.Auth-Failure=dmarc" "Auth-Failure: dmarc"
has "$tmp/f0" "f.Identity-Alignment=spf" \
    "Identity-Alignment: spf (aligned SPF domain failed, no signature)"
has "$tmp/f0" "f.Reported-Domain=example.com" "Reported-Domain"
has "$tmp/f0" "f.Source-IP=203.0.113.66" "Source-IP"
has "$tmp/f0" "f.Delivery-Result=reject" "Delivery-Result: reject"
has "$tmp/f0" "f.Original-Mail-From=<redacted@example.com>" \
    "Original-Mail-From, redacted"
has "$tmp/f0" 'f.SPF-DNS=txt : example.com : "v=spf1 ip4:192.0.2.10 -all"' \
    "SPF-DNS holds the SPF record"
grep -q '^f.User-Agent=dmarc-milter/' "$tmp/f0"
t_check "User-Agent" $? "$(cat "$tmp/f0")"
grep -q '^f.Arrival-Date=.* +0000$' "$tmp/f0"
t_check "Arrival-Date" $? "$(cat "$tmp/f0")"
grep -q '^f.Authentication-Results=mx.test.example; spf=fail smtp.mailfrom=redacted@example.com;.* dmarc=fail' "$tmp/f0"
t_check "Authentication-Results, redacted" $? "$(cat "$tmp/f0")"
has "$tmp/f0" "h.From=User <redacted@example.com>" "the header, redacted"
has "$tmp/f0" "h.Subject=corpus message" "the header's Subject"
has "$tmp/f0" "h.Message-ID=<006-p-reject-fail@mta.example.net>" \
    "the Message-ID is kept"
! grep -q "corpus\.$\|It is short on purpose" "$tmp/out/0.msg"
t_check "no body in the report" $?
wait_for 5 in_log "failure report for example.com sent to ruf@example.com ("
t_check "the report is logged" $? "$(grep -i failure "$tmp/log")"

# 4. an external ruf that authorizes the domain
drive authz
wait_for 10 sent_n 2
t_check "an authorized external ruf gets its report" $? \
    "$(grep -i failure "$tmp/log")"
tail -1 "$tmp/out/1.argv" | grep -qx 'r@reports.example'
t_check "to r@reports.example" $? "$(cat "$tmp/out/1.argv" 2>/dev/null)"

# 5. FailureReportRate 1: the next report to ruf@example.com waits an hour
drive fail
wait_for 10 in_log "failure report for example.com to ruf@example.com skipped: over the limit of 1 an hour"
t_check "the rate limit skips the second report" $? \
    "$(grep -i failure "$tmp/log")"

# 6. a failing report is not answered with a report
drive report
wait_for 10 in_log "failure report for example.com skipped: the message is a report itself"
t_check "no report about a report" $? "$(grep -i failure "$tmp/log")"
[ "$(nsent)" -eq 2 ]
t_check "nothing more was sent" $? "$(nsent) sent"

# 7. fo=1 after a reload: the DKIM-aligned pass, SPF failed, is reported
zone "; fo=1" "mailto:ruf1@example.com"
kill -USR1 "$pid"
wait_for 10 in_log "reloaded $tmp/conf"
t_check "SIGUSR1 reloads the zone" $? "$(tail -3 "$tmp/log")"
drive pass
wait_for 10 sent_n 3
t_check "fo=1 reports a DMARC pass with SPF failed" $? \
    "$(grep -i failure "$tmp/log")"
fields 2 >"$tmp/f2" 2>&1
has "$tmp/f2" "To=ruf1@example.com" "fo=1: to the new ruf"
has "$tmp/f2" "f.Auth-Failure=dmarc" "fo=1: Auth-Failure: dmarc"
has "$tmp/f2" "f.Identity-Alignment=spf" "fo=1: Identity-Alignment: spf"
has "$tmp/f2" "f.Delivery-Result=delivered" "fo=1: Delivery-Result: delivered"
grep -q '^f.DKIM-' "$tmp/f2"
[ $? -ne 0 ]
t_check "fo=1: no DKIM fields when DKIM passed aligned" $? "$(cat "$tmp/f2")"
grep -q '^h.DKIM-Signature=v=1; a=rsa-sha256;' "$tmp/f2"
t_check "fo=1: the signature is in the attached header" $? "$(cat "$tmp/f2")"

kill -TERM "$pid"
wait_for 10 in_log "stopped"
t_check "the daemon stops cleanly with the sender thread" $? \
    "$(tail -3 "$tmp/log")"
wait "$pid" 2>/dev/null
pid=""
t_done
