// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "names.h"
#include "report.h"
#include "callbacks.h"

/* The probe state that feeds a class, for the "via fentry" line. */
static const char *class_mechs(const struct ntf_probe_state *probes, unsigned int class, char *buf,
			       size_t len)
{
	size_t used = 0;
	bool has_point = false;

	buf[0] = '\0';
	for (unsigned int i = 0; probes && i < ntf_probe_count; i++) {
		const char *m;

		has_point |= probes[i].point->class == class;
		if (probes[i].point->class != class || !probes[i].attached)
			continue;
		m = ntf_mech_name(probes[i].mech);
		if (strstr(buf, m))
			continue;
		used += snprintf(buf + used, len - used, "%s%s", used ? "," : "", m);
		if (used >= len)
			break;
	}
	/* callbacks attach per driver: their mechanisms are in the callbacks' own report */
	if (!buf[0] && probes && !has_point)
		return "per driver";
	return buf[0] ? buf : "not attached";
}

static json_t *origins_json(const __u64 origins[NTF_ORIGIN_MAX])
{
	json_t *o = json_object();

	for (unsigned int i = 0; i < NTF_ORIGIN_MAX; i++)
		if (origins[i])
			json_object_set_new(o, ntf_origin_name(i), json_integer(origins[i]));
	return o;
}

/* "fault 812, fork 24": the most frequent first; nothing when none known. */
static void print_origins(FILE *out, const char *lead, const __u64 origins[NTF_ORIGIN_MAX])
{
	bool shown[NTF_ORIGIN_MAX] = {};
	const char *sep = lead;

	for (;;) {
		unsigned int best = NTF_ORIGIN_MAX;

		for (unsigned int i = 0; i < NTF_ORIGIN_MAX; i++)
			if (origins[i] && !shown[i] &&
			    (best == NTF_ORIGIN_MAX || origins[i] > origins[best]))
				best = i;
		if (best == NTF_ORIGIN_MAX)
			break;
		shown[best] = true;
		fprintf(out, "%s%s %llu", sep, ntf_origin_name(best),
			(unsigned long long)origins[best]);
		sep = ", ";
	}
	if (sep != lead)
		fputc('\n', out);
}

double ntf_hist_pct(const struct ntf_hist *h, const struct ntf_buckets *fine, double p)
{
	if (fine && ntf_buckets_cover(fine, h->count))
		return ntf_buckets_quantile(fine, p, h->min_ns, h->max_ns);
	return (double)ntf_hist_quantile(h, p);
}

void ntf_hist_summary(FILE *out, const struct ntf_hist *h, const struct ntf_buckets *fine,
		      unsigned int class)
{
	char p50[16], p90[16], p99[16], p999[16], min[16], max[16], avg[16];

	ntf_format_ns(p50, sizeof(p50), ntf_hist_pct(h, fine, 0.50));
	ntf_format_ns(p90, sizeof(p90), ntf_hist_pct(h, fine, 0.90));
	ntf_format_ns(p99, sizeof(p99), ntf_hist_pct(h, fine, 0.99));
	ntf_format_ns(p999, sizeof(p999), ntf_hist_pct(h, fine, 0.999));
	ntf_format_ns(min, sizeof(min), h->count ? h->min_ns : 0);
	ntf_format_ns(max, sizeof(max), h->max_ns);
	ntf_format_ns(avg, sizeof(avg), h->count ? h->sum_ns / h->count : 0);
	if (class == NTF_CLASS_UNPIN) {
		fprintf(out, "    count %llu  pages %llu  nested %llu\n",
			(unsigned long long)h->count, (unsigned long long)h->pages,
			(unsigned long long)h->nested);
		return;
	}
	fprintf(out,
		"    count %llu  avg %s  min %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  "
		"failures %llu",
		(unsigned long long)h->count, avg, min, p50, p90, p99, p999, max,
		(unsigned long long)h->failures);
	if (ntf_class_is_invalidate(class))
		fprintf(out, "  non-blockable %llu", (unsigned long long)h->nonblock);
	if (class == NTF_CLASS_PIN)
		fprintf(out, "  pages %llu", (unsigned long long)h->pages);
	if (class == NTF_CLASS_UNMAP)
		fprintf(out, "  notifier calls %llu", (unsigned long long)h->pages);
	if (class == NTF_CLASS_PIN || class == NTF_CLASS_FENCE_WAIT || class == NTF_CLASS_UNMAP)
		fprintf(out, "  nested %llu", (unsigned long long)h->nested);
	fputc('\n', out);
}

