/*
 * acmbridge status: what ACM holds, what expires when, what acmbridge
 * manages (src/bridge/status.h builds the rows, status-render.c prints them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acm/aws-config.h"
#include "bridge/check.h"
#include "bridge/inventory.h"
#include "bridge/manifest.h"
#include "bridge/status.h"
#include "bridge/sync-source.h"
#include "cli-aws.h"
#include "cli-file.h"
#include "cli-output.h"
#include "cli-options.h"
#include "bridge/context.h"
#include "cli.h"
#include "init.h"
#include "status-render.h"

#define REGIONS_MAX 64

enum out_fmt { FMT_TEXT, FMT_JSON, FMT_PROMETHEUS, FMT_HTML };

/* ACM's commercial regions (for --all-regions). A region not enabled for
 * the account answers with an error; status reports it and goes on. */
static const char *const all_regions[] = {"us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "af-south-1", "ap-east-1", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1",
    "me-central-1", "sa-east-1"};

struct status_cli {
	const char *regions[REGIONS_MAX];
	size_t nregions;
};

static void
help(void)
{
	printf("usage: acmbridge status [--manifest PATH] [--region R ...] [--all-regions]\n"
	       "                        [--output text|json|prometheus|html] [--output-file PATH]\n"
	       "                        [--query EXPRESSION] [AWS options]\n\n"
	       "Shows every certificate ACM holds in the regions asked for (the manifest's\n"
	       "destinations, --region, or the configured region): its name (acmbridge:name) or\n"
	       "'unmanaged', domain, key, type, ManagedBy, NotAfter and days left, in use or not.\n"
	       "With --manifest, what the next sync would do and when the renewal falls due;\n"
	       "unmanaged imported certificates whose domain is an entry's are 'adoptable'.\n"
	       "One listing per region. Without --manifest, the tags of every imported\n"
	       "certificate are read (a call each); with it, only those of the certificates\n"
	       "sync itself would look at (same serial or domain as an entry's certificate).\n"
	       "No key and no source is read but the manifest's certificates.\n\n"
	       "Options:\n"
	       "  --manifest PATH   the sync manifest (regions and names from it)\n"
	       "  --region R        a region to look at (repeatable)\n"
	       "  --all-regions     every commercial region ACM is in\n"
	       "  --output FMT      text (a table sorted by days left; colour on a terminal\n"
	       "                    unless NO_COLOR is set), json, prometheus (node_exporter\n"
	       "                    textfile format), html (one self-contained page with an\n"
	       "                    expiry timeline per region)\n"
	       "  --output-file PATH  write there instead of standard output, atomically\n"
	       "                    (a temporary file renamed into place)\n"
	       "  --query EXPRESSION  JMESPath over the JSON form, printed as --output json or\n"
	       "                    text says (e.g. 'Certificates[?DaysLeft < "
	       "`30`].CertificateArn')\n\n"
	       "  --at TIME         days left and renewals as of TIME instead of now\n"
	       "  --help            this text\n\n");
	acmb_cli_aws_usage(stdout, ACMB_CLI_STATUS);
	printf("\n%s", acmb_cli_exit_codes);
}

static int
add_region(struct status_cli *c, const char *r)
{
	size_t i;

	for (i = 0; i < c->nregions; i++)
		if (strcmp(c->regions[i], r) == 0)
			return 0;
	if (c->nregions == REGIONS_MAX)
		return -1;
	c->regions[c->nregions++] = r;
	return 0;
}

/* Reads the name tags status needs in inv: every imported certificate's
 * without a manifest; with one, only those of the candidates of each entry
 * with a destination in inv's region: the ones sync would read, and the
 * ones holding the entry's very serial (sync needs no tag there, but only
 * the tag tells sync's own import from an adoptable one made by hand). */
static int
read_names(const struct acmb_aws_config *cfg, struct acmb_inventory *inv,
    const struct acmb_manifest *m, const struct acmb_sync_source *sources, acmb_err *err)
{
	static const struct acmb_sync_source none = {0};
	size_t idx[256], i, d, k, n;
	int r;

	if (m == NULL) {
		for (k = 0; k < inv->n; k++)
			if (inv->certs[k].type != NULL &&
			    strcmp(inv->certs[k].type, "IMPORTED") == 0 &&
			    (r = acmb_inventory_read_tags(cfg, inv, k, err)) != ACMB_OK)
				return r;
		return ACMB_OK;
	}
	for (i = 0; i < acmb_manifest_count(m); i++) {
		const struct acmb_manifest_entry *e = acmb_manifest_entry(m, i);

		for (d = 0; d < e->ndestinations; d++) {
			if (strcmp(e->destinations[d].region, inv->region) != 0)
				continue;
			n = acmb_sync_candidates(e, d, sources != NULL ? &sources[i] : &none, inv,
			    idx, sizeof(idx) / sizeof(idx[0]));
			for (k = 0; n == 0 && sources != NULL && sources[i].known && k < inv->n;
			     k++)
				if (inv->certs[k].serial != NULL &&
				    strcmp(inv->certs[k].serial, sources[i].serial) == 0 &&
				    n < sizeof(idx) / sizeof(idx[0]))
					idx[n++] = k;
			for (k = 0; k < n; k++)
				if ((r = acmb_inventory_read_tags(cfg, inv, idx[k], err)) !=
				    ACMB_OK)
					return r;
		}
	}
	return ACMB_OK;
}

