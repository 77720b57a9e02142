/*
 * A program that embeds libacmbridge the way a host would: it includes only
 * <acmbridge.h>, links libacmbridge AND libcurl, and uses libcurl itself
 * after acmbridge has made its AWS calls. It imports every certificate
 * named on the command line into ACM in one context, checks a broken pair,
 * then reads the endpoint's certificate list with its own libcurl calls.
 *
 *   embed-import CONTROL_URL CA_FILE CERT KEY CHAIN [CERT KEY CHAIN ...]
 *   (AWS options from the environment: ACMB_ENDPOINT_URL, AWS_REGION, keys;
 *   EMBED_PLAN=1 or saved: through acmb_import_plan() and _apply())
 *
 * Prints one line per result; exit 0 only when everything held.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <acmbridge.h>
#include <curl/curl.h>

static struct acmb_ctx *run_ctx;

/* The host's own handler: acmbridge installs none. */
static void
on_signal(int sig)
{
	acmb_ctx_cancel(run_ctx, sig);
}

struct body {
	char buf[1 << 20];
	size_t len;
};

static size_t
collect(char *p, size_t size, size_t nmemb, void *user)
{
	struct body *b = user;
	size_t n = size * nmemb;

	if (n > sizeof(b->buf) - 1 - b->len)
		return 0;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* The host's own libcurl: GET url into b. */
static int
host_get(const char *url, const char *ca, struct body *b)
{
	CURL *h = curl_easy_init();
	CURLcode cc;

	if (h == NULL)
		return -1;
	b->len = 0;
	b->buf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (ca != NULL && ca[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	cc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	return cc == CURLE_OK ? 0 : -1;
}

/* EMBED_PLAN=1: the certificate through acmb_import_plan(), its item
 * printed as JSON, then acmb_import_apply(); EMBED_PLAN=saved: the item read
 * back from that JSON first, as a saved plan is. */
static int
import_by_plan(const struct acmb_run_source *src, const char *mode, char **arn, acmb_err *err)
{
	struct acmb_import_material *m = NULL;
	struct acmb_plan_item *item = NULL, *saved = NULL;
	struct acmb_import_spec spec;
	char *json = NULL;
	int rc;

	memset(&spec, 0, sizeof(spec));
	if ((rc = acmb_import_material_load(run_ctx, src, NULL, &m, err)) != ACMB_OK ||
	    (rc = acmb_import_plan(run_ctx, &spec, m, &item, err)) != ACMB_OK ||
	    (rc = acmb_plan_item_json(item, &json, err)) != ACMB_OK)
		goto out;
	printf("plan %s: %s\n", src->certificate, json);
	if (strcmp(mode, "saved") == 0 && (rc = acmb_plan_item_parse(json, &saved, err)) != ACMB_OK)
		goto out;
	rc = acmb_import_apply(run_ctx, saved != NULL ? saved : item, &spec, m, arn, err);
out:
	free(json);
	acmb_plan_item_free(saved);
	acmb_plan_item_free(item);
	acmb_import_material_free(m);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct body body;
	struct acmb_init_report rep;
	struct acmb_run_source src;
	struct sigaction sa;
	acmb_err err = {0, ""};
	char *arn = NULL, *report = NULL, url[1024];
	const char *endpoint = getenv("ACMB_ENDPOINT_URL");
	const char *plan_mode = getenv("EMBED_PLAN");
	int i, n = 0, bad = 0, rc;

	if (argc < 6 || (argc - 3) % 3 != 0 || endpoint == NULL) {
		fprintf(stderr, "usage: embed-import CONTROL_URL CA_FILE (CERT KEY CHAIN)...\n");
		return 2;
	}
	/* First, before anything allocates through OpenSSL or jansson. */
	if (acmb_init(&rep, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	printf("init: allocators %s, secure heap %s\n", rep.allocators_wiped ? "wiped" : "PLAIN",
	    rep.secure_heap_locked ? "locked" : "unlocked");
	if (acmb_ctx_new(&run_ctx, &err) != ACMB_OK ||
	    acmb_ctx_set_option(run_ctx, "endpoint-url", endpoint, &err) != ACMB_OK ||
	    acmb_ctx_set_option(run_ctx, "ca-bundle", argv[2][0] != '\0' ? argv[2] : NULL, &err) !=
	        ACMB_OK) {
		fprintf(stderr, "context: %s\n", err.msg);
		return 1;
	}
	if (acmb_ctx_set_option(run_ctx, "colour", "red", &err) != ACMB_E_USAGE) {
		printf("FAIL an unknown option was taken\n");
		bad++;
	} else {
		printf("unknown option refused: %s\n", err.msg);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (i = 3; i + 2 < argc; i += 3) {
		memset(&src, 0, sizeof(src));
		src.certificate = argv[i];
		src.private_key = argv[i + 1];
		src.certificate_chain = argv[i + 2];
		memset(&err, 0, sizeof(err));
		if ((rc = plan_mode != NULL
		              ? import_by_plan(&src, plan_mode, &arn, &err)
		              : acmb_run_import(run_ctx, &src, NULL, &arn, &err)) != ACMB_OK) {
			printf(
			    "FAIL import %s: %s (exit %d)\n", argv[i], err.msg, acmb_exit_code(rc));
			bad++;
			continue;
		}
		printf("imported %s as %s\n", argv[i], arn);
		free(arn);
		arn = NULL;
		n++;
		/* Resolved once: the environment's secret went with the first. */
		printf("after import %d: AWS_SECRET_ACCESS_KEY %s\n", n,
		    getenv("AWS_SECRET_ACCESS_KEY") != NULL ? "still set" : "gone");
	}

	/* The first certificate with the second's key: ACM would refuse it. */
	if (argc >= 9) {
		memset(&src, 0, sizeof(src));
		src.certificate = argv[3];
		src.private_key = argv[7];
		rc = acmb_run_check(run_ctx, &src, &report, &err);
		printf("check of a mismatched pair: exit %d, %s\n", acmb_exit_code(rc),
		    rc == ACMB_E_RULE ? err.msg : "(no rule failed)");
		if (report == NULL || strstr(report, "\"ok\":false") == NULL) {
			printf("FAIL the report does not say ok false\n");
			bad++;
		}
		free(report);
	}
	acmb_ctx_wipe_secrets(run_ctx);
	acmb_ctx_free(run_ctx);
	run_ctx = NULL;

	/* The host's libcurl, after acmbridge's: libcurl's own functions. */
	snprintf(url, sizeof(url), "%s/__control/certificates", argv[1]);
	if (host_get(url, argv[2], &body) != 0) {
		printf("FAIL the host's own libcurl call failed\n");
		bad++;
	} else {
		printf(
		    "host libcurl: %zu bytes of certificate list, %s\n", body.len, curl_version());
	}
	acmb_shutdown();
	printf("%d imported, %d failures\n", n, bad);
	return bad == 0 ? 0 : 1;
}
