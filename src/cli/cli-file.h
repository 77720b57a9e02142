/*
 * Files the CLI writes for collectors (status --output-file, sync
 * --metrics-file): written to a temporary file beside the target, flushed
 * to disk, then renamed into place, so a reader (node_exporter's textfile
 * collector, a web server) never sees half a file. Never for secrets.
 */
#ifndef ACMB_CLI_FILE_H
#define ACMB_CLI_FILE_H

#include <stdio.h>

#include "error.h"

/* A file beside path to write into (mode 0644). what names the option in
 * errors ("--output-file"). Keep the returned handle's work in f->tmp for
 * acmb_cli_file_commit(). On error returns NULL with err set (ACMB_E_USAGE
 * for a path too long, ACMB_E_IO otherwise). */
struct acmb_cli_file {
	FILE *f;
	char tmp[4200];
	const char *path;
	const char *what;
};

int acmb_cli_file_open(struct acmb_cli_file *cf, const char *path, const char *what, acmb_err *err);

/* Flushes, syncs and closes cf->f, then renames it onto the path when ok is
 * true and everything was written; otherwise removes the temporary file and
 * leaves the old file as it was. Returns ACMB_OK when the file is in place,
 * else ACMB_E_IO with err set (unless ok was false: then err is left as is
 * and the return is ACMB_E_IO). */
int acmb_cli_file_commit(struct acmb_cli_file *cf, int ok, acmb_err *err);

#endif
