/*
 * The renderings of acmbridge status: a text table for people, JSON for
 * scripts, Prometheus textfile metrics for node_exporter, and one
 * self-contained HTML page with an expiry timeline (inline SVG, no script,
 * nothing fetched). Every string from ACM or the manifest is escaped for the
 * format it goes into.
 */
#ifndef ACMB_STATUS_RENDER_H
#define ACMB_STATUS_RENDER_H

#include <stdio.h>
#include <time.h>

#include "bridge/status.h"

/* Text: a table sorted by days left that fits 80 columns; colour (ANSI)
 * only when color is 1. */
void acmb_status_render_text(FILE *f, const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, time_t now, int color);

/* The JSON form as a new object (caller json_decref()s), or NULL when out of
 * memory: what --query reads. */
json_t *acmb_status_json(const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, time_t now);

/* JSON: {"Certificates": [...], "Summary": {...}}. Returns 0, or -1 when out
 * of memory. */
int acmb_status_render_json(FILE *f, const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, time_t now);

/* Prometheus text format 0.0.4 with HELP and TYPE lines; regions lists the
 * regions looked at (so a region with no certificate still reports 0). */
void acmb_status_render_prometheus(FILE *f, const struct acmb_status_row *rows, size_t n,
    const char *const *regions, size_t nregions, time_t now);

/* One HTML page: summary, a timeline per region (a mark per certificate at
 * its NotAfter, the renew-before window shaded, today marked), the table. */
void acmb_status_render_html(FILE *f, const struct acmb_status_row *rows, size_t n,
    const struct acmb_status_summary *sum, const char *const *regions, size_t nregions, time_t now);

#endif
