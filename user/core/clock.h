/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NTF_CLOCK_H
#define NTF_CLOCK_H

#include <linux/types.h>

/* CLOCK_MONOTONIC in milliseconds: the clock of every interval and timeout. */
__u64 ntf_now_ms(void);
/* The same clock in nanoseconds: bpf_ktime_get_ns()'s. */
__u64 ntf_now_ns(void);
/* Wall-clock seconds since the epoch: when a report was taken, for people. */
double ntf_wall_s(void);

#endif
