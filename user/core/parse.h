/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Strict parsers of numbers and durations: the whole string or nothing.
 * They return errors and say why in words; only a program's argument
 * parsing (cli.h) turns that into a usage error and an exit.
 */
#ifndef NTF_PARSE_H
#define NTF_PARSE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * An unsigned number (decimal, 0x hex, 0 octal) within [min, max]: 0, or
 * -EINVAL (not a number) / -ERANGE (outside the range) with why[len] set.
 */
int ntf_parse_u64(const char *arg, __u64 min, __u64 max, __u64 *out, char *why, size_t len);
/*
 * A positive duration as "2", "0.5", "1.5s" or "500ms", in milliseconds:
 * 0, or -EINVAL with why[len] set.
 */
int ntf_parse_duration_ms(const char *arg, __u64 *out_ms, char *why, size_t len);
/* A latency with its unit, "800ns", "50us", "2.5ms", "1s", to nanoseconds. */
int ntf_parse_latency_ns(const char *arg, __u64 *out_ns, char *why, size_t len);
/*
 * A replay's speed: recording seconds per second, a number from 0 up to a
 * million, or "max"; 0 (and max) means as fast as possible. 0, or -EINVAL
 * with why[len] set.
 */
int ntf_parse_speed(const char *arg, double *out, char *why, size_t len);
/*
 * A size in bytes within [min, max]: plain bytes ("65536"), or a number
 * with K, M, G or T ("512K", "100M", "1.5G"), powers of 1024 as du and
 * systemd read them; "KiB", "KB" and "k" are K too. m, g and t are
 * refused: "100m" could as well mean 100 minutes. 0, or -EINVAL (not a
 * size) / -ERANGE (outside the range) with why[len] set.
 */
int ntf_parse_size(const char *arg, __u64 min, __u64 max, __u64 *out, char *why, size_t len);
/* A size for people: "123", "64K", "1.5M", "2G" (K, M, G, T of 1024). */
void ntf_format_size(char *buf, size_t len, __u64 bytes);
/*
 * A window of time, of size or both, comma-separated: "30s", "30" (seconds
 * too), "500ms", "64M", "30s,64M". Each at most once; a size within [min,
 * max] bytes. 0 with *ns and *bytes (0 for the one not given), or -EINVAL
 * with why[len] set.
 */
int ntf_parse_window(const char *arg, __u64 min, __u64 max, __u64 *ns, __u64 *bytes, char *why,
		     size_t len);

#endif
