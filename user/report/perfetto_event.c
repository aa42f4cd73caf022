// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One event's slice name and arguments in the Perfetto export. */
#include <stdio.h>
#include "callbacks.h"
#include "json_out.h"
#include "names.h"
#include "perfetto_int.h"

/*
 * The file's name for a callback id first: the ids past the table's are
 * whatever the recording machine's discovery gave, and mean nothing here.
 */
static const char *driver_of(const struct ntf_rec_meta *m, __u32 id, char *buf, size_t len)
{
	const char *d = m ? ntf_rec_meta_driver(m, id) : NULL;

	if (d && *d)
		return d;
	if (!id || id < ntf_callback_first_discovered())
		return ntf_driver_name(id);
	snprintf(buf, len, "#%u", id);
	return buf;
}

void ntf_pf_event_name(char *buf, size_t len, const struct ntf_rec_meta *m,
		       const struct ntf_event *e)
{
	char id[16];

	if (ntf_event_names_driver(e))
		snprintf(buf, len, "%s %s", ntf_class_name(e->class),
			 driver_of(m, e->callback, id, sizeof(id)));
	else
		snprintf(buf, len, "%s", ntf_class_name(e->class));
}

static const char *const flag_names[] = {
	"blockable", "nested", "dma_pinned", "kthread",	    "memalloc",		 "kswapd",
	"exiting",   "intr",   "failed",     "large_folio", "blockable_unknown", "stack_lost",
};

static void flags(FILE *f, __u32 flags)
{
	bool any = false;

	fputs(",\"flags\":\"", f);
	for (unsigned int i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(flags & (1u << i)))
			continue;
		fprintf(f, "%s%s", any ? "|" : "", flag_names[i]);
		any = true;
	}
	fputc('"', f);
}

/* Kernel and user addresses in hex, as the kernel prints them; above 2^53 too. */
static void hex(FILE *f, const char *key, __u64 v)
{
	fprintf(f, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

static void u64(FILE *f, const char *key, __u64 v)
{
	fprintf(f, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void range_args(FILE *f, const struct ntf_event *e)
{
	hex(f, "start", e->range.start);
	hex(f, "end", e->range.end);
	u64(f, "size", e->range.end - e->range.start);
	fprintf(f, ",\"mmu_event\":\"%s\"", ntf_mmu_event_name(e->range.event));
	if (e->range.owner)
		hex(f, "owner", e->range.owner);
	fprintf(f, ",\"blockable\":\"%s\"",
		e->flags & NTF_F_BLOCKABLE_UNKNOWN ? "unknown" :
		e->flags & NTF_F_BLOCKABLE	   ? "yes" :
						     "no");
}

static void class_args(FILE *f, const struct ntf_event *e)
{
	switch (e->class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK: range_args(f, e); break;
	case NTF_CLASS_UNMAP:
		hex(f, "address", e->unmap.address);
		u64(f, "notifier_ns", e->unmap.notifier_ns);
		u64(f, "notifier_calls", e->unmap.notifier_calls);
		fprintf(f, ",\"dma_pinned\":%s", e->flags & NTF_F_DMA_PINNED ? "true" : "false");
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		hex(f, "start", e->pin.start);
		u64(f, "pages", e->pin.nr_pages);
		hex(f, "gup_flags", e->pin.gup_flags);
		fprintf(f, ",\"variant\":\"%s\"", ntf_pin_variant_name(e->pin.variant));
		break;
	case NTF_CLASS_FENCE_WAIT:
		u64(f, "context", e->fence.context);
		u64(f, "seqno", e->fence.seqno);
		hex(f, "ops", e->fence.ops);
		fprintf(f, ",\"timeout\":%lld", (long long)e->fence.timeout);
		break;
	}
}

/* The kernel stack as the UI shows an array: one string a frame, innermost first. */
static void stack_arg(FILE *f, const struct ntf_rec_reader *stacks, const struct ntf_event *e)
{
	struct ntf_rec_frame frames[NTF_REC_MAX_DEPTH];
	char name[NTF_REC_SYM_LEN + NTF_REC_MOD_LEN + 32];
	int n;

	if (!stacks || !e->stack_id)
		return;
	n = ntf_rec_stack(stacks, e->stack_id, frames, NTF_REC_MAX_DEPTH);
	if (n <= 0)
		return;
	fputs(",\"stack\":[", f);
	for (int i = 0; i < n; i++) {
		ntf_rec_frame_name(name, sizeof(name), &frames[i]);
		if (i)
			fputc(',', f);
		ntf_json_str(f, name);
	}
	fputc(']', f);
}

void ntf_pf_event_args(FILE *f, const struct ntf_rec_meta *m, const struct ntf_rec_reader *stacks,
		       const struct ntf_event *e, __u64 clamped_ns, const char *unnested)
{
	const char *syscall = ntf_syscall_name(e->syscall_nr);
	char id[16];

	/* the exact times: ts and dur are rebased, and a clamped dur is not the latency */
	fprintf(f, "{\"ts_ns\":%llu", (unsigned long long)e->ts_ns);
	u64(f, "latency_ns", e->latency_ns);
	if (clamped_ns)
		u64(f, "clamped_ns", clamped_ns);
	if (unnested)
		fprintf(f, ",\"unnested\":\"%s\"", unnested);
	if (ntf_event_names_driver(e)) {
		u64(f, "callback_id", e->callback);
		fputs(",\"driver\":", f);
		ntf_json_str(f, driver_of(m, e->callback, id, sizeof(id)));
	}
	fprintf(f, ",\"ret\":%lld,\"failed\":%s", (long long)e->ret,
		e->flags & NTF_F_FAILED ? "true" : "false");
	flags(f, e->flags);
	fprintf(f, ",\"origin\":\"%s\",\"mech\":\"%s\"", ntf_origin_name(e->origin),
		ntf_mech_name(e->mech));
	if (syscall)
		fprintf(f, ",\"syscall\":\"%s\"", syscall);
	fprintf(f, ",\"syscall_nr\":%d", e->syscall_nr);
	hex(f, "mm", e->mm);
	u64(f, "cgroup_id", e->cgroup_id);
	class_args(f, e);
	stack_arg(f, stacks, e);
	fputc('}', f);
}
