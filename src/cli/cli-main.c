#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "acm/rules.h"
#include "bridge/context.h"
#include "bridge/versions.h"
#include "cli.h"
#include "init.h"

int acmb_cli_debug;
struct acmb_ctx *acmb_cli_ctx;

const char acmb_cli_exit_codes[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  internal or I/O error, or the service does not show what was imported\n"
    "  2  usage error (bad option, unreadable file, wrong passphrase, AWS configuration)\n"
    "  3  the material breaks an ACM import rule (nothing was sent)\n"
    "  4  a key export was refused or a PKCS#11 token failed\n"
    "  5  the AWS service returned an error\n"
    "  6  network or TLS failure\n"
    "  130/143  interrupted by SIGINT/SIGTERM (secrets were wiped first)\n";

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *what;
} commands[] = {
    {"check", acmb_cli_check,
        "check a certificate, chain and key against every ACM import rule (offline)"},
    {"import", acmb_cli_import,
        "check, then import or reimport into ACM and verify what ACM stored"},
    {"issue", acmb_cli_issue,
        "have AWS Private CA issue a certificate for a new key, then import it"},
    {"list", acmb_cli_list, "list PKCS#11 tokens, their certificates and keys (read-only)"},
    {"sync", acmb_cli_sync,
        "keep the fleet a manifest declares in ACM: plan, then import, reimport, renew"},
    {"status", acmb_cli_status,
        "what ACM holds, what expires when, what acmbridge manages (text, json, prometheus, html)"},
    {"doctor", acmb_cli_doctor,
        "check that this host can run acmbridge (memory, clock, AWS, tokens), with fixes"},
    {"query", acmb_cli_query, "evaluate a JMESPath expression (--query) over a JSON document"},
    {"whoami", acmb_cli_whoami,
        "show the AWS account, ARN and credential source a profile resolves to"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: acmbridge [--debug] [--version] COMMAND [OPTIONS]\n\n"
	           "Moves TLS certificates and their private keys into AWS Certificate\n"
	           "Manager without letting the key leak: keys live only in locked memory\n"
	           "and are wiped as soon as the import returns.\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f,
	    "\nOptions:\n"
	    "  --version  acmbridge's version and those of the libraries it runs with\n"
	    "  --debug    log what happens (never secrets) to stderr\n"
	    "  --help     this text\n"
	    "\nRun 'acmbridge COMMAND --help' for a command's options.\n\n%s",
	    acmb_cli_exit_codes);
}

/* What a bug report needs: our version and the libraries actually loaded. */
static void
print_versions(void)
{
	struct acmb_versions v;

	acmb_versions_get(&v);
	printf("acmbridge %s\n", v.acmbridge);
	printf("OpenSSL %s (built with %s)\n", v.openssl, v.openssl_build);
	if (v.libcurl[0] != '\0')
		printf("libcurl %s\n", v.libcurl);
	else
		printf("libcurl not loaded: %s\n", v.libcurl_why);
	printf("p11-kit %s (built with; p11-kit has no run-time version call)%s%s\n", v.p11kit,
	    v.p11kit_library[0] != '\0' ? ", running " : "", v.p11kit_library);
	printf("jansson %s\n", v.jansson);
}

int
acmb_cli_fail(const acmb_err *err)
{
	fprintf(stderr, "acmbridge: %s\n", err->msg[0] != '\0' ? err->msg : acmb_strerror(err->rc));
	return acmb_exit_code(err->rc);
}

void
acmb_cli_print_failed_rules(const struct acmb_rules_report *rep)
{
	size_t i;

	for (i = 0; rep != NULL && i < rep->nresults; i++) {
		if (rep->results[i].ok)
			continue;
		fprintf(stderr, "acmbridge: FAIL %s: %s\n", rep->results[i].rule,
		    rep->results[i].detail);
		if (rep->results[i].fix[0] != '\0')
			fprintf(stderr, "           fix: %s\n", rep->results[i].fix);
	}
}

/* Only records the signal in the run's context: wiping here would race the
 * code that owns the secrets and is not async-signal-safe; the owners see
 * the cancel, unwind and wipe on the way out. */
static void
on_interrupt(int sig)
{
	int saved = errno;

	acmb_ctx_cancel(acmb_cli_ctx, sig);
	errno = saved;
}

/* The CLI owns the process's signals; the library only reads the context's
 * cancel flag. No SA_RESTART: a blocked read or poll returns EINTR, so the
 * waiting code looks at the flag at once. */
static int
install_interrupt_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	return 0;
}

/* Frees the run's context (wiping what it holds), then the process state;
 * returns 128 + the signal that stopped the command, or rc. */
static int
finish(int rc)
{
	int sig = acmb_ctx_cancelled(acmb_cli_ctx);

	acmb_ctx_free(acmb_cli_ctx);
	acmb_cli_ctx = NULL;
	acmb_shutdown();
	return sig != 0 ? 128 + sig : rc;
}

int
main(int argc, char **argv)
{
	struct acmb_init_report rep;
	acmb_err err = {0};
	size_t i;
	int rc;

	/* First: allocator hooks must be in place before any library allocates. */
	if (acmb_init(&rep, &err) != ACMB_OK)
		return acmb_cli_fail(&err);
	if (acmb_ctx_new(&acmb_cli_ctx, &err) != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		return finish(rc);
	}
	if (install_interrupt_handlers() != 0) {
		acmb_error(&err, ACMB_E_INTERNAL, "cannot install the SIGINT/SIGTERM handlers");
		rc = acmb_cli_fail(&err);
		return finish(rc);
	}

	while (argc > 1 && strcmp(argv[1], "--debug") == 0) {
		acmb_cli_debug = 1;
		argc--;
		argv++;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return finish(argc < 2 ? ACMB_EXIT_USAGE : ACMB_EXIT_OK);
	}
	/* --version is a global option, as in the AWS CLI: anywhere before a
	 * "--", after a command too, it prints the versions and nothing runs. */
	for (i = 1; i < (size_t)argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			print_versions();
			return finish(ACMB_EXIT_OK);
		}
	}
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--debug") == 0)
			acmb_cli_debug = 1;
	if (acmb_cli_debug)
		fprintf(stderr,
		    "debug: core dumps %s, process %s, wiping allocators %s, "
		    "secure heap %s\n",
		    rep.core_dumps_off ? "off" : "ON (setrlimit failed)",
		    rep.not_dumpable ? "not dumpable" : "DUMPABLE (prctl failed)",
		    rep.allocators_wiped ? "installed" : "NOT installed",
		    rep.secure_heap_locked
		        ? "locked"
		        : "NOT locked (RLIMIT_MEMLOCK too low; raise it with ulimit -l)");

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			rc = commands[i].run(argc - 1, argv + 1);
			/* The command unwound through its cleanup, which wiped every
			 * secret; the exit code says which signal stopped it. */
			return finish(rc);
		}
	}
	rc = acmb_cli_usage_error("unknown command '%s' (try --help)", argv[1]);
	return finish(rc);
}
