/*
 * dmarcctl.h - subcommands of dmarcctl
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit code: 0 done, 1 input or run-time failure,
 * 2 usage error (DESIGN.md §3).
 */
#ifndef DMARCCTL_H
#define DMARCCTL_H

#define EXIT_USAGE 2

int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_expire(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_summary(int argc, char **argv);

struct config;
/* dmarcctl_config - PATH, else the daemon's file if there is one, else the
 * embedded defaults; 0, or -1 with the error on stderr */
int dmarcctl_config(const char *path, struct config **cfg_r);

#endif
