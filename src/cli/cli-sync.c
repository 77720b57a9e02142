/*
 * acmbridge sync: options, progress, the plan or what was done, and the
 * exit code (src/bridge/sync.h does the work).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "acm/aws-config.h"
#include "acm/aws-limit.h"
#include "bridge/check.h"
#include "bridge/manifest.h"
#include "bridge/sync.h"
#include "cli-aws.h"
#include "cli-file.h"
#include "cli-output.h"
#include "cli-options.h"
#include "bridge/context.h"
#include "cli.h"
#include "init.h"

static void
help(void)
{
	printf(
	    "usage: acmbridge sync --manifest PATH [--dry-run] [--only NAME ...]\n"
	    "                      [--region R ...] [--shard I/N] [--prune] [--refresh-tags]\n"
	    "                      [--max-parallel N] [--output text|json] [--query EXPRESSION]\n"
	    "                      [--metrics-file PATH] [AWS options]\n\n"
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
	    "  --max-parallel N  work on at most N destinations at once, each at its own\n"
	    "                    quota, with at most N entries' keys in memory (1..64;\n"
	    "                    default: every destination of the run)\n"
	    "  --output text|json  text on a terminal, json otherwise\n"
	    "  --query EXPRESSION  JMESPath over the JSON result, printed as --output says\n"
	    "                    (e.g. 'Items[?Result==`failed`].Name')\n"
	    "  --metrics-file PATH  after a run (not a dry run), write its metrics there in\n"
	    "                    node_exporter's textfile format, atomically:\n"
	    "                    acmbridge_last_sync_timestamp_seconds, _exit_code,\n"
	    "                    _duration_seconds, _items{action,result}, _import_calls\n"
	    "  --pca-endpoint-url URL  Private CA's endpoint (private-ca entries), as for issue\n"
	    "  --at TIME         plan as if it were TIME (2027-01-31 or 2027-01-31T00:00:00Z):\n"
	    "                    what would be due then\n"
	    "  --help            this text\n\n"
	    "The calls keep ACM's quotas (ImportCertificate and the listing: 1 request/s per\n"
	    "account and region). A rerun converges and never duplicates. SIGINT/SIGTERM stop\n"
	    "between calls; the summary says what was done.\n\n");
	acmb_cli_aws_usage(stdout, ACMB_CLI_SYNC);
	printf("\n%s"
	       "  8  some item is blocked (see its reason)\n"
	       "  10 --dry-run: changes are pending (0: nothing would change)\n",
	    acmb_cli_exit_codes);
}

static int
parse_shard(const char *s, unsigned *shard, unsigned *nshards)
{
	char *end;
	unsigned long i, n;

	i = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	n = strtoul(end + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000 || i >= n)
		return -1;
	*shard = (unsigned)i;
	*nshards = (unsigned)n;
	return 0;
}

/* The run's identities: the context's configurations, one per service,
 * region and destination identity (profile, role-arn, external-id), each
 * made once; credentials are resolved once per identity (the environment's
 * secrets read the first time and gone after) and refreshed before they
 * expire, so a long run outlives a role session; every call is paced by the
 * context's rate limits (buckets per account). */
struct configs {
	const struct acmb_aws_options *opts;
	const char *pca_endpoint_url;
};

static int
config_for(void *arg, const struct acmb_aws_service *svc, const char *region,
    const struct acmb_manifest_destination *d, const struct acmb_aws_config **out, acmb_err *err)
{
	struct configs *cs = arg;
	struct acmb_aws_identity_key key = {NULL, NULL, NULL};

	*out = NULL;
	if (d != NULL) {
		/* The run's own profile is the run's identity. */
		if (d->profile != NULL &&
		    (cs->opts->profile == NULL || strcmp(d->profile, cs->opts->profile) != 0))
			key.profile = d->profile;
		key.role_arn = d->role_arn;
		key.external_id = d->external_id;
	}
	return acmb_ctx_aws_config_as(acmb_cli_ctx, &key, svc, region, out, err);
}

/* The options of every configuration config_for() hands out. */
static int
configs_init(struct configs *cs, acmb_err *err)
{
	int r;

	if (acmb_cli_debug)
		acmb_ctx_set_aws_debug(acmb_cli_ctx, acmb_cli_aws_debug, NULL);
	if ((r = acmb_ctx_set_aws_options(acmb_cli_ctx, cs->opts, err)) != ACMB_OK)
		return r;
	return acmb_ctx_set_endpoint(
	    acmb_cli_ctx, &acmb_aws_service_acm_pca, cs->pca_endpoint_url, err);
}

