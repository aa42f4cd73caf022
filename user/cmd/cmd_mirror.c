// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * notifier mirror: a debugging aid, not in the help. Mirrors a running
 * notifierd's aggregate over its socket, as notifier-top does, and prints
 * the mirror: what a client sees, to check the daemon and the protocol.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json_log.h"
#include "client.h"
#include "names.h"
#include "report.h"
#include "server.h"

static const char mirror_usage[] =
	"Usage: notifier mirror [OPTIONS]\n"
	"\n"
	"Connects to a running notifierd, mirrors its aggregate (a snapshot, then\n"
	"deltas) and prints the mirror. A debugging aid.\n"
	"\n"
	"  -s, --socket PATH       the daemon's socket (default " NTF_SERVER_DEFAULT_PATH ")\n"
	"  -n, --updates N         stay for N updates: the snapshot, then N-1 deltas (default 1)\n"
	"  -i, --interval SECS     ask for an update every SECS (default: the daemon's)\n"
	"  -t, --timeout SECS      give up after SECS without an update (default 5)\n"
	"  -j, --json              JSON: probes, counters and every entry\n"
	"  -h, --help              this help\n";

static const struct option mirror_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "updates", required_argument, NULL, 'n' },
	{ "interval", required_argument, NULL, 'i' },
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

struct snapshot_args {
	const char *socket;
	__u64 updates, interval_ms, timeout_ms;
	bool json;
};

static void parse_args(int argc, char **argv, struct snapshot_args *a)
{
	int opt;

	a->socket = NTF_SERVER_DEFAULT_PATH;
	a->updates = 1;
	a->timeout_ms = 5000;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "s:n:i:t:jh", mirror_options, NULL)) != -1) {
		switch (opt) {
		case 's': a->socket = optarg; break;
		case 'n': a->updates = ntf_arg_u64("-n", optarg, 1, 1000000); break;
		case 'i': a->interval_ms = ntf_arg_duration_ms("-i", optarg); break;
		case 't': a->timeout_ms = ntf_arg_duration_ms("-t", optarg); break;
		case 'j':
			a->json = true;
			ntf_log_json();
			break;
		case 'h': fputs(mirror_usage, stdout); exit(0);
		default: ntf_usage_error("unknown or incomplete option '%s'", ntf_bad_option(argv));
		}
	}
	if (optind < argc)
		ntf_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->interval_ms > NTF_SERVER_MAX_INTERVAL_MS)
		ntf_usage_error("-i: at most %u s", NTF_SERVER_MAX_INTERVAL_MS / 1000);
}

static json_t *counters_json(const struct ntf_proto_counters *c)
{
	json_t *o = ntf_counters_json(c->kernel);

	json_object_set_new(o, "events", json_integer(c->events));
	json_object_set_new(o, "bad_records", json_integer(c->bad_records));
	json_object_set_new(o, "folded", json_integer(c->folded));
	json_object_set_new(o, "keys", json_integer(c->keys));
	json_object_set_new(o, "clients", json_integer(c->clients));
	json_object_set_new(o, "resyncs", json_integer(c->resyncs));
	json_object_set_new(o, "uptime_ms", json_integer(c->uptime_ms));
	return o;
}

static int entry_json(const struct ntf_agg_entry *e, void *ctx)
{
	json_t *origins = json_object();

	for (unsigned int i = 0; i < NTF_ORIGIN_MAX; i++)
		if (e->origins[i])
			json_object_set_new(origins, ntf_origin_name(i),
					    json_integer(e->origins[i]));
	json_array_append_new(
		ctx, json_pack("{ss sI sI ss so so}", "class", ntf_class_name(e->key.class),
			       "callback_id", (json_int_t)e->key.callback, "tgid",
			       (json_int_t)e->key.tgid, "comm", e->comm, "hist",
			       ntf_hist_json(&e->hist, &e->fine), "origins", origins));
	return 0;
}

static void print_json(struct ntf_client *c, const struct ntf_agg *mirror,
		       const struct ntf_probe_state *probes)
{
	const struct ntf_proto_welcome *w = ntf_client_info(c);
	struct ntf_client_stats cs;
	json_t *entries = json_array(), *root;

	ntf_client_stats(c, &cs);
	ntf_agg_foreach(mirror, entry_json, entries);
	root = json_pack("{ss si sI sI sb sI sI sI so so so}", "type", "snapshot", "version",
			 w->version, "interval_ms", (json_int_t)w->interval_ms, "max_keys",
			 (json_int_t)w->max_keys, "stream", !!(w->flags & NTF_PROTO_W_STREAM),
			 "gen", (json_int_t)cs.gen, "snapshots", (json_int_t)cs.snapshots, "deltas",
			 (json_int_t)cs.deltas, "counters", counters_json(ntf_client_counters(c)),
			 "probes", ntf_probes_json(probes), "entries", entries);
	json_dumpf(root, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(root);
}

static void print_text(struct ntf_client *c, const struct ntf_agg *mirror,
		       const struct ntf_probe_state *probes)
{
	const struct ntf_proto_counters *k = ntf_client_counters(c);
	struct ntf_report_opts ro = { .per_process = true };
	unsigned int live = 0;

	for (unsigned int i = 0; i < ntf_probe_count; i++)
		live += probes[i].attached;
	printf("notifierd: %u of %u probe points live, %zu keys, %llu events, %llu dropped, "
	       "%llu clients, up %.1f s\n",
	       live, ntf_probe_count, ntf_agg_count(mirror), (unsigned long long)k->events,
	       (unsigned long long)k->kernel[NTF_CNT_RB_DROPS], (unsigned long long)k->clients,
	       k->uptime_ms / 1000.0);
	ntf_report_text(stdout, mirror, probes, &ro);
}

int cmd_mirror(int argc, char **argv)
{
	struct snapshot_args a = {};
	struct ntf_probe_state *probes = NULL;
	struct ntf_agg *mirror = NULL;
	struct ntf_client *c = NULL;
	const struct ntf_proto_error *e;
	int ret = NTF_EXIT_RUNTIME, err;
	__u64 got = 0;

	parse_args(argc, argv, &a);
	err = ntf_client_open(a.socket, a.interval_ms, a.timeout_ms, &c);
	if (err) {
		ntf_err("cannot talk to notifierd at %s: %s", a.socket, strerror(-err));
		return NTF_EXIT_RUNTIME;
	}
	/* As big as the daemon's, so no key folds into "other" here. */
	mirror = ntf_agg_new_compact(ntf_client_info(c)->max_keys);
	probes = calloc(ntf_probe_count, sizeof(*probes));
	if (!mirror || !probes) {
		ntf_err("out of memory");
		goto out;
	}
	while (got < a.updates) {
		err = ntf_client_poll(c, mirror, a.timeout_ms);
		if (err <= 0)
			break;
		got += err;
	}
	if (err <= 0) {
		e = ntf_client_error(c);
		if (e)
			ntf_err("notifierd: %s (%s)", e->msg, ntf_proto_err_name(e->code));
		else
			ntf_err("%s", err ? strerror(-err) : "no update in time");
		goto out;
	}
	ntf_client_probe_states(c, probes);
	if (a.json)
		print_json(c, mirror, probes);
	else
		print_text(c, mirror, probes);
	ret = 0;
out:
	ntf_client_free(c);
	ntf_agg_free(mirror);
	free(probes);
	return ret;
}
