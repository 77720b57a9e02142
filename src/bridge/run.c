/*
 * One certificate through the flows, for programs that embed the library
 * (include/acmbridge.h): the same path as `acmbridge check` and `acmbridge
 * import` take, from a source description of plain strings to a verdict or
 * an ARN, with the context's options, tokens, audit log and AWS
 * configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/acm-api.h"
#include "acm/aws-arn.h"
#include "check.h"
#include "context.h"
#include "import.h"
#include "source.h"
#include "zalloc.h"

#define ARN_ACCOUNT_MAX 16

/* The fields of src in the sources' spec: pkcs11: URIs (copied: preparing
 * one overwrites a pin-value in place) to the PKCS#11 source with the
 * context's token options, everything else to the files source. */
struct run_spec {
	struct acmb_source_spec s;
	char *uri[3];
	char account[ARN_ACCOUNT_MAX];
};

static void
run_spec_clear(struct run_spec *rs)
{
	size_t i;

	acmb_pkcs11_spec_clear(&rs->s.p11);
	for (i = 0; i < sizeof(rs->uri) / sizeof(rs->uri[0]); i++)
		free(rs->uri[i]);
	memset(rs, 0, sizeof(*rs));
}

static int
route(struct run_spec *rs, size_t i, const char *v, const char **file, char **uri, acmb_err *err)
{
	if (!acmb_source_is_pkcs11(v)) {
		*file = v;
		return ACMB_OK;
	}
	if ((rs->uri[i] = strdup(v)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	*uri = rs->uri[i];
	return ACMB_OK;
}

static int
run_spec_build(
    struct acmb_ctx *ctx, const struct acmb_run_source *src, struct run_spec *rs, acmb_err *err)
{
	struct acmb_files_spec *f = &rs->s.files;
	struct acmb_pkcs11_spec *p = &rs->s.p11;
	int r;

	memset(rs, 0, sizeof(*rs));
	if (src == NULL)
		return acmb_error(err, ACMB_E_USAGE, "no source given");
	if ((r = route(rs, 0, src->certificate, &f->certificate, &p->certificate, err)) !=
	        ACMB_OK ||
	    (r = route(rs, 1, src->private_key, &f->private_key, &p->private_key, err)) !=
	        ACMB_OK ||
	    (r = route(rs, 2, src->certificate_chain, &f->certificate_chain, &p->certificate_chain,
	         err)) != ACMB_OK)
		return r;
	f->pkcs12 = src->pkcs12;
	f->passphrase_file = src->passphrase_file;
	p->token.module = acmb_ctx_token_option(ctx, "module");
	p->token.pin.pin_file = acmb_ctx_token_option(ctx, "pin-file");
	p->token.pin.pin_env = acmb_ctx_token_option(ctx, "pin-env");
	/* A library does not open the terminal to ask for a PIN. */
	p->token.pin.no_prompt = 1;
	p->token.audit_log = acmb_ctx_token_option(ctx, "audit-log");
	p->token.export_policy = acmb_ctx_token_option(ctx, "export-policy");
	p->ctx = ctx;
	return acmb_pkcs11_spec_prepare(p, err);
}

/* ACMB_E_RULE naming the rules that fail. */
static int
rules_failed(const struct acmb_rules_report *rep, acmb_err *err)
{
	char names[512] = "";
	size_t i, n;

	for (i = 0; i < rep->nresults; i++) {
		if (rep->results[i].ok)
			continue;
		n = strlen(names);
		snprintf(
		    names + n, sizeof(names) - n, "%s%s", n > 0 ? ", " : "", rep->results[i].rule);
	}
	return acmb_error(err, ACMB_E_RULE,
	    "the material breaks ACM's import rules (%s); nothing was sent", names);
}

/* The verdict as check --output json prints it, in malloc'd memory. */
static int
report_text(const struct acmb_rules_report *rep, char **out, acmb_err *err)
{
	json_t *j = acmb_check_report_json(rep);
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int r = ACMB_OK;

	*out = NULL;
	if (s == NULL || (*out = strdup(s)) == NULL)
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory writing the report");
	acmb_zfree(s);
	json_decref(j);
	return r;
}

int
acmb_run_check(
    struct acmb_ctx *ctx, const struct acmb_run_source *src, char **report_json, acmb_err *err)
{
	struct run_spec rs;
	struct acmb_rules_report *rep = NULL;
	struct acmb_audit *audit = NULL;
	int r = ACMB_E_INTERNAL;

	if (report_json != NULL)
		*report_json = NULL;
	if ((r = run_spec_build(ctx, src, &rs, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_check_source(&rs.s, acmb_ctx_now(ctx), NULL, &rep, &audit, err)) != ACMB_OK)
		goto out;
	/* A token key exported for the pairwise test, and not imported. */
	if (audit != NULL)
		(void)acmb_audit_finish(audit, NULL, NULL, NULL);
	if (acmb_ctx_cancelled(ctx)) {
		r = acmb_error(err, ACMB_E_INTERRUPTED,
		    "interrupted by signal %d; the key was wiped", acmb_ctx_cancelled(ctx));
		goto out;
	}
	if (report_json != NULL && (r = report_text(rep, report_json, err)) != ACMB_OK)
		goto out;
	r = rep->ok ? ACMB_OK : rules_failed(rep, err);
out:
	acmb_audit_close(audit);
	run_spec_clear(&rs);
	free(rep);
	return r;
}

/* A loaded and judged material with what its export opened (the audit
 * attempt, finished by the import or by the free). */
struct acmb_import_material {
	struct acmb_material *m;
	struct acmb_audit *audit;
	struct run_spec rs;
};

void
acmb_import_material_free(struct acmb_import_material *im)
{
	if (im == NULL)
		return;
	/* An export that did not end in an import is recorded as such. */
	if (im->audit != NULL)
		(void)acmb_audit_finish(im->audit, NULL, NULL, NULL);
	acmb_audit_close(im->audit);
	acmb_material_free(im->m);
	run_spec_clear(&im->rs);
	free(im);
}

int
acmb_import_material_load(struct acmb_ctx *ctx, const struct acmb_run_source *src,
    const char *certificate_arn, struct acmb_import_material **out, acmb_err *err)
{
	struct acmb_import_material *im = NULL;
	const struct acmb_aws_config *cfg = NULL;
	struct acmb_rules_report *rep = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = run_spec_build(ctx, src, &im->rs, err)) != ACMB_OK)
		goto out;
	/* AWS first: the environment's secrets leave it now, whatever happens
	 * next (nothing is sent). */
	if ((r = acmb_aws_config_for(ctx, &acmb_aws_service_acm, NULL, &cfg, err)) != ACMB_OK)
		goto out;
	im->rs.s.p11.region = acmb_aws_config_region(cfg);
	if (certificate_arn != NULL) {
		acmb_arn_field(
		    certificate_arn, ACMB_ARN_ACCOUNT, im->rs.account, sizeof(im->rs.account));
		im->rs.s.p11.account = im->rs.account[0] != '\0' ? im->rs.account : NULL;
	}
	if ((r = acmb_check_source(&im->rs.s, acmb_ctx_now(ctx), &im->m, &rep, &im->audit, err)) !=
	    ACMB_OK)
		goto out;
	if (acmb_ctx_cancelled(ctx)) {
		r = acmb_error(err, ACMB_E_INTERRUPTED,
		    "interrupted by signal %d before anything was sent; the key was wiped",
		    acmb_ctx_cancelled(ctx));
		goto out;
	}
	if (!rep->ok) {
		r = rules_failed(rep, err);
		goto out;
	}
	*out = im;
	im = NULL;
	r = ACMB_OK;
out:
	/* A failed load is recorded with its error. */
	if (im != NULL && im->audit != NULL)
		(void)acmb_audit_finish(im->audit, NULL, err, NULL);
	if (im != NULL) {
		acmb_audit_close(im->audit);
		im->audit = NULL;
	}
	acmb_import_material_free(im);
	free(rep);
	return r;
}

static void
import_opts(struct acmb_ctx *ctx, const struct acmb_import_spec *spec, struct acmb_import_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ctx = ctx;
	if (spec == NULL)
		return;
	o->certificate_arn = spec->certificate_arn;
	o->allow_duplicate = spec->allow_duplicate;
	o->no_provenance_tag = spec->no_provenance_tag;
}

int
acmb_import_plan(struct acmb_ctx *ctx, const struct acmb_import_spec *spec,
    const struct acmb_import_material *im, struct acmb_plan_item **item, acmb_err *err)
{
	struct acmb_plan_item *it = NULL;
	struct acmb_import_result *res = NULL;
	const struct acmb_aws_config *cfg = NULL;
	struct acmb_import_opts o;
	int r = ACMB_E_INTERNAL;

	*item = NULL;
	import_opts(ctx, spec, &o);
	if (im == NULL || im->m == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "import plan: no material");
		goto out;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL || (res = calloc(1, sizeof(*res))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_aws_config_for(ctx, &acmb_aws_service_acm, NULL, &cfg, err)) != ACMB_OK)
		goto out;
	r = acmb_import_make_plan(cfg, im->m, &o, it, res, err);
	/* A blocked item is a plan too: the caller may print or save it. */
	if (r == ACMB_OK || it->action == ACMB_PLAN_BLOCKED) {
		*item = it;
		it = NULL;
	}
out:
	acmb_import_result_clear(res);
	free(res);
	acmb_plan_item_free(it);
	return r;
}

