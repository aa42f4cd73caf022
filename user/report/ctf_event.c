// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CTF event records: which fields each class has, in which order
 * and type, and their encoding. The metadata is written from the same
 * tables (ctf_metadata.c).
 */
#include <string.h>
#include "ctf_int.h"
#include "names.h"

const struct ctf_type_info ctf_types[CTF_T_MAX] = {
	[CTF_T_U8] = { "uint8_t", 1 },
	[CTF_T_U16] = { "uint16_t", 2 },
	[CTF_T_U32] = { "uint32_t", 4 },
	[CTF_T_S32] = { "int32_t", 4 },
	[CTF_T_U64] = { "uint64_t", 8 },
	[CTF_T_S64] = { "int64_t", 8 },
	[CTF_T_X32] = { "xint32_t", 4 },
	[CTF_T_X64] = { "xint64_t", 8 },
	[CTF_T_STRING] = { "string", 0 },
	[CTF_T_ORIGIN] = { "origin_t", 1 },
	[CTF_T_MECH] = { "mech_t", 1 },
	[CTF_T_MMU_EVENT] = { "mmu_event_t", 4 },
	[CTF_T_PIN_VARIANT] = { "pin_variant_t", 4 },
	[CTF_T_BLOCKABLE] = { "blockable_t", 1 },
};

#define MEMBER(name, type, m)                                             \
	{                                                                 \
		name, type, CTF_SRC_EVENT, offsetof(struct ntf_event, m), \
			sizeof(((struct ntf_event *)0)->m)                \
	}
#define DERIVED(name, type, src)      \
	{                             \
		name, type, src, 0, 0 \
	}

/* What every event has; the names are those of notifier report -j --events. */
static const struct ctf_field common[] = {
	MEMBER("latency_ns", CTF_T_U64, latency_ns),
	MEMBER("pid", CTF_T_U32, pid),
	MEMBER("tgid", CTF_T_U32, tgid),
	DERIVED("comm", CTF_T_STRING, CTF_SRC_COMM),
	MEMBER("callback_id", CTF_T_U32, callback),
	DERIVED("driver", CTF_T_STRING, CTF_SRC_DRIVER),
	MEMBER("flags", CTF_T_X32, flags),
	MEMBER("ret", CTF_T_S64, ret),
	MEMBER("origin", CTF_T_ORIGIN, origin),
	MEMBER("syscall_nr", CTF_T_S32, syscall_nr),
	MEMBER("mech", CTF_T_MECH, mech),
	MEMBER("cgroup_id", CTF_T_U64, cgroup_id),
	MEMBER("mm", CTF_T_X64, mm),
	{},
};

/*
 * The union member of each class, its names prefixed by it: flat fields
 * read as well in babeltrace2's one-line output, and "event" alone is a
 * TSDL keyword.
 */
static const struct ctf_field range[] = {
	MEMBER("range_start", CTF_T_X64, range.start),
	MEMBER("range_end", CTF_T_X64, range.end),
	MEMBER("range_owner", CTF_T_X64, range.owner),
	MEMBER("range_event", CTF_T_MMU_EVENT, range.event),
	DERIVED("blockable", CTF_T_BLOCKABLE, CTF_SRC_BLOCKABLE),
	{},
};

static const struct ctf_field unmap[] = {
	MEMBER("unmap_address", CTF_T_X64, unmap.address),
	MEMBER("notifier_ns", CTF_T_U64, unmap.notifier_ns),
	MEMBER("notifier_calls", CTF_T_U32, unmap.notifier_calls),
	{},
};

static const struct ctf_field pin[] = {
	MEMBER("pin_start", CTF_T_X64, pin.start),
	MEMBER("nr_pages", CTF_T_U32, pin.nr_pages),
	MEMBER("gup_flags", CTF_T_X32, pin.gup_flags),
	MEMBER("pin_variant", CTF_T_PIN_VARIANT, pin.variant),
	{},
};

