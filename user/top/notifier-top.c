// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier-top: the live view. Rows per callback, process or event type,
 * refreshed every interval from a running notifierd, probes of its own,
 * synthetic events or a trace file played back; full screen, or batch
 * snapshots in text or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "heap.h"
#include "json_log.h"
#include "parse.h"
#include "source.h"
#include "top_app.h"
#include "top_tui.h"

static const char usage[] =
	"Usage: notifier-top [OPTIONS]\n"
	"\n"
	"A live view of what MMU notifiers cost: invalidations, unmaps, pins and\n"
	"dma_fence waits per driver callback and process, top style. Reads a running\n"
	"notifierd when there is one, else loads the probes itself (root needed\n"
	"then), or plays a trace file back (--replay). Batch mode is implied when\n"
	"stdout is not a terminal.\n"
	"\n"
	"  -d, --delay SECS        refresh interval (default 1; 0.5, 500ms)\n"
	"  -n, --iterations N      exit after N refreshes\n"
	"  -b, --batch             plain-text snapshots, no full screen (as top -b)\n"
	"  -j, --json              one JSON object per interval (implies -b)\n"
	"                          (batch: SIGINT or SIGTERM prints the interval so far)\n"
	"  -C, --no-clear          batch on a terminal: do not clear between snapshots\n"
	"  -s, --sort COL          sort by COL (see Columns; default rate)\n"
	"  -R, --reverse           reverse the sort order\n"
	"  -r, --rows N            at most N rows a snapshot (batch default 20, 0: all)\n"
	"  -p, --pid PID           only this process\n"
	"  -f, --filter EXPR       only rows the filter keeps (see Filters)\n"
	"  -v, --view VIEW         driver, process, default, class, fence, pin, unmap\n"
	"  -a, --all               also rows with no events in the interval\n"
	"      --synthetic[=SEED]  generated events, not the kernel's (no root needed)\n"
	"      --keys N            synthetic: N (process, driver) pairs (default 50)\n"
	"      --rate N            synthetic: events per second (default 20000)\n"
	"      --replay FILE       a trace file's events (.ntr), shown as they were live:\n"
	"                          intervals, rates and the header's clock are the\n"
	"                          recording's; space or p pauses it; at its end the\n"
	"                          last screen stays (batch: the last snapshot is printed)\n"
	"      --speed X           replay: recording seconds per second (default 1; 0.5,\n"
	"                          4, ...; max or 0: as fast as it goes)\n"
	"      --socket PATH       notifierd's socket (default " TOP_DEFAULT_SOCKET ")\n"
	"      --no-daemon         do not ask notifierd; load the probes here\n"
	"  -k, --kprobes           own probes: skip fentry, use kprobes\n"
	"      --verbose           libbpf's log when loading probes\n"
	"  -h, --help              this help\n"
	"\n"
	"Views (keys 1-7 on screen):\n"
	"  1 driver  2 process  3 default (driver x process)  4 class (event\n"
	"  type)  5 fence (dma_fence waits)  6 pin (pins, unpins)  7 unmap (reclaim)\n"
	"\n"
	"Columns (-s takes the name or the header):\n"
	"  rate     EV/S   events/s: a driver's callback calls, the chain's (\"all\")\n"
	"                  invalidations, a process's events of every class\n"
	"                  (WAIT/S, PIN/S, UNMP/S: of the view's class)\n"
	"  p50, p99, max   latency in the interval: in views 1-3 a driver's callback,\n"
	"                  or invalidate_range_start for \"all\" and processes; the\n"
	"                  row's class in 4, the view's class in 5-7\n"
	"  share    %TIME  share of all time in invalidations (view 4: all time)\n"
	"  fail     FAIL   failed invalidations (a driver's row: its refusals) + failed\n"
	"                  fence waits\n"
	"  blockable BLK%  % of invalidations (a driver's row: of its calls) on\n"
	"                  blockable ranges\n"
	"  nested   NEST   fence waits inside invalidate callbacks (6: pins, 7: unmaps)\n"
	"  pinned   PGPIN  pages pinned; unpinned PGUNP; outstanding OUTSTD since start\n"
	"  reclaim  RECL   unmaps in kswapd or direct reclaim; calls CALLS notifier\n"
	"                  calls the unmaps caused\n"
	"  driver, pid, comm, class: the row's key. Driver \"all\" is the notifier\n"
	"  chain as a whole (invalidate start/end), not one driver's callback.\n"
	"\n"
	"Filters (-f, or / on screen), terms combined:\n"
	"  pid N, comm TEXT, driver NAME (or its id), class LIST (inval_start,...),\n"
	"  cgroup PATH: processes in that cgroup v2 or below it, as /proc/PID/cgroup\n"
	"  names it (\"/system.slice/gpu.service\", or its /sys/fs/cgroup directory)\n"
	"\n"
	"Examples:\n"
	"  sudo notifier-top                  # full screen, 1 s refresh\n"
	"  notifier-top --synthetic --keys 200  # a demo, no root needed\n"
	"  sudo notifier-top -b -n 5 -v fence   # five text snapshots of fence waits\n"
	"  sudo notifier-top -j -d 10 -s p99    # JSON every 10 s, slowest first\n"
	"  notifier-top --replay run.ntr --speed 4   # a recording, four times as fast\n"
	"  notifier-top -j --replay run.ntr --speed max  # its every second, at once\n";

