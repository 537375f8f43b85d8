/*
 * keycache.h - decoded DKIM public keys, kept by their DER bytes
 *
 * The program's own d2i_PUBKEY_bio() (see keycache.c) answers
 * libopendkim's key decoding from this cache.
 */
#ifndef KEYCACHE_H
#define KEYCACHE_H

#include <stddef.h>

/* keycache_init - find libcrypto's d2i_PUBKEY_bio(); idempotent */
void keycache_init(void);

/* keycache_stats - decodings answered from the cache, decoded, and kept */
void keycache_stats(unsigned long *hits, unsigned long *misses,
    size_t *entries);

#endif
