/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NTF_JSON_LOG_H
#define NTF_JSON_LOG_H

/*
 * -j mode: errors and warnings become JSON lines on stdout,
 * {"error": "..."} and {"warning": "..."}, so a script reading a -j run's
 * output meets JSON even when the run fails (bpftool does the same). What
 * is not about failing (a driver appeared, "tracing") stays on stderr,
 * where every message also goes as text.
 */
void ntf_log_json(void);

#endif
