/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The host benchmarks' arguments. A header of its own, with no part of
 * the library: bench_before.sh builds bench_update.c against older trees.
 */
#ifndef NTF_BENCH_ARGS_H
#define NTF_BENCH_ARGS_H

#include <stdio.h>
#include <stdlib.h>

/* A number from arg, 1 to max, or -1 with a line that names prog, what and arg. */
static inline long bench_count_arg(const char *prog, const char *what, const char *arg, long max)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end || end == arg || n < 1 || n > max) {
		fprintf(stderr, "%s: %s must be 1 to %ld, not '%s'\n", prog, what, max, arg);
		return -1;
	}
	return n;
}

#endif
