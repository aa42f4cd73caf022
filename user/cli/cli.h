/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the programs' argument parsing shares: usage errors that exit,
 * strict option values, signals. Only programs and cli/ use it: library
 * code returns errors instead of exiting.
 */
#ifndef NTF_CLI_H
#define NTF_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <linux/types.h>
#include "clock.h"
#include "log.h"

#define NTF_EXIT_RUNTIME 1
#define NTF_EXIT_USAGE 2

extern volatile sig_atomic_t ntf_exiting;

/* One-line usage error naming the problem plus a pointer to --help; exits 2. */
void ntf_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * The option getopt_long just rejected, for a one-line usage error: set
 * opterr = 0 first, or getopt prints a second line of its own.
 */
const char *ntf_bad_option(char **argv);

/* An option's value (core/parse.h), or a usage error naming the option. */
__u64 ntf_arg_u64(const char *opt, const char *arg, __u64 min, __u64 max);
/* Seconds as "2", "0.5", "1.5s", "500ms"; returns milliseconds. */
__u64 ntf_arg_duration_ms(const char *opt, const char *arg);
/* A size: bytes, or with K, M, G or T ("512K", "100M", "1G"); returns bytes. */
__u64 ntf_arg_size(const char *opt, const char *arg, __u64 min, __u64 max);
/* A window of time, size or both ("30s", "64M", "30s,64M"), into *ns and *bytes. */
void ntf_arg_window(const char *opt, const char *arg, __u64 min, __u64 max, __u64 *ns,
		    __u64 *bytes);
/* A latency with its unit ("50us", "2ms"); returns nanoseconds. */
__u64 ntf_arg_latency_ns(const char *opt, const char *arg);
/* Event class names, comma-separated, to a mask of 1 << class. */
unsigned int ntf_arg_class_list(const char *opt, const char *arg);
/* A cgroup v2 directory to its id. */
__u64 ntf_arg_cgroup(const char *arg);

/* SIGINT/SIGTERM set ntf_exiting. */
void ntf_install_signals(void);

#endif
