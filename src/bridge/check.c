/*
 * The check flow: files -> material -> rules -> report.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "acm/rules-chain.h"
#include "check.h"
#include "input.h"
#include "json-text.h"

int
acmb_check_source(struct acmb_source_spec *spec, time_t at, struct acmb_material **m_out,
    struct acmb_rules_report **rep_out, struct acmb_audit **audit, acmb_err *err)
{
	struct acmb_material *m = NULL;
	struct acmb_rules_report *rep = NULL;
	int r = ACMB_E_INTERNAL;

	if (m_out != NULL)
		*m_out = NULL;
	*rep_out = NULL;
	if ((r = acmb_source_load(spec, &m, audit, err)) != ACMB_OK)
		goto out;
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_rules_judge(m, at, rep, err)) != ACMB_OK)
		goto out;
	if (m_out != NULL) {
		*m_out = m;
		m = NULL;
	}
	*rep_out = rep;
	rep = NULL;
	r = ACMB_OK;
out:
	free(rep);
	acmb_material_free(m);
	return r;
}

/* Longest chain path a batch remembers; longer ones are simply re-read. */
#define BATCH_PATH_MAX 4096

struct acmb_check_batch {
	char chain_path[BATCH_PATH_MAX];
	STACK_OF(X509) *chain; /* as decoded, in the order given */
	struct acmb_field_info chain_info;
	acmb_chain_memo *memo;
};

acmb_check_batch *
acmb_check_batch_new(void)
{
	acmb_check_batch *b = calloc(1, sizeof(*b));

	if (b != NULL && (b->memo = acmb_chain_memo_new()) == NULL) {
		free(b);
		b = NULL;
	}
	return b;
}

void
acmb_check_batch_free(acmb_check_batch *b)
{
	if (b == NULL)
		return;
	sk_X509_pop_free(b->chain, X509_free);
	acmb_chain_memo_free(b->memo);
	free(b);
}

/* A new stack holding a reference to each certificate of s, or NULL. */
static STACK_OF(X509) *
batch_chain_copy(STACK_OF(X509) *s)
{
	STACK_OF(X509) *copy = sk_X509_new_reserve(NULL, sk_X509_num(s));
	int i;

	if (copy == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(s); i++) {
		if (!X509_up_ref(sk_X509_value(s, i))) {
			sk_X509_pop_free(copy, X509_free);
			return NULL;
		}
		/* Reserved above, so the push cannot fail. */
		(void)sk_X509_push(copy, sk_X509_value(s, i));
	}
	return copy;
}

/* Remembers m's chain for later sets naming the same file; best effort. */
static void
batch_remember_chain(acmb_check_batch *b, const char *path, const struct acmb_material *m)
{
	STACK_OF(X509) *copy;

	sk_X509_pop_free(b->chain, X509_free);
	b->chain = NULL;
	b->chain_path[0] = '\0';
	if (strlen(path) >= sizeof(b->chain_path) || acmb_input_is_stdin(path) ||
	    m->info[ACMB_FIELD_CHAIN].status != ACMB_OK || m->chain == NULL ||
	    (copy = batch_chain_copy(m->chain)) == NULL)
		return;
	b->chain = copy;
	b->chain_info = m->info[ACMB_FIELD_CHAIN];
	snprintf(b->chain_path, sizeof(b->chain_path), "%s", path);
}

int
acmb_check_batch_files(acmb_check_batch *b, const struct acmb_files_spec *spec, time_t at,
    struct acmb_rules_report *rep, acmb_err *err)
{
	struct acmb_files_spec local = *spec;
	struct acmb_material *m = NULL;
	const char *chain_path = spec->certificate_chain;
	int shared, r = ACMB_E_INTERNAL;

