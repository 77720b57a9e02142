#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acm/acm-probe.h"
#include "acm/aws-http.h"
#include "pkcs11/p11-module.h"
#include "pkcs11/p11-session.h"
#include "secmem.h"

/* SigV4: AWS refuses a request whose X-Amz-Date is more than 5 minutes
 * from its own clock. A minute off already deserves a look. */
#define SKEW_FAIL_SECONDS 300
#define SKEW_WARN_SECONDS 60

/* What the checks share. The AWS checks all read the one probe. */
struct doctor_run {
	const struct acmb_doctor_options *opts;
	struct acmb_doctor_report *rep;
	struct acmb_aws_config *cfg; /* NULL when the configuration did not resolve */
	int curl_ok;
	int probed;   /* the probe was sent */
	int probe_rc; /* its result */
	acmb_err probe_err;
	struct acmb_acm_probe probe;
	int skew_failed; /* the clock check failed: AWS refuses any signature */
};

static void add(struct doctor_run *d, const char *check, enum acmb_doctor_status status,
    const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends one result. fix may be NULL (no fix: it passed, or there is
 * nothing the operator can do). */
static void
add(struct doctor_run *d, const char *check, enum acmb_doctor_status status, const char *fix,
    const char *fmt, ...)
{
	struct acmb_doctor_result *res;
	va_list ap;

	if (d->rep->n >= ACMB_DOCTOR_RESULTS_MAX) {
		d->rep->overflow = 1;
		d->rep->ok = 0;
		return;
	}
	res = &d->rep->results[d->rep->n++];
	snprintf(res->check, sizeof(res->check), "%s", check);
	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	snprintf(res->fix, sizeof(res->fix), "%s", fix != NULL ? fix : "");
	if (status == ACMB_DOCTOR_FAIL)
		d->rep->ok = 0;
}

/* Bytes as "16 MiB" / "64 KiB" for the operator; exact below a KiB. */
static void
size_text(unsigned long long n, char *buf, size_t len)
{
	if (n >= (1ull << 20) && n % (1ull << 20) == 0)
		snprintf(buf, len, "%llu MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, len, "%llu KiB", n >> 10);
	else
		snprintf(buf, len, "%llu bytes", n);
}

/* CAP_IPC_LOCK's bit in the capability sets (linux/capability.h). */
#define CAP_IPC_LOCK_BIT 14

/* From /proc/self/status: VmLck in bytes, what this process has locked now,
 * i.e. whether acmb_init() got the secure heap locked (-1 when unknown), and
 * whether CAP_IPC_LOCK is effective (it lifts RLIMIT_MEMLOCK). */
static long long
locked_bytes(int *ipc_lock)
{
	char line[256];
	long long kib = -1;
	unsigned long long caps;
	FILE *f;

	*ipc_lock = 0;
	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmLck: %lld kB", &kib) == 1)
			continue;
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			*ipc_lock = (caps >> CAP_IPC_LOCK_BIT) & 1u;
	}
	fclose(f);
	return kib < 0 ? -1 : kib * 1024;
}

static void
check_memlock(struct doctor_run *d)
{
	static const char fix[] =
	    "raise RLIMIT_MEMLOCK to at least 32 MiB: LimitMEMLOCK=32M in the systemd "
	    "unit (acmbridge-sync.service has it), 'ulimit -l 32768' in the shell, or a "
	    "'memlock' line in /etc/security/limits.conf";
	struct rlimit rl;
	char need[32], have[32] = "unlimited";
	int ipc_lock;
	long long locked = locked_bytes(&ipc_lock);

	size_text(ACMB_SECURE_HEAP_SIZE, need, sizeof(need));
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		size_text((unsigned long long)rl.rlim_cur, have, sizeof(have));
	if (locked < 0)
		add(d, "memlock", ACMB_DOCTOR_WARN, "run on Linux with /proc mounted",
		    "cannot tell whether the %s secure heap is locked (no VmLck in "
		    "/proc/self/status); RLIMIT_MEMLOCK is %s",
		    need, have);
	else if ((unsigned long long)locked < ACMB_SECURE_HEAP_SIZE)
		add(d, "memlock", ACMB_DOCTOR_FAIL, fix,
		    "the %s secure heap for keys, PINs and AWS secrets is not locked in "
		    "memory (RLIMIT_MEMLOCK is %s): they could be written to swap",
		    need, have);
	else
		add(d, "memlock", ACMB_DOCTOR_PASS, NULL,
		    "the %s secure heap is locked in memory (RLIMIT_MEMLOCK %s%s)", need, have,
		    ipc_lock ? "; CAP_IPC_LOCK lifts it" : "");
}

static void
check_core_dumps(struct doctor_run *d)
{
	struct rlimit rl;
	int core_off = getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0;
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);

	if (core_off && dumpable == 0)
		add(d, "core-dumps", ACMB_DOCTOR_PASS, NULL,
		    "off: RLIMIT_CORE is 0 and the process is not dumpable");
	else
		add(d, "core-dumps", ACMB_DOCTOR_FAIL,
		    "allow setrlimit(RLIMIT_CORE) and prctl(PR_SET_DUMPABLE) to this process "
		    "(a seccomp filter or container policy refused them)",
		    "a crash could write key material to disk: RLIMIT_CORE is %s and the "
		    "process is %s",
		    core_off ? "0" : "not 0", dumpable == 0 ? "not dumpable" : "dumpable");
}

