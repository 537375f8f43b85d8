/*
 * ingest.c - "dmarcctl ingest": store the aggregate reports received
 *
 * Each FILE, each regular file of a DIR (not recursive, in name order),
 * or standard input ("-") is one report as it arrived: XML, gzip, zip or a
 * whole mail message.  One line per input: ingested, duplicate, refused.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "report/ingest.h"
#include "tools/dmarcctl.h"

#define INGEST_DIR_MAX 100000 /* entries of one directory read */

static void
ingest_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl ingest [--config FILE] [--db URI] "
	    "FILE|DIR|- ...\n");
}

/* read_all - the whole of fd, at most INGEST_FILE_MAX bytes */
static int
read_all(int fd, unsigned char **buf_r, size_t *len_r, char *err, size_t errlen)
{
	unsigned char *buf = NULL, *nb;
	size_t size = 0, used = 0;
	ssize_t n;

	for (;;) {
		if (used == size) {
			size_t ns = size == 0 ? 64 * 1024 : size * 2;

			if (size > INGEST_FILE_MAX) {
				(void)snprintf(err, errlen,
				    "input past %lu bytes (cap)",
				    (unsigned long)INGEST_FILE_MAX);
				free(buf);
				return -1;
			}
			if ((nb = realloc(buf, ns)) == NULL) {
				(void)snprintf(err, errlen, "out of memory");
				free(buf);
				return -1;
			}
			buf = nb;
			size = ns;
		}
		n = read(fd, buf + used, size - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, errlen, "read: %s",
			    strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*buf_r = buf;
	*len_r = used;
	return 0;
}

/* ingest_one - one input; 0 stored or duplicate, 1 refused, -1 db error */
static int
ingest_one(struct ingest_db *db, const char *name, int fd)
{
	unsigned char *raw = NULL, *xml = NULL;
	size_t rawlen, xmllen;
	struct ingest_report *rep = NULL;
	char err[512];
	int r, rc = 1;

	if (read_all(fd, &raw, &rawlen, err, sizeof(err)) == -1 ||
	    ingest_decode(raw, rawlen, &xml, &xmllen, err, sizeof(err)) == -1 ||
	    ingest_parse(xml, xmllen, &rep, err, sizeof(err)) == -1) {
		printf("%s: refused: %s\n", name, err);
		goto out;
	}
	r = ingest_db_put(db, rep);
	if (r == -1) {
		printf("%s: refused: %s\n", name, ingest_db_error(db));
		rc = -1;
	} else if (r == 1) {
		printf("%s: duplicate: already ingested (%.100s, %.100s)\n",
		    name, rep->org_name, rep->report_id);
		rc = 0;
	} else {
		printf("%s: ingested (%.100s, %.100s, %s, %zu records)\n", name,
		    rep->org_name, rep->report_id, rep->domain, rep->nrows);
		rc = 0;
	}
out:
	ingest_report_free(&rep);
	free(raw);
	free(xml);
	return rc;
}

static int
ingest_path(struct ingest_db *db, const char *path, int *refused)
{
	struct stat sb;
	int fd, r;

	if (strcmp(path, "-") == 0) {
		r = ingest_one(db, "-", STDIN_FILENO);
		goto done;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		printf("%s: refused: %s\n", path, strerror(errno));
		(*refused)++;
		return 0;
	}
	if (fstat(fd, &sb) == -1) {
		printf("%s: refused: %s\n", path, strerror(errno));
		close(fd);
		(*refused)++;
		return 0;
	}
	if (S_ISDIR(sb.st_mode)) {
		struct dirent **ents = NULL;
		int n, i;

		close(fd);
		if ((n = scandir(path, &ents, NULL, alphasort)) == -1) {
			printf("%s: refused: %s\n", path, strerror(errno));
			(*refused)++;
			return 0;
		}
		for (i = 0; i < n; i++) {
			char sub[4096];
			int sfd;

			if (ents[i]->d_name[0] == '.' || i >= INGEST_DIR_MAX)
				goto next;
			if (snprintf(sub, sizeof(sub), "%s%s%s", path,
				path[strlen(path) - 1] == '/' ? "" : "/",
				ents[i]->d_name) >= (int)sizeof(sub))
				goto next;
			sfd = open(sub, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd == -1 || fstat(sfd, &sb) == -1 ||
			    !S_ISREG(sb.st_mode)) {
				if (sfd != -1)
					close(sfd);
				goto next;
			}
			r = ingest_one(db, sub, sfd);
			close(sfd);
			if (r != 0)
				(*refused)++;
			if (r == -1) {
				for (; i < n; i++)
					free(ents[i]);
				free(ents);
				return -1;
			}
		next:
			free(ents[i]);
		}
		free(ents);
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		printf("%s: refused: not a regular file\n", path);
		close(fd);
		(*refused)++;
		return 0;
	}
	r = ingest_one(db, path, fd);
	close(fd);
done:
	if (r != 0)
		(*refused)++;
	return r == -1 ? -1 : 0;
}

int
cmd_ingest(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *cfgpath = NULL, *uri = NULL;
	struct config *cfg = NULL;
	struct ingest_db *db = NULL;
	char err[512];
	int ch, i, refused = 0, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'd':
			uri = optarg;
			break;
		case 'h':
			ingest_usage(stdout);
			return 0;
		default:
			ingest_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		ingest_usage(stderr);
		return EXIT_USAGE;
	}
	if (uri == NULL) {
		if (dmarcctl_config(cfgpath, &cfg) == -1)
			return 1;
		uri = cfg->history_db;
	}
	if (uri[0] == '\0') {
		fprintf(stderr, "dmarcctl: ingest: no HistoryDB configured\n");
		goto out;
	}
	if (ingest_db_open(uri, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		goto out;
	}
	for (i = optind; i < argc; i++)
		if (ingest_path(db, argv[i], &refused) == -1) {
			fprintf(stderr, "dmarcctl: ingest: %s\n",
			    ingest_db_error(db));
			goto out;
		}
	rc = refused > 0 ? 1 : 0;
out:
	ingest_db_close(&db);
	config_free(&cfg);
	return rc;
}
