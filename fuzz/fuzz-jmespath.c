/*
 * libFuzzer target for the JMESPath engine (the --query parser reads what
 * an operator or a script types): arbitrary bytes as an expression, compiled
 * and searched over a fixed document shaped like ACM's answers. Nothing may
 * crash, hang, leak or exceed its bounds; a result must be writable as JSON,
 * and searching it again must give the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jmespath.h"
#include "pyjson.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *doc;

static const char doc_text[] =
    "{\"Certificate\": {\"CertificateArn\": \"arn:aws:acm:us-east-1:123456789012:certificate/"
    "0f1e2d3c\", \"DomainName\": \"www.example.com\", \"SubjectAlternativeNames\": "
    "[\"www.example.com\", \"example.com\", \"é.example\"], \"Serial\": \"0a:1b\", "
    "\"InUseBy\": [], \"NotAfter\": 1767225600.5, \"KeyAlgorithm\": \"RSA-2048\", "
    "\"RenewalEligibility\": \"INELIGIBLE\", \"Options\": {\"CertificateTransparency"
    "LoggingPreference\": \"ENABLED\"}, \"Tags\": [{\"Key\": \"env\", \"Value\": \"prod\"}, "
    "{\"Key\": \"n\", \"Value\": \"\"}], \"Counts\": [3, -1, 0, 2.5, 1e-5], \"Flags\": [true, "
    "false, null], \"Nested\": [[1, [2, [3]]], {\"a\": {\"b\": {\"c\": null}}}]}, "
    "\"NextToken\": null}";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	doc = json_loads(doc_text, 0, NULL);
	return doc == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct acmb_pyjson_style compact = {-1, 1};
	struct acmb_jmespath_diag diag;
	acmb_jmespath *q = NULL;
	json_t *r1 = NULL, *r2 = NULL;
	char *t1 = NULL, *t2 = NULL;
	size_t l1, l2;
	acmb_err err = {0};

	if (acmb_jmespath_compile((const char *)data, size, &q, &diag, &err) != ACMB_OK) {
		/* Every refusal says what kind and where. */
		if (diag.kind == ACMB_JMESPATH_OK || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (acmb_jmespath_search(q, doc, &r1, &diag, &err) == ACMB_OK) {
		if (acmb_pyjson_dumps(r1, &compact, (size_t)256 << 20, &t1, &l1) !=
		        ACMB_PYJSON_OK ||
		    acmb_jmespath_search(q, doc, &r2, &diag, &err) != ACMB_OK ||
		    acmb_pyjson_dumps(r2, &compact, (size_t)256 << 20, &t2, &l2) !=
		        ACMB_PYJSON_OK ||
		    l1 != l2 || memcmp(t1, t2, l1) != 0)
			abort();
	} else if (diag.kind == ACMB_JMESPATH_OK || err.msg[0] == '\0') {
		abort();
	}
	free(t1);
	free(t2);
	json_decref(r1);
	json_decref(r2);
	acmb_jmespath_free(q);
	return 0;
}
