#include "context.h"
#include "acm/aws-arn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIGS_MAX 64
#define ENDPOINTS_MAX 8
#define POLICIES_MAX 8
#define AUDITS_MAX 8
#define REGION_LEN_MAX 64
#define ACCOUNT_LEN_MAX 128

/* One configuration handed out: its service, region and identity (the
 * key's strings owned), and the hooks its calls get: the run's limits,
 * clock and cancel flag, with the rate buckets of its own account. */
struct config_slot {
	const struct acmb_aws_service *svc;
	char region[REGION_LEN_MAX + 1];
	char *profile, *role_arn, *external_id;
	char account[ACCOUNT_LEN_MAX + 1];
	struct acmb_aws_hooks hooks;
	struct acmb_aws_config *cfg;
};

struct endpoint {
	const struct acmb_aws_service *svc;
	char *url;
};

struct policy_slot {
	char *path;
	struct acmb_export_policy *policy;
};

struct audit_slot {
	char *where; /* NULL: the default place */
	struct acmb_audit *audit;
};

/* Regions times identities whose inventory one run keeps. */
#define INVENTORIES_MAX 256

struct inventory_slot {
	char *key; /* endpoint, region and access key id, NUL-separated text */
	struct acmb_inventory inv;
};

struct acmb_ctx {
	struct acmb_cancel cancel;
	struct acmb_clock *clock;
	struct acmb_aws_limits *limits;
	struct acmb_p11_cache *tokens;
	/* AWS: the options (strings owned), the configurations handed out
	 * (the first is the one resolved), and what each lends its calls. */
	struct acmb_aws_options aws;
	char *aws_strings[4]; /* region, profile, endpoint_url, ca_bundle */
	struct endpoint endpoints[ENDPOINTS_MAX];
	size_t nendpoints;
	acmb_aws_debug_fn debug_fn;
	void *debug_arg;
	/* The run's identities (acm/aws-identity.h), made at the first
	 * configuration: credentials resolved once per identity and refreshed
	 * before they expire. */
	struct acmb_aws_identities *ids;
	struct config_slot cfgs[CONFIGS_MAX];
	size_t ncfgs;
	struct policy_slot policies[POLICIES_MAX];
	size_t npolicies;
	struct audit_slot audits[AUDITS_MAX];
	size_t naudits;
	char *token_options[5]; /* by token_option_names[] */
	/* What ACM holds, per (endpoint, region, access key): listed by the
	 * first import plan that needs it, shared by the rest of the run. */
	struct inventory_slot *inventories[INVENTORIES_MAX];
	size_t ninventories;
};

static const char *const token_option_names[] = {
    "module", "pin-file", "pin-env", "audit-log", "export-policy"};

