#!/usr/bin/python3
"""The --output formatters against the AWS CLI's own (awscli.formatter of
Debian's awscli, the code `aws` runs), byte for byte, on generated results.

Each case is a response (an object, as every AWS answer is) and sometimes a
--query; both sides apply the query and lay the result out in one of json,
text, table (colours off and on), yaml, yaml-stream. acmbridge's side is the
output-lines driver (one process, one case per line). Where the AWS CLI
itself fails (a table row of the wrong width, a text list mixing objects and
other values), acmbridge must refuse too. Any other difference fails.

Usage: output_diff.py --driver PATH [--seed N] [--count N] [--show N]
"""
import argparse
import io
import json
import os
import random
import subprocess
import sys

import colorama
import jmespath
from awscli.formatter import get_formatter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jmespath_diff  # noqa: E402  (the expression generator)

KEYS = ["CertificateArn", "DomainName", "Status", "Type", "KeyAlgorithm", "InUseBy", "Tags",
        "Key", "Value", "Name", "a", "b", "c", "Zeta", "alpha", "é", "日本", "with space", "1",
        "true", "x:y", "-", "ß"]
STRINGS = [
    "", "a", "ISSUED", "RSA-2048", "arn:aws:acm:us-east-1:123456789012:certificate/"
    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "www.example.com", "*.example.com", "é", "ß",
    "日本語のテキスト", "😀", "true", "True", "yes", "no", "null", "~", "123", "1.5", "1e5",
    "0x1f", "0o17", "1_000", "+1", ".5", "2024-01-31", "2024-01-31T12:00:00+00:00",
    "2024-01-31 12:00:00", "=", "<<", "!", "&", "*", "- a", "a: b", "a #b", "#c", "@x", "`x",
    "'q'", '"dq"', "it's", " lead", "trail ", "two  spaces", "tab\there", "line\nbreak",
    "end\n", "\n", "cr\rx", "nul\u0000x", "bell\u0007", "del\u007f", "nbsp\u00a0x",
    "ls\u2028x", "nel\u0085x", "bom\ufeffx", "%percent", "{brace}", "[bracket]", "a,b", "?q",
    "|pipe", ">gt", "x" * 79, "word " * 20, "Ω" * 50, "日本" * 30,
    "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutspaces"
    "thatgoesonandon",
]
NUMBERS = [0, 1, -1, 2, 7, 42, 100, 65536, -9, 2**40, 0.5, 2.0, -1.5, 1e-05, 1e16, 1e22,
           123.456, 1700000000.25, 0.1, 3.0e-7, -0.0]


def gen_scalar(r):
    k = r.random()
    if k < 0.5:
        return r.choice(STRINGS)
    if k < 0.75:
        return r.choice(NUMBERS)
    if k < 0.9:
        return r.choice([True, False])
    return None


def gen_value(r, depth):
    k = r.random()
    if depth >= 4 or k < 0.45:
        return gen_scalar(r)
    if k < 0.65:
        return [gen_scalar(r) for _ in range(r.randint(0, 4))]
    if k < 0.8:
        keys = r.sample(KEYS, r.randint(1, 4))
        return [{kk: gen_value(r, depth + 2) for kk in r.sample(keys, r.randint(1, len(keys)))}
                for _ in range(r.randint(1, 4))]
    if k < 0.9:
        return [gen_value(r, depth + 1) for _ in range(r.randint(0, 3))]
    return gen_object(r, depth + 1)


def gen_object(r, depth=0):
    return {k: gen_value(r, depth) for k in r.sample(KEYS, r.randint(0, 6))}


def gen_aws(r):
    """Shapes of ACM's answers."""
    def summary():
        return {"CertificateArn": r.choice(STRINGS[4:5]) + str(r.randint(0, 99)),
                "DomainName": r.choice(["www.example.com", "a.example.org", "日本.example"]),
                "SubjectAlternativeNameSummaries": ["www.example.com", "example.com"],
                "HasAdditionalSubjectAlternativeNames": r.choice([True, False]),
                "Status": "ISSUED", "Type": "IMPORTED", "KeyAlgorithm": "RSA_2048",
                "KeyUsages": ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"],
                "ExtendedKeyUsages": ["TLS_WEB_SERVER_AUTHENTICATION"], "InUse": False,
                "RenewalEligibility": "INELIGIBLE",
                "NotBefore": "2024-01-01T00:00:00+00:00", "NotAfter": "2025-01-01T00:00:00+00:00",
                "CreatedAt": "2024-01-01T10:00:00.123000+00:00",
                "ImportedAt": "2024-01-01T10:00:00.123000+00:00"}
    k = r.random()
    if k < 0.35:
        return {"CertificateSummaryList": [summary() for _ in range(r.randint(0, 4))]}
    if k < 0.7:
        return {"Certificate": dict(summary(), Serial="0a:1b:2c", Subject="CN=www.example.com",
                                    Issuer="Example CA", InUseBy=[],
                                    SignatureAlgorithm="SHA256WITHRSA",
                                    KeyUsages=[{"Name": "DIGITAL_SIGNATURE"}],
                                    ExtendedKeyUsages=[{"Name": "TLS_WEB_SERVER_AUTHENTICATION",
                                                        "OID": "1.3.6.1.5.5.7.3.1"}],
                                    Options={"CertificateTransparencyLoggingPreference":
                                             "ENABLED"})}
    if k < 0.85:
        return {"CertificateArn": summary()["CertificateArn"]}
    return {"Tags": [{"Key": r.choice(STRINGS), "Value": r.choice(STRINGS)}
                     for _ in range(r.randint(0, 4))]}


