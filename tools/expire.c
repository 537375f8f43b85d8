/*
 * expire.c - "dmarcctl expire": forget outcomes older than N days
 *
 * Aggregate reports need a day of outcomes, a few days to be resent at
 * most; the rest is only history.  Run it from the daily report job.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "report/store.h"
#include "tools/dmarcctl.h"

#define EXPIRE_DAYS_MAX 36500 /* a century: anything more is a typo */

static void
expire_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl expire [--config FILE] [--db URI] "
	    "--older-than DAYS\n");
}

int
cmd_expire(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"db", required_argument, NULL, 'd'},
	    {"older-than", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *cfgpath = NULL, *db = NULL, *errstr = NULL;
	struct config *cfg = NULL;
	struct store_opts so;
	struct store *st = NULL;
	unsigned long long deleted = 0;
	long long days = -1;
	char err[512];
	int ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'o':
			days = strtonum(optarg, 1, EXPIRE_DAYS_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr,
				    "dmarcctl: --older-than: %s "
				    "(1 to %d days)\n",
				    errstr, EXPIRE_DAYS_MAX);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			expire_usage(stdout);
			return 0;
		default:
			expire_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || days < 0) {
		if (days < 0)
			fprintf(stderr,
			    "dmarcctl: expire: --older-than is "
			    "required\n");
		expire_usage(stderr);
		return EXIT_USAGE;
	}
	/* the daemon's file, else the embedded defaults */
	if (dmarcctl_config(cfgpath, &cfg) == -1)
		return 1;
	if (db == NULL)
		db = cfg->history_db;
	if (db[0] == '\0') {
		fprintf(stderr, "dmarcctl: expire: no HistoryDB configured\n");
		goto out;
	}
	memset(&so, 0, sizeof(so));
	so.spool_dir = cfg->spool_dir;
	so.writer = 0;
	if (store_open(db, &so, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		goto out;
	}
	if (store_expire(st, (int)days, (long long)time(NULL), &deleted) ==
	    -1) {
		fprintf(stderr, "dmarcctl: expire: database error\n");
		goto out;
	}
	printf("%llu records older than %lld days removed\n", deleted, days);
	rc = 0;
out:
	(void)store_close(&st);
	config_free(&cfg);
	return rc;
}
