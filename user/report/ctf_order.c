// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The window that puts events in time order: a binary min-heap of the
 * held events' timestamps. The heap moves (timestamp, slot) pairs, the
 * events stay in their slots: a sift moves 16 bytes, not 120.
 */
#include <stdlib.h>
#include <string.h>
#include "ctf_int.h"

struct ctf_entry {
	__u64 ts;
	__u32 slot;
};

struct ctf_order {
	unsigned int window, n;
	struct ctf_entry *heap;
	struct ntf_event *events; /* by slot */
	__u32 *free_slots; /* slots given back by take: the heap is not full after one */
	unsigned int nfree;
};

struct ctf_order *ctf_order_new(unsigned int window)
{
	struct ctf_order *o = calloc(1, sizeof(*o));

	if (!o || !window)
		goto fail;
	o->window = window;
	o->heap = calloc(window, sizeof(*o->heap));
	o->events = calloc(window, sizeof(*o->events));
	o->free_slots = calloc(window, sizeof(*o->free_slots));
	if (!o->heap || !o->events || !o->free_slots)
		goto fail;
	return o;
fail:
	ctf_order_free(o);
	return NULL;
}

void ctf_order_free(struct ctf_order *o)
{
	if (!o)
		return;
	free(o->heap);
	free(o->events);
	free(o->free_slots);
	free(o);
}

static void sift_down(struct ctf_order *o, unsigned int i)
{
	struct ctf_entry x = o->heap[i];

	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= o->n)
			break;
		if (c + 1 < o->n && o->heap[c + 1].ts < o->heap[c].ts)
			c++;
		if (o->heap[c].ts >= x.ts)
			break;
		o->heap[i] = o->heap[c];
		i = c;
	}
	o->heap[i] = x;
}

static void sift_up(struct ctf_order *o, unsigned int i)
{
	struct ctf_entry x = o->heap[i];

	while (i) {
		unsigned int p = (i - 1) / 2;

		if (o->heap[p].ts <= x.ts)
			break;
		o->heap[i] = o->heap[p];
		i = p;
	}
	o->heap[i] = x;
}

bool ctf_order_add(struct ctf_order *o, const struct ntf_event *e, struct ntf_event *out)
{
	__u32 slot;

	if (o->n == o->window) {
		/* already the earliest: it goes straight through, as most do in a sorted input */
		if (e->ts_ns <= o->heap[0].ts) {
			*out = *e;
			return true;
		}
		/* the earliest leaves, e takes its slot and its place at the top */
		slot = o->heap[0].slot;
		*out = o->events[slot];
		o->events[slot] = *e;
		o->heap[0].ts = e->ts_ns;
		sift_down(o, 0);
		return true;
	}
	slot = o->nfree ? o->free_slots[--o->nfree] : o->n;
	o->events[slot] = *e;
	o->heap[o->n] = (struct ctf_entry){ .ts = e->ts_ns, .slot = slot };
	sift_up(o, o->n++);
	return false;
}

bool ctf_order_take(struct ctf_order *o, struct ntf_event *out)
{
	if (!o->n)
		return false;
	*out = o->events[o->heap[0].slot];
	o->free_slots[o->nfree++] = o->heap[0].slot;
	o->heap[0] = o->heap[--o->n];
	if (o->n)
		sift_down(o, 0);
	return true;
}
