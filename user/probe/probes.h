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
 * all but the first: each program loaded is a verifier pass, the cost of
 * starting. A rung below it that is allowed is kept as the fallback, for
 * fentry that loads but does not attach (e.g. past the trampoline's
 * argument limit): ntf_ladder_load_fallback.
 */
int ntf_ladder_choose(struct bpf_object *obj, struct ntf_probe_state *states,
		      const struct ntf_ladder_opts *opts);
/* After load: attaches the first rung that works. Returns the live points. */
int ntf_ladder_attach(struct bpf_object *obj, struct ntf_probe_state *states);
/*
 * After attach: whether a point is left without a rung while a fallback
 * was not loaded. Then, on a second open of the same object whose maps
 * reuse the first's (not yet loaded), ntf_ladder_load_fallback turns on
 * only those fallback programs, and ntf_ladder_attach_fallback attaches
 * them once it is loaded. Returns the points that went live.
 */
bool ntf_ladder_wants_fallback(const struct ntf_probe_state *states);
void ntf_ladder_load_fallback(struct bpf_object *obj, const struct ntf_probe_state *states);
int ntf_ladder_attach_fallback(struct bpf_object *obj, struct ntf_probe_state *states);
void ntf_ladder_detach(struct ntf_probe_state *states);

#endif
