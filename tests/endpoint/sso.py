"""IAM Identity Center for tests: the SSO portal's GetRoleCredentials
(GET /federation/credentials, bearer token in x-amz-sso_bearer_token) and
SSO-OIDC's CreateToken with a refresh token (POST /token). Both are
unsigned REST-JSON, judged against the reference models (refmodel.py).

Access tokens are valid only when the control API registered them or
CreateToken issued them: POST /__control/sso {"access_token": T,
"expires_in": S} or {"client_id", "client_secret", "refresh_token"} (a
refresh grant, good once: CreateToken rotates it). Role credentials come
from the STS book (sts.py), so ACM sees them in the account they name; role
names starting with "Denied" are refused (ForbiddenException). GET
/__control/sso counts the calls (never a token)."""

import hashlib
import hmac
import json
import secrets
import urllib.parse

from awserror import ServiceError
from refmodel import ReferenceJudge

SECTION = "sso"
ACCESS_TOKEN_SECONDS = 8 * 3600


def _sha(value):
    return hashlib.sha256(value.encode()).hexdigest()


class SsoService:
    def __init__(self, state, clock, sts):
        self.portal = ReferenceJudge("sso", "2019-06-10")
        self.oidc = ReferenceJudge("sso-oidc", "2019-06-10")
        self.state = state
        self.clock = clock
        self.sts = sts

    def _now(self):
        import datetime
        return self.clock().replace(tzinfo=datetime.timezone.utc).timestamp()

    def _section(self, root):
        sec = root.setdefault(SECTION, {})
        sec.setdefault("access_tokens", {})
        sec.setdefault("refresh_tokens", {})
        sec.setdefault("calls", {"GetRoleCredentials": 0, "CreateToken": 0})
        return sec

    def control(self, method, body):
        with self.state.transaction() as root:
            sec = self._section(root)
            if method == "POST":
                spec = json.loads(body.decode("utf-8")) if body else {}
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                if "access_token" in spec:
                    sec["access_tokens"][_sha(spec["access_token"])] = \
                        self._now() + int(spec.get("expires_in", 3600))
                if "refresh_token" in spec:
                    if not all(isinstance(spec.get(k), str)
                               for k in ("client_id", "client_secret")):
                        raise ValueError("a refresh grant needs client_id and "
                                         "client_secret")
                    sec["refresh_tokens"][_sha(spec["refresh_token"])] = {
                        "client_id": spec["client_id"],
                        "client_secret_sha256": _sha(spec["client_secret"])}
            return {"calls": sec["calls"], "access_tokens": len(sec["access_tokens"]),
                    "refresh_tokens": len(sec["refresh_tokens"])}

    # -- GET /federation/credentials --

    def get_role_credentials(self, query, headers):
        op = self.portal.model.operation_model("GetRoleCredentials")
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        doc = {}
        for name, member in (("role_name", "roleName"), ("account_id", "accountId")):
            if name in q:
                doc[member] = q[name][0]
        token = headers.get("x-amz-sso_bearer_token")
        if token is not None:
            doc["accessToken"] = token
        params = self.portal.parse_input(op, json.dumps(doc).encode())
        with self.state.transaction() as root:
            sec = self._section(root)
            sec["calls"]["GetRoleCredentials"] += 1
            expires = sec["access_tokens"].get(_sha(params["accessToken"]))
        if expires is None or expires <= self._now():
            raise ServiceError("UnauthorizedException",
                               "Session token not found or invalid", status=401)
        if params["roleName"].startswith("Denied"):
            raise ServiceError("ForbiddenException", "No access", status=403)
        account = params["accountId"]
        role = f"AWSReservedSSO_{params['roleName']}_0123456789abcdef"
        arn = f"arn:aws:sts::{account}:assumed-role/{role}/acmbridge-sso-user"
        with self.state.reading() as root:
            lifetime = root.get("sts", {}).get("credential_lifetime") or 3600
        expiration = int(self._now()) + lifetime
        akid, secret, session = self.sts.issue(
            account, arn, f"AROASSO0123456789ABCD:acmbridge-sso-user", expiration,
            {"action": "GetRoleCredentials", "role_arn":
             f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{role}",
             "session_name": "acmbridge-sso-user", "source_access_key_id": None,
             "duration": lifetime})
        return {"roleCredentials": {"accessKeyId": akid, "secretAccessKey": secret,
                                    "sessionToken": session,
                                    "expiration": expiration * 1000}}

    # -- POST /token --

    def create_token(self, body):
        op = self.oidc.model.operation_model("CreateToken")
        params = self.oidc.parse_input(op, body)
        with self.state.transaction() as root:
            sec = self._section(root)
            sec["calls"]["CreateToken"] += 1
            if params["grantType"] != "refresh_token":
                raise ServiceError("UnsupportedGrantTypeException",
                                   f"grant type {params['grantType']} is not supported "
                                   "by this test endpoint")
            grant = sec["refresh_tokens"].get(_sha(params.get("refreshToken", "")))
            if grant is None or grant["client_id"] != params["clientId"] or \
                    not hmac.compare_digest(grant["client_secret_sha256"],
                                            _sha(params["clientSecret"])):
                raise ServiceError("InvalidGrantException", "Invalid refresh token provided")
            del sec["refresh_tokens"][_sha(params["refreshToken"])]
            access = "aoa" + secrets.token_urlsafe(48)
            refresh = "aor" + secrets.token_urlsafe(48)
            sec["access_tokens"][_sha(access)] = self._now() + ACCESS_TOKEN_SECONDS
            sec["refresh_tokens"][_sha(refresh)] = grant
        return {"accessToken": access, "tokenType": "Bearer",
                "expiresIn": ACCESS_TOKEN_SECONDS, "refreshToken": refresh}
