/*
 * keycache.c - decoded DKIM public keys, kept by their DER bytes
 *
 * libopendkim decodes the key of every RSA signature it checks with
 * d2i_PUBKEY_bio() on a memory BIO that holds the base64-decoded p= tag
 * (RFC 6376 3.6.1).  With OpenSSL 3 that call builds a decoder chain each
 * time: about 1.1 million instructions, nearly three times the RSA-2048
 * verification it prepares (callgrind over the benchmark corpus).  This
 * file defines d2i_PUBKEY_bio() in the program, so the dynamic linker
 * binds libopendkim's call to it rather than to libcrypto's, and answers
 * from a small cache keyed by the exact DER bytes: the key handed out is
 * the one libcrypto decoded from those very bytes.  A key is immutable
 * once decoded and is shared by reference (EVP_PKEY_up_ref); OpenSSL
 * allows concurrent verifications with one key.  A call with a reuse
 * argument, on a BIO that is not a memory BIO, or with more than
 * KEYCACHE_DER_MAX bytes goes to libcrypto's own function, found with
 * dlsym(RTLD_NEXT); a key that does not decode is never kept.
 *
 * The cache holds KEYCACHE_ENTRIES keys; the oldest goes first.  Buckets
 * are chosen by SHA-256 of the bytes (the bytes come from DNS, so an
 * attacker cannot pile them into one chain), and a hit also compares
 * every byte.  Nothing here depends on DNS TTLs: a key that is revoked or
 * replaced is a different TXT record, hence different bytes, or none.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sha2.h> /* libmd */

#include "auth/keycache.h"

#define KEYCACHE_ENTRIES 1024 /* keys kept */
#define KEYCACHE_BUCKETS 256  /* power of two */
#define KEYCACHE_DER_MAX 2048 /* bytes: an RSA-8192 key is about 1060 */

struct keycache_ent {
	struct keycache_ent *hnext;	    /* bucket chain */
	struct keycache_ent *older, *newer; /* age list */
	EVP_PKEY *pkey;			    /* one reference is ours */
	size_t len;			    /* DER bytes given */
	size_t used;			    /* of which the key took */
	unsigned char digest[SHA256_DIGEST_LENGTH];
	unsigned char der[];
};

typedef EVP_PKEY *(*d2i_bio_fn)(BIO *, EVP_PKEY **);

static struct {
	pthread_mutex_t lock;
	struct keycache_ent *bucket[KEYCACHE_BUCKETS];
	struct keycache_ent *oldest, *newest;
	size_t entries;
	unsigned long hits, misses;
	d2i_bio_fn real; /* libcrypto's d2i_PUBKEY_bio */
} kc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t kc_once = PTHREAD_ONCE_INIT;

static void
keycache_once(void)
{
	void *sym;

	/* the next definition after ours in the lookup order: libcrypto's */
	sym = dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
	memcpy(&kc.real, &sym, sizeof(kc.real)); /* object -> function */
}

/* keycache_init - see keycache.h */
void
keycache_init(void)
{
	(void)pthread_once(&kc_once, keycache_once);
}

/* keycache_stats - see keycache.h */
void
keycache_stats(unsigned long *hits, unsigned long *misses, size_t *entries)
{
	pthread_mutex_lock(&kc.lock);
	*hits = kc.hits;
	*misses = kc.misses;
	*entries = kc.entries;
	pthread_mutex_unlock(&kc.lock);
}

