/*
 * acmbridge sync: options, progress, the plan or what was done, and the
 * exit code (src/bridge/sync.h does the work).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "acm/aws-config.h"
#include "bridge/check.h"
#include "bridge/manifest.h"
#include "bridge/sync.h"
#include "cli-aws.h"
#include "cli.h"
#include "init.h"

#define LIST_MAX 256

struct sync_cli {
	const char *manifest;
	const char *only[LIST_MAX];
	size_t nonly;
	const char *regions[LIST_MAX];
	size_t nregions;
	unsigned shard, nshards;
	int dry_run, prune, refresh_tags, json, output_set, progress;
	long max_parallel;
	const char *at;               /* test clock: --at (ACMB_TEST_HOOKS builds) */
	const char *pca_endpoint_url; /* --pca-endpoint-url, as issue takes it */
	struct acmb_aws_options aws;
};

static void
help(void)
{
	printf(
	    "usage: acmbridge sync --manifest PATH [--dry-run] [--only NAME ...]\n"
	    "                      [--region R ...] [--shard I/N] [--prune] [--refresh-tags]\n"
	    "                      [--max-parallel N] [--output text|json] [AWS options]\n\n"
	    "Keeps the fleet a manifest declares in ACM: for every certificate and each of\n"
	    "its destinations (region, profile, role) it decides one action and, without\n"
	    "--dry-run, carries it out:\n"
	    "  create     not in ACM yet: import it (tagged acmbridge:name=NAME)\n"
	    "  reimport   the source's certificate changed: import into the same ARN\n"
	    "  renew      private-ca entry inside renew-before: issue, reimport, same ARN\n"
	    "  unchanged  ACM holds the source's certificate (tags added if missing)\n"
	    "  blocked    a rule, a reimport rule, a service or ownership stops it (why)\n"
	    "  prune      with --prune: its name left the manifest and it is not in use\n\n"
	    "Options:\n"
	    "  --manifest PATH   the manifest (YAML or JSON; docs/sync.md, acmbridge.yaml(5))\n"
	    "  --dry-run         print the plan, change nothing; the exit code says whether\n"
	    "                    anything would change (see below)\n"
	    "  --only NAME       only this certificate (repeatable)\n"
	    "  --region R        only destinations in R (repeatable)\n"
	    "  --shard I/N       only the pairs of shard I of N (0 <= I < N): N runs with\n"
	    "                    I = 0..N-1 cover every pair once\n"
	    "  --prune           delete certificates tagged acmbridge:name whose name left the\n"
	    "                    manifest, when ACM says they are not in use (reads the tags\n"
	    "                    of every imported certificate: a call each)\n"
	    "  --refresh-tags    compare the tags of unchanged certificates too (a call each)\n"
	    "  --max-parallel N  at most N entries' keys in memory at once (1..64); this\n"
	    "                    version works on one entry at a time, taking its\n"
	    "                    destinations in turn, so at most one key exists\n"
	    "  --output text|json  text on a terminal, json otherwise\n"
	    "  --pca-endpoint-url URL  Private CA's endpoint (private-ca entries), as for issue\n\n"
	    "The calls keep ACM's quotas (ImportCertificate and the listing: 1 request/s per\n"
	    "account and region). A rerun converges and never duplicates. SIGINT/SIGTERM stop\n"
	    "between calls; the summary says what was done.\n\n"
	    "%s\n%s"
	    "  8  some item is blocked (see its reason)\n"
	    "  10 --dry-run: changes are pending (0: nothing would change)\n",
	    acmb_cli_aws_usage, acmb_cli_exit_codes);
}

static int
parse_shard(const char *s, struct sync_cli *c)
{
	char *end;
	unsigned long i, n;

	i = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	n = strtoul(end + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000 || i >= n)
		return -1;
	c->shard = (unsigned)i;
	c->nshards = (unsigned)n;
	return 0;
}

/* Prints one usage line; parse_args() then returns -1. */
#define USAGE(...)                                                                                 \
	do {                                                                                       \
		acmb_cli_usage_error(__VA_ARGS__);                                                 \
		return -1;                                                                         \
	} while (0)

