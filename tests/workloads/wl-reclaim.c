// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wl-reclaim: make reclaim unmap a known number of pages of an mm that has
 * an MMU notifier (a KVM VM), by madvise(MADV_PAGEOUT) to swap.
 *
 * In 6.1, MADV_PAGEOUT -> madvise_cold_or_pageout_pte_range() isolates each
 * present, exclusively mapped LRU page of the range and reclaim_pages()
 * runs shrink_folio_list() on them: add_to_swap(), then try_to_unmap() ->
 * try_to_unmap_one() once per folio, which brackets the PTE change with one
 * mmu_notifier_invalidate_range_start/end. With THP disabled every page is
 * its own folio, so each page that ends up with a swap PTE cost exactly one
 * try_to_unmap_one() and one invalidate_range_start. Those pages are found
 * afterwards in /proc/self/pagemap (bit 62 swapped, bit 63 present).
 *
 * Only pages already on the LRU are taken; new pages wait in a per-CPU
 * batch that madvise drains on its own CPU only, so the process stays on
 * one CPU. Re-reading the data afterwards swaps the pages back in
 * (do_swap_page(), no invalidation) and checks them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "wl-common.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PM_SWAPPED (1ull << 62)
#define PM_PRESENT (1ull << 63)

static unsigned long pages = 256;
static int use_kvm = 1;

enum {
	OPT_PAGES = WL_OPT_FIRST_PRIVATE,
	OPT_NO_KVM,
};

static const struct option longopts[] = {
	{ "pages", required_argument, NULL, OPT_PAGES },
	{ "no-kvm", no_argument, NULL, OPT_NO_KVM },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char usage[] = "usage: wl-reclaim [options]\n"
			    "Create a KVM VM (an MMU notifier on this mm), fill anonymous pages,\n"
			    "push them to swap with MADV_PAGEOUT, count the swapped pages, read\n"
			    "them back and check them; print one JSON line. Needs active swap.\n"
			    "  --pages P             pages to fill and page out (default 256)\n"
			    "  --no-kvm              same work without the KVM callback\n";

static void handle(int opt, const char *arg)
{
	switch (opt) {
	case OPT_PAGES: pages = wl_parse_ulong("pages", arg, 1, 1ul << 20); break;
	case OPT_NO_KVM: use_kvm = 0; break;
	}
}

/* SwapTotal from /proc/meminfo, in kB. */
static unsigned long long swap_total_kb(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		wl_die_errno("open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SwapTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Count pages of [addr, addr + n pages) whose pagemap entry has bit. */
static unsigned long count_pagemap(int pm, const char *addr, unsigned long n, uint64_t bit)
{
	long ps = wl_page_size();
	unsigned long i, count = 0;
	uint64_t ent[512];
	off_t off = (unsigned long)addr / ps * sizeof(ent[0]);

	for (i = 0; i < n; i++) {
		size_t k = i % 512;

		if (!k) {
			size_t want = (n - i < 512 ? n - i : 512) * sizeof(ent[0]);

			if (pread(pm, ent, want, off + i * sizeof(ent[0])) != (ssize_t)want)
				wl_die_errno("read /proc/self/pagemap");
		}
		if (ent[k] & bit)
			count++;
	}
	return count;
}

static uint64_t pattern(unsigned long page, size_t word)
{
	return 0x5a17c0de00000000ull ^ ((uint64_t)page << 20) ^ word;
}

static void fill(uint64_t *mem, size_t words_per_page)
{
	unsigned long i;
	size_t j;

	for (i = 0; i < pages; i++)
		for (j = 0; j < words_per_page; j++)
			mem[i * words_per_page + j] = pattern(i, j);
}

/* Pages whose contents differ from what fill() wrote. */
static unsigned long verify(const uint64_t *mem, size_t words_per_page)
{
	unsigned long i, bad = 0;
	size_t j;

	for (i = 0; i < pages; i++) {
		for (j = 0; j < words_per_page; j++) {
			if (mem[i * words_per_page + j] != pattern(i, j)) {
				bad++;
				break;
			}
		}
	}
	return bad;
}

static void stay_on_this_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		wl_die_errno("sched_getcpu");
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		wl_die_errno("sched_setaffinity to CPU %d", cpu);
}

int main(int argc, char **argv)
{
	unsigned long swapped, present, present_after, bad;
	unsigned long long swap_kb;
	size_t len, wpp = wl_page_size() / sizeof(uint64_t);
	uint64_t t0, t1, t2, t3;
	uint64_t *mem;
	int pm, vm = -1;

	wl_init("wl-reclaim", usage);
	wl_parse_args(argc, argv, longopts, handle);
	len = pages * wl_page_size();

	swap_kb = swap_total_kb();
	if (!swap_kb)
		wl_die("no swap is active (SwapTotal is 0 kB): set up swap first");
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		wl_die_errno("open /proc/self/pagemap");

	stay_on_this_cpu();
	mem = wl_map_anon(NULL, len, "the pages");
	if (use_kvm)
		vm = wl_kvm_create_vm();
	fill(mem, wpp);
	wl_pause_before();

	t0 = wl_now_ns();
	if (madvise(mem, len, MADV_PAGEOUT))
		wl_die_errno("madvise(MADV_PAGEOUT)");
	t1 = wl_now_ns();
	swapped = count_pagemap(pm, (char *)mem, pages, PM_SWAPPED);
	present = count_pagemap(pm, (char *)mem, pages, PM_PRESENT);

	t2 = wl_now_ns();
	bad = verify(mem, wpp);
	t3 = wl_now_ns();
	present_after = count_pagemap(pm, (char *)mem, pages, PM_PRESENT);

	wl_json_begin("reclaim");
	wl_json_u64("pages", pages);
	wl_json_u64("swapped_out", swapped);
	wl_json_u64("present_after_pageout", present);
	wl_json_u64("present_after_verify", present_after);
	wl_json_u64("mismatches", bad);
	wl_json_bool("kvm", use_kvm);
	wl_json_u64("addr", (unsigned long)mem);
	wl_json_u64("swap_total_kb", swap_kb);
	wl_json_u64("pageout_ns", t1 - t0);
	wl_json_u64("verify_ns", t3 - t2);
	wl_json_end();

	if (bad)
		wl_die("%lu of %lu pages read back wrong after swap-in", bad, pages);
	if (!swapped)
		wl_die("MADV_PAGEOUT swapped out none of %lu pages", pages);
	if (vm >= 0)
		close(vm);
	return 0;
}