/* Every entry's certificate (no key) for the plan column. */
static int
peek_all(const struct acmb_manifest *m, struct acmb_sync_peek **out, acmb_err *err)
{
	struct acmb_sync_peek *p;
	size_t i, n = acmb_manifest_count(m);

	*out = NULL;
	if (n == 0)
		return ACMB_OK;
	if ((p = calloc(n, sizeof(*p))) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		acmb_err e = {0};

		/* A source that cannot be read leaves its entry without a plan
		 * column; status is for looking, not for failing. */
		if (acmb_sync_peek(acmb_manifest_entry(m, i), acmb_cli_ctx, &p[i], &e) != ACMB_OK)
			fprintf(stderr, "acmbridge: warning: %s\n", e.msg);
	}
	*out = p;
	return ACMB_OK;
}

int
acmb_cli_status(int argc, char **argv)
{
	struct acmb_cli_args args;
	struct status_cli c;
	struct acmb_manifest *m = NULL;
	struct acmb_inventory inv[REGIONS_MAX];
	struct acmb_inventory *invs[REGIONS_MAX];
	const struct acmb_aws_config *base = NULL, *cfgs[REGIONS_MAX];
	struct acmb_sync_peek *peeks = NULL;
	struct acmb_sync_source *sources = NULL;
	struct acmb_status_row *rows = NULL;
	struct acmb_status_summary sum;
	enum out_fmt fmt;
	size_t i, k, nrows = 0, ninv = 0;
	struct acmb_cli_file out;
	FILE *f = stdout;
	acmb_err err = {0};
	time_t now = acmb_ctx_now(acmb_cli_ctx);
	int r, exit_code = ACMB_EXIT_FAILURE, failed_regions = 0;

	memset(&c, 0, sizeof(c));
	memset(inv, 0, sizeof(inv));
	memset(cfgs, 0, sizeof(cfgs));
	acmb_cli_args_init(&args);
	if ((r = acmb_cli_parse(ACMB_CLI_STATUS, argc, argv, &args, &err)) != ACMB_OK) {
		if (r == ACMB_CLI_HELP)
			help();
		exit_code = r == ACMB_CLI_HELP ? ACMB_EXIT_OK : acmb_cli_fail(&err);
		goto out;
	}
	fmt = isatty(STDOUT_FILENO) ? FMT_TEXT : FMT_JSON;
	if (args.fleet_output != NULL) {
		static const char *const names[] = {"text", "json", "prometheus", "html"};

		for (i = 0; i < 4 && strcmp(args.fleet_output, names[i]) != 0; i++)
			;
		if (i == 4) {
			exit_code = acmb_cli_usage_error(
			    "--output takes text, json, prometheus or html, not '%s'",
			    args.fleet_output);
			goto out;
		}
		fmt = (enum out_fmt)i;
	}
	/* --query reads the JSON form and prints the answer, as json or text,
	 * to standard output; it is compiled before any request. */
	if (args.out.query != NULL) {
		if ((fmt != FMT_JSON && fmt != FMT_TEXT) || args.output_file != NULL) {
			exit_code = acmb_cli_usage_error("--query goes with --output json or text, "
			                                 "on standard output (not --output-file)");
			goto out;
		}
		args.out.output = fmt == FMT_JSON ? "json" : "text";
		if ((exit_code = acmb_cli_output_prepare(&args.out, ACMB_OUTPUT_JSON, 0, NULL)) !=
		    0)
			goto out;
	}
	if (args.all_regions && args.nregions > 0) {
		exit_code = acmb_cli_usage_error("--all-regions or --region, not both");
		goto out;
	}
	for (i = 0; i < args.nregions; i++)
		if (add_region(&c, args.regions[i]) != 0) {
			exit_code = acmb_cli_usage_error("at most %d regions", REGIONS_MAX);
			goto out;
		}
	args.aws.debug = acmb_cli_debug;
	if (args.at != NULL && acmb_check_parse_time(args.at, &now, &err) != ACMB_OK)
		goto fail;
	if (args.manifest != NULL && acmb_manifest_load(args.manifest, &m, &err) != ACMB_OK)
		goto fail;
	if (args.all_regions)
		for (i = 0; i < sizeof(all_regions) / sizeof(all_regions[0]); i++)
			add_region(&c, all_regions[i]);
	if (c.nregions == 0 && m != NULL)
		for (i = 0; i < acmb_manifest_count(m); i++)
			for (k = 0; k < acmb_manifest_entry(m, i)->ndestinations; k++)
				if (add_region(&c,
				        acmb_manifest_entry(m, i)->destinations[k].region) != 0) {
					acmb_error(&err, ACMB_E_USAGE, "more than %d regions",
					    REGIONS_MAX);
					goto fail;
				}
	/* The manifest's certificates first (no AWS call): they say which of
	 * ACM's certificates are candidates whose tags are worth a call. */
	if (m != NULL) {
		if (peek_all(m, &peeks, &err) != ACMB_OK)
			goto fail;
		if (acmb_manifest_count(m) > 0 &&
		    (sources = calloc(acmb_manifest_count(m), sizeof(*sources))) == NULL) {
			acmb_error(&err, ACMB_E_NOMEM, "out of memory");
			goto fail;
		}
		for (i = 0; sources != NULL && peeks != NULL && i < acmb_manifest_count(m); i++)
			sources[i] = peeks[i].src;
	}
	/* One identity for every region: the context resolves it once and
	 * paces the listings by its rate limits. */
	if (acmb_cli_debug)
		acmb_ctx_set_aws_debug(acmb_cli_ctx, acmb_cli_aws_debug, NULL);
	if (acmb_ctx_set_aws_options(acmb_cli_ctx, &args.aws, &err) != ACMB_OK ||
	    acmb_aws_config_for(acmb_cli_ctx, &acmb_aws_service_acm, NULL, &base, &err) != ACMB_OK)
		goto fail;
	if (c.nregions == 0)
		c.regions[c.nregions++] = acmb_aws_config_region(base);
	for (i = 0; i < c.nregions; i++) {
		acmb_err e = {0};

		if (acmb_aws_config_for(acmb_cli_ctx, &acmb_aws_service_acm, c.regions[i], &cfgs[i],
		        &e) != ACMB_OK ||
		    acmb_inventory_load(cfgs[i], 0, &inv[ninv], &e) != ACMB_OK) {
			/* One region down is said, not fatal: the others are shown. */
			fprintf(stderr, "acmbridge: %s: %s\n", c.regions[i], e.msg);
			acmb_inventory_clear(&inv[ninv]);
			failed_regions++;
			err = e;
			continue;
		}
		/* Names: without a manifest, the tags of every imported
		 * certificate (only those can be acmbridge's); with one, only of
		 * the candidates sync itself would read. */
		if (read_names(cfgs[i], &inv[ninv], m, sources, &e) != ACMB_OK)
			fprintf(stderr, "acmbridge: %s: %s\n", c.regions[i], e.msg);
		invs[ninv] = &inv[ninv];
		ninv++;
		if (acmb_ctx_cancelled(acmb_cli_ctx))
			break;
	}
	/* The credentials' last use. */
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	base = NULL;
	if (acmb_ctx_cancelled(acmb_cli_ctx)) {
		acmb_error(&err, ACMB_E_INTERRUPTED, "interrupted by signal %d",
		    acmb_ctx_cancelled(acmb_cli_ctx));
		goto fail;
	}
	if (ninv == 0 && failed_regions > 0)
		goto fail;
	if (acmb_status_rows(invs, ninv, m, sources, now, &rows, &nrows, &sum, &err) != ACMB_OK)
		goto fail;
	if (args.out.query != NULL) {
		json_t *doc = acmb_status_json(rows, nrows, &sum, now);

		if (doc == NULL) {
			acmb_error(&err, ACMB_E_NOMEM, "out of memory writing the report");
			goto fail;
		}
		exit_code = acmb_cli_output_print(&args.out, doc, "Status");
		json_decref(doc);
		if (exit_code == ACMB_EXIT_OK && failed_regions > 0)
			exit_code = acmb_exit_code(err.rc);
		goto out;
	}
	if (args.output_file != NULL) {
		if (acmb_cli_file_open(&out, args.output_file, "--output-file", &err) != ACMB_OK)
			goto fail;
		f = out.f;
	}
	switch (fmt) {
	case FMT_TEXT:
		acmb_status_render_text(f, rows, nrows, &sum, now,
		    f == stdout && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
		break;
	case FMT_JSON:
		if (acmb_status_render_json(f, rows, nrows, &sum, now) != 0)
			acmb_error(&err, ACMB_E_NOMEM, "out of memory writing the report");
		break;
	case FMT_PROMETHEUS:
		acmb_status_render_prometheus(f, rows, nrows, c.regions, c.nregions, now);
		break;
	case FMT_HTML:
		acmb_status_render_html(f, rows, nrows, &sum, c.regions, c.nregions, now);
		break;
	}
	if (f != stdout) {
		if (acmb_cli_file_commit(&out, err.rc == ACMB_OK, &err) != ACMB_OK)
			goto fail;
	} else if (err.rc != ACMB_OK) {
		goto fail;
	}
	/* A region that could not be listed makes the picture incomplete. */
	exit_code = failed_regions > 0 ? acmb_exit_code(err.rc) : ACMB_EXIT_OK;
	goto out;
fail:
	/* Secrets before words. */
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	exit_code = acmb_cli_fail(&err);
out:
	for (i = 0; m != NULL && peeks != NULL && i < acmb_manifest_count(m); i++)
		acmb_sync_peek_clear(&peeks[i]);
	free(peeks);
	free(sources);
	free(rows);
	for (i = 0; i < REGIONS_MAX; i++)
		acmb_inventory_clear(&inv[i]);
	acmb_manifest_free(m);
	acmb_cli_args_clear(&args);
	return exit_code;
}