struct proc_print {
	FILE *out;
	unsigned int class;
};

static int print_process(const struct ntf_agg_entry *ent, void *ctx)
{
	struct proc_print *pp = ctx;
	char p50[16], p99[16], max[16];

	if (ent->key.class != pp->class || !ent->hist.count)
		return 0;
	ntf_format_ns(p50, sizeof(p50), ntf_agg_quantile(ent, 0.50));
	ntf_format_ns(p99, sizeof(p99), ntf_agg_quantile(ent, 0.99));
	ntf_format_ns(max, sizeof(max), ent->hist.max_ns);
	fprintf(pp->out, "      %-8d %-16s count %-8llu p50 %-8s p99 %-8s max %s\n",
		ent->key.tgid == NTF_AGG_OTHER_TGID ? -1 : (int)ent->key.tgid,
		ent->comm[0] ? ent->comm : "-", (unsigned long long)ent->hist.count, p50, p99, max);
	print_origins(pp->out, "               origins: ", ent->origins);
	return 0;
}

/* Sums a class's entries per callback id (ids are small: table indexes). */
static void by_callback(const struct ntf_agg *agg, unsigned int class, struct ntf_hist *sums,
			unsigned int nsums);

struct sub_sum {
	unsigned int class;
	struct ntf_hist *sums;
	unsigned int nsums;
};

static int sum_callback(const struct ntf_agg_entry *ent, void *ctx)
{
	struct sub_sum *ss = ctx;

	if (ent->key.class == ss->class && ent->key.callback < ss->nsums)
		ntf_hist_merge(&ss->sums[ent->key.callback], &ent->hist);
	return 0;
}

static void by_callback(const struct ntf_agg *agg, unsigned int class, struct ntf_hist *sums,
			unsigned int nsums)
{
	struct sub_sum ss = { .class = class, .sums = sums, .nsums = nsums };

	memset(sums, 0, nsums * sizeof(*sums));
	ntf_agg_foreach(agg, sum_callback, &ss);
}

static void print_by_callback(FILE *out, const struct ntf_agg *agg, unsigned int class)
{
	struct ntf_hist sums[NTF_CALLBACK_IDS];

	by_callback(agg, class, sums, NTF_CALLBACK_IDS);
	for (unsigned int id = 1; id < NTF_CALLBACK_IDS; id++) {
		if (!sums[id].count)
			continue;
		__u64 origins[NTF_ORIGIN_MAX];
		struct ntf_buckets fine = {};

		fprintf(out, "  %s:\n", ntf_driver_name(id));
		ntf_agg_fine(agg, class, id, &fine);
		ntf_hist_summary(out, &sums[id], &fine, class);
		ntf_buckets_free(&fine);
		ntf_agg_origins(agg, class, id, origins);
		print_origins(out, "    origins: ", origins);
	}
}

void ntf_report_text(FILE *out, const struct ntf_agg *agg, const struct ntf_probe_state *probes,
		     const struct ntf_report_opts *opts)
{
	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
		__u64 origins[NTF_ORIGIN_MAX];
		struct ntf_buckets fine = {};
		struct ntf_hist total;
		char mechs[64];

		if (!ntf_report_wants_class(opts, c))
			continue;
		ntf_agg_class_total(agg, c, &total);
		fprintf(out, "\n%s (%s)\n", ntf_class_name(c),
			opts->source ? opts->source : class_mechs(probes, c, mechs, sizeof(mechs)));
		if (!total.count) {
			fprintf(out, "    no events\n");
			continue;
		}
		ntf_agg_fine(agg, c, NTF_AGG_ANY_CALLBACK, &fine);
		if (opts->graphs && c != NTF_CLASS_UNPIN) {
			if (opts->fine_graphs && fine.n)
				ntf_buckets_print(out, &fine, opts->unit);
			else
				ntf_hist_print(out, &total, opts->unit);
		}
		ntf_hist_summary(out, &total, &fine, c);
		ntf_buckets_free(&fine);
		ntf_agg_origins(agg, c, NTF_AGG_ANY_CALLBACK, origins);
		print_origins(out, "    origins: ", origins);
		if (c == NTF_CLASS_CALLBACK)
			print_by_callback(out, agg, c);
		if (opts->per_process) {
			struct proc_print pp = { .out = out, .class = c };

			ntf_agg_foreach(agg, print_process, &pp);
		}
	}
}

