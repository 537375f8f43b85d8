/*
 * config.h - the configuration: one table of keys, one parser, one snapshot
 *
 * The file format is OpenDMARC's: "Key value" lines, '#' starts a comment,
 * keys are case-insensitive, the value is the rest of the line with outer
 * white space removed.  An unknown key, a bad value or a key given twice
 * is an error "FILE:LINE: message".
 *
 * config_load(path, &cfg, err, errlen) builds a new struct config from the
 * embedded defaults and the file; config_default() gives the defaults
 * alone.  A struct config is immutable once built: share it freely between
 * threads, free it with config_free().
 *
 * config_keys[] (NULL-terminated by name) is the table itself: every key
 * with its type, default, range and the sample line's comment; tests check
 * that conf/dmarc-milter.conf and man/dmarc-milter.conf.5 list every key.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_LINE_MAX 4096 /* longer lines are an error, not truncated */

enum conf_type {
	CONF_STRING, /* any text; "" allowed */
	CONF_BOOL,   /* yes/no, true/false, on/off, 1/0 */
	CONF_UINT,   /* decimal, within [min, max] */
	CONF_TIME,   /* N, Ns or Nms -> milliseconds, within [min, max] ms */
	CONF_ENUM    /* one word of a fixed list -> its index */
};

enum conf_temperror { CONF_TEMPERROR_TEMPFAIL, CONF_TEMPERROR_ACCEPT };
enum conf_missingfrom {
	CONF_MISSINGFROM_ACCEPT,
	CONF_MISSINGFROM_REJECT,
	CONF_MISSINGFROM_QUARANTINE
};
enum conf_orgmethod { CONF_ORG_TREEWALK, CONF_ORG_PSL };

struct config {
	char *authserv_id;   /* "" means: this host's name */
	char *dns_zone_file; /* "" means: real DNS */
	char *nameservers;   /* "" means: /etc/resolv.conf */
	unsigned int dns_timeout_ms;
	int honor_pct;
	unsigned int temperror_action;	  /* enum conf_temperror */
	unsigned int missing_from_action; /* enum conf_missingfrom */
	unsigned int org_domain_method;	  /* enum conf_orgmethod */
	unsigned int max_dkim_sigs;
	char *psl_file;
};

struct config_key {
	const char *name;
	enum conf_type type;
	size_t offset;		  /* into struct config */
	const char *dflt;	  /* as it would be written in the file */
	unsigned long min, max;	  /* CONF_UINT, CONF_TIME */
	const char *const *words; /* CONF_ENUM, NULL-terminated */
	const char *doc;	  /* one line for the sample file */
};

extern const struct config_key config_keys[];

int config_load(const char *path, struct config **cfg_r, char *err,
    size_t errlen);
int config_load_mem(const char *text, size_t len, const char *label,
    struct config **cfg_r, char *err, size_t errlen);
int config_default(struct config **cfg_r);
void config_free(struct config **cfg);

#endif
