// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The trace file's META and NAMES payloads: tag, length, value, so that
 * a reader skips what a newer writer added and an older writer's file
 * lacks only what it did not know.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include "callbacks.h"
#include "rec_int.h"
#include "trace_format.h"

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void read_boot_id(char *dst, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	dst[0] = '\0';
	if (!f)
		return;
	if (fgets(dst, size, f))
		dst[strcspn(dst, "\n")] = '\0';
	fclose(f);
}

void ntf_rec_meta_init(struct ntf_rec_meta *meta, const char *writer)
{
	struct timespec mono, wall;
	struct utsname u;
	__u32 end = ntf_callback_id_end();

	memset(meta, 0, sizeof(*meta));
	copy_str(meta->writer, sizeof(meta->writer), writer);
	if (!uname(&u)) {
		copy_str(meta->host, sizeof(meta->host), u.nodename);
		copy_str(meta->kernel, sizeof(meta->kernel), u.release);
		copy_str(meta->kernel_version, sizeof(meta->kernel_version), u.version);
		copy_str(meta->arch, sizeof(meta->arch), u.machine);
	}
	read_boot_id(meta->boot_id, sizeof(meta->boot_id));
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	meta->mono_ns = (__u64)mono.tv_sec * 1000000000 + mono.tv_nsec;
	meta->wall_ns = (__u64)wall.tv_sec * 1000000000 + wall.tv_nsec;
	meta->event_size = sizeof(struct ntf_event);
	for (__u32 id = 1; id < end; id++) {
		if (id < ntf_callback_first_discovered()) {
			const struct ntf_callback_def *d = &ntf_known_callbacks[id - 1];

			ntf_rec_meta_set_callback(meta, id, d->driver, d->func);
		} else if (ntf_discovered_driver_name(id)) {
			ntf_rec_meta_set_callback(meta, id, ntf_discovered_driver_name(id),
						  ntf_discovered_func(id));
		}
	}
}

int ntf_rec_meta_add_probe(struct ntf_rec_meta *meta, const struct ntf_rec_probe *probe)
{
	unsigned int i;

	for (i = 0; i < meta->nprobes; i++)
		if (!strcmp(meta->probes[i].id, probe->id))
			break;
	if (i == NTF_REC_MAX_PROBES)
		return -ENOSPC;
	meta->probes[i] = *probe;
	meta->probes[i].id[NTF_REC_ID_LEN - 1] = '\0';
	meta->probes[i].func[NTF_REC_FUNC_LEN - 1] = '\0';
	if (i == meta->nprobes)
		meta->nprobes++;
	return 0;
}

int ntf_rec_meta_add_probes(struct ntf_rec_meta *meta, const struct ntf_probe_state *probes,
			    unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct ntf_probe_point *pt = probes[i].point;
		struct ntf_rec_probe p = { .class = pt->class, .attached = probes[i].attached };
		int err;

		copy_str(p.id, sizeof(p.id), pt->id);
		copy_str(p.func, sizeof(p.func), pt->func);
		p.mech = probes[i].attached ? probes[i].mech : NTF_MECH_NONE;
		err = ntf_rec_meta_add_probe(meta, &p);
		if (err)
			return err;
	}
	return 0;
}

int ntf_rec_meta_set_callback(struct ntf_rec_meta *meta, __u32 id, const char *driver,
			      const char *func)
{
	unsigned int i;

	for (i = 0; i < meta->ncallbacks; i++)
		if (meta->callbacks[i].id == id)
			break;
	if (i == NTF_REC_MAX_CALLBACKS)
		return -ENOSPC;
	meta->callbacks[i].id = id;
	copy_str(meta->callbacks[i].driver, sizeof(meta->callbacks[i].driver), driver);
	/* a later name without a symbol keeps the symbol known before */
	if (func || i == meta->ncallbacks)
		copy_str(meta->callbacks[i].func, sizeof(meta->callbacks[i].func), func);
	if (i == meta->ncallbacks)
		meta->ncallbacks++;
	return 0;
}

const char *ntf_rec_meta_driver(const struct ntf_rec_meta *meta, __u32 id)
{
	if (!id)
		return "chain";
	for (unsigned int i = 0; i < meta->ncallbacks; i++)
		if (meta->callbacks[i].id == id)
			return meta->callbacks[i].driver;
	return NULL;
}

