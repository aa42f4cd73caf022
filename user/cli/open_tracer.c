// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "probe_report.h"
#include "cli.h"
#include "preflight.h"
#include "open_tracer.h"
#include "callback_attach.h"

int ntf_open_tracer(const struct tracer_opts *opts, bool quiet, struct tracer **out)
{
	struct tracer *t;
	int live, err;

	if (ntf_preflight())
		return -1;
	err = tracer__new(opts, &t);
	if (err) {
		ntf_err("failed to load BPF programs: %s%s", strerror(-err),
			opts->verbose ? "" : " (run with -v for libbpf's log)");
		return err;
	}
	live = tracer__attach(t);
	if (live < 0) {
		ntf_err("failed to attach: %s", strerror(-live));
		tracer__free(t);
		return live;
	}
	if (!quiet || !live) {
		fprintf(stderr, "%s: %d of %u probe points live%s\n", ntf_prog, live,
			ntf_probe_count,
			tracer__core_live(t) ? "" : "; the notifier itself is not traced");
		ntf_ladder_report(stderr, tracer__probes(t));
		fprintf(stderr, "%s: driver callbacks in this kernel:\n", ntf_prog);
		ntf_callbacks_report(stderr, tracer__callbacks(t), false, NULL);
	}
	if (!live) {
		ntf_err("no probe point could attach on this kernel");
		tracer__free(t);
		return -1;
	}
	*out = t;
	return 0;
}
