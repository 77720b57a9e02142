/* The files source end to end: every input form, the read bounds, the
 * passphrase sources, encrypted keys, PKCS#12 and DER, against material the
 * openssl command generates in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "init.h"
#include "input.h"
#include "material.h"
#include "bridge/source-files.h"
#include "test-util.h"

static char dir[] = "/tmp/acmb-test-input-XXXXXX";
static char path_buf[8][512];
static int path_next;

/* Returns dir/name in a rotating buffer (valid for a few calls). */
static const char *
P(const char *name)
{
	char *p = path_buf[path_next++ % 8];

	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, name);
	return p;
}

static void __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void
write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(P(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *
read_file(const char *name, size_t *len)
{
	FILE *f = fopen(P(name), "rb");
	char *d;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	d = malloc((size_t)n + 1);
	assert_non_null(d);
	assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
	d[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return d;
}

static int
setup_material(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	/* A CA, an intermediate and a leaf with an RSA key, plus an EC key. */
	sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
	   "-subj /CN=Test-CA -days 30 2>/dev/null",
	    dir);
	sh("cd %s && openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr "
	   "-subj /CN=Test-Int 2>/dev/null && printf 'basicConstraints=critical,CA:TRUE\\n' "
	   "> ca.ext && openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key "
	   "-CAcreateserial -extfile ca.ext -out int.pem -days 30 2>/dev/null",
	    dir);
	sh("cd %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	   "-out leaf.key 2>/dev/null && openssl req -new -key leaf.key -out leaf.csr "
	   "-subj /CN=leaf.example.com 2>/dev/null && openssl x509 -req -in leaf.csr "
	   "-CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem -days 30 2>/dev/null",
	    dir);
	sh("cd %s && cat int.pem ca.pem > chain.pem", dir);
	sh("cd %s && printf 'correct horse\\n' > pass.txt && "
	   "openssl pkcs8 -topk8 -in leaf.key -v2 aes-256-cbc -passout pass:'correct horse' "
	   "-out leaf-enc8.key && openssl rsa -in leaf.key -traditional -aes256 "
	   "-passout pass:'correct horse' -out leaf-legacy.key 2>/dev/null",
	    dir);
	/* Pre-OpenSSL 3 encryptions: DES-CBC legacy PEM, PBES1 (MD5 + DES). */
	sh("cd %s && openssl rsa -in leaf.key -traditional -des -passout pass:'correct horse' "
	   "-provider legacy -provider default -out leaf-des.key 2>/dev/null && "
	   "openssl pkcs8 -topk8 -in leaf.key -v1 PBE-MD5-DES -passout pass:'correct horse' "
	   "-provider legacy -provider default -out leaf-pbes1.key",
	    dir);
	sh("cd %s && openssl pkcs12 -export -inkey leaf.key -in leaf.pem -certfile chain.pem "
	   "-passout pass:'correct horse' -out modern.p12 && openssl pkcs12 -export -legacy "
	   "-inkey leaf.key -in leaf.pem -certfile chain.pem -passout pass:'correct horse' "
	   "-out legacy.p12",
	    dir);
	sh("cd %s && openssl x509 -in leaf.pem -outform DER -out leaf.der && "
	   "openssl x509 -in int.pem -outform DER -out int.der && "
	   "openssl pkcs8 -topk8 -nocrypt -in leaf.key -outform DER -out leaf.key.der",
	    dir);
	return 0;
}

static int
teardown_material(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

static struct acmb_material *
load_ok(const struct acmb_files_spec *spec)
{
	struct acmb_material *m = NULL;
	acmb_err err = {0};
	int r;

	r = acmb_files_load(spec, &m, &err);
	if (r != ACMB_OK)
		fail_msg("load failed (%d): %s", r, err.msg);
	assert_non_null(m);
	return m;
}

static void
assert_field_ok(const struct acmb_material *m, enum acmb_field f)
{
	if (m->info[f].status != ACMB_OK)
		fail_msg("field %d: %s", (int)f, m->info[f].message);
	assert_true(m->info[f].present);
}

/* The leaf's public key is the private key's. */
static void
assert_key_matches(const struct acmb_material *m)
{
	assert_non_null(m->key);
	assert_non_null(acmb_material_leaf(m));
	assert_int_equal(X509_check_private_key(acmb_material_leaf(m), m->key), 1);
}

static void
test_plain_pem_paths(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;

	(void)state;
	spec.certificate = P("leaf.pem");
	spec.private_key = P("leaf.key");
	spec.certificate_chain = P("chain.pem");
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_CERT);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_field_ok(m, ACMB_FIELD_CHAIN);
	assert_int_equal(sk_X509_num(m->certs), 1);
	assert_int_equal(sk_X509_num(m->chain), 2);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].blocks, 2);
	assert_int_equal(m->info[ACMB_FIELD_KEY].blocks, 1);
	assert_string_equal(m->info[ACMB_FIELD_KEY].key_format, "PKCS#8");
	assert_int_equal(m->info[ACMB_FIELD_KEY].flags, 0);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, 0);
	assert_string_equal(m->info[ACMB_FIELD_CERT].source, P("leaf.pem"));
	assert_key_matches(m);
	/* The chain keeps the order given: intermediate first. */
	assert_int_equal(
	    X509_check_issued(sk_X509_value(m->chain, 0), acmb_material_leaf(m)), X509_V_OK);
	acmb_material_free(m);
}

