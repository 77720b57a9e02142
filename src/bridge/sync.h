/*
 * acmbridge sync: a fleet declared in a manifest, kept in ACM.
 *
 * One run: pick the (entry, destination) pairs (--only, --region, --shard),
 * load each destination's inventory once (SearchCertificates, 500 a page),
 * read the source's certificate (never its key) and decide one plan item per
 * pair (sync-plan.h). A dry run stops there. Otherwise the destinations are
 * worked on in parallel, each at its own quota (sync-apply.c): every entry's
 * key is loaded once, judged by every ACM rule, imported into each of its
 * destinations that needs it (new, or reimported into the ARN ACM holds) and
 * wiped when the last of them has it, at most max_parallel keys at a time;
 * Private CA entries issue and import through the issue flow. ACM's quotas
 * are kept by the rate limits of the AWS layer; SIGINT/SIGTERM stop the run
 * between calls.
 */
#ifndef ACMB_SYNC_H
#define ACMB_SYNC_H

#include <stddef.h>
#include <time.h>

#include "acm/aws-config.h"
#include "manifest.h"
#include "plan.h"

/* Exit codes of `acmbridge sync` beyond the common 0-6 (acmbridge sync
 * --help, docs/sync.md): a contract for scripts and CI gates. */
#define ACMB_EXIT_SYNC_BLOCKED 8  /* some item is blocked and needs a person */
#define ACMB_EXIT_SYNC_PENDING 10 /* --dry-run: changes are pending */

/* Where the AWS configurations come from: svc in region, for destination d
 * (its profile and role). *out is owned by the provider and lives for the
 * run. */
typedef int (*acmb_sync_config_fn)(void *arg, const struct acmb_aws_service *svc,
    const char *region, const struct acmb_manifest_destination *d,
    const struct acmb_aws_config **out, acmb_err *err);

struct acmb_sync_item;
struct acmb_ctx;

/* Called after each item is decided (applied = 0) and after it is applied
 * (applied = 1); done of total items so far. */
typedef void (*acmb_sync_progress_fn)(
    void *arg, size_t done, size_t total, const struct acmb_sync_item *it, int applied);

struct acmb_sync_opts {
	const struct acmb_manifest *manifest;
	const char *const *only; /* entry names, or NULL for all */
	size_t nonly;
	const char *const *regions; /* destination regions, or NULL for all */
	size_t nregions;
	unsigned shard, nshards; /* --shard I/N; nshards 0 or 1: every pair */
	int dry_run;
	int prune;        /* delete certificates whose name left the manifest */
	int refresh_tags; /* compare every unchanged certificate's tags */
	time_t now;       /* the planning clock (renewals, validity) */
	acmb_sync_config_fn config_for;
	void *config_arg;
	acmb_sync_progress_fn progress; /* or NULL */
	void *progress_arg;
	int (*cancelled)(void *arg); /* signal number once the run must stop, else 0; or NULL */
	unsigned max_parallel;       /* destinations worked on at once, and keys in memory
	                                (--max-parallel); 0: every destination */
	void *cancel_arg;
	struct acmb_ctx *ctx; /* the run's tokens and cancel flag for the flows it calls
	                       * (issue, token sources); NULL: each call makes its own */
};

struct acmb_sync_item {
	struct acmb_plan_item plan;
	int applied; /* the action was carried out (or there was nothing to do) */
	int rc;      /* ACMB_OK, or why it was not done */
	char *error; /* the message with rc, or NULL */
	char *arn;   /* the certificate's ARN after apply, or NULL */
};

struct acmb_sync_result {
	struct acmb_sync_item *items;
	size_t n;
	size_t planned[ACMB_PLAN_ACTION_COUNT]; /* items per action */
	size_t applied, failed, not_done;       /* not_done: interrupted before them */
	size_t imports;                         /* ImportCertificate calls spent or planned */
	int listing_calls, tag_calls;           /* inventory cost, for --debug and tests */
	int interrupted;                        /* signal that stopped the run, or 0 */
};

/* Runs the sync o describes; fills *res (clear with acmb_sync_result_clear()).
 * Returns ACMB_OK when the run went through to the end (items may still be
 * blocked or failed: see res), ACMB_E_USAGE for options that do not fit
 * (--prune with --only, an --only name that is not in the manifest),
 * ACMB_E_INTERRUPTED when stopped by a signal (res says what was done). */
int acmb_sync_run(const struct acmb_sync_opts *o, struct acmb_sync_result *res, acmb_err *err);

/* The exit code the run's result calls for: the first failed item's code,
 * else ACMB_EXIT_SYNC_BLOCKED when something is blocked, else (dry run)
 * ACMB_EXIT_SYNC_PENDING when something would change, else 0. */
int acmb_sync_exit_code(const struct acmb_sync_result *res, int dry_run);

/* Frees what res owns. Accepts NULL. */
void acmb_sync_result_clear(struct acmb_sync_result *res);

#endif
