/*
 * reload.c - the reference-counted config snapshot and SIGUSR1 reloads
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"
#include "conf/config.h"
#include "milter/log.h"
#include "milter/reload.h"

/*
 * The only mutable state shared between threads besides the resolver:
 * the current snapshot, every snapshot's reference count, and the reload
 * thread's stop flag, all under snap_lock.
 */
static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *snap_current;
static int reload_stopping;
static int reload_running;
static pthread_t reload_tid;
/* set by reload_start() before the thread runs, read-only afterwards */
static char *reload_path;
static int reload_explicit;

/* reload_config - the file, or the defaults when the default file is absent */
int
reload_config(const char *path, int explicit, struct config **cfg_r, char *err,
    size_t errlen)
{
	struct stat st;

	if (!explicit && stat(path, &st) == -1 && errno == ENOENT) {
		if (config_default(cfg_r) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	return config_load(path, cfg_r, err, errlen);
}

/* snapshot_free - the engine first: it points into the config */
static void
snapshot_free(struct snapshot *snap)
{
	if (snap == NULL)
		return;
	engine_free(&snap->eng);
	config_free(&snap->cfg);
	free(snap);
}

int
snapshot_new(const char *path, int explicit, struct snapshot **snap_r,
    char *err, size_t errlen)
{
	struct snapshot *snap;
	char eerr[512];

	*snap_r = NULL;
	if ((snap = calloc(1, sizeof(*snap))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (reload_config(path, explicit, &snap->cfg, err, errlen) == -1) {
		free(snap);
		return -1;
	}
	if (engine_new(snap->cfg, &snap->eng, eerr, sizeof(eerr)) == -1) {
		snprintf(err, errlen, "%s: %s", path, eerr);
		snapshot_free(snap);
		return -1;
	}
	snap->refs = 1;
	*snap_r = snap;
	return 0;
}

void
snapshot_install(struct snapshot *snap)
{
	struct snapshot *old;

	pthread_mutex_lock(&snap_lock);
	old = snap_current;
	snap_current = snap;
	pthread_mutex_unlock(&snap_lock);
	snapshot_put(&old);
}

struct snapshot *
snapshot_get(void)
{
	struct snapshot *snap;

	pthread_mutex_lock(&snap_lock);
	if ((snap = snap_current) != NULL)
		snap->refs++;
	pthread_mutex_unlock(&snap_lock);
	return snap;
}

void
snapshot_put(struct snapshot **snapp)
{
	struct snapshot *snap;
	unsigned int left;

	if (snapp == NULL || (snap = *snapp) == NULL)
		return;
	*snapp = NULL;
	pthread_mutex_lock(&snap_lock);
	left = --snap->refs;
	pthread_mutex_unlock(&snap_lock);
	if (left == 0)
		snapshot_free(snap);
}

/* same_str - for the keys a reload cannot apply */
static int
same_str(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* reload_once - build, check and install a new snapshot */
static void
reload_once(void)
{
	struct snapshot *snap, *old;
	char err[1024];

	if (snapshot_new(reload_path, reload_explicit, &snap, err,
		sizeof(err)) == -1) {
		log_warnx("reload of %s failed, keeping the current "
			  "configuration: %s",
		    reload_path, err);
		return;
	}
	if ((old = snapshot_get()) != NULL) {
		const struct config *o = old->cfg, *n = snap->cfg;

		if (!same_str(o->socket, n->socket) ||
		    o->socket_mode != n->socket_mode)
			log_warnx("Socket or SocketMode changed in %s: "
				  "restart to apply",
			    reload_path);
		if (!same_str(o->pid_file, n->pid_file) ||
		    !same_str(o->user_id, n->user_id) ||
		    o->syslog_facility != n->syslog_facility)
			log_warnx("PidFile, UserID or SyslogFacility changed "
				  "in %s: restart to apply",
			    reload_path);
		snapshot_put(&old);
	}
	snapshot_install(snap);
	log_info("reloaded %s", reload_path);
}

/* reload_thread - waits for SIGUSR1, blocked in every thread */
static void *
reload_thread(void *arg)
{
	sigset_t set;
	int sig, stop;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		pthread_mutex_lock(&snap_lock);
		stop = reload_stopping;
		pthread_mutex_unlock(&snap_lock);
		if (stop)
			break;
		reload_once();
	}
	return NULL;
}

int
reload_start(const char *path, int explicit)
{
	if ((reload_path = strdup(path)) == NULL)
		return -1;
	reload_explicit = explicit;
	if (pthread_create(&reload_tid, NULL, reload_thread, NULL) != 0) {
		free(reload_path);
		reload_path = NULL;
		return -1;
	}
	reload_running = 1;
	return 0;
}

void
reload_stop(void)
{
	if (reload_running) {
		pthread_mutex_lock(&snap_lock);
		reload_stopping = 1;
		pthread_mutex_unlock(&snap_lock);
		/* wakes sigwait() in that thread alone */
		pthread_kill(reload_tid, SIGUSR1);
		pthread_join(reload_tid, NULL);
		reload_running = 0;
	}
	free(reload_path);
	reload_path = NULL;
}
