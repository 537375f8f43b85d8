/*
 * standalone.c - replay fuzz inputs without libFuzzer
 *
 *	replay-TARGET [-v] FILE|DIR ...
 *
 * Linked with one tests/fuzz/fuzz-TARGET.c instead of libFuzzer, so that
 * any compiler (gcc, with or without ASan and UBSan) can run the seed
 * corpora and the crash reproducers as regression tests.  Every regular
 * file named, or found directly inside a named directory (sorted, dot
 * files skipped), is read whole and given once to LLVMFuzzerTestOneInput().
 * A failed invariant or a sanitizer report aborts the process, so reaching
 * the end means every input held.  Prints "ok TARGET: N inputs" (-v: each
 * file name first) and exits 0; exits 1 on an unreadable file or an empty
 * run, 2 on bad usage.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

/* larger inputs are not fuzz inputs; libFuzzer's -max_len is far below */
#define REPLAY_FILE_MAX (16UL << 20)

/* replay_file - feed one file; 0, or -1 with a message */
static int
replay_file(const char *path, int verbose)
{
	FILE *fp;
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= REPLAY_FILE_MAX) {
				fprintf(stderr, "replay: %s: too large\n",
				    path);
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto fail;
	}
	fclose(fp);
	if (verbose) {
		printf("%s\n", path);
		fflush(stdout);
	}
	/* an exact-size copy, so that ASan sees a read past the end */
	if ((nb = malloc(len > 0 ? len : 1)) == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		free(buf);
		return -1;
	}
	if (len > 0)
		memcpy(nb, buf, len);
	free(buf);
	(void)LLVMFuzzerTestOneInput(nb, len);
	free(nb);
	return 0;
fail:
	fclose(fp);
	free(buf);
	return -1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* replay_dir - every regular file directly inside dir, sorted */
static int
replay_dir(const char *dir, int verbose, size_t *count)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, **nn, path[4096];
	size_t n = 0, i;
	int rc = 0, len;
	struct stat st;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof(*names))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			fprintf(stderr, "replay: out of memory\n");
			names = nn != NULL ? nn : names;
			rc = -1;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && rc == 0; i++) {
		len = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: name too long\n", dir,
			    names[i]);
			rc = -1;
		} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			continue;
		else if (replay_file(path, verbose) == -1)
			rc = -1;
		else
			(*count)++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *prog =
	    strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t count = 0;
	struct stat st;
	int i = 1, verbose = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR ...\n", prog);
		return 2;
	}
	for (; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], verbose, &count) == -1)
				return 1;
		} else if (replay_file(argv[i], verbose) == -1)
			return 1;
		else
			count++;
	}
	if (count == 0) {
		fprintf(stderr, "replay: %s: no input found\n", prog);
		return 1;
	}
	printf("ok %s: %zu inputs\n", prog, count);
	return 0;
}
