// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where a kprobe without task storage (before 6.2) finds the slots fentry
 * programs opened: tests/bpf/slot_check.bpf.c runs them through this
 * kernel's BPF. With the mirror on, a kprobe sees the invalidate, the
 * callback inside it and the unmap it charges, exactly as a fentry
 * program would, from the mirror array or, where another thread holds
 * the place, from the hash; nothing is left behind. Skipped, with the
 * reason, where the kernel loads no BPF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "notifier.h"
#include "slot_check.skel.h"

static struct slot_check_bpf *skel;
static char why[128];

/* The layout of bpf/notifier_common.bpf.h's mirror map's values. */
struct mirror_slot {
	__u32 owner;
	__u32 pad;
	__u64 f[7]; /* struct ntf_inflight: ts first */
};

static int load(void **state)
{
	(void)state;
	skel = slot_check_bpf__open_and_load();
	if (!skel)
		snprintf(why, sizeof(why), "this kernel loads no raw_tp program: %s",
			 strerror(errno));
	else
		assert_int_equal(bpf_map__value_size(skel->maps.mirror),
				 sizeof(struct mirror_slot));
	return 0;
}

static int unload(void **state)
{
	(void)state;
	slot_check_bpf__destroy(skel);
	return 0;
}

static void set_places(bool mirror)
{
	struct ntf_slot_places p = { .mirror = mirror };
	__u32 zero = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.slot_places), &zero, &p, 0), 0);
}

/* This thread's place for slot in the mirror. */
static __u32 place_of(__u32 slot)
{
	__u32 threads = bpf_map__max_entries(skel->maps.mirror) / NTF_SLOTS;

	return ((__u32)gettid() & (threads - 1)) * NTF_SLOTS + slot;
}

static struct mirror_slot read_place(__u32 slot)
{
	struct mirror_slot m;
	__u32 i = place_of(slot);

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.mirror), &i, &m), 0);
	return m;
}

static void write_place(__u32 slot, const struct mirror_slot *m)
{
	__u32 i = place_of(slot);

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.mirror), &i, m, 0), 0);
}

static void run(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	memset(skel->bss, 0, sizeof(*skel->bss));
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.slots), &o), 0);
	assert_int_equal(o.retval, 0);
}

static size_t hash_entries(void)
{
	__u64 k, next; /* struct ntf_inflight_key: a thread id and a slot */
	size_t n = 0;
	int fd = bpf_map__fd(skel->maps.inflight);

	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, &next); prev = &k) {
		k = next;
		n++;
	}
	return n;
}

/* What every run with the mirror on must show, wherever the copies went. */
static void kprobe_saw_all(void)
{
	assert_true(skel->bss->opened);
	assert_true(skel->bss->inside);
	assert_int_equal(skel->bss->seen_ts, 1000);
	assert_int_equal(skel->bss->seen_callback, 7);
	/* 100 by the fentry exit, 20 and 3 by the kprobes; two starts */
	assert_int_equal(skel->bss->charged_ns, 123);
	assert_int_equal(skel->bss->charged_calls, 2);
	assert_false(skel->bss->left);
	assert_int_equal(hash_entries(), 0);
}

static void mirror_in_the_array(void **state)
{
	(void)state;
	if (!skel)
		skip();
	set_places(true);
	run();
	kprobe_saw_all();
	assert_false(skel->bss->in_hash);
	/* every place given back */
	assert_int_equal(read_place(NTF_CLASS_INVAL_START).owner, 0);
	assert_int_equal(read_place(NTF_CLASS_CALLBACK).owner, 0);
	assert_int_equal(read_place(NTF_CLASS_UNMAP).owner, 0);
}

static void place_held_by_another_thread(void **state)
{
	struct mirror_slot other = {};

	(void)state;
	if (!skel)
		skip();
	set_places(true);
	/* a thread whose id has the same low bits holds two of the places */
	other.owner = 1 + (__u32)gettid() + bpf_map__max_entries(skel->maps.mirror) / NTF_SLOTS;
	other.f[0] = 99; /* its start time: live */
	write_place(NTF_CLASS_INVAL_START, &other);
	write_place(NTF_CLASS_UNMAP, &other);
	run();
	kprobe_saw_all();
	assert_true(skel->bss->in_hash);
	/* the other thread's copies untouched */
	assert_int_equal(read_place(NTF_CLASS_INVAL_START).owner, other.owner);
	assert_int_equal(read_place(NTF_CLASS_INVAL_START).f[0], 99);
	assert_int_equal(read_place(NTF_CLASS_UNMAP).owner, other.owner);
	memset(&other, 0, sizeof(other));
	write_place(NTF_CLASS_INVAL_START, &other);
	write_place(NTF_CLASS_UNMAP, &other);
}

/* No kprobe reads: nothing is copied, so a kprobe finds nothing (the check is not vacuous). */
static void no_mirror_no_copies(void **state)
{
	(void)state;
	if (!skel)
		skip();
	set_places(false);
	run();
	assert_true(skel->bss->opened);
	assert_false(skel->bss->inside);
	assert_int_equal(skel->bss->seen_callback, 0);
	assert_int_equal(skel->bss->charged_ns, 100);
	assert_int_equal(skel->bss->charged_calls, 1);
	assert_int_equal(hash_entries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mirror_in_the_array),
		cmocka_unit_test(place_held_by_another_thread),
		cmocka_unit_test(no_mirror_no_copies),
	};
	int rc = cmocka_run_group_tests(tests, load, unload);

	if (why[0])
		print_message("skipped: %s\n", why);
	return rc;
}
