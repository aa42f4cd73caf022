// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "server.h"
#include "server_sock.h"

/* 1 when dir holds a socket called name and nothing else. */
static int holds_only(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	int found = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strcmp(de->d_name, name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISSOCK(st.st_mode)) {
			found = 0;
			break;
		}
		found = 1;
	}
	closedir(d);
	return found;
}

/*
 * Makes the directory, or adopts one a daemon that died left with only its
 * socket inside; a directory anyone else made keeps its owner and mode.
 */
static int prepare_dir(struct ntf_sock *k, const char *base, gid_t gid)
{
	struct stat st;
	int err;

	if (lstat(k->dir, &st)) {
		if (errno != ENOENT)
			return -errno;
		if (mkdir(k->dir, 0700))
			return -errno;
	} else if (!S_ISDIR(st.st_mode)) {
		return -ENOTDIR;
	} else if (st.st_uid != geteuid() || holds_only(k->dir, base) != 1) {
		return 0;
	}
	k->made_dir = true;
	if (chown(k->dir, geteuid(), gid) || chmod(k->dir, 0750)) {
		err = -errno;
		rmdir(k->dir);
		k->made_dir = false;
		return err;
	}
	return 0;
}

/* A socket nobody listens on is a dead daemon's: removed. A live one is not. */
static int clear_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	close(fd);
	if (err != ECONNREFUSED)
		return -EADDRINUSE;
	return unlink(path) ? -errno : 0;
}

static int split_path(struct ntf_sock *k, const char *path, const char **base)
{
	char cwd[PATH_MAX];
	char *slash;
	int n;

	if (path[0] == '/')
		n = snprintf(k->path, sizeof(k->path), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)))
		/* Absolute, so removing it works after a daemon's chdir("/"). */
		n = snprintf(k->path, sizeof(k->path), "%s/%s", cwd, path);
	else
		return -errno;
	if (n < 0 || (size_t)n >= sizeof(k->path))
		return -ENAMETOOLONG;
	memcpy(k->dir, k->path, sizeof(k->dir));
	slash = strrchr(k->dir, '/');
	*base = k->path + (slash - k->dir) + 1;
	if (!**base)
		return -EISDIR;
	slash[slash == k->dir] = '\0'; /* "/x" is in "/" */
	return 0;
}

int ntf_sock_listen(struct ntf_sock *k, const char *path, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *base;
	struct stat st;
	mode_t old;
	int err;

	k->fd = -1;
	k->made_dir = false;
	err = split_path(k, path, &base);
	if (!err)
		err = prepare_dir(k, base, gid);
	if (!err)
		err = clear_stale(k->path);
	if (err)
		goto fail;
	k->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		err = -errno;
		goto fail;
	}
	memcpy(sa.sun_path, k->path, strlen(k->path) + 1);
	/* Never reachable by others, even before the chmod. */
	old = umask(0177);
	err = bind(k->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (err)
		goto fail;
	if (stat(k->path, &st) || chown(k->path, geteuid(), gid) || chmod(k->path, 0660) ||
	    listen(k->fd, 64)) {
		err = -errno;
		unlink(k->path);
		goto fail;
	}
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	return 0;
fail:
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	if (k->made_dir)
		rmdir(k->dir);
	k->made_dir = false;
	return err;
}

int ntf_server_group(const char *name, gid_t *gid)
{
	struct group *g;
	char *end;
	long n;
	FILE *f;
	int err = -ENOENT;

	errno = 0;
	n = strtol(name, &end, 10);
	if (*name && !*end && !errno && n >= 0 && n < 0x7fffffff) {
		*gid = n;
		return 0;
	}
	f = fopen("/etc/group", "re");
	while (f && err && (g = fgetgrent(f))) {
		if (!strcmp(g->gr_name, name)) {
			*gid = g->gr_gid;
			err = 0;
		}
	}
	if (f)
		fclose(f);
	return err;
}

void ntf_sock_close(struct ntf_sock *k)
{
	struct stat st;

	if (k->fd >= 0) {
		close(k->fd);
		k->fd = -1;
		if (!lstat(k->path, &st) && st.st_dev == k->dev && st.st_ino == k->ino)
			unlink(k->path);
	}
	if (k->made_dir)
		rmdir(k->dir);
	k->made_dir = false;
}