static void
check_libcurl(struct doctor_run *d)
{
	const char *v = acmb_aws_http_curl_version();
	acmb_err err = {0, ""};

	if (v != NULL) {
		d->curl_ok = 1;
		add(d, "libcurl", ACMB_DOCTOR_PASS, NULL, "libcurl %s loads", v);
		return;
	}
	if (acmb_aws_http_require(&err) == ACMB_OK) {
		d->curl_ok = 1;
		add(d, "libcurl", ACMB_DOCTOR_WARN, NULL,
		    "libcurl loads but does not say its version");
		return;
	}
	add(d, "libcurl", ACMB_DOCTOR_FAIL, "apt-get install libcurl4", "%s", err.msg);
}

static void
check_aws_config(struct doctor_run *d)
{
	char what[1024];
	acmb_err err = {0, ""};

	/* Resolving needs libcurl (instance metadata, and the check that AWS
	 * commands can run at all): its own line said why it is missing. */
	if (!d->curl_ok) {
		add(d, "aws-config", ACMB_DOCTOR_WARN, "fix the failures above first",
		    "not checked: libcurl cannot be loaded");
		return;
	}
	if (acmb_aws_config_resolve(d->opts->aws, &acmb_aws_service_acm, &d->cfg, &err) !=
	    ACMB_OK) {
		add(d, "aws-config", ACMB_DOCTOR_FAIL,
		    "give the region (--region, AWS_REGION or the profile's region) and "
		    "credentials (--profile, the AWS_* variables, ~/.aws/credentials, or an "
		    "instance or container role); see docs/aws.md",
		    "%s", err.msg);
		return;
	}
	if (d->opts->debug != NULL)
		acmb_aws_config_set_debug(d->cfg, d->opts->debug, d->opts->debug_ctx);
	add(d, "aws-config", ACMB_DOCTOR_PASS, NULL, "%s",
	    acmb_aws_config_describe(d->cfg, what, sizeof(what)));
}

/* One signed ListCertificates; every AWS check below reads its outcome. */
static void
probe(struct doctor_run *d)
{
	if (d->probed || d->cfg == NULL || !d->curl_ok)
		return;
	d->probed = 1;
	d->probe_rc = acmb_acm_probe_list(d->cfg, &d->probe, &d->probe_err);
}

static int
answered(const struct doctor_run *d)
{
	return d->probed && d->probe.info.http_status != 0;
}