static void
test_fileb_and_file_urls(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	char cert[600], key[600];

	(void)state;
	snprintf(cert, sizeof(cert), "fileb://%s", P("leaf.pem"));
	snprintf(key, sizeof(key), "file://%s", P("leaf.key"));
	spec.certificate = cert;
	spec.private_key = key;
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_CERT);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_false(m->info[ACMB_FIELD_CHAIN].present);
	assert_string_equal(m->info[ACMB_FIELD_CERT].source, P("leaf.pem"));
	assert_key_matches(m);
	acmb_material_free(m);
}

/* Puts data on fd 0 through a pipe written by a child, so that any size
 * works; returns the child's pid. The old stdin is saved in *saved. */
static pid_t
stdin_from(const void *data, size_t len, int *saved)
{
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const unsigned char *p = data;

		close(fds[0]);
		while (len > 0) {
			ssize_t n = write(fds[1], p, len);

			if (n <= 0)
				_exit(0);
			p += n;
			len -= (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	*saved = dup(STDIN_FILENO);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	return pid;
}

static void
stdin_restore(pid_t pid, int saved)
{
	int status;

	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

static void
test_stdin_pipe(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	size_t len;
	char *key = read_file("leaf.key", &len);
	int saved;
	pid_t pid;

	(void)state;
	pid = stdin_from(key, len, &saved);
	spec.certificate = P("leaf.pem");
	spec.private_key = "-";
	m = load_ok(&spec);
	stdin_restore(pid, saved);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_string_equal(m->info[ACMB_FIELD_KEY].source, "standard input");
	assert_int_equal(m->info[ACMB_FIELD_KEY].raw_len, len);
	assert_key_matches(m);
	acmb_material_free(m);
	free(key);
}

static void
test_stdin_stream_over_limit(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	size_t len = ACMB_INPUT_MAX_KEY + 4096;
	char *junk = malloc(len);
	int saved;
	pid_t pid;

	(void)state;
	assert_non_null(junk);
	memset(junk, 'A', len);
	pid = stdin_from(junk, len, &saved);
	spec.certificate = P("leaf.pem");
	spec.private_key = "-";
	m = load_ok(&spec);
	stdin_restore(pid, saved);
	assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_E_TOO_BIG);
	assert_non_null(strstr(m->info[ACMB_FIELD_KEY].message, "65536-byte limit"));
	assert_non_null(strstr(m->info[ACMB_FIELD_KEY].message, "private key"));
	assert_null(m->key);
	acmb_material_free(m);
	free(junk);
}

static void
test_two_stdins_refused(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};

	(void)state;
	spec.certificate = "-";
	spec.private_key = "-";
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_null(m);
	assert_non_null(strstr(err.msg, "standard input"));
	spec.private_key = P("leaf.key");
	spec.certificate_chain = "-";
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_null(m);
}

static void
test_usage_errors(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};

	(void)state;
	spec.private_key = P("leaf.key");
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "--certificate"));
	assert_null(m);

	spec.pkcs12 = P("modern.p12");
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "--pkcs12"));
	assert_null(m);

	memset(&spec, 0, sizeof(spec));
	spec.certificate = P("no-such.pem");
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "no-such.pem"));
	assert_non_null(strstr(err.msg, "certificate"));
	assert_null(m);

	spec.certificate = dir;
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "is a directory"));

	spec.certificate = "/dev/zero";
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "device"));

	spec.certificate = "fileb://";
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_null(m);
}