static const struct ctf_field fence[] = {
	MEMBER("fence_context", CTF_T_U64, fence.context),
	MEMBER("fence_seqno", CTF_T_U64, fence.seqno),
	MEMBER("fence_ops", CTF_T_X64, fence.ops),
	MEMBER("fence_timeout", CTF_T_S64, fence.timeout),
	{},
};

static const struct ctf_field *own_fields(unsigned int class)
{
	switch (class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK: return range;
	case NTF_CLASS_UNMAP: return unmap;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN: return pin;
	case NTF_CLASS_FENCE_WAIT: return fence;
	default: return &common[sizeof(common) / sizeof(common[0]) - 1];
	}
}

const struct ctf_field *ctf_field(unsigned int class, unsigned int i)
{
	const unsigned int ncommon = sizeof(common) / sizeof(common[0]) - 1;
	const struct ctf_field *f;

	if (i < ncommon)
		return &common[i];
	f = &own_fields(class)[i - ncommon];
	return f->name ? f : NULL;
}

/* One past the last name of a names.c table, which answers "unknown" there. */
static const char *named(const char *name)
{
	return strcmp(name, "unknown") ? name : NULL;
}

const char *ctf_enum_label(enum ctf_type type, unsigned int i)
{
	static const char *const blockable[] = { "no", "yes", "unknown" };

	switch (type) {
	case CTF_T_ORIGIN: return i < NTF_ORIGIN_MAX ? ntf_origin_name(i) : NULL;
	case CTF_T_MECH: return i < NTF_MECH_MAX ? ntf_mech_name(i) : NULL;
	case CTF_T_MMU_EVENT: return named(ntf_mmu_event_name(i));
	case CTF_T_PIN_VARIANT: return i < NTF_PIN_VARIANT_MAX ? ntf_pin_variant_name(i) : NULL;
	case CTF_T_BLOCKABLE: return i < 3 ? blockable[i] : NULL;
	default: return NULL;
	}
}

static unsigned char *put_le(unsigned char *p, __u64 v, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

/* A member of size bytes, sign-extended when signed, so any type width takes it. */
static __u64 load(const void *src, unsigned int size, bool is_signed)
{
	__u8 u8;
	__u16 u16;
	__u32 u32;
	__u64 u64;

	switch (size) {
	case 1: memcpy(&u8, src, 1); return is_signed ? (__u64)(__s8)u8 : u8;
	case 2: memcpy(&u16, src, 2); return is_signed ? (__u64)(__s16)u16 : u16;
	case 4: memcpy(&u32, src, 4); return is_signed ? (__u64)(__s32)u32 : u32;
	default: memcpy(&u64, src, 8); return u64;
	}
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	memcpy(p, s, n);
	p[n] = '\0';
	return p + n + 1;
}

static __u64 blockable_of(const struct ntf_event *e)
{
	if (e->flags & NTF_F_BLOCKABLE_UNKNOWN)
		return 2;
	return e->flags & NTF_F_BLOCKABLE ? 1 : 0;
}

size_t ctf_encode(unsigned char *buf, const struct ntf_event *e, const char *driver)
{
	unsigned char *p = buf;
	const struct ctf_field *f;

	p = put_le(p, e->class, 2);
	p = put_le(p, e->ts_ns, 8);
	for (unsigned int i = 0; (f = ctf_field(e->class, i)); i++) {
		unsigned int size = ctf_types[f->type].size;
		bool is_signed = f->type == CTF_T_S32 || f->type == CTF_T_S64;

		switch (f->src) {
		case CTF_SRC_EVENT:
			p = put_le(p, load((const char *)e + f->offset, f->size, is_signed), size);
			break;
		case CTF_SRC_COMM: p = put_str(p, e->comm, NTF_COMM_LEN - 1); break;
		/* a name from a file is bounded by its field; this bounds CTF_EVENT_MAX */
		case CTF_SRC_DRIVER: p = put_str(p, driver, 63); break;
		case CTF_SRC_BLOCKABLE: p = put_le(p, blockable_of(e), size); break;
		}
	}
	return (size_t)(p - buf);
}
