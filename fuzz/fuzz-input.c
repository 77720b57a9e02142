/*
 * libFuzzer target for the input layer: arbitrary bytes as the contents of
 * the certificate, private key and chain fields, through the same PEM scan,
 * base64, DER and key decoding the files source uses. What decodes must come
 * back out as PEM that decodes to the same thing.
 *
 * No passphrase is given: decrypting fuzzed keys would mostly measure PBKDF2
 * iteration counts taken from the input (OpenSSL fuzzes its own decryption);
 * encrypted keys stop at the "needs a passphrase" status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bridge/source-files.h"
#include "init.h"
#include "input.h"
#include "material.h"
#include "secmem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t field_max[ACMB_FIELD_COUNT] = {
    [ACMB_FIELD_CERT] = ACMB_INPUT_MAX_CERT,
    [ACMB_FIELD_KEY] = ACMB_INPUT_MAX_KEY,
    [ACMB_FIELD_CHAIN] = ACMB_INPUT_MAX_CHAIN,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	acmb_err err = {0};

	(void)argc;
	(void)argv;
	if (acmb_init(NULL, &err) != ACMB_OK)
		abort();
	return 0;
}

/* Encoded certificates decode again to as many certificates. */
static void
check_certs_round_trip(const struct acmb_material *m, enum acmb_field f)
{
	struct acmb_material *again = NULL;
	acmb_err err = {0};
	char *pem = NULL;
	size_t len = 0;
	int r, want;

	if (f == ACMB_FIELD_CERT)
		r = acmb_material_cert_pem(m, &pem, &len, &err);
	else
		r = acmb_material_chain_pem(m, &pem, &len, &err);
	if (r != ACMB_OK)
		abort();
	want = f == ACMB_FIELD_CERT ? 1 : sk_X509_num(m->chain);
	if ((again = acmb_material_new()) == NULL)
		abort();
	if (acmb_files_decode_field(again, f, (const unsigned char *)pem, len, NULL, 0, &err) !=
	        ACMB_OK ||
	    again->info[f].status != ACMB_OK || again->info[f].blocks != (size_t)want ||
	    again->info[f].flags != 0)
		abort();
	acmb_material_free(again);
	free(pem);
}

/* The key sent is PKCS#8 PEM in the secure heap that decodes to the key. */
static void
check_key_round_trip(const struct acmb_material *m)
{
	struct acmb_material *again = NULL;
	acmb_secbuf *pem = NULL;
	acmb_err err = {0};

	/* Exotic keys OpenSSL cannot write as PKCS#8 are the rules' business. */
	if (acmb_material_key_pem(m, &pem, &err) != ACMB_OK)
		return;
	if ((again = acmb_material_new()) == NULL)
		abort();
	if (acmb_files_decode_field(again, ACMB_FIELD_KEY, acmb_secbuf_ptr(pem),
	        acmb_secbuf_len(pem), NULL, 0, &err) != ACMB_OK ||
	    again->info[ACMB_FIELD_KEY].status != ACMB_OK || EVP_PKEY_eq(again->key, m->key) != 1)
		abort();
	acmb_material_free(again);
	acmb_secbuf_free(pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acmb_material *m;
	acmb_err err = {0};
	enum acmb_field f;

	if ((m = acmb_material_new()) == NULL)
		return 0;
	for (f = 0; f < ACMB_FIELD_COUNT; f++) {
		if (size > field_max[f])
			continue;
		if (acmb_files_decode_field(m, f, data, size, NULL, 0, &err) != ACMB_OK)
			abort();
		/* An unusable field says why and holds no objects. */
		if (m->info[f].status != ACMB_OK &&
		    (m->info[f].message[0] == '\0' || (f == ACMB_FIELD_CERT && m->certs != NULL) ||
		        (f == ACMB_FIELD_KEY && m->key != NULL) ||
		        (f == ACMB_FIELD_CHAIN && m->chain != NULL)))
			abort();
	}
	if (m->info[ACMB_FIELD_CERT].status == ACMB_OK && m->info[ACMB_FIELD_CERT].present)
		check_certs_round_trip(m, ACMB_FIELD_CERT);
	if (m->info[ACMB_FIELD_CHAIN].status == ACMB_OK && m->info[ACMB_FIELD_CHAIN].present)
		check_certs_round_trip(m, ACMB_FIELD_CHAIN);
	if (m->info[ACMB_FIELD_KEY].status == ACMB_OK && m->info[ACMB_FIELD_KEY].present)
		check_key_round_trip(m);
	acmb_material_free(m);
	return 0;
}
