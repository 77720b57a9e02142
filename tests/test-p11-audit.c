/* The export audit log and the export policy: records written before the
 * export, outcome after, shared attempt id, no record means no export;
 * policy fields enforced and typos refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bridge/audit.h"
#include "bridge/export-policy.h"
#include "init.h"

static char dir[] = "/tmp/acmb-audit-XXXXXX";

static json_t *
line(const char *path, int n)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	json_t *j = NULL;
	int i;

	assert_non_null(f);
	for (i = 0; i <= n; i++)
		assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	return j;
}

static const char *
field(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

static void
test_begin_then_outcome(void **state)
{
	struct acmb_audit_attempt att = {"tok", "0a1b", "0101", "web", "RSA-2048", "wrapped",
	    "abcd", "default: any extractable key", "eu-west-1/111122223333"};
	struct acmb_audit *a = NULL;
	acmb_err err = {0, ""};
	char path[256], id[17];
	json_t *b, *o;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	assert_int_equal(acmb_audit_open(path, &a, &err), ACMB_OK);
	assert_int_equal(acmb_audit_begin(a, &att, &err), ACMB_OK);
	snprintf(id, sizeof(id), "%s", acmb_audit_attempt_id(a));
	/* The begin line is on disk before the caller goes on to export. */
	b = line(path, 0);
	assert_string_equal(field(b, "event"), "begin");
	assert_string_equal(field(b, "attempt"), id);
	assert_string_equal(field(b, "token_label"), "tok");
	assert_string_equal(field(b, "path"), "wrapped");
	assert_string_equal(field(b, "destination"), "eu-west-1/111122223333");
	assert_non_null(strchr(field(b, "time"), 'T'));
	assert_int_equal(acmb_audit_begin(a, &att, &err), ACMB_E_INTERNAL);
	assert_int_equal(acmb_audit_finish(a, "arn:aws:acm:x", NULL, &err), ACMB_OK);
	o = line(path, 1);
	assert_string_equal(field(o, "event"), "outcome");
	assert_string_equal(field(o, "attempt"), id);
	assert_string_equal(field(o, "result"), "imported");
	assert_string_equal(field(o, "arn"), "arn:aws:acm:x");
	assert_null(acmb_audit_attempt_id(a));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	json_decref(b);
	json_decref(o);
	acmb_audit_close(a);
}

static void
test_abandoned_attempt_recorded(void **state)
{
	struct acmb_audit_attempt att = {0};
	struct acmb_audit *a = NULL;
	acmb_err err = {0, ""};
	char path[256];
	json_t *o;

	(void)state;
	snprintf(path, sizeof(path), "%s/abandoned.log", dir);
	assert_int_equal(acmb_audit_open(path, &a, &err), ACMB_OK);
	assert_int_equal(acmb_audit_begin(a, &att, &err), ACMB_OK);
	acmb_audit_close(a);
	o = line(path, 1);
	assert_string_equal(field(o, "result"), "failed");
	assert_non_null(strstr(field(o, "error"), "abandoned"));
	json_decref(o);
}

static void
test_unwritable_log_refuses(void **state)
{
	struct acmb_audit_attempt att = {0};
	struct acmb_audit *a = NULL;
	acmb_err err = {0, ""};

	(void)state;
	assert_int_equal(acmb_audit_open("/dev/full", &a, &err), ACMB_OK);
	assert_int_not_equal(acmb_audit_begin(a, &att, &err), ACMB_OK);
	assert_non_null(strstr(err.msg, "/dev/full"));
	assert_null(acmb_audit_attempt_id(a));
	acmb_audit_close(a);
	assert_int_equal(acmb_audit_open("/nonexistent-dir/x/audit.log", &a, &err), ACMB_E_IO);
	assert_null(a);
}

static void
test_default_location(void **state)
{
	struct acmb_audit *a = NULL;
	acmb_err err = {0, ""};
	char state_home[256], want[300];
	struct stat st;

	(void)state;
	snprintf(state_home, sizeof(state_home), "%s/state", dir);
	setenv("XDG_STATE_HOME", state_home, 1);
	assert_int_equal(acmb_audit_open(NULL, &a, &err), ACMB_OK);
	snprintf(want, sizeof(want), "%s/acmbridge/audit.log", state_home);
	assert_string_equal(acmb_audit_where(a), want);
	snprintf(want, sizeof(want), "%s/acmbridge", state_home);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	acmb_audit_close(a);
	unsetenv("XDG_STATE_HOME");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_policy(void **state)
{
	struct acmb_export_policy *p = NULL;
	acmb_err err = {0, ""};
	char path[256];
	const unsigned char id[] = {0x01, 0xa2};

	(void)state;
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	write_file(path, "{\"token_serials\":[\"s1\"],\"object_ids\":[\"01A2\"],"
	                 "\"destinations\":[{\"region\":\"eu-west-1\"}]}");
	assert_int_equal(acmb_export_policy_load(path, &p, &err), ACMB_OK);
	assert_string_equal(acmb_export_policy_name(p), path);
	assert_int_equal(
	    acmb_export_policy_check(p, "s1", id, 2, "x", "eu-west-1", "1", &err), ACMB_OK);
	assert_int_equal(
	    acmb_export_policy_check(p, "s2", id, 2, "x", "eu-west-1", "1", &err), ACMB_E_EXPORT);
	assert_non_null(strstr(err.msg, "token_serials"));
	assert_int_equal(
	    acmb_export_policy_check(p, "s1", id, 1, "x", "eu-west-1", "1", &err), ACMB_E_EXPORT);
	assert_non_null(strstr(err.msg, "object_ids"));
	assert_int_equal(
	    acmb_export_policy_check(p, "s1", id, 2, "x", NULL, NULL, &err), ACMB_E_EXPORT);
	assert_non_null(strstr(err.msg, "destinations"));
	acmb_export_policy_free(p);
	assert_string_equal(acmb_export_policy_name(NULL), "default: any extractable key");
	assert_int_equal(
	    acmb_export_policy_check(NULL, NULL, NULL, 0, NULL, NULL, NULL, &err), ACMB_OK);

	write_file(path, "{\"destinations\":[{\"regoin\":\"eu-west-1\"}]}");
	assert_int_equal(acmb_export_policy_load(path, &p, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "regoin"));
	write_file(path, "{\"object_labels\":\"web\"}");
	assert_int_equal(acmb_export_policy_load(path, &p, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "object_labels"));
	write_file(path, "{\"object_labels\":[\"a\"],\"object_labels\":[\"b\"]}");
	assert_int_equal(acmb_export_policy_load(path, &p, &err), ACMB_E_USAGE);
	assert_null(p);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_begin_then_outcome),
	    cmocka_unit_test(test_abandoned_attempt_recorded),
	    cmocka_unit_test(test_unwritable_log_refuses),
	    cmocka_unit_test(test_default_location),
	    cmocka_unit_test(test_policy),
	};
	acmb_err err = {0, ""};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
