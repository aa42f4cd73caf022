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
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../kmod/ntf_testdrv_uapi.h"
#include "wl-common.h"

static unsigned long pages = 64;
static unsigned long iterations = 50;
static struct ntf_testdrv_config config;
static bool with_kvm;

enum {
	OPT_PAGES = WL_OPT_FIRST_PRIVATE,
	OPT_ITERATIONS,
	OPT_SLEEP_US,
	OPT_FENCE_WAIT_US,
	OPT_PIN_PAGES,
	OPT_KVM,
	OPT_FLAVOUR,
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
	"                        classic mmu_notifier: ntf_classic_range_start/_end)\n";

static void handle(int opt, const char *arg)
{
	switch (opt) {
	case OPT_PAGES: pages = wl_parse_ulong("pages", arg, 1, 1ul << 20); break;
	case OPT_ITERATIONS: iterations = wl_parse_ulong("iterations", arg, 1, 10000000); break;
	case OPT_SLEEP_US: config.sleep_us = wl_parse_ulong("sleep-us", arg, 0, 1000000); break;
	case OPT_FENCE_WAIT_US:
		config.fence_wait_us = wl_parse_ulong("fence-wait-us", arg, 0, 5000000);
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
	}
}

int main(int argc, char **argv)
{
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
	}
	t1 = wl_now_ns();
	if (ioctl(fd, NTF_TESTDRV_IOC_STATS, &stats))
		wl_die_errno("NTF_TESTDRV_IOC_STATS");

	wl_json_begin("testdrv");
	wl_json_u64("pages", pages);
	wl_json_u64("iterations", iterations);
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
