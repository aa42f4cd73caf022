// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rotating recorder's file names (rec_dir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "rec_dir.h"

/* n digits at *p into *v; false when one is not a digit. */
static bool digits(const char **p, int n, __u64 *v)
{
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

bool rec_dir_parse(const char *name, struct rec_dir_file *f)
{
	const char *p = name;
	__u64 stamp = 0, n = 0;

	if (strncmp(p, REC_DIR_PREFIX, strlen(REC_DIR_PREFIX)))
		return false;
	p += strlen(REC_DIR_PREFIX);
	if (!digits(&p, 8, &stamp) || *p++ != '-' || !digits(&p, 6, &stamp))
		return false;
	if (*p == '-') {
		int k = 0;

		/* 1 to 10 digits, no leading zero: one spelling per number */
		for (p++; p[k] >= '0' && p[k] <= '9' && k < 10; k++)
			;
		if (!k || *p == '0')
			return false;
		digits(&p, k, &n);
		if (!n || n > 0xffffffffULL)
			return false;
	}
	if (strcmp(p, REC_DIR_SUFFIX))
		return false;
	f->stamp = stamp;
	f->n = n;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return true;
}

int rec_dir_cmp(const void *a, const void *b)
{
	const struct rec_dir_file *x = a, *y = b;

	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

int rec_dir_list(int dirfd, struct rec_dir_file **out, size_t *n)
{
	struct rec_dir_file *v = NULL, f;
	size_t len = 0, cap = 0;
	struct dirent *d;
	int fd = dup(dirfd);
	DIR *dir;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	/* a dup shares its position: start from the first entry whatever was read before */
	rewinddir(dir);
	while ((d = readdir(dir))) {
		struct stat sb;

		if (!rec_dir_parse(d->d_name, &f) ||
		    fstatat(dirfd, d->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
			continue;
		if (len == cap) {
			struct rec_dir_file *p;

			cap = cap ? cap * 2 : 16;
			p = realloc(v, cap * sizeof(*v));
			if (!p) {
				free(v);
				closedir(dir);
				return -ENOMEM;
			}
			v = p;
		}
		v[len++] = f;
	}
	closedir(dir);
	if (len)
		qsort(v, len, sizeof(*v), rec_dir_cmp);
	*out = v;
	*n = len;
	return 0;
}

int rec_dir_create(int dirfd, time_t t, const struct rec_dir_file *after, struct rec_dir_file *f)
{
	char stamp[24];
	struct tm tm;
	__u64 n = 0, v = 0;
	const char *p = stamp;

	if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) != 15)
		return -EINVAL;
	digits(&p, 8, &v);
	p++;
	digits(&p, 6, &v);
	if (after && v <= after->stamp) {
		/* the same second as the last file, or a clock that went back */
		v = after->stamp;
		n = (__u64)after->n + 1;
		snprintf(stamp, sizeof(stamp), "%08llu-%06llu", v / 1000000, v % 1000000);
	}
	for (__u64 end = n + 1000; n < end && n <= 0xffffffffULL; n++) {
		char name[64];
		int fd;

		if (n)
			snprintf(name, sizeof(name), REC_DIR_PREFIX "%s-%llu" REC_DIR_SUFFIX, stamp,
				 (unsigned long long)n);
		else
			snprintf(name, sizeof(name), REC_DIR_PREFIX "%s" REC_DIR_SUFFIX, stamp);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0) {
			rec_dir_parse(name, f);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	/* a thousand files in one second: something else is making them */
	return -EEXIST;
}
