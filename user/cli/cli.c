// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_match.h"
#include "cli.h"
#include "names.h"
#include "parse.h"

volatile sig_atomic_t ntf_exiting;

void ntf_usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* about the command line, not the output: plain text on stderr even with -j */
	ntf_log_set_writer(NULL);
	ntf_err("%s (try '%s --help')", msg, ntf_prog);
	exit(NTF_EXIT_USAGE);
}

const char *ntf_bad_option(char **argv)
{
	static char buf[3];

	/*
	 * optopt holds a short option's letter (argv[optind - 1] may be an
	 * earlier word while getopt is inside a cluster such as -xq); it is 0
	 * for an unknown long option, which argv[optind - 1] then holds.
	 */
	if (optopt > 0 && optopt < 128) {
		snprintf(buf, sizeof(buf), "-%c", optopt);
		return buf;
	}
	return argv[optind - 1];
}

__u64 ntf_arg_u64(const char *opt, const char *arg, __u64 min, __u64 max)
{
	char why[128];
	__u64 v;

	if (ntf_parse_u64(arg, min, max, &v, why, sizeof(why)))
		ntf_usage_error("%s: %s", opt, why);
	return v;
}

__u64 ntf_arg_duration_ms(const char *opt, const char *arg)
{
	char why[128];
	__u64 ms;

	if (ntf_parse_duration_ms(arg, &ms, why, sizeof(why)))
		ntf_usage_error("%s: %s", opt, why);
	return ms;
}

__u64 ntf_arg_size(const char *opt, const char *arg, __u64 min, __u64 max)
{
	char why[128];
	__u64 v;

	if (ntf_parse_size(arg, min, max, &v, why, sizeof(why)))
		ntf_usage_error("%s: %s", opt, why);
	return v;
}

void ntf_arg_window(const char *opt, const char *arg, __u64 min, __u64 max, __u64 *ns, __u64 *bytes)
{
	char why[160];

	if (ntf_parse_window(arg, min, max, ns, bytes, why, sizeof(why)))
		ntf_usage_error("%s: %s", opt, why);
}

__u64 ntf_arg_latency_ns(const char *opt, const char *arg)
{
	char why[128];
	__u64 ns;

	if (ntf_parse_latency_ns(arg, &ns, why, sizeof(why)))
		ntf_usage_error("%s: %s", opt, why);
	return ns;
}

unsigned int ntf_arg_class_list(const char *opt, const char *arg)
{
	unsigned int mask;
	char why[128];

	if (ntf_parse_class_list(arg, &mask, why, sizeof(why)))
		ntf_usage_error("%s: %s", opt, why);
	return mask;
}

__u64 ntf_arg_cgroup(const char *arg)
{
	long long id = ntf_cgroup_id(arg);

	if (id < 0)
		ntf_usage_error("-c: %s: %s (expected a cgroup v2 directory)", arg,
				strerror((int)-id));
	return (__u64)id;
}

static void on_signal(int sig)
{
	(void)sig;
	ntf_exiting = 1;
}

void ntf_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
