/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the tests of the trace file, the recorder and the flight recorder
 * share: streams of events to write, what a trace file keeps of an event,
 * and reading a file back whole. Static: each test program includes it
 * once.
 */
#ifndef NTF_TEST_REC_EVENTS_H
#define NTF_TEST_REC_EVENTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "source.h"

struct evs {
	struct ntf_event *e;
	size_t n, cap;
};

static int collect(void *ctx, const struct ntf_event *e)
{
	struct evs *v = ctx;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->e = realloc(v->e, v->cap * sizeof(*v->e));
		assert_non_null(v->e);
	}
	v->e[v->n++] = *e;
	return 0;
}

/* The synthetic source's mix over 50 keys, as a live system spreads events. */
static struct evs synth(__u64 seed, size_t n)
{
	struct ntf_synth_opts o = { .seed = seed, .count = n, .batch = 1024, .keys = 50 };
	struct evs v = {};
	struct ntf_source *src = ntf_source_synth_new(&o, collect, &v);

	assert_non_null(src);
	while (ntf_source_poll(src, 0) > 0)
		;
	ntf_source_free(src);
	assert_int_equal(v.n, n);
	return v;
}

/* What a trace file keeps of an event: every field, its class's union member, comm to its NUL. */
static struct ntf_event norm(const struct ntf_event *e)
{
	struct ntf_event o;
	size_t n = strnlen(e->comm, NTF_COMM_LEN - 1);

	memset(&o, 0, sizeof(o));
	o.ts_ns = e->ts_ns;
	o.latency_ns = e->latency_ns;
	o.cgroup_id = e->cgroup_id;
	o.mm = e->mm;
	o.ret = e->ret;
	o.pid = e->pid;
	o.tgid = e->tgid;
	o.flags = e->flags;
	o.callback = e->callback;
	o.syscall_nr = e->syscall_nr;
	o.class = e->class;
	o.mech = e->mech;
	o.origin = e->origin;
	memcpy(o.comm, e->comm, n);
	switch (e->class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		o.range.start = e->range.start;
		o.range.end = e->range.end;
		o.range.owner = e->range.owner;
		o.range.event = e->range.event;
		break;
	case NTF_CLASS_UNMAP:
		o.unmap.address = e->unmap.address;
		o.unmap.notifier_ns = e->unmap.notifier_ns;
		o.unmap.notifier_calls = e->unmap.notifier_calls;
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		o.pin.start = e->pin.start;
		o.pin.nr_pages = e->pin.nr_pages;
		o.pin.gup_flags = e->pin.gup_flags;
		o.pin.variant = e->pin.variant;
		break;
	case NTF_CLASS_FENCE_WAIT: o.fence = e->fence; break;
	}
	return o;
}

static void assert_same(const struct ntf_event *want, const struct ntf_event *got, size_t i)
{
	struct ntf_event a = norm(want);

	if (memcmp(&a, got, sizeof(a))) {
		print_error("event %zu differs: ts %llu/%llu class %u/%u pid %u/%u comm %s/%s\n", i,
			    (unsigned long long)a.ts_ns, (unsigned long long)got->ts_ns, a.class,
			    got->class, a.pid, got->pid, a.comm, got->comm);
		fail();
	}
}

/*
 * Every event of the file at path, appended to *into; how it ended in
 * *st, its META in *meta (both may be NULL). The count read. Not every
 * program that includes this reads a file whole.
 */
__attribute__((unused)) static size_t read_events(const char *path, struct evs *into,
						  struct ntf_rec_status *st,
						  struct ntf_rec_meta *meta)
{
	struct ntf_rec_status s;
	struct ntf_rec_reader *r;
	struct ntf_event e;
	size_t n = 0;
	int k;

	if (ntf_rec_reader_open(&r, path, &s)) {
		print_error("%s: %s\n", path, s.why);
		fail();
	}
	while ((k = ntf_rec_next(r, &e)) > 0) {
		collect(into, &e);
		n++;
	}
	assert_int_equal(k, 0);
	if (meta)
		*meta = *ntf_rec_read_meta(r);
	ntf_rec_reader_status(r, &s);
	if (st)
		*st = s;
	ntf_rec_reader_close(r);
	return n;
}

/*
 * A made-up kernel stack for event e, chosen by its content (so that a
 * reader can tell what it should be): kind 0 of TEST_STACK_KINDS has
 * none, the others 2 to 10 frames, frames shared between kinds as the
 * syscall paths of real stacks are. Into f (NTF_REC_MAX_DEPTH); the
 * number of frames.
 */
#define TEST_STACK_KINDS 9

static unsigned int test_stack_kind(const struct ntf_event *e)
{
	return (e->pid + e->ts_ns / 1000) % TEST_STACK_KINDS;
}

__attribute__((unused)) static unsigned int test_stack(const struct ntf_event *e,
						       struct ntf_rec_frame *f)
{
	unsigned int kind = test_stack_kind(e), n = kind ? kind + 1 : 0;

	memset(f, 0, n * sizeof(*f));
	for (unsigned int d = 0; d < n; d++) {
		/* the innermost frame is the kind's own; those below are shared */
		unsigned int k = d ? 0 : kind;

		f[d].addr = 0xffffffff81000000ULL + k * 0x10000 + d * 0x40;
		f[d].offset = d * 4;
		snprintf(f[d].sym, sizeof(f[d].sym), "func_%u_%u", k, d);
		if (d == 0 && kind % 2)
			snprintf(f[d].module, sizeof(f[d].module), "mod%u", kind);
	}
	return n;
}

/* The kernel's id for e's stack (any non-zero value: a file must not keep it). */
__attribute__((unused)) static __u32 test_kernel_stack_id(const struct ntf_event *e)
{
	return test_stack_kind(e) ? 7000 + test_stack_kind(e) : 0;
}

/*
 * Every event of the file at path has the stack test_stack gives it, or
 * none when its kind has none. The count of events with a stack.
 */
__attribute__((unused)) static size_t assert_file_stacks(const char *path)
{
	struct ntf_rec_frame want[NTF_REC_MAX_DEPTH], got[NTF_REC_MAX_DEPTH];
	struct ntf_rec_status s;
	struct ntf_rec_reader *r;
	struct ntf_event e;
	size_t with = 0;
	int k, n;

	if (ntf_rec_reader_open(&r, path, &s)) {
		print_error("%s: %s\n", path, s.why);
		fail();
	}
	while ((k = ntf_rec_next(r, &e)) > 0) {
		unsigned int m = test_stack(&e, want);

		if (!m) {
			assert_int_equal(e.stack_id, 0);
			continue;
		}
		if (!e.stack_id) {
			print_error("%s: an event of kind %u has no stack\n", path,
				    test_stack_kind(&e));
			fail();
		}
		n = ntf_rec_stack(r, e.stack_id, got, NTF_REC_MAX_DEPTH);
		assert_int_equal(n, m);
		for (unsigned int d = 0; d < m; d++) {
			assert_int_equal(got[d].addr, want[d].addr);
			assert_int_equal(got[d].offset, want[d].offset);
			assert_string_equal(got[d].sym, want[d].sym);
			assert_string_equal(got[d].module, want[d].module);
		}
		with++;
	}
	assert_int_equal(k, 0);
	ntf_rec_reader_close(r);
	return with;
}

#endif