/* The credentials' last use: wiped before anything is printed. */
static void
configs_free(struct configs *cs)
{
	(void)cs;
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
}

static int
interrupted(void *arg)
{
	(void)arg;
	return acmb_ctx_cancelled(acmb_cli_ctx);
}

static void
progress(void *arg, size_t done, size_t total, const struct acmb_sync_item *it, int applied)
{
	const struct acmb_sync_result *res = arg;
	double rate = acmb_aws_limits_published("acm", "ImportCertificate"), eta = 0;
	struct {
		const char *region;
		size_t n;
	} per[32];
	size_t i, k, nper = 0;

	/* The ETA from the quotas: the imports still to send in the busiest
	 * region at ACM's rate there (regions run side by side on their own
	 * quotas). Items are applied in order, so those after done remain. */
	for (i = done; applied && rate > 0 && res != NULL && i < res->n; i++) {
		const struct acmb_plan_item *p = &res->items[i].plan;

		if (p->action != ACMB_PLAN_CREATE && p->action != ACMB_PLAN_REIMPORT &&
		    p->action != ACMB_PLAN_RENEW)
			continue;
		for (k = 0; k < nper && strcmp(per[k].region, p->region) != 0; k++)
			;
		if (k == nper) {
			if (nper == sizeof(per) / sizeof(per[0]))
				continue;
			per[nper].region = p->region;
			per[nper++].n = 0;
		}
		if ((double)++per[k].n / rate > eta)
			eta = (double)per[k].n / rate;
	}
	/* One line, rewritten in place; only on a terminal. */
	fprintf(stderr, "\r\033[K%s %zu/%zu %s %s", applied ? "applying" : "planning", done, total,
	    it->plan.name, it->plan.region);
	if (eta >= 1)
		fprintf(stderr, " (about %ldm%02lds left at ACM's import quota)", (long)eta / 60,
		    (long)eta % 60);
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
	printf(
	    "; %zu ImportCertificate call%s planned", res->imports, res->imports == 1 ? "" : "s");
	if (!dry_run)
		printf("; %zu done, %zu failed, %zu not done", res->applied, res->failed,
		    res->not_done);
	printf("\n");
}

/* The result of an item for people and metrics. */
static const char *
item_result(const struct acmb_sync_item *it)
{
	return it->rc == ACMB_E_INTERRUPTED ? "not-done"
	       : it->rc != ACMB_OK          ? "failed"
	       : it->applied                ? "done"
	                                    : "skipped";
}

/* The run in node_exporter's textfile format (status writes the
 * certificates' metrics; this file says when sync last ran and how it
 * went). One series per action and result that occurred, so an alert can
 * say "3 failed creates". */
static void
print_metrics(
    FILE *f, const struct acmb_sync_result *res, time_t finished, double duration, int exit_code)
{
	static const char *const results[] = {"done", "skipped", "failed", "not-done"};
	size_t a, k, i, n;

	fprintf(f,
	    "# HELP acmbridge_last_sync_timestamp_seconds When the last sync run (not a dry run) "
	    "finished, in seconds since the epoch.\n"
	    "# TYPE acmbridge_last_sync_timestamp_seconds gauge\n"
	    "acmbridge_last_sync_timestamp_seconds %lld\n"
	    "# HELP acmbridge_last_sync_exit_code The exit code of the last sync run (0: every "
	    "item "
	    "done; 8: some blocked; see acmbridge-sync(1)).\n"
	    "# TYPE acmbridge_last_sync_exit_code gauge\n"
	    "acmbridge_last_sync_exit_code %d\n"
	    "# HELP acmbridge_last_sync_duration_seconds How long the last sync run took.\n"
	    "# TYPE acmbridge_last_sync_duration_seconds gauge\n"
	    "acmbridge_last_sync_duration_seconds %.3f\n"
	    "# HELP acmbridge_last_sync_import_calls ImportCertificate calls the last sync run "
	    "spent.\n"
	    "# TYPE acmbridge_last_sync_import_calls gauge\n"
	    "acmbridge_last_sync_import_calls %zu\n"
	    "# HELP acmbridge_last_sync_items Items of the last sync run by planned action and "
	    "result.\n"
	    "# TYPE acmbridge_last_sync_items gauge\n",
	    (long long)finished, exit_code, duration, res->imports);
	for (a = 0; a < ACMB_PLAN_ACTION_COUNT; a++) {
		for (k = 0; k < sizeof(results) / sizeof(results[0]); k++) {
			for (i = 0, n = 0; i < res->n; i++)
				if (res->items[i].plan.action == (enum acmb_plan_action)a &&
				    strcmp(item_result(&res->items[i]), results[k]) == 0)
					n++;
			if (n > 0)
				fprintf(f,
				    "acmbridge_last_sync_items{action=\"%s\",result=\"%s\"} %zu\n",
				    acmb_plan_action_name((enum acmb_plan_action)a), results[k], n);
		}
	}
}

