// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "discover.h"
#include "ksyms.h"
#include "ladder.h"
#include "log.h"
#include "modules.h"
#include "names.h"
#include "subscriber.skel.h"
#include "subscribers.h"

#define KNOWN ntf_known_callback_count
#define MAX_SUBS (NTF_MAX_KNOWN + NTF_MAX_DISCOVERED)

/* A callback discovery found: the def the table would have had. */
struct discovered_def {
	struct ntf_callback_def def;
	char driver[NTF_DRIVER_LEN];
	char func[128];
	char module[64];
};

/* An address the iterator reported, and which subscriber it is (-1: none). */
struct seen_addr {
	__u64 addr;
	int index;
};

/* One loaded subscriber object and the callbacks its slots serve. */
struct sub_obj {
	struct subscriber_bpf *skel;
	unsigned int nslots;
	unsigned int sub_index[NTF_SUB_SLOTS];
	struct bpf_link *links[NTF_SUB_SLOTS][2];
	struct sub_obj *next;
};

struct ntf_subscribers {
	struct ntf_subscribers_opts opts;
	struct ntf_subscriber subs[MAX_SUBS];
	unsigned int nsubs; /* the table's, then the discovered */
	struct discovered_def ddefs[NTF_MAX_DISCOVERED];
	struct sub_obj *objs;
	char *modules; /* names in /proc/modules at the last scan */
	bool scanned;
	struct ntf_discovery *disc;
	char disc_why[NTF_REASON_LEN]; /* why discovery is off, or what it lost */
	/* addresses already resolved, so kallsyms is read only for new ones */
	struct seen_addr seen[NTF_DISCOVER_MAX];
	unsigned int nseen;
};

int ntf_subscribers_new(const struct ntf_subscribers_opts *opts, struct ntf_subscribers **out)
{
	struct ntf_subscribers *subs = calloc(1, sizeof(*subs));

	if (!subs)
		return -ENOMEM;
	subs->opts = *opts;
	for (unsigned int i = 0; i < KNOWN; i++) {
		subs->subs[i].id = i + 1;
		subs->subs[i].def = &ntf_known_callbacks[i];
	}
	subs->nsubs = KNOWN;
	if (opts->no_discovery)
		snprintf(subs->disc_why, sizeof(subs->disc_why), "disabled by option");
	else
		ntf_discovery_new(&subs->disc, subs->disc_why, sizeof(subs->disc_why));
	*out = subs;
	return 0;
}

static void free_obj(struct sub_obj *o)
{
	for (unsigned int i = 0; i < o->nslots; i++)
		for (int j = 0; j < 2; j++)
			bpf_link__destroy(o->links[i][j]);
	subscriber_bpf__destroy(o->skel);
	free(o);
}

void ntf_subscribers_free(struct ntf_subscribers *subs)
{
	if (!subs)
		return;
	while (subs->objs) {
		struct sub_obj *next = subs->objs->next;

		free_obj(subs->objs);
		subs->objs = next;
	}
	ntf_discovery_free(subs->disc);
	free(subs->modules);
	free(subs);
}

static struct bpf_program *slot_prog(struct subscriber_bpf *skel, unsigned int slot,
				     const char *suffix)
{
	char name[32];

	snprintf(name, sizeof(name), "cb%u_%s", slot, suffix);
	return bpf_object__find_program_by_name(skel->obj, name);
}

static const char *const suffixes[NTF_MECH_MAX][2] = {
	[NTF_MECH_FENTRY] = { "fentry", "fexit" },
	[NTF_MECH_KPROBE] = { "kprobe", "kretprobe" },
	[NTF_MECH_TRACEPOINT] = { "fentry", "fexit" }, /* unused: kvm_unmap_tp instead */
};

