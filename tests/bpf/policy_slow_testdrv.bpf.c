// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The shipped example, built for the test driver's callbacks of 10 ms or more. */
#define SLOW_DRIVER "testdrv"
#define SLOW_NS 10000000ULL
#include "../../examples/policies/slow_callbacks.bpf.c"
