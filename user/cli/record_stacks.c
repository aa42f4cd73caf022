// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "record_stacks.h"
#include "stack_reader.h"
#include "traced_func.h"
#include "tracer.h"

struct ntf_record_stacks {
	const struct tracer *t;
	struct ntf_stack_reader *sr;
	unsigned int loads; /* the tracer's callback objects when kallsyms was last read */
	struct ntf_record_stacks_stats st;
	int last_err; /* the last reason a stack was lost here, said once */
};

struct ntf_record_stacks *ntf_record_stacks_new(const struct tracer *t)
{
	struct ntf_record_stacks *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->t = t;
	rs->sr = ntf_stack_reader_new(tracer__stacks_fd(t), NULL);
	if (!rs->sr) {
		free(rs);
		return NULL;
	}
	rs->loads = tracer__loads(t);
	return rs;
}

void ntf_record_stacks_free(struct ntf_record_stacks *rs)
{
	if (!rs)
		return;
	ntf_stack_reader_free(rs->sr);
	free(rs);
}

static void lose(struct ntf_record_stacks *rs, struct ntf_event *e, int err)
{
	e->stack_id = 0;
	e->flags |= NTF_F_STACK_LOST;
	if (!err)
		return;
	if (err != rs->last_err)
		ntf_debug("a kernel stack was not kept: %s", strerror(-err));
	rs->last_err = err;
}

int ntf_record_stack_read(struct ntf_record_stacks *rs, const struct ntf_event *e,
			  struct ntf_rec_frame *frames)
{
	int n;

	if (!e->stack_id)
		return 0;
	/* callback programs loaded since: their frames are new to kallsyms */
	if (tracer__loads(rs->t) != rs->loads) {
		rs->loads = tracer__loads(rs->t);
		ntf_stack_reader_stale(rs->sr);
	}
	n = ntf_stack_read(rs->sr, e->stack_id, ntf_traced_func(tracer__callbacks(rs->t), e),
			   frames);
	if (n > 0)
		return n;
	n = n ? n : -ENOENT;
	if (n != rs->last_err)
		ntf_debug("a kernel stack was not read: %s", strerror(-n));
	rs->last_err = n;
	return n;
}

int ntf_record_stack(struct ntf_record_stacks *rs, struct ntf_rec_writer *w, struct ntf_event *e)
{
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	__u32 id;
	int n, err;

	if (!e->stack_id) {
		rs->st.lost += !!(e->flags & NTF_F_STACK_LOST);
		return 0;
	}
	n = ntf_record_stack_read(rs, e, frames);
	if (n <= 0) {
		lose(rs, e, 0);
		rs->st.lost++;
		return 0;
	}
	err = ntf_rec_stack_add(w, frames, n, &id);
	if (err == -ENOSPC || err == -ENOMEM || err == -EINVAL) {
		lose(rs, e, err);
		rs->st.lost++;
		return 0;
	}
	if (err)
		return err;
	e->stack_id = id;
	rs->st.kept++;
	return 0;
}

void ntf_record_stacks_stats(const struct ntf_record_stacks *rs, struct ntf_record_stacks_stats *st)
{
	*st = rs->st;
}
