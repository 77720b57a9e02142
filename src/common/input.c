#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes asked of read() at a time from a stream. */
#define INPUT_CHUNK ((size_t)64 << 10)

int
acmb_input_is_stdin(const char *arg)
{
	return arg != NULL && strcmp(arg, "-") == 0;
}

/* The AWS CLI's fileb:// and file:// prefixes both mean "the file's bytes"
 * here: we never re-encode text, so the distinction does not matter. */
static const char *
input_path(const char *arg)
{
	if (strncmp(arg, "fileb://", 8) == 0)
		return arg + 8;
	if (strncmp(arg, "file://", 7) == 0)
		return arg + 7;
	return arg;
}

static int
check_file_type(const struct stat *st, int fd, const char *what, const char *name, acmb_err *err)
{
	if (S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode))
		return ACMB_OK;
	/* An operator pasting into a terminal is a legitimate stream. */
	if (fd == STDIN_FILENO && S_ISCHR(st->st_mode) && isatty(fd))
		return ACMB_OK;
	if (S_ISDIR(st->st_mode))
		return acmb_error(
		    err, ACMB_E_USAGE, "%s: %s is a directory, not a file", what, name);
	return acmb_error(err, ACMB_E_USAGE,
	    "%s: %s is a device or special file, not a regular file or pipe", what, name);
}

static int
too_big(acmb_err *err, const char *what, const char *name, size_t max, int unread)
{
	return acmb_error(err, ACMB_E_TOO_BIG,
	    "%s: %s is larger than the %zu-byte limit for this field; %s", what, name, max,
	    unread ? "refused unread" : "reading stopped there");
}

/* Reads until EOF into b, whose maximum is the field's limit + 1, so that a
 * stream one byte over the limit is detected without reading more. */
static int
read_stream(int fd, acmb_secbuf *b, size_t first, const char *what, const char *name, acmb_err *err)
{
	struct pollfd pfd;
	unsigned char *dst;
	size_t room, want;
	ssize_t n;
	int probe = 0;

	for (;;) {
		room = acmb_secbuf_max(b) - acmb_secbuf_len(b);
		if (room == 0)
			return ACMB_E_TOO_BIG;
		/* After a regular file's one big read, a 1-byte read confirms the
		 * end without growing the buffer; only a growing file gets more. */
		want = first != 0 ? first : probe ? 1 : INPUT_CHUNK;
		probe = first != 0;
		first = 0;
		if (want > room)
			want = room;
		if ((dst = acmb_secbuf_reserve(b, want)) == NULL)
			return acmb_error(
			    err, ACMB_E_NOMEM, "%s: out of secure memory reading %s", what, name);
		n = read(fd, dst, want);
		if (n == 0)
			return ACMB_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* A non-blocking stdin inherited from the caller. */
				pfd.fd = fd;
				pfd.events = POLLIN;
				pfd.revents = 0;
				if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
					return acmb_error(err, ACMB_E_IO, "%s: cannot read %s: %s",
					    what, name, strerror(errno));
				continue;
			}
			return acmb_error(err, errno == EISDIR ? ACMB_E_USAGE : ACMB_E_IO,
			    "%s: cannot read %s: %s", what, name, strerror(errno));
		}
		acmb_secbuf_commit(b, (size_t)n);
	}
}

/*
 * OpenSSH's rule for private key files (sshkey_perm_ok): nobody but the
 * owner may have any access, and the owner is the user running us. Pipes
 * have no lasting file to protect; standard input is the caller's choice
 * (its file, if any, has no name here), so it is not judged either.
 */
