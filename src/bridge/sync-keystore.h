/*
 * sync's token key store for private-ca entries (key-store: pkcs11:URI):
 * which key a create or renewal signs with (rotate-key: true, a new pair
 * with the one ACM used retired to "LABEL-previous"; false, the token's
 * pair kept), said in the plan's reason and handed to the issue flow
 * (issue.h, issue-token.h), which does the work.
 */
#ifndef ACMB_SYNC_KEYSTORE_H
#define ACMB_SYNC_KEYSTORE_H

#include "error.h"
#include "issue.h"
#include "manifest.h"
#include "plan.h"
#include "token-spec.h"

/* What acmb_issue() borrows for one entry: a copy of the key store URI
 * (the URI parser edits its text, never the manifest's) and the token
 * options. */
struct acmb_sync_key_store {
	char *uri;
	struct acmb_token_spec token;
};

/* Sets io->key_store, io->token and io->key_mode for private-ca entry e
 * (nothing for key-store: memory), pointing into *ks, which must outlive
 * the acmb_issue() call. ks is overwritten; clear it with
 * acmb_sync_key_store_clear() whatever this returns. */
int acmb_sync_key_store_opts(const struct acmb_manifest_entry *e, struct acmb_sync_key_store *ks,
    struct acmb_issue_opts *io, acmb_err *err);

/* Frees what ks owns. Accepts NULL. */
void acmb_sync_key_store_clear(struct acmb_sync_key_store *ks);

/* Says in a private-ca create or renew item's reason where its key comes
 * from ("new key on token T (LABEL), expires in ..."); other items and
 * key-store: memory are left as they are. */
void acmb_sync_key_store_reason(const struct acmb_manifest_entry *e, struct acmb_plan_item *it);

#endif
