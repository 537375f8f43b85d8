/*
 * dmarcctl.c - the command-line face of the dmarc-milter libraries
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "tools/dmarcctl.h"

#define DAEMON_CONFIG SYSCONFDIR "/dmarc-milter.conf"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
    {"eval", cmd_eval, "evaluate one message offline (SPF, DKIM, DMARC)"},
    {"report", cmd_report, "build and send RFC 9990 aggregate reports"},
    {"check", cmd_check, "audit a domain's DMARC, SPF and DKIM records"},
    {"expire", cmd_expire, "remove recorded outcomes older than N days"},
    {"ingest", cmd_ingest,
	"store received aggregate reports (XML, gz, zip, mail)"},
    {"summary", cmd_summary,
	"who sends as a domain, from the ingested reports"},
};

/* dmarcctl_config - see dmarcctl.h */
int
dmarcctl_config(const char *path, struct config **cfg_r)
{
	struct stat sb;
	char err[512];

	if (path == NULL && stat(DAEMON_CONFIG, &sb) == 0)
		path = DAEMON_CONFIG;
	if (path != NULL ? config_load(path, cfg_r, err, sizeof(err))
			 : config_default(cfg_r)) {
		fprintf(stderr, "dmarcctl: %s\n",
		    path != NULL ? err : "out of memory");
		return -1;
	}
	return 0;
}

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: dmarcctl COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(fp, "  %-10s %s\n", cmds[i].name, cmds[i].what);
	fprintf(fp,
	    "\n\"dmarcctl COMMAND --help\" describes each; see "
	    "dmarcctl(1).\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("dmarcctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "dmarcctl: unknown command \"%.64s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
