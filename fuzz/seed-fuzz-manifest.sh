#!/usr/bin/env bash
# Seeds for fuzz-manifest: small valid manifests of every source kind, in
# YAML and JSON, written into the corpus folder given as $1.
set -euo pipefail
out=$1
mkdir -p "$out"
cat >"$out/seed-yaml" <<'YAML'
version: 1
defaults:
  destinations: [{region: eu-west-1}, {region: us-east-1, profile: prod}]
  renew-before: 30d
  tags: {team: edge}
  services: [cloudfront, alb]
certificates:
  - name: www
    files: {certificate: web.pem, private-key: web.key, certificate-chain: chain.pem}
    certificate-arn: {eu-west-1: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc'}
  - name: api
    pkcs12: {path: b.p12, passphrase-file: pass.txt}
    renew-before: 33%
  - name: k8s
    dir: secret
  - name: hsm
    pkcs11: {certificate: 'pkcs11:token=edge;object=www;type=cert', pin-env: PIN}
  - name: internal
    private-ca:
      certificate-authority-arn: arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0f
      dns-names: [a.internal]
      validity: 90d
      key-store: memory
      rotate-key: false
      api-passthrough: {Extensions: '{}'}
YAML
printf '%s\n' '{"version": 1, "certificates": [{"name": "a", "dir": "s", "destinations": [{"region": "eu-west-1", "role-arn": "arn:aws:iam::1:role/r", "external-id": "x"}]}]}' >"$out/seed-json"
