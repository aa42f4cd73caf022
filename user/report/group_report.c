// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `notifier hist --by`: text and JSON of grouped histograms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callbacks.h"
#include "cgroup_match.h"
#include "groups.h"
#include "hist_from_agg.h"
#include "hist_input.h"
#include "names.h"
#include "report.h"

static const char *cgroup_name(__u64 id, char *buf, size_t len)
{
	if (ntf_cgroup_path(id, buf, len))
		snprintf(buf, len, "#%llu", (unsigned long long)id);
	return buf;
}

/* The group's dimensions, in the fixed order of enum ntf_by, into o. */
static json_t *by_json(unsigned int by, const struct ntf_group *grp)
{
	const struct ntf_hist_key *k = &grp->key;
	json_t *o = json_object();
	char cg[NTF_CGROUP_PATH_LEN];

	if (by & NTF_BY_DRIVER)
		json_object_set_new(o, "driver",
				    json_string(k->callback ? ntf_driver_name(k->callback) : "-"));
	json_object_set_new(o, "event", json_string(ntf_class_name(k->class)));
	if (by & NTF_BY_PROCESS) {
		json_object_set_new(o, "pid", json_integer(k->tgid));
		json_object_set_new(o, "comm", json_string(grp->comm[0] ? grp->comm : "-"));
	}
	if (by & NTF_BY_CGROUP)
		json_object_set_new(o, "cgroup",
				    json_string(cgroup_name(k->cgroup_id, cg, sizeof(cg))));
	if (by & NTF_BY_ORIGIN)
		json_object_set_new(
			o, "origin",
			json_string(k->origin < NTF_ORIGIN_MAX ? ntf_origin_name(k->origin) : "-"));
	if (by & NTF_BY_BLOCKABLE)
		json_object_set_new(o, "blockable", json_string(ntf_blockable_name(k->blockable)));
	return o;
}

/* "driver=i915 event=callback": the "by" pairs in their order. */
static void label(char *buf, size_t len, const json_t *by)
{
	static const char *const order[] = { "driver", "event",	 "pid",	     "comm",
					     "cgroup", "origin", "blockable" };
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && used < len; i++) {
		const json_t *v = json_object_get(by, order[i]);

		if (!v)
			continue;
		if (json_is_integer(v))
			used += snprintf(buf + used, len - used, "%s%s=%lld", used ? " " : "",
					 order[i], (long long)json_integer_value(v));
		else
			used += snprintf(buf + used, len - used, "%s%s=%s", used ? " " : "",
					 order[i], json_string_value(v));
	}
}

void ntf_groups_text(FILE *out, const struct ntf_groups *g, const struct ntf_report_opts *opts)
{
	unsigned int by = ntf_groups_by(g);
	const struct ntf_group **v;
	size_t n, shown = 0;

	v = ntf_groups_sorted(g, &n);
	for (size_t i = 0; i < n; i++) {
		const struct ntf_group *grp = v[i];
		json_t *pairs;
		char name[512];

		if (!ntf_report_wants_class(opts, grp->key.class))
			continue;
		pairs = by_json(by, grp);
		label(name, sizeof(name), pairs);
		json_decref(pairs);
		fprintf(out, "\n%s\n", name);
		if (opts->graphs && grp->key.class != NTF_CLASS_UNPIN) {
			if (opts->fine_graphs && grp->fine.n)
				ntf_buckets_print(out, &grp->fine, opts->unit);
			else
				ntf_hist_print(out, &grp->hist, opts->unit);
		}
		ntf_hist_summary(out, &grp->hist, &grp->fine, grp->key.class);
		shown++;
	}
	if (!shown)
		fprintf(out, "\nno events\n");
	free(v);
}

json_t *ntf_groups_json(const struct ntf_groups *g, const struct ntf_report_opts *opts)
{
	const struct ntf_group **v;
	json_t *arr = json_array();
	size_t n;

	v = ntf_groups_sorted(g, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *o;

		if (!ntf_report_wants_class(opts, v[i]->key.class))
			continue;
		o = ntf_hist_json(&v[i]->hist, &v[i]->fine);
		json_object_set_new(o, "by", by_json(ntf_groups_by(g), v[i]));
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

int ntf_groups_report(const struct ntf_groups *g, const struct ntf_report_opts *opts, double ts,
		      __u64 elapsed_ms, struct ntf_hist_report *out)
{
	const struct ntf_group **v;
	size_t n, cap = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->ts = ts;
	out->elapsed_ms = elapsed_ms;
	v = ntf_groups_sorted(g, &n);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		struct ntf_hist_group *hg;
		json_t *pairs;

		if (!ntf_report_wants_class(opts, v[i]->key.class))
			continue;
		hg = ntf_hist_report_add(out, &cap);
		if (!hg) {
			err = -ENOMEM;
			break;
		}
		pairs = by_json(ntf_groups_by(g), v[i]);
		label(hg->label, sizeof(hg->label), pairs);
		json_decref(pairs);
		hg->class = v[i]->key.class;
		hg->hist = v[i]->hist;
		if (ntf_buckets_merge(&hg->fine, &v[i]->fine))
			err = -ENOMEM;
	}
	free(v);
	if (err)
		ntf_hist_report_free(out);
	return err;
}
