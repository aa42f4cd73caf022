/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The listening socket on disk: its directory and permissions, stale
 * sockets of a daemon that died, and removing only what this one made.
 */
#ifndef NTF_SERVER_SOCK_H
#define NTF_SERVER_SOCK_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

struct ntf_sock {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool made_dir; /* ours to remove */
	dev_t dev; /* the socket bound, so a successor's is left alone */
	ino_t ino;
};

/* Binds and listens, non-blocking; see ntf_server_listen. 0 or -errno. */
int ntf_sock_listen(struct ntf_sock *k, const char *path, gid_t gid);
/* Closes, and removes the socket and the directory if they are still ours. */
void ntf_sock_close(struct ntf_sock *k);

#endif
