// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier hist: latency histograms per event class from the in-kernel
 * aggregation, printed after a duration, per interval, or on Ctrl-C; or,
 * with --input, built from a trace file's events (cmd_hist_file.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "aggregate.h"
#include "cli.h"
#include "commands.h"
#include "common_args.h"
#include "names.h"
#include "report.h"
#include "open_tracer.h"
#include "callback_attach.h"
#include "clock.h"
#include "groups.h"
#include "hist.h"

static const char hist_usage[] =
	"Usage: notifier hist [OPTIONS] [INTERVAL [COUNT]]\n"
	"\n"
	"Latency histograms of MMU-notifier invalidations, try_to_unmap_one,\n"
	"pin_user_pages* and dma_fence waits, aggregated in the kernel, or made\n"
	"from a trace file's events (--input).\n"
	"\n"
	"      --input FILE        the events of a trace file (.ntr), not the kernel's:\n"
	"                          the reports live tracing would have printed of them;\n"
	"                          -i and -d in the recording's time, reports stamped\n"
	"                          with its clock; -k and -c do not apply\n"
	"  -d, --duration SECS     stop after SECS (default: until Ctrl-C; --input: the\n"
	"                          file's first SECS)\n"
	"  -i, --interval SECS     print and reset every SECS\n"
	"  -p, --pid PID           only this process\n"
	"  -c, --cgroup DIR        only tasks in this cgroup v2 directory\n"
	"  -P, --per-process       break each class down by process\n"
	"      --by LIST           one histogram per group of these (comma separated):\n"
	"                          driver,event,process,cgroup,origin,blockable\n"
	"                          (event is always one: an invalidate holds its callbacks)\n"
	"  -f, --filter EXPR       only what the filter keeps, as notifier-top's -f:\n"
	"                          \"pid 42\", \"comm gpu\", \"driver i915\", \"class pin\",\n"
	"                          \"cgroup /system.slice/x.service\" (not with --input);\n"
	"                          terms combine\n"
	"      --buckets KIND      graphs of log2 (default) or fine (16 per power of 2) buckets\n"
	"      --svg FILE          at the end, a picture of the run: a distribution per\n"
	"                          class, driver or --by group with its percentiles, and\n"
	"                          with -i a heat map of latency over time\n"
	"      --html FILE         the same picture in a page, with a table of the numbers\n"
	"      --title TEXT        the picture's title\n"
	"  -e, --class LIST        only these classes (comma separated): inval_start,\n"
	"                          inval_end,callback,unmap,pin,unpin,fence_wait; only\n"
	"                          their probes attach (callbacks bring the invalidates',\n"
	"                          the nested classes the callbacks')\n"
	"  -u, --microseconds      histogram in usecs\n"
	"  -m, --milliseconds      histogram in msecs\n"
	"  -j, --json              one JSON object per report\n"
	"  -k, --kprobes           skip fentry, use kprobes\n"
	"  -q, --quiet             do not list the probe points on start\n"
	"  -v, --verbose           libbpf's log\n"
	"  -h, --help              this help\n"
	"\n"
	"  --compare A B           compare two saved -j outputs, group by group,\n"
	"                          and say which percentiles moved beyond the noise\n"
	"                          (notifier hist --compare --help)\n"
	"\n"
	"With --input, the exit status is 1 when the file could not be read or a\n"
	"block of it is damaged (what came before is reported, then why), as\n"
	"notifier report's; a file whose writer did not close it is read to its\n"
	"last whole block, with a warning.\n"
	"\n"
	"Examples:\n"
	"  notifier hist -d 10            # 10 seconds, then histograms\n"
	"  notifier hist -u -P 5 3        # every 5 s, three times, per process\n"
	"  notifier hist -e fence_wait -m # fence waits in msecs until Ctrl-C\n"
	"  notifier hist --by driver,origin -d 30   # per driver and cause, 30 s\n"
	"  notifier hist -f 'driver amdgpu' --buckets fine -u\n"
	"  notifier hist --input run.ntr -i 1 -j      # a report per recorded second\n"
	"  notifier hist --compare before.json after.json\n";

enum { OPT_BY = 0x400, OPT_BUCKETS, OPT_SVG, OPT_HTML, OPT_TITLE, OPT_INPUT };

