/*
 * The credential chain and the per-(profile, role ARN, external id) cache.
 * Offline cases (profile loops, missing or doubled sources, bad
 * credential_source, MFA codes) always run; with the local endpoint (run
 * through tests/aws/test-identity.sh: ACMB_ENDPOINT_URL, STS at the same
 * URL) the cache, the refresh before expiry with a test clock and with
 * real short-lived credentials, the web identity and container token files
 * read again at each refresh, and the MFA prompt at each refresh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "acm/aws-config.h"
#include "acm/aws-curl.h"
#include "acm/aws-http.h"
#include "acm/aws-identity.h"
#include "acm/aws-sts.h"
#include "init.h"

static char tmpdir[256];
static char config_path[300], credentials_path[300], token_path[300];
static const char *endpoint_url;
static time_t clock_offset;

#define ROLE_A "arn:aws:iam::222222222222:role/importer"
#define ROLE_B "arn:aws:iam::333333333333:role/destination"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static time_t
test_clock(void *ctx)
{
	(void)ctx;
	return time(NULL) + clock_offset;
}

static int
reset_env(void **state)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
	    "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL};
	size_t i;

	(void)state;
	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_CONFIG_FILE", config_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
	write_file(config_path, "");
	write_file(credentials_path, "");
	clock_offset = 0;
	return 0;
}

static struct acmb_aws_identities *
identities(const char *profile)
{
	struct acmb_aws_identities *ids = NULL;
	struct acmb_aws_options o;
	acmb_err err = {0};

	acmb_aws_options_init(&o);
	o.profile = profile;
	if (acmb_aws_identities_new(&o, &ids, &err) != ACMB_OK)
		fail_msg("identities: %s", err.msg);
	acmb_aws_identities_set_clock(ids, test_clock, NULL);
	return ids;
}

/* Resolves key expecting failure rc; the message must contain want. */
static void
expect_failure(const char *profile, int rc, const char *want)
{
	struct acmb_aws_identities *ids = identities(profile);
	struct acmb_aws_credentials c;
	acmb_err err = {0};

	memset(&c, 0, sizeof(c));
	assert_int_equal(acmb_aws_identities_get(ids, NULL, "us-east-1", &c, &err), rc);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' not in '%s'", want, err.msg);
	assert_null(c.access_key_id);
	acmb_aws_identities_free(ids);
}

static const char base_credentials[] = "[base]\naws_access_key_id = AKIAACMBRIDGETEST01\n"
                                       "aws_secret_access_key = acmbridge+test/"
                                       "Secret0123456789abcdefGHIJKL\n";

/* --- offline: the chain's configuration rules, as botocore's --- */

static void
test_profile_loops(void **state)
{
	(void)state;
	write_file(config_path, "[profile a]\nrole_arn = " ROLE_A "\nsource_profile = b\n"
	                        "[profile b]\nrole_arn = " ROLE_B "\nsource_profile = c\n"
	                        "[profile c]\nrole_arn = " ROLE_A "\nsource_profile = a\n"
	                        "[profile self]\nrole_arn = " ROLE_A "\nsource_profile = self\n");
	expect_failure("a", ACMB_E_CONFIG,
	    "infinite loop in the source_profile chain: profile a was already visited "
	    "(a -> b -> c -> a)");
	/* Naming itself without static keys is a loop too. */
	expect_failure("self", ACMB_E_CONFIG, "profile self was already visited");
}