enum {
	OPT_SOCKET = 256,
	OPT_NO_DAEMON,
	OPT_VERBOSE,
	OPT_REPLAY,
	OPT_SPEED,
};

static const struct option options[] = {
	{ "delay", required_argument, NULL, 'd' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "batch", no_argument, NULL, 'b' },
	{ "json", no_argument, NULL, 'j' },
	{ "no-clear", no_argument, NULL, 'C' },
	{ "sort", required_argument, NULL, 's' },
	{ "reverse", no_argument, NULL, 'R' },
	{ "rows", required_argument, NULL, 'r' },
	{ "pid", required_argument, NULL, 'p' },
	{ "filter", required_argument, NULL, 'f' },
	{ "view", required_argument, NULL, 'v' },
	{ "all", no_argument, NULL, 'a' },
	NTF_SYNTH_LONGOPTS,
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "no-daemon", no_argument, NULL, OPT_NO_DAEMON },
	{ "kprobes", no_argument, NULL, 'k' },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct args {
	struct top_opts top;
	bool no_daemon, reverse, rows_set, socket_set, speed_set;
	const char *sort, *socket, *filter;
	struct ntf_synth_args synth;
	struct top_live_opts live;
	const char *replay; /* --replay: a trace file */
	double speed; /* its recording seconds per second; 0: as fast as it goes */
};

/* A replay reads a file: what chooses or loads another source is refused, not ignored. */
static void check_replay(const struct args *a)
{
	const char *other = a->synth.on	      ? "--synthetic" :
			    a->socket_set     ? "--socket" :
			    a->no_daemon      ? "--no-daemon" :
			    a->live.no_fentry ? "-k" :
			    a->live.verbose   ? "--verbose" :
						NULL;

	if (!a->replay) {
		if (a->speed_set)
			ntf_usage_error("--speed needs --replay");
		return;
	}
	if (other)
		ntf_usage_error("--replay plays a file: %s does not apply", other);
	if (a->top.query.filter.cgroup[0])
		ntf_usage_error("-f cgroup looks processes up in this machine's /proc: a "
				"replay's processes are the recording's");
}

