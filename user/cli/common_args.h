/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The options notifier hist and notifierd share, parsed in one place. */
#ifndef NTF_COMMON_ARGS_H
#define NTF_COMMON_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include "report.h"
#include "tracer.h"

struct ntf_common_args {
	struct tracer_opts tracer;
	struct ntf_report_opts report;
	__u64 duration_ms;
	bool json, quiet;
};

#define NTF_COMMON_SHORTOPTS "d:p:c:e:jkqvh"
#define NTF_COMMON_LONGOPTS                                                                    \
	{ "duration", required_argument, NULL, 'd' }, { "pid", required_argument, NULL, 'p' }, \
		{ "cgroup", required_argument, NULL, 'c' },                                    \
		{ "class", required_argument, NULL, 'e' }, { "json", no_argument, NULL, 'j' }, \
		{ "kprobes", no_argument, NULL, 'k' }, { "quiet", no_argument, NULL, 'q' },    \
		{ "verbose", no_argument, NULL, 'v' },                                         \
	{                                                                                      \
		"help", no_argument, NULL, 'h'                                                 \
	}

/*
 * Handles one of the shared options (-h prints usage and exits 0); returns
 * false for an option that is not shared.
 */
bool ntf_parse_common_opt(int opt, const char *arg, struct ntf_common_args *c, const char *usage);

#endif
