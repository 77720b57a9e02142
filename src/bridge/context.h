/*
 * The context of a run: everything that outlives one certificate and one
 * flow, owned by one object that its owner frees. A program (the CLI, or a
 * host linking libacmbridge) makes one after acmb_init() and passes it to
 * every flow of the run:
 *
 * - AWS: the options, and the run's identities (acm/aws-identity.h):
 *   each identity's credentials resolved ONCE into the secure heap (the
 *   environment's secrets are gone after the first configuration) and
 *   refreshed before they expire; one configuration per service, region
 *   and identity;
 * - rate limits: one token bucket per account, region and operation at
 *   ACM's published rates, taken before every attempt (acm/aws-limit.h);
 * - a clock (a test clock in test builds, ACMB_TEST_CLOCK) and a cancel
 *   flag that the owner's signal handler sets (acmb_ctx_cancel()) and the
 *   library reads wherever it waits: the library polls no global;
 * - tokens: modules, sessions and one login per token for the run
 *   (pkcs11/p11-cache.h);
 * - the export policies and the audit log the run's exports go through.
 *
 * acmb_ctx_free() wipes everything it holds. A flow given no context makes
 * its own for the one call.
 */
#ifndef ACMB_CONTEXT_H
#define ACMB_CONTEXT_H

#include <time.h>

#include "acm/aws-config.h"
#include "acm/aws-limit.h"
#include "audit.h"
#include "cancel.h"
#include "clock.h"
#include "error.h"
#include "export-policy.h"
#include "inventory.h"
#include "pkcs11/p11-cache.h"

/* Public (include/acmbridge.h): acmb_ctx_new() (the default clock, ACM's
 * published rate limits, overridden in test builds by ACMB_TEST_AWS_RATES
 * "acm:ImportCertificate=0.5,..."), acmb_ctx_free(), acmb_ctx_cancel(),
 * acmb_ctx_cancelled(), acmb_ctx_set_option(), acmb_ctx_set_rate() and
 * acmb_ctx_wipe_secrets()
 * (at the secrets' last use, before a result is printed: the
 * configurations handed out die with it). Below: the library's own view. */
struct acmb_ctx;

/* The token options acmb_ctx_set_option() recorded ("module", "pin-file",
 * "pin-env", "audit-log", "export-policy"), NULL when not set. Owned by
 * ctx. */
const char *acmb_ctx_token_option(const struct acmb_ctx *ctx, const char *name);

/* The cancel flag, to lend to lower layers. Owned by ctx. */
const struct acmb_cancel *acmb_ctx_cancel_flag(const struct acmb_ctx *ctx);

/* The clock: wall time for validity and waits that cancel ends. Owned by
 * ctx. */
struct acmb_clock *acmb_ctx_clock(struct acmb_ctx *ctx);

/* Wall time on ctx's clock. */
time_t acmb_ctx_now(const struct acmb_ctx *ctx);

/* Sleeps seconds on ctx's clock. ACMB_E_INTERRUPTED (message naming when)
 * when cancelled before or during the sleep. */
int acmb_ctx_sleep(struct acmb_ctx *ctx, double seconds, const char *when, acmb_err *err);

/* Records the AWS options (strings copied) for the configurations resolved
 * from now on; o->endpoint_url becomes ACM's endpoint. Configurations
 * resolved before are kept. ACMB_E_NOMEM. */
int acmb_ctx_set_aws_options(struct acmb_ctx *ctx, const struct acmb_aws_options *o, acmb_err *err);

/* Sets svc's endpoint URL (copied; NULL: from the environment or the
 * default), e.g. Private CA's --pca-endpoint-url. ACMB_E_NOMEM. */
int acmb_ctx_set_endpoint(
    struct acmb_ctx *ctx, const struct acmb_aws_service *svc, const char *url, acmb_err *err);

/* Installs a debug sink on every configuration ctx hands out. */
void acmb_ctx_set_aws_debug(struct acmb_ctx *ctx, acmb_aws_debug_fn fn, void *arg);

/* The configuration for svc in region (NULL: the region the options, the
 * environment or the profile name) with the run's identity. The first call
 * makes the run's identities (WARNING: that takes AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN out of the environment and wipes them there); each
 * identity's credentials are fetched once and refreshed before they expire
 * (acmb_aws_config_refresh()). Every configuration carries ctx's rate
 * limits (buckets per account), clock and cancel flag. *out is owned by ctx
 * and lives until acmb_ctx_wipe_secrets() or acmb_ctx_free(). */
int acmb_aws_config_for(struct acmb_ctx *ctx, const struct acmb_aws_service *svc,
    const char *region, const struct acmb_aws_config **out, acmb_err *err);

/* The same with another identity: key's profile (resolved as `--profile`
 * would be) and, with role_arn, that role assumed from it (sync's
 * destinations). key NULL is the run's identity. */
int acmb_ctx_aws_config_as(struct acmb_ctx *ctx, const struct acmb_aws_identity_key *key,
    const struct acmb_aws_service *svc, const char *region, const struct acmb_aws_config **out,
    acmb_err *err);

/* The rate limits (for --debug and the tests). Owned by ctx. */
struct acmb_aws_limits *acmb_ctx_limits(struct acmb_ctx *ctx);

/* The tokens of the run. Owned by ctx. */
struct acmb_p11_cache *acmb_ctx_tokens(struct acmb_ctx *ctx);

/* The export policy at path, read once per path (NULL: the default policy,
 * *out NULL). *out is owned by ctx. Errors as acmb_export_policy_load(). */
int acmb_ctx_export_policy(
    struct acmb_ctx *ctx, const char *path, const struct acmb_export_policy **out, acmb_err *err);

/* The audit log at where (as acmb_audit_open(); NULL: the default), opened
 * once per place and shared: *out is a new holder; the caller drops it with
 * acmb_audit_close(), ctx closes the log when freed. */
int acmb_ctx_audit(struct acmb_ctx *ctx, const char *where, struct acmb_audit **out, acmb_err *err);

/* What ACM holds in cfg's region (IMPORTED certificates, as
 * acmb_inventory_load() lists them), listed on the first call for cfg's
 * endpoint, region and access key and shared by every later one: the run's
 * import plans read one listing, however many certificates they decide.
 * *out is owned by ctx and lives until acmb_ctx_free(). Errors as the
 * listing's (nothing is kept; the next call lists again). */
int acmb_ctx_inventory(struct acmb_ctx *ctx, const struct acmb_aws_config *cfg,
    struct acmb_inventory **out, acmb_err *err);

#endif
