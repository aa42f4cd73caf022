/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NTF_COMMANDS_H
#define NTF_COMMANDS_H

int cmd_hist(int argc, char **argv);
int cmd_probe(int argc, char **argv);
/* Class names list to a mask of 1 << class; usage error on unknown names. */
unsigned int ntf_parse_class_list(const char *arg);

#endif
