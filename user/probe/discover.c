// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "discover.h"
#include "discover.skel.h"

struct ntf_discovery {
	struct discover_bpf *skel;
	struct bpf_link *link;
};

int ntf_discovery_new(struct ntf_discovery **out, char *why, size_t len)
{
	struct ntf_discovery *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	d->skel = discover_bpf__open();
	if (!d->skel) {
		err = -errno;
		snprintf(why, len, "cannot open the iterator: %s", strerror(-err));
		goto fail;
	}
	err = discover_bpf__load(d->skel);
	if (err) {
		snprintf(why, len, "iter/task refused at load: %s%s", strerror(-err),
			 err == -EPERM || err == -EACCES ? " (lockdown or an LSM)" : "");
		goto fail;
	}
	d->link = bpf_program__attach_iter(d->skel->progs.discover_callbacks, NULL);
	if (!d->link) {
		err = -errno;
		snprintf(why, len, "iter/task attach failed: %s", strerror(-err));
		goto fail;
	}
	*out = d;
	return 0;
fail:
	ntf_discovery_free(d);
	return err ? err : -EINVAL;
}

void ntf_discovery_free(struct ntf_discovery *d)
{
	if (!d)
		return;
	bpf_link__destroy(d->link);
	discover_bpf__destroy(d->skel);
	free(d);
}

static void clear_map(int fd)
{
	__u64 key, next;

	/* Deleting the key just read restarts the walk at the first key. */
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

int ntf_discovery_run(struct ntf_discovery *d, struct ntf_found_callback *found, size_t max,
		      __u64 *dropped)
{
	int map_fd = bpf_map__fd(d->skel->maps.discovered);
	char buf[64];
	__u64 key, next, *prev = NULL;
	size_t n = 0;
	ssize_t got;
	int fd;

	clear_map(map_fd);
	d->skel->bss->dropped = 0;
	fd = bpf_iter_create(bpf_link__fd(d->link));
	if (fd < 0)
		return -errno;
	/* The program writes nothing to the seq file: reading drives the walk. */
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (got < 0)
		return -errno;
	while (n < max && !bpf_map_get_next_key(map_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(map_fd, &key, &found[n].d))
			continue;
		found[n++].addr = key;
	}
	*dropped = d->skel->bss->dropped;
	return n;
}
