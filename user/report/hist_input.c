// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Saved `notifier hist -j` output read back (hist_input.h). Strict about
 * shape, since a comparison or a picture drawn from a misread file would
 * be quietly wrong: every field a histogram always carries must be there
 * with its type, and the first thing that is not names its file, line
 * and field path in one line. Lenient about what it does not use
 * (probes, counters, callbacks, origins): those may come and go.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <jansson.h>
#include "hashtable.h"
#include "histogram.h"
#include "hist_input.h"
#include "names.h"

/* Where the reader is, for the one line an error gets. */
struct reader {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
bad(const struct reader *rd, const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (rd->err && rd->errlen) {
		if (path && path[0])
			snprintf(rd->err, rd->errlen, "%s: line %zu: %s: %s", rd->name, rd->line,
				 path, why);
		else
			snprintf(rd->err, rd->errlen, "%s: line %zu: %s", rd->name, rd->line, why);
	}
	return -EINVAL;
}

static const char *json_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/*
 * A field's path into p (PATH_LEN bytes): a long one is cut, which only
 * shortens a message.
 */
#define PATH_LEN 256
static void __attribute__((format(printf, 2, 3))) path_fmt(char *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, PATH_LEN, fmt, ap);
	va_end(ap);
}

/* A count or a time in ns: a non-negative integer. */
static int get_u64(const struct reader *rd, const json_t *v, const char *path, __u64 *out)
{
	if (!json_is_integer(v))
		return bad(rd, path, "not an integer but %s", json_type_word(v));
	if (json_integer_value(v) < 0)
		return bad(rd, path, "negative (%lld)", (long long)json_integer_value(v));
	*out = (__u64)json_integer_value(v);
	return 0;
}

static int field_u64(const struct reader *rd, const json_t *obj, const char *path, const char *key,
		     __u64 *out)
{
	char p[PATH_LEN];
	json_t *v = json_object_get(obj, key);

	path_fmt(p, "%s%s%s", path, path[0] ? "." : "", key);
	if (!v)
		return bad(rd, p, "missing");
	return get_u64(rd, v, p, out);
}

/* [low_ns, count] pairs of the log2 slots (report.c's ntf_hist_json). */
static int read_slots(const struct reader *rd, const json_t *slots, const char *path,
		      struct ntf_hist *h)
{
	char p[PATH_LEN];
	size_t i;
	json_t *pair;

	if (!slots)
		return bad(rd, path, "missing");
	if (!json_is_array(slots))
		return bad(rd, path, "not an array but %s", json_type_word(slots));
	json_array_foreach(slots, i, pair)
	{
		__u64 low, count;
		unsigned int slot;

		path_fmt(p, "%s[%zu]", path, i);
		if (!json_is_array(pair) || json_array_size(pair) != 2)
			return bad(rd, p, "not a [low_ns, count] pair");
		if (get_u64(rd, json_array_get(pair, 0), p, &low) ||
		    get_u64(rd, json_array_get(pair, 1), p, &count))
			return -EINVAL;
		slot = low ? 63 - __builtin_clzll(low) : 0;
		if (low & (low - 1) || slot >= NTF_HIST_SLOTS || (slot == 0 && low > 0))
			return bad(rd, p, "%llu ns is not the low edge of a log2 slot",
				   (unsigned long long)low);
		h->slots[slot] += count;
	}
	return 0;
}

/* {"schema":4,"zero_count":N,"counts":[[native_index,count],...]} */
static int read_buckets(const struct reader *rd, const json_t *o, const char *path,
			struct ntf_buckets *fine)
{
	/* the stored indexes a value can have: of 1 ns up to 2^64 - 1 ns */
	const int first = ntf_bucket_native(ntf_bucket_of(1));
	const int last = ntf_bucket_native(ntf_bucket_of(UINT64_MAX));
	char p[PATH_LEN];
	json_t *counts, *pair;
	__u64 schema, zero;
	size_t i;

