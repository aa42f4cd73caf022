/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notifier's policy ops: the public header a policy written in BPF C is
 * built against (docs/policy.md). A policy is one object with a program
 * per event class it judges, each declared with NOTIFIER_POLICY(class,
 * ev): it sees one event and returns a verdict, or-ed with actions.
 * Classes it has no program for go on as without a policy.
 *
 *	#include "notifier_policy.h"
 *
 *	NOTIFIER_POLICY(callback, ev)
 *	{
 *		if (ev->latency_ns >= 5000000)
 *			return NOTIFIER_ESCALATE | NOTIFIER_ACT_STACK;
 *		return NOTIFIER_COUNT;
 *	}
 *
 *	char LICENSE[] SEC("license") = "Dual BSD/GPL";
 *
 * Built with clang -target bpf -O2 -g -I<notifier>/bpf. The same object
 * runs through either backend: the portable one (notifier runs each
 * event through the program with BPF_PROG_TEST_RUN, as a syscall
 * program) or the struct_ops type of the companion module where the
 * kernel has one (6.9 and later). The loader says which, and sets
 * notifier_policy_in_kernel to match: the program's first argument is
 * then a pointer to the event rather than the event.
 */
#ifndef NOTIFIER_POLICY_H
#define NOTIFIER_POLICY_H

#include "notifier.h"

/* The low byte of what a policy returns. */
enum notifier_verdict {
	NOTIFIER_IGNORE = 0, /* neither counted nor recorded */
	NOTIFIER_COUNT = 1, /* counted in the histograms, not recorded */
	NOTIFIER_RECORD = 2, /* counted, and kept by the recorders */
	NOTIFIER_ESCALATE = 3, /* counted, kept, and alerted on */
	NOTIFIER_VERDICT_MAX,
};
#define NOTIFIER_VERDICT_MASK 0xffu

/* Actions, or-ed into the verdict; every one rate-limited where it runs. */
#define NOTIFIER_ACT_STACK (1u << 8) /* the event's kernel stack with its alert */
#define NOTIFIER_ACT_SNAPSHOT (1u << 9) /* a flight-recorder snapshot */
#define NOTIFIER_ACT_SIGNAL (1u << 10) /* SIGUSR2 to the task (not a kernel thread) */
#define NOTIFIER_ACT_MASK (NOTIFIER_ACT_STACK | NOTIFIER_ACT_SNAPSHOT | NOTIFIER_ACT_SIGNAL)

/*
 * What the companion module's kfunc notifier_policy_judge returns: an
 * attached policy's answer in the low 16 bits (0xffff when it returned
 * more), the generation of the struct_ops map that judged in bits 16-30,
 * and NOTIFIER_JUDGED. 0 when no policy judged: none attached, or none
 * for the event's class.
 */
#define NOTIFIER_JUDGED (1u << 31)
#define NOTIFIER_ANSWER_MASK 0xffffu
#define NOTIFIER_GEN_SHIFT 16
#define NOTIFIER_GEN_MASK 0x7fffu

/* One event as a policy sees it. Fields keep their places: a policy built once keeps working. */
struct notifier_policy_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC at entry */
	__u64 latency_ns;
	__u64 cgroup_id;
	__s64 ret; /* the function's return, as the event carries it */
	__u64 pages; /* pin: pinned; unpin: released; unmap: notifier calls it caused */
	__u32 pid; /* thread */
	__u32 tgid;
	__u32 flags; /* enum ntf_flag */
	__u32 callback; /* callback id; 0: the chain as a whole, or none */
	__s32 syscall_nr; /* a syscall number, or NTF_ENTRY_* */
	__u16 class; /* enum ntf_class */
	__u8 origin; /* enum ntf_origin */
	__u8 mech; /* enum ntf_mech */
	char comm[NTF_COMM_LEN];
	char driver[NTF_COMM_LEN]; /* the callback's driver ("kvm", "amdgpu"); "" for none */
};

/* The tracer's programs take the types, not a policy's globals: NOTIFIER_POLICY_TYPES_ONLY. */
#if (defined(__bpf__) || defined(__BPF__)) && !defined(NOTIFIER_POLICY_TYPES_ONLY)

#ifndef SEC
#define SEC(name) __attribute__((section(name), used))
#endif

/* Set by the loader: 1 when the struct_ops backend runs the programs. */
const volatile __u8 notifier_policy_in_kernel SEC(".rodata") = 0;

/*
 * NOTIFIER_POLICY(class, ev) { ... }: the policy of one event class
 * (inval_start, inval_end, callback, unmap, pin, unpin, fence_wait),
 * with ev the event.
 */
#define NOTIFIER_POLICY(class, ev)                                                         \
	static __attribute__((always_inline)) inline unsigned int notifier_policy_##class( \
		const struct notifier_policy_event *ev);                                   \
	SEC("notifier_policy/" #class) unsigned int class##_policy(void *ctx)              \
	{                                                                                  \
		struct notifier_policy_event copy;                                         \
                                                                                           \
		if (notifier_policy_in_kernel)                                             \
			return notifier_policy_##class(                                    \
				*(const struct notifier_policy_event **)ctx);              \
		/* on the stack: the verifier reads a context at fixed offsets only */     \
		__builtin_memcpy(&copy, ctx, sizeof(copy));                                \
		/* and stays there: clang would read the fields from ctx again */          \
		asm volatile("" : : "r"(&copy) : "memory");                                \
		return notifier_policy_##class(&copy);                                     \
	}                                                                                  \
	static __attribute__((always_inline)) inline unsigned int notifier_policy_##class( \
		const struct notifier_policy_event *ev)

/* Whether the event's driver is name (a string literal of under 16 characters). */
static __attribute__((always_inline)) inline int
notifier_policy_driver_is(const struct notifier_policy_event *ev, const char *name)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < NTF_COMM_LEN; i++) {
		if (ev->driver[i] != name[i])
			return 0;
		if (!name[i])
			return 1;
	}
	return 0;
}

#endif /* BPF */

#endif
