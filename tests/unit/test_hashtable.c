// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The open-addressing table under the aggregate and notifier-top's tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hashtable.h"

struct item {
	__u64 key;
	__u32 value;
};

static bool item_is(const void *entry, const void *key)
{
	return ((const struct item *)entry)->key == *(const __u64 *)key;
}

/* Inserts key with value, or finds it; the entry. */
static struct item *upsert(struct ntf_table *t, __u64 h, __u64 key, __u32 value)
{
	size_t i = ntf_table_slot(t, h, &key, item_is);
	struct item *it;

	if (ntf_table_used(t, i))
		return ntf_table_at(t, i);
	it = ntf_table_claim(t, i, h);
	assert_non_null(it);
	assert_int_equal(it->key, 0); /* claimed entries are zeroed */
	it->key = key;
	it->value = value;
	return it;
}

/* A poor hash on purpose: runs of keys collide, and key 0 hashes to 0. */
static __u64 poor(__u64 key)
{
	return key / 3;
}

static void insert_find_grow(void **state)
{
	struct ntf_table t;
	const __u32 n = 20000;

	(void)state;
	assert_int_equal(ntf_table_init(&t, sizeof(struct item)), 0);
	assert_int_equal(t.cap, 64);
	for (__u64 k = 0; k < n; k++)
		upsert(&t, poor(k), k, k * 7);
	assert_int_equal(t.count, n);
	/* at most half full, and no emptier than a quarter: it doubled only when it must */
	assert_true(t.count * 2 <= t.cap);
	assert_true(t.count * 4 > t.cap);
	for (__u64 k = 0; k < n; k++) {
		struct item *it = ntf_table_find(&t, poor(k), &k, item_is);

		assert_non_null(it);
		assert_int_equal(it->value, k * 7);
		/* found again, not inserted again */
		assert_ptr_equal(upsert(&t, poor(k), k, 1), it);
	}
	assert_int_equal(t.count, n);
	for (__u64 k = n; k < n + 100; k++)
		assert_null(ntf_table_find(&t, poor(k), &k, item_is));
	ntf_table_clear(&t);
	assert_int_equal(t.count, 0);
	for (__u64 k = 0; k < n; k++)
		assert_null(ntf_table_find(&t, poor(k), &k, item_is));
	ntf_table_fini(&t);
}

/* Two tables given the same keys have the same capacity and slots. */
static void same_keys_same_slots(void **state)
{
	struct ntf_table a, b;

	(void)state;
	assert_int_equal(ntf_table_init(&a, sizeof(struct item)), 0);
	assert_int_equal(ntf_table_init(&b, sizeof(struct item)), 0);
	for (__u64 k = 1; k <= 5000; k++)
		upsert(&a, k * 0x9e3779b97f4a7c15ULL, k, 0);
	for (__u64 k = 5000; k >= 1; k--)
		upsert(&b, k * 0x9e3779b97f4a7c15ULL, k, 0);
	assert_int_equal(a.cap, b.cap);
	for (size_t i = 0; i < a.cap; i++)
		assert_int_equal(ntf_table_used(&a, i), ntf_table_used(&b, i));
	ntf_table_fini(&a);
	ntf_table_fini(&b);
}

static bool keep_even(void *entry, void *ctx)
{
	struct item *it = entry;

	++*(int *)ctx;
	return it->key % 2 == 0;
}

static void reserve_and_filter(void **state)
{
	struct ntf_table t;
	size_t cap;
	int seen = 0;

	(void)state;
	assert_int_equal(ntf_table_init(&t, sizeof(struct item)), 0);
	for (__u64 k = 0; k < 1000; k++)
		upsert(&t, poor(k), k, k);
	/* room for 3000: no growth while they go in */
	assert_int_equal(ntf_table_reserve(&t, 3000), 0);
	cap = t.cap;
	assert_true(3000 * 4 <= cap * 3);
	for (__u64 k = 1000; k < 3000; k++)
		upsert(&t, poor(k), k, k);
	assert_int_equal(t.cap, cap);
	assert_int_equal(ntf_table_filter(&t, keep_even, &seen), 0);
	assert_int_equal(seen, 3000);
	assert_int_equal(t.count, 1500);
	assert_int_equal(t.cap, cap);
	for (__u64 k = 0; k < 3000; k++) {
		struct item *it = ntf_table_find(&t, poor(k), &k, item_is);

		if (k % 2) {
			assert_null(it);
		} else {
			assert_non_null(it);
			assert_int_equal(it->value, k);
		}
	}
	ntf_table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(insert_find_grow),
		cmocka_unit_test(same_keys_same_slots),
		cmocka_unit_test(reserve_and_filter),
	};

	return cmocka_run_group_tests_name("hashtable", tests, NULL, NULL);
}
