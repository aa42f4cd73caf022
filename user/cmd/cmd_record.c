// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier record: every event the probes stream, into a trace file
 * (docs/trace-format.md) that `notifier report` reads. The kernel judges
 * the filters it can (process, cgroup, event class, a latency threshold,
 * sampling) so that what is not wanted never crosses the ring buffer;
 * -f's terms on drivers and names are judged here. A block reaches the
 * file every second, so the file reads while it grows and a kill loses
 * at most that second.
 *
 * With --trigger it records nothing itself: it asks a running notifierd
 * for a snapshot of its flight recorder (notifierd --flight) over the
 * daemon's socket.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "callbacks.h"
#include "cli.h"
#include "client_trigger.h"
#include "commands.h"
#include "names.h"
#include "open_tracer.h"
#include "parse.h"
#include "record.h"
#include "record_names.h"
#include "server.h"
#include "record_stacks.h"
#include "source.h"
#include "top_filter.h"
#include "tracer.h"

#define RECORD_VERSION "notifier record 0.1.0"

static const char record_usage[] =
	"Usage: notifier record [OPTIONS]\n"
	"\n"
	"Records the MMU-notifier events into a trace file, for `notifier report`,\n"
	"`notifier hist --input` and `notifier-top --replay`. Runs until Ctrl-C or\n"
	"-d; a status line on stderr (on a terminal) shows events/s, bytes written,\n"
	"compression and drops.\n"
	"\n"
	"  -o, --output FILE       the trace file (default notifier.ntr)\n"
	"  -d, --duration SECS     stop after SECS\n"
	"Judged in the kernel (what they drop never reaches user space):\n"
	"  -p, --pid PID           only this process\n"
	"  -c, --cgroup DIR        only tasks in this cgroup v2 directory (not below)\n"
	"  -e, --class LIST        only these event classes (inval_start,callback,...)\n"
	"  -m, --min-latency LAT   only events at least this slow (\"50us\", \"2ms\")\n"
	"      --sample N          one event in N, at random\n"
	"      --stack-min LAT     the kernel stack of events this slow (default 1ms)\n"
	"                          and of failed ones, symbolized into the file\n"
	"      --no-stacks         no kernel stacks\n"
	"  -f, --filter EXPR       notifier-top's filter: \"driver kvm\", \"pid 42\" and\n"
	"                          \"class pin\" in the kernel; \"comm=gpu\", \"cgroup\n"
	"                          /gpu.slice\" (and below) here. A driver's events are\n"
	"                          its callbacks and what they wait on; the chain's own\n"
	"                          invalidates (driver \"all\") are none of them\n"
	"Other:\n"
	"      --trigger           load no probes: ask the notifierd on --socket for a\n"
	"                          snapshot of its flight recorder (notifierd --flight;\n"
	"                          root only) and print the file it wrote\n"
	"      --socket PATH       --trigger: the daemon's socket (default\n"
	"                          " NTF_SERVER_DEFAULT_PATH ")\n"
	"  -b, --ringbuf-size MB   ring buffer size (default 4, a power of 2)\n"
	"  -l, --level N           zstd level (default 1; negative: faster)\n"
	"  -k, --kprobes           skip fentry, use kprobes\n"
	"  -q, --quiet             no probe list, no status line, no summary\n"
	"  -v, --verbose           libbpf's log\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: 0 when the file was written whole; 1 when the probes could\n"
	"not attach or writing failed (the file then reads up to its last whole\n"
	"block, and the error says so); 2 on bad options.\n"
	"\n"
	"Examples:\n"
	"  notifier record -o run.ntr -d 30\n"
	"  notifier record -m 1ms -f \"driver amdgpu\" -o slow.ntr\n"
	"  notifier record --trigger   # what the daemon's flight recorder holds, now\n"
	"  notifier report run.ntr\n";

enum { OPT_SAMPLE = 256, OPT_TRIGGER, OPT_SOCKET, OPT_STACK_MIN, OPT_NO_STACKS };

