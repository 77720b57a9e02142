#!/usr/bin/python3
"""Small loopback servers for the AWS client tests (tests/aws/test-aws.sh).

--mode imds       EC2 instance metadata, IMDSv2 only: PUT /latest/api/token
                  (needs X-aws-ec2-metadata-token-ttl-seconds) issues a token;
                  every GET without that token gets 401, as on an instance
                  with IMDSv1 turned off.
--mode container  ECS container credentials at any path; with --token, the
                  Authorization header must carry exactly that token (401
                  otherwise); with --token-file, the token the file holds at
                  the time of the request (EKS Pod Identity rotates it).
--mode denied     An AWS JSON 1.1 service that answers every POST with
                  AccessDeniedException, the code given the way real services
                  do ("namespace#Code" in __type, "Code:url" in
                  x-amzn-ErrorType), for the client's error mapping.

Credentials handed out are the endpoint's temporary set (ACMB_TEST_STS_* from
tests/endpoint/credentials.env), so a client that got them can prove it by
calling the local ACM endpoint; they expire after --lifetime seconds (6 h).
Every request is appended to --log as one JSON line (header names, and the
SHA-256 of an Authorization value, never the value). When listening, writes
{"url": ...} to --ready-file.
"""
import argparse
import datetime
import hashlib
import http.server
import json
import os
import secrets
import sys
import threading

ROLE = "acmbridge-test-role"


def credentials(token_field, lifetime):
    exp = (datetime.datetime.now(datetime.timezone.utc) +
           datetime.timedelta(seconds=lifetime)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "AccessKeyId": os.environ["ACMB_TEST_STS_ACCESS_KEY_ID"],
        "SecretAccessKey": os.environ["ACMB_TEST_STS_SECRET_ACCESS_KEY"],
        token_field: os.environ["ACMB_TEST_STS_SESSION_TOKEN"],
        "Expiration": exp,
    }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _record(self, status):
        entry = {"method": self.command, "path": self.path, "status": status,
                 "headers": sorted(h.lower() for h in self.headers.keys())}
        if self.headers.get("Authorization") is not None:
            entry["authorization_sha256"] = hashlib.sha256(
                self.headers["Authorization"].encode()).hexdigest()
        with self.server.lock, open(self.server.args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _send(self, status, body, ctype="text/plain", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 0:
            self.rfile.read(min(n, 8 << 20))

    def do_PUT(self):
        self._drain()
        if self.server.args.mode != "imds" or self.path != "/latest/api/token":
            return self._send(404, "not found")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self._send(400, "missing ttl header")
        token = secrets.token_urlsafe(24)
        self.server.tokens.add(token)
        self._send(200, token)

    def do_GET(self):
        args = self.server.args
        if args.mode == "imds":
            if self.headers.get("X-aws-ec2-metadata-token") not in self.server.tokens:
                return self._send(401, "")
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path == base:
                return self._send(200, ROLE)
            if self.path == base + ROLE:
                doc = dict(Code="Success", Type="AWS-HMAC",
                           LastUpdated="2026-01-01T00:00:00Z", **credentials("Token", args.lifetime))
                return self._send(200, json.dumps(doc), "application/json")
            return self._send(404, "not found")
        if args.mode == "container":
            want = args.token
            if args.token_file is not None:
                with open(args.token_file) as f:
                    want = f.read()
            if want is not None and self.headers.get("Authorization") != want:
                return self._send(401, json.dumps({"message": "bad token"}),
                                  "application/json")
            doc = dict(RoleArn="arn:aws:iam::123456789012:role/" + ROLE,
                       **credentials("Token", args.lifetime))
            return self._send(200, json.dumps(doc), "application/json")
        self._send(404, "not found")

    def do_POST(self):
        self._drain()
        if self.server.args.mode != "denied":
            return self._send(404, "not found")
        target = self.headers.get("X-Amz-Target", "")
        op = target.rsplit(".", 1)[-1]
        body = {"__type": "com.amazon.coral.service#AccessDeniedException",
                "Message": f"User: arn:aws:iam::123456789012:user/ci is not authorized "
                           f"to perform: acm:{op} on resource: *"}
        self._send(400, json.dumps(body), "application/x-amz-json-1.1",
                   {"x-amzn-RequestId": "req-denied-0001",
                    "x-amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/"})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["imds", "container", "denied"], required=True)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--token")
    p.add_argument("--token-file")
    p.add_argument("--lifetime", type=int, default=6 * 3600)
    args = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.args = args
    srv.tokens = set()
    srv.lock = threading.Lock()
    open(args.log, "w").close()
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"url": f"http://127.0.0.1:{srv.server_address[1]}",
                   "pid": os.getpid()}, f)
    os.rename(tmp, args.ready_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sys.exit(main())
