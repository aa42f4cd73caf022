// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel stacks out of the stack map, symbolized for a trace file (stack_reader.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "ksyms.h"
#include "stack_reader.h"

/*
 * A return address further than this past the symbol below it lies in
 * no function kallsyms knew when it was read (a program or module loaded
 * since, or the end of a region): its name would be a stranger's.
 */
#define NTF_STACK_MAX_OFFSET (1u << 20)

struct ntf_stack_reader {
	int fd;
	const char *kallsyms_path;
	struct ntf_ksyms *ks;
	bool stale;
};

/* A failed read keeps the symbols read before (better than none) and is tried again. */
static void read_kallsyms(struct ntf_stack_reader *sr)
{
	struct ntf_ksyms *ks = ntf_ksyms_load(sr->kallsyms_path);

	if (!ks)
		return;
	ntf_ksyms_free(sr->ks);
	sr->ks = ks;
	sr->stale = false;
}

struct ntf_stack_reader *ntf_stack_reader_new(int stacks_fd, const char *kallsyms_path)
{
	struct ntf_stack_reader *sr = calloc(1, sizeof(*sr));

	if (!sr)
		return NULL;
	sr->fd = stacks_fd;
	sr->kallsyms_path = kallsyms_path;
	read_kallsyms(sr);
	sr->stale = !sr->ks;
	return sr;
}

void ntf_stack_reader_free(struct ntf_stack_reader *sr)
{
	if (!sr)
		return;
	ntf_ksyms_free(sr->ks);
	free(sr);
}

void ntf_stack_reader_stale(struct ntf_stack_reader *sr)
{
	sr->stale = true;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/*
 * The probe's own frames, above the path it traced: the BPF program and
 * the trampoline that called it (kallsyms puts both in the "bpf"
 * module), and a tracepoint's glue down to the program.
 */
static bool probe_frame(const struct ntf_rec_frame *f)
{
	return !strcmp(f->module, "bpf") || starts(f->sym, "bpf_prog_") ||
	       starts(f->sym, "bpf_trampoline_") || starts(f->sym, "bpf_trace_run") ||
	       starts(f->sym, "__bpf_trace_") || starts(f->sym, "__traceiter_");
}

static void symbolize(const struct ntf_ksyms *ks, __u64 ip, struct ntf_rec_frame *f)
{
	const struct ntf_ksym *sym = ks ? ntf_ksyms_by_addr(ks, ip) : NULL;

	memset(f, 0, sizeof(*f));
	f->addr = ip;
	if (!sym || ip - sym->addr >= NTF_STACK_MAX_OFFSET)
		return;
	f->offset = ip - sym->addr;
	snprintf(f->sym, sizeof(f->sym), "%s", sym->name);
	snprintf(f->module, sizeof(f->module), "%s", sym->module ? sym->module : "");
}

int ntf_stack_symbolize(const struct ntf_ksyms *ks, const __u64 *ips, unsigned int n,
			const char *traced, struct ntf_rec_frame *out)
{
	unsigned int first = 0, k = 0;
	struct ntf_rec_frame f;

	while (first < n && ips[first]) {
		symbolize(ks, ips[first], &f);
		if (!probe_frame(&f))
			break;
		first++;
	}
	if (first < n && ips[first])
		symbolize(ks, ips[first], &f);
	else
		memset(&f, 0, sizeof(f));
	/* fexit and kretprobes see the stack once the function returned */
	if (traced && strcmp(f.sym, traced)) {
		const struct ntf_ksym *sym = ks ? ntf_ksyms_by_name(ks, traced) : NULL;

		memset(&out[k], 0, sizeof(out[k]));
		out[k].addr = sym ? sym->addr : 0;
		snprintf(out[k].sym, sizeof(out[k].sym), "%s", traced);
		if (sym && sym->module)
			snprintf(out[k].module, sizeof(out[k].module), "%s", sym->module);
		k++;
	}
	for (unsigned int i = first; i < n && ips[i] && k < NTF_REC_MAX_DEPTH; i++)
		symbolize(ks, ips[i], &out[k++]);
	return k;
}

int ntf_stack_read(struct ntf_stack_reader *sr, __u32 stack_id, const char *traced,
		   struct ntf_rec_frame *out)
{
	__u64 ips[NTF_STACK_DEPTH];
	__u32 key = stack_id - 1;

	if (!stack_id)
		return -ENOENT;
	if (bpf_map_lookup_elem(sr->fd, &key, ips))
		return -errno;
	if (sr->stale)
		read_kallsyms(sr);
	return ntf_stack_symbolize(sr->ks, ips, NTF_STACK_DEPTH, traced, out);
}
