/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What each probe point got: the rung that attached, or why every rung failed. */
#ifndef NTF_PROBE_REPORT_H
#define NTF_PROBE_REPORT_H

#include <stdio.h>
#include "probe_points.h"

void ntf_ladder_report(FILE *out, const struct ntf_probe_state *states);
void ntf_ladder_report_one(FILE *out, const struct ntf_probe_state *st);

#endif
