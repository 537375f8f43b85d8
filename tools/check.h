/*
 * check.h - "dmarcctl check": audit one domain's DMARC, SPF and DKIM
 *
 * cmd_check(argc, argv): argv[0] is "check"; the arguments are
 *
 *	DOMAIN [--selector S ...] [--dns-zone FILE] [--config FILE]
 *	       [--json] [--no-color]
 *
 * It asks DNS (real DNS through the configured resolver, or the zone file
 * of --dns-zone / DNSZoneFile) what a receiver would ask, with the same
 * resolver, DMARC record parser, DNS Tree Walk, SPF syntax check and
 * report-address verification as the daemon and "dmarcctl report", and
 * prints for the domain owner what is published, what is wrong and the
 * next step on the way to p=reject.
 *
 * Every finding has a level (error: mail is or will be mishandled;
 * warning: protection or reporting is weaker than it should be; info:
 * worth knowing, nothing to fix) and a stable code such as
 * "spf-too-many-lookups" (see dmarcctl(1) for the list; codes are only
 * ever added, never renamed).
 *
 * Returns the exit code: 0 when there is no error or warning, 1 when
 * there is at least one (or the check could not run: bad config or zone
 * file, out of memory; a message on stderr then), 2 on a usage error.
 *
 * Output: readable sections on stdout, with colour only when stdout is a
 * terminal, --no-color is absent and NO_COLOR is unset or empty; with
 * --json one JSON object instead (its members: dmarcctl(1)).  Text taken
 * from DNS is shown with bytes outside printable ASCII replaced by '?'.
 */
#ifndef CHECK_H
#define CHECK_H

int cmd_check(int argc, char **argv);

#endif
