/* acmbridge status: rows from inventories and a manifest (src/bridge/status.c)
 * and their renderings (src/cli/status-render.c): order, plan columns,
 * adoption, 80 columns, escaping in HTML and Prometheus, JSON that parses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/status.h"
#include "init.h"
#include "status-render.h"

#define DAY 86400
static const time_t now = 1800000000;

static const char manifest_text[] =
    "version: 1\n"
    "defaults: {destinations: [{region: eu-west-1}], renew-before: 30d}\n"
    "certificates:\n"
    "  - name: internal\n"
    "    private-ca: {certificate-authority-arn: "
    "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', dns-names: "
    "[int.example, adopt.example]}\n";

static void
add(struct acmb_inventory *inv, const char *arn, const char *cn, long days, const char *type,
    const char *managed_by, const char *name)
{
	acmb_err err = {0};
	json_t *r = json_pack("{s:s, s:{s:s, s:{s:s}, s:s, s:I, s:I}, s:{s:{s:s, s:b, s:I}}}",
	    "CertificateArn", arn, "X509Attributes", "SerialNumber", "0a:0b", "Subject",
	    "CommonName", cn, "KeyAlgorithm", "EC_prime256v1", "NotBefore",
	    (json_int_t)(now - 60L * DAY), "NotAfter", (json_int_t)(now + days * DAY),
	    "CertificateMetadata", "AcmCertificateMetadata", "Type", type, "InUse", 1, "ImportedAt",
	    (json_int_t)(now - 10L * DAY));
	json_t *tags =
	    json_pack("[{s:s, s:s}]", "Key", "acmbridge:name", "Value", name ? name : "");

	if (managed_by != NULL)
		json_object_set_new(json_object_get(json_object_get(r, "CertificateMetadata"),
		                        "AcmCertificateMetadata"),
		    "ManagedBy", json_string(managed_by));
	assert_int_equal(acmb_inventory_add_search_result(inv, r, &err), ACMB_OK);
	if (name != NULL)
		assert_int_equal(acmb_inventory_set_tags(inv, inv->n - 1, tags, &err), ACMB_OK);
	else
		inv->certs[inv->n - 1].tags_read = 1;
	json_decref(r);
	json_decref(tags);
}

struct fixture {
	struct acmb_manifest *m;
	struct acmb_inventory eu, us;
	struct acmb_status_row *rows;
	size_t n;
	struct acmb_status_summary sum;
};

static int
setup(void **state)
{
	static struct fixture fx;
	struct acmb_inventory *invs[2];
	acmb_err err = {0};

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.eu.region, sizeof(fx.eu.region), "eu-west-1");
	snprintf(fx.us.region, sizeof(fx.us.region), "us-east-1");
	if (acmb_manifest_parse(
	        manifest_text, strlen(manifest_text), "t.yaml", "/x", 0, &fx.m, &err) != ACMB_OK)
		return -1;
	add(&fx.eu, "arn:aws:acm:eu-west-1:1:certificate/pca", "int.example", 20, "IMPORTED", NULL,
	    "internal");
	add(&fx.eu, "arn:aws:acm:eu-west-1:1:certificate/old", "adopt.example", 200, "IMPORTED",
	    NULL, NULL);
	add(&fx.eu, "arn:aws:acm:eu-west-1:1:certificate/x", "<script>alert(1)</script>.example",
	    -3, "IMPORTED", NULL, "gone\"\n{x}");
	add(&fx.us, "arn:aws:acm:us-east-1:1:certificate/cf", "cdn.example", 50, "AMAZON_ISSUED",
	    "CLOUDFRONT", NULL);
	invs[0] = &fx.eu;
	invs[1] = &fx.us;
	if (acmb_status_rows(invs, 2, fx.m, NULL, now, &fx.rows, &fx.n, &fx.sum, &err) != ACMB_OK)
		return -1;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	free(fx->rows);
	acmb_inventory_clear(&fx->eu);
	acmb_inventory_clear(&fx->us);
	acmb_manifest_free(fx->m);
	return 0;
}

static char *
render(void (*fn)(FILE *, struct fixture *), struct fixture *fx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, fx);
	fclose(f);
	return buf;
}

static void
text_fn(FILE *f, struct fixture *fx)
{
	acmb_status_render_text(f, fx->rows, fx->n, &fx->sum, now, 0);
}

static void
html_fn(FILE *f, struct fixture *fx)
{
	static const char *const regions[] = {"eu-west-1", "us-east-1"};

	acmb_status_render_html(f, fx->rows, fx->n, &fx->sum, regions, 2, now);
}

static void
prom_fn(FILE *f, struct fixture *fx)
{
	static const char *const regions[] = {"eu-west-1", "us-east-1"};

	acmb_status_render_prometheus(f, fx->rows, fx->n, regions, 2, now);
}

static void
json_fn(FILE *f, struct fixture *fx)
{
	assert_int_equal(acmb_status_render_json(f, fx->rows, fx->n, &fx->sum, now), 0);
}

static void
test_rows(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(fx->n, 4);
	/* Sorted by days left: expired first. */
	assert_int_equal(fx->rows[0].days_left, -3);
	assert_int_equal(fx->rows[1].days_left, 20);
	assert_string_equal(fx->rows[1].name, "internal");
	assert_true(fx->rows[1].has_plan);
	assert_int_equal(fx->rows[1].next_action, ACMB_PLAN_RENEW);
	assert_int_equal(fx->rows[0].next_action, ACMB_PLAN_PRUNE);
	assert_int_equal(fx->rows[3].days_left, 200);
	assert_true(fx->rows[3].adoptable);
	assert_string_equal(fx->rows[3].adopt_name, "internal");
	assert_int_equal(fx->sum.certificates, 4);
	assert_int_equal(fx->sum.managed, 2);
	assert_int_equal(fx->sum.expired, 1);
	assert_int_equal(fx->sum.expiring_30d, 1);
	assert_int_equal(fx->sum.adoptable, 1);
	assert_int_equal(fx->sum.imports_last_365d, 3);
}

