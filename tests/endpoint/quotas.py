"""ACM's per-operation request quotas, enforced per account and region.

ACM's published API rate quotas (requests per second, per account and
region): ImportCertificate 1, ListCertificates 1, DescribeCertificate 10,
GetCertificate 10, ListTagsForCertificate 10, AddTagsToCertificate 5,
RemoveTagsFromCertificate 5, DeleteCertificate 10. SearchCertificates is
new and its rate is not published in the model; it is held to the listing's
1 request/s here, the conservative reading.

Off unless the server is started with --quotas; --quota-scale N multiplies
every rate (tests run a fleet at 10x without waiting minutes). The control
API can freeze the buckets' clock so that a test counts exactly. A request
over its bucket gets ThrottlingException with throttlingReasons, as the
newest service model spells them. Per-operation call counts (accepted and
throttled) are kept for tests: GET /_control/quotas.
"""

import threading
import time

from awserror import ServiceError

RATES = {
    "ImportCertificate": 1.0,
    "ListCertificates": 1.0,
    "SearchCertificates": 1.0,
    "DescribeCertificate": 10.0,
    "GetCertificate": 10.0,
    "ListTagsForCertificate": 10.0,
    "AddTagsToCertificate": 5.0,
    "RemoveTagsFromCertificate": 5.0,
    "DeleteCertificate": 10.0,
}


class ThrottlingError(ServiceError):
    def __init__(self, operation, rate):
        super().__init__("ThrottlingException", "Rate exceeded")
        self.reasons = [{"reason": "RATE_EXCEEDED",
                         "resource": f"{operation} ({rate:g} requests/s)"}]

    def body(self):
        b = super().body()
        b["throttlingReasons"] = self.reasons
        return b


class Quotas:
    """Token buckets keyed by (account, region, operation). The burst is one
    second's worth of requests, as ACM's quotas are stated per second."""

    def __init__(self, enabled=False, scale=1.0, clock=time.monotonic):
        self.enabled = enabled
        self.scale = scale
        self.clock = clock
        self.frozen = None  # a fixed time: buckets do not refill (tests)
        self.lock = threading.Lock()
        self.buckets = {}
        self.counts = {}

    def take(self, account, region, operation):
        """Counts the call; raises ThrottlingError when over the quota."""
        key = (account, region, operation)
        with self.lock:
            counts = self.counts.setdefault(
                f"{account}/{region}/{operation}",
                {"accepted": 0, "throttled": 0})
            rate = RATES.get(operation)
            if not self.enabled or rate is None:
                counts["accepted"] += 1
                return
            rate *= self.scale
            burst = max(1.0, rate)
            now = self.frozen if self.frozen is not None else self.clock()
            tokens, last = self.buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1.0:
                self.buckets[key] = (tokens, now)
                counts["throttled"] += 1
                raise ThrottlingError(operation, rate)
            self.buckets[key] = (tokens - 1.0, now)
            counts["accepted"] += 1

    def freeze(self, on):
        with self.lock:
            self.frozen = self.clock() if on else None

    def snapshot(self):
        with self.lock:
            return {"enabled": self.enabled, "scale": self.scale,
                    "frozen": self.frozen is not None,
                    "counts": {k: dict(v) for k, v in self.counts.items()}}

    def reset(self):
        with self.lock:
            self.buckets.clear()
            self.counts.clear()
