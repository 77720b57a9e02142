/* sync's decisions (src/bridge/sync-plan.c), plan items (plan.c) and the
 * inventory records (inventory.c), with a fixed clock: every action and the
 * reason an operator reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/inventory.h"
#include "bridge/manifest.h"
#include "bridge/plan.h"
#include "bridge/sync-plan.h"
#include "init.h"

#define DAY 86400
static const time_t now = 1800000000; /* 2027-01-15 */

static const char manifest_text[] =
    "version: 1\n"
    "defaults:\n"
    "  destinations: [{region: eu-west-1}, {region: us-east-1}]\n"
    "  renew-before: 30d\n"
    "certificates:\n"
    "  - {name: www, dir: s}\n"
    "  - name: edge\n"
    "    dir: s\n"
    "    services: [cloudfront]\n"
    "    destinations: [{region: eu-west-1}]\n"
    "  - name: internal\n"
    "    private-ca: {certificate-authority-arn: "
    "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', dns-names: [int.example]}\n"
    "    renew-before: 33%\n"
    "  - name: adopted\n"
    "    dir: s\n"
    "    certificate-arn: {eu-west-1: 'arn:aws:acm:eu-west-1:1:certificate/old'}\n";

static struct acmb_manifest *m;

static int
setup(void **state)
{
	acmb_err err = {0};

	(void)state;
	return acmb_manifest_parse(
	    manifest_text, strlen(manifest_text), "t.yaml", "/x", 0, &m, &err);
}

static int
teardown(void **state)
{
	(void)state;
	acmb_manifest_free(m);
	return 0;
}

/* One listed certificate, as SearchCertificates gives it. */
static void
add(struct acmb_inventory *inv, const char *arn, const char *serial, const char *cn, time_t nb,
    time_t na, const char *type, const char *managed_by, int in_use)
{
	acmb_err err = {0};
	json_t *r = json_pack("{s:s, s:{s:s, s:{s:s}, s:s, s:I, s:I}, s:{s:{s:s, s:b, s:I}}}",
	    "CertificateArn", arn, "X509Attributes", "SerialNumber", serial, "Subject",
	    "CommonName", cn, "KeyAlgorithm", "RSA_2048", "NotBefore", (json_int_t)nb, "NotAfter",
	    (json_int_t)na, "CertificateMetadata", "AcmCertificateMetadata", "Type", type, "InUse",
	    in_use, "ImportedAt", (json_int_t)nb);

	assert_non_null(r);
	if (managed_by != NULL)
		json_object_set_new(json_object_get(json_object_get(r, "CertificateMetadata"),
		                        "AcmCertificateMetadata"),
		    "ManagedBy", json_string(managed_by));
	assert_int_equal(acmb_inventory_add_search_result(inv, r, &err), ACMB_OK);
	json_decref(r);
}

static void
tag(struct acmb_inventory *inv, size_t i, const char *name)
{
	acmb_err err = {0};
	json_t *t = json_pack("[{s:s, s:s}]", "Key", "acmbridge:name", "Value", name);

	assert_int_equal(acmb_inventory_set_tags(inv, i, t, &err), ACMB_OK);
	json_decref(t);
}

static const char *const www_domains[] = {"www.example.com"};

static struct acmb_sync_source
source(const char *serial, time_t nb, time_t na)
{
	struct acmb_sync_source s = {.known = 1,
	    .not_before = nb,
	    .not_after = na,
	    .key_algorithm = ACMB_ALG_RSA_2048,
	    .domains = www_domains,
	    .ndomains = 1};

	acmb_inventory_serial_norm(serial, s.serial, sizeof(s.serial));
	snprintf(s.sha256, sizeof(s.sha256), "%064d", 7);
	return s;
}

static void
decide(const char *name, size_t dest, const struct acmb_sync_source *src,
    const struct acmb_inventory *inv, struct acmb_plan_item *it)
{
	const struct acmb_manifest_entry *e = acmb_manifest_find(m, name);

	assert_non_null(e);
	assert_int_equal(acmb_sync_decide(e, dest, src, inv, now, it), ACMB_OK);
}

