// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier report --ctf DIR FILE: the trace file's events as a CTF trace
 * (user/report/ctf.h) for babeltrace2 and Trace Compass. A file cut
 * short or damaged gives the trace of what read, and exit 1: the trace
 * does not hold everything the file does.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "commands.h"
#include "ctf.h"
#include "log.h"
#include "record.h"

static bool wanted(const struct ntf_event *e, unsigned int class_mask, __u32 tgid)
{
	return (!class_mask || (class_mask & (1u << e->class))) && (!tgid || e->tgid == tgid);
}

static void summary(const char *path, const char *dir, const struct ntf_ctf_stats *cs,
		    const struct ntf_rec_status *st, bool json)
{
	json_t *o;

	if (!json) {
		printf("%s: %llu events into %s (CTF 1.8: %u stream file%s, %llu packets, "
		       "%llu bytes); read it with babeltrace2 %s\n",
		       path, (unsigned long long)cs->events, dir, cs->streams,
		       cs->streams == 1 ? "" : "s", (unsigned long long)cs->packets,
		       (unsigned long long)cs->bytes, dir);
		return;
	}
	o = json_pack("{ss ss sI sI sI sI sI ss}", "path", path, "ctf", dir, "events",
		      (json_int_t)cs->events, "discarded", (json_int_t)cs->discarded, "streams",
		      (json_int_t)cs->streams, "packets", (json_int_t)cs->packets, "bytes",
		      (json_int_t)cs->bytes, "why", st->why);
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

int cmd_report_ctf(const char *path, const char *dir, unsigned int class_mask, __u32 tgid,
		   bool json)
{
	struct ntf_ctf_stats cs = {};
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	struct ntf_ctf *c;
	struct ntf_event e;
	char why[256];
	int k, err = 0;

	if (ntf_rec_reader_open(&r, path, &st)) {
		ntf_err("%s: %s", path, st.why);
		return NTF_EXIT_RUNTIME;
	}
	if (ntf_ctf_begin(&c, dir, ntf_rec_read_meta(r), NULL, why, sizeof(why))) {
		ntf_err("%s", why);
		ntf_rec_reader_close(r);
		return NTF_EXIT_RUNTIME;
	}
	while ((k = ntf_rec_next(r, &e)) > 0)
		if (wanted(&e, class_mask, tgid) && (err = ntf_ctf_add(c, &e)))
			break;
	ntf_rec_reader_status(r, &st);
	/* the trace keeps how its source ended: a reader of the trace alone can tell */
	err = ntf_ctf_finish(c, st.why, &cs, why, sizeof(why));
	ntf_rec_reader_close(r);
	if (err) {
		ntf_err("%s", why);
		return NTF_EXIT_RUNTIME;
	}
	summary(path, dir, &cs, &st, json);
	fflush(stdout);
	if (cs.discarded)
		ntf_warn("%s: %llu events left out of the trace: they came later than %u streams "
			 "in time order could take",
			 dir, (unsigned long long)cs.discarded, cs.streams);
	if (k < 0)
		ntf_err("%s: %s", path, st.why);
	else if (st.stop != NTF_REC_COMPLETE)
		ntf_warn("%s: %s", path, st.why);
	/* unfinished: every block written whole is in the trace */
	return k < 0 || st.stop == NTF_REC_TRUNCATED || cs.discarded ? NTF_EXIT_RUNTIME : 0;
}
