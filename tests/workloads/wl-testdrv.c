// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wl-testdrv: register the test driver's mmu_interval_notifier (a stand-in
 * for a GPU driver's userptr) on a range of this process, configure how its
 * invalidate behaves (sleep, wait on a dma_fence, pin pages), then
 * invalidate the range a known number of times with madvise(MADV_DONTNEED).
 *
 * Each madvise is one invalidate_range_start/end pair on the mm and one call
 * of the driver's invalidate (the range is one VMA, inside the interval).
 * Without --kvm the driver is the only callback, so the notifier's
 * latency is the driver's; with it KVM registers too, and each madvise
 * calls both, which is what per-callback attribution must tell apart.
 * --flavour registers through a callback no tracer table lists instead,
 * which only callback discovery can attribute.
 *
 * --oom-cgroup makes the OOM reaper meet a driver that refuses: see
 * run_oom().
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kmod/ntf_testdrv_uapi.h"
#include "wl-common.h"

static unsigned long pages = 64;
static unsigned long iterations = 50;
static struct ntf_testdrv_config config;
static bool with_kvm, fence_given, progress;
static const char *oom_cgroup;
static unsigned long oom_limit_mb = 32;

/*
 * The blocker's wait in the OOM mode must outlast the time to the kill,
 * the reaper's delay after it (OOM_REAPER_DELAY, 2 s) and its retries (~1 s), or
 * the victim exits first and the reaper has nothing to reap. The selftest
 * gets there in 4 s; the tracers running beside it here slow the guest.
 */
#define OOM_FENCE_US_DEFAULT 6000000u

enum {
	OPT_PAGES = WL_OPT_FIRST_PRIVATE,
	OPT_ITERATIONS,
	OPT_SLEEP_US,
	OPT_FENCE_WAIT_US,
	OPT_PIN_PAGES,
	OPT_KVM,
	OPT_FLAVOUR,
	OPT_OOM_CGROUP,
	OPT_OOM_LIMIT_MB,
	OPT_PROGRESS,
};

static const char *const flavours[] = {
	[NTF_TESTDRV_INTERVAL] = "interval",
	[NTF_TESTDRV_UNLISTED] = "unlisted",
	[NTF_TESTDRV_CLASSIC] = "classic",
};

static const struct option longopts[] = {
	{ "pages", required_argument, NULL, OPT_PAGES },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "sleep-us", required_argument, NULL, OPT_SLEEP_US },
	{ "fence-wait-us", required_argument, NULL, OPT_FENCE_WAIT_US },
	{ "pin-pages", required_argument, NULL, OPT_PIN_PAGES },
	{ "kvm", no_argument, NULL, OPT_KVM },
	{ "flavour", required_argument, NULL, OPT_FLAVOUR },
	{ "oom-cgroup", required_argument, NULL, OPT_OOM_CGROUP },
	{ "oom-limit-mb", required_argument, NULL, OPT_OOM_LIMIT_MB },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: wl-testdrv [options]\n"
	"Register the test driver's interval notifier on anonymous pages,\n"
	"then invalidate them with madvise(MADV_DONTNEED); print one JSON line.\n"
	"Needs the ntf_testdrv module (" NTF_TESTDRV_DEV ").\n"
	"  --pages P             pages in the range (default 64)\n"
	"  --iterations N        invalidations (default 50)\n"
	"  --sleep-us US         the driver's invalidate sleeps US (default 0)\n"
	"  --fence-wait-us US    ... and waits on a dma_fence signalled after US\n"
	"  --pin-pages N         the driver pins N pages of the range\n"
	"  --kvm                 also create a KVM VM: two callbacks on the mm\n"
	"  --flavour F           interval (default: ntf_invalidate), unlisted (the\n"
	"                        same behind ntf_unlisted_invalidate) or classic (a\n"
	"                        classic mmu_notifier: ntf_classic_range_start/_end)\n"
	"  --oom-cgroup DIR      instead: a child in the cgroup v2 DIR (made, its\n"
	"                        memory.max set) registers the range, parks a thread\n"
	"                        in a blockable invalidate's fence wait (--fence-wait-us,\n"
	"                        default 6 s) and exceeds the limit; the OOM reaper's\n"
	"                        non-blockable invalidations are refused\n"
	"                        (refuse_nonblock). Reports the driver's counts\n"
	"  --oom-limit-mb MB     memory.max of DIR (default 32)\n"
	"  --progress            a line on stderr as each invalidation returns\n"
	"                        (what a signal sent during one lets through)\n";

