/*
 * libFuzzer target for the last step of the PKCS#11 wrap path: the bytes a
 * token hands back (an unwrapped PrivateKeyInfo, zero padding included)
 * into an EVP_PKEY, through the exporter's own EC assembly (RFC 5915 parsed
 * with OpenSSL's ASN.1 templates, key built from the scalar) or OpenSSL's
 * PKCS#8 decoder. Oracle: whatever the exporter accepts, OpenSSL's own
 * PKCS#8 decoder accepts too and finds the same key.
 * Needs a test-hooks build (acmb_p11_test_decode). Runs without leak checks
 * (fuzz/CMakeLists.txt says why).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/decoder.h>
#include <openssl/evp.h>

#include "init.h"
#include "pkcs11/p11-export.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct acmb_p11_exporter *exporter;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	acmb_err err = {0};

	(void)argc;
	(void)argv;
	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return acmb_p11_exporter_new(&exporter, &err) == ACMB_OK ? 0 : 1;
}

/* OpenSSL's verdict on the same bytes, read as the exporter reads them:
 * one DER object, any trailing bytes ignored. */
static EVP_PKEY *
openssl_decode(const unsigned char *der, size_t len, const char *type)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;

	dctx = OSSL_DECODER_CTX_new_for_pkey(
	    &pkey, "DER", "PrivateKeyInfo", type, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx != NULL && OSSL_DECODER_from_data(dctx, &der, &len) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return pkey;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *ours = NULL, *theirs = NULL;
	acmb_err err = {0};
	CK_KEY_TYPE kt;

	/* The first byte picks the key type the token claimed. */
	if (size < 1 || size > 16384)
		return 0;
	kt = (data[0] & 1) ? CKK_EC : CKK_RSA;
	if (acmb_p11_test_decode(exporter, data + 1, size - 1, kt, &ours, &err) == ACMB_OK) {
		if (ours == NULL)
			__builtin_trap();
		theirs = openssl_decode(data + 1, size - 1, kt == CKK_EC ? "EC" : "RSA");
		if (theirs == NULL || EVP_PKEY_eq(ours, theirs) != 1)
			__builtin_trap();
	}
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return 0;
}
