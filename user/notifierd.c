// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd: loads and attaches the probes, consumes the event stream,
 * aggregates it in user space beside the in-kernel histograms, pins the
 * maps so other tools can read them, and reports per interval and on exit.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "aggregate.h"
#include "cli.h"
#include "commands.h"
#include "common_args.h"
#include "names.h"
#include "preflight.h"
#include "report.h"
#include "server.h"
#include "source.h"
#include "start.h"
#include "subscribers.h"

static const char usage[] =
	"Usage: notifierd [OPTIONS]\n"
	"\n"
	"The notifier daemon: traces MMU-notifier paths, aggregates every event,\n"
	"and reports. Ctrl-C or SIGTERM detaches everything and exits 0.\n"
	"\n"
	"  -d, --duration SECS     exit after SECS (default: run until signalled)\n"
	"  -i, --interval SECS     print a stats line every SECS (default 1 with -S)\n"
	"  -S, --stats             print per-interval stats lines\n"
	"  -p, --pid PID           only this process\n"
	"  -c, --cgroup DIR        only tasks in this cgroup v2 directory\n"
	"  -e, --class LIST        classes in the final report (see notifier hist)\n"
	"  -H, --hist-only         no event stream: in-kernel histograms only\n"
	"  -b, --ringbuf-size MB   ring buffer size (default 4, a power of 2)\n"
	"  -K, --max-keys N        bound on (class, process) keys (default 65536)\n"
	"      --pin-dir DIR       pin the maps under DIR (default /sys/fs/bpf/notifier)\n"
	"      --no-pin            do not pin the maps\n"
	"  -D, --daemon            detach and run in the background\n"
	"      --pidfile FILE      write the daemon's pid to FILE\n"
	"      --socket PATH       serve clients (notifier-top) on this UNIX socket\n"
	"                          (default /run/notifier/notifierd.sock)\n"
	"      --socket-group NAME let this group connect too (default: root only)\n"
	"      --no-socket         serve no clients\n"
	"  -j, --json              JSON lines instead of text\n"
	"  -k, --kprobes           skip fentry, use kprobes\n"
	"  -q, --quiet             do not list the probe points on start\n"
	"  -v, --verbose           libbpf's log\n"
	"  -h, --help              this help\n"
	"\n"
	"Examples:\n"
	"  notifierd -S                   # foreground, a stats line a second\n"
	"  notifierd -D --pidfile /run/notifierd.pid\n"
	"  notifierd -d 30 -j             # 30 s, then a JSON summary\n";

enum { OPT_PIN_DIR = 256, OPT_NO_PIN, OPT_PIDFILE, OPT_SOCKET, OPT_SOCKET_GROUP, OPT_NO_SOCKET };

static const struct option options[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "stats", no_argument, NULL, 'S' },
	{ "hist-only", no_argument, NULL, 'H' },
	{ "ringbuf-size", required_argument, NULL, 'b' },
	{ "max-keys", required_argument, NULL, 'K' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "no-pin", no_argument, NULL, OPT_NO_PIN },
	{ "daemon", no_argument, NULL, 'D' },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
	{ "no-socket", no_argument, NULL, OPT_NO_SOCKET },
	NTF_COMMON_LONGOPTS,
	{},
};

struct daemon_args {
	struct ntf_common_args c;
	__u64 interval_ms, max_keys;
	const char *pin_dir, *pidfile;
	bool stats, daemonize;
	const char *socket; /* NULL: serve no clients */
	gid_t socket_gid;
};

struct daemon_state {
	struct ntf_agg *agg;
	__u64 events; /* delivered by the stream */
	__u64 per_class[NTF_CLASS_MAX];
};

static void parse_args(int argc, char **argv, struct daemon_args *a)
{
	__u64 mb;
	int opt;

	a->c.tracer.stream = true;
	a->c.tracer.aggregate = true;
	a->pin_dir = "/sys/fs/bpf/notifier";
	a->max_keys = 65536;
	a->socket = NTF_SERVER_DEFAULT_PATH;
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, NTF_COMMON_SHORTOPTS "i:SHb:K:D", options, NULL)) !=
	       -1) {
		if (ntf_parse_common_opt(opt, optarg, &a->c, usage))
			continue;
		switch (opt) {
		case 'i':
			a->interval_ms = ntf_parse_duration_ms("-i", optarg);
			a->stats = true;
			break;
		case 'S': a->stats = true; break;
		case 'H': a->c.tracer.stream = false; break;
		case 'b':
			mb = ntf_parse_u64("-b", optarg, 1, 1024);
			if (mb & (mb - 1))
				ntf_usage_error("-b: %llu is not a power of 2",
						(unsigned long long)mb);
			a->c.tracer.ringbuf_bytes = mb << 20;
			break;
		case 'K': a->max_keys = ntf_parse_u64("-K", optarg, 16, 1 << 24); break;
		case OPT_PIN_DIR: a->pin_dir = optarg; break;
		case OPT_NO_PIN: a->pin_dir = NULL; break;
		case 'D': a->daemonize = true; break;
		case OPT_PIDFILE: a->pidfile = optarg; break;
		case OPT_SOCKET: a->socket = optarg; break;
		case OPT_NO_SOCKET: a->socket = NULL; break;
		case OPT_SOCKET_GROUP:
			if (ntf_server_group(optarg, &a->socket_gid))
				ntf_usage_error("--socket-group: no group '%s'", optarg);
			break;
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->stats && !a->interval_ms)
		a->interval_ms = 1000;
}

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct daemon_state *st = ctx;

	st->events++;
	st->per_class[e->class]++;
	return ntf_agg_add(st->agg, e);
}

