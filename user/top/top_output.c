// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* notifier-top's header lines, and batch mode's text and JSON snapshots. */
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "names.h"
#include "callbacks.h"
#include "top_app.h"
#include "top_format.h"

/* Short class names, so the rates fit one 80-column line. */
static const char *class_short(unsigned int class)
{
	switch (class) {
	case NTF_CLASS_INVAL_START: return "start";
	case NTF_CLASS_INVAL_END: return "end";
	case NTF_CLASS_FENCE_WAIT: return "fence";
	default: return ntf_class_name(class);
	}
}

#define APPEND(buf, len, used, ...)                                                      \
	do {                                                                             \
		if ((used) < (len))                                                      \
			(used) += snprintf((buf) + (used), (len) - (used), __VA_ARGS__); \
	} while (0)

static void probes_line(const struct top_app *app, char *buf, size_t len)
{
	const struct ntf_probe_state *probes = top_feed_probes(app->feed);
	const struct top_feed_counters *c = &app->counters;
	unsigned int per_mech[NTF_MECH_MAX], live;
	size_t used = 0;

	if (!probes) {
		APPEND(buf, len, used, "probes: none (%s feed)", app->feed->name);
	} else {
		live = top_probes_live(probes, per_mech);
		APPEND(buf, len, used, "probes %u/%u live", live, ntf_probe_count);
		for (unsigned int m = NTF_MECH_FENTRY, n = 0; m < NTF_MECH_MAX; m++)
			if (per_mech[m])
				APPEND(buf, len, used, "%s%s %u", n++ ? ", " : ": ",
				       ntf_mech_name(m), per_mech[m]);
	}
	APPEND(buf, len, used, "  drops %llu", (unsigned long long)c->drops);
	if (c->lost)
		APPEND(buf, len, used, "  lost %llu", (unsigned long long)c->lost);
	if (c->bad)
		APPEND(buf, len, used, "  bad %llu", (unsigned long long)c->bad);
	if (c->unseen)
		APPEND(buf, len, used, "  unseen driver calls %llu", (unsigned long long)c->unseen);
}

void top_header_line(const struct top_app *app, unsigned int i, char *buf, size_t len)
{
	const struct top_totals *t = top_model_totals(app->model);
	const struct top_query *q = &app->opts.query;
	size_t used = 0;
	char when[16], num[16], filter[96], where[48];

	buf[0] = '\0';
	switch (i) {
	case 0:
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&app->wall));
		APPEND(buf, len, used, "notifier-top  %s  feed %s  every %gs  keys %zu", when,
		       app->feed->name, app->opts.interval_ms / 1000.0, t->keys);
		/* a replay: where in the recording, and how fast */
		if (app->feed->ops->describe) {
			app->feed->ops->describe(app->feed, where, sizeof(where));
			APPEND(buf, len, used, "  %s", where);
		}
		if (app->paused)
			APPEND(buf, len, used, "  [paused]");
		break;
	case 1:
		/* two spaces between classes while they fit 80 columns, then one */
		for (int gap = 2; gap > 0; gap--) {
			used = 0;
			APPEND(buf, len, used, "ev/s");
			for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++) {
				top_format_num(num, sizeof(num), t->rate[c], 4, true);
				APPEND(buf, len, used, "%*s%s %s", gap, "", class_short(c), num);
			}
			if (used <= 80)
				break;
		}
		break;
	case 2: probes_line(app, buf, len); break;
	case 3:
		top_filter_format(&q->filter, filter, sizeof(filter));
		APPEND(buf, len, used, "view %d %s  sort %s %s  filter %s  rows %zu", q->view + 1,
		       top_view_title(q->view), top_col_header(q->view, q->sort),
		       q->ascending ? "asc" : "desc", filter, t->rows);
		break;
	}
}

static size_t row_limit(const struct top_app *app)
{
	size_t n = top_model_rows(app->model);

	return app->opts.rows && app->opts.rows < n ? app->opts.rows : n;
}

