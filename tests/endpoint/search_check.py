#!/usr/bin/python3
"""Checks of the endpoint's SearchCertificates, DeleteCertificate and the
fault kinds the import flow's convergence is tested with: requests judged
and answers shaped by the newest ACM model (models/acm-newest.json, merged
into Debian's botocore model by model.py), filters, pagination, InUse and
ImportedAt, the in-use refusal, access-denied, unknown-operation,
slow-land, redirect, oversized, and the visibility lag. Run by
test-search.sh with ACMB_ENDPOINT_URL and ACMB_ENDPOINT_DIR set; prints
"N passed, M failed" and exits non-zero on any failure."""

import json
import os
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import protocol_check as pc  # noqa: E402
from model import ServiceJudge, extract_operations  # noqa: E402

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "..", "..", "shared", "reference", "aws-models",
                         "acm", "2015-12-08", "service-2.json")
JUDGE = ServiceJudge("acm")
check = pc.check


def control(method, path, doc=None):
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(os.environ["ACMB_ENDPOINT_URL"] + path,
                                 data=data, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def fault(rule):
    control("POST", "/__control/faults", rule)


def shape_errors(value, shape, path="answer"):
    """Members and types of an answer against an output shape: every member
    must be one the model names, of its type and enum."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        out = []
        for k, v in value.items():
            if k not in shape.members:
                out.append(f"{path}.{k}: not in the model")
            else:
                out += shape_errors(v, shape.members[k], f"{path}.{k}")
        if shape.metadata.get("union") and len(value) != 1:
            out.append(f"{path}: a union with {len(value)} members")
        return out
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [e for i, v in enumerate(value)
                for e in shape_errors(v, shape.member, f"{path}[{i}]")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: not a string"]
        if shape.enum and value not in shape.enum:
            return [f"{path}: {value!r} not in the enum"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: not a boolean"]
    if kind == "timestamp":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: not epoch seconds"]
    if kind in ("integer", "long"):
        return [] if isinstance(value, int) else [f"{path}: not an integer"]
    return []


def import_one(cn="search.example.test", key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    cert = pc.make_cert(key, cn=cn)
    st, _, data = pc.signed("ImportCertificate", pc.import_params(cert, key))
    return cert, key, data.get("CertificateArn") if st == 200 else None


def serial_of(cert):
    digits = format(cert.serial_number, "x")
    if len(digits) % 2:
        digits = "0" + digits
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def by_serial(serial, **more):
    doc = {"FilterStatement": {"And": [
        {"Filter": {"X509AttributeFilter": {"SerialNumber": serial}}},
        {"Filter": {"AcmCertificateMetadataFilter": {"Type": "IMPORTED"}}}]}}
    doc.update(more)
    return doc


def main():
    output = JUDGE.model.operation_model("SearchCertificates").output_shape

    if os.path.exists(REFERENCE):
        with open(REFERENCE, encoding="utf-8") as f:
            newest = extract_operations(json.load(f), ["SearchCertificates"])
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "models", "acm-newest.json"),
                  encoding="utf-8") as f:
            vendored = json.load(f)
        vendored.pop("_source", None)
        check("models/acm-newest.json is the newest model's SearchCertificates",
              vendored == newest)
    else:
        print("# no ../shared/reference here: vendored model not compared")

    # -- SearchCertificates --
    cert, key, arn1 = import_one()
    st, _, again = pc.signed("ImportCertificate", pc.import_params(cert, key))
    arn2 = again.get("CertificateArn")
    _, _, other = import_one("other.example.test")
    serial = serial_of(cert)
    st, _, data = pc.signed("SearchCertificates", by_serial(serial))
    check("search by serial answers 200", st == 200, data)
    results = data.get("Results", []) if isinstance(data, dict) else []
    arns = [r["CertificateArn"] for r in results]
    check("search by serial finds both copies, oldest first",
          arns == [arn1, arn2], arns)
    check("the answer has the newest model's shape",
          not shape_errors(data, output), shape_errors(data, output)[:3])
    if results:
        x = results[0]["X509Attributes"]
        meta = results[0]["CertificateMetadata"]["AcmCertificateMetadata"]
        check("SerialNumber as ACM spells it", x["SerialNumber"] == serial,
              x["SerialNumber"])
        check("KeyAlgorithm in the enum form", x["KeyAlgorithm"] ==
              "EC_prime256v1", x["KeyAlgorithm"])
        check("metadata: IMPORTED, not in use, ImportedAt",
              meta["Type"] == "IMPORTED" and meta["InUse"] is False and
              isinstance(meta["ImportedAt"], float), meta)
    if len(results) == 2:
        m1 = results[0]["CertificateMetadata"]["AcmCertificateMetadata"]
        m2 = results[1]["CertificateMetadata"]["AcmCertificateMetadata"]
        check("ImportedAt has sub-second precision and grows",
              m1["ImportedAt"] < m2["ImportedAt"] and
              m2["ImportedAt"] - m1["ImportedAt"] < 5, (m1, m2))
    st, _, d = pc.signed("DescribeCertificate", {"CertificateArn": arn1})
    check("DescribeCertificate's ImportedAt is the search's",
          results and d["Certificate"]["ImportedAt"] == results[0][
              "CertificateMetadata"]["AcmCertificateMetadata"]["ImportedAt"],
          d)
    st, _, data = pc.signed("SearchCertificates", by_serial(serial,
                                                            MaxResults=1))
    page1 = [r["CertificateArn"] for r in data.get("Results", [])]
    st, _, data2 = pc.signed("SearchCertificates", by_serial(
        serial, MaxResults=1, NextToken=data.get("NextToken", "x")))
    page2 = [r["CertificateArn"] for r in data2.get("Results", [])]
    check("pagination: one per page, in order", page1 == [arn1] and
          page2 == [arn2] and "NextToken" not in data2, (page1, page2))
    st, _, data = pc.signed("SearchCertificates", {"FilterStatement": {
        "Not": {"Filter": {"X509AttributeFilter": {
            "SerialNumber": serial}}}}})
    arns = [r["CertificateArn"] for r in data.get("Results", [])]
    check("Not excludes the serial", arn1 not in arns and other in arns, arns)
    st, _, data = pc.signed("SearchCertificates", {"FilterStatement": {
        "Filter": {"X509AttributeFilter": {"SubjectAlternativeName": {
            "DnsName": {"Value": "OTHER.example", "ComparisonOperator":
                        "CONTAINS"}}}}}})
    arns = [r["CertificateArn"] for r in data.get("Results", [])]
    check("DnsName CONTAINS, case-insensitive", arns == [other], arns)
    st, _, data = pc.signed("SearchCertificates", {
        "SortBy": "IMPORTED_AT", "SortOrder": "DESCENDING"})
    arns = [r["CertificateArn"] for r in data.get("Results", [])]
    check("SortBy IMPORTED_AT DESCENDING", arns[:3] == [other, arn2, arn1],
          arns[:3])

    # Request shapes as the newest model says.
    pc.expect("two members of a union filter",
              pc.signed("SearchCertificates", {"FilterStatement": {
                  "Filter": {"CertificateArn": arn1,
                             "X509AttributeFilter": {"SerialNumber": serial}}}}),
              400, "ValidationException", "exactly one of")
    pc.expect("serial pattern", pc.signed("SearchCertificates", by_serial(
        "0A:1B")), 400, "ValidationException", "regular expression pattern")
    pc.expect("MaxResults over 500", pc.signed("SearchCertificates", by_serial(
        serial, MaxResults=501)), 400, "ValidationException",
        "less than or equal to 500")
    pc.expect("unknown member", pc.signed("SearchCertificates", {
        "Filters": {}}), 400, "ValidationException", "Unknown member")
    pc.expect("a timestamp must be epoch seconds", pc.signed(
        "SearchCertificates", {"FilterStatement": {"Filter": {
            "X509AttributeFilter": {"NotAfter": {"Start": "yesterday"}}}}}),
        400, "SerializationException", "epoch seconds")
    st, _, data = pc.signed("SearchCertificates", {"FilterStatement": {
        "Filter": {"X509AttributeFilter": {"NotAfter": {
            "Start": time.time() - 86400}}}}})
    check("NotAfter range with epoch seconds", st == 200 and len(
        data.get("Results", [])) >= 3, data)

    # -- DeleteCertificate, InUse --
    user = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1"
    control("POST", "/__control/acm", {"in_use": {arn2: [user]}})
    pc.expect("DeleteCertificate of a certificate in use",
              pc.signed("DeleteCertificate", {"CertificateArn": arn2}), 400,
              "ResourceInUseException", "is in use")
    st, _, d = pc.signed("DescribeCertificate", {"CertificateArn": arn2})
    check("InUseBy names the user", d["Certificate"]["InUseBy"] == [user], d)
    st, _, data = pc.signed("SearchCertificates", by_serial(serial))
    inuse = {r["CertificateArn"]: r["CertificateMetadata"][
        "AcmCertificateMetadata"]["InUse"] for r in data["Results"]}
    check("search shows InUse", inuse == {arn1: False, arn2: True}, inuse)
    st, _, data = pc.signed("SearchCertificates", {"FilterStatement": {
        "Filter": {"AcmCertificateMetadataFilter": {"InUse": True}}}})
    check("InUse filter", [r["CertificateArn"] for r in data["Results"]] ==
          [arn2], data)
    control("POST", "/__control/acm", {"in_use": {arn2: []}})
    fault({"operation": "DeleteCertificate", "fault": "access-denied"})
    pc.expect("access-denied fault", pc.signed("DeleteCertificate", {
        "CertificateArn": arn2}), 400, "AccessDeniedException",
        "not authorized to perform: acm:DeleteCertificate")
    st, _, _ = pc.signed("DeleteCertificate", {"CertificateArn": arn2})
    check("DeleteCertificate once freed", st == 200)
    pc.expect("deleted means gone", pc.signed("DescribeCertificate", {
        "CertificateArn": arn2}), 400, "ResourceNotFoundException")

    # -- faults for the convergence tests --
    fault({"operation": "SearchCertificates", "fault": "unknown-operation"})
    pc.expect("unknown-operation fault", pc.signed(
        "SearchCertificates", by_serial(serial)), 400,
        "UnknownOperationException", "not supported")
    fault({"operation": "ListCertificates", "fault": "redirect"})
    st, hdrs, _ = pc.signed("ListCertificates", {})
    check("redirect fault: 307 with a Location", st == 307 and hdrs.get(
        "location", "").startswith("https://"), (st, hdrs))
    fault({"operation": "ListCertificates", "fault": "oversized"})
    st, _, data = pc.signed("ListCertificates", {})
    check("oversized fault: a 200 over 8 MiB", st == 200 and isinstance(
        data, dict) and len(data.get("Padding", "")) > 8 * 1024 * 1024, st)

    before = len(control("GET", "/__control/certificates")["certificates"])
    fault({"operation": "ImportCertificate", "fault": "slow-land",
           "delay": 2})
    key = ec.generate_private_key(ec.SECP256R1())
    cert = pc.make_cert(key, cn="late.example.test")
    seen = {}

    def late_import():
        seen["answer"] = pc.signed("ImportCertificate",
                                   pc.import_params(cert, key))
    t = threading.Thread(target=late_import)
    t.start()
    time.sleep(1)
    during = len(control("GET", "/__control/certificates")["certificates"])
    t.join()
    after = len(control("GET", "/__control/certificates")["certificates"])
    check("slow-land: not there during the delay, there after",
          during == before and after == before + 1 and
          seen["answer"][0] == 200, (before, during, after))

    control("POST", "/__control/acm", {"visibility_lag": 2})
    _, _, arn_lag = import_one("lag.example.test")
    st, _, data = pc.signed("SearchCertificates", {})
    hidden = arn_lag not in [r["CertificateArn"] for r in data["Results"]]
    st, _, d = pc.signed("DescribeCertificate", {"CertificateArn": arn_lag})
    time.sleep(2.2)
    st, _, data = pc.signed("SearchCertificates", {})
    shown = arn_lag in [r["CertificateArn"] for r in data["Results"]]
    check("visibility lag: hidden from search at first, Describe finds it, "
          "shown after the lag", hidden and "Certificate" in d and shown,
          (hidden, shown))
    control("POST", "/__control/acm", {"visibility_lag": 0})
    print(f"{pc.passed} passed, {pc.failed} failed")
    return 0 if pc.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
