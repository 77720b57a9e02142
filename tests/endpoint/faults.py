"""Fault injection: rules that make chosen requests fail in chosen ways.

A rule {"operation": "ImportCertificate" | "*", "fault": F, "times": N,
"rate": 0.0-1.0, "seed": S, "seconds": S, "after": K, "delay": seconds} fires
on matching requests that passed authentication, N times (default 1), or with
probability rate (drawn from a generator seeded with seed, for repeatable
runs), or on every one for S seconds from its first firing (a service that
throttles for a while). "after": K lets the first K matching requests through
untouched, so a fault lands mid-run (the third import of a fleet).
"region": R limits a rule to requests signed for region R (a client that
works on several regions at once sends in no fixed order). The first rule
that fires wins."""

import time

import random
import threading

# Faults that answer without applying the operation.
REFUSING = {"throttle", "limit", "500", "502", "503", "504",
            "request-timeout", "drop-before", "access-denied",
            "unknown-operation", "redirect"}
# Faults that apply the operation and then spoil or delay the answer
# ("slow-land" holds the request for `delay` seconds before applying it, so
# a client whose read timeout is shorter gives up before it lands).
APPLYING = {"drop-after", "slow", "slow-land", "malformed", "oversized"}
KINDS = REFUSING | APPLYING

MAX_RULES = 1000
MAX_DELAY = 600.0


class FaultError(ValueError):
    pass


class Rule:
    def __init__(self, spec, clock=time.monotonic):
        if not isinstance(spec, dict):
            raise FaultError("a fault rule must be a JSON object")
        unknown = set(spec) - {"operation", "fault", "times", "rate", "seed",
                               "seconds", "after", "delay", "region"}
        if unknown:
            raise FaultError("unknown fault rule field(s): "
                             + ", ".join(sorted(unknown)))
        self.operation = spec.get("operation", "*")
        if not isinstance(self.operation, str) or not self.operation:
            raise FaultError("'operation' must be an operation name or '*'")
        self.fault = spec.get("fault")
        if self.fault not in KINDS:
            raise FaultError(f"'fault' must be one of: {', '.join(sorted(KINDS))}")
        self.rate = spec.get("rate")
        self.times = spec.get("times")
        self.seconds = spec.get("seconds")
        if sum(x is not None for x in (self.rate, self.times, self.seconds)) > 1:
            raise FaultError("give one of 'times', 'rate' or 'seconds'")
        self.after = spec.get("after", 0)
        self.region = spec.get("region")
        if self.region is not None and (not isinstance(self.region, str)
                                        or not self.region):
            raise FaultError("'region' must be a region name")
        if isinstance(self.after, bool) or not isinstance(
                self.after, int) or self.after < 0:
            raise FaultError("'after' must be a non-negative integer")
        self._clock = clock
        self._until = None  # set by the first firing of a 'seconds' rule
        if self.seconds is not None:
            if isinstance(self.seconds, bool) or not isinstance(
                    self.seconds, (int, float)) or not 0 < self.seconds <= MAX_DELAY:
                raise FaultError(f"'seconds' must be over 0 and at most {MAX_DELAY:g}")
            if "seed" in spec:
                raise FaultError("'seed' goes with 'rate'")
        elif self.rate is not None:
            if isinstance(self.rate, bool) or not isinstance(
                    self.rate, (int, float)) or not 0.0 <= self.rate <= 1.0:
                raise FaultError("'rate' must be a number from 0.0 to 1.0")
            seed = spec.get("seed")
            if seed is not None and (isinstance(seed, bool)
                                     or not isinstance(seed, int)):
                raise FaultError("'seed' must be an integer")
            self._random = random.Random(seed)
        else:
            if "seed" in spec:
                raise FaultError("'seed' goes with 'rate'")
            if self.times is None:
                self.times = 1
            if isinstance(self.times, bool) or not isinstance(
                    self.times, int) or self.times < 1:
                raise FaultError("'times' must be a positive integer")
        self.delay = spec.get("delay", 0)
        if isinstance(self.delay, bool) or not isinstance(
                self.delay, (int, float)) or not 0 <= self.delay <= MAX_DELAY:
            raise FaultError(f"'delay' must be 0 to {MAX_DELAY:g} seconds")
        self.fired = 0

    def describe(self):
        d = {"operation": self.operation, "fault": self.fault,
             "delay": self.delay, "fired": self.fired}
        if self.region is not None:
            d["region"] = self.region
        if self.rate is not None:
            d["rate"] = self.rate
        elif self.seconds is not None:
            d["seconds"] = self.seconds
        else:
            d["times_left"] = self.times
        if self.after:
            d["after_left"] = self.after
        return d

    def _fires(self, operation, region):
        if self.operation not in ("*", operation):
            return False
        if self.region is not None and region != self.region:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        if self.rate is not None:
            return self._random.random() < self.rate
        if self.seconds is not None:
            now = self._clock()
            if self._until is None:
                self._until = now + self.seconds
            return now < self._until
        return self.times > 0

    def spent(self):
        """A rule that can never fire again."""
        if self.seconds is not None:
            return self._until is not None and self._clock() >= self._until
        return self.rate is None and self.times == 0


class Faults:
    """The active rules; safe to use from many threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    @staticmethod
    def parse(document):
        """Returns a list of Rule from a rule object or a list of them;
        raises FaultError naming the bad field."""
        specs = document if isinstance(document, list) else [document]
        if len(specs) > MAX_RULES:
            raise FaultError(f"at most {MAX_RULES} rules")
        return [Rule(s) for s in specs]

    def add(self, rules):
        with self._lock:
            if len(self._rules) + len(rules) > MAX_RULES:
                raise FaultError(f"at most {MAX_RULES} rules")
            self._rules.extend(rules)

    def clear(self):
        with self._lock:
            self._rules = []

    def describe(self):
        with self._lock:
            return [r.describe() for r in self._rules]

    def take(self, operation, region=None):
        """Returns the Rule that fires for this request (signed for region,
        when known), or None; a rule with times left is used up by one."""
        with self._lock:
            for rule in self._rules:
                if rule._fires(operation, region):
                    rule.fired += 1
                    if rule.times is not None:
                        rule.times -= 1
                    if rule.spent():
                        self._rules.remove(rule)
                    return rule
            # A window that has closed is dropped on the next request.
            self._rules = [r for r in self._rules if not r.spent()]
        return None
