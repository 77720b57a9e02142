#include "import-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define LOCK_PATH_MAX 512
#define LOCK_POLL_NS 50000000L /* 50 ms between tries */

struct acmb_import_lock {
	int fd;
	char path[LOCK_PATH_MAX];
};

/* Test builds can leave the lock out, so that several processes on one
 * host race as processes on several hosts would. */
static int
lock_bypassed(void)
{
#ifdef ACMB_TEST_HOOKS
	const char *v = getenv("ACMB_TEST_NO_IMPORT_LOCK");

	return v != NULL && strcmp(v, "1") == 0;
#else
	return 0;
#endif
}

static double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A directory of this user's own: made 0700 when missing; refused when it
 * is a symbolic link, another user's, or writable by others (anyone could
 * then hold or replace the lock files). */
static int
own_dir(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) != 0) {
		snprintf(why, whylen, "cannot use %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(why, whylen,
		    "%s is not a directory of this user's that only this user can write", path);
		return -1;
	}
	return 0;
}

/* $XDG_RUNTIME_DIR/acmbridge (per user, per login, on tmpfs), else
 * /run/lock/acmbridge-UID (systemd, cron and containers without a login). */
static int
lock_dir(char *dir, size_t len, char *why, size_t whylen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char first[256] = "";

	if (xdg != NULL && xdg[0] == '/') {
		if ((size_t)snprintf(dir, len, "%s/acmbridge", xdg) < len &&
		    own_dir(dir, first, sizeof(first)) == 0)
			return 0;
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "$XDG_RUNTIME_DIR is too long");
	}
	if ((size_t)snprintf(dir, len, "/run/lock/acmbridge-%lu", (unsigned long)geteuid()) < len &&
	    own_dir(dir, why, whylen) == 0)
		return 0;
	if (first[0] != '\0') {
		/* Both were tried: say why the first did not do either. */
		size_t n = strlen(why);

		snprintf(why + n, whylen - n, "; %s", first);
	}
	return -1;
}

/* The file name: a hash of what the lock is for, so that it is short,
 * fixed-size and says nothing about the endpoint or the account. */
static int
lock_name(const char *endpoint, const char *region, const char *fingerprint, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static const char tag[] = "acmbridge import lock 1";
	int ok;

	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(c, tag, sizeof(tag)) &&
	     EVP_DigestUpdate(c, endpoint, strlen(endpoint) + 1) &&
	     EVP_DigestUpdate(c, region, strlen(region) + 1) &&
	     EVP_DigestUpdate(c, fingerprint, strlen(fingerprint)) &&
	     EVP_DigestFinal_ex(c, md, &n) && n == 32;
	EVP_MD_CTX_free(c);
	if (!ok)
		return ACMB_E_INTERNAL;
	for (i = 0; i < n; i++)
		snprintf(hex + (size_t)2 * i, 3, "%02x", md[i]);
	return ACMB_OK;
}

int
acmb_import_lock_acquire(const char *endpoint, const char *region, const char *fingerprint,
    double max_wait, const struct acmb_cancel *cancel, struct acmb_import_lock **out,
    double *waited, char *why, size_t whylen, acmb_err *err)
{
	struct acmb_import_lock *l = NULL;
	struct timespec pause = {0, LOCK_POLL_NS};
	const struct timespec never[2] = {{0, 0}, {0, 0}};
	char dir[LOCK_PATH_MAX - 80], hex[65];
	double start = monotonic_seconds();
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	*waited = 0.0;
	why[0] = '\0';
	if (lock_bypassed()) {
		snprintf(why, whylen, "ACMB_TEST_NO_IMPORT_LOCK=1 in a test build");
		return ACMB_OK;
	}
	if (lock_dir(dir, sizeof(dir), why, whylen) != 0)
		return ACMB_OK;
	if (lock_name(endpoint, region, fingerprint, hex) != ACMB_OK)
		return acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot hash the lock name");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	l->fd = -1;
	snprintf(l->path, sizeof(l->path), "%s/import-%.32s.lock", dir, hex);
	/* O_NOFOLLOW: the directory is ours, but never follow a planted link.
	 * A file made here starts at time 0: no import was sent under it yet
	 * (one that another run stats before this is done only looks again). */
	if ((l->fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0)
		(void)futimens(l->fd, never);
	else if (errno == EEXIST)
		l->fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (l->fd < 0) {
		snprintf(why, whylen, "cannot open %s: %s", l->path, strerror(errno));
		r = ACMB_OK;
		goto out;
	}
	for (;;) {
		if (flock(l->fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(why, whylen, "cannot lock %s: %s", l->path, strerror(errno));
			r = ACMB_OK;
			goto out;
		}
		if (acmb_cancel_signal(cancel)) {
			r = acmb_error(err, ACMB_E_INTERRUPTED,
			    "interrupted by signal %d while waiting for another acmbridge on "
			    "this host importing the same certificate; nothing was sent",
			    acmb_cancel_signal(cancel));
			goto out;
		}
		if (monotonic_seconds() - start >= max_wait) {
			snprintf(why, whylen,
			    "another acmbridge on this host has held %s for %.0f s (importing "
			    "the same certificate); going on without the lock",
			    l->path, max_wait);
			r = ACMB_OK;
			goto out;
		}
		nanosleep(&pause, NULL);
	}
	*waited = monotonic_seconds() - start;
	*out = l;
	l = NULL;
	r = ACMB_OK;
out:
	if (*out == NULL)
		*waited = monotonic_seconds() - start;
	acmb_import_lock_release(l);
	return r;
}

void
acmb_import_lock_release(struct acmb_import_lock *l)
{
	if (l == NULL)
		return;
	/* Closing the only descriptor releases the flock. The file stays: a
	 * removed lock file could be locked by one run while another creates
	 * and locks a new one under the same name. */
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

void
acmb_import_lock_mark_import(struct acmb_import_lock *l)
{
	if (l != NULL && l->fd >= 0)
		(void)futimens(l->fd, NULL);
}

double
acmb_import_lock_last_import(const struct acmb_import_lock *l)
{
	struct stat st;

	if (l == NULL || l->fd < 0 || fstat(l->fd, &st) != 0)
		return 0.0;
	return (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
}

const char *
acmb_import_lock_path(const struct acmb_import_lock *l)
{
	return l != NULL ? l->path : "";
}
