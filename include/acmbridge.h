/*
 * libacmbridge: moves TLS certificates and their private keys into AWS
 * Certificate Manager without letting the key leak. This header is what a
 * program that embeds the library needs; the acmbridge tool is one such
 * program (src/cli/).
 *
 *   struct acmb_ctx *ctx = NULL;
 *   acmb_err err = {0};
 *   char *arn = NULL;
 *   struct acmb_run_source src = {.certificate = "leaf.pem",
 *       .private_key = "key.pem", .certificate_chain = "chain.pem"};
 *
 *   if (acmb_init(NULL, &err) != ACMB_OK ||         // first, before OpenSSL
 *       acmb_ctx_new(&ctx, &err) != ACMB_OK ||
 *       acmb_ctx_set_option(ctx, "region", "eu-west-1", &err) != ACMB_OK ||
 *       acmb_run_import(ctx, &src, NULL, &arn, &err) != ACMB_OK)
 *           fprintf(stderr, "%s\n", err.msg);          // exit acmb_exit_code(err.rc)
 *   free(arn);
 *   acmb_ctx_free(ctx);                              // wipes what it kept
 *   acmb_shutdown();
 *
 * Ownership: every pointer a function returns through an out-parameter is
 * the caller's, with the function named to free it; every pointer given in
 * is borrowed for the call unless a comment says it is kept. Secrets (keys,
 * PINs, passphrases, AWS secret keys and session tokens) never come out of
 * these functions; inside they live in locked memory and are wiped before
 * they are freed.
 *
 * Threads: none of this is thread-safe. One context per thread at most, and
 * acmb_init() and the first AWS call (which loads libcurl) on one thread.
 */
#ifndef ACMBRIDGE_H
#define ACMBRIDGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- errors --- */

/* Every function returns ACMB_OK or one of these (negative). */
enum acmb_rc {
	ACMB_OK = 0,
	ACMB_E_INTERNAL = -1,     /* a bug or an impossible state */
	ACMB_E_NOMEM = -2,        /* allocation failed (heap or secure heap) */
	ACMB_E_USAGE = -3,        /* bad option, missing argument, conflicting input */
	ACMB_E_IO = -4,           /* a file or stream could not be read or written */
	ACMB_E_TOO_BIG = -5,      /* input over its fixed maximum, refused unread */
	ACMB_E_PARSE = -6,        /* input is not what it claims (PEM, DER, JSON) */
	ACMB_E_PASSPHRASE = -7,   /* missing or wrong passphrase */
	ACMB_E_RULE = -8,         /* the material breaks an ACM import rule */
	ACMB_E_TOKEN = -9,        /* PKCS#11 module or token failure */
	ACMB_E_EXPORT = -10,      /* a key export was refused */
	ACMB_E_CONFIG = -11,      /* AWS configuration: region, credentials, endpoint */
	ACMB_E_AWS = -12,         /* the AWS service answered with an error */
	ACMB_E_NETWORK = -13,     /* connection, DNS, timeout */
	ACMB_E_TLS = -14,         /* TLS handshake or certificate verification */
	ACMB_E_VERIFY = -15,      /* the service does not show what we sent */
	ACMB_E_INTERRUPTED = -16, /* the context was cancelled (SIGINT, SIGTERM) */
};

/* The acmbridge tool's exit codes (a contract): acmb_exit_code() maps. */
enum acmb_exit {
	ACMB_EXIT_OK = 0,
	ACMB_EXIT_FAILURE = 1, /* internal error, I/O error, verify-after-import mismatch */
	ACMB_EXIT_USAGE = 2,
	ACMB_EXIT_RULE = 3,
	ACMB_EXIT_TOKEN = 4,
	ACMB_EXIT_AWS = 5,
	ACMB_EXIT_NETWORK = 6,
};

#define ACMB_ERRMSG_MAX 1024

/* What failed and why, in the operator's words (never a secret). Put one on
 * the stack per call chain, zero-initialised; functions fill it on error. */
typedef struct acmb_err {
	int rc;
	char msg[ACMB_ERRMSG_MAX];
} acmb_err;

/* A short static description of rc, e.g. "input too large". */
const char *acmb_strerror(int rc);

/* The tool's exit code for rc (2 usage, 3 rule, 4 token, 5 AWS, 6 network). */
int acmb_exit_code(int rc);

/* --- process start-up: the only process-wide state --- */

/* What acmb_init() managed to do; for a --debug line. */
struct acmb_init_report {
	int core_dumps_off;     /* RLIMIT_CORE set to 0 */
	int not_dumpable;       /* PR_SET_DUMPABLE 0 */
	int allocators_wiped;   /* the wiping allocator: OpenSSL, jansson, curl once loaded */
	int secure_heap_locked; /* mlock of the secure heap succeeded */
};

