#!/usr/bin/python3
"""Local AWS endpoint for acmbridge tests: ACM and Private CA over SigV4-signed
JSON 1.1, STS over its Query protocol, the SSO portal and SSO-OIDC.

Usage: /usr/bin/python3 tests/endpoint/server.py --state-dir DIR
       --ready-file FILE [--tls] [--host 127.0.0.1] [--port 0]
       [--account 123456789012] [--fault JSON]... [--fixed-time T]
       [--clock-offset SECONDS]

Every request is authenticated (sigv4.py), judged against botocore's model
of the service (model.py), then handled by the service module (acm.py).
Services are found by their X-Amz-Target prefix, so another service
(ACMPrivateCA) is one more module in SERVICES. STS (sts.py: form POST to /
without X-Amz-Target), the SSO portal (GET /federation/credentials) and
SSO-OIDC (POST /token) are routed by path; the temporary credentials STS and
the portal hand out are accepted by the verifier and name their account, in
which ACM stores certificates. The unsigned control API under /__control/
serves tests (see README.md)."""

import argparse
import datetime
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The modules sit in the source tree, which tests must leave clean.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from acm import AcmService  # noqa: E402
from awserror import ServiceError  # noqa: E402
from pca import PcaService  # noqa: E402
from sso import SsoService  # noqa: E402
from sts import StsError, StsService, xml_error  # noqa: E402
from faults import FaultError, Faults  # noqa: E402
from quotas import Quotas  # noqa: E402
from sigv4 import AMZ_DATE_FORMAT, AuthInfo, Verifier  # noqa: E402
from state import State  # noqa: E402

MAX_BODY = 8 * 1024 * 1024
OVERSIZED_ANSWER = 9 * 1024 * 1024
MAX_CONTROL_BODY = 1024 * 1024
JSON_11 = "application/x-amz-json-1.1"
IDLE_TIMEOUT = 120
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")

SERVICES = (AcmService, PcaService)


class RequestContext:
    """What a handler may know about the request besides its params: now is
    when it arrived, clock() the time at any later moment (e.g. when a
    change is committed)."""

    def __init__(self, region, now, request_id, clock, account=None):
        self.region = region
        self.now = now
        self.request_id = request_id
        self.clock = clock
        self.account = account


class _Dropped(Exception):
    """The connection was closed on purpose without an answer."""


