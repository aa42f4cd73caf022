// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Selftest of the ntf_testdrv module, run inside the test VM.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o testdrv-selftest testdrv-selftest.c
 * Usage: testdrv-selftest [--oom-cgroup DIR]
 *
 * Prints one "ok"/"not ok" line per check and a closing
 * "N passed, N failed, N skipped" line; exits non-zero if a check failed.
 *
 * With --oom-cgroup, DIR is a cgroup v2 directory to create for a memcg OOM
 * kill, so the OOM reaper invalidates a registered range non-blockably and
 * the module's refuse_nonblock path runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ntf_testdrv_uapi.h"

#define NPAGES		64
#define NR_DONTNEED	20
#define SLEEP_US	150
#define FENCE_US	2000
#define PIN_PAGES	16

/* OOM test: memcg limit, memory the victim touches to exceed it, and how
 * long its stuck invalidate waits (the reaper starts ~2 s after the kill).
 */
#define OOM_LIMIT	(32 << 20)
#define OOM_TOUCH	(256 << 20)
#define OOM_FENCE_US	4000000

static int passed, failed, skipped;
static long page_size;

static void check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (cond)
		passed++;
	else
		failed++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void touch(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += page_size)
		p[off] = (char)off;
}

static char *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static int do_config(int fd, uint32_t sleep_us, uint32_t fence_us,
		     uint32_t refuse, uint32_t pin)
{
	struct ntf_testdrv_config cfg = {
		.sleep_us = sleep_us,
		.fence_wait_us = fence_us,
		.refuse_nonblock = refuse,
		.pin_pages = pin,
	};

	return ioctl(fd, NTF_TESTDRV_IOC_CONFIG, &cfg);
}

static int do_register(int fd, void *addr, size_t len)
{
	struct ntf_testdrv_register reg = {
		.addr = (uintptr_t)addr,
		.len = len,
	};

	return ioctl(fd, NTF_TESTDRV_IOC_REGISTER, &reg);
}

static struct ntf_testdrv_stats get_stats(int fd)
{
	struct ntf_testdrv_stats st;

	if (ioctl(fd, NTF_TESTDRV_IOC_STATS, &st)) {
		perror("NTF_TESTDRV_IOC_STATS");
		exit(2);
	}
	return st;
}

static int open_dev(void)
{
	int fd = open(NTF_TESTDRV_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", NTF_TESTDRV_DEV,
			strerror(errno));
		exit(2);
	}
	return fd;
}

/* Each madvise(MADV_DONTNEED) on the range invalidates it once. */
static void test_sleep(int fd, char *buf, size_t len)
{
	struct ntf_testdrv_stats st;
	uint64_t t0, wall;
	int i, ret;

	ret = do_register(fd, buf, len);
	check(ret >= 0, "register %d pages (ret %d)", NPAGES, ret);
	ret = do_config(fd, SLEEP_US, 0, 0, 0);
	check(ret == 0, "config sleep_us=%d", SLEEP_US);

	t0 = now_ns();
	for (i = 0; i < NR_DONTNEED; i++) {
		touch(buf, len);
		if (madvise(buf, len, MADV_DONTNEED))
			perror("madvise");
	}
	wall = now_ns() - t0;

	st = get_stats(fd);
	check(st.invalidates >= NR_DONTNEED, "invalidates %llu >= %d",
	      (unsigned long long)st.invalidates, NR_DONTNEED);
	check(st.refusals == 0, "refusals %llu == 0",
	      (unsigned long long)st.refusals);
	/* Every sleep lasts at least sleep_us and happens within the loop. */
	check(st.total_sleep_ns >= (uint64_t)NR_DONTNEED * SLEEP_US * 1000 &&
	      st.total_sleep_ns <= wall,
	      "total_sleep_ns %llu in [%llu, loop wall time %llu]",
	      (unsigned long long)st.total_sleep_ns,
	      (unsigned long long)NR_DONTNEED * SLEEP_US * 1000,
	      (unsigned long long)wall);
}

/* The fence is signalled by a timer: the invalidate waits at least that. */
static void test_fence(int fd, char *buf, size_t len)
{
	struct ntf_testdrv_stats before, st;
	uint64_t t0, wall;
	int ret;

	ret = do_config(fd, 0, FENCE_US, 0, 0);
	check(ret == 0, "config fence_wait_us=%d", FENCE_US);
	before = get_stats(fd);

	touch(buf, len);
	t0 = now_ns();
	madvise(buf, len, MADV_DONTNEED);
	wall = now_ns() - t0;

	st = get_stats(fd);
	check(st.fence_waits - before.fence_waits == 1,
	      "fence_waits grew by %llu (want 1)",
	      (unsigned long long)(st.fence_waits - before.fence_waits));
	check(wall >= FENCE_US * 1000ull, "madvise took %llu ns >= %d us",
	      (unsigned long long)wall, FENCE_US);
	check(st.total_sleep_ns == before.total_sleep_ns,
	      "no sleep counted with sleep_us=0");
}

