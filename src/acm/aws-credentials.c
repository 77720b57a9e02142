#include "aws-credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws-curl.h"
#include <jansson.h>

#include "aws-transport.h"

#define CONTAINER_HOST "169.254.170.2"
#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TOKEN_TTL "21600"
#define TOKEN_FILE_MAX 16384

void
acmb_aws_credentials_clear(struct acmb_aws_credentials *c)
{
	if (c == NULL)
		return;
	free(c->access_key_id);
	acmb_secstr_free(c->secret_access_key);
	acmb_secstr_free(c->session_token);
	memset(c, 0, sizeof(*c));
}

/* Header values must not be able to smuggle in another header. */
static int
field_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > ACMB_AWS_CRED_FIELD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int
acmb_aws_credentials_set(struct acmb_aws_credentials *c, const char *key_id, size_t key_id_len,
    const char *secret, size_t secret_len, const char *token, size_t token_len, const char *what,
    acmb_err *err)
{
	struct acmb_aws_credentials n;
	int r = ACMB_E_INTERNAL;

	memset(&n, 0, sizeof(n));
	if (key_id == NULL || !field_ok(key_id, key_id_len)) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "%s: the access key id is missing, empty "
		    "or malformed",
		    what);
		goto out;
	}
	if (secret == NULL || !field_ok(secret, secret_len)) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "%s: the secret access key is missing, "
		    "empty or malformed",
		    what);
		goto out;
	}
	if (token != NULL && token_len > 0 && !field_ok(token, token_len)) {
		r = acmb_error(err, ACMB_E_CONFIG, "%s: the session token is malformed", what);
		goto out;
	}
	if ((n.access_key_id = strndup(key_id, key_id_len)) == NULL ||
	    (n.secret_access_key = acmb_secstr_dup(secret, secret_len)) == NULL ||
	    (token != NULL && token_len > 0 &&
	        (n.session_token = acmb_secstr_dup(token, token_len)) == NULL)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory for credentials");
		goto out;
	}
	snprintf(n.source, sizeof(n.source), "%s", what);
	acmb_aws_credentials_clear(c);
	*c = n;
	memset(&n, 0, sizeof(n));
	r = ACMB_OK;
out:
	acmb_aws_credentials_clear(&n);
	return r;
}

int
acmb_aws_credentials_copy(
    struct acmb_aws_credentials *dst, const struct acmb_aws_credentials *src, acmb_err *err)
{
	int r;

	if ((r = acmb_aws_credentials_set(dst, src->access_key_id, strlen(src->access_key_id),
	         src->secret_access_key, strlen(src->secret_access_key), src->session_token,
	         src->session_token != NULL ? strlen(src->session_token) : 0, src->source, err)) !=
	    ACMB_OK)
		return r;
	dst->expiration = src->expiration;
	return ACMB_OK;
}

int
acmb_aws_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	const char *p;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && strcmp(p, "UTC") != 0)
		return -1;
	if ((v = timegm(&tm)) == (time_t)-1)
		return -1;
	*t = v;
	return 0;
}

static const char *
json_str(json_t *o, const char *name, size_t *len)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL || !json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

/*
 * Fills c from a credentials JSON document (credential_process, container
 * endpoint and IMDS share the field names except the token's). jansson
 * keeps its own copies of the strings while parsing; they live in its heap,
 * which acmb_init() made the wiping allocator, and are freed right here.
 */
static int
credentials_from_json(const acmb_secbuf *doc, const char *token_field, const char *what,
    struct acmb_aws_credentials *c, acmb_err *err)
{
	json_t *j = NULL;
	json_error_t jerr;
	const char *id, *secret, *token, *exp;
	size_t idn = 0, secretn = 0, tokenn = 0, expn = 0;
	time_t expiration = 0;
	int r = ACMB_E_INTERNAL;

	if ((j = json_loadb(acmb_secbuf_str(doc), acmb_secbuf_len(doc), 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		r = acmb_error(err, ACMB_E_CONFIG, "%s: the answer is not a JSON object", what);
		goto out;
	}
	id = json_str(j, "AccessKeyId", &idn);
	secret = json_str(j, "SecretAccessKey", &secretn);
	token = json_str(j, token_field, &tokenn);
	if ((exp = json_str(j, "Expiration", &expn)) != NULL) {
		if (acmb_aws_parse_time(exp, &expiration) != 0) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "%s: Expiration is not an ISO 8601 "
			    "UTC time",
			    what);
			goto out;
		}
		if (expiration <= time(NULL)) {
			r = acmb_error(
			    err, ACMB_E_CONFIG, "%s: the credentials expired at %s", what, exp);
			goto out;
		}
	}
	if ((r = acmb_aws_credentials_set(c, id, idn, secret, secretn, token, tokenn, what, err)) !=
	    ACMB_OK)
		goto out;
	c->expiration = expiration;
	r = ACMB_OK;
out:
	json_decref(j);
	return r;
}

