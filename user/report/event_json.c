// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "event_json.h"
#include "callbacks.h"
#include "names.h"

json_t *ntf_event_json(const struct ntf_event *e, double wall)
{
	/* kernel pointers in hex: as the kernel prints them, and above 2^63 */
	char mm[24], ops[24];
	json_t *o;

	snprintf(mm, sizeof(mm), "0x%llx", (unsigned long long)e->mm);
	snprintf(ops, sizeof(ops), "0x%llx", (unsigned long long)e->fence.ops);
	o = json_pack("{sI sf ss ss sI ss sI sI ss sI sI sI ss ss sI ss? si}", "ts_ns",
		      (json_int_t)e->ts_ns, "wall", wall, "class", ntf_class_name(e->class), "mech",
		      ntf_mech_name(e->mech), "callback_id", (json_int_t)e->callback, "driver",
		      ntf_driver_name(e->callback), "pid", (json_int_t)e->pid, "tgid",
		      (json_int_t)e->tgid, "comm", e->comm, "latency_ns", (json_int_t)e->latency_ns,
		      "ret", (json_int_t)e->ret, "flags", (json_int_t)e->flags, "origin",
		      ntf_origin_name(e->origin), "mm", mm, "cgroup_id", (json_int_t)e->cgroup_id,
		      "syscall", ntf_syscall_name(e->syscall_nr), "syscall_nr", e->syscall_nr);

	switch (e->class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		json_object_set_new(o, "range",
				    json_pack("{sI sI sI ss}", "start", (json_int_t)e->range.start,
					      "end", (json_int_t)e->range.end, "owner",
					      (json_int_t)e->range.owner, "event",
					      ntf_mmu_event_name(e->range.event)));
		break;
	case NTF_CLASS_UNMAP:
		json_object_set_new(o, "unmap",
				    json_pack("{sI sI sI}", "address", (json_int_t)e->unmap.address,
					      "notifier_ns", (json_int_t)e->unmap.notifier_ns,
					      "notifier_calls",
					      (json_int_t)e->unmap.notifier_calls));
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		json_object_set_new(o, "pin",
				    json_pack("{sI sI sI ss}", "start", (json_int_t)e->pin.start,
					      "nr_pages", (json_int_t)e->pin.nr_pages, "gup_flags",
					      (json_int_t)e->pin.gup_flags, "variant",
					      ntf_pin_variant_name(e->pin.variant)));
		break;
	case NTF_CLASS_FENCE_WAIT:
		json_object_set_new(o, "fence",
				    json_pack("{sI sI ss sI}", "context",
					      (json_int_t)e->fence.context, "seqno",
					      (json_int_t)e->fence.seqno, "ops", ops, "timeout",
					      (json_int_t)e->fence.timeout));
		break;
	}
	return o;
}

json_t *ntf_frames_json(const struct ntf_rec_frame *frames, int n)
{
	json_t *a = json_array();
	char addr[24];

	for (int i = 0; i < n; i++) {
		const struct ntf_rec_frame *f = &frames[i];
		json_t *o;

		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)f->addr);
		o = json_pack("{ss ss sI}", "addr", addr, "func", f->sym, "offset",
			      (json_int_t)f->offset);
		if (f->module[0])
			json_object_set_new(o, "module", json_string(f->module));
		json_array_append_new(a, o);
	}
	return a;
}
