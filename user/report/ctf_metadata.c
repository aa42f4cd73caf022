// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The trace's metadata: its description in TSDL, the CTF 1.8 text
 * (plain, not packetized) that tells a reader how to decode the streams.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "ctf_int.h"
#include "names.h"

/*
 * s as a TSDL string literal's content. A file's strings are whatever
 * its writer put there: only printable ASCII goes through, escaped where
 * the literal needs it, so no name can end the literal or the metadata.
 */
static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fputc('\\', out);
		fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
	}
	fputc('"', out);
}

static void env_string(FILE *out, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	fprintf(out, "\t%s = ", key);
	put_string(out, value);
	fputs(";\n", out);
}

static void put_uuid(FILE *out, const unsigned char *u)
{
	fputc('"', out);
	for (int i = 0; i < 16; i++)
		fprintf(out, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", u[i]);
	fputc('"', out);
}

/* The boot id is a UUID; a clock uuid must be one, and a reader may compare them. */
static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static void types(FILE *out)
{
	static const struct {
		enum ctf_type type;
		unsigned int bits;
		bool is_signed, hex;
	} ints[] = {
		{ CTF_T_U8, 8, false, false },	 { CTF_T_U16, 16, false, false },
		{ CTF_T_U32, 32, false, false }, { CTF_T_S32, 32, true, false },
		{ CTF_T_U64, 64, false, false }, { CTF_T_S64, 64, true, false },
		{ CTF_T_X32, 32, false, true },	 { CTF_T_X64, 64, false, true },
	};
	static const struct {
		enum ctf_type type, container;
	} enums[] = {
		{ CTF_T_ORIGIN, CTF_T_U8 },	{ CTF_T_MECH, CTF_T_U8 },
		{ CTF_T_MMU_EVENT, CTF_T_U32 }, { CTF_T_PIN_VARIANT, CTF_T_U32 },
		{ CTF_T_BLOCKABLE, CTF_T_U8 },
	};

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		fprintf(out, "typealias integer { size = %u; align = 8; signed = %s;%s } := %s;\n",
			ints[i].bits, ints[i].is_signed ? "true" : "false",
			ints[i].hex ? " base = 16;" : "", ctf_types[ints[i].type].name);
	fputs("typealias integer { size = 64; align = 8; signed = false; "
	      "map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n",
	      out);
	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
		const char *label;

		fprintf(out, "typealias enum : %s {", ctf_types[enums[i].container].name);
		for (unsigned int v = 0; (label = ctf_enum_label(enums[i].type, v)); v++) {
			fprintf(out, "%s ", v ? "," : "");
			put_string(out, label);
			fprintf(out, " = %u", v);
		}
		fprintf(out, " } := %s;\n", ctf_types[enums[i].type].name);
	}
}

static void trace(FILE *out, const struct ctf_meta_args *a)
{
	fputs("\ntrace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = ", out);
	put_uuid(out, a->uuid);
	fputs(";\n\tbyte_order = le;\n"
	      "\tpacket.header := struct {\n"
	      "\t\tuint32_t magic;\n"
	      "\t\tuint8_t uuid[16];\n"
	      "\t\tuint32_t stream_id;\n"
	      /* one per stream file, so that no reader joins two of them into one stream */
	      "\t\tuint64_t stream_instance_id;\n"
	      "\t};\n};\n",
	      out);
}

static void env(FILE *out, const struct ctf_meta_args *a)
{
	const struct ntf_rec_meta *m = a->meta;

	fputs("\nenv {\n", out);
	env_string(out, "domain", "kernel");
	env_string(out, "tracer_name", "notifier");
	if (m) {
		env_string(out, "hostname", m->host);
		env_string(out, "sysname", "Linux");
		env_string(out, "kernel_release", m->kernel);
		env_string(out, "kernel_version", m->kernel_version);
		env_string(out, "arch", m->arch);
		env_string(out, "boot_id", m->boot_id);
		/* what wrote the trace file this was made of */
		env_string(out, "writer", m->writer);
	}
	env_string(out, "source_status", a->status);
	fputs("};\n", out);
}

/*
 * Events carry CLOCK_MONOTONIC. The file gives the wall-clock time of one
 * monotonic instant, so the clock's offset makes readers print wall-clock
 * times: offset_s whole seconds and offset cycles (ns) below one.
 */
static void clock_decl(FILE *out, const struct ntf_rec_meta *m)
{
	fputs("\nclock {\n\tname = monotonic;\n", out);
	if (m && is_uuid(m->boot_id)) {
		/* monotonic times compare only within one boot */
		fputs("\tuuid = ", out);
		put_string(out, m->boot_id);
		fputs(";\n", out);
	}
	fputs("\tdescription = \"CLOCK_MONOTONIC of the traced machine\";\n"
	      "\tfreq = 1000000000;\n",
	      out);
	if (m && m->wall_ns) {
		__s64 d = (__s64)(m->wall_ns - m->mono_ns);
		__s64 s = d / 1000000000 - (d % 1000000000 < 0);

		fprintf(out, "\toffset_s = %lld;\n\toffset = %lld;\n\tabsolute = TRUE;\n",
			(long long)s, (long long)(d - s * 1000000000));
	}
	fputs("};\n", out);
}

static void stream(FILE *out)
{
	fputs("\nstream {\n"
	      "\tid = 0;\n"
	      "\tpacket.context := struct {\n"
	      "\t\tuint64_clock_monotonic_t timestamp_begin;\n"
	      "\t\tuint64_clock_monotonic_t timestamp_end;\n"
	      "\t\tuint64_t content_size;\n"
	      "\t\tuint64_t packet_size;\n"
	      "\t\tuint64_t packet_seq_num;\n"
	      "\t\tuint64_t events_discarded;\n"
	      "\t};\n"
	      "\tevent.header := struct {\n"
	      "\t\tuint16_t id;\n"
	      "\t\tuint64_clock_monotonic_t timestamp;\n"
	      "\t};\n"
	      "};\n",
	      out);
}

static void events(FILE *out)
{
	const struct ctf_field *f;

	for (unsigned int class = NTF_CLASS_NONE + 1; class < NTF_CLASS_MAX; class ++) {
		fprintf(out, "\nevent {\n\tname = \"%s\";\n\tid = %u;\n\tstream_id = 0;\n",
			ntf_class_name(class), class);
		fputs("\tfields := struct {\n", out);
		for (unsigned int i = 0; (f = ctf_field(class, i)); i++)
			fprintf(out, "\t\t%s %s;\n", ctf_types[f->type].name, f->name);
		fputs("\t};\n};\n", out);
	}
}

int ctf_metadata_write(FILE *out, const struct ctf_meta_args *a)
{
	/* the first line, as readers look for it */
	fputs("/* CTF 1.8 */\n\n"
	      "/* notifier's MMU-notifier events: read with babeltrace2 DIR */\n\n",
	      out);
	types(out);
	trace(out, a);
	env(out, a);
	clock_decl(out, a->meta);
	stream(out);
	events(out);
	return ferror(out) ? -EIO : 0;
}