static void
test_huge_sparse_file_refused_unread(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	int fd;

	(void)state;
	fd = open(P("huge.pem"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)100 << 20), 0);
	close(fd);
	spec.certificate = P("huge.pem");
	spec.private_key = P("leaf.key");
	m = load_ok(&spec);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_E_TOO_BIG);
	assert_non_null(strstr(m->info[ACMB_FIELD_CERT].message, "certificate"));
	assert_non_null(strstr(m->info[ACMB_FIELD_CERT].message, "1048576-byte limit"));
	assert_non_null(strstr(m->info[ACMB_FIELD_CERT].message, "refused unread"));
	/* Nothing was read from it. */
	assert_int_equal(m->info[ACMB_FIELD_CERT].raw_len, 0);
	assert_null(m->certs);
	/* The other fields are still judged. */
	assert_field_ok(m, ACMB_FIELD_KEY);
	acmb_material_free(m);
	unlink(P("huge.pem"));
}

static void
expect_cert_status(const char *content, size_t len, int status, const char *needle)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;

	write_file("case.pem", content, len);
	spec.certificate = P("case.pem");
	m = load_ok(&spec);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, status);
	if (strstr(m->info[ACMB_FIELD_CERT].message, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", m->info[ACMB_FIELD_CERT].message, needle);
	assert_non_null(strstr(m->info[ACMB_FIELD_CERT].message, "certificate: "));
	assert_null(m->certs);
	acmb_material_free(m);
}

static void
test_broken_certificate_fields(void **state)
{
	static const unsigned char garbage[] = {0x7f, 'E', 'L', 'F', 0, 1, 2, 0xff, 0xfe};
	size_t len;
	char *pem = read_file("leaf.pem", &len), *bad, *csr;

	(void)state;
	expect_cert_status("", 0, ACMB_E_PARSE, "empty");
	expect_cert_status((const char *)garbage, sizeof(garbage), ACMB_E_PARSE,
	    "no PEM block found (expected -----BEGIN CERTIFICATE-----)");
	expect_cert_status("\x30\x03\x02\x01\x01", 5, ACMB_E_PARSE, "not a DER certificate");
	/* Truncated: the END line is gone. */
	expect_cert_status(pem, len / 2, ACMB_E_PARSE, "no END line");
	/* A character outside base64 in the body. */
	bad = strdup(pem);
	assert_non_null(bad);
	bad[strlen("-----BEGIN CERTIFICATE-----\n") + 10] = '!';
	expect_cert_status(bad, len, ACMB_E_PARSE, "bad base64 body");
	/* Good base64, but not a certificate inside. */
	free(bad);
	bad = strdup("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n");
	expect_cert_status(bad, strlen(bad), ACMB_E_PARSE, "not a valid X.509");
	free(bad);
	/* A request where the certificate should be. */
	csr = read_file("leaf.csr", &len);
	expect_cert_status(csr, len, ACMB_E_PARSE, "no CERTIFICATE block");
	free(csr);
	free(pem);
}

static void
test_private_key_in_certificate_field(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;

	(void)state;
	sh("cd %s && cat leaf.pem leaf.key > combined.pem", dir);
	spec.certificate = P("combined.pem");
	spec.private_key = P("leaf.key");
	m = load_ok(&spec);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_E_PARSE);
	assert_true(m->info[ACMB_FIELD_CERT].flags & ACMB_IN_OTHER_BLOCKS);
	assert_non_null(strstr(m->info[ACMB_FIELD_CERT].message, "private key block"));
	/* The key block is named, never quoted. */
	assert_null(strstr(m->info[ACMB_FIELD_CERT].message, "MII"));
	assert_null(m->certs);
	acmb_material_free(m);

	memset(&spec, 0, sizeof(spec));
	spec.certificate = P("leaf.pem");
	spec.certificate_chain = P("combined.pem");
	m = load_ok(&spec);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].status, ACMB_E_PARSE);
	assert_null(m->chain);
	acmb_material_free(m);
}

static void
test_two_certificates_counted(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;

	(void)state;
	sh("cd %s && cat leaf.pem int.pem > two.pem", dir);
	spec.certificate = P("two.pem");
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_CERT);
	assert_int_equal(m->info[ACMB_FIELD_CERT].blocks, 2);
	assert_int_equal(sk_X509_num(m->certs), 2);
	acmb_material_free(m);
}