/* 0 to run, 1 after --help, -1 after a usage error. */
static int
parse_args(struct sync_cli *c, int argc, char **argv)
{
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			help();
			return 1;
		}
		if (strcmp(opt, "--debug") == 0)
			continue;
		if (strcmp(opt, "--dry-run") == 0) {
			c->dry_run = 1;
			continue;
		}
		if (strcmp(opt, "--prune") == 0) {
			c->prune = 1;
			continue;
		}
		if (strcmp(opt, "--refresh-tags") == 0) {
			c->refresh_tags = 1;
			continue;
		}
		/* sync's --region is a filter and repeats; it is taken before the
		 * AWS option of the same name, which sets one region. */
		if (strcmp(opt, "--manifest") != 0 && strcmp(opt, "--only") != 0 &&
		    strcmp(opt, "--region") != 0 && strcmp(opt, "--shard") != 0 &&
		    strcmp(opt, "--max-parallel") != 0 && strcmp(opt, "--output") != 0 &&
		    strcmp(opt, "--at") != 0 && strcmp(opt, "--pca-endpoint-url") != 0) {
			if ((r = acmb_cli_aws_option(opt, arg, &c->aws)) < 0)
				return -1;
			if (r == 0)
				USAGE("sync: unknown option '%s' (try --help)", opt);
			if (acmb_cli_aws_option_has_arg(opt))
				i++;
			continue;
		}
		if (arg == NULL)
			USAGE("%s needs a value", opt);
		i++;
		if (strcmp(opt, "--manifest") == 0) {
			if (c->manifest != NULL)
				USAGE("--manifest given twice");
			c->manifest = arg;
		} else if (strcmp(opt, "--only") == 0) {
			if (c->nonly == LIST_MAX)
				USAGE("--only: at most %d", LIST_MAX);
			c->only[c->nonly++] = arg;
		} else if (strcmp(opt, "--region") == 0) {
			if (c->nregions == LIST_MAX)
				USAGE("--region: at most %d", LIST_MAX);
			c->regions[c->nregions++] = arg;
		} else if (strcmp(opt, "--shard") == 0) {
			if (c->nshards != 0)
				USAGE("--shard given twice");
			if (parse_shard(arg, c) != 0)
				USAGE("--shard '%s': write I/N with 0 <= I < N <= 1000", arg);
		} else if (strcmp(opt, "--max-parallel") == 0) {
			if (c->max_parallel != 0)
				USAGE("--max-parallel given twice");
			c->max_parallel = strtol(arg, &end, 10);
			if (*end != '\0' || c->max_parallel < 1 || c->max_parallel > 64)
				USAGE("--max-parallel '%s': 1 to 64", arg);
		} else if (strcmp(opt, "--pca-endpoint-url") == 0) {
			if (c->pca_endpoint_url != NULL)
				USAGE("--pca-endpoint-url given twice");
			c->pca_endpoint_url = arg;
		} else if (strcmp(opt, "--output") == 0) {
			if (c->output_set)
				USAGE("--output given twice");
			c->output_set = 1;
			if (strcmp(arg, "json") == 0)
				c->json = 1;
			else if (strcmp(arg, "text") == 0)
				c->json = 0;
			else
				USAGE("--output '%s': text or json", arg);
		} else {
#ifdef ACMB_TEST_HOOKS
			if (c->at != NULL)
				USAGE("--at given twice");
			c->at = arg;
#else
			USAGE("sync: unknown option '--at' (try --help)");
#endif
		}
	}
	if (c->manifest == NULL)
		USAGE("sync needs --manifest PATH (try --help)");
	if (c->aws.region != NULL)
		USAGE("sync: regions come from the manifest's destinations");
	return 0;
}

/* The run's identity: one configuration per service and region, resolved
 * once (the environment's secrets are read the first time and gone after),
 * each later one derived with the same credentials. */
struct configs {
	const struct acmb_aws_options *opts;
	const char *pca_endpoint_url;
	struct acmb_aws_config *base;
	struct {
		const struct acmb_aws_service *svc;
		char region[64];
		struct acmb_aws_config *cfg;
	} made[128];
	size_t n;
};