/* Opens, configures and loads one object for subs[idx[0..n)] on one rung. */
static int load_obj(struct ntf_subscribers *subs, const unsigned int *idx, unsigned int n,
		    unsigned int mech, struct sub_obj **out)
{
	const struct ntf_subscribers_opts *o = &subs->opts;
	struct sub_obj *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj)
		return -ENOMEM;
	obj->skel = subscriber_bpf__open();
	if (!obj->skel) {
		err = -errno;
		free(obj);
		return err;
	}
	obj->skel->rodata->cfg = o->cfg;
	bpf_map__reuse_fd(obj->skel->maps.inflight, o->inflight_fd);
	bpf_map__reuse_fd(obj->skel->maps.hists, o->hists_fd);
	bpf_map__reuse_fd(obj->skel->maps.counters, o->counters_fd);
	bpf_map__reuse_fd(obj->skel->maps.events, o->events_fd);
	bpf_program__set_autoload(obj->skel->progs.kvm_unmap_tp, mech == NTF_MECH_TRACEPOINT);
	if (mech == NTF_MECH_TRACEPOINT)
		obj->skel->rodata->kvm_tp_subscriber = subs->subs[idx[0]].id;
	for (unsigned int slot = 0; slot < NTF_SUB_SLOTS; slot++) {
		for (unsigned int m = NTF_MECH_FENTRY; m <= NTF_MECH_KPROBE; m++)
			for (int j = 0; j < 2; j++)
				bpf_program__set_autoload(
					slot_prog(obj->skel, slot, suffixes[m][j]),
					slot < n && m == mech);
		if (slot >= n)
			continue;
		obj->sub_index[slot] = idx[slot];
		if (mech == NTF_MECH_TRACEPOINT)
			continue;
		obj->skel->rodata->slot_subscriber[slot] = subs->subs[idx[slot]].id;
		obj->skel->rodata->slot_kind[slot] = subs->subs[idx[slot]].def->kind;
		if (mech == NTF_MECH_FENTRY)
			for (int j = 0; j < 2; j++)
				bpf_program__set_attach_target(
					slot_prog(obj->skel, slot, suffixes[mech][j]), 0,
					subs->subs[idx[slot]].def->func);
	}
	obj->nslots = n;
	err = subscriber_bpf__load(obj->skel);
	if (err) {
		subscriber_bpf__destroy(obj->skel);
		free(obj);
		return err;
	}
	*out = obj;
	return 0;
}

/* Attaches each slot, exit first; failures are per callback. */
static void attach_obj(struct ntf_subscribers *subs, struct sub_obj *obj, unsigned int mech)
{
	for (unsigned int slot = 0; slot < obj->nslots; slot++) {
		struct ntf_subscriber *s = &subs->subs[obj->sub_index[slot]];
		struct bpf_program *entry = slot_prog(obj->skel, slot, suffixes[mech][0]);
		struct bpf_program *exit = slot_prog(obj->skel, slot, suffixes[mech][1]);

		if (mech == NTF_MECH_TRACEPOINT) {
			entry = obj->skel->progs.kvm_unmap_tp; /* one program, no exit */
			exit = NULL;
		}
		if (ntf_rung_attach(entry, exit, mech, s->def->func, s->module, obj->links[slot],
				    s->why[mech]))
			continue;
		s->attached = true;
		s->mech = mech;
		s->why[mech][0] = '\0';
	}
}

/* Climbs one rung for the pending callbacks; leaves the failures pending. */
static void attach_rung(struct ntf_subscribers *subs, unsigned int *pending, unsigned int *npending,
			unsigned int mech)
{
	unsigned int left = 0;

	for (unsigned int start = 0; start < *npending; start += NTF_SUB_SLOTS) {
		unsigned int n = *npending - start;
		struct sub_obj *obj;
		int err;

		if (n > NTF_SUB_SLOTS)
			n = NTF_SUB_SLOTS;
		err = load_obj(subs, pending + start, n, mech, &obj);
		if (err && n > 1) {
			/* One bad target fails the whole object: find which, one by one. */
			for (unsigned int i = 0; i < n; i++) {
				if (load_obj(subs, pending + start + i, 1, mech, &obj)) {
					struct ntf_subscriber *s = &subs->subs[pending[start + i]];

					ntf_rung_why(s->why[mech], mech, true, err, s->module);
					continue;
				}
				attach_obj(subs, obj, mech);
				obj->next = subs->objs;
				subs->objs = obj;
			}
		} else if (err) {
			struct ntf_subscriber *s = &subs->subs[pending[start]];

			ntf_rung_why(s->why[mech], mech, true, err, s->module);
		} else {
			attach_obj(subs, obj, mech);
			obj->next = subs->objs;
			subs->objs = obj;
		}
	}
	for (unsigned int i = 0; i < *npending; i++)
		if (!subs->subs[pending[i]].attached)
			pending[left++] = pending[i];
	*npending = left;
}

