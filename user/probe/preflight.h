/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Checks made before touching BPF, each giving a one-line reason. */
#ifndef NTF_PREFLIGHT_H
#define NTF_PREFLIGHT_H

#include <stddef.h>

/* 0, or -EPERM with msg naming the missing capabilities. */
int ntf_check_privileges(char *msg, size_t len);
/* 0, or -ENOENT when the kernel exposes no BTF. */
int ntf_check_btf(char *msg, size_t len);
/* 0, or -ENOENT/-EINVAL when dir is missing or not a BPF filesystem. */
int ntf_check_bpffs(const char *dir, char *msg, size_t len);
/* Privileges and BTF; logs the reason and returns non-zero on failure. */
int ntf_preflight(void);

#endif
