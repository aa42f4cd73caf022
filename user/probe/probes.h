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
#include "ladder.h"
#include "probe_points.h"

struct bpf_object;
struct ntf_ksyms;

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

#endif
