/*
 * libcurl, opened with dlopen on first use, under names of our own. Linking
 * libcurl would put its ~29 dependent libraries into every start of the CLI
 * (two thirds of the start-up cost of `acmbridge check`, which never talks
 * to AWS). The forwarders are called acmb_curl_*, never curl_*: a program
 * that links libacmbridge and libcurl gets libcurl's own functions under
 * libcurl's names, and ours do not clash with them.
 *
 * The first forwarder called opens libcurl.so.4 (RTLD_NOW | RTLD_LOCAL) and
 * installs the wiping allocator (curl_global_init_mem) before any other curl
 * call: curl's SigV4 keeps "AWS4"+secret in its heap and frees it with
 * curl's free. WARNING: curl_global_init_mem has no effect once the process
 * has initialised libcurl itself; a host program that calls libcurl before
 * acmbridge's first AWS call leaves curl's heap unwiped
 * (acmb_curl_wiping() then reports 0; include/acmbridge.h). Not thread-safe:
 * the first call must happen on one thread.
 */
#ifndef ACMB_AWS_CURL_H
#define ACMB_AWS_CURL_H

#include <curl/curl.h>

#include "error.h"

/* ACMB_OK when libcurl is loaded and initialised (loading it on the first
 * call), else ACMB_E_INTERNAL with a message naming the library and why. */
int acmb_curl_require(acmb_err *err);

/* 1 when libcurl was loaded and allocates through the wiping allocator, 0
 * when it is not loaded or was initialised before us with its own. */
int acmb_curl_wiping(void);

/* The loaded libcurl's version ("7.88.1"), loading it first; NULL when it
 * cannot be loaded. Static string of libcurl's. */
const char *acmb_curl_version(void);

/* Forwarders to the libcurl functions of the same name without "acmb_".
 * Each loads libcurl first when needed; if it cannot be loaded they return
 * NULL, CURLE_FAILED_INIT or CURLUE_OUT_OF_MEMORY, or do nothing. */
CURL *acmb_curl_easy_init(void);
CURLcode acmb_curl_easy_setopt(CURL *h, CURLoption option, ...);
CURLcode acmb_curl_easy_getinfo(CURL *h, CURLINFO info, ...);
CURLcode acmb_curl_easy_perform(CURL *h);
void acmb_curl_easy_cleanup(CURL *h);
const char *acmb_curl_easy_strerror(CURLcode cc);
struct curl_slist *acmb_curl_slist_append(struct curl_slist *list, const char *s);
void acmb_curl_slist_free_all(struct curl_slist *list);
CURLU *acmb_curl_url(void);
void acmb_curl_url_cleanup(CURLU *u);
CURLUcode acmb_curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
CURLUcode acmb_curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags);
void acmb_curl_free(void *p);

#endif
