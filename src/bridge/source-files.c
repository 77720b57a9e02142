/*
 * The files source: reads each field with a fixed bound, scans its PEM
 * blocks for the hygiene ACM trips on, decodes what belongs to the field and
 * records everything else as flags, so that check can report it.
 */
#include "source-files.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "base64-text.h"
#include "input.h"
#include "keyload.h"
#include "passphrase.h"
#include "pem.h"
#include "pkcs12.h"

static const char *const field_names[ACMB_FIELD_COUNT] = {
    [ACMB_FIELD_CERT] = "certificate",
    [ACMB_FIELD_KEY] = "private key",
    [ACMB_FIELD_CHAIN] = "certificate chain",
};

static const size_t field_max[ACMB_FIELD_COUNT] = {
    [ACMB_FIELD_CERT] = ACMB_INPUT_MAX_CERT,
    [ACMB_FIELD_KEY] = ACMB_INPUT_MAX_KEY,
    [ACMB_FIELD_CHAIN] = ACMB_INPUT_MAX_CHAIN,
};

/* What one field's scan is building. */
struct field_scan {
	struct acmb_material *m;
	enum acmb_field f;
	STACK_OF(X509) *certs; /* certificate or chain field */
	EVP_PKEY *key;         /* key field: the first key block */
	size_t key_block_line; /* cert/chain: line of a private key block, or 0 */
	size_t other_line;     /* key field: an OpenSSH key's line, or 0 */
	const char *pass;
	size_t passlen;
	acmb_err *field_err; /* why the field is unusable */
	acmb_err *hard_err;  /* a wrong passphrase */
};

/* Records why field f is unusable: "<field>: <source>: <why>". */
static void __attribute__((format(printf, 4, 5)))
field_fail(struct acmb_material *m, enum acmb_field f, int status, const char *fmt, ...)
{
	struct acmb_field_info *info = &m->info[f];
	size_t size = sizeof(info->message);
	va_list ap;
	int n;

	info->status = status;
	n = snprintf(info->message, size, "%s: ", field_names[f]);
	/* Copied, not printed: source and message share the struct. */
	if (n > 0 && info->source[0] != '\0' && (size_t)n + strlen(info->source) + 2 < size) {
		memcpy(info->message + n, info->source, strlen(info->source));
		n += (int)strlen(info->source);
		memcpy(info->message + n, ": ", 3);
		n += 2;
	}
	if (n < 0 || (size_t)n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(info->message + n, size - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
decode_cert(const char *text, size_t len, size_t line, X509 **out, acmb_err *err)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t der_len = 0;
	int encrypted, r;
	X509 *x = NULL;

	*out = NULL;
	if (acmb_pem_decode(text, len, &der, &der_len, &encrypted, err) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_PARSE,
		    "the CERTIFICATE block at line %zu has a bad base64 body", line);
		goto out;
	}
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)der_len)) == NULL || p != der + der_len) {
		r = acmb_error(err, ACMB_E_PARSE,
		    "the CERTIFICATE block at line %zu is not a valid X.509 certificate", line);
		goto out;
	}
	*out = x;
	x = NULL;
	r = ACMB_OK;
out:
	X509_free(x);
	acmb_pem_der_free(der, der_len);
	ERR_clear_error();
	return r;
}

