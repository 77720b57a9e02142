/*
 * import's --cli-input-yaml: the YAML form of --cli-input-json (the AWS
 * CLI's --generate-cli-skeleton yaml-input), read into the JSON document
 * --cli-input-json gives, so that both are applied the same way
 * (acmb_import_input_apply()).
 */
#ifndef ACMB_CLI_INPUT_YAML_H
#define ACMB_CLI_INPUT_YAML_H

#include <jansson.h>

#include "error.h"

/* The AWS CLI's `--generate-cli-skeleton yaml-input` of
 * import-certificate, byte for byte. */
extern const char acmb_cli_input_yaml_skeleton[];

/* Reads the document arg names: file://PATH or fileb://PATH (at most
 * ACMB_IMPORT_INPUT_MAX bytes, through the secure heap), else inline YAML,
 * which may not carry a PrivateKey (argv is visible to every user). The
 * YAML is parsed in a child process (yaml-input.h). Refuses (ACMB_E_USAGE,
 * naming the line and column or the parameter) what is not YAML, not a
 * mapping, a parameter ImportCertificate does not take, or a value of the
 * wrong type. Caller frees *doc with json_decref(). */
int acmb_cli_input_yaml_load(const char *arg, json_t **doc, acmb_err *err);

#endif
