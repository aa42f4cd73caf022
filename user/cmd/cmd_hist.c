// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier hist: latency histograms per event class from the in-kernel
 * aggregation, printed after a duration, per interval, or on Ctrl-C.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static const char hist_usage[] =
	"Usage: notifier hist [OPTIONS] [INTERVAL [COUNT]]\n"
	"\n"
	"Latency histograms of MMU-notifier invalidations, try_to_unmap_one,\n"
	"pin_user_pages* and dma_fence waits, aggregated in the kernel.\n"
	"\n"
	"  -d, --duration SECS     stop after SECS (default: until Ctrl-C)\n"
	"  -i, --interval SECS     print and reset every SECS\n"
	"  -p, --pid PID           only this process\n"
	"  -c, --cgroup DIR        only tasks in this cgroup v2 directory\n"
	"  -P, --per-process       break each class down by process\n"
	"  -e, --class LIST        only these classes (comma separated):\n"
	"                          inval_start,inval_end,unmap,pin,unpin,fence_wait\n"
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
	"Examples:\n"
	"  notifier hist -d 10            # 10 seconds, then histograms\n"
	"  notifier hist -u -P 5 3        # every 5 s, three times, per process\n"
	"  notifier hist -e fence_wait -m # fence waits in msecs until Ctrl-C\n"
	"  notifier hist --compare before.json after.json\n";

static const struct option hist_options[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "per-process", no_argument, NULL, 'P' },
	{ "microseconds", no_argument, NULL, 'u' },
	{ "milliseconds", no_argument, NULL, 'm' },
	NTF_COMMON_LONGOPTS,
	{},
};

struct hist_args {
	struct ntf_common_args c;
	__u64 interval_ms, count;
};

static void parse_hist_args(int argc, char **argv, struct hist_args *a)
{
	int opt;

	a->c.tracer.cfg.aggregate = true;
	/* Who caused each event: no stream here, so BPF classifies. */
	a->c.tracer.cfg.by_origin = true;
	a->c.report.graphs = true;
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, NTF_COMMON_SHORTOPTS "i:Pum", hist_options, NULL)) !=
	       -1) {
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
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		a->interval_ms = ntf_arg_duration_ms("INTERVAL", argv[optind++]);
	if (optind < argc)
		a->count = ntf_arg_u64("COUNT", argv[optind++], 1, 1ULL << 32);
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
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

static int print_report(struct tracer *t, const struct hist_args *a, __u64 elapsed_ms)
{
	struct ntf_agg *agg = ntf_agg_new(0);
	__u64 counters[NTF_CNT_MAX] = {};
	int err;

	if (!agg)
		return -1;
	tracer__sweep(t);
	err = ntf_read_hists(tracer__hists_fd(t), tracer__comms_fd(t), agg);
	if (!err)
		err = ntf_read_buckets(tracer__buckets_fd(t), agg);
	if (!err)
		err = ntf_read_counters(tracer__counters_fd(t), counters);
	if (err) {
		ntf_err("failed to read the BPF maps: %s", strerror(-err));
		ntf_agg_free(agg);
		return err;
	}
	if (a->c.json) {
		json_t *root = ntf_report_json(agg, tracer__probes(t), &a->c.report);

		json_object_set_new(root, "ts", json_real(ntf_wall_s()));
		json_object_set_new(root, "elapsed_ms", json_integer(elapsed_ms));
		json_object_set_new(root, "counters", ntf_counters_json(counters));
		json_object_set_new(root, "callbacks", ntf_callbacks_json(tracer__callbacks(t)));
		json_object_set_new(
			root, "watch",
			ntf_callbacks_watch_json(tracer__callbacks(t), tracer__watch_overflow(t)));
		json_dumpf(root, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		printf("\n--- %.1f s", elapsed_ms / 1000.0);
		if (counters[NTF_CNT_HIST_DROPS])
			printf(", %llu events not aggregated (hist map full)",
			       (unsigned long long)counters[NTF_CNT_HIST_DROPS]);
		printf(" ---\n");
		ntf_report_text(stdout, agg, tracer__probes(t), &a->c.report);
		ntf_callbacks_unseen_report(stdout, tracer__callbacks(t),
					    tracer__watch_overflow(t));
	}
	fflush(stdout);
	ntf_agg_free(agg);
	return 0;
}

int cmd_hist(int argc, char **argv)
{
	struct hist_args a = {};
	struct tracer *t;
	__u64 start, last, last_scan, printed = 0;
	int ret = 0, err;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--compare"))
			return cmd_hist_compare(argc, argv);
	parse_hist_args(argc, argv, &a);
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
	return ret;
}
