"""AWS STS over its Query protocol: AssumeRole, AssumeRoleWithWebIdentity and
GetCallerIdentity.

Requests are form-encoded POSTs to "/" (no X-Amz-Target), judged against the
STS model (refmodel.py), and answered in XML as STS answers. The temporary
credentials it hands out are real for this endpoint: the SigV4 verifier
accepts them (with their session token) until they expire, and ACM stores the
certificates they import under the account of the role that was assumed, so
a test can see which identity an import used.

Roles: any role ARN arn:aws:iam::ACCOUNT:role/NAME may be assumed by any
caller, except names starting with "Denied" (AccessDenied, as a trust policy
that does not name the caller). POST /__control/sts sets per-role conditions
{"roles": {ARN: {"external_id", "mfa_serial", "mfa_code", "max_duration",
"deny"}}}, {"credential_lifetime": seconds} (short-lived credentials for
refresh tests) and {"next_credentials": [{"secret", "token"}, ...]} (the
secret parts of the next sets handed out, so that a custody test knows what
to look for); GET /__control/sts lists them and every session handed out
(never a secret: key ids, role, session name, source key id, the SHA-256 of
the web identity token used)."""

import base64
import datetime
import hashlib
import hmac
import json
import re
import secrets
import urllib.parse
from xml.sax.saxutils import escape

from awserror import ServiceError
from refmodel import ReferenceJudge

SECTION = "sts"
XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
DEFAULT_DURATION = 3600
CHAINED_MAX = 3600

_ROLE_ARN = re.compile(r"arn:aws:iam::([0-9]{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]+)")