/* ---- encoding ---- */

static void put_tag_str(struct rec_buf *b, unsigned int tag, const char *s, size_t max)
{
	rec_put_varint(b, tag);
	rec_put_str(b, s, max);
}

static void put_tag_u64(struct rec_buf *b, unsigned int tag, __u64 v)
{
	struct rec_buf tmp = {};

	rec_put_varint(&tmp, v);
	rec_put_varint(b, tag);
	rec_put_varint(b, tmp.len);
	rec_put_bytes(b, tmp.p, tmp.len);
	b->oom |= tmp.oom;
	rec_buf_free(&tmp);
}

/* A nested TLV: tag, then the length of what inner holds, then it. */
static void put_nested(struct rec_buf *b, unsigned int tag, struct rec_buf *inner)
{
	rec_put_varint(b, tag);
	rec_put_varint(b, inner->len);
	rec_put_bytes(b, inner->p, inner->len);
	b->oom |= inner->oom;
	inner->len = 0;
}

static void put_callback(struct rec_buf *b, struct rec_buf *inner,
			 const struct ntf_rec_callback *cb)
{
	put_tag_u64(inner, NTR_TC_ID, cb->id);
	put_tag_str(inner, NTR_TC_DRIVER, cb->driver, sizeof(cb->driver) - 1);
	if (cb->func[0])
		put_tag_str(inner, NTR_TC_FUNC, cb->func, sizeof(cb->func) - 1);
	put_nested(b, NTR_T_CALLBACK, inner);
}

static void put_flight(struct rec_buf *b, struct rec_buf *inner, const struct ntf_rec_flight *f)
{
	put_tag_str(inner, NTR_TF_TRIGGER, f->trigger, sizeof(f->trigger) - 1);
	put_tag_u64(inner, NTR_TF_WALL_NS, f->trigger_wall_ns);
	put_tag_u64(inner, NTR_TF_MONO_NS, f->trigger_mono_ns);
	put_tag_u64(inner, NTR_TF_WINDOW_NS, f->window_ns);
	put_tag_u64(inner, NTR_TF_WINDOW_BYTES, f->window_bytes);
	put_tag_u64(inner, NTR_TF_FROM_NS, f->from_ns);
	put_tag_u64(inner, NTR_TF_TO_NS, f->to_ns);
	put_tag_u64(inner, NTR_TF_DROPPED, f->dropped);
	put_nested(b, NTR_T_FLIGHT, inner);
}

void ntr_names_encode(struct rec_buf *b, const struct ntf_rec_callback *cbs, unsigned int n)
{
	struct rec_buf inner = {};

	for (unsigned int i = 0; i < n; i++)
		put_callback(b, &inner, &cbs[i]);
	rec_buf_free(&inner);
}

void ntr_meta_encode(struct rec_buf *b, const struct ntf_rec_meta *m)
{
	struct rec_buf inner = {};

	put_tag_str(b, NTR_T_WRITER, m->writer, NTF_REC_STR_LEN - 1);
	put_tag_str(b, NTR_T_HOST, m->host, NTF_REC_STR_LEN - 1);
	put_tag_str(b, NTR_T_KERNEL, m->kernel, NTF_REC_STR_LEN - 1);
	put_tag_str(b, NTR_T_KERNEL_VERSION, m->kernel_version, NTF_REC_STR_LEN - 1);
	put_tag_str(b, NTR_T_ARCH, m->arch, NTF_REC_STR_LEN - 1);
	put_tag_str(b, NTR_T_BOOT_ID, m->boot_id, NTF_REC_STR_LEN - 1);
	put_tag_str(b, NTR_T_COMPRESSION, m->compression, NTF_REC_STR_LEN - 1);
	put_tag_u64(b, NTR_T_WALL_NS, m->wall_ns);
	put_tag_u64(b, NTR_T_MONO_NS, m->mono_ns);
	put_tag_u64(b, NTR_T_EVENT_SIZE, m->event_size);
	for (unsigned int i = 0; i < m->nprobes && i < NTF_REC_MAX_PROBES; i++) {
		const struct ntf_rec_probe *p = &m->probes[i];

		put_tag_str(&inner, NTR_TP_ID, p->id, sizeof(p->id) - 1);
		put_tag_str(&inner, NTR_TP_FUNC, p->func, sizeof(p->func) - 1);
		put_tag_u64(&inner, NTR_TP_CLASS, p->class);
		put_tag_u64(&inner, NTR_TP_MECH, p->mech);
		put_tag_u64(&inner, NTR_TP_ATTACHED, p->attached);
		put_nested(b, NTR_T_PROBE, &inner);
	}
	for (unsigned int i = 0; i < m->ncallbacks && i < NTF_REC_MAX_CALLBACKS; i++)
		put_callback(b, &inner, &m->callbacks[i]);
	if (m->flight.trigger[0])
		put_flight(b, &inner, &m->flight);
	rec_buf_free(&inner);
}

