// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "callbacks.h"
#include "names.h"
#include "top_filter.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int parse_u32(const char *s, __u32 max, __u32 *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int filter_term(struct top_filter *f, const char *key, const char *val, char *err,
		       size_t errlen)
{
	if (!strcmp(key, "pid")) {
		if (parse_u32(val, 0x7fffffff, &f->pid) || !f->pid)
			goto bad;
	} else if (!strcmp(key, "comm")) {
		if (strlen(val) >= sizeof(f->comm))
			goto bad;
		snprintf(f->comm, sizeof(f->comm), "%s", val);
	} else if (!strcmp(key, "driver")) {
		/* "all" is how callback 0, the chain as a whole, is shown */
		if (!strcmp(val, "all"))
			f->callback = 0;
		else if ((f->callback = ntf_callback_id(val)))
			; /* a driver name: kvm, i915, amdgpu... */
		else if (!parse_u32(val, 0xffffffff, &f->callback))
			; /* an id */
		else if (strlen(val) < sizeof(f->driver) && !strpbrk(val, "/\"\\"))
			/* a name no driver has yet: one discovery may find later */
			snprintf(f->driver, sizeof(f->driver), "%s", val);
		else
			goto bad;
		f->has_callback = !f->driver[0];
	} else if (!strcmp(key, "class")) {
		char why[64];

		if (ntf_parse_class_list(val, &f->class_mask, why, sizeof(why)))
			goto bad;
	} else if (!strcmp(key, "cgroup")) {
		/* keys hold a pid, not a cgroup: each process's is looked up in /proc */
		if (ntf_cgroup_normalize(val, f->cgroup, sizeof(f->cgroup)))
			goto bad;
	} else {
		snprintf(err, errlen, "unknown filter '%s' (pid, comm, driver, class, cgroup)",
			 key);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad %s '%s'", key, val);
	return -EINVAL;
}

static bool is_filter_key(const char *s)
{
	static const char *const keys[] = { "pid", "comm", "driver", "class", "cgroup" };

	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!strcmp(s, keys[i]))
			return true;
	return false;
}

int top_filter_parse(const char *s, struct top_filter *out, char *err, size_t errlen)
{
	struct top_filter f = {};
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "filter too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *sep = strpbrk(tok, "=:"), *val;
		__u32 pid;
		int err2;

		if (sep) {
			*sep = '\0';
			val = sep + 1;
		} else if (is_filter_key(tok)) {
			val = strtok_r(NULL, " \t", &save);
			if (!val) {
				snprintf(err, errlen, "%s needs a value", tok);
				return -EINVAL;
			}
		} else {
			/* bare terms: a number is a pid, anything else a comm */
			err2 = filter_term(&f, parse_u32(tok, 0x7fffffff, &pid) ? "comm" : "pid",
					   tok, err, errlen);
			if (err2)
				return err2;
			continue;
		}
		err2 = filter_term(&f, tok, val, err, errlen);
		if (err2)
			return err2;
	}
	*out = f;
	return 0;
}

void top_filter_format(const struct top_filter *f, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
#define APPEND(...)                                                            \
	do {                                                                   \
		if (used < len)                                                \
			used += snprintf(buf + used, len - used, __VA_ARGS__); \
	} while (0)
	if (f->pid)
		APPEND("%spid %u", used ? " " : "", f->pid);
	if (f->comm[0])
		APPEND("%scomm %s", used ? " " : "", f->comm);
	if (f->has_callback)
		APPEND("%sdriver %s", used ? " " : "",
		       f->callback ? ntf_driver_name(f->callback) : "all");
	if (f->driver[0])
		APPEND("%sdriver %s", used ? " " : "", f->driver);
	if (f->class_mask) {
		APPEND("%sclass ", used ? " " : "");
		for (unsigned int c = 1, n = 0; c < NTF_CLASS_MAX; c++)
			if (f->class_mask & (1u << c))
				APPEND("%s%s", n++ ? "," : "", ntf_class_name(c));
	}
	if (f->cgroup[0])
		APPEND("%scgroup %s", used ? " " : "", f->cgroup);
#undef APPEND
	if (!buf[0])
		snprintf(buf, len, "none");
}

bool top_filter_keeps(const struct top_filter *f, const struct ntf_hist_key *k, const char *comm,
		      __u64 now_ms)
{
	if (f->pid && k->tgid != f->pid)
		return false;
	if (f->has_callback && k->callback != f->callback)
		return false;
	if (f->comm[0] && !strstr(comm, f->comm))
		return false;
	if (f->driver[0] && strcmp(ntf_driver_name(k->callback), f->driver))
		return false;
	if (f->cgroup[0] && !ntf_pid_in_cgroup(k->tgid, f->cgroup, now_ms))
		return false;
	return true;
}
