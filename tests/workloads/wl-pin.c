// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wl-pin: make the kernel long-term pin a known number of user pages by
 * registering io_uring fixed buffers.
 *
 * In 6.1, IORING_REGISTER_BUFFERS -> io_sqe_buffers_register() calls
 * io_sqe_buffer_register() per iovec, and that calls io_pin_pages(), which
 * does exactly one pin_user_pages(ubuf, nr_pages, FOLL_WRITE |
 * FOLL_LONGTERM, pages, vmas) for the whole buffer (io_uring/rsrc.c). So B
 * buffers of P pages make B pin_user_pages calls pinning B*P pages.
 * Unregistering unpins them page by page (io_buffer_unmap()).
 *
 * 6.1 does not coalesce buffers into huge pages, and the memory here has
 * THP disabled anyway. The pages are written first, so FOLL_WRITE finds
 * them present and exclusive (no fault, no copy), and plain anonymous
 * memory is never in ZONE_MOVABLE/CMA unless the kernel was booted so, so
 * FOLL_LONGTERM migrates nothing.
 *
 * The node counters nr_foll_pin_acquired/released in /proc/vmstat move by
 * the pages pinned/unpinned; they are system-wide, so the deltas reported
 * match B*P only on an otherwise idle system, and exact only as root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "wl-common.h"

static unsigned long buffers = 4;
static unsigned long pages = 16;
static unsigned long hold_ms;
static unsigned long rounds = 1;

enum {
	OPT_BUFFERS = WL_OPT_FIRST_PRIVATE,
	OPT_PAGES,
	OPT_HOLD,
	OPT_ROUNDS,
};

static const struct option longopts[] = {
	{ "buffers", required_argument, NULL, OPT_BUFFERS },
	{ "pages", required_argument, NULL, OPT_PAGES },
	{ "hold-ms", required_argument, NULL, OPT_HOLD },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
	"usage: wl-pin [options]\n"
	"Register anonymous buffers with io_uring (long-term pinning their\n"
	"pages), hold them, unregister; print one JSON line.\n"
	"  --buffers B           buffers to register (default 4)\n"
	"  --pages P             pages per buffer (default 16)\n"
	"  --hold-ms MS          keep them pinned MS ms (default 0)\n"
	"  --rounds N            register and unregister N times (default 1):\n"
	"                        counts are of all rounds, elapsed_ns their time\n";

static void handle(int opt, const char *arg)
{
	switch (opt) {
	case OPT_BUFFERS:
		/* IORING_MAX_REG_BUFFERS */
		buffers = wl_parse_ulong("buffers", arg, 1, 1u << 14);
		break;
	case OPT_PAGES:
		/* a buffer may be at most 1 GiB */
		pages = wl_parse_ulong("pages", arg, 1, 262144);
		break;
	case OPT_HOLD: hold_ms = wl_parse_ulong("hold-ms", arg, 0, 3600000); break;
	case OPT_ROUNDS: rounds = wl_parse_ulong("rounds", arg, 1, 1000000); break;
	}
}

/*
 * Value of a /proc/vmstat counter, or -1 if this kernel has none. Node
 * counters lag behind in per-CPU deltas; vm/stat_refresh (root only) folds
 * them in first, so the value is exact.
 */
static int64_t vmstat(const char *name)
{
	char key[64];
	long long val;
	int64_t ret = -1;
	FILE *f;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			wl_die_errno("write /proc/sys/vm/stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		wl_die_errno("open /proc/vmstat");
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int64_t delta(int64_t before, int64_t after)
{
	return before < 0 || after < 0 ? -1 : after - before;
}

int main(int argc, char **argv)
{
	int64_t acq0, acq1, rel0, rel1;
	struct io_uring_params params;
	uint64_t t0, t1, t2, t3, start, register_ns = 0, unregister_ns = 0;
	struct iovec *iov;
	size_t blen, i;
	char *mem;
	int ring;

	wl_init("wl-pin", usage);
	wl_parse_args(argc, argv, longopts, handle);
	blen = pages * wl_page_size();

	mem = wl_map_anon(NULL, buffers * blen, "the buffers");
	wl_touch_pages(mem, buffers * blen);
	iov = calloc(buffers, sizeof(*iov));
	if (!iov)
		wl_die_errno("allocate %lu iovecs", buffers);
	for (i = 0; i < buffers; i++) {
		iov[i].iov_base = mem + i * blen;
		iov[i].iov_len = blen;
	}

	memset(&params, 0, sizeof(params));
	ring = syscall(SYS_io_uring_setup, 4, &params);
	if (ring < 0)
		wl_die_errno("io_uring_setup");
	wl_pause_before();

	acq0 = vmstat("nr_foll_pin_acquired");
	rel0 = vmstat("nr_foll_pin_released");
	start = wl_now_ns();
	for (unsigned long r = 0; r < rounds; r++) {
		t0 = wl_now_ns();
		if (syscall(SYS_io_uring_register, ring, IORING_REGISTER_BUFFERS, iov, buffers))
			wl_die_errno("io_uring_register(IORING_REGISTER_BUFFERS, %lu x %zu bytes)",
				     buffers, blen);
		t1 = wl_now_ns();
		if (hold_ms) /* even a sleep of 0 costs a timer's slack */
			wl_sleep_ms(hold_ms);
		t2 = wl_now_ns();
		if (syscall(SYS_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0))
			wl_die_errno("io_uring_register(IORING_UNREGISTER_BUFFERS)");
		t3 = wl_now_ns();
		register_ns += t1 - t0;
		unregister_ns += t3 - t2;
	}
	t3 = wl_now_ns();
	acq1 = vmstat("nr_foll_pin_acquired");
	rel1 = vmstat("nr_foll_pin_released");

	wl_json_begin("pin");
	wl_json_u64("buffers", buffers);
	wl_json_u64("pages_per_buffer", pages);
	wl_json_u64("rounds", rounds);
	wl_json_u64("pages_pinned", buffers * pages * rounds);
	wl_json_u64("pin_calls", buffers * rounds);
	wl_json_u64("addr", (unsigned long)mem);
	wl_json_u64("hold_ms", hold_ms);
	wl_json_u64("register_ns", register_ns);
	wl_json_u64("unregister_ns", unregister_ns);
	wl_json_u64("elapsed_ns", t3 - start);
	wl_json_i64("foll_pin_acquired_delta", delta(acq0, acq1));
	wl_json_i64("foll_pin_released_delta", delta(rel0, rel1));
	wl_json_end();

	close(ring);
	return 0;
}
