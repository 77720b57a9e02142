/*
 * The same-host lock around a new import: processes on one machine that
 * import the same certificate into the same endpoint and region take turns
 * (flock on a file under $XDG_RUNTIME_DIR or /run/lock), so the second one's
 * lookup sees the first one's certificate and no race starts. Across hosts
 * the import flow converges after the fact (import.c). The lock file is
 * empty and its name is a hash: it holds no secret. Its modification time
 * says when an import was last sent under it (0: never), so that a run
 * whose plan is older looks again before it sends.
 */
#ifndef ACMB_IMPORT_LOCK_H
#define ACMB_IMPORT_LOCK_H

#include <stddef.h>

#include "cancel.h"
#include "error.h"

/* How long a run waits for another one holding the lock before it goes on
 * without it (convergence after the import still applies). */
#define ACMB_IMPORT_LOCK_WAIT_SECONDS 300.0

struct acmb_import_lock;

/*
 * Takes the lock for (endpoint, region, fingerprint), waiting at most
 * max_wait seconds. Returns ACMB_OK with *out set, or ACMB_OK with *out NULL
 * when no lock could be had (no usable directory, the wait ran out, or the
 * test hook ACMB_TEST_NO_IMPORT_LOCK=1 of test builds): then why (at least
 * 160 bytes) says so in the operator's words, and the flow goes on without
 * it. *waited is the time spent waiting, in seconds. ACMB_E_INTERRUPTED when
 * cancel (the run's flag; NULL: never) is set while waiting. Release with
 * acmb_import_lock_release().
 */
int acmb_import_lock_acquire(const char *endpoint, const char *region, const char *fingerprint,
    double max_wait, const struct acmb_cancel *cancel, struct acmb_import_lock **out,
    double *waited, char *why, size_t whylen, acmb_err *err);

/* Releases and frees the lock. Accepts NULL. */
void acmb_import_lock_release(struct acmb_import_lock *l);

/* Records on the lock file (its modification time; it stays empty) that an
 * ImportCertificate of this certificate was sent under the lock now. */
void acmb_import_lock_mark_import(struct acmb_import_lock *l);

/* When the last import under this lock was sent (wall clock, epoch
 * seconds): a plan made from an inventory listed before then must look
 * again. 0 when none was (a lock file this run made) or l is NULL. */
double acmb_import_lock_last_import(const struct acmb_import_lock *l);

/* The lock file's path (for notes and tests); lives as long as l. */
const char *acmb_import_lock_path(const struct acmb_import_lock *l);

#endif