	if (!json_is_object(o))
		return bad(rd, path, "not an object but %s", json_type_word(o));
	if (field_u64(rd, o, path, "schema", &schema))
		return -EINVAL;
	if (schema != 4) {
		path_fmt(p, "%s.schema", path);
		return bad(rd, p, "%llu: only schema 4 (16 buckets per power of two) is read",
			   (unsigned long long)schema);
	}
	if (field_u64(rd, o, path, "zero_count", &zero))
		return -EINVAL;
	path_fmt(p, "%s.counts", path);
	counts = json_object_get(o, "counts");
	if (!counts)
		return bad(rd, p, "missing");
	if (!json_is_array(counts))
		return bad(rd, p, "not an array but %s", json_type_word(counts));
	if (zero && ntf_buckets_add_index(fine, NTF_BUCKET_ZERO, zero))
		return -ENOMEM;
	json_array_foreach(counts, i, pair)
	{
		json_t *idx;
		__u64 count;

		path_fmt(p, "%s.counts[%zu]", path, i);
		if (!json_is_array(pair) || json_array_size(pair) != 2)
			return bad(rd, p, "not an [index, count] pair");
		idx = json_array_get(pair, 0);
		if (!json_is_integer(idx))
			return bad(rd, p, "index not an integer but %s", json_type_word(idx));
		if (json_integer_value(idx) < first || json_integer_value(idx) > last)
			return bad(rd, p, "index %lld out of range (%d..%d)",
				   (long long)json_integer_value(idx), first, last);
		if (get_u64(rd, json_array_get(pair, 1), p, &count))
			return -EINVAL;
		if (count &&
		    ntf_buckets_add_index(
			    fine, (__u32)(json_integer_value(idx) + NTF_BUCKET_OFFSET), count))
			return -ENOMEM;
	}
	return 0;
}

/* One histogram object (ntf_hist_json's) into g, its label already set. */
static int read_hist(const struct reader *rd, const json_t *o, const char *path,
		     struct ntf_hist_group *g)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{ "count", offsetof(struct ntf_hist, count) },
		{ "sum_ns", offsetof(struct ntf_hist, sum_ns) },
		{ "min_ns", offsetof(struct ntf_hist, min_ns) },
		{ "max_ns", offsetof(struct ntf_hist, max_ns) },
		{ "failures", offsetof(struct ntf_hist, failures) },
		{ "pages", offsetof(struct ntf_hist, pages) },
		{ "nested", offsetof(struct ntf_hist, nested) },
		{ "nonblock", offsetof(struct ntf_hist, nonblock) },
	};
	char p[PATH_LEN];
	json_t *buckets;
	int err;

	if (!json_is_object(o))
		return bad(rd, path, "not an object but %s", json_type_word(o));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (field_u64(rd, o, path, fields[i].key,
			      (__u64 *)((char *)&g->hist + fields[i].off)))
			return -EINVAL;
	path_fmt(p, "%s.slots", path);
	err = read_slots(rd, json_object_get(o, "slots"), p, &g->hist);
	if (err)
		return err;
	buckets = json_object_get(o, "buckets");
	if (buckets) {
		path_fmt(p, "%s.buckets", path);
		err = read_buckets(rd, buckets, p, &g->fine);
	}
	return err;
}

/* Labels of a report, to find a group's index by its label. */
struct label_index {
	struct ntf_table t;
};

struct label_ent {
	size_t idx;
};

struct label_key {
	const struct ntf_hist_group *groups;
	const char *label;
};

static bool label_eq(const void *entry, const void *key)
{
	const struct label_ent *e = entry;
	const struct label_key *k = key;

	return !strcmp(k->groups[e->idx].label, k->label);
}

static __u64 label_hash(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * The index of the group labelled label among groups, or (size_t)-1 after
 * recording it as idx when it is new; (size_t)-2 when out of memory.
 */
static size_t label_find_or_add(struct label_index *li, const struct ntf_hist_group *groups,
				const char *label, size_t idx)
{
	struct label_key k = { .groups = groups, .label = label };
	__u64 h = label_hash(label);
	size_t slot = ntf_table_slot(&li->t, h, &k, label_eq);
	struct label_ent *e;

	if (ntf_table_used(&li->t, slot))
		return ((struct label_ent *)ntf_table_at(&li->t, slot))->idx;
	e = ntf_table_claim(&li->t, slot, h);
	if (!e)
		return (size_t)-2;
	e->idx = idx;
	return (size_t)-1;
}

struct ntf_hist_group *ntf_hist_report_add(struct ntf_hist_report *r, size_t *cap)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct ntf_hist_group *g = realloc(r->groups, ncap * sizeof(*g));

		if (!g)
			return NULL;
		r->groups = g;
		*cap = ncap;
	}
	memset(&r->groups[r->n], 0, sizeof(r->groups[0]));
	return &r->groups[r->n++];
}

