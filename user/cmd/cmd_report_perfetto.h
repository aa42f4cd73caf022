/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NTF_CMD_REPORT_PERFETTO_H
#define NTF_CMD_REPORT_PERFETTO_H

#include <linux/types.h>
#include "record.h"

/*
 * notifier report --perfetto OUT FILE: r's events (of the classes in
 * class_mask and process tgid; 0 for all) as a Perfetto trace in out.
 * Returns the exit status.
 */
int cmd_report_perfetto(struct ntf_rec_reader *r, const char *in, const char *out,
			unsigned int class_mask, __u32 tgid);

#endif