class Endpoint:
    """Everything the request handlers share."""

    def __init__(self, state, account, clock):
        self.state = state
        self.account = account
        self.clock = clock
        self.faults = Faults()
        self.quotas = Quotas()
        self.verifier = Verifier(clock=clock, lookup=self._lookup)
        self.sts = StsService(state, account, clock, self.verifier.static_credentials)
        self.sso = SsoService(state, clock, self.sts)
        self.services = {}
        for cls in SERVICES:
            service = cls(state, account)
            self.services[service.judge.target_prefix] = service

    def _lookup(self, akid):
        return self.sts.lookup(akid)

    def certificate_listing(self):
        out = []
        for service in self.services.values():
            listing = getattr(service, "control_listing", None)
            if listing:
                out.extend(listing())
        return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "acmbridge-test-endpoint"

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        # The Date header follows the endpoint's clock (--fixed-time,
        # --clock-offset), as a real server's follows its own: clients
        # measure their clock skew by it (acmbridge doctor).
        if timestamp is None:
            timestamp = self.server.endpoint.clock().replace(
                tzinfo=datetime.timezone.utc).timestamp()
        return super().date_time_string(timestamp)
    timeout = IDLE_TIMEOUT

    # The request log in DIR is the record; stderr stays quiet.
    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, _Dropped):
            self.close_connection = True

    # -- plumbing --

    def _read_body(self, limit, length_required=True):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ServiceError("LengthRequired",
                               "Chunked request bodies are not accepted; "
                               "send Content-Length.", status=411)
        length = self.headers.get("Content-Length")
        if length is None:
            if self.command == "POST" and length_required:
                raise ServiceError("LengthRequired",
                                   "Content-Length is required.", status=411)
            return b""
        if not length.isdigit() or len(length) > 12:
            raise ServiceError("BadRequest", "Content-Length is not a "
                               "number.")
        n = int(length)
        if n > limit:
            self.close_connection = True
            raise ServiceError("RequestEntityTooLarge",
                               f"Request body of {n} bytes exceeds the "
                               f"limit of {limit} bytes.", status=413)
        body = self.rfile.read(n)
        if len(body) != n:
            raise ConnectionError("short body")
        return body

    def _write_log(self, status=None):
        """Writes the pending request-log entry, before any answer leaves,
        so a client that got an answer always finds its request logged."""
        pending = getattr(self, "_pending_log", None)
        if pending is None:
            return
        self._pending_log = None
        log, auth = pending
        if status is not None:
            log["status"] = status
        log.update(auth.as_log())
        self.server.endpoint.state.log_request(log)

    def _send(self, status, payload, content_type=JSON_11, request_id=None,
              error_type=None, headers=()):
        self._write_log()
        data = payload if isinstance(payload, bytes) else \
            json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, err, request_id=None):
        self._send(err.status, err.body(), request_id=request_id,
                   error_type=err.code)

    def _drop(self):
        self._write_log("dropped")
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Dropped()

    # -- verbs --

    def do_GET(self):
        self._route()

    def do_POST(self):
        self._route()

    def do_DELETE(self):
        self._route()

    def do_PUT(self):
        self._route()

    def _route(self):
        path = self.path.split("?", 1)[0]
        if self.path.startswith("/__control/"):
            self._control()
        elif self.command == "GET" and path == "/federation/credentials":
            self._rest_json("sso", "GetRoleCredentials")
        elif self.command == "POST" and path == "/token":
            self._rest_json("sso-oidc", "CreateToken")
        elif self.command == "POST" and self.path == "/" and \
                self.headers.get("X-Amz-Target") is None and \
                self.headers.get("Content-Type", "").split(";")[0].strip().lower() == \
                "application/x-www-form-urlencoded":
            self._query()
        else:
            self._aws()

    # -- control API --

    def _control(self):
        endpoint = self.server.endpoint
        if self.client_address[0] not in LOOPBACK:
            self._send(403, {"error": "control API is loopback-only"},
                       "application/json")
            return
        try:
            body = self._read_body(MAX_CONTROL_BODY, length_required=False)
        except ServiceError as e:
            self._send(e.status, {"error": e.message}, "application/json")
            return
        route = (self.command, self.path.split("?", 1)[0])
        if route == ("POST", "/__control/faults"):
            try:
                rules = Faults.parse(json.loads(body.decode("utf-8")))
                endpoint.faults.add(rules)
            except (ValueError, FaultError) as e:
                self._send(400, {"error": f"bad fault rules: {e}"},
                           "application/json")
                return
            self._send(200, {"faults": endpoint.faults.describe()},
                       "application/json")
        elif route == ("GET", "/__control/faults"):
            self._send(200, {"faults": endpoint.faults.describe()},
                       "application/json")
        elif route == ("DELETE", "/__control/faults"):
            endpoint.faults.clear()
            self._send(200, {"faults": []}, "application/json")
        elif route == ("GET", "/__control/requests"):
            self._send(200, {"requests": endpoint.state.requests()},
                       "application/json")
        elif route == ("GET", "/__control/certificates"):
            self._send(200, {"certificates": endpoint.certificate_listing()},
                       "application/json")
        elif route[1] == "/__control/pca" and route[0] in ("GET", "POST"):
            try:
                answer = endpoint.services["ACMPrivateCA"].control(route[0], body)
            except ValueError as e:
                self._send(400, {"error": str(e)}, "application/json")
                return
            self._send(200, answer, "application/json")
        elif route == ("GET", "/__control/quotas"):
            self._send(200, endpoint.quotas.snapshot(), "application/json")
        elif route == ("POST", "/__control/quotas"):
            try:
                conf = json.loads(body.decode("utf-8") or "{}")
                endpoint.quotas.enabled = bool(conf.get("enabled", True))
                endpoint.quotas.scale = float(conf.get("scale", 1.0))
                if endpoint.quotas.scale <= 0:
                    raise ValueError("scale must be positive")
                endpoint.quotas.reset()
                endpoint.quotas.freeze(bool(conf.get("frozen", False)))
            except (ValueError, AttributeError) as e:
                self._send(400, {"error": f"bad quota settings: {e}"},
                           "application/json")
                return
            self._send(200, endpoint.quotas.snapshot(), "application/json")
        elif route == ("DELETE", "/__control/quotas"):
            endpoint.quotas.reset()
            self._send(200, endpoint.quotas.snapshot(), "application/json")
        elif route[1] == "/__control/acm" and route[0] in ("GET", "POST"):
            try:
                answer = endpoint.services["CertificateManager"].control(
                    route[0], body)
            except ValueError as e:
                self._send(400, {"error": str(e)}, "application/json")
                return
            self._send(200, answer, "application/json")
        elif route[1] in ("/__control/sts", "/__control/sso") and \
                route[0] in ("GET", "POST"):
            service = endpoint.sts if route[1] == "/__control/sts" else endpoint.sso
            try:
                answer = service.control(route[0], body)
            except (ValueError, UnicodeDecodeError) as e:
                self._send(400, {"error": str(e)}, "application/json")
                return
            self._send(200, answer, "application/json")
        elif route == ("POST", "/__control/reset"):
            endpoint.state.reset()
            self._send(200, {"reset": True}, "application/json")
        else:
            self._send(404, {"error": f"no control route {route[0]} "
                             f"{route[1]}"}, "application/json")

    # -- AWS API --

    def _aws(self):
        endpoint = self.server.endpoint
        request_id = str(uuid.uuid4())
        auth = AuthInfo()
        log = {"time": time.time(), "request_id": request_id,
               "method": self.command, "path": self.path,
               "target": self.headers.get("X-Amz-Target"),
               "operation": None, "status": None, "error": None,
               "fault": None, "applied": False}
        self._pending_log = (log, auth)
        try:
            self._aws_request(endpoint, request_id, auth, log)
        finally:
            self._write_log()

    def _aws_request(self, endpoint, request_id, auth, log):
        service = None
        try:
            body = self._read_body(MAX_BODY)
            service, operation = self._resolve(endpoint)
            log["operation"] = operation.name
            endpoint.verifier.verify(self.command, self.path, self.headers,
                                     body, service.judge.signing_name, auth)
        except ServiceError as e:
            if service is not None:
                e.message_key = service.judge.error_message_key(e.code)
            log["status"], log["error"] = e.status, e.code
            self._send_error(e, request_id)
            return

        rule = endpoint.faults.take(operation.name, auth.region)
        if rule is not None:
            log["fault"] = rule.fault
            if rule.fault != "slow" and rule.delay:
                time.sleep(rule.delay)
            if self._refuse(rule, request_id, log, service, operation.name):
                return

        try:
            result = self._apply(endpoint, service, operation, body, auth,
                                 request_id)
            log["applied"] = True
            status, payload, error = 200, result, None
        except ServiceError as e:
            e.message_key = service.judge.error_message_key(e.code)
            status, payload, error = e.status, e.body(), e.code
            log["error"] = e.code
        except Exception:
            # A bug of the endpoint must show as a server error, not as a
            # dropped connection a client would take for a network fault.
            traceback.print_exc()
            e = ServiceError("InternalFailure", "The test endpoint failed "
                             "on this request; see its stderr.", status=500)
            status, payload, error = e.status, e.body(), e.code
            log["error"] = "InternalFailure (endpoint bug)"

        if rule is not None and rule.fault == "drop-after":
            self._drop()
        if rule is not None and rule.fault == "slow":
            time.sleep(rule.delay)
        if rule is not None and rule.fault == "malformed":
            log["status"] = 200
            self._send(200, b'{"CertificateArn": "arn:aws:acm:', JSON_11,
                       request_id)
            return
        if rule is not None and rule.fault == "oversized" and status == 200:
            # Above the 8 MiB every client here refuses: a broken proxy or
            # something that is not the service.
            log["status"] = 200
            padded = dict(payload, Padding="x" * OVERSIZED_ANSWER)
            self._send(200, padded, request_id=request_id)
            return
        log["status"] = status
        self._send(status, payload, request_id=request_id, error_type=error)

    # -- STS (Query protocol) --

    def _query(self):
        endpoint = self.server.endpoint
        request_id = str(uuid.uuid4())
        auth = AuthInfo()
        log = {"time": time.time(), "request_id": request_id,
               "method": self.command, "path": self.path, "target": None,
               "operation": None, "status": None, "error": None,
               "fault": None, "applied": False}
        self._pending_log = (log, auth)
        try:
            try:
                body = self._read_body(MAX_BODY)
                params = StsService.parse_form(body)
                log["operation"] = params.get("Action")
                op = endpoint.sts.operation(params)
                if self.headers.get("Authorization") is None and \
                        op.name == "AssumeRoleWithWebIdentity":
                    auth.result = "unsigned"
                else:
                    try:
                        endpoint.verifier.verify(self.command, self.path,
                                                 self.headers, body, "sts", auth)
                    except StsError:
                        raise
                    except ServiceError as e:
                        code = {"UnrecognizedClientException": "InvalidClientTokenId",
                                "InvalidSignatureException": "SignatureDoesNotMatch",
                                "MissingAuthenticationTokenException":
                                    "MissingAuthenticationToken",
                                "IncompleteSignatureException": "IncompleteSignature",
                                }.get(e.code, e.code)
                        raise StsError(code, e.message, status=403 if code !=
                                       "ExpiredTokenException" else 400)
                rule = endpoint.faults.take(op.name)
                if rule is not None:
                    log["fault"] = rule.fault
                    if rule.delay:
                        time.sleep(rule.delay)
                    # STS answers its own errors in XML.
                    sts_faults = {
                        "throttle": StsError("Throttling", "Rate exceeded"),
                        "500": StsError("InternalFailure", "An internal error "
                                        "occurred.", status=500, sender=False),
                        "503": StsError("ServiceUnavailable", "Service is "
                                        "unavailable.", status=503, sender=False),
                    }
                    if rule.fault in sts_faults:
                        raise sts_faults[rule.fault]
                    if self._refuse(rule, request_id, log):
                        return
                ctx = RequestContext(auth.region, endpoint.clock(), request_id,
                                     endpoint.clock)
                answer = endpoint.sts.handle(op, params, auth.access_key_id, ctx)
            except ServiceError as e:
                if not isinstance(e, StsError):
                    e = StsError(e.code, e.message, status=e.status)
                log["status"], log["error"] = e.status, e.code
                self._send(e.status, xml_error(e, request_id), "text/xml",
                           request_id)
                return
            except Exception:
                traceback.print_exc()
                e = StsError("InternalFailure", "The test endpoint failed on this "
                             "request; see its stderr.", status=500, sender=False)
                log["status"], log["error"] = 500, "InternalFailure (endpoint bug)"
                self._send(500, xml_error(e, request_id), "text/xml", request_id)
                return
            log["applied"] = True
            log["status"] = 200
            self._send(200, answer, "text/xml", request_id)
        finally:
            self._write_log()

    # -- SSO portal and SSO-OIDC (unsigned REST-JSON) --

    def _rest_json(self, service, operation):
        endpoint = self.server.endpoint
        request_id = str(uuid.uuid4())
        auth = AuthInfo()
        auth.result = "unsigned"
        log = {"time": time.time(), "request_id": request_id,
               "method": self.command, "path": self.path.split("?", 1)[0],
               "target": None, "operation": operation, "status": None,
               "error": None, "fault": None, "applied": False}
        self._pending_log = (log, auth)
        try:
            try:
                body = self._read_body(MAX_BODY)
                rule = endpoint.faults.take(operation)
                if rule is not None:
                    log["fault"] = rule.fault
                    if rule.delay:
                        time.sleep(rule.delay)
                    if self._refuse(rule, request_id, log):
                        return
                if operation == "GetRoleCredentials":
                    answer = endpoint.sso.get_role_credentials(
                        self.path.split("?", 1)[1] if "?" in self.path else "",
                        {k.lower(): v for k, v in self.headers.items()})
                else:
                    answer = endpoint.sso.create_token(body)
            except ServiceError as e:
                log["status"], log["error"] = e.status, e.code
                if service == "sso-oidc":
                    oauth = {"InvalidGrantException": "invalid_grant",
                             "UnsupportedGrantTypeException": "unsupported_grant_type"}
                    payload = {"error": oauth.get(e.code, "invalid_request"),
                               "error_description": e.message}
                else:
                    payload = {"message": e.message}
                self._send(e.status, payload, "application/json", request_id,
                           error_type=e.code)
                return
            except Exception:
                traceback.print_exc()
                log["status"], log["error"] = 500, "InternalFailure (endpoint bug)"
                self._send(500, {"message": "The test endpoint failed on this request"},
                           "application/json", request_id, error_type="InternalFailure")
                return
            log["applied"] = True
            log["status"] = 200
            self._send(200, answer, "application/json", request_id)
        finally:
            self._write_log()

    def _resolve(self, endpoint):
        """Returns (service, OperationModel) named by X-Amz-Target."""
        if self.command != "POST" or self.path != "/":
            raise ServiceError("UnknownOperationException",
                               f"{self.command} {self.path} is not an "
                               "operation: JSON 1.1 requests are POST /.",
                               status=404)
        target = self.headers.get("X-Amz-Target")
        if not target or "." not in target:
            raise ServiceError("UnknownOperationException",
                               "Missing or malformed X-Amz-Target header.")
        prefix, name = target.rsplit(".", 1)
        service = endpoint.services.get(prefix)
        if service is None:
            raise ServiceError("UnknownOperationException",
                               f"Unknown target prefix '{prefix}'.")
        operation = service.judge.operation(name)
        return service, operation

    def _refuse(self, rule, request_id, log, service, operation):
        """Answers a fault that refuses the request; False for faults that
        let the operation run."""
        if rule.fault == "access-denied":
            # IAM's wording: the caller lacks the action.
            prefix = service.judge.signing_name
            e = service.judge.error(
                "AccessDeniedException",
                f"User: arn:aws:iam::{self.server.endpoint.account}:user/"
                f"acmbridge-test is not authorized to perform: "
                f"{prefix}:{operation} because no identity-based policy "
                f"allows the {prefix}:{operation} action")
            log["status"], log["error"] = e.status, e.code
            self._send_error(e, request_id)
            return True
        if rule.fault == "redirect":
            location = "https://acm.us-west-2.amazonaws.com/"
            log["status"], log["error"] = 307, "redirect"
            self._send(307, b"<html><body>Temporary Redirect</body></html>\n",
                       "text/html", request_id, headers=[("Location",
                                                         location)])
            return True
        simple = {
            "throttle": ServiceError("ThrottlingException", "Rate exceeded"),
            "limit": ServiceError(
                "LimitExceededException",
                "You have reached the maximum number of certificates."),
            "500": ServiceError("InternalFailure",
                                "The request processing has failed because "
                                "of an unknown error, exception or failure.",
                                status=500),
            "503": ServiceError("ServiceUnavailable",
                                "Service is unavailable.", status=503),
            "request-timeout": ServiceError(
                "RequestTimeout", "Your socket connection to the server was "
                "not read from or written to within the timeout period."),
            "access-denied": ServiceError(
                "AccessDeniedException",
                f"User: arn:aws:iam::{self.server.endpoint.account}:user/"
                f"acmbridge-test is not authorized to perform: "
                f"acm:{log['operation']} because no identity-based policy "
                f"allows the acm:{log['operation']} action"),
            # What a client sees from an endpoint that lacks the operation
            # (an older or emulated service).
            "unknown-operation": ServiceError(
                "UnknownOperationException",
                f"{operation} is not supported by this endpoint."),
        }
        if rule.fault in simple:
            e = simple[rule.fault]
            log["status"], log["error"] = e.status, e.code
            self._send_error(e, request_id)
            return True
        if rule.fault in ("502", "504"):
            # A load balancer answers these, in HTML, not the service.
            status = int(rule.fault)
            text = "Bad Gateway" if status == 502 else "Gateway Timeout"
            log["status"], log["error"] = status, text
            self._send(status, f"<html><body><h1>{status} {text}</h1>"
                       "</body></html>\n".encode(), "text/html", request_id)
            return True
        if rule.fault == "drop-before":
            self._drop()
        return False

    def _apply(self, endpoint, service, operation, body, auth, request_id):
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != JSON_11:
            raise ServiceError("SerializationException",
                               f"Content-Type must be {JSON_11}, not "
                               f"'{content_type}'.")
        params = service.judge.parse_input(operation, body)
        handler = service.handlers.get(operation.name)
        if handler is None:
            raise ServiceError("UnknownOperationException",
                               f"{operation.name} is in the model but this "
                               "test endpoint does not implement it.")
        account = endpoint.sts.account_of(auth.access_key_id)
        if service.judge.target_prefix == "CertificateManager":
            # After validation, as AWS counts only well-formed calls.
            endpoint.quotas.take(account, auth.region, operation.name)
        ctx = RequestContext(auth.region, endpoint.clock(), request_id,
                             endpoint.clock, account)
        return handler(params, ctx)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, endpoint, tls_context, verbose):
        self.endpoint = endpoint
        self.verbose = verbose
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)
        if tls_context is not None:
            # The handshake runs in the connection's thread, on first read.
            self.socket = tls_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def _write_ready(path, info):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(info, f)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state-dir", required=True)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--account", default="123456789012")
    p.add_argument("--fault", action="append", default=[],
                   help="fault rule (JSON object or list), repeatable")
    p.add_argument("--fixed-time", metavar="YYYYMMDDTHHMMSSZ",
                   help="use this as the current time (SigV4 skew and "
                        "certificate validity), for deterministic tests")
    p.add_argument("--clock-offset", type=int, default=0, metavar="SECONDS",
                   help="run the clock this far ahead (negative: behind), "
                        "for clock-skew tests")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--pca-pending-polls", type=int, default=0, metavar="N")
    p.add_argument("--quotas", action="store_true",
                   help="enforce ACM's per-operation request quotas")
    p.add_argument("--quota-scale", type=float, default=1.0, metavar="N",
                   help="multiply every quota by N (tests of fleets)")
    args = p.parse_args(argv)

    if args.host not in ("127.0.0.1", "::1", "localhost"):
        p.error("--host must be a loopback address: the control API is "
                "unauthenticated")
    if not (len(args.account) == 12 and args.account.isdigit()):
        p.error("--account must be 12 digits")
    if args.fixed_time:
        try:
            fixed = datetime.datetime.strptime(args.fixed_time,
                                               AMZ_DATE_FORMAT)
        except ValueError:
            p.error("--fixed-time must look like 20260101T120000Z")

        def clock():
            return fixed
    else:
        offset = datetime.timedelta(seconds=args.clock_offset)

        def clock():
            return datetime.datetime.now(
                datetime.timezone.utc).replace(tzinfo=None) + offset

    state_dir = os.path.abspath(args.state_dir)
    endpoint = Endpoint(State(state_dir), args.account, clock)
    endpoint.services["ACMPrivateCA"].pending_polls = args.pca_pending_polls
    if args.quota_scale <= 0:
        p.error("--quota-scale must be positive")
    endpoint.quotas.enabled = args.quotas
    endpoint.quotas.scale = args.quota_scale
    for text in args.fault:
        try:
            endpoint.faults.add(Faults.parse(json.loads(text)))
        except (ValueError, FaultError) as e:
            p.error(f"--fault {text!r}: {e}")

    tls_context, ca_file = None, None
    if args.tls:
        from tlsca import make_server_context
        tls_context, ca_file = make_server_context(state_dir)
    host = "127.0.0.1" if args.host == "localhost" else args.host
    server = Server((host, args.port), endpoint, tls_context, args.verbose)
    port = server.server_address[1]
    scheme = "https" if args.tls else "http"
    url_host = f"[{host}]" if ":" in host else host

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready = os.path.abspath(args.ready_file)
    _write_ready(ready, {"url": f"{scheme}://{url_host}:{port}",
                         "ca_file": ca_file, "pid": os.getpid()})
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            os.unlink(ready)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
