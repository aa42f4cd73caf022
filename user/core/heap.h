/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The C library's heap, set up for programs that hold large tables which
 * double as they fill (the aggregate, notifier-top's snapshot and model).
 */
#ifndef NTF_HEAP_H
#define NTF_HEAP_H

/*
 * glibc raises its mmap threshold to the size of each mapped block freed,
 * so after a table's first few doublings its later arrays come from the
 * heap, and the arrays they replace stay resident there as holes (20 MB
 * of notifier-top's 113 at 100,000 keys). A fixed threshold keeps every
 * large array mapped, given back to the kernel when freed.
 */
void ntf_heap_setup(void);

#endif
