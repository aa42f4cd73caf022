// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier hist --input: the reports live tracing would have printed,
 * made from a trace file's events. Each event is keyed as the kernel
 * would have keyed it under hist's options (core/event_key.h) and goes
 * where that map entry would have gone, so the same report functions
 * print it. Intervals (-i) and the duration (-d) are in the recording's
 * time: the file is played at full speed up to each interval's end
 * (record/replay.h), and a report is stamped with the wall-clock time the
 * recording's clock read at that end.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "callbacks.h"
#include "cli.h"
#include "event_key.h"
#include "hist.h"
#include "record.h"
#include "replay.h"

/* The file's driver names, given to this process's table as the file names them. */
struct names {
	const char *path;
	const struct ntf_rec_meta *m;
	unsigned int applied; /* META's callbacks given so far */
};

static void apply_names(struct names *n)
{
	static bool warned;
	__u32 id = ntf_rec_meta_apply_names(n->m);

	n->applied = n->m->ncallbacks;
	if (id && !warned) {
		ntf_warn("%s names callback id %u '%s', this notifier '%s': driver names in the "
			 "reports are this notifier's",
			 n->path, id, ntf_rec_meta_driver(n->m, id), ntf_driver_name(id));
		warned = true;
	}
}

struct file_report {
	const struct hist_args *a;
	struct names *names;
	struct hist_report r;
};

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct file_report *f = ctx;
	const struct hist_args *a = f->a;
	const struct ntf_config *cfg = &a->c.tracer.cfg;
	struct ntf_hist_key k;
	struct ntf_event ev;

	/* a NAMES block read on the way: -f driver judges by those names */
	if (f->names->m->ncallbacks != f->names->applied)
		apply_names(f->names);
	if (!ntf_config_keeps(cfg, e))
		return 0;
	k = ntf_event_hist_key(cfg, e);
	/* a process's name as the event's task gave it: the file keeps no other */
	if (a->filtered && !top_filter_keeps(&a->filter, &k, e->comm, 0))
		return 0;
	if (f->r.groups)
		return ntf_groups_add_event(f->r.groups, &k, e);
	/* the aggregate's entry of that key: a process only when keys carry one */
	ev = *e;
	ev.tgid = k.tgid;
	if (!k.tgid)
		ev.comm[0] = '\0';
	return ntf_agg_add(f->r.agg, &ev);
}

static void print(const struct hist_args *a, struct hist_report *r)
{
	if (a->c.json)
		hist_json_print(hist_report_json(a, r));
	else
		hist_report_text(a, r);
	fflush(stdout);
}

/* How reading ended: 0, or the exit status of a file a block of which is damaged. */
static int say_status(const struct hist_args *a, struct ntf_replay *p)
{
	struct ntf_rec_status st;
	int err = ntf_replay_error(p);

	ntf_rec_reader_status(ntf_replay_reader(p), &st);
	if (err) {
		ntf_err("%s: %s", a->input, st.why[0] ? st.why : strerror(-err));
		return NTF_EXIT_RUNTIME;
	}
	if (st.stop != NTF_REC_COMPLETE)
		ntf_warn("%s: %s", a->input, st.why);
	return 0;
}

int hist_run_file(const struct hist_args *args)
{
	struct ntf_probe_state probes[NTF_PROBE_MAX];
	struct hist_args a = *args;
	const struct ntf_rec_meta *m;
	struct ntf_rec_reader *rd;
	struct ntf_rec_status st;
	struct ntf_replay *p;
	struct names names;
	__u64 step = a.interval_ms * 1000000, lim = a.c.duration_ms * 1000000, last = 0,
	      printed = 0;
	int err, ret = 0;

	if (ntf_rec_reader_open(&rd, a.input, &st)) {
		ntf_err("%s: %s", a.input, st.why);
		return NTF_EXIT_RUNTIME;
	}
	m = ntf_rec_read_meta(rd);
	names = (struct names){ .path = a.input, .m = m };
	apply_names(&names);
	ntf_rec_meta_probe_states(m, probes);
	if (!m->nprobes)
		a.c.report.source = "no probes recorded";
	err = ntf_replay_new(&p, rd, 0);
	if (err) {
		ntf_err("%s: %s", a.input, strerror(-err));
		return NTF_EXIT_RUNTIME;
	}
	for (;;) {
		struct file_report f = { .a = &a, .names = &names };
		__u64 horizon = step ? last + step : ~0ULL, pos;
		bool end;

		if (lim && horizon > lim)
			horizon = lim;
		if (hist_report_init(&f.r, &a)) {
			ret = NTF_EXIT_RUNTIME;
			break;
		}
		ntf_replay_set_horizon(p, horizon);
		while ((err = ntf_replay_poll(p, 0, on_event, &f)) > 0)
			;
		if (err < 0 && err != -ENODATA) {
			ntf_err("%s: %s", a.input, strerror(-err));
			hist_report_fini(&f.r);
			ret = NTF_EXIT_RUNTIME;
			break;
		}
		pos = ntf_replay_pos(p);
		end = ntf_replay_done(p) || (lim && pos >= lim);
		f.r.probes = probes;
		f.r.ts = ntf_rec_meta_wall_s(m, ntf_replay_origin(p) + pos);
		f.r.elapsed_ms = (pos - last + 500000) / 1000000;
		last = pos;
		err = hist_report_keep(&a, &f.r);
		if (!err)
			print(&a, &f.r);
		hist_report_fini(&f.r);
		if (err) {
			ret = NTF_EXIT_RUNTIME;
			break;
		}
		if (end || (a.count && ++printed >= a.count))
			break;
	}
	/* stopped by -d or COUNT, the file was not read to its end: nothing to say of it */
	if (!ret && ntf_replay_done(p))
		ret = say_status(&a, p);
	ntf_replay_free(p);
	return ret;
}