static int
config_for(void *arg, const struct acmb_aws_service *svc, const char *region,
    const struct acmb_manifest_destination *d, const struct acmb_aws_config **out, acmb_err *err)
{
	struct configs *cs = arg;
	struct acmb_aws_options o = *cs->opts;
	size_t i;
	int r;

	*out = NULL;
	if (d != NULL &&
	    (d->role_arn != NULL ||
	        (d->profile != NULL &&
	            (cs->opts->profile == NULL || strcmp(d->profile, cs->opts->profile) != 0))))
		return acmb_error(err, ACMB_E_CONFIG,
		    "destination %s: profile and role-arn per destination need the identity layer "
		    "(assume-role); this run uses one identity (--profile)",
		    d->region);
	for (i = 0; i < cs->n; i++)
		if (cs->made[i].svc == svc && strcmp(cs->made[i].region, region) == 0) {
			*out = cs->made[i].cfg;
			return ACMB_OK;
		}
	if (cs->n == sizeof(cs->made) / sizeof(cs->made[0]))
		return acmb_error(err, ACMB_E_CONFIG,
		    "more than %zu service and region pairs in one run",
		    sizeof(cs->made) / sizeof(cs->made[0]));
	o.region = region;
	if (svc == &acmb_aws_service_acm_pca)
		o.endpoint_url = cs->pca_endpoint_url;
	if (cs->base == NULL)
		r = acmb_aws_config_resolve(&o, svc, &cs->made[cs->n].cfg, err);
	else
		r = acmb_aws_config_derive(cs->base, &o, svc, &cs->made[cs->n].cfg, err);
	if (r != ACMB_OK)
		return r;
	if (cs->base == NULL)
		cs->base = cs->made[cs->n].cfg;
	if (acmb_cli_debug)
		acmb_aws_config_set_debug(cs->made[cs->n].cfg, acmb_cli_aws_debug, NULL);
	cs->made[cs->n].svc = svc;
	snprintf(cs->made[cs->n].region, sizeof(cs->made[cs->n].region), "%s", region);
	*out = cs->made[cs->n].cfg;
	cs->n++;
	return ACMB_OK;
}

static void
configs_free(struct configs *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		acmb_aws_config_free(cs->made[i].cfg);
	cs->n = 0;
	cs->base = NULL;
}

static int
interrupted(void *arg)
{
	(void)arg;
	return acmb_interrupted();
}

static void
progress(void *arg, size_t done, size_t total, const struct acmb_sync_item *it, int applied)
{
	(void)arg;
	/* One line, rewritten in place; only on a terminal. */
	fprintf(stderr, "\r\033[K%s %zu/%zu %s %s", applied ? "applying" : "planning", done, total,
	    it->plan.name, it->plan.region);
	fflush(stderr);
}

static void
print_text(const struct acmb_sync_result *res, int dry_run)
{
	size_t i, a;

	for (i = 0; i < res->n; i++) {
		const struct acmb_sync_item *it = &res->items[i];

		if (dry_run || it->rc == ACMB_OK)
			acmb_plan_item_print(stdout, &it->plan);
		else
			printf("%-9s %s %s: FAILED: %s\n", acmb_plan_action_name(it->plan.action),
			    it->plan.name, it->plan.region, it->error ? it->error : "?");
		if (!dry_run && it->rc == ACMB_OK && it->arn != NULL && it->plan.arn[0] == '\0')
			printf("          -> %s\n", it->arn);
	}
	printf("%s:", dry_run ? "plan" : "sync");
	for (a = 0; a < ACMB_PLAN_ACTION_COUNT; a++)
		if (res->planned[a] > 0)
			printf(" %zu %s", res->planned[a],
			    acmb_plan_action_name((enum acmb_plan_action)a));
	if (res->n == 0)
		printf(" nothing selected");
	printf("; %zu ImportCertificate call%s %s", res->imports, res->imports == 1 ? "" : "s",
	    dry_run ? "planned" : "planned");
	if (!dry_run)
		printf("; %zu done, %zu failed, %zu not done", res->applied, res->failed,
		    res->not_done);
	printf("\n");
}