int
acmb_import_apply(struct acmb_ctx *ctx, const struct acmb_plan_item *item,
    const struct acmb_import_spec *spec, struct acmb_import_material *im, char **arn, acmb_err *err)
{
	struct acmb_import_result *res = NULL;
	const struct acmb_aws_config *cfg = NULL;
	struct acmb_import_opts o;
	int r = ACMB_E_INTERNAL;

	*arn = NULL;
	import_opts(ctx, spec, &o);
	if (im == NULL || im->m == NULL || item == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "import apply: no material or no plan item");
		goto out;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* The item's region: a saved plan goes where it was made for. */
	if ((r = acmb_aws_config_for(ctx, &acmb_aws_service_acm,
	         item->region[0] != '\0' ? item->region : NULL, &cfg, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_import_apply_plan(cfg, item, im->m, &o, res, err)) != ACMB_OK)
		goto out;
	if ((*arn = strdup(res->arn)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (im->audit != NULL)
		(void)acmb_audit_finish(im->audit, res->arn, NULL, NULL);
	r = ACMB_OK;
out:
	/* An export that did not end in an import is recorded with its error. */
	if (r != ACMB_OK && im != NULL && im->audit != NULL)
		(void)acmb_audit_finish(im->audit, NULL, err, NULL);
	acmb_import_result_clear(res);
	free(res);
	return r;
}

int
acmb_run_import(struct acmb_ctx *ctx, const struct acmb_run_source *src,
    const char *certificate_arn, char **arn, acmb_err *err)
{
	struct acmb_import_material *im = NULL;
	struct acmb_plan_item *item = NULL;
	struct acmb_import_spec spec;
	int r;

	*arn = NULL;
	memset(&spec, 0, sizeof(spec));
	spec.certificate_arn = certificate_arn;
	/* Plan one item, then apply it: the plan reads the context's
	 * inventory of the region, listed once for the whole run. */
	if ((r = acmb_import_material_load(ctx, src, certificate_arn, &im, err)) == ACMB_OK &&
	    (r = acmb_import_plan(ctx, &spec, im, &item, err)) == ACMB_OK)
		r = acmb_import_apply(ctx, item, &spec, im, arn, err);
	else if (im != NULL && im->audit != NULL)
		(void)acmb_audit_finish(im->audit, NULL, err, NULL);
	acmb_plan_item_free(item);
	acmb_import_material_free(im);
	return r;
}