static const struct option record_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "pid", required_argument, NULL, 'p' },
	{ "cgroup", required_argument, NULL, 'c' },
	{ "class", required_argument, NULL, 'e' },
	{ "min-latency", required_argument, NULL, 'm' },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "trigger", no_argument, NULL, OPT_TRIGGER },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "stack-min", required_argument, NULL, OPT_STACK_MIN },
	{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
	{ "filter", required_argument, NULL, 'f' },
	{ "ringbuf-size", required_argument, NULL, 'b' },
	{ "level", required_argument, NULL, 'l' },
	{ "kprobes", no_argument, NULL, 'k' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct record_args {
	const char *path;
	__u64 duration_ms;
	struct tracer_opts tracer;
	struct ntf_rec_writer_opts writer;
	struct top_filter filter;
	bool has_filter, quiet;
	bool trigger;
	const char *socket; /* --socket: given only with --trigger */
	const char *probe_opt; /* the first option that is about recording here */
};

/* The options about a recording of its own, which --trigger leaves to the daemon. */
static const char *recording_option(int opt)
{
	switch (opt) {
	case 'o': return "-o";
	case 'd': return "-d";
	case 'p': return "-p";
	case 'c': return "-c";
	case 'e': return "-e";
	case 'm': return "-m";
	case 'f': return "-f";
	case 'b': return "-b";
	case 'l': return "-l";
	case 'k': return "-k";
	case OPT_SAMPLE: return "--sample";
	default: return NULL;
	}
}

static void parse_record_args(int argc, char **argv, struct record_args *a)
{
	char why[160];
	__u64 mb;
	int opt;

	a->path = "notifier.ntr";
	a->tracer.cfg.stream = true;
	/* a millisecond is long for a notifier: what is slower is worth its path */
	a->tracer.cfg.stacks = true;
	a->tracer.cfg.stack_min_ns = 1000000;
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, "o:d:p:c:e:m:f:b:l:kqvh", record_options, NULL)) !=
	       -1) {
		if (!a->probe_opt)
			a->probe_opt = recording_option(opt);
		switch (opt) {
		case 'o': a->path = optarg; break;
		case 'd': a->duration_ms = ntf_arg_duration_ms("-d", optarg); break;
		case 'p': a->tracer.cfg.tgid = ntf_arg_u64("-p", optarg, 1, 0x7fffffff); break;
		case 'c': a->tracer.cfg.cgroup_id = ntf_arg_cgroup(optarg); break;
		case 'e': a->tracer.cfg.stream_classes = ntf_arg_class_list("-e", optarg); break;
		case 'm': a->tracer.cfg.min_stream_ns = ntf_arg_latency_ns("-m", optarg); break;
		case OPT_SAMPLE:
			a->tracer.cfg.stream_sample = ntf_arg_u64("--sample", optarg, 1, 1u << 30);
			break;
		case OPT_STACK_MIN:
			a->tracer.cfg.stack_min_ns = ntf_arg_latency_ns("--stack-min", optarg);
			break;
		case OPT_NO_STACKS: a->tracer.cfg.stacks = false; break;
		case 'f':
			if (top_filter_parse(optarg, &a->filter, why, sizeof(why)))
				ntf_usage_error("-f: %s", why);
			a->has_filter = true;
			break;
		case 'b':
			mb = ntf_arg_u64("-b", optarg, 1, 1024);
			if (mb & (mb - 1))
				ntf_usage_error("-b: %llu is not a power of 2",
						(unsigned long long)mb);
			a->tracer.ringbuf_bytes = mb << 20;
			break;
		case 'l': {
			__u64 v = ntf_arg_u64("-l", optarg[0] == '-' ? optarg + 1 : optarg, 0,
					      optarg[0] == '-' ? 100 : 19);

			a->writer.level = optarg[0] == '-' ? -(int)v : (int)v;
			if (!a->writer.level)
				a->writer.uncompressed = true;
			break;
		}
		case 'k': a->tracer.no_fentry = true; break;
		case 'q': a->quiet = true; break;
		case 'v':
			a->tracer.verbose = true;
			ntf_log_set_level(NTF_LOG_DEBUG);
			break;
		case 'h': fputs(record_usage, stdout); exit(0);
		case OPT_TRIGGER: a->trigger = true; break;
		case OPT_SOCKET: a->socket = optarg; break;
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->trigger && a->probe_opt)
		ntf_usage_error("%s does not apply to --trigger (the daemon records)",
				a->probe_opt);
	if (a->socket && !a->trigger)
		ntf_usage_error("--socket needs --trigger");
	/* -f's pid and classes are the kernel's to judge too */
	if (a->filter.pid && !a->tracer.cfg.tgid)
		a->tracer.cfg.tgid = a->filter.pid;
	if (a->filter.class_mask && !a->tracer.cfg.stream_classes)
		a->tracer.cfg.stream_classes = a->filter.class_mask;
	/* and its driver, through a map: drivers discovery names later are judged there too */
	a->tracer.cfg.stream_by_callback = a->filter.has_callback || a->filter.driver[0];
}

