/*
 * Control runs for the custody harness: proves the memory scan can see.
 * Loads a private key the way acmbridge does (acmb_init first, file bytes
 * straight into the secure heap, decoded with OpenSSL), encodes it as DER in
 * the secure heap (i2d_PrivateKey: PKCS#1 for RSA, SEC1 for EC), then, depending on the mode,
 * leaves one copy behind or handles it correctly:
 *
 *   heap          a plain-heap copy freed with free(), not wiped
 *   heap-ok       the same copy wiped before free()
 *   secure        a secure-heap copy that is never freed (a missing _free)
 *   secure-ok     the same copy released with acmb_secbuf_free()
 *   stack         a worker thread keeps a copy in a local array and returns
 *   stack-ok      the same thread wipes the array before returning
 *   registers     memcpy moves the DER (through the vector registers) and the
 *                 copy is wiped, but the result is printed before any secret
 *                 free runs acmb_wipe_residue(): caught at the result moment
 *                 only, in the registers (acmb_shutdown clears them by exit)
 *
 * Then it prints "done MODE" on stdout (the harness's first moment) and
 * exits (the second). Usage: custody-leak MODE KEY.pem
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "init.h"
#include "secmem.h"

#define KEY_FILE_MAX ((size_t)64 << 10)
#define DER_MAX 8192

/* Reads the whole file with read(2) into the secure heap: stdio would leave
 * a copy in its unwiped FILE buffer, which is not what this control tests. */
static acmb_secbuf *
read_key_file(const char *path)
{
	acmb_secbuf *b = NULL, *ret = NULL;
	unsigned char *dst;
	ssize_t n;
	int fd = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto out;
	if ((b = acmb_secbuf_new(KEY_FILE_MAX)) == NULL)
		goto out;
	for (;;) {
		if ((dst = acmb_secbuf_reserve(b, 4096)) == NULL)
			goto out;
		n = read(fd, dst, 4096);
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		acmb_secbuf_commit(b, (size_t)n);
	}
	ret = b;
	b = NULL;
out:
	if (fd != -1)
		close(fd);
	acmb_secbuf_free(b);
	return ret;
}

/* The key's DER (PKCS#1 or SEC1) in a new secure buffer. */
static acmb_secbuf *
key_der(const acmb_secbuf *pem)
{
	EVP_PKEY *pkey = NULL;
	BIO *in = NULL;
	acmb_secbuf *der = NULL, *ret = NULL;
	unsigned char *p;
	int len;

	if ((in = BIO_new_mem_buf(acmb_secbuf_ptr(pem), (int)acmb_secbuf_len(pem))) == NULL)
		goto out;
	if ((pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL)) == NULL)
		goto out;
	if ((len = i2d_PrivateKey(pkey, NULL)) <= 0 || len > DER_MAX)
		goto out;
	if ((der = acmb_secbuf_new(DER_MAX)) == NULL ||
	    (p = acmb_secbuf_reserve(der, (size_t)len)) == NULL)
		goto out;
	if (i2d_PrivateKey(pkey, &p) != len)
		goto out;
	acmb_secbuf_commit(der, (size_t)len);
	ret = der;
	der = NULL;
out:
	acmb_secbuf_free(der);
	EVP_PKEY_free(pkey);
	BIO_free(in);
	return ret;
}

static int
leave_in_heap(const acmb_secbuf *der, int wipe)
{
	unsigned char *copy, *fence;
	size_t n = acmb_secbuf_len(der);

	if ((copy = malloc(n)) == NULL)
		return -1;
	/* Keeps the freed copy from merging into the top chunk, so what free()
	 * leaves behind stays where the scan can find it. */
	if ((fence = malloc(64)) == NULL) {
		free(copy);
		return -1;
	}
	memcpy(copy, acmb_secbuf_ptr(der), n);
	if (wipe)
		acmb_wipe(copy, n);
	free(copy);
	/* The fence is deliberately kept until exit. */
	return 0;
}

static int
leave_in_secure_heap(const acmb_secbuf *der, int release)
{
	acmb_secbuf *copy;

	if ((copy = acmb_secbuf_new(DER_MAX)) == NULL)
		return -1;
	if (acmb_secbuf_put(copy, acmb_secbuf_ptr(der), acmb_secbuf_len(der)) != ACMB_OK) {
		acmb_secbuf_free(copy);
		return -1;
	}
	if (release)
		acmb_secbuf_free(copy);
	/* Otherwise the pointer is dropped: the copy stays, unwiped. */
	return 0;
}

struct stack_job {
	const acmb_secbuf *der;
	int wipe;
	int ok;
};

static void *
copy_on_stack(void *arg)
{
	struct stack_job *job = arg;
	volatile unsigned char local[DER_MAX];
	size_t i, n = acmb_secbuf_len(job->der);
	const unsigned char *src = acmb_secbuf_ptr(job->der);

	/* volatile: the copy must really land on this thread's stack. */
	for (i = 0; i < n; i++)
		local[i] = src[i];
	if (job->wipe)
		acmb_wipe((void *)local, n);
	job->ok = 1;
	return NULL;
}

static int
leave_on_thread_stack(const acmb_secbuf *der, int wipe)
{
	struct stack_job job = {der, wipe, 0};
	pthread_t t;

	if (pthread_create(&t, NULL, copy_on_stack, &job) != 0)
		return -1;
	if (pthread_join(t, NULL) != 0 || !job.ok)
		return -1;
	return 0;
}

static unsigned char register_scratch[DER_MAX];

static int
leave_in_registers(const acmb_secbuf *der)
{
	memcpy(register_scratch, acmb_secbuf_ptr(der), acmb_secbuf_len(der));
	acmb_wipe(register_scratch, acmb_secbuf_len(der));
	return 0;
}

int
main(int argc, char **argv)
{
	acmb_err err = {0};
	acmb_secbuf *pem = NULL, *der = NULL;
	const char *mode;
	int r = -1, ret = 1;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "custody-leak: %s\n", err.msg);
		return 1;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: custody-leak MODE KEY.pem\n");
		goto out;
	}
	mode = argv[1];
	if ((pem = read_key_file(argv[2])) == NULL || (der = key_der(pem)) == NULL) {
		fprintf(stderr, "custody-leak: cannot load %s\n", argv[2]);
		goto out;
	}
	acmb_secbuf_free(pem);
	pem = NULL;

	if (strcmp(mode, "heap") == 0 || strcmp(mode, "heap-ok") == 0)
		r = leave_in_heap(der, mode[4] == '-');
	else if (strcmp(mode, "secure") == 0 || strcmp(mode, "secure-ok") == 0)
		r = leave_in_secure_heap(der, mode[6] == '-');
	else if (strcmp(mode, "stack") == 0 || strcmp(mode, "stack-ok") == 0)
		r = leave_on_thread_stack(der, mode[5] == '-');
	else if (strcmp(mode, "registers") == 0)
		r = leave_in_registers(der);
	else
		fprintf(stderr, "custody-leak: unknown mode %s\n", mode);
	if (r != 0)
		goto out;
	if (strcmp(mode, "registers") != 0) {
		acmb_secbuf_free(der);
		der = NULL;
	}
	printf("done %s\n", mode);
	fflush(stdout);
	ret = 0;
out:
	acmb_secbuf_free(der);
	acmb_secbuf_free(pem);
	acmb_shutdown();
	return ret;
}
