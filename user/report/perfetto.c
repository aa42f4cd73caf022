// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Perfetto export (perfetto.h): events held, sorted by start and
 * written as nested slices per thread; then thread and process names,
 * the counters and the metadata. JSON is written by hand (json_out.h):
 * a tree of every event would cost many times the events' own memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json_out.h"
#include "names.h"
#include "perfetto.h"
#include "perfetto_int.h"
#include "slice_nest.h"

struct thread {
	__u32 tgid, pid;
	char comm[NTF_COMM_LEN];
	struct ntf_nest nest;
};

struct thread_key {
	__u32 tgid, pid;
};

struct ntf_perfetto {
	struct ntf_pf_out o;
	const struct ntf_rec_meta *meta;
	const char *source;
	const struct ntf_rec_reader *stacks;
	size_t max; /* events held at most */
	struct ntf_event *buf;
	size_t n, cap;
	bool based; /* o.base chosen: at the first events written */
	struct ntf_table threads;
	struct ntf_pf_rate rate;
	struct ntf_perfetto_stats st;
	int err; /* sticky */
};

static bool thread_is(const void *entry, const void *key)
{
	const struct thread *t = entry;
	const struct thread_key *k = key;

	return t->pid == k->pid && t->tgid == k->tgid;
}

static __u64 thread_hash(const struct thread_key *k)
{
	__u64 h = (((__u64)k->tgid << 32) | k->pid) * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 31);
}

struct ntf_perfetto *ntf_perfetto_new(FILE *out, const struct ntf_rec_meta *meta,
				      const struct ntf_perfetto_opts *opts)
{
	struct ntf_perfetto *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->o.f = out;
	p->meta = meta;
	p->source = opts ? opts->source : NULL;
	p->stacks = opts ? opts->stacks : NULL;
	p->max = opts && opts->max_buffered ? opts->max_buffered : NTF_PERFETTO_DEFAULT_BUFFER;
	/* half is written when full: a buffer of one would never keep anything back */
	if (p->max < 2)
		p->max = 2;
	if (ntf_table_init(&p->threads, sizeof(struct thread))) {
		free(p);
		return NULL;
	}
	if (ntf_pf_rate_init(&p->rate)) {
		ntf_table_fini(&p->threads);
		free(p);
		return NULL;
	}
	fputs("{\"traceEvents\":[", out);
	return p;
}

/* Parents before their children: by start, the longer first. */
static int by_start(const void *a, const void *b)
{
	const struct ntf_event *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return (x->latency_ns < y->latency_ns) - (x->latency_ns > y->latency_ns);
}

/*
 * ts 0: the recording's start (its CLOCK_MONOTONIC time in META), or the
 * first event when one is older (a source on another clock). A double
 * holds µs to the ns for 26 days after it, where monotonic times of a
 * machine up that long would already round.
 */
static void choose_base(struct ntf_perfetto *p, __u64 first_ts)
{
	__u64 start = p->meta ? p->meta->mono_ns : 0;

	p->o.base = start && start < first_ts ? start : first_ts;
	p->based = true;
}

static void put_ts(struct ntf_perfetto *p, const char *key, __u64 ts_ns)
{
	char us[NTF_JSON_US_LEN];

	ntf_json_us(us, (__s64)(ts_ns - p->o.base));
	fprintf(p->o.f, ",\"%s\":%s", key, us);
}

static void put_head(struct ntf_perfetto *p, const char *ph, const struct ntf_event *e, __u64 id)
{
	char name[64];
	FILE *f = ntf_pf_next(&p->o);

	ntf_pf_event_name(name, sizeof(name), p->meta, e);
	fprintf(f, "{\"ph\":\"%s\",\"cat\":\"%s\"", ph, ntf_class_name(e->class));
	if (id)
		fprintf(f, ",\"id\":\"0x%llx\"", (unsigned long long)id);
	fputs(",\"name\":", f);
	ntf_json_str(f, name);
	fprintf(f, ",\"pid\":%u,\"tid\":%u", e->tgid, e->pid);
}

static void put_slice(struct ntf_perfetto *p, const struct ntf_event *e, __u64 end)
{
	char dur[NTF_JSON_US_LEN];

	put_head(p, "X", e, 0);
	put_ts(p, "ts", e->ts_ns);
	ntf_json_us(dur, (__s64)(end - e->ts_ns));
	fprintf(p->o.f, ",\"dur\":%s,\"args\":", dur);
	ntf_pf_event_args(p->o.f, p->meta, p->stacks, e, e->ts_ns + e->latency_ns - end, NULL);
	fputc('}', p->o.f);
	p->st.slices++;
}

/*
 * An async slice of its own (an id per event, so none has to nest with
 * another): on its process, beside the threads, in the right place in time.
 */