static void
test_source_configuration_errors(void **state)
{
	(void)state;
	write_file(credentials_path, base_credentials);
	write_file(config_path,
	    "[profile missing]\nrole_arn = " ROLE_A "\nsource_profile = nosuch\n"
	    "[profile none]\nrole_arn = " ROLE_A "\n"
	    "[profile both]\nrole_arn = " ROLE_A "\nsource_profile = base\n"
	    "credential_source = Environment\n"
	    "[profile badsource]\nrole_arn = " ROLE_A "\ncredential_source = Laptop\n"
	    "[profile empty]\nregion = us-east-1\n"
	    "[profile fromempty]\nrole_arn = " ROLE_A "\nsource_profile = empty\n"
	    "[profile envsource]\nrole_arn = " ROLE_A "\ncredential_source = Environment\n"
	    "[profile webnoarn]\nweb_identity_token_file = /nonexistent\n");
	expect_failure("missing", ACMB_E_CONFIG,
	    "the source_profile \"nosuch\" referenced in the profile \"missing\" does not exist");
	expect_failure("none", ACMB_E_CONFIG,
	    "profile none has role_arn but neither source_profile nor credential_source");
	expect_failure("both", ACMB_E_CONFIG,
	    "the profile \"both\" contains both source_profile and credential_source");
	expect_failure("badsource", ACMB_E_CONFIG,
	    "the credential source \"Laptop\" referenced in profile \"badsource\" is not valid");
	expect_failure(
	    "fromempty", ACMB_E_CONFIG, "the source profile \"empty\" must have credentials");
	expect_failure("envsource", ACMB_E_CONFIG,
	    "no credentials found in credential_source Environment referenced in profile "
	    "envsource");
	expect_failure("webnoarn", ACMB_E_CONFIG,
	    "web identity (web_identity_token_file) has no "
	    "role ARN");
}

/* The MFA prompt of the tests: answers code and counts the questions. */
struct mfa_answer {
	const char *code;
	int calls;
};

static int
fixed_code(void *ctx, const char *profile, const char *serial, acmb_secbuf *code, acmb_err *err)
{
	struct mfa_answer *a = ctx;

	(void)err;
	assert_string_equal(profile, "mfa");
	assert_string_equal(serial, "arn:aws:iam::123456789012:mfa/operator");
	/* The code arrives in the secure heap. */
	assert_true(CRYPTO_secure_allocated(acmb_secbuf_ptr(code)) || acmb_secbuf_len(code) == 0);
	a->calls++;
	return acmb_secbuf_put(code, a->code, strlen(a->code));
}

static void
test_mfa_code_must_be_six_digits(void **state)
{
	struct acmb_aws_identities *ids;
	struct acmb_aws_credentials c;
	acmb_err err = {0};
	struct mfa_answer ctx = {"12345", 0};

	(void)state;
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile mfa]\nrole_arn = " ROLE_A "\nsource_profile = base\n"
	                        "mfa_serial = arn:aws:iam::123456789012:mfa/operator\n");
	memset(&c, 0, sizeof(c));
	ids = identities("mfa");
	acmb_aws_identities_set_mfa_prompt(ids, fixed_code, &ctx);
	/* No STS call is made with a malformed code. */
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1", 1);
	assert_int_equal(acmb_aws_identities_get(ids, NULL, "us-east-1", &c, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "must be 6 digits"));
	unsetenv("AWS_ENDPOINT_URL_STS");
	acmb_aws_identities_free(ids);
}

/* --- online --- */

static size_t
collect(char *p, size_t size, size_t nmemb, void *user)
{
	acmb_secbuf *b = user;

	return acmb_secbuf_put(b, p, size * nmemb) == ACMB_OK ? size * nmemb : 0;
}

static json_t *
control(const char *method, const char *path, const char *body)
{
	acmb_secbuf *b = acmb_secbuf_new(8 << 20);
	char url[512];
	CURL *h = acmb_curl_easy_init();
	json_error_t jerr;
	json_t *j;

	assert_non_null(b);
	assert_non_null(h);
	snprintf(url, sizeof(url), "%s%s", endpoint_url, path);
	acmb_curl_easy_setopt(h, CURLOPT_URL, url);
	acmb_curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	acmb_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	acmb_curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (body != NULL || strcmp(method, "POST") == 0)
		acmb_curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	assert_int_equal(acmb_curl_easy_perform(h), CURLE_OK);
	acmb_curl_easy_cleanup(h);
	j = json_loadb(acmb_secbuf_str(b), acmb_secbuf_len(b), 0, &jerr);
	acmb_secbuf_free(b);
	assert_non_null(j);
	return j;
}

