// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "names.h"
#include "policy_struct_ops.h"

#define MODULE_NAME "notifier_policy"
#define OPS_TYPE "notifier_policy_ops"
#define VALUE_TYPE "bpf_struct_ops_" OPS_TYPE

/* Of uapi 6.9, which Debian's 6.1 headers predate. */
#define NTF_BPF_STRUCT_OPS 44 /* enum bpf_attach_type */
#define NTF_BPF_F_LINK (1U << 13)
#define NTF_BPF_F_VTYPE_BTF_OBJ_FD (1U << 15)

/* BPF_MAP_CREATE's attributes as 6.9 has them: value_type_btf_obj_fd is new. */
struct map_create_attr {
	__u32 map_type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
	__u32 inner_map_fd;
	__u32 numa_node;
	char map_name[16];
	__u32 map_ifindex;
	__u32 btf_fd;
	__u32 btf_key_type_id;
	__u32 btf_value_type_id;
	__u32 btf_vmlinux_value_type_id;
	__u64 map_extra;
	__s32 value_type_btf_obj_fd;
	__s32 map_token_fd;
};

/* The fd of the loaded module's BTF object, or a negative errno. */
static int module_btf_fd(void)
{
	__u32 id = 0;

	while (!bpf_btf_get_next_id(id, &id)) {
		char name[64] = "";
		struct bpf_btf_info info = { .name = (__u64)(unsigned long)name,
					     .name_len = sizeof(name) };
		__u32 len = sizeof(info);
		int fd = bpf_btf_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf &&
		    !strcmp(name, MODULE_NAME))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static struct btf *module_btf(void)
{
	libbpf_print_fn_t was;
	struct btf *base, *mod;

	/* without the module, nothing to say: libbpf's own lines stay out of it */
	if (access("/sys/kernel/btf/" MODULE_NAME, R_OK))
		return NULL;
	was = libbpf_set_print(NULL);
	base = btf__load_vmlinux_btf();
	libbpf_set_print(was);
	if (libbpf_get_error(base))
		return NULL;
	mod = btf__parse_split("/sys/kernel/btf/" MODULE_NAME, base);
	if (libbpf_get_error(mod)) {
		btf__free(base);
		return NULL;
	}
	/* the split BTF keeps its base: freed with the module's by free_module_btf */
	return mod;
}

static void free_module_btf(struct btf *mod)
{
	const struct btf *base;

	if (!mod)
		return;
	base = btf__base_btf(mod);
	btf__free(mod);
	btf__free((struct btf *)base);
}

bool ntf_struct_ops_registered(void)
{
	struct btf *mod = module_btf();
	bool found = mod && btf__find_by_name_kind(mod, VALUE_TYPE, BTF_KIND_STRUCT) > 0;

	free_module_btf(mod);
	return found;
}

/* Member name's index and byte offset in struct t; -1 when it has none. */
static int member_of(const struct btf *btf, const struct btf_type *t, const char *name, __u32 *off)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name)) {
			*off = btf_member_bit_offset(t, i) / 8;
			return i;
		}
	return -1;
}

int ntf_struct_ops_type_open(struct ntf_struct_ops_type *t, char *why, size_t why_len)
{
	struct btf *mod = module_btf();
	const struct btf_type *ops, *value;
	int ops_id, value_id, err = -ENOENT;

	memset(t, 0, sizeof(*t));
	t->btf_fd = -1;
	if (!mod) {
		snprintf(why, why_len, "the companion module %s is not loaded", MODULE_NAME);
		return -ENOENT;
	}
	ops_id = btf__find_by_name_kind(mod, OPS_TYPE, BTF_KIND_STRUCT);
	value_id = btf__find_by_name_kind(mod, VALUE_TYPE, BTF_KIND_STRUCT);
	if (ops_id <= 0 || value_id <= 0) {
		snprintf(why, why_len, "module %s has not registered %s", MODULE_NAME, OPS_TYPE);
		goto out;
	}
	ops = btf__type_by_id(mod, ops_id);
	value = btf__type_by_id(mod, value_id);
	t->ops_id = ops_id;
	t->value_id = value_id;
	t->value_size = value->size;
	if (member_of(mod, value, "data", &t->data_off) < 0 ||
	    member_of(mod, ops, "generation", &t->gen_off) < 0) {
		snprintf(why, why_len, "module %s's %s is of another version than notifier's",
			 MODULE_NAME, OPS_TYPE);
		err = -EPROTO;
		goto out;
	}
	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++)
		t->member[c] = member_of(mod, ops, ntf_class_name(c), &t->member_off[c]);
	t->btf_fd = module_btf_fd();
	err = t->btf_fd < 0 ? t->btf_fd : 0;
	if (err)
		snprintf(why, why_len, "module %s's BTF object: %s", MODULE_NAME, strerror(-err));
out:
	free_module_btf(mod);
	return err;
}

void ntf_struct_ops_type_close(struct ntf_struct_ops_type *t)
{
	if (t->btf_fd >= 0)
		close(t->btf_fd);
	t->btf_fd = -1;
}

int ntf_struct_ops_map(const struct ntf_struct_ops_type *t, int btf_fd,
		       const int prog_fd[NTF_CLASS_MAX], __u32 generation)
{
	struct map_create_attr attr = {
		.map_type = BPF_MAP_TYPE_STRUCT_OPS,
		.key_size = sizeof(__u32),
		.value_size = t->value_size,
		.max_entries = 1,
		.map_flags = NTF_BPF_F_LINK | NTF_BPF_F_VTYPE_BTF_OBJ_FD,
		.btf_fd = btf_fd,
		.btf_vmlinux_value_type_id = t->value_id,
		.value_type_btf_obj_fd = t->btf_fd,
	};
	char *value = calloc(1, t->value_size);
	__u32 key = 0;
	int fd, err = 0;

	if (!value)
		return -ENOMEM;
	snprintf(attr.map_name, sizeof(attr.map_name), "ntf_policy");
	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++)
		if (prog_fd[c] >= 0 && t->member[c] >= 0) {
			/* the kernel reads a member's program fd as an unsigned long */
			unsigned long pfd = prog_fd[c];

			memcpy(value + t->data_off + t->member_off[c], &pfd, sizeof(pfd));
		}
	memcpy(value + t->data_off + t->gen_off, &generation, sizeof(generation));
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		err = -errno;
	else if (bpf_map_update_elem(fd, &key, value, 0))
		err = -errno;
	free(value);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int ntf_struct_ops_attach(int map_fd)
{
	int fd = bpf_link_create(map_fd, 0, NTF_BPF_STRUCT_OPS, NULL);

	return fd < 0 ? -errno : fd;
}

int ntf_struct_ops_swap(int link_fd, int map_fd, int old_map_fd)
{
	/* the old map's fd goes where the old program's would: the same field */
	LIBBPF_OPTS(bpf_link_update_opts, o, .flags = BPF_F_REPLACE, .old_prog_fd = old_map_fd);

	return bpf_link_update(link_fd, map_fd, &o) ? -errno : 0;
}
