/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe points and the attach ladder: fentry/fexit, then
 * kprobe/kretprobe, then a tracepoint where one exists. Each point reports
 * the rung it got or, for every rung, why not.
 */
#ifndef NTF_PROBES_H
#define NTF_PROBES_H

#include <stdbool.h>
#include <stdio.h>
#include "notifier.h"

struct bpf_object;
struct bpf_link;
struct ntf_ksyms;

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
	unsigned int mech; /* rung attached; NONE if none */
	bool attached;
	char why[NTF_MECH_MAX][NTF_REASON_LEN]; /* why a rung was not used */
	struct bpf_link *links[2];
};

extern const struct ntf_probe_point ntf_probe_points[];
extern const unsigned int ntf_probe_count;

struct ntf_ladder_opts {
	bool no_fentry; /* skip the fentry rung (-k / --kprobes) */
	bool no_kprobe;
	const struct ntf_ksyms *ksyms;
};

/*
 * Before load: finds the rungs each point can use, by test-loading a tiny
 * program where that is the only way to know, and turns off autoload of
 * the others. Every usable rung is loaded, so attach can still fall back
 * (fentry loads but may not attach, e.g. past the trampoline's argument
 * limit).
 */
int ntf_ladder_choose(struct bpf_object *obj, struct ntf_probe_state *states,
		      const struct ntf_ladder_opts *opts);
/* After load: attaches the first rung that works. Returns the live points. */
int ntf_ladder_attach(struct bpf_object *obj, struct ntf_probe_state *states);
void ntf_ladder_detach(struct ntf_probe_state *states);

/* Whether libbpf can place kprobes here (kprobe PMU or kprobe_events). */
bool ntf_kernel_has_kprobes(void);

void ntf_ladder_report(FILE *out, const struct ntf_probe_state *states);
void ntf_ladder_report_one(FILE *out, const struct ntf_probe_state *st);

#endif
