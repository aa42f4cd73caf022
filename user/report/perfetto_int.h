/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the files of the Perfetto exporter share (perfetto.h is its API). */
#ifndef NTF_PERFETTO_INT_H
#define NTF_PERFETTO_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "hashtable.h"
#include "notifier.h"
#include "record.h"

/*
 * The process the counters of every process are drawn under. Linux never
 * hands out this pid (PID_MAX_LIMIT: pids stay below it), so it cannot
 * be a traced process's.
 */
#define NTF_PF_ALL_PID 4194304u

/* The traceEvents array being written: each element after the first takes a comma. */
struct ntf_pf_out {
	FILE *f;
	bool any;
	__u64 base; /* CLOCK_MONOTONIC ns written as ts 0 */
};

static inline FILE *ntf_pf_next(struct ntf_pf_out *o)
{
	fputs(o->any ? ",\n" : "\n", o->f);
	o->any = true;
	return o->f;
}

/* "callback testdrv": the class, and the driver for those that have one. */
void ntf_pf_event_name(char *buf, size_t len, const struct ntf_rec_meta *m,
		       const struct ntf_event *e);
/*
 * The "args" object of a slice: every field the event's class carries,
 * its kernel stack when stacks (may be NULL) has it, how much its end was
 * clamped by, and why it is not on its thread's track (unnested: NULL
 * when it is).
 */
void ntf_pf_event_args(FILE *f, const struct ntf_rec_meta *m, const struct ntf_rec_reader *stacks,
		       const struct ntf_event *e, __u64 clamped_ns, const char *unnested);

/* Events per class per second of the trace, as counter samples at the end. */
struct ntf_pf_rate {
	struct ntf_table t;
	unsigned int classes; /* 1 << class of every class counted */
};

int ntf_pf_rate_init(struct ntf_pf_rate *r);
void ntf_pf_rate_fini(struct ntf_pf_rate *r);
/* 0 or -ENOMEM. */
int ntf_pf_rate_add(struct ntf_pf_rate *r, const struct ntf_pf_out *o, const struct ntf_event *e);
/* The samples, in time order, under NTF_PF_ALL_PID: 0 or -ENOMEM. */
int ntf_pf_rate_write(const struct ntf_pf_rate *r, struct ntf_pf_out *o, __u64 *samples);

#endif
