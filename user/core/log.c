// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "log.h"

const char *ntf_prog = "notifier";

static enum ntf_log_level max_level = NTF_LOG_INFO;
static ntf_log_writer_fn writer;

void ntf_log_set_level(enum ntf_log_level level)
{
	max_level = level;
}

enum ntf_log_level ntf_log_level(void)
{
	return max_level;
}

void ntf_log_set_writer(ntf_log_writer_fn fn)
{
	writer = fn;
}

void ntf_vlog(enum ntf_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > max_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (writer) {
		writer(level, msg);
		return;
	}
	/* one write per line, so lines of several threads do not interleave */
	fprintf(stderr, "%s: %s%s\n", ntf_prog, level == NTF_LOG_WARN ? "warning: " : "", msg);
}

void ntf_log(enum ntf_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ntf_vlog(level, fmt, ap);
	va_end(ap);
}