static void
test_text_fits_80_columns(void **state)
{
	char *out = render(text_fn, *state), *line, *save = NULL;

	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "4 certificates", 14) == 0)
			continue; /* the summary sentence may wrap */
		if (strlen(line) > 80)
			fail_msg("line of %zu columns: %s", strlen(line), line);
		if (strchr(line, '\033') != NULL)
			fail_msg("colour without a terminal: %s", line);
	}
	free(out);
	out = render(text_fn, *state);
	assert_non_null(strstr(out, "renew: expires in 20 d"));
	assert_non_null(strstr(out, "adoptable by internal"));
	assert_non_null(strstr(out, "CLOUDFRONT"));
	free(out);
}

static void
test_html_escapes_and_marks(void **state)
{
	char *out = render(html_fn, *state);
	const char *p;
	size_t marks = 0;

	assert_null(strstr(out, "<script"));
	assert_non_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;.example"));
	assert_non_null(strstr(out, "gone&quot;{x}"));
	for (p = out; (p = strstr(p, "<circle class=\"mark")) != NULL; p++)
		marks++;
	assert_int_equal(marks, 4);
	assert_non_null(strstr(out, "class=\"renew-window\""));
	assert_non_null(strstr(out, "class=\"today\""));
	assert_non_null(strstr(out, "default-src 'none'"));
	free(out);
}

static void
test_prometheus(void **state)
{
	char *out = render(prom_fn, *state);

	assert_non_null(strstr(out, "# TYPE acmbridge_certificate_not_after_seconds gauge"));
	assert_non_null(
	    strstr(out, "acmbridge_certificate_not_after_seconds{name=\"internal\","
	                "region=\"eu-west-1\",arn=\"arn:aws:acm:eu-west-1:1:certificate/"
	                "pca\",managed=\"true\"} 1801728000"));
	/* The quote and newline in a tag value are escaped. */
	assert_non_null(strstr(out, "name=\"gone\\\"\\n{x}\""));
	assert_non_null(strstr(out, "acmbridge_imports_last_365d{region=\"us-east-1\"} 0"));
	assert_non_null(strstr(out, "acmbridge_imports_last_365d{region=\"eu-west-1\"} 3"));
	free(out);
}

static void
test_json(void **state)
{
	char *out = render(json_fn, *state);
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);

	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "Certificates")), 4);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "Summary"), "Expired")), 1);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "Certificates"), 1), "NextAction")),
	    "renew");
	json_decref(j);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_text_fits_80_columns),
	    cmocka_unit_test(test_html_escapes_and_marks),
	    cmocka_unit_test(test_prometheus),
	    cmocka_unit_test(test_json),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
