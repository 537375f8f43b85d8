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
 * Everything that can be checked without the system is checked here, so
 * that "dmarc-milter -n" and a reload refuse a bad file: the Socket
 * syntax, modes, texts that go into SMTP replies and headers, and the
 * network and domain lists, which are parsed into their structures at
 * load time (an IgnoreHosts or TrustedForwarders value starting with '/'
 * names a file of networks, read when the config is loaded; its errors
 * read "FILE:LINE: IgnoreHosts: LISTFILE:N: bad entry ...").  What
 * depends on the system (does UserID exist?) is the daemon's to check:
 * config_key_line() gives the line to name in the error.
 *
 * config_keys[] (NULL-terminated by name) is the table itself: every key
 * with its type, default, range and the sample line's comment; tests check
 * that conf/dmarc-milter.conf and man/dmarc-milter.conf.5 list every key.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#include "policy/domain.h"

#define CONFIG_LINE_MAX	  4096 /* longer lines are an error, not truncated */
#define CONFIG_KEYS_MAX	  64   /* entries of config_keys[] */
#define CONFIG_LIST_MAX	  1000 /* domains in one domain list */
#define CONFIG_FILE_MAX	  (1UL << 24) /* 16 MB: larger is not a config */
/* reply texts: with a 253-octet domain and "550 5.7.1 " a reply stays
 * under RFC 5321's 512-octet line */
#define CONFIG_TEXT_MAX	  200
#define CONFIG_HEADER_MAX 76 /* a header name on one 78-octet line */

enum conf_type {
	CONF_STRING,  /* any text; "" allowed */
	CONF_BOOL,    /* yes/no, true/false, on/off, 1/0 */
	CONF_UINT,    /* decimal, within [min, max] */
	CONF_TIME,    /* N, Ns or Nms -> milliseconds, within [min, max] ms */
	CONF_ENUM,    /* one word of a fixed list -> its index */
	CONF_MODE,    /* octal file mode, 0 to 0777 */
	CONF_SOCKET,  /* milter socket: inet:PORT@HOST, inet6:, unix:, local: */
	CONF_USER,    /* "user" or "user:group" (names only) */
	CONF_TEXT,    /* printable ASCII, length within [min, max] */
	CONF_HEADER,  /* an RFC 5322 field name */
	CONF_CIDRS,   /* networks inline, or "/path" of a file of them */
	CONF_DOMAINS, /* domain names, comma or space separated */
	CONF_OVERRIDES /* DOMAIN=none|quarantine|reject, comma or space
			  separated */
};

enum conf_temperror { CONF_TEMPERROR_TEMPFAIL, CONF_TEMPERROR_ACCEPT };
enum conf_missingfrom {
	CONF_MISSINGFROM_ACCEPT,
	CONF_MISSINGFROM_REJECT,
	CONF_MISSINGFROM_QUARANTINE
};
enum conf_orgmethod { CONF_ORG_TREEWALK, CONF_ORG_PSL };
enum conf_rejectaction { CONF_REJECT_REJECT, CONF_REJECT_QUARANTINE };
enum conf_quarantineaction {
	CONF_QUARANTINE_TAG,
	CONF_QUARANTINE_HOLD,
	CONF_QUARANTINE_REJECT,
	CONF_QUARANTINE_ACCEPT
};

struct cidr_list;

/* one domain of TrustedForwarderDomains or PolicyOverrides */
struct conf_domain {
	char name[DOMAIN_MAX + 1]; /* lower case, no trailing dot */
	unsigned int disp;	   /* PolicyOverrides: enum dmarc_disp */
};

struct conf_domains {
	size_t n;
	struct conf_domain *v;
};

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

	/* the daemon */
	char *socket;		      /* libmilter connection spec */
	unsigned int socket_mode;     /* unix sockets */
	char *pid_file;		      /* "" means none */
	char *user_id;		      /* "" means: stay as started */
	unsigned int syslog_facility; /* index: config_syslog_facility() */

	/* actions */
	int reject_failures;		/* no: monitor mode */
	unsigned int reject_action;	/* enum conf_rejectaction */
	unsigned int quarantine_action; /* enum conf_quarantineaction */
	char *quarantine_header;
	char *quarantine_subject_prefix; /* "" means none */
	char *reject_text;		 /* "{domain}": the policy domain */
	char *temperror_text;

	/* local policy */
	struct cidr_list *ignore_hosts;
	int ignore_auth_clients;
	struct cidr_list *trusted_forwarders;
	struct conf_domains *trusted_forwarder_domains;
	struct conf_domains *policy_overrides;

	/* outcomes and aggregate reports */
	char *history_db; /* "" means: not recorded */
	char *spool_dir;
	unsigned int spool_max_mb;
	char *report_domain;
	char *report_email;
	char *report_org_name;
	char *report_contact_info;
	char *sendmail_path;

	/* failure reports (RFC 9991) */
	int failure_reports;
	int failure_reports_redact;
	unsigned int failure_report_rate;   /* per hour per destination */
	unsigned int failure_reports_queue; /* pending reports in memory */

	/* where the values came from */
	char *source;				/* file name or label */
	unsigned int key_line[CONFIG_KEYS_MAX]; /* 0: the default */
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

/* config_key_line - the line that set key, 0 if it kept its default */
unsigned int config_key_line(const struct config *cfg, const char *key);

/* config_syslog_facility - the LOG_* value of SyslogFacility */
int config_syslog_facility(const struct config *cfg);

/*
 * config_socket_path - for a unix: or local: Socket, the path (a pointer
 * into cfg->socket); NULL for inet sockets
 */
const char *config_socket_path(const struct config *cfg);

/*
 * config_domains_find - the entry of list equal to domain (ASCII case
 * ignored, one trailing dot allowed), or NULL; a NULL list finds nothing
 */
const struct conf_domain *config_domains_find(const struct conf_domains *list,
    const char *domain);

#endif