static void test_pin(void)
{
	size_t len = NPAGES * page_size;
	struct ntf_testdrv_stats st;
	char *buf = map_anon(len);
	int fd = open_dev(), ret;

	touch(buf, len);
	ret = do_config(fd, 0, 0, 0, PIN_PAGES);
	check(ret == 0, "config pin_pages=%d", PIN_PAGES);
	ret = do_register(fd, buf, len);
	check(ret >= 0, "register with pinning (ret %d)", ret);
	st = get_stats(fd);
	check(st.pinned_pages == PIN_PAGES, "pinned_pages %llu == %d",
	      (unsigned long long)st.pinned_pages, PIN_PAGES);

	/* Pinned pages stay pinned across an invalidation of their range. */
	madvise(buf, len, MADV_DONTNEED);
	st = get_stats(fd);
	check(st.invalidates >= 1 && st.pinned_pages == PIN_PAGES,
	      "after DONTNEED: invalidates %llu, pinned_pages %llu",
	      (unsigned long long)st.invalidates,
	      (unsigned long long)st.pinned_pages);

	ret = do_register(fd, buf, PIN_PAGES * page_size - 1);
	check(ret < 0 && errno == EINVAL,
	      "range shorter than pin_pages refused (errno %d)", errno);

	close(fd);	/* unpins */
	munmap(buf, len);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

struct oom_victim {
	char *buf;
	size_t len;
};

static void *oom_blocker(void *arg)
{
	struct oom_victim *v = arg;

	/* Sits in the invalidate's fence wait, holding mmap_lock for read. */
	madvise(v->buf, v->len, MADV_DONTNEED);
	return NULL;
}

/*
 * Child: join the memcg, register a range, park a thread inside its
 * invalidate so the process cannot exit quickly, then exceed the limit.
 * The memcg OOM killer kills it and the OOM reaper, finding it still
 * alive, unmaps its memory with non-blockable notifier ranges.
 */
static void oom_child(int fd, const char *cg)
{
	char procs[512];
	struct oom_victim v;
	pthread_t thr;
	char *big;
	size_t off;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	if (write_file(procs, "0"))
		_exit(10);

	v.len = NPAGES * page_size;
	v.buf = map_anon(v.len);
	touch(v.buf, v.len);
	if (do_register(fd, v.buf, v.len) < 0)
		_exit(11);
	/* Map before the blocker holds mmap_lock; faults only need it read. */
	big = map_anon(OOM_TOUCH);

	if (pthread_create(&thr, NULL, oom_blocker, &v))
		_exit(12);
	usleep(200000);
	for (off = 0; off < OOM_TOUCH; off += page_size)
		big[off] = 1;
	_exit(13);	/* not killed: the limit did not hold */
}

static void test_oom_refusal(const char *cg)
{
	struct ntf_testdrv_stats st;
	char path[512], limit[32];
	int fd, status = 0, i;
	pid_t pid;

	if (!cg) {
		printf("ok - # SKIP OOM-reaper refusal (no --oom-cgroup)\n");
		skipped++;
		return;
	}

	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(limit, sizeof(limit), "%d", OOM_LIMIT);
	if ((mkdir(cg, 0755) && errno != EEXIST) || write_file(path, limit)) {
		check(0, "set up memcg %s: %s", cg, strerror(errno));
		return;
	}

	fd = open_dev();
	check(do_config(fd, 0, OOM_FENCE_US, 1, 0) == 0,
	      "config fence_wait_us=%d refuse_nonblock=1", OOM_FENCE_US);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		oom_child(fd, cg);

	/* Once the reaper was refused, let the exit-time invalidate be quick. */
	for (i = 0; i < 300; i++) {
		st = get_stats(fd);
		if (st.refusals)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		usleep(100000);
	}
	do_config(fd, 0, 0, 1, 0);
	if (pid)
		waitpid(pid, &status, 0);

	st = get_stats(fd);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "memcg OOM killed the child (status 0x%x)", status);
	check(st.refusals >= 1, "refusals %llu >= 1 (OOM reaper, non-blockable)",
	      (unsigned long long)st.refusals);
	check(st.fence_waits >= 1, "fence_waits %llu >= 1 (blocker)",
	      (unsigned long long)st.fence_waits);
	close(fd);
	rmdir(cg);
}

static void test_limits(void)
{
	size_t len = 4 * page_size;
	char *buf = map_anon(len);
	int fd = open_dev(), i, ret = 0;

	for (i = 0; i < NTF_TESTDRV_MAX_RANGES; i++) {
		ret = do_register(fd, buf, len);
		if (ret != i)
			break;
	}
	check(i == NTF_TESTDRV_MAX_RANGES, "%d overlapping ranges registered",
	      i);
	ret = do_register(fd, buf, len);
	check(ret < 0 && errno == ENOSPC, "one more is refused with ENOSPC");
	ret = do_register(fd, buf, 0);
	check(ret < 0 && errno == EINVAL, "zero length refused with EINVAL");

	/* Every range sees the same invalidation. */
	madvise(buf, len, MADV_DONTNEED);
	check(get_stats(fd).invalidates >= NTF_TESTDRV_MAX_RANGES,
	      "one DONTNEED reached all %d ranges", NTF_TESTDRV_MAX_RANGES);
	close(fd);
	munmap(buf, len);
}

int main(int argc, char **argv)
{
	const char *oom_cg = NULL;
	size_t len;
	char *buf;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--oom-cgroup")) {
		oom_cg = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--oom-cgroup DIR]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	page_size = sysconf(_SC_PAGESIZE);
	len = NPAGES * page_size;

	fd = open_dev();
	buf = map_anon(len);
	touch(buf, len);
	test_sleep(fd, buf, len);
	test_fence(fd, buf, len);
	close(fd);
	munmap(buf, len);

	test_pin();
	test_limits();
	test_oom_refusal(oom_cg);

	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
