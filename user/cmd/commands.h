/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NTF_COMMANDS_H
#define NTF_COMMANDS_H

#include <stdbool.h>
#include <linux/types.h>

int cmd_hist(int argc, char **argv);
/* notifier hist --compare A B (cmd_hist_compare.c) */
int cmd_hist_compare(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* notifier report --ctf DIR FILE (cmd_report_ctf.c): an exit status */
int cmd_report_ctf(const char *path, const char *dir, unsigned int class_mask, __u32 tgid,
		   bool json);

#endif