static int
check_private(const struct stat *st, const char *name, int strict, char *warning,
    size_t warning_size, acmb_err *err)
{
	char why[ACMB_ERRMSG_MAX];

	if (!S_ISREG(st->st_mode))
		return ACMB_OK;
	if ((st->st_mode & 077) != 0)
		snprintf(why, sizeof(why),
		    "UNPROTECTED PRIVATE KEY FILE: permissions %04o for '%s' are too open; "
		    "private key files must not be accessible by others (chmod 600 '%s')",
		    (unsigned)(st->st_mode & 07777), name, name);
	else if (st->st_uid != geteuid())
		snprintf(why, sizeof(why),
		    "UNPROTECTED PRIVATE KEY FILE: '%s' is owned by uid %lu, not by this user "
		    "(uid %lu); private key files must belong to the user who reads them",
		    name, (unsigned long)st->st_uid, (unsigned long)geteuid());
	else
		return ACMB_OK;
	if (strict)
		return acmb_error(err, ACMB_E_USAGE, "%s; refused (--strict-permissions)", why);
	if (warning != NULL && warning_size > 0)
		snprintf(warning, warning_size, "%s", why);
	return ACMB_OK;
}

struct read_private {
	int strict;
	char *warning;
	size_t warning_size;
};

static int read_input(const char *arg, const char *what, size_t max,
    const struct read_private *priv, acmb_secbuf **out, char *source, size_t source_size,
    acmb_err *err);

int
acmb_input_read(const char *arg, const char *what, size_t max, acmb_secbuf **out, char *source,
    size_t source_size, acmb_err *err)
{
	return read_input(arg, what, max, NULL, out, source, source_size, err);
}

int
acmb_input_read_private(const char *arg, const char *what, size_t max, int strict,
    acmb_secbuf **out, char *source, size_t source_size, char *warning, size_t warning_size,
    acmb_err *err)
{
	struct read_private priv = {strict, warning, warning_size};

	if (warning != NULL && warning_size > 0)
		warning[0] = '\0';
	return read_input(arg, what, max, &priv, out, source, source_size, err);
}

static int
read_input(const char *arg, const char *what, size_t max, const struct read_private *priv,
    acmb_secbuf **out, char *source, size_t source_size, acmb_err *err)
{
	const char *path, *name;
	acmb_secbuf *b = NULL;
	struct stat st;
	int fd = -1, flags, r = ACMB_E_INTERNAL;

	*out = NULL;
	if (source != NULL && source_size > 0)
		source[0] = '\0';
	if (arg == NULL || max == (size_t)-1)
		return acmb_error(err, ACMB_E_INTERNAL, "%s: no input named", what);
	if (acmb_input_is_stdin(arg)) {
		name = "standard input";
		fd = STDIN_FILENO;
	} else {
		path = input_path(arg);
		name = path;
		if (*path == '\0') {
			r = acmb_error(err, ACMB_E_USAGE, "%s: '%s' names no file", what, arg);
			goto out;
		}
		/* O_NONBLOCK so that opening a FIFO without a writer cannot hang;
		 * cleared below once we know what the file is. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			r = acmb_error(err, ACMB_E_USAGE, "%s: cannot open %s: %s", what, path,
			    strerror(errno));
			goto out;
		}
	}
	if (source != NULL && source_size > 0)
		snprintf(source, source_size, "%s", name);
	if (fstat(fd, &st) != 0) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "%s: cannot stat %s: %s", what, name, strerror(errno));
		goto out;
	}
	if ((r = check_file_type(&st, fd, what, name, err)) != ACMB_OK)
		goto out;
	/* Judged on the open file, so that what is judged is what is read. */
	if (priv != NULL && fd != STDIN_FILENO &&
	    (r = check_private(&st, name, priv->strict, priv->warning, priv->warning_size, err)) !=
	        ACMB_OK)
		goto out;
	if (S_ISREG(st.st_mode) && (st.st_size < 0 || (unsigned long long)st.st_size > max)) {
		r = too_big(err, what, name, max, 1);
		goto out;
	}
	if (fd != STDIN_FILENO && (flags = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if ((b = acmb_secbuf_new(max + 1)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "%s: out of secure memory", what);
		goto out;
	}
	/* A regular file is read in one go (its size + 1, to see the end); it
	 * may still grow after fstat, and the stream bound holds then too. */
	if ((r = read_stream(fd, b, S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 0, what, name,
	         err)) != ACMB_OK) {
		if (r == ACMB_E_TOO_BIG)
			r = too_big(err, what, name, max, 0);
		goto out;
	}
	*out = b;
	b = NULL;
	r = ACMB_OK;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	acmb_secbuf_free(b);
	return r;
}