static void
expect(const struct acmb_plan_item *it, enum acmb_plan_action a, const char *reason)
{
	if (it->action != a || strstr(it->reason, reason) == NULL)
		fail_msg("got %s \"%s\"; wanted %s \"%s\"", acmb_plan_action_name(it->action),
		    it->reason, acmb_plan_action_name(a), reason);
}

static void
test_create_unchanged_reimport(void **state)
{
	struct acmb_inventory inv = {.region = "eu-west-1", .searched = 1};
	struct acmb_sync_source src = source("4F12", now - 10 * DAY, now + 80 * DAY);
	struct acmb_plan_item it = {0};
	json_t *empty = json_array();
	acmb_err err = {0};
	size_t idx[4];

	(void)state;
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_CREATE, "not in ACM yet");
	assert_int_equal(it.imports, 1);
	assert_string_equal(it.serial, "4f:12");

	/* The source's certificate in ACM: no tag needed to decide. */
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/a", "4f:12", "www.example.com",
	    now - 10 * DAY, now + 80 * DAY, "IMPORTED", NULL, 1);
	assert_int_equal(
	    acmb_sync_candidates(acmb_manifest_find(m, "www"), 0, &src, &inv, idx, 4), 0);
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_UNCHANGED, "expires in 80 d");
	assert_int_equal(it.ntags, 0);

	/* Imported by `import` without a name (tags read, none): taken over. */
	assert_int_equal(acmb_inventory_set_tags(&inv, 0, empty, &err), ACMB_OK);
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_UNCHANGED, "expires in 80 d");
	assert_string_equal(it.arn, "arn:aws:acm:eu-west-1:1:certificate/a");
	assert_int_equal(it.ntags, 1);
	assert_string_equal(it.tags[0].key, "acmbridge:name");

	/* Tagged as ours: unchanged, nothing to add. */
	tag(&inv, 0, "www");
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_UNCHANGED, "expires in 80 d");
	assert_int_equal(it.ntags, 0);
	assert_int_equal(it.imports, 0);

	/* cert-manager renewed it: a new serial, reimport into the same ARN. */
	src = source("9a01", now - DAY, now + 89 * DAY);
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_REIMPORT, "serial 4f:12 -> 9a:01");
	assert_string_equal(it.arn, "arn:aws:acm:eu-west-1:1:certificate/a");

	/* The source went back to an older certificate: refused. */
	src = source("0101", now - 100 * DAY, now + 5 * DAY);
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_BLOCKED, "refusing to go back");

	/* Inside renew-before and still the same certificate: unchanged, said. */
	src = source("4f12", now - 80 * DAY, now + 10 * DAY);
	inv.certs[0].not_after = now + 10 * DAY;
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_UNCHANGED, "the source has not renewed it yet");
	acmb_inventory_clear(&inv);
	json_decref(empty);
	acmb_plan_item_clear(&it);
}

static void
test_blocked(void **state)
{
	struct acmb_inventory inv = {.region = "eu-west-1", .searched = 1};
	struct acmb_sync_source src = source("4f12", now - 10 * DAY, now + 80 * DAY);
	struct acmb_plan_item it = {0};

	(void)state;
	/* CloudFront without a us-east-1 destination. */
	decide("edge", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_BLOCKED, "cloudfront needs the certificate in us-east-1");

	/* Two certificates claiming one name. */
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/a", "01", "www.example.com", now - DAY,
	    now + DAY, "IMPORTED", NULL, 0);
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/b", "02", "www.example.com", now - DAY,
	    now + DAY, "IMPORTED", NULL, 0);
	tag(&inv, 0, "www");
	tag(&inv, 1, "www");
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_BLOCKED, "two certificates claim acmbridge:name=www");

	/* ManagedBy CLOUDFRONT is never touched. */
	acmb_inventory_clear(&inv);
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/c", "03", "www.example.com", now - DAY,
	    now + DAY, "IMPORTED", "CLOUDFRONT", 1);
	tag(&inv, 0, "www");
	decide("www", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_BLOCKED, "ManagedBy CLOUDFRONT");

	/* An adopted ARN that is not there. */
	decide("adopted", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_BLOCKED,
	    "certificate-arn arn:aws:acm:eu-west-1:1:certificate/old is not");
	acmb_inventory_clear(&inv);
	acmb_plan_item_clear(&it);
}