static void put_unnested(struct ntf_perfetto *p, const struct ntf_event *e, __u64 end,
			 const char *why)
{
	__u64 id = ++p->st.unnested;

	put_head(p, "b", e, id);
	put_ts(p, "ts", e->ts_ns);
	fputs(",\"args\":", p->o.f);
	ntf_pf_event_args(p->o.f, p->meta, p->stacks, e, 0, why);
	fputc('}', p->o.f);
	put_head(p, "e", e, id);
	put_ts(p, "ts", end);
	fputc('}', p->o.f);
}

static struct thread *thread_of(struct ntf_perfetto *p, const struct ntf_event *e)
{
	struct thread_key k = { .tgid = e->tgid, .pid = e->pid };
	__u64 h = thread_hash(&k);
	size_t i = ntf_table_slot(&p->threads, h, &k, thread_is);
	struct thread *t;

	if (ntf_table_used(&p->threads, i))
		return ntf_table_at(&p->threads, i);
	t = ntf_table_claim(&p->threads, i, h);
	if (!t)
		return NULL;
	t->tgid = e->tgid;
	t->pid = e->pid;
	/* the comm its first event had: a later exec may rename it */
	memcpy(t->comm, e->comm, sizeof(t->comm));
	return t;
}

/* A failed write's errno (a full disk says so), or -EIO when it left none. */
static int out_err(FILE *f)
{
	if (!ferror(f))
		return 0;
	return errno ? -errno : -EIO;
}

static int write_event(struct ntf_perfetto *p, const struct ntf_event *e)
{
	__u64 end = e->ts_ns + e->latency_ns;
	struct thread *t;

	if (ntf_pf_rate_add(&p->rate, &p->o, e))
		return -ENOMEM;
	t = thread_of(p, e);
	if (!t)
		return -ENOMEM;
	if (end < e->ts_ns) /* a latency no clock gives; the end of time will do */
		end = ~0ULL;
	switch (ntf_nest_place(&t->nest, e->ts_ns, &end)) {
	case NTF_NEST_CLAMPED: p->st.clamped++; /* fall through */
	case NTF_NEST_FITS: put_slice(p, e, end); break;
	case NTF_NEST_LATE: put_unnested(p, e, end, "late"); break;
	case NTF_NEST_DEEP: put_unnested(p, e, end, "deep"); break;
	}
	return out_err(p->o.f);
}

/*
 * Writes the events held that start before the median start (all of
 * them when all), keeping the later half to nest with what comes next.
 * Those starting together stay together: they may be parent and child.
 */
static int flush(struct ntf_perfetto *p, bool all)
{
	size_t cut = p->n;
	int err = 0;

	if (!p->n)
		return 0;
	qsort(p->buf, p->n, sizeof(*p->buf), by_start);
	if (!p->based)
		choose_base(p, p->buf[0].ts_ns);
	if (!all) {
		__u64 mid = p->buf[p->n / 2].ts_ns;

		for (cut = 0; p->buf[cut].ts_ns < mid; cut++)
			;
		if (!cut) /* half of them start at the first start: write those */
			while (cut < p->n && p->buf[cut].ts_ns == mid)
				cut++;
	}
	for (size_t i = 0; i < cut && !err; i++)
		err = write_event(p, &p->buf[i]);
	memmove(p->buf, p->buf + cut, (p->n - cut) * sizeof(*p->buf));
	p->n -= cut;
	return err;
}

int ntf_perfetto_add(struct ntf_perfetto *p, const struct ntf_event *e)
{
	if (p->err)
		return p->err;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct ntf_event *buf;

		cap = cap < p->max ? cap : p->max;
		buf = realloc(p->buf, cap * sizeof(*buf));
		if (!buf)
			return p->err = -ENOMEM;
		p->buf = buf;
		p->cap = cap;
	}
	p->buf[p->n++] = *e;
	p->st.events++;
	if (p->n == p->max)
		p->err = flush(p, false);
	return p->err;
}

/* ---- the end: names, counters, metadata ---- */