static int
push_cert(STACK_OF(X509) **certs, X509 *x, acmb_err *err)
{
	if ((*certs == NULL && (*certs = sk_X509_new_null()) == NULL) || !sk_X509_push(*certs, x)) {
		X509_free(x);
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	return ACMB_OK;
}

static int
key_block(struct field_scan *s, const char *type, const char *text, size_t len, size_t line)
{
	struct acmb_field_info *info = &s->m->info[s->f];
	struct acmb_keyload_info ki;
	acmb_err kerr = {0};
	int r;

	/* Only the first key is decoded; more than one is reported after. */
	if (++info->blocks > 1)
		return ACMB_OK;
	if (strcmp(type, "OPENSSH PRIVATE KEY") == 0) {
		s->other_line = line;
		return ACMB_OK;
	}
	r = acmb_keyload_decode(
	    (const unsigned char *)text, len, type, s->pass, s->passlen, &s->key, &ki, &kerr);
	snprintf(info->key_format, sizeof(info->key_format), "%s", ki.format);
	if (ki.encrypted == 1)
		info->flags |= ACMB_IN_ENCRYPTED;
	else if (ki.encrypted == 2)
		info->flags |= ACMB_IN_LEGACY_ENC;
	switch (r) {
	case ACMB_OK:
		return ACMB_OK;
	case ACMB_E_PASSPHRASE:
		return acmb_error(s->hard_err, ACMB_E_PASSPHRASE,
		    "wrong passphrase for private key %s", info->source);
	case ACMB_E_RULE:
		return acmb_error(s->field_err, ACMB_E_RULE,
		    "%s at line %zu; give its "
		    "passphrase with --passphrase-file or --passphrase-env",
		    kerr.msg, line);
	case ACMB_E_NOMEM:
		return acmb_error(s->hard_err, ACMB_E_NOMEM, "%s", kerr.msg);
	}
	return acmb_error(s->field_err, ACMB_E_PARSE, "%s (line %zu)", kerr.msg, line);
}

static int
on_block(void *ctx, const char *type, const char *text, size_t len, size_t line)
{
	struct field_scan *s = ctx;
	struct acmb_field_info *info = &s->m->info[s->f];
	X509 *x = NULL;
	int r;

	if (s->f == ACMB_FIELD_KEY) {
		if (acmb_pem_is_private_key(type))
			return key_block(s, type, text, len, line);
		if (strcmp(type, "EC PARAMETERS") == 0)
			info->flags |= ACMB_IN_EC_PARAMS;
		else
			info->flags |= ACMB_IN_OTHER_BLOCKS;
		return ACMB_OK;
	}
	if (strcmp(type, "CERTIFICATE") != 0) {
		/* Never decoded, never quoted: a key here must not travel on. */
		info->flags |= ACMB_IN_OTHER_BLOCKS;
		if (acmb_pem_is_private_key(type) && s->key_block_line == 0)
			s->key_block_line = line;
		return ACMB_OK;
	}
	info->blocks++;
	if ((r = decode_cert(text, len, line, &x, s->field_err)) != ACMB_OK)
		return r;
	if ((r = push_cert(&s->certs, x, s->hard_err)) != ACMB_OK)
		return r;
	return ACMB_OK;
}

/* A field with no BEGIN line at all may be DER: a certificate, a chain of
 * one, or a key. */
static int
decode_der(struct field_scan *s, const unsigned char *data, size_t len)
{
	struct acmb_field_info *info = &s->m->info[s->f];
	struct acmb_keyload_info ki;
	const unsigned char *p = data;
	acmb_err kerr = {0};
	X509 *x = NULL;
	int r;

	info->flags |= ACMB_IN_DER;
	if (s->f == ACMB_FIELD_KEY) {
		r = acmb_keyload_decode(data, len, NULL, s->pass, s->passlen, &s->key, &ki, &kerr);
		snprintf(info->key_format, sizeof(info->key_format), "%s", ki.format);
		if (ki.encrypted)
			info->flags |= ACMB_IN_ENCRYPTED;
		if (r == ACMB_E_PASSPHRASE)
			return acmb_error(
			    s->hard_err, r, "wrong passphrase for private key %s", info->source);
		if (r == ACMB_E_RULE)
			return acmb_error(s->field_err, r,
			    "%s; give its passphrase with --passphrase-file or --passphrase-env",
			    kerr.msg);
		if (r != ACMB_OK)
			return acmb_error(s->field_err, ACMB_E_PARSE,
			    "no PEM block found "
			    "(expected -----BEGIN PRIVATE KEY-----) and not a DER private key");
		info->blocks = 1;
		return ACMB_OK;
	}
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != data + len) {
		X509_free(x);
		ERR_clear_error();
		return acmb_error(s->field_err, ACMB_E_PARSE,
		    "no PEM block found (expected "
		    "-----BEGIN CERTIFICATE-----) and not a DER certificate");
	}
	info->blocks = 1;
	return push_cert(&s->certs, x, s->hard_err);
}

