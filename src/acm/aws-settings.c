#include "aws-settings.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws-curl.h"

#include "secmem.h"

#define PATH_MAX_LEN 4096
#define PASSWD_BUF 16384

const struct acmb_aws_service acmb_aws_service_acm = {
    .signing_name = "acm",
    .endpoint_host = "acm",
    .env_suffix = "ACM",
    .target_prefix = "CertificateManager",
    .iam_prefix = "acm",
};

const struct acmb_aws_service acmb_aws_service_acm_pca = {
    .signing_name = "acm-pca",
    .endpoint_host = "acm-pca",
    .env_suffix = "ACM_PCA",
    .target_prefix = "ACMPrivateCA",
    .iam_prefix = "acm-pca",
};

const struct acmb_aws_service acmb_aws_service_sts = {
    .signing_name = "sts",
    .endpoint_host = "sts",
    .env_suffix = "STS",
    .target_prefix = NULL,
    .iam_prefix = "sts",
};

/* The SSO portal and OIDC are called unsigned (bearer tokens). */
const struct acmb_aws_service acmb_aws_service_sso = {
    .signing_name = "awsssoportal",
    .endpoint_host = "portal.sso",
    .env_suffix = "SSO",
    .target_prefix = NULL,
    .iam_prefix = "sso",
};

const struct acmb_aws_service acmb_aws_service_sso_oidc = {
    .signing_name = "sso-oauth",
    .endpoint_host = "oidc",
    .env_suffix = "SSO_OIDC",
    .target_prefix = NULL,
    .iam_prefix = "sso-oauth",
};

struct acmb_aws_settings {
	char profile[ACMB_AWS_PROFILE_NAME_MAX];
	int profile_explicit;
	char config_path[PATH_MAX_LEN];
	char credentials_path[PATH_MAX_LEN];
	acmb_aws_ini *config;
	acmb_aws_ini *credentials;
	/* Options, copied: the settings may outlive argv's owner. */
	char *opt_region;
	char *opt_ca_bundle;
	char *opt_sts_endpoint;
	int fips;
	int no_sign_request;
	struct acmb_aws_transport transport;
};