/* ---- decoding ---- */

struct tlv {
	__u64 tag;
	struct rec_cur val;
};

/* The next TLV of c into t: 1, 0 at the end, -1 when malformed. */
static int next_tlv(struct rec_cur *c, struct tlv *t)
{
	__u64 n;
	const __u8 *p;

	if (!rec_cur_left(c))
		return 0;
	t->tag = rec_get_varint(c);
	n = rec_get_varint(c);
	if (c->bad || n > rec_cur_left(c))
		return -1;
	p = rec_get_bytes(c, n);
	t->val = rec_cur_make(p, n);
	return 1;
}

/* A string value: cut to size - 1 (a newer writer's longer field); a NUL inside is malformed. */
static bool get_str(const struct tlv *t, char *dst, size_t size)
{
	size_t n = rec_cur_left(&t->val);

	if (memchr(t->val.p, 0, n))
		return false;
	if (n >= size)
		n = size - 1;
	memcpy(dst, t->val.p, n);
	dst[n] = '\0';
	return true;
}

/* A number value: one varint filling the value exactly. */
static bool get_u64(const struct tlv *t, __u64 *v)
{
	struct rec_cur c = t->val;

	*v = rec_get_varint(&c);
	return !c.bad && !rec_cur_left(&c);
}

static bool get_u32(const struct tlv *t, __u32 *v)
{
	__u64 x;

	if (!get_u64(t, &x) || x > 0xffffffffu)
		return false;
	*v = x;
	return true;
}

static bool decode_probe(const struct tlv *outer, struct ntf_rec_meta *m)
{
	struct ntf_rec_probe p = {};
	struct rec_cur c = outer->val;
	struct tlv t;
	__u32 v;
	int k;

	while ((k = next_tlv(&c, &t)) > 0) {
		switch (t.tag) {
		case NTR_TP_ID:
			if (!get_str(&t, p.id, sizeof(p.id)))
				return false;
			break;
		case NTR_TP_FUNC:
			if (!get_str(&t, p.func, sizeof(p.func)))
				return false;
			break;
		case NTR_TP_CLASS:
			if (!get_u32(&t, &p.class))
				return false;
			break;
		case NTR_TP_MECH:
			if (!get_u32(&t, &p.mech))
				return false;
			break;
		case NTR_TP_ATTACHED:
			if (!get_u32(&t, &v))
				return false;
			p.attached = v;
			break;
		default: break;
		}
	}
	if (k < 0)
		return false;
	/* probes past the room this reader has are left out */
	if (p.id[0])
		ntf_rec_meta_add_probe(m, &p);
	return true;
}

static bool decode_callback(const struct tlv *outer, struct ntf_rec_meta *m)
{
	struct ntf_rec_callback cb = {};
	struct rec_cur c = outer->val;
	bool has_id = false;
	struct tlv t;
	int k;

	while ((k = next_tlv(&c, &t)) > 0) {
		switch (t.tag) {
		case NTR_TC_ID:
			if (!get_u32(&t, &cb.id))
				return false;
			has_id = true;
			break;
		case NTR_TC_DRIVER:
			if (!get_str(&t, cb.driver, sizeof(cb.driver)))
				return false;
			break;
		case NTR_TC_FUNC:
			if (!get_str(&t, cb.func, sizeof(cb.func)))
				return false;
			break;
		default: break;
		}
	}
	if (k < 0 || !has_id)
		return false;
	/* ids past the room this reader has keep no name */
	ntf_rec_meta_set_callback(m, cb.id, cb.driver, cb.func[0] ? cb.func : NULL);
	return true;
}

