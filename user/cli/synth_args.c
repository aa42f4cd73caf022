// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "cli.h"
#include "source.h"
#include "synth_args.h"

void ntf_synth_args_init(struct ntf_synth_args *s)
{
	*s = (struct ntf_synth_args){
		.keys = NTF_SYNTH_DEFAULT_KEYS,
		.rate = NTF_SYNTH_DEFAULT_RATE,
	};
}

bool ntf_parse_synth_opt(int opt, const char *arg, struct ntf_synth_args *s)
{
	switch (opt) {
	case NTF_OPT_SYNTHETIC:
		s->on = true;
		if (arg)
			s->seed = ntf_arg_u64("--synthetic", arg, 0, ~0ULL);
		return true;
	case NTF_OPT_KEYS:
		s->keys = ntf_arg_u64("--keys", arg, 1, NTF_SYNTH_MAX_KEYS);
		s->keys_set = true;
		return true;
	case NTF_OPT_RATE:
		s->rate = ntf_arg_u64("--rate", arg, 1, NTF_SYNTH_MAX_RATE);
		s->rate_set = true;
		return true;
	default: return false;
	}
}

void ntf_synth_args_check(const struct ntf_synth_args *s)
{
	if ((s->keys_set || s->rate_set) && !s->on)
		ntf_usage_error("%s needs --synthetic", s->keys_set ? "--keys" : "--rate");
}
