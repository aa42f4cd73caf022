// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "callbacks.h"
#include "hist_from_agg.h"
#include "histogram.h"
#include "names.h"

/* The callback class's histograms summed per callback id (ids are table indexes). */
struct driver_sums {
	struct ntf_hist h[NTF_CALLBACK_IDS];
};

static int sum_driver(const struct ntf_agg_entry *ent, void *ctx)
{
	struct driver_sums *ds = ctx;

	if (ent->key.class == NTF_CLASS_CALLBACK && ent->key.callback < NTF_CALLBACK_IDS)
		ntf_hist_merge(&ds->h[ent->key.callback], &ent->hist);
	return 0;
}

int ntf_hist_report_from_agg(const struct ntf_agg *agg, unsigned int class_mask, double ts,
			     __u64 elapsed_ms, struct ntf_hist_report *out)
{
	struct driver_sums *ds = NULL;
	struct ntf_hist_group *g;
	size_t cap = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->ts = ts;
	out->elapsed_ms = elapsed_ms;
	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX && !err; c++) {
		struct ntf_hist total;

		if (class_mask && !(class_mask & (1u << c)))
			continue;
		ntf_agg_class_total(agg, c, &total);
		if (!total.count)
			continue;
		g = ntf_hist_report_add(out, &cap);
		if (!g) {
			err = -ENOMEM;
			break;
		}
		snprintf(g->label, sizeof(g->label), "%s", ntf_class_name(c));
		g->class = c;
		g->hist = total;
		err = ntf_agg_fine(agg, c, NTF_AGG_ANY_CALLBACK, &g->fine);
	}
	if (!err && (!class_mask || (class_mask & (1u << NTF_CLASS_CALLBACK)))) {
		ds = calloc(1, sizeof(*ds));
		if (!ds)
			err = -ENOMEM;
		else
			ntf_agg_foreach(agg, sum_driver, ds);
	}
	for (unsigned int id = 1; ds && !err && id < NTF_CALLBACK_IDS; id++) {
		if (!ds->h[id].count)
			continue;
		g = ntf_hist_report_add(out, &cap);
		if (!g) {
			err = -ENOMEM;
			break;
		}
		snprintf(g->label, sizeof(g->label), "callback driver=%s", ntf_driver_name(id));
		g->class = NTF_CLASS_CALLBACK;
		g->hist = ds->h[id];
		err = ntf_agg_fine(agg, NTF_CLASS_CALLBACK, id, &g->fine);
	}
	free(ds);
	if (err)
		ntf_hist_report_free(out);
	return err;
}

int ntf_hist_run_append(struct ntf_hist_run *run, struct ntf_hist_report *r)
{
	struct ntf_hist_report *reports = realloc(run->reports, (run->n + 1) * sizeof(*reports));

	if (!reports)
		return -ENOMEM;
	run->reports = reports;
	run->reports[run->n++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}
