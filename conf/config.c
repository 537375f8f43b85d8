/*
 * config.c - parse dmarc-milter.conf into an immutable struct config
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

static const char *const temperror_words[] = {"tempfail", "accept", NULL};
static const char *const missingfrom_words[] = {"accept", "reject",
    "quarantine", NULL};
static const char *const orgmethod_words[] = {"treewalk", "psl", NULL};

#define OFF(f) offsetof(struct config, f)

/* The table of keys.  Names follow OpenDMARC where the meaning is the same. */
/* clang-format off */
const struct config_key config_keys[] = {
	{ "AuthservID", CONF_STRING, OFF(authserv_id), "", 0, 0, NULL,
	    "authserv-id of our Authentication-Results headers "
	    "(empty: this host's name)" },
	{ "DNSZoneFile", CONF_STRING, OFF(dns_zone_file), "", 0, 0, NULL,
	    "answer every DNS query from this zone file (tests, offline use)" },
	{ "Nameservers", CONF_STRING, OFF(nameservers), "", 0, 0, NULL,
	    "forwarders as IP[@PORT],... (empty: /etc/resolv.conf)" },
	{ "DNSTimeout", CONF_TIME, OFF(dns_timeout_ms), "5s", 100, 60000, NULL,
	    "time allowed for one DNS query (100ms to 60s)" },
	{ "HonorPct", CONF_BOOL, OFF(honor_pct), "yes", 0, 0, NULL,
	    "apply the legacy RFC 7489 pct= sampling (pct=0 is always t=y)" },
	{ "TempErrorAction", CONF_ENUM, OFF(temperror_action), "tempfail", 0, 0,
	    temperror_words, "dmarc=temperror: tempfail (451 4.7.5) or accept" },
	{ "MissingFromAction", CONF_ENUM, OFF(missing_from_action), "accept", 0,
	    0, missingfrom_words,
	    "no usable From: domain (dmarc=permerror): accept, reject or "
	    "quarantine" },
	{ "OrgDomainMethod", CONF_ENUM, OFF(org_domain_method), "treewalk", 0,
	    0, orgmethod_words,
	    "organizational domain: treewalk (RFC 9989) or psl (RFC 7489)" },
	{ "PublicSuffixList", CONF_STRING, OFF(psl_file), PSL_FILE, 0, 0, NULL,
	    "public suffix list for OrgDomainMethod psl (.dat or .dafsa)" },
	{ "MaxDKIMSignatures", CONF_UINT, OFF(max_dkim_sigs), "10", 1, 64, NULL,
	    "DKIM signatures verified per message (1 to 64)" },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL }
};
/* clang-format on */

/* parse_bool - yes/no words of OpenDMARC's config files */
static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* parse_time - "N" or "Ns" seconds, "Nms" milliseconds */
static int
parse_time(const char *v, unsigned long *ms, const char **errstr)
{
	char num[32];
	size_t n = strspn(v, "0123456789");
	unsigned long mult;
	long long x;

	if (n == 0 || n >= sizeof(num)) {
		*errstr = "not a number";
		return -1;
	}
	if (strcmp(v + n, "") == 0 || strcmp(v + n, "s") == 0)
		mult = 1000;
	else if (strcmp(v + n, "ms") == 0)
		mult = 1;
	else {
		*errstr = "unit must be s or ms";
		return -1;
	}
	memcpy(num, v, n);
	num[n] = '\0';
	x = strtonum(num, 0, 86400000LL, errstr);
	if (*errstr != NULL)
		return -1;
	*ms = (unsigned long)x * mult;
	return 0;
}

