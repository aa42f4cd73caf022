/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CRC32C (Castagnoli, as iSCSI, ext4 and btrfs use): the trace file's
 * checksum. The SSE4.2 instruction where the CPU has it, else tables.
 */
#ifndef NTF_CRC32C_H
#define NTF_CRC32C_H

#include <stddef.h>
#include <linux/types.h>

/* Continues crc over n bytes; start with 0. crc32c("123456789") is 0xe3069283. */
__u32 ntf_crc32c(__u32 crc, const void *data, size_t n);
/* The same by tables only, whatever the CPU: tests compare the two. */
__u32 ntf_crc32c_sw(__u32 crc, const void *data, size_t n);

#endif