static void handle(int opt, const char *arg)
{
	switch (opt) {
	case OPT_PAGES: pages = wl_parse_ulong("pages", arg, 1, 1ul << 20); break;
	case OPT_ITERATIONS: iterations = wl_parse_ulong("iterations", arg, 1, 10000000); break;
	case OPT_SLEEP_US: config.sleep_us = wl_parse_ulong("sleep-us", arg, 0, 1000000); break;
	case OPT_FENCE_WAIT_US:
		/* the module's own limit is 10 s */
		config.fence_wait_us = wl_parse_ulong("fence-wait-us", arg, 0, 10000000);
		fence_given = true;
		break;
	case OPT_PIN_PAGES:
		config.pin_pages = wl_parse_ulong("pin-pages", arg, 0, 1ul << 20);
		break;
	case OPT_KVM: with_kvm = true; break;
	case OPT_FLAVOUR:
		for (config.flavour = 0; config.flavour < 3; config.flavour++)
			if (!strcmp(arg, flavours[config.flavour]))
				break;
		if (config.flavour == 3)
			wl_usage_error("--flavour: '%s' is not interval, unlisted or classic", arg);
		break;
	case OPT_OOM_CGROUP: oom_cgroup = arg; break;
	case OPT_OOM_LIMIT_MB: oom_limit_mb = wl_parse_ulong("oom-limit-mb", arg, 4, 1024); break;
	case OPT_PROGRESS: progress = true; break;
	}
}

/* Writes val to DIR/name; -1 with errno set when that fails. */
static int write_cg(const char *dir, const char *name, const char *val)
{
	char path[4096];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	err = errno;
	close(fd);
	if (n == (ssize_t)strlen(val))
		return 0;
	errno = n < 0 ? err : EIO;
	return -1;
}

/* A counter of DIR/memory.events; -1 when it cannot be read. */
static long long cg_event(const char *dir, const char *name)
{
	unsigned long long val;
	char path[4096], key[64];
	long long found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %llu", key, &val) == 2) {
		if (!strcmp(key, name)) {
			found = (long long)val;
			break;
		}
	}
	fclose(f);
	return found;
}

struct blocker {
	char *buf;
	size_t len;
};

/*
 * Its invalidate waits on the fence with mmap_lock held for read: the
 * victim cannot exit until the wait ends, and the reaper's trylock of that
 * lock for read still succeeds, so the reaper reaches the range.
 */
static void *block_in_invalidate(void *arg)
{
	struct blocker *b = arg;

	madvise(b->buf, b->len, MADV_DONTNEED);
	return NULL;
}

/* The OOM victim. Its exit status, when not killed, says where it stopped. */
static void __attribute__((noreturn)) oom_victim(int fd, size_t len)
{
	size_t big_len = (size_t)oom_limit_mb << 23; /* 8 x the limit */
	struct ntf_testdrv_register reg;
	struct blocker b;
	pthread_t thr;
	char *big;

	if (write_cg(oom_cgroup, "cgroup.procs", "0"))
		_exit(10);
	b.len = len;
	b.buf = wl_map_anon(NULL, len, "the range");
	wl_touch_pages(b.buf, len);
	reg.addr = (unsigned long)b.buf;
	reg.len = len;
	if (ioctl(fd, NTF_TESTDRV_IOC_REGISTER, &reg) < 0)
		_exit(11);
	/* mmap needs mmap_lock for write, which the blocker is about to hold */
	big = wl_map_anon(NULL, big_len, "the memory past the limit");
	if (pthread_create(&thr, NULL, block_in_invalidate, &b))
		_exit(12);
	wl_sleep_ms(200); /* the blocker into its wait before the kill */
	wl_touch_pages(big, big_len);
	_exit(13);
}

/*
 * The OOM reaper meets a driver that refuses, as testdrv-selftest's OOM
 * case has it. The file is opened here and inherited: the driver's counts
 * belong to it, and they must outlive the victim to be reported.
 */
