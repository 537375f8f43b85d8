/*
 * main.c - dmarc-milter: start-up, privileges, signals, shutdown
 *
 *	dmarc-milter [-c FILE] [-f] [-n] [-V]
 *
 * Start-up order, so that every error is seen where it can be fixed:
 * read the config (errors "FILE:LINE: message" on stderr), block the
 * signals every thread must leave to our sigwait() threads, open the
 * syslog, open the milter socket, fork into the background (the parent
 * waits until the child is ready and exits 1 if it is not), write the
 * PidFile, give up root for UserID, build the engine as that user (a
 * later reload runs as that user too), start the reload thread and the
 * failure report thread, then smfi_main().  SIGTERM, SIGINT and SIGHUP stop libmilter's listener;
 * smfi_main() returns and in-flight connections get STOP_GRACE seconds
 * to finish, then queued failure reports STOP_REPORTS seconds.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "auth/session.h"
#include "conf/config.h"
#include "milter/log.h"
#include "milter/milter.h"
#include "milter/reload.h"
#include "report/store.h"

#define STOP_GRACE	5 /* seconds for in-flight messages at stop */
#define MILTER_DATA_MAX (256 * 1024) /* bytes of one milter command */
#define STOP_REPORTS	5	  /* seconds to send queued failure reports */
#define PWBUF_MAX	(1 << 20) /* getpwnam_r() buffer: a huge group file */
#define DEFAULT_CONFIG	SYSCONFDIR "/dmarc-milter.conf"

struct runas {
	int set; /* UserID given */
	uid_t uid;
	gid_t gid;
	int explicit_group;
	char user[64];
};

static void
usage(void)
{
	fprintf(stderr, "usage: dmarc-milter [-c FILE] [-f] [-n] [-V]\n");
	exit(2);
}

/*
 * lookup_user - "user" or "user:group" to ids; 0, or -1 with why.  The
 * syntax was checked by the config parser.
 */
static int
lookup_user(const char *spec, struct runas *ra, char *why, size_t whylen)
{
	char name[64], *group, *buf = NULL, *nb;
	size_t buflen = 4096;
	struct passwd pw, *pwr = NULL;
	struct group gr, *grr = NULL;
	int rc;

	memset(ra, 0, sizeof(*ra));
	if (spec[0] == '\0')
		return 0;
	if (strlcpy(name, spec, sizeof(name)) >= sizeof(name)) {
		snprintf(why, whylen, "UserID: \"%.64s\" is too long", spec);
		return -1;
	}
	if ((group = strchr(name, ':')) != NULL)
		*group++ = '\0';
	for (;;) {
		if ((nb = realloc(buf, buflen)) == NULL) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		buf = nb;
		rc = getpwnam_r(name, &pw, buf, buflen, &pwr);
		if (rc == ERANGE && buflen < PWBUF_MAX) {
			buflen *= 2;
			continue;
		}
		break;
	}
	if (pwr == NULL) {
		snprintf(why, whylen, "UserID: no user \"%s\"%s%s", name,
		    rc != 0 ? ": " : "", rc != 0 ? strerror(rc) : "");
		goto fail;
	}
	ra->set = 1;
	ra->uid = pw.pw_uid;
	ra->gid = pw.pw_gid;
	strlcpy(ra->user, name, sizeof(ra->user));
	if (group != NULL) {
		for (;;) {
			rc = getgrnam_r(group, &gr, buf, buflen, &grr);
			if (rc == ERANGE && buflen < PWBUF_MAX) {
				buflen *= 2;
				if ((nb = realloc(buf, buflen)) == NULL) {
					snprintf(why, whylen, "out of memory");
					goto fail;
				}
				buf = nb;
				continue;
			}
			break;
		}
		if (grr == NULL) {
			snprintf(why, whylen, "UserID: no group \"%s\"", group);
			goto fail;
		}
		ra->gid = gr.gr_gid;
		ra->explicit_group = 1;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/*
 * drop_privileges - become UserID for good, as OpenSMTPD does: groups,
 * then gid, then uid, each checked, then proof that root cannot come back
 */
static void
drop_privileges(const struct runas *ra)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (!ra->set)
		return;
	if (getuid() == ra->uid && geteuid() == ra->uid &&
	    (!ra->explicit_group ||
		(getgid() == ra->gid && getegid() == ra->gid)))
		return; /* started as that user already */
	if (ra->explicit_group) {
		if (setgroups(1, &ra->gid) == -1)
			fatal("UserID %s: setgroups", ra->user);
	} else if (initgroups(ra->user, ra->gid) == -1)
		fatal("UserID %s: initgroups", ra->user);
	if (setresgid(ra->gid, ra->gid, ra->gid) == -1)
		fatal("UserID %s: setresgid", ra->user);
	if (setresuid(ra->uid, ra->uid, ra->uid) == -1)
		fatal("UserID %s: setresuid", ra->user);
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 || ruid != ra->uid ||
	    euid != ra->uid || suid != ra->uid || rgid != ra->gid ||
	    egid != ra->gid || sgid != ra->gid)
		fatalx("UserID %s: the ids did not change", ra->user);
	if (ra->uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("UserID %s: root could be regained", ra->user);
}

/* write_pidfile - "PID\n", mode 0644 */
static void
write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	if (path[0] == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1)
		fatal("PidFile %s", path);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (fchmod(fd, 0644) == -1 || write(fd, buf, (size_t)n) != n ||
	    close(fd) == -1)
		fatal("PidFile %s", path);
}