/* 1 when the folder path names (its dirname) can take a new file. */
static int
writable_folder(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return access(".", W_OK | X_OK) == 0;
	if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return 0;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return access(dir, W_OK | X_OK) == 0;
}

/* Writes the metrics file; a failure to write it is reported but does not
 * change what the run did. */
static int
write_metrics(const char *path, const struct acmb_sync_result *res, time_t started, int exit_code)
{
	struct acmb_cli_file cf;
	acmb_err err = {0};
	time_t finished = acmb_ctx_now(acmb_cli_ctx);

	if (acmb_cli_file_open(&cf, path, "--metrics-file", &err) != ACMB_OK)
		goto fail;
	print_metrics(cf.f, res, finished, difftime(finished, started), exit_code);
	if (acmb_cli_file_commit(&cf, !ferror(cf.f), &err) != ACMB_OK) {
		if (err.rc == ACMB_OK)
			acmb_error(&err, ACMB_E_IO, "--metrics-file %s: write error", path);
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "acmbridge: %s\n", err.msg);
	return -1;
}

/* The run as one JSON object (--output json, and what --query reads). */
static json_t *
result_json(const struct acmb_sync_result *res, int dry_run)
{
	json_t *root = json_object(), *items = json_array(), *counts = json_object();
	size_t i, a;

	if (root == NULL || items == NULL || counts == NULL)
		goto out;
	for (i = 0; i < res->n; i++) {
		const struct acmb_sync_item *it = &res->items[i];
		json_t *o = acmb_plan_item_to_json(&it->plan);

		if (o == NULL)
			goto out;
		if (!dry_run) {
			json_object_set_new(o, "Result", json_string(item_result(it)));
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
	return root;
out:
	json_decref(items);
	json_decref(counts);
	json_decref(root);
	return NULL;
}

/* Prints the run: with --query through JMESPath in --output's format, else
 * as json or sync's own text. Returns 0, or an exit code when the answer
 * could not be printed (the query failed on it, stdout failed). */
static int
print_result(struct acmb_cli_output *out, const struct acmb_sync_result *res, int dry_run, int json)
{
	json_t *root;
	int rc = 0;

	if (out->query == NULL && !json) {
		print_text(res, dry_run);
		return 0;
	}
	if ((root = result_json(res, dry_run)) == NULL) {
		fprintf(stderr, "acmbridge: out of memory writing the result\n");
		return ACMB_EXIT_FAILURE;
	}
	if (out->query != NULL)
		rc = acmb_cli_output_print(out, root, "Sync");
	else if (json_dumpf(
	             root, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) != 0 ||
	         putchar('\n') == EOF)
		rc = ACMB_EXIT_FAILURE;
	json_decref(root);
	return rc;
}

int
acmb_cli_sync(int argc, char **argv)
{
	struct acmb_cli_args args;
	struct acmb_manifest *m = NULL;
	struct acmb_sync_opts o;
	struct acmb_sync_result res;
	struct configs cs;
	acmb_err err = {0};
	int r, json, exit_code, print_rc;
	time_t started;

	memset(&res, 0, sizeof(res));
	memset(&cs, 0, sizeof(cs));
	memset(&o, 0, sizeof(o));
	acmb_cli_args_init(&args);
	if ((r = acmb_cli_parse(ACMB_CLI_SYNC, argc, argv, &args, &err)) != ACMB_OK) {
		if (r == ACMB_CLI_HELP)
			help();
		exit_code = r == ACMB_CLI_HELP ? ACMB_EXIT_OK : acmb_cli_fail(&err);
		goto out;
	}
	json = !isatty(STDOUT_FILENO);
	if (args.fleet_output != NULL) {
		if (strcmp(args.fleet_output, "json") == 0)
			json = 1;
		else if (strcmp(args.fleet_output, "text") == 0)
			json = 0;
		else {
			exit_code = acmb_cli_usage_error(
			    "--output takes text or json, not '%s'", args.fleet_output);
			goto out;
		}
	}
	if (args.manifest == NULL) {
		exit_code =
		    acmb_cli_usage_error("sync needs --manifest PATH (see acmbridge sync --help)");
		goto out;
	}
	/* --query reads the JSON result and prints in --output's format (json
	 * or text); it is compiled before anything is read or sent. */
	if (args.out.query != NULL) {
		args.out.output = json ? "json" : "text";
		if ((exit_code = acmb_cli_output_prepare(&args.out, ACMB_OUTPUT_JSON, 0, NULL)) !=
		    0)
			goto out;
	}
	/* The metrics file's folder is checked before anything is sent: a
	 * typo there should not wait for the end of a long run. */
	if (args.metrics_file != NULL && !writable_folder(args.metrics_file)) {
		exit_code =
		    acmb_cli_usage_error("--metrics-file %s: its folder is not writable: %s",
		        args.metrics_file, strerror(errno));
		goto out;
	}
	if (args.shard != NULL && parse_shard(args.shard, &o.shard, &o.nshards) != 0) {
		exit_code = acmb_cli_usage_error(
		    "--shard '%s': write I/N with 0 <= I < N <= 1000", args.shard);
		goto out;
	}
	args.aws.debug = acmb_cli_debug;
	if (args.aws.debug)
		args.aws.debug_fn = acmb_cli_aws_debug;
	if (acmb_manifest_load(args.manifest, &m, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	o.manifest = m;
	o.only = args.nonly > 0 ? args.only : NULL;
	o.nonly = args.nonly;
	o.regions = args.nregions > 0 ? args.regions : NULL;
	o.nregions = args.nregions;
	o.dry_run = args.import.dry_run;
	o.prune = args.prune;
	o.refresh_tags = args.refresh_tags;
	o.now = acmb_ctx_now(acmb_cli_ctx);
	if (args.at != NULL && acmb_check_parse_time(args.at, &o.now, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	cs.opts = &args.aws;
	cs.pca_endpoint_url = args.pca_endpoint_url;
	if (configs_init(&cs, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	o.config_for = config_for;
	o.config_arg = &cs;
	o.cancelled = interrupted;
	o.max_parallel = (unsigned)args.max_parallel;
	o.ctx = acmb_cli_ctx;
	/* Entries on different tokens may share one --pin-env PIN: the
	 * context keeps it for the run (wiped with the credentials). */
	acmb_p11_cache_keep_env_pin(acmb_ctx_tokens(acmb_cli_ctx), 1);
	if (isatty(STDERR_FILENO)) {
		o.progress = progress;
		o.progress_arg = &res;
	}
	started = acmb_ctx_now(acmb_cli_ctx);
	r = acmb_sync_run(&o, &res, &err);
	/* Credentials' last use: wiped before anything is printed. */
	configs_free(&cs);
	if (o.progress != NULL)
		fputs("\r\033[K", stderr);
	if (r != ACMB_OK && r != ACMB_E_INTERRUPTED) {
		exit_code = acmb_cli_fail(&err);
		goto metrics;
	}
	print_rc = print_result(&args.out, &res, o.dry_run, json);
	if (r == ACMB_E_INTERRUPTED)
		exit_code = acmb_cli_fail(&err);
	else
		exit_code = acmb_sync_exit_code(&res, o.dry_run);
	/* What was done stands; a result that could not be shown is said. */
	if (exit_code == ACMB_EXIT_OK && print_rc != 0)
		exit_code = print_rc;
metrics:
	/* Every run that was tried, interrupted and failed ones too: an alert
	 * on the exit code or the age sees it. A dry run changes nothing and
	 * says nothing here. */
	if (args.metrics_file != NULL && !o.dry_run)
		(void)write_metrics(args.metrics_file, &res, started, exit_code);
out:
	configs_free(&cs);
	acmb_sync_result_clear(&res);
	acmb_manifest_free(m);
	acmb_cli_args_clear(&args);
	return exit_code;
}
