/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe points and what became of each: the table the attach ladder
 * climbs for, and the state reports, the daemon's protocol and the tools
 * show. Data only: the ladder itself is probes.h.
 */
#ifndef NTF_PROBE_POINTS_H
#define NTF_PROBE_POINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"

/* Room for probe points: every array of probe states is this long. */
#define NTF_PROBE_MAX 32

struct bpf_link;

#define NTF_REASON_LEN 160

struct ntf_probe_point {
	const char *id; /* user-facing name */
	const char *func; /* kernel function, or the tracepoint for tp-only rungs */
	unsigned int class;
	bool core; /* the notifier itself: nothing works without these */
	/* program names per rung: [entry, exit]; exit NULL for entry-only */
	const char *progs[NTF_MECH_MAX][2];
	const char *tp_btf_name[2]; /* btf_trace_* typedefs for the tracepoint rung */
};

struct ntf_probe_state {
	const struct ntf_probe_point *point;
	unsigned int loadable; /* 1 << mech for each rung loaded */
	unsigned int fallback; /* rungs allowed but loaded only if the loaded one fails to attach */
	unsigned int mech; /* rung attached; NONE if none */
	bool attached;
	bool left_out; /* its class was not asked for (ntf_ladder_opts.classes): not loaded */
	char why[NTF_MECH_MAX][NTF_REASON_LEN]; /* why a rung was not used */
	struct bpf_link *links[2];
};

extern const struct ntf_probe_point ntf_probe_points[];
extern const unsigned int ntf_probe_count;

#endif
