// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "json_log.h"
#include "common_args.h"
#include "log.h"

bool ntf_parse_common_opt(int opt, const char *arg, struct ntf_common_args *c, const char *usage)
{
	switch (opt) {
	case 'd': c->duration_ms = ntf_arg_duration_ms("-d", arg); break;
	case 'p': c->tracer.cfg.tgid = ntf_arg_u64("-p", arg, 1, 0x7fffffff); break;
	case 'c': c->tracer.cfg.cgroup_id = ntf_arg_cgroup(arg); break;
	case 'e': c->report.class_mask = ntf_arg_class_list("-e", arg); break;
	case 'j':
		c->json = true;
		ntf_log_json();
		break;
	case 'k': c->tracer.no_fentry = true; break;
	case 'q': c->quiet = true; break;
	case 'v':
		c->tracer.verbose = true;
		ntf_log_set_level(NTF_LOG_DEBUG);
		break;
	case 'h': fputs(usage, stdout); exit(0);
	default: return false;
	}
	return true;
}
