// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier report: what a trace file (docs/trace-format.md) holds. Where
 * and when it was recorded, then the same summary `notifier hist` prints
 * (per class, per driver, per process with -P), made from the file's
 * events; or, with --events, the events one a line, each with the kernel
 * stack the file kept for it under it. A file cut short reads up to its
 * last whole block, and the report says so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "aggregate.h"
#include "callbacks.h"
#include "cli.h"
#include "cmd_report_perfetto.h"
#include "commands.h"
#include "event_json.h"
#include "histogram.h"
#include "json_log.h"
#include "names.h"
#include "parse.h"
#include "record.h"
#include "report.h"

static const char report_usage[] =
	"Usage: notifier report [OPTIONS] FILE\n"
	"\n"
	"Summarises a trace file: where and when it was recorded, then latencies\n"
	"per event class and driver (count, percentiles, max), as `notifier hist`\n"
	"prints them; or lists its events. A file whose writer did not close it\n"
	"is read up to its last whole block.\n"
	"\n"
	"  -j, --json              JSON instead of text (--events: one object a line)\n"
	"  -P, --per-process       per process too\n"
	"  -e, --events            list the events instead of the summary, with the\n"
	"                          kernel stacks of those that have one\n"
	"  -T, --timestamps        --events: wall-clock times, not seconds from the start\n"
	"  -c, --class LIST        only these event classes (inval_start,fence_wait,...)\n"
	"  -p, --pid PID           only this process (tgid)\n"
	"      --perfetto OUT      write the events as a trace for ui.perfetto.dev (Chrome\n"
	"                          JSON: nested slices per thread, events/s counters; OUT\n"
	"                          - for stdout)\n"
	"      --ctf DIR           write the events as a CTF 1.8 trace into DIR (new or\n"
	"                          empty) instead: read it with babeltrace2 DIR\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: 0 when the file was read to its end (closed or not), 1 when\n"
	"it could not be read or a block of it is damaged (what came before is\n"
	"still reported; --ctf: or it ends inside a block), 2 on bad options.\n"
	"\n"
	"Examples:\n"
	"  notifier report run.ntr\n"
	"  notifier report -P -c callback run.ntr\n"
	"  notifier report --events -p 4242 run.ntr | less\n"
	"  notifier report --perfetto run.json run.ntr\n"
	"  notifier report --ctf run.ctf run.ntr && babeltrace2 run.ctf\n";

enum { OPT_PERFETTO = 0x100, OPT_CTF };

static const struct option report_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "per-process", no_argument, NULL, 'P' },
	{ "events", no_argument, NULL, 'e' },
	{ "timestamps", no_argument, NULL, 'T' },
	{ "class", required_argument, NULL, 'c' },
	{ "pid", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ "perfetto", required_argument, NULL, OPT_PERFETTO },
	{ "ctf", required_argument, NULL, OPT_CTF },
	{},
};

struct report_args {
	const char *path;
	const char *ctf_dir;
	bool json, events, wall;
	unsigned int class_mask; /* 0: every class */
	__u32 tgid; /* 0: every process */
	const char *perfetto; /* --perfetto OUT */
	struct ntf_report_opts report;
};

static void parse_report_args(int argc, char **argv, struct report_args *a)
{
	int opt;

	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, "jPeTc:p:h", report_options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			a->json = true;
			ntf_log_json();
			break;
		case 'P': a->report.per_process = true; break;
		case 'e': a->events = true; break;
		case 'T': a->wall = true; break;
		case 'c': a->class_mask = ntf_arg_class_list("--class", optarg); break;
		case 'p': a->tgid = ntf_arg_u64("--pid", optarg, 1, 0xffffffffu); break;
		case OPT_PERFETTO: a->perfetto = optarg; break;
		case OPT_CTF: a->ctf_dir = optarg; break;
		case 'h': fputs(report_usage, stdout); exit(0);
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind >= argc)
		ntf_usage_error("no FILE to report on (a trace file)");
	a->path = argv[optind++];
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->ctf_dir && a->perfetto)
		ntf_usage_error("--ctf and --perfetto: one export a run");
	if (a->ctf_dir && (a->events || a->wall || a->report.per_process))
		ntf_usage_error("--ctf writes every event whole: --events, -T and -P do not apply");
	a->report.class_mask = a->class_mask;
	a->report.unit = NTF_UNIT_US;
}

static bool wanted(const struct report_args *a, const struct ntf_event *e)
{
	return (!a->class_mask || (a->class_mask & (1u << e->class))) &&
	       (!a->tgid || e->tgid == a->tgid);
}