static void
test_adopt(void **state)
{
	struct acmb_inventory inv = {.region = "eu-west-1", .searched = 1};
	struct acmb_sync_source src = source("77", now - DAY, now + 60 * DAY);
	struct acmb_plan_item it = {0};

	(void)state;
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/old", "66", "other.example.com",
	    now - 300 * DAY, now + 20 * DAY, "IMPORTED", NULL, 1);
	decide("adopted", 0, &src, &inv, &it);
	expect(&it, ACMB_PLAN_REIMPORT, "serial 66 -> 77");
	assert_string_equal(it.arn, "arn:aws:acm:eu-west-1:1:certificate/old");
	acmb_inventory_clear(&inv);
	acmb_plan_item_clear(&it);
}

static void
test_private_ca_renewal(void **state)
{
	struct acmb_inventory inv = {.region = "eu-west-1", .searched = 1};
	struct acmb_sync_source none = {0};
	struct acmb_plan_item it = {0};
	size_t idx[4];

	(void)state;
	decide("internal", 0, &none, &inv, &it);
	expect(&it, ACMB_PLAN_CREATE, "issue from Private CA");

	/* 90-day certificate, 33 % → due 29.7 days before the end. */
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/p", "0a", "int.example", now - 50 * DAY,
	    now + 40 * DAY, "IMPORTED", NULL, 1);
	assert_int_equal(
	    acmb_sync_candidates(acmb_manifest_find(m, "internal"), 0, &none, &inv, idx, 4), 1);
	tag(&inv, 0, "internal");
	decide("internal", 0, &none, &inv, &it);
	expect(&it, ACMB_PLAN_UNCHANGED, "expires in 40 d; renewal due in 10 d");
	assert_int_equal(it.renew_at, now + 40 * DAY - (90 * DAY) * 33 / 100);

	inv.certs[0].not_after = now + 20 * DAY;
	inv.certs[0].not_before = now - 70 * DAY;
	decide("internal", 0, &none, &inv, &it);
	expect(&it, ACMB_PLAN_RENEW, "expires in 20 d, renewal due since 9 d");
	assert_int_equal(it.imports, 1);

	inv.certs[0].not_after = now - 2 * DAY;
	decide("internal", 0, &none, &inv, &it);
	expect(&it, ACMB_PLAN_RENEW, "expired 2 d ago");
	acmb_inventory_clear(&inv);
	acmb_plan_item_clear(&it);
}

static void
test_prune(void **state)
{
	struct acmb_inventory inv = {.region = "eu-west-1", .searched = 1};
	struct acmb_plan_item items[4] = {{0}};
	size_t i, n = 0;

	(void)state;
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/a", "01", "a", now, now, "IMPORTED", NULL,
	    0);
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/b", "02", "b", now, now, "IMPORTED", NULL,
	    1);
	add(&inv, "arn:aws:acm:eu-west-1:1:certificate/c", "03", "c", now, now, "IMPORTED", NULL,
	    0);
	tag(&inv, 0, "gone");
	tag(&inv, 1, "gone-too");
	tag(&inv, 2, "www");
	assert_int_equal(acmb_sync_prune(m, &inv, items, 4, &n), ACMB_OK);
	assert_int_equal(n, 2);
	expect(&items[0], ACMB_PLAN_PRUNE, "gone left the manifest and is not in use");
	assert_string_equal(items[0].arn, "arn:aws:acm:eu-west-1:1:certificate/a");
	expect(
	    &items[1], ACMB_PLAN_BLOCKED, "gone-too left the manifest but ACM says it is in use");
	for (i = 0; i < n; i++)
		acmb_plan_item_clear(&items[i]);
	acmb_inventory_clear(&inv);
}

