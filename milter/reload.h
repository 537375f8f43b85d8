/*
 * reload.h - the shared configuration snapshot, and its reload on SIGUSR1
 *
 * A snapshot is one config and the engine (resolver, SPF, DKIM, public
 * suffix list) built from it.  It never changes once built.  The current
 * snapshot is a pointer guarded by a mutex; each reference is counted:
 * a connection takes one at xxfi_connect (snapshot_get()) and drops it at
 * xxfi_close (snapshot_put()), and a snapshot is freed when its last
 * reference goes, so a reload never pulls the config from under a
 * connection and never drops one.
 *
 * reload_config(path, explicit, &cfg, err, errlen): config_load(), except
 * that a missing file that was not named with -c (explicit == 0) gives
 * the embedded defaults.  0, or -1 with "FILE:LINE: message" in err.
 *
 * snapshot_new(path, explicit, &snap, err, errlen): reload_config() and
 * engine_new(); the new snapshot holds one reference, the caller's.
 * snapshot_install(snap): makes snap current, taking over the caller's
 * reference, and drops the one the old current snapshot held.
 * snapshot_get(): a new reference to the current snapshot (NULL if none).
 * snapshot_put(&snap): drops a reference; NULL is fine; clears the pointer.
 *
 * reload_start(path, explicit): starts the thread that waits for SIGUSR1
 * with sigwait().  SIGUSR1 must be blocked in every thread (block it
 * before any thread starts).  On each signal it builds and checks a
 * complete new snapshot: on success it is installed and "reloaded FILE"
 * logged; on failure "reload of FILE failed, keeping the current
 * configuration: FILE:LINE: message" is logged and nothing changes.
 * Keys read only at start-up (Socket, SocketMode, PidFile, UserID,
 * SyslogFacility) are logged as needing a restart when they change.
 * 0, or -1 if the thread cannot start.
 * reload_stop(): ends the thread (waiting for a reload in progress).
 */
#ifndef RELOAD_H
#define RELOAD_H

#include <stddef.h>

struct config;
struct engine;

struct snapshot {
	struct config *cfg;
	struct engine *eng;
	unsigned int refs; /* guarded by the module's mutex */
};

int reload_config(const char *path, int explicit, struct config **cfg_r,
    char *err, size_t errlen);
int snapshot_new(const char *path, int explicit, struct snapshot **snap_r,
    char *err, size_t errlen);
void snapshot_install(struct snapshot *snap);
struct snapshot *snapshot_get(void);
void snapshot_put(struct snapshot **snap);

int reload_start(const char *path, int explicit);
void reload_stop(void);

#endif
