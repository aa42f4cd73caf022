/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* notifier-top's full-screen view (ncurses), linked into notifier-top only. */
#ifndef NTF_TOP_TUI_H
#define NTF_TOP_TUI_H

#include "top_app.h"

/*
 * Runs until q, -n refreshes, SIGINT or SIGTERM, and leaves the terminal
 * as it found it, also on a crash. Returns 0, a negative errno from the
 * feed, or 1 when the terminal could not be used (already said why).
 */
int top_tui_run(struct top_app *app);

#endif
