#!/bin/sh
# tests/lint.sh - source rules: no unbounded string calls (STYLE.md 5), and
# the config key table, the sample file and the man page agree.
. "$(dirname "$0")/lib.sh"
cd "$top_srcdir" || exit 1

hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)\(' \
    policy/*.c auth/*.c conf/*.c tools/*.c milter/*.c report/*.c 2>/dev/null | grep -v '^\s*/\?\*')
t_check "no strcpy/strcat/sprintf/strtok/atoi/gets" "$([ -z "$hits" ]; echo $?)" "$hits"

# no shell ever sees data from mail or DNS: nothing that runs one, and the
# one program started (sendmail, report/send.c) gets an argument vector
hits=$(grep -nE '\b(system|popen|execlp|execvp|execvpe|execle|wordexp)\(|"/bin/sh"' \
    policy/*.c auth/*.c conf/*.c tools/*.c milter/*.c report/*.c 2>/dev/null)
t_check "no system/popen/execlp/execvp/wordexp or /bin/sh" \
    "$([ -z "$hits" ]; echo $?)" "$hits"
hits=$(grep -lE '(^|[[:space:](!=,;])execv?\(' policy/*.c auth/*.c conf/*.c tools/*.c \
    milter/*.c report/*.c 2>/dev/null)
[ "$hits" = report/send.c ]
t_check "execv() only in report/send.c" $? "$hits"

keys=$(sed -nE 's/^[[:space:]]*\{ ?"([A-Za-z0-9]+)", ?CONF_.*/\1/p' conf/config.c)
[ -n "$keys" ]
t_check "config table found" $?
for k in $keys; do
	grep -qE "^#? ?$k( |$)" conf/dmarc-milter.conf
	t_check "sample lists $k" $?
	grep -qE "^\.It Cm $k( |$)" man/dmarc-milter.conf.5
	t_check "dmarc-milter.conf(5) documents $k" $?
done
for k in $(sed -nE 's/^#? ?([A-Z][A-Za-z0-9]+)( .*)?$/\1/p' conf/dmarc-milter.conf | sort -u); do
	echo "$keys" | grep -qx "$k"
	t_check "sample key $k is in the table" $?
done
for k in $(sed -nE 's/^\.It Cm ([A-Z][A-Za-z0-9]+).*/\1/p' man/dmarc-milter.conf.5 | sort -u); do
	echo "$keys" | grep -qx "$k"
	t_check "man page key $k is in the table" $?
done
t_done
