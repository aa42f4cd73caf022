/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers every command shares: errors, numbers, signals, preflight. */
#ifndef NTF_CLI_H
#define NTF_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <linux/types.h>

#define NTF_EXIT_RUNTIME 1
#define NTF_EXIT_USAGE 2

extern const char *ntf_prog;
extern volatile sig_atomic_t ntf_exiting;

/* "prog: message" on stderr, one line. */
void ntf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One-line usage error naming the problem plus a pointer to --help; exits 2. */
void ntf_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * The option getopt_long just rejected, for a one-line usage error: set
 * opterr = 0 first, or getopt prints a second line of its own.
 */
const char *ntf_bad_option(char **argv);

/* Strict parses: the whole string, within range, else a usage error. */
__u64 ntf_parse_u64(const char *opt, const char *arg, __u64 min, __u64 max);
/* Seconds as "2", "0.5", "1.5s", "500ms"; returns milliseconds. */
__u64 ntf_parse_duration_ms(const char *opt, const char *arg);
/* A cgroup v2 directory to its id, or a usage error. */
__u64 ntf_parse_cgroup(const char *arg);

/* SIGINT/SIGTERM set ntf_exiting. */
void ntf_install_signals(void);
__u64 ntf_now_ms(void);

/* Privileges and BTF; prints the reason and returns non-zero on failure. */
int ntf_preflight(void);

#endif
