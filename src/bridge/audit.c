#include "audit.h"
#include "zalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#define AUDIT_LINE_MAX 8192

struct acmb_audit {
	int fd; /* -1 for syslog */
	int syslog;
	char *where;
	char attempt[17]; /* "" when no attempt is open */
	unsigned refs;    /* holders besides the opener (acmb_audit_ref()) */
};

static int
make_dirs(char *path, acmb_err *err)
{
	char *p;

	/* Each missing component of the directory part is created 0700. */
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int e = errno;

			*p = '/';
			return acmb_error(err, ACMB_E_IO,
			    "cannot create the audit log directory "
			    "for %s: %s",
			    path, strerror(e));
		}
		*p = '/';
	}
	return ACMB_OK;
}

static int
default_path(char **out, acmb_err *err)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char buf[PATH_MAX];
	int n;

	*out = NULL;
	if (state != NULL && state[0] == '/') {
		n = snprintf(buf, sizeof(buf), "%s/acmbridge/audit.log", state);
	} else {
		if ((home == NULL || home[0] != '/') && (pw = getpwuid(geteuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL || home[0] != '/')
			return acmb_error(err, ACMB_E_USAGE,
			    "no home directory for the audit log; "
			    "give --audit-log PATH or --audit-log syslog");
		n = snprintf(buf, sizeof(buf), "%s/.local/state/acmbridge/audit.log", home);
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return acmb_error(err, ACMB_E_USAGE, "the default audit log path is too long");
	if ((*out = strdup(buf)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return make_dirs(*out, err);
}

int
acmb_audit_open(const char *where, struct acmb_audit **out, acmb_err *err)
{
	struct acmb_audit *a = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	a->fd = -1;
	if (where != NULL && strcmp(where, "syslog") == 0) {
		a->syslog = 1;
		if ((a->where = strdup("syslog")) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		openlog("acmbridge", LOG_PID, LOG_AUTHPRIV);
	} else {
		if (where == NULL) {
			if ((r = default_path(&a->where, err)) != ACMB_OK)
				goto out;
		} else if ((a->where = strdup(where)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		a->fd = open(a->where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (a->fd < 0) {
			r = acmb_error(err, ACMB_E_IO,
			    "cannot open the audit log %s: %s; no key is "
			    "exported without an audit record",
			    a->where, strerror(errno));
			goto out;
		}
	}
	*out = a;
	a = NULL;
	r = ACMB_OK;
out:
	acmb_audit_close(a);
	return r;
}

static int
set_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, v != NULL ? json_string(v) : json_null());
}

static int
write_line(struct acmb_audit *a, json_t *rec, acmb_err *err)
{
	char *line = NULL;
	struct stat st;
	size_t len;
	ssize_t w;
	int r = ACMB_E_INTERNAL;

	if ((line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL) {
		r = acmb_error(err, ACMB_E_INTERNAL, "cannot encode the audit record");
		goto out;
	}
	len = strlen(line);
	if (len > AUDIT_LINE_MAX) {
		r = acmb_error(err, ACMB_E_INTERNAL, "audit record over %d bytes", AUDIT_LINE_MAX);
		goto out;
	}
	if (a->syslog) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
		r = ACMB_OK;
		goto out;
	}
	line[len] = '\n';
	/* One write() of the whole line: with O_APPEND, lines from concurrent
	 * runs do not interleave. */
	do
		w = write(a->fd, line, len + 1);
	while (w < 0 && errno == EINTR);
	line[len] = '\0';
	if (w < 0 || (size_t)w != len + 1) {
		r = acmb_error(err, ACMB_E_IO, "cannot write the audit log %s: %s", a->where,
		    w < 0 ? strerror(errno) : "short write");
		goto out;
	}
	if (fsync(a->fd) != 0 && !(fstat(a->fd, &st) == 0 && !S_ISREG(st.st_mode) &&
	                             (errno == EINVAL || errno == EROFS))) {
		r = acmb_error(
		    err, ACMB_E_IO, "cannot fsync the audit log %s: %s", a->where, strerror(errno));
		goto out;
	}
	r = ACMB_OK;
out:
	acmb_zfree(line); /* jansson allocates with the wiping allocator */
	return r;
}

static json_t *
record_new(const struct acmb_audit *a, const char *event)
{
	char ts[32], host[256];
	struct passwd *pw;
	struct tm tm;
	time_t now = time(NULL);
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	pw = getpwuid(geteuid());
	if (set_str(o, "time", ts) != 0 || set_str(o, "attempt", a->attempt) != 0 ||
	    set_str(o, "event", event) != 0 ||
	    set_str(o, "user", pw != NULL ? pw->pw_name : NULL) != 0 ||
	    json_object_set_new(o, "uid", json_integer((json_int_t)geteuid())) != 0 ||
	    set_str(o, "host", host) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
acmb_audit_begin(struct acmb_audit *a, const struct acmb_audit_attempt *att, acmb_err *err)
{
	unsigned char id[8];
	json_t *rec = NULL;
	size_t i;
	int r = ACMB_E_INTERNAL;

	if (a->attempt[0] != '\0') {
		r = acmb_error(err, ACMB_E_INTERNAL, "audit attempt %s is still open", a->attempt);
		goto out;
	}
	if (RAND_bytes(id, sizeof(id)) != 1) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot draw an audit attempt id");
		goto out;
	}
	for (i = 0; i < sizeof(id); i++)
		snprintf(a->attempt + 2 * i, 3, "%02x", id[i]);
	if ((rec = record_new(a, "begin")) == NULL ||
	    set_str(rec, "token_label", att->token_label) != 0 ||
	    set_str(rec, "token_serial", att->token_serial) != 0 ||
	    set_str(rec, "object_id", att->object_id) != 0 ||
	    set_str(rec, "object_label", att->object_label) != 0 ||
	    set_str(rec, "key_algorithm", att->key_algorithm) != 0 ||
	    set_str(rec, "path", att->path) != 0 ||
	    set_str(rec, "cert_sha256", att->cert_sha256) != 0 ||
	    set_str(rec, "policy", att->policy) != 0 ||
	    set_str(rec, "destination", att->destination) != 0) {
		a->attempt[0] = '\0';
		r = acmb_error(err, ACMB_E_NOMEM, "cannot build the audit record");
		goto out;
	}
	if ((r = write_line(a, rec, err)) != ACMB_OK) {
		a->attempt[0] = '\0';
		goto out;
	}
	r = ACMB_OK;
out:
	json_decref(rec);
	return r;
}

int
acmb_audit_finish(struct acmb_audit *a, const char *arn, const acmb_err *failure, acmb_err *err)
{
	const char *result;
	json_t *rec = NULL;
	int r = ACMB_E_INTERNAL;

	if (a == NULL || a->attempt[0] == '\0')
		return ACMB_OK;
	if (failure != NULL && failure->rc != ACMB_OK)
		result = failure->rc == ACMB_E_EXPORT ? "refused" : "failed";
	else
		result = arn != NULL ? "imported" : "exported, not imported";
	if ((rec = record_new(a, "outcome")) == NULL || set_str(rec, "result", result) != 0 ||
	    set_str(rec, "arn", arn) != 0 ||
	    set_str(rec, "error",
	        failure != NULL && failure->rc != ACMB_OK
	            ? (failure->msg[0] != '\0' ? failure->msg : acmb_strerror(failure->rc))
	            : NULL) != 0) {
		r = acmb_error(err, ACMB_E_NOMEM, "cannot build the audit record");
		goto out;
	}
	r = write_line(a, rec, err);
out:
	a->attempt[0] = '\0';
	json_decref(rec);
	return r;
}

const char *
acmb_audit_attempt_id(const struct acmb_audit *a)
{
	return a->attempt[0] != '\0' ? a->attempt : NULL;
}

const char *
acmb_audit_where(const struct acmb_audit *a)
{
	return a->where;
}

struct acmb_audit *
acmb_audit_ref(struct acmb_audit *a)
{
	if (a != NULL)
		a->refs++;
	return a;
}

void
acmb_audit_close(struct acmb_audit *a)
{
	acmb_err e = {0, ""};

	if (a == NULL)
		return;
	if (a->attempt[0] != '\0') {
		acmb_error(&e, ACMB_E_INTERNAL, "abandoned: the caller never reported an outcome");
		acmb_audit_finish(a, NULL, &e, NULL);
	}
	if (a->refs > 0) {
		a->refs--;
		return;
	}
	if (a->fd >= 0)
		close(a->fd);
	if (a->syslog)
		closelog();
	free(a->where);
	free(a);
}