int
acmb_ctx_new(struct acmb_ctx **out, acmb_err *err)
{
	struct acmb_ctx *ctx = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL ||
	    (ctx->clock = acmb_clock_new_default()) == NULL ||
	    (ctx->limits = acmb_aws_limits_new(ctx->clock)) == NULL ||
	    (ctx->tokens = acmb_p11_cache_new(&ctx->cancel)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	acmb_aws_options_init(&ctx->aws);
#ifdef ACMB_TEST_HOOKS
	{
		const char *rates = getenv("ACMB_TEST_AWS_RATES");

		if (rates != NULL &&
		    (r = acmb_aws_limits_parse(ctx->limits, rates, err)) != ACMB_OK)
			goto out;
	}
#endif
	*out = ctx;
	ctx = NULL;
	r = ACMB_OK;
out:
	acmb_ctx_free(ctx);
	return r;
}

static void
free_configs(struct acmb_ctx *ctx)
{
	size_t i;

	/* The configurations first: they refer to the identities. */
	for (i = 0; i < ctx->ncfgs; i++) {
		acmb_aws_config_free(ctx->cfgs[i].cfg);
		free(ctx->cfgs[i].profile);
		free(ctx->cfgs[i].role_arn);
		free(ctx->cfgs[i].external_id);
	}
	memset(ctx->cfgs, 0, sizeof(ctx->cfgs));
	ctx->ncfgs = 0;
	acmb_aws_identities_free(ctx->ids);
	ctx->ids = NULL;
}

void
acmb_ctx_free(struct acmb_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	free_configs(ctx);
	acmb_p11_cache_free(ctx->tokens);
	for (i = 0; i < ctx->npolicies; i++) {
		acmb_export_policy_free(ctx->policies[i].policy);
		free(ctx->policies[i].path);
	}
	for (i = 0; i < ctx->naudits; i++) {
		acmb_audit_close(ctx->audits[i].audit);
		free(ctx->audits[i].where);
	}
	for (i = 0; i < ctx->nendpoints; i++)
		free(ctx->endpoints[i].url);
	for (i = 0; i < sizeof(ctx->aws_strings) / sizeof(ctx->aws_strings[0]); i++)
		free(ctx->aws_strings[i]);
	for (i = 0; i < sizeof(ctx->token_options) / sizeof(ctx->token_options[0]); i++)
		free(ctx->token_options[i]);
	for (i = 0; i < ctx->ninventories; i++) {
		acmb_inventory_clear(&ctx->inventories[i]->inv);
		free(ctx->inventories[i]->key);
		free(ctx->inventories[i]);
	}
	acmb_aws_limits_free(ctx->limits);
	acmb_clock_free(ctx->clock);
	free(ctx);
}

int
acmb_ctx_inventory(struct acmb_ctx *ctx, const struct acmb_aws_config *cfg,
    struct acmb_inventory **out, acmb_err *err)
{
	struct inventory_slot *slot = NULL;
	char key[1024];
	size_t i;
	int r = ACMB_E_INTERNAL;
	const char *endpoint = acmb_aws_config_endpoint(cfg);
	const char *key_id = acmb_aws_config_access_key_id(cfg);

	*out = NULL;
	snprintf(key, sizeof(key), "%s\n%s\n%s", endpoint != NULL ? endpoint : "",
	    acmb_aws_config_region(cfg), key_id != NULL ? key_id : "");
	for (i = 0; i < ctx->ninventories; i++) {
		if (strcmp(ctx->inventories[i]->key, key) == 0) {
			*out = &ctx->inventories[i]->inv;
			return ACMB_OK;
		}
	}
	if (ctx->ninventories == INVENTORIES_MAX) {
		r = acmb_error(err, ACMB_E_TOO_BIG,
		    "more than %d regions and identities listed in one run", INVENTORIES_MAX);
		goto out;
	}
	if ((slot = calloc(1, sizeof(*slot))) == NULL || (slot->key = strdup(key)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_inventory_load(cfg, 1, &slot->inv, err)) != ACMB_OK)
		goto out;
	ctx->inventories[ctx->ninventories++] = slot;
	*out = &slot->inv;
	slot = NULL;
	r = ACMB_OK;
out:
	if (slot != NULL) {
		acmb_inventory_clear(&slot->inv);
		free(slot->key);
		free(slot);
	}
	return r;
}

void
acmb_ctx_cancel(struct acmb_ctx *ctx, int sig)
{
	if (ctx != NULL)
		acmb_cancel_request(&ctx->cancel, sig);
}

int
acmb_ctx_cancelled(const struct acmb_ctx *ctx)
{
	return ctx != NULL ? acmb_cancel_signal(&ctx->cancel) : 0;
}

const struct acmb_cancel *
acmb_ctx_cancel_flag(const struct acmb_ctx *ctx)
{
	return &ctx->cancel;
}

struct acmb_clock *
acmb_ctx_clock(struct acmb_ctx *ctx)
{
	return ctx->clock;
}

time_t
acmb_ctx_now(const struct acmb_ctx *ctx)
{
	return acmb_clock_wall(ctx->clock);
}

int
acmb_ctx_sleep(struct acmb_ctx *ctx, double seconds, const char *when, acmb_err *err)
{
	if (acmb_clock_sleep(ctx->clock, seconds, &ctx->cancel) != ACMB_OK)
		return acmb_error(err, ACMB_E_INTERRUPTED, "interrupted by signal %d %s",
		    acmb_cancel_signal(&ctx->cancel), when);
	return ACMB_OK;
}

/* Replaces *slot with a copy of s (NULL allowed). */
static int
keep_string(char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return ACMB_E_NOMEM;
	free(*slot);
	*slot = copy;
	return ACMB_OK;
}

int
acmb_ctx_set_endpoint(
    struct acmb_ctx *ctx, const struct acmb_aws_service *svc, const char *url, acmb_err *err)
{
	size_t i;

	for (i = 0; i < ctx->nendpoints; i++)
		if (ctx->endpoints[i].svc == svc)
			break;
	if (i == ENDPOINTS_MAX)
		return acmb_error(err, ACMB_E_INTERNAL, "too many service endpoints");
	if (keep_string(&ctx->endpoints[i].url, url) != ACMB_OK)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	ctx->endpoints[i].svc = svc;
	if (i == ctx->nendpoints)
		ctx->nendpoints++;
	return ACMB_OK;
}

int
acmb_ctx_set_aws_options(struct acmb_ctx *ctx, const struct acmb_aws_options *o, acmb_err *err)
{
	if (keep_string(&ctx->aws_strings[0], o->region) != ACMB_OK ||
	    keep_string(&ctx->aws_strings[1], o->profile) != ACMB_OK ||
	    keep_string(&ctx->aws_strings[3], o->ca_bundle) != ACMB_OK)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	ctx->aws = *o;
	ctx->aws.region = ctx->aws_strings[0];
	ctx->aws.profile = ctx->aws_strings[1];
	ctx->aws.ca_bundle = ctx->aws_strings[3];
	ctx->aws.endpoint_url = NULL;
	return acmb_ctx_set_endpoint(ctx, &acmb_aws_service_acm, o->endpoint_url, err);
}

static int
option_number(const char *name, const char *value, long lo, long hi, long *out, acmb_err *err)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = value != NULL ? strtol(value, &end, 10) : 0;
	if (value == NULL || errno != 0 || end == value || *end != '\0' || v < lo || v > hi)
		return acmb_error(err, ACMB_E_USAGE, "%s: '%s' is not a number from %ld to %ld",
		    name, value != NULL ? value : "", lo, hi);
	*out = v;
	return ACMB_OK;
}

