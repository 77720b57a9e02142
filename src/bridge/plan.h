/*
 * A decision as data: one plan item says what would be done to one
 * certificate in one destination, and why, before anything is done. Items
 * print as text, save and load as JSON, compare, and are applied later by the
 * same code that makes them (import --dry-run and sync --dry-run stop right
 * before the apply step).
 */
#ifndef ACMB_PLAN_H
#define ACMB_PLAN_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "error.h"

enum acmb_plan_action {
	ACMB_PLAN_UNCHANGED = 0, /* ACM holds this certificate already */
	ACMB_PLAN_CREATE,        /* a new import */
	ACMB_PLAN_REIMPORT,      /* the source's certificate changed: same ARN, new certificate */
	ACMB_PLAN_RENEW,         /* Private CA: issue, then reimport into the same ARN */
	ACMB_PLAN_BLOCKED,       /* a rule, a reimport rule, a service or ownership stops it */
	ACMB_PLAN_PRUNE,         /* its name left the manifest: delete (only when not in use) */
	ACMB_PLAN_ACTION_COUNT
};

#define ACMB_PLAN_REASON_MAX 320
#define ACMB_PLAN_TAGS_MAX 52 /* ACM's 50 and acmbridge's own two */
/* An ARN, at most: ACM's CertificateArn and STS's RoleArn both allow 2048. */
#define ACMB_PLAN_ARN_MAX 2048
/* A serial as hex pairs with colons: 53 bytes, far past the 20 RFC 5280 allows. */
#define ACMB_PLAN_SERIAL_MAX 160
/* A saved item's JSON, at most: 52 tag changes of 640 bytes and the rest. */
#define ACMB_PLAN_ITEM_JSON_MAX 65536

struct acmb_plan_tag_change {
	char key[129];
	char value[257];
	char old_value[257]; /* for a changed tag */
	int op;              /* '+' add, '~' change, '-' remove */
	int no_value;        /* the tag has no Value at all (not ""): JSON null */
	int no_old_value;    /* the changed tag had none */
};

/*
 * One item. A sync holds one per (entry, destination), so it stays small:
 * the two ARNs, which AWS lets run to 2048 characters, and the tag changes
 * live on the heap, allocated only when there are some.
 *
 * Ownership: the item owns arn, role_arn and tags[]; acmb_plan_item_clear()
 * frees them and leaves the item zeroed, ready to be filled again. An item
 * starts zeroed ({0}, calloc, memset) and every function that fills one
 * (acmb_plan_item_from_json(), acmb_sync_decide(), acmb_import_make_plan(),
 * ...) clears it first. WARNING: a struct copy (b = a) moves ownership to b;
 * a must then be zeroed or forgotten, never cleared, and never both freed.
 */
struct acmb_plan_item {
	time_t not_after;                  /* of the certificate in ACM now (0: none) */
	time_t renew_at;                   /* when a renewal falls due (0: not applicable) */
	struct acmb_plan_tag_change *tags; /* ntags changes; NULL when none */
	size_t ntags, tags_cap;
	/* Set with acmb_plan_item_set_role_arn() / _set_arn(): NULL, never "". */
	char *role_arn; /* destination role, or NULL */
	char *arn;      /* target ARN (reimport, renew, unchanged, prune), or NULL */
	/* Not in the JSON form (a saved plan reads back 0 for both): */
	double listed_at; /* wall clock of the listing it was decided from (0: unknown) */
	int tags_wanted;  /* tags the certificate should carry; 0 with none changed: no note */
	enum acmb_plan_action action;
	int imports;                       /* ImportCertificate calls it spends (0 or 1) */
	char name[129];                    /* the manifest entry, or "" for a one-off import */
	char region[33];                   /* destination */
	char profile[129];                 /* destination profile, or "" */
	char sha256[65];                   /* leaf SHA-256 (hex) of what would be in ACM, or "" */
	char serial[ACMB_PLAN_SERIAL_MAX]; /* its serial (hex, colon-separated), or "" */
	char reason[ACMB_PLAN_REASON_MAX];
};

/* "unchanged", "create", "reimport", "renew", "blocked", "prune". */
const char *acmb_plan_action_name(enum acmb_plan_action a);

/* The action for a name, or -1. */
int acmb_plan_action_from_name(const char *name);

/* Writes the reason with printf formatting (truncated to fit). */
void acmb_plan_reason(struct acmb_plan_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees what it owns (arn, role_arn, tags) and zeroes it. it must be zeroed
 * or filled by this module's functions. Accepts NULL. */
void acmb_plan_item_clear(struct acmb_plan_item *it);

/* Sets it->arn (it->role_arn) to a copy of arn, or to NULL for NULL or "";
 * the old one is freed. ACMB_E_TOO_BIG past ACMB_PLAN_ARN_MAX characters
 * (the field is then left as it was), ACMB_E_NOMEM. */
int acmb_plan_item_set_arn(struct acmb_plan_item *it, const char *arn);
int acmb_plan_item_set_role_arn(struct acmb_plan_item *it, const char *role_arn);

/* Adds a tag change (value or old_value NULL: the tag has none), growing
 * it->tags as needed; returns ACMB_E_TOO_BIG past ACMB_PLAN_TAGS_MAX or for
 * a key or value longer than ACM allows, ACMB_E_NOMEM. */
int acmb_plan_tag_change(
    struct acmb_plan_item *it, int op, const char *key, const char *value, const char *old_value);

/* The item as a JSON object (new reference; NULL when out of memory). Keys
 * are the AWS CLI's style: Action, Name, Region, CertificateArn, ... */
json_t *acmb_plan_item_to_json(const struct acmb_plan_item *it);

/* Reads an item back from acmb_plan_item_to_json()'s form (a saved plan)
 * into *it, which is cleared first (so it must be zeroed or a valid item);
 * the caller clears it after use. ACMB_E_PARSE naming the field for anything
 * else, *it then cleared. */
int acmb_plan_item_from_json(const json_t *j, struct acmb_plan_item *it, acmb_err *err);

/* One line for people: "reimport www eu-west-1 arn:...: serial 4f:.. → 9a:..". */
void acmb_plan_item_print(FILE *f, const struct acmb_plan_item *it);

/* 1 when a and b decide the same thing (action, target, certificate, tag
 * changes); reasons and times are not compared. */
int acmb_plan_item_same(const struct acmb_plan_item *a, const struct acmb_plan_item *b);

#endif
