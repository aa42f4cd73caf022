// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wl-kvm: make the kernel invalidate ranges of an mm that has a real MMU
 * notifier callback (a KVM VM), a known number of times.
 *
 * What each op costs in mmu_notifier_invalidate_range_start() calls on the
 * mm, from the 6.1 sources (mm/madvise.c, mm/mmap.c, mm/memory.c,
 * mm/mprotect.c):
 *
 *  madvise   madvise(MADV_DONTNEED) -> madvise_dontneed_single_vma() ->
 *            zap_page_range_single(): one start/end pair per VMA in the
 *            range, whether or not pages are present. The range is one VMA.
 *  munmap    munmap() -> do_mas_align_munmap() -> unmap_region() ->
 *            unmap_vmas(): one pair per munmap call, for all VMAs in it.
 *            The mmap() that follows adds none.
 *  mprotect  mprotect() -> mprotect_fixup() -> change_protection():
 *            change_pmd_range() starts the notifier lazily, once per call,
 *            i.e. once per PUD (1 GiB) the range covers, and only if it
 *            finds a populated PMD there (later kernels do the same one
 *            level up, per 512 GiB, in change_pud_range()). The pages are
 *            touched and the range is placed inside one 1 GiB region, so
 *            each mprotect() costs exactly one on either; there are two
 *            per iteration (read-only, then back to read-write).
 *
 *  cow       fork() a child that only waits, then write every page: each
 *            write finds the page shared with the child and takes
 *            wp_page_copy(), one start/end pair (MMU_NOTIFY_CLEAR) per
 *            page, from a page fault. fork() itself adds at least one
 *            (copy_page_range(), MMU_NOTIFY_PROTECTION_PAGE, from clone),
 *            and the parent's stack or data pages written before the
 *            child is reaped add a few more faults of the same kind:
 *            "fault_window" counts every minor fault the parent took from
 *            just before fork() until the child was reaped, an upper bound
 *            of the fault-caused invalidations.
 *
 * The write touches add none: a first write to an anonymous page takes
 * do_anonymous_page(), and a write after mprotect() finds the page
 * exclusive (reused in place, or already made writable by mprotect), so
 * wp_page_copy(), which does notify, is never reached. THP is disabled on
 * the range so no huge PMD is split or collapsed.
 *
 * With --no-kvm, "calls" counts the same syscalls, but the mm has no
 * notifier, so the kernel skips __mmu_notifier_invalidate_range_start().
 * Process exit adds one more start on the mm (exit_mmap() -> unmap_vmas()),
 * after KVM's subscription has been released.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "wl-common.h"

enum op { OP_MADVISE, OP_MUNMAP, OP_MPROTECT, OP_COW };
static const char *const op_names[] = { "madvise", "munmap", "mprotect", "cow" };

static enum op op = OP_MADVISE;
static unsigned long pages = 64;
static unsigned long iterations = 100;
static int use_kvm = 1;

enum {
	OPT_OP = WL_OPT_FIRST_PRIVATE,
	OPT_PAGES,
	OPT_ITERATIONS,
	OPT_NO_KVM,
};

static const struct option longopts[] = {
	{ "op", required_argument, NULL, OPT_OP },
	{ "pages", required_argument, NULL, OPT_PAGES },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "no-kvm", no_argument, NULL, OPT_NO_KVM },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: wl-kvm [options]\n"
	"Create a KVM VM (an MMU notifier on this mm), then repeatedly touch\n"
	"anonymous pages and invalidate them; print one JSON line.\n"
	"  --op OP               madvise (MADV_DONTNEED), munmap (munmap+mmap)\n"
	"                        mprotect (read-only, then read-write) or cow\n"
	"                        (fork, then write every page while the child\n"
	"                        lives); default madvise\n"
	"  --pages P             pages in the range (default 64)\n"
	"  --iterations N        touch+invalidate rounds (default 100)\n"
	"  --no-kvm              same work without the KVM callback\n";