static void
test_encrypted_keys(void **state)
{
	static const char *const keys[] = {
	    "leaf-enc8.key", "leaf-legacy.key", "leaf-des.key", "leaf-pbes1.key"};
	static const unsigned flag[] = {
	    ACMB_IN_ENCRYPTED, ACMB_IN_LEGACY_ENC, ACMB_IN_LEGACY_ENC, ACMB_IN_ENCRYPTED};
	static const char *const format[] = {"PKCS#8", "PKCS#1", "PKCS#1", "PKCS#8"};
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		test_case("key %zu: %s", i, keys[i]);
		memset(&spec, 0, sizeof(spec));
		spec.certificate = P("leaf.pem");
		spec.private_key = P(keys[i]);
		/* No passphrase: the field says what to do. */
		m = load_ok(&spec);
		assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_E_RULE);
		assert_non_null(strstr(m->info[ACMB_FIELD_KEY].message, "encrypted"));
		assert_non_null(strstr(m->info[ACMB_FIELD_KEY].message, "--passphrase-file"));
		assert_null(m->key);
		acmb_material_free(m);
		/* The right one, from a file ending in a newline. */
		spec.passphrase_file = P("pass.txt");
		m = load_ok(&spec);
		assert_field_ok(m, ACMB_FIELD_KEY);
		assert_true(m->info[ACMB_FIELD_KEY].flags & flag[i]);
		assert_true(m->info[ACMB_FIELD_KEY].flags & ACMB_IN_REENCODED);
		assert_string_equal(m->info[ACMB_FIELD_KEY].key_format, format[i]);
		assert_key_matches(m);
		acmb_material_free(m);
		m = NULL;
		/* A wrong one is a hard error naming the file. */
		write_file("wrong.txt", "battery staple\n", 15);
		spec.passphrase_file = P("wrong.txt");
		assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_PASSPHRASE);
		assert_null(m);
		assert_non_null(strstr(err.msg, "wrong passphrase for private key"));
		assert_non_null(strstr(err.msg, keys[i]));
	}
	test_case_end();
}

static void
test_passphrase_env_wiped(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	char *value;
	size_t i, len;

	(void)state;
	assert_int_equal(setenv("ACMB_TEST_PASS", "correct horse", 1), 0);
	value = getenv("ACMB_TEST_PASS");
	assert_non_null(value);
	len = strlen(value);
	spec.certificate = P("leaf.pem");
	spec.private_key = P("leaf-enc8.key");
	spec.passphrase_env = "ACMB_TEST_PASS";
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_key_matches(m);
	assert_null(getenv("ACMB_TEST_PASS"));
	/* glibc never frees setenv strings, so the old bytes can be checked. */
	for (i = 0; i < len; i++)
		assert_int_equal(value[i], 0);
	acmb_material_free(m);

	m = NULL;
	{
		acmb_err err = {0};

		assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
		assert_non_null(strstr(err.msg, "ACMB_TEST_PASS is not set"));
		assert_null(m);
	}
}

static void
test_pkcs12_bundles(void **state)
{
	static const char *const bundles[] = {"modern.p12", "legacy.p12"};
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};
	size_t i;
	enum acmb_field f;

	(void)state;
	for (i = 0; i < 2; i++) {
		test_case("bundle %zu: %s", i, bundles[i]);
		memset(&spec, 0, sizeof(spec));
		spec.pkcs12 = P(bundles[i]);
		spec.passphrase_file = P("pass.txt");
		m = load_ok(&spec);
		for (f = 0; f < ACMB_FIELD_COUNT; f++) {
			assert_field_ok(m, f);
			assert_true(m->info[f].flags & ACMB_IN_PKCS12);
		}
		assert_key_matches(m);
		assert_int_equal(sk_X509_num(m->certs), 1);
		assert_int_equal(sk_X509_num(m->chain), 2);
		/* Issuer first, root last. */
		assert_int_equal(
		    X509_check_issued(sk_X509_value(m->chain, 0), acmb_material_leaf(m)),
		    X509_V_OK);
		assert_int_equal(
		    X509_check_issued(sk_X509_value(m->chain, 1), sk_X509_value(m->chain, 0)),
		    X509_V_OK);
		acmb_material_free(m);
		m = NULL;

		/* Only the legacy bundle needs OpenSSL's legacy provider. */
		assert_int_equal(OSSL_PROVIDER_available(NULL, "legacy"), (int)i);

		spec.passphrase_file = P("wrong.txt");
		write_file("wrong.txt", "battery staple\n", 15);
		assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_PASSPHRASE);
		assert_non_null(strstr(err.msg, "wrong passphrase for PKCS#12 bundle"));
		assert_non_null(strstr(err.msg, bundles[i]));
		assert_null(m);

		spec.passphrase_file = NULL;
		assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_PASSPHRASE);
		assert_non_null(strstr(err.msg, "--passphrase-file"));
		assert_null(m);
	}
	test_case_end();
}

