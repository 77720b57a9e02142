/*
 * The sync manifest (docs/sync.md, acmbridge.yaml(5)): a fleet of
 * certificates declared once. YAML (libyaml) or JSON; every mistake is
 * reported as FILE:LINE:COLUMN with the key it concerns, before any request.
 *
 * The manifest holds no secret: PINs and passphrases are named by file or
 * environment variable, never given inline (a pin-value in a pkcs11: URI is
 * refused).
 */
#ifndef ACMB_MANIFEST_H
#define ACMB_MANIFEST_H

#include <stddef.h>

#include <jansson.h>

#include "acm/rules.h"
#include "error.h"

#define ACMB_MANIFEST_MAX ((size_t)4 << 20) /* bytes of manifest, refused unread beyond */
#define ACMB_MANIFEST_ENTRIES_MAX 20000u
#define ACMB_MANIFEST_DEPTH_MAX 16u /* nesting of mappings and lists */

enum acmb_manifest_source {
	ACMB_MANIFEST_FILES = 1, /* certificate, private-key, certificate-chain files */
	ACMB_MANIFEST_PKCS12,    /* one PKCS#12 bundle */
	ACMB_MANIFEST_DIR,       /* a kubernetes.io/tls Secret mounted as a folder */
	ACMB_MANIFEST_PKCS11,    /* pkcs11: URIs */
	ACMB_MANIFEST_PRIVATE_CA /* issued by AWS Private CA at each renewal */
};

/* acmb_manifest_entry.services holds 1u << enum acmb_service (acm/rules.h). */
#define ACMB_MANIFEST_SERVICE(s) (1u << (s))

struct acmb_manifest_destination {
	const char *region;      /* required */
	const char *profile;     /* or NULL: the run's identity */
	const char *role_arn;    /* or NULL */
	const char *external_id; /* or NULL; only with role_arn */
};

/* renew-before: a fixed time before NotAfter, or a share of the lifetime. */
struct acmb_manifest_renew {
	long long seconds; /* when percent == 0 */
	int percent;       /* 1..99: renew once this share of the lifetime is left */
};

struct acmb_manifest_tag {
	const char *key;
	const char *value;
};

/* certificate-arn: {REGION: ARN}, an import made before acmbridge. */
struct acmb_manifest_adopt {
	const char *region;
	const char *arn;
};

/* One entry; every string lives as long as the manifest. Paths are already
 * joined to the manifest's folder. */
struct acmb_manifest_entry {
	const char *name;
	unsigned line, column; /* where the entry starts, for messages */
	enum acmb_manifest_source source;
	struct {
		const char *certificate, *private_key, *certificate_chain, *passphrase_file;
	} files;
	struct {
		const char *path, *passphrase_file;
	} pkcs12;
	const char *dir; /* tls.crt (leaf then intermediates), tls.key, optional ca.crt */
	struct {
		const char *certificate, *private_key; /* pkcs11: URIs, no pin-value */
		const char *module, *pin_file, *pin_env, *wrapping_key;
	} pkcs11;
	struct {
		const char *ca_arn, *subject, *key_algorithm, *validity, *template_arn;
		const char *const *dns_names;
		size_t ndns;
		const json_t *api_passthrough; /* object or NULL */
		const char *key_store;         /* "memory" or a pkcs11: URI */
		int rotate_key;                /* a new key at each renewal (default 1) */
		/* The pkcs11: key store's module and PIN, as for pkcs11 entries
		 * (NULL: p11-kit's modules, the URI's pin-source). */
		const char *module, *pin_file, *pin_env;
	} private_ca;
	const struct acmb_manifest_destination *destinations;
	size_t ndestinations;
	struct acmb_manifest_renew renew_before;
	const struct acmb_manifest_tag *tags; /* defaults merged, entry's win */
	size_t ntags;
	unsigned services; /* ACMB_MANIFEST_SERVICE(ACMB_SERVICE_...) bits */
	const struct acmb_manifest_adopt *adopt;
	size_t nadopt;
	int strict_permissions;
};

struct acmb_manifest;

/* Reads and checks the manifest at path (at most ACMB_MANIFEST_MAX bytes).
 * Returns ACMB_OK with *out set (free with acmb_manifest_free()), or
 * ACMB_E_USAGE with err saying "PATH:LINE:COLUMN: what is wrong" for any
 * mistake: syntax, unknown key, duplicate key or name, two sources or none,
 * bad duration, tag or region, a source file that is missing or unreadable.
 * ACMB_E_TOO_BIG for an oversized file. No key, PIN or passphrase is read. */
int acmb_manifest_load(const char *path, struct acmb_manifest **out, acmb_err *err);

/* The same over a buffer (the fuzz target); display names the buffer in
 * messages, base_dir is the folder relative paths are joined to (files are
 * checked for existence only when check_files is 1). */
int acmb_manifest_parse(const char *text, size_t len, const char *display, const char *base_dir,
    int check_files, struct acmb_manifest **out, acmb_err *err);

/* The number of entries, and entry i (0 <= i < count); the pointer lives as
 * long as m. */
size_t acmb_manifest_count(const struct acmb_manifest *m);
const struct acmb_manifest_entry *acmb_manifest_entry(const struct acmb_manifest *m, size_t i);

/* The entry named name, or NULL. */
const struct acmb_manifest_entry *acmb_manifest_find(
    const struct acmb_manifest *m, const char *name);

/* "files", "pkcs12", "dir", "pkcs11" or "private-ca". */
const char *acmb_manifest_source_name(enum acmb_manifest_source s);

/* Frees m and everything it owns. Accepts NULL. */
void acmb_manifest_free(struct acmb_manifest *m);

#endif