/* Drops the links of a callback whose module left; its slot stays unused. */
static void detach_sub(struct ntf_subscribers *subs, unsigned int index)
{
	for (struct sub_obj *o = subs->objs; o; o = o->next) {
		for (unsigned int slot = 0; slot < o->nslots; slot++) {
			if (o->sub_index[slot] != index)
				continue;
			for (int j = 0; j < 2; j++) {
				bpf_link__destroy(o->links[slot][j]);
				o->links[slot][j] = NULL;
			}
		}
	}
	subs->subs[index].attached = false;
}

/* A callback whose symbol or module is gone: detached, and said so. */
static void mark_gone(struct ntf_subscribers *subs, unsigned int i, bool tell)
{
	struct ntf_subscriber *s = &subs->subs[i];

	if (s->attached && tell)
		ntf_info("%s left (%s is gone); detached", s->def->driver, s->def->func);
	if (s->attached)
		detach_sub(subs, i);
	s->present = false;
}

/* The table's callbacks against kallsyms and the live modules. */
static void scan_table(struct ntf_subscribers *subs, const struct ntf_ksyms *ks, bool tell,
		       unsigned int *pending, unsigned int *npending)
{
	const char *modules = subs->modules;

	for (unsigned int i = 0; i < KNOWN; i++) {
		struct ntf_subscriber *s = &subs->subs[i];
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
			mark_gone(subs, i, tell);
			continue;
		}
		snprintf(s->module, sizeof(s->module), "%s", sym->module ? sym->module : "");
		s->absent[0] = '\0';
		if (!s->present && subs->scanned)
			s->news = "appeared";
		s->present = true;
		if (!s->attached) {
			memset(s->why, 0, sizeof(s->why));
			pending[(*npending)++] = i;
		}
	}
}

/* Discovered callbacks whose module left: their addresses mean nothing now. */
static void scan_discovered_modules(struct ntf_subscribers *subs, bool tell)
{
	for (unsigned int i = KNOWN; i < subs->nsubs; i++) {
		struct ntf_subscriber *s = &subs->subs[i];

		if (!s->present || !s->module[0] || ntf_module_live(subs->modules, s->module))
			continue;
		mark_gone(subs, i, tell);
		snprintf(s->absent, sizeof(s->absent), "module %s not loaded", s->def->module);
	}
}

/*
 * What users call a discovered callback: its module ("nvidia_uvm"), or for
 * one built in, the first word of its symbol; "_end"/"_tlb" for the other
 * callbacks of a classic subscriber, and ".2", ".3"... when a module has
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
	for (unsigned int n = 2; ntf_subscriber_id(name) && n < 100; n++)
		if (snprintf(name, NTF_DRIVER_LEN, "%s.%u", base, n) >= NTF_DRIVER_LEN)
			break;
}

/*
 * Which subscriber a callback address is, adding a discovered one when no
 * table entry has its symbol. Returns the index, -1 for an address that is
 * no function start (hidden by kptr_restrict), -2 to ask again next scan.
 */