/*
 * Fine buckets as [index, count] pairs: Prometheus's native index (schema
 * 4 over seconds: bucket i holds (2^((i-1)/16), 2^(i/16)] s), so a reader
 * needs no table; 0 ns events as "zero_count".
 */
static json_t *buckets_json(const struct ntf_buckets *fine)
{
	json_t *o = json_object(), *pairs = json_array();
	__u64 zero = 0;

	for (__u32 i = 0; i < fine->n; i++) {
		const struct ntf_bucket *b = &fine->b[i];

		if (b->index == NTF_BUCKET_ZERO)
			zero += ntf_bucket_count(b);
		else
			json_array_append_new(pairs, json_pack("[iI]", ntf_bucket_native(b->index),
							       (json_int_t)ntf_bucket_count(b)));
	}
	json_object_set_new(o, "schema", json_integer(4));
	json_object_set_new(o, "zero_count", json_integer((json_int_t)zero));
	json_object_set_new(o, "counts", pairs);
	return o;
}

json_t *ntf_hist_json(const struct ntf_hist *h, const struct ntf_buckets *fine)
{
	json_t *slots = json_array(), *o;
	int last = -1;

	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		if (h->slots[i])
			last = i;
	/* Slots as [low_ns, count] pairs, trailing empties left out. */
	for (int i = 0; i <= last; i++)
		json_array_append_new(slots, json_pack("[II]", (json_int_t)ntf_hist_slot_low(i),
						       (json_int_t)h->slots[i]));
	o = json_pack("{sI sI sI sI sI sI sI sI sI sI sI sI so}", "count", (json_int_t)h->count,
		      "sum_ns", (json_int_t)h->sum_ns, "min_ns",
		      (json_int_t)(h->count ? h->min_ns : 0), "p50_ns",
		      (json_int_t)ntf_hist_pct(h, fine, 0.50), "p90_ns",
		      (json_int_t)ntf_hist_pct(h, fine, 0.90), "p99_ns",
		      (json_int_t)ntf_hist_pct(h, fine, 0.99), "p999_ns",
		      (json_int_t)ntf_hist_pct(h, fine, 0.999), "max_ns", (json_int_t)h->max_ns,
		      "failures", (json_int_t)h->failures, "pages", (json_int_t)h->pages, "nested",
		      (json_int_t)h->nested, "nonblock", (json_int_t)h->nonblock, "slots", slots);
	json_object_set_new(o, "slot_count", json_integer(NTF_HIST_SLOTS));
	if (fine && fine->n)
		json_object_set_new(o, "buckets", buckets_json(fine));
	/* which numbers the percentiles come from: fine buckets, or log2 slots */
	json_object_set_new(
		o, "quantiles",
		json_string(fine && ntf_buckets_cover(fine, h->count) ? "fine" : "log2"));
	return o;
}

json_t *ntf_probes_json(const struct ntf_probe_state *probes)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; i < ntf_probe_count; i++) {
		const struct ntf_probe_state *st = &probes[i];
		json_t *why = json_object();

		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++)
			if (st->why[m][0])
				json_object_set_new(why, ntf_mech_name(m), json_string(st->why[m]));
		json_array_append_new(
			arr, json_pack("{ss ss ss sb sb so}", "id", st->point->id, "func",
				       st->point->func, "mech",
				       st->attached ? ntf_mech_name(st->mech) : "none", "attached",
				       st->attached, "core", st->point->core, "why", why));
	}
	return arr;
}