def _epoch(dt):
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def _iso(epoch):
    return datetime.datetime.fromtimestamp(
        epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64url_json(part):
    pad = "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(part + pad).decode("utf-8"))


class StsError(ServiceError):
    """An STS error, answered as <ErrorResponse> XML."""

    def __init__(self, code, message, status=400, sender=True):
        super().__init__(code, message, status=status)
        self.sender = sender


def xml_error(err, request_id):
    return (f'<ErrorResponse xmlns="{XMLNS}">\n'
            f'  <Error>\n    <Type>{"Sender" if getattr(err, "sender", True) else "Receiver"}'
            f'</Type>\n    <Code>{escape(err.code)}</Code>\n'
            f'    <Message>{escape(err.message)}</Message>\n  </Error>\n'
            f'  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n').encode()


class StsService:
    """STS; also the book of every credential this endpoint handed out."""

    def __init__(self, state, account, clock, static_credentials):
        self.judge = ReferenceJudge("sts", VERSION)
        self.state = state
        self.account = account
        self.clock = clock
        self._static = static_credentials  # {akid: (secret, token)}

    # -- the credentials book --

    def _book(self, root):
        return root.setdefault(SECTION, {}).setdefault("sessions", {})

    def issue(self, account, arn, user_id, expiration, record):
        """Hands out a new temporary key set; returns (akid, secret, token).
        record: what the control listing shows about it."""
        akid = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                for _ in range(16))
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        token = "FwoGZXIvYXdzE" + base64.b64encode(
            secrets.token_bytes(180)).decode()
        with self.state.transaction() as root:
            preset = root.setdefault(SECTION, {}).get("next_credentials") or []
            if preset:
                secret, token = preset[0]["secret"], preset[0]["token"]
                root[SECTION]["next_credentials"] = preset[1:]
        entry = dict(record)
        entry.update({"access_key_id": akid, "account": account, "arn": arn,
                      "user_id": user_id, "expiration": expiration,
                      "issued_at": _epoch(self.clock()),
                      "secret": secret, "token": token})
        with self.state.transaction() as root:
            self._book(root)[akid] = entry
        return akid, secret, token

    def lookup(self, akid):
        """For the SigV4 verifier: (secret, token, expired) of a handed-out
        key, or None."""
        with self.state.reading() as root:
            entry = root.get(SECTION, {}).get("sessions", {}).get(akid)
            if entry is None:
                return None
            return (entry["secret"], entry["token"],
                    entry["expiration"] <= _epoch(self.clock()))

    def identity(self, akid):
        """(account, arn, user id) of a key this endpoint knows."""
        with self.state.reading() as root:
            entry = root.get(SECTION, {}).get("sessions", {}).get(akid)
        if entry is not None:
            return entry["account"], entry["arn"], entry["user_id"]
        if akid in self._static and self._static[akid][1] is not None:
            return (self.account,
                    f"arn:aws:sts::{self.account}:assumed-role/acmbridge-test/"
                    "static-session", "AROAACMBRIDGETEST0001:static-session")
        return (self.account, f"arn:aws:iam::{self.account}:user/acmbridge-test",
                "AIDAACMBRIDGETEST0001")

    def account_of(self, akid):
        return self.identity(akid)[0]

    def _is_assumed(self, akid):
        return ":assumed-role/" in self.identity(akid)[1]

    # -- control API --

    def control(self, method, body):
        with self.state.transaction() as root:
            conf = root.setdefault(SECTION, {})
            if method == "POST":
                spec = json.loads(body.decode("utf-8")) if body else {}
                if not isinstance(spec, dict) or set(spec) - {
                        "roles", "credential_lifetime", "next_credentials"}:
                    raise ValueError("expected {\"roles\": {...}, "
                                     "\"credential_lifetime\": N, "
                                     "\"next_credentials\": [...]}")
                if "next_credentials" in spec:
                    nxt = spec["next_credentials"]
                    if not isinstance(nxt, list) or not all(
                            isinstance(c, dict) and set(c) == {"secret", "token"} and
                            all(isinstance(v, str) and v for v in c.values())
                            for c in nxt):
                        raise ValueError("'next_credentials' must be a list of "
                                         "{\"secret\", \"token\"}")
                    conf["next_credentials"] = nxt
                roles = spec.get("roles", {})
                if not isinstance(roles, dict):
                    raise ValueError("'roles' must be an object")
                for arn, rule in roles.items():
                    if _ROLE_ARN.fullmatch(arn) is None or not isinstance(rule, dict) \
                            or set(rule) - {"external_id", "mfa_serial", "mfa_code",
                                            "max_duration", "deny"}:
                        raise ValueError(f"bad role rule for {arn}")
                    conf.setdefault("roles", {})[arn] = rule
                if "credential_lifetime" in spec:
                    lifetime = spec["credential_lifetime"]
                    if lifetime is not None and (not isinstance(lifetime, int)
                                                 or lifetime < 1):
                        raise ValueError("'credential_lifetime' must be a positive "
                                         "integer or null")
                    conf["credential_lifetime"] = lifetime
            sessions = [{k: v for k, v in e.items() if k not in ("secret", "token")}
                        for e in conf.get("sessions", {}).values()]
            sessions.sort(key=lambda e: e["issued_at"])
            return {"roles": conf.get("roles", {}),
                    "credential_lifetime": conf.get("credential_lifetime"),
                    "next_credentials": len(conf.get("next_credentials") or []),
                    "sessions": sessions}

    # -- requests --

    @staticmethod
    def parse_form(body):
        try:
            text = body.decode("utf-8")
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True,
                                           strict_parsing=bool(text))
        except (UnicodeDecodeError, ValueError):
            raise StsError("MalformedQueryString",
                           "The query string is not a valid form encoding.")
        params = {}
        for k, v in pairs:
            if k in params:
                raise StsError("MalformedQueryString",
                               f"The parameter {k} appears twice.")
            params[k] = v
        return params

    def operation(self, params):
        action = params.get("Action")
        if not action:
            raise StsError("MissingAction", "Missing Action")
        if params.get("Version") != VERSION:
            raise StsError("InvalidAction",
                           f"Could not find operation {action} for version "
                           f"{params.get('Version', 'NO_VERSION_SPECIFIED')}")
        if action not in ("AssumeRole", "AssumeRoleWithWebIdentity",
                          "GetCallerIdentity"):
            raise StsError("InvalidAction",
                           f"Could not find operation {action} for version {VERSION}")
        return self.judge.model.operation_model(action)

    def _input(self, op, params):
        """The form's members typed per the model, judged by the model."""
        shape = op.input_shape
        doc = {}
        for k, v in params.items():
            if k in ("Action", "Version"):
                continue
            member = shape.members.get(k) if shape is not None else None
            if member is None:
                raise StsError("InvalidParameterValue",
                               f"The parameter {k} is not recognized by "
                               f"{op.name}.")
            if member.type_name in ("integer", "long"):
                if not re.fullmatch(r"-?[0-9]{1,12}", v):
                    raise StsError("ValidationError",
                                   f"Value '{v}' at '{k[:1].lower() + k[1:]}' is "
                                   "not an integer.")
                doc[k] = int(v)
            elif member.type_name == "string":
                doc[k] = v
            else:
                raise StsError("InvalidParameterValue",
                               f"{k}: lists and structures are not supported by "
                               "this test endpoint")
        try:
            return self.judge.parse_input(op, json.dumps(doc).encode())
        except ServiceError as e:
            raise StsError("ValidationError", e.message)

    def handle(self, op, params, akid, ctx):
        data = self._input(op, params)
        if op.name == "GetCallerIdentity":
            account, arn, user_id = self.identity(akid)
            return self._answer(op.name, (
                f"    <Arn>{escape(arn)}</Arn>\n"
                f"    <UserId>{escape(user_id)}</UserId>\n"
                f"    <Account>{account}</Account>\n"), ctx.request_id)
        if op.name == "AssumeRole":
            return self._assume_role(data, akid, ctx)
        return self._assume_role_with_web_identity(data, ctx)

    def _role(self, arn, caller_arn, action):
        m = _ROLE_ARN.fullmatch(arn)
        with self.state.reading() as root:
            rule = dict(root.get(SECTION, {}).get("roles", {}).get(arn, {}))
        if m is None or m.group(3).startswith("Denied") or rule.get("deny"):
            raise StsError("AccessDenied",
                           f"User: {caller_arn} is not authorized to perform: "
                           f"sts:{action} on resource: {arn}", status=403)
        return m, rule

    def _lifetime(self, requested, rule, chained):
        limit = rule.get("max_duration", DEFAULT_DURATION)
        if requested is not None and requested > limit:
            raise StsError("ValidationError",
                           "The requested DurationSeconds exceeds the "
                           "MaxSessionDuration set for this role.")
        if chained and requested is not None and requested > CHAINED_MAX:
            raise StsError("ValidationError",
                           "The requested DurationSeconds exceeds the 1 hour "
                           "session limit for roles assumed by role chaining.")
        with self.state.reading() as root:
            override = root.get(SECTION, {}).get("credential_lifetime")
        return override if override else (requested or DEFAULT_DURATION)

    def _assume_role(self, data, akid, ctx):
        caller_account, caller_arn, _ = self.identity(akid)
        m, rule = self._role(data["RoleArn"], caller_arn, "AssumeRole")
        if "external_id" in rule and not hmac.compare_digest(
                data.get("ExternalId", "").encode(), rule["external_id"].encode()):
            raise StsError("AccessDenied",
                           f"User: {caller_arn} is not authorized to perform: "
                           f"sts:AssumeRole on resource: {data['RoleArn']}", status=403)
        if "mfa_serial" in rule:
            if data.get("SerialNumber") != rule["mfa_serial"] or \
                    "TokenCode" not in data:
                raise StsError("AccessDenied",
                               f"User: {caller_arn} is not authorized to perform: "
                               f"sts:AssumeRole on resource: {data['RoleArn']} "
                               "(MFA required)", status=403)
            if not hmac.compare_digest(data["TokenCode"].encode(),
                                       str(rule.get("mfa_code", "")).encode()):
                raise StsError("AccessDenied",
                               "MultiFactorAuthentication failed with invalid MFA "
                               "one time pass code. ", status=403)
        lifetime = self._lifetime(data.get("DurationSeconds"), rule,
                                  self._is_assumed(akid))
        return self._grant("AssumeRole", m, data, lifetime, ctx, {
            "source_access_key_id": akid, "source_account": caller_account,
            "external_id": "ExternalId" in data, "mfa": "TokenCode" in data,
        })

    def _assume_role_with_web_identity(self, data, ctx):
        token = data["WebIdentityToken"]
        parts = token.split(".")
        try:
            if len(parts) != 3:
                raise ValueError
            claims = _b64url_json(parts[1])
            if not isinstance(claims, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError, TypeError):
            raise StsError("InvalidIdentityToken", "Couldn't parse web identity token.")
        now = int(_epoch(self.clock()))
        exp = claims.get("exp")
        if not isinstance(exp, int):
            raise StsError("InvalidIdentityToken", "The web identity token has no exp claim.")
        if exp <= now:
            raise StsError("ExpiredTokenException",
                           f"Token expired: current date/time {now} must be before the "
                           f"expiration date/time{exp}")
        if not claims.get("sub"):
            raise StsError("InvalidIdentityToken", "The web identity token has no sub claim.")
        m, rule = self._role(data["RoleArn"], f"system:{claims['sub']}",
                             "AssumeRoleWithWebIdentity")
        if m.group(3).startswith("Rejected"):
            raise StsError("IDPRejectedClaim", "Incorrect token audience", status=403)
        lifetime = self._lifetime(data.get("DurationSeconds"), rule, False)
        return self._grant("AssumeRoleWithWebIdentity", m, data, lifetime, ctx, {
            "source_access_key_id": None, "subject": claims["sub"],
            "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
        }, extra=(f"    <SubjectFromWebIdentityToken>{escape(claims['sub'])}"
                  "</SubjectFromWebIdentityToken>\n"
                  f"    <Audience>{escape(str(claims.get('aud', 'sts.amazonaws.com')))}"
                  "</Audience>\n"))

    def _grant(self, action, m, data, lifetime, ctx, record, extra=""):
        account, role = m.group(1), m.group(3)
        session = data["RoleSessionName"]
        arn = f"arn:aws:sts::{account}:assumed-role/{role}/{session}"
        role_id = "AROA" + hashlib.sha256(data["RoleArn"].encode()).hexdigest()[:17].upper()
        expiration = int(_epoch(self.clock())) + lifetime
        record = dict(record)
        record.update({"action": action, "role_arn": data["RoleArn"],
                       "session_name": session, "duration": lifetime})
        akid, secret, token = self.issue(account, arn, f"{role_id}:{session}",
                                         expiration, record)
        return self._answer(action, (
            extra +
            "    <AssumedRoleUser>\n"
            f"      <AssumedRoleId>{role_id}:{escape(session)}</AssumedRoleId>\n"
            f"      <Arn>{escape(arn)}</Arn>\n"
            "    </AssumedRoleUser>\n"
            "    <Credentials>\n"
            f"      <AccessKeyId>{akid}</AccessKeyId>\n"
            f"      <SecretAccessKey>{escape(secret)}</SecretAccessKey>\n"
            f"      <SessionToken>{escape(token)}</SessionToken>\n"
            f"      <Expiration>{_iso(expiration)}</Expiration>\n"
            "    </Credentials>\n"
            "    <PackedPolicySize>6</PackedPolicySize>\n"), ctx.request_id)

    @staticmethod
    def _answer(action, inner, request_id):
        return (f'<{action}Response xmlns="{XMLNS}">\n  <{action}Result>\n{inner}'
                f'  </{action}Result>\n  <ResponseMetadata>\n'
                f'    <RequestId>{request_id}</RequestId>\n'
                f'  </ResponseMetadata>\n</{action}Response>\n').encode()