/* A WARN for a check that an earlier failure kept from running. */
static int
not_checked(struct doctor_run *d, const char *check)
{
	if (answered(d))
		return 0;
	add(d, check, ACMB_DOCTOR_WARN, "fix the failures above first", "not checked: %s",
	    !d->curl_ok      ? "libcurl cannot be loaded"
	    : d->cfg == NULL ? "the AWS configuration did not resolve"
	                     : "the endpoint did not answer");
	return 1;
}

static void
check_endpoint(struct doctor_run *d)
{
	const char *url;

	probe(d);
	if (!d->probed) {
		not_checked(d, "endpoint");
		return;
	}
	url = acmb_aws_config_endpoint(d->cfg);
	if (!answered(d)) {
		if (d->probe_rc == ACMB_E_TLS)
			add(d, "endpoint", ACMB_DOCTOR_FAIL,
			    "if the endpoint uses a private CA, give its certificate with "
			    "--ca-bundle or AWS_CA_BUNDLE; else check the system CA store "
			    "(package ca-certificates) and any TLS-intercepting proxy",
			    "%s", d->probe_err.msg);
		else
			add(d, "endpoint", ACMB_DOCTOR_FAIL,
			    "check DNS, the proxy settings (https_proxy, no_proxy) and that the "
			    "firewall lets this host reach the endpoint",
			    "%s", d->probe_err.msg);
		return;
	}
	if (strncasecmp(url, "https://", 8) != 0)
		add(d, "endpoint", ACMB_DOCTOR_WARN, "use an https:// endpoint",
		    "%s answered (HTTP %ld) over plain HTTP: requests and answers are not "
		    "protected on the way",
		    url, d->probe.info.http_status);
	else if (acmb_aws_config_no_verify_ssl(d->cfg))
		add(d, "endpoint", ACMB_DOCTOR_WARN,
		    "drop --no-verify-ssl; give a private CA with --ca-bundle instead",
		    "%s answered (HTTP %ld) over TLS, but its certificate was not verified "
		    "(--no-verify-ssl): anyone on the path could read the private keys sent",
		    url, d->probe.info.http_status);
	else if (acmb_aws_config_ca_bundle(d->cfg) != NULL)
		add(d, "endpoint", ACMB_DOCTOR_PASS, NULL,
		    "%s answered (HTTP %ld) over TLS with a certificate verified by %s", url,
		    d->probe.info.http_status, acmb_aws_config_ca_bundle(d->cfg));
	else
		add(d, "endpoint", ACMB_DOCTOR_PASS, NULL,
		    "%s answered (HTTP %ld) over TLS with a verified certificate", url,
		    d->probe.info.http_status);
}

