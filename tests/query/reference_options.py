#!/usr/bin/python3
"""Walks the option list of the AWS CLI reference page the project started
from (aws acm import-certificate: the synopsis and every "--name (type)"
entry, global options included) and runs `acmbridge import` with each one,
added to a dry run against the local endpoint. Fails on any option acmbridge
does not take (exit code or "unknown option"), and on any option of the page
this walk has no case for: a new option on the page must be looked at.

Usage: reference_options.py REFERENCE.txt ACMBRIDGE PKI-DIR ARN
(the local endpoint's URL in ACMB_ENDPOINT_URL; the AWS files in
AWS_CONFIG_FILE hold a profile named "reference").
"""
import os
import re
import subprocess
import sys


def page_options(path):
    opts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            # Synopsis: "[--name <value>]", "--name <value>", "[--a | --b]".
            # Entries: "--name (type)", "--a | --b (type) ...".
            if re.match(r"^\[?--[a-z]", line):
                head = line.split("(")[0] if not line.startswith("[") else line
                for name in re.findall(r"--[a-z][a-z0-9-]*", head):
                    if name not in opts:
                        opts.append(name)
    return opts


def main():
    ref, acmbridge, pki, arn = sys.argv[1:5]
    endpoint = os.environ["ACMB_ENDPOINT_URL"]
    cert = ["--certificate", "file://%s/rsa.pem" % pki]
    key = ["--private-key", "fileb://%s/rsa.key" % pki]
    chain = ["--certificate-chain", "%s/chain.pem" % pki]
    base = cert + key + chain + ["--endpoint-url", endpoint, "--dry-run"]
    doc = "file://%s/input.json" % pki
    ydoc = "file://%s/input.yaml" % pki
    # option: (extra arguments replacing or joining the base, expected exit
    # code, text the output must show)
    cases = {
        "--certificate-arn": (base + ["--certificate-arn", arn], 0, "reimport"),
        "--certificate": (base, 0, "plan"),
        "--private-key": (base, 0, "plan"),
        "--certificate-chain": (base, 0, "plan"),
        "--tags": (base + ["--tags", "Key=team,Value=edge"], 0, "plan"),
        "--cli-input-json": (["--cli-input-json", doc, "--endpoint-url", endpoint, "--dry-run"],
                             0, "plan"),
        "--cli-input-yaml": (["--cli-input-yaml", ydoc, "--endpoint-url", endpoint, "--dry-run"],
                             0, "plan"),
        "--generate-cli-skeleton": (["--generate-cli-skeleton", "yaml-input"], 0, "PrivateKey"),
        "--endpoint-url": (base, 0, "plan"),
        "--output": (base + ["--output", "yaml"], 0, "DryRun: true"),
        "--query": (base + ["--query", "DryRun"], 0, "true"),
        "--profile": (base + ["--profile", "reference"], 0, "plan"),
        "--region": (base + ["--region", "eu-west-1"], 0, "plan"),
        "--version": (base + ["--version"], 0, "acmbridge "),
        "--color": (base + ["--color", "off", "--output", "table"], 0, "ImportCertificate"),
        "--ca-bundle": (base + ["--ca-bundle", "%s/root.pem" % pki], 0, "plan"),
        "--cli-read-timeout": (base + ["--cli-read-timeout", "30"], 0, "plan"),
        "--cli-connect-timeout": (base + ["--cli-connect-timeout", "30"], 0, "plan"),
        "--cli-binary-format": (base + ["--cli-binary-format", "raw-in-base64-out"], 0, "plan"),
        "--debug": (base + ["--debug"], 0, "plan"),
        "--no-verify-ssl": (base + ["--no-verify-ssl"], 0, "plan"),
        "--no-paginate": (base + ["--no-paginate"], 0, "plan"),
        # Unsigned, so the endpoint refuses it, as AWS would: exit 5.
        "--no-sign-request": (base + ["--no-sign-request"], 5, "MissingAuthenticationToken"),
        "--no-cli-pager": (base + ["--no-cli-pager"], 0, "plan"),
        "--cli-auto-prompt": (base + ["--cli-auto-prompt"], 0, "plan"),
        "--no-cli-auto-prompt": (base + ["--no-cli-auto-prompt"], 0, "plan"),
    }
    opts = page_options(ref)
    if len(opts) < 20:
        print("not ok - only %d options found in %s" % (len(opts), ref))
        return 1
    failed = 0
    for opt in opts:
        if opt not in cases:
            print("not ok - %s: on the reference page, and no case here" % opt)
            failed += 1
            continue
        args, want, text = cases[opt]
        p = subprocess.run([acmbridge, "import"] + args, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, check=False)
        both = p.stdout + p.stderr
        if p.returncode != want or "unknown option" in both or text not in both:
            print("not ok - %s: exit %d (want %d), want '%s' in: %s"
                  % (opt, p.returncode, want, text, both[-600:]))
            failed += 1
        else:
            print("ok - %s" % opt)
    print("# the reference page lists %d options; acmbridge import takes %d"
          % (len(opts), len(opts) - failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
