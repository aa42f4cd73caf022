// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What one callback-discovery pass costs (the task iterator every rescan
 * runs), with the processes this machine has and again with 2000 more idle
 * ones forked for the purpose: the difference is the cost per process.
 * Needs root; says why and exits 0 where the iterator cannot load.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "discover.h"

#define PASSES 200
#define EXTRA 2000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned int count_processes(void)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	unsigned int n = 0;

	while (dir && (de = readdir(dir)))
		n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
	if (dir)
		closedir(dir);
	return n;
}

static double pass_ms(struct ntf_discovery *d, int *found)
{
	static struct ntf_found_callback f[NTF_DISCOVER_MAX];
	__u64 dropped;
	double t0 = now_s();

	for (int i = 0; i < PASSES; i++)
		*found = ntf_discovery_run(d, f, NTF_DISCOVER_MAX, &dropped);
	return (now_s() - t0) / PASSES * 1e3;
}

int main(void)
{
	static pid_t kids[EXTRA];
	struct ntf_discovery *d;
	unsigned int before, after;
	double base, more;
	char why[256];
	int found;

	if (ntf_discovery_new(&d, why, sizeof(why))) {
		printf("discovery: not measured here: %s\n", why);
		return 0;
	}
	before = count_processes();
	base = pass_ms(d, &found);
	for (int i = 0; i < EXTRA; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	after = count_processes();
	more = pass_ms(d, &found);
	for (int i = 0; i < EXTRA; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	printf("discovery pass (%d callbacks found), mean of %d:\n", found, PASSES);
	printf("  %5u processes  %8.3f ms  1.00\n", before, base);
	printf("  %5u processes  %8.3f ms  %.2f  (%.2f us per process)\n", after, more, more / base,
	       (more - base) * 1e3 / (after - before));
	ntf_discovery_free(d);
	return 0;
}
