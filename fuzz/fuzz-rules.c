/*
 * libFuzzer target for ACM's rules over outside certificates: arbitrary
 * bytes as the chain field of a material whose leaf and key are fixed, then
 * every rule (chain ordering with loops, duplicates and junk included); and
 * the same bytes as a --at time. Nothing may crash, hang or leak.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acm/rules.h"
#include "bridge/check.h"
#include "bridge/source-files.h"
#include "init.h"
#include "material.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *leaf;
static EVP_PKEY *key;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	acmb_err err = {0};
	X509_NAME *n;

	(void)argc;
	(void)argv;
	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf = X509_new();
	n = X509_NAME_new();
	if (key == NULL || leaf == NULL || n == NULL)
		return 1;
	X509_set_version(leaf, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(leaf), 1);
	X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz leaf", -1, -1, 0);
	X509_set_subject_name(leaf, n);
	X509_NAME_free(n);
	n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz CA", -1, -1, 0);
	X509_set_issuer_name(leaf, n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(leaf), -3600);
	X509_gmtime_adj(X509_getm_notAfter(leaf), 86400);
	X509_set_pubkey(leaf, key);
	return X509_sign(leaf, key, EVP_sha256()) > 0 ? 0 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acmb_material *m = acmb_material_new();
	struct acmb_rules_report *rep = OPENSSL_zalloc(sizeof(*rep));
	acmb_err err = {0};
	char at[64];
	time_t t;

	if (m == NULL || rep == NULL)
		goto out;
	if ((m->certs = sk_X509_new_null()) == NULL || !X509_up_ref(leaf))
		goto out;
	if (!sk_X509_push(m->certs, leaf)) {
		X509_free(leaf);
		goto out;
	}
	m->info[ACMB_FIELD_CERT].present = 1;
	if (!EVP_PKEY_up_ref(key))
		goto out;
	m->key = key;
	m->info[ACMB_FIELD_KEY].present = 1;
	if (acmb_files_decode_field(m, ACMB_FIELD_CHAIN, data, size, NULL, 0, &err) == ACMB_OK)
		(void)acmb_rules_judge(m, time(NULL), rep, &err);

	memcpy(at, data, size < sizeof(at) - 1 ? size : sizeof(at) - 1);
	at[size < sizeof(at) - 1 ? size : sizeof(at) - 1] = '\0';
	(void)acmb_check_parse_time(at, &t, &err);
out:
	OPENSSL_free(rep);
	acmb_material_free(m);
	return 0;
}
