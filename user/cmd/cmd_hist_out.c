// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One notifier hist report's output, whichever source filled it (hist.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "hist.h"
#include "hist_from_agg.h"
#include "plot_svg.h"
#include "report.h"

int hist_report_init(struct hist_report *r, const struct hist_args *a)
{
	memset(r, 0, sizeof(*r));
	r->agg = ntf_agg_new(0);
	if (a->by)
		r->groups = ntf_groups_new(a->by);
	if (!r->agg || (a->by && !r->groups)) {
		ntf_err("out of memory for the report");
		hist_report_fini(r);
		return -1;
	}
	return 0;
}

void hist_report_fini(struct hist_report *r)
{
	ntf_groups_free(r->groups);
	ntf_agg_free(r->agg);
	r->groups = NULL;
	r->agg = NULL;
}

int hist_report_keep(const struct hist_args *a, const struct hist_report *r)
{
	struct ntf_hist_report rep;
	int err;

	if (!a->run)
		return 0;
	err = r->groups ? ntf_groups_report(r->groups, &a->c.report, r->ts, r->elapsed_ms, &rep) :
			  ntf_hist_report_from_agg(r->agg, a->c.report.class_mask, r->ts,
						   r->elapsed_ms, &rep);
	if (!err && (err = ntf_hist_run_append(a->run, &rep)))
		ntf_hist_report_free(&rep);
	if (err) {
		ntf_err("cannot keep the report for the picture: %s", strerror(-err));
		return -1;
	}
	return 0;
}

json_t *hist_report_json(const struct hist_args *a, const struct hist_report *r)
{
	json_t *root = r->groups ? json_object() : ntf_report_json(r->agg, r->probes, &a->c.report);

	if (r->groups) {
		json_object_set_new(root, "groups", ntf_groups_json(r->groups, &a->c.report));
		json_object_set_new(root, "probes", ntf_probes_json(r->probes));
	}
	json_object_set_new(root, "ts", json_real(r->ts));
	json_object_set_new(root, "elapsed_ms", json_integer(r->elapsed_ms));
	return root;
}

void hist_json_print(json_t *root)
{
	json_dumpf(root, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(root);
}

void hist_report_text(const struct hist_args *a, const struct hist_report *r)
{
	time_t when_s = (time_t)r->ts;
	char when[32];

	/* the report's own time, the one its JSON and its picture carry */
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&when_s));
	printf("\n--- %s, %.1f s", when, r->elapsed_ms / 1000.0);
	if (r->drops)
		printf(", %llu events not aggregated (hist map full)",
		       (unsigned long long)r->drops);
	printf(" ---\n");
	if (r->groups)
		ntf_groups_text(stdout, r->groups, &a->c.report);
	else
		ntf_report_text(stdout, r->agg, r->probes, &a->c.report);
}

int hist_write_pictures(const struct hist_args *a)
{
	struct ntf_plot_opts po = { .title = a->title ? a->title : "notifier hist" };
	char msg[512];
	int ret = 0;

	if (a->svg && ntf_plot_write(a->svg, false, a->run, &po, msg, sizeof(msg))) {
		ntf_err("%s", msg);
		ret = -1;
	}
	if (a->html && ntf_plot_write(a->html, true, a->run, &po, msg, sizeof(msg))) {
		ntf_err("%s", msg);
		ret = -1;
	}
	return ret;
}