static int
option_flag(const char *name, const char *value, int *out, acmb_err *err)
{
	if (value == NULL || strcmp(value, "true") == 0)
		*out = 1;
	else if (strcmp(value, "false") == 0)
		*out = 0;
	else
		return acmb_error(
		    err, ACMB_E_USAGE, "%s: '%s' is neither true nor false", name, value);
	return ACMB_OK;
}

int
acmb_ctx_set_option(struct acmb_ctx *ctx, const char *name, const char *value, acmb_err *err)
{
	static const char *const aws_strings[] = {"region", "profile", NULL, "ca-bundle"};
	size_t i;
	long v = 0;
	int r;

	if (name == NULL)
		return acmb_error(err, ACMB_E_USAGE, "an option needs a name");
	for (i = 0; i < sizeof(token_option_names) / sizeof(token_option_names[0]); i++) {
		if (strcmp(name, token_option_names[i]) == 0) {
			if (keep_string(&ctx->token_options[i], value) != ACMB_OK)
				return acmb_error(err, ACMB_E_NOMEM, "out of memory");
			/* A run through this API may log in to several tokens
			 * with the one environment PIN. */
			if (strcmp(name, "pin-env") == 0)
				acmb_p11_cache_keep_env_pin(ctx->tokens, value != NULL);
			return ACMB_OK;
		}
	}
	for (i = 0; i < sizeof(aws_strings) / sizeof(aws_strings[0]); i++) {
		if (aws_strings[i] == NULL || strcmp(name, aws_strings[i]) != 0)
			continue;
		if (value == NULL || value[0] == '\0')
			return acmb_error(err, ACMB_E_USAGE, "%s needs a value", name);
		if (keep_string(&ctx->aws_strings[i], value) != ACMB_OK)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
		ctx->aws.region = ctx->aws_strings[0];
		ctx->aws.profile = ctx->aws_strings[1];
		ctx->aws.ca_bundle = ctx->aws_strings[3];
		return ACMB_OK;
	}
	if (strcmp(name, "endpoint-url") == 0)
		return acmb_ctx_set_endpoint(ctx, &acmb_aws_service_acm, value, err);
	if (strcmp(name, "no-verify-ssl") == 0)
		return option_flag(name, value, &ctx->aws.no_verify_ssl, err);
	if (strcmp(name, "fips") == 0)
		return option_flag(name, value, &ctx->aws.fips, err);
	if (strcmp(name, "cli-connect-timeout") == 0 || strcmp(name, "cli-read-timeout") == 0) {
		if ((r = option_number(name, value, 0, 86400, &v, err)) != ACMB_OK)
			return r;
		if (name[4] == 'c')
			ctx->aws.connect_timeout = v;
		else
			ctx->aws.read_timeout = v;
		return ACMB_OK;
	}
	if (strcmp(name, "max-attempts") == 0) {
		if ((r = option_number(name, value, 1, ACMB_AWS_MAX_MAX_ATTEMPTS, &v, err)) !=
		    ACMB_OK)
			return r;
		ctx->aws.max_attempts = (int)v;
		return ACMB_OK;
	}
	return acmb_error(err, ACMB_E_USAGE, "unknown option '%s'", name);
}

