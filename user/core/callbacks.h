/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The driver callbacks on the notifier path and the ids events carry for
 * them: a table of the callbacks known per driver, then room for those
 * discovery finds. Every array indexed by callback id is sized by
 * NTF_CALLBACK_IDS, so no report can drop an id the tracer hands out.
 */
#ifndef NTF_CALLBACKS_H
#define NTF_CALLBACKS_H

#include <stdbool.h>
#include <linux/types.h>
#include "notifier.h"

/* A callback some driver registers on the notifier path. */
struct ntf_callback_def {
	const char *driver; /* what users call it, at most 8 characters: "kvm", "amdkfd" */
	const char *func; /* the kernel symbol */
	const char *module; /* the module expected to provide it */
	unsigned int kind; /* enum ntf_cb_kind */
	const char *needs; /* what the kernel must be built with, for "absent" reports */
	const char *tp; /* a tracepoint fired per call (the ladder's last rung), or NULL */
	const char *era; /* kernels that have this name, when not all do: "up to 6.2" */
};

/* Room in the id space for the table; the table itself may be shorter. */
#define NTF_MAX_KNOWN 32
/* Room for callbacks found by discovery beside the table's. */
#define NTF_MAX_DISCOVERED 64
/* Ids are 1..NTF_CALLBACK_IDS - 1; 0 is the notifier chain as a whole. */
#define NTF_CALLBACK_IDS (1 + NTF_MAX_KNOWN + NTF_MAX_DISCOVERED)
/* Discovered driver names: the module's, at most this long with the NUL. */
#define NTF_DRIVER_LEN 24

extern const struct ntf_callback_def ntf_known_callbacks[];
extern const unsigned int ntf_known_callback_count;

/*
 * The id of a driver name ("kvm", "i915", or one discovery named), or 0
 * when no callback has it.
 */
__u32 ntf_callback_id(const char *driver);
/* Name of a callback id for reports: "kvm", "chain" for 0, "unknown" for a nameless one. */
const char *ntf_driver_name(__u32 id);

/*
 * Whether an event's driver is worth naming: a callback's, or the
 * notifier chain's as a whole (id 0), which only invalidates have.
 */
static inline bool ntf_event_names_driver(const struct ntf_event *e)
{
	return e->callback || ntf_class_is_invalidate(e->class);
}
/*
 * Names the ids past the table's are known by in this process: discovery
 * sets them where it runs, a client sets those its daemon sends. Returns
 * -EINVAL for an id outside the discovered range.
 */
int ntf_driver_name_set(__u32 id, const char *driver);
/* The first id discovery gives: ids below it are the table's. */
__u32 ntf_callback_first_discovered(void);
/* One past the last id discovery may give. */
__u32 ntf_callback_id_end(void);
/* A discovered id's name in this process, or NULL when it has none. */
const char *ntf_discovered_driver_name(__u32 id);
/*
 * The kernel symbol of a discovered id's callback, where discovery ran
 * in this process: a trace file names it, as it names the table's.
 * -EINVAL for an id outside the discovered range.
 */
int ntf_discovered_func_set(__u32 id, const char *func);
/* NULL when this process does not know it (a client of a daemon). */
const char *ntf_discovered_func(__u32 id);
/* The kernel symbol of any callback id (the table's or discovered), or NULL: the chain, unknown. */
const char *ntf_callback_func(__u32 id);
/* Changes whenever a discovered name is set: clients are sent names again. */
__u64 ntf_driver_names_gen(void);

#endif