static long
process_timeout_seconds(void)
{
#ifdef ACMB_TEST_HOOKS
	const char *v = getenv("ACMB_TEST_PROCESS_TIMEOUT");

	if (v != NULL && atoi(v) > 0)
		return atoi(v);
#endif
	return ACMB_AWS_PROCESS_TIMEOUT_SECONDS;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

/* Reads the child's stdout until EOF, the bound or the deadline. */
static int
read_child(
    int fd, acmb_secbuf *out, const struct timespec *deadline, const char *what, acmb_err *err)
{
	struct pollfd pfd;
	unsigned char *dst;
	size_t want;
	ssize_t n;
	int pr;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((pr = poll(&pfd, 1, (int)ms_left(deadline))) < 0) {
			if (errno == EINTR)
				continue;
			return acmb_error(
			    err, ACMB_E_CONFIG, "%s: poll: %s", what, strerror(errno));
		}
		if (pr == 0)
			return acmb_error(err, ACMB_E_CONFIG,
			    "%s: no answer within %ld seconds; "
			    "the process was killed",
			    what, process_timeout_seconds());
		/* Room for exactly what is read: never more than reserved. */
		want = acmb_secbuf_max(out) - acmb_secbuf_len(out);
		if (want > 4096)
			want = 4096;
		if (want == 0 || (dst = acmb_secbuf_reserve(out, want)) == NULL)
			return acmb_error(err, ACMB_E_CONFIG,
			    "%s: the output is larger than "
			    "%zu bytes",
			    what, acmb_secbuf_max(out));
		n = read(fd, dst, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return acmb_error(
			    err, ACMB_E_CONFIG, "%s: read: %s", what, strerror(errno));
		}
		if (n == 0)
			return ACMB_OK;
		acmb_secbuf_commit(out, (size_t)n);
	}
}

