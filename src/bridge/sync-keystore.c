#include "sync-keystore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11-uri.h"

static int
token_store(const struct acmb_manifest_entry *e)
{
	return e->source == ACMB_MANIFEST_PRIVATE_CA && e->private_ca.key_store != NULL &&
	       strcmp(e->private_ca.key_store, "memory") != 0;
}

void
acmb_sync_key_store_clear(struct acmb_sync_key_store *ks)
{
	if (ks == NULL)
		return;
	free(ks->uri);
	memset(ks, 0, sizeof(*ks));
}

int
acmb_sync_key_store_opts(const struct acmb_manifest_entry *e, struct acmb_sync_key_store *ks,
    struct acmb_issue_opts *io, acmb_err *err)
{
	memset(ks, 0, sizeof(*ks));
	if (!token_store(e))
		return ACMB_OK;
	if ((ks->uri = strdup(e->private_ca.key_store)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	ks->token.module = e->private_ca.module;
	ks->token.pin.pin_file = e->private_ca.pin_file;
	ks->token.pin.pin_env = e->private_ca.pin_env;
	io->key_store = ks->uri;
	io->token = &ks->token;
	io->key_mode = e->private_ca.rotate_key ? ACMB_ISSUE_KEY_ROTATE : ACMB_ISSUE_KEY_REUSE;
	return ACMB_OK;
}

void
acmb_sync_key_store_reason(const struct acmb_manifest_entry *e, struct acmb_plan_item *it)
{
	char was[ACMB_PLAN_REASON_MAX], token[64] = "", object[ACMB_PLAN_REASON_MAX / 2] = "";
	struct acmb_p11_uri *uri = NULL;
	char *text = NULL;

	if (!token_store(e) || (it->action != ACMB_PLAN_CREATE && it->action != ACMB_PLAN_RENEW))
		return;
	/* The plan reads no token: the names come from the URI itself. */
	if ((text = strdup(e->private_ca.key_store)) != NULL &&
	    acmb_p11_uri_parse(text, &uri, NULL, NULL) == ACMB_OK)
		acmb_p11_uri_labels(uri, token, sizeof(token), object, sizeof(object));
	acmb_p11_uri_free(uri);
	free(text);
	snprintf(was, sizeof(was), "%s", it->reason);
	if (it->action == ACMB_PLAN_RENEW && !e->private_ca.rotate_key)
		acmb_plan_reason(it, "with the token's key %s (token %s), %s", object, token, was);
	else if (it->action == ACMB_PLAN_RENEW)
		acmb_plan_reason(it, "new key on token %s (%s; the key ACM uses becomes %s%s), %s",
		    token, object, object, ACMB_ISSUE_RETIRED_SUFFIX, was);
	else if (e->private_ca.rotate_key)
		acmb_plan_reason(it, "new key on token %s (%s), %s", token, object, was);
	else
		acmb_plan_reason(
		    it, "the token's key %s (token %s; made when missing), %s", object, token, was);
}
