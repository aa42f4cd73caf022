/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel stacks out of the BPF stack map, as a trace file keeps them:
 * symbolized with this machine's kallsyms (so the file reads anywhere),
 * without the probe's own frames, and starting at the function the
 * event timed.
 *
 * Why that last part: a stack taken when the timed function returned
 * (fexit, kretprobe) may no longer show the function itself, only the
 * path that called it. Where its first frame is not that function, the
 * function is put first, at its entry (offset 0), so that a callback's
 * stack always names the callback.
 */
#ifndef NTF_STACK_READER_H
#define NTF_STACK_READER_H

#include <linux/types.h>
#include "notifier.h"
#include "record.h"

struct ntf_stack_reader;

/*
 * Over the stacks map stacks_fd; kallsyms_path NULL: /proc/kallsyms,
 * read now (so make it once the probes loaded: their programs are then
 * in it; reading takes a second under emulation, better paid before
 * tracing than at the first stack). NULL when out of memory.
 */
struct ntf_stack_reader *ntf_stack_reader_new(int stacks_fd, const char *kallsyms_path);
void ntf_stack_reader_free(struct ntf_stack_reader *sr);
/*
 * kallsyms changed (programs or modules loaded): it is read again before
 * the next stack, or frames there would take the symbol below them.
 */
void ntf_stack_reader_stale(struct ntf_stack_reader *sr);
/*
 * The stack of an event's stack_id as BPF set it (the map's id + 1),
 * innermost first, into out (NTF_REC_MAX_DEPTH frames): traced (the
 * function the event timed; NULL when it is on the stack anyway, as for
 * a tracepoint) first when the stack does not start in it. The number
 * of frames, or -ENOENT (no such stack), -ENOMEM, -errno.
 */
int ntf_stack_read(struct ntf_stack_reader *sr, __u32 stack_id, const char *traced,
		   struct ntf_rec_frame *out);

struct ntf_ksyms;
/*
 * What ntf_stack_read does once it has the addresses ips[0..n) (zeros
 * end them), with the symbols ks: the unit tests' way in.
 */
int ntf_stack_symbolize(const struct ntf_ksyms *ks, const __u64 *ips, unsigned int n,
			const char *traced, struct ntf_rec_frame *out);

#endif
