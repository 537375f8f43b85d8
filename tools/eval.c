/*
 * eval.c - "dmarcctl eval": one message through the evaluation session
 *
 * The same session the daemon runs, fed from a file instead of libmilter,
 * so an admin can answer "why was this message rejected?" offline.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"
#include "conf/config.h"
#include "tools/dmarcctl.h"
#include "tools/json.h"

#define EVAL_MESSAGE_MAX (64UL << 20) /* Postfix's default limit is 10 MB */
#define EVAL_CHUNK	 65536	      /* body bytes per session_body() */

static void
eval_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: dmarcctl eval [--config FILE] [--dns-zone FILE] "
	    "--client-ip IP [--helo NAME]\n"
	    "                     [--mail-from ADDR] [--authserv-id ID] "
	    "[--pct-roll N] [--json]\n"
	    "                     [MESSAGE|-]\n");
}

/* read_all - the whole file; 0, or -1 with a message on stderr */
static int
read_all(const char *path, char **buf_r, size_t *len_r)
{
	FILE *fp = stdin;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (strcmp(path, "-") != 0 && (fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "dmarcctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= EVAL_MESSAGE_MAX) {
				fprintf(stderr,
				    "dmarcctl: %s: larger than "
				    "%lu bytes\n",
				    path, EVAL_MESSAGE_MAX);
				goto fail;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				fprintf(stderr, "dmarcctl: out of memory\n");
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
		fprintf(stderr, "dmarcctl: %s: read error\n", path);
		goto fail;
	}
	if (fp != stdin)
		fclose(fp);
	*buf_r = buf;
	*len_r = len;
	return 0;
fail:
	if (fp != stdin)
		fclose(fp);
	free(buf);
	return -1;
}

/* is_ftext - RFC 5322 2.2: field names are printable US-ASCII but ':' */
static int
is_field_name(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 33 || c > 126 || c == ':')
			return 0;
	}
	return 1;
}

/*
 * feed_message - split the header section (RFC 5322 2.1) and stream the
 * body, as an MTA would; -1 with a message if it is not a mail message.
 */