static int pin_maps(struct tracer *t, const char *dir)
{
	char path[4096];
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ntf_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	const struct {
		const char *name;
		int fd;
	} maps[] = { { "hists", tracer__hists_fd(t) }, { "counters", tracer__counters_fd(t) } };
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, maps[i].name);
		/* A pin left by a daemon that was killed is replaced. */
		unlink(path);
		if (bpf_obj_pin(maps[i].fd, path)) {
			err = -errno;
			ntf_err("cannot pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void unpin_maps(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/hists", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/counters", dir);
	unlink(path);
	rmdir(dir);
}

static void print_stats(const struct daemon_args *a, struct tracer *t, struct daemon_state *st,
			const __u64 prev_class[NTF_CLASS_MAX], __u64 elapsed_ms)
{
	__u64 counters[NTF_CNT_MAX] = {};
	double secs = elapsed_ms / 1000.0;

	ntf_read_counters(tracer__counters_fd(t), counters);
	if (a->c.json) {
		json_t *rates = json_object();

		for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++)
			json_object_set_new(rates, ntf_class_name(c),
					    json_real((st->per_class[c] - prev_class[c]) / secs));
		json_t *o = json_pack("{ss sf so so sI}", "type", "stats", "interval_s", secs,
				      "rates", rates, "counters", ntf_counters_json(counters),
				      "events", (json_int_t)st->events);
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("%-10s", "events/s");
		for (unsigned int c = NTF_CLASS_INVAL_START; c < NTF_CLASS_MAX; c++)
			printf(" %s %.0f", ntf_class_name(c),
			       (st->per_class[c] - prev_class[c]) / secs);
		printf("  drops %llu\n", (unsigned long long)counters[NTF_CNT_RB_DROPS]);
	}
	fflush(stdout);
}

