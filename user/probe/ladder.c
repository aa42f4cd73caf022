// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "ksyms.h"
#include "ladder.h"

/* ENOTSUPP: kernel-internal, so strerror() has no text for it. */
#define ENOTSUPP_KERNEL 524

bool ntf_kernel_has_kprobes(void)
{
	/* libbpf uses the kprobe PMU, or kprobe_events in tracefs without it. */
	return !access("/sys/bus/event_source/devices/kprobe/type", F_OK) ||
	       !access("/sys/kernel/tracing/kprobe_events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", F_OK);
}

bool ntf_rung_allowed(unsigned int mech, const char *func, const struct ntf_ladder_opts *opts,
		      char *why)
{
	if (mech == NTF_MECH_FENTRY && opts->no_fentry) {
		snprintf(why, NTF_REASON_LEN, "disabled by option");
		return false;
	}
	if (mech == NTF_MECH_KPROBE && opts->no_kprobe) {
		snprintf(why, NTF_REASON_LEN, "disabled by option");
		return false;
	}
	if (mech == NTF_MECH_KPROBE && !ntf_kernel_has_kprobes()) {
		snprintf(why, NTF_REASON_LEN,
			 "kernel has no kprobes (no kprobe PMU or kprobe_events)");
		return false;
	}
	if (mech == NTF_MECH_KPROBE && opts->ksyms && func &&
	    !ntf_ksyms_by_name(opts->ksyms, func)) {
		snprintf(why, NTF_REASON_LEN, "symbol not in kallsyms (absent or inlined)");
		return false;
	}
	return true;
}

static bool module_has_btf(const char *module)
{
	char path[128];

	if (snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module) >= (int)sizeof(path))
		return true; /* cannot tell: do not blame BTF */
	return !access(path, F_OK);
}

void ntf_rung_why(char *why, unsigned int mech, bool at_load, int err, const char *module)
{
	const char *stage = at_load ? "refused at load" : "attach failed";

	if (at_load && mech == NTF_MECH_FENTRY && module && module[0] && !module_has_btf(module))
		/* the kernel says EINVAL, which names no cause a user can act on */
		snprintf(why, NTF_REASON_LEN,
			 "module %s has no BTF (built without it, out of tree?): "
			 "fentry needs it",
			 module);
	else if (err == -ESRCH)
		snprintf(why, NTF_REASON_LEN, "not in kernel BTF (absent or inlined)");
	else if (err == -EPERM || err == -EACCES)
		snprintf(why, NTF_REASON_LEN, "%s: %s (lockdown or an LSM)", stage, strerror(-err));
	else if (err == -ENOTSUPP_KERNEL)
		snprintf(why, NTF_REASON_LEN, "%s: not supported for this function (ENOTSUPP)",
			 stage);
	else
		snprintf(why, NTF_REASON_LEN, "%s: %s", stage, strerror(-err));
}

static struct bpf_link *attach_one(struct bpf_program *prog, unsigned int mech, const char *func,
				   bool is_exit)
{
	/* kprobes name their function at attach; fentry and tracepoints were told at load */
	if (mech == NTF_MECH_KPROBE)
		return bpf_program__attach_kprobe(prog, is_exit, func);
	return bpf_program__attach(prog);
}

int ntf_rung_attach(struct bpf_program *entry, struct bpf_program *exit, unsigned int mech,
		    const char *func, const char *module, struct bpf_link *links[2], char *why)
{
	int err;

	links[0] = links[1] = NULL;
	if (!entry) {
		ntf_rung_why(why, mech, false, -ENOENT, module);
		return -ENOENT;
	}
	if (exit && !(links[1] = attach_one(exit, mech, func, true)))
		goto fail;
	if (!(links[0] = attach_one(entry, mech, func, false)))
		goto fail;
	return 0;
fail:
	err = -errno;
	ntf_rung_why(why, mech, false, err, module);
	bpf_link__destroy(links[1]);
	links[1] = NULL;
	return err;
}