static const struct option hist_options[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "per-process", no_argument, NULL, 'P' },
	{ "microseconds", no_argument, NULL, 'u' },
	{ "milliseconds", no_argument, NULL, 'm' },
	{ "by", required_argument, NULL, OPT_BY },
	{ "filter", required_argument, NULL, 'f' },
	{ "buckets", required_argument, NULL, OPT_BUCKETS },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "input", required_argument, NULL, OPT_INPUT },
	NTF_COMMON_LONGOPTS,
	{},
};

/*
 * A picture is written at the end of a run: a directory it cannot be
 * written into should stop the run before it starts, not after.
 */
static void check_writable(const char *opt, const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!strcmp(path, "-"))
		return;
	if (!*path)
		ntf_usage_error("%s needs a file name", opt);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	if (access(dir, W_OK | X_OK))
		ntf_usage_error("%s %s: cannot write in %s: %s", opt, path, dir, strerror(errno));
}

/* What the kernel's keys must carry for --by and -f. */
static void apply_split(struct hist_args *a)
{
	struct ntf_config *cfg = &a->c.tracer.cfg;

	if (a->by & NTF_BY_PROCESS || (a->filtered && top_filter_needs_process(&a->filter)))
		cfg->per_process = 1;
	if (a->filtered && a->filter.pid && !cfg->tgid)
		cfg->tgid = a->filter.pid; /* judged in the kernel, too */
	if (a->by & NTF_BY_CGROUP)
		cfg->by_cgroup = 1;
	if (a->by & NTF_BY_BLOCKABLE)
		cfg->by_blockable = 1;
	if (a->filtered && a->filter.class_mask)
		a->c.report.class_mask = a->c.report.class_mask ?
						 a->c.report.class_mask & a->filter.class_mask :
						 a->filter.class_mask;
}

/*
 * The classes whose probes load for the classes a report shows (0: all):
 * what -e leaves out costs nothing, as in a bpftrace script of those
 * functions alone. An unmap, pin or fence wait inside an invalidate is
 * counted nested and charged to the callback running it, which their
 * probes tell; a callback's calls made before its probe attached are
 * counted by the chain's. Those bring theirs along, so that no number
 * -e shows differs from a run without it.
 */
static unsigned int probed_classes(unsigned int shown)
{
	const unsigned int chain = 1u << NTF_CLASS_INVAL_START | 1u << NTF_CLASS_INVAL_END,
			   nests = 1u << NTF_CLASS_UNMAP | 1u << NTF_CLASS_PIN |
				   1u << NTF_CLASS_UNPIN | 1u << NTF_CLASS_FENCE_WAIT;

	if (shown & nests)
		shown |= 1u << NTF_CLASS_CALLBACK;
	if (shown & (1u << NTF_CLASS_CALLBACK))
		shown |= chain;
	return shown;
}

/*
 * What --input cannot honour is said, not ignored: probes (-k) are not
 * loaded, and cgroups are named by this machine's directories (-c) or
 * looked up in its /proc (-f cgroup), while the file's ids are the
 * recording machine's.
 */
static void check_input(const struct hist_args *a, const char *cgroup, bool kprobes)
{
	if (kprobes)
		ntf_usage_error(
			"-k chooses how probes attach: --input reads a file, with no probes");
	if (cgroup)
		ntf_usage_error("-c names a cgroup directory of this machine: the file's cgroup "
				"ids are the recording's (--by cgroup splits by them)");
	if (a->filtered && a->filter.cgroup[0])
		ntf_usage_error("-f cgroup looks processes up in this machine's /proc: the file's "
				"processes are the recording's");
}

