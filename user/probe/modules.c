// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modules.h"

char *ntf_modules_read(const char *path)
{
	char line[512], *names = strdup(" "), *p;
	size_t len = 1;
	FILE *f = fopen(path ? path : "/proc/modules", "r");

	if (!f || !names)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, " ");

		if (!strstr(line, " Live "))
			continue;
		p = realloc(names, len + n + 2);
		if (!p)
			break;
		names = p;
		memcpy(names + len, line, n);
		len += n;
		names[len++] = ' ';
		names[len] = '\0';
	}
out:
	if (f)
		fclose(f);
	return names;
}

bool ntf_module_live(const char *modules, const char *module)
{
	size_t n = strlen(module);

	/* a whole word: " name " */
	for (const char *p = modules; (p = strstr(p, module)); p++)
		if (p > modules && p[-1] == ' ' && p[n] == ' ')
			return true;
	return false;
}