void top_print_text(FILE *out, const struct top_app *app, unsigned int width)
{
	enum top_view view = app->opts.query.view;
	struct top_layout l;
	char line[512];
	size_t n = row_limit(app);

	/* bcc's way: a terminal gets a fresh screen per interval, unless -C */
	if (!app->opts.no_clear && isatty(fileno(out)))
		fputs("\033[H\033[2J", out);
	for (unsigned int i = 0; i < TOP_HEADER_LINES; i++) {
		top_header_line(app, i, line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
	top_layout(view, width, &l);
	top_format_line(line, sizeof(line), &l, view, NULL);
	fprintf(out, "\n%s\n", line);
	for (size_t i = 0; i < n; i++) {
		top_format_line(line, sizeof(line), &l, view, top_model_row(app->model, i));
		fprintf(out, "%s\n", line);
	}
	fputc('\n', out);
	fflush(out);
}

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *row_json(enum top_view view, const struct top_row *r)
{
	const enum top_col *cols;
	unsigned int n = top_view_cols(view, &cols);
	json_t *o = json_object();

	for (unsigned int i = 0; i < n; i++) {
		enum top_col c = cols[i];
		const char *key = top_cols[c].json;
		double v = r->v[c];

		switch (c) {
		case TOP_COL_DRIVER:
			json_object_set_new(o, key, json_integer(r->callback));
			json_object_set_new(
				o, "driver",
				json_string(r->callback ? ntf_driver_name(r->callback) : "all"));
			break;
		case TOP_COL_PID:
			json_object_set_new(o, key,
					    json_integer(r->tgid == NTF_AGG_OTHER_TGID ?
								 -1 :
								 (json_int_t)r->tgid));
			break;
		case TOP_COL_COMM: json_object_set_new(o, key, json_string(r->comm)); break;
		case TOP_COL_CLASS:
			json_object_set_new(o, key, json_string(ntf_class_name(r->class)));
			break;
		default:
			/* whole numbers stay integers; rates and percentages do not */
			if (!isnan(v) &&
			    (top_cols[c].kind == TOP_KIND_NS || top_cols[c].kind == TOP_KIND_COUNT))
				json_object_set_new(o, key, json_integer((json_int_t)v));
			else
				json_object_set_new(o, key, num_or_null(v));
		}
	}
	/* what the rate was computed from, so scripts can add intervals up exactly */
	json_object_set_new(o, "events", json_integer(r->events));
	return o;
}

void top_print_json(FILE *out, const struct top_app *app)
{
	const struct top_totals *t = top_model_totals(app->model);
	const struct top_query *q = &app->opts.query;
	const struct ntf_probe_state *probes = top_feed_probes(app->feed);
	json_t *root, *rates = json_object(), *rows = json_array(), *jprobes = json_null();
	char filter[96];
	size_t n = row_limit(app);

	for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++)
		json_object_set_new(rates, ntf_class_name(c), json_real(t->rate[c]));
	if (probes) {
		unsigned int per_mech[NTF_MECH_MAX], live = top_probes_live(probes, per_mech);
		json_t *mechs = json_object();

		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++)
			if (per_mech[m])
				json_object_set_new(mechs, ntf_mech_name(m),
						    json_integer(per_mech[m]));
		jprobes = json_pack("{sI sI so}", "live", (json_int_t)live, "total",
				    (json_int_t)ntf_probe_count, "mechs", mechs);
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, row_json(q->view, top_model_row(app->model, i)));
	top_filter_format(&q->filter, filter, sizeof(filter));
	root = json_pack("{sI sf ss ss ss sb ss sI sI sI so s{sI sI sI sI} so so}", "time",
			 (json_int_t)app->wall, "interval_s", t->elapsed_s, "feed", app->feed->name,
			 "view", top_view_name(q->view), "sort", top_cols[q->sort].name,
			 "ascending", q->ascending, "filter", filter, "keys", (json_int_t)t->keys,
			 "events", (json_int_t)t->events, "rows_total", (json_int_t)t->rows,
			 "rates", rates, "counters", "drops", (json_int_t)app->counters.drops,
			 "lost", (json_int_t)app->counters.lost, "bad",
			 (json_int_t)app->counters.bad, "unseen", (json_int_t)app->counters.unseen,
			 "probes", jprobes, "rows", rows);
	/* a replay: the recording's second the snapshot ends at */
	if (app->feed->ops->clock_ms)
		json_object_set_new(root, "at_s", json_real(app->last_ms / 1000.0));
	json_dumpf(root, out, JSON_COMPACT);
	fputc('\n', out);
	fflush(out);
	json_decref(root);
}