static void
test_pkcs12_conflicts(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};

	(void)state;
	spec.pkcs12 = P("modern.p12");
	spec.passphrase_file = P("pass.txt");
	spec.certificate_chain = P("chain.pem");
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "already holds a chain"));
	assert_null(m);

	spec.certificate_chain = NULL;
	spec.passphrase_env = "ACMB_TEST_UNUSED";
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "not both"));
	assert_null(m);

	/* A bundle that is not one: every field says so, nothing is hard. */
	spec.passphrase_env = NULL;
	spec.pkcs12 = P("leaf.pem");
	m = load_ok(&spec);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_E_PARSE);
	assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_E_PARSE);
	assert_non_null(strstr(m->info[ACMB_FIELD_KEY].message, "not a PKCS#12 bundle"));
	assert_null(m->key);
	acmb_material_free(m);
}

static void
test_passphrase_from_stdin(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};
	int saved;
	pid_t pid;

	(void)state;
	/* CRLF from a Windows editor: one line end, stripped whole. */
	pid = stdin_from("correct horse\r\n", 15, &saved);
	spec.certificate = P("leaf.pem");
	spec.private_key = P("leaf-legacy.key");
	spec.passphrase_file = "-";
	m = load_ok(&spec);
	stdin_restore(pid, saved);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_key_matches(m);
	acmb_material_free(m);
	m = NULL;

	/* The passphrase and a field cannot both come from standard input. */
	spec.private_key = "-";
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_null(m);
	spec.private_key = P("leaf-legacy.key");
	spec.passphrase_file = P("no-such-pass");
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "no-such-pass"));
	assert_null(m);
}

static void
test_der_certificate_and_key(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;

	(void)state;
	spec.certificate = P("leaf.der");
	spec.private_key = P("leaf.key.der");
	spec.certificate_chain = P("int.der");
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_CERT);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_field_ok(m, ACMB_FIELD_CHAIN);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, ACMB_IN_DER);
	assert_int_equal(m->info[ACMB_FIELD_KEY].flags, ACMB_IN_DER | ACMB_IN_REENCODED);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].flags, ACMB_IN_DER);
	/* A DER chain is a chain of one. */
	assert_int_equal(sk_X509_num(m->chain), 1);
	assert_int_equal(
	    X509_check_issued(sk_X509_value(m->chain, 0), acmb_material_leaf(m)), X509_V_OK);
	assert_string_equal(m->info[ACMB_FIELD_KEY].key_format, "PKCS#8");
	assert_key_matches(m);
	acmb_material_free(m);
}

static void
test_key_pem_is_pkcs8_in_secure_heap(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	acmb_secbuf *pem = NULL;
	acmb_err err = {0};
	char *cert = NULL, *chain = NULL;
	size_t len;

	(void)state;
	spec.certificate = P("leaf.pem");
	spec.private_key = P("leaf-legacy.key");
	spec.certificate_chain = P("chain.pem");
	spec.passphrase_file = P("pass.txt");
	m = load_ok(&spec);
	assert_int_equal(acmb_material_key_pem(m, &pem, &err), ACMB_OK);
	assert_true(CRYPTO_secure_allocated(acmb_secbuf_ptr(pem)));
	assert_int_equal(strncmp(acmb_secbuf_str(pem), "-----BEGIN PRIVATE KEY-----\n", 28), 0);
	assert_null(strstr(acmb_secbuf_str(pem), "ENCRYPTED"));
	acmb_secbuf_free(pem);

	assert_int_equal(acmb_material_cert_pem(m, &cert, &len, &err), ACMB_OK);
	assert_int_equal(strncmp(cert, "-----BEGIN CERTIFICATE-----\n", 28), 0);
	assert_int_equal(strlen(cert), len);
	assert_non_null(strstr(cert, "-----END CERTIFICATE-----\n"));
	assert_int_equal(strstr(cert, "-----END CERTIFICATE-----\n") + 26 - cert, (long)len);
	assert_int_equal(acmb_material_chain_pem(m, &chain, &len, &err), ACMB_OK);
	assert_non_null(
	    strstr(strstr(chain, "-----END CERTIFICATE-----") + 1, "-----BEGIN CERTIFICATE-----"));
	free(cert);
	free(chain);
	acmb_material_free(m);
}

