#!/bin/bash
# The shared-file parser against botocore itself: random files built from
# the pieces that matter (sections of every naming, [DEFAULT], keys with
# '=' and ':', indented keys and continuations, comments, blank lines, CR
# and CRLF line ends, Unicode spaces, duplicates, bad lines), each read by
# botocore's configloader (Debian's python3-botocore: raw_config_parse and
# build_profile_map, as the CLI reads ~/.aws/config and ~/.aws/credentials)
# and by `test-aws-ini --dump`; every profile, key and value, and every
# refusal, must agree.
set -euo pipefail
: "${ACMB_TESTS_DIR:?}" "${ACMB_BUILD_DIR:?}"
: "${PYTHON3:=/usr/bin/python3}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-ini-botocore.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PYTHON3" - "$ACMB_BUILD_DIR/tests/test-aws-ini" "$WORK" <<'PY'
import os, random, subprocess, sys
from botocore.configloader import build_profile_map, raw_config_parse

dumper, work = sys.argv[1], sys.argv[2]
names = ["a", "b", "default", "x y", "p", "DEFAULT"]
keys = ["a", "b", "c", "k", "region"]
pieces = ["[a]", "[b]", "[default]", "[profile x y]", '[profile "x y"]', "[profile p]",
          "[p]", "[DEFAULT]", "[profile default]", "a=1", "b : 2", "c=", "  k = v", "\tk=w",
          "  a = 3", "#c", ";c", "  #c", "", "   ", "region = r", "[a] t", "[ b]", "k", "=z",
          "  [a]", "A=5", "x\u00a0=1", "\u3000a=9", "k = v ; not a comment"]
rng = random.Random(20260801)
runs, refused = 600, 0
path = os.path.join(work, "t.ini")
for i in range(runs):
    lines = [rng.choice(pieces) for _ in range(rng.randint(0, 9))]
    nl = rng.choice(["\n", "\r\n", "\r"])
    text = nl.join(lines) + rng.choice(["", nl])
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    try:
        raw = raw_config_parse(path)
        profiles = build_profile_map(raw)["profiles"]
        want = set()
        for style, src in ((1, raw), (0, profiles)):
            for n in names:
                if n not in src:
                    continue
                want.add(f"{style}|{n}|present")
                for k in keys:
                    v = src[n].get(k)
                    # botocore turns nested values into dicts: the C side
                    # keeps them as text starting with a newline.
                    if isinstance(v, str):
                        want.add(f"{style}|{n}|{k}|" + v.replace("\n", "\\n"))
    except Exception:
        want = "ERROR"
        refused += 1
    out = subprocess.run([dumper, "--dump", path] + names, capture_output=True,
                         check=True).stdout.decode()
    got = "ERROR" if out.strip() == "ERROR" else {
        l for l in out.split("\n")
        if l and not (l.count("|") >= 3 and l.split("|", 3)[3].startswith("\\n"))}
    if got != want:
        print(f"case {i}: {text!r}\n  botocore: {want}\n  acmbridge: {got}")
        sys.exit(1)
print(f"ok: {runs} random files read alike by botocore and acmbridge "
      f"({refused} refused by both)")
PY