static void
test_shards(void **state)
{
	const struct acmb_manifest_destination d1 = {.region = "eu-west-1"};
	const struct acmb_manifest_destination d2 = {.region = "us-east-1", .profile = "p"};
	unsigned counts[4] = {0};
	char name[32];
	int i;

	(void)state;
	/* Stable: the same pair always lands in the same shard. */
	assert_int_equal(acmb_sync_shard("www", &d1, 4), acmb_sync_shard("www", &d1, 4));
	assert_int_equal(acmb_sync_shard("www", &d1, 1), 0);
	/* Spread: 4,000 names over 4 shards, none empty or lopsided. */
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "cert-%d", i);
		counts[acmb_sync_shard(name, &d1, 4)]++;
		counts[acmb_sync_shard(name, &d2, 4)]++;
	}
	for (i = 0; i < 4; i++)
		if (counts[i] < 800 || counts[i] > 1200)
			fail_msg("shard %d got %u of 4000", i, counts[i]);
}

static void
test_plan_json_round_trip(void **state)
{
	struct acmb_plan_item a = {.action = ACMB_PLAN_REIMPORT, .imports = 1, .not_after = now};
	struct acmb_plan_item b = {0};
	acmb_err err = {0};
	json_t *j;

	(void)state;
	snprintf(a.name, sizeof(a.name), "www");
	snprintf(a.region, sizeof(a.region), "eu-west-1");
	assert_int_equal(
	    acmb_plan_item_set_arn(&a, "arn:aws:acm:eu-west-1:1:certificate/a"), ACMB_OK);
	acmb_plan_reason(&a, "serial %s -> %s", "4f", "9a");
	assert_int_equal(acmb_plan_tag_change(&a, '~', "team", "edge", "core"), ACMB_OK);
	j = acmb_plan_item_to_json(&a);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "Action")), "reimport");
	assert_string_equal(
	    json_string_value(json_object_get(j, "NotAfter")), "2027-01-15T08:00:00Z");
	assert_int_equal(acmb_plan_item_from_json(j, &b, &err), ACMB_OK);
	assert_true(acmb_plan_item_same(&a, &b));
	assert_int_equal(b.not_after, now);
	assert_string_equal(b.tags[0].old_value, "core");
	json_object_set_new(j, "Colour", json_string("red"));
	assert_int_equal(acmb_plan_item_from_json(j, &b, &err), ACMB_E_PARSE);
	assert_non_null(strstr(err.msg, "unknown key Colour"));
	json_object_del(j, "Colour");
	json_object_set_new(j, "Action", json_string("explode"));
	assert_int_equal(acmb_plan_item_from_json(j, &b, &err), ACMB_E_PARSE);
	json_decref(j);
	acmb_plan_item_clear(&a);
	acmb_plan_item_clear(&b);
}

/* An import's item through the public text form (a saved plan): a tag
 * without a value stays without one (null, not ""), a tag change without a
 * Value and an oversized text are refused by name. */