static void print_summary(const struct daemon_args *a, struct tracer *t, struct daemon_state *st,
			  __u64 elapsed_ms)
{
	struct ntf_agg *kernel_agg = ntf_agg_new(0);
	__u64 counters[NTF_CNT_MAX] = {};

	ntf_read_counters(tracer__counters_fd(t), counters);
	if (kernel_agg)
		ntf_read_hists(tracer__hists_fd(t), kernel_agg);
	if (a->c.json) {
		struct ntf_report_opts ro = a->c.report;
		json_t *root;

		/* Scripts get the per-process breakdown the stream has anyway. */
		ro.per_process = true;
		root = ntf_report_json(st->agg, tracer__probes(t), &ro);

		json_object_set_new(root, "type", json_string("summary"));
		json_object_set_new(root, "elapsed_ms", json_integer(elapsed_ms));
		json_object_set_new(root, "stream", json_boolean(a->c.tracer.stream));
		json_object_set_new(root, "events", json_integer(st->events));
		json_object_set_new(root, "folded", json_integer(ntf_agg_folded(st->agg)));
		json_object_set_new(root, "counters", ntf_counters_json(counters));
		json_object_set_new(root, "subscribers",
				    ntf_subscribers_json(tracer__subscribers(t)));
		if (kernel_agg)
			json_object_set_new(root, "kernel",
					    ntf_report_json(kernel_agg, NULL, &a->c.report));
		json_dumpf(root, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		struct ntf_report_opts ro = a->c.report;

		ro.graphs = true;
		printf("\n--- notifierd: %.1f s, %llu events streamed, %llu dropped ---\n",
		       elapsed_ms / 1000.0, (unsigned long long)st->events,
		       (unsigned long long)counters[NTF_CNT_RB_DROPS]);
		ntf_report_text(stdout, a->c.tracer.stream ? st->agg : kernel_agg,
				tracer__probes(t), &ro);
	}
	fflush(stdout);
	ntf_agg_free(kernel_agg);
}

/* What the socket's clients get besides the aggregate. */
struct serve_ctx {
	struct tracer *t;
	struct daemon_state *st;
	struct ntf_source *src;
	__u64 start;
};

static void serve_counters(void *ctx, struct ntf_proto_counters *out)
{
	struct serve_ctx *sc = ctx;

	ntf_read_counters(tracer__counters_fd(sc->t), out->kernel);
	out->events = sc->st->events;
	out->bad_records = sc->src ? sc->src->bad_records : 0;
	out->uptime_ms = ntf_now_ms() - sc->start;
}

static struct ntf_server *serve(const struct daemon_args *a, struct serve_ctx *sc)
{
	struct ntf_server_opts o = {
		.max_keys = a->max_keys,
		.flags = a->c.tracer.stream ? NTF_PROTO_W_STREAM : 0,
		.counters = serve_counters,
		.ctx = sc,
	};
	struct ntf_server *s;
	int err;

	s = ntf_server_new(sc->st->agg, tracer__probes(sc->t), ntf_probe_count, &o);
	err = s ? ntf_server_listen(s, a->socket, a->socket_gid) : -ENOMEM;
	if (err) {
		ntf_err("cannot serve %s: %s%s", a->socket, strerror(-err),
			err == -EADDRINUSE ? " (another notifierd serves it)" : "");
		ntf_server_free(s);
		return NULL;
	}
	return s;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		ntf_err("cannot write pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%d\n", getpid());
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct daemon_args a = {};
	struct daemon_state st = {};
	__u64 prev_class[NTF_CLASS_MAX] = {};
	struct ntf_source *src = NULL;
	struct tracer *t = NULL;
	struct ntf_server *srv = NULL;
	struct serve_ctx sc = {};
	__u64 start, last, last_scan;
	int ret = NTF_EXIT_RUNTIME, n;

	ntf_prog = "notifierd";
	parse_args(argc, argv, &a);
	ntf_install_signals();
	if (a.pin_dir) {
		char msg[256], parent[4096], *slash;

		/* Privileges first: without them the bpffs answer means nothing. */
		if (ntf_preflight())
			return NTF_EXIT_RUNTIME;
		/* The pins go in the pin directory's parent, which must be a bpffs. */
		snprintf(parent, sizeof(parent), "%s", a.pin_dir);
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = '\0';
		else if (slash)
			slash[1] = '\0';
		if (ntf_check_bpffs(parent, msg, sizeof(msg))) {
			ntf_err("%s", msg);
			return NTF_EXIT_RUNTIME;
		}
	}
	if (ntf_start_tracer(&a.c.tracer, a.c.quiet, &t))
		return NTF_EXIT_RUNTIME;
	st.agg = ntf_agg_new(a.max_keys);
	if (!st.agg) {
		ntf_err("out of memory");
		goto out;
	}
	if (a.pin_dir && pin_maps(t, a.pin_dir))
		goto out;
	if (a.c.tracer.stream) {
		src = ntf_source_bpf_new(tracer__events_fd(t), on_event, &st);
		if (!src) {
			ntf_err("cannot open the ring buffer: %s", strerror(errno));
			goto out;
		}
	}
	sc = (struct serve_ctx){ .t = t, .st = &st, .src = src, .start = ntf_now_ms() };
	if (a.socket && !(srv = serve(&a, &sc)))
		goto out;
	if (a.daemonize && daemon(0, 0)) {
		ntf_err("cannot daemonize: %s", strerror(errno));
		goto out;
	}
	if (a.pidfile && write_pidfile(a.pidfile))
		goto out;
	if (!a.c.quiet && !a.daemonize)
		fprintf(stderr, "notifierd: tracing; Ctrl-C to stop.\n");

	start = last = last_scan = ntf_now_ms();
	while (!ntf_exiting) {
		__u64 now = ntf_now_ms();

		if (a.c.duration_ms && now - start >= a.c.duration_ms)
			break;
		/* Clients and events both wake the loop; the ring buffer's map fd polls. */
		if (srv)
			ntf_server_wait(srv, src ? tracer__events_fd(t) : -1, 100);
		if (src) {
			n = ntf_source_poll(src, srv ? 0 : 100);
			if (n < 0 && n != -EINTR) {
				ntf_err("ring buffer: %s", strerror(-n));
				goto out;
			}
		} else if (!srv) {
			usleep(100000);
		}
		now = ntf_now_ms();
		if (srv)
			ntf_server_tick(srv, now);
		/* Driver modules may come and go while the daemon runs. */
		if (now - last_scan >= 2000) {
			tracer__rescan(t, stderr);
			last_scan = now;
		}
		if (a.stats && now - last >= a.interval_ms) {
			print_stats(&a, t, &st, prev_class, now - last);
			memcpy(prev_class, st.per_class, sizeof(prev_class));
			last = now;
		}
	}
	/* Drain what the kernel already wrote before reporting. */
	while (src && ntf_source_poll(src, 0) > 0)
		;
	print_summary(&a, t, &st, ntf_now_ms() - start);
	ret = 0;
out:
	ntf_server_free(srv);
	ntf_source_free(src);
	if (a.pin_dir && t)
		unpin_maps(a.pin_dir);
	if (a.pidfile && ret == 0)
		unlink(a.pidfile);
	tracer__free(t);
	ntf_agg_free(st.agg);
	return ret;
}
