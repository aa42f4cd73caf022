// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Helpers shared by the workload programs: error exits, option parsing,
 * clocks and a one-line JSON report.
 */
#ifndef WL_COMMON_H
#define WL_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* getopt values of the common options; each program's own start above. */
enum {
	WL_OPT_HELP = 'h',
	WL_OPT_PAUSE = 0x100,
	WL_OPT_HOLD,
	WL_OPT_WAIT_USR1,
	WL_OPT_FIRST_PRIVATE = 0x200,
};

#define WL_COMMON_LONGOPTS                                                    \
	{ "help", no_argument, NULL, WL_OPT_HELP },                           \
		{ "pause-before-ms", required_argument, NULL, WL_OPT_PAUSE }, \
		{ "hold", no_argument, NULL, WL_OPT_HOLD },                   \
	{                                                                     \
		"wait-usr1", no_argument, NULL, WL_OPT_WAIT_USR1              \
	}

#define WL_COMMON_USAGE                                                          \
	"  --pause-before-ms MS  sleep MS ms before the work (tracer attach)\n"  \
	"  --hold                after the report, wait for SIGTERM or SIGINT\n" \
	"                        before exiting (a tracer can stop before the\n" \
	"                        exit's own invalidations)\n"                    \
	"  --wait-usr1           before the work, say 'ready' on stderr and\n"   \
	"                        wait for SIGUSR1 (a tracer can first attach)\n" \
	"  -h, --help            show this help\n"

/* Set once by wl_init(): program name for messages, usage text for --help. */
void wl_init(const char *name, const char *usage);

/* Print "name: message" (plus ": strerror(errno)" for wl_die_errno), exit 1. */
#define WL_NORETURN_PRINTF __attribute__((format(printf, 1, 2), noreturn))
void wl_die(const char *fmt, ...) WL_NORETURN_PRINTF;
void wl_die_errno(const char *fmt, ...) WL_NORETURN_PRINTF;
/* One-line usage error, exit 2. */
void wl_usage_error(const char *fmt, ...) WL_NORETURN_PRINTF;

/*
 * Parse argv with getopt_long; calls handle(opt, optarg) for options not
 * common to all programs. Positional arguments are rejected.
 */
void wl_parse_args(int argc, char **argv, const struct option *longopts,
		   void (*handle)(int opt, const char *arg));
/* Value of an integer option in [min, max], else usage error naming it. */
unsigned long wl_parse_ulong(const char *opt, const char *arg, unsigned long min,
			     unsigned long max);

/* --pause-before-ms and --wait-usr1 as parsed by wl_parse_args(). */
extern unsigned long wl_pause_before_ms;
/* Sleeps the pause, then waits for SIGUSR1 if asked to. */
void wl_pause_before(void);

/*
 * Break copy-on-write of all private writable memory (.data, .bss, stack,
 * heap) before registering a notifier, so later writes to it cost none.
 */
void wl_break_cow(void);

/*
 * Open /dev/kvm and create a VM: KVM registers an MMU notifier on the
 * calling process's mm at KVM_CREATE_VM, no memslot or vCPU needed. The
 * returned VM fd keeps the subscription alive until it is closed.
 */
int wl_kvm_create_vm(void);

/*
 * mmap len bytes of private anonymous memory (at hint if that is free) with
 * THP disabled on the range (MADV_NOHUGEPAGE), so every page is its own
 * 4 KiB folio and khugepaged leaves it alone; what names the memory in an
 * error message.
 */
void *wl_map_anon(void *hint, size_t len, const char *what);
/* Write one byte to every page: write faults, never the shared zero page. */
void wl_touch_pages(void *addr, size_t len);

uint64_t wl_now_ns(void);
void wl_sleep_ms(unsigned long ms);
long wl_page_size(void);

/* --hold as parsed by wl_parse_args(); wl_json_end() then waits. */
extern bool wl_hold;

/*
 * The report: wl_json_begin() opens the object with "workload", "pid" and
 * "kernel" (uname release), the program adds its fields, and wl_json_end()
 * closes it, prints it as one line on stdout and flushes; with --hold it
 * then blocks until SIGTERM or SIGINT.
 */
void wl_json_begin(const char *workload);
void wl_json_u64(const char *key, uint64_t val);
void wl_json_i64(const char *key, int64_t val);
void wl_json_str(const char *key, const char *val);
void wl_json_bool(const char *key, bool val);
void wl_json_u64_array(const char *key, const uint64_t *vals, size_t n);
void wl_json_end(void);

#endif