static void
test_import_item_text_round_trip(void **state)
{
	struct acmb_plan_item a = {.action = ACMB_PLAN_CREATE, .imports = 1};
	struct acmb_plan_item *b = NULL;
	acmb_err err = {0};
	char *text = NULL, *big;

	(void)state;
	snprintf(a.region, sizeof(a.region), "us-east-1");
	snprintf(a.sha256, sizeof(a.sha256), "%064d", 7);
	snprintf(a.serial, sizeof(a.serial), "0a:1b");
	assert_int_equal(acmb_plan_tag_change(&a, '+', "env", NULL, NULL), ACMB_OK);
	assert_int_equal(acmb_plan_tag_change(&a, '+', "team", "", NULL), ACMB_OK);
	assert_int_equal(acmb_plan_item_json(&a, &text, &err), ACMB_OK);
	assert_non_null(strstr(text, "\"Action\":\"create\""));
	assert_non_null(strstr(text, "\"Key\":\"env\",\"Value\":null"));
	assert_non_null(strstr(text, "\"Key\":\"team\",\"Value\":\"\""));
	assert_int_equal(acmb_plan_item_parse(text, &b, &err), ACMB_OK);
	assert_true(acmb_plan_item_same(&a, b));
	assert_int_equal(b->tags[0].no_value, 1);
	assert_int_equal(b->tags[1].no_value, 0);
	assert_string_equal(b->sha256, a.sha256);
	assert_string_equal(b->serial, "0a:1b");
	assert_true(b->listed_at == 0.0); /* a saved item always looks again */
	acmb_plan_item_free(b);
	b = NULL;
	assert_int_equal(acmb_plan_item_parse("{\"Action\":\"create\",\"Region\":\"us-east-1\","
	                                      "\"TagChanges\":[{\"Op\":\"add\",\"Key\":\"k\"}]}",
	                     &b, &err),
	    ACMB_E_PARSE);
	assert_null(b);
	assert_non_null(strstr(err.msg, "TagChanges[0] needs Op, Key and Value"));
	assert_int_equal(acmb_plan_item_parse("{", &b, &err), ACMB_E_PARSE);
	big = calloc(1, ACMB_PLAN_ITEM_JSON_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', ACMB_PLAN_ITEM_JSON_MAX + 1);
	assert_int_equal(acmb_plan_item_parse(big, &b, &err), ACMB_E_TOO_BIG);
	free(big);
	free(text);
	acmb_plan_item_clear(&a);
}

/* Tag changes grow on demand to ACM's 50 and acmbridge's two, no further;
 * clearing frees them (LeakSanitizer checks under ACMB_SANITIZE) and leaves
 * an item that can be filled again. */
static void
test_plan_tags_grow_and_clear(void **state)
{
	struct acmb_plan_item it = {0};
	char key[32], value[32], long_key[200];
	int i;

	(void)state;
	assert_null(it.tags);
	for (i = 0; i < ACMB_PLAN_TAGS_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(value, sizeof(value), "v%d", i);
		assert_int_equal(acmb_plan_tag_change(&it, '+', key, value, NULL), ACMB_OK);
	}
	assert_int_equal(it.ntags, 52);
	/* Every change kept as it was added, across the array's growth. */
	for (i = 0; i < ACMB_PLAN_TAGS_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(value, sizeof(value), "v%d", i);
		assert_string_equal(it.tags[i].key, key);
		assert_string_equal(it.tags[i].value, value);
		assert_int_equal(it.tags[i].op, '+');
	}
	assert_int_equal(acmb_plan_tag_change(&it, '+', "one-more", "x", NULL), ACMB_E_TOO_BIG);
	assert_int_equal(it.ntags, 52);
	assert_int_equal(
	    acmb_plan_item_set_arn(&it, "arn:aws:acm:eu-west-1:1:certificate/a"), ACMB_OK);
	acmb_plan_item_clear(&it);
	assert_null(it.tags);
	assert_null(it.arn);
	assert_int_equal(it.ntags, 0);
	/* A key longer than ACM's 128 characters is refused, not cut. */
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(acmb_plan_tag_change(&it, '+', long_key, "v", NULL), ACMB_E_TOO_BIG);
	assert_int_equal(it.ntags, 0);
	assert_int_equal(acmb_plan_tag_change(&it, '~', "team", "edge", "core"), ACMB_OK);
	assert_string_equal(it.tags[0].old_value, "core");
	acmb_plan_item_clear(&it);
	acmb_plan_item_clear(NULL);
}

/* An ARN of every length AWS allows (ACM's CertificateArn and IAM's role
 * ARN reach 2048) survives the plan's JSON and its saved text unchanged;
 * one longer is refused by name, not cut. */
static void
test_plan_long_arns(void **state)
{
	static const char cert_prefix[] = "arn:aws:acm:eu-west-1:123456789012:certificate/";
	static const char role_prefix[] = "arn:aws:iam::123456789012:role/";
	struct acmb_plan_item a = {.action = ACMB_PLAN_REIMPORT, .imports = 1};
	struct acmb_plan_item b = {0}, *c = NULL;
	char arn[ACMB_PLAN_ARN_MAX + 2], role[1001];
	acmb_err err = {0};
	char *text = NULL;
	json_t *j;

	(void)state;
	memset(arn, 'a', sizeof(arn));
	memcpy(arn, cert_prefix, sizeof(cert_prefix) - 1);
	arn[ACMB_PLAN_ARN_MAX] = '\0';
	memset(role, 'r', sizeof(role));
	memcpy(role, role_prefix, sizeof(role_prefix) - 1);
	role[1000] = '\0';
	snprintf(a.name, sizeof(a.name), "www");
	snprintf(a.region, sizeof(a.region), "eu-west-1");
	assert_int_equal(acmb_plan_item_set_arn(&a, arn), ACMB_OK);
	assert_int_equal(acmb_plan_item_set_role_arn(&a, role), ACMB_OK);
	assert_int_equal(strlen(a.arn), 2048);
	assert_int_equal(acmb_plan_tag_change(&a, '+', "env", "prod", NULL), ACMB_OK);

	j = acmb_plan_item_to_json(&a);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "CertificateArn")), arn);
	assert_string_equal(json_string_value(json_object_get(j, "RoleArn")), role);
	assert_int_equal(acmb_plan_item_from_json(j, &b, &err), ACMB_OK);
	assert_string_equal(b.arn, arn);
	assert_string_equal(b.role_arn, role);
	assert_true(acmb_plan_item_same(&a, &b));
	/* Read again into the same item: the first reading's heap is freed. */
	assert_int_equal(acmb_plan_item_from_json(j, &b, &err), ACMB_OK);
	assert_string_equal(b.arn, arn);

	/* The saved text form (import --dry-run, a saved plan). */
	assert_int_equal(acmb_plan_item_json(&a, &text, &err), ACMB_OK);
	assert_int_equal(acmb_plan_item_parse(text, &c, &err), ACMB_OK);
	assert_string_equal(c->arn, arn);
	assert_string_equal(c->role_arn, role);
	acmb_plan_item_free(c);
	free(text);

	/* One character more than AWS allows: refused, the field kept. */
	arn[ACMB_PLAN_ARN_MAX] = 'a';
	arn[ACMB_PLAN_ARN_MAX + 1] = '\0';
	assert_int_equal(acmb_plan_item_set_arn(&a, arn), ACMB_E_TOO_BIG);
	assert_int_equal(strlen(a.arn), 2048);
	json_object_set_new(j, "CertificateArn", json_string(arn));
	assert_int_equal(acmb_plan_item_from_json(j, &b, &err), ACMB_E_PARSE);
	assert_non_null(strstr(err.msg, "CertificateArn is longer than 2048"));
	assert_null(b.arn); /* a failed read leaves the item cleared */
	assert_null(b.tags);

	/* "" and NULL are no ARN. */
	assert_int_equal(acmb_plan_item_set_role_arn(&a, ""), ACMB_OK);
	assert_null(a.role_arn);
	json_decref(j);
	acmb_plan_item_clear(&a);
	acmb_plan_item_clear(&b);
}

static void
test_serial_norm(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(acmb_inventory_serial_norm("4F:12:0a", out, sizeof(out)), 0);
	assert_string_equal(out, "4f:12:0a");
	assert_int_equal(acmb_inventory_serial_norm("abc", out, sizeof(out)), 0);
	assert_string_equal(out, "0a:bc");
	assert_int_equal(acmb_inventory_serial_norm("xyz", out, sizeof(out)), -1);
	assert_int_equal(acmb_inventory_serial_norm("", out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_unchanged_reimport),
	    cmocka_unit_test(test_blocked),
	    cmocka_unit_test(test_adopt),
	    cmocka_unit_test(test_private_ca_renewal),
	    cmocka_unit_test(test_prune),
	    cmocka_unit_test(test_shards),
	    cmocka_unit_test(test_plan_json_round_trip),
	    cmocka_unit_test(test_import_item_text_round_trip),
	    cmocka_unit_test(test_plan_tags_grow_and_clear),
	    cmocka_unit_test(test_plan_long_arns),
	    cmocka_unit_test(test_serial_norm),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
