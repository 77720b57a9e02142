/*
 * Renderings of acmbridge status (see status-render.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "status-render.h"

#define DAY 86400

static const char *
row_name(const struct acmb_status_row *r)
{
	return r->name != NULL ? r->name : "unmanaged";
}

static void
iso(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "-");
}

static void
day(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "-");
}

/* Only printable ASCII reaches a terminal: a domain or tag from ACM could
 * otherwise carry escape sequences. */
static void
put_cell(FILE *f, const char *s, int width, int pad)
{
	int n = 0;
	size_t len = s == NULL ? 0 : strlen(s);

	/* A value cut to fit ends in '~', so a cut is never taken for the
	 * whole value. */
	for (; s != NULL && *s != '\0' && n < width; s++, n++)
		fputc(n == width - 1 && len > (size_t)width ? '~'
		      : *s >= 0x20 && *s < 0x7f             ? *s
		                                            : '?',
		    f);
	/* The last column is not padded: no blanks at line ends. */
	for (; pad && n < width; n++)
		fputc(' ', f);
}

static const char *
kind(const struct acmb_status_row *r)
{
	const struct acmb_inventory_cert *c = r->cert;

	if (c->managed_by != NULL && c->managed_by[0] != '\0')
		return c->managed_by;
	return c->type != NULL ? c->type : "?";
}

void
acmb_status_render_text(FILE *f, const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, time_t now, int color)
{
	size_t i;
	char d[16];

	(void)now;
	/* 5 + 1 + 18 + 1 + 14 + 1 + 13 + 1 + 3 + 1 + 22 = 80 columns. */
	fprintf(f, "%-5s %-18s %-14s %-13s %-3s %s\n", "DAYS", "NAME", "REGION", "KEY", "USE",
	    "DOMAIN");
	for (i = 0; i < n; i++) {
		const struct acmb_status_row *r = &rows[i];
		const char *on = "", *off = "";

		if (color) {
			off = "\033[0m";
			on = r->days_left < 0 ? "\033[31m" : r->days_left < 30 ? "\033[33m" : "";
			if (on[0] == '\0')
				off = "";
		}
		snprintf(d, sizeof(d), "%ld", r->days_left);
		fprintf(f, "%s%-5s%s ", on, d, off);
		put_cell(f, row_name(r), 18, 1);
		fputc(' ', f);
		put_cell(f, r->region, 14, 1);
		fputc(' ', f);
		put_cell(f, r->cert->key_algorithm != NULL ? r->cert->key_algorithm : "?", 13, 1);
		fputc(' ', f);
		put_cell(f, r->cert->in_use > 0 ? "yes" : r->cert->in_use == 0 ? "no" : "?", 3, 1);
		fputc(' ', f);
		put_cell(f, r->cert->domain != NULL ? r->cert->domain : "-", 22, 0);
		fputc('\n', f);
		if (r->has_plan) {
			fprintf(f, "      %s: ", acmb_plan_action_name(r->next_action));
			put_cell(f, r->reason, 66, 0);
			fputc('\n', f);
		} else if (r->adoptable) {
			fputs("      adoptable by ", f);
			put_cell(f, r->adopt_name, 40, 0);
			fputc('\n', f);
		} else if (strcmp(kind(r), "IMPORTED") != 0) {
			fputs("      ", f);
			put_cell(f, kind(r), 40, 0);
			fputc('\n', f);
		}
	}
	fprintf(f,
	    "%zu certificates: %zu managed, %zu unmanaged, %zu expired, %zu expire within 30 days, "
	    "%zu in use",
	    sum->certificates, sum->managed, sum->unmanaged, sum->expired, sum->expiring_30d,
	    sum->in_use);
	if (sum->adoptable > 0)
		fprintf(f, ", %zu adoptable", sum->adoptable);
	fputc('\n', f);
}