int
acmb_files_decode_field(struct acmb_material *m, enum acmb_field f, const unsigned char *data,
    size_t len, const char *pass, size_t passlen, acmb_err *err)
{
	struct acmb_field_info *info;
	struct field_scan s;
	acmb_err ferr = {0};
	int r = ACMB_E_INTERNAL;

	if (m == NULL || f < 0 || f >= ACMB_FIELD_COUNT)
		return acmb_error(err, ACMB_E_INTERNAL, "bad field");
	info = &m->info[f];
	/* Decoding again replaces the field whole: the source alone is kept. */
	info->present = 1;
	info->status = ACMB_OK;
	info->message[0] = '\0';
	info->flags = 0;
	info->raw_len = len;
	info->blocks = 0;
	info->key_format[0] = '\0';
	/* Windows Notepad saves UTF-8 with a byte-order mark, and the AWS CLI
	 * imports such files: it is dropped, and check's pem-hygiene says so. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		len -= 3;
		info->flags |= ACMB_IN_BOM;
	}
	if (f == ACMB_FIELD_CERT) {
		sk_X509_pop_free(m->certs, X509_free);
		m->certs = NULL;
	} else if (f == ACMB_FIELD_KEY) {
		EVP_PKEY_free(m->key);
		m->key = NULL;
	} else {
		sk_X509_pop_free(m->chain, X509_free);
		m->chain = NULL;
	}
	memset(&s, 0, sizeof(s));
	s.m = m;
	s.f = f;
	s.pass = pass;
	s.passlen = passlen;
	s.field_err = &ferr;
	s.hard_err = err;

	if (len == 0) {
		field_fail(m, f, ACMB_E_PARSE, "the file is empty");
		r = ACMB_OK;
		goto out;
	}
	/* Where no BEGIN line exists at all, the bytes are DER or garbage. */
	if (memmem(data, len, "-----BEGIN ", 11) == NULL) {
		if (data[0] == 0x30)
			r = decode_der(&s, data, len);
		else
			r = acmb_error(&ferr, ACMB_E_PARSE,
			    "no PEM block found (expected -----BEGIN %s-----)",
			    f == ACMB_FIELD_KEY ? "PRIVATE KEY" : "CERTIFICATE");
	} else {
		r = acmb_pem_scan(
		    (const char *)data, len, on_block, &s, &info->flags, &(size_t){0}, &ferr);
	}
	if (r == ACMB_E_PASSPHRASE || r == ACMB_E_NOMEM || r == ACMB_E_INTERNAL)
		goto out;
	if (r == ACMB_OK) {
		if (s.key_block_line != 0)
			r = acmb_error(&ferr, ACMB_E_PARSE,
			    "holds a private key block (line %zu); "
			    "the key belongs only in --private-key: remove it from this file",
			    s.key_block_line);
		else if (s.other_line != 0)
			r = acmb_error(&ferr, ACMB_E_PARSE,
			    "OpenSSH private key format "
			    "(line %zu) is not supported; convert a copy with "
			    "ssh-keygen -p -m PKCS8 -f COPY",
			    s.other_line);
		else if (info->blocks == 0)
			r = acmb_error(&ferr, ACMB_E_PARSE,
			    "no %s block found (expected -----BEGIN %s-----)",
			    f == ACMB_FIELD_KEY ? "private key" : "CERTIFICATE",
			    f == ACMB_FIELD_KEY ? "PRIVATE KEY" : "CERTIFICATE");
		else if (f == ACMB_FIELD_KEY && info->blocks > 1)
			r = acmb_error(&ferr, ACMB_E_PARSE,
			    "holds %zu private keys; give exactly one", info->blocks);
	}
	if (r != ACMB_OK) {
		field_fail(m, f, ferr.rc != ACMB_OK ? ferr.rc : r, "%s", ferr.msg);
		r = ACMB_OK;
		goto out;
	}
	if (f == ACMB_FIELD_KEY) {
		/* What is sent is always unencrypted PKCS#8 PEM. */
		if ((info->flags & (ACMB_IN_DER | ACMB_IN_ENCRYPTED | ACMB_IN_LEGACY_ENC)) ||
		    strcmp(info->key_format, "PKCS#8") != 0)
			info->flags |= ACMB_IN_REENCODED;
		m->key = s.key;
		s.key = NULL;
	} else if (f == ACMB_FIELD_CERT) {
		m->certs = s.certs;
		s.certs = NULL;
	} else {
		m->chain = s.certs;
		s.certs = NULL;
	}
	r = ACMB_OK;
out:
	EVP_PKEY_free(s.key);
	sk_X509_pop_free(s.certs, X509_free);
	return r;
}

/* Reads one field's file and decodes it; a file over its bound becomes the
 * field's status, an unreadable one a usage error. With file_base64 a
 * file:// input that is all base64 text is decoded first (the AWS CLI's
 * --cli-binary-format base64). */
