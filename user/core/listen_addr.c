// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "listen_addr.h"
#include "parse.h"

int ntf_parse_listen_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *sslen, char *why,
			  size_t len)
{
	char host[64];
	const char *colon, *port_s;
	__u64 port;
	bool v6 = arg[0] == '[';

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		const char *close = strchr(arg, ']');

		if (!close || close[1] != ':') {
			snprintf(why, len, "'%s' is not [IPv6]:PORT", arg);
			return -EINVAL;
		}
		colon = close + 1;
		if ((size_t)(close - arg - 1) >= sizeof(host)) {
			snprintf(why, len, "'%s': address too long", arg);
			return -EINVAL;
		}
		memcpy(host, arg + 1, close - arg - 1);
		host[close - arg - 1] = '\0';
	} else {
		colon = strrchr(arg, ':');
		if (!colon) {
			snprintf(why, len, "'%s' is not ADDR:PORT", arg);
			return -EINVAL;
		}
		if ((size_t)(colon - arg) >= sizeof(host)) {
			snprintf(why, len, "'%s': address too long", arg);
			return -EINVAL;
		}
		memcpy(host, arg, colon - arg);
		host[colon - arg] = '\0';
	}
	port_s = colon + 1;
	if (ntf_parse_u64(port_s, 1, 65535, &port, why, len) || !*port_s) {
		snprintf(why, len, "'%s': port '%s' is not a number from 1 to 65535", arg, port_s);
		return -EINVAL;
	}
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			snprintf(why, len, "'%s': '%s' is not an IPv6 address", arg, host);
			return -EINVAL;
		}
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((__u16)port);
		*sslen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			snprintf(why, len,
				 "'%s': '%s' is not an IPv4 address (IPv6 goes in brackets)", arg,
				 host);
			return -EINVAL;
		}
		a->sin_family = AF_INET;
		a->sin_port = htons((__u16)port);
		*sslen = sizeof(*a);
	}
	return 0;
}