/*
 * daemonize - fork into the background; the parent exits once the child
 * writes its status on the pipe: 0 when ready, nothing (it died) else.
 * Returns the write end in the child.
 */
static int
daemonize(void)
{
	int p[2];
	pid_t pid;
	char st;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &st, 1);
		while (n == -1 && errno == EINTR);
		_exit(n == 1 && st == '0' ? 0 : 1);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	return p[1];
}

/* detach - stdio to /dev/null, then tell the parent we are ready */
static void
detach(int fd)
{
	int null;

	if ((null = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	if (dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(null, STDERR_FILENO) == -1)
		fatal("dup2");
	if (null > STDERR_FILENO)
		close(null);
	if (write(fd, "0", 1) != 1)
		fatal("cannot report to the parent");
	close(fd);
}

/*
 * check_config - what the parser cannot check: UserID exists, and with
 * -n (full) the engine builds (zone file, forwarders, public suffix list);
 * at start-up the engine is built later, as UserID
 */
static int
check_config(const struct config *cfg, const char *path, int full,
    struct runas *ra)
{
	struct engine *eng = NULL;
	char why[512];

	if (lookup_user(cfg->user_id, ra, why, sizeof(why)) == -1) {
		fprintf(stderr, "%s:%u: %s\n", path,
		    config_key_line(cfg, "UserID"), why);
		return -1;
	}
	if (full && engine_new(cfg, &eng, why, sizeof(why)) == -1) {
		fprintf(stderr, "%s: %s\n", path, why);
		return -1;
	}
	engine_free(&eng);
	return 0;
}

/*
 * listen_nodelay - TCP_NODELAY on libmilter's listening socket, which
 * accepted connections inherit.  libmilter leaves Nagle on, and our end
 * of message answer is two small writes (insert header, then accept):
 * the second waited ~40 ms for the MTA's delayed ACK on every message.
 * libmilter does not hand out its descriptor, so find the listening
 * TCP socket among ours (SO_ACCEPTCONN).
 */
static void
listen_nodelay(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on = 1, acc, maxfd = (int)sysconf(_SC_OPEN_MAX);

	if (maxfd < 0 || maxfd > 4096)
		maxfd = 4096;
	for (fd = 3; fd < maxfd; fd++) {
		sl = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &sl) ==
			-1 ||
		    !acc)
			continue;
		sl = sizeof(ss);
		ss.ss_family = AF_UNSPEC;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) ==
		    -1)
			log_warn("setsockopt TCP_NODELAY");
	}
}

/*
 * make_dir - mkdir -p for a directory of ours, owned by UserID; run as
 * root before the privilege drop, so the store can be created after it
 */
static void
make_dir(const char *dir, const struct runas *ra)
{
	char path[PATH_MAX];
	size_t i;

	if (dir[0] != '/' || strlcpy(path, dir, sizeof(path)) >= sizeof(path))
		return;
	for (i = 1; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			log_warn("mkdir %s", path);
		path[i] = '/';
	}
	if (mkdir(path, 0750) == -1) {
		if (errno != EEXIST)
			log_warn("mkdir %s", path);
		return;
	}
	/* only a directory we created changes owner */
	if (ra->set && geteuid() == 0 && chown(path, ra->uid, ra->gid) == -1)
		log_warn("chown %s", path);
}

