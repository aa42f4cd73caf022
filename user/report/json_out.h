/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * JSON written by hand, for outputs too large to build as a jansson tree
 * first (a trace's every event): strings escaped so that any bytes, a
 * task's comm among them, make valid JSON, and nanoseconds written as
 * microseconds without losing a digit.
 */
#ifndef NTF_JSON_OUT_H
#define NTF_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/*
 * s as a JSON string, quotes included: " and \ escaped, control
 * characters as \u00XX, and each byte that is not part of well-formed
 * UTF-8 as U+FFFD (JSON text must be UTF-8; a comm is whatever bytes the
 * task set).
 */
void ntf_json_str(FILE *out, const char *s);
/* The same for at most len bytes of s (a field that need not end in a NUL). */
void ntf_json_strn(FILE *out, const char *s, size_t len);
/*
 * ns as microseconds with three decimals ("-1234.005"): the Chrome trace
 * format counts in µs, and a decimal fraction keeps every nanosecond
 * where a double would round it. Returns the length written into buf,
 * which must hold NTF_JSON_US_LEN bytes.
 */
#define NTF_JSON_US_LEN 24
size_t ntf_json_us(char *buf, __s64 ns);

#endif
