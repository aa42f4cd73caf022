// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd's stats lines and summary. Without a tracer (--synthetic) the
 * BPF maps' counters and histograms do not exist and are left out, not
 * shown as zeros.
 */
#include <stdio.h>
#include <jansson.h>
#include "daemon_report.h"
#include "names.h"
#include "report.h"
#include "subscribers.h"

void ntf_daemon_stats(const struct ntf_common_args *c, const struct daemon_state *st,
		      const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms)
{
	__u64 counters[NTF_CNT_MAX] = {};
	double secs = elapsed_ms / 1000.0;

	if (st->t)
		ntf_read_counters(tracer__counters_fd(st->t), counters);
	if (c->json) {
		json_t *rates = json_object();

		for (unsigned int k = NTF_CLASS_INVAL_START; k < NTF_CLASS_MAX; k++)
			json_object_set_new(rates, ntf_class_name(k),
					    json_real((st->per_class[k] - prev_class[k]) / secs));
		json_t *o =
			json_pack("{ss sf so so* sI}", "type", "stats", "interval_s", secs, "rates",
				  rates, "counters", st->t ? ntf_counters_json(counters) : NULL,
				  "events", (json_int_t)st->events);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("%-10s", "events/s");
		for (unsigned int k = NTF_CLASS_INVAL_START; k < NTF_CLASS_MAX; k++)
			printf(" %s %.0f", ntf_class_name(k),
			       (st->per_class[k] - prev_class[k]) / secs);
		if (st->t)
			printf("  drops %llu", (unsigned long long)counters[NTF_CNT_RB_DROPS]);
		putchar('\n');
	}
	fflush(stdout);
}

static void summary_json(const struct ntf_common_args *c, const struct daemon_state *st,
			 const struct ntf_agg *kernel_agg, const __u64 *counters, __u64 elapsed_ms)
{
	struct ntf_report_opts ro = c->report;
	json_t *root;

	/* Scripts get the per-process breakdown the stream has anyway. */
	ro.per_process = true;
	root = ntf_report_json(st->agg, st->t ? tracer__probes(st->t) : NULL, &ro);
	json_object_set_new(root, "type", json_string("summary"));
	if (!st->t)
		json_object_set_new(root, "source", json_string("synthetic"));
	json_object_set_new(root, "elapsed_ms", json_integer(elapsed_ms));
	json_object_set_new(root, "stream", json_boolean(c->tracer.cfg.stream));
	json_object_set_new(root, "events", json_integer(st->events));
	json_object_set_new(root, "folded", json_integer(ntf_agg_folded(st->agg)));
	if (st->t) {
		json_object_set_new(root, "counters", ntf_counters_json(counters));
		json_object_set_new(root, "subscribers",
				    ntf_subscribers_json(tracer__subscribers(st->t)));
	}
	if (kernel_agg)
		json_object_set_new(root, "kernel", ntf_report_json(kernel_agg, NULL, &c->report));
	json_dumpf(root, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(root);
}

static void summary_text(const struct ntf_common_args *c, const struct daemon_state *st,
			 const struct ntf_agg *kernel_agg, const __u64 *counters, __u64 elapsed_ms)
{
	struct ntf_report_opts ro = c->report;

	ro.graphs = true;
	if (st->t) {
		printf("\n--- notifierd: %.1f s, %llu events streamed, %llu dropped ---\n",
		       elapsed_ms / 1000.0, (unsigned long long)st->events,
		       (unsigned long long)counters[NTF_CNT_RB_DROPS]);
		ntf_report_text(stdout, c->tracer.cfg.stream ? st->agg : kernel_agg,
				tracer__probes(st->t), &ro);
	} else {
		printf("\n--- notifierd: %.1f s, %llu synthetic events ---\n", elapsed_ms / 1000.0,
		       (unsigned long long)st->events);
		ro.source = "synthetic";
		ntf_report_text(stdout, st->agg, NULL, &ro);
	}
}

void ntf_daemon_summary(const struct ntf_common_args *c, const struct daemon_state *st,
			__u64 elapsed_ms)
{
	struct ntf_agg *kernel_agg = NULL;
	__u64 counters[NTF_CNT_MAX] = {};

	if (st->t) {
		kernel_agg = ntf_agg_new(0);
		ntf_read_counters(tracer__counters_fd(st->t), counters);
		if (kernel_agg)
			ntf_read_hists(tracer__hists_fd(st->t), kernel_agg);
	}
	if (c->json)
		summary_json(c, st, kernel_agg, counters, elapsed_ms);
	else
		summary_text(c, st, kernel_agg, counters, elapsed_ms);
	fflush(stdout);
	ntf_agg_free(kernel_agg);
}