int
acmb_aws_credential_process(
    const char *command, const char *profile, struct acmb_aws_credentials *c, acmb_err *err)
{
	acmb_secbuf *out = NULL;
	struct timespec deadline;
	char what[ACMB_AWS_CRED_SOURCE_MAX];
	int fds[2] = {-1, -1}, devnull, status = 0, r = ACMB_E_INTERNAL;
	pid_t pid = -1;
	json_t *j = NULL;
	json_error_t jerr;
	json_t *ver;

	snprintf(what, sizeof(what), "credential_process of profile %s", profile);
	if ((out = acmb_secbuf_new(ACMB_AWS_PROCESS_OUTPUT_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		r = acmb_error(err, ACMB_E_CONFIG, "%s: pipe: %s", what, strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		r = acmb_error(err, ACMB_E_CONFIG, "%s: fork: %s", what, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. Its own process
		 * group, so that a timeout kills what the shell started too. */
		setpgid(0, 0);
		if ((devnull = open("/dev/null", O_RDONLY)) >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fds[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += process_timeout_seconds();
	if ((r = read_child(fds[0], out, &deadline, what, err)) != ACMB_OK) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "%s: the command failed (%s %d); its "
		    "error output is above",
		    what, WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	if ((j = json_loadb(acmb_secbuf_str(out), acmb_secbuf_len(out), 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		r = acmb_error(err, ACMB_E_CONFIG, "%s: the output is not a JSON object", what);
		goto out;
	}
	ver = json_object_get(j, "Version");
	if (ver == NULL || !json_is_integer(ver) || json_integer_value(ver) != 1) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "%s: unsupported or missing \"Version\" "
		    "(only 1 is defined)",
		    what);
		goto out;
	}
	r = credentials_from_json(out, "SessionToken", what, c, err);
out:
	json_decref(j);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	acmb_secbuf_free(out);
	return r;
}

/* The SDKs' rule: a full URI must be https, or plain http to loopback or to
 * the ECS/EKS link-local agents. */
static int
container_url_allowed(const char *url, acmb_err *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	int r = ACMB_E_INTERNAL;

	if ((u = acmb_curl_url()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (acmb_curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    acmb_curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    acmb_curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not "
		    "a valid URL");
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0 ||
	    (strcasecmp(scheme, "http") == 0 &&
	        (strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 ||
	            strcasecmp(host, "localhost") == 0 || strcmp(host, CONTAINER_HOST) == 0 ||
	            strcmp(host, "169.254.170.23") == 0 ||
	            strcasecmp(host, "[fd00:ec2::23]") == 0))) {
		r = ACMB_OK;
		goto out;
	}
	r = acmb_error(err, ACMB_E_CONFIG,
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI: host %s is not "
	    "allowed over %s; use https, a loopback address or the container agent's address",
	    host, scheme);
out:
	acmb_curl_free(scheme);
	acmb_curl_free(host);
	acmb_curl_url_cleanup(u);
	return r;
}

/* "Authorization: <token>" in the secure heap, from the token file (which
 * wins, as in the SDKs) or the variable; *line stays NULL when neither. */
static int
container_auth_header(acmb_secbuf **line, acmb_err *err)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	acmb_secbuf *b = NULL, *t = NULL;
	size_t n;
	int r = ACMB_E_INTERNAL;

	*line = NULL;
	if ((file == NULL || *file == '\0') && (tok == NULL || *tok == '\0'))
		return ACMB_OK;
	if ((b = acmb_secbuf_new(TOKEN_FILE_MAX + 32)) == NULL ||
	    (t = acmb_secbuf_new(TOKEN_FILE_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if (file != NULL && *file != '\0') {
		int fd;
		ssize_t got;
		unsigned char *dst;

		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
			    "%s: %s",
			    file, strerror(errno));
			goto out;
		}
		while (
		    (dst = acmb_secbuf_reserve(t, 1024)) != NULL && (got = read(fd, dst, 1024)) > 0)
			acmb_secbuf_commit(t, (size_t)got);
		close(fd);
		if (dst == NULL) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
			    "%s is larger than %d bytes",
			    file, TOKEN_FILE_MAX);
			goto out;
		}
	} else {
		if (acmb_secbuf_put(t, tok, strlen(tok)) != ACMB_OK) {
			r = acmb_error(
			    err, ACMB_E_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN is too long");
			goto out;
		}
		/* Like the other environment secrets: the copy in the secure heap
		 * is the only one left, neither /proc/self/environ nor a child
		 * sees it. */
		acmb_wipe((char *)tok, strlen(tok));
		unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	}
	n = acmb_secbuf_len(t);
	while (n > 0 && (acmb_secbuf_str(t)[n - 1] == '\n' || acmb_secbuf_str(t)[n - 1] == '\r'))
		n--;
	if (!field_ok(acmb_secbuf_str(t), n)) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "the container authorization token is empty "
		    "or contains control characters");
		goto out;
	}
	if (acmb_secbuf_put(b, "Authorization: ", 15) != ACMB_OK ||
	    acmb_secbuf_put(b, acmb_secbuf_str(t), n) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	*line = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	acmb_secbuf_free(t);
	return r;
}

int
acmb_aws_credentials_container(struct acmb_aws_credentials *c, int *found, acmb_err *err)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *headers[3] = {"Accept: application/json", NULL, NULL};
	acmb_secbuf *auth = NULL, *body = NULL;
	acmb_err why = {0};
	char url[2048], what[ACMB_AWS_CRED_SOURCE_MAX];
	long status = 0;
	int r = ACMB_E_INTERNAL;

	*found = 0;
	if (rel != NULL && *rel != '\0') {
		if (rel[0] != '/' || (size_t)snprintf(url, sizeof(url), "http://%s%s",
		                         CONTAINER_HOST, rel) >= sizeof(url))
			return acmb_error(err, ACMB_E_CONFIG,
			    "AWS_CONTAINER_CREDENTIALS_"
			    "RELATIVE_URI must be a path starting with '/' (at most %zu bytes)",
			    sizeof(url) - 32);
	} else if (full != NULL && *full != '\0') {
		if (strlen(full) >= sizeof(url))
			return acmb_error(err, ACMB_E_CONFIG,
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI "
			    "is too long");
		if ((r = container_url_allowed(full, err)) != ACMB_OK)
			return r;
		snprintf(url, sizeof(url), "%s", full);
		/* The SDKs send the authorization token with full URIs only. */
		if ((r = container_auth_header(&auth, err)) != ACMB_OK)
			goto out;
		if (auth != NULL)
			headers[1] = acmb_secbuf_str(auth);
	} else {
		return ACMB_OK;
	}
	*found = 1;
	snprintf(what, sizeof(what), "container credentials endpoint");
	if (acmb_aws_transport_fetch("GET", url, headers, ACMB_AWS_CONTAINER_TIMEOUT_SECONDS,
	        ACMB_AWS_METADATA_MAX, &status, &body, &why) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "the container credentials endpoint did not "
		    "answer: %s",
		    why.msg);
		goto out;
	}
	if (status != 200) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "the container credentials endpoint %s answered "
		    "HTTP %ld%s",
		    url, status,
		    status == 401 || status == 403 ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN)"
		                                   : "");
		goto out;
	}
	r = credentials_from_json(body, "Token", what, c, err);
out:
	acmb_secbuf_free(auth);
	acmb_secbuf_free(body);
	return r;
}

int
acmb_aws_credentials_imds(struct acmb_aws_credentials *c, int *found, acmb_err *err)
{
	const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *hdr[2] = {NULL, NULL};
	acmb_secbuf *token = NULL, *tokhdr = NULL, *roles = NULL, *doc = NULL;
	acmb_err ignored = {0};
	char url[1200], role[128], what[ACMB_AWS_CRED_SOURCE_MAX];
	const char *p;
	size_t n, baselen, i;
	long status = 0;
	int r = ACMB_E_INTERNAL;

	*found = 0;
	if (dis != NULL && strcasecmp(dis, "true") == 0)
		return ACMB_OK;
	if (base == NULL || *base == '\0')
		base = IMDS_DEFAULT;
	baselen = strlen(base);
	while (baselen > 0 && base[baselen - 1] == '/')
		baselen--;
	if (baselen > 512)
		return acmb_error(
		    err, ACMB_E_CONFIG, "AWS_EC2_METADATA_SERVICE_ENDPOINT is too long");

	/* IMDSv2: a session token first. No answer means "not on EC2". */
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)baselen, base);
	hdr[0] = "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL;
	if (acmb_aws_transport_fetch("PUT", url, hdr, ACMB_AWS_IMDS_TIMEOUT_SECONDS, 4096, &status,
	        &token, &ignored) != ACMB_OK ||
	    status != 200) {
		r = ACMB_OK;
		goto out;
	}
	n = acmb_secbuf_len(token);
	while (n > 0 &&
	       (acmb_secbuf_str(token)[n - 1] == '\n' || acmb_secbuf_str(token)[n - 1] == '\r'))
		n--;
	if (!field_ok(acmb_secbuf_str(token), n) || (tokhdr = acmb_secbuf_new(n + 64)) == NULL ||
	    acmb_secbuf_put(tokhdr, "X-aws-ec2-metadata-token: ", 26) != ACMB_OK ||
	    acmb_secbuf_put(tokhdr, acmb_secbuf_str(token), n) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_CONFIG, "instance metadata: unusable session token");
		goto out;
	}
	hdr[0] = acmb_secbuf_str(tokhdr);
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)baselen,
	    base);
	if (acmb_aws_transport_fetch("GET", url, hdr, ACMB_AWS_IMDS_TIMEOUT_SECONDS, 4096, &status,
	        &roles, &ignored) != ACMB_OK ||
	    status != 200) {
		r = ACMB_OK; /* an instance without a role */
		goto out;
	}
	p = acmb_secbuf_str(roles);
	for (i = 0; i < sizeof(role) - 1 && p[i] != '\0' && p[i] != '\n' && p[i] != '\r'; i++) {
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		        (p[i] >= '0' && p[i] <= '9') || strchr("+=,.@_-", p[i]) != NULL)) {
			r = acmb_error(
			    err, ACMB_E_CONFIG, "instance metadata: malformed role name");
			goto out;
		}
		role[i] = p[i];
	}
	role[i] = '\0';
	if (i == 0) {
		r = ACMB_OK;
		goto out;
	}
	*found = 1;
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s",
	    (int)baselen, base, role);
	if ((r = acmb_aws_transport_fetch("GET", url, hdr, ACMB_AWS_IMDS_TIMEOUT_SECONDS,
	         ACMB_AWS_METADATA_MAX, &status, &doc, err)) != ACMB_OK)
		goto out;
	if (status != 200) {
		r = acmb_error(err, ACMB_E_CONFIG, "instance metadata: role %s answered HTTP %ld",
		    role, status);
		goto out;
	}
	snprintf(what, sizeof(what), "instance metadata (role %s)", role);
	r = credentials_from_json(doc, "Token", what, c, err);
out:
	acmb_secbuf_free(token);
	acmb_secbuf_free(tokhdr);
	acmb_secbuf_free(roles);
	acmb_secbuf_free(doc);
	return r;
}
