// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callback_set.h"
#include "ksyms.h"
#include "log.h"
#include "modules.h"
#include "names.h"

#define KNOWN ntf_known_callback_count
#define MAX_SUBS NTF_CALLBACK_SET_MAX

void ntf_callback_set_init(struct ntf_callback_set *set)
{
	memset(set, 0, sizeof(*set));
	for (unsigned int i = 0; i < KNOWN; i++) {
		set->subs[i].id = i + 1;
		set->subs[i].def = &ntf_known_callbacks[i];
	}
	set->nsubs = KNOWN;
}

void ntf_callback_set_release(struct ntf_callback_set *set)
{
	free(set->modules);
	set->modules = NULL;
}

/* A callback whose symbol or module is gone: detached, and said so. */
static void mark_gone(struct ntf_callback_set *set, unsigned int i, bool tell)
{
	struct ntf_callback *s = &set->subs[i];

	if (s->attached && tell)
		ntf_info("%s left (%s is gone); detached", s->def->driver, s->def->func);
	if (s->attached)
		set->detach(set->ctx, i);
	s->present = false;
	s->addr = 0;
}

/* The table's callbacks against kallsyms and the live modules. */
static void scan_table(struct ntf_callback_set *set, const struct ntf_ksyms *ks, bool tell,
		       unsigned int *pending, unsigned int *npending)
{
	const char *modules = set->modules;

	for (unsigned int i = 0; i < KNOWN; i++) {
		struct ntf_callback *s = &set->subs[i];
		const struct ntf_ksym *sym = ntf_ksyms_by_name(ks, s->def->func);

		if (sym && sym->module && !ntf_module_live(modules, sym->module))
			sym = NULL; /* still loading, or going: a later scan decides */
		if (!sym) {
			if (!ntf_module_live(modules, s->def->module))
				snprintf(s->absent, sizeof(s->absent), "module %s not loaded",
					 s->def->module);
			else if (s->def->era)
				snprintf(
					s->absent, sizeof(s->absent),
					"not in %s: this name is in kernels %s, or built without %s",
					s->def->module, s->def->era, s->def->needs);
			else
				snprintf(s->absent, sizeof(s->absent),
					 "not in %s: built without %s, or renamed in this version",
					 s->def->module, s->def->needs);
			mark_gone(set, i, tell);
			continue;
		}
		snprintf(s->module, sizeof(s->module), "%s", sym->module ? sym->module : "");
		s->addr = sym->addr;
		s->absent[0] = '\0';
		if (!s->present && set->scanned)
			s->news = "appeared";
		s->present = true;
		if (!s->attached) {
			memset(s->why, 0, sizeof(s->why));
			pending[(*npending)++] = i;
		}
	}
}

/* Discovered callbacks whose module left: their addresses mean nothing now. */
static void scan_discovered_modules(struct ntf_callback_set *set, bool tell)
{
	for (unsigned int i = KNOWN; i < set->nsubs; i++) {
		struct ntf_callback *s = &set->subs[i];

		if (!s->present || !s->module[0] || ntf_module_live(set->modules, s->module))
			continue;
		mark_gone(set, i, tell);
		snprintf(s->absent, sizeof(s->absent), "module %s not loaded", s->def->module);
	}
}

/*
 * What users call a discovered callback: its module ("nvidia_uvm"), or for
 * one built in, the first word of its symbol; "_end"/"_tlb" for the other
 * callbacks of a classic callback, and ".2", ".3"... when a module has
 * several of a kind.
 */
static void name_discovered(const struct ntf_ksym *sym, __u32 kind, char *name)
{
	const char *suffix = kind == NTF_CB_VOID ? "_end" : kind == NTF_CB_TLB ? "_tlb" : "";
	char base[NTF_DRIVER_LEN];
	int len = sym->module ? (int)strlen(sym->module) : (int)strcspn(sym->name, "_");

	if (len > (int)(NTF_DRIVER_LEN - 1 - strlen(suffix) - 3))
		len = NTF_DRIVER_LEN - 1 - strlen(suffix) - 3; /* room for ".NN" */
	snprintf(base, sizeof(base), "%.*s%s", len, sym->module ? sym->module : sym->name, suffix);
	snprintf(name, NTF_DRIVER_LEN, "%s", base);
	/* base leaves room for the suffix: a truncated name would be a bug */
	for (unsigned int n = 2; ntf_callback_id(name) && n < 100; n++)
		if (snprintf(name, NTF_DRIVER_LEN, "%s.%u", base, n) >= NTF_DRIVER_LEN)
			break;
}