/* A process's threads together, its main thread first: it names the process. */
static int by_process(const void *a, const void *b)
{
	const struct thread *x = *(const struct thread *const *)a;
	const struct thread *y = *(const struct thread *const *)b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if ((x->pid == x->tgid) != (y->pid == y->tgid))
		return x->pid == x->tgid ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void put_name(struct ntf_perfetto *p, const char *what, __u32 pid, __u32 tid,
		     const char *name, size_t len)
{
	FILE *f = ntf_pf_next(&p->o);

	fprintf(f,
		"{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":0,\"args\":{\"name\":",
		what, pid, tid);
	ntf_json_strn(f, name, len);
	fputs("}}", f);
}

static int put_names(struct ntf_perfetto *p)
{
	const struct thread **ts = malloc((p->threads.count ? p->threads.count : 1) * sizeof(*ts));
	size_t n = 0;

	if (!ts)
		return -ENOMEM;
	for (size_t i = 0; i < p->threads.cap; i++)
		if (ntf_table_used(&p->threads, i))
			ts[n++] = ntf_table_at(&p->threads, i);
	qsort(ts, n, sizeof(*ts), by_process);
	for (size_t i = 0; i < n; i++) {
		if (!i || ts[i]->tgid != ts[i - 1]->tgid) {
			put_name(p, "process_name", ts[i]->tgid, ts[i]->tgid, ts[i]->comm,
				 sizeof(ts[i]->comm));
			p->st.processes++;
		}
		put_name(p, "thread_name", ts[i]->tgid, ts[i]->pid, ts[i]->comm,
			 sizeof(ts[i]->comm));
	}
	p->st.threads = n;
	free(ts);
	return 0;
}

static const char *stop_name(enum ntf_rec_stop s)
{
	switch (s) {
	case NTF_REC_COMPLETE: return "complete";
	case NTF_REC_UNFINISHED: return "unfinished";
	case NTF_REC_TRUNCATED: return "truncated";
	case NTF_REC_CORRUPT: return "corrupt";
	case NTF_REC_FOREIGN: return "foreign";
	case NTF_REC_VERSION: return "unsupported";
	case NTF_REC_IO: return "read error";
	case NTF_REC_NOMEM: return "out of memory";
	default: return "reading";
	}
}

static void put_str(FILE *f, const char *key, const char *value)
{
	fprintf(f, ",\n\"%s\":", key);
	ntf_json_str(f, value);
}

static void put_u64(FILE *f, const char *key, __u64 v)
{
	fprintf(f, ",\n\"%s\":%llu", key, (unsigned long long)v);
}

/* "2023-11-14T22:13:20.000000000Z" */
static void put_wall(FILE *f, const char *key, __u64 ns)
{
	time_t s = (time_t)(ns / 1000000000);
	char buf[32];
	struct tm tm;

	if (!gmtime_r(&s, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm))
		return;
	fprintf(f, ",\n\"%s\":\"%s.%09lluZ\"", key, buf, (unsigned long long)(ns % 1000000000));
}

static void put_meta(struct ntf_perfetto *p, const struct ntf_rec_status *st)
{
	const struct ntf_rec_meta *m = p->meta;
	FILE *f = p->o.f;

	fputs("\n],\n\"displayTimeUnit\":\"ns\",\n\"metadata\":{\"exporter\":\"notifier report "
	      "--perfetto\"",
	      f);
	if (p->source)
		put_str(f, "source", p->source);
	if (m) {
		put_str(f, "writer", m->writer);
		put_str(f, "host", m->host);
		put_str(f, "kernel", m->kernel);
		put_str(f, "kernel_version", m->kernel_version);
		put_str(f, "arch", m->arch);
		put_str(f, "boot_id", m->boot_id);
		put_wall(f, "wall_start", m->wall_ns);
		put_u64(f, "wall_start_ns", m->wall_ns);
		put_u64(f, "mono_start_ns", m->mono_ns);
		fputs(",\n\"drivers\":{", f);
		for (unsigned int i = 0; i < m->ncallbacks; i++) {
			fprintf(f, "%s\"%u\":", i ? "," : "", m->callbacks[i].id);
			ntf_json_str(f, m->callbacks[i].driver);
		}
		fputc('}', f);
	}
	/* what a ts means: µs after this CLOCK_MONOTONIC time */
	put_u64(f, "ts_base_ns", p->o.base);
	if (st) {
		put_str(f, "status", stop_name(st->stop));
		put_str(f, "status_why", st->why);
	}
	put_u64(f, "events", p->st.events);
	put_u64(f, "slices", p->st.slices);
	put_u64(f, "clamped", p->st.clamped);
	put_u64(f, "unnested", p->st.unnested);
	fputs("}}\n", f);
}

int ntf_perfetto_finish(struct ntf_perfetto *p, const struct ntf_rec_status *st,
			struct ntf_perfetto_stats *stats)
{
	int err = p->err;

	if (!err)
		err = flush(p, true);
	if (!err)
		err = put_names(p);
	if (!err && p->rate.t.count) {
		put_name(p, "process_name", NTF_PF_ALL_PID, NTF_PF_ALL_PID,
			 "notifier: all processes", sizeof("notifier: all processes"));
		err = ntf_pf_rate_write(&p->rate, &p->o, &p->st.counters);
	}
	if (!err) {
		if (!p->based && p->meta)
			p->o.base = p->meta->mono_ns;
		put_meta(p, st);
		errno = 0;
		if (fflush(p->o.f))
			err = errno ? -errno : -EIO;
		else
			err = out_err(p->o.f);
	}
	if (stats)
		*stats = p->st;
	ntf_table_fini(&p->threads);
	ntf_pf_rate_fini(&p->rate);
	free(p->buf);
	free(p);
	return err;
}
