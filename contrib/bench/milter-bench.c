/*
 * milter-bench.c - a load client for milters: replays a corpus of messages
 * over the milter protocol (version 6) to one milter, or to a chain of
 * milters the way Postfix drives smtpd_milters, and reports throughput,
 * per-message latency, the mix of verdicts, header changes, and the milter
 * processes' memory and CPU time.
 *
 *	milter-bench --milter SOCK [--milter SOCK2 ...] --corpus DIR
 *	    [-c CONCURRENCY] [-m MSGS_PER_CONN] [-n TOTAL | -t SECONDS]
 *	    [--pid PID[,PID...]] [--idle N] [--timeout SECONDS]
 *	    [--no-coalesce] [--json] [-v]
 *
 * SOCK is inet:PORT@HOST, inet:HOST:PORT, inet6:PORT@HOST, unix:PATH or
 * local:PATH.  The corpus is every *.eml file of DIR; the envelope of
 * NAME.eml is NAME.env ("client IP [PORT]", "hostname NAME", "helo NAME",
 * "from ADDR", "rcpt ADDR" lines, rcpt repeatable) or, failing that, an
 * X-Bench-Envelope header ("client=IP; helo=NAME; from=ADDR; rcpt=ADDR,
 * ADDR"), which is not passed on.
 *
 * Each of CONCURRENCY threads opens one connection per milter, negotiates,
 * sends connect and helo (from the envelope of the connection's first
 * message), then MSGS_PER_CONN messages (MAIL, RCPT, DATA, headers one by
 * one, end of headers, body chunks of at most 65535 bytes, end of message),
 * each followed by SMFIC_ABORT as Postfix does, then SMFIC_QUIT.  Macros go
 * before each step as Postfix sends them, or as the milter asked with
 * SMFIR_SETSYMLIST.  Steps the milter skips (SMFIP_NO*) are not sent; steps
 * it does not answer (SMFIP_NR_*) are not waited for.  In a chain each step
 * goes to every milter in turn; the content goes to the first milter, then,
 * with its header changes applied, to the next; a reject, tempfail or
 * discard ends the message.
 *
 * A message's latency runs from its first command (the MAIL macros) to the
 * last final reply it needs.  Only the client's sockets get TCP_NODELAY: the
 * milter's own side keeps whatever Nagle setting the milter chose.
 * Commands the milter does not answer are written together with the next
 * one that it does (--no-coalesce: one write a command, as Postfix).
 *
 * -n TOTAL messages (default: the corpus once) or -t SECONDS, whichever
 * ends first; -c threads; -m messages a connection.  --pid watches
 * processes: VmHWM at the end, VmRSS and threads sampled every 100 ms, and
 * their CPU time per message.  --idle N first opens N connections to each
 * milter that only negotiate, and holds them through the run.  --json
 * prints one JSON object instead of text; -v traces the replies to the
 * first messages on stderr.
 *
 * Exit status: 0, 1 when a message failed (I/O, timeout, protocol error) or
 * a watched process went away, 2 on usage or setup errors.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

/* Milter address families are in mfdef.h; the macro stages (SMFIM_*) are
 * in mfapi.h, which would pull libmilter's filter side in: numbered here
 * as on the wire. */
enum stage {
	ST_CONNECT, /* SMFIM_CONNECT */
	ST_HELO,    /* SMFIM_HELO */
	ST_MAIL,    /* SMFIM_ENVFROM */
	ST_RCPT,    /* SMFIM_ENVRCPT */
	ST_DATA,    /* SMFIM_DATA */
	ST_EOM,	    /* SMFIM_EOM */
	ST_EOH,	    /* SMFIM_EOH */
	ST_N,
	ST_NONE = -1 /* a step without macros (header, body) */
};
static const char stage_cmd[ST_N] = {SMFIC_CONNECT, SMFIC_HELO, SMFIC_MAIL,
    SMFIC_RCPT, SMFIC_DATA, SMFIC_BODYEOB, SMFIC_EOH};
/* Postfix's milter_*_macros defaults, less those it leaves undefined for a
 * plain unauthenticated session; {auth_authen} is sent empty */
static const char *const stage_macros[ST_N] = {
    "j {daemon_name} {daemon_addr} v _",
    "",
    "i {auth_type} {auth_authen} {mail_addr}",
    "i {rcpt_addr}",
    "i",
    "i",
    "i",
};

/* what we speak: Postfix's milter_protocol = 6 */
#define BENCH_PROT_VERSION 6
/* a chain: Postfix setups rarely pass 3 milters */
#define BENCH_MILTERS_MAX  4
/* threads; each holds one socket per milter */
#define BENCH_CONC_MAX	   4096
/* idle connections held open by --idle */
#define BENCH_IDLE_MAX	   100000
/* one corpus message file, and a replaced body */
#define BENCH_FILE_MAX	   (64L << 20)
/* messages loaded from the corpus */
#define BENCH_CORPUS_MAX   1000000
/* headers of a message, with a milter's additions */
#define BENCH_HDRS_MAX	   10000
/* one header: libmilter takes at most 65535 bytes a command */
#define BENCH_HDR_MAX	   65000
/* recipients in one envelope */
#define BENCH_RCPTS_MAX	   1000
/* an envelope field: address, helo, host name */
#define BENCH_ADDR_MAX	   1024
/* MILTER_CHUNK_SIZE: body bytes in one SMFIC_BODY */
#define BENCH_CHUNK	   65535
/* one reply: a SMFIR_REPLBODY chunk under SMFIP_MDS_1M, and framing */
#define BENCH_REPLY_MAX	   ((1L << 20) + 64)
/* coalesced commands go out at this size */
#define BENCH_FLUSH	   (256 * 1024)
/* error lines printed; later ones are only counted */
#define BENCH_ERRLOG_MAX   20
/* seconds for any one read, write or connect */
#define BENCH_TIMEOUT	   30
/* worker stack: no deep recursion here */
#define BENCH_STACK	   (256 * 1024)
/* RSS sampling period */
#define BENCH_SAMPLE_MS	   100
/* processes watched with --pid */
#define BENCH_PIDS_MAX	   8
/* /proc/PID/status and /proc/PID/stat are smaller */
#define BENCH_PROC_MAX	   16384
/* modification replies to one end of message */
#define BENCH_MODS_MAX	   100000
/* messages traced with -v */
#define BENCH_SHOW	   5

/* latency histogram: exact below 256 us, then 128 buckets per power of two
 * (0.8 % resolution) up to 2^40 us */
#define HIST_LINEAR 256
#define HIST_SUB    128
#define HIST_OCT    33
#define HIST_N	    (HIST_LINEAR + HIST_OCT * HIST_SUB)

/* milter connection states, after Postfix milter8.c */
enum mstate {
	MS_CLOSED,
	MS_ENVELOPE,   /* connected; between or inside messages */
	MS_MESSAGE,    /* content being sent */
	MS_ACCEPT_CON, /* accepted the connection: sent nothing more */
	MS_REJECT_CON, /* rejected the connection */
	MS_ACCEPT_MSG, /* accepted the message: nothing more for it */
};

enum verdict {
	V_ACCEPT,
	V_REJECT,
	V_TEMPFAIL,
	V_QUARANTINE,
	V_DISCARD,
	V_OTHER, /* connection failure, shutdown, odd reply codes */
	V_ERROR, /* I/O, timeout or protocol error: no verdict */
	V_N
};
static const char *const verdict_name[V_N] = {"accept", "reject", "tempfail",
    "quarantine", "discard", "other", "error"};

struct maddr {
	char spec[512];
	int family;
	socklen_t len;
	struct sockaddr_storage sa;
};

struct hv { /* one header: value as after the colon, folds joined by "\n" */
	const char *name;
	const char *val;
};

struct msg {
	char *path;
	/* envelope */
	char family; /* SMFIA_INET or SMFIA_INET6 */
	unsigned short port;
	char *ip, *hostname, *helo, *from;
	char **rcpt;
	size_t nrcpt;
	/* content */
	struct hv *h;
	size_t nh;
	unsigned char *body; /* CRLF line ends */
	size_t bodylen;
	char *store; /* names and values of h */
};

struct corpus {
	struct msg *m;
	size_t n, noenv;
	size_t bytes;
};

struct opts {
	struct maddr milter[BENCH_MILTERS_MAX];
	size_t nmilters;
	unsigned long conc, per_conn, total, idle;
	unsigned long seconds, timeout;
	pid_t pid[BENCH_PIDS_MAX];
	size_t npids;
	const char *corpus;
	int json, verbose, coalesce;
};

struct hist {
	uint64_t b[HIST_N];
	uint64_t n, max, sum;
};

struct stats {
	unsigned long msgs, verdict[V_N];
	unsigned long early;	 /* verdict before the end of message */
	unsigned long conn_skip; /* every milter accepted at connect */
	unsigned long add, ins, chg, othermods;
	unsigned long conns, conn_errors;
	struct hist lat, setup;
};

struct obuf {
	unsigned char *p;
	size_t len, cap;
};

struct mconn {
	const struct maddr *ma;
	int fd;
	enum mstate state;
	unsigned long ver, act, proto;
	char *symlist[ST_N]; /* NULL: Postfix's list; set: the milter's */
	int have_symlist;
	struct obuf out;
	unsigned char *in;
	size_t inoff, inlen, incap;
	int replycode;	/* first digit of the last SMFIR_REPLYCODE */
	int conn_reply; /* the refusal of connect or helo */
	int drop; /* SMFIR_CONN_FAIL or SHUTDOWN: close after the message */
};

struct run;

struct worker {
	struct run *run;
	unsigned int id;
	pthread_t tid;
	struct mconn mc[BENCH_MILTERS_MAX];
	const struct msg *conn_msg; /* the envelope of the connection */
	struct stats st;
	char err[1024];
	/* per message, for chains */
	struct hv *wh; /* headers for the next milter */
	size_t nwh, cwh;
	char **owned; /* strings of header changes */
	size_t nowned, cowned;
	struct obuf newbody; /* SMFIR_REPLBODY chunks */
	int body_replaced;
	char qid[32];
	unsigned long seq;
	const struct msg *cur; /* the message being sent */
	int show;	       /* -v: trace this message's replies */
};

struct negotiated {
	int done;
	unsigned long ver, act, proto;
	char symlists[ST_N][256];
};

struct pidstat {
	long rss_max, rss_idle, hwm, threads_max;
	double cpu0, cpu1;
	int gone;
};

struct run {
	const struct opts *o;
	const struct corpus *c;
	atomic_ulong next; /* next message number */
	atomic_int stop;
	atomic_ulong errors;
	atomic_ulong done;
	uint64_t deadline; /* microseconds, 0: none */
	pthread_mutex_t lock;
	unsigned long errlogged;
	struct negotiated neg[BENCH_MILTERS_MAX];
	struct pidstat ps[BENCH_PIDS_MAX];
	atomic_int sampling;
	atomic_int shown; /* messages traced with -v */
};

static const char *progname = "milter-bench";

