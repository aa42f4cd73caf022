// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rescan's rules, from kallsyms and /proc/modules fixtures: what is
 * present and why not, a module leaving, names of discovered callbacks
 * and their collisions, addresses not yet resolvable, and the cache that
 * spares kallsyms reads.
 */
#define _GNU_SOURCE /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "callback_set.h"
#include "ksyms.h"
#include "modules.h"

static const char kallsyms[] = "ffffffff81000000 T _stext\n"
			       "ffffffffc0100000 t kvm_mmu_notifier_invalidate_range_start\t[kvm]\n"
			       "ffffffffc0100100 t kvm_mmu_notifier_invalidate_range_end\t[kvm]\n"
			       "ffffffffc0100200 t kvm_extra_invalidate\t[kvm]\n"
			       "ffffffffc0200000 t uvm_range_invalidate\t[nvidia_uvm]\n"
			       "ffffffffc0200100 t uvm_other_invalidate\t[nvidia_uvm]\n"
			       "ffffffffc0200200 t uvm_range_end\t[nvidia_uvm]\n"
			       "ffffffffc0300000 t late_invalidate\t[latemod]\n"
			       "ffffffff81500000 T iommu_sva_invalidate\n";

static const char modules_all[] = "kvm 1000 0 - Live 0xffffffffc0100000\n"
				  "nvidia_uvm 2000 0 - Live 0xffffffffc0200000\n"
				  "latemod 100 0 - Loading 0xffffffffc0300000\n";
static const char modules_no_kvm[] = "nvidia_uvm 2000 0 - Live 0xffffffffc0200000\n"
				     "latemod 100 0 - Live 0xffffffffc0300000\n";

