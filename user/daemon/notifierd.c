// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifierd: loads and attaches the probes, consumes the event stream,
 * aggregates it in user space beside the in-kernel histograms, pins the
 * maps so other tools can read them, and reports per interval and on exit.
 * With --synthetic, generated events take the place of the kernel's: no
 * BPF, no root, no pins, the same aggregate and socket.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "aggregate.h"
#include "cli.h"
#include "common_args.h"
#include "daemon_record.h"
#include "daemon_report.h"
#include "heap.h"
#include "listen_addr.h"
#include "metrics_http.h"
#include "preflight.h"
#include "prom.h"
#include "server.h"
#include "source.h"
#include "open_tracer.h"
#include "policy_struct_ops.h"
#include "synth_args.h"

#define NOTIFIERD_VERSION "notifierd 0.1.0"

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
	"  -H, --hist-only         no full event stream: in-kernel histograms, and\n"
	"                          for --rules only what a rule may match\n"
	"  -b, --ringbuf-size MB   ring buffer size (default 4, a power of 2)\n"
	"  -K, --max-keys N        bound on (class, driver callback, process) keys (default 131072)\n"
	"      --pin-dir DIR       pin the maps under DIR (default /sys/fs/bpf/notifier)\n"
	"      --no-pin            do not pin the maps\n"
	"  -D, --daemon            detach and run in the background\n"
	"      --pidfile FILE      write the daemon's pid to FILE\n"
	"      --socket PATH       serve clients (notifier-top) on this UNIX socket\n"
	"                          (default /run/notifier/notifierd.sock)\n"
	"      --socket-group NAME let this group connect too (default: root only)\n"
	"      --no-socket         serve no clients\n"
	"      --metrics ADDR:PORT serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	"                          (numeric address; notifier's port is 9436:\n"
	"                          --metrics 127.0.0.1:9436)\n"
	"      --metrics-per-process[=N]\n"
	"                          label metrics with pid and comm too, for the first N\n"
	"                          processes seen (default 100, at most 100000); the\n"
	"                          rest are summed under pid=\"other\"\n"
	"  -j, --json              JSON lines instead of text\n"
	"  -k, --kprobes           skip fentry, use kprobes\n"
	"  -q, --quiet             do not list the probe points on start\n"
	"  -v, --verbose           libbpf's log\n"
	"  -h, --help              this help\n"
	"\n"
	"Recording, every event of the stream (not with -H; a full disk stops it,\n"
	"said once, and the daemon serves on):\n"
	"      --record DIR        trace files in DIR, one after another, named\n"
	"                          notifier-YYYYmmdd-HHMMSS.ntr (DIR is made, not its\n"
	"                          parents); notifier report reads them\n"
	"      --max-size SIZE     the next file at SIZE bytes (100M, 1G, 512K)\n"
	"      --max-files N       keep the newest N files of DIR, the oldest removed\n"
	"      --rotate-interval SECS  the next file every SECS\n"
	"      --flight SECS|SIZE  keep the last SECS or SIZE of events in memory,\n"
	"                          compressed (30s, 64M; 30s,64M caps a time window),\n"
	"                          written on SIGUSR1 or `notifier record --trigger`\n"
	"      --flight-dir DIR    where: notifier-flight-YYYYmmdd-HHMMSS.ntr files\n"
	"                          (default " DAEMON_FLIGHT_DIR ")\n"
	"      --record-level N    zstd level of both (default 1; <0 faster; 0 none)\n"
	"      --stack-min LAT     both keep the kernel stack of events this slow, and\n"
	"                          of failed ones (default 1ms)\n"
	"      --no-stacks         no kernel stacks\n"
	"\n"
	"Policy (docs/rules.md):\n"
	"      --rules FILE        rules judged on every event, with their actions\n"
	"                          (default " DAEMON_RULES_FILE " when it exists,\n"
	"                          but not with --synthetic); with -H the kernel\n"
	"                          streams only the events a rule may match;\n"
	"                          SIGHUP reads FILE again\n"
	"      --no-rules          no rules, whatever " DAEMON_RULES_FILE " says\n"
	"      --policy FILE       a BPF policy (docs/policy.md) judges each event\n"
	"                          first: ignored, counted, recorded (with a policy\n"
	"                          the recordings keep only these) or escalated\n"
	"                          (an alert, with its actions); SIGHUP loads FILE\n"
	"                          again. Not with -H\n"
	"\n"
	"A demo and benchmark source, no probes (no root, no BPF, nothing pinned;\n"
	"-H, -b, -p, -c, -k and --pin-dir do not apply):\n"
	"      --synthetic[=SEED]  generated events, not the kernel's, served as usual\n"
	"      --keys N            synthetic: N (process, driver) pairs (default 50)\n"
	"      --rate N            synthetic: events per second (default 20000)\n"
	"\n"
	"Examples:\n"
	"  notifierd -S                   # foreground, a stats line a second\n"
	"  notifierd -D --pidfile /run/notifierd.pid\n"
	"  notifierd -d 30 -j             # 30 s, then a JSON summary\n"
	"  notifierd --synthetic --keys 10000 --socket /tmp/n.sock  # a load for notifier-top\n"
	"  notifierd --metrics 127.0.0.1:9436  # for Prometheus\n"
	"  notifierd --record /var/lib/notifier/record --max-size 100M --max-files 50\n"
	"  notifierd --flight 60s,256M    # then: notifier record --trigger\n";

enum {
	OPT_PIN_DIR = 256,
	OPT_NO_PIN,
	OPT_PIDFILE,
	OPT_SOCKET,
	OPT_SOCKET_GROUP,
	OPT_NO_SOCKET,
	OPT_METRICS,
	OPT_METRICS_PER_PROCESS,
	OPT_RECORD,
	OPT_MAX_SIZE,
	OPT_MAX_FILES,
	OPT_ROTATE_INTERVAL,
	OPT_FLIGHT,
	OPT_FLIGHT_DIR,
	OPT_RECORD_LEVEL,
	OPT_STACK_MIN,
	OPT_NO_STACKS,
	OPT_RULES,
	OPT_NO_RULES,
	OPT_POLICY,
};

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
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-per-process", optional_argument, NULL, OPT_METRICS_PER_PROCESS },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "rotate-interval", required_argument, NULL, OPT_ROTATE_INTERVAL },
	{ "flight", required_argument, NULL, OPT_FLIGHT },
	{ "flight-dir", required_argument, NULL, OPT_FLIGHT_DIR },
	{ "record-level", required_argument, NULL, OPT_RECORD_LEVEL },
	{ "stack-min", required_argument, NULL, OPT_STACK_MIN },
	{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "no-rules", no_argument, NULL, OPT_NO_RULES },
	{ "policy", required_argument, NULL, OPT_POLICY },
	NTF_SYNTH_LONGOPTS,
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
	struct ntf_synth_args synth; /* on: no tracer, generated events at rate */
	const char *metrics; /* --metrics ADDR:PORT, or NULL */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_len;
	struct prom_opts prom;
	struct daemon_rec_opts rec;
	const char *rotation_opt; /* the first of --max-size, --max-files, --rotate-interval */
	const char *stacks_opt; /* --stack-min or --no-stacks, when given */
	bool no_stacks;
	bool level_set;
	const char *rules; /* --rules FILE, or DAEMON_RULES_FILE; NULL: none */
	bool no_rules;
	const char *policy; /* --policy FILE: a BPF policy object */
};