/* STS sessions the endpoint handed out, optionally of one action. */
static json_t *
sessions(void)
{
	json_t *j = control("GET", "/__control/sts", NULL), *s = json_object_get(j, "sessions");

	json_incref(s);
	json_decref(j);
	return s;
}

static const char *
session_field(json_t *list, size_t i, const char *field)
{
	return json_string_value(json_object_get(json_array_get(list, i), field));
}

static int
online(void **state)
{
	(void)state;
	reset_env(state);
	if (endpoint_url == NULL)
		return 0; /* each online test skips */
	setenv("AWS_ENDPOINT_URL_STS", endpoint_url, 1);
	json_decref(control("POST", "/__control/reset", NULL));
	json_decref(control("POST", "/__control/sts", "{\"credential_lifetime\": null}"));
	return 0;
}

/* One signed ACM call (ListCertificates) with cfg's credentials. */
static int
acm_list(const struct acmb_aws_config *cfg, struct acmb_aws_call_info *info, acmb_err *err)
{
	acmb_secbuf *body = acmb_secbuf_new(16);
	json_t *res = NULL;
	int r;

	assert_non_null(body);
	assert_int_equal(acmb_secbuf_put(body, "{}", 2), ACMB_OK);
	r = acmb_aws_call(cfg, "ListCertificates", body, 0, &res, info, err);
	json_decref(res);
	acmb_secbuf_free(body);
	return r;
}

static void
get_ok(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *k,
    struct acmb_aws_credentials *c)
{
	acmb_err err = {0};

	if (acmb_aws_identities_get(ids, k, "us-east-1", c, &err) != ACMB_OK)
		fail_msg("get: %s", err.msg);
}

/* Each (profile, role ARN, external id) is resolved once. */
static void
test_cache_resolves_each_key_once(void **state)
{
	struct acmb_aws_identity_key dest = {NULL, ROLE_B, NULL},
	                             dest_ext = {NULL, ROLE_B, "tenant-7"};
	struct acmb_aws_identities *ids;
	struct acmb_aws_credentials c;
	json_t *s;
	char first[64];

	(void)state;
	if (endpoint_url == NULL)
		skip();
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile prod]\nrole_arn = " ROLE_A "\nsource_profile = base\n");
	memset(&c, 0, sizeof(c));
	ids = identities("prod");
	get_ok(ids, NULL, &c);
	snprintf(first, sizeof(first), "%s", c.access_key_id);
	assert_true(CRYPTO_secure_allocated(c.secret_access_key));
	assert_true(CRYPTO_secure_allocated(c.session_token));
	assert_non_null(strstr(c.source, "assume-role " ROLE_A " (profile prod"));
	get_ok(ids, NULL, &c);
	assert_string_equal(c.access_key_id, first);
	assert_int_equal(acmb_aws_identities_fetches(ids), 1);
	/* A destination role, assumed from the run's identity. */
	get_ok(ids, &dest, &c);
	get_ok(ids, &dest, &c);
	assert_int_equal(acmb_aws_identities_fetches(ids), 2);
	assert_non_null(strstr(c.source, "assume-role " ROLE_B " (session acmbridge-"));
	/* Another external id is another credential set. */
	get_ok(ids, &dest_ext, &c);
	assert_int_equal(acmb_aws_identities_fetches(ids), 3);
	s = sessions();
	assert_int_equal(json_array_size(s), 3);
	/* The destination roles were assumed with the role-A session. */
	assert_string_equal(session_field(s, 1, "source_access_key_id"), first);
	assert_string_equal(session_field(s, 2, "source_access_key_id"), first);
	assert_true(json_is_true(json_object_get(json_array_get(s, 2), "external_id")));
	assert_false(json_is_true(json_object_get(json_array_get(s, 1), "external_id")));
	json_decref(s);
	acmb_aws_credentials_clear(&c);
	acmb_aws_identities_free(ids);
}