/* Adds the group just read (r's last) to the index, refusing a second of its label. */
static int group_commit(const struct reader *rd, struct label_index *li, struct ntf_hist_report *r,
			const char *path)
{
	struct ntf_hist_group *g = &r->groups[r->n - 1];
	size_t at = label_find_or_add(li, r->groups, g->label, r->n - 1);

	if (at == (size_t)-2)
		return -ENOMEM;
	if (at != (size_t)-1)
		return bad(rd, path, "a second histogram labelled \"%s\"", g->label);
	return 0;
}

/*
 * A --by group's label: its "by" pairs as key=value in a fixed order, so
 * that the same group of two runs has the same label whatever order the
 * writer put the keys in. Keys this reader does not know yet follow, in
 * the order of strcmp, rather than being dropped (two groups would then
 * share a label).
 */
static const char *const by_keys[] = { "driver", "event",  "pid",      "comm",
				       "cgroup", "origin", "blockable" };

static bool by_key_known(const char *key)
{
	for (size_t i = 0; i < sizeof(by_keys) / sizeof(by_keys[0]); i++)
		if (!strcmp(key, by_keys[i]))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int by_append(const struct reader *rd, const char *path, const char *key, const json_t *v,
		     char *label, size_t size, size_t *used)
{
	char p[PATH_LEN], val[128];
	int n;

	path_fmt(p, "%s.%s", path, key);
	if (json_is_string(v))
		snprintf(val, sizeof(val), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
	else
		return bad(rd, p, "not a string or an integer but %s", json_type_word(v));
	if (!val[0])
		return bad(rd, p, "empty");
	n = snprintf(label + *used, size - *used, "%s%s=%s", *used ? " " : "", key, val);
	if (n < 0 || (size_t)n >= size - *used)
		return bad(rd, path, "the label it makes is longer than %zu characters", size - 1);
	*used += n;
	return 0;
}

static int by_label(const struct reader *rd, const json_t *by, const char *path,
		    struct ntf_hist_group *g)
{
	const char *others[64], *key;
	size_t used = 0, nothers = 0;
	json_t *v;
	int err;

	if (!by)
		return bad(rd, path, "missing");
	if (!json_is_object(by))
		return bad(rd, path, "not an object but %s", json_type_word(by));
	if (!json_object_size(by))
		return bad(rd, path, "empty: a group needs at least one key");
	for (size_t i = 0; i < sizeof(by_keys) / sizeof(by_keys[0]); i++) {
		v = json_object_get(by, by_keys[i]);
		if (!v)
			continue;
		err = by_append(rd, path, by_keys[i], v, g->label, sizeof(g->label), &used);
		if (err)
			return err;
	}
	json_object_foreach((json_t *)by, key, v)
	{
		if (by_key_known(key))
			continue;
		if (nothers == sizeof(others) / sizeof(others[0]))
			return bad(rd, path, "more than %zu keys", nothers);
		others[nothers++] = key;
	}
	qsort(others, nothers, sizeof(others[0]), cmp_str);
	for (size_t i = 0; i < nothers; i++) {
		err = by_append(rd, path, others[i], json_object_get(by, others[i]), g->label,
				sizeof(g->label), &used);
		if (err)
			return err;
	}
	/* a group of one event class is of that class */
	v = json_object_get(by, "event");
	g->class = json_is_string(v) ? ntf_class_from_name(json_string_value(v)) : NTF_CLASS_NONE;
	return 0;
}

/* "classes" or "drivers": an object of histograms by name. */
static int read_named(const struct reader *rd, const json_t *root, const char *member,
		      bool required, struct ntf_hist_report *r, size_t *cap, struct label_index *li)
{
	json_t *obj = json_object_get(root, member), *v;
	const char *name;
	char p[PATH_LEN];
	int err;

	if (!obj)
		return required ? bad(rd, member, "missing") : 0;
	if (!json_is_object(obj))
		return bad(rd, member, "not an object but %s", json_type_word(obj));
	json_object_foreach(obj, name, v)
	{
		struct ntf_hist_group *g = ntf_hist_report_add(r, cap);
		int n;

		if (!g)
			return -ENOMEM;
		path_fmt(p, "%s.%s", member, name);
		if (!strcmp(member, "classes")) {
			n = snprintf(g->label, sizeof(g->label), "%s", name);
			g->class = ntf_class_from_name(name);
		} else {
			n = snprintf(g->label, sizeof(g->label), "callback driver=%s", name);
			g->class = NTF_CLASS_CALLBACK;
		}
		if (!name[0] || (size_t)n >= sizeof(g->label))
			return bad(rd, p, "%s name", name[0] ? "too long a" : "an empty");
		err = read_hist(rd, v, p, g);
		if (!err)
			err = group_commit(rd, li, r, p);
		if (err)
			return err;
	}
	return 0;
}

/* "groups": [{"by": {...}, histogram fields...}, ...] */
static int read_groups(const struct reader *rd, const json_t *root, struct ntf_hist_report *r,
		       size_t *cap, struct label_index *li)
{
	json_t *arr = json_object_get(root, "groups"), *v;
	char p[PATH_LEN], pby[PATH_LEN];
	size_t i;
	int err;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return bad(rd, "groups", "not an array but %s", json_type_word(arr));
	json_array_foreach(arr, i, v)
	{
		struct ntf_hist_group *g = ntf_hist_report_add(r, cap);

		if (!g)
			return -ENOMEM;
		path_fmt(p, "groups[%zu]", i);
		if (!json_is_object(v))
			return bad(rd, p, "not an object but %s", json_type_word(v));
		path_fmt(pby, "%s.by", p);
		err = by_label(rd, json_object_get(v, "by"), pby, g);
		if (!err)
			err = read_hist(rd, v, p, g);
		if (!err)
			err = group_commit(rd, li, r, p);
		if (err)
			return err;
	}
	return 0;
}

static int read_report(const struct reader *rd, const json_t *root, struct ntf_hist_report *r)
{
	struct label_index li;
	size_t cap = 0;
	json_t *v;
	int err;

	v = json_object_get(root, "ts");
	if (v && !json_is_number(v))
		return bad(rd, "ts", "not a number but %s", json_type_word(v));
	r->ts = v ? json_number_value(v) : 0;
	v = json_object_get(root, "elapsed_ms");
	if (v && get_u64(rd, v, "elapsed_ms", &r->elapsed_ms))
		return -EINVAL;
	err = ntf_table_init(&li.t, sizeof(struct label_ent));
	if (err)
		return err;
	err = read_named(rd, root, "classes", true, r, &cap, &li);
	if (!err)
		err = read_named(rd, root, "drivers", false, r, &cap, &li);
	if (!err)
		err = read_groups(rd, root, r, &cap, &li);
	ntf_table_fini(&li.t);
	return err;
}

/* The next report into run, its slot grown if needed: NULL when out of memory. */
static struct ntf_hist_report *report_new(struct ntf_hist_run *run, size_t *cap)
{
	if (run->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct ntf_hist_report *r = realloc(run->reports, ncap * sizeof(*r));

		if (!r)
			return NULL;
		run->reports = r;
		*cap = ncap;
	}
	memset(&run->reports[run->n], 0, sizeof(run->reports[0]));
	return &run->reports[run->n++];
}

static bool blank(const char *s)
{
	return !s[strspn(s, " \t\r\n")];
}

/* One line: a report appended to run, nothing (a warning line), or an error. */
static int read_line(const struct reader *rd, const char *text, size_t len,
		     struct ntf_hist_run *run, size_t *cap)
{
	struct ntf_hist_report *r;
	json_error_t jerr;
	json_t *root, *msg;
	int err;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* the writer ends every report with a newline: without it, it was cut short */
		if (text[len - 1] != '\n')
			return bad(rd, NULL, "cut short: not a whole JSON object (%s at column %d)",
				   jerr.text, jerr.column);
		return bad(rd, NULL, "not JSON: %s at column %d", jerr.text, jerr.column);
	}
	if (!json_is_object(root)) {
		err = bad(rd, NULL, "not a report: %s, not an object", json_type_word(root));
		goto out;
	}
	/* what hist -j's logger writes between reports (json_log.c) */
	if (!json_object_get(root, "classes")) {
		msg = json_object_get(root, "error");
		if (json_is_string(msg)) {
			err = bad(rd, NULL, "the run reported an error: %s",
				  json_string_value(msg));
			goto out;
		}
		if (json_is_string(json_object_get(root, "warning"))) {
			err = 0;
			goto out;
		}
	}
	r = report_new(run, cap);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	err = read_report(rd, root, r);
out:
	json_decref(root);
	return err;
}

int ntf_hist_run_read(FILE *in, const char *name, struct ntf_hist_run *run, char *err,
		      size_t errlen)
{
	struct reader rd = { .name = name, .err = err, .errlen = errlen };
	size_t cap = 0, linecap = 0;
	char *line = NULL;
	ssize_t len;
	int ret = 0;

	memset(run, 0, sizeof(*run));
	snprintf(run->name, sizeof(run->name), "%s", name);
	if (err && errlen)
		err[0] = '\0';
	while ((len = getline(&line, &linecap, in)) > 0) {
		rd.line++;
		if (blank(line))
			continue;
		ret = read_line(&rd, line, (size_t)len, run, &cap);
		if (ret)
			break;
	}
	if (!ret && ferror(in)) {
		ret = -errno ?: -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: line %zu: %s", name, rd.line + 1,
				 strerror(-ret));
	}
	if (!ret && !run->n) {
		ret = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", name,
				 rd.line ? "no report in it (only blank or warning lines)" :
					   "empty: no report in it");
	}
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: line %zu: out of memory", name, rd.line);
	free(line);
	if (ret)
		ntf_hist_run_free(run);
	return ret;
}

