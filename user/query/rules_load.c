// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A rules file read whole, then parsed: a reload sees one version of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rules.h"

/* Far above any hand-written policy; a file this big is some other file. */
#define RULES_FILE_MAX (1u << 20)

static int file_error(struct ntf_rules_error *err, const char *path, int errnum)
{
	err->line = err->column = 0;
	snprintf(err->reason, sizeof(err->reason), "%s: %s", path, strerror(errnum));
	return -errnum;
}

int ntf_rules_load(const char *path, struct ntf_rules *out, struct ntf_rules_error *err)
{
	struct ntf_rules_error scratch;
	size_t used = 0;
	char *buf;
	int fd, ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_error(err, path, errno);
	/* one byte more than allowed tells a file at the limit from one past it */
	buf = malloc(RULES_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return file_error(err, path, ENOMEM);
	}
	while (used <= RULES_FILE_MAX) {
		ssize_t n = read(fd, buf + used, RULES_FILE_MAX + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = file_error(err, path, errno);
			goto out;
		}
		if (!n)
			break;
		used += n;
	}
	if (used > RULES_FILE_MAX) {
		snprintf(err->reason, sizeof(err->reason), "%s: larger than 1 MiB", path);
		ret = -EFBIG;
		goto out;
	}
	ret = ntf_rules_parse(buf, used, out, err);
out:
	free(buf);
	close(fd);
	return ret;
}
