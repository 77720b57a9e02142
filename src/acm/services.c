/*
 * Which AWS services a certificate's key attaches to. ACM imports seven key
 * algorithms but the services that use ACM certificates accept fewer; an
 * operator should learn that before importing (docs/rules.md has the table
 * and its sources).
 */
#include <stdio.h>

#include "rules.h"

struct service_support {
	const char *name;
	const char *label;
	unsigned allowed; /* bit (1 << acmb_key_alg) for each algorithm it takes */
	const char *allowed_text;
	const char *note; /* appended to every line, or NULL */
};

#define ALG_BIT(a) (1u << (a))
#define ALL_RSA                                                                                    \
	(ALG_BIT(ACMB_ALG_RSA_1024) | ALG_BIT(ACMB_ALG_RSA_2048) | ALG_BIT(ACMB_ALG_RSA_3072) |    \
	    ALG_BIT(ACMB_ALG_RSA_4096))
#define ALL_EC                                                                                     \
	(ALG_BIT(ACMB_ALG_EC_PRIME256V1) | ALG_BIT(ACMB_ALG_EC_SECP384R1) |                        \
	    ALG_BIT(ACMB_ALG_EC_SECP521R1))

static const struct service_support services[ACMB_SERVICE_COUNT] = {
    [ACMB_SERVICE_ALB] = {"alb", "Application Load Balancer", ALL_RSA | ALL_EC,
        "all seven ACM key algorithms", NULL},
    [ACMB_SERVICE_NLB] = {"nlb", "Network Load Balancer (TLS listener)",
        ALG_BIT(ACMB_ALG_RSA_1024) | ALG_BIT(ACMB_ALG_RSA_2048) | ALG_BIT(ACMB_ALG_RSA_3072) |
            ALL_EC,
        "RSA 1024-3072 and EC P-256/P-384/P-521", NULL},
    [ACMB_SERVICE_CLOUDFRONT] = {"cloudfront", "CloudFront",
        ALL_RSA | ALG_BIT(ACMB_ALG_EC_PRIME256V1), "RSA 1024-4096 and EC P-256 only",
        "import into us-east-1"},
    [ACMB_SERVICE_APIGW_EDGE] = {"apigateway-edge", "API Gateway edge-optimized endpoint",
        ALL_RSA | ALG_BIT(ACMB_ALG_EC_PRIME256V1), "RSA 1024-4096 and EC P-256 only",
        "import into us-east-1"},
};

void
acmb_services_judge(enum acmb_key_alg alg, struct acmb_service_result out[ACMB_SERVICE_COUNT])
{
	const char *alg_name = acmb_rules_alg_name(alg);
	size_t i;

	for (i = 0; i < ACMB_SERVICE_COUNT; i++) {
		out[i].service = services[i].name;
		out[i].ok = alg_name != NULL && (services[i].allowed & ALG_BIT(alg)) != 0;
		if (alg == ACMB_ALG_NONE)
			snprintf(out[i].detail, sizeof(out[i].detail),
			    "not judged: no usable certificate");
		else if (alg_name == NULL)
			snprintf(out[i].detail, sizeof(out[i].detail),
			    "%s takes %s; this key is not one of them", services[i].label,
			    services[i].allowed_text);
		else
			snprintf(out[i].detail, sizeof(out[i].detail), "%s %s %s (takes %s)%s%s",
			    services[i].label, out[i].ok ? "accepts" : "does not accept", alg_name,
			    services[i].allowed_text, services[i].note != NULL ? "; " : "",
			    services[i].note != NULL ? services[i].note : "");
	}
}
