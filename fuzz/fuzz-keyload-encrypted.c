/*
 * libFuzzer target for encrypted private keys opened with a wrong
 * passphrase: PKCS#8 PBES2 (DER and PEM) and legacy Proc-Type PEM with
 * DEK-Info, through acmb_keyload_decode().
 *
 * A wrong passphrase gives valid CBC padding about once in 256 tries, and
 * then the decoders parse garbage plaintext. Here that path is taken on
 * every run: the input supplies the salt, the IV and the plaintext, and the
 * ciphertext is made so that the passphrase the loader is given decrypts
 * to exactly that plaintext, padding valid, and libFuzzer mutates that
 * garbage (its coverage is our code's only: libcrypto is not instrumented,
 * so OpenSSL's DER parsers behind the decryption get the garbage unguided,
 * on every run). One bit turns the input's bytes into the ciphertext
 * instead (the common case: random padding, nearly always refused).
 *
 * Input: byte 0 picks the container (bits 0-1), the cipher (bits 2-3) and
 * the mode (bit 4); the next 16 bytes are the salt (PKCS#8), the next 16 the
 * IV (its first 8 bytes are also the legacy PEM salt); the rest is the
 * plaintext (or the ciphertext). PBKDF2 runs one iteration: the cost of
 * many would be all the fuzzer measured.
 *
 * Oracle: the loader says "wrong passphrase" and returns no key, or it
 * returns a key that survives a PKCS#8 round trip; either way OpenSSL's
 * error queue is left empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "init.h"
#include "keyload.h"
#include "secmem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SALT_LEN 16
#define FUZZ_IV_LEN 16
#define FUZZ_HEAD (1 + FUZZ_SALT_LEN + FUZZ_IV_LEN)
/* Larger than any key the tests use (16384-bit RSA is about 9 KiB of DER). */
#define FUZZ_BODY_MAX 12288

static const char pass[] = "a wrong passphrase";

enum container { PKCS8_DER, PKCS8_PEM, LEGACY_RSA_PEM, LEGACY_EC_PEM };

static const char *const ciphers[] = {"AES-256-CBC", "AES-128-CBC", "DES-EDE3-CBC", "AES-192-CBC"};

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

/* CBC with PKCS#7 padding: the ciphertext of in under key and iv, into a
 * new buffer the caller frees with OPENSSL_free(). */
static unsigned char *
cbc_encrypt(const EVP_CIPHER *c, const unsigned char *key, const unsigned char *iv,
    const unsigned char *in, size_t inlen, int *outlen)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned char *out = OPENSSL_malloc(inlen + 32);
	int n = 0, m = 0;

	if (ctx == NULL || out == NULL || !EVP_EncryptInit_ex2(ctx, c, key, iv, NULL) ||
	    !EVP_EncryptUpdate(ctx, out, &n, in, (int)inlen) ||
	    !EVP_EncryptFinal_ex(ctx, out + n, &m))
		abort();
	EVP_CIPHER_CTX_free(ctx);
	*outlen = n + m;
	return out;
}

/* The PBES2 EncryptedPrivateKeyInfo (PBKDF2, one iteration, HMAC-SHA256)
 * whose decryption under pass is body, or whose ciphertext is body when raw
 * (cut to whole blocks). Returns the DER length with *der set (caller frees
 * with OPENSSL_free()). */
static int
make_pkcs8(const EVP_CIPHER *c, unsigned char *salt, unsigned char *iv, const unsigned char *body,
    size_t blen, int raw, unsigned char **der)
{
	unsigned char key[EVP_MAX_KEY_LENGTH];
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	unsigned char *ct;
	X509_SIG *sig;
	X509_ALGOR *alg, *sig_alg = NULL;
	ASN1_OCTET_STRING *sig_data = NULL;
	int ctlen, ptype = 0, len;

	alg = PKCS5_pbe2_set_iv(c, 1, salt, FUZZ_SALT_LEN, iv, NID_hmacWithSHA256);
	if (alg == NULL || (sig = X509_SIG_new()) == NULL)
		abort();
	if (raw) {
		ctlen = (int)(blen - blen % (size_t)EVP_CIPHER_get_block_size(c));
		if ((ct = OPENSSL_malloc(blen + 1)) == NULL)
			abort();
		memcpy(ct, body, blen);
	} else {
		if (!PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt, FUZZ_SALT_LEN, 1,
		        EVP_sha256(), EVP_CIPHER_get_key_length(c), key))
			abort();
		ct = cbc_encrypt(c, key, iv, body, blen, &ctlen);
		OPENSSL_cleanse(key, sizeof(key));
	}
	/* X509_SIG has no setter: its members are filled in place. */
	X509_SIG_getm(sig, &sig_alg, &sig_data);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE ||
	    !X509_ALGOR_set0(sig_alg, OBJ_dup(obj), ptype, ASN1_STRING_dup(pval)) ||
	    !ASN1_OCTET_STRING_set(sig_data, ct, ctlen))
		abort();
	*der = NULL;
	if ((len = i2d_X509_SIG(sig, der)) <= 0)
		abort();
	X509_ALGOR_free(alg);
	X509_SIG_free(sig);
	OPENSSL_free(ct);
	return len;
}

/* "-----BEGIN type-----" PEM of der, with headers (NULL for none), into a
 * new buffer the caller frees with OPENSSL_free(). */