static json_t *
row_json(const struct acmb_status_row *r)
{
	const struct acmb_inventory_cert *c = r->cert;
	json_t *o = json_object(), *dom = json_array();
	char buf[32];
	size_t i;

	if (o == NULL || dom == NULL)
		goto fail;
	if (c->domain != NULL && json_array_append_new(dom, json_string(c->domain)) != 0)
		goto fail;
	for (i = 0; i < c->nsans; i++)
		if ((c->domain == NULL || strcmp(c->sans[i], c->domain) != 0) &&
		    json_array_append_new(dom, json_string(c->sans[i])) != 0)
			goto fail;
	iso(c->not_after, buf, sizeof(buf));
	/* json_string() refuses invalid UTF-8: such a value becomes null
	 * rather than failing the whole report. */
	if (json_object_set_new(o, "Name", r->name ? json_string(r->name) : json_null()) != 0 ||
	    json_object_set_new(o, "Managed", json_boolean(r->name != NULL)) != 0 ||
	    json_object_set_new(o, "Region", json_string(r->region)) != 0 ||
	    json_object_set_new(o, "CertificateArn", json_string(c->arn)) != 0 ||
	    json_object_set_new(o, "Domains", dom) != 0)
		goto fail_dom;
	dom = NULL;
	if (json_object_set_new(o, "KeyAlgorithm",
	        c->key_algorithm ? json_string(c->key_algorithm) : json_null()) != 0 ||
	    json_object_set_new(o, "Type", c->type ? json_string(c->type) : json_null()) != 0 ||
	    json_object_set_new(
	        o, "ManagedBy", c->managed_by ? json_string(c->managed_by) : json_null()) != 0 ||
	    json_object_set_new(o, "CertificateKeyPairOrigin",
	        c->key_origin ? json_string(c->key_origin) : json_null()) != 0 ||
	    json_object_set_new(o, "NotAfter", c->not_after ? json_string(buf) : json_null()) !=
	        0 ||
	    json_object_set_new(o, "DaysLeft", json_integer(r->days_left)) != 0 ||
	    json_object_set_new(
	        o, "InUse", c->in_use < 0 ? json_null() : json_boolean(c->in_use)) != 0)
		goto fail;
	if (r->adoptable && json_object_set_new(o, "AdoptableBy", json_string(r->adopt_name)) != 0)
		goto fail;
	if (r->has_plan) {
		iso(r->renew_at, buf, sizeof(buf));
		if (json_object_set_new(
		        o, "NextAction", json_string(acmb_plan_action_name(r->next_action))) != 0 ||
		    json_object_set_new(o, "Reason", json_string(r->reason)) != 0 ||
		    json_object_set_new(
		        o, "RenewAt", r->renew_at ? json_string(buf) : json_null()) != 0)
			goto fail;
	}
	return o;
fail:
	json_decref(dom);
	json_decref(o);
	return NULL;
fail_dom:
	json_decref(o);
	return NULL;
}

json_t *
acmb_status_json(
    const struct acmb_status_row *rows, size_t n, const struct acmb_status_summary *sum, time_t now)
{
	json_t *root = NULL, *list = NULL, *s = NULL;
	char buf[32];
	size_t i;

	iso(now, buf, sizeof(buf));
	if ((list = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (json_array_append_new(list, row_json(&rows[i])) != 0)
			goto out;
	s = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "At", buf,
	    "Certificates", (json_int_t)sum->certificates, "Managed", (json_int_t)sum->managed,
	    "Unmanaged", (json_int_t)sum->unmanaged, "Expired", (json_int_t)sum->expired,
	    "ExpiringWithin30Days", (json_int_t)sum->expiring_30d, "InUse", (json_int_t)sum->in_use,
	    "Adoptable", (json_int_t)sum->adoptable, "Imported", (json_int_t)sum->imported,
	    "ImportsLast365Days", (json_int_t)sum->imports_last_365d);
	if (s == NULL)
		goto out;
	if ((root = json_pack("{s:o, s:o}", "Certificates", list, "Summary", s)) == NULL) {
		list = s = NULL; /* json_pack's "o" steals even on failure */
		goto out;
	}
	return root;
out:
	json_decref(list);
	json_decref(s);
	json_decref(root);
	return NULL;
}

int
acmb_status_render_json(FILE *f, const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, time_t now)
{
	json_t *root = acmb_status_json(rows, n, sum, now);
	int rc = -1;

	if (root != NULL &&
	    json_dumpf(root, f, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) == 0 &&
	    fputc('\n', f) != EOF)
		rc = 0;
	json_decref(root);
	return rc;
}

/* A Prometheus label value: backslash, double quote and newline escaped;
 * bytes outside printable ASCII replaced, so the file always parses. */
static void
prom_label(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', f);
	}
}

static void
prom_labels(FILE *f, const struct acmb_status_row *r, int with_managed)
{
	fputs("{name=\"", f);
	prom_label(f, row_name(r));
	fputs("\",region=\"", f);
	prom_label(f, r->region);
	fputs("\",arn=\"", f);
	prom_label(f, r->cert->arn);
	if (with_managed)
		fprintf(f, "\",managed=\"%s", r->name != NULL ? "true" : "false");
	fputs("\"}", f);
}

