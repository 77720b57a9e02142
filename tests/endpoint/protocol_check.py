#!/usr/bin/python3
"""Checks of the endpoint as a strict judge: SigV4 refusals, model
validation, JSON 1.1 framing and ACM's import rules, each asserted by the
exact error code and message a client would see. Run by test-protocol.sh
with ACMB_ENDPOINT_URL and ACMB_ENDPOINT_DIR set; prints "N passed, M failed"
and exits non-zero on any failure.

Material is made at test time with python3-cryptography (OpenSSL)."""

import base64
import concurrent.futures
import datetime
import http.client
import json
import os
import socket
import sys
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigv4 import load_test_credentials  # noqa: E402

URL = urllib.parse.urlsplit(os.environ["ACMB_ENDPOINT_URL"])
JSON_11 = "application/x-amz-json-1.1"
CREDS = load_test_credentials()
AKID = "AKIAACMBRIDGETEST01"
STS_AKID = "ASIAACMBRIDGETEST02"
NOW = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
MISSING_ARN = ("arn:aws:acm:us-east-1:123456789012:certificate/"
               "00000000-0000-4000-8000-000000000000")

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name}: {detail}")


# ---- HTTP ---------------------------------------------------------------

def send(headers, body, method="POST", path="/"):
    """Returns (status, headers dict lowercased, parsed JSON or raw bytes)."""
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        data = json.loads(data)
    except ValueError:
        pass
    return resp.status, hdrs, data


def signed(op, params=None, body=None, akid=AKID, token=None, region="us-east-1",
           service="acm", when=None, extra=(), drop=(), tamper_body=None,
           target_prefix="CertificateManager", content_type=JSON_11):
    """Signs like botocore's SigV4Auth would, with a chosen time, then
    optionally drops headers or changes the body after signing."""
    if body is None:
        body = json.dumps(params or {}).encode()
    when = when or NOW
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    host = URL.netloc
    headers = [("Host", host), ("X-Amz-Date", amz_date),
               ("X-Amz-Target", f"{target_prefix}.{op}"),
               ("Content-Type", content_type)]
    if token is not None:
        headers.append(("X-Amz-Security-Token", token))
    headers.extend(extra)
    req = AWSRequest(method="POST", url=f"http://{host}/", data=body)
    for k, v in headers:
        req.headers[k] = v
    req.context["timestamp"] = amz_date
    secret = CREDS.get(akid, ("not-a-known-secret", None))[0]
    auth = SigV4Auth(Credentials(akid, secret, token), service, region)
    canonical = auth.canonical_request(req)
    sig = auth.signature(auth.string_to_sign(req, canonical), req)
    names = auth.signed_headers(auth.headers_to_sign(req))
    headers.append(("Authorization",
                    f"AWS4-HMAC-SHA256 Credential={akid}/{amz_date[:8]}/"
                    f"{region}/{service}/aws4_request, "
                    f"SignedHeaders={names}, Signature={sig}"))
    headers = [(k, v) for k, v in headers if k.lower() not in drop]
    if tamper_body is not None:
        body = tamper_body
    headers.append(("Content-Length", str(len(body))))
    return send(headers, body)


def b64(data):
    return base64.b64encode(data).decode()


def expect(name, result, status, code, fragment=""):
    st, hdrs, data = result
    got_code = data.get("__type") if isinstance(data, dict) else None
    message = (data.get("message") or data.get("Message") or "") \
        if isinstance(data, dict) else ""
    ok = (st == status and got_code == code and fragment in message
          and hdrs.get("x-amzn-errortype") == code)
    check(name, ok, f"got {st} {got_code} {message!r}, want {status} {code} "
          f"containing {fragment!r}")


# ---- material -------------------------------------------------------------

def pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_cert(key, cn="rules.example.test", issuer=None, issuer_key=None,
              days=(-1, 30), ca=False, sans=True):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) \
        if cn else x509.Name([])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW + datetime.timedelta(days=days[0]))
               .not_valid_after(NOW + datetime.timedelta(days=days[1])))
    builder = builder.add_extension(
        x509.BasicConstraints(ca=ca, path_length=None), True)
    if sans and cn:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
    signer = issuer_key or key
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) \
        else hashes.SHA256()
    cert = builder.sign(signer, algorithm)
    return cert


