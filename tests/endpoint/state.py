"""State of the endpoint kept in the state directory, so tests can inspect it
and it survives restarts: DIR/state.json (resources per service, rewritten
atomically) and DIR/requests.jsonl (the request log, one JSON line each)."""

import json
import os
import threading

# Bound on the in-memory and returned request log; the file keeps everything.
MAX_LOG_IN_MEMORY = 100000


class State:
    """Thread-safe store. Services keep their resources in a dict of their
    own under a name ("acm"); every mutation goes through transaction()."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self._path = os.path.join(directory, "state.json")
        self._log_path = os.path.join(directory, "requests.jsonl")
        self._lock = threading.RLock()
        self._data = {}
        self._log = []
        if os.path.exists(self._path):
            with open(self._path, encoding="utf-8") as f:
                self._data = json.load(f)
        if os.path.exists(self._log_path):
            with open(self._log_path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        self._log.append(json.loads(line))
            self._log = self._log[-MAX_LOG_IN_MEMORY:]

    def transaction(self):
        """Context manager: holds the lock, yields the root dict, and writes
        the file when the block ends without an exception. Operations check
        everything before they change anything, so a failure leaves the
        state as it was."""
        return _Transaction(self)

    def reading(self):
        """Context manager: holds the lock and yields the root dict for
        reading; nothing is written."""
        return _Reading(self)

    def snapshot(self, section):
        with self._lock:
            return json.loads(json.dumps(self._data.get(section, {})))

    def _save(self):
        # Atomic for readers and across restarts; no fsync, since a test
        # server need not survive a machine crash and fsync per request
        # would dominate its latency.
        tmp = self._path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(self._data, sort_keys=True))
        os.replace(tmp, self._path)

    def reset(self):
        with self._lock:
            self._data = {}
            self._log = []
            self._save()
            with open(self._log_path, "w", encoding="utf-8"):
                pass

    def log_request(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self._lock:
            self._log.append(entry)
            if len(self._log) > MAX_LOG_IN_MEMORY:
                del self._log[0]
            with open(self._log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def requests(self):
        with self._lock:
            return list(self._log)


class _Transaction:
    def __init__(self, state):
        self._state = state

    def __enter__(self):
        self._state._lock.acquire()
        return self._state._data

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self._state._save()
        finally:
            self._state._lock.release()
        return False


class _Reading:
    def __init__(self, state):
        self._state = state

    def __enter__(self):
        self._state._lock.acquire()
        return self._state._data

    def __exit__(self, exc_type, exc, tb):
        self._state._lock.release()
        return False
