/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NTF_OPEN_TRACER_H
#define NTF_OPEN_TRACER_H

#include "tracer.h"

/*
 * Preflight, load and attach, saying on stderr what could not attach and
 * why. Fails (non-zero) only when nothing at all attached.
 */
int ntf_open_tracer(const struct tracer_opts *opts, bool quiet, struct tracer **out);

#endif
