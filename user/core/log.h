/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one logger: every message a program or the library prints about
 * itself goes through here, prefixed with the program's name. Errors can
 * be turned into JSON lines on stdout (bpftool's way), so that a -j run's
 * output stays JSON even when it fails; the writer that does that lives
 * above core (report/json_log.c), which keeps core free of jansson.
 */
#ifndef NTF_LOG_H
#define NTF_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum ntf_log_level {
	NTF_LOG_ERROR,
	NTF_LOG_WARN,
	NTF_LOG_INFO, /* what changed while running: a driver appeared, a client left */
	NTF_LOG_DEBUG, /* -v */
};

/* The program's name, for every message's prefix ("notifierd"). */
extern const char *ntf_prog;

/* Messages above level are dropped; INFO by default. */
void ntf_log_set_level(enum ntf_log_level level);
enum ntf_log_level ntf_log_level(void);

/*
 * Writes one formatted message of a level; NULL restores the default
 * writer ("prog: message" on stderr).
 */
typedef void (*ntf_log_writer_fn)(enum ntf_log_level level, const char *msg);
void ntf_log_set_writer(ntf_log_writer_fn fn);

void ntf_log(enum ntf_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ntf_vlog(enum ntf_log_level level, const char *fmt, va_list ap);

#define ntf_err(...) ntf_log(NTF_LOG_ERROR, __VA_ARGS__)
#define ntf_warn(...) ntf_log(NTF_LOG_WARN, __VA_ARGS__)
#define ntf_info(...) ntf_log(NTF_LOG_INFO, __VA_ARGS__)
#define ntf_debug(...) ntf_log(NTF_LOG_DEBUG, __VA_ARGS__)

#endif