/* set_value - store one value; -1 with *why on a bad value */
static int
set_value(struct config *cfg, const struct config_key *k, const char *v,
    char *why, size_t whylen)
{
	char *base = (char *)cfg + k->offset;
	const char *errstr = NULL;
	unsigned long ul;
	size_t i;
	int b;

	switch (k->type) {
	case CONF_STRING: {
		char **sp = (char **)(void *)base;
		char *s = strdup(v);

		if (s == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(*sp);
		*sp = s;
		return 0;
	}
	case CONF_BOOL:
		if (parse_bool(v, &b) == -1) {
			snprintf(why, whylen,
			    "%s: expected yes or no, not \"%.64s\"", k->name,
			    v);
			return -1;
		}
		*(int *)(void *)base = b;
		return 0;
	case CONF_UINT:
		ul = (unsigned long)strtonum(v, (long long)k->min,
		    (long long)k->max, &errstr);
		if (errstr != NULL) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is %s (%lu to %lu)", k->name, v,
			    errstr, k->min, k->max);
			return -1;
		}
		*(unsigned int *)(void *)base = (unsigned int)ul;
		return 0;
	case CONF_TIME:
		if (parse_time(v, &ul, &errstr) == -1 || ul < k->min ||
		    ul > k->max) {
			snprintf(why, whylen,
			    "%s: \"%.64s\" is %s (%lums to %lums)", k->name, v,
			    errstr != NULL ? errstr : "out of range", k->min,
			    k->max);
			return -1;
		}
		*(unsigned int *)(void *)base = (unsigned int)ul;
		return 0;
	case CONF_ENUM:
		for (i = 0; k->words[i] != NULL; i++) {
			if (strcasecmp(v, k->words[i]) == 0) {
				*(unsigned int *)(void *)base = (unsigned int)i;
				return 0;
			}
		}
		snprintf(why, whylen, "%s: \"%.64s\" is not one of", k->name,
		    v);
		for (i = 0; k->words[i] != NULL; i++) {
			size_t l = strlen(why);

			snprintf(why + l, whylen - l, "%s %s", i ? "," : "",
			    k->words[i]);
		}
		return -1;
	}
	snprintf(why, whylen, "%s: bad key type", k->name);
	return -1;
}

/* config_default - a config holding the embedded defaults */
int
config_default(struct config **cfg_r)
{
	struct config *cfg;
	char why[256];
	size_t i;

	*cfg_r = NULL;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return -1;
	for (i = 0; config_keys[i].name != NULL; i++) {
		if (set_value(cfg, &config_keys[i], config_keys[i].dflt, why,
			sizeof(why)) == -1) {
			config_free(&cfg);
			return -1;
		}
	}
	*cfg_r = cfg;
	return 0;
}

/* trim - strip white space at both ends, in place */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* parse_line - one "Key value" line; 0, or -1 with why */
static int
parse_line(struct config *cfg, char *line, unsigned char *seen, char *why,
    size_t whylen)
{
	char *key, *val, *p;
	size_t i;

	if ((p = strchr(line, '#')) != NULL)
		*p = '\0';
	key = trim(line);
	if (*key == '\0')
		return 0;
	val = key + strcspn(key, " \t");
	if (*val != '\0')
		*val++ = '\0';
	val = trim(val);
	for (i = 0; config_keys[i].name != NULL; i++) {
		if (strcasecmp(key, config_keys[i].name) == 0)
			break;
	}
	if (config_keys[i].name == NULL) {
		snprintf(why, whylen, "unknown option \"%.64s\"", key);
		return -1;
	}
	if (seen[i]) {
		snprintf(why, whylen, "%s given twice", config_keys[i].name);
		return -1;
	}
	seen[i] = 1;
	return set_value(cfg, &config_keys[i], val, why, whylen);
}

/* config_load_mem - parse a whole file held in memory */
int
config_load_mem(const char *text, size_t len, const char *label,
    struct config **cfg_r, char *err, size_t errlen)
{
	unsigned char seen[64] = {0};
	char line[CONFIG_LINE_MAX + 1], why[512];
	struct config *cfg;
	size_t pos = 0, n;
	unsigned lineno = 0;

	*cfg_r = NULL;
	_Static_assert(sizeof(seen) >=
		sizeof(config_keys) / sizeof(config_keys[0]),
	    "seen[] too small");
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in file", label);
		return -1;
	}
	if (config_default(&cfg) == -1) {
		snprintf(err, errlen, "%s: out of memory", label);
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", label,
			    lineno);
			config_free(&cfg);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (parse_line(cfg, line, seen, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s:%u: %s", label, lineno, why);
			config_free(&cfg);
			return -1;
		}
	}
	*cfg_r = cfg;
	return 0;
}

/* config_load - read and parse FILE */
int
config_load(const char *path, struct config **cfg_r, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *fp;
	int rc;

	*cfg_r = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap >= (size_t)1 << 24) { /* 16 MB: not a config */
				snprintf(err, errlen, "%s: file too large",
				    path);
				free(buf);
				fclose(fp);
				return -1;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory",
				    path);
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	rc = config_load_mem(buf != NULL ? buf : "", len, path, cfg_r, err,
	    errlen);
	free(buf);
	return rc;
}

/* config_free - free a config and clear the pointer; NULL is fine */
void
config_free(struct config **cfgp)
{
	struct config *cfg;
	size_t i;

	if (cfgp == NULL || (cfg = *cfgp) == NULL)
		return;
	for (i = 0; config_keys[i].name != NULL; i++) {
		if (config_keys[i].type == CONF_STRING)
			free(*(char **)(void *)((char *)cfg +
			    config_keys[i].offset));
	}
	free(cfg);
	*cfgp = NULL;
}