/* keycache_drop_oldest - unlink and free the oldest entry (lock held) */
static void
keycache_drop_oldest(void)
{
	struct keycache_ent *e = kc.oldest, **pp;

	pp = &kc.bucket[e->digest[0] & (KEYCACHE_BUCKETS - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	kc.oldest = e->newer;
	if (kc.oldest != NULL)
		kc.oldest->older = NULL;
	else
		kc.newest = NULL;
	kc.entries--;
	EVP_PKEY_free(e->pkey);
	free(e);
}

/* keycache_find - the entry for these bytes, or NULL (lock held) */
static struct keycache_ent *
keycache_find(const unsigned char *digest, const unsigned char *der, size_t len)
{
	struct keycache_ent *e;

	for (e = kc.bucket[digest[0] & (KEYCACHE_BUCKETS - 1)]; e != NULL;
	     e = e->hnext)
		if (e->len == len &&
		    memcmp(e->digest, digest, sizeof(e->digest)) == 0 &&
		    memcmp(e->der, der, len) == 0)
			return e;
	return NULL;
}

/* keycache_add - keep pkey for these bytes (lock held) */
static void
keycache_add(const unsigned char *digest, const unsigned char *der, size_t len,
    size_t used, EVP_PKEY *pkey)
{
	struct keycache_ent *e, **pp;

	if (EVP_PKEY_up_ref(pkey) != 1)
		return;
	if ((e = calloc(1, sizeof(*e) + len)) == NULL) {
		EVP_PKEY_free(pkey);
		return; /* a cache: no memory means no entry */
	}
	memcpy(e->digest, digest, sizeof(e->digest));
	memcpy(e->der, der, len);
	e->len = len;
	e->used = used;
	e->pkey = pkey;
	while (kc.entries >= KEYCACHE_ENTRIES)
		keycache_drop_oldest();
	pp = &kc.bucket[digest[0] & (KEYCACHE_BUCKETS - 1)];
	e->hnext = *pp;
	*pp = e;
	e->older = kc.newest;
	if (kc.newest != NULL)
		kc.newest->newer = e;
	else
		kc.oldest = e;
	kc.newest = e;
	kc.entries++;
}

/* keycache_skip - consume n bytes of the memory BIO, as the decoder would */
static void
keycache_skip(BIO *bp, size_t n)
{
	unsigned char scratch[256];
	int r;

	while (n > 0) {
		r = BIO_read(bp, scratch,
		    (int)(n < sizeof(scratch) ? n : sizeof(scratch)));
		if (r <= 0)
			break;
		n -= (size_t)r;
	}
}

/*
 * d2i_PUBKEY_bio - libcrypto's function of that name (see the top of this
 * file), answered from the cache for memory BIOs
 */
EVP_PKEY *
d2i_PUBKEY_bio(BIO *bp, EVP_PKEY **a)
{
	SHA2_CTX ctx;
	struct keycache_ent *e;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const unsigned char *p;
	char *data = NULL;
	EVP_PKEY *pkey;
	long len;
	size_t used;

	keycache_init();
	if (a != NULL || bp == NULL || BIO_method_type(bp) != BIO_TYPE_MEM ||
	    (len = BIO_get_mem_data(bp, &data)) <= 0 || data == NULL ||
	    len > KEYCACHE_DER_MAX) {
		if (kc.real == NULL)
			return NULL;
		return kc.real(bp, a);
	}
	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)data, (size_t)len);
	SHA256Final(digest, &ctx);
	pthread_mutex_lock(&kc.lock);
	if ((e = keycache_find(digest, (unsigned char *)data, (size_t)len)) !=
	    NULL) {
		pkey = EVP_PKEY_up_ref(e->pkey) == 1 ? e->pkey : NULL;
		used = e->used;
		kc.hits++;
		pthread_mutex_unlock(&kc.lock);
		if (pkey != NULL)
			keycache_skip(bp, used);
		return pkey;
	}
	kc.misses++;
	pthread_mutex_unlock(&kc.lock);
	/* decode outside the lock: this is the slow part */
	p = (const unsigned char *)data;
	if ((pkey = d2i_PUBKEY(NULL, &p, len)) == NULL)
		return NULL; /* never cached: a bad key stays an error */
	used = (size_t)(p - (const unsigned char *)data);
	pthread_mutex_lock(&kc.lock);
	if (keycache_find(digest, (unsigned char *)data, (size_t)len) == NULL)
		keycache_add(digest, (unsigned char *)data, (size_t)len, used,
		    pkey);
	pthread_mutex_unlock(&kc.lock);
	keycache_skip(bp, used);
	return pkey;
}