void
acmb_aws_options_init(struct acmb_aws_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = -1;
	o->read_timeout = -1;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
acmb_aws_region_ok(const char *r)
{
	size_t i, n = strlen(r);

	if (n == 0 || n >= ACMB_AWS_REGION_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return 0;
	return 1;
}

int
acmb_aws_default_endpoint(const struct acmb_aws_service *svc, const char *region, int fips,
    char *buf, size_t len, acmb_err *err)
{
	int n;

	if (region == NULL || !acmb_aws_region_ok(region))
		return acmb_error(err, ACMB_E_CONFIG, "region '%s' is not a valid AWS region name",
		    region != NULL ? region : "");
	/* China regions live under their own partition's domain. */
	n = snprintf(buf, len, "https://%s%s.%s.amazonaws.com%s", svc->endpoint_host,
	    fips ? "-fips" : "", region, strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if (n < 0 || (size_t)n >= len)
		return acmb_error(err, ACMB_E_CONFIG, "endpoint URL too long");
	return ACMB_OK;
}

int
acmb_aws_settings_home(char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	const char *home = env("HOME");
	char *pwbuf;
	int n, ok = 0;

	if (home != NULL) {
		n = snprintf(buf, len, "%s", home);
		return n > 0 && (size_t)n < len;
	}
	/* Python's expanduser: without HOME, the password database. */
	if ((pwbuf = malloc(PASSWD_BUF)) == NULL)
		return 0;
	if (getpwuid_r(getuid(), &pw, pwbuf, PASSWD_BUF, &res) == 0 && res != NULL &&
	    pw.pw_dir != NULL && pw.pw_dir[0] != '\0') {
		n = snprintf(buf, len, "%s", pw.pw_dir);
		ok = n > 0 && (size_t)n < len;
	}
	free(pwbuf);
	return ok;
}

/* Expands a leading "~/" as the CLI does. Without a home directory the file
 * simply is not there (buf = ""), as for the CLI under cron or systemd. */
static int
file_path(const char *var, const char *dflt, char *buf, size_t len, acmb_err *err)
{
	const char *v = env(var);
	char home[PATH_MAX_LEN];
	int n;

	if (v == NULL)
		v = dflt;
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		if (!acmb_aws_settings_home(home, sizeof(home))) {
			buf[0] = '\0';
			return ACMB_OK;
		}
		n = snprintf(buf, len, "%s%s", home, v + 1);
	} else {
		n = snprintf(buf, len, "%s", v);
	}
	if (n < 0 || (size_t)n >= len)
		return acmb_error(err, ACMB_E_CONFIG, "%s: path too long", var);
	return ACMB_OK;
}

static int
endpoint_ok(const char *url, const char *what, acmb_err *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	int r = ACMB_E_INTERNAL;

	if ((r = acmb_aws_transport_require(err)) != ACMB_OK)
		return r;
	if ((u = acmb_curl_url()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (strlen(url) > 1024 || acmb_curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    acmb_curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    acmb_curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)) {
		r = acmb_error(
		    err, ACMB_E_CONFIG, "%s '%s' is not an http:// or https:// URL", what, url);
		goto out;
	}
	r = ACMB_OK;
out:
	acmb_curl_free(scheme);
	acmb_curl_free(host);
	acmb_curl_url_cleanup(u);
	return r;
}

static int
dup_opt(const char *v, char **out)
{
	*out = NULL;
	return v == NULL || (*out = strdup(v)) != NULL;
}

static int
resolve_transport(struct acmb_aws_settings *s, const struct acmb_aws_options *o, acmb_err *err)
{
	const char *ca, *v, *from;
	char num[16];
	char *end;
	size_t vlen;
	long n;

	if ((ca = o->ca_bundle) == NULL && (ca = env("AWS_CA_BUNDLE")) == NULL &&
	    acmb_aws_settings_get(s, s->profile, "ca_bundle", &v, &vlen, NULL) && v[0] != '\0')
		ca = v;
	if (ca != NULL) {
		if (access(ca, R_OK) != 0)
			return acmb_error(err, ACMB_E_CONFIG,
			    "CA bundle %s cannot be read "
			    "(--ca-bundle / AWS_CA_BUNDLE)",
			    ca);
		if ((s->opt_ca_bundle = strdup(ca)) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	s->transport.ca_bundle = s->opt_ca_bundle;
	s->transport.no_verify_ssl = o->no_verify_ssl;
	s->transport.connect_timeout =
	    o->connect_timeout >= 0 ? o->connect_timeout : ACMB_AWS_DEFAULT_TIMEOUT;
	s->transport.read_timeout =
	    o->read_timeout >= 0 ? o->read_timeout : ACMB_AWS_DEFAULT_TIMEOUT;
	s->transport.debug_fn = o->debug_fn;
	s->transport.debug_ctx = o->debug_ctx;
	s->transport.cancel = o->cancel;
	s->transport.clock = o->clock;

	s->transport.max_attempts = ACMB_AWS_DEFAULT_MAX_ATTEMPTS;
	if (o->max_attempts > 0) {
		n = o->max_attempts;
		from = "--max-attempts";
	} else if ((v = env("AWS_MAX_ATTEMPTS")) != NULL ||
	           (acmb_aws_settings_get(s, s->profile, "max_attempts", &v, &vlen, NULL) &&
	               strlen(v) < sizeof(num))) {
		from = env("AWS_MAX_ATTEMPTS") != NULL ? "AWS_MAX_ATTEMPTS" : "max_attempts";
		snprintf(num, sizeof(num), "%s", v);
		n = strtol(num, &end, 10);
		if (*end != '\0' || end == num)
			n = -1;
	} else {
		return ACMB_OK;
	}
	if (n < 1 || n > ACMB_AWS_MAX_MAX_ATTEMPTS)
		return acmb_error(err, ACMB_E_CONFIG, "%s must be a number from 1 to %d", from,
		    ACMB_AWS_MAX_MAX_ATTEMPTS);
	s->transport.max_attempts = (int)n;
	return ACMB_OK;
}

int
acmb_aws_settings_new(
    const struct acmb_aws_options *opts, struct acmb_aws_settings **out, acmb_err *err)
{
	struct acmb_aws_options none;
	struct acmb_aws_settings *s = NULL;
	const char *profile, *named_by;
	const char *v;
	size_t n;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if (opts == NULL) {
		acmb_aws_options_init(&none);
		opts = &none;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || !dup_opt(opts->region, &s->opt_region) ||
	    !dup_opt(opts->sts_endpoint_url, &s->opt_sts_endpoint)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	s->fips = opts->fips;
	s->no_sign_request = opts->no_sign_request;
	named_by = "--profile";
	if ((profile = opts->profile) == NULL) {
		named_by = "AWS_PROFILE";
		if ((profile = env("AWS_PROFILE")) == NULL) {
			profile = "default";
			named_by = NULL;
		}
	}
	s->profile_explicit = opts->profile != NULL;
	if (strlen(profile) >= sizeof(s->profile)) {
		r = acmb_error(err, ACMB_E_CONFIG, "profile name is longer than %d characters",
		    ACMB_AWS_PROFILE_NAME_MAX - 1);
		goto out;
	}
	snprintf(s->profile, sizeof(s->profile), "%s", profile);
	if ((r = file_path("AWS_CONFIG_FILE", "~/.aws/config", s->config_path,
	         sizeof(s->config_path), err)) != ACMB_OK ||
	    (r = file_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", s->credentials_path,
	         sizeof(s->credentials_path), err)) != ACMB_OK)
		goto out;
	if ((s->config_path[0] != '\0' &&
	        (r = acmb_aws_ini_load(s->config_path, &s->config, err)) != ACMB_OK) ||
	    (s->credentials_path[0] != '\0' &&
	        (r = acmb_aws_ini_load(s->credentials_path, &s->credentials, err)) != ACMB_OK))
		goto out;
	if (named_by != NULL && !acmb_aws_settings_has_profile(s, profile)) {
		r = acmb_error(err, ACMB_E_CONFIG, "profile '%s' (%s) was not found in %s or %s",
		    profile, named_by,
		    s->config_path[0] != '\0' ? s->config_path : "(no config file)",
		    s->credentials_path[0] != '\0' ? s->credentials_path : "(no credentials file)");
		goto out;
	}
	/* The variable, when set, wins over the profile either way. */
	if (!s->fips &&
	    ((v = env("AWS_USE_FIPS_ENDPOINT")) != NULL ||
	        acmb_aws_settings_get(s, s->profile, "use_fips_endpoint", &v, &n, NULL)))
		s->fips = strcasecmp(v, "true") == 0;
	if ((r = resolve_transport(s, opts, err)) != ACMB_OK)
		goto out;
	*out = s;
	s = NULL;
	r = ACMB_OK;
out:
	acmb_aws_settings_free(s);
	return r;
}

void
acmb_aws_settings_free(struct acmb_aws_settings *s)
{
	if (s == NULL)
		return;
	acmb_aws_ini_free(s->config);
	acmb_aws_ini_free(s->credentials);
	free(s->opt_region);
	free(s->opt_ca_bundle);
	free(s->opt_sts_endpoint);
	free(s);
}

const char *
acmb_aws_settings_profile(const struct acmb_aws_settings *s)
{
	return s->profile;
}

int
acmb_aws_settings_profile_explicit(const struct acmb_aws_settings *s)
{
	return s->profile_explicit;
}

int
acmb_aws_settings_has_profile(const struct acmb_aws_settings *s, const char *profile)
{
	return acmb_aws_ini_has_profile(s->config, ACMB_AWS_INI_CONFIG, profile) ||
	       acmb_aws_ini_has_profile(s->credentials, ACMB_AWS_INI_CREDENTIALS, profile);
}

int
acmb_aws_settings_get(const struct acmb_aws_settings *s, const char *profile, const char *key,
    const char **val, size_t *vlen, const char **from)
{
	if (acmb_aws_ini_get(s->credentials, ACMB_AWS_INI_CREDENTIALS, profile, key, val, vlen)) {
		if (from != NULL)
			*from = s->credentials_path;
		return 1;
	}
	if (acmb_aws_ini_get(s->config, ACMB_AWS_INI_CONFIG, profile, key, val, vlen)) {
		if (from != NULL)
			*from = s->config_path;
		return 1;
	}
	return 0;
}

int
acmb_aws_settings_get_in(const struct acmb_aws_settings *s, enum acmb_aws_ini_style style,
    const char *name, const char *key, const char **val, size_t *vlen)
{
	return acmb_aws_ini_get(style == ACMB_AWS_INI_CREDENTIALS ? s->credentials : s->config,
	    style, name, key, val, vlen);
}

int
acmb_aws_settings_has_sso_session(const struct acmb_aws_settings *s, const char *name)
{
	return acmb_aws_ini_has_profile(s->config, ACMB_AWS_INI_SSO_SESSION, name);
}

const char *
acmb_aws_settings_config_path(const struct acmb_aws_settings *s)
{
	return s->config_path;
}

const char *
acmb_aws_settings_credentials_path(const struct acmb_aws_settings *s)
{
	return s->credentials_path;
}

int
acmb_aws_settings_region(
    const struct acmb_aws_settings *s, const char *want, char *buf, size_t len, acmb_err *err)
{
	const char *region, *from;
	size_t n;

	if ((region = want) != NULL)
		from = "region";
	else if ((region = s->opt_region) != NULL)
		from = "--region";
	else if ((region = env("AWS_REGION")) != NULL)
		from = "AWS_REGION";
	else if ((region = env("AWS_DEFAULT_REGION")) != NULL)
		from = "AWS_DEFAULT_REGION";
	else if (acmb_aws_settings_get(s, s->profile, "region", &region, &n, NULL) && n > 0)
		from = "the profile's region";
	else
		return acmb_error(err, ACMB_E_CONFIG,
		    "no AWS region: pass --region, set "
		    "AWS_REGION or AWS_DEFAULT_REGION, or set region in profile %s",
		    s->profile);
	if (!acmb_aws_region_ok(region))
		return acmb_error(err, ACMB_E_CONFIG, "%s: '%s' is not a valid AWS region name",
		    from, strlen(region) > 64 ? "(too long)" : region);
	if ((size_t)snprintf(buf, len, "%s", region) >= len)
		return acmb_error(err, ACMB_E_CONFIG, "%s: region name too long", from);
	return ACMB_OK;
}

int
acmb_aws_settings_endpoint(const struct acmb_aws_settings *s, const struct acmb_aws_service *svc,
    const char *region, const char *override, char *buf, size_t len, acmb_err *err)
{
	char var[64];
	const char *url, *from;
	int r, n;

	snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", svc->env_suffix);
	if ((url = override) != NULL)
		from = "--endpoint-url";
	else if (svc == &acmb_aws_service_sts && (url = s->opt_sts_endpoint) != NULL)
		from = "the STS endpoint";
	else if ((url = env(var)) != NULL)
		from = var;
	else if ((url = env("AWS_ENDPOINT_URL")) != NULL)
		from = "AWS_ENDPOINT_URL";
	else
		return acmb_aws_default_endpoint(svc, region, s->fips, buf, len, err);
	if ((r = endpoint_ok(url, from, err)) != ACMB_OK)
		return r;
	n = snprintf(buf, len, "%s", url);
	if (n < 0 || (size_t)n >= len)
		return acmb_error(err, ACMB_E_CONFIG, "%s: endpoint URL too long", from);
	return ACMB_OK;
}

int
acmb_aws_settings_no_sign_request(const struct acmb_aws_settings *s)
{
	return s->no_sign_request;
}

const struct acmb_aws_transport *
acmb_aws_settings_transport(const struct acmb_aws_settings *s)
{
	return &s->transport;
}

void
acmb_aws_settings_debug(const struct acmb_aws_settings *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (s->transport.debug_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->transport.debug_fn(s->transport.debug_ctx, line);
}
