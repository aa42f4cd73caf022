/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What notifierd's stats lines and summary say of its recordings (daemon_record.h). */
#ifndef NTF_DAEMON_REC_REPORT_H
#define NTF_DAEMON_REC_REPORT_H

#include <stdio.h>
#include <jansson.h>
#include "daemon_record.h"

/* "record" and "flight" objects into o, for what dr does. */
void ntf_daemon_rec_json(json_t *o, const struct daemon_rec *dr);
/* The end of a stats line: "  rec 3 files 1.2M", "  rec stopped", "  flight 1.1M kept". */
void ntf_daemon_rec_stats_text(FILE *out, const struct daemon_rec *dr);
/* A line each for the summary. */
void ntf_daemon_rec_summary_text(FILE *out, const struct daemon_rec *dr);

#endif
