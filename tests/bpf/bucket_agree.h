/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Whether the running kernel's BPF and user space put values in the same
 * fine bucket: bpf/hist_bucket.h compiled into tests/bpf/bucket_check.bpf.c
 * and run through BPF_PROG_TEST_RUN, against ntf_bucket_of(). Shared by
 * the host unit test and the test bed's static checker.
 */
#ifndef NTF_BUCKET_AGREE_H
#define NTF_BUCKET_AGREE_H

#include <stddef.h>

struct bucket_check_bpf;

/*
 * Checks 0, 1, the largest value, every edge of the table and one above
 * it, and 20,000 pseudo-random values. Returns how many agreed; -1 with
 * the first disagreement (or the test run's error) in why.
 */
long bucket_agree(struct bucket_check_bpf *skel, char *why, size_t len);

#endif
