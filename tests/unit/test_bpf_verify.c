// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The probes' kprobe programs pass this kernel's verifier, kernel stacks
 * on and off, in the main object and the callback slots. A kernel
 * without kprobes still loads kprobe programs where it has uprobes (the
 * same program type), so they are verified even where they could never
 * attach; this is how the build machine, which refuses fentry and has no
 * kprobes, checks the code every rung shares (the tracepoint rung is
 * loaded by every notifier record there). fentry programs need a
 * kernel that allows them, and each its target: the test bed's. Where
 * this kernel lets kprobes use task storage (6.2 on), they are verified
 * both ways: their in-flight slots in the hash, and in task storage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include "notifier.h"
#include "callback.skel.h"
#include "notifier.skel.h"

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static bool kprobe_rung(const char *sec)
{
	return !strncmp(sec, "kprobe", 6) || !strncmp(sec, "kretprobe", 9);
}

/*
 * Loads obj's kprobe programs only, cfg as the tracer would set it with
 * stacks on or off. 0, or the load's negative errno.
 */
static int load_kprobes(struct bpf_object *obj, struct ntf_config *cfg, bool stacks,
			bool task_slots, unsigned int *n)
{
	struct bpf_program *p;

	*n = 0;
	bpf_object__for_each_program (p, obj) {
		bool load = kprobe_rung(bpf_program__section_name(p));

		bpf_program__set_autoload(p, load);
		*n += load;
	}
	cfg->stream = 1;
	cfg->aggregate = 1;
	cfg->per_process = 1;
	cfg->by_origin = 1;
	cfg->stacks = stacks;
	cfg->stack_min_ns = 1000000;
	cfg->kprobe_task_slots = task_slots;
	return bpf_object__load(obj);
}

static void verify(bool stacks, bool callbacks, bool task_slots)
{
	const char *what = callbacks ? "callback.bpf.o" : "notifier.bpf.o";
	struct notifier_bpf *main_skel = NULL;
	struct callback_bpf *cb_skel = NULL;
	unsigned int n;
	int err;

	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, NULL) <= 0)
		skip();
	if (callbacks) {
		cb_skel = callback_bpf__open();
		assert_non_null(cb_skel);
		if (!stacks)
			bpf_map__set_max_entries(cb_skel->maps.stacks, 1);
		err = load_kprobes(cb_skel->obj, &cb_skel->rodata->cfg, stacks, task_slots, &n);
	} else {
		main_skel = notifier_bpf__open();
		assert_non_null(main_skel);
		if (!stacks)
			bpf_map__set_max_entries(main_skel->maps.stacks, 1);
		err = load_kprobes(main_skel->obj, &main_skel->rodata->cfg, stacks, task_slots, &n);
	}
	callback_bpf__destroy(cb_skel);
	notifier_bpf__destroy(main_skel);
	if (err)
		fail_msg("%u kprobe programs of %s, stacks %s, slots in %s: %s", n, what,
			 stacks ? "on" : "off", task_slots ? "task storage" : "the hash",
			 strerror(-err));
	print_message("%u kprobe programs of %s, stacks %s, slots in %s: verified\n", n, what,
		      stacks ? "on" : "off", task_slots ? "task storage" : "the hash");
}

static void verify_all(bool callbacks)
{
	bool task_storage =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) == 1;

	verify(false, callbacks, false);
	verify(true, callbacks, false);
	if (task_storage) {
		verify(false, callbacks, true);
		verify(true, callbacks, true);
	} else {
		print_message("kprobes here cannot use task storage: that way not verified\n");
	}
}

static void main_object(void **state)
{
	(void)state;
	verify_all(false);
}

static void callback_slots(void **state)
{
	(void)state;
	verify_all(true);
}

static int quiet(void **state)
{
	(void)state;
	libbpf_set_print(silent);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(main_object),
		cmocka_unit_test(callback_slots),
	};

	if (geteuid()) {
		print_message("skipped: needs root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, quiet, NULL);
}