/*
 * Prepares the process. Everything it changes is process-wide, and a host
 * program must know it:
 * - core dumps off (RLIMIT_CORE 0) and the process not dumpable
 *   (PR_SET_DUMPABLE 0: no ptrace attach by the same user, no core);
 * - OpenSSL's allocator replaced by one that wipes every block it frees
 *   (CRYPTO_set_mem_functions), and OpenSSL's secure heap started
 *   (CRYPTO_secure_malloc_init, 16 MiB, locked with mlock when
 *   RLIMIT_MEMLOCK allows: see rep->secure_heap_locked);
 * - jansson's allocator replaced by the same wiping one (json_set_alloc_funcs);
 * - libcurl: nothing yet; it is opened with dlopen on the first AWS call and
 *   given the wiping allocator then (curl_global_init_mem).
 * It installs no signal handler: a host that wants SIGINT/SIGTERM to stop
 * a run calls acmb_ctx_cancel() from its own handler.
 * WARNING: call it first, before any OpenSSL call: once OpenSSL has
 * allocated, its allocator cannot be replaced (rep->allocators_wiped is 0
 * and freed copies of key material are not wiped).
 * WARNING: jansson's allocator is replaced unconditionally: a jansson value
 * the host made before acmb_init() must not be freed after it.
 * WARNING: a host that initialises libcurl itself (curl_global_init) before
 * acmbridge's first AWS call keeps libcurl's own allocator, and curl's
 * copies of the AWS secret (SigV4) are then freed unwiped: make the first
 * AWS call through acmbridge, or call libcurl only after it.
 * Idempotent. Returns ACMB_OK, or ACMB_E_NOMEM when the secure heap cannot
 * be started. rep may be NULL. */
int acmb_init(struct acmb_init_report *rep, acmb_err *err);

/* Runs libcurl's global cleanup (if it was loaded) and wipes the CPU's
 * vector registers and dead stack. Call it last, after every context is
 * freed; nothing of acmbridge may be called after it. */
void acmb_shutdown(void);

/* --- the context of a run --- */

/* Opaque. Holds the AWS options and credentials, rate limits, a clock, a
 * cancel flag, PKCS#11 sessions and logins, export policies and the audit
 * log of one run (any number of certificates). */
struct acmb_ctx;

/* Makes a context. Caller frees *out with acmb_ctx_free(). */
int acmb_ctx_new(struct acmb_ctx **out, acmb_err *err);

/* Logs out of the tokens, wipes every credential and PIN it kept, closes the
 * audit log and frees. Accepts NULL. */
void acmb_ctx_free(struct acmb_ctx *ctx);

/* Cancels the run: waits end with ACMB_E_INTERRUPTED, no new request is
 * sent, and the flow unwinds, wiping what it holds. Async-signal-safe: call
 * it from a SIGINT/SIGTERM handler with the signal number. */
void acmb_ctx_cancel(struct acmb_ctx *ctx, int sig);

/* The signal given to acmb_ctx_cancel(), or 0. */
int acmb_ctx_cancelled(const struct acmb_ctx *ctx);

/* Sets one option, by the acmbridge tool's name without "--" (values are
 * copied): AWS: "region", "profile", "endpoint-url", "ca-bundle",
 * "no-verify-ssl" (value NULL or "true"), "cli-connect-timeout",
 * "cli-read-timeout", "max-attempts", "fips"; tokens: "module", "pin-file",
 * "pin-env", "audit-log", "export-policy". Options apply to what is resolved
 * or opened after them. A "pin-env" PIN is read once (the variable is wiped
 * and unset) and kept in the secure heap for every token of the run, until
 * acmb_ctx_wipe_secrets(); a library never prompts for a PIN. ACMB_E_USAGE
 * names an unknown option or bad value. */
int acmb_ctx_set_option(struct acmb_ctx *ctx, const char *name, const char *value, acmb_err *err);

/* Replaces the published rate of a service's operation for this run, in
 * calls per second (0: no limit), e.g. ("acm", "ImportCertificate", 5) for
 * an account with a raised quota. service is the SigV4 name ("acm",
 * "acm-pca"). ACMB_E_USAGE for a negative rate or an over-long name. */
int acmb_ctx_set_rate(struct acmb_ctx *ctx, const char *service, const char *operation,
    double per_second, acmb_err *err);

/* Wipes now every secret the context keeps for later calls (AWS
 * credentials, a --pin-env PIN); a later AWS call resolves credentials
 * again. WARNING: the first AWS call resolves credentials as the AWS CLI
 * does and takes AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN out of the
 * environment, wiping them there: after it, the host's environment no
 * longer has them, and a second resolve finds them only in the profile. */
void acmb_ctx_wipe_secrets(struct acmb_ctx *ctx);

/* --- one certificate --- */

/* Where a certificate, its chain and its key come from: file paths ("-" is
 * standard input; fileb://PATH for DER) or pkcs11: URIs (RFC 7512; the key
 * is exported under the token's and the export policy's rules, with an
 * audit record first). Strings are borrowed; NULL fields are not given. */
struct acmb_run_source {
	const char *certificate;
	const char *private_key;       /* NULL with a pkcs11: certificate: paired on the token */
	const char *certificate_chain; /* NULL: none (or the token's CA certificates) */
	const char *pkcs12;            /* instead of the three: a PKCS#12 file */
	const char *passphrase_file;   /* for an encrypted key or PKCS#12 */
};

