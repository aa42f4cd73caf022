// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the rules language (query/rules.h): any bytes go
 * to ntf_rules_parse. A file it takes must keep the parser's promises
 * (named, unique rules with an action each, a latency range not empty,
 * strings NUL-terminated within their fields, a signal with the signal
 * action, a command with exec); one it refuses must say where (a line
 * and column inside the text) and why.
 *
 * With NTF_FUZZ_SEEDS=DIR set, writes a seed corpus of valid rules files
 * to DIR and exits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

static const char *const seeds[] = {
	"rule slow-gpu-callback\n"
	"    when class callback and driver amdgpu and latency >= 2ms\n"
	"    do alert, stack, snapshot\n"
	"    limit 5 per 60s\n",
	"rule refusals when failed and class callback do alert\n",
	"rule storm when class inval_start and count >= 1000 in 1s do alert, exec \"/bin/true x\"\n",
	"rule kill-hog when driver testdrv and latency > 50ms and comm \"wl-*\" do signal SIGKILL "
	"limit 1 per 1s\n",
	"# a comment\nrule f when cgroup /gpu.slice and latency >= 1ms and latency < 5ms\n"
	"\tand origin kswapd,direct_reclaim and not blockable and pid 42 do freeze\n",
};

static void write_seeds(const char *dir)
{
	char path[4096];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%zu", dir, i);
		f = fopen(path, "w");
		if (!f)
			continue;
		fputs(seeds[i], f);
		fclose(f);
	}
}

static void check_rule(const struct ntf_rule *r, const struct ntf_rules *all, unsigned int i)
{
	if (!r->name[0] || memchr(r->name, 0, sizeof(r->name)) == NULL || !r->actions || !r->line ||
	    !r->limit || !r->limit_ns)
		abort();
	if (r->lat_min_ns && r->lat_max_ns && r->lat_min_ns > r->lat_max_ns)
		abort();
	if (!memchr(r->driver, 0, sizeof(r->driver)) ||
	    !memchr(r->callback, 0, sizeof(r->callback)) || !memchr(r->comm, 0, sizeof(r->comm)) ||
	    !memchr(r->cgroup, 0, sizeof(r->cgroup)) || !memchr(r->cmd, 0, sizeof(r->cmd)))
		abort();
	if (!!(r->actions & NTF_ACT_SIGNAL) != (r->signal > 0))
		abort();
	if (!!(r->actions & NTF_ACT_EXEC) != !!r->cmd[0])
		abort();
	if ((r->actions & NTF_ACT_STACK) && !(r->actions & NTF_ACT_ALERT))
		abort();
	if (!!r->count_min != !!r->count_window_ns)
		abort();
	for (unsigned int j = 0; j < i; j++)
		if (!strcmp(all->rule[j].name, r->name))
			abort();
}

/*
 * Seeds before any input: an exit from inside a run is a crash to
 * libFuzzer, which leaves a crash file of the empty input behind.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("NTF_FUZZ_SEEDS");

	(void)argc;
	(void)argv;
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntf_rules rules = {};
	struct ntf_rules_error err = {};
	unsigned int lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (ntf_rules_parse((const char *)data, size, &rules, &err)) {
		/* where: inside the text (or just past its last line), and why */
		if (!err.reason[0] || !memchr(err.reason, 0, sizeof(err.reason)) || !err.line ||
		    err.line > lines + 1 || !err.column)
			abort();
		return 0;
	}
	if (rules.n > NTF_RULES_MAX)
		abort();
	for (unsigned int i = 0; i < rules.n; i++)
		check_rule(&rules.rule[i], &rules, i);
	ntf_rules_free(&rules);
	return 0;
}