static unsigned char *
make_pem(const char *type, const char *headers, const unsigned char *der, long len, size_t *pemlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;
	unsigned char *out;

	if (bio == NULL ||
	    PEM_write_bio(bio, type, headers != NULL ? headers : "", der, len) <= 0 ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || (out = OPENSSL_malloc(mem->length)) == NULL)
		abort();
	memcpy(out, mem->data, mem->length);
	*pemlen = mem->length;
	BIO_free(bio);
	return out;
}

/* Legacy Proc-Type PEM: the key is EVP_BytesToKey(MD5, the IV's first 8
 * bytes as salt, pass, one round), as PEM_do_header() derives it. */
static unsigned char *
make_legacy(const char *type, const EVP_CIPHER *c, const unsigned char *iv,
    const unsigned char *body, size_t blen, int raw, size_t *pemlen)
{
	unsigned char key[EVP_MAX_KEY_LENGTH], *ct, *pem;
	char headers[128];
	int ivlen = EVP_CIPHER_get_iv_length(c), ctlen, i, n;

	n = snprintf(headers, sizeof(headers), "Proc-Type: 4,ENCRYPTED\nDEK-Info: %s,",
	    EVP_CIPHER_get0_name(c));
	for (i = 0; i < ivlen && n > 0 && (size_t)n + 3 < sizeof(headers); i++)
		n += snprintf(headers + n, sizeof(headers) - (size_t)n, "%02X", iv[i]);
	if (n <= 0 || (size_t)n + 2 >= sizeof(headers))
		abort();
	memcpy(headers + n, "\n", 2);
	if (raw) {
		ctlen = (int)(blen - blen % (size_t)EVP_CIPHER_get_block_size(c));
		return make_pem(type, headers, body, ctlen, pemlen);
	}
	if (!EVP_BytesToKey(
	        c, EVP_md5(), iv, (const unsigned char *)pass, (int)strlen(pass), 1, key, NULL))
		abort();
	ct = cbc_encrypt(c, key, iv, body, blen, &ctlen);
	OPENSSL_cleanse(key, sizeof(key));
	pem = make_pem(type, headers, ct, ctlen, pemlen);
	OPENSSL_free(ct);
	return pem;
}

/* What a key that came out must do: leave as PKCS#8 PEM that decodes to
 * the same key. Exotic keys OpenSSL cannot write are the rules' business. */
static void
check_key(EVP_PKEY *k)
{
	struct acmb_keyload_info info;
	acmb_secbuf *pem = NULL;
	EVP_PKEY *again = NULL;
	acmb_err err = {0};

	if (acmb_keyload_pkcs8_pem(k, &pem, &err) != ACMB_OK)
		return;
	if (acmb_keyload_decode(acmb_secbuf_ptr(pem), acmb_secbuf_len(pem), "PRIVATE KEY", NULL, 0,
	        &again, &info, &err) != ACMB_OK ||
	    EVP_PKEY_eq(again, k) != 1)
		abort();
	EVP_PKEY_free(again);
	acmb_secbuf_free(pem);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pem_types[] = {
	    NULL, "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"};
	unsigned char salt[FUZZ_SALT_LEN], iv[FUZZ_IV_LEN], *der = NULL, *in = NULL;
	const unsigned char *body;
	struct acmb_keyload_info info;
	enum container kind;
	const EVP_CIPHER *c;
	EVP_PKEY *k = NULL;
	acmb_err err = {0};
	size_t blen, inlen = 0;
	int raw, r, derlen;

	if (size < FUZZ_HEAD || size - FUZZ_HEAD > FUZZ_BODY_MAX)
		return 0;
	kind = (enum container)(data[0] & 3);
	c = EVP_get_cipherbyname(ciphers[(data[0] >> 2) & 3]);
	raw = (data[0] >> 4) & 1;
	memcpy(salt, data + 1, FUZZ_SALT_LEN);
	memcpy(iv, data + 1 + FUZZ_SALT_LEN, FUZZ_IV_LEN);
	body = data + FUZZ_HEAD;
	blen = size - FUZZ_HEAD;
	if (c == NULL)
		abort();
	/* An empty PEM body is a parse error, not a decryption: not this
	 * target's subject (fuzz-input has it). */
	if (raw && kind >= LEGACY_RSA_PEM && blen < (size_t)EVP_CIPHER_get_block_size(c))
		return 0;
	if (kind == PKCS8_DER || kind == PKCS8_PEM) {
		derlen = make_pkcs8(c, salt, iv, body, blen, raw, &der);
		if (kind == PKCS8_DER) {
			in = der;
			inlen = (size_t)derlen;
			der = NULL;
		} else {
			in = make_pem(pem_types[kind], NULL, der, derlen, &inlen);
		}
	} else {
		in = make_legacy(pem_types[kind], c, iv, body, blen, raw, &inlen);
	}
	r = acmb_keyload_decode(in, inlen, pem_types[kind], pass, strlen(pass), &k, &info, &err);
	if (r == ACMB_OK) {
		if (k == NULL || info.encrypted != (kind >= LEGACY_RSA_PEM ? 2 : 1))
			abort();
		check_key(k);
	} else if (r != ACMB_E_PASSPHRASE || k != NULL ||
	           strcmp(err.msg, "wrong passphrase") != 0) {
		abort();
	}
	/* The loader cleans up after OpenSSL: nothing is left for the next
	 * caller to mistake for its own error. */
	if (ERR_peek_error() != 0)
		abort();
	EVP_PKEY_free(k);
	OPENSSL_free(der);
	OPENSSL_free(in);
	return 0;
}
