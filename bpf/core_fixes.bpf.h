/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel differences the probes meet between 6.1 and 6.18, handled with
 * CO-RE so one object runs on all of them.
 */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * task->flags bits. These are #defines, not in BTF; they have kept their
 * values since before 5.x (include/linux/sched.h).
 */
#define NTF_PF_EXITING 0x00000004
#define NTF_PF_MEMALLOC 0x00000800
#define NTF_PF_KSWAPD 0x00020000
#define NTF_PF_KTHREAD 0x00200000

/* mm/gup.c: a pin adds this to the refcount of a small folio. */
#define NTF_GUP_PIN_COUNTING_BIAS 1024

#define NTF_MMU_NOTIFIER_RANGE_BLOCKABLE 1

/*
 * folio->flags became memdesc_flags_t, a struct wrapping the same unsigned
 * long, in 6.18 ("mm: introduce memdesc_flags_t"). A relocation against the
 * wrong type kind fails, so each layout gets its own flavour.
 */
struct folio___pre_memdesc {
	unsigned long flags;
} __attribute__((preserve_access_index));

struct folio___memdesc {
	struct {
		unsigned long f;
	} flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long ntf_folio_flags(struct folio *folio)
{
	struct folio___memdesc *md = (void *)folio;
	struct folio___pre_memdesc *old = (void *)folio;
	unsigned long flags = 0;

	if (bpf_core_field_exists(md->flags))
		bpf_core_read(&flags, sizeof(flags), &md->flags.f);
	else
		bpf_core_read(&flags, sizeof(flags), &old->flags);
	return flags;
}

/*
 * folio_maybe_dma_pinned(): large folios count pins in _pincount (6.1 on),
 * small ones by the refcount bias. Not exported to BPF, so recomputed here.
 */
static __always_inline bool ntf_folio_maybe_dma_pinned(struct folio *folio, bool *large)
{
	int pg_head = bpf_core_enum_value(enum pageflags, PG_head);
	unsigned long flags = ntf_folio_flags(folio);
	int refs;

	*large = flags & (1UL << pg_head);
	if (*large) {
		if (!bpf_core_field_exists(folio->_pincount))
			return false;
		return BPF_CORE_READ(folio, _pincount.counter) > 0;
	}
	refs = BPF_CORE_READ(folio, _refcount.counter);
	return (unsigned int)refs >= NTF_GUP_PIN_COUNTING_BIAS;
}

/*
 * The syscall a user task entered the kernel by, NTF_ENTRY_EXCEPTION
 * when it came in by an exception, NTF_ENTRY_UNKNOWN when this
 * architecture's entry is not read.
 */
static __always_inline int ntf_task_syscall_nr(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return (int)regs->orig_ax; /* a BTF pointer: a plain load */
#else
	return NTF_ENTRY_UNKNOWN;
#endif
}

#endif /* CORE_FIXES_BPF_H */
