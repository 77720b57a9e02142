"""SigV4 checking of incoming requests, done by botocore's own SigV4Auth.

The request is rebuilt from exactly what the client said it signed (the
headers listed in SignedHeaders), botocore computes the signature it expects,
and the two are compared in constant time."""

import datetime
import hashlib
import hmac
import os
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from awserror import ServiceError

MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Header names whose presence among the signed headers the request log records.
RECORDED_SIGNED_HEADERS = ("host", "x-amz-date", "x-amz-target",
                           "x-amz-security-token")

CREDENTIALS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "credentials.env")

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 "
    r"Credential=(?P<akid>[A-Z0-9]{16,128})/(?P<date>[0-9]{8})/"
    r"(?P<region>[a-z0-9-]{1,64})/(?P<service>[a-z0-9-]{1,64})/aws4_request,\s*"
    r"SignedHeaders=(?P<signed>[a-z0-9;._-]{1,2048}),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})")

# Region names as AWS spells them (us-east-1, ap-southeast-2, us-gov-west-1);
# the region also goes into ARNs, which must stay valid.
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")

INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = ("The request signature we calculated does not match the "
                 "signature you provided. Check your AWS Secret Access Key "
                 "and signing method. Consult the service documentation for "
                 "details.")


def load_test_credentials(path=CREDENTIALS_FILE):
    """Returns {access key id: (secret, session token or None)} from the
    shell file of test credentials, so the keys live in one place."""
    values = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            m = re.match(r"export ([A-Z0-9_]+)=(\S+)$", line.strip())
            if m:
                values[m.group(1)] = m.group(2)
    return {
        values["ACMB_TEST_ACCESS_KEY_ID"]:
            (values["ACMB_TEST_SECRET_ACCESS_KEY"], None),
        values["ACMB_TEST_STS_ACCESS_KEY_ID"]:
            (values["ACMB_TEST_STS_SECRET_ACCESS_KEY"],
             values["ACMB_TEST_STS_SESSION_TOKEN"]),
    }


class _ExactHeadersSigV4(SigV4Auth):
    """botocore's SigV4Auth, told to canonicalise exactly the headers the
    client listed: botocore would otherwise drop some (user-agent, expect)
    and the check would judge a different request than the one signed."""

    def __init__(self, credentials, service_name, region_name, signed_names):
        super().__init__(credentials, service_name, region_name)
        self._signed_names = signed_names

    def headers_to_sign(self, request):
        chosen = HTTPHeaders()
        for name in self._signed_names:
            for value in request.headers.get_all(name) or []:
                chosen[name] = value
        return chosen


class AuthInfo:
    """What the log records about a request's signature."""

    def __init__(self):
        self.result = "missing"
        self.access_key_id = None
        self.region = None
        self.service = None
        self.signed_headers = []

    def as_log(self):
        return {
            "auth": self.result,
            "access_key_id": self.access_key_id,
            "region": self.region,
            "service": self.service,
            "signed_headers": self.signed_headers,
            "signed": {h: h in self.signed_headers
                       for h in RECORDED_SIGNED_HEADERS},
        }


