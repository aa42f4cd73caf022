// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "wl-common.h"

static const char *wl_name = "wl";
static const char *wl_usage;
unsigned long wl_pause_before_ms;
bool wl_hold;

/* Blocked from parse time, so a signal sent early waits for sigwait(). */
static sigset_t hold_signals;
static sigset_t start_signals;
static bool wait_usr1;

void wl_init(const char *name, const char *usage)
{
	wl_name = name;
	wl_usage = usage;
}

static void vmsg(const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: ", wl_name);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void wl_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void wl_die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void wl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", wl_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(2);
}

unsigned long wl_parse_ulong(const char *opt, const char *arg, unsigned long min, unsigned long max)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || val < min || val > max)
		wl_usage_error("--%s: '%s' is not an integer in [%lu, %lu]", opt, arg, min, max);
	return val;
}

/* Long name of an option value, for messages about it. */
static const char *opt_name(const struct option *longopts, int val)
{
	for (; longopts->name; longopts++)
		if (longopts->val == val)
			return longopts->name;
	return "?";
}

void wl_parse_args(int argc, char **argv, const struct option *longopts,
		   void (*handle)(int opt, const char *arg))
{
	int c;

	/* Report errors ourselves, on one line. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case WL_OPT_HELP:
			fputs(wl_usage, stdout);
			fputs(WL_COMMON_USAGE, stdout);
			exit(0);
		case WL_OPT_PAUSE:
			wl_pause_before_ms =
				wl_parse_ulong(opt_name(longopts, c), optarg, 0, 3600000);
			break;
		case WL_OPT_HOLD:
			wl_hold = true;
			sigemptyset(&hold_signals);
			sigaddset(&hold_signals, SIGTERM);
			sigaddset(&hold_signals, SIGINT);
			sigprocmask(SIG_BLOCK, &hold_signals, NULL);
			break;
		case WL_OPT_WAIT_USR1:
			wait_usr1 = true;
			sigemptyset(&start_signals);
			sigaddset(&start_signals, SIGUSR1);
			sigprocmask(SIG_BLOCK, &start_signals, NULL);
			break;
		case ':': wl_usage_error("option '%s' needs an argument", argv[optind - 1]);
		case '?': wl_usage_error("unknown option '%s'", argv[optind - 1]);
		default: handle(c, optarg);
		}
	}
	if (optind < argc)
		wl_usage_error("unexpected argument '%s'", argv[optind]);
}

uint64_t wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void wl_sleep_ms(unsigned long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void wl_pause_before(void)
{
	int sig;

	if (wl_pause_before_ms)
		wl_sleep_ms(wl_pause_before_ms);
	if (!wait_usr1)
		return;
	fprintf(stderr, "%s: ready, waiting for SIGUSR1\n", wl_name);
	sigwait(&start_signals, &sig);
}

long wl_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps <= 0)
		wl_die_errno("sysconf(_SC_PAGESIZE)");
	return ps;
}

void wl_break_cow(void)
{
	/*
	 * A first write to a page still mapped read-only (a zero page or the
	 * file's page) goes through wp_page_copy(), which invalidates that
	 * page through the notifier. Best effort: without it the report's
	 * stdio and exit may add such an invalidation.
	 */
	if (!mlockall(MCL_CURRENT))
		munlockall();
}

int wl_kvm_create_vm(void)
{
	int kvm, vm, ver;

	wl_break_cow();

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		wl_die_errno("open /dev/kvm");
	ver = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (ver < 0)
		wl_die_errno("ioctl KVM_GET_API_VERSION");
	if (ver != KVM_API_VERSION)
		wl_die("KVM_GET_API_VERSION: got %d, expected %d", ver, KVM_API_VERSION);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		wl_die_errno("ioctl KVM_CREATE_VM");
	close(kvm);
	return vm;
}

void *wl_map_anon(void *hint, size_t len, const char *what)
{
	void *p;

	p = mmap(hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		wl_die_errno("mmap %zu bytes for %s", len, what);
	if (madvise(p, len, MADV_NOHUGEPAGE))
		wl_die_errno("madvise(MADV_NOHUGEPAGE) for %s", what);
	return p;
}

void wl_touch_pages(void *addr, size_t len)
{
	volatile char *p = addr;
	size_t ps = wl_page_size(), off;

	for (off = 0; off < len; off += ps)
		p[off] = (char)(off / ps + 1);
}

static bool json_first;

static void json_key(const char *key)
{
	printf("%s\"%s\":", json_first ? "" : ",", key);
	json_first = false;
}

void wl_json_str(const char *key, const char *val)
{
	json_key(key);
	putchar('"');
	for (; *val; val++) {
		unsigned char ch = *val;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void wl_json_u64(const char *key, uint64_t val)
{
	json_key(key);
	printf("%llu", (unsigned long long)val);
}

void wl_json_i64(const char *key, int64_t val)
{
	json_key(key);
	printf("%lld", (long long)val);
}

void wl_json_bool(const char *key, bool val)
{
	json_key(key);
	fputs(val ? "true" : "false", stdout);
}

void wl_json_u64_array(const char *key, const uint64_t *vals, size_t n)
{
	size_t i;

	json_key(key);
	putchar('[');
	for (i = 0; i < n; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)vals[i]);
	putchar(']');
}

void wl_json_begin(const char *workload)
{
	struct utsname uts;

	/* Anything printed earlier must not share the report's line. */
	fflush(stdout);
	putchar('{');
	json_first = true;
	wl_json_str("workload", workload);
	wl_json_u64("pid", (uint64_t)getpid());
	wl_json_str("kernel", uname(&uts) ? "unknown" : uts.release);
}

void wl_json_end(void)
{
	int sig;

	puts("}");
	if (fflush(stdout))
		wl_die_errno("write report to stdout");
	if (wl_hold)
		sigwait(&hold_signals, &sig);
}
