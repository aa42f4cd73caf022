/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* "ADDR:PORT" for a TCP listener (notifierd --metrics): numeric addresses only. */
#ifndef NTF_LISTEN_ADDR_H
#define NTF_LISTEN_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * "127.0.0.1:9436", "[::1]:9436", "0.0.0.0:9436" or "[::]:9436" into ss
 * and *len: 0, or -EINVAL with why[len] saying what is wrong. No names
 * are resolved: a listener's address is said as a number.
 */
int ntf_parse_listen_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *sslen, char *why,
			  size_t len);

#endif