void
acmb_status_render_prometheus(FILE *f, const struct acmb_status_row *rows, size_t n,
    const char *const *regions, size_t nregions, time_t now)
{
	size_t i, k;

	fputs("# HELP acmbridge_certificate_not_after_seconds When the certificate expires (Unix "
	      "time).\n# TYPE acmbridge_certificate_not_after_seconds gauge\n",
	    f);
	for (i = 0; i < n; i++) {
		fputs("acmbridge_certificate_not_after_seconds", f);
		prom_labels(f, &rows[i], 1);
		fprintf(f, " %lld\n", (long long)rows[i].cert->not_after);
	}
	fputs("# HELP acmbridge_certificate_in_use 1 when an AWS service uses the certificate.\n"
	      "# TYPE acmbridge_certificate_in_use gauge\n",
	    f);
	for (i = 0; i < n; i++) {
		if (rows[i].cert->in_use < 0)
			continue;
		fputs("acmbridge_certificate_in_use", f);
		prom_labels(f, &rows[i], 0);
		fprintf(f, " %d\n", rows[i].cert->in_use);
	}
	fputs("# HELP acmbridge_imports_last_365d Certificates imported in the last 365 days (ACM "
	      "allows 5000 per year per region).\n# TYPE acmbridge_imports_last_365d gauge\n",
	    f);
	for (k = 0; k < nregions; k++) {
		size_t count = 0;

		for (i = 0; i < n; i++)
			if (strcmp(rows[i].region, regions[k]) == 0 && rows[i].cert->type != NULL &&
			    strcmp(rows[i].cert->type, "IMPORTED") == 0 &&
			    rows[i].cert->imported_at != 0 &&
			    now - rows[i].cert->imported_at < 365L * DAY)
				count++;
		fputs("acmbridge_imports_last_365d{region=\"", f);
		prom_label(f, regions[k]);
		fprintf(f, "\"} %zu\n", count);
	}
	fputs(
	    "# HELP acmbridge_imports_quota_365d ACM's quota of imports per 365 days per region.\n"
	    "# TYPE acmbridge_imports_quota_365d gauge\n",
	    f);
	for (k = 0; k < nregions; k++) {
		fputs("acmbridge_imports_quota_365d{region=\"", f);
		prom_label(f, regions[k]);
		fputs("\"} 5000\n", f);
	}
	fprintf(f,
	    "# HELP acmbridge_status_timestamp_seconds When acmbridge status made this file.\n"
	    "# TYPE acmbridge_status_timestamp_seconds gauge\n"
	    "acmbridge_status_timestamp_seconds %lld\n",
	    (long long)now);
}

/* HTML text and attribute values: & < > " ' escaped, control bytes
 * dropped. A domain or tag holding <script> shows as text. */
static void
html(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				fputc(*s, f);
		}
	}
}

#define SVG_W 900
#define SVG_LEFT 10
#define SVG_RIGHT 120 /* room for the last labels */
#define LANE 16

static double
xpos(time_t t, time_t from, time_t to)
{
	double w = SVG_W - SVG_LEFT - SVG_RIGHT;

	if (t < from)
		t = from;
	if (t > to)
		t = to;
	return SVG_LEFT + w * (double)(t - from) / (double)(to - from);
}

