// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <jansson.h>
#include "json_log.h"
#include "log.h"

static void json_writer(enum ntf_log_level level, const char *msg)
{
	json_t *line;

	if (level > NTF_LOG_WARN) {
		fprintf(stderr, "%s: %s\n", ntf_prog, msg);
		return;
	}
	line = json_pack("{ss ss}", level == NTF_LOG_ERROR ? "error" : "warning", msg, "prog",
			 ntf_prog);
	if (line) {
		json_dumpf(line, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		fflush(stdout);
		json_decref(line);
	}
	/* the exit status and a human both still see it */
	fprintf(stderr, "%s: %s%s\n", ntf_prog, level == NTF_LOG_WARN ? "warning: " : "", msg);
}

void ntf_log_json(void)
{
	ntf_log_set_writer(json_writer);
}
