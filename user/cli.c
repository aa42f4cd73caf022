// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "preflight.h"

const char *ntf_prog = "notifier";
volatile sig_atomic_t ntf_exiting;

void ntf_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ntf_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ntf_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ntf_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s --help')\n", ntf_prog);
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

__u64 ntf_parse_u64(const char *opt, const char *arg, __u64 min, __u64 max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-')
		ntf_usage_error("%s: '%s' is not a number", opt, arg);
	if (v < min || v > max)
		ntf_usage_error("%s: %llu is out of range [%llu, %llu]", opt, v,
				(unsigned long long)min, (unsigned long long)max);
	return v;
}

__u64 ntf_parse_duration_ms(const char *opt, const char *arg)
{
	double v, scale = 1000.0;
	char *end;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg)
		ntf_usage_error("%s: '%s' is not a duration", opt, arg);
	if (!strcmp(end, "ms"))
		scale = 1.0;
	else if (*end && strcmp(end, "s"))
		ntf_usage_error("%s: '%s' has an unknown unit (use s or ms)", opt, arg);
	if (!(v > 0) || v * scale > 1e12)
		ntf_usage_error("%s: '%s' must be a positive duration", opt, arg);
	return (__u64)(v * scale + 0.5);
}

__u64 ntf_parse_cgroup(const char *arg)
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

__u64 ntf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ntf_preflight(void)
{
	char msg[256];

	if (ntf_check_privileges(msg, sizeof(msg)) || ntf_check_btf(msg, sizeof(msg))) {
		ntf_err("%s", msg);
		return -1;
	}
	return 0;
}
