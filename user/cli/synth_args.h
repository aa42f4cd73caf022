/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* --synthetic[=SEED], --keys and --rate, as notifierd and notifier-top take them. */
#ifndef NTF_SYNTH_ARGS_H
#define NTF_SYNTH_ARGS_H

#include <stdbool.h>
#include <linux/types.h>
#include "source.h"

/* getopt values, clear of both programs' own */
enum { NTF_OPT_SYNTHETIC = 0x300, NTF_OPT_KEYS, NTF_OPT_RATE };

#define NTF_SYNTH_LONGOPTS                                           \
	{ "synthetic", optional_argument, NULL, NTF_OPT_SYNTHETIC }, \
		{ "keys", required_argument, NULL, NTF_OPT_KEYS },   \
	{                                                            \
		"rate", required_argument, NULL, NTF_OPT_RATE        \
	}

/* The defaults: off, NTF_SYNTH_DEFAULT_KEYS pairs at NTF_SYNTH_DEFAULT_RATE. */
void ntf_synth_args_init(struct ntf_synth_args *s);
/* Parses opt into s when it is one of the three; a bad value is a usage error. */
bool ntf_parse_synth_opt(int opt, const char *arg, struct ntf_synth_args *s);
/* --keys or --rate without --synthetic is a usage error. */
void ntf_synth_args_check(const struct ntf_synth_args *s);

#endif
