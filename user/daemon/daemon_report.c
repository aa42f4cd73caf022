// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd's stats lines and summary. Without a tracer (--synthetic) the
 * BPF maps' counters and histograms do not exist and are left out, not
 * shown as zeros; when reading them fails, they are said to be
 * unavailable, and why (JSON: null, and the reason under "errors").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "daemon_rec_report.h"
#include "daemon_report.h"
#include "names.h"
#include "report.h"
#include "callback_attach.h"

void ntf_daemon_read_counters(struct ntf_daemon_kernel *k, int counters_fd)
{
	k->counters_err = ntf_read_counters(counters_fd, k->counters);
}

void ntf_daemon_read_hists(struct ntf_daemon_kernel *k, int hists_fd, int buckets_fd, int comms_fd)
{
	k->hists = ntf_agg_new(0);
	if (!k->hists) {
		k->hists_err = -ENOMEM;
		return;
	}
	k->hists_err = ntf_read_hists(hists_fd, comms_fd, k->hists);
	if (!k->hists_err && buckets_fd >= 0)
		k->hists_err = ntf_read_buckets(buckets_fd, k->hists);
}

/* Sets root's member key to val, or when err to null and errors.key to why. */
static void set_or_error(json_t *root, const char *key, json_t *val, int err, const char *map)
{
	json_t *errors;

	if (!err) {
		json_object_set_new(root, key, val);
		return;
	}
	json_decref(val);
	json_object_set_new(root, key, json_null());
	errors = json_object_get(root, "errors");
	if (!errors) {
		errors = json_object();
		json_object_set_new(root, "errors", errors);
	}
	json_object_set_new(errors, key,
			    json_sprintf("cannot read the %s map: %s", map, strerror(-err)));
}

void ntf_daemon_stats_print(FILE *out, const struct ntf_common_args *c,
			    const struct daemon_state *st, const struct ntf_daemon_kernel *k,
			    const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms)
{
	double secs = elapsed_ms / 1000.0;

	if (c->json) {
		json_t *rates = json_object();

		for (unsigned int i = NTF_CLASS_INVAL_START; i < NTF_CLASS_MAX; i++)
			json_object_set_new(rates, ntf_class_name(i),
					    json_real((st->per_class[i] - prev_class[i]) / secs));
		json_t *o = json_pack("{ss sf so sI}", "type", "stats", "interval_s", secs, "rates",
				      rates, "events", (json_int_t)st->events);

		if (k)
			set_or_error(o, "counters", ntf_counters_json(k->counters), k->counters_err,
				     "counters");
		if (st->rec)
			ntf_daemon_rec_json(o, st->rec);
		json_dumpf(o, out, JSON_COMPACT);
		fputc('\n', out);
		json_decref(o);
	} else {
		fprintf(out, "%-10s", "events/s");
		for (unsigned int i = NTF_CLASS_INVAL_START; i < NTF_CLASS_MAX; i++)
			fprintf(out, " %s %.0f", ntf_class_name(i),
				(st->per_class[i] - prev_class[i]) / secs);
		if (k && k->counters_err)
			fprintf(out, "  drops unavailable (%s)", strerror(-k->counters_err));
		else if (k)
			fprintf(out, "  drops %llu",
				(unsigned long long)k->counters[NTF_CNT_RB_DROPS]);
		if (st->rec)
			ntf_daemon_rec_stats_text(out, st->rec);
		fputc('\n', out);
	}
	fflush(out);
}

static void summary_json(FILE *out, const struct ntf_common_args *c, const struct daemon_state *st,
			 const struct ntf_daemon_kernel *k, __u64 elapsed_ms)
{
	struct ntf_report_opts ro = c->report;
	json_t *root;

	/* Scripts get the per-process breakdown the stream has anyway. */
	ro.per_process = true;
	root = ntf_report_json(st->agg, k ? k->probes : NULL, &ro);
	json_object_set_new(root, "type", json_string("summary"));
	if (!k)
		json_object_set_new(root, "source", json_string("synthetic"));
	json_object_set_new(root, "elapsed_ms", json_integer(elapsed_ms));
	json_object_set_new(root, "stream", json_boolean(c->tracer.cfg.stream));
	json_object_set_new(root, "events", json_integer(st->events));
	/* -H with rules: events holds what the rules' gates let through, nothing else */
	json_object_set_new(root, "rule_gated", json_boolean(c->tracer.cfg.rule_gated));
	json_object_set_new(root, "folded", json_integer(ntf_agg_folded(st->agg)));
	if (st->rec)
		ntf_daemon_rec_json(root, st->rec);
	if (st->policy && st->policy->p)
		json_object_set_new(root, "policy", daemon_policy_json(st->policy));
	if (st->ops && daemon_ops_used(st->ops))
		json_object_set_new(root, "policy_ops", daemon_ops_json(st->ops));
	if (k) {
		set_or_error(root, "counters", ntf_counters_json(k->counters), k->counters_err,
			     "counters");
		if (k->callbacks) {
			json_object_set_new(root, "callbacks", ntf_callbacks_json(k->callbacks));
			json_object_set_new(
				root, "watch",
				ntf_callbacks_watch_json(k->callbacks, k->watch_overflow));
		}
		set_or_error(root, "kernel",
			     k->hists_err ? NULL : ntf_report_json(k->hists, NULL, &c->report),
			     k->hists_err, "hists");
	}
	json_dumpf(root, out, JSON_COMPACT);
	fputc('\n', out);
	json_decref(root);
}

