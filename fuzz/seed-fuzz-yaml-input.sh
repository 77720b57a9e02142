#!/usr/bin/env bash
# Seeds for fuzz-yaml-input: the AWS CLI's yaml-input skeleton for
# import-certificate and documents shaped like it (block and flow style,
# !!binary, literal blocks, anchors, several documents).
# Usage: fuzz/seed-fuzz-yaml-input.sh OUTDIR
set -euo pipefail
out=${1:?usage: seed-fuzz-yaml-input.sh OUTDIR}
mkdir -p "$out"
seed() { printf '%s' "$1" >"$out/$(printf '%s' "$1" | sha1sum | cut -c1-40)"; }
seed "CertificateArn: ''  # The ARN
Certificate: !!binary '' # [REQUIRED]
PrivateKey: !!binary ''
CertificateChain: !!binary ''
Tags:
- Key: ''  # [REQUIRED] The key of the tag.
  Value: '' # The value of the tag.
"
seed "Certificate: |
  -----BEGIN CERTIFICATE-----
  MIIBszCCAVmgAwIBAgIUQ==
  -----END CERTIFICATE-----
PrivateKey: !!binary |
  LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t
Tags: [{Key: a, Value: b}, {Key: 'n', Value: 1}]
"
seed "a: &x [1, 2]
b: *x
"
seed "--- {a: 1}
--- {b: 2}
"
seed "x: ~
y: true
z: 1.5e3
w: \"esc\\u00e9\\n\"
"