def import_params(cert, key, chain=None, **more):
    p = {"Certificate": b64(pem_cert(cert)), "PrivateKey": b64(pem_key(key))}
    if chain:
        p["CertificateChain"] = b64(b"".join(pem_cert(c) for c in chain))
    p.update(more)
    return p


def last_log_entry():
    with open(os.path.join(os.environ["ACMB_ENDPOINT_DIR"],
                           "requests.jsonl")) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    return entries[-1]


def main():
    rsa_key = rsa.generate_private_key(65537, 2048)
    self_cert = make_cert(rsa_key)

    print("# signatures")
    st, _, data = signed("ListCertificates", {})
    check("a correctly signed request is accepted", st == 200, data)
    expect("missing Authorization", send(
        [("Host", URL.netloc), ("X-Amz-Target",
                                "CertificateManager.ListCertificates"),
         ("Content-Type", JSON_11), ("Content-Length", "2")], b"{}"),
        403, "MissingAuthenticationTokenException")
    expect("body changed after signing", signed(
        "ListCertificates", {}, tamper_body=b'{"MaxItems": 1}'),
        400, "InvalidSignatureException",
        "The request signature we calculated does not match")
    expect("signature 6 minutes old",
           signed("ListCertificates", {},
                  when=NOW - datetime.timedelta(minutes=6)),
           400, "InvalidSignatureException", "Signature expired")
    st, _, _ = signed("ListCertificates", {},
                      when=NOW - datetime.timedelta(minutes=4))
    check("signature 4 minutes old is still accepted", st == 200, st)
    expect("signature 6 minutes in the future",
           signed("ListCertificates", {},
                  when=NOW + datetime.timedelta(minutes=6)),
           400, "InvalidSignatureException", "Signature not yet current")
    expect("credential scoped to another service",
           signed("ListCertificates", {}, service="acm-pca"),
           400, "InvalidSignatureException",
           "Credential should be scoped to correct service: 'acm'")
    expect("credential scoped to a region that is not one", signed(
        "ListCertificates", {}, region="moon"), 400,
        "InvalidSignatureException", "valid region")
    st, _, data = signed("ImportCertificate", import_params(
        make_cert(rsa_key), rsa_key), region="eu-central-1")
    arn = data.get("CertificateArn", "")
    check("the region comes from the credential scope into the ARN",
          arn.startswith("arn:aws:acm:eu-central-1:123456789012:"), data)
    st, _, data = signed("DescribeCertificate", {"CertificateArn": arn})
    check("and the certificate is not visible from us-east-1",
          data.get("__type") == "ResourceNotFoundException", data)
    expect("unknown access key", signed(
        "ListCertificates", {}, akid="AKIAUNKNOWN000000001"),
        400, "UnrecognizedClientException",
        "The security token included in the request is invalid.")
    expect("temporary key without session token", signed(
        "ListCertificates", {}, akid=STS_AKID),
        400, "UnrecognizedClientException",
        "The security token included in the request is invalid.")
    st, _, _ = signed("ListCertificates", {}, akid=STS_AKID,
                      token=CREDS[STS_AKID][1])
    check("temporary key with its session token is accepted", st == 200, st)
    expect("session token sent with a long-term key", signed(
        "ListCertificates", {}, token=CREDS[STS_AKID][1]),
        400, "UnrecognizedClientException")
    expect("a signed header removed in transit", signed(
        "ListCertificates", {}, drop=("x-amz-target",)),
        400, "UnknownOperationException")
    expect("x-amz-content-sha256 not matching the body", signed(
        "ListCertificates", {}, extra=(("X-Amz-Content-SHA256", "0" * 64),)),
        400, "InvalidSignatureException", "x-amz-content-sha256")
    entry = last_log_entry()
    check("request log records signed headers and the auth result",
          entry["signed"] == {"host": True, "x-amz-date": True,
                              "x-amz-target": True,
                              "x-amz-security-token": False}
          and entry["auth"] == "InvalidSignatureException", entry)

    print("# JSON 1.1 framing")
    expect("unknown operation", signed("MakeCoffee", {}), 400,
           "UnknownOperationException", "MakeCoffee")
    expect("unknown target prefix", signed(
        "ListCertificates", {}, target_prefix="Nope"), 400,
        "UnknownOperationException", "Nope")
    expect("body that is not JSON", signed("ListCertificates", body=b"{nope"),
           400, "SerializationException")
    expect("JSON that is not an object", signed("ListCertificates",
                                                body=b"[1]"),
           400, "SerializationException")
    expect("wrong Content-Type", signed("ListCertificates", {},
                                        content_type="text/plain"),
           400, "SerializationException", "Content-Type")
    expect("blob that is not base64", signed("ImportCertificate", {
        "Certificate": "%%%", "PrivateKey": "QUFB"}),
        400, "SerializationException", "Certificate")
    st, _, data = send([("Host", URL.netloc), ("Content-Type", JSON_11),
                        ("X-Amz-Target",
                         "CertificateManager.ListCertificates"),
                        ("Content-Length", str(9 * 1024 * 1024))], b"{}")
    check("body over 8 MiB refused by size (413) before it is read",
          st == 413 and data.get("__type") == "RequestEntityTooLarge", data)

    for garbage in (b"NOT HTTP AT ALL\r\n\r\n", b"\x16\x03\x01\x00\xff" * 20,
                    b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        with socket.create_connection((URL.hostname, URL.port), 10) as s:
            s.sendall(garbage)
            s.shutdown(socket.SHUT_WR)
            s.recv(4096)
    st, _, _ = signed("ListCertificates", {})
    check("garbage on the socket is answered and the server keeps serving",
          st == 200, st)

    print("# botocore model validation")
    expect("missing required member", signed("DescribeCertificate", {}),
           400, "ValidationException",
           "1 validation error detected: Value null at 'certificateArn' "
           "failed to satisfy constraint: Member must not be null")
    expect("unknown member", signed("DescribeCertificate", {
        "CertificateArn": MISSING_ARN, "Colour": "red"}),
        400, "ValidationException", "Unknown member 'Colour'")
    expect("wrong JSON type", signed("ListCertificates", {"MaxItems": "5"}),
           400, "SerializationException", "MaxItems")
    expect("integer above the maximum", signed("ListCertificates", {
        "MaxItems": 1001}), 400, "ValidationException",
        "Value '1001' at 'maxItems' failed to satisfy constraint: Member "
        "must have value less than or equal to 1000")
    expect("integer below the minimum", signed("ListCertificates", {
        "MaxItems": 0}), 400, "ValidationException", "'maxItems'")
    expect("enum value", signed("ListCertificates", {
        "Includes": {"keyTypes": ["RSA_512"]}}), 400, "ValidationException",
        "at 'includes.keyTypes.1.member' failed to satisfy constraint: "
        "Member must satisfy enum value set")
    expect("ARN pattern", signed("DescribeCertificate", {
        "CertificateArn": "arn:aws:s3:us-east-1:123456789012:bucket/x"}),
        400, "ValidationException",
        "Member must satisfy regular expression pattern: arn:")
    expect("tag value pattern (Unicode classes)", signed(
        "AddTagsToCertificate", {"CertificateArn": MISSING_ARN,
                                 "Tags": [{"Key": "ok-ü", "Value": "a;b"}]}),
        400, "ValidationException",
        "at 'tags.1.member.value' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern")
    expect("two violations are both named", signed(
        "ListCertificates", {"MaxItems": 5000, "CertificateStatuses":
                             ["SHINY"]}),
        400, "ValidationException", "2 validation errors detected")
    big_key = rsa.generate_private_key(65537, 8192)
    expect("private key over 5,120 bytes", signed(
        "ImportCertificate", import_params(self_cert, big_key)),
        400, "ValidationException",
        "at 'privateKey' failed to satisfy constraint: Member must have "
        "length less than or equal to 5120")
    st, _, data = signed("ImportCertificate",
                         import_params(self_cert, big_key))
    check("the private key never appears in an error message",
          b"PRIVATE" not in json.dumps(data).encode()
          and b64(pem_key(big_key))[:40] not in json.dumps(data), data)
    expect("certificate over 32,768 bytes", signed(
        "ImportCertificate", {"Certificate": b64(b"A" * 32769),
                              "PrivateKey": b64(pem_key(rsa_key))}),
        400, "ValidationException",
        "at 'certificate' failed to satisfy constraint: Member must have "
        "length less than or equal to 32768")
    expect("51 tags on import", signed("ImportCertificate", import_params(
        self_cert, rsa_key,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])),
        400, "ValidationException",
        "at 'tags' failed to satisfy constraint: Member must have length "
        "less than or equal to 50")

    print("# ACM import rules")
    expired = make_cert(rsa_key, days=(-30, -1))
    expect("expired certificate", signed("ImportCertificate",
                                         import_params(expired, rsa_key)),
           400, "ValidationException", "The certificate has expired")
    future = make_cert(rsa_key, days=(2, 30))
    expect("certificate not valid yet", signed(
        "ImportCertificate", import_params(future, rsa_key)),
        400, "ValidationException", "not valid yet")
    for label, key in (
            ("RSA-1536", rsa.generate_private_key(65537, 1536)),
            ("EC P-224", ec.generate_private_key(ec.SECP224R1())),
            ("EC secp256k1", ec.generate_private_key(ec.SECP256K1())),
            ("Ed25519", ed25519.Ed25519PrivateKey.generate())):
        cert = make_cert(key)
        expect(f"{label} key refused", signed(
            "ImportCertificate", import_params(cert, key)),
            400, "ValidationException", "The private key is not supported")
    for label, key in (("RSA-1024", rsa.generate_private_key(65537, 1024)),
                       ("RSA-3072", rsa.generate_private_key(65537, 3072)),
                       ("EC P-384", ec.generate_private_key(ec.SECP384R1())),
                       ("EC P-521", ec.generate_private_key(ec.SECP521R1()))):
        st, _, data = signed("ImportCertificate",
                             import_params(make_cert(key), key))
        check(f"{label} key accepted", st == 200, data)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca = make_cert(ca_key, cn="Rules CA", ca=True)
    leaf = make_cert(rsa_key, issuer=ca, issuer_key=ca_key)
    other_ca = make_cert(ca_key, cn="Other CA", ca=True)
    expect("chain without the issuer", signed("ImportCertificate",
                                              import_params(leaf, rsa_key,
                                                            [other_ca])),
           400, "ValidationException",
           "Could not validate the certificate with the certificate chain. "
           "The certificate at index 0")
    expect("end-entity certificate inside the chain", signed(
        "ImportCertificate", import_params(leaf, rsa_key, [leaf, ca])),
        400, "ValidationException", "index 0 of the chain is the end-entity")
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_ca = make_cert(ed_key, cn="Ed25519 CA", ca=True)
    expect("chain through an issuer key ACM cannot check", signed(
        "ImportCertificate", import_params(
            make_cert(rsa_key, issuer=ed_ca, issuer_key=ed_key), rsa_key,
            [ed_ca])),
        400, "ValidationException",
        "Could not validate the certificate with the certificate chain.")
    expect("RSA leaf under an EC CA refused (algorithm match)", signed(
        "ImportCertificate", import_params(leaf, rsa_key, [ca])),
        400, "ValidationException",
        "does not match the algorithm of the signing CA")
    ec_leaf_key = ec.generate_private_key(ec.SECP256R1())
    st, _, data = signed("ImportCertificate", import_params(
        make_cert(ec_leaf_key, issuer=ca, issuer_key=ca_key), ec_leaf_key, [ca]))
    check("EC leaf under its EC CA accepted", st == 200, data)
    arn = data.get("CertificateArn", MISSING_ARN)
    st, _, d = signed("DescribeCertificate", {"CertificateArn": arn})
    check("SignatureAlgorithm names the issuer's ECDSA signature",
          st == 200 and d["Certificate"]["SignatureAlgorithm"] ==
          "SHA256WITHECDSA", d)
    check("timestamps are epoch numbers",
          st == 200 and isinstance(d["Certificate"]["NotAfter"], (int, float))
          and isinstance(d["Certificate"]["ImportedAt"], (int, float)), d)
    key_params = import_params(self_cert, rsa_key)
    key_params["PrivateKey"] = b64(b"junk before\n" + pem_key(rsa_key))
    expect("text outside PEM blocks", signed("ImportCertificate", key_params),
           400, "ValidationException", "outside PEM")
    expect("reimport onto an unknown ARN", signed(
        "ImportCertificate", import_params(self_cert, rsa_key,
                                           CertificateArn=MISSING_ARN)),
        400, "ResourceNotFoundException", MISSING_ARN)
    nodomain_key = rsa.generate_private_key(65537, 2048)
    nodomain = make_cert(nodomain_key, cn=None)
    st, _, data = signed("ImportCertificate",
                         import_params(nodomain, nodomain_key))
    nodomain_arn = data.get("CertificateArn")
    st, _, listing = signed("ListCertificates", {})
    check("default list hides RSA-2048 certificates without a domain",
          st == 200 and nodomain_arn and nodomain_arn not in
          [c["CertificateArn"] for c in listing["CertificateSummaryList"]],
          listing)

    print("# tags")
    st, _, data = signed("ImportCertificate", import_params(
        self_cert, rsa_key,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)]))
    arn = data.get("CertificateArn", MISSING_ARN)
    st, _, _ = signed("AddTagsToCertificate", {
        "CertificateArn": arn, "Tags": [{"Key": "k0", "Value": "new"}]})
    check("re-adding an existing key replaces its value", st == 200, st)
    expect("more than 50 tags in total", signed("AddTagsToCertificate", {
        "CertificateArn": arn, "Tags": [{"Key": "x1"}, {"Key": "x2"}]}),
        400, "TooManyTagsException")
    expect("the same key twice in one request", signed(
        "AddTagsToCertificate", {"CertificateArn": arn,
                                 "Tags": [{"Key": "d"}, {"Key": "d"}]}),
        400, "InvalidParameterException")
    st, _, data = signed("ListTagsForCertificate", {"CertificateArn": arn})
    check("refused tag requests changed nothing",
          st == 200 and len(data["Tags"]) == 49 and
          {"Key": "k0", "Value": "new"} in data["Tags"], data)

    print("# pagination")
    expect("NextToken that was never issued", signed(
        "ListCertificates", {"NextToken": "garbage"}),
        400, "InvalidArgsException")
    seen = []
    token = None
    for _ in range(20):
        params = {"MaxItems": 2, "Includes": {"keyTypes": [
            "RSA_1024", "RSA_2048", "RSA_3072", "EC_secp384r1",
            "EC_secp521r1"]}}
        if token:
            params["NextToken"] = token
        st, _, page = signed("ListCertificates", params)
        seen.extend(c["CertificateArn"] for c in page["CertificateSummaryList"])
        token = page.get("NextToken")
        if not token:
            break
    st, _, whole = signed("ListCertificates", {"Includes": {"keyTypes": [
        "RSA_1024", "RSA_2048", "RSA_3072", "EC_secp384r1", "EC_secp521r1"]}})
    check("MaxItems pages add up to the whole list, no repeats",
          seen == [c["CertificateArn"] for c in
                   whole["CertificateSummaryList"]] and len(seen) > 2,
          (len(seen), len(whole["CertificateSummaryList"])))

    print("# threads")
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(16)]
    jobs = [import_params(make_cert(k, cn=f"t{i}.example.test"), k)
            for i, k in enumerate(keys)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: signed("ImportCertificate", p),
                                jobs))
    arns = {r[2].get("CertificateArn") for r in results if r[0] == 200}
    check("16 concurrent imports: all succeed with distinct ARNs",
          len(arns) == 16, [r[0] for r in results])
    with open(os.path.join(os.environ["ACMB_ENDPOINT_DIR"],
                           "state.json")) as f:
        stored = json.load(f)["acm"]["certificates"]
    check("16 concurrent imports: all 16 are in state.json",
          arns <= set(stored), len(arns & set(stored)))

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def expired_check(arn, fixed_time):
    """Against a server started with --fixed-time after arn's NotAfter."""
    when = datetime.datetime.strptime(fixed_time, "%Y%m%dT%H%M%SZ")
    st, _, data = signed("DescribeCertificate", {"CertificateArn": arn},
                         when=when)
    check("after NotAfter the certificate is EXPIRED",
          st == 200 and data["Certificate"]["Status"] == "EXPIRED", data)
    st, _, data = signed("ListCertificates", {
        "CertificateStatuses": ["EXPIRED"],
        "Includes": {"keyTypes": ["RSA_2048", "EC_prime256v1"]}}, when=when)
    listed = [c["CertificateArn"] for c in data.get(
        "CertificateSummaryList", [])]
    check("CertificateStatuses EXPIRED lists it", arn in listed, listed)
    st, _, data = signed("ListCertificates", {
        "CertificateStatuses": ["ISSUED"]}, when=when)
    listed = [c["CertificateArn"] for c in data.get(
        "CertificateSummaryList", [])]
    check("CertificateStatuses ISSUED does not", arn not in listed, listed)
    expect("the real clock is 'expired' for a --fixed-time server",
           signed("ListCertificates", {}), 400,
           "InvalidSignatureException", "Signature")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--expired-check":
        sys.exit(expired_check(sys.argv[2], sys.argv[3]))
    sys.exit(main())