/* store_dirs - the SQLite file's directory and the spool, before the drop */
static void
store_dirs(const struct config *cfg, const struct runas *ra)
{
	char dir[PATH_MAX], *slash;

	if (cfg->history_db[0] == '\0')
		return;
	if (strncmp(cfg->history_db, "sqlite:", 7) == 0 &&
	    strlcpy(dir, cfg->history_db + 7, sizeof(dir)) < sizeof(dir) &&
	    (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		make_dir(dir, ra);
	}
	make_dir(cfg->spool_dir, ra);
}

/* store_log - the store's warnings go to our log */
static void
store_log(void *arg, int prio, const char *msg)
{
	(void)arg;
	(void)prio;
	log_warnx("history: %s", msg);
}

/*
 * open_store - HistoryDB, after the privilege drop.  A store that cannot
 * be opened at all is logged and mail flows unrecorded: the daemon never
 * refuses mail for its own bookkeeping.
 */
static struct store *
open_store(const struct config *cfg)
{
	struct store_opts so;
	struct store *st = NULL;
	char err[512];

	if (cfg->history_db[0] == '\0')
		return NULL;
	memset(&so, 0, sizeof(so));
	so.spool_dir = cfg->spool_dir;
	so.spool_max = (unsigned long long)cfg->spool_max_mb << 20;
	so.writer = 1;
	so.log = store_log;
	if (store_open(cfg->history_db, &so, &st, err, sizeof(err)) == -1) {
		log_warnx("cannot open HistoryDB, outcomes are not recorded: "
			  "%s",
		    err);
		return NULL;
	}
	return st;
}

int
main(int argc, char *argv[])
{
	const char *path = DEFAULT_CONFIG, *sockpath;
	char abspath[PATH_MAX], err[1024];
	struct config *cfg = NULL;
	struct store *history = NULL;
	struct snapshot *snap;
	struct runas ra;
	struct stat sst;
	sigset_t set;
	unsigned long left;
	int ch, explicit = 0, foreground = 0, check = 0, version = 0;
	int readyfd = -1, have_sock = 0;

	while ((ch = getopt(argc, argv, "c:fnV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			explicit = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			version = 1;
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		usage();
	if (version) {
		printf("dmarc-milter %s\n", PACKAGE_VERSION);
		return 0;
	}
	/* a reload after chdir("/") must find the same file */
	if (path[0] != '/' && realpath(path, abspath) != NULL)
		path = abspath;

	if (reload_config(path, explicit, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check_config(cfg, path, check, &ra) == -1) {
		config_free(&cfg);
		return 1;
	}
	if (check) {
		config_free(&cfg);
		printf("configuration OK\n");
		return 0;
	}

	/*
	 * Every thread inherits this mask: SIGUSR1 is for our reload
	 * thread, SIGTERM, SIGINT and SIGHUP for libmilter's signal thread
	 * (both use sigwait()); no thread may take them by default action.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		fprintf(stderr, "dmarc-milter: sigprocmask: %s\n",
		    strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	log_init(foreground, config_syslog_facility(cfg));

	milter_set_tcp(strncmp(cfg->socket, "inet", 4) == 0);
	if (milter_register() == -1)
		fatalx("smfi_register failed");
	if (smfi_setconn(cfg->socket) != MI_SUCCESS)
		fatalx("smfi_setconn %s failed", cfg->socket);
	/* true: a stale unix socket is removed first */
	if (smfi_opensocket(true) != MI_SUCCESS)
		fatalx("cannot open the socket %s", cfg->socket);
	listen_nodelay();
	if ((sockpath = config_socket_path(cfg)) != NULL) {
		if (ra.set && geteuid() == 0 &&
		    chown(sockpath, ra.uid, ra.gid) == -1)
			fatal("chown %s", sockpath);
		if (chmod(sockpath, (mode_t)cfg->socket_mode) == -1)
			fatal("chmod %s", sockpath);
		if (stat(sockpath, &sst) == 0)
			have_sock = 1;
	}

	if (!foreground)
		readyfd = daemonize();
	write_pidfile(cfg->pid_file);
	store_dirs(cfg, &ra);
	drop_privileges(&ra);
	history = open_store(cfg);
	milter_set_store(history);

	if (snapshot_new(path, explicit, &snap, err, sizeof(err)) == -1)
		fatalx("%s", err);
	snapshot_install(snap);
	if (reload_start(path, explicit) == -1)
		fatalx("cannot start the reload thread");
	/* as UserID, like the engine; always, so a reload can turn
	 * FailureReports on */
	if (milter_failure_start(cfg->failure_reports_queue) == -1)
		fatalx("cannot start the failure report thread");
	log_info("started: dmarc-milter %s, %s, socket %s", PACKAGE_VERSION,
	    cfg->source, cfg->socket);
	if (readyfd != -1)
		detach(readyfd);

	/* libmilter refuses commands over 64 KB and drops the connection;
	 * Postfix passes header fields up to header_size_limit (100 KB) */
	(void)smfi_setmaxdatasize(MILTER_DATA_MAX);
	if (smfi_main() != MI_SUCCESS)
		log_warnx("smfi_main failed");
	log_info("stopping");
	reload_stop();
	left = milter_wait_idle(STOP_GRACE);
	milter_failure_stop(STOP_REPORTS, left == 0);
	if (cfg->pid_file[0] != '\0' && unlink(cfg->pid_file) == -1 &&
	    errno != ENOENT)
		log_warn("cannot remove %s", cfg->pid_file);
	if (have_sock) {
		struct stat now;

		/* libmilter removes it only when not root: ours alone */
		if (stat(sockpath, &now) == 0 && now.st_ino == sst.st_ino &&
		    now.st_dev == sst.st_dev && S_ISSOCK(now.st_mode))
			(void)unlink(sockpath);
	}
	if (left > 0) {
		/* their callbacks may still run: leave the snapshot alone */
		if (history != NULL)
			(void)store_flush(history);
		log_warnx("stopped with %lu connections still open", left);
		exit(0);
	}
	snapshot_install(NULL);
	milter_set_store(NULL);
	if (history != NULL && store_close(&history) == 1)
		log_warnx("outcomes left in the journal of %s", cfg->spool_dir);
	log_info("stopped");
	config_free(&cfg);
	return 0;
}