static void parse_hist_args(int argc, char **argv, struct hist_args *a)
{
	const char *cgroup = NULL;
	bool kprobes = false;
	char err[160];
	int opt;

	a->c.tracer.cfg.aggregate = true;
	/* Who caused each event: no stream here, so BPF classifies. */
	a->c.tracer.cfg.by_origin = true;
	a->c.report.graphs = true;
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, NTF_COMMON_SHORTOPTS "i:Pumf:", hist_options,
				  NULL)) != -1) {
		/* judged once --input is known: the directory need not exist for a file */
		if (opt == 'c') {
			cgroup = optarg;
			continue;
		}
		if (opt == 'k') {
			kprobes = true;
			continue;
		}
		if (ntf_parse_common_opt(opt, optarg, &a->c, hist_usage))
			continue;
		switch (opt) {
		case 'i': a->interval_ms = ntf_arg_duration_ms("-i", optarg); break;
		case 'P':
			a->c.report.per_process = true;
			a->c.tracer.cfg.per_process = 1;
			break;
		case 'u': a->c.report.unit = NTF_UNIT_US; break;
		case 'm': a->c.report.unit = NTF_UNIT_MS; break;
		case OPT_BY:
			if (ntf_by_parse(optarg, &a->by, err, sizeof(err)))
				ntf_usage_error("%s", err);
			break;
		case 'f':
			if (top_filter_parse(optarg, &a->filter, err, sizeof(err)))
				ntf_usage_error("-f: %s", err);
			a->filtered = true;
			break;
		case OPT_SVG:
		case OPT_HTML:
			check_writable(opt == OPT_SVG ? "--svg" : "--html", optarg);
			*(opt == OPT_SVG ? &a->svg : &a->html) = optarg;
			break;
		case OPT_TITLE: a->title = optarg; break;
		case OPT_INPUT:
			if (!*optarg)
				ntf_usage_error("--input needs a file name");
			a->input = optarg;
			break;
		case OPT_BUCKETS:
			if (!strcmp(optarg, "fine"))
				a->c.report.fine_graphs = true;
			else if (strcmp(optarg, "log2"))
				ntf_usage_error("--buckets takes log2 or fine, not '%s'", optarg);
			break;
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		a->interval_ms = ntf_arg_duration_ms("INTERVAL", argv[optind++]);
	if (optind < argc)
		a->count = ntf_arg_u64("COUNT", argv[optind++], 1, 1ULL << 32);
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->input) {
		check_input(a, cgroup, kprobes);
	} else {
		a->c.tracer.no_fentry = kprobes;
		if (cgroup)
			a->c.tracer.cfg.cgroup_id = ntf_arg_cgroup(cgroup);
	}
	apply_split(a);
	a->c.tracer.classes = probed_classes(a->c.report.class_mask);
}

/*
 * Deletes every key, so the next interval starts from zero (as funclatency
 * -i); an error, or the next interval would count this one's events again.
 */