static int
load_field(struct acmb_material *m, enum acmb_field f, const char *arg, const acmb_secbuf *pass,
    int strict, int file_base64, acmb_err *err)
{
	struct acmb_field_info *info = &m->info[f];
	acmb_secbuf *raw = NULL;
	acmb_err rerr = {0};
	int r;

	info->present = 1;
	if (f == ACMB_FIELD_KEY)
		r = acmb_input_read_private(arg, field_names[f], field_max[f], strict, &raw,
		    info->source, sizeof(info->source), info->warning, sizeof(info->warning),
		    &rerr);
	else
		r = acmb_input_read(arg, field_names[f], field_max[f], &raw, info->source,
		    sizeof(info->source), &rerr);
	if (r == ACMB_E_TOO_BIG) {
		info->status = ACMB_E_TOO_BIG;
		snprintf(info->message, sizeof(info->message), "%s", rerr.msg);
		r = ACMB_OK;
		goto out;
	}
	if (r != ACMB_OK) {
		r = acmb_error(err, r == ACMB_E_NOMEM ? r : ACMB_E_USAGE, "%s", rerr.msg);
		goto out;
	}
	if (file_base64 && strncmp(arg, "file://", 7) == 0 &&
	    (r = acmb_base64_text_decode(&raw, err)) < 0)
		goto out;
	r = acmb_files_decode_field(m, f, acmb_secbuf_ptr(raw), acmb_secbuf_len(raw),
	    pass != NULL ? acmb_secbuf_str(pass) : NULL, pass != NULL ? acmb_secbuf_len(pass) : 0,
	    err);
out:
	acmb_secbuf_free(raw);
	return r;
}

static void
pkcs12_fail_all(struct acmb_material *m, int status, const char *why)
{
	enum acmb_field f;

	for (f = 0; f < ACMB_FIELD_COUNT; f++)
		field_fail(m, f, status, "%s", why);
}

static int
load_pkcs12(struct acmb_material *m, const struct acmb_files_spec *spec, const acmb_secbuf *pass,
    acmb_err *err)
{
	acmb_secbuf *raw = NULL;
	acmb_err perr = {0};
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	enum acmb_field f;
	int r;

	for (f = 0; f < ACMB_FIELD_COUNT; f++) {
		m->info[f].present = 1;
		m->info[f].flags |= ACMB_IN_PKCS12;
	}
	r = acmb_input_read_private(spec->pkcs12, "PKCS#12 bundle", ACMB_INPUT_MAX_PKCS12,
	    spec->strict_permissions, &raw, m->info[ACMB_FIELD_CERT].source, ACMB_SOURCE_MAX,
	    m->info[ACMB_FIELD_KEY].warning, sizeof(m->info[ACMB_FIELD_KEY].warning), &perr);
	for (f = 1; f < ACMB_FIELD_COUNT; f++)
		memcpy(m->info[f].source, m->info[ACMB_FIELD_CERT].source, ACMB_SOURCE_MAX);
	if (r == ACMB_E_TOO_BIG) {
		for (f = 0; f < ACMB_FIELD_COUNT; f++) {
			m->info[f].status = ACMB_E_TOO_BIG;
			snprintf(m->info[f].message, ACMB_ERRMSG_MAX, "%s", perr.msg);
		}
		r = ACMB_OK;
		goto out;
	}
	if (r != ACMB_OK) {
		r = acmb_error(err, r == ACMB_E_NOMEM ? r : ACMB_E_USAGE, "%s", perr.msg);
		goto out;
	}
	for (f = 0; f < ACMB_FIELD_COUNT; f++)
		m->info[f].raw_len = acmb_secbuf_len(raw);
	r = acmb_pkcs12_parse(acmb_secbuf_ptr(raw), acmb_secbuf_len(raw),
	    pass != NULL ? acmb_secbuf_str(pass) : NULL, &key, &leaf, &chain, &perr);
	if (r == ACMB_E_PASSPHRASE) {
		if (pass != NULL)
			r = acmb_error(err, r, "wrong passphrase for PKCS#12 bundle %s",
			    m->info[ACMB_FIELD_CERT].source);
		else
			r = acmb_error(err, r,
			    "PKCS#12 bundle %s is protected by a passphrase; "
			    "give it with --passphrase-file or --passphrase-env",
			    m->info[ACMB_FIELD_CERT].source);
		goto out;
	}
	if (r != ACMB_OK) {
		if (r == ACMB_E_NOMEM) {
			r = acmb_error(err, r, "%s", perr.msg);
			goto out;
		}
		pkcs12_fail_all(m, ACMB_E_PARSE, perr.msg);
		r = ACMB_OK;
		goto out;
	}
	if (spec->certificate_chain != NULL && sk_X509_num(chain) > 0) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--certificate-chain: the PKCS#12 bundle "
		    "%s already holds a chain; give one or the other",
		    m->info[ACMB_FIELD_CERT].source);
		goto out;
	}
	if ((m->certs = sk_X509_new_null()) == NULL || !sk_X509_push(m->certs, leaf)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	leaf = NULL;
	m->key = key;
	key = NULL;
	m->info[ACMB_FIELD_CERT].blocks = 1;
	m->info[ACMB_FIELD_KEY].blocks = 1;
	m->info[ACMB_FIELD_KEY].flags |= ACMB_IN_REENCODED;
	snprintf(m->info[ACMB_FIELD_KEY].key_format, sizeof(m->info[0].key_format), "PKCS#8");
	m->info[ACMB_FIELD_CHAIN].blocks = (size_t)sk_X509_num(chain);
	if (spec->certificate_chain != NULL) {
		memset(&m->info[ACMB_FIELD_CHAIN], 0, sizeof(m->info[ACMB_FIELD_CHAIN]));
		r = load_field(
		    m, ACMB_FIELD_CHAIN, spec->certificate_chain, NULL, 0, spec->file_base64, err);
		goto out;
	}
	if (sk_X509_num(chain) > 0) {
		m->chain = chain;
		chain = NULL;
	} else {
		m->info[ACMB_FIELD_CHAIN].present = 0;
		m->info[ACMB_FIELD_CHAIN].flags = 0;
	}
	r = ACMB_OK;
out:
	EVP_PKEY_free(key);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	acmb_secbuf_free(raw);
	return r;
}

