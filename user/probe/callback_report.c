// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What notifier probe and the tools' start-up say about each driver callback. */
#include <string.h>
#include "names.h"
#include "callback_attach.h"

void ntf_callbacks_report(FILE *out, const struct ntf_callbacks *subs, bool all, const char *driver)
{
	for (unsigned int i = 0; i < ntf_callbacks_count(subs); i++) {
		const struct ntf_callback *s = ntf_callback_at(subs, i);

		if ((!s->present && !all) || (driver && strcmp(driver, s->def->driver)))
			continue;
		fprintf(out, "  %-12s %-10s %s%s%s%s%s\n", s->def->driver,
			s->attached ? ntf_mech_name(s->mech) : "-", s->def->func,
			s->module[0] ? " [" : "", s->module, s->module[0] ? "]" : "",
			s->discovered ? " (discovered)" : "");
		if (!s->present) {
			fprintf(out, "  %-12s   %s\n", "", s->absent);
			continue;
		}
		if (s->registrations)
			fprintf(out,
				"  %-12s   registered: %llu registration%s in %llu process%s\n", "",
				(unsigned long long)s->registrations,
				s->registrations == 1 ? "" : "s", (unsigned long long)s->mms,
				s->mms == 1 ? "" : "es");
		if (s->def->kind == NTF_CB_TLB) {
			fprintf(out, "  %-12s   %s\n", "", s->why[NTF_MECH_FENTRY]);
			continue;
		}
		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++) {
			if (s->attached && m >= s->mech)
				break;
			if (s->why[m][0])
				fprintf(out, "  %-12s   %s: %s\n", "", ntf_mech_name(m), s->why[m]);
		}
	}
	if (driver)
		return;
	if (ntf_callbacks_discovery_live(subs))
		fprintf(out, "  callback discovery: live registrations walked by iter/task\n");
	else if (ntf_callbacks_discovery_loaded(subs))
		fprintf(out, "  callback discovery: %s\n", ntf_callbacks_discovery_why(subs));
	else
		fprintf(out, "  callback discovery off: %s\n", ntf_callbacks_discovery_why(subs));
}

json_t *ntf_callbacks_json(const struct ntf_callbacks *subs)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; i < ntf_callbacks_count(subs); i++) {
		const struct ntf_callback *s = ntf_callback_at(subs, i);
		json_t *why = json_object();

		for (unsigned int m = NTF_MECH_FENTRY; m < NTF_MECH_MAX; m++)
			if (s->why[m][0])
				json_object_set_new(why, ntf_mech_name(m), json_string(s->why[m]));
		if (!s->present && s->absent[0])
			json_object_set_new(why, "absent", json_string(s->absent));
		json_array_append_new(
			arr,
			json_pack("{sI ss ss ss sb sb sb ss sI sI sI sI sI so}", "id",
				  (json_int_t)s->id, "driver", s->def->driver, "func", s->def->func,
				  "module", s->module, "discovered", s->discovered, "present",
				  s->present, "attached", s->attached, "mech",
				  s->attached ? ntf_mech_name(s->mech) : "none", "registrations",
				  (json_int_t)s->registrations, "processes", (json_int_t)s->mms,
				  "unseen_calls", (json_int_t)s->unseen, "unseen_maybe",
				  (json_int_t)s->unseen_maybe, "attach_delay_ns",
				  (json_int_t)s->attach_delay_ns, "why", why));
	}
	return arr;
}

json_t *ntf_callbacks_discovery_json(const struct ntf_callbacks *subs)
{
	return json_pack("{sb ss}", "live", ntf_callbacks_discovery_live(subs), "why",
			 ntf_callbacks_discovery_why(subs));
}

void ntf_callbacks_unseen_report(FILE *out, const struct ntf_callbacks *subs, __u64 overflow)
{
	__u64 unresolved = ntf_callbacks_unseen_unresolved(subs);

	for (unsigned int i = 0; i < ntf_callbacks_count(subs); i++) {
		const struct ntf_callback *s = ntf_callback_at(subs, i);

		if (!s->unseen && !s->unseen_maybe)
			continue;
		fprintf(out, "  %s: %llu call%s %s", s->def->driver, (unsigned long long)s->unseen,
			s->unseen == 1 ? "" : "s",
			s->attached ? "made before its probe attached" :
				      "made with no probe on it");
		if (s->unseen_maybe)
			fprintf(out, ", %llu more maybe (the chain failed)",
				(unsigned long long)s->unseen_maybe);
		fprintf(out, ": in the chain's counts, not in its own\n");
	}
	if (unresolved)
		fprintf(out,
			"  %llu calls to callbacks kallsyms does not name: in the chain's counts\n",
			(unsigned long long)unresolved);
	if (overflow)
		fprintf(out,
			"  %llu registrations not watched (the watch was full): their first calls "
			"may be missing from their drivers' counts\n",
			(unsigned long long)overflow);
}

json_t *ntf_callbacks_watch_json(const struct ntf_callbacks *subs, __u64 overflow)
{
	return json_pack("{sI sI}", "registrations_unwatched", (json_int_t)overflow,
			 "unresolved_calls", (json_int_t)ntf_callbacks_unseen_unresolved(subs));
}