/* Bounds of --max-size and --flight's size: a few blocks at least, and no typo's terabytes. */
#define MIN_REC_SIZE (64ULL << 10)
#define MAX_REC_SIZE (1ULL << 40)
#define MAX_FLIGHT_SIZE (64ULL << 30)

/* What is pinned under --pin-dir, in the order pin_maps() pins the maps. */
static const char *const pin_names[] = { "hists", "counters" };

/* The longest --pin-dir under which every DIR/NAME fits in PATH_MAX. */
static size_t pin_dir_max(void)
{
	size_t longest = 0;

	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (strlen(pin_names[i]) > longest)
			longest = strlen(pin_names[i]);
	return PATH_MAX - 1 - 1 - longest; /* the NUL, the slash */
}

/* DIR/NAME into buf, or -ENAMETOOLONG: a truncated path names someone else's file. */
static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The options --synthetic makes meaningless: they are about the probes. */
static const char *probe_option(int opt)
{
	switch (opt) {
	case 'H': return "-H";
	case 'b': return "-b";
	case 'p': return "-p";
	case 'c': return "-c";
	case 'k': return "-k";
	case OPT_PIN_DIR: return "--pin-dir";
	default: return NULL;
	}
}

/* --record-level's N: zstd's levels, negative ones faster, 0 none at all. */
static void record_level(struct daemon_args *a, const char *arg)
{
	bool neg = arg[0] == '-';
	__u64 v = ntf_arg_u64("--record-level", neg ? arg + 1 : arg, 0, neg ? 100 : 19);
	int level = neg ? -(int)v : (int)v;

	a->rec.rec.writer.level = a->rec.fl.writer.level = level;
	a->rec.rec.writer.uncompressed = a->rec.fl.writer.uncompressed = !level;
	a->level_set = true;
}