static void handle(int opt, const char *arg)
{
	unsigned int i;

	switch (opt) {
	case OPT_OP:
		for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (!strcmp(arg, op_names[i]))
				break;
		if (i == sizeof(op_names) / sizeof(op_names[0]))
			wl_usage_error("--op: '%s' is not madvise, munmap, mprotect or cow", arg);
		op = i;
		break;
	case OPT_PAGES: pages = wl_parse_ulong("pages", arg, 1, 1ul << 20); break;
	case OPT_ITERATIONS: iterations = wl_parse_ulong("iterations", arg, 1, 100000000); break;
	case OPT_NO_KVM: use_kvm = 0; break;
	}
}

#define GIB (1ul << 30)

static bool crosses_gib(const char *p, size_t len)
{
	return ((unsigned long)p ^ ((unsigned long)p + len - 1)) >= GIB;
}

/* The range; for mprotect inside one 1 GiB region (see above). */
static char *map_range(size_t len)
{
	char *p = wl_map_anon(NULL, len, "the range");
	char *hint;

	if (op != OP_MPROTECT || !crosses_gib(p, len))
		return p;
	/*
	 * Move it to end at the 1 GiB boundary it straddles: mmap places new
	 * mappings top-down, so the space below is most likely free.
	 */
	hint = (char *)((((unsigned long)p + len) & ~(GIB - 1)) - len);
	if (munmap(p, len))
		wl_die_errno("munmap");
	p = wl_map_anon(hint, len, "the range");
	if (crosses_gib(p, len))
		wl_die("cannot place %zu bytes inside one 1 GiB region", len);
	return p;
}

static unsigned long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		wl_die_errno("getrusage");
	return (unsigned long)ru.ru_minflt;
}

/*
 * One fork, then every page written while the child holds it shared: the
 * copy-on-write faults the test counts. Returns the parent's minor faults
 * from before fork() until the child was reaped.
 */
static unsigned long cow_round(char *buf, size_t len)
{
	unsigned long before = minor_faults();
	pid_t child = fork();

	if (child < 0)
		wl_die_errno("fork");
	if (child == 0)
		for (;;)
			pause();
	wl_touch_pages(buf, len);
	if (kill(child, SIGKILL))
		wl_die_errno("kill");
	if (waitpid(child, NULL, 0) != child)
		wl_die_errno("waitpid");
	return minor_faults() - before;
}

int main(int argc, char **argv)
{
	size_t len;
	unsigned long i, calls = 0, fault_window = 0;
	uint64_t t0, t1;
	char *buf, *first;
	int vm = -1;

	wl_init("wl-kvm", usage);
	wl_parse_args(argc, argv, longopts, handle);
	len = pages * wl_page_size();

	if (op == OP_MPROTECT && len > GIB)
		wl_usage_error("--op mprotect takes at most %lu pages", GIB / wl_page_size());

	first = buf = map_range(len);
	if (use_kvm)
		vm = wl_kvm_create_vm();
	wl_pause_before();

	t0 = wl_now_ns();
	for (i = 0; i < iterations; i++) {
		wl_touch_pages(buf, len);
		switch (op) {
		case OP_MADVISE:
			if (madvise(buf, len, MADV_DONTNEED))
				wl_die_errno("madvise(MADV_DONTNEED)");
			calls++;
			break;
		case OP_MUNMAP:
			if (munmap(buf, len))
				wl_die_errno("munmap");
			calls++;
			buf = map_range(len);
			break;
		case OP_MPROTECT:
			if (mprotect(buf, len, PROT_READ))
				wl_die_errno("mprotect(PROT_READ)");
			if (mprotect(buf, len, PROT_READ | PROT_WRITE))
				wl_die_errno("mprotect(PROT_READ|PROT_WRITE)");
			calls += 2;
			break;
		case OP_COW:
			fault_window += cow_round(buf, len);
			calls += pages;
			break;
		}
	}
	t1 = wl_now_ns();

	wl_json_begin("kvm");
	wl_json_str("op", op_names[op]);
	wl_json_u64("iterations", iterations);
	wl_json_u64("pages", pages);
	wl_json_u64("calls", calls);
	if (op == OP_COW)
		wl_json_u64("fault_window", fault_window);
	wl_json_bool("kvm", use_kvm);
	wl_json_u64("addr", (unsigned long)first);
	wl_json_u64("elapsed_ns", t1 - t0);
	wl_json_end();

	if (vm >= 0)
		close(vm);
	return 0;
}
