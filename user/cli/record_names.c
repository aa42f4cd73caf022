// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "callbacks.h"
#include "record_names.h"

unsigned int ntf_record_discovered_names(struct ntf_rec_callback *cbs, unsigned int max)
{
	unsigned int n = 0;

	for (__u32 id = ntf_callback_first_discovered(); id < ntf_callback_id_end() && n < max;
	     id++) {
		const char *driver = ntf_discovered_driver_name(id);

		if (!driver)
			continue;
		cbs[n] = (struct ntf_rec_callback){ .id = id };
		snprintf(cbs[n].driver, sizeof(cbs[n].driver), "%s", driver);
		/* the symbol too, so a file read elsewhere says which function it was */
		if (ntf_discovered_func(id))
			snprintf(cbs[n].func, sizeof(cbs[n].func), "%s", ntf_discovered_func(id));
		n++;
	}
	return n;
}

int ntf_record_names_update(struct ntf_rec_writer *w, __u64 *gen)
{
	struct ntf_rec_callback cbs[NTF_MAX_DISCOVERED];
	unsigned int n;

	if (*gen == ntf_driver_names_gen())
		return 0;
	*gen = ntf_driver_names_gen();
	n = ntf_record_discovered_names(cbs, NTF_MAX_DISCOVERED);
	return n ? ntf_rec_write_names(w, cbs, n) : 0;
}
