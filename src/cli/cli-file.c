#include "cli-file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
acmb_cli_file_open(struct acmb_cli_file *cf, const char *path, const char *what, acmb_err *err)
{
	int fd;

	memset(cf, 0, sizeof(*cf));
	cf->path = path;
	cf->what = what;
	if ((size_t)snprintf(cf->tmp, sizeof(cf->tmp), "%s.tmp.XXXXXX", path) >= sizeof(cf->tmp))
		return acmb_error(err, ACMB_E_USAGE, "%s: path too long", what);
	if ((fd = mkstemp(cf->tmp)) < 0)
		return acmb_error(err, ACMB_E_IO, "%s %s: %s", what, path, strerror(errno));
	/* mkstemp makes 0600; collectors run as another user. */
	if (fchmod(fd, 0644) != 0 || (cf->f = fdopen(fd, "w")) == NULL) {
		acmb_error(err, ACMB_E_IO, "%s %s: %s", what, path, strerror(errno));
		close(fd);
		unlink(cf->tmp);
		return ACMB_E_IO;
	}
	return ACMB_OK;
}

int
acmb_cli_file_commit(struct acmb_cli_file *cf, int ok, acmb_err *err)
{
	int bad;

	if (cf->f == NULL)
		return ACMB_E_IO;
	bad = fflush(cf->f) != 0 || fsync(fileno(cf->f)) != 0;
	if (fclose(cf->f) != 0)
		bad = 1;
	cf->f = NULL;
	if (!ok) {
		unlink(cf->tmp);
		return ACMB_E_IO;
	}
	if (bad || rename(cf->tmp, cf->path) != 0) {
		acmb_error(err, ACMB_E_IO, "%s %s: %s", cf->what, cf->path, strerror(errno));
		unlink(cf->tmp);
		return ACMB_E_IO;
	}
	return ACMB_OK;
}
