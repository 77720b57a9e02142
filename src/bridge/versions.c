#include "versions.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <p11-kit/uri.h>

#include "acm/aws-http.h"

#ifndef ACMB_P11KIT_BUILD_VERSION
#define ACMB_P11KIT_BUILD_VERSION "unknown"
#endif

/* The file a p11-kit function was loaded from, with the soname link
 * resolved (libp11-kit.so.0 -> libp11-kit.so.0.3.0): the nearest thing to
 * a run-time version p11-kit offers. */
static void
p11kit_library(char *buf, size_t len)
{
	Dl_info info;
	char real[PATH_MAX];
	const char *path;
	size_t n;

	buf[0] = '\0';
	memset(&info, 0, sizeof(info));
	if (dladdr((void *)p11_kit_uri_new, &info) == 0 || info.dli_fname == NULL)
		return;
	path = realpath(info.dli_fname, real) != NULL ? real : info.dli_fname;
	/* A path too long for buf is left out rather than cut. */
	if ((n = strlen(path)) < len)
		memcpy(buf, path, n + 1);
}

void
acmb_versions_get(struct acmb_versions *v)
{
	const char *curl;
	acmb_err err = {0, ""};

	memset(v, 0, sizeof(*v));
	snprintf(v->acmbridge, sizeof(v->acmbridge), "%s", ACMB_VERSION);
	snprintf(v->openssl, sizeof(v->openssl), "%s", OpenSSL_version(OPENSSL_VERSION_STRING));
	snprintf(v->openssl_build, sizeof(v->openssl_build), "%s", OPENSSL_VERSION_STR);
	if ((curl = acmb_aws_http_curl_version()) != NULL)
		snprintf(v->libcurl, sizeof(v->libcurl), "%s", curl);
	else if (acmb_aws_http_require(&err) != ACMB_OK)
		snprintf(v->libcurl_why, sizeof(v->libcurl_why), "%s", err.msg);
	else
		snprintf(v->libcurl_why, sizeof(v->libcurl_why),
		    "libcurl is loaded but does not say its version");
	snprintf(v->p11kit, sizeof(v->p11kit), "%s", ACMB_P11KIT_BUILD_VERSION);
	p11kit_library(v->p11kit_library, sizeof(v->p11kit_library));
	snprintf(v->jansson, sizeof(v->jansson), "%s", jansson_version_str());
}