static void parse_args(int argc, char **argv, struct args *a)
{
	enum top_view view = TOP_VIEW_DEFAULT;
	bool all = false;
	char err[128];
	__u32 pid = 0;
	int opt;

	a->top.interval_ms = 1000;
	a->socket = TOP_DEFAULT_SOCKET;
	a->speed = 1;
	ntf_synth_args_init(&a->synth);
	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, "d:n:bjCs:Rr:p:f:v:akh", options, NULL)) != -1) {
		if (ntf_parse_synth_opt(opt, optarg, &a->synth))
			continue;
		switch (opt) {
		case 'd':
			a->top.interval_ms = ntf_arg_duration_ms("-d", optarg);
			if (a->top.interval_ms < 10)
				ntf_usage_error("-d: '%s' is too short (10ms at least)", optarg);
			break;
		case 'n': a->top.count = ntf_arg_u64("-n", optarg, 1, 1ULL << 32); break;
		case 'b': a->top.batch = true; break;
		case 'j':
			a->top.json = a->top.batch = true;
			ntf_log_json();
			break;
		case 'C': a->top.no_clear = true; break;
		case 's': a->sort = optarg; break;
		case 'R': a->reverse = true; break;
		case 'r':
			a->top.rows = ntf_arg_u64("-r", optarg, 0, 1 << 24);
			a->rows_set = true;
			break;
		case 'p': pid = ntf_arg_u64("-p", optarg, 1, 0x7fffffff); break;
		case 'f': a->filter = optarg; break;
		case 'v':
			view = top_view_from_name(optarg);
			if (view == TOP_VIEW_MAX)
				ntf_usage_error("-v: unknown view '%s' (driver, process, "
						"default, class, fence, pin, unmap)",
						optarg);
			break;
		case 'a': all = true; break;
		case OPT_SOCKET:
			a->socket = optarg;
			a->socket_set = true;
			break;
		case OPT_REPLAY:
			if (!*optarg)
				ntf_usage_error("--replay needs a file name");
			a->replay = optarg;
			break;
		case OPT_SPEED:
			if (ntf_parse_speed(optarg, &a->speed, err, sizeof(err)))
				ntf_usage_error("--speed: %s", err);
			a->speed_set = true;
			break;
		case OPT_NO_DAEMON: a->no_daemon = true; break;
		case 'k': a->live.no_fentry = true; break;
		case OPT_VERBOSE: a->live.verbose = true; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	ntf_synth_args_check(&a->synth);
	top_query_init(&a->top.query, view);
	if (a->filter && top_filter_parse(a->filter, &a->top.query.filter, err, sizeof(err)))
		ntf_usage_error("-f: %s", err);
	check_replay(a);
	if (pid)
		a->top.query.filter.pid = pid;
	a->top.query.all = all;
	if (a->sort) {
		enum top_col col = top_col_from_name(a->sort);

		if (col == TOP_COL_COUNT)
			ntf_usage_error("-s: unknown column '%s'", a->sort);
		if (!top_view_has_col(view, col))
			ntf_usage_error("-s: the %s view has no column '%s'", top_view_name(view),
					a->sort);
		a->top.query.sort = col;
		a->top.query.ascending = top_col_default_ascending(col);
	}
	if (a->reverse)
		a->top.query.ascending = !a->top.query.ascending;
	/* a pipe or a file gets text, as from top -b */
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		a->top.batch = true;
	if (a->top.batch && !a->rows_set)
		a->top.rows = 20;
}

/* The daemon's view when there is one; probes of our own when not. */
static struct top_feed *open_feed(struct args *a, char *note, size_t len)
{
	struct top_feed *f;

	if (a->replay)
		return top_feed_replay_new(a->replay, a->speed);
	if (a->synth.on)
		return top_feed_synth_new(&a->synth);
	if (!a->no_daemon) {
		f = top_feed_daemon_new(a->socket);
		if (f)
			return f;
		snprintf(note, len, "no notifierd at %s (%s): loading the probes here", a->socket,
			 strerror(errno));
		ntf_info("%s", note);
	}
	return top_feed_live_new(&a->live);
}

static void print_batch(struct top_app *app, unsigned int width)
{
	if (app->opts.json)
		top_print_json(stdout, app);
	else
		top_print_text(stdout, app, width);
}

/*
 * Stopped by a signal: what the feed has pending and the interval so far,
 * however short, as one more snapshot, so that a script's sums over the
 * intervals hold every event seen up to the signal.
 */
static int last_batch(struct top_app *app, unsigned int width)
{
	int err = top_feed_refresh(app->feed, app->cur, 0);

	if (err < 0 && err != -EINTR)
		return err;
	if (top_app_now(app) <= app->last_ms)
		return 0;
	err = top_app_sample(app);
	if (!err)
		print_batch(app, width);
	return err;
}

static int run_batch(struct top_app *app)
{
	const char *cols = getenv("COLUMNS");
	unsigned int width = cols && atoi(cols) > 0 ? atoi(cols) : 80;
	int err;

	while (!ntf_exiting) {
		err = top_app_wait(app, app->last_ms + app->opts.interval_ms, 0);
		if (err)
			return err;
		if (ntf_exiting)
			break;
		/* a replay's end: its last interval, however short, is the last snapshot */
		if (top_app_over(app))
			return 0;
		err = top_app_sample(app);
		if (err)
			return err;
		print_batch(app, width);
		if (app->opts.count && app->samples >= app->opts.count)
			return 0;
	}
	return last_batch(app, width);
}

/* How a replay's file ended, as notifier report says it: 1 when damaged. */
static int say_end(const struct top_feed *f)
{
	if (!f->ended)
		return 0;
	if (f->end_err) {
		ntf_err("%s", f->end_why);
		return NTF_EXIT_RUNTIME;
	}
	if (f->end_short)
		ntf_warn("%s", f->end_why);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {};
	struct top_app app;
	struct top_feed *feed;
	char note[160] = "";
	int err;

	ntf_prog = "notifier-top";
	ntf_heap_setup();
	parse_args(argc, argv, &a);
	ntf_install_signals();
	feed = open_feed(&a, note, sizeof(note));
	if (!feed)
		return NTF_EXIT_RUNTIME;
	err = top_app_init(&app, &a.top, feed);
	if (err) {
		ntf_err("%s feed: %s", feed->name, strerror(-err));
		top_app_free(&app);
		return NTF_EXIT_RUNTIME;
	}
	snprintf(app.note, sizeof(app.note), "%s", note);
	if (a.top.batch)
		err = run_batch(&app);
	else
		err = top_tui_run(&app);
	if (err < 0)
		ntf_err("%s feed: %s", feed->name, strerror(-err));
	else if (!err)
		err = say_end(app.feed);
	top_app_free(&app);
	return err ? NTF_EXIT_RUNTIME : 0;
}
