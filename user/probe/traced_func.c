// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include <linux/types.h>
#include "callback_attach.h"
#include "names.h"
#include "probe_points.h"
#include "traced_func.h"

static const char *callback_func(const struct ntf_callbacks *cbs, __u32 id)
{
	for (unsigned int i = 0; cbs && i < ntf_callbacks_count(cbs); i++) {
		const struct ntf_callback *s = ntf_callback_at(cbs, i);

		if (s->id == id)
			return s->def->func;
	}
	return NULL;
}

const char *ntf_traced_func(const struct ntf_callbacks *cbs, const struct ntf_event *e)
{
	if (e->mech == NTF_MECH_TRACEPOINT)
		return NULL;
	switch (e->class) {
	case NTF_CLASS_CALLBACK: return callback_func(cbs, e->callback);
	case NTF_CLASS_PIN:
		return e->pin.variant < NTF_PIN_VARIANT_MAX ? ntf_pin_variant_name(e->pin.variant) :
							      NULL;
	case NTF_CLASS_UNPIN: return NULL;
	}
	for (unsigned int i = 0; i < ntf_probe_count; i++)
		if (ntf_probe_points[i].class == (unsigned int)e->class)
			return ntf_probe_points[i].func;
	return NULL;
}
