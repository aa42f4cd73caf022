// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* notifier: command dispatch, bpftool style. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "heap.h"

#define NOTIFIER_VERSION "0.1.0"

static const char main_usage[] =
	"Usage: notifier COMMAND [OPTIONS]\n"
	"\n"
	"Shows what MMU notifiers cost: invalidations, the unmaps and pins around\n"
	"them, and the dma_fence waits inside them.\n"
	"\n"
	"Commands:\n"
	"  hist      latency histograms per event class\n"
	"  plot      draw saved hist -j output as an SVG picture or HTML page\n"
	"  policy    try a BPF policy on a trace file\n"
	"  probe     what attached here, by which mechanism, or why not\n"
	"  record    record the events into a trace file\n"
	"  report    summarise or list a trace file's events\n"
	"  help      this help\n"
	"  version   print the version\n"
	"\n"
	"'notifier COMMAND --help' describes each command. The daemon is notifierd.\n";

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(main_usage, stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("notifier %s\n", NOTIFIER_VERSION);
	return 0;
}

/* A debugging aid (cmd_mirror.c): prints what a notifierd client mirrors. */
int cmd_mirror(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool hidden; /* a debugging aid, left out of the help */
} commands[] = {
	/* One command a line: tests read the table. */
	/* clang-format off */
	{ "hist", cmd_hist, false },
	{ "plot", cmd_plot, false },
	{ "policy", cmd_policy, false },
	{ "probe", cmd_probe, false },
	{ "record", cmd_record, false },
	{ "report", cmd_report, false },
	{ "help", cmd_help, false },
	{ "version", cmd_version, false },
	{ "mirror", cmd_mirror, true },
	/* clang-format on */
};

int main(int argc, char **argv)
{
	static char prog[32];

	if (argc < 2) {
		fputs(main_usage, stderr);
		return NTF_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		snprintf(prog, sizeof(prog), "notifier %s", commands[i].name);
		ntf_prog = prog;
		ntf_heap_setup();
		return commands[i].fn(argc - 1, argv + 1);
	}
	ntf_usage_error("unknown command '%s'", argv[1]);
}
