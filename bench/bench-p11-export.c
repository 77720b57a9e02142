/*
 * Benchmark driver for bench/export.sh: exports per second of one key
 * through the wrap path (acmb_p11_export_key: one-off wrapping key created
 * and destroyed, C_WrapKey, OpenSSL unwrap, DER trim, key decode) against
 * a floor measured in the same process on the same token: bare C_WrapKey
 * under one fixed wrapping key plus the OpenSSL unwrap, nothing else.
 *
 *   bench-p11-export MODULE TOKEN PIN_ENV KEY_LABEL ITERATIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "init.h"
#include "pkcs11/p11-export.h"
#include "pkcs11/p11-module.h"
#include "pkcs11/p11-object.h"
#include "pkcs11/p11-session.h"

#define ROUNDS 10

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fail(const char *what, const acmb_err *err)
{
	fprintf(stderr, "bench-p11-export: %s: %s\n", what, err != NULL ? err->msg : "");
	return 1;
}

/* The floor: what any export must at least do. */
static int
floor_once(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_MECHANISM *mech,
    const char *cipher_name, CK_OBJECT_HANDLE wk, const unsigned char *aes, CK_OBJECT_HANDLE key)
{
	unsigned char wrapped[16384], plain[16384 + 16];
	CK_ULONG len = sizeof(wrapped);
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher_name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	ok = t->fn->C_WrapKey(s, mech, wk, key, wrapped, &len) == CKR_OK;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	ok = ok && EVP_DecryptInit_ex2(ctx, c, aes, NULL, NULL) == 1 &&
	     EVP_DecryptUpdate(ctx, plain, &n1, wrapped, (int)len) == 1 &&
	     EVP_DecryptFinal_ex(ctx, plain + n1, &n2) == 1;
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return ok;
}

int
main(int argc, char **argv)
{
	struct acmb_p11_modules *mods = NULL;
	struct acmb_p11_token toks[ACMB_P11_TOKENS_MAX], *t = NULL;
	struct acmb_p11_pin_spec pin = {.no_prompt = 1};
	struct acmb_p11_object key;
	CK_SESSION_HANDLE s;
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2];
	CK_OBJECT_HANDLE kh, wk;
	CK_MECHANISM mech = {0, NULL, 0};
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_KEY_TYPE aest = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char aes[32];
	CK_ATTRIBUTE wt[] = {
	    {CKA_CLASS, &sk, sizeof(sk)},
	    {CKA_KEY_TYPE, &aest, sizeof(aest)},
	    {CKA_TOKEN, &no, sizeof(no)},
	    {CKA_WRAP, &yes, sizeof(yes)},
	    {CKA_VALUE, aes, sizeof(aes)},
	};
	const char *cipher;
	acmb_err err = {0, ""};
	EVP_PKEY *pk = NULL;
	size_t n = 0, i;
	long iters, round;
	struct acmb_p11_exporter *x = NULL;
	double t0, floor_s, export_s, cold_s;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return fail("init", &err);
	if (argc != 6)
		return fail("usage: MODULE TOKEN PIN_ENV KEY_LABEL ITERATIONS", NULL);
	iters = strtol(argv[5], NULL, 10);
	pin.pin_env = argv[3];
	if (acmb_p11_modules_open(argv[1], &mods, &err) != ACMB_OK ||
	    acmb_p11_tokens_find(mods, NULL, toks, ACMB_P11_TOKENS_MAX, &n, &err) != ACMB_OK)
		return fail("module", &err);
	for (i = 0; i < n; i++)
		if (strcmp(toks[i].label, argv[2]) == 0)
			t = &toks[i];
	if (t == NULL)
		return fail("no such token", NULL);
	if (acmb_p11_session_open(t, &s, &err) != ACMB_OK ||
	    acmb_p11_login(t, s, &pin, NULL, &err) != ACMB_OK)
		return fail("login", &err);
	tmpl[0] = (CK_ATTRIBUTE){CKA_CLASS, &priv, sizeof(priv)};
	tmpl[1] = (CK_ATTRIBUTE){CKA_LABEL, argv[4], strlen(argv[4])};
	if (acmb_p11_find(t, s, tmpl, 2, &kh, 1, &n, &err) != ACMB_OK || n != 1)
		return fail("key not found", &err);
	if (acmb_p11_object_describe(t, s, kh, &key, &err) != ACMB_OK ||
	    acmb_p11_wrap_mechanism(t, &mech.mechanism, &cipher, &err) != ACMB_OK)
		return fail("key", &err);
	if (mech.mechanism == CKM_AES_CBC_PAD)
		return fail("this bench measures the AES key wrap mechanisms only", NULL);
	RAND_bytes(aes, sizeof(aes));
	if (t->fn->C_CreateObject(s, wt, 5, &wk) != CKR_OK)
		return fail("floor wrapping key", NULL);
	/* Warm up both paths once. */
	if (!floor_once(t, s, &mech, cipher, wk, aes, kh))
		return fail("floor", NULL);
	if (acmb_p11_exporter_new(&x, &err) != ACMB_OK ||
	    acmb_p11_export_key(x, t, s, &key, ACMB_P11_EXPORT_WRAPPED, CK_INVALID_HANDLE, NULL,
	        &pk, &err) != ACMB_OK)
		return fail("export", &err);
	EVP_PKEY_free(pk);
	/* Interleave the three loops in rounds so that load from other processes
	 * on the machine falls on all of them alike. */
	floor_s = export_s = cold_s = 0;
	for (round = 0; round < ROUNDS; round++) {
		t0 = now();
		for (i = 0; i < (size_t)iters / ROUNDS; i++)
			if (!floor_once(t, s, &mech, cipher, wk, aes, kh))
				return fail("floor", NULL);
		floor_s += now() - t0;
		t0 = now();
		for (i = 0; i < (size_t)iters / ROUNDS; i++) {
			if (acmb_p11_export_key(x, t, s, &key, ACMB_P11_EXPORT_WRAPPED,
			        CK_INVALID_HANDLE, NULL, &pk, &err) != ACMB_OK)
				return fail("export", &err);
			EVP_PKEY_free(pk);
		}
		export_s += now() - t0;
		/* Without reuse: what a single-key run pays per export. */
		t0 = now();
		for (i = 0; i < (size_t)iters / ROUNDS; i++) {
			if (acmb_p11_export_key(NULL, t, s, &key, ACMB_P11_EXPORT_WRAPPED,
			        CK_INVALID_HANDLE, NULL, &pk, &err) != ACMB_OK)
				return fail("export", &err);
			EVP_PKEY_free(pk);
		}
		cold_s += now() - t0;
	}
	iters = iters / ROUNDS * ROUNDS;
	OPENSSL_cleanse(aes, sizeof(aes));
	t->fn->C_DestroyObject(s, wk);
	printf("%s floor=%.1f/s export-no-reuse=%.1f/s (ratio %.2f) export=%.1f/s ratio=%.2f\n",
	    argv[4], (double)iters / floor_s, (double)iters / cold_s, cold_s / floor_s,
	    (double)iters / export_s, export_s / floor_s);
	acmb_p11_exporter_free(x);
	acmb_p11_session_close(t, s);
	acmb_p11_modules_close(mods);
	acmb_shutdown();
	return 0;
}