const struct ntf_hist_group *ntf_hist_report_find(const struct ntf_hist_report *r,
						  const char *label)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->groups[i].label, label))
			return &r->groups[i];
	return NULL;
}

int ntf_hist_run_total(const struct ntf_hist_run *run, struct ntf_hist_report *out)
{
	struct label_index li;
	size_t cap = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = ntf_table_init(&li.t, sizeof(struct label_ent));
	if (err)
		return err;
	for (size_t i = 0; i < run->n && !err; i++) {
		const struct ntf_hist_report *r = &run->reports[i];

		if (r->ts > out->ts)
			out->ts = r->ts;
		out->elapsed_ms += r->elapsed_ms;
		for (size_t j = 0; j < r->n && !err; j++) {
			const struct ntf_hist_group *src = &r->groups[j];
			struct ntf_hist_group *dst;
			size_t at = label_find_or_add(&li, out->groups, src->label, out->n);

			if (at == (size_t)-2) {
				err = -ENOMEM;
				break;
			}
			if (at == (size_t)-1) {
				dst = ntf_hist_report_add(out, &cap);
				if (!dst) {
					err = -ENOMEM;
					break;
				}
				memcpy(dst->label, src->label, sizeof(dst->label));
				dst->class = src->class;
			} else {
				dst = &out->groups[at];
			}
			ntf_hist_merge(&dst->hist, &src->hist);
			err = ntf_buckets_merge(&dst->fine, &src->fine);
		}
	}
	ntf_table_fini(&li.t);
	if (err)
		ntf_hist_report_free(out);
	return err;
}

void ntf_hist_report_free(struct ntf_hist_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		ntf_buckets_free(&r->groups[i].fine);
	free(r->groups);
	memset(r, 0, sizeof(*r));
}

void ntf_hist_run_free(struct ntf_hist_run *run)
{
	for (size_t i = 0; i < run->n; i++)
		ntf_hist_report_free(&run->reports[i]);
	free(run->reports);
	run->reports = NULL;
	run->n = 0;
}