const char *
acmb_ctx_token_option(const struct acmb_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(token_option_names) / sizeof(token_option_names[0]); i++)
		if (strcmp(name, token_option_names[i]) == 0)
			return ctx->token_options[i];
	return NULL;
}

void
acmb_ctx_set_aws_debug(struct acmb_ctx *ctx, acmb_aws_debug_fn fn, void *arg)
{
	size_t i;

	ctx->debug_fn = fn;
	ctx->debug_arg = arg;
	for (i = 0; i < ctx->ncfgs; i++)
		acmb_aws_config_set_debug(ctx->cfgs[i].cfg, fn, arg);
}

static const char *
endpoint_of(const struct acmb_ctx *ctx, const struct acmb_aws_service *svc)
{
	size_t i;

	for (i = 0; i < ctx->nendpoints; i++)
		if (ctx->endpoints[i].svc == svc)
			return ctx->endpoints[i].url;
	return NULL;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
slot_is(const struct config_slot *s, const struct acmb_aws_service *svc, const char *region,
    const struct acmb_aws_identity_key *key)
{
	return s->svc == svc && strcmp(s->region, region) == 0 &&
	       same_str(s->profile, key->profile) && same_str(s->role_arn, key->role_arn) &&
	       same_str(s->external_id, key->external_id);
}

/* The rate buckets' account: a role's account (its ARN names it), else the
 * profile, else the run identity's access key id. Keys of one account under
 * two names share nothing; the adaptive rate absorbs the difference. */
static void
slot_account(struct config_slot *s)
{
	if (s->role_arn != NULL && strncmp(s->role_arn, "arn:", 4) == 0 &&
	    acmb_arn_field(s->role_arn, ACMB_ARN_ACCOUNT, s->account, sizeof(s->account)))
		return;
	if (s->profile != NULL)
		snprintf(s->account, sizeof(s->account), "profile:%s", s->profile);
	else
		snprintf(s->account, sizeof(s->account), "%s",
		    acmb_aws_config_access_key_id(s->cfg) != NULL
		        ? acmb_aws_config_access_key_id(s->cfg)
		        : "unsigned");
}

/* The identities' expiry clock: the run's (a test clock in test builds). */
static time_t
ids_now(void *arg)
{
	return acmb_clock_wall(arg);
}

int
acmb_ctx_aws_config_as(struct acmb_ctx *ctx, const struct acmb_aws_identity_key *key,
    const struct acmb_aws_service *svc, const char *region, const struct acmb_aws_config **out,
    acmb_err *err)
{
	static const struct acmb_aws_identity_key run = {NULL, NULL, NULL};
	struct acmb_aws_options o = ctx->aws;
	struct config_slot *s;
	char want[REGION_LEN_MAX + 1];
	size_t i;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if (key == NULL)
		key = &run;
	if (region != NULL && strlen(region) > REGION_LEN_MAX)
		return acmb_error(err, ACMB_E_CONFIG, "region name too long");
	if (ctx->ids == NULL) {
		/* WARNING: takes AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN
		 * out of the environment (wiped there): once per run. */
		o.endpoint_url = NULL;
		o.debug_fn = ctx->debug_fn;
		o.debug_ctx = ctx->debug_arg;
		o.cancel = &ctx->cancel;
		o.clock = ctx->clock;
		if ((r = acmb_aws_identities_new(&o, &ctx->ids, err)) != ACMB_OK)
			return r;
		acmb_aws_identities_set_clock(ctx->ids, ids_now, ctx->clock);
	}
	if ((r = acmb_aws_settings_region(acmb_aws_identities_settings(ctx->ids), region, want,
	         sizeof(want), err)) != ACMB_OK)
		return r;
	for (i = 0; i < ctx->ncfgs; i++) {
		if (slot_is(&ctx->cfgs[i], svc, want, key)) {
			*out = ctx->cfgs[i].cfg;
			return ACMB_OK;
		}
	}
	if (ctx->ncfgs == CONFIGS_MAX)
		return acmb_error(err, ACMB_E_TOO_BIG,
		    "more than %d service, region and identity combinations in one run",
		    CONFIGS_MAX);
	s = &ctx->cfgs[ctx->ncfgs];
	memset(s, 0, sizeof(*s));
	if ((key->profile != NULL && (s->profile = strdup(key->profile)) == NULL) ||
	    (key->role_arn != NULL && (s->role_arn = strdup(key->role_arn)) == NULL) ||
	    (key->external_id != NULL && (s->external_id = strdup(key->external_id)) == NULL)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_aws_config_new(
	         ctx->ids, key, svc, want, endpoint_of(ctx, svc), &s->cfg, err)) != ACMB_OK)
		goto out;
	snprintf(s->region, sizeof(s->region), "%s", want);
	s->svc = svc;
	slot_account(s);
	s->hooks.limits = ctx->limits;
	s->hooks.clock = ctx->clock;
	s->hooks.cancel = &ctx->cancel;
	s->hooks.account = s->account;
	acmb_aws_config_set_hooks(s->cfg, &s->hooks);
	acmb_aws_config_set_debug(s->cfg, ctx->debug_fn, ctx->debug_arg);
	ctx->ncfgs++;
	*out = s->cfg;
	s = NULL;
	r = ACMB_OK;
out:
	if (s != NULL) {
		acmb_aws_config_free(s->cfg);
		free(s->profile);
		free(s->role_arn);
		free(s->external_id);
		memset(s, 0, sizeof(*s));
	}
	return r;
}

