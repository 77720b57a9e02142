/*
 * `check --batch`: many certificate sets from one list file, each checked
 * like `check` and reported as one JSON object, in one process (a decoded
 * chain shared by consecutive sets, see check.h).
 */
#ifndef ACMB_CHECK_BATCH_H
#define ACMB_CHECK_BATCH_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "bridge/source.h"
#include "error.h"

/* A list line holds up to three paths; longer lines are refused. */
#define ACMB_CHECK_BATCH_LINE_MAX 8192

struct acmb_check_batch_summary {
	size_t sets, passed, failed, unusable;
	double seconds; /* wall time of the whole run */
};

/* Receives one set's verdict; must not keep line. Returns 0, or -1 when the
 * line could not be written (the run stops). */
typedef int (*acmb_check_batch_emit)(void *arg, json_t *line);

/* Reads the list at path: one set per line, "CERT KEY [CHAIN]" paths
 * separated by blanks, blank lines and '#' comments skipped. Each set is
 * loaded with base's passphrase file and strict-permissions setting and
 * judged at time at; its verdict (acmb_check_report_json(), or {"ok": false,
 * "error": MESSAGE} for a set that cannot be loaded) with "line" and
 * "certificate" added goes to emit. Fills *sum. Returns ACMB_OK once every
 * line was read, whatever the verdicts; ACMB_E_USAGE for an unreadable list,
 * a line over ACMB_CHECK_BATCH_LINE_MAX bytes, or a base that names
 * material (the paths come from the list) or --passphrase-env (read once,
 * it could not serve every set); ACMB_E_NOMEM when a verdict cannot be built
 * or emit fails. Text that is not UTF-8 is escaped (json-text.h). */
int acmb_check_batch_run(const char *path, const struct acmb_source_spec *base, time_t at,
    acmb_check_batch_emit emit, void *arg, struct acmb_check_batch_summary *sum, acmb_err *err);

#endif
