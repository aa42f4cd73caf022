/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the CTF writer's files share. The events' layout is one table
 * that both the TSDL text (ctf_metadata.c) and the encoder (ctf_event.c)
 * walk, so what the metadata declares and what the streams hold cannot
 * drift apart.
 */
#ifndef NTF_CTF_INT_H
#define NTF_CTF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "notifier.h"
#include "record.h"

/*
 * Every integer is byte-aligned and little endian (the TSDL says align = 8
 * bits for each), so a packet is its fields end to end, without padding.
 */
enum ctf_type {
	CTF_T_U8,
	CTF_T_U16,
	CTF_T_U32,
	CTF_T_S32,
	CTF_T_U64,
	CTF_T_S64,
	CTF_T_X32, /* printed in hex: flags */
	CTF_T_X64, /* printed in hex: addresses */
	CTF_T_STRING, /* NUL-terminated */
	CTF_T_ORIGIN, /* enumerations over the names of names.c */
	CTF_T_MECH,
	CTF_T_MMU_EVENT,
	CTF_T_PIN_VARIANT,
	CTF_T_BLOCKABLE,
	CTF_T_MAX,
};

struct ctf_type_info {
	const char *name; /* as the TSDL's typealias names it */
	unsigned int size; /* bytes; 0 for a string */
};

extern const struct ctf_type_info ctf_types[CTF_T_MAX];

/* Where a field's value comes from. */
enum ctf_src {
	CTF_SRC_EVENT, /* a member of struct ntf_event */
	CTF_SRC_COMM,
	CTF_SRC_DRIVER, /* the callback id's name */
	CTF_SRC_BLOCKABLE, /* the range's two blockable flags as one enumeration */
};

struct ctf_field {
	const char *name; /* a CTF identifier, not a TSDL keyword */
	enum ctf_type type;
	enum ctf_src src;
	unsigned int offset, size; /* the member's, for CTF_SRC_EVENT */
};

/* Payload field i of class's events, those every class has first; NULL past the last. */
const struct ctf_field *ctf_field(unsigned int class, unsigned int i);

/* Labels of an enumeration type: label i names value i; NULL past the last. */
const char *ctf_enum_label(enum ctf_type type, unsigned int i);

/*
 * A packet: its header (magic, trace uuid, stream class id, stream
 * instance id), then its context (first and last timestamps, content
 * and packet sizes in bits, sequence number, events discarded so far),
 * as ctf_metadata.c declares them.
 */
#define CTF_MAGIC 0xc1fc1fc1u
#define CTF_PACKET_HEADER 80
/* An event: its header (class id: 16 bits, timestamp: 64), then its payload. */
#define CTF_EVENT_HEADER 10
/* Bound of an encoded event: header, numbers, comm and a driver name. */
#define CTF_EVENT_MAX 512

/*
 * e as an event record into buf (CTF_EVENT_MAX bytes), driver naming its
 * callback id. Returns the length.
 */
size_t ctf_encode(unsigned char *buf, const struct ntf_event *e, const char *driver);

struct ctf_meta_args {
	const struct ntf_rec_meta *meta; /* may be NULL */
	const unsigned char *uuid; /* the trace's, 16 bytes */
	const char *status; /* how reading the source ended; may be NULL */
};

/* The TSDL text. 0, or a negative errno when out could not be written. */
int ctf_metadata_write(FILE *out, const struct ctf_meta_args *a);

/* ---- the window that puts events in time order (ctf_order.c) ---- */

struct ctf_order;

struct ctf_order *ctf_order_new(unsigned int window);
void ctf_order_free(struct ctf_order *o);
/*
 * Takes e. When the window is full, the earliest event of those held and
 * e goes to *out first: true; false when *out is left as it was.
 */
bool ctf_order_add(struct ctf_order *o, const struct ntf_event *e, struct ntf_event *out);
/* The earliest event held, into *out: true; false when none is left. */
bool ctf_order_take(struct ctf_order *o, struct ntf_event *out);

#endif