static int run_oom(size_t len)
{
	long long kills_before, kills;
	struct ntf_testdrv_stats stats;
	__u32 blocker_wait_us;
	uint64_t t0, t1;
	char limit[32];
	int fd, status = 0;
	pid_t pid, got;
	bool killed;

	if (mkdir(oom_cgroup, 0755) && errno != EEXIST)
		wl_die_errno("mkdir %s", oom_cgroup);
	snprintf(limit, sizeof(limit), "%lu", oom_limit_mb << 20);
	if (write_cg(oom_cgroup, "memory.max", limit))
		wl_die_errno("%s/memory.max (+memory in the parent's cgroup.subtree_control?)",
			     oom_cgroup);
	/* Swap would take the excess instead of the OOM killer. No file: no swap accounting. */
	if (write_cg(oom_cgroup, "memory.swap.max", "0") && errno != ENOENT)
		wl_die_errno("%s/memory.swap.max", oom_cgroup);
	kills_before = cg_event(oom_cgroup, "oom_kill");

	if (!fence_given)
		config.fence_wait_us = OOM_FENCE_US_DEFAULT;
	blocker_wait_us = config.fence_wait_us;
	config.refuse_nonblock = 1;
	fd = open(NTF_TESTDRV_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		wl_die_errno("open %s (is ntf_testdrv loaded?)", NTF_TESTDRV_DEV);
	if (ioctl(fd, NTF_TESTDRV_IOC_CONFIG, &config))
		wl_die_errno("NTF_TESTDRV_IOC_CONFIG");
	wl_pause_before();

	t0 = wl_now_ns();
	fflush(NULL); /* nothing buffered for the child to print again */
	pid = fork();
	if (pid < 0)
		wl_die_errno("fork");
	if (pid == 0)
		oom_victim(fd, len);

	/*
	 * Once the reaper was refused, or the blocker's wait is over, the
	 * victim's exit invalidates the range once more: without a wait then.
	 */
	while (!(got = waitpid(pid, &status, WNOHANG))) {
		if (ioctl(fd, NTF_TESTDRV_IOC_STATS, &stats))
			wl_die_errno("NTF_TESTDRV_IOC_STATS");
		if (stats.refusals || stats.fence_waits)
			break;
		wl_sleep_ms(20);
	}
	if (got < 0)
		wl_die_errno("waitpid");
	config.fence_wait_us = 0;
	if (ioctl(fd, NTF_TESTDRV_IOC_CONFIG, &config))
		wl_die_errno("NTF_TESTDRV_IOC_CONFIG");
	if (!got && waitpid(pid, &status, 0) != pid)
		wl_die_errno("waitpid");
	t1 = wl_now_ns();
	/* every call of the callback on the victim's mm is over: it is reaped */
	if (ioctl(fd, NTF_TESTDRV_IOC_STATS, &stats))
		wl_die_errno("NTF_TESTDRV_IOC_STATS");
	kills = cg_event(oom_cgroup, "oom_kill");
	if (rmdir(oom_cgroup))
		fprintf(stderr, "wl-testdrv: rmdir %s: %s\n", oom_cgroup, strerror(errno));
	killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;

	wl_json_begin("testdrv");
	wl_json_str("mode", "oom");
	wl_json_str("flavour", flavours[config.flavour]);
	wl_json_str("oom_cgroup", oom_cgroup);
	wl_json_u64("memory_max", oom_limit_mb << 20);
	wl_json_u64("pages", pages);
	wl_json_u64("fence_wait_us", blocker_wait_us);
	wl_json_u64("victim_pid", (uint64_t)pid);
	wl_json_bool("victim_killed", killed);
	wl_json_i64("victim_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	wl_json_i64("victim_signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	wl_json_i64("oom_kills", kills >= 0 && kills_before >= 0 ? kills - kills_before : -1);
	wl_json_u64("invalidates", stats.invalidates);
	wl_json_u64("refusals", stats.refusals);
	wl_json_u64("fence_waits", stats.fence_waits);
	wl_json_u64("range_ends", stats.range_ends);
	wl_json_u64("unlisted_calls", stats.unlisted_calls);
	wl_json_u64("elapsed_ns", t1 - t0);
	wl_json_end();
	close(fd);
	return killed ? 0 : 1;
}

int main(int argc, char **argv)
{
	static uint64_t callback_ns[NTF_TESTDRV_MAX_TIMES], fence_ns[NTF_TESTDRV_MAX_TIMES];
	struct ntf_testdrv_times times = {};
	struct ntf_testdrv_register reg;
	struct ntf_testdrv_stats stats;
	unsigned long i, calls = 0;
	uint64_t t0, t1;
	size_t len;
	char *buf;
	int fd, vm = -1;

	wl_init("wl-testdrv", usage);
	wl_parse_args(argc, argv, longopts, handle);
	if (config.pin_pages && config.flavour == NTF_TESTDRV_CLASSIC)
		wl_usage_error("--pin-pages needs an interval flavour");
	if (config.pin_pages > pages)
		wl_usage_error("--pin-pages %u is more than --pages %lu", config.pin_pages, pages);
	len = pages * wl_page_size();
	if (oom_cgroup) {
		if (with_kvm || config.pin_pages)
			wl_usage_error("--oom-cgroup takes neither --kvm nor --pin-pages");
		return run_oom(len);
	}

	buf = wl_map_anon(NULL, len, "the range");
	wl_touch_pages(buf, len);
	if (with_kvm)
		vm = wl_kvm_create_vm(); /* breaks COW itself */
	else
		wl_break_cow();
	fd = open(NTF_TESTDRV_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		wl_die_errno("open %s (is ntf_testdrv loaded?)", NTF_TESTDRV_DEV);
	if (ioctl(fd, NTF_TESTDRV_IOC_CONFIG, &config))
		wl_die_errno("NTF_TESTDRV_IOC_CONFIG");
	reg.addr = (unsigned long)buf;
	reg.len = len;
	if (ioctl(fd, NTF_TESTDRV_IOC_REGISTER, &reg) < 0)
		wl_die_errno("NTF_TESTDRV_IOC_REGISTER");
	wl_pause_before();

	t0 = wl_now_ns();
	for (i = 0; i < iterations; i++) {
		/* Pinned pages stay mapped through DONTNEED's zap; only the rest refault. */
		wl_touch_pages(buf, len);
		if (madvise(buf, len, MADV_DONTNEED))
			wl_die_errno("madvise(MADV_DONTNEED)");
		calls++;
		if (progress)
			fprintf(stderr, "call %lu returned\n", calls);
	}
	t1 = wl_now_ns();
	if (ioctl(fd, NTF_TESTDRV_IOC_STATS, &stats))
		wl_die_errno("NTF_TESTDRV_IOC_STATS");
	times.callback_ns = (unsigned long)callback_ns;
	times.fence_ns = (unsigned long)fence_ns;
	times.max = NTF_TESTDRV_MAX_TIMES;
	if (ioctl(fd, NTF_TESTDRV_IOC_TIMES, &times))
		wl_die_errno("NTF_TESTDRV_IOC_TIMES");

	wl_json_begin("testdrv");
	wl_json_u64("pages", pages);
	wl_json_u64("iterations", iterations);
	/* the driver's own clock: what each listed callback and fence wait took */
	wl_json_u64_array("callback_ns", callback_ns, times.callbacks);
	wl_json_u64_array("fence_wait_ns", fence_ns, times.fences);
	wl_json_u64("calls", calls);
	wl_json_u64("sleep_us", config.sleep_us);
	wl_json_u64("fence_wait_us", config.fence_wait_us);
	wl_json_u64("invalidates", stats.invalidates);
	wl_json_u64("refusals", stats.refusals);
	wl_json_u64("fence_waits", stats.fence_waits);
	wl_json_u64("pinned_pages", stats.pinned_pages);
	wl_json_u64("total_sleep_ns", stats.total_sleep_ns);
	wl_json_str("flavour", flavours[config.flavour]);
	wl_json_u64("range_ends", stats.range_ends);
	wl_json_u64("unlisted_calls", stats.unlisted_calls);
	wl_json_bool("kvm", with_kvm);
	wl_json_u64("elapsed_ns", t1 - t0);
	wl_json_end();
	close(fd);
	if (vm >= 0)
		close(vm);
	return 0;
}