/* A leading UTF-8 byte-order mark (Windows Notepad) is dropped and flagged
 * for pem-hygiene, in every field; the AWS CLI imports such files. */
static void
test_bom_dropped(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m;
	static const char bom[] = "\xEF\xBB\xBF";
	const char *names[] = {"leaf.pem", "leaf.key", "chain.pem"};
	char bomname[32];
	char *d;
	size_t i, len;
	FILE *f;

	(void)state;
	for (i = 0; i < 3; i++) {
		d = read_file(names[i], &len);
		snprintf(bomname, sizeof(bomname), "bom-%s", names[i]);
		f = fopen(P(bomname), "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(bom, 1, 3, f), 3);
		assert_int_equal(fwrite(d, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		free(d);
	}
	assert_int_equal(chmod(P("bom-leaf.key"), 0600), 0);
	spec.certificate = P("bom-leaf.pem");
	spec.private_key = P("bom-leaf.key");
	spec.certificate_chain = P("bom-chain.pem");
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_CERT);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_field_ok(m, ACMB_FIELD_CHAIN);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, ACMB_IN_BOM);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].flags, ACMB_IN_BOM);
	assert_true(m->info[ACMB_FIELD_KEY].flags & ACMB_IN_BOM);
	assert_int_equal(sk_X509_num(m->chain), 2);
	assert_key_matches(m);
	acmb_material_free(m);
}

/* OpenSSH's rule for key files: a warning for one that others may access,
 * a refusal with strict_permissions; the certificate is never judged. */
static void
test_key_file_permissions(void **state)
{
	struct acmb_files_spec spec = {0};
	struct acmb_material *m = NULL;
	acmb_err err = {0};
	char *d;
	size_t len;

	(void)state;
	d = read_file("leaf.key", &len);
	write_file("open.key", d, len);
	free(d);
	assert_int_equal(chmod(P("open.key"), 0604), 0);
	assert_int_equal(chmod(P("leaf.pem"), 0644), 0);
	spec.certificate = P("leaf.pem");
	spec.private_key = P("open.key");
	m = load_ok(&spec);
	assert_field_ok(m, ACMB_FIELD_KEY);
	assert_non_null(strstr(
	    m->info[ACMB_FIELD_KEY].warning, "UNPROTECTED PRIVATE KEY FILE: permissions 0604 for"));
	assert_string_equal(m->info[ACMB_FIELD_CERT].warning, "");
	acmb_material_free(m);
	m = NULL;
	spec.strict_permissions = 1;
	assert_int_equal(acmb_files_load(&spec, &m, &err), ACMB_E_USAGE);
	assert_null(m);
	assert_non_null(strstr(err.msg, "refused (--strict-permissions)"));
	assert_int_equal(chmod(P("open.key"), 0600), 0);
	m = load_ok(&spec);
	assert_string_equal(m->info[ACMB_FIELD_KEY].warning, "");
	acmb_material_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_pem_paths),
	    /* First of the decrypting tests: it checks that only the legacy
	     * bundle loads OpenSSL's legacy provider. */
	    case_unit_test(test_pkcs12_bundles),
	    cmocka_unit_test(test_fileb_and_file_urls),
	    cmocka_unit_test(test_stdin_pipe),
	    cmocka_unit_test(test_stdin_stream_over_limit),
	    cmocka_unit_test(test_two_stdins_refused),
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_huge_sparse_file_refused_unread),
	    cmocka_unit_test(test_broken_certificate_fields),
	    cmocka_unit_test(test_private_key_in_certificate_field),
	    cmocka_unit_test(test_two_certificates_counted),
	    case_unit_test(test_encrypted_keys),
	    cmocka_unit_test(test_passphrase_env_wiped),
	    cmocka_unit_test(test_pkcs12_conflicts),
	    cmocka_unit_test(test_passphrase_from_stdin),
	    cmocka_unit_test(test_der_certificate_and_key),
	    cmocka_unit_test(test_key_pem_is_pkcs8_in_secure_heap),
	    cmocka_unit_test(test_bom_dropped),
	    cmocka_unit_test(test_key_file_permissions),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, setup_material, teardown_material);
}
