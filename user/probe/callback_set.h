/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which driver callbacks this kernel has, with no BPF in it: the table's
 * callbacks checked against kallsyms and the live modules, and the
 * addresses discovery reports resolved to callbacks (new ones named after
 * their module). A scan says which callbacks want attaching (pending);
 * attaching them is callback_attach.c's. Kept apart so that every rule of a
 * rescan (a module appearing or leaving, names that collide, an address
 * not yet resolvable) is unit-tested from fixture files.
 */
#ifndef NTF_CALLBACK_SET_H
#define NTF_CALLBACK_SET_H

#include <stdbool.h>
#include "callbacks.h"
#include "discover.h"
#include "callback_attach.h"

#define NTF_CALLBACK_SET_MAX (NTF_MAX_KNOWN + NTF_MAX_DISCOVERED)

/* A callback discovery found: the def the table would have had. */
struct discovered_def {
	struct ntf_callback_def def;
	char driver[NTF_DRIVER_LEN];
	char func[128];
	char module[64];
};

/* An address the iterator reported, and which callback it is (-1: none). */
struct seen_addr {
	__u64 addr;
	int index;
};

struct ntf_callback_set {
	struct ntf_callback subs[NTF_CALLBACK_SET_MAX];
	unsigned int nsubs; /* the table's, then the discovered */
	struct discovered_def ddefs[NTF_MAX_DISCOVERED];
	char *modules; /* names in /proc/modules at the last scan (owned) */
	bool scanned;
	const char *kallsyms_path; /* NULL: /proc/kallsyms */
	char disc_why[NTF_REASON_LEN]; /* why discovery is off, or what it lost */
	/* addresses already resolved, so kallsyms is read only for new ones */
	struct seen_addr seen[NTF_DISCOVER_MAX];
	unsigned int nseen;
	/* unseen calls of callbacks no scan has resolved (ntf_callback_set_unseen) */
	__u64 unseen_unresolved;
	/* drops the links of callback index: its symbol or module is gone */
	void (*detach)(void *ctx, unsigned int index);
	void *ctx;
};

/* The table's callbacks, none present yet. */
void ntf_callback_set_init(struct ntf_callback_set *set);
void ntf_callback_set_release(struct ntf_callback_set *set);

/*
 * Whether modules (a list from ntf_modules_read) differs from the one the
 * last scan used: only then is kallsyms worth reading again.
 */
bool ntf_callback_set_modules_changed(const struct ntf_callback_set *set, const char *modules);
/*
 * Checks every callback against kallsyms (ks) and modules, which the set
 * takes: those that appeared go into pending[*npending], those whose
 * module left are detached and, with tell, logged.
 */
void ntf_callback_set_scan(struct ntf_callback_set *set, const struct ntf_ksyms *ks, char *modules,
			   bool tell, unsigned int *pending, unsigned int *npending);
/*
 * One discovery pass's callbacks: counts the registrations each callback
 * serves, and resolves new addresses through kallsyms (*ks, loaded from
 * kallsyms_path on first need), adding a discovered callback when no table
 * entry has the symbol. New ones go into pending.
 */
void ntf_callback_set_found(struct ntf_callback_set *set, struct ntf_ksyms **ks,
			    const struct ntf_found_callback *found, int n, unsigned int *pending,
			    unsigned int *npending);
/*
 * The registration watch (struct ntf_pending in notifier.h). An entry is
 * kept while a call the chain made to one of its subscriptions could
 * still go uncounted: until each is seen by its probe, or its probe has
 * been attached for NTF_WATCH_SETTLE_NS (a chain call begun before the
 * attach has ended), or every rung has refused it. Past
 * NTF_WATCH_MAX_AGE_NS it goes anyway: its mm may be gone, and another
 * could get its address.
 */
#define NTF_WATCH_SETTLE_NS 1000000000ULL
#define NTF_WATCH_MAX_AGE_NS 30000000000ULL
bool ntf_callback_set_retires(const struct ntf_callback_set *set, const struct ntf_pending *p,
			      __u64 now_ns);
/*
 * Sets the unseen calls of the callback at fn; those of an address no
 * callback has are summed in unseen_unresolved (reset it before a pass).
 */
void ntf_callback_set_unseen(struct ntf_callback_set *set, __u64 fn, const struct ntf_unseen *u);

/* Logs (with tell) what the last scans found, once attaching has been tried. */
void ntf_callback_set_announce(struct ntf_callback_set *set, bool tell);

#endif