static int
print_json(const struct acmb_sync_result *res, int dry_run)
{
	json_t *root = json_object(), *items = json_array(), *counts = json_object();
	size_t i, a;
	int rc = -1;

	if (root == NULL || items == NULL || counts == NULL)
		goto out;
	for (i = 0; i < res->n; i++) {
		const struct acmb_sync_item *it = &res->items[i];
		json_t *o = acmb_plan_item_to_json(&it->plan);

		if (o == NULL)
			goto out;
		if (!dry_run) {
			json_object_set_new(o, "Result",
			    json_string(it->rc == ACMB_E_INTERRUPTED ? "not-done"
			                : it->rc != ACMB_OK          ? "failed"
			                : it->applied                ? "done"
			                                             : "skipped"));
			if (it->error != NULL)
				json_object_set_new(o, "Error", json_string(it->error));
			if (it->arn != NULL && it->plan.arn[0] == '\0')
				json_object_set_new(o, "CertificateArn", json_string(it->arn));
		}
		if (json_array_append_new(items, o) != 0)
			goto out;
	}
	for (a = 0; a < ACMB_PLAN_ACTION_COUNT; a++)
		json_object_set_new(counts, acmb_plan_action_name((enum acmb_plan_action)a),
		    json_integer((json_int_t)res->planned[a]));
	json_object_set_new(root, "DryRun", json_boolean(dry_run));
	json_object_set_new(root, "Items", items);
	items = NULL;
	json_object_set_new(root, "Actions", counts);
	counts = NULL;
	json_object_set_new(root, "ImportCalls", json_integer((json_int_t)res->imports));
	json_object_set_new(root, "ListingCalls", json_integer(res->listing_calls));
	json_object_set_new(root, "TagCalls", json_integer(res->tag_calls));
	if (!dry_run) {
		json_object_set_new(root, "Done", json_integer((json_int_t)res->applied));
		json_object_set_new(root, "Failed", json_integer((json_int_t)res->failed));
		json_object_set_new(root, "NotDone", json_integer((json_int_t)res->not_done));
	}
	if (json_dumpf(root, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) != 0)
		goto out;
	putchar('\n');
	rc = 0;
out:
	json_decref(items);
	json_decref(counts);
	json_decref(root);
	return rc;
}

int
acmb_cli_sync(int argc, char **argv)
{
	struct sync_cli c;
	struct acmb_manifest *m = NULL;
	struct acmb_sync_opts o;
	struct acmb_sync_result res;
	struct configs cs;
	acmb_err err = {0};
	int r, exit_code;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	memset(&cs, 0, sizeof(cs));
	acmb_aws_options_init(&c.aws);
	c.json = !isatty(STDOUT_FILENO);
	if ((r = parse_args(&c, argc, argv)) != 0)
		return r > 0 ? ACMB_EXIT_OK : ACMB_EXIT_USAGE;
	c.aws.debug = acmb_cli_debug;
	if (acmb_manifest_load(c.manifest, &m, &err) != ACMB_OK)
		return acmb_cli_fail(&err);
	memset(&o, 0, sizeof(o));
	o.manifest = m;
	o.only = c.nonly > 0 ? c.only : NULL;
	o.nonly = c.nonly;
	o.regions = c.nregions > 0 ? c.regions : NULL;
	o.nregions = c.nregions;
	o.shard = c.shard;
	o.nshards = c.nshards;
	o.dry_run = c.dry_run;
	o.prune = c.prune;
	o.refresh_tags = c.refresh_tags;
	o.now = time(NULL);
	if (c.at != NULL && acmb_check_parse_time(c.at, &o.now, &err) != ACMB_OK) {
		acmb_manifest_free(m);
		return acmb_cli_fail(&err);
	}
	cs.opts = &c.aws;
	cs.pca_endpoint_url = c.pca_endpoint_url;
	o.config_for = config_for;
	o.config_arg = &cs;
	o.cancelled = interrupted;
	if (isatty(STDERR_FILENO))
		o.progress = progress;
	r = acmb_sync_run(&o, &res, &err);
	/* Credentials' last use: wiped before anything is printed. */
	configs_free(&cs);
	if (o.progress != NULL)
		fputs("\r\033[K", stderr);
	if (r != ACMB_OK && r != ACMB_E_INTERRUPTED) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (c.json)
		print_json(&res, c.dry_run);
	else
		print_text(&res, c.dry_run);
	if (r == ACMB_E_INTERRUPTED) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	exit_code = acmb_sync_exit_code(&res, c.dry_run);
out:
	acmb_sync_result_clear(&res);
	acmb_manifest_free(m);
	return exit_code;
}