static int resolve_callback(struct ntf_subscribers *subs, struct ntf_ksyms **ks,
			    const struct ntf_found_callback *f, unsigned int *pending,
			    unsigned int *npending)
{
	const struct ntf_ksym *sym;
	struct discovered_def *dd;
	struct ntf_subscriber *s;
	unsigned int i;

	if (!*ks && !(*ks = ntf_ksyms_load(subs->opts.kallsyms_path)))
		return -2;
	sym = ntf_ksyms_by_addr(*ks, f->addr);
	if (!sym || sym->addr != f->addr)
		return -1;
	if (sym->module && !ntf_module_live(subs->modules, sym->module))
		return -2; /* its module is still loading */
	for (i = 0; i < KNOWN; i++)
		if (!strcmp(ntf_known_callbacks[i].func, sym->name))
			return i;
	for (i = KNOWN; i < subs->nsubs; i++) {
		s = &subs->subs[i];
		if (strcmp(s->def->func, sym->name) ||
		    strcmp(s->module, sym->module ? sym->module : ""))
			continue;
		if (!s->present) {
			s->present = true;
			s->absent[0] = '\0';
			s->news = "appeared again";
			if (s->def->kind != NTF_CB_TLB) {
				memset(s->why, 0, sizeof(s->why));
				pending[(*npending)++] = i;
			}
		}
		return i;
	}
	if (subs->nsubs == MAX_SUBS) {
		snprintf(subs->disc_why, sizeof(subs->disc_why),
			 "more than %u callbacks discovered: %s and later ones not attributed",
			 NTF_MAX_DISCOVERED, sym->name);
		return -1;
	}
	i = subs->nsubs++;
	dd = &subs->ddefs[i - KNOWN];
	s = &subs->subs[i];
	snprintf(dd->func, sizeof(dd->func), "%s", sym->name);
	snprintf(dd->module, sizeof(dd->module), "%s", sym->module ? sym->module : "");
	name_discovered(sym, f->d.kind, dd->driver);
	dd->def = (struct ntf_callback_def){ .driver = dd->driver,
					     .func = dd->func,
					     .module = dd->module,
					     .kind = f->d.kind,
					     .needs = "a live subscription" };
	ntf_subscriber_name_set(i + 1, dd->driver);
	s->id = i + 1;
	s->def = &dd->def;
	s->discovered = true;
	s->present = true;
	memcpy(s->module, dd->module, sizeof(s->module));
	if (subs->scanned)
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

/* One discovery pass: counts what every callback serves, adds the new ones. */
static void discover(struct ntf_subscribers *subs, struct ntf_ksyms **ks, unsigned int *pending,
		     unsigned int *npending)
{
	static struct ntf_found_callback found[NTF_DISCOVER_MAX];
	__u64 dropped = 0;
	int n;

	if (!subs->disc)
		return;
	n = ntf_discovery_run(subs->disc, found, NTF_DISCOVER_MAX, &dropped);
	if (n < 0) {
		snprintf(subs->disc_why, sizeof(subs->disc_why), "the iterator failed: %s",
			 strerror(-n));
		return;
	}
	for (unsigned int i = 0; i < subs->nsubs; i++) {
		subs->subs[i].subscriptions = 0;
		subs->subs[i].mms = 0;
	}
	for (int k = 0; k < n; k++) {
		const struct ntf_found_callback *f = &found[k];
		int index = -2;

		for (unsigned int j = 0; j < subs->nseen; j++)
			if (subs->seen[j].addr == f->addr)
				index = subs->seen[j].index;
		if (index == -2) {
			index = resolve_callback(subs, ks, f, pending, npending);
			if (index != -2 && subs->nseen < NTF_DISCOVER_MAX)
				subs->seen[subs->nseen++] = (struct seen_addr){ f->addr, index };
		}
		if (index < 0)
			continue;
		subs->subs[index].subscriptions += f->d.subscriptions;
		subs->subs[index].mms += f->d.mms;
	}
	if (dropped)
		snprintf(subs->disc_why, sizeof(subs->disc_why),
			 "%llu callbacks did not fit the discovery map",
			 (unsigned long long)dropped);
}

/* The attach ladder for the pending callbacks, rung by rung. */
static void attach_pending(struct ntf_subscribers *subs, unsigned int *pending,
			   unsigned int npending)
{
	const struct ntf_ladder_opts lopts = { .no_fentry = subs->opts.no_fentry,
					       .no_kprobe = subs->opts.no_kprobe };

	for (unsigned int mech = NTF_MECH_FENTRY; mech <= NTF_MECH_KPROBE; mech++) {
		unsigned int ntry = 0, nleft = 0, left[MAX_SUBS];

		/* those the rung allows are tried; the others keep why and wait for the next */
		for (unsigned int i = 0; i < npending; i++) {
			struct ntf_subscriber *s = &subs->subs[pending[i]];

			if (ntf_rung_allowed(mech, s->def->func, &lopts, s->why[mech]))
				pending[ntry++] = pending[i];
			else
				left[nleft++] = pending[i];
		}
		attach_rung(subs, pending, &ntry, mech);
		memcpy(pending + ntry, left, nleft * sizeof(left[0]));
		npending = ntry + nleft;
	}
	/* The tracepoint rung, one callback at a time: few have one. */
	for (unsigned int i = 0; i < npending; i++) {
		unsigned int one = pending[i], n = 1;

		if (!subs->subs[one].def->tp)
			continue;
		attach_rung(subs, &one, &n, NTF_MECH_TRACEPOINT);
	}
}

/*
 * Says what the scan found, once the ladder has run: a workload waiting
 * for the news can rely on the callback being traced (or on why not).
 */
static void announce(struct ntf_subscribers *subs, bool tell)
{
	for (unsigned int i = 0; i < subs->nsubs; i++) {
		struct ntf_subscriber *s = &subs->subs[i];
		const char *why = "";

		if (!s->news)
			continue;
		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX && !s->attached; m++)
			if (s->why[m][0])
				why = s->why[m];
		if (tell)
			ntf_info("%s %s (%s%s%s); %s%s", s->def->driver, s->news, s->def->func,
				 s->module[0] ? " in " : "", s->module,
				 s->attached ? "attached by " : "not attached: ",
				 s->attached ? ntf_mech_name(s->mech) : why);
		s->news = NULL;
	}
}