static bool decode_flight(const struct tlv *outer, struct ntf_rec_flight *f)
{
	struct rec_cur c = outer->val;
	struct tlv t;
	bool ok = true;
	int k = 0;

	memset(f, 0, sizeof(*f));
	while (ok && (k = next_tlv(&c, &t)) > 0) {
		switch (t.tag) {
		case NTR_TF_TRIGGER: ok = get_str(&t, f->trigger, sizeof(f->trigger)); break;
		case NTR_TF_WALL_NS: ok = get_u64(&t, &f->trigger_wall_ns); break;
		case NTR_TF_MONO_NS: ok = get_u64(&t, &f->trigger_mono_ns); break;
		case NTR_TF_WINDOW_NS: ok = get_u64(&t, &f->window_ns); break;
		case NTR_TF_WINDOW_BYTES: ok = get_u64(&t, &f->window_bytes); break;
		case NTR_TF_FROM_NS: ok = get_u64(&t, &f->from_ns); break;
		case NTR_TF_TO_NS: ok = get_u64(&t, &f->to_ns); break;
		case NTR_TF_DROPPED: ok = get_u64(&t, &f->dropped); break;
		default: break;
		}
	}
	return ok && k == 0;
}

static int fail(char *why, size_t len, size_t *at, size_t off, const char *what)
{
	snprintf(why, len, "%s", what);
	*at = off;
	return -EBADMSG;
}

static int decode_tlvs(const __u8 *p, size_t n, struct ntf_rec_meta *m, bool meta, char *why,
		       size_t len, size_t *at)
{
	struct rec_cur c = rec_cur_make(p, n);
	struct tlv t;
	int k;

	for (;;) {
		size_t off = c.p - p;
		bool ok = true;

		k = next_tlv(&c, &t);
		if (!k)
			return 0;
		if (k < 0)
			return fail(why, len, at, off, "a field runs past the end of its block");
		if (t.tag == NTR_T_CALLBACK) {
			ok = decode_callback(&t, m);
		} else if (meta) {
			switch (t.tag) {
			case NTR_T_WRITER: ok = get_str(&t, m->writer, sizeof(m->writer)); break;
			case NTR_T_HOST: ok = get_str(&t, m->host, sizeof(m->host)); break;
			case NTR_T_KERNEL: ok = get_str(&t, m->kernel, sizeof(m->kernel)); break;
			case NTR_T_KERNEL_VERSION:
				ok = get_str(&t, m->kernel_version, sizeof(m->kernel_version));
				break;
			case NTR_T_ARCH: ok = get_str(&t, m->arch, sizeof(m->arch)); break;
			case NTR_T_BOOT_ID: ok = get_str(&t, m->boot_id, sizeof(m->boot_id)); break;
			case NTR_T_COMPRESSION:
				ok = get_str(&t, m->compression, sizeof(m->compression));
				break;
			case NTR_T_WALL_NS: ok = get_u64(&t, &m->wall_ns); break;
			case NTR_T_MONO_NS: ok = get_u64(&t, &m->mono_ns); break;
			case NTR_T_EVENT_SIZE: ok = get_u32(&t, &m->event_size); break;
			case NTR_T_PROBE: ok = decode_probe(&t, m); break;
			case NTR_T_FLIGHT: ok = decode_flight(&t, &m->flight); break;
			default: break;
			}
		}
		if (!ok) {
			char what[64];

			snprintf(what, sizeof(what), "field %llu is malformed",
				 (unsigned long long)t.tag);
			return fail(why, len, at, off, what);
		}
	}
}

int ntr_meta_decode(const __u8 *p, size_t n, struct ntf_rec_meta *meta, char *why, size_t len,
		    size_t *at)
{
	memset(meta, 0, sizeof(*meta));
	return decode_tlvs(p, n, meta, true, why, len, at);
}

int ntr_names_decode(const __u8 *p, size_t n, struct ntf_rec_meta *meta, char *why, size_t len,
		     size_t *at)
{
	return decode_tlvs(p, n, meta, false, why, len, at);
}