SHARING = ["[@, @]", "{a: @, b: @}", "[Certificate, Certificate]", "[*] | [@, @]",
           "keys(@)[*].to_array(`[1, {\"x\": []}]`)", "[`[]`, `[]`] | [@, @]", "values(@) | [@, @[0]]"]


def gen_query(r):
    k = r.random()
    if k < 0.5:
        return None
    if k < 0.6:
        return r.choice(SHARING)
    if k < 0.7:
        return r.choice(["CertificateArn", "Certificate.DomainName", "CertificateSummaryList[]."
                         "{Arn: CertificateArn, D: DomainName}", "Tags[?Key=='a'].Value",
                         "length(@)", "keys(@)", "values(@)", "*", "[]", "@.*[]", "`{}`",
                         "`[]`", "`0`", "`false`", "`\"\"`", "`null`", "'text'", "`1.5`",
                         "`[[1, 2], [3]]`", "`[[1, 2], 3]`", "`[{\"a\": 1}, 2]`"])
    return jmespath_diff.gen_expr(r)


class PreSearched:
    """A compiled --query whose result is already known: the formatter
    applies it where the AWS CLI applies --query."""
    def __init__(self, result):
        self.result = result

    def search(self, _response):
        return self.result


def theirs(doc, query, fmt, color, title):
    out = io.StringIO()
    stream = out
    response = json.loads(json.dumps(doc))
    searched = None
    if query:
        # The query alone first: where python-jmespath fails, the
        # JMESPath differential test has the say.
        try:
            searched = PreSearched(jmespath.search(query, response))
        except Exception as ex:
            return ("query-error", type(ex).__name__)
    try:
        formatter = get_formatter(fmt, argparse.Namespace(query=searched, color=color))
        if fmt == "table" and color == "on":
            # What colorama.init(autoreset=True, strip=False) puts on stdout.
            stream = colorama.AnsiToWin32(out, convert=False, strip=False, autoreset=True).stream
        formatter(title, response, stream)
    except Exception as ex:  # the AWS CLI fails on this result
        return ("crash", "%s: %s" % (type(ex).__name__, ex))
    finally:
        if fmt == "table" and color == "on":
            colorama.deinit()
    return ("out", out.getvalue())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--show", type=int, default=5)
    args = ap.parse_args()
    r = random.Random(args.seed)
    formats = [("json", "off"), ("text", "off"), ("table", "off"), ("table", "on"),
               ("yaml", "off"), ("yaml-stream", "off")]
    cases = []
    for i in range(args.count):
        doc = gen_aws(r) if r.random() < 0.4 else gen_object(r)
        fmt, color = formats[i % len(formats)]
        title = r.choice(["DescribeCertificate", "ListCertificates", "ImportCertificate",
                          "Query", "日本語", "T"])
        cases.append({"doc": doc, "query": gen_query(r), "format": fmt, "color": color,
                      "title": title})
    data = "".join(json.dumps(c) + "\n" for c in cases)
    proc = subprocess.run([args.driver], input=data.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        sys.exit("driver failed (%d): %s" % (proc.returncode, proc.stderr.decode()[:2000]))
    answers = proc.stdout.decode().split("\n")[:-1]
    if len(answers) != len(cases):
        sys.exit("driver answered %d of %d cases" % (len(answers), len(cases)))
    same = {f: 0 for f, _ in formats}
    refused = skipped = 0
    bad = []
    for c, line in zip(cases, answers):
        a = json.loads(line)
        t = theirs(c["doc"], c["query"], c["format"], c["color"], c["title"])
        if t[0] == "query-error" or a.get("error", "").startswith("JMESPath"):
            skipped += 1  # tests/query/test-jmespath-diff.sh compares queries
            continue
        if t[0] == "crash":
            if "error" in a:
                refused += 1
            else:
                bad.append((c, t, a))
            continue
        if a.get("out") == t[1]:
            same[c["format"]] += 1
        else:
            bad.append((c, t, a))
    total = len(cases) - skipped
    print("output formats vs the AWS CLI: seed %d, %d cases: %d byte-identical (%s), "
          "%d refused by both, %d mismatches (%d cases with a failing query skipped)"
          % (args.seed, total, sum(same.values()),
             ", ".join("%s %d" % kv for kv in same.items()), refused, len(bad), skipped))
    for c, t, a in bad[:args.show]:
        print("MISMATCH %s (color %s) query %r over %s\n--- aws:\n%s\n--- acmbridge:\n%s"
              % (c["format"], c["color"], c["query"],
                 json.dumps(c["doc"], ensure_ascii=False)[:400], t[1][:1500],
                 a.get("out", "ERROR " + str(a.get("error")))[:1500]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