static int clear_hists(int fd, size_t key_size)
{
	__u8 key[64];

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Where the maps' keys go: the classic aggregate or --by's groups, past
 * -f. A filter's process terms are judged per tgid while the histograms
 * are walked, and the buckets, which have no name to judge by, follow
 * that verdict.
 */
struct hist_sink {
	const struct hist_args *a;
	struct top_filter key_terms; /* -f less its comm and cgroup: what a bucket's key answers */
	struct ntf_agg *agg;
	struct ntf_groups *groups;
	__u64 now_ms;
	__u32 *kept; /* tgids whose histograms passed, sorted after the walk */
	size_t nkept, cap;
};

static bool key_passes(const struct hist_sink *s, const struct ntf_hist_key *k, const char *comm)
{
	return !s->a->filtered || top_filter_keeps(&s->a->filter, k, comm ? comm : "", s->now_ms);
}

/* A tgid whose histograms passed -f, for its buckets to follow; 0 or -ENOMEM. */
static int remember_kept(struct hist_sink *s, __u32 tgid)
{
	if (s->nkept == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		__u32 *v = realloc(s->kept, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->kept = v;
		s->cap = cap;
	}
	s->kept[s->nkept++] = tgid;
	return 0;
}

static int sink_hist(void *ctx, const struct ntf_hist_key *key, const struct ntf_hist *h,
		     const char *comm)
{
	struct hist_sink *s = ctx;

	if (!key_passes(s, key, comm))
		return 0;
	if (s->a->filtered && remember_kept(s, key->tgid))
		return -ENOMEM;
	if (s->groups)
		return ntf_groups_add_hist(s->groups, key, h, comm);
	return ntf_agg_add_hist(s->agg, key, h, comm);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int sink_bucket(void *ctx, const struct ntf_hist_key *key, __u32 bucket, __u64 n)
{
	struct hist_sink *s = ctx;

	/* the name was judged with the histograms; the rest is the key's own */
	if (s->a->filtered && (!top_filter_keeps(&s->key_terms, key, "", s->now_ms) ||
			       !bsearch(&key->tgid, s->kept, s->nkept, sizeof(*s->kept), cmp_u32)))
		return 0;
	if (s->groups)
		return ntf_groups_add_bucket(s->groups, key, bucket, n);
	return ntf_agg_add_bucket(s->agg, key, bucket, n);
}

static int read_maps(struct tracer *t, struct hist_sink *s)
{
	int err = ntf_walk_hists(tracer__hists_fd(t), tracer__comms_fd(t), sink_hist, s);

	s->key_terms = s->a->filter;
	s->key_terms.comm[0] = '\0';
	s->key_terms.cgroup[0] = '\0';
	qsort(s->kept, s->nkept, sizeof(*s->kept), cmp_u32);
	if (!err)
		err = ntf_walk_buckets(tracer__buckets_fd(t), sink_bucket, s);
	return err;
}

static int print_report(struct tracer *t, const struct hist_args *a, __u64 elapsed_ms)
{
	struct hist_sink s = { .a = a, .now_ms = ntf_now_ms() };
	__u64 counters[NTF_CNT_MAX] = {};
	struct hist_report r;
	int err;

	if (hist_report_init(&r, a))
		return -1;
	r.probes = tracer__probes(t);
	r.ts = ntf_wall_s(); /* the report's time, in its picture and its JSON alike */
	r.elapsed_ms = elapsed_ms;
	s.agg = r.agg;
	s.groups = r.groups;
	tracer__sweep(t);
	err = read_maps(t, &s);
	if (!err)
		err = ntf_read_counters(tracer__counters_fd(t), counters);
	if (err) {
		ntf_err("failed to read the BPF maps: %s", strerror(-err));
		goto out;
	}
	r.drops = counters[NTF_CNT_HIST_DROPS];
	err = hist_report_keep(a, &r);
	if (err)
		goto out;
	if (a->c.json) {
		json_t *root = hist_report_json(a, &r);

		json_object_set_new(root, "counters", ntf_counters_json(counters));
		json_object_set_new(root, "callbacks", ntf_callbacks_json(tracer__callbacks(t)));
		json_object_set_new(
			root, "watch",
			ntf_callbacks_watch_json(tracer__callbacks(t), tracer__watch_overflow(t)));
		hist_json_print(root);
	} else {
		hist_report_text(a, &r);
		ntf_callbacks_unseen_report(stdout, tracer__callbacks(t),
					    tracer__watch_overflow(t));
	}
	fflush(stdout);
out:
	hist_report_fini(&r);
	free(s.kept);
	return err ? -1 : 0;
}

int cmd_hist(int argc, char **argv)
{
	struct hist_args a = {};
	struct ntf_hist_run run = {};
	struct tracer *t;
	__u64 start, last, last_scan, printed = 0;
	int ret = 0, err;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--compare"))
			return cmd_hist_compare(argc, argv);
	parse_hist_args(argc, argv, &a);
	if (a.svg || a.html)
		a.run = &run;
	if (a.input) {
		ret = hist_run_file(&a);
		/* a damaged file's pictures too: of what it held before the damage */
		if (run.n && hist_write_pictures(&a))
			ret = NTF_EXIT_RUNTIME;
		ntf_hist_run_free(&run);
		return ret;
	}
	ntf_install_signals();
	if (ntf_open_tracer(&a.c.tracer, a.c.quiet || a.c.json, &t))
		return NTF_EXIT_RUNTIME;
	/* Also in JSON mode: scripts wait for this line to know probes are live. */
	if (!a.c.quiet)
		fprintf(stderr, "Tracing MMU-notifier paths... Hit Ctrl-C to end.\n");
	start = last = last_scan = ntf_now_ms();
	while (!ntf_exiting) {
		__u64 now = ntf_now_ms();

		if (a.c.duration_ms && now - start >= a.c.duration_ms)
			break;
		if (a.interval_ms && now - last >= a.interval_ms) {
			if (print_report(t, &a, now - last)) {
				ret = NTF_EXIT_RUNTIME;
				goto out;
			}
			err = clear_hists(tracer__hists_fd(t), sizeof(struct ntf_hist_key));
			if (!err)
				err = clear_hists(tracer__buckets_fd(t),
						  sizeof(struct ntf_bucket_key));
			if (err) {
				ntf_err("cannot reset the histograms: %s", strerror(-err));
				ret = NTF_EXIT_RUNTIME;
				goto out;
			}
			last = now;
			if (a.count && ++printed >= a.count)
				goto out;
		}
		/*
		 * Driver modules may come and go while tracing; a driver that
		 * registers is attached at once.
		 */
		if (now - last_scan >= 2000 || tracer__registered(t)) {
			tracer__rescan(t, true);
			last_scan = now;
		}
		usleep(20000);
	}
	if (print_report(t, &a, ntf_now_ms() - last))
		ret = NTF_EXIT_RUNTIME;
out:
	tracer__free(t);
	if (!ret && hist_write_pictures(&a))
		ret = NTF_EXIT_RUNTIME;
	ntf_hist_run_free(&run);
	return ret;
}