/* A long run (a sync lasting most of an hour) with a test clock: the
 * one-hour session is fetched again before it lapses, not at every use. */
static void
test_refresh_before_expiry_with_test_clock(void **state)
{
	struct acmb_aws_identities *ids;
	struct acmb_aws_config *cfg = NULL;
	struct acmb_aws_credentials c;
	acmb_err err = {0};
	char first[64];

	(void)state;
	if (endpoint_url == NULL)
		skip();
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile prod]\nrole_arn = " ROLE_A "\nsource_profile = base\n");
	memset(&c, 0, sizeof(c));
	ids = identities("prod");
	get_ok(ids, NULL, &c);
	snprintf(first, sizeof(first), "%s", c.access_key_id);
	clock_offset = 40 * 60; /* 20 minutes left: no refresh */
	get_ok(ids, NULL, &c);
	assert_string_equal(c.access_key_id, first);
	assert_int_equal(acmb_aws_identities_fetches(ids), 1);
	clock_offset = 50 * 60; /* 10 minutes left: refreshed */
	get_ok(ids, NULL, &c);
	assert_string_not_equal(c.access_key_id, first);
	assert_int_equal(acmb_aws_identities_fetches(ids), 2);
	/* The refreshed credentials work against ACM. */
	if (acmb_aws_config_new(ids, NULL, &acmb_aws_service_acm, NULL, endpoint_url, &cfg, &err) !=
	    ACMB_OK)
		fail_msg("config_for: %s", err.msg);
	assert_int_equal(acmb_aws_identities_fetches(ids), 2);
	if (acm_list(cfg, NULL, &err) != ACMB_OK)
		fail_msg("list: %s", err.msg);
	acmb_aws_config_free(cfg);
	acmb_aws_credentials_clear(&c);
	acmb_aws_identities_free(ids);
}

/* A configuration made once for a long run (a sync keeps one per
 * destination): each call refreshes its credentials when they are about to
 * expire, without the caller asking. */
static void
test_configuration_refreshed_before_a_call(void **state)
{
	struct acmb_aws_identity_key dest = {NULL, ROLE_B, NULL};
	struct acmb_aws_identities *ids;
	struct acmb_aws_config *cfg = NULL, *derived = NULL;
	struct acmb_aws_options o;
	acmb_err err = {0};
	char first[64];

	(void)state;
	if (endpoint_url == NULL)
		skip();
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile prod]\nrole_arn = " ROLE_A "\nsource_profile = base\n");
	ids = identities("prod");
	if (acmb_aws_config_new(
	        ids, &dest, &acmb_aws_service_acm, NULL, endpoint_url, &cfg, &err) != ACMB_OK)
		fail_msg("config_for: %s", err.msg);
	acmb_aws_options_init(&o);
	o.region = "eu-west-1";
	o.endpoint_url = endpoint_url;
	if (acmb_aws_config_derive(cfg, &o, &acmb_aws_service_acm, &derived, &err) != ACMB_OK)
		fail_msg("derive: %s", err.msg);
	snprintf(first, sizeof(first), "%s", acmb_aws_config_access_key_id(cfg));
	assert_int_equal(acmb_aws_identities_fetches(ids), 2); /* role A, then B */
	assert_int_equal(acm_list(cfg, NULL, &err), ACMB_OK);
	assert_int_equal(acmb_aws_identities_fetches(ids), 2);
	clock_offset = 50 * 60;
	if (acm_list(cfg, NULL, &err) != ACMB_OK)
		fail_msg("list after the clock moved: %s", err.msg);
	/* B was fetched again (and A, its source, first). */
	assert_int_equal(acmb_aws_identities_fetches(ids), 4);
	assert_string_not_equal(acmb_aws_config_access_key_id(cfg), first);
	/* A configuration derived for another region follows the same set. */
	if (acm_list(derived, NULL, &err) != ACMB_OK)
		fail_msg("list in the derived region: %s", err.msg);
	assert_int_equal(acmb_aws_identities_fetches(ids), 4);
	assert_string_equal(
	    acmb_aws_config_access_key_id(derived), acmb_aws_config_access_key_id(cfg));
	acmb_aws_config_free(derived);
	acmb_aws_config_free(cfg);
	acmb_aws_identities_free(ids);
}

