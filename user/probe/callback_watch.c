// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "callback_watch.h"
#include "clock.h"
#include "log.h"

/* When the first subscription the watch holds for fn registered; 0: none. */
static __u64 first_registered(const struct ntf_callbacks_opts *o, __u64 fn)
{
	__u64 key, next, *prev = NULL, first = 0;
	struct ntf_pending p;

	while (!bpf_map_get_next_key(o->pending_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(o->pending_fd, &next, &p))
			for (unsigned int i = 0; i < NTF_PENDING_SUBS; i++)
				if (p.subs[i].fn == fn && p.subs[i].armed_ns &&
				    (!first || p.subs[i].armed_ns < first))
					first = p.subs[i].armed_ns;
		key = next;
		prev = &key;
	}
	return first;
}

void ntf_watch_attached(const struct ntf_callbacks_opts *o, struct ntf_callback *s)
{
	__u64 registered;
	__u32 one = 1;

	s->attached_ns = ntf_now_ns();
	registered = o->pending_fd >= 0 && s->addr ? first_registered(o, s->addr) : 0;
	s->attach_delay_ns = registered ? s->attached_ns - registered : 0;
	if (o->attached_fns_fd < 0 || !s->addr)
		return;
	if (bpf_map_update_elem(o->attached_fns_fd, &s->addr, &one, BPF_ANY))
		/* harmless: its registrations are then watched until seen */
		ntf_debug("attached_fns: %s: %s", s->def->func, strerror(errno));
}

void ntf_watch_detached(const struct ntf_callbacks_opts *o, const struct ntf_callback *s)
{
	if (o->attached_fns_fd >= 0 && s->addr)
		bpf_map_delete_elem(o->attached_fns_fd, &s->addr);
}

static void read_unseen(const struct ntf_callbacks_opts *o, struct ntf_callback_set *set)
{
	__u64 key, next, *prev = NULL;
	struct ntf_unseen u;

	set->unseen_unresolved = 0;
	while (!bpf_map_get_next_key(o->unseen_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(o->unseen_fd, &next, &u))
			ntf_callback_set_unseen(set, next, &u);
		key = next;
		prev = &key;
	}
}

/*
 * Deleting while walking may restart the walk at the first key; entries
 * are few (registrations of the last seconds), so keys are taken first.
 */
static void retire_settled(const struct ntf_callbacks_opts *o, struct ntf_callback_set *set)
{
	__u64 keys[64], key, *prev = NULL, now = ntf_now_ns();
	unsigned int n = 0;
	struct ntf_pending p;

	while (n < 64 && !bpf_map_get_next_key(o->pending_fd, prev, &keys[n])) {
		key = keys[n];
		prev = &key;
		if (!bpf_map_lookup_elem(o->pending_fd, &key, &p) &&
		    ntf_callback_set_retires(set, &p, now))
			n++;
	}
	for (unsigned int i = 0; i < n; i++)
		if (!bpf_map_delete_elem(o->pending_fd, &keys[i]))
			__atomic_fetch_sub(&o->watch->pending, 1, __ATOMIC_RELAXED);
}

void ntf_watch_sweep(const struct ntf_callbacks_opts *o, struct ntf_callback_set *set)
{
	if (o->pending_fd < 0 || !o->watch)
		return;
	read_unseen(o, set);
	retire_settled(o, set);
}