/* Loads the material and judges it against every ACM import rule, offline.
 * *report_json (NULL allowed) is the verdict as `acmbridge check --output
 * json` prints it; caller frees it with free(). The key is wiped before
 * this returns. Returns ACMB_OK when every rule passes, ACMB_E_RULE when one
 * fails (the report names it), or the loading error. */
int acmb_run_check(
    struct acmb_ctx *ctx, const struct acmb_run_source *src, char **report_json, acmb_err *err);

/* Loads, judges (nothing is sent when a rule fails: ACMB_E_RULE) and imports
 * into ACM in the context's region, or reimports into certificate_arn (NULL:
 * a new certificate; an identical one already in ACM is found and its ARN
 * returned, so a rerun creates no duplicate), then verifies what ACM
 * stored. The key is wiped right after ImportCertificate returns, on every
 * path. *arn is the certificate's ARN; caller frees it with free(). */
int acmb_run_import(struct acmb_ctx *ctx, const struct acmb_run_source *src,
    const char *certificate_arn, char **arn, acmb_err *err);

/* --- import as data: plan one item, then apply it --- */

/* A certificate, its chain and its private key, loaded and judged (opaque).
 * The key lives in the secure heap; acmb_import_apply() wipes it right after
 * ImportCertificate returns, acmb_import_material_free() whatever is left. */
struct acmb_import_material;

/* Loads src and judges it against every ACM import rule, as
 * acmb_run_import() does (a token's export is audited, naming the
 * context's region and certificate_arn's account; NULL: a new import).
 * ACMB_E_RULE naming the rules that fail (nothing is kept). Caller frees
 * *out with acmb_import_material_free(). */
int acmb_import_material_load(struct acmb_ctx *ctx, const struct acmb_run_source *src,
    const char *certificate_arn, struct acmb_import_material **out, acmb_err *err);

/* Wipes the key (if still held), records an export that was not imported
 * in the audit log, and frees. Accepts NULL. */
void acmb_import_material_free(struct acmb_import_material *m);

/* What to import as (strings borrowed for the call). */
struct acmb_import_spec {
	const char *certificate_arn; /* reimport into this ARN; NULL: a new import */
	int allow_duplicate;         /* import even when ACM holds this certificate */
	int no_provenance_tag;       /* no acmbridge:sha256 tag on a new import */
};

/* One decision (opaque): create, reimport, unchanged or blocked, the target
 * ARN, region, the certificate's SHA-256 and serial, tag changes and the
 * reason. It holds no secret. */
struct acmb_plan_item;

/*
 * Decides, reading and writing nothing but ACM's answers, what importing m
 * under spec into the context's region would do. A new import is decided
 * from the context's inventory of the region: one listing
 * (SearchCertificates, else ListCertificates over every key type) made by
 * the first plan and shared by every later one of the context, so a run of
 * many certificates lists each region once; a copy already there makes it
 * "unchanged" with that ARN (unless spec->allow_duplicate). A reimport is
 * judged by ACM's reimport rules against what the ARN holds. *item is the
 * caller's (acmb_plan_item_free()); it is also set for a blocked item, with
 * ACMB_E_RULE and the reason. Other errors leave it NULL.
 */
int acmb_import_plan(struct acmb_ctx *ctx, const struct acmb_import_spec *spec,
    const struct acmb_import_material *m, struct acmb_plan_item **item, acmb_err *err);

/*
 * Carries item out in its region with m, whose leaf must be the item's
 * certificate (ACMB_E_USAGE otherwise): ImportCertificate (the key wiped
 * as soon as it returns, on every path), tag changes, then DescribeCertificate
 * and GetCertificate must show what was sent. A new import takes the
 * same-host lock and looks again when the plan may be stale (a saved plan,
 * another import of this certificate on this host since the listing), so
 * the no-duplicate guarantee of acmb_run_import() holds. *arn is the
 * certificate's ARN; caller frees it with free(). A blocked item is
 * ACMB_E_RULE with its reason.
 * WARNING: m's key is gone afterwards: apply a material once.
 */
int acmb_import_apply(struct acmb_ctx *ctx, const struct acmb_plan_item *item,
    const struct acmb_import_spec *spec, struct acmb_import_material *m, char **arn, acmb_err *err);

/* The item as JSON (`import --dry-run --output json` prints it as "Item";
 * keys in the AWS CLI's style: Action, Region, CertificateArn, Sha256,
 * Serial, TagChanges, Reason). Caller frees *json with free(). */
int acmb_plan_item_json(const struct acmb_plan_item *item, char **json, acmb_err *err);

/* Reads an item back from acmb_plan_item_json()'s text (a saved plan).
 * ACMB_E_PARSE naming the field. Caller frees *item with
 * acmb_plan_item_free(). Its apply always looks at ACM again first. */
int acmb_plan_item_parse(const char *json, struct acmb_plan_item **item, acmb_err *err);

/* Frees an item and everything it holds. Accepts NULL. */
void acmb_plan_item_free(struct acmb_plan_item *item);

#ifdef __cplusplus
}
#endif

#endif
