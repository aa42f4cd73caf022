/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rotating recorder's files in its directory: how they are named,
 * which names are its own (the only files it ever removes), and their
 * order, oldest first.
 *
 * A name is notifier-YYYYmmdd-HHMMSS.ntr, the UTC time the file started
 * (no daylight saving turns the clock back onto an older name), with -N
 * before .ntr (N from 1) when a file of that second came before: two
 * files in one second, or a restart. Names sort in the order the files
 * were made, which removal and a reader of the directory rely on: when
 * the clock went back, a file takes its predecessor's time with the next
 * N. Order is by the time and then N, read from the name: sorting the
 * names as strings would put -1 before the file without a number and -10
 * before -2.
 */
#ifndef NTF_REC_DIR_H
#define NTF_REC_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>

#define REC_DIR_PREFIX "notifier-"
#define REC_DIR_SUFFIX ".ntr"
/* "notifier-20250101-120000-4294967295.ntr" and its NUL */
#define REC_DIR_NAME_LEN 48

struct rec_dir_file {
	__u64 stamp; /* YYYYmmddHHMMSS as a number */
	__u32 n; /* 0 without a number */
	char name[REC_DIR_NAME_LEN];
};

/* Whether name is one the recorder makes; what it says into *f. */
bool rec_dir_parse(const char *name, struct rec_dir_file *f);
/* Oldest first: by stamp, then n. */
int rec_dir_cmp(const void *a, const void *b);
/*
 * The recorder's regular files in the directory dirfd, oldest first
 * (symbolic links and other kinds of file are never its own): 0 with
 * *out (to free) and *n, or a negative errno.
 */
int rec_dir_list(int dirfd, struct rec_dir_file **out, size_t *n);
/*
 * Creates the file for wall time t, named to sort after the file after
 * (NULL: none), which no file had before (O_EXCL): its fd (write only,
 * close on exec) with its name in *f, or a negative errno.
 */
int rec_dir_create(int dirfd, time_t t, const struct rec_dir_file *after, struct rec_dir_file *f);

#endif
