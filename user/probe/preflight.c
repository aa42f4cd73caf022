// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "log.h"
#include "preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define BPF_FS_MAGIC 0xcafe4a11

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

int ntf_check_privileges(char *msg, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(msg, len, "cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))
		return 0;
	snprintf(msg, len, "missing %s%s%s (or CAP_SYS_ADMIN): run as root",
		 has_cap(data, CAP_BPF) ? "" : "CAP_BPF",
		 !has_cap(data, CAP_BPF) && !has_cap(data, CAP_PERFMON) ? " and " : "",
		 has_cap(data, CAP_PERFMON) ? "" : "CAP_PERFMON");
	return -EPERM;
}

int ntf_check_btf(char *msg, size_t len)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 0;
	snprintf(msg, len,
		 "kernel has no BTF (/sys/kernel/btf/vmlinux: %s); notifier needs "
		 "CONFIG_DEBUG_INFO_BTF=y",
		 strerror(errno));
	return -ENOENT;
}

int ntf_check_bpffs(const char *dir, char *msg, size_t len)
{
	struct statfs st;

	if (statfs(dir, &st)) {
		snprintf(msg, len, "%s: %s; mount it with 'mount -t bpf bpf %s' or use --no-pin",
			 dir, strerror(errno), dir);
		return -ENOENT;
	}
	if ((unsigned long)st.f_type != BPF_FS_MAGIC) {
		snprintf(msg, len,
			 "%s is not a BPF filesystem; mount it with 'mount -t bpf bpf %s' or "
			 "use --no-pin",
			 dir, dir);
		return -EINVAL;
	}
	return 0;
}

int ntf_preflight(void)
{
	char msg[256];

	if (ntf_check_privileges(msg, sizeof(msg)) || ntf_check_btf(msg, sizeof(msg))) {
		ntf_err("%s", msg);
		return -1;
	}
	return 0;
}