/* The recording options: a usage error when one asks what cannot be. */
static void check_record_args(const struct daemon_args *a)
{
	if (a->rotation_opt && !a->rec.dir)
		ntf_usage_error("%s needs --record DIR", a->rotation_opt);
	if (a->rec.flight_dir && !a->rec.flight)
		ntf_usage_error("--flight-dir needs --flight");
	if (a->level_set && !a->rec.dir && !a->rec.flight)
		ntf_usage_error("--record-level needs --record or --flight");
	if (!a->c.tracer.cfg.stream && (a->rec.dir || a->rec.flight))
		ntf_usage_error("%s records the event stream, which -H does not keep",
				a->rec.dir ? "--record" : "--flight");
	if (a->stacks_opt && !a->rec.dir && !a->rec.flight)
		ntf_usage_error("%s needs --record or --flight", a->stacks_opt);
}

static void parse_args(int argc, char **argv, struct daemon_args *a)
{
	const char *probe_opt = NULL;
	__u64 mb, ms;
	int opt;

	a->c.tracer.cfg.stream = true;
	a->c.tracer.cfg.aggregate = true;
	/* -H keeps no stream: the kernel's histograms then carry the origins. */
	a->c.tracer.cfg.by_origin = true;
	a->pin_dir = "/sys/fs/bpf/notifier";
	a->max_keys = 131072; /* 10,000 (process, driver) pairs over 7 classes fit */
	a->socket = NTF_SERVER_DEFAULT_PATH;
	ntf_synth_args_init(&a->synth);
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, NTF_COMMON_SHORTOPTS "i:SHb:K:D", options, NULL)) !=
	       -1) {
		if (probe_option(opt) && !probe_opt)
			probe_opt = probe_option(opt);
		if (ntf_parse_common_opt(opt, optarg, &a->c, usage) ||
		    ntf_parse_synth_opt(opt, optarg, &a->synth))
			continue;
		switch (opt) {
		case 'i':
			a->interval_ms = ntf_arg_duration_ms("-i", optarg);
			a->stats = true;
			break;
		case 'S': a->stats = true; break;
		case 'H': a->c.tracer.cfg.stream = false; break;
		case 'b':
			mb = ntf_arg_u64("-b", optarg, 1, 1024);
			if (mb & (mb - 1))
				ntf_usage_error("-b: %llu is not a power of 2",
						(unsigned long long)mb);
			a->c.tracer.ringbuf_bytes = mb << 20;
			break;
		case 'K': a->max_keys = ntf_arg_u64("-K", optarg, 16, 1 << 24); break;
		case OPT_PIN_DIR:
			if (strlen(optarg) > pin_dir_max())
				ntf_usage_error("--pin-dir: too long (%zu bytes, at most %zu)",
						strlen(optarg), pin_dir_max());
			a->pin_dir = optarg;
			break;
		case OPT_NO_PIN: a->pin_dir = NULL; break;
		case 'D': a->daemonize = true; break;
		case OPT_PIDFILE: a->pidfile = optarg; break;
		case OPT_SOCKET: a->socket = optarg; break;
		case OPT_NO_SOCKET: a->socket = NULL; break;
		case OPT_METRICS: {
			char why[160];

			if (ntf_parse_listen_addr(optarg, &a->metrics_addr, &a->metrics_len, why,
						  sizeof(why)))
				ntf_usage_error("--metrics: %s", why);
			a->metrics = optarg;
			break;
		}
		case OPT_METRICS_PER_PROCESS:
			a->prom.per_process = true;
			a->prom.max_processes =
				optarg ? (__u32)ntf_arg_u64("--metrics-per-process", optarg, 1,
							    PROM_MAX_PROCESSES) :
					 PROM_DEFAULT_MAX_PROCESSES;
			break;
		case OPT_SOCKET_GROUP:
			if (ntf_server_group(optarg, &a->socket_gid))
				ntf_usage_error("--socket-group: no group '%s'", optarg);
			break;
		case OPT_RECORD:
			if (!optarg[0])
				ntf_usage_error("--record: an empty DIR");
			a->rec.dir = optarg;
			break;
		case OPT_MAX_SIZE:
			a->rec.rec.max_size =
				ntf_arg_size("--max-size", optarg, MIN_REC_SIZE, MAX_REC_SIZE);
			a->rotation_opt = a->rotation_opt ? a->rotation_opt : "--max-size";
			break;
		case OPT_MAX_FILES:
			a->rec.rec.max_files = ntf_arg_u64("--max-files", optarg, 1, 1000000);
			a->rotation_opt = a->rotation_opt ? a->rotation_opt : "--max-files";
			break;
		case OPT_ROTATE_INTERVAL:
			ms = ntf_arg_duration_ms("--rotate-interval", optarg);
			/* the loop turns every 100 ms: a shorter interval would only be rounded up */
			if (ms < 1000)
				ntf_usage_error("--rotate-interval: '%s' is under a second",
						optarg);
			a->rec.rec.rotate_ns = ms * 1000000ULL;
			a->rotation_opt = a->rotation_opt ? a->rotation_opt : "--rotate-interval";
			break;
		case OPT_FLIGHT:
			ntf_arg_window("--flight", optarg, MIN_REC_SIZE, MAX_FLIGHT_SIZE,
				       &a->rec.fl.window_ns, &a->rec.fl.max_bytes);
			a->rec.flight = true;
			break;
		case OPT_FLIGHT_DIR:
			if (!optarg[0])
				ntf_usage_error("--flight-dir: an empty DIR");
			a->rec.flight_dir = optarg;
			break;
		case OPT_RECORD_LEVEL: record_level(a, optarg); break;
		case OPT_STACK_MIN:
			a->c.tracer.cfg.stack_min_ns = ntf_arg_latency_ns("--stack-min", optarg);
			a->c.tracer.cfg.stacks = true;
			a->stacks_opt = "--stack-min";
			break;
		case OPT_NO_STACKS:
			a->no_stacks = true;
			a->stacks_opt = "--no-stacks";
			break;
		case OPT_RULES:
			if (!optarg[0])
				ntf_usage_error("--rules: an empty FILE");
			a->rules = optarg;
			break;
		case OPT_NO_RULES: a->no_rules = true; break;
		case OPT_POLICY:
			if (!*optarg)
				ntf_usage_error("--policy: an empty FILE");
			a->policy = optarg;
			break;
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	ntf_synth_args_check(&a->synth);
	if (a->prom.per_process && !a->metrics)
		ntf_usage_error("--metrics-per-process needs --metrics");
	if (a->synth.on && probe_opt)
		ntf_usage_error("%s does not apply to --synthetic (no probes)", probe_opt);
	check_record_args(a);
	/* recordings keep the stacks of slow and failed events unless told not to */
	a->c.tracer.cfg.stacks = (a->rec.dir || a->rec.flight) && !a->no_stacks && !a->synth.on;
	if (a->c.tracer.cfg.stacks && !a->c.tracer.cfg.stack_min_ns)
		a->c.tracer.cfg.stack_min_ns = 1000000;
	if (a->policy && !a->c.tracer.cfg.stream)
		ntf_usage_error("--policy judges the event stream, which -H turns off");
	if (a->rules && a->no_rules)
		ntf_usage_error("--rules and --no-rules: one or the other");
	/* the default file is for the daemon as a service: --synthetic runs go without */
	if (!a->rules && !a->no_rules && !a->synth.on && !access(DAEMON_RULES_FILE, F_OK))
		a->rules = DAEMON_RULES_FILE;
	/* the kernel judges what it can of the rules: their signals, and -H's stream */
	a->c.tracer.cfg.rules_in_kernel = a->rules && !a->synth.on;
	/* -H keeps no full stream: the events a rule may match come through the kernel's gates */
	a->c.tracer.cfg.rule_gated = a->rules && !a->c.tracer.cfg.stream;
	if (a->synth.on)
		a->pin_dir = NULL; /* no maps to pin */
	if (a->stats && !a->interval_ms)
		a->interval_ms = 1000;
}

static int on_event(void *ctx, const struct ntf_event *e)
{
	struct daemon_state *st = ctx;

	unsigned int verdict = DAEMON_OPS_UNJUDGED;

	st->events++;
	st->per_class[e->class]++;
	if (st->ops) {
		verdict = daemon_ops_judge(st->ops, e, st->now_ns);
		if (verdict == NOTIFIER_IGNORE)
			return 0;
	}
	/* what the policy judged, the recordings keep only when it says so */
	if (st->rec && (verdict == DAEMON_OPS_UNJUDGED || verdict >= NOTIFIER_RECORD))
		daemon_rec_event(st->rec, e);
	if (st->policy)
		daemon_policy_event(st->policy, e, st->now_ns);
	/* through the rules' gates (-H): the kernel's histograms have them already */
	if (!st->full_stream)
		return 0;
	return ntf_agg_add(st->agg, e);
}

/* SIGUSR1 asks for a flight snapshot; the loop writes it, not the handler. */
static volatile sig_atomic_t snapshot_asked;

static void on_usr1(int sig)
{
	(void)sig;
	snapshot_asked = 1;
}

/* SIGHUP reads the rules again; the loop does, not the handler. */
static volatile sig_atomic_t reload_asked;

static void on_hup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

static void install_usr1(void)
{
	/* no SA_RESTART: the loop's wait ends at once and the snapshot is written now */
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
}

static int pin_maps(struct tracer *t, const char *dir)
{
	const int fds[] = { tracer__hists_fd(t), tracer__counters_fd(t) };
	char path[PATH_MAX];
	int err;

	_Static_assert(sizeof(fds) / sizeof(fds[0]) == sizeof(pin_names) / sizeof(pin_names[0]),
		       "a name for each pinned map");
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ntf_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		err = pin_path(path, sizeof(path), dir, pin_names[i]);
		if (err) {
			ntf_err("cannot pin %s under %s: %s", pin_names[i], dir, strerror(-err));
			return err;
		}
		/* A pin left by a daemon that was killed is replaced. */
		unlink(path);
		if (bpf_obj_pin(fds[i], path)) {
			err = -errno;
			ntf_err("cannot pin %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void unpin_maps(const char *dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (!pin_path(path, sizeof(path), dir, pin_names[i]))
			unlink(path);
	rmdir(dir);
}

/* What the socket's clients get besides the aggregate. */
struct serve_ctx {
	struct daemon_state *st;
	struct ntf_source *src;
	__u64 start;
	/* The last counters read: the protocol has no "unknown", and these only grow. */
	__u64 kernel[NTF_CNT_MAX];
	int read_err; /* of the last read, so that a failing read is logged once */
	struct daemon_rec *rec; /* a TRIGGER's flight recorder */
	struct daemon_ops *ops; /* what a POLICY loads, unloads or lists */
};

/* A client's TRIGGER (the server checked it is root's): the flight recorder's snapshot. */
static int serve_trigger(void *ctx, uid_t uid, pid_t pid, struct ntf_proto_triggered *out,
			 char *why, size_t why_len)
{
	struct serve_ctx *sc = ctx;
	struct daemon_rec_snap snap;
	int err;

	ntf_info("a flight snapshot asked on the socket by pid %d (uid %u)", (int)pid,
		 (unsigned int)uid);
	err = daemon_rec_snapshot(sc->rec, "socket", &snap, why, why_len);
	if (err)
		return err;
	snprintf(out->path, sizeof(out->path), "%s", snap.path);
	out->events = snap.snap.events;
	out->bytes = snap.snap.bytes;
	out->from_ns = snap.snap.from_ns;
	out->to_ns = snap.snap.to_ns;
	out->wall_ns = snap.wall_ns;
	return 0;
}

/* A client's POLICY (a load or unload checked to be root's by the server). */
static int serve_policy(void *ctx, const struct ntf_proto_policy *req,
			struct ntf_proto_policy_state *out, char *why, size_t why_len)
{
	struct serve_ctx *sc = ctx;

	return daemon_ops_request(sc->ops, req, ntf_now_ns(), out, why, why_len);
}

static void serve_counters(void *ctx, struct ntf_proto_counters *out)
{
	struct serve_ctx *sc = ctx;
	__u64 kernel[NTF_CNT_MAX];
	int err;

	if (sc->st->t) {
		err = ntf_read_counters(tracer__counters_fd(sc->st->t), kernel);
		if (!err)
			memcpy(sc->kernel, kernel, sizeof(kernel));
		else if (err != sc->read_err)
			ntf_warn("cannot read the counters map: %s; clients get the last read",
				 strerror(-err));
		sc->read_err = err;
	}
	memcpy(out->kernel, sc->kernel, sizeof(sc->kernel));
	out->events = sc->st->events;
	out->bad_records = sc->src ? sc->src->bad_records : 0;
	out->uptime_ms = ntf_now_ms() - sc->start;
}

/* A scrape of --metrics: the aggregate as it stands between two turns of the loop. */
struct metrics_ctx {
	struct serve_ctx *sc;
	struct prom_exporter *x;
};

static int render_metrics(void *ctx, bool protobuf, struct prom_buf *out)
{
	struct metrics_ctx *mc = ctx;
	struct ntf_proto_counters pc = {};
	struct prom_counters c = {};

	serve_counters(mc->sc, &pc);
	c.ringbuf_drops = pc.kernel[NTF_CNT_RB_DROPS];
	c.hist_drops = pc.kernel[NTF_CNT_HIST_DROPS];
	c.inflight_drops = pc.kernel[NTF_CNT_INFLIGHT_DROPS];
	c.bad_records = pc.bad_records;
	return protobuf ? prom_render_protobuf(mc->x, mc->sc->st->agg, &c, out) :
			  prom_render_text(mc->x, mc->sc->st->agg, &c, out);
}

static struct ntf_metrics_http *serve_metrics(const struct daemon_args *a, struct metrics_ctx *mc)
{
	struct ntf_metrics_http *m;
	int err;

	mc->x = prom_exporter_new(&a->prom);
	if (!mc->x) {
		ntf_err("out of memory");
		return NULL;
	}
	m = ntf_metrics_http_start(&a->metrics_addr, a->metrics_len, render_metrics, mc, &err);
	if (!m)
		ntf_err("--metrics %s: cannot listen: %s%s", a->metrics, strerror(-err),
			err == -EADDRINUSE ? " (the port is taken: pick another)" : "");
	return m;
}

/*
 * One fd for the loop to wait on besides the socket server's: the ring
 * buffer's and the metrics server's together (an epoll set), or either.
 */
static int wait_fd_of(int events_fd, int metrics_fd, int *own)
{
	struct epoll_event ev = { .events = EPOLLIN };

	*own = -1;
	if (events_fd < 0 || metrics_fd < 0)
		return events_fd >= 0 ? events_fd : metrics_fd;
	*own = epoll_create1(EPOLL_CLOEXEC);
	if (*own < 0)
		return -1;
	ev.data.fd = events_fd;
	if (epoll_ctl(*own, EPOLL_CTL_ADD, events_fd, &ev))
		return -1;
	ev.data.fd = metrics_fd;
	if (epoll_ctl(*own, EPOLL_CTL_ADD, metrics_fd, &ev))
		return -1;
	return *own;
}

static struct ntf_server *serve(const struct daemon_args *a, struct serve_ctx *sc)
{
	struct ntf_server_opts o = {
		.max_keys = a->max_keys,
		.flags = a->c.tracer.cfg.stream ? NTF_PROTO_W_STREAM : 0,
		.counters = serve_counters,
		.trigger = sc->rec && sc->rec->flight ? serve_trigger : NULL,
		/* a policy judges the event stream, which -H has none of */
		.policy = a->c.tracer.cfg.stream ? serve_policy : NULL,
		.ctx = sc,
	};
	struct ntf_server *s;
	int err;

	/* No probes to report without a tracer: WELCOME lists none. */
	s = ntf_server_new(sc->st->agg, sc->st->t ? tracer__probes(sc->st->t) : NULL,
			   ntf_probe_count, &o);
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

/* Privileges, then the pin directory's parent, which must be a bpffs. */
static int check_pin_dir(const char *pin_dir)
{
	char msg[256], parent[PATH_MAX], *slash;
	int n;

	/* Privileges first: without them the bpffs answer means nothing. */
	if (ntf_preflight())
		return -1;
	n = snprintf(parent, sizeof(parent), "%s", pin_dir);
	if (n < 0 || (size_t)n >= sizeof(parent)) {
		ntf_err("--pin-dir: %s", strerror(ENAMETOOLONG));
		return -1;
	}
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	if (ntf_check_bpffs(parent, msg, sizeof(msg))) {
		ntf_err("%s", msg);
		return -1;
	}
	return 0;
}

/* The kernel's events: probes attached, maps pinned, the ring buffer opened. */
static int start_tracing(const struct daemon_args *a, struct daemon_state *st,
			 struct ntf_source **src)
{
	struct tracer_opts opts = a->c.tracer;

	if (a->pin_dir && check_pin_dir(a->pin_dir))
		return -1;
	/* where the companion module is loaded, policies judge in the kernel */
	opts.policy_judge = opts.cfg.stream && ntf_struct_ops_registered();
	if (ntf_open_tracer(&opts, a->c.quiet, &st->t)) {
		if (!opts.policy_judge)
			return -1;
		ntf_warn("the programs that call the companion module's kfunc did not load: "
			 "policies run by the portable backend");
		opts.policy_judge = false;
		if (ntf_open_tracer(&opts, a->c.quiet, &st->t))
			return -1;
	}
	if (a->pin_dir && pin_maps(st->t, a->pin_dir))
		return -1;
	if (a->c.tracer.cfg.stream || a->c.tracer.cfg.rule_gated) {
		*src = ntf_source_bpf_new(tracer__events_fd(st->t), on_event, st);
		if (!*src) {
			ntf_err("cannot open the ring buffer: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_args a = {};
	struct daemon_state st = {};
	__u64 prev_class[NTF_CLASS_MAX] = {};
	struct ntf_source *src = NULL;
	struct ntf_server *srv = NULL;
	struct ntf_metrics_http *metrics = NULL;
	struct metrics_ctx mc = {};
	struct serve_ctx sc = {};
	struct daemon_rec dr = {};
	struct daemon_policy dp = {};
	struct daemon_ops dops = {};
	__u64 rec_stack_min;
	bool rec_stacks;
	int wait_fd, own_wait_fd = -1;
	__u64 start, last, last_scan;
	int ret = NTF_EXIT_RUNTIME, n, events_fd;

	ntf_prog = "notifierd";
	ntf_heap_setup();
	parse_args(argc, argv, &a);
	ntf_install_signals();
	install_usr1();
	/* a file size limit comes back as -EFBIG, which stops recording, not the daemon */
	signal(SIGXFSZ, SIG_IGN);
	/* what the recordings keep, whatever rules ask the kernel for */
	rec_stacks = a.c.tracer.cfg.stacks;
	rec_stack_min = a.c.tracer.cfg.stack_min_ns;
	/* before the tracer: a rule with the stack action has it take stacks */
	if (a.rules) {
		bool stacks = false;
		__u64 min = 0;

		if (daemon_policy_check(a.rules, a.rec.flight, &stacks, &min))
			goto out;
		if (stacks && !min)
			ntf_warn(
				"%s: a rule with the stack action and no 'latency >' bound takes the "
				"kernel stack of every event it may match",
				a.rules);
		if (stacks && !a.synth.on) {
			if (!a.c.tracer.cfg.stacks || min < a.c.tracer.cfg.stack_min_ns)
				a.c.tracer.cfg.stack_min_ns = min;
			a.c.tracer.cfg.stacks = true;
		}
	}
	st.full_stream = a.c.tracer.cfg.stream;
	st.agg = ntf_agg_new(a.max_keys);
	if (!st.agg) {
		ntf_err("out of memory");
		goto out;
	}
	if (a.synth.on) {
		src = ntf_source_paced_new(&a.synth, on_event, &st);
		if (!src) {
			ntf_err("out of memory");
			goto out;
		}
	} else if (start_tracing(&a, &st, &src)) {
		goto out;
	}
	/* before -D's chdir("/"): DIR is held open from here on */
	if (daemon_rec_open(&dr, &a.rec,
			    a.synth.on ? NOTIFIERD_VERSION " (synthetic)" : NOTIFIERD_VERSION,
			    st.t ? tracer__probes(st.t) : NULL, ntf_probe_count))
		goto out;
	if (daemon_rec_on(&dr))
		st.rec = &dr;
	if (st.t && a.c.tracer.cfg.stacks) {
		struct ntf_record_stacks *rs = ntf_record_stacks_new(st.t);

		if (!rs || daemon_rec_take_stacks(&dr, rs, rec_stacks, rec_stack_min)) {
			ntf_err("out of memory");
			goto out;
		}
	}
	if (a.rules) {
		if (daemon_policy_open(&dp, a.rules, &dr, a.c.json ? stdout : NULL,
				       a.c.tracer.cfg.stacks, a.c.tracer.cfg.stack_min_ns,
				       a.c.tracer.cfg.rules_in_kernel ? st.t : NULL,
				       a.c.tracer.cfg.rule_gated))
			goto out;
		st.policy = &dp;
	}
	/* with no --policy too: notifier policy load may give it one */
	if (daemon_ops_open(&dops, a.policy, &dr, a.c.json ? stdout : NULL, a.c.tracer.cfg.stacks,
			    st.t && tracer__policy_judge(st.t)))
		goto out;
	st.ops = &dops;
	st.now_ns = ntf_now_ns();
	sc = (struct serve_ctx){
		.st = &st, .src = src, .start = ntf_now_ms(), .rec = &dr, .ops = &dops
	};
	if (a.socket && !(srv = serve(&a, &sc)))
		goto out;
	mc.sc = &sc;
	if (a.metrics && !(metrics = serve_metrics(&a, &mc)))
		goto out;
	if (a.daemonize && daemon(0, 0)) {
		ntf_err("cannot daemonize: %s", strerror(errno));
		goto out;
	}
	if (a.daemonize)
		daemon_policy_new_pid(&dp);
	if (a.pidfile && write_pidfile(a.pidfile))
		goto out;
	if (!a.c.quiet && !a.daemonize && a.synth.on)
		ntf_info("synthetic events, %u keys at %u/s, no probes; Ctrl-C to stop.",
			 a.synth.keys, a.synth.rate);
	else if (!a.c.quiet && !a.daemonize)
		ntf_info("tracing; Ctrl-C to stop.");
	if (!a.c.quiet && !a.daemonize && dr.o.dir)
		ntf_info("recording into %s", dr.rst.path);
	if (!a.c.quiet && !a.daemonize && dr.flight)
		ntf_info("flight recorder on: snapshots into %s on SIGUSR1 (kill -USR1 %d)",
			 dr.flight_dir, (int)getpid());

	/* Only the ring buffer has an fd to wait on; the synthetic source keeps time. */
	events_fd = src && st.t ? tracer__events_fd(st.t) : -1;
	wait_fd = wait_fd_of(events_fd, metrics ? ntf_metrics_http_fd(metrics) : -1, &own_wait_fd);
	if (metrics && wait_fd < 0) {
		ntf_err("cannot wait for events and scrapes: %s", strerror(errno));
		goto out;
	}
	start = last = last_scan = ntf_now_ms();
	while (!ntf_exiting) {
		__u64 now = ntf_now_ms();

		if (a.c.duration_ms && now - start >= a.c.duration_ms)
			break;
		/* Clients and events both wake the loop; the ring buffer's map fd polls. */
		if (srv) {
			ntf_server_wait(srv, wait_fd, 100);
		} else if (metrics) {
			struct pollfd p = { .fd = wait_fd, .events = POLLIN };

			poll(&p, 1, 100);
		}
		if (src) {
			n = ntf_source_poll(src, srv || metrics ? 0 : 100);
			if (n < 0 && n != -EINTR) {
				ntf_err("%s: %s", st.t ? "ring buffer" : "synthetic source",
					strerror(-n));
				goto out;
			}
		} else if (!srv && !metrics) {
			usleep(100000);
		}
		if (metrics)
			ntf_metrics_http_run(metrics);
		st.now_ns = ntf_now_ns();
		if (st.rec)
			daemon_rec_tick(st.rec, st.now_ns);
		if (st.policy)
			daemon_policy_tick(st.policy, st.now_ns);
		if (st.ops)
			daemon_ops_tick(st.ops, st.now_ns);
		if (reload_asked) {
			reload_asked = 0;
			if (a.rules || !a.policy)
				daemon_policy_reload(&dp, st.now_ns);
			daemon_ops_reload(&dops, st.now_ns);
		}
		if (snapshot_asked) {
			struct daemon_rec_snap snap;
			char why[PATH_MAX + 128];

			snapshot_asked = 0;
			daemon_rec_snapshot(&dr, "SIGUSR1", &snap, why, sizeof(why));
		}
		now = ntf_now_ms();
		if (srv)
			ntf_server_tick(srv, now);
		/*
		 * Driver modules may come and go while the daemon runs; a
		 * driver that registers is attached at once.
		 */
		if (st.t && (now - last_scan >= 2000 || tracer__registered(st.t))) {
			tracer__rescan(st.t, true);
			last_scan = now;
			/* a callback or cgroup found since may meet a rule's condition */
			daemon_policy_rescan(&dp);
		}
		if (a.stats && now - last >= a.interval_ms) {
			ntf_daemon_stats(&a.c, &st, prev_class, now - last);
			memcpy(prev_class, st.per_class, sizeof(prev_class));
			last = now;
		}
	}
	/* Drain what the kernel already wrote before reporting. */
	while (src && st.t && ntf_source_poll(src, 0) > 0)
		;
	/* the last file whole (index, trailer) before the summary counts it */
	daemon_rec_close(&dr);
	daemon_policy_close(&dp, ntf_now_ns());
	daemon_ops_close(&dops, ntf_now_ns());
	ntf_daemon_summary(&a.c, &st, ntf_now_ms() - start);
	ret = 0;
out:
	ntf_metrics_http_stop(metrics);
	prom_exporter_free(mc.x);
	if (own_wait_fd >= 0)
		close(own_wait_fd);
	ntf_server_free(srv);
	ntf_source_free(src);
	if (a.pin_dir && st.t)
		unpin_maps(a.pin_dir);
	if (a.pidfile && ret == 0)
		unlink(a.pidfile);
	daemon_policy_free(&dp);
	daemon_ops_free(&dops);
	daemon_rec_free(&dr);
	tracer__free(st.t);
	ntf_agg_free(st.agg);
	return ret;
}
