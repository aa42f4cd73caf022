/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The attach ladder every traced function climbs, probe points and driver
 * callbacks alike (and policy programs next): fentry/fexit, then
 * kprobe/kretprobe, then a tracepoint where one exists. What a rung needs
 * before it is tried, how an entry/exit pair is attached, and how each
 * failure is worded live here once, so `notifier probe` gives one kind of
 * answer whatever was being attached.
 */
#ifndef NTF_LADDER_H
#define NTF_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include "probe_points.h"

struct bpf_program;
struct bpf_link;
struct ntf_ksyms;

struct ntf_ladder_opts {
	bool no_fentry; /* skip the fentry rung (-k / --kprobes) */
	bool no_kprobe;
	const struct ntf_ksyms *ksyms; /* NULL: symbols are not checked */
	/*
	 * 1 << class of the events asked for (0: all): the probe points of
	 * other classes are not loaded, so they cost nothing. Registrations
	 * (NTF_CLASS_NONE) serve the callbacks and go with them.
	 */
	unsigned int classes;
};

/* Whether a probe point of class is loaded for classes (ntf_ladder_opts). */
static inline bool ntf_ladder_class_wanted(unsigned int classes, unsigned int class)
{
	if (!classes)
		return true;
	return classes & (1u << (class == NTF_CLASS_NONE ? NTF_CLASS_CALLBACK : class));
}

/* Whether libbpf can place kprobes here (kprobe PMU or kprobe_events). */
bool ntf_kernel_has_kprobes(void);

/*
 * Whether rung mech may be tried for func at all: not turned off by an
 * option, kprobes present for the kprobe rung, the symbol in kallsyms.
 * When not, why[NTF_REASON_LEN] says so.
 */
bool ntf_rung_allowed(unsigned int mech, const char *func, const struct ntf_ladder_opts *opts,
		      char *why);

/*
 * Words a failure to load (at_load) or attach func on rung mech: errno
 * err, and the module func lives in ("" or NULL for vmlinux), which tells
 * a module without BTF (fentry cannot load there) from other refusals.
 */
void ntf_rung_why(char *why, unsigned int mech, bool at_load, int err, const char *module);

/*
 * Attaches an entry program and its exit program (exit NULL for entry-only)
 * to func on rung mech, exit first: an entry without its exit would only
 * fill the in-flight map. Both links or neither: 0, or a negative errno
 * with why[NTF_REASON_LEN] set.
 */
int ntf_rung_attach(struct bpf_program *entry, struct bpf_program *exit, unsigned int mech,
		    const char *func, const char *module, struct bpf_link *links[2], char *why);

#endif