static void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void werr(struct worker *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* fatalx - setup error: say why and exit 2 */
static void
fatalx(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* fatal - fatalx with errno's text */
static void
fatal(const char *fmt, ...)
{
	char ebuf[128];
	int e = errno;
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* _GNU_SOURCE: the GNU strerror_r, which returns the text */
	fprintf(stderr, ": %s\n", strerror_r(e, ebuf, sizeof(ebuf)));
	exit(2);
}

/* xmalloc - malloc, or exit on out of memory */
static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatalx("out of memory");
	return p;
}

/* xreallocarray - reallocarray, or exit on out of memory */
static void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *np;

	if ((np = reallocarray(p, n == 0 ? 1 : n, size)) == NULL)
		fatalx("out of memory");
	return np;
}

/* xstrndup - a NUL-terminated copy of n bytes */
static char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* now_us - monotonic time in microseconds */
static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- histogram */

/* hist_index - the bucket of a value */
static size_t
hist_index(uint64_t v)
{
	unsigned int e;

	if (v < HIST_LINEAR)
		return (size_t)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* v >= 256: e >= 8 */
	if (e >= 8 + HIST_OCT)
		return HIST_N - 1;
	return HIST_LINEAR + (size_t)(e - 8) * HIST_SUB +
	    (size_t)((v >> (e - 7)) & (HIST_SUB - 1));
}

/* hist_value - the middle of bucket i */
static double
hist_value(size_t i)
{
	size_t e, sub;
	double lo, width;

	if (i < HIST_LINEAR)
		return (double)i;
	e = (i - HIST_LINEAR) / HIST_SUB + 8;
	sub = (i - HIST_LINEAR) % HIST_SUB;
	width = (double)(1ULL << (e - 7));
	lo = (double)(1ULL << e) + (double)sub * width;
	return lo + width / 2;
}

/* hist_add - count one latency */
static void
hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* hist_merge - add one histogram to another */
static void
hist_merge(struct hist *to, const struct hist *from)
{
	size_t i;

	for (i = 0; i < HIST_N; i++)
		to->b[i] += from->b[i];
	to->n += from->n;
	to->sum += from->sum;
	if (from->max > to->max)
		to->max = from->max;
}

/* hist_pct - the p-th percentile in microseconds (0 when empty) */
static double
hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	size_t i;
	double v;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)h->n + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_N; i++) {
		seen += h->b[i];
		if (seen >= want) {
			v = hist_value(i);
			return v > (double)h->max ? (double)h->max : v;
		}
	}
	return (double)h->max;
}

/* ---------------------------------------------------------------- corpus */

/* read_file - a whole regular file of at most BENCH_FILE_MAX bytes */
static int
read_file(const char *path, unsigned char **buf_r, size_t *len_r)
{
	struct stat sb;
	unsigned char *buf;
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > BENCH_FILE_MAX) {
		if (errno == 0 || S_ISREG(sb.st_mode))
			errno = EFBIG;
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		r = read(fd, buf + off, (size_t)sb.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*buf_r = buf;
	*len_r = off;
	return 0;
}

/* angle - an address as MAIL/RCPT carry it: "<addr>" */
static char *
angle(const char *s, size_t n)
{
	char *p;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 &&
	    (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		s[n - 1] == '\n'))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return xstrndup(s, n);
	p = xmalloc(n + 3);
	p[0] = '<';
	memcpy(p + 1, s, n);
	p[n + 1] = '>';
	p[n + 2] = '\0';
	return p;
}

/* bare - an address without its angle brackets, for {mail_addr} */
static void
bare(const char *addr, char *out, size_t outlen)
{
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		addr++;
		n -= 2;
	}
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, addr, n);
	out[n] = '\0';
}

/* trimdup - a copy without surrounding white space */
static char *
trimdup(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 &&
	    (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		s[n - 1] == '\n'))
		n--;
	return xstrndup(s, n);
}

/* add_rcpt - one more envelope recipient */
static void
add_rcpt(struct msg *m, const char *s, size_t n, const char *path)
{
	if (m->nrcpt >= BENCH_RCPTS_MAX)
		fatalx("%s: more than %d recipients", path, BENCH_RCPTS_MAX);
	m->rcpt = xreallocarray(m->rcpt, m->nrcpt + 1, sizeof(*m->rcpt));
	m->rcpt[m->nrcpt++] = angle(s, n);
}

/* env_set - one envelope field; returns -1 on an unknown key */
static int
env_set(struct msg *m, const char *k, size_t klen, const char *v, size_t vlen,
    const char *path)
{
	const char *errstr;
	char port[8];
	size_t i;

	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 &&
	    (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' || v[vlen - 1] == '\r' ||
		v[vlen - 1] == '\n'))
		vlen--;
	if (vlen > BENCH_ADDR_MAX)
		fatalx("%s: envelope field too long", path);
	if (klen == 6 && strncasecmp(k, "client", 6) == 0) {
		/* "IP" or "IP PORT" */
		for (i = 0; i < vlen && v[i] != ' ' && v[i] != '\t'; i++)
			;
		free(m->ip);
		m->ip = trimdup(v, i);
		while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < vlen) {
			if (vlen - i >= sizeof(port))
				fatalx("%s: bad client port", path);
			memcpy(port, v + i, vlen - i);
			port[vlen - i] = '\0';
			port[strcspn(port, " \t\r\n")] = '\0';
			m->port =
			    (unsigned short)strtonum(port, 0, 65535, &errstr);
			if (errstr != NULL)
				fatalx("%s: client port %s", path, errstr);
		}
	} else if (klen == 8 && strncasecmp(k, "hostname", 8) == 0) {
		free(m->hostname);
		m->hostname = trimdup(v, vlen);
	} else if (klen == 4 && strncasecmp(k, "helo", 4) == 0) {
		free(m->helo);
		m->helo = trimdup(v, vlen);
	} else if (klen == 4 && strncasecmp(k, "from", 4) == 0) {
		free(m->from);
		m->from = angle(v, vlen);
	} else if (klen == 4 && strncasecmp(k, "rcpt", 4) == 0) {
		/* "a, b" in the header form */
		while (vlen > 0) {
			for (i = 0; i < vlen && v[i] != ','; i++)
				;
			if (i > 0)
				add_rcpt(m, v, i, path);
			if (i == vlen)
				break;
			v += i + 1;
			vlen -= i + 1;
		}
	} else
		return -1;
	return 0;
}

/* load_env_file - NAME.env: "key value" lines */
static int
load_env_file(struct msg *m, const char *path)
{
	unsigned char *buf;
	const char *p, *end, *eol, *sp;
	size_t len;

	if (read_file(path, &buf, &len) == -1)
		return -1;
	p = (const char *)buf;
	end = p + len;
	if (memchr(buf, '\0', len) != NULL)
		fatalx("%s: NUL byte", path);
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol || *p == '#' || *p == '\r')
			continue;
		for (sp = p; sp < eol && *sp != ' ' && *sp != '\t'; sp++)
			;
		if (env_set(m, p, (size_t)(sp - p), sp, (size_t)(eol - sp),
			path) == -1)
			fatalx("%s: unknown envelope key \"%.*s\"", path,
			    (int)(sp - p > 32 ? 32 : sp - p), p);
		if (eol == end)
			break;
	}
	free(buf);
	return 0;
}

/* load_env_header - "client=IP; helo=NAME; from=ADDR; rcpt=A, B" */
static void
load_env_header(struct msg *m, const char *v, const char *path)
{
	const char *p = v, *semi, *eq;

	while (*p != '\0') {
		semi = p + strcspn(p, ";");
		while (p < semi && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p < semi) {
			eq = memchr(p, '=', (size_t)(semi - p));
			if (eq == NULL ||
			    env_set(m, p, (size_t)(eq - p), eq + 1,
				(size_t)(semi - eq - 1), path) == -1)
				fatalx("%s: bad X-Bench-Envelope field", path);
		}
		p = *semi == ';' ? semi + 1 : semi;
	}
}

/* parse_message - headers (folds joined by "\n", CRs dropped) and body
 * (lines ended by CRLF), as Postfix hands them to a milter */
static void
parse_message(struct msg *m, const unsigned char *buf, size_t len)
{
	const char *p = (const char *)buf, *end = p + len, *eol, *line_end;
	char *st, *name = NULL;
	size_t sl = 0, nbody = 0, i, cap;
	unsigned char *b;
	int in_hdr = 0;

	if (memchr(buf, '\0', len) != NULL)
		fatalx("%s: NUL byte in the message", m->path);
	st = xmalloc(len + 2 * BENCH_HDRS_MAX + 2);
	/* a mailbox "From " line is not a header */
	if (len > 5 && memcmp(p, "From ", 5) == 0) {
		eol = memchr(p, '\n', len);
		p = eol != NULL ? eol + 1 : end;
	}
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		line_end = eol != NULL ? eol : end;
		if (line_end > p && line_end[-1] == '\r')
			line_end--;
		if (line_end == p) { /* the empty line */
			p = eol != NULL ? eol + 1 : end;
			break;
		}
		if ((*p == ' ' || *p == '\t') && in_hdr) {
			st[sl++] = '\n';
			memcpy(st + sl, p, (size_t)(line_end - p));
			sl += (size_t)(line_end - p);
		} else {
			const char *colon =
			    memchr(p, ':', (size_t)(line_end - p));
			const char *ne;

			if (in_hdr)
				st[sl++] = '\0';
			in_hdr = 0;
			if (colon == NULL || colon == p) {
				/* not a header: Postfix would end the
				 * headers here; keep it simple and skip */
				p = eol != NULL ? eol + 1 : end;
				continue;
			}
			if (m->nh >= BENCH_HDRS_MAX)
				fatalx("%s: more than %d headers", m->path,
				    BENCH_HDRS_MAX);
			ne = colon;
			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			name = st + sl;
			memcpy(st + sl, p, (size_t)(ne - p));
			sl += (size_t)(ne - p);
			st[sl++] = '\0';
			m->h = xreallocarray(m->h, m->nh + 1, sizeof(*m->h));
			m->h[m->nh].name = name;
			m->h[m->nh].val = st + sl;
			m->nh++;
			memcpy(st + sl, colon + 1,
			    (size_t)(line_end - colon - 1));
			sl += (size_t)(line_end - colon - 1);
			in_hdr = 1;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	if (in_hdr)
		st[sl++] = '\0';
	m->store = st;
	for (i = 0; i < m->nh; i++) {
		if (strlen(m->h[i].name) + strlen(m->h[i].val) > BENCH_HDR_MAX)
			fatalx("%s: header %s longer than %d bytes", m->path,
			    m->h[i].name, BENCH_HDR_MAX);
	}

	/* body: every line ends in CRLF */
	cap = (size_t)(end - p) * 2 + 2;
	b = xmalloc(cap);
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		line_end = eol != NULL ? eol : end;
		if (line_end > p && line_end[-1] == '\r')
			line_end--;
		memcpy(b + nbody, p, (size_t)(line_end - p));
		nbody += (size_t)(line_end - p);
		b[nbody++] = '\r';
		b[nbody++] = '\n';
		p = eol != NULL ? eol + 1 : end;
	}
	m->body = b;
	m->bodylen = nbody;
}