struct recording {
	struct ntf_rec_writer *w;
	struct ntf_record_stacks *stacks; /* NULL: --no-stacks */
	const struct record_args *a;
	__u64 filtered; /* dropped by -f here */
	int err; /* the writer's, once it failed */
};

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct recording *rec = ctx;
	struct ntf_hist_key key = { .class = e->class, .callback = e->callback, .tgid = e->tgid };
	struct ntf_event ev = *e;
	int err;

	if (rec->err)
		return 0;
	if (rec->a->has_filter &&
	    (!top_filter_keeps(&rec->a->filter, &key, e->comm, ntf_now_ms()) ||
	     (rec->a->filter.class_mask && !(rec->a->filter.class_mask & (1u << e->class))))) {
		rec->filtered++;
		return 0;
	}
	err = rec->stacks ? ntf_record_stack(rec->stacks, rec->w, &ev) : 0;
	if (!err)
		err = ntf_rec_write(rec->w, &ev);
	/* -EINVAL: one event the decoder would refuse, not the file's end */
	if (err && err != -EINVAL)
		rec->err = err;
	return 0;
}

_Static_assert(NTF_CALLBACK_IDS <= NTF_STREAM_CALLBACK_SLOTS, "the kernel's filter holds every id");

/* -f's driver, as the kernel judges it: which callback ids go through the ring buffer. */
static void keep_callbacks(struct tracer *t, const struct top_filter *f)
{
	for (__u32 id = 0; id < ntf_callback_id_end(); id++) {
		bool keep = f->has_callback ? id == f->callback :
					      id && !strcmp(ntf_driver_name(id), f->driver);
		int err = tracer__stream_callback_keep(t, id, keep);

		if (err)
			ntf_warn("cannot set the driver filter for callback %u: %s", id,
				 strerror(-err));
	}
}