struct fixture {
	char dir[128];
	char *ksyms_path, *modules_path;
	struct ntf_callback_set set;
	struct ntf_ksyms *ks;
	unsigned int detached[8], ndetached;
};

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void on_detach(void *ctx, unsigned int index)
{
	struct fixture *fx = ctx;

	fx->detached[fx->ndetached++ % 8] = index;
	fx->set.subs[index].attached = false;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	snprintf(fx->dir, sizeof(fx->dir), "%s/ntf-cbset-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->ksyms_path = write_file(fx->dir, "kallsyms", kallsyms);
	fx->modules_path = write_file(fx->dir, "modules", modules_all);
	ntf_callback_set_init(&fx->set);
	fx->set.kallsyms_path = fx->ksyms_path;
	fx->set.detach = on_detach;
	fx->set.ctx = fx;
	fx->ks = ntf_ksyms_load(fx->ksyms_path);
	*state = fx;
	return fx->ks ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ntf_ksyms_free(fx->ks);
	ntf_callback_set_release(&fx->set);
	unlink(fx->ksyms_path);
	unlink(fx->modules_path);
	rmdir(fx->dir);
	free(fx->ksyms_path);
	free(fx->modules_path);
	free(fx);
	return 0;
}

static int index_of(const struct ntf_callback_set *set, const char *func)
{
	for (unsigned int i = 0; i < set->nsubs; i++)
		if (!strcmp(set->subs[i].def->func, func))
			return (int)i;
	return -1;
}

static bool pending_has(const unsigned int *pending, unsigned int n, int index)
{
	for (unsigned int i = 0; i < n; i++)
		if ((int)pending[i] == index)
			return true;
	return false;
}

static void scan(struct fixture *fx, const char *modules_text, unsigned int *pending,
		 unsigned int *n)
{
	char *modules;

	unlink(fx->modules_path);
	free(write_file(fx->dir, "modules", modules_text));
	modules = ntf_modules_read(fx->modules_path);
	assert_non_null(modules);
	*n = 0;
	ntf_callback_set_scan(&fx->set, fx->ks, modules, false, pending, n);
}

static void table_present_absent_and_leaving(void **state)
{
	struct fixture *fx = *state;
	unsigned int pending[NTF_CALLBACK_SET_MAX], n;
	int kvm = index_of(&fx->set, "kvm_mmu_notifier_invalidate_range_start");
	int i915 = index_of(&fx->set, "i915_gem_userptr_invalidate");
	char *same;

	assert_true(kvm >= 0 && i915 >= 0);
	scan(fx, modules_all, pending, &n);
	assert_true(fx->set.subs[kvm].present);
	assert_string_equal(fx->set.subs[kvm].module, "kvm");
	assert_true(pending_has(pending, n, kvm));
	assert_false(fx->set.subs[i915].present);
	assert_string_equal(fx->set.subs[i915].absent, "module i915 not loaded");
	assert_false(pending_has(pending, n, i915));

	/* unchanged modules: nothing to read again */
	same = ntf_modules_read(fx->modules_path);
	assert_false(ntf_callback_set_modules_changed(&fx->set, same));
	free(same);

	/* kvm attached, then its module leaves: detached, absent, said why */
	fx->set.subs[kvm].attached = true;
	scan(fx, modules_no_kvm, pending, &n);
	assert_int_equal(fx->ndetached, 1);
	assert_int_equal(fx->detached[0], kvm);
	assert_false(fx->set.subs[kvm].present);
	assert_string_equal(fx->set.subs[kvm].absent, "module kvm not loaded");
	assert_false(pending_has(pending, n, kvm));

	/* and comes back: pending again, and news to announce */
	scan(fx, modules_all, pending, &n);
	assert_true(fx->set.subs[kvm].present);
	assert_true(pending_has(pending, n, kvm));
	assert_string_equal(fx->set.subs[kvm].news, "appeared");
}

static struct ntf_found_callback found_at(__u64 addr, __u32 kind, __u64 subs, __u64 mms)
{
	struct ntf_found_callback f = { .addr = addr };

	f.d.kind = kind;
	f.d.registrations = subs;
	f.d.mms = mms;
	return f;
}

static void discovered_names_and_collisions(void **state)
{
	struct fixture *fx = *state;
	unsigned int pending[NTF_CALLBACK_SET_MAX], n;
	struct ntf_found_callback found[] = {
		found_at(0xffffffffc0200000, NTF_CB_BOOL, 3, 2), /* uvm_range_invalidate */
		found_at(0xffffffffc0200100, NTF_CB_BOOL, 1, 1), /* uvm_other_invalidate */
		found_at(0xffffffffc0200200, NTF_CB_VOID, 1, 1), /* uvm_range_end */
		found_at(0xffffffffc0100200, NTF_CB_BOOL, 1, 1), /* kvm_extra_invalidate */
		found_at(0xffffffff81500000, NTF_CB_TLB, 1, 1), /* built in, secondary TLB */
		found_at(0xffffffffc0100000, NTF_CB_INT, 4, 4), /* the table's kvm */
		found_at(0xffffffffc0200010, NTF_CB_BOOL, 1, 1), /* inside a function */
		found_at(0xffffffffc0300000, NTF_CB_BOOL, 1, 1), /* module still loading */
	};
	struct ntf_ksyms *ks = NULL;
	int uvm, uvm2, uvm_end, kvm2, tlb, kvm, late;

	scan(fx, modules_all, pending, &n);
	n = 0;
	ntf_callback_set_found(&fx->set, &ks, found, 8, pending, &n);
	uvm = index_of(&fx->set, "uvm_range_invalidate");
	uvm2 = index_of(&fx->set, "uvm_other_invalidate");
	uvm_end = index_of(&fx->set, "uvm_range_end");
	kvm2 = index_of(&fx->set, "kvm_extra_invalidate");
	tlb = index_of(&fx->set, "iommu_sva_invalidate");
	kvm = index_of(&fx->set, "kvm_mmu_notifier_invalidate_range_start");
	late = index_of(&fx->set, "late_invalidate");
	assert_true(uvm >= 0 && uvm2 >= 0 && uvm_end >= 0 && kvm2 >= 0 && tlb >= 0);
	assert_string_equal(fx->set.subs[uvm].def->driver, "nvidia_uvm");
	assert_string_equal(fx->set.subs[uvm2].def->driver, "nvidia_uvm.2");
	assert_string_equal(fx->set.subs[uvm_end].def->driver, "nvidia_uvm_end");
	/* "kvm" is the table's: a discovered kvm callback is told apart */
	assert_string_equal(fx->set.subs[kvm2].def->driver, "kvm.2");
	assert_string_equal(fx->set.subs[tlb].def->driver, "iommu_tlb");
	assert_true(fx->set.subs[uvm].discovered);
	/* the ids are named for every report of this process */
	assert_string_equal(ntf_driver_name(fx->set.subs[uvm2].id), "nvidia_uvm.2");
	assert_int_equal(ntf_callback_id("nvidia_uvm_end"), fx->set.subs[uvm_end].id);
	/* and their symbols, which a trace file keeps beside the names */
	assert_string_equal(ntf_discovered_func(fx->set.subs[uvm2].id), "uvm_other_invalidate");
	assert_null(ntf_discovered_func(fx->set.subs[kvm].id));
	/* registrations counted where they point, the table's callback included */
	assert_int_equal(fx->set.subs[uvm].registrations, 3);
	assert_int_equal(fx->set.subs[uvm].mms, 2);
	assert_int_equal(fx->set.subs[kvm].registrations, 4);
	assert_false(fx->set.subs[kvm].discovered);
	/* to attach: the new ones, but not a secondary-TLB callback (no range) */
	assert_true(pending_has(pending, n, uvm) && pending_has(pending, n, uvm_end));
	assert_false(pending_has(pending, n, tlb));
	assert_non_null(strstr(fx->set.subs[tlb].why[NTF_MECH_FENTRY], "secondary-TLB"));
	/* not a function start: ignored; a loading module: asked again later */
	assert_int_equal(late, -1);
	assert_int_equal(fx->set.nsubs, ntf_known_callback_count + 5);

	/* a second pass reads no kallsyms for what it has seen... */
	ntf_ksyms_free(ks);
	ks = NULL;
	unlink(fx->ksyms_path);
	n = 0;
	ntf_callback_set_found(&fx->set, &ks, found, 6, pending, &n);
	assert_null(ks);
	assert_int_equal(n, 0);
	assert_int_equal(fx->set.subs[uvm].registrations, 3); /* counted afresh, not added */
	/* ...but does for the address it could not resolve yet */
	free(write_file(fx->dir, "kallsyms", kallsyms));
	scan(fx, modules_no_kvm, pending, &n); /* latemod is live now */
	n = 0;
	ntf_callback_set_found(&fx->set, &ks, found, 8, pending, &n);
	late = index_of(&fx->set, "late_invalidate");
	assert_true(late >= 0);
	assert_string_equal(fx->set.subs[late].def->driver, "latemod");
	assert_true(pending_has(pending, n, late));
	ntf_ksyms_free(ks);
}

/*
 * The registration watch keeps an entry while a call could still go
 * uncounted: a callback not resolved, one attached too recently, one not
 * yet tried; it retires what is seen, settled or refused, and what is old.
 */
static void watch_retires_settled_entries(void **state)
{
	struct fixture *fx = *state;
	unsigned int pending[NTF_CALLBACK_SET_MAX], n;
	int kvm = index_of(&fx->set, "kvm_mmu_notifier_invalidate_range_start");
	__u64 kvm_fn = 0xffffffffc0100000ULL, now = 100 * NTF_WATCH_SETTLE_NS;
	struct ntf_pending p = { .born_ns = now - 1 };
	struct ntf_callback *s;

	scan(fx, modules_all, pending, &n);
	assert_true(kvm >= 0);
	s = &fx->set.subs[kvm];
	assert_int_equal(s->addr, kvm_fn);
	p.subs[0] = (struct ntf_pending_sub){ .sub = 1, .fn = kvm_fn, .armed_ns = now - 1 };
	/* present, not tried yet: a scan is about to attach it */
	assert_false(ntf_callback_set_retires(&fx->set, &p, now));
	/* attached a moment ago: a chain call begun before may still end */
	s->attached = true;
	s->attached_ns = now - 1;
	assert_false(ntf_callback_set_retires(&fx->set, &p, now));
	/* settled */
	s->attached_ns = now - NTF_WATCH_SETTLE_NS - 1;
	assert_true(ntf_callback_set_retires(&fx->set, &p, now));
	/* a second subscription behind an address nobody resolved keeps it */
	p.subs[1] = (struct ntf_pending_sub){ .sub = 2, .fn = 0xdead0000, .armed_ns = now - 1 };
	assert_false(ntf_callback_set_retires(&fx->set, &p, now));
	/* ... unless its probe has seen it */
	p.subs[1].live = 1;
	assert_true(ntf_callback_set_retires(&fx->set, &p, now));
	/* not attached, every rung refused: nothing will ever see it */
	s->attached = false;
	assert_false(ntf_callback_set_retires(&fx->set, &p, now));
	snprintf(s->why[NTF_MECH_FENTRY], NTF_REASON_LEN, "refused");
	assert_true(ntf_callback_set_retires(&fx->set, &p, now));
	/* old entries go whatever they hold: their mm may be gone */
	s->why[NTF_MECH_FENTRY][0] = '\0';
	assert_false(ntf_callback_set_retires(&fx->set, &p, now));
	assert_true(ntf_callback_set_retires(&fx->set, &p, p.born_ns + NTF_WATCH_MAX_AGE_NS + 1));
}

/* Unseen calls go to the callback at their address, the rest are summed apart. */
static void watch_unseen_by_address(void **state)
{
	struct fixture *fx = *state;
	unsigned int pending[NTF_CALLBACK_SET_MAX], n;
	int kvm = index_of(&fx->set, "kvm_mmu_notifier_invalidate_range_start");
	struct ntf_unseen u = { .calls = 12, .maybe = 1 }, v = { .calls = 5, .maybe = 2 };

	scan(fx, modules_all, pending, &n);
	ntf_callback_set_unseen(&fx->set, 0xffffffffc0100000ULL, &u);
	ntf_callback_set_unseen(&fx->set, 0xdead0000, &v);
	assert_int_equal(fx->set.subs[kvm].unseen, 12);
	assert_int_equal(fx->set.subs[kvm].unseen_maybe, 1);
	assert_int_equal(fx->set.unseen_unresolved, 7);
	/* a module that left takes its address with it */
	scan(fx, modules_no_kvm, pending, &n);
	assert_int_equal(fx->set.subs[kvm].addr, 0);
}

/* Every callback's JSON carries what the watch counted, with the types it says. */
static void callbacks_json_has_watch_fields(void **state)
{
	struct ntf_callbacks_opts o = { .no_discovery = true, .pending_fd = -1 };
	struct ntf_callbacks *subs;
	json_t *arr, *w;
	size_t i;
	json_t *cb;

	(void)state;
	assert_int_equal(ntf_callbacks_new(&o, &subs), 0);
	arr = ntf_callbacks_json(subs);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), ntf_callbacks_count(subs));
	json_array_foreach(arr, i, cb)
	{
		assert_true(json_is_integer(json_object_get(cb, "unseen_calls")));
		assert_true(json_is_integer(json_object_get(cb, "unseen_maybe")));
		assert_true(json_is_integer(json_object_get(cb, "attach_delay_ns")));
		assert_true(json_is_object(json_object_get(cb, "why")));
	}
	w = ntf_callbacks_watch_json(subs, 3);
	assert_int_equal(json_integer_value(json_object_get(w, "registrations_unwatched")), 3);
	assert_int_equal(json_integer_value(json_object_get(w, "unresolved_calls")), 0);
	json_decref(w);
	json_decref(arr);
	ntf_callbacks_free(subs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(table_present_absent_and_leaving, setup, teardown),
		cmocka_unit_test_setup_teardown(discovered_names_and_collisions, setup, teardown),
		cmocka_unit_test_setup_teardown(watch_retires_settled_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(watch_unseen_by_address, setup, teardown),
		cmocka_unit_test(callbacks_json_has_watch_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