/* eml_cmp - qsort order of file names */
static int
eml_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* corpus_load - every DIR/ *.eml with its envelope, in name order */
static void
corpus_load(struct corpus *c, const char *dir)
{
	char **names = NULL, path[PATH_MAX];
	size_t n = 0, i, j, l;
	struct dirent *de;
	DIR *d;

	memset(c, 0, sizeof(*c));
	if ((d = opendir(dir)) == NULL)
		fatal("corpus %s", dir);
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".eml") != 0)
			continue;
		if (n >= BENCH_CORPUS_MAX)
			fatalx("%s: more than %d messages", dir,
			    BENCH_CORPUS_MAX);
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrndup(de->d_name, l);
	}
	closedir(d);
	if (n == 0)
		fatalx("%s: no .eml files", dir);
	qsort(names, n, sizeof(*names), eml_cmp);
	c->m = xreallocarray(NULL, n, sizeof(*c->m));
	memset(c->m, 0, n * sizeof(*c->m));
	for (i = 0; i < n; i++) {
		struct msg *m = &c->m[i];
		unsigned char *buf;
		size_t len;
		int have_env;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			names[i]) >= sizeof(path))
			fatalx("%s/%s: path too long", dir, names[i]);
		m->path = xstrndup(path, strlen(path));
		if (read_file(path, &buf, &len) == -1)
			fatal("%s", path);
		parse_message(m, buf, len);
		free(buf);
		c->bytes += len;
		/* NAME.env, else the X-Bench-Envelope header */
		l = strlen(path);
		memcpy(path + l - 4, ".env", 4);
		have_env = load_env_file(m, path) == 0;
		for (j = 0; j < m->nh; j++) {
			if (strcasecmp(m->h[j].name, "X-Bench-Envelope") != 0)
				continue;
			if (!have_env)
				load_env_header(m, m->h[j].val, m->path);
			have_env = 1;
			memmove(&m->h[j], &m->h[j + 1],
			    (m->nh - j - 1) * sizeof(*m->h));
			m->nh--;
			j--;
		}
		if (!have_env)
			c->noenv++;
		if (m->ip == NULL)
			m->ip = xstrndup("192.0.2.1", 9);
		if (m->helo == NULL)
			m->helo = xstrndup("mta.bench.example", 17);
		if (m->from == NULL)
			m->from = angle("sender@bench.example", 20);
		if (m->nrcpt == 0)
			add_rcpt(m, "rcpt@dest.example", 17, m->path);
		m->family =
		    strchr(m->ip, ':') != NULL ? SMFIA_INET6 : SMFIA_INET;
		if (m->port == 0)
			m->port = (unsigned short)(40000 + i % 20000);
		if (m->hostname == NULL) {
			/* Postfix's form for a client without a name */
			l = strlen(m->ip) + 3;
			m->hostname = xmalloc(l);
			snprintf(m->hostname, l, "[%s]", m->ip);
		}
		free(names[i]);
	}
	free(names);
	c->n = n;
}

/* corpus_free - free every loaded message */
static void
corpus_free(struct corpus *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		struct msg *m = &c->m[i];

		free(m->path);
		free(m->ip);
		free(m->hostname);
		free(m->helo);
		free(m->from);
		for (j = 0; j < m->nrcpt; j++)
			free(m->rcpt[j]);
		free(m->rcpt);
		free(m->h);
		free(m->body);
		free(m->store);
	}
	free(c->m);
	memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- sockets */

/* maddr_parse - inet:PORT@HOST, inet:HOST:PORT, inet6:PORT@HOST, unix:PATH */
static void
maddr_parse(struct maddr *ma, const char *spec)
{
	char host[256], port[16];
	const char *rest, *at, *colon;
	struct addrinfo hints, *res;
	int family, rc;
	size_t hl;

	memset(ma, 0, sizeof(*ma));
	if (strlcpy(ma->spec, spec, sizeof(ma->spec)) >= sizeof(ma->spec))
		fatalx("milter address too long");
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ma->sa;

		rest = strchr(spec, ':') + 1;
		sun->sun_family = AF_UNIX;
		if (strlcpy(sun->sun_path, rest, sizeof(sun->sun_path)) >=
		    sizeof(sun->sun_path))
			fatalx("%s: socket path too long", spec);
		ma->family = AF_UNIX;
		ma->len = (socklen_t)sizeof(*sun);
		return;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		family = AF_UNSPEC;
		rest = spec + 5;
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		family = AF_INET6;
		rest = spec + 6;
	} else
		fatalx("%s: want inet:PORT@HOST, inet6:PORT@HOST or unix:PATH",
		    spec);
	if ((at = strchr(rest, '@')) != NULL) {
		if ((size_t)(at - rest) >= sizeof(port) ||
		    strlcpy(host, at + 1, sizeof(host)) >= sizeof(host))
			fatalx("%s: bad address", spec);
		memcpy(port, rest, (size_t)(at - rest));
		port[at - rest] = '\0';
	} else if ((colon = strrchr(rest, ':')) != NULL) {
		if ((size_t)(colon - rest) >= sizeof(host) ||
		    strlcpy(port, colon + 1, sizeof(port)) >= sizeof(port))
			fatalx("%s: bad address", spec);
		memcpy(host, rest, (size_t)(colon - rest));
		host[colon - rest] = '\0';
	} else {
		if (strlcpy(port, rest, sizeof(port)) >= sizeof(port))
			fatalx("%s: bad port", spec);
		strlcpy(host, family == AF_INET6 ? "::1" : "127.0.0.1",
		    sizeof(host));
	}
	hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		fatalx("%s: %s", spec, gai_strerror(rc));
	memcpy(&ma->sa, res->ai_addr, res->ai_addrlen);
	ma->len = res->ai_addrlen;
	ma->family = res->ai_family;
	freeaddrinfo(res);
}

