// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "probe_points.h"

#define QUARTET(id)                                                    \
	{                                                              \
		[NTF_MECH_FENTRY] = { id "_fentry", id "_fexit" },     \
		[NTF_MECH_KPROBE] = { id "_kprobe", id "_kretprobe" }, \
	}
#define ENTRY_ONLY(id)                                      \
	{                                                   \
		[NTF_MECH_FENTRY] = { id "_fentry", NULL }, \
		[NTF_MECH_KPROBE] = { id "_kprobe", NULL }, \
	}
#define PIN_POINT(fn)                                                                 \
	{                                                                             \
		.id = #fn, .func = #fn, .class = NTF_CLASS_PIN, .progs = QUARTET(#fn) \
	}
#define UNPIN_POINT(fn)                                                                    \
	{                                                                                  \
		.id = #fn, .func = #fn, .class = NTF_CLASS_UNPIN, .progs = ENTRY_ONLY(#fn) \
	}

const struct ntf_probe_point ntf_probe_points[] = {
	{ .id = "inval_start",
	  .func = "__mmu_notifier_invalidate_range_start",
	  .class = NTF_CLASS_INVAL_START,
	  .core = true,
	  .progs = QUARTET("inval_start") },
	{ .id = "inval_end",
	  .func = "__mmu_notifier_invalidate_range_end",
	  .class = NTF_CLASS_INVAL_END,
	  .core = true,
	  .progs = QUARTET("inval_end") },
	{ .id = "unmap", .func = "try_to_unmap_one", .class = NTF_CLASS_UNMAP,
	  .progs = QUARTET("unmap") },
	PIN_POINT(pin_user_pages),
	PIN_POINT(pin_user_pages_fast),
	PIN_POINT(pin_user_pages_fast_only),
	PIN_POINT(pin_user_pages_remote),
	PIN_POINT(pin_user_pages_unlocked),
	UNPIN_POINT(unpin_user_page),
	UNPIN_POINT(unpin_user_pages),
	UNPIN_POINT(unpin_user_pages_dirty_lock),
	UNPIN_POINT(unpin_user_page_range_dirty_lock),
	UNPIN_POINT(unpin_user_folio),
	UNPIN_POINT(unpin_folios),
	{ .id = "fence_wait",
	  .func = "dma_fence_wait_timeout",
	  .class = NTF_CLASS_FENCE_WAIT,
	  .progs = {
		  [NTF_MECH_FENTRY] = { "fence_wait_fentry", "fence_wait_fexit" },
		  [NTF_MECH_KPROBE] = { "fence_wait_kprobe", "fence_wait_kretprobe" },
		  [NTF_MECH_TRACEPOINT] = { "fence_wait_start_tp", "fence_wait_end_tp" },
	  },
	  .tp_btf_name = { "btf_trace_dma_fence_wait_start", "btf_trace_dma_fence_wait_end" } },
	/*
	 * No events: a registration makes the tracer attach the new callback
	 * at once, and counts its calls until its probe sees them.
	 */
	{ .id = "register",
	  .func = "__mmu_notifier_register",
	  .class = NTF_CLASS_NONE,
	  .progs = QUARTET("register") },
	{ .id = "interval_insert",
	  .func = "mmu_interval_notifier_insert",
	  .class = NTF_CLASS_NONE,
	  .progs = QUARTET("insert") },
	{ .id = "interval_insert_locked",
	  .func = "mmu_interval_notifier_insert_locked",
	  .class = NTF_CLASS_NONE,
	  .progs = QUARTET("insert_locked") },
};

const unsigned int ntf_probe_count = sizeof(ntf_probe_points) / sizeof(ntf_probe_points[0]);
_Static_assert(sizeof(ntf_probe_points) / sizeof(ntf_probe_points[0]) <= NTF_PROBE_MAX,
	       "more probe points than NTF_PROBE_MAX");
