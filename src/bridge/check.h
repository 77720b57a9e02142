/*
 * The check flow: load a material from files, judge it against ACM's import
 * rules, and describe the verdict as JSON. `acmbridge check` prints it;
 * `acmbridge import` runs the same flow and refuses when it fails.
 */
#ifndef ACMB_CHECK_H
#define ACMB_CHECK_H

#include <time.h>

#include <jansson.h>

#include "acm/rules.h"
#include "bridge/source.h"
#include "error.h"
#include "material.h"

/* Loads what spec names (files, or a token for pkcs11: fields, see
 * source.h) and judges it at time at. On ACMB_OK, *m_out holds the material
 * (chain reordered for import; free with acmb_material_free()) and *rep_out
 * the verdict (free with free()); *audit is the open export record of a token
 * source, or NULL (the caller finishes and closes it). Returns the sources'
 * usage and token errors unchanged; a failing rule is not an error here: see
 * (*rep_out)->ok. m_out may be NULL. */
int acmb_check_source(struct acmb_source_spec *spec, time_t at, struct acmb_material **m_out,
    struct acmb_rules_report **rep_out, struct acmb_audit **audit, acmb_err *err);

/* A batch of checks in one process. Consecutive sets naming the same chain
 * file share one decoded chain (read once, the same bytes judged the same
 * way) and a memo of the chain's own signature checks; each set's leaf, key
 * and the leaf-to-issuer signature are always read and checked afresh. */
typedef struct acmb_check_batch acmb_check_batch;

/* Returns a new batch, or NULL. Free with acmb_check_batch_free(). */
acmb_check_batch *acmb_check_batch_new(void);

/* Frees the batch and the chain it holds. Accepts NULL. */
void acmb_check_batch_free(acmb_check_batch *b);

/* Like acmb_check_source() for files (without the material) for one set of
 * a batch; the verdict goes into the caller's *rep (overwritten whole, so
 * that one report serves every set). */
int acmb_check_batch_files(acmb_check_batch *b, const struct acmb_files_spec *spec, time_t at,
    struct acmb_rules_report *rep, acmb_err *err);

/* Returns the report as a new JSON object ({"ok", "key_algorithm",
 * "not_after", "checks", "chain_order_changed", "services"}, and
 * "warnings" when there are any), or NULL when out of memory. Text that is
 * not UTF-8 (a path in a detail) is escaped (json-text.h). Caller frees with
 * json_decref(). */
json_t *acmb_check_report_json(const struct acmb_rules_report *rep);

/* Parses an RFC 3339 / ISO 8601 time ("2027-01-31T00:00:00Z",
 * "2027-01-31T02:00:00+02:00", "2027-01-31", fractions of a second
 * ignored) into *out. Returns ACMB_OK or ACMB_E_USAGE with a message. */
int acmb_check_parse_time(const char *s, time_t *out, acmb_err *err);

#endif