static void
check_clock(struct doctor_run *d)
{
	static const char fix[] = "synchronise the clock with NTP: timedatectl set-ntp true "
	                          "(systemd-timesyncd), or chrony or ntpsec";
	const struct acmb_aws_call_info *in = &d->probe.info;
	long long skew;
	char when[32];
	struct tm tm;

	if (not_checked(d, "clock"))
		return;
	if (in->server_date == 0) {
		add(d, "clock", ACMB_DOCTOR_WARN, NULL,
		    "not checked: the answer carried no usable Date header");
		return;
	}
	skew = (long long)in->server_date - (long long)in->local_date;
	gmtime_r(&in->server_date, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (llabs(skew) >= SKEW_FAIL_SECONDS) {
		d->skew_failed = 1;
		add(d, "clock", ACMB_DOCTOR_FAIL, fix,
		    "this clock is %lld s %s the endpoint's (its Date: %s): AWS refuses "
		    "SigV4 signatures more than %d s off",
		    llabs(skew), skew > 0 ? "behind" : "ahead of", when, SKEW_FAIL_SECONDS);
	} else if (llabs(skew) >= SKEW_WARN_SECONDS) {
		add(d, "clock", ACMB_DOCTOR_WARN, fix,
		    "this clock is %lld s %s the endpoint's (its Date: %s); AWS refuses "
		    "signatures from %d s on",
		    llabs(skew), skew > 0 ? "behind" : "ahead of", when, SKEW_FAIL_SECONDS);
	} else {
		add(d, "clock", ACMB_DOCTOR_PASS, NULL,
		    "within %lld s of the endpoint's (its Date: %s; SigV4 allows %d s)",
		    llabs(skew), when, SKEW_FAIL_SECONDS);
	}
}

static int
code_is(const struct doctor_run *d, const char *code)
{
	return strcmp(d->probe.info.error_code, code) == 0;
}

static int
refused_credentials(const struct doctor_run *d)
{
	return code_is(d, "UnrecognizedClientException") || code_is(d, "InvalidClientTokenId") ||
	       code_is(d, "InvalidSignatureException") || code_is(d, "SignatureDoesNotMatch") ||
	       code_is(d, "IncompleteSignatureException") ||
	       code_is(d, "MissingAuthenticationTokenException") ||
	       strncmp(d->probe.info.error_code, "ExpiredToken", 12) == 0;
}

static int
access_denied(const struct doctor_run *d)
{
	return strstr(d->probe.info.error_code, "AccessDenied") != NULL ||
	       code_is(d, "UnauthorizedOperation");
}

/*
 * Whether AWS took the credentials, and whose they are. The account comes
 * from a certificate ARN when ListCertificates listed one. STS
 * GetCallerIdentity says it for every account: add it as a check of its own
 * after this one when the STS client is in the tree.
 */
static void
check_credentials(struct doctor_run *d)
{
	const char *key = d->cfg != NULL ? acmb_aws_config_access_key_id(d->cfg) : "";
	char account[96];

	if (not_checked(d, "credentials"))
		return;
	if (d->probe.account[0] != '\0')
		snprintf(account, sizeof(account), "account %s (from a certificate ARN)",
		    d->probe.account);
	else
		snprintf(account, sizeof(account),
		    "the account is not known (no certificate listed to read it from)");
	if (d->probe_rc == ACMB_OK || access_denied(d)) {
		add(d, "credentials", ACMB_DOCTOR_PASS, NULL,
		    "AWS accepted the signature of access key %s from %s; %s", key,
		    acmb_aws_config_credential_source(d->cfg), account);
		return;
	}
	if (!refused_credentials(d)) {
		add(d, "credentials", ACMB_DOCTOR_WARN, NULL,
		    "not judged: ListCertificates failed with %s before the credentials could be "
		    "judged",
		    d->probe.info.error_code[0] != '\0' ? d->probe.info.error_code : "an error");
		return;
	}
	if (d->skew_failed &&
	    (code_is(d, "InvalidSignatureException") || code_is(d, "SignatureDoesNotMatch"))) {
		add(d, "credentials", ACMB_DOCTOR_WARN, "fix the clock first",
		    "not judged: AWS refused the signature for the clock skew (%s)",
		    d->probe.info.error_code);
		return;
	}
	if (code_is(d, "UnrecognizedClientException") || code_is(d, "InvalidClientTokenId"))
		add(d, "credentials", ACMB_DOCTOR_FAIL,
		    "check the access key id, and for temporary (ASIA) keys the session token; "
		    "a key deleted in IAM must be replaced",
		    "AWS does not know access key %s from %s (%s)", key,
		    acmb_aws_config_credential_source(d->cfg), d->probe.info.error_code);
	else if (strncmp(d->probe.info.error_code, "ExpiredToken", 12) == 0)
		add(d, "credentials", ACMB_DOCTOR_FAIL,
		    "refresh the temporary credentials (aws sso login, or the role's source)",
		    "the temporary credentials of access key %s from %s expired (%s)", key,
		    acmb_aws_config_credential_source(d->cfg), d->probe.info.error_code);
	else
		add(d, "credentials", ACMB_DOCTOR_FAIL,
		    "check the secret access key that goes with this access key id",
		    "AWS refused the signature made with access key %s from %s (%s): the secret "
		    "access key is wrong",
		    key, acmb_aws_config_credential_source(d->cfg), d->probe.info.error_code);
}

static void
check_acm_read(struct doctor_run *d)
{
	if (not_checked(d, "acm-read"))
		return;
	if (d->probe_rc == ACMB_OK)
		add(d, "acm-read", ACMB_DOCTOR_PASS, NULL,
		    "ListCertificates is allowed in %s (%zu certificate%s on a one-item page)",
		    acmb_aws_config_region(d->cfg), d->probe.listed,
		    d->probe.listed == 1 ? "" : "s");
	else if (access_denied(d))
		add(d, "acm-read", ACMB_DOCTOR_FAIL,
		    "grant acm:ListCertificates (import also needs acm:ImportCertificate, "
		    "acm:DescribeCertificate, acm:GetCertificate, acm:ListTagsForCertificate, "
		    "acm:AddTagsToCertificate; see docs/aws.md)",
		    "%s", d->probe_err.msg);
	else if (refused_credentials(d))
		add(d, "acm-read", ACMB_DOCTOR_WARN, "fix the failures above first",
		    "not checked: AWS refused the request before judging permissions (%s)",
		    d->probe.info.error_code);
	else
		add(d, "acm-read", ACMB_DOCTOR_FAIL, NULL, "%s", d->probe_err.msg);
}

/* One line for one loaded module: its tokens, or that none is present. */
static void
report_module(struct doctor_run *d, const struct acmb_p11_modules *mods, size_t m,
    const struct acmb_p11_token *toks, size_t n)
{
	char list[ACMB_DOCTOR_DETAIL_MAX] = "", one[160];
	size_t i, count = 0, used = 0;
	int w;

	for (i = 0; i < n; i++) {
		if (toks[i].fn != acmb_p11_modules_fn(mods, m))
			continue;
		count++;
		w = snprintf(one, sizeof(one), "%s'%s' (%s %s, serial %s)", count > 1 ? ", " : "",
		    toks[i].label, toks[i].manufacturer, toks[i].model, toks[i].serial);
		if (w > 0 && used + (size_t)w < sizeof(list) / 2) {
			memcpy(list + used, one, (size_t)w + 1);
			used += (size_t)w;
		}
	}
	/* A module the operator named must show a token; p11-kit's registered
	 * modules (a smart-card driver, SoftHSM) often have none, and fine. */
	if (count == 0 && d->opts->module == NULL)
		add(d, "pkcs11", ACMB_DOCTOR_PASS, NULL,
		    "module %s loads; no token is present (registered with p11-kit, not named "
		    "with --module)",
		    acmb_p11_modules_path(mods, m));
	else if (count == 0)
		add(d, "pkcs11", ACMB_DOCTOR_WARN,
		    "insert or initialise the token (e.g. softhsm2-util --init-token), or check "
		    "the reader and its daemon (pcscd)",
		    "module %s loads; no token is present", acmb_p11_modules_path(mods, m));
	else
		add(d, "pkcs11", ACMB_DOCTOR_PASS, NULL, "module %s loads; %zu token%s: %s",
		    acmb_p11_modules_path(mods, m), count, count == 1 ? "" : "s", list);
}

static void
check_pkcs11(struct doctor_run *d)
{
	struct acmb_p11_modules *mods = NULL;
	struct acmb_p11_token *toks = NULL;
	acmb_err err = {0, ""};
	size_t n = 0, m;

	if (acmb_p11_modules_open(d->opts->module, &mods, &err) != ACMB_OK) {
		if (d->opts->module != NULL)
			add(d, "pkcs11", ACMB_DOCTOR_FAIL,
			    "check the path, that the file is a PKCS#11 module for this "
			    "architecture, and that its own libraries are installed (ldd PATH)",
			    "%s", err.msg);
		else
			add(d, "pkcs11", ACMB_DOCTOR_WARN,
			    "only pkcs11: sources need a module: check one with --module PATH",
			    "%s", err.msg);
		goto out;
	}
	if ((toks = calloc(ACMB_P11_TOKENS_MAX, sizeof(*toks))) == NULL) {
		add(d, "pkcs11", ACMB_DOCTOR_WARN, NULL, "not checked: out of memory");
		goto out;
	}
	if (acmb_p11_tokens_find(mods, NULL, toks, ACMB_P11_TOKENS_MAX, &n, &err) != ACMB_OK) {
		add(d, "pkcs11", ACMB_DOCTOR_FAIL,
		    "check the token's reader or daemon, and the module's own configuration", "%s",
		    err.msg);
		goto out;
	}
	for (m = 0; m < acmb_p11_modules_count(mods); m++)
		report_module(d, mods, m, toks, n);
out:
	free(toks);
	acmb_p11_modules_close(mods);
}

/*
 * The manifest: readable by this user, a regular file, not writable by
 * others (who could point its sources elsewhere). Its entries are judged
 * once `sync` and its parser are in the tree; then each source is opened
 * (never loaded) here.
 */
static void
check_manifest(struct doctor_run *d)
{
	const char *path = d->opts->manifest;
	struct stat st;
	int fd;

	if (path == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		add(d, "manifest", ACMB_DOCTOR_FAIL,
		    "check the path and that this user (the service's user) may read it",
		    "cannot read %s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		add(d, "manifest", ACMB_DOCTOR_FAIL, "give the path of a regular file",
		    "%s is not a regular file", path);
		return;
	}
	close(fd);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		add(d, "manifest", ACMB_DOCTOR_WARN, "chmod go-w the manifest",
		    "%s is writable by its group or by others, who could point its sources "
		    "elsewhere",
		    path);
	else
		add(d, "manifest", ACMB_DOCTOR_WARN, NULL,
		    "%s is readable; its entries and sources are not checked: this build has no "
		    "manifest parser (it comes with `acmbridge sync`)",
		    path);
}

/* In order: the process, then AWS (each check reading what the one before
 * found), then tokens, then the manifest. A new check is one row. */
static void (*const checks[])(struct doctor_run *) = {
    check_memlock,
    check_core_dumps,
    check_libcurl,
    check_aws_config,
    check_endpoint,
    check_clock,
    check_credentials,
    check_acm_read,
    check_pkcs11,
    check_manifest,
};

int
acmb_doctor_run(
    const struct acmb_doctor_options *opts, struct acmb_doctor_report *rep, acmb_err *err)
{
	struct doctor_run d;
	size_t i;

	(void)err;
	memset(rep, 0, sizeof(*rep));
	rep->ok = 1;
	memset(&d, 0, sizeof(d));
	d.opts = opts;
	d.rep = rep;
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		checks[i](&d);
	acmb_aws_config_free(d.cfg);
	return ACMB_OK;
}

const char *
acmb_doctor_status_name(enum acmb_doctor_status s)
{
	switch (s) {
	case ACMB_DOCTOR_PASS:
		return "PASS";
	case ACMB_DOCTOR_WARN:
		return "WARN";
	case ACMB_DOCTOR_FAIL:
		return "FAIL";
	}
	return "FAIL";
}

json_t *
acmb_doctor_report_json(const struct acmb_doctor_report *rep)
{
	json_t *doc = NULL, *list = NULL, *item;
	size_t i;

	if ((list = json_array()) == NULL)
		goto fail;
	for (i = 0; i < rep->n; i++) {
		item = json_pack("{s:s, s:s, s:s, s:s}", "check", rep->results[i].check, "status",
		    acmb_doctor_status_name(rep->results[i].status), "detail",
		    rep->results[i].detail, "fix", rep->results[i].fix);
		if (item == NULL || json_array_append_new(list, item) != 0)
			goto fail;
	}
	doc = json_pack("{s:b, s:O}", "ok", rep->ok, "checks", list);
fail:
	json_decref(list);
	return doc;
}
