#!/usr/bin/python3
"""custody-check: looks for a run's secrets outside its memory.

  custody-check.py strace LOG [--allow-create REGEX]... SECRETS
      LOG is `strace -f -yy -xx -s 1000000` output. Fails on any secret form in
      the bytes written or sent to any file descriptor (all writes to one fd
      are joined, so a secret split over two writes is still found; a TLS
      socket carries ciphertext, which matches nothing), on any openat with
      O_CREAT whose path does not match an --allow-create regex, and on any
      creat, rename, link or memfd_create.
  custody-check.py text FILE... SECRETS
      Fails on any secret form in the files (e.g. --debug output), and on a
      credential header (Authorization, X-Amz-Security-Token) that is not
      redacted.

SECRETS are custody-scan's options: --key, --key-passphrase(-file),
--passphrase(-file), --pin, --aws-secret, --secret-file, --public-file.
Exit status 0 clean, 1 found something.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import secrets as acmb_secrets  # noqa: E402

CALL = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$")
FD = re.compile(r"^(\d+)(<(?:->|[^>])*>)?")
STRING = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')
WRITERS = {"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto",
           "sendmsg", "sendmmsg"}
FORBIDDEN = {"creat", "rename", "renameat", "renameat2", "link", "linkat",
             "memfd_create"}


def needles_from(a):
    if a.key_passphrase_file:
        with open(a.key_passphrase_file) as f:
            a.key_passphrase = f.read().rstrip("\r\n")
    passphrases = list(a.passphrase)
    for p in a.passphrase_file:
        with open(p) as f:
            passphrases.append(f.read().rstrip("\r\n"))
    spec = {"keys": [{"path": k, "passphrase": a.key_passphrase} for k in a.key],
            "passphrases": passphrases, "pins": a.pin,
            "aws_secrets": a.aws_secret, "files": a.secret_file,
            "public_files": a.public_file}
    return acmb_secrets.Needles(acmb_secrets.build_forms(spec),
                                acmb_secrets.public_blobs(spec))


def report_hits(where, buf, needles):
    """Text and logs are not page-aligned memory: probe every offset, not
    just every 16th, so even a copy shorter than 31 bytes is found."""
    runs = {}
    for shift in range(acmb_secrets.WINDOW):
        hits, _ = needles.scan(buf[shift:])
        for h in hits:
            runs[(h["offset"] + shift, h["form"])] = h["length"]
    for (off, form), length in sorted(runs.items()):
        print("custody-check: SECRET in %s at offset %d: %d bytes of %s" % (
            where, off, length, form))
    return len(runs)


def check_strace(a, needles):
    per_fd = {}
    bad = 0
    creates = []
    with open(a.log, errors="replace") as f:
        for line in f:
            m = CALL.match(line)
            if not m:
                continue
            name, rest = m.group(2), m.group(3)
            if name in WRITERS:
                fm = FD.match(rest)
                fd = fm.group(0) if fm else "?"
                if "\\x" in fd:
                    fd = re.sub(r"\\x([0-9a-f]{2})",
                                lambda x: chr(int(x.group(1), 16)), fd)
                data = b"".join(bytes.fromhex(s.replace("\\x", ""))
                                for s in STRING.findall(rest))
                per_fd.setdefault(fd, bytearray()).extend(data)
            elif name == "openat" and "O_CREAT" in rest:
                path = re.search(r'"([^"]*)"', rest)
                path = path.group(1) if path else "?"
                # -xx prints paths as \x escapes too.
                if "\\x" in path:
                    path = bytes.fromhex(path.replace("\\x", "")).decode(
                        errors="replace")
                creates.append(path)
            elif name in FORBIDDEN:
                print("custody-check: FORBIDDEN %s(%s" % (name, rest.strip()[:200]))
                bad += 1
    total = 0
    for fd, data in sorted(per_fd.items()):
        total += len(data)
        bad += report_hits("writes to fd " + fd, bytes(data), needles)
    for path in creates:
        if IMPORT_LOCK.search(path):
            # acmbridge import's same-host lock: expected, and it must stay
            # empty (writes show under the descriptor's path with -yy).
            written = sum(len(d) for fd, d in per_fd.items() if path in fd)
            if written:
                print("custody-check: %d BYTES WRITTEN TO THE LOCK FILE %s" % (
                    written, path))
                bad += 1
            else:
                print("custody-check: created %s (the import lock, empty)" % path)
        elif any(re.search(r, path) for r in a.allow_create):
            print("custody-check: created %s (expected)" % path)
        else:
            print("custody-check: UNEXPECTED FILE CREATED %s" % path)
            bad += 1
    print("custody-check: %d bytes written over %d descriptors (%s), "
          "%d files created, %d windows searched: %s" % (
              total, len(per_fd), ", ".join(sorted(per_fd)) or "none",
              len(creates), needles.count(), "CLEAN" if not bad else
              "%d FINDINGS" % bad))
    return bad


# The same-host import lock (src/bridge/import-lock.c): an empty file named
# by a hash, in $XDG_RUNTIME_DIR/acmbridge or /run/lock/acmbridge-UID.
IMPORT_LOCK = re.compile(r"/acmbridge(-[0-9]+)?/import-[0-9a-f]{32}\.lock$")


HEADER = re.compile(r"(?i)(authorization|x-amz-security-token)\s*[:=]\s*(.*)")


def check_text(a, needles):
    bad = 0
    for path in a.files:
        with open(path, "rb") as f:
            data = f.read()
        bad += report_hits(path, data, needles)
        for line in data.decode(errors="replace").splitlines():
            m = HEADER.search(line)
            if m and not re.search(r"(?i)redacted|\*\*\*|<hidden>", m.group(2)):
                print("custody-check: UNREDACTED credential header in %s: %s" % (
                    path, line[:80]))
                bad += 1
        print("custody-check: %s: %d bytes, %d windows searched: %s" % (
            path, len(data), needles.count(), "CLEAN" if not bad else "FINDINGS"))
    return bad


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("mode", choices=("strace", "text"))
    ap.add_argument("files", nargs="+")
    ap.add_argument("--allow-create", action="append", default=[])
    for opt in ("--key", "--passphrase", "--passphrase-file", "--pin",
                "--aws-secret", "--secret-file", "--public-file"):
        ap.add_argument(opt, action="append", default=[])
    ap.add_argument("--key-passphrase")
    ap.add_argument("--key-passphrase-file")
    a = ap.parse_args()
    needles = needles_from(a)
    if a.mode == "strace":
        a.log = a.files[0]
        return 1 if check_strace(a, needles) else 0
    return 1 if check_text(a, needles) else 0


if __name__ == "__main__":
    sys.exit(main())