/* Real short-lived credentials (the endpoint hands out 4-second sessions
 * and refuses them after): a run that outlives them keeps working with the
 * same configuration, which fetches new ones before the call; the old ones
 * are refused by then. */
static void
test_credentials_expiring_mid_run_are_refreshed(void **state)
{
	struct acmb_aws_identities *ids;
	struct acmb_aws_config *cfg = NULL;
	struct acmb_aws_credentials old;
	struct acmb_aws_caller_identity who;
	struct acmb_aws_sts_target t;
	struct acmb_aws_transport tr;
	acmb_err err = {0};

	(void)state;
	if (endpoint_url == NULL)
		skip();
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile prod]\nrole_arn = " ROLE_A "\nsource_profile = base\n");
	json_decref(control("POST", "/__control/sts", "{\"credential_lifetime\": 4}"));
	memset(&old, 0, sizeof(old));
	ids = identities("prod");
	acmb_aws_identities_set_clock(ids, NULL, NULL); /* the real clock */
	if (acmb_aws_config_new(ids, NULL, &acmb_aws_service_acm, NULL, endpoint_url, &cfg, &err) !=
	    ACMB_OK)
		fail_msg("config_for: %s", err.msg);
	assert_int_equal(acm_list(cfg, NULL, &err), ACMB_OK);
	assert_int_equal(
	    acmb_aws_credentials_copy(&old, acmb_aws_config_credentials(cfg), &err), ACMB_OK);
	sleep(5);
	if (acm_list(cfg, NULL, &err) != ACMB_OK)
		fail_msg("list after the credentials expired: %s", err.msg);
	assert_int_equal(acmb_aws_identities_fetches(ids), 2);
	assert_string_not_equal(acmb_aws_config_access_key_id(cfg), old.access_key_id);
	/* The old set is refused now: the refresh was needed. */
	acmb_aws_config_transport(cfg, &tr);
	t.endpoint = endpoint_url;
	t.region = "us-east-1";
	t.transport = &tr;
	assert_int_equal(acmb_aws_sts_get_caller_identity(&t, &old, &who, &err), ACMB_E_AWS);
	assert_non_null(strstr(err.msg, "ExpiredTokenException"));
	acmb_aws_credentials_clear(&old);
	acmb_aws_config_free(cfg);
	acmb_aws_identities_free(ids);
}

/* A refresh that fails while the credentials are still good for a while
 * keeps them (botocore's advisory window); once they are about to lapse
 * the failure is the caller's. */
