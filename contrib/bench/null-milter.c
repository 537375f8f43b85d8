/*
 * null-milter.c - the least a libmilter milter can do, for compare.sh: it
 * negotiates what dmarc-milter negotiates (the same no-reply steps, on
 * unix: and on inet: sockets), looks at nothing, and inserts one
 * Authentication-Results header at the end of each message.  Through
 * Postfix it measures what the milter protocol, libmilter and Postfix's
 * own milter handling cost before any check is made.
 *
 *	null-milter SOCKET
 *
 * SOCKET is libmilter's: inet:PORT@HOST or unix:PATH.  Runs in the
 * foreground until SIGTERM.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define NULL_PROTO                                                             \
	(SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH |         \
	    SMFIP_NR_BODY | SMFIP_NOUNKNOWN | SMFIP_NODATA |                   \
	    SMFIP_HDR_LEADSPC)
/* as dmarc-milter: on TCP, HELO, RCPT and DATA are answered (Nagle) */
#define NULL_PROTO_TCP                                                         \
	(NULL_PROTO & ~(SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NODATA))

static int tcp;

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = SMFIF_ADDHDRS & f0;
	*pf1 = (tcp ? NULL_PROTO_TCP : NULL_PROTO) & f1;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
null_noreply(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_NOREPLY;
}

static sfsistat
null_helo(SMFICTX *ctx, char *helo)
{
	(void)helo;
	return tcp ? SMFIS_CONTINUE : null_noreply(ctx);
}

static sfsistat
null_rcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return tcp ? SMFIS_CONTINUE : null_noreply(ctx);
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)name;
	(void)value;
	return null_noreply(ctx);
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	(void)p;
	(void)len;
	return null_noreply(ctx);
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	static char name[] = "Authentication-Results";
	static char value[] = " mx.bench.example; none";

	(void)smfi_insheader(ctx, 0, name, value);
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;
	int on = 1, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: null-milter SOCKET\n");
		return 2;
	}
	tcp = strncmp(argv[1], "inet", 4) == 0;
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "null-milter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS;
	desc.xxfi_negotiate = null_negotiate;
	desc.xxfi_helo = null_helo;
	desc.xxfi_envrcpt = null_rcpt;
	desc.xxfi_header = null_header;
	desc.xxfi_eoh = null_noreply;
	desc.xxfi_body = null_body;
	desc.xxfi_eom = null_eom;
	if (smfi_register(desc) != MI_SUCCESS ||
	    smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null-milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	/* as dmarc-milter: no Nagle on the listening socket (inherited) */
	for (fd = 3; tcp && fd < 64; fd++)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