/*
 * Which callback a callback address is, adding a discovered one when no
 * table entry has its symbol. Returns the index, -1 for an address that is
 * no function start (hidden by kptr_restrict), -2 to ask again next scan.
 */
static int resolve_callback(struct ntf_callback_set *set, struct ntf_ksyms **ks,
			    const struct ntf_found_callback *f, unsigned int *pending,
			    unsigned int *npending)
{
	const struct ntf_ksym *sym;
	struct discovered_def *dd;
	struct ntf_callback *s;
	unsigned int i;

	if (!*ks && !(*ks = ntf_ksyms_load(set->kallsyms_path)))
		return -2;
	sym = ntf_ksyms_by_addr(*ks, f->addr);
	if (!sym || sym->addr != f->addr)
		return -1;
	if (sym->module && !ntf_module_live(set->modules, sym->module))
		return -2; /* its module is still loading */
	for (i = 0; i < KNOWN; i++)
		if (!strcmp(ntf_known_callbacks[i].func, sym->name)) {
			set->subs[i].addr = f->addr;
			return i;
		}
	for (i = KNOWN; i < set->nsubs; i++) {
		s = &set->subs[i];
		if (strcmp(s->def->func, sym->name) ||
		    strcmp(s->module, sym->module ? sym->module : ""))
			continue;
		if (!s->present) {
			s->present = true;
			s->addr = f->addr;
			s->absent[0] = '\0';
			s->news = "appeared again";
			if (s->def->kind != NTF_CB_TLB) {
				memset(s->why, 0, sizeof(s->why));
				pending[(*npending)++] = i;
			}
		}
		return i;
	}
	if (set->nsubs == MAX_SUBS) {
		snprintf(set->disc_why, sizeof(set->disc_why),
			 "more than %u callbacks discovered: %s and later ones not attributed",
			 NTF_MAX_DISCOVERED, sym->name);
		return -1;
	}
	i = set->nsubs++;
	dd = &set->ddefs[i - KNOWN];
	s = &set->subs[i];
	snprintf(dd->func, sizeof(dd->func), "%s", sym->name);
	snprintf(dd->module, sizeof(dd->module), "%s", sym->module ? sym->module : "");
	name_discovered(sym, f->d.kind, dd->driver);
	dd->def = (struct ntf_callback_def){ .driver = dd->driver,
					     .func = dd->func,
					     .module = dd->module,
					     .kind = f->d.kind,
					     .needs = "a live subscription" };
	ntf_driver_name_set(i + 1, dd->driver);
	ntf_discovered_func_set(i + 1, dd->func);
	s->id = i + 1;
	s->def = &dd->def;
	s->discovered = true;
	s->present = true;
	s->addr = f->addr;
	memcpy(s->module, dd->module, sizeof(s->module));
	if (set->scanned)
		s->news = "discovered";
	if (f->d.kind == NTF_CB_TLB) {
		/* the slots read a range struct, which this callback is not given */
		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++)
			snprintf(s->why[m], NTF_REASON_LEN,
				 "not traced: a secondary-TLB callback gets (mm, start, end), "
				 "no range");
		return i;
	}
	pending[(*npending)++] = i;
	return i;
}

bool ntf_callback_set_modules_changed(const struct ntf_callback_set *set, const char *modules)
{
	return !set->scanned || !set->modules || strcmp(modules, set->modules);
}

void ntf_callback_set_scan(struct ntf_callback_set *set, const struct ntf_ksyms *ks, char *modules,
			   bool tell, unsigned int *pending, unsigned int *npending)
{
	free(set->modules);
	set->modules = modules;
	scan_table(set, ks, tell, pending, npending);
	scan_discovered_modules(set, tell);
	set->nseen = 0; /* an address a module left may be another's now */
	set->scanned = true;
}