static void human_bytes(__u64 b, char *buf, size_t len)
{
	if (b >= 10ull << 20)
		snprintf(buf, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 10ull << 10)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

static __u64 ringbuf_drops(struct tracer *t)
{
	__u64 c[NTF_CNT_MAX];

	return ntf_read_counters(tracer__counters_fd(t), c) ? 0 : c[NTF_CNT_RB_DROPS];
}

/* One line: how fast, how much, how small, what was lost. */
static void status_line(FILE *out, const struct ntf_rec_writer_stats *st, double rate, __u64 drops,
			const char *end)
{
	double per_event = st->committed_events ? (double)st->bytes / st->committed_events : 0.0;
	char bytes[32];

	human_bytes(st->bytes, bytes, sizeof(bytes));
	/* the ratio against the records the ring buffer carries, as perf record -z reports it */
	fprintf(out,
		"%10.0f events/s  %12llu events  %s written  %.1f B/event (%.0fx smaller)  "
		"%llu dropped%s",
		rate, (unsigned long long)st->events, bytes, per_event,
		per_event ? sizeof(struct ntf_event) / per_event : 0.0, (unsigned long long)drops,
		end);
	fflush(out);
}

/*
 * --trigger: the daemon's flight recorder into a file, and where. The
 * daemon writes it (as root, in its flight directory); this only asks.
 */
static int trigger(const struct record_args *a)
{
	const char *path = a->socket ? a->socket : NTF_SERVER_DEFAULT_PATH;
	struct ntf_proto_triggered t;
	char why[NTF_PROTO_MSG_LEN + 128], size[24];
	int err;

	/* a snapshot of a large window takes a while to write and fsync */
	err = ntf_client_trigger(path, 60000, &t, why, sizeof(why));
	if (err == -ENOENT || err == -ECONNREFUSED) {
		ntf_err("no notifierd serves %s (%s): start it, or give its --socket", path,
			strerror(-err));
		return NTF_EXIT_RUNTIME;
	}
	if (err) {
		ntf_err("%s", why);
		return NTF_EXIT_RUNTIME;
	}
	ntf_format_size(size, sizeof(size), t.bytes);
	printf("%s: %llu events over %.3f s, %s\n", t.path, (unsigned long long)t.events,
	       t.to_ns > t.from_ns ? (t.to_ns - t.from_ns) / 1e9 : 0.0, size);
	return 0;
}

static void stacks_line(const struct ntf_record_stacks *rs)
{
	struct ntf_record_stacks_stats st;

	ntf_record_stacks_stats(rs, &st);
	if (st.kept || st.lost)
		ntf_info("%llu events kept their kernel stack; %llu lost theirs (stack map or file "
			 "full)",
			 (unsigned long long)st.kept, (unsigned long long)st.lost);
}

int cmd_record(int argc, char **argv)
{
	struct record_args a = {};
	struct recording rec = { .a = &a };
	struct ntf_rec_writer_stats st;
	struct ntf_source *src = NULL;
	struct tracer *t = NULL;
	struct ntf_rec_meta *meta = NULL;
	__u64 start, last_flush, last_scan, last_events = 0, names_gen, drops = 0;
	bool tty = isatty(STDERR_FILENO);
	int n, ret = NTF_EXIT_RUNTIME, err;

	parse_record_args(argc, argv, &a);
	if (a.trigger)
		return trigger(&a);
	ntf_install_signals();
	/* a size limit on the file should come back as -EFBIG, not kill */
	signal(SIGXFSZ, SIG_IGN);
	if (ntf_open_tracer(&a.tracer, a.quiet, &t))
		goto out;
	if (a.tracer.cfg.stream_by_callback)
		keep_callbacks(t, &a.filter);
	meta = calloc(1, sizeof(*meta));
	if (!meta) {
		ntf_err("out of memory");
		goto out;
	}
	ntf_rec_meta_init(meta, RECORD_VERSION);
	names_gen = ntf_driver_names_gen();
	if (ntf_rec_meta_add_probes(meta, tracer__probes(t), ntf_probe_count))
		ntf_warn("the file names only the first %d probe points", NTF_REC_MAX_PROBES);
	err = ntf_rec_writer_open(&rec.w, a.path, meta, &a.writer);
	if (err) {
		ntf_err("cannot write %s: %s", a.path, strerror(-err));
		goto out;
	}
	if (a.tracer.cfg.stacks && !(rec.stacks = ntf_record_stacks_new(t))) {
		ntf_err("out of memory");
		goto out;
	}
	src = ntf_source_bpf_new(tracer__events_fd(t), on_event, &rec);
	if (!src) {
		ntf_err("cannot open the ring buffer: %s", strerror(errno));
		goto out;
	}
	if (!a.quiet)
		ntf_info("tracing; recording to %s. Ctrl-C to stop.", a.path);
	start = last_flush = last_scan = ntf_now_ms();
	while (!ntf_exiting && !rec.err) {
		__u64 now;

		n = ntf_source_poll(src, 100);
		if (n < 0 && n != -EINTR) {
			ntf_err("ring buffer: %s", strerror(-n));
			goto out;
		}
		now = ntf_now_ms();
		if (a.duration_ms && now - start >= a.duration_ms)
			break;
		/* a driver that registers mid-run is attached, and the file names it */
		if (now - last_scan >= 2000 || tracer__registered(t)) {
			tracer__rescan(t, !a.quiet);
			last_scan = now;
			if (a.tracer.cfg.stream_by_callback)
				keep_callbacks(t, &a.filter);
			if (!rec.err)
				rec.err = ntf_record_names_update(rec.w, &names_gen);
		}
		if (now - last_flush >= 1000) {
			if (!rec.err)
				rec.err = ntf_rec_flush(rec.w);
			ntf_rec_writer_stats(rec.w, &st);
			drops = ringbuf_drops(t);
			if (tty && !a.quiet)
				status_line(stderr, &st,
					    (st.events - last_events) * 1000.0 / (now - last_flush),
					    drops, "\r");
			last_events = st.events;
			last_flush = now;
		}
	}
	/* what the kernel wrote before the stop is the recording's too */
	while (!rec.err && ntf_source_poll(src, 0) > 0)
		;
	if (!rec.err)
		rec.err = ntf_record_names_update(rec.w, &names_gen);
	drops = ringbuf_drops(t);
	ntf_rec_writer_stats(rec.w, &st);
	err = ntf_rec_close(rec.w);
	rec.w = NULL;
	if (!rec.err)
		rec.err = err;
	if (rec.err) {
		ntf_err("writing %s failed: %s; it holds the %llu events of its whole blocks",
			a.path, strerror(-rec.err), (unsigned long long)st.committed_events);
		goto out;
	}
	if (!a.quiet) {
		double secs = (ntf_now_ms() - start) / 1000.0;

		if (tty)
			fputc('\n', stderr);
		status_line(stderr, &st, secs > 0 ? st.events / secs : 0, drops, "\n");
		if (a.has_filter)
			ntf_info(
				"%llu events left out here by -f (comm, cgroup); the kernel judged the rest",
				(unsigned long long)rec.filtered);
		if (drops)
			ntf_warn("%llu events were lost in a full ring buffer (try -b or -m)",
				 (unsigned long long)drops);
		if (rec.stacks)
			stacks_line(rec.stacks);
	}
	ret = 0;
out:
	if (rec.w)
		ntf_rec_close(rec.w);
	ntf_source_free(src);
	ntf_record_stacks_free(rec.stacks);
	tracer__free(t);
	free(meta);
	return ret;
}
