// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "names.h"
#include "probe_report.h"

void ntf_ladder_report_one(FILE *out, const struct ntf_probe_state *st)
{
	fprintf(out, "  %-34s %-10s %s\n", st->point->id,
		st->attached ? ntf_mech_name(st->mech) : "-", st->point->func);
	/* Rungs above the one that attached, or all of them, say why not. */
	for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++) {
		if (st->attached && m >= st->mech)
			break;
		if (st->why[m][0])
			fprintf(out, "  %-34s   %s: %s\n", "", ntf_mech_name(m), st->why[m]);
	}
}

void ntf_ladder_report(FILE *out, const struct ntf_probe_state *states)
{
	for (unsigned int i = 0; i < ntf_probe_count; i++)
		ntf_ladder_report_one(out, &states[i]);
}