static void
timeline(FILE *f, const struct acmb_status_row *rows, size_t n, const char *region, time_t now)
{
	time_t from = now - 30L * DAY, to = now + 30L * DAY;
	size_t i, lanes = 0;
	char d[16];
	double x;

	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].region, region) != 0)
			continue;
		lanes++;
		if (rows[i].cert->not_after > to)
			to = rows[i].cert->not_after;
		if (rows[i].cert->not_after != 0 && rows[i].cert->not_after < from)
			from = rows[i].cert->not_after;
	}
	/* Two years ahead at the most; later ends are drawn at the edge. */
	if (to > now + 730L * DAY)
		to = now + 730L * DAY;
	if (from < now - 365L * DAY)
		from = now - 365L * DAY;
	to += 7L * DAY;
	fprintf(f, "<h2>");
	html(f, region);
	fprintf(f,
	    "</h2>\n<svg class=\"timeline\" role=\"img\" width=\"%d\" height=\"%zu\" "
	    "viewBox=\"0 0 %d %zu\" xmlns=\"http://www.w3.org/2000/svg\">\n",
	    SVG_W, lanes * LANE + 30, SVG_W, lanes * LANE + 30);
	x = xpos(now, from, to);
	for (i = 0, lanes = 0; i < n; i++) {
		const struct acmb_status_row *r = &rows[i];
		double y, xa;

		if (strcmp(r->region, region) != 0)
			continue;
		y = 20.0 + (double)lanes++ * LANE;
		xa = xpos(r->cert->not_after, from, to);
		if (r->has_plan && r->renew_at != 0 && r->renew_at < r->cert->not_after) {
			double xr = xpos(r->renew_at, from, to);

			fprintf(f,
			    "<rect class=\"renew-window\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%d\"/>\n",
			    xr, y - 6, xa - xr, LANE - 4);
		}
		fprintf(f, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"><title>",
		    r->days_left < 0    ? "expired"
		    : r->days_left < 30 ? "soon"
		                        : "ok",
		    xa, y);
		html(f, row_name(r));
		fputs(" — ", f);
		html(f, r->cert->domain != NULL ? r->cert->domain : "-");
		day(r->cert->not_after, d, sizeof(d));
		fprintf(f, " — %s (%ld d)</title></circle>\n", d, r->days_left);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\">", xa + 8, y + 4);
		html(f, row_name(r));
		fputs("</text>\n", f);
	}
	day(now, d, sizeof(d));
	fprintf(f,
	    "<line class=\"today\" x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%zu\"/>"
	    "<text x=\"%.1f\" y=\"12\" class=\"label\">today %s</text>\n</svg>\n",
	    x, x, lanes * LANE + 26, x + 4, d);
}

void
acmb_status_render_html(FILE *f, const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, const char *const *regions, size_t nregions, time_t now)
{
	size_t i;
	char at[32], d[16];

	iso(now, at, sizeof(at));
	/* No script and nothing fetched: the CSP says so to the browser too. */
	fprintf(f,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n"
	    "<title>acmbridge status %s</title>\n<style>\n"
	    "body{font:14px system-ui,sans-serif;margin:2em;color:#222}\n"
	    "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;"
	    "text-align:left}\n"
	    ".timeline{background:#fafafa;border:1px solid #ddd}.mark.ok{fill:#2a7}"
	    ".mark.soon{fill:#e90}.mark.expired{fill:#c22}\n"
	    ".renew-window{fill:#fd8;opacity:.6}.today{stroke:#33f;stroke-width:2}"
	    ".label{font-size:10px;fill:#444}\n"
	    ".summary span{margin-right:1.5em}\n</style></head><body>\n"
	    "<h1>acmbridge status</h1>\n<p class=\"summary\"><span>%s</span>"
	    "<span>%zu certificates</span><span>%zu managed</span><span>%zu unmanaged</span>"
	    "<span>%zu expired</span><span>%zu expire within 30 days</span><span>%zu in use</span>"
	    "<span>%zu adoptable</span></p>\n",
	    at, at, sum->certificates, sum->managed, sum->unmanaged, sum->expired,
	    sum->expiring_30d, sum->in_use, sum->adoptable);
	for (i = 0; i < nregions; i++)
		timeline(f, rows, n, regions[i], now);
	fputs("<h2>Certificates</h2>\n<table><thead><tr><th>Days</th><th>Name</th><th>Region</th>"
	      "<th>Domain</th><th>Key</th><th>Type</th><th>In use</th><th>Expires</th>"
	      "<th>Next</th><th>ARN</th></tr></thead><tbody>\n",
	    f);
	for (i = 0; i < n; i++) {
		const struct acmb_status_row *r = &rows[i];

		fprintf(f, "<tr><td>%ld</td><td>", r->days_left);
		html(f, row_name(r));
		fputs("</td><td>", f);
		html(f, r->region);
		fputs("</td><td>", f);
		html(f, r->cert->domain != NULL ? r->cert->domain : "-");
		fputs("</td><td>", f);
		html(f, r->cert->key_algorithm != NULL ? r->cert->key_algorithm : "?");
		fputs("</td><td>", f);
		html(f, kind(r));
		fprintf(f, "</td><td>%s</td><td>",
		    r->cert->in_use > 0    ? "yes"
		    : r->cert->in_use == 0 ? "no"
		                           : "?");
		day(r->cert->not_after, d, sizeof(d));
		fprintf(f, "%s</td><td>", d);
		if (r->has_plan) {
			html(f, acmb_plan_action_name(r->next_action));
			fputs(": ", f);
			html(f, r->reason);
		} else if (r->adoptable) {
			fputs("adoptable by ", f);
			html(f, r->adopt_name);
		}
		fputs("</td><td>", f);
		html(f, r->cert->arn);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n</body></html>\n", f);
}