static void
test_failed_refresh_keeps_valid_credentials(void **state)
{
	struct acmb_aws_identities *ids;
	struct acmb_aws_credentials c;
	acmb_err err = {0};
	char first[64];

	(void)state;
	if (endpoint_url == NULL)
		skip();
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile prod]\nrole_arn = " ROLE_A "\nsource_profile = base\n");
	memset(&c, 0, sizeof(c));
	ids = identities("prod");
	get_ok(ids, NULL, &c);
	snprintf(first, sizeof(first), "%s", c.access_key_id);
	json_decref(control("POST", "/__control/faults",
	    "{\"operation\": \"AssumeRole\", \"fault\": \"throttle\", \"times\": 100}"));
	setenv("ACMB_TEST_NO_BACKOFF", "1", 1);
	clock_offset = 50 * 60;
	get_ok(ids, NULL, &c);
	assert_string_equal(c.access_key_id, first);
	clock_offset = 59 * 60 + 30; /* 30 s left */
	assert_int_equal(acmb_aws_identities_get(ids, NULL, "us-east-1", &c, &err), ACMB_E_AWS);
	assert_non_null(strstr(err.msg, "Throttling"));
	json_decref(control("DELETE", "/__control/faults", NULL));
	unsetenv("ACMB_TEST_NO_BACKOFF");
	acmb_aws_credentials_clear(&c);
	acmb_aws_identities_free(ids);
}

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* A JWT-shaped token expiring at exp, for the endpoint's STS. */
static void
make_token(char *buf, size_t len, long long exp, const char *sub)
{
	char payload[256];
	unsigned char b64[512];
	int n;

	snprintf(payload, sizeof(payload),
	    "{\"sub\":\"%s\",\"aud\":\"sts.amazonaws.com\",\"exp\":%lld}", sub, exp);
	n = EVP_EncodeBlock(b64, (unsigned char *)payload, (int)strlen(payload));
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	for (int i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	snprintf(buf, len, "eyJhbGciOiJSUzI1NiJ9.%s.c2lnbmF0dXJl", b64);
}

/* Kubernetes rotates the projected token: each refresh reads the file
 * again. */
static void
test_web_identity_token_read_at_each_refresh(void **state)
{
	struct acmb_aws_identities *ids;
	struct acmb_aws_credentials c;
	char t1[600], t2[600], h1[65], h2[65], conf[800];
	json_t *s;

	(void)state;
	if (endpoint_url == NULL)
		skip();
	make_token(t1, sizeof(t1), (long long)time(NULL) + 7200, "system:serviceaccount:ns:sa1");
	make_token(t2, sizeof(t2), (long long)time(NULL) + 7200, "system:serviceaccount:ns:sa2");
	write_file(token_path, t1);
	snprintf(conf, sizeof(conf),
	    "[profile web]\nrole_arn = %s\nweb_identity_token_file = %s\nrole_session_name = "
	    "pod-1\n",
	    ROLE_B, token_path);
	write_file(config_path, conf);
	memset(&c, 0, sizeof(c));
	ids = identities("web");
	get_ok(ids, NULL, &c);
	assert_non_null(strstr(c.source, "assume-role-with-web-identity " ROLE_B));
	write_file(token_path, t2);
	clock_offset = 50 * 60;
	get_ok(ids, NULL, &c);
	s = sessions();
	assert_int_equal(json_array_size(s), 2);
	sha256_hex(t1, h1);
	sha256_hex(t2, h2);
	assert_string_equal(session_field(s, 0, "token_sha256"), h1);
	assert_string_equal(session_field(s, 1, "token_sha256"), h2);
	assert_string_equal(session_field(s, 1, "session_name"), "pod-1");
	assert_string_equal(session_field(s, 1, "action"), "AssumeRoleWithWebIdentity");
	json_decref(s);
	acmb_aws_credentials_clear(&c);
	acmb_aws_identities_free(ids);
}

/* EKS Pod Identity: the container endpoint's token file is read at every
 * fetch (the metadata stand-in reads the same file, so only the current
 * token is accepted). */
static void
test_container_token_file_read_at_each_refresh(void **state)
{
	const char *url = getenv("ACMB_TEST_CONTAINER_FILE_URL");
	const char *file = getenv("ACMB_TEST_CONTAINER_TOKEN_FILE");
	struct acmb_aws_identities *ids;
	struct acmb_aws_credentials c;
	acmb_err err = {0};

	(void)state;
	if (endpoint_url == NULL)
		skip();
	if (url == NULL || file == NULL)
		skip();
	write_file(file, "pod-identity-token-one");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file, 1);
	memset(&c, 0, sizeof(c));
	ids = identities(NULL);
	get_ok(ids, NULL, &c);
	assert_non_null(strstr(c.source, "container credentials endpoint"));
	/* Rotated: the next fetch must send the new token or be refused. */
	write_file(file, "pod-identity-token-two");
	clock_offset = 6 * 3600 - 5 * 60;
	if (acmb_aws_identities_get(ids, NULL, "us-east-1", &c, &err) != ACMB_OK)
		fail_msg("refresh with the rotated token: %s", err.msg);
	assert_int_equal(acmb_aws_identities_fetches(ids), 2);
	acmb_aws_credentials_clear(&c);
	acmb_aws_identities_free(ids);
}