/*
 * The names the file gives callback ids, for the reports that name them
 * through this process's table; a table id the file names otherwise
 * (another notifier's table) is said once.
 */
static void apply_names(const struct ntf_rec_meta *m)
{
	static bool warned;
	__u32 id = ntf_rec_meta_apply_names(m);

	if (id && !warned) {
		ntf_warn("the file names callback id %u '%s', this notifier '%s': driver "
			 "names in the report are this notifier's",
			 id, ntf_rec_meta_driver(m, id), ntf_driver_name(id));
		warned = true;
	}
}

static void format_wall(char *buf, size_t len, double s, bool fraction)
{
	time_t t = (time_t)s;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	n = strftime(buf, len, fraction ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (fraction && n)
		snprintf(buf + n, len - n, ".%06ld", (long)((s - (double)t) * 1e6));
}

/* ---- --events ---- */

static void event_detail(char *buf, size_t len, const struct ntf_event *e)
{
	switch (e->class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		snprintf(buf, len, "%s [0x%llx, +%llu KiB)%s", ntf_mmu_event_name(e->range.event),
			 (unsigned long long)e->range.start,
			 (unsigned long long)((e->range.end - e->range.start) >> 10),
			 e->flags & NTF_F_BLOCKABLE ? "" : " non-blockable");
		break;
	case NTF_CLASS_UNMAP:
		snprintf(buf, len, "0x%llx, %u notifier calls%s",
			 (unsigned long long)e->unmap.address, e->unmap.notifier_calls,
			 e->flags & NTF_F_DMA_PINNED ? ", dma-pinned" : "");
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		snprintf(buf, len, "0x%llx, %u pages", (unsigned long long)e->pin.start,
			 e->pin.nr_pages);
		break;
	case NTF_CLASS_FENCE_WAIT:
		snprintf(buf, len, "fence %llu:%llu", (unsigned long long)e->fence.context,
			 (unsigned long long)e->fence.seqno);
		break;
	default: buf[0] = '\0';
	}
}

/* The event's kernel stack under it, a frame a line, innermost first. */
static void print_stack(struct ntf_rec_reader *r, const struct ntf_event *e)
{
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	char name[NTF_REC_SYM_LEN + NTF_REC_MOD_LEN + 32];
	int n = e->stack_id ? ntf_rec_stack(r, e->stack_id, frames, NTF_REC_MAX_DEPTH) : 0;

	for (int i = 0; i < n; i++) {
		ntf_rec_frame_name(name, sizeof(name), &frames[i]);
		printf("  %s\n", name);
	}
	if (e->flags & NTF_F_STACK_LOST)
		printf("  (kernel stack lost: the stack map was full)\n");
}

static json_t *stack_json(struct ntf_rec_reader *r, const struct ntf_event *e)
{
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	int n = ntf_rec_stack(r, e->stack_id, frames, NTF_REC_MAX_DEPTH);

	return ntf_frames_json(frames, n);
}

/*
 * Seconds from the start of the recording; from the first event when
 * events are older than the start (a source not on CLOCK_MONOTONIC, as
 * the synthetic one).
 */
static void print_event(const struct report_args *a, const struct ntf_rec_meta *m,
			const struct ntf_event *e, __u64 *base)
{
	char when[32], lat[16], detail[96];
	const char *driver;

	if (!*base)
		*base = e->ts_ns < m->mono_ns ? e->ts_ns : m->mono_ns;
	if (a->wall)
		format_wall(when, sizeof(when), ntf_rec_meta_wall_s(m, e->ts_ns), true);
	else
		snprintf(when, sizeof(when), "%.6f", (double)((__s64)(e->ts_ns - *base)) / 1e9);
	ntf_format_ns(lat, sizeof(lat), e->latency_ns);
	event_detail(detail, sizeof(detail), e);
	driver = ntf_event_names_driver(e) ? ntf_driver_name(e->callback) : "-";
	printf("%-15s %-11s %-8s %7u %-15s %8s %-14s %s%s%s\n", when, ntf_class_name(e->class),
	       driver, e->tgid, e->comm, lat, ntf_origin_name(e->origin), detail,
	       e->flags & NTF_F_FAILED ? " failed" : "", e->flags & NTF_F_NESTED ? " nested" : "");
}

static void print_event_json(struct ntf_rec_reader *r, const struct ntf_rec_meta *m,
			     const struct ntf_event *e)
{
	json_t *o = ntf_event_json(e, ntf_rec_meta_wall_s(m, e->ts_ns));

	if (e->stack_id)
		json_object_set_new(o, "stack", stack_json(r, e));
	if (e->flags & NTF_F_STACK_LOST)
		json_object_set_new(o, "stack_lost", json_true());
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

/* ---- the summary ---- */

static const char *stop_name(enum ntf_rec_stop s)
{
	switch (s) {
	case NTF_REC_COMPLETE: return "complete";
	case NTF_REC_UNFINISHED: return "unfinished";
	case NTF_REC_TRUNCATED: return "truncated";
	case NTF_REC_CORRUPT: return "corrupt";
	case NTF_REC_IO: return "read error";
	case NTF_REC_NOMEM: return "out of memory";
	default: return "reading";
	}
}

struct span {
	__u64 first, last, events;
	__u64 with_stack; /* of them, naming a kernel stack */
};

/* A flight recorder's snapshot: what triggered it, when, and the window it keeps. */
static void print_flight(const struct ntf_rec_meta *m)
{
	const struct ntf_rec_flight *fl = &m->flight;
	char when[48], tod[32], from[32], to[32], window[48] = "", size[24];
	int n = 0;

	/* the day, then the time to the µs as the events' below: how long before it they end */
	format_wall(when, sizeof(when), fl->trigger_wall_ns / 1e9, false);
	when[strcspn(when, " ")] = '\0';
	format_wall(tod, sizeof(tod), fl->trigger_wall_ns / 1e9, true);
	if (fl->window_ns)
		n = snprintf(window, sizeof(window), "the last %.3g s", fl->window_ns / 1e9);
	if (fl->window_bytes) {
		ntf_format_size(size, sizeof(size), fl->window_bytes);
		snprintf(window + n, sizeof(window) - n, "%s%s", n ? ", at most " : "at most ",
			 size);
	}
	printf("  flight snapshot: %s at %s %s UTC, keeping %s\n", fl->trigger, when, tod,
	       window[0] ? window : "?");
	if (fl->to_ns) {
		format_wall(from, sizeof(from), ntf_rec_meta_wall_s(m, fl->from_ns), true);
		format_wall(to, sizeof(to), ntf_rec_meta_wall_s(m, fl->to_ns), true);
		printf("  events from %s to %s; %llu older ones let go before\n", from, to,
		       (unsigned long long)fl->dropped);
	}
}

static void print_header(const struct report_args *a, const struct ntf_rec_meta *m,
			 const struct span *sp, const struct ntf_rec_status *st, __u32 stacks)
{
	char start[48], dur[16];

	printf("%s: %llu events recorded by %s on %s\n", a->path, (unsigned long long)st->events,
	       m->writer[0] ? m->writer : "?", m->host[0] ? m->host : "?");
	format_wall(start, sizeof(start),
		    ntf_rec_meta_wall_s(m, sp->events ? sp->first : m->mono_ns), false);
	ntf_format_ns(dur, sizeof(dur), sp->events ? sp->last - sp->first : 0);
	printf("  kernel %s (%s), from %s, events over %s\n", m->kernel[0] ? m->kernel : "?",
	       m->arch[0] ? m->arch : "?", start, dur);
	if (m->nprobes) {
		printf("  probes:");
		for (unsigned int i = 0; i < m->nprobes; i++)
			printf("%s %s %s", i ? "," : "", m->probes[i].id,
			       m->probes[i].attached ? ntf_mech_name(m->probes[i].mech) :
						       "not attached");
		putchar('\n');
	}
	if (m->flight.trigger[0])
		print_flight(m);
	if (a->class_mask || a->tgid)
		printf("  %llu of them selected (%s%s%s)\n", (unsigned long long)sp->events,
		       a->class_mask ? "--class" : "", a->class_mask && a->tgid ? ", " : "",
		       a->tgid ? "--pid" : "");
	if (sp->with_stack)
		printf("  %llu with a kernel stack (%u stacks in the file; --events shows them)\n",
		       (unsigned long long)sp->with_stack, stacks);
	printf("  %s\n", st->why);
}

/* A flight snapshot's trigger and window (format 1.1); null in a file that is none. */
static json_t *flight_json(const struct ntf_rec_meta *m)
{
	const struct ntf_rec_flight *fl = &m->flight;

	if (!fl->trigger[0])
		return json_null();
	return json_pack("{ss sf sI sI sI sI sI sI}", "trigger", fl->trigger, "trigger_wall",
			 fl->trigger_wall_ns / 1e9, "trigger_mono_ns",
			 (json_int_t)fl->trigger_mono_ns, "window_ns", (json_int_t)fl->window_ns,
			 "window_bytes", (json_int_t)fl->window_bytes, "from_ns",
			 (json_int_t)fl->from_ns, "to_ns", (json_int_t)fl->to_ns, "dropped",
			 (json_int_t)fl->dropped);
}

static json_t *file_json(const struct report_args *a, const struct ntf_rec_meta *m,
			 const struct span *sp, const struct ntf_rec_status *st, bool indexed,
			 __u32 stacks)
{
	json_t *o = json_pack("{ss ss ss ss ss ss ss ss sf sI sI sI sI ss ss sI}", "path", a->path,
			      "writer", m->writer, "host", m->host, "kernel", m->kernel,
			      "kernel_version", m->kernel_version, "arch", m->arch, "boot_id",
			      m->boot_id, "compression", m->compression, "wall_start",
			      m->wall_ns / 1e9, "mono_start_ns", (json_int_t)m->mono_ns, "events",
			      (json_int_t)st->events, "selected", (json_int_t)sp->events,
			      "first_ts_ns", (json_int_t)sp->first, "status", stop_name(st->stop),
			      "why", st->why, "last_ts_ns", (json_int_t)sp->last);

	/* whether the index the trailer points to was read */
	json_object_set_new(o, "indexed", json_boolean(indexed));
	json_object_set_new(o, "flight", flight_json(m));
	/* the file's distinct stacks, and the selected events that name one */
	json_object_set_new(o, "stacks", json_integer(stacks));
	json_object_set_new(o, "events_with_stack", json_integer(sp->with_stack));
	return o;
}

int cmd_report(int argc, char **argv)
{
	struct ntf_probe_state probes[NTF_PROBE_MAX];
	struct report_args a = {};
	struct ntf_rec_reader *r;
	struct ntf_rec_status st;
	const struct ntf_rec_meta *m;
	struct span sp = { .first = ~0ULL };
	__u64 base = 0;
	struct ntf_agg *agg = NULL;
	struct ntf_event e;
	int k, ret = 0;

	parse_report_args(argc, argv, &a);
	if (a.ctf_dir)
		return cmd_report_ctf(a.path, a.ctf_dir, a.class_mask, a.tgid, a.json);
	if (ntf_rec_reader_open(&r, a.path, &st)) {
		ntf_err("%s: %s", a.path, st.why);
		return NTF_EXIT_RUNTIME;
	}
	if (a.perfetto) {
		ret = cmd_report_perfetto(r, a.path, a.perfetto, a.class_mask, a.tgid);
		ntf_rec_reader_close(r);
		return ret;
	}
	m = ntf_rec_read_meta(r);
	apply_names(m);
	if (!a.events) {
		agg = ntf_agg_new(0);
		if (!agg) {
			ntf_err("out of memory");
			ntf_rec_reader_close(r);
			return NTF_EXIT_RUNTIME;
		}
	}
	while ((k = ntf_rec_next(r, &e)) > 0) {
		if (!wanted(&a, &e))
			continue;
		sp.events++;
		if (e.ts_ns < sp.first)
			sp.first = e.ts_ns;
		if (e.ts_ns > sp.last)
			sp.last = e.ts_ns;
		sp.with_stack += e.stack_id != 0;
		if (a.events && a.json) {
			print_event_json(r, m, &e);
		} else if (a.events) {
			print_event(&a, m, &e, &base);
			print_stack(r, &e);
		} else if (ntf_agg_add(agg, &e) == -ENOMEM)
			k = -ENOMEM;
		if (k < 0)
			break;
	}
	/* names met on the way (NAMES blocks) */
	apply_names(m);
	ntf_rec_reader_status(r, &st);
	if (!sp.events)
		sp.first = 0;
	if (agg) {
		ntf_rec_meta_probe_states(m, probes);
		if (!m->nprobes)
			a.report.source = "no probes recorded";
		if (a.json) {
			json_t *root = ntf_report_json(agg, probes, &a.report);

			json_object_set_new(root, "file",
					    file_json(&a, m, &sp, &st, ntf_rec_reader_indexed(r),
						      ntf_rec_stack_count(r)));
			json_dumpf(root, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(root);
		} else {
			print_header(&a, m, &sp, &st, ntf_rec_stack_count(r));
			ntf_report_text(stdout, agg, probes, &a.report);
		}
	}
	fflush(stdout);
	if (k < 0) {
		ntf_err("%s: %s", a.path, k == -ENOMEM && !st.err ? strerror(ENOMEM) : st.why);
		ret = NTF_EXIT_RUNTIME;
	} else if (st.stop != NTF_REC_COMPLETE && a.events) {
		/* the summary's header says it; an event list says it here */
		ntf_warn("%s: %s", a.path, st.why);
	}
	ntf_agg_free(agg);
	ntf_rec_reader_close(r);
	return ret;
}