void ntf_callback_set_found(struct ntf_callback_set *set, struct ntf_ksyms **ks,
			    const struct ntf_found_callback *found, int n, unsigned int *pending,
			    unsigned int *npending)
{
	for (unsigned int i = 0; i < set->nsubs; i++) {
		set->subs[i].registrations = 0;
		set->subs[i].mms = 0;
	}
	for (int k = 0; k < n; k++) {
		const struct ntf_found_callback *f = &found[k];
		int index = -2;

		for (unsigned int j = 0; j < set->nseen; j++)
			if (set->seen[j].addr == f->addr)
				index = set->seen[j].index;
		if (index == -2) {
			index = resolve_callback(set, ks, f, pending, npending);
			if (index != -2 && set->nseen < NTF_DISCOVER_MAX)
				set->seen[set->nseen++] = (struct seen_addr){ f->addr, index };
		}
		if (index < 0)
			continue;
		set->subs[index].registrations += f->d.registrations;
		set->subs[index].mms += f->d.mms;
	}
}

/*
 * Says what the scan found, once the ladder has run: a workload waiting
 * for the news can rely on the callback being traced (or on why not).
 */
void ntf_callback_set_announce(struct ntf_callback_set *set, bool tell)
{
	for (unsigned int i = 0; i < set->nsubs; i++) {
		struct ntf_callback *s = &set->subs[i];
		const char *why = "";

		if (!s->news)
			continue;
		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX && !s->attached; m++)
			if (s->why[m][0])
				why = s->why[m];
		if (tell && s->attached && s->attach_delay_ns)
			ntf_info("%s %s (%s%s%s); attached by %s %.3f s after it registered",
				 s->def->driver, s->news, s->def->func, s->module[0] ? " in " : "",
				 s->module, ntf_mech_name(s->mech), s->attach_delay_ns / 1e9);
		else if (tell)
			ntf_info("%s %s (%s%s%s); %s%s", s->def->driver, s->news, s->def->func,
				 s->module[0] ? " in " : "", s->module,
				 s->attached ? "attached by " : "not attached: ",
				 s->attached ? ntf_mech_name(s->mech) : why);
		s->news = NULL;
	}
}

/* The callback at addr, or NULL when none present has it. */
static const struct ntf_callback *by_addr(const struct ntf_callback_set *set, __u64 addr)
{
	for (unsigned int i = 0; i < set->nsubs; i++)
		if (set->subs[i].present && set->subs[i].addr == addr)
			return &set->subs[i];
	return NULL;
}

bool ntf_callback_set_retires(const struct ntf_callback_set *set, const struct ntf_pending *p,
			      __u64 now_ns)
{
	if (now_ns - p->born_ns > NTF_WATCH_MAX_AGE_NS)
		return true;
	for (unsigned int i = 0; i < NTF_PENDING_SUBS; i++) {
		const struct ntf_pending_sub *ps = &p->subs[i];
		const struct ntf_callback *s;
		bool tried = false;

		if (!ps->fn || ps->live)
			continue;
		s = by_addr(set, ps->fn);
		if (!s)
			return false; /* not resolved yet: a later scan attaches it */
		if (s->attached) {
			if (now_ns - s->attached_ns < NTF_WATCH_SETTLE_NS)
				return false;
			continue;
		}
		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++)
			tried |= s->why[m][0] != '\0';
		if (!tried)
			return false;
	}
	return true;
}

void ntf_callback_set_unseen(struct ntf_callback_set *set, __u64 fn, const struct ntf_unseen *u)
{
	for (unsigned int i = 0; i < set->nsubs; i++) {
		struct ntf_callback *s = &set->subs[i];

		if (s->present && s->addr == fn) {
			s->unseen = u->calls;
			s->unseen_maybe = u->maybe;
			return;
		}
	}
	set->unseen_unresolved += u->calls + u->maybe;
}
