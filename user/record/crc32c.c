// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <pthread.h>
#include <string.h>
#include "crc32c.h"

#define POLY 0x82f63b78u /* reflected Castagnoli */

/* Slicing by 8: table[k][b] is b's CRC followed by k zero bytes. */
static __u32 table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_table(void)
{
	for (unsigned int b = 0; b < 256; b++) {
		__u32 c = b;

		for (int i = 0; i < 8; i++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][b] = c;
	}
	for (unsigned int b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xff];
}

__u32 ntf_crc32c_sw(__u32 crc, const void *data, size_t n)
{
	const unsigned char *p = data;

	pthread_once(&table_once, make_table);
	crc = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		__u32 lo = crc ^
			   ((__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24);
		__u32 hi = (__u32)p[4] | (__u32)p[5] << 8 | (__u32)p[6] << 16 | (__u32)p[7] << 24;

		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^ table[3][hi & 0xff] ^
		      table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
	}
	while (n--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static __u32 crc32c_hw(__u32 crc, const void *data, size_t n)
{
	const unsigned char *p = data;
	unsigned long long c = ~crc;

	for (; n >= 8; n -= 8, p += 8) {
		unsigned long long v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	while (n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return ~(__u32)c;
}

__u32 ntf_crc32c(__u32 crc, const void *data, size_t n)
{
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_hw(crc, data, n);
	return ntf_crc32c_sw(crc, data, n);
}
#else
__u32 ntf_crc32c(__u32 crc, const void *data, size_t n)
{
	return ntf_crc32c_sw(crc, data, n);
}
#endif