/* MFA: the code is asked for at the first fetch and again at each refresh
 * (botocore refuses to refresh; acmbridge asks again). */
static void
test_mfa_asked_at_each_fetch(void **state)
{
	struct acmb_aws_identities *ids;
	struct acmb_aws_credentials c;
	acmb_err err = {0};
	struct mfa_answer ctx = {"123456", 0};

	(void)state;
	if (endpoint_url == NULL)
		skip();
	write_file(credentials_path, base_credentials);
	write_file(config_path, "[profile mfa]\nrole_arn = " ROLE_A "\nsource_profile = base\n"
	                        "mfa_serial = arn:aws:iam::123456789012:mfa/operator\n");
	json_decref(control("POST", "/__control/sts",
	    "{\"roles\": {\"" ROLE_A "\": {\"mfa_serial\": "
	    "\"arn:aws:iam::123456789012:mfa/operator\", \"mfa_code\": \"123456\"}}}"));
	memset(&c, 0, sizeof(c));
	ids = identities("mfa");
	acmb_aws_identities_set_mfa_prompt(ids, fixed_code, &ctx);
	get_ok(ids, NULL, &c);
	assert_int_equal(ctx.calls, 1);
	get_ok(ids, NULL, &c);
	assert_int_equal(ctx.calls, 1);
	clock_offset = 50 * 60;
	get_ok(ids, NULL, &c);
	assert_int_equal(ctx.calls, 2);
	acmb_aws_identities_free(ids);

	/* A wrong code: STS says no (exit 5). */
	ctx.code = "000000";
	ids = identities("mfa");
	acmb_aws_identities_set_mfa_prompt(ids, fixed_code, &ctx);
	assert_int_equal(acmb_aws_identities_get(ids, NULL, "us-east-1", &c, &err), ACMB_E_AWS);
	assert_non_null(strstr(err.msg, "MultiFactorAuthentication failed"));
	json_decref(control("POST", "/__control/sts", "{\"roles\": {\"" ROLE_A "\": {}}}"));
	acmb_aws_credentials_clear(&c);
	acmb_aws_identities_free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_profile_loops, reset_env),
	    cmocka_unit_test_setup(test_source_configuration_errors, reset_env),
	    cmocka_unit_test_setup(test_mfa_code_must_be_six_digits, reset_env),
	    cmocka_unit_test_setup(test_cache_resolves_each_key_once, online),
	    cmocka_unit_test_setup(test_refresh_before_expiry_with_test_clock, online),
	    cmocka_unit_test_setup(test_configuration_refreshed_before_a_call, online),
	    cmocka_unit_test_setup(test_credentials_expiring_mid_run_are_refreshed, online),
	    cmocka_unit_test_setup(test_failed_refresh_keeps_valid_credentials, online),
	    cmocka_unit_test_setup(test_web_identity_token_read_at_each_refresh, online),
	    cmocka_unit_test_setup(test_container_token_file_read_at_each_refresh, online),
	    cmocka_unit_test_setup(test_mfa_asked_at_each_fetch, online),
	};
	acmb_err err = {0};
	char cmd[300];
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	endpoint_url = getenv("ACMB_ENDPOINT_URL");
	snprintf(tmpdir, sizeof(tmpdir), "%s/acmb-aws-identity-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(config_path, sizeof(config_path), "%s/config", tmpdir);
	snprintf(credentials_path, sizeof(credentials_path), "%s/credentials", tmpdir);
	snprintf(token_path, sizeof(token_path), "%s/token", tmpdir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc != 0 ? rc : 1;
	acmb_shutdown();
	return rc;
}