/* sock_open - a connected socket with read and write timeouts, or -1 */
static int
sock_open(const struct maddr *ma, unsigned long timeout, char *err,
    size_t errlen)
{
	struct timeval tv;
	int fd, one = 1;
	char ebuf[128];

	if ((fd = socket(ma->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = 0;
	/* Linux applies SO_SNDTIMEO to connect() too */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		goto fail;
	if (ma->family != AF_UNIX &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	if (connect(fd, (const struct sockaddr *)&ma->sa, ma->len) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%.300s: connect: %s", ma->spec,
	    errno == EINPROGRESS || errno == EAGAIN
		? "timeout"
		: strerror_r(errno, ebuf, sizeof(ebuf)));
	if (fd != -1)
		close(fd);
	return -1;
}

/* ---------------------------------------------------------------- protocol */

/* ob_need - room for n more bytes */
static void
ob_need(struct obuf *b, size_t n)
{
	size_t ncap;

	if (n <= b->cap - b->len)
		return;
	if (n > SIZE_MAX / 2 - b->len)
		fatalx("output buffer overflow");
	ncap = b->cap ? b->cap : 4096;
	while (ncap - b->len < n)
		ncap *= 2;
	b->p = xreallocarray(b->p, ncap, 1);
	b->cap = ncap;
}

/* ob_add - append bytes */
static void
ob_add(struct obuf *b, const void *p, size_t n)
{
	ob_need(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* ob_adds - append a string and its NUL */
static void
ob_adds(struct obuf *b, const char *s)
{
	ob_add(b, s, strlen(s) + 1);
}

static void
ob_add32(struct obuf *b, uint32_t v)
{
	uint32_t n = htonl(v);

	ob_add(b, &n, 4);
}

/* pkt_begin - start a command; pkt_end fills its length in */
static size_t
pkt_begin(struct obuf *b, char cmd)
{
	size_t off = b->len;
	unsigned char c = (unsigned char)cmd;

	ob_add32(b, 0);
	ob_add(b, &c, 1);
	return off;
}

/* pkt_end - the length of the command begun at off */
static void
pkt_end(struct obuf *b, size_t off)
{
	uint32_t n = htonl((uint32_t)(b->len - off - 4));

	memcpy(b->p + off, &n, 4);
}

/* werr - the error text of the connection */
static void
werr(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

/* errtext - errno as text, "timeout" for EAGAIN */
static const char *
errtext(int e, char *buf, size_t len)
{
	if (e == EAGAIN || e == EWOULDBLOCK)
		return "timeout";
	return strerror_r(e, buf, len);
}

/* mc_flush - send what is buffered; -1 on error (w->err set) */
static int
mc_flush(struct worker *w, struct mconn *mc)
{
	size_t off = 0;
	ssize_t r;
	char ebuf[128];

	while (off < mc->out.len) {
		r = send(mc->fd, mc->out.p + off, mc->out.len - off,
		    MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			werr(w, "%s: write: %s", mc->ma->spec,
			    r == 0 ? "closed"
				   : errtext(errno, ebuf, sizeof(ebuf)));
			return -1;
		}
		off += (size_t)r;
	}
	mc->out.len = 0;
	return 0;
}

/* mc_read - the next reply: *cmd_r, and its data in the input buffer,
 * valid until the next call; -1 on error, timeout or a reply too long */
static int
mc_read(struct worker *w, struct mconn *mc, int *cmd_r,
    const unsigned char **data_r, size_t *len_r)
{
	uint32_t n;
	size_t want;
	ssize_t r;
	char ebuf[128];

	for (;;) {
		if (mc->inlen >= 5) {
			memcpy(&n, mc->in + mc->inoff, 4);
			n = ntohl(n);
			if (n == 0 || n > BENCH_REPLY_MAX) {
				werr(w,
				    "%s: reply of %" PRIu32
				    " bytes (protocol error)",
				    mc->ma->spec, n);
				return -1;
			}
			if (mc->inlen >= 4 + (size_t)n) {
				*cmd_r = mc->in[mc->inoff + 4];
				*data_r = mc->in + mc->inoff + 5;
				*len_r = n - 1;
				mc->inoff += 4 + (size_t)n;
				mc->inlen -= 4 + (size_t)n;
				return 0;
			}
			want = 4 + (size_t)n;
		} else
			want = 5;
		if (mc->inoff > 0 && mc->inoff + want > mc->incap) {
			memmove(mc->in, mc->in + mc->inoff, mc->inlen);
			mc->inoff = 0;
		}
		if (want > mc->incap) {
			size_t ncap = mc->incap ? mc->incap : 16384;

			while (ncap < want)
				ncap *= 2;
			mc->in = xreallocarray(mc->in, ncap, 1);
			mc->incap = ncap;
		}
		r = recv(mc->fd, mc->in + mc->inoff + mc->inlen,
		    mc->incap - mc->inoff - mc->inlen, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			werr(w, "%s: read: %s", mc->ma->spec,
			    r == 0 ? "connection closed by the milter"
				   : errtext(errno, ebuf, sizeof(ebuf)));
			return -1;
		}
		mc->inlen += (size_t)r;
	}
}

/* mvalue - the value of a macro, NULL when undefined */
static const char *
mvalue(const struct worker *w, const char *name, const struct msg *m,
    const char *rcpt, char *buf, size_t buflen)
{
	const struct msg *cm = w->conn_msg;

	if (strcmp(name, "j") == 0)
		return "mx.bench.example";
	if (strcmp(name, "daemon_name") == 0)
		return "mx.bench.example";
	if (strcmp(name, "daemon_addr") == 0)
		return "127.0.0.1";
	if (strcmp(name, "v") == 0)
		return "Postfix 3.7 (milter-bench)";
	if (strcmp(name, "_") == 0 && cm != NULL) {
		snprintf(buf, buflen, "%s [%s]", cm->hostname, cm->ip);
		return buf;
	}
	if (strcmp(name, "client_addr") == 0 && cm != NULL)
		return cm->ip;
	if (strcmp(name, "client_name") == 0 && cm != NULL)
		return cm->hostname;
	if (strcmp(name, "i") == 0 && m != NULL)
		return w->qid;
	if (strcmp(name, "auth_authen") == 0)
		return "";
	if (strcmp(name, "mail_addr") == 0 && m != NULL) {
		bare(m->from, buf, buflen);
		return buf;
	}
	if (strcmp(name, "rcpt_addr") == 0 && rcpt != NULL) {
		bare(rcpt, buf, buflen);
		return buf;
	}
	return NULL; /* undefined: not sent, as Postfix */
}

/* add_macros - the SMFIC_MACRO command before a step, when any defined */
static void
add_macros(struct worker *w, struct mconn *mc, enum stage st,
    const struct msg *m, const char *rcpt)
{
	char name[64], vbuf[BENCH_ADDR_MAX + 64];
	const char *list, *p, *v;
	size_t off, n, start;
	unsigned char c;

	if (st == ST_NONE)
		return;
	list = mc->have_symlist ? mc->symlist[st] : stage_macros[st];
	if (list == NULL || *list == '\0')
		return;
	off = pkt_begin(&mc->out, SMFIC_MACRO);
	c = (unsigned char)stage_cmd[st];
	ob_add(&mc->out, &c, 1);
	start = mc->out.len;
	for (p = list; *p != '\0';) {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if (n < sizeof(name) - 2) {
			/* compare without braces, send as {name} */
			const char *q = p;
			size_t qn = n;

			if (qn >= 2 && q[0] == '{' && q[qn - 1] == '}') {
				q++;
				qn -= 2;
			}
			memcpy(name, q, qn);
			name[qn] = '\0';
			if ((v = mvalue(w, name, m, rcpt, vbuf,
				 sizeof(vbuf))) != NULL) {
				if (qn == 1)
					ob_adds(&mc->out, name);
				else {
					char br[68];

					snprintf(br, sizeof(br), "{%s}", name);
					ob_adds(&mc->out, br);
				}
				ob_adds(&mc->out, v);
			}
		}
		p += n;
	}
	if (mc->out.len == start) { /* none defined: no command */
		mc->out.len = off;
		return;
	}
	pkt_end(&mc->out, off);
}

#define R_NONE 0 /* no reply waited for */

/* step_name - a command for error messages */
static const char *
step_name(char cmd)
{
	switch (cmd) {
	case SMFIC_CONNECT:
		return "connect";
	case SMFIC_HELO:
		return "helo";
	case SMFIC_MAIL:
		return "mail";
	case SMFIC_RCPT:
		return "rcpt";
	case SMFIC_DATA:
		return "data";
	case SMFIC_HEADER:
		return "header";
	case SMFIC_EOH:
		return "eoh";
	case SMFIC_BODY:
		return "body";
	case SMFIC_BODYEOB:
		return "eom";
	default:
		return "?";
	}
}

/* step_send - the macros and command the caller put in the output buffer
 * go out now when a reply is due (or coalescing is off).  Returns R_NONE,
 * the reply code ('c', 'a', 'r', 't', 'd', 'y', 's', 'f', '4'), or -1.
 * A step the milter does not take (SMFIP_NO*) is never built: the caller
 * checks, as Postfix sends neither it nor its macros. */
static int
step_send(struct worker *w, struct mconn *mc, char cmd, unsigned long noreply)
{
	const unsigned char *data;
	size_t len;
	int rc;

	if (mc->proto & noreply) {
		if (!w->run->o->coalesce || mc->out.len >= BENCH_FLUSH)
			return mc_flush(w, mc) == -1 ? -1 : R_NONE;
		return R_NONE;
	}
	if (mc_flush(w, mc) == -1)
		return -1;
	for (;;) {
		if (mc_read(w, mc, &rc, &data, &len) == -1)
			return -1;
		switch (rc) {
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_SKIP:
			if (cmd != SMFIC_BODY || !(mc->proto & SMFIP_SKIP))
				break;
			return rc;
		case SMFIR_REPLYCODE:
			mc->replycode = len > 0 ? data[0] : '?';
			return rc;
		case SMFIR_CONN_FAIL:
		case SMFIR_SHUTDOWN:
			mc->drop = 1;
			return rc;
		case SMFIR_CONTINUE:
		case SMFIR_ACCEPT:
		case SMFIR_REJECT:
		case SMFIR_TEMPFAIL:
		case SMFIR_DISCARD:
			return rc;
		default:
			break;
		}
		werr(w, "%s: reply '%c' to %s (protocol error)", mc->ma->spec,
		    rc >= ' ' && rc < 127 ? rc : '?', step_name(cmd));
		return -1;
	}
}

/* mc_close - close one milter connection, keep its buffers */
static void
mc_close(struct mconn *mc)
{
	size_t i;

	if (mc->fd != -1)
		close(mc->fd);
	mc->fd = -1;
	mc->state = MS_CLOSED;
	mc->out.len = 0;
	mc->inoff = mc->inlen = 0;
	for (i = 0; i < ST_N; i++) {
		free(mc->symlist[i]);
		mc->symlist[i] = NULL;
	}
	mc->have_symlist = 0;
	mc->drop = 0;
}

/* negotiate - SMFIC_OPTNEG: version 6, every action, every protocol step
 * and flag this client honours; the milter's answer is taken as is */
static int
negotiate(struct worker *w, struct mconn *mc, unsigned long timeout,
    struct negotiated *rec, pthread_mutex_t *lock)
{
	const unsigned long offer_proto = SMFI_CURR_PROT;
	const unsigned char *data;
	size_t len, off;
	uint32_t v[3];
	int rc;

	if ((mc->fd = sock_open(mc->ma, timeout, w->err, sizeof(w->err))) == -1)
		return -1;
	off = pkt_begin(&mc->out, SMFIC_OPTNEG);
	ob_add32(&mc->out, BENCH_PROT_VERSION);
	ob_add32(&mc->out, SMFI_CURR_ACTS);
	ob_add32(&mc->out, (uint32_t)offer_proto);
	pkt_end(&mc->out, off);
	if (mc_flush(w, mc) == -1 || mc_read(w, mc, &rc, &data, &len) == -1)
		return -1;
	if (rc != SMFIC_OPTNEG || len < 12) {
		werr(w, "%s: bad reply to option negotiation", mc->ma->spec);
		return -1;
	}
	memcpy(v, data, 12);
	mc->ver = ntohl(v[0]);
	mc->act = ntohl(v[1]);
	mc->proto = ntohl(v[2]);
	if (mc->ver < 2 || mc->ver > BENCH_PROT_VERSION) {
		werr(w, "%s: milter protocol version %lu", mc->ma->spec,
		    mc->ver);
		return -1;
	}
	/* libmilter may echo bits for its own use (SMFI_INTERNAL) */
	mc->proto &= offer_proto;
	mc->act &= SMFI_CURR_ACTS;
	/* SMFIR_SETSYMLIST: (stage, "names") pairs; every other stage then
	 * gets no macros (Postfix milter8.c) */
	data += 12;
	len -= 12;
	while (len >= 5) {
		uint32_t sti;
		const unsigned char *nul;

		memcpy(&sti, data, 4);
		sti = ntohl(sti);
		data += 4;
		len -= 4;
		if ((nul = memchr(data, '\0', len)) == NULL) {
			werr(w, "%s: bad macro list", mc->ma->spec);
			return -1;
		}
		if (sti < ST_N) {
			free(mc->symlist[sti]);
			mc->symlist[sti] =
			    xstrndup((const char *)data, (size_t)(nul - data));
		}
		mc->have_symlist = 1;
		len -= (size_t)(nul - data) + 1;
		data = nul + 1;
	}
	mc->state = MS_ENVELOPE;
	if (rec != NULL) {
		pthread_mutex_lock(lock);
		if (!rec->done) {
			size_t i;

			rec->done = 1;
			rec->ver = mc->ver;
			rec->act = mc->act;
			rec->proto = mc->proto;
			for (i = 0; i < ST_N; i++) {
				if (mc->symlist[i] != NULL)
					strlcpy(rec->symlists[i],
					    mc->symlist[i],
					    sizeof(rec->symlists[i]));
			}
		}
		pthread_mutex_unlock(lock);
	}
	return 0;
}

/* ---------------------------------------------------------------- messages */

/* record - count a verdict */
static void
record(struct worker *w, enum verdict v)
{
	w->st.verdict[v]++;
}

/* verdict_of - a final reply that ends the message */
static enum verdict
verdict_of(const struct mconn *mc, int rc)
{
	switch (rc) {
	case SMFIR_REJECT:
		return V_REJECT;
	case SMFIR_TEMPFAIL:
		return V_TEMPFAIL;
	case SMFIR_DISCARD:
		return V_DISCARD;
	case SMFIR_REPLYCODE:
		return mc->replycode == '5' ? V_REJECT
		    : mc->replycode == '4'  ? V_TEMPFAIL
					    : V_OTHER;
	default:
		return V_OTHER;
	}
}

/* ends_message - a reply after which the message goes no further */
static int
ends_message(int rc)
{
	return rc == SMFIR_REJECT || rc == SMFIR_TEMPFAIL ||
	    rc == SMFIR_DISCARD || rc == SMFIR_REPLYCODE ||
	    rc == SMFIR_CONN_FAIL || rc == SMFIR_SHUTDOWN;
}

/* own - a string freed at the end of the message */
static char *
own(struct worker *w, const char *s, size_t n)
{
	if (w->nowned == w->cowned) {
		w->cowned = w->cowned ? w->cowned * 2 : 16;
		w->owned =
		    xreallocarray(w->owned, w->cowned, sizeof(*w->owned));
	}
	return w->owned[w->nowned++] = xstrndup(s, n);
}

/* owned_clear - free the strings of the last message's header changes */
static void
owned_clear(struct worker *w)
{
	size_t k;

	for (k = 0; k < w->nowned; k++)
		free(w->owned[k]);
	w->nowned = 0;
}

/* wh_insert - a header into the list the next milter sees */
static void
wh_insert(struct worker *w, size_t at, const char *name, const char *val)
{
	if (w->nwh >= BENCH_HDRS_MAX)
		return; /* a milter gone mad: the rest is not passed on */
	if (w->nwh == w->cwh) {
		w->cwh = w->cwh ? w->cwh * 2 : 64;
		w->wh = xreallocarray(w->wh, w->cwh, sizeof(*w->wh));
	}
	if (at > w->nwh)
		at = w->nwh;
	memmove(&w->wh[at + 1], &w->wh[at], (w->nwh - at) * sizeof(*w->wh));
	w->wh[at].name = name;
	w->wh[at].val = val;
	w->nwh++;
}

/* mod_strings - "name\0value\0" of a header change */
static int
mod_strings(const unsigned char *d, size_t len, const char **name_r,
    size_t *nlen_r, const char **val_r, size_t *vlen_r)
{
	const unsigned char *n1, *n2;

	if ((n1 = memchr(d, '\0', len)) == NULL)
		return -1;
	if ((n2 = memchr(n1 + 1, '\0', len - (size_t)(n1 + 1 - d))) == NULL)
		return -1;
	*name_r = (const char *)d;
	*nlen_r = (size_t)(n1 - d);
	*val_r = (const char *)n1 + 1;
	*vlen_r = (size_t)(n2 - n1 - 1);
	return 0;
}

/* apply_mod - one modification reply to end of message: counted, and
 * applied to the headers and body the next milter of a chain sees */
static int
apply_mod(struct worker *w, struct mconn *mc, int rc, const unsigned char *d,
    size_t len, int apply, int *quarantine)
{
	const char *name, *val;
	size_t nlen, vlen, i, nth;
	uint32_t idx;
	char *v;

	switch (rc) {
	case SMFIR_ADDHEADER:
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		if (rc == SMFIR_ADDHEADER)
			w->st.add++;
		else if (rc == SMFIR_INSHEADER)
			w->st.ins++;
		else
			w->st.chg++;
		idx = 0;
		if (rc != SMFIR_ADDHEADER) {
			if (len < 4)
				return -1;
			memcpy(&idx, d, 4);
			idx = ntohl(idx);
			d += 4;
			len -= 4;
		}
		if (mod_strings(d, len, &name, &nlen, &val, &vlen) == -1)
			return -1;
		if (!apply)
			return 0;
		/* store as after the colon: with a leading space unless the
		 * milter wrote its own (SMFIP_HDR_LEADSPC) */
		if (mc->proto & SMFIP_HDR_LEADSPC)
			v = own(w, val, vlen);
		else {
			v = own(w, " ", 1 + vlen);
			memcpy(v + 1, val, vlen);
			v[1 + vlen] = '\0';
		}
		name = own(w, name, nlen);
		if (rc == SMFIR_ADDHEADER)
			wh_insert(w, w->nwh, name, v);
		else if (rc == SMFIR_INSHEADER)
			wh_insert(w, idx, name, v);
		else {
			/* the idx-th header of that name (from 1); an
			 * empty value deletes it; none: add it */
			for (i = 0, nth = 0; i < w->nwh; i++) {
				if (strcasecmp(w->wh[i].name, name) == 0 &&
				    ++nth == idx)
					break;
			}
			if (i == w->nwh) {
				if (vlen > 0)
					wh_insert(w, w->nwh, name, v);
			} else if (vlen == 0) {
				memmove(&w->wh[i], &w->wh[i + 1],
				    (w->nwh - i - 1) * sizeof(*w->wh));
				w->nwh--;
			} else
				w->wh[i].val = v;
		}
		return 0;
	case SMFIR_REPLBODY:
		w->st.othermods++;
		if (!apply)
			return 0;
		if (!w->body_replaced) {
			w->newbody.len = 0;
			w->body_replaced = 1;
		}
		if (w->newbody.len + len > BENCH_FILE_MAX)
			return -1;
		ob_add(&w->newbody, d, len);
		return 0;
	case SMFIR_QUARANTINE:
		*quarantine = 1;
		return 0;
	case SMFIR_ADDRCPT:
	case SMFIR_DELRCPT:
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_CHGFROM:
		w->st.othermods++;
		return 0;
	default:
		return -1;
	}
}

/* trace - -v: one reply to end of message, on stderr */
static void
trace(const struct worker *w, const struct mconn *mc, int rc,
    const unsigned char *data, size_t len)
{
	char text[300];
	size_t i, n = 0;

	for (i = 0; i < len && n < sizeof(text) - 1; i++) {
		unsigned char c = data[i];

		text[n++] = c == '\0'	 ? '|'
		    : c == '\n'		 ? ' '
		    : c == '\t'		 ? ' '
		    : c < ' ' || c > '~' ? '?'
					 : (char)c;
	}
	text[n] = '\0';
	/* SMFIR_INSHEADER and CHGHEADER start with a binary index */
	fprintf(stderr, "%s: %s: %s: '%c' %s\n", progname, w->cur->path,
	    mc->ma->spec, rc >= ' ' && rc < 127 ? rc : '?', text);
}

/* content - headers, end of headers, body and end of message to one
 * milter; returns the final reply code, R_NONE when the milter accepted
 * early (nothing more for it), or -1 */
static int
content(struct worker *w, struct mconn *mc, const struct msg *m,
    const struct hv *h, size_t nh, const unsigned char *body, size_t bodylen,
    int apply, int *quarantine)
{
	const unsigned char *data;
	size_t i, off, n, len, nmods = 0;
	int rc;

	mc->state = MS_MESSAGE;
	for (i = 0; i < nh && !(mc->proto & SMFIP_NOHDRS); i++) {
		const char *v = h[i].val;

		/* Sendmail eats one space after the colon, and so does
		 * Postfix, unless SMFIP_HDR_LEADSPC */
		if (!(mc->proto & SMFIP_HDR_LEADSPC) && *v == ' ')
			v++;
		off = pkt_begin(&mc->out, SMFIC_HEADER);
		ob_adds(&mc->out, h[i].name);
		ob_adds(&mc->out, v);
		pkt_end(&mc->out, off);
		if ((rc = step_send(w, mc, SMFIC_HEADER, SMFIP_NR_HDR)) == -1)
			return -1;
		if (rc == SMFIR_ACCEPT) {
			mc->state = MS_ACCEPT_MSG;
			return R_NONE;
		}
		if (ends_message(rc))
			return rc;
	}
	if (!(mc->proto & SMFIP_NOEOH)) {
		add_macros(w, mc, ST_EOH, m, NULL);
		off = pkt_begin(&mc->out, SMFIC_EOH);
		pkt_end(&mc->out, off);
		if ((rc = step_send(w, mc, SMFIC_EOH, SMFIP_NR_EOH)) == -1)
			return -1;
		if (rc == SMFIR_ACCEPT) {
			mc->state = MS_ACCEPT_MSG;
			return R_NONE;
		}
		if (ends_message(rc))
			return rc;
	}
	for (i = 0; i < bodylen && !(mc->proto & SMFIP_NOBODY); i += n) {
		n = bodylen - i > BENCH_CHUNK ? BENCH_CHUNK : bodylen - i;
		off = pkt_begin(&mc->out, SMFIC_BODY);
		ob_add(&mc->out, body + i, n);
		pkt_end(&mc->out, off);
		if ((rc = step_send(w, mc, SMFIC_BODY, SMFIP_NR_BODY)) == -1)
			return -1;
		if (rc == SMFIR_SKIP)
			break;
		if (rc == SMFIR_ACCEPT) {
			mc->state = MS_ACCEPT_MSG;
			return R_NONE;
		}
		if (ends_message(rc))
			return rc;
	}
	add_macros(w, mc, ST_EOM, m, NULL);
	off = pkt_begin(&mc->out, SMFIC_BODYEOB);
	pkt_end(&mc->out, off);
	if (mc_flush(w, mc) == -1)
		return -1;
	for (;;) {
		if (mc_read(w, mc, &rc, &data, &len) == -1)
			return -1;
		if (w->show)
			trace(w, mc, rc, data, len);
		switch (rc) {
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_CONTINUE:
		case SMFIR_ACCEPT:
			mc->state = MS_ENVELOPE;
			return rc;
		case SMFIR_REPLYCODE:
			mc->replycode = len > 0 ? data[0] : '?';
			return rc;
		case SMFIR_CONN_FAIL:
		case SMFIR_SHUTDOWN:
			mc->drop = 1;
			return rc;
		case SMFIR_REJECT:
		case SMFIR_TEMPFAIL:
		case SMFIR_DISCARD:
			return rc;
		default:
			if (++nmods > BENCH_MODS_MAX ||
			    apply_mod(w, mc, rc, data, len, apply,
				quarantine) == -1) {
				werr(w,
				    "%s: bad or unexpected reply '%c' to "
				    "end of message",
				    mc->ma->spec,
				    rc >= ' ' && rc < 127 ? rc : '?');
				return -1;
			}
		}
	}
}

/* one envelope step: SMFIC_CONNECT, HELO, MAIL, RCPT or DATA */
struct estep {
	enum stage st;
	char cmd;
	unsigned long nosend, noreply;
	const struct msg *m;
	const char *rcpt;
};

/* fill - the macros and the command of an envelope step */
static void
fill(struct worker *w, struct mconn *mc, const struct estep *e)
{
	const struct msg *cm = w->conn_msg;
	size_t off;
	unsigned char fam;
	uint16_t port;

	add_macros(w, mc, e->st, e->m, e->rcpt);
	off = pkt_begin(&mc->out, e->cmd);
	switch (e->cmd) {
	case SMFIC_CONNECT:
		ob_adds(&mc->out, cm->hostname);
		fam = (unsigned char)cm->family;
		ob_add(&mc->out, &fam, 1);
		port = htons(cm->port);
		ob_add(&mc->out, &port, 2);
		ob_adds(&mc->out, cm->ip);
		break;
	case SMFIC_HELO:
		ob_adds(&mc->out, cm->helo);
		break;
	case SMFIC_MAIL:
		ob_adds(&mc->out, e->m->from);
		break;
	case SMFIC_RCPT:
		ob_adds(&mc->out, e->rcpt);
		break;
	default: /* DATA: no arguments */
		break;
	}
	pkt_end(&mc->out, off);
}

/* estep_one - an envelope step to milter k, if it listens and takes the
 * step; returns R_NONE, the reply code, or -1 */
static int
estep_one(struct worker *w, size_t k, const struct estep *e)
{
	struct mconn *mc = &w->mc[k];

	if (mc->state != MS_ENVELOPE || (mc->proto & e->nosend))
		return R_NONE;
	fill(w, mc, e);
	return step_send(w, mc, e->cmd, e->noreply);
}

/* envelope_step - an envelope step to every milter in turn.  Returns 0 to
 * go on, 1 when milter *who_r ended the message with *rc_r, -1 on error */
static int
envelope_step(struct worker *w, const struct estep *e, int *rc_r, size_t *who_r)
{
	size_t k;
	int rc;

	for (k = 0; k < w->run->o->nmilters; k++) {
		if ((rc = estep_one(w, k, e)) == -1)
			return -1;
		if (rc == SMFIR_ACCEPT) {
			w->mc[k].state =
			    e->cmd == SMFIC_CONNECT || e->cmd == SMFIC_HELO
			    ? MS_ACCEPT_CON
			    : MS_ACCEPT_MSG;
		} else if (ends_message(rc)) {
			*rc_r = rc;
			*who_r = k;
			return 1;
		}
	}
	return 0;
}

/* next_qid - a queue id for the "i" macro, unique in the run */
static void
next_qid(struct worker *w)
{
	w->seq++;
	snprintf(w->qid, sizeof(w->qid), "%03X%07lX", w->id & 0xfff,
	    w->seq & 0xfffffff);
}

/* message_end - SMFIC_ABORT to every milter inside the transaction, as
 * Postfix does after each message; coalesced with the next command */
static int
message_end(struct worker *w)
{
	size_t k, off;
	struct mconn *mc;

	for (k = 0; k < w->run->o->nmilters; k++) {
		mc = &w->mc[k];
		if (mc->state != MS_ENVELOPE && mc->state != MS_MESSAGE &&
		    mc->state != MS_ACCEPT_MSG)
			continue;
		off = pkt_begin(&mc->out, SMFIC_ABORT);
		pkt_end(&mc->out, off);
		if (!w->run->o->coalesce && mc_flush(w, mc) == -1)
			return -1;
		mc->state = MS_ENVELOPE;
	}
	return 0;
}

/* chain_content - the content to each listening milter in turn, each one
 * seeing the header and body changes of those before it.  Returns 0 or 1
 * (a milter ended the message: *rc_r, *who_r), or -1 */
static int
chain_content(struct worker *w, const struct msg *m, int *quarantine, int *rc_r,
    size_t *who_r)
{
	const size_t nm = w->run->o->nmilters;
	size_t k, j, nh;
	const struct hv *h;
	struct hv *copy = NULL;
	int rc, use_wh = 0, apply;

	w->nwh = 0;
	w->body_replaced = 0;
	for (k = 0; k < nm; k++) {
		struct mconn *mc = &w->mc[k];

		if (mc->state != MS_ENVELOPE)
			continue;
		/* changes matter only when a later milter gets content */
		for (apply = 0, j = k + 1; j < nm; j++)
			if (w->mc[j].state == MS_ENVELOPE)
				apply = 1;
		if (apply && !use_wh) {
			for (j = 0; j < m->nh; j++)
				wh_insert(w, w->nwh, m->h[j].name, m->h[j].val);
			use_wh = 1;
		}
		h = use_wh ? w->wh : m->h;
		nh = use_wh ? w->nwh : m->nh;
		if (apply) {
			/* apply_mod edits w->wh: send from a snapshot */
			copy = xreallocarray(NULL, nh, sizeof(*copy));
			memcpy(copy, h, nh * sizeof(*copy));
			h = copy;
		}
		rc = content(w, mc, m, h, nh,
		    w->body_replaced ? w->newbody.p : m->body,
		    w->body_replaced ? w->newbody.len : m->bodylen, apply,
		    quarantine);
		free(copy);
		copy = NULL;
		if (rc == -1)
			return -1;
		if (ends_message(rc)) {
			*rc_r = rc;
			*who_r = k;
			return 1;
		}
	}
	return 0;
}

/* message_run - one message through every milter; -1 on error */
static int
message_run(struct worker *w, const struct msg *m)
{
	const size_t nm = w->run->o->nmilters;
	struct estep e;
	size_t k, r, who = 0, naccepted = 0;
	enum verdict v = V_ACCEPT;
	int rc = 0, st, quarantine = 0, early = 1, listening = 0;
	uint64_t t0;

	next_qid(w);
	owned_clear(w); /* left by a message that failed */
	w->cur = m;
	w->show = w->run->o->verbose &&
	    atomic_fetch_add(&w->run->shown, 1) < BENCH_SHOW;
	t0 = now_us();
	for (k = 0; k < nm; k++) {
		if (w->mc[k].state == MS_REJECT_CON) {
			/* refused at connect or helo: so is every message */
			v = verdict_of(&w->mc[k], w->mc[k].conn_reply);
			goto done;
		}
		if (w->mc[k].state == MS_ENVELOPE)
			listening = 1;
	}
	if (!listening) { /* every milter accepted the connection */
		w->st.conn_skip++;
		goto done;
	}

	memset(&e, 0, sizeof(e));
	e.m = m;
	e.st = ST_MAIL;
	e.cmd = SMFIC_MAIL;
	e.nosend = SMFIP_NOMAIL;
	e.noreply = SMFIP_NR_MAIL;
	if ((st = envelope_step(w, &e, &rc, &who)) == -1)
		return -1;
	if (st == 1) {
		v = verdict_of(&w->mc[who], rc);
		goto done;
	}
	/* RCPT: a milter's reject refuses that recipient only; the next
	 * milters do not see it */
	e.st = ST_RCPT;
	e.cmd = SMFIC_RCPT;
	e.nosend = SMFIP_NORCPT;
	e.noreply = SMFIP_NR_RCPT;
	for (r = 0; r < m->nrcpt; r++) {
		int refused = 0;

		e.rcpt = m->rcpt[r];
		for (k = 0; k < nm && !refused; k++) {
			if ((rc = estep_one(w, k, &e)) == -1)
				return -1;
			if (rc == SMFIR_ACCEPT)
				w->mc[k].state = MS_ACCEPT_MSG;
			else if (rc == SMFIR_DISCARD) {
				v = V_DISCARD;
				goto done;
			} else if (ends_message(rc)) {
				refused = 1;
				v = verdict_of(&w->mc[k], rc);
			}
		}
		if (!refused)
			naccepted++;
	}
	if (naccepted == 0)
		goto done; /* v: the last refusal */
	e.st = ST_DATA;
	e.cmd = SMFIC_DATA;
	e.nosend = SMFIP_NODATA;
	e.noreply = SMFIP_NR_DATA;
	e.rcpt = NULL;
	if ((st = envelope_step(w, &e, &rc, &who)) == -1)
		return -1;
	if (st == 1) {
		v = verdict_of(&w->mc[who], rc);
		goto done;
	}
	early = 0;
	if ((st = chain_content(w, m, &quarantine, &rc, &who)) == -1)
		return -1;
	if (st == 1)
		v = verdict_of(&w->mc[who], rc);
	else
		v = quarantine ? V_QUARANTINE : V_ACCEPT;
done:
	owned_clear(w);
	if (message_end(w) == -1)
		return -1;
	hist_add(&w->st.lat, now_us() - t0);
	w->st.msgs++;
	if (early)
		w->st.early++;
	if (w->show)
		fprintf(stderr, "%s: %s: verdict %s%s\n", progname, m->path,
		    verdict_name[v], early ? " (before end of message)" : "");
	record(w, v);
	return 0;
}

/* ---------------------------------------------------------------- workers */

/* take - the next message number, or -1 when the run is over */
static long
take(struct run *run)
{
	unsigned long i;

	if (atomic_load(&run->stop))
		return -1;
	if (run->deadline != 0 && now_us() >= run->deadline)
		return -1;
	i = atomic_fetch_add(&run->next, 1);
	if (run->o->total != 0 && i >= run->o->total)
		return -1;
	return (long)(i % run->c->n);
}

/* log_error - count an error, print the first ones */
static void
log_error(struct worker *w)
{
	struct run *run = w->run;
	unsigned long e = atomic_fetch_add(&run->errors, 1) + 1;

	pthread_mutex_lock(&run->lock);
	if (run->errlogged < BENCH_ERRLOG_MAX) {
		fprintf(stderr, "%s: connection %u: %s\n", progname, w->id,
		    w->err);
		if (++run->errlogged == BENCH_ERRLOG_MAX)
			fprintf(stderr, "%s: further errors only counted\n",
			    progname);
	}
	pthread_mutex_unlock(&run->lock);
	/* a milter that is down: stop rather than spin */
	if (e >= 100 && e > atomic_load(&run->done))
		atomic_store(&run->stop, 1);
}

/* conn_close - SMFIC_QUIT (when quit) and close every milter */
static void
conn_close(struct worker *w, int quit)
{
	size_t k, off;

	for (k = 0; k < w->run->o->nmilters; k++) {
		struct mconn *mc = &w->mc[k];

		if (mc->fd == -1)
			continue;
		if (quit &&
		    (mc->state == MS_ENVELOPE || mc->state == MS_MESSAGE ||
			mc->state == MS_ACCEPT_MSG)) {
			off = pkt_begin(&mc->out, SMFIC_QUIT);
			pkt_end(&mc->out, off);
			(void)mc_flush(w, mc);
		}
		mc_close(mc);
	}
}

/* conn_open - negotiate with every milter, then connect and helo */
static int
conn_open(struct worker *w, const struct msg *first, uint64_t *t_r)
{
	struct run *run = w->run;
	struct estep e;
	size_t k, who;
	int rc, st;
	uint64_t t0 = now_us();

	w->conn_msg = first;
	w->st.conns++;
	for (k = 0; k < run->o->nmilters; k++) {
		if (negotiate(w, &w->mc[k], run->o->timeout, &run->neg[k],
			&run->lock) == -1)
			return -1;
	}
	memset(&e, 0, sizeof(e));
	e.m = first;
	e.st = ST_CONNECT;
	e.cmd = SMFIC_CONNECT;
	e.nosend = SMFIP_NOCONNECT;
	e.noreply = SMFIP_NR_CONN;
	if ((st = envelope_step(w, &e, &rc, &who)) == -1)
		return -1;
	if (st == 0) {
		e.st = ST_HELO;
		e.cmd = SMFIC_HELO;
		e.nosend = SMFIP_NOHELO;
		e.noreply = SMFIP_NR_HELO;
		if ((st = envelope_step(w, &e, &rc, &who)) == -1)
			return -1;
	}
	if (st == 1) {
		/* refused: every message of the connection is refused */
		w->mc[who].state = MS_REJECT_CON;
		w->mc[who].conn_reply = rc;
	}
	*t_r = now_us() - t0;
	return 0;
}

/* worker_main - one concurrent connection, again and again */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	const struct opts *o = run->o;
	unsigned long j;
	uint64_t setup;
	long idx;
	size_t k;

	for (k = 0; k < BENCH_MILTERS_MAX; k++) {
		w->mc[k].fd = -1;
		w->mc[k].ma = &o->milter[k];
	}
	while ((idx = take(run)) != -1) {
		int failed = 0, drop = 0;

		if (conn_open(w, &run->c->m[idx], &setup) == -1) {
			w->st.conn_errors++;
			w->st.msgs++;
			record(w, V_ERROR);
			log_error(w);
			conn_close(w, 0);
			usleep(10000);
			continue;
		}
		hist_add(&w->st.setup, setup);
		for (j = 0; j < o->per_conn; j++) {
			if (j > 0 && (idx = take(run)) == -1)
				break;
			if (message_run(w, &run->c->m[idx]) == -1) {
				w->st.msgs++;
				record(w, V_ERROR);
				log_error(w);
				failed = 1;
				break;
			}
			atomic_fetch_add(&run->done, 1);
			for (k = 0; k < o->nmilters; k++)
				drop |= w->mc[k].drop;
			if (drop)
				break;
		}
		conn_close(w, !failed);
	}
	for (k = 0; k < BENCH_MILTERS_MAX; k++) {
		free(w->mc[k].out.p);
		free(w->mc[k].in);
		w->mc[k].out.p = w->mc[k].in = NULL;
	}
	owned_clear(w);
	free(w->wh);
	free(w->owned);
	free(w->newbody.p);
	w->wh = NULL;
	w->owned = NULL;
	w->newbody.p = NULL;
	return NULL;
}

/* ---------------------------------------------------------------- /proc */

/* proc_read - /proc/PID/WHAT into buf, NUL-terminated */
static int
proc_read(pid_t pid, const char *what, char *buf, size_t buflen)
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, buf, buflen - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

/* status_field - N of "Key:   N kB" in /proc/PID/status, or -1 */
static long
status_field(const char *buf, const char *key)
{
	const char *p = buf, *errstr;
	char num[24];
	size_t kl = strlen(key), n;
	long v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			p += kl + 1;
			p += strspn(p, " \t");
			n = strspn(p, "0123456789");
			if (n == 0 || n >= sizeof(num))
				return -1;
			memcpy(num, p, n);
			num[n] = '\0';
			v = (long)strtonum(num, 0, LONG_MAX, &errstr);
			return errstr != NULL ? -1 : v;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

/* proc_cpu - user + system seconds of the process, -1 if gone */
static double
proc_cpu(pid_t pid)
{
	char buf[BENCH_PROC_MAX], *p, *tok;
	long long ut = -1, stt = -1;
	const char *errstr;
	int i;

	if (proc_read(pid, "stat", buf, sizeof(buf)) == -1)
		return -1;
	/* after the command name "(...) ": state is field 3, utime 14 */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return -1;
	p += 2;
	for (i = 3; (tok = strsep(&p, " ")) != NULL; i++) {
		if (i == 14)
			ut = strtonum(tok, 0, LLONG_MAX, &errstr);
		else if (i == 15) {
			stt = strtonum(tok, 0, LLONG_MAX, &errstr);
			break;
		}
	}
	if (ut < 0 || stt < 0)
		return -1;
	return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

/* sample_once - RSS, threads and VmHWM of the watched processes */
static void
sample_once(struct run *run, int idle)
{
	char buf[BENCH_PROC_MAX];
	size_t i;
	long v;

	for (i = 0; i < run->o->npids; i++) {
		struct pidstat *ps = &run->ps[i];

		if (proc_read(run->o->pid[i], "status", buf, sizeof(buf)) ==
		    -1) {
			ps->gone = 1;
			continue;
		}
		if ((v = status_field(buf, "VmRSS")) > ps->rss_max)
			ps->rss_max = v;
		if (idle && v > ps->rss_idle)
			ps->rss_idle = v;
		if ((v = status_field(buf, "Threads")) > ps->threads_max)
			ps->threads_max = v;
		if ((v = status_field(buf, "VmHWM")) > ps->hwm)
			ps->hwm = v;
	}
}

/* sampler_main - sample every BENCH_SAMPLE_MS until the run ends */
static void *
sampler_main(void *arg)
{
	struct run *run = arg;
	struct timespec ts = {0, BENCH_SAMPLE_MS * 1000000L};

	while (atomic_load(&run->sampling)) {
		sample_once(run, 0);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ---------------------------------------------------------------- output */

/* flagnames - protocol flags by name */
static const char *
flagnames(unsigned long f, char *buf, size_t len)
{
	static const struct {
		unsigned long bit;
		const char *name;
	} t[] = {
	    {SMFIP_NOCONNECT, "NOCONNECT"},
	    {SMFIP_NOHELO, "NOHELO"},
	    {SMFIP_NOMAIL, "NOMAIL"},
	    {SMFIP_NORCPT, "NORCPT"},
	    {SMFIP_NOBODY, "NOBODY"},
	    {SMFIP_NOHDRS, "NOHDRS"},
	    {SMFIP_NOEOH, "NOEOH"},
	    {SMFIP_NR_HDR, "NR_HDR"},
	    {SMFIP_NOUNKNOWN, "NOUNKNOWN"},
	    {SMFIP_NODATA, "NODATA"},
	    {SMFIP_SKIP, "SKIP"},
	    {SMFIP_RCPT_REJ, "RCPT_REJ"},
	    {SMFIP_NR_CONN, "NR_CONN"},
	    {SMFIP_NR_HELO, "NR_HELO"},
	    {SMFIP_NR_MAIL, "NR_MAIL"},
	    {SMFIP_NR_RCPT, "NR_RCPT"},
	    {SMFIP_NR_DATA, "NR_DATA"},
	    {SMFIP_NR_UNKN, "NR_UNKN"},
	    {SMFIP_NR_EOH, "NR_EOH"},
	    {SMFIP_NR_BODY, "NR_BODY"},
	    {SMFIP_HDR_LEADSPC, "HDR_LEADSPC"},
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if ((f & t[i].bit) == 0)
			continue;
		n = strlcat(buf, n ? " " : "", len);
		n = strlcat(buf, t[i].name, len);
	}
	if (n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

/* json_str - a JSON string */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* report - the results, as text or as one JSON object */
static void
report(const struct run *run, const struct stats *st, double secs, int idle)
{
	const struct opts *o = run->o;
	FILE *f = stdout;
	double rate = secs > 0 ? (double)st->msgs / secs : 0;
	double cpu = 0;
	char fl[512];
	size_t i, ok_cpu = 0;
	int v;

	for (i = 0; i < o->npids; i++) {
		if (run->ps[i].cpu0 >= 0 && run->ps[i].cpu1 >= 0) {
			cpu += run->ps[i].cpu1 - run->ps[i].cpu0;
			ok_cpu++;
		}
	}
	if (o->json) {
		fprintf(f, "{\"milters\":[");
		for (i = 0; i < o->nmilters; i++) {
			const struct negotiated *n = &run->neg[i];

			fprintf(f, "%s{\"socket\":", i ? "," : "");
			json_str(f, o->milter[i].spec);
			fprintf(f,
			    ",\"version\":%lu,\"actions\":%lu,"
			    "\"protocol\":%lu,\"flags\":",
			    n->ver, n->act, n->proto);
			json_str(f, flagnames(n->proto, fl, sizeof(fl)));
			fprintf(f, "}");
		}
		fprintf(f,
		    "],\"concurrency\":%lu,\"per_connection\":%lu,"
		    "\"idle_connections\":%lu,\"corpus_messages\":%zu,"
		    "\"messages\":%lu,\"seconds\":%.3f,\"msgs_per_s\":%.1f,",
		    o->conc, o->per_conn, o->idle, run->c->n, st->msgs, secs,
		    rate);
		fprintf(f,
		    "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
		    "\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f},",
		    hist_pct(&st->lat, 50) / 1000,
		    hist_pct(&st->lat, 90) / 1000,
		    hist_pct(&st->lat, 99) / 1000, (double)st->lat.max / 1000,
		    st->lat.n ? (double)st->lat.sum / (double)st->lat.n / 1000
			      : 0);
		fprintf(f,
		    "\"setup_ms\":{\"connections\":%lu,\"p50\":%.3f,"
		    "\"p99\":%.3f},\"verdicts\":{",
		    st->conns, hist_pct(&st->setup, 50) / 1000,
		    hist_pct(&st->setup, 99) / 1000);
		for (v = 0; v < V_N; v++)
			fprintf(f, "%s\"%s\":%lu", v ? "," : "",
			    verdict_name[v], st->verdict[v]);
		fprintf(f,
		    "},\"early_verdicts\":%lu,\"accepted_at_connect\":%lu,"
		    "\"header_changes\":{\"add\":%lu,\"insert\":%lu,"
		    "\"change\":%lu,\"other\":%lu},\"processes\":[",
		    st->early, st->conn_skip, st->add, st->ins, st->chg,
		    st->othermods);
		for (i = 0; i < o->npids; i++) {
			const struct pidstat *p = &run->ps[i];

			fprintf(f,
			    "%s{\"pid\":%ld,\"vmhwm_kb\":%ld,"
			    "\"vmrss_max_kb\":%ld,\"vmrss_idle_kb\":%ld,"
			    "\"threads_max\":%ld,\"cpu_s\":%.3f,\"gone\":%s}",
			    i ? "," : "", (long)o->pid[i], p->hwm, p->rss_max,
			    idle ? p->rss_idle : -1, p->threads_max,
			    p->cpu0 >= 0 && p->cpu1 >= 0 ? p->cpu1 - p->cpu0
							 : -1.0,
			    p->gone ? "true" : "false");
		}
		fprintf(f, "],\"cpu_ms_per_msg\":%.4f,\"coalesce\":%s,",
		    ok_cpu && st->msgs ? cpu * 1000 / (double)st->msgs : -1.0,
		    o->coalesce ? "true" : "false");
		fprintf(f,
		    "\"tcp_nodelay\":\"client sockets only; the "
		    "milter's side is the milter's own\"}\n");
		return;
	}
	fprintf(f,
	    "milter-bench: %lu messages in %.2f s, concurrency %lu, "
	    "%lu messages/connection, corpus %zu messages\n",
	    st->msgs, secs, o->conc, o->per_conn, run->c->n);
	for (i = 0; i < o->nmilters; i++) {
		const struct negotiated *n = &run->neg[i];

		if (!n->done) {
			fprintf(f, "  milter %zu: %s  (never negotiated)\n",
			    i + 1, o->milter[i].spec);
			continue;
		}
		fprintf(f, "  milter %zu: %s  v%lu actions 0x%lx\n", i + 1,
		    o->milter[i].spec, n->ver, n->act);
		fprintf(f, "    protocol: %s\n",
		    flagnames(n->proto, fl, sizeof(fl)));
	}
	fprintf(f, "  throughput: %.1f msgs/s\n", rate);
	fprintf(f,
	    "  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  "
	    "mean %.2f\n",
	    hist_pct(&st->lat, 50) / 1000, hist_pct(&st->lat, 90) / 1000,
	    hist_pct(&st->lat, 99) / 1000, (double)st->lat.max / 1000,
	    st->lat.n ? (double)st->lat.sum / (double)st->lat.n / 1000 : 0);
	fprintf(f,
	    "  connections: %lu (setup to helo: p50 %.2f ms, p99 %.2f ms)\n",
	    st->conns, hist_pct(&st->setup, 50) / 1000,
	    hist_pct(&st->setup, 99) / 1000);
	fprintf(f, "  verdicts:");
	for (v = 0; v < V_N; v++)
		fprintf(f, " %s %lu", verdict_name[v], st->verdict[v]);
	fprintf(f,
	    "\n  header changes: %lu (add %lu, insert %lu, change "
	    "%lu; other changes %lu)\n",
	    st->add + st->ins + st->chg, st->add, st->ins, st->chg,
	    st->othermods);
	if (st->early)
		fprintf(f, "  verdicts before end of message: %lu\n",
		    st->early);
	if (st->conn_skip)
		fprintf(f,
		    "  WARNING: %lu messages were accepted at connect "
		    "or helo without a check (IgnoreHosts?)\n",
		    st->conn_skip);
	for (i = 0; i < o->npids; i++) {
		const struct pidstat *p = &run->ps[i];

		fprintf(f,
		    "  pid %ld: peak RSS (VmHWM) %.1f MB, sampled RSS "
		    "max %.1f MB",
		    (long)o->pid[i], (double)p->hwm / 1024,
		    (double)p->rss_max / 1024);
		if (idle)
			fprintf(f, ", with %lu idle connections %.1f MB",
			    o->idle, (double)p->rss_idle / 1024);
		fprintf(f, ", threads max %ld", p->threads_max);
		if (p->cpu0 >= 0 && p->cpu1 >= 0)
			fprintf(f, ", CPU %.2f s", p->cpu1 - p->cpu0);
		fprintf(f, "%s\n", p->gone ? " (PROCESS GONE)" : "");
	}
	if (ok_cpu && st->msgs)
		fprintf(f, "  milter CPU per message: %.3f ms\n",
		    cpu * 1000 / (double)st->msgs);
	fprintf(f,
	    "  note: TCP_NODELAY is set on this client's sockets; "
	    "Nagle on the milter's side is the milter's own\n");
}

/* ---------------------------------------------------------------- main */

/* usage - say how to call us, exit 2 */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: %s --milter SOCK [--milter SOCK ...] --corpus DIR\n"
	    "\t[-c CONCURRENCY] [-m MSGS_PER_CONN] [-n TOTAL | -t SECONDS]\n"
	    "\t[--pid PID[,PID...]] [--idle N] [--timeout SECONDS]\n"
	    "\t[--no-coalesce] [--json] [-v]\n"
	    "SOCK: inet:PORT@HOST, inet6:PORT@HOST, unix:PATH\n",
	    progname);
	exit(2);
}

/* num - a number option in [lo, hi], or exit */
static unsigned long
num(const char *s, long long lo, long long hi, const char *what)
{
	const char *errstr;
	long long v = strtonum(s, lo, hi, &errstr);

	if (errstr != NULL)
		fatalx("%s \"%.32s\": %s (%lld to %lld)", what, s, errstr, lo,
		    hi);
	return (unsigned long)v;
}

/* parse_pids - --pid PID[,PID...] */
static void
parse_pids(struct opts *o, const char *s)
{
	char buf[256], *p = buf, *tok;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		fatalx("--pid list too long");
	while ((tok = strsep(&p, ", ")) != NULL) {
		if (*tok == '\0')
			continue;
		if (o->npids >= BENCH_PIDS_MAX)
			fatalx("at most %d --pid processes", BENCH_PIDS_MAX);
		o->pid[o->npids++] = (pid_t)num(tok, 1, INT_MAX, "--pid");
	}
}

/* idle_open - N connections per milter that negotiate and then wait */
static int *
idle_open(struct run *run, unsigned long n, size_t *nfd_r)
{
	const struct opts *o = run->o;
	struct worker *w = xmalloc(sizeof(*w));
	int *fds = xreallocarray(NULL, n * o->nmilters, sizeof(int));
	size_t nfd = 0, k;
	unsigned long i;

	memset(w, 0, sizeof(*w));
	w->run = run;
	for (i = 0; i < n; i++) {
		for (k = 0; k < o->nmilters; k++) {
			struct mconn *mc = &w->mc[0];

			mc->ma = &o->milter[k];
			mc->fd = -1;
			if (negotiate(w, mc, o->timeout, &run->neg[k],
				&run->lock) == -1)
				fatalx("idle connection %lu: %s", i + 1,
				    w->err);
			fds[nfd++] = mc->fd;
			mc->fd = -1; /* kept */
			mc_close(mc);
		}
	}
	free(w->mc[0].out.p);
	free(w->mc[0].in);
	free(w);
	*nfd_r = nfd;
	return fds;
}

/* raise_nofile - the descriptor limit up to its maximum */
static void
raise_nofile(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && need + 64 > rl.rlim_cur)
		fatalx("need %lu file descriptors, the limit is %lu", need + 64,
		    (unsigned long)rl.rlim_cur);
}

/* main - options, corpus, idle connections, workers, report */
int
main(int argc, char *argv[])
{
	static const struct option lopts[] = {
	    {"milter", required_argument, NULL, 'M'},
	    {"corpus", required_argument, NULL, 'C'},
	    {"pid", required_argument, NULL, 'P'},
	    {"idle", required_argument, NULL, 'I'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'J'},
	    {"no-coalesce", no_argument, NULL, 'N'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o;
	struct corpus c;
	struct run *run;
	struct worker *ws;
	struct stats total;
	pthread_attr_t attr;
	pthread_t sampler;
	int ch, *idle_fds = NULL, ret = 0, have_n = 0;
	size_t nidle = 0, i;
	uint64_t t0, t1;

	memset(&o, 0, sizeof(o));
	o.conc = 1;
	o.per_conn = 1;
	o.timeout = BENCH_TIMEOUT;
	o.coalesce = 1;
	while (
	    (ch = getopt_long(argc, argv, "M:c:m:n:t:vh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'M':
			if (o.nmilters >= BENCH_MILTERS_MAX)
				fatalx("at most %d milters", BENCH_MILTERS_MAX);
			maddr_parse(&o.milter[o.nmilters++], optarg);
			break;
		case 'C':
			o.corpus = optarg;
			break;
		case 'P':
			parse_pids(&o, optarg);
			break;
		case 'I':
			o.idle = num(optarg, 0, BENCH_IDLE_MAX, "--idle");
			break;
		case 'T':
			o.timeout = num(optarg, 1, 3600, "--timeout");
			break;
		case 'J':
			o.json = 1;
			break;
		case 'N':
			o.coalesce = 0;
			break;
		case 'c':
			o.conc = num(optarg, 1, BENCH_CONC_MAX, "-c");
			break;
		case 'm':
			o.per_conn = num(optarg, 1, 1000000000, "-m");
			break;
		case 'n':
			o.total = num(optarg, 0, LLONG_MAX, "-n");
			have_n = 1;
			break;
		case 't':
			o.seconds = num(optarg, 1, 86400 * 7, "-t");
			break;
		case 'v':
			o.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o.nmilters == 0 || o.corpus == NULL)
		usage();
	if (have_n && o.total == 0 && o.idle == 0 && o.seconds == 0)
		fatalx("-n 0 runs nothing (use it with --idle)");

	raise_nofile(o.conc * o.nmilters + o.idle * o.nmilters);
	corpus_load(&c, o.corpus);
	if (!have_n && o.seconds == 0)
		o.total = c.n;
	if (c.noenv > 0)
		fprintf(stderr,
		    "%s: %zu messages without an envelope: "
		    "defaults used\n",
		    progname, c.noenv);

	if ((run = calloc(1, sizeof(*run))) == NULL)
		fatalx("out of memory");
	run->o = &o;
	run->c = &c;
	atomic_init(&run->next, 0);
	atomic_init(&run->stop, 0);
	atomic_init(&run->errors, 0);
	atomic_init(&run->done, 0);
	atomic_init(&run->sampling, 1);
	atomic_init(&run->shown, 0);
	pthread_mutex_init(&run->lock, NULL);
	for (i = 0; i < o.npids; i++) {
		run->ps[i].cpu0 = proc_cpu(o.pid[i]);
		run->ps[i].cpu1 = -1;
		if (run->ps[i].cpu0 < 0)
			fatalx("--pid %ld: no such process", (long)o.pid[i]);
	}
	sample_once(run, 0);

	if (o.idle > 0) {
		struct timespec settle = {1, 0};

		idle_fds = idle_open(run, o.idle, &nidle);
		nanosleep(&settle, NULL);
		sample_once(run, 1);
		if (o.verbose)
			fprintf(stderr, "%s: %zu idle connections open\n",
			    progname, nidle);
	}

	if (pthread_create(&sampler, NULL, sampler_main, run) != 0)
		fatalx("cannot start the sampler thread");
	ws = xreallocarray(NULL, o.conc, sizeof(*ws));
	memset(ws, 0, o.conc * sizeof(*ws));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, BENCH_STACK);
	t0 = now_us();
	if (o.seconds)
		run->deadline = t0 + (uint64_t)o.seconds * 1000000;
	if (o.total > 0 || o.seconds > 0) {
		for (i = 0; i < o.conc; i++) {
			ws[i].run = run;
			ws[i].id = (unsigned int)i + 1;
			if (pthread_create(&ws[i].tid, &attr, worker_main,
				&ws[i]) != 0)
				fatalx("cannot start thread %zu", i + 1);
		}
		for (i = 0; i < o.conc; i++)
			pthread_join(ws[i].tid, NULL);
	}
	t1 = now_us();
	atomic_store(&run->sampling, 0);
	pthread_join(sampler, NULL);
	sample_once(run, 0);
	for (i = 0; i < o.npids; i++) {
		run->ps[i].cpu1 = proc_cpu(o.pid[i]);
		if (run->ps[i].gone || run->ps[i].cpu1 < 0) {
			run->ps[i].gone = 1;
			fprintf(stderr, "%s: process %ld went away\n", progname,
			    (long)o.pid[i]);
			ret = 1;
		}
	}
	for (i = 0; i < nidle; i++)
		close(idle_fds[i]);
	free(idle_fds);

	memset(&total, 0, sizeof(total));
	for (i = 0; i < o.conc; i++) {
		const struct stats *s = &ws[i].st;
		int v;

		total.msgs += s->msgs;
		for (v = 0; v < V_N; v++)
			total.verdict[v] += s->verdict[v];
		total.early += s->early;
		total.conn_skip += s->conn_skip;
		total.add += s->add;
		total.ins += s->ins;
		total.chg += s->chg;
		total.othermods += s->othermods;
		total.conns += s->conns;
		total.conn_errors += s->conn_errors;
		hist_merge(&total.lat, &s->lat);
		hist_merge(&total.setup, &s->setup);
	}
	report(run, &total, (double)(t1 - t0) / 1e6, o.idle > 0);
	fflush(stdout);
	if (total.verdict[V_ERROR] > 0) {
		fprintf(stderr, "%s: %lu messages failed\n", progname,
		    total.verdict[V_ERROR]);
		ret = 1;
	}
	if (atomic_load(&run->stop))
		fprintf(stderr, "%s: stopped after too many errors\n",
		    progname);
	pthread_attr_destroy(&attr);
	pthread_mutex_destroy(&run->lock);
	free(ws);
	free(run);
	corpus_free(&c);
	return ret;
}