static int
feed_message(struct session *s, const char *path, const char *msg, size_t len)
{
	char *name = NULL, *val = NULL;
	size_t vlen = 0, vcap = 0, pos = 0, nhdr = 0;
	int rc = -1;

	if (len == 0) {
		fprintf(stderr, "dmarcctl: %s: empty file\n", path);
		return -1;
	}
	if (memchr(msg, '\0', len) != NULL) {
		fprintf(stderr, "dmarcctl: %s: not a mail message (NUL byte)\n",
		    path);
		return -1;
	}
	if (len > 5 && memcmp(msg, "From ", 5) == 0) { /* mbox separator */
		const char *nl = memchr(msg, '\n', len);

		pos = nl != NULL ? (size_t)(nl - msg) + 1 : len;
	}
	while (pos < len) {
		const char *line = msg + pos, *nl, *colon;
		size_t n, ln;

		nl = memchr(line, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		ln = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
		if ((line[0] == ' ' || line[0] == '\t') && name != NULL) {
			/* folded: keep the line break, as libmilter does */
			size_t need = vlen + 2 + ln + 1;

			if (need > vcap) {
				char *nv = realloc(val, need * 2);

				if (nv == NULL)
					goto out;
				val = nv;
				vcap = need * 2;
			}
			memcpy(val + vlen, "\r\n", 2);
			memcpy(val + vlen + 2, line, ln);
			vlen += 2 + ln;
			val[vlen] = '\0';
			pos += n + (nl != NULL);
			continue;
		}
		if (name != NULL) {
			if (session_header(s, name, val) == -1)
				goto out;
			free(name);
			name = NULL;
			nhdr++;
		}
		if (ln == 0) { /* the empty line ends the header section */
			pos += n + (nl != NULL);
			break;
		}
		colon = memchr(line, ':', ln);
		if (colon == NULL ||
		    !is_field_name(line, (size_t)(colon - line))) {
			if (nhdr == 0) {
				fprintf(stderr,
				    "dmarcctl: %s: not a mail "
				    "message (no header)\n",
				    path);
				goto out;
			}
			break; /* not a header: the body starts here */
		}
		if ((name = strndup(line, (size_t)(colon - line))) == NULL)
			goto out;
		colon++; /* the value exactly as written: leadspc */
		vlen = (size_t)(line + ln - colon);
		if (vlen + 1 > vcap) {
			char *nv = realloc(val, (vlen + 1) * 2);

			if (nv == NULL)
				goto out;
			val = nv;
			vcap = (vlen + 1) * 2;
		}
		/* val is set: vcap is 0 until it is, and colon is inside line
		 * (the analyzer does not bound memchr()'s result).
		 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
		memcpy(val, colon, vlen);
		val[vlen] = '\0';
		pos += n + (nl != NULL);
	}
	if (name != NULL) {
		if (session_header(s, name, val) == -1)
			goto out;
		nhdr++;
	}
	if (nhdr == 0) {
		fprintf(stderr,
		    "dmarcctl: %s: not a mail message (no header)\n", path);
		goto out;
	}
	if (session_eoh(s) == -1)
		goto out;
	while (pos < len) {
		size_t n = len - pos > EVAL_CHUNK ? EVAL_CHUNK : len - pos;

		if (session_body(s, (const unsigned char *)msg + pos, n) == -1)
			goto out;
		pos += n;
	}
	rc = 0;
out:
	if (rc == -1 && nhdr > 0)
		fprintf(stderr, "dmarcctl: %s: evaluation failed\n", path);
	free(name);
	free(val);
	return rc;
}

static const char *const reason_names[] = {
    "local_policy", "mailing_list", "other", "policy_test_mode",
    "trusted_forwarder", "other" /* sampled out: RFC 9990 has no word */
};

static void
print_json(const struct verdict *v)
{
	struct json j;
	size_t i;
	int seen_other = 0;

	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_obj_begin(&j, "spf");
	json_str(&j, "result", spf_result_str(v->spf.result));
	json_str(&j, "domain", v->spf.domain);
	json_str(&j, "scope", "mfrom");
	json_obj_end(&j);
	json_arr_begin(&j, "dkim");
	for (i = 0; i < v->ndkim; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "result", dkimv_result_str(v->dkim[i].sig.result));
		json_str(&j, "domain", v->dkim[i].sig.domain);
		json_str(&j, "selector", v->dkim[i].sig.selector);
		json_str(&j, "algorithm", v->dkim[i].sig.algorithm);
		json_bool(&j, "aligned", v->dkim[i].aligned);
		if (v->dkim[i].sig.reason[0] != '\0')
			json_str(&j, "reason", v->dkim[i].sig.reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_begin(&j, "dmarc");
	json_str(&j, "result", dmarc_result_str(v->dmarc.result));
	if (v->header_from[0] != '\0')
		json_str(&j, "header_from", v->header_from);
	if (v->policy_domain[0] != '\0')
		json_str(&j, "policy_domain", v->policy_domain);
	if (v->org_domain[0] != '\0')
		json_str(&j, "org_domain", v->org_domain);
	if (v->dmarc.policy != DMARC_P_UNSPEC)
		json_str(&j, "policy", dmarc_p_str(v->dmarc.policy));
	json_str(&j, "disposition", dmarc_disp_str(v->dmarc.disp));
	json_bool(&j, "spf_aligned", v->spf_aligned);
	json_bool(&j, "dkim_aligned", v->dkim_aligned);
	json_arr_begin(&j, "reasons");
	for (i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++) {
		if ((v->dmarc.reasons & (1u << i)) == 0)
			continue;
		if (strcmp(reason_names[i], "other") == 0) {
			if (seen_other++)
				continue;
		}
		json_str(&j, NULL, reason_names[i]);
	}
	json_arr_end(&j);
	if (v->from_error != NULL)
		json_str(&j, "error", v->from_error);
	else if (v->from_note != NULL)
		json_str(&j, "warning", v->from_note);
	json_obj_end(&j);
	json_str(&j, "authentication_results", v->authres);
	json_obj_end(&j);
	fputc('\n', stdout);
}

/* set_str - replace one string of our own config copy */
static int
set_str(char **dst, const char *val)
{
	char *s = strdup(val);

	if (s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

int
cmd_eval(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument,
						     NULL, 'c'},
	    {"dns-zone", required_argument, NULL, 'z'},
	    {"client-ip", required_argument, NULL, 'i'},
	    {"helo", required_argument, NULL, 'H'},
	    {"mail-from", required_argument, NULL, 'm'},
	    {"authserv-id", required_argument, NULL, 'a'},
	    {"pct-roll", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *cfgpath = NULL, *zone = NULL, *ip = NULL, *helo = "";
	const char *mailfrom = NULL, *servid = NULL, *path = "-", *errstr;
	struct config *cfg = NULL;
	struct engine *eng = NULL;
	struct session *s = NULL;
	struct verdict *v = NULL;
	char err[512], *msg = NULL;
	size_t len = 0;
	long long roll = -1;
	int ch, json = 0, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'm':
			mailfrom = optarg;
			break;
		case 'a':
			servid = optarg;
			break;
		case 'p':
			roll = strtonum(optarg, 0, 99, &errstr);
			if (errstr != NULL) {
				fprintf(stderr,
				    "dmarcctl: --pct-roll: %s "
				    "(0 to 99)\n",
				    errstr);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			eval_usage(stdout);
			return 0;
		default:
			eval_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc || ip == NULL) {
		if (ip == NULL)
			fprintf(stderr,
			    "dmarcctl: eval: --client-ip is "
			    "required\n");
		eval_usage(stderr);
		return EXIT_USAGE;
	}

	if (cfgpath != NULL ? config_load(cfgpath, &cfg, err, sizeof(err))
			    : config_default(&cfg)) {
		fprintf(stderr, "dmarcctl: %s\n",
		    cfgpath != NULL ? err : "out of memory");
		return 1;
	}
	if ((zone != NULL && set_str(&cfg->dns_zone_file, zone) == -1) ||
	    (servid != NULL && set_str(&cfg->authserv_id, servid) == -1)) {
		fprintf(stderr, "dmarcctl: out of memory\n");
		goto out;
	}
	if (read_all(path, &msg, &len) == -1)
		goto out;
	if (engine_new(cfg, &eng, err, sizeof(err)) == -1) {
		fprintf(stderr, "dmarcctl: %s\n", err);
		goto out;
	}
	if ((s = session_new(eng)) == NULL ||
	    (v = malloc(sizeof(*v))) == NULL) {
		fprintf(stderr, "dmarcctl: out of memory\n");
		goto out;
	}
	if (roll >= 0)
		session_set_pct_roll(s, (unsigned int)roll);
	session_set_leadspc(s);
	if (session_connect(s, ip) == -1) {
		fprintf(stderr, "dmarcctl: eval: bad --client-ip \"%.64s\"\n",
		    ip);
		rc = EXIT_USAGE;
		goto out;
	}
	session_helo(s, helo);
	session_mailfrom(s, mailfrom != NULL ? mailfrom : "");
	if (feed_message(s, path, msg, len) == -1)
		goto out;
	if (session_eom(s, v) == -1) {
		fprintf(stderr, "dmarcctl: %s: evaluation failed\n", path);
		goto out;
	}
	if (json)
		print_json(v);
	else
		printf("Authentication-Results: %s\n", v->authres);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	free(v);
	session_free(&s);
	engine_free(&eng);
	config_free(&cfg);
	free(msg);
	return rc;
}
