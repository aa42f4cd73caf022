// SPDX-License-Identifier: GPL-2.0
/*
 * notifier's companion module: registers struct notifier_policy_ops as a
 * BPF struct_ops type (6.9 and later) and exports the kfunc the tracer's
 * programs call to have the attached policy judge an event. One policy at
 * a time; a swap through the struct_ops link is atomic (update).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include "notifier_policy.h"

struct notifier_policy_ops {
	u32 (*inval_start)(const struct notifier_policy_event *ev);
	u32 (*inval_end)(const struct notifier_policy_event *ev);
	u32 (*unmap)(const struct notifier_policy_event *ev);
	u32 (*pin)(const struct notifier_policy_event *ev);
	u32 (*unpin)(const struct notifier_policy_event *ev);
	u32 (*fence_wait)(const struct notifier_policy_event *ev);
	u32 (*callback)(const struct notifier_policy_event *ev);
	/* set by the loader, one more each policy: says which judged an event */
	u32 generation;
};

static struct notifier_policy_ops __rcu *active;

/* the members' signature for CFI; never called: a class with no program is not judged */
static u32 np_stub(const struct notifier_policy_event *ev)
{
	return 0;
}

static struct notifier_policy_ops np_stubs = {
	.inval_start = np_stub,
	.inval_end = np_stub,
	.unmap = np_stub,
	.pin = np_stub,
	.unpin = np_stub,
	.fence_wait = np_stub,
	.callback = np_stub,
};

static int np_init(struct btf *btf)
{
	return 0;
}

static int np_init_member(const struct btf_type *t, const struct btf_member *member, void *kdata,
			  const void *udata)
{
	const struct notifier_policy_ops *from = udata;
	struct notifier_policy_ops *to = kdata;

	if (__btf_member_bit_offset(t, member) / 8 !=
	    offsetof(struct notifier_policy_ops, generation))
		return 0;
	to->generation = from->generation;
	return 1;
}

static int np_check_member(const struct btf_type *t, const struct btf_member *member,
			   const struct bpf_prog *prog)
{
	/* called with RCU held from the probes' programs: no sleeping */
	return prog->sleepable ? -EINVAL : 0;
}

static bool np_is_valid_access(int off, int size, enum bpf_access_type type,
			       const struct bpf_prog *prog, struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *np_func_proto(enum bpf_func_id id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(id, prog);
}

static const struct bpf_verifier_ops np_verifier_ops = {
	.get_func_proto = np_func_proto,
	.is_valid_access = np_is_valid_access,
};

static int np_reg(void *kdata, struct bpf_link *link)
{
	return cmpxchg((struct notifier_policy_ops **)&active, NULL, kdata) ? -EBUSY : 0;
}

static void np_unreg(void *kdata, struct bpf_link *link)
{
	cmpxchg((struct notifier_policy_ops **)&active, kdata, NULL);
	synchronize_rcu();
}

static int np_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	if (cmpxchg((struct notifier_policy_ops **)&active, old_kdata, kdata) != old_kdata)
		return -EINVAL;
	synchronize_rcu();
	return 0;
}

static int np_validate(void *kdata)
{
	return 0;
}

static struct bpf_struct_ops np_struct_ops = {
	.verifier_ops = &np_verifier_ops,
	.init = np_init,
	.init_member = np_init_member,
	.check_member = np_check_member,
	.reg = np_reg,
	.unreg = np_unreg,
	.update = np_update,
	.validate = np_validate,
	.cfi_stubs = &np_stubs,
	.name = "notifier_policy_ops",
	.owner = THIS_MODULE,
};

__bpf_kfunc_start_defs();

/*
 * The attached policy's answer for ev, with NOTIFIER_JUDGED and the
 * generation of the policy (notifier_policy.h); 0 when none judged it: no
 * policy attached, or none for its class.
 */
__bpf_kfunc u32 notifier_policy_judge(struct notifier_policy_event *ev)
{
	struct notifier_policy_ops *ops;
	u32 (*fn)(const struct notifier_policy_event *ev) = NULL;
	u32 answer = 0;

	rcu_read_lock();
	ops = rcu_dereference(active);
	if (ops) {
		switch (ev->class) {
		case NTF_CLASS_INVAL_START: fn = ops->inval_start; break;
		case NTF_CLASS_INVAL_END: fn = ops->inval_end; break;
		case NTF_CLASS_UNMAP: fn = ops->unmap; break;
		case NTF_CLASS_PIN: fn = ops->pin; break;
		case NTF_CLASS_UNPIN: fn = ops->unpin; break;
		case NTF_CLASS_FENCE_WAIT: fn = ops->fence_wait; break;
		case NTF_CLASS_CALLBACK: fn = ops->callback; break;
		}
		if (fn) {
			answer = fn(ev);
			answer = NOTIFIER_JUDGED |
				 (ops->generation & NOTIFIER_GEN_MASK) << NOTIFIER_GEN_SHIFT |
				 min(answer, NOTIFIER_ANSWER_MASK);
		}
	}
	rcu_read_unlock();
	return answer;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(np_kfuncs)
BTF_ID_FLAGS(func, notifier_policy_judge)
BTF_KFUNCS_END(np_kfuncs)

static const struct btf_kfunc_id_set np_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &np_kfuncs,
};

static int __init np_init_module(void)
{
	int err;

	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &np_kfunc_set)	     ?:
		      register_btf_kfunc_id_set(BPF_PROG_TYPE_KPROBE, &np_kfunc_set) ?:
		      register_bpf_struct_ops(&np_struct_ops, notifier_policy_ops);
	if (err)
		pr_err("notifier_policy: cannot register: %d\n", err);
	return err;
}

static void __exit np_exit_module(void)
{
}

module_init(np_init_module);
module_exit(np_exit_module);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("notifier's BPF policy ops as a struct_ops type");
