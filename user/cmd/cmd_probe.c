// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier probe: the doctor. Loads and attaches everything this kernel
 * allows, then says per probe point and per driver callback what attached
 * by which mechanism, or exactly why not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <jansson.h>
#include "probe_report.h"
#include "cli.h"
#include "policy_ops.h"
#include "json_log.h"
#include "commands.h"
#include "names.h"
#include "report.h"
#include "open_tracer.h"
#include "callback_attach.h"

static const char probe_usage[] =
	"Usage: notifier probe [OPTIONS]\n"
	"\n"
	"Says, for each probe point and each known driver callback, whether it\n"
	"attached here and by what (fentry, kprobe, tracepoint), or why not.\n"
	"Exit status: 0 when the notifier itself (invalidate start and end) is\n"
	"traced, 1 when it is not, 2 on bad options.\n"
	"\n"
	"  -j, --json              JSON instead of text\n"
	"  -P, --probe NAME        only this probe point (e.g. inval_start)\n"
	"  -D, --driver NAME       only this driver's callbacks (e.g. kvm, i915)\n"
	"  -k, --kprobes           skip fentry, use kprobes\n"
	"  -v, --verbose           libbpf's log\n"
	"  -h, --help              this help\n"
	"\n"
	"Examples:\n"
	"  notifier probe                 # the whole report\n"
	"  notifier probe -D amdgpu       # is amdgpu's userptr callback traceable?\n";

static const struct option probe_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "probe", required_argument, NULL, 'P' },
	{ "driver", required_argument, NULL, 'D' },
	{ "kprobes", no_argument, NULL, 'k' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const struct ntf_probe_point *find_point(const char *id)
{
	for (unsigned int i = 0; i < ntf_probe_count; i++)
		if (!strcmp(ntf_probe_points[i].id, id))
			return &ntf_probe_points[i];
	return NULL;
}

static void unknown_probe(const char *id)
{
	char names[1024] = "";
	size_t used = 0;

	for (unsigned int i = 0; i < ntf_probe_count && used < sizeof(names); i++)
		used += snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
				 ntf_probe_points[i].id);
	ntf_usage_error("unknown probe point '%s' (known: %s)", id, names);
}

static void unknown_driver(const char *driver)
{
	char names[1024] = "";
	size_t used = 0;

	for (__u32 id = 1; used < sizeof(names); id++) {
		const char *name = id < ntf_callback_first_discovered() ?
					   ntf_driver_name(id) :
					   ntf_discovered_driver_name(id);

		if (!name)
			break; /* discovered ids are given in order, without gaps */
		if (ntf_callback_id(name) != id)
			continue; /* list each driver once */
		used += snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
				 name);
	}
	ntf_usage_error("unknown driver '%s' (known: %s)", driver, names);
}

/* BPF policies (docs/policy.md): the backend that runs them here, and why not the other. */
static json_t *backends_json(void)
{
	struct ntf_policy_backends b;

	ntf_policy_backends(&b);
	return json_pack("{s:s?, s:{s:b, s:s}, s:{s:b, s:s}}", "live",
			 b.struct_ops ? "struct_ops" :
			 b.portable   ? "portable" :
					NULL,
			 "portable", "available", b.portable, "why", b.portable_why, "struct_ops",
			 "available", b.struct_ops, "why", b.struct_ops_why);
}

static void backends_text(void)
{
	struct ntf_policy_backends b;

	ntf_policy_backends(&b);
	printf("\npolicy backends (docs/policy.md):\n");
	printf("  %-12s %-6s %s\n", "struct_ops", b.struct_ops ? "live" : "-", b.struct_ops_why);
	printf("  %-12s %-6s %s\n", "portable", !b.struct_ops && b.portable ? "live" : "-",
	       b.portable_why);
}

int cmd_probe(int argc, char **argv)
{
	struct tracer_opts topts = { .cfg.aggregate = true };
	const char *only_probe = NULL, *only_driver = NULL;
	const struct ntf_probe_state *probes;
	const struct ntf_callbacks *subs;
	struct tracer *t;
	bool json = false, core;
	struct utsname uts;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "jP:D:kvh", probe_options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			ntf_log_json();
			break;
		case 'P': only_probe = optarg; break;
		case 'D': only_driver = optarg; break;
		case 'k': topts.no_fentry = true; break;
		case 'v': topts.verbose = true; break;
		case 'h': fputs(probe_usage, stdout); exit(0);
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (only_probe && !find_point(only_probe))
		unknown_probe(only_probe);
	if (ntf_open_tracer(&topts, true, &t))
		return NTF_EXIT_RUNTIME;
	/* after the scan: a driver discovery found here is a known one too */
	if (only_driver && !ntf_callback_id(only_driver)) {
		tracer__free(t);
		unknown_driver(only_driver);
	}
	probes = tracer__probes(t);
	subs = tracer__callbacks(t);
	core = tracer__core_live(t);
	uname(&uts);
	if (json) {
		json_t *root = json_object(), *pts = ntf_probes_json(probes), *cbs, *sel;

		sel = json_array();
		for (size_t i = 0; i < json_array_size(pts); i++) {
			json_t *p = json_array_get(pts, i);

			if (!only_probe ||
			    !strcmp(json_string_value(json_object_get(p, "id")), only_probe))
				json_array_append(sel, p);
		}
		json_decref(pts);
		cbs = ntf_callbacks_json(subs);
		if (only_driver) {
			json_t *keep = json_array();

			for (size_t i = 0; i < json_array_size(cbs); i++) {
				json_t *c = json_array_get(cbs, i);

				if (!strcmp(json_string_value(json_object_get(c, "driver")),
					    only_driver))
					json_array_append(keep, c);
			}
			json_decref(cbs);
			cbs = keep;
		}
		json_object_set_new(root, "kernel", json_string(uts.release));
		json_object_set_new(root, "core_live", json_boolean(core));
		json_object_set_new(root, "probes", sel);
		json_object_set_new(root, "callbacks", cbs);
		json_object_set_new(root, "discovery", ntf_callbacks_discovery_json(subs));
		json_object_set_new(root, "policy_backends", backends_json());
		json_dumpf(root, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(root);
	} else {
		printf("kernel %s: the notifier itself is %s\n", uts.release,
		       core ? "traced" : "NOT traced");
		if (!only_driver || only_probe) {
			printf("\nprobe points:\n");
			for (unsigned int i = 0; i < ntf_probe_count; i++)
				if (!only_probe || !strcmp(probes[i].point->id, only_probe))
					ntf_ladder_report_one(stdout, &probes[i]);
		}
		if (!only_probe || only_driver) {
			printf("\ndriver callbacks:\n");
			ntf_callbacks_report(stdout, subs, true, only_driver);
		}
		if (!only_probe && !only_driver)
			backends_text();
	}
	tracer__free(t);
	return core ? 0 : NTF_EXIT_RUNTIME;
}
