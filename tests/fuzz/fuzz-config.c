/*
 * fuzz-config.c - a configuration file, and a file of networks
 * (conf/config.h, conf/cidr.h)
 *
 * Input: the text of dmarc-milter.conf, any bytes.  It is loaded with
 * config_load_mem(), and also read as a network list, inline and as a
 * file (cidr_list_parse()), which is what an IgnoreHosts or
 * TrustedForwarders "/path" file holds.  An input in which such a key's
 * value starts with '/' is skipped: loading it would open that path
 * (/dev/stdin, a FIFO ...), which is the operator's business, not the
 * parser's.
 *
 * Invariants: a failed load gives no config and "fuzz.conf:LINE: ..."; a
 * loaded one holds, for every key of config_keys[], a value of its type:
 * strings present, booleans 0 or 1, numbers and times within the table's
 * range, enums within their words, modes at most 0777, reply texts
 * printable ASCII of the allowed length, header names RFC 5322 field
 * names, domain lists of clean lower-case names that config_domains_find()
 * finds again, and each key's line within the file; a network list has
 * entries of a known family and prefix, host bits clear, each matching
 * its own address.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/cidr.h"
#include "conf/config.h"
#include "tests/fuzz/fuzz.h"

/* opens_file - some line gives a CONF_CIDRS key a value starting '/' */
static int
opens_file(const char *p, size_t len)
{
	size_t pos = 0, n, i, k, ks, t;

	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		const char *line = p + pos;

		n = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		ks = i;
		while (i < n && line[i] != ' ' && line[i] != '\t' &&
		    line[i] != '#' && line[i] != '\r')
			i++;
		k = i - ks;
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= n || line[i] != '/')
			continue;
		for (t = 0; config_keys[t].name != NULL; t++)
			if (config_keys[t].type == CONF_CIDRS &&
			    strlen(config_keys[t].name) == k &&
			    strncasecmp(config_keys[t].name, line + ks, k) == 0)
				return 1;
	}
	return 0;
}

static void
check_cidrs(const struct cidr_list *l)
{
	size_t i, b;

	if (l == NULL)
		return;
	FUZZ_ASSERT(l->n <= CIDR_LIST_MAX);
	for (i = 0; i < l->n; i++) {
		const struct cidr *c = &l->v[i];
		size_t bits = c->af == AF_INET ? 32 : 128;

		FUZZ_ASSERT(c->af == AF_INET || c->af == AF_INET6);
		FUZZ_ASSERT(c->plen <= bits);
		for (b = c->plen; b < bits; b++)
			FUZZ_ASSERT((c->addr[b / 8] & (0x80 >> (b % 8))) == 0);
		FUZZ_ASSERT(cidr_list_match(l, c->af, c->addr) == 1);
	}
}

static void
check_domains(const struct conf_domains *l, int overrides)
{
	size_t i;

	if (l == NULL)
		return;
	FUZZ_ASSERT(l->n <= CONFIG_LIST_MAX);
	for (i = 0; i < l->n; i++) {
		FUZZ_ASSERT(fuzz_domain_ok(l->v[i].name));
		if (overrides)
			FUZZ_ASSERT(l->v[i].disp <= 2); /* none..reject */
		FUZZ_ASSERT(config_domains_find(l, l->v[i].name) != NULL);
	}
}

static void
check_config(const struct config *cfg, unsigned nlines)
{
	const struct config_key *k;
	const struct cidr_list *cl;
	const struct conf_domains *dl;
	const char *s;
	size_t i, n, w;

	for (i = 0; (k = &config_keys[i])->name != NULL; i++) {
		const char *base = (const char *)cfg + k->offset;
		unsigned u = 0;
		int b = 0;

		FUZZ_ASSERT(cfg->key_line[i] <= nlines);
		FUZZ_ASSERT(config_key_line(cfg, k->name) == cfg->key_line[i]);
		switch (k->type) {
		case CONF_STRING:
		case CONF_SOCKET:
		case CONF_USER:
		case CONF_TEXT:
		case CONF_HEADER:
			memcpy(&s, base, sizeof(s));
			FUZZ_ASSERT(s != NULL);
			FUZZ_ASSERT(strchr(s, '\n') == NULL);
			n = strlen(s);
			if (k->type == CONF_TEXT) {
				FUZZ_ASSERT(n >= k->min && n <= k->max);
				for (w = 0; w < n; w++)
					FUZZ_ASSERT(
					    s[w] >= 0x20 && s[w] < 0x7f);
			}
			if (k->type == CONF_HEADER) {
				FUZZ_ASSERT(n >= 1 && n <= CONFIG_HEADER_MAX);
				for (w = 0; w < n; w++)
					FUZZ_ASSERT(s[w] > 0x20 &&
					    s[w] < 0x7f && s[w] != ':');
			}
			break;
		case CONF_BOOL:
			memcpy(&b, base, sizeof(b));
			FUZZ_ASSERT(b == 0 || b == 1);
			break;
		case CONF_UINT:
		case CONF_TIME:
			memcpy(&u, base, sizeof(u));
			FUZZ_ASSERT(u >= k->min && u <= k->max);
			break;
		case CONF_ENUM:
			memcpy(&u, base, sizeof(u));
			for (w = 0; k->words[w] != NULL; w++)
				;
			FUZZ_ASSERT(u < w);
			break;
		case CONF_MODE:
			memcpy(&u, base, sizeof(u));
			FUZZ_ASSERT(u <= 0777);
			break;
		case CONF_CIDRS:
			memcpy(&cl, base, sizeof(cl));
			check_cidrs(cl);
			break;
		case CONF_DOMAINS:
		case CONF_OVERRIDES:
			memcpy(&dl, base, sizeof(dl));
			check_domains(dl, k->type == CONF_OVERRIDES);
			break;
		}
	}
	FUZZ_ASSERT(
	    cfg->source != NULL && strcmp(cfg->source, "fuzz.conf") == 0);
	s = config_socket_path(cfg);
	if (s != NULL)
		FUZZ_ASSERT(strncasecmp(cfg->socket, "unix:", 5) == 0 ||
		    strncasecmp(cfg->socket, "local:", 6) == 0);
	(void)config_syslog_facility(cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct config *cfg = (struct config *)&cfg;
	struct cidr_list *l;
	char err[1024];
	unsigned nlines = 0;
	size_t i;
	int rc;

	/* a file of networks, and the same text inline */
	l = NULL;
	if (cidr_list_parse(p, size, "fuzz.list", &l, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(l != NULL);
		check_cidrs(l);
		cidr_list_free(&l);
		FUZZ_ASSERT(l == NULL);
	} else
		FUZZ_ASSERT(strncmp(err, "fuzz.list:", 10) == 0);
	if (cidr_list_parse(p, size, NULL, &l, err, sizeof(err)) == 0) {
		check_cidrs(l);
		cidr_list_free(&l);
	}

	if (opens_file(p, size))
		return 0;
	for (i = 0; i < size; i++)
		nlines += p[i] == '\n';
	nlines += size > 0 && p[size - 1] != '\n';
	memset(err, 'x', sizeof(err));
	rc = config_load_mem(p, size, "fuzz.conf", &cfg, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == -1) {
		FUZZ_ASSERT(cfg == NULL);
		FUZZ_ASSERT(strnlen(err, sizeof(err)) < sizeof(err));
		FUZZ_ASSERT(strncmp(err, "fuzz.conf:", 10) == 0);
		return 0;
	}
	FUZZ_ASSERT(cfg != NULL);
	check_config(cfg, nlines);
	config_free(&cfg);
	FUZZ_ASSERT(cfg == NULL);
	return 0;
}
