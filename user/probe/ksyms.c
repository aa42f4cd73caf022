// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

struct ntf_ksyms {
	struct ntf_ksym *by_addr;
	struct ntf_ksym **by_name;
	size_t count;
	char *strs;
	size_t strs_len, strs_cap;
	bool addrs_hidden;
};

static int cmp_addr(const void *a, const void *b)
{
	const struct ntf_ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ntf_ksym *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Names are stored as offsets while the buffer may still move. */
static long add_str(struct ntf_ksyms *ks, const char *s)
{
	size_t len = strlen(s) + 1;
	long off;

	if (ks->strs_len + len > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->strs_len + len)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return -1;
		ks->strs = p;
		ks->strs_cap = cap;
	}
	off = ks->strs_len;
	memcpy(ks->strs + off, s, len);
	ks->strs_len += len;
	return off;
}

struct ntf_ksyms *ntf_ksyms_load(const char *path)
{
	struct ntf_ksyms *ks = calloc(1, sizeof(*ks));
	size_t cap = 0;
	char line[512];
	bool any_addr = false;
	FILE *f;

	if (!ks)
		return NULL;
	f = fopen(path ? path : "/proc/kallsyms", "r");
	if (!f)
		goto fail;
	while (fgets(line, sizeof(line), f)) {
		char type, name[256], module[128] = "";
		unsigned long long addr;
		long name_off, mod_off = -1;
		int n;

		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, module);
		if (n < 3)
			continue;
		if (type != 't' && type != 'T' && type != 'd' && type != 'D' && type != 'r' &&
		    type != 'R' && type != 'b' && type != 'B')
			continue;
		if (ks->count == cap) {
			struct ntf_ksym *p;

			cap = cap ? cap * 2 : 65536;
			p = realloc(ks->by_addr, cap * sizeof(*p));
			if (!p)
				goto fail_file;
			ks->by_addr = p;
		}
		name_off = add_str(ks, name);
		if (name_off < 0)
			goto fail_file;
		if (n == 4) {
			mod_off = add_str(ks, module);
			if (mod_off < 0)
				goto fail_file;
		}
		any_addr |= addr != 0;
		ks->by_addr[ks->count].addr = addr;
		ks->by_addr[ks->count].name = (const char *)(uintptr_t)name_off;
		ks->by_addr[ks->count].module = (const char *)(intptr_t)mod_off;
		ks->count++;
	}
	fclose(f);
	ks->addrs_hidden = !any_addr;
	for (size_t i = 0; i < ks->count; i++) {
		intptr_t mod = (intptr_t)ks->by_addr[i].module;

		ks->by_addr[i].name = ks->strs + (uintptr_t)ks->by_addr[i].name;
		ks->by_addr[i].module = mod < 0 ? NULL : ks->strs + mod;
	}
	qsort(ks->by_addr, ks->count, sizeof(*ks->by_addr), cmp_addr);
	ks->by_name = malloc((ks->count ? ks->count : 1) * sizeof(*ks->by_name));
	if (!ks->by_name)
		goto fail;
	for (size_t i = 0; i < ks->count; i++)
		ks->by_name[i] = &ks->by_addr[i];
	qsort(ks->by_name, ks->count, sizeof(*ks->by_name), cmp_name);
	return ks;

fail_file:
	fclose(f);
fail:
	ntf_ksyms_free(ks);
	return NULL;
}

void ntf_ksyms_free(struct ntf_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->by_addr);
	free(ks->by_name);
	free(ks->strs);
	free(ks);
}

const struct ntf_ksym *ntf_ksyms_by_name(const struct ntf_ksyms *ks, const char *name)
{
	struct ntf_ksym want = { .name = name }, *key = &want, **hit;

	hit = bsearch(&key, ks->by_name, ks->count, sizeof(*ks->by_name), cmp_name);
	return hit ? *hit : NULL;
}

const struct ntf_ksym *ntf_ksyms_by_addr(const struct ntf_ksyms *ks, __u64 addr)
{
	size_t lo = 0, hi = ks->count;

	if (ks->addrs_hidden || !ks->count || addr < ks->by_addr[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->by_addr[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->by_addr[lo];
}