class Verifier:
    """Judges the SigV4 signature of requests against the test credentials."""

    def __init__(self, credentials=None, clock=None, lookup=None):
        self._credentials = credentials or load_test_credentials()
        self._clock = clock or (lambda: datetime.datetime.now(
            datetime.timezone.utc).replace(tzinfo=None))
        # lookup(akid) -> (secret, token, expired) for keys handed out at run
        # time (sts.py), or None.
        self._lookup = lookup

    @property
    def static_credentials(self):
        return dict(self._credentials)

    def verify(self, method, raw_path, headers, body, expected_service, info):
        """Raises ServiceError unless the request is signed correctly for
        expected_service. headers is the http.client message of the request;
        info (AuthInfo) is filled in as far as the check got."""
        auth = headers.get("Authorization")
        if auth is None:
            info.result = "MissingAuthenticationTokenException"
            raise ServiceError("MissingAuthenticationTokenException",
                               "Missing Authentication Token", status=403)
        m = _AUTH_RE.fullmatch(auth.strip())
        if m is None:
            info.result = "IncompleteSignatureException"
            raise ServiceError(
                "IncompleteSignatureException",
                "Authorization header requires 'Credential', "
                "'SignedHeaders' and 'Signature' parameters of an "
                "AWS4-HMAC-SHA256 signature.")
        info.access_key_id = m.group("akid")
        info.region = m.group("region")
        info.service = m.group("service")
        signed = m.group("signed").split(";")
        info.signed_headers = signed
        try:
            self._check(method, raw_path, headers, body, expected_service,
                        m, signed)
        except ServiceError as e:
            info.result = e.code
            raise
        info.result = "ok"

    def _check(self, method, raw_path, headers, body, expected_service, m,
               signed):
        akid = m.group("akid")
        expired = False
        if akid in self._credentials:
            secret, token = self._credentials[akid]
        else:
            found = self._lookup(akid) if self._lookup is not None else None
            if found is None:
                raise ServiceError("UnrecognizedClientException", INVALID_TOKEN)
            secret, token, expired = found
        sent_token = headers.get("X-Amz-Security-Token")
        if token is None and sent_token is not None:
            raise ServiceError("UnrecognizedClientException", INVALID_TOKEN)
        if token is not None and (sent_token is None or not hmac.compare_digest(
                sent_token.encode(), token.encode())):
            raise ServiceError("UnrecognizedClientException", INVALID_TOKEN)
        if expired:
            raise ServiceError("ExpiredTokenException",
                               "The security token included in the request is "
                               "expired")

        if signed != sorted(set(signed)):
            raise ServiceError(
                "InvalidSignatureException",
                "SignedHeaders must be lowercase, sorted and unique.")
        for required in ("host", "x-amz-date"):
            if required not in signed:
                raise ServiceError(
                    "InvalidSignatureException",
                    f"'{required}' must be a 'SignedHeader' in the AWS "
                    "Authorization.")
        for name in signed:
            if headers.get(name) is None:
                raise ServiceError(
                    "InvalidSignatureException",
                    f"Signed header '{name}' is not present in the request.")
        if sent_token is not None and "x-amz-security-token" not in signed:
            raise ServiceError(
                "InvalidSignatureException",
                "'x-amz-security-token' must be a 'SignedHeader' in the AWS "
                "Authorization when a session token is sent.")

        amz_date = headers.get("X-Amz-Date", "")
        try:
            when = datetime.datetime.strptime(amz_date, AMZ_DATE_FORMAT)
        except ValueError:
            raise ServiceError(
                "IncompleteSignatureException",
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")
        if m.group("date") != amz_date[:8]:
            raise ServiceError(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid date, "
                f"'{amz_date[:8]}', not '{m.group('date')}'.")
        now = self._clock()
        now_s = now.strftime(AMZ_DATE_FORMAT)
        if when < now - MAX_CLOCK_SKEW:
            raise ServiceError(
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than "
                f"{(now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)} "
                f"({now_s} - 5 min.)")
        if when > now + MAX_CLOCK_SKEW:
            raise ServiceError(
                "InvalidSignatureException",
                f"Signature not yet current: {amz_date} is still later than "
                f"{(now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)} "
                f"({now_s} + 5 min.)")
        if _REGION_RE.fullmatch(m.group("region")) is None:
            raise ServiceError(
                "InvalidSignatureException",
                "Credential should be scoped to a valid region, not "
                f"'{m.group('region')}'.")
        if m.group("service") != expected_service:
            raise ServiceError(
                "InvalidSignatureException",
                "Credential should be scoped to correct service: "
                f"'{expected_service}'.")

        # botocore trusts a sent X-Amz-Content-SHA256 as the payload hash, so
        # it must be held to the body first.
        content_sha = headers.get("X-Amz-Content-SHA256")
        if content_sha is not None and not hmac.compare_digest(
                content_sha.lower().encode(),
                hashlib.sha256(body).hexdigest().encode()):
            raise ServiceError(
                "InvalidSignatureException",
                "The provided 'x-amz-content-sha256' header does not match "
                "what was computed.")

        request = AWSRequest(method=method,
                             url="http://" + headers.get("Host", "") + raw_path,
                             data=body)
        for name in signed:
            for value in headers.get_all(name):
                request.headers[name] = value
        request.context["timestamp"] = amz_date
        signer = _ExactHeadersSigV4(Credentials(akid, secret, token),
                                    m.group("service"), m.group("region"),
                                    signed)
        canonical = signer.canonical_request(request)
        expected = signer.signature(
            signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected.encode(),
                                   m.group("signature").encode()):
            raise ServiceError("InvalidSignatureException", BAD_SIGNATURE)
