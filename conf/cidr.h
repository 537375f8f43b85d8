/*
 * cidr.h - lists of IPv4 and IPv6 networks (IgnoreHosts, TrustedForwarders)
 *
 * cidr_parse(s, len, out, errstr_r): one entry, len bytes, not
 * NUL-terminated: an address ("192.0.2.1", "2001:db8::1") or a network
 * ("192.0.2.0/24", "2001:db8::/32").  Host bits beyond the prefix are
 * cleared, so "192.0.2.1/24" is 192.0.2.0/24.  An IPv4-mapped IPv6
 * network with a prefix of at least 96 ("::ffff:192.0.2.0/120") is stored
 * as the IPv4 network it names.  Host names, zone ids ("%eth0"), "!"
 * negation, a prefix with a sign or over 32 (IPv4) or 128 (IPv6), and
 * entries over CIDR_ENTRY_MAX octets are refused.  Returns 0, or -1 with
 * *errstr_r a static string.
 *
 * cidr_list_parse(text, len, label, &list, err, errlen): text is hostile
 * (an inline config value or the contents of a file).  Entries are
 * separated by commas and white space; with label != NULL the text is a
 * file: '#' starts a comment that runs to the end of the line, and errors
 * name label and line ("LABEL:3: bad entry \"x\": not an IP address").
 * Inline errors read "bad entry \"x\": ...".  A NUL byte or more than
 * CIDR_LIST_MAX entries is an error.  Empty text gives an empty list.
 * Returns 0 with *list_r set (free with cidr_list_free()), or -1.
 *
 * cidr_list_match(list, af, addr): 1 if the address (AF_INET: 4 bytes,
 * AF_INET6: 16 bytes, network order) is in a network of the list.  An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched as IPv4.  An
 * IPv4 entry never matches an IPv6 address and the reverse, so "::/0"
 * means every IPv6 client only.  A NULL list matches nothing.
 * cidr_list_match_str(list, ip): the same with an address as text; text
 * that is not an address matches nothing.
 *
 * Lists are immutable once built: share them between threads freely.
 * No I/O, no globals.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stddef.h>

/* entries in a list: a linear scan per connection stays cheap */
#define CIDR_LIST_MAX  10000
#define CIDR_ENTRY_MAX 64 /* longest IPv6 text (45) plus "/128", with room */

struct cidr {
	int af;			/* AF_INET or AF_INET6 */
	unsigned int plen;	/* 0..32 or 0..128 */
	unsigned char addr[16]; /* network order; host bits cleared */
};

struct cidr_list {
	size_t n;
	struct cidr *v;
};

int cidr_parse(const char *s, size_t len, struct cidr *out,
    const char **errstr_r);
int cidr_list_parse(const char *text, size_t len, const char *label,
    struct cidr_list **list_r, char *err, size_t errlen);
int cidr_list_match(const struct cidr_list *list, int af, const void *addr);
int cidr_list_match_str(const struct cidr_list *list, const char *ip);
void cidr_list_free(struct cidr_list **list);

#endif