/* What the recorders, the rules and the BPF policy did: the lines under the header. */
static void services_text(FILE *out, const struct daemon_state *st)
{
	if (st->rec)
		ntf_daemon_rec_summary_text(out, st->rec);
	if (st->policy)
		daemon_policy_summary_text(out, st->policy);
	if (st->ops && daemon_ops_used(st->ops))
		daemon_ops_summary_text(out, st->ops);
}

static void summary_text(FILE *out, const struct ntf_common_args *c, const struct daemon_state *st,
			 const struct ntf_daemon_kernel *k, __u64 elapsed_ms)
{
	struct ntf_report_opts ro = c->report;

	ro.graphs = true;
	if (k) {
		fprintf(out, "\n--- notifierd: %.1f s, %llu events streamed, ", elapsed_ms / 1000.0,
			(unsigned long long)st->events);
		if (k->counters_err)
			fprintf(out, "drops unavailable (cannot read the counters map: %s) ---\n",
				strerror(-k->counters_err));
		else
			fprintf(out, "%llu dropped ---\n",
				(unsigned long long)k->counters[NTF_CNT_RB_DROPS]);
		services_text(out, st);
		if (c->tracer.cfg.stream)
			ntf_report_text(out, st->agg, k->probes, &ro);
		else if (k->hists_err)
			fprintf(out,
				"\nin-kernel histograms unavailable: cannot read the hists map: %s\n",
				strerror(-k->hists_err));
		else
			ntf_report_text(out, k->hists, k->probes, &ro);
		if (k->callbacks)
			ntf_callbacks_unseen_report(out, k->callbacks, k->watch_overflow);
	} else {
		fprintf(out, "\n--- notifierd: %.1f s, %llu synthetic events ---\n",
			elapsed_ms / 1000.0, (unsigned long long)st->events);
		services_text(out, st);
		ro.source = "synthetic";
		ntf_report_text(out, st->agg, NULL, &ro);
	}
}

void ntf_daemon_summary_print(FILE *out, const struct ntf_common_args *c,
			      const struct daemon_state *st, const struct ntf_daemon_kernel *k,
			      __u64 elapsed_ms)
{
	if (c->json)
		summary_json(out, c, st, k, elapsed_ms);
	else
		summary_text(out, c, st, k, elapsed_ms);
	fflush(out);
}

void ntf_daemon_stats(const struct ntf_common_args *c, const struct daemon_state *st,
		      const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms)
{
	struct ntf_daemon_kernel k = {};

	if (st->t)
		ntf_daemon_read_counters(&k, tracer__counters_fd(st->t));
	ntf_daemon_stats_print(stdout, c, st, st->t ? &k : NULL, prev_class, elapsed_ms);
}

void ntf_daemon_summary(const struct ntf_common_args *c, const struct daemon_state *st,
			__u64 elapsed_ms)
{
	struct ntf_daemon_kernel k = {};

	if (st->t) {
		k.probes = tracer__probes(st->t);
		tracer__sweep(st->t);
		k.callbacks = tracer__callbacks(st->t);
		k.watch_overflow = tracer__watch_overflow(st->t);
		ntf_daemon_read_counters(&k, tracer__counters_fd(st->t));
		ntf_daemon_read_hists(&k, tracer__hists_fd(st->t), tracer__buckets_fd(st->t),
				      tracer__comms_fd(st->t));
	}
	ntf_daemon_summary_print(stdout, c, st, st->t ? &k : NULL, elapsed_ms);
	ntf_agg_free(k.hists);
}