	shared = chain_path != NULL && spec->pkcs12 == NULL && b->chain != NULL &&
	         strcmp(chain_path, b->chain_path) == 0;
	if (shared)
		local.certificate_chain = NULL;
	if ((r = acmb_files_load(&local, &m, err)) != ACMB_OK)
		goto out;
	if (shared) {
		if ((m->chain = batch_chain_copy(b->chain)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		m->info[ACMB_FIELD_CHAIN] = b->chain_info;
	} else if (chain_path != NULL && spec->pkcs12 == NULL) {
		/* Before judging: the rules reorder m->chain in place. */
		batch_remember_chain(b, chain_path, m);
	}
	if ((r = acmb_rules_judge_memo(m, at, b->memo, rep, err)) != ACMB_OK)
		goto out;
	r = ACMB_OK;
out:
	acmb_material_free(m);
	return r;
}

static int
json_put(json_t *obj, const char *key, json_t *val)
{
	/* json_object_set_new takes val even on failure, so nothing leaks. */
	return val != NULL && json_object_set_new(obj, key, val) == 0;
}

json_t *
acmb_check_report_json(const struct acmb_rules_report *rep)
{
	json_t *root = NULL, *checks = NULL, *services = NULL, *item = NULL, *ret = NULL;
	size_t i;

	if ((root = json_object()) == NULL || (checks = json_array()) == NULL ||
	    (services = json_object()) == NULL)
		goto out;
	for (i = 0; i < rep->nresults; i++) {
		if ((item = json_object()) == NULL ||
		    !json_put(item, "rule", json_string(rep->results[i].rule)) ||
		    !json_put(item, "ok", json_boolean(rep->results[i].ok)) ||
		    !json_put(item, "detail", acmb_json_text(rep->results[i].detail)) ||
		    !json_put(item, "fix", acmb_json_text(rep->results[i].fix)))
			goto out;
		if (json_array_append_new(checks, item) != 0) {
			item = NULL;
			goto out;
		}
		item = NULL;
	}
	for (i = 0; i < ACMB_SERVICE_COUNT; i++) {
		if (rep->services[i].service == NULL)
			continue;
		if ((item = json_object()) == NULL ||
		    !json_put(item, "ok", json_boolean(rep->services[i].ok)) ||
		    !json_put(item, "detail", acmb_json_text(rep->services[i].detail)))
			goto out;
		if (json_object_set_new(services, rep->services[i].service, item) != 0) {
			item = NULL;
			goto out;
		}
		item = NULL;
	}
	if (!json_put(root, "ok", json_boolean(rep->ok)) ||
	    !json_put(root, "key_algorithm",
	        rep->key_algorithm[0] != '\0' ? json_string(rep->key_algorithm) : json_null()) ||
	    !json_put(root, "not_after",
	        rep->not_after[0] != '\0' ? json_string(rep->not_after) : json_null()))
		goto out;
	if (json_object_set_new(root, "checks", checks) != 0) {
		checks = NULL;
		goto out;
	}
	checks = NULL;
	if (!json_put(root, "chain_order_changed", json_boolean(rep->chain_order_changed)))
		goto out;
	if (json_object_set_new(root, "services", services) != 0) {
		services = NULL;
		goto out;
	}
	services = NULL;
	/* Only when there is one: reports of protected files stay as they were. */
	if (rep->nwarnings > 0) {
		if ((item = json_array()) == NULL)
			goto out;
		for (i = 0; i < rep->nwarnings; i++)
			if (json_array_append_new(item, acmb_json_text(rep->warnings[i])) != 0)
				goto out;
		if (json_object_set_new(root, "warnings", item) != 0) {
			item = NULL;
			goto out;
		}
		item = NULL;
	}
	ret = root;
	root = NULL;
out:
	json_decref(item);
	json_decref(services);
	json_decref(checks);
	json_decref(root);
	return ret;
}

static int
digits(const char *s, size_t n, int *val)
{
	size_t i;

	*val = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*val = *val * 10 + (s[i] - '0');
	}
	return 1;
}

/*
 * Hand-written because OpenSSL parses only ASN.1 time strings; this reads
 * the RFC 3339 shape, then hands an ASN.1 GeneralizedTime to OpenSSL, which
 * validates the calendar (days per month, leap years).
 */
int
acmb_check_parse_time(const char *s, time_t *out, acmb_err *err)
{
	ASN1_TIME *t = NULL;
	char asn1[64];
	struct tm tm;
	const char *p;
	int year, mon, day, hour = 0, min = 0, sec = 0, oh = 0, om = 0, sign = 0;
	time_t when;
	int r = ACMB_E_INTERNAL;

	*out = 0;
	if (s == NULL || strlen(s) > 64)
		goto bad;
	if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !digits(s + 8, 2, &day))
		goto bad;
	p = s + 10;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			goto bad;
		p++;
		if (!digits(p, 2, &hour) || p[2] != ':' || !digits(p + 3, 2, &min) || p[5] != ':' ||
		    !digits(p + 6, 2, &sec))
			goto bad;
		p += 8;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
			    oh > 23 || om > 59)
				goto bad;
			p += 6;
		} else {
			goto bad;
		}
		if (*p != '\0')
			goto bad;
	}
	if (hour > 23 || min > 59 || sec > 60 || year < 1950 || mon < 1 || mon > 12 || day < 1 ||
	    day > 31)
		goto bad;
	if (sec == 60)
		sec = 59; /* a leap second: ASN.1 time has none */
	snprintf(asn1, sizeof(asn1), "%04d%02d%02d%02d%02d%02dZ", year, mon, day, hour, min, sec);
	if ((t = ASN1_TIME_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (!ASN1_TIME_set_string_X509(t, asn1) || !ASN1_TIME_to_tm(t, &tm))
		goto bad;
	if ((when = timegm(&tm)) == (time_t)-1)
		goto bad;
	*out = when - (time_t)sign * (oh * 3600 + om * 60);
	r = ACMB_OK;
	goto out;
bad:
	r = acmb_error(err, ACMB_E_USAGE,
	    "--at: '%.64s' is not a time like 2027-01-31 or "
	    "2027-01-31T00:00:00Z (RFC 3339, with Z or an offset)",
	    s != NULL ? s : "");
out:
	ERR_clear_error();
	ASN1_TIME_free(t);
	return r;
}
