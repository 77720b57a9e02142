"""Drives the endpoint's ACM quotas with botocore (retries off) and prints
'N passed, N failed'. Usage: quota_check.py URL (quotas on, scale 1)."""

import json
import os
import sys
import urllib.request

import botocore.config
import botocore.session
from botocore.exceptions import ClientError

url = sys.argv[1]
passed = failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}: {detail}")


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def client(region):
    s = botocore.session.get_session()
    return s.create_client(
        "acm", region_name=region, endpoint_url=url,
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(retries={"total_max_attempts": 1,
                                               "mode": "standard"}))


def burst(c, n):
    """n ListCertificates calls back to back: (accepted, throttled, last error)."""
    ok = thr = 0
    last = None
    for _ in range(n):
        try:
            c.list_certificates()
            ok += 1
        except ClientError as e:
            last = e.response
            if e.response["Error"]["Code"] == "ThrottlingException":
                thr += 1
    return ok, thr, last


bodies = []


def keep_body(http_response, **kwargs):
    bodies.append(http_response.content)


control("POST", "/__control/quotas", {"enabled": True, "scale": 1,
                                      "frozen": True})
eu, us = client("eu-west-1"), client("us-east-1")
# botocore's 2022 model does not know throttlingReasons: read the wire.
eu.meta.events.register("after-call.acm.ListCertificates", keep_body)
ok, thr, last = burst(eu, 4)
check("ListCertificates at 1/s: 1 of 4 back-to-back calls accepted",
      (ok, thr) == (1, 3), f"{ok} accepted, {thr} throttled")
reasons = json.loads(bodies[-1]).get("throttlingReasons") if bodies else []
check("ThrottlingException carries throttlingReasons",
      bool(reasons) and reasons[0].get("reason") == "RATE_EXCEEDED",
      str(bodies[-1:]))
ok, thr, _ = burst(us, 2)
check("another region has its own bucket", (ok, thr) == (1, 1),
      f"{ok} accepted, {thr} throttled")
try:
    eu.describe_certificate(CertificateArn="arn:aws:acm:eu-west-1:123456789012:"
                            "certificate/00000000-0000-0000-0000-000000000000")
    code = "none"
except ClientError as e:
    code = e.response["Error"]["Code"]
check("DescribeCertificate has a bucket of its own (10/s)",
      code == "ResourceNotFoundException", code)
counts = control("GET", "/__control/quotas")["counts"]
check("counts per account/region/operation",
      counts.get("123456789012/eu-west-1/ListCertificates") ==
      {"accepted": 1, "throttled": 3}, json.dumps(counts))

control("POST", "/__control/quotas", {"enabled": True, "scale": 10,
                                      "frozen": True})
ok, thr, _ = burst(eu, 12)
check("scale 10: a burst of 12 gets 10 through", ok == 10 and thr == 2,
      f"{ok} accepted, {thr} throttled")

control("POST", "/__control/quotas", {"enabled": False})
ok, thr, _ = burst(eu, 5)
check("quotas off: nothing throttled", (ok, thr) == (5, 0),
      f"{ok} accepted, {thr} throttled")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