int
acmb_aws_config_for(struct acmb_ctx *ctx, const struct acmb_aws_service *svc, const char *region,
    const struct acmb_aws_config **out, acmb_err *err)
{
	return acmb_ctx_aws_config_as(ctx, NULL, svc, region, out, err);
}

void
acmb_ctx_wipe_secrets(struct acmb_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free_configs(ctx);
	acmb_p11_cache_forget_pin(ctx->tokens);
}

int
acmb_ctx_set_rate(struct acmb_ctx *ctx, const char *service, const char *operation,
    double per_second, acmb_err *err)
{
	return acmb_aws_limits_set_rate(ctx->limits, service, operation, per_second, err);
}

struct acmb_aws_limits *
acmb_ctx_limits(struct acmb_ctx *ctx)
{
	return ctx->limits;
}

struct acmb_p11_cache *
acmb_ctx_tokens(struct acmb_ctx *ctx)
{
	return ctx->tokens;
}

int
acmb_ctx_export_policy(
    struct acmb_ctx *ctx, const char *path, const struct acmb_export_policy **out, acmb_err *err)
{
	struct policy_slot *p;
	size_t i;
	int r;

	*out = NULL;
	if (path == NULL)
		return ACMB_OK;
	for (i = 0; i < ctx->npolicies; i++) {
		if (strcmp(ctx->policies[i].path, path) == 0) {
			*out = ctx->policies[i].policy;
			return ACMB_OK;
		}
	}
	if (ctx->npolicies == POLICIES_MAX)
		return acmb_error(
		    err, ACMB_E_USAGE, "more than %d export policies in one run", POLICIES_MAX);
	p = &ctx->policies[ctx->npolicies];
	if ((p->path = strdup(path)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_export_policy_load(path, &p->policy, err)) != ACMB_OK) {
		free(p->path);
		p->path = NULL;
		return r;
	}
	ctx->npolicies++;
	*out = p->policy;
	return ACMB_OK;
}

static int
same_place(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
acmb_ctx_audit(struct acmb_ctx *ctx, const char *where, struct acmb_audit **out, acmb_err *err)
{
	struct audit_slot *a;
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < ctx->naudits; i++) {
		if (same_place(ctx->audits[i].where, where)) {
			*out = acmb_audit_ref(ctx->audits[i].audit);
			return ACMB_OK;
		}
	}
	if (ctx->naudits == AUDITS_MAX)
		return acmb_error(
		    err, ACMB_E_USAGE, "more than %d audit logs in one run", AUDITS_MAX);
	a = &ctx->audits[ctx->naudits];
	if (where != NULL && (a->where = strdup(where)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_audit_open(where, &a->audit, err)) != ACMB_OK) {
		free(a->where);
		a->where = NULL;
		return r;
	}
	ctx->naudits++;
	*out = acmb_audit_ref(a->audit);
	return ACMB_OK;
}