static int
check_spec(const struct acmb_files_spec *spec, acmb_err *err)
{
	const char *inputs[] = {spec->certificate, spec->private_key, spec->certificate_chain,
	    spec->pkcs12, spec->passphrase_file};
	size_t i, on_stdin = 0;

	if (spec->pkcs12 != NULL && (spec->certificate != NULL || spec->private_key != NULL))
		return acmb_error(err, ACMB_E_USAGE,
		    "--pkcs12 gives the certificate and "
		    "the key: do not combine it with --certificate or --private-key");
	if (spec->pkcs12 == NULL && spec->certificate == NULL)
		return acmb_error(err, ACMB_E_USAGE, "--certificate (or --pkcs12) is required");
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		if (acmb_input_is_stdin(inputs[i]))
			on_stdin++;
	if (on_stdin > 1)
		return acmb_error(
		    err, ACMB_E_USAGE, "only one input can be read from standard input ('-')");
	if (spec->passphrase_file != NULL && spec->passphrase_env != NULL)
		return acmb_error(
		    err, ACMB_E_USAGE, "give --passphrase-file or --passphrase-env, not both");
	return ACMB_OK;
}

int
acmb_files_load(const struct acmb_files_spec *spec, struct acmb_material **out, acmb_err *err)
{
	struct acmb_material *m = NULL;
	acmb_secbuf *pass = NULL;
	int r;

	*out = NULL;
	if ((r = check_spec(spec, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_passphrase_read(spec->passphrase_file, spec->passphrase_env, &pass, err)) !=
	    ACMB_OK)
		goto out;
	if ((m = acmb_material_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (spec->pkcs12 != NULL) {
		r = load_pkcs12(m, spec, pass, err);
	} else {
		/* The key last, so that the passphrase is wiped right after it. */
		r = load_field(
		    m, ACMB_FIELD_CERT, spec->certificate, NULL, 0, spec->file_base64, err);
		if (r == ACMB_OK && spec->certificate_chain != NULL)
			r = load_field(m, ACMB_FIELD_CHAIN, spec->certificate_chain, NULL, 0,
			    spec->file_base64, err);
		if (r == ACMB_OK && spec->private_key != NULL)
			r = load_field(m, ACMB_FIELD_KEY, spec->private_key, pass,
			    spec->strict_permissions, spec->file_base64, err);
	}
	/* The passphrase's last use is behind us. */
	acmb_secbuf_free(pass);
	pass = NULL;
	if (r != ACMB_OK)
		goto out;
	*out = m;
	m = NULL;
out:
	acmb_secbuf_free(pass);
	acmb_material_free(m);
	return r;
}
