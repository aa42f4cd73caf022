// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier plot: saved `notifier hist -j` output drawn as an SVG picture
 * or an HTML page a browser opens: a latency distribution per group, and
 * a heat map of latency over time when the file holds several reports.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "hist_input.h"
#include "plot_svg.h"

static const char plot_usage[] =
	"Usage: notifier plot [--svg OUT] [--html OUT] [--title TITLE] FILE\n"
	"\n"
	"Draws what `notifier hist -j` printed (FILE, or - for stdin): one latency\n"
	"distribution per group with its p50, p90, p99, p99.9 and max, and, when\n"
	"FILE holds several reports (hist -i), heat maps of latency over time.\n"
	"\n"
	"      --svg OUT           write an SVG picture to OUT (- for stdout)\n"
	"      --html OUT          write an HTML page to OUT: the picture and its\n"
	"                          numbers in tables\n"
	"      --title TITLE       the picture's title (default: the file's name)\n"
	"  -h, --help              this help\n"
	"\n"
	"Examples:\n"
	"  notifier hist -j -i 1 -d 60 > run.json\n"
	"  notifier plot --svg run.svg run.json\n"
	"  notifier plot --html run.html --title 'after the fix' run.json\n";

static const struct option plot_options[] = {
	{ "svg", required_argument, NULL, 's' },
	{ "html", required_argument, NULL, 'H' },
	{ "title", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct plot_args {
	const char *svg, *html, *input;
	struct ntf_plot_opts opts;
};

static void parse_plot_args(int argc, char **argv, struct plot_args *a)
{
	int opt;

	opterr = 0; /* ntf_usage_error says it in one line */
	while ((opt = getopt_long(argc, argv, "h", plot_options, NULL)) != -1) {
		switch (opt) {
		case 's': a->svg = optarg; break;
		case 'H': a->html = optarg; break;
		case 't': a->opts.title = optarg; break;
		case 'h': fputs(plot_usage, stdout); exit(0);
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind >= argc)
		ntf_usage_error("no FILE to draw (a `notifier hist -j` output)");
	a->input = argv[optind++];
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->svg && !a->html)
		ntf_usage_error("nothing to write: give --svg OUT or --html OUT");
	if (a->svg && a->html && !strcmp(a->svg, a->html))
		ntf_usage_error("--svg and --html name the same file '%s'", a->svg);
}

int cmd_plot(int argc, char **argv)
{
	struct ntf_hist_run run = {};
	struct plot_args a = {};
	char err[512];
	bool is_stdin;
	FILE *in;
	int ret = 0;

	parse_plot_args(argc, argv, &a);
	is_stdin = !strcmp(a.input, "-");
	in = is_stdin ? stdin : fopen(a.input, "r");
	if (!in) {
		ntf_err("cannot read %s: %s", a.input, strerror(errno));
		return NTF_EXIT_RUNTIME;
	}
	if (ntf_hist_run_read(in, is_stdin ? "stdin" : a.input, &run, err, sizeof(err))) {
		ntf_err("%s", err);
		ret = NTF_EXIT_RUNTIME;
		goto out;
	}
	if (a.svg && ntf_plot_write(a.svg, false, &run, &a.opts, err, sizeof(err))) {
		ntf_err("%s", err);
		ret = NTF_EXIT_RUNTIME;
		goto out;
	}
	if (a.html && ntf_plot_write(a.html, true, &run, &a.opts, err, sizeof(err))) {
		ntf_err("%s", err);
		ret = NTF_EXIT_RUNTIME;
	}
out:
	ntf_hist_run_free(&run);
	if (!is_stdin)
		fclose(in);
	return ret;
}
