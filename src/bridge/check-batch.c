#include "check-batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/check.h"
#include "json-text.h"

/* Splits a list line into at most max blank-separated paths; -1 for more. */
static int
batch_split(char *line, char **fields, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (tok[0] == '#')
			break;
		if (n == max)
			return -1;
		fields[n++] = tok;
	}
	return n;
}

static int
check_base(const struct acmb_source_spec *base, acmb_err *err)
{
	const struct acmb_files_spec *f = &base->files;

	if (f->certificate != NULL || f->private_key != NULL || f->certificate_chain != NULL ||
	    f->pkcs12 != NULL || acmb_pkcs11_spec_wanted(&base->p11))
		return acmb_error(err, ACMB_E_USAGE,
		    "--batch takes its paths from the file; "
		    "drop --certificate, --private-key, --certificate-chain, --pkcs12");
	/* The loader wipes and unsets the variable after its first read. */
	if (f->passphrase_env != NULL)
		return acmb_error(err, ACMB_E_USAGE,
		    "--batch reads the passphrase once per set: use --passphrase-file");
	return ACMB_OK;
}

/* One set's verdict, or its error, with the line and certificate added. */
static json_t *
set_verdict(acmb_check_batch *batch, const struct acmb_files_spec *base, char **fields, int n,
    size_t lineno, time_t at, struct acmb_rules_report *rep, struct acmb_check_batch_summary *sum)
{
	struct acmb_files_spec spec;
	acmb_err serr = {0, ""};
	json_t *obj = NULL;
	int rc;

	if (n < 2) {
		rc = acmb_error(&serr, ACMB_E_USAGE, "line %zu: expected CERT KEY [CHAIN]", lineno);
	} else {
		spec = *base;
		spec.certificate = fields[0];
		spec.private_key = fields[1];
		spec.certificate_chain = n == 3 ? fields[2] : NULL;
		rc = acmb_check_batch_files(batch, &spec, at, rep, &serr);
	}
	if (rc == ACMB_OK) {
		obj = acmb_check_report_json(rep);
		if (rep->ok)
			sum->passed++;
		else
			sum->failed++;
	} else {
		sum->unusable++;
		if ((obj = json_object()) != NULL &&
		    (json_object_set_new(obj, "ok", json_false()) != 0 ||
		        json_object_set_new(obj, "error", acmb_json_text(serr.msg)) != 0)) {
			json_decref(obj);
			obj = NULL;
		}
	}
	if (obj != NULL &&
	    (json_object_set_new(obj, "line", json_integer((json_int_t)lineno)) != 0 ||
	        json_object_set_new(obj, "certificate", acmb_json_text(n > 0 ? fields[0] : "")) !=
	            0)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

int
acmb_check_batch_run(const char *path, const struct acmb_source_spec *base, time_t at,
    acmb_check_batch_emit emit, void *arg, struct acmb_check_batch_summary *sum, acmb_err *err)
{
	char line[ACMB_CHECK_BATCH_LINE_MAX];
	char *fields[3];
	struct acmb_rules_report *rep = NULL;
	acmb_check_batch *batch = NULL;
	struct timespec t0, t1;
	json_t *obj = NULL;
	FILE *f = NULL;
	size_t lineno = 0;
	int n, r = ACMB_E_INTERNAL;

	memset(sum, 0, sizeof(*sum));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((r = check_base(base, err)) != ACMB_OK)
		goto out;
	if ((f = fopen(path, "r")) == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "--batch: cannot read '%s'", path);
		goto out;
	}
	if ((batch = acmb_check_batch_new()) == NULL || (rep = calloc(1, sizeof(*rep))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			r = acmb_error(err, ACMB_E_USAGE,
			    "--batch: line %zu is longer than %d bytes", lineno,
			    ACMB_CHECK_BATCH_LINE_MAX - 1);
			goto out;
		}
		if ((n = batch_split(line, fields, 3)) == 0)
			continue;
		sum->sets++;
		obj = set_verdict(batch, &base->files, fields, n, lineno, at, rep, sum);
		if (obj == NULL || emit(arg, obj) != 0) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory writing the report");
			goto out;
		}
		json_decref(obj);
		obj = NULL;
	}
	r = ACMB_OK;
out:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sum->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	json_decref(obj);
	if (f != NULL)
		fclose(f);
	acmb_check_batch_free(batch);
	free(rep);
	return r;
}