json_t *ntf_counters_json(const __u64 *c)
{
	return json_pack("{sI sI sI sI}", "ringbuf_drops", (json_int_t)c[NTF_CNT_RB_DROPS],
			 "hist_drops", (json_int_t)c[NTF_CNT_HIST_DROPS], "inflight_drops",
			 (json_int_t)c[NTF_CNT_INFLIGHT_DROPS], "bpf_events",
			 (json_int_t)c[NTF_CNT_EVENTS]);
}

struct proc_json {
	json_t *arr;
	const struct ntf_report_opts *opts;
};

static int process_json(const struct ntf_agg_entry *ent, void *ctx)
{
	struct proc_json *pj = ctx;
	json_t *o;

	/* -e narrows the processes as it does the classes, like the text report. */
	if (!ntf_report_wants_class(pj->opts, ent->key.class))
		return 0;
	o = ntf_hist_json(&ent->hist, &ent->fine);
	json_object_set_new(o, "class", json_string(ntf_class_name(ent->key.class)));
	json_object_set_new(
		o, "tgid",
		json_integer(ent->key.tgid == NTF_AGG_OTHER_TGID ? -1 : (json_int_t)ent->key.tgid));
	json_object_set_new(o, "comm", json_string(ent->comm));
	json_object_set_new(o, "callback_id", json_integer(ent->key.callback));
	json_object_set_new(o, "driver", json_string(ntf_driver_name(ent->key.callback)));
	json_object_set_new(o, "origins", origins_json(ent->origins));
	json_array_append_new(pj->arr, o);
	return 0;
}

json_t *ntf_report_json(const struct ntf_agg *agg, const struct ntf_probe_state *probes,
			const struct ntf_report_opts *opts)
{
	json_t *root = json_object(), *classes = json_object();

	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
		__u64 origins[NTF_ORIGIN_MAX];
		struct ntf_buckets fine = {};
		struct ntf_hist total;
		json_t *cj;

		if (!ntf_report_wants_class(opts, c))
			continue;
		ntf_agg_class_total(agg, c, &total);
		ntf_agg_origins(agg, c, NTF_AGG_ANY_CALLBACK, origins);
		ntf_agg_fine(agg, c, NTF_AGG_ANY_CALLBACK, &fine);
		cj = ntf_hist_json(&total, &fine);
		ntf_buckets_free(&fine);
		json_object_set_new(cj, "origins", origins_json(origins));
		json_object_set_new(classes, ntf_class_name(c), cj);
	}
	json_object_set_new(root, "classes", classes);
	if (ntf_report_wants_class(opts, NTF_CLASS_CALLBACK)) {
		struct ntf_hist sums[NTF_CALLBACK_IDS];
		json_t *cbs = json_object();

		by_callback(agg, NTF_CLASS_CALLBACK, sums, NTF_CALLBACK_IDS);
		for (unsigned int id = 1; id < NTF_CALLBACK_IDS; id++)
			if (sums[id].count) {
				__u64 origins[NTF_ORIGIN_MAX];
				struct ntf_buckets fine = {};
				json_t *dj;

				ntf_agg_fine(agg, NTF_CLASS_CALLBACK, id, &fine);
				dj = ntf_hist_json(&sums[id], &fine);
				ntf_buckets_free(&fine);

				ntf_agg_origins(agg, NTF_CLASS_CALLBACK, id, origins);
				json_object_set_new(dj, "origins", origins_json(origins));
				json_object_set_new(cbs, ntf_driver_name(id), dj);
			}
		json_object_set_new(root, "drivers", cbs);
	}
	if (probes)
		json_object_set_new(root, "probes", ntf_probes_json(probes));
	if (opts->per_process) {
		struct proc_json pj = { .arr = json_array(), .opts = opts };

		ntf_agg_foreach(agg, process_json, &pj);
		json_object_set_new(root, "processes", pj.arr);
	}
	return root;
}