int ntf_subscribers_rescan(struct ntf_subscribers *subs, bool tell)
{
	unsigned int pending[MAX_SUBS], npending = 0, live = 0;
	struct ntf_ksyms *ks = NULL;
	char *modules = ntf_modules_read(subs->opts.modules_path);

	if (!modules)
		return -ENOMEM;
	if (!subs->scanned || !subs->modules || strcmp(modules, subs->modules)) {
		/* read first: after a failed read the modules still count as new */
		ks = ntf_ksyms_load(subs->opts.kallsyms_path);
		if (!ks) {
			int err = errno ? -errno : -ENOENT;

			free(modules);
			return err;
		}
		free(subs->modules);
		subs->modules = modules;
		scan_table(subs, ks, tell, pending, &npending);
		scan_discovered_modules(subs, tell);
		subs->nseen = 0; /* an address a module left may be another's now */
		subs->scanned = true;
	} else {
		free(modules);
	}
	discover(subs, &ks, pending, &npending);
	ntf_ksyms_free(ks);
	attach_pending(subs, pending, npending);
	announce(subs, tell);
	for (unsigned int i = 0; i < subs->nsubs; i++)
		live += subs->subs[i].attached;
	return live;
}

unsigned int ntf_subscribers_count(const struct ntf_subscribers *subs)
{
	return subs->nsubs;
}

const struct ntf_subscriber *ntf_subscriber_at(const struct ntf_subscribers *subs, unsigned int i)
{
	return i < subs->nsubs ? &subs->subs[i] : NULL;
}

const char *ntf_subscribers_discovery_why(const struct ntf_subscribers *subs)
{
	return subs->disc_why;
}

bool ntf_subscribers_discovery_loaded(const struct ntf_subscribers *subs)
{
	return subs->disc != NULL;
}

bool ntf_subscribers_discovery_live(const struct ntf_subscribers *subs)
{
	return subs->disc && !subs->disc_why[0];
}
