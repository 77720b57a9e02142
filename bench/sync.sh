#!/usr/bin/env bash
# acmbridge sync against the shell loop people run today (`aws acm
# list-certificates` per region, then `aws acm import-certificate` per
# certificate), same local endpoint (plain HTTP), same material, one run:
#  (a) no-op over N unchanged entries x 2 regions (default 2,000): listing
#      calls per region (target <= 4 pages), per-certificate calls (target
#      0), wall time. The loop lists the region, then reimports each
#      certificate into the ARN it found (it cannot tell an unchanged one
#      without a call); it is timed on LOOP_SAMPLE certificates per region
#      and its per-certificate cost multiplied out to N (it makes exactly one
#      aws process and one call per certificate, so that is the figure).
#  (b) IMPORTS new imports over 3 regions (default 300) with the endpoint's
#      quotas scaled x10 (ImportCertificate 10/s per region: a bound of
#      30/s): sustained imports/s (applied ImportCertificate calls in the
#      endpoint's log, first to last) as a share of that bound (target >=
#      0.9), 0 failed items. acmbridge's client-side limiter is set to the
#      same x10 rates (ACMB_TEST_AWS_RATES, so this bench builds with
#      -DACMB_TEST_HOOKS=ON: the hook only changes the published rates, as an
#      account with raised quotas would). The loop imports LOOP_SAMPLE
#      certificates per region.
#  (c) peak RSS (/usr/bin/time -v) of the no-op at N and at N/10 entries
#      (target < 32 MiB and not growing with N), and of (b)'s applying run.
# The N entries are EC P-256 leaves made by python3-cryptography in a temp
# dir; ACM is seeded with them (tagged acmbridge:name, as sync tags) through
# the endpoint's own ImportCertificate code in-process, state written once:
# through HTTP the endpoint rewrites its whole state file per import (it is
# a test server), which makes seeding 4,000 certificates O(N^2).
#
#   bench/sync.sh [N] [IMPORTS] [LOOP_SAMPLE]   (defaults 2000 300 20)
#
# Figures, 2026-12-02, after the parallel apply (`bench/sync.sh 2000 300 3`,
# 2 cores, nice'd; wall times are noisy, the counts are exact):
#  (a) sync: 4000/4000 unchanged; listing calls 4 per region (SearchCertificates,
#      500 a page: target <= 4, met); per-certificate calls 0 (met); wall
#      6.6 s. Shell loop: 4 list pages in 2.0 s, then 1 import-certificate
#      per certificate, 1.0 s each: ~4,030 s for 4,000 (612x).
#  (b) sync: 300 done, 0 failed, 0 not done; 300 imports in 9.53 s first to
#      last: 31.4 imports/s = 1.05 of the 30/s bound (target >= 0.9: met;
#      over 1 because each region's first ten imports spend the bucket's
#      one-second burst); wall 11.7 s; 3 throttled answers, each retried
#      (ImportCertificate 303 calls); DescribeCertificate 300 and
#      GetCertificate 300 (the check that ACM holds what was sent),
#      SearchCertificates 6 (one listing per region to plan, one to
#      converge); peak RSS 15.5 MiB. Shell loop: 9 imports in 10.0 s, 0.9/s
#      (0.03 of the bound). Before (serial destinations, a 2 s settle and a
#      search per import): 0.47 imports/s = 0.02, with 903 SearchCertificates
#      and 900 GetCertificate calls for the 300 imports.
#  (c) peak RSS of the no-op: 27.4 MiB at 2,000 entries x 2 regions, 18.8
#      MiB at 200 x 2 (target < 32 MiB: met; it still grows, ~2 KiB per
#      item). The helper's run of the same build at three sizes: 24.7 MiB
#      at 2,000 x 2, 21.5 at 1,000 x 2, 18.3 at 200 x 2 (1.8 KiB per item).
#      Before: 175.6 / 94.3 / 33.4 MiB, 40.5 KiB per item: struct
#      acmb_sync_item was 39,120 bytes (src/bridge/plan.h: 52 fixed
#      tag-change slots of 656 bytes, role_arn and arn 2,049 each); it is
#      936 now (tag changes and ARNs on the heap, allocated only when there
#      are some), and --output json writes its items one at a time instead
#      of building the whole document (2.4 KiB per item as jansson objects).
#      Per item now: the item (0.9 KiB), its ARN strings (0.2), the manifest
#      entry it came from (~1.4 KiB per entry, held for the run). The ~17 MiB
#      floor is the libraries and the 4,000-certificate inventory (it
#      follows what ACM holds, not the manifest).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
IMPORTS=${2:-300}
SAMPLE=${3:-20}
BUILD=${ACMB_BENCH_BUILD:-$PWD/build-bench-sync}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DACMB_TESTS=OFF -DACMB_TEST_HOOKS=ON >/dev/null
cmake --build "$BUILD" -j2 --target acmbridge >/dev/null
ACMB=$BUILD/acmbridge
AWS=/usr/bin/aws
export ACMB_TESTS_DIR=$PWD/tests PYTHON3=/usr/bin/python3 AWS_PAGER=
# The loop's aws CLI makes one attempt a call (what it costs is counted);
# acmbridge keeps its own default: a throttled answer is retried.
aws_loop() { AWS_MAX_ATTEMPTS=1 "$AWS" "$@"; }
# shellcheck source=../tests/lib/endpoint.sh
. tests/lib/endpoint.sh
D=$(mktemp -d "${TMPDIR:-/tmp}/acmb-bench-sync.XXXXXX")
trap 'rm -rf "$D"; _endpoint_on_exit' EXIT
status=0
now() { date +%s.%N; }

# make_fleet DIR COUNT PREFIX: COUNT EC P-256 leaves under one root, files
# PREFIXi.pem / PREFIXi.key (0600) and root.pem, in DIR.
make_fleet() {
	"$PYTHON3" - "$@" <<'PY'
import datetime, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
d, count, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = datetime.datetime.utcnow()
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
rk = ec.generate_private_key(ec.SECP256R1())
root = (x509.CertificateBuilder().subject_name(name("Bench Sync Root")).issuer_name(name("Bench Sync Root"))
        .public_key(rk.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(rk, hashes.SHA256()))
open(os.path.join(d, prefix + "root.pem"), "wb").write(root.public_bytes(serialization.Encoding.PEM))
for i in range(count):
    k = ec.generate_private_key(ec.SECP256R1())
    cn = "%s%d.bench.example.test" % (prefix, i)
    c = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(root.subject)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=200))
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
         .sign(rk, hashes.SHA256()))
    open(os.path.join(d, "%s%d.pem" % (prefix, i)), "wb").write(c.public_bytes(serialization.Encoding.PEM))
    fd = os.open(os.path.join(d, "%s%d.key" % (prefix, i)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))
    os.close(fd)
PY
}

# manifest OUT PREFIX COUNT REGIONS...: a manifest of COUNT entries.
manifest() {
	local out=$1 prefix=$2 count=$3 i
	shift 3
	{
		echo "version: 1"
		echo "defaults:"
		printf '  destinations: ['
		local sep=""
		for r in "$@"; do
			printf '%s{region: %s}' "$sep" "$r"
			sep=", "
		done
		echo "]"
		echo "certificates:"
		for ((i = 0; i < count; i++)); do
			echo "  - name: $prefix$i"
			echo "    files: {certificate: $prefix$i.pem, private-key: $prefix$i.key, certificate-chain: ${prefix}root.pem}"
		done
	} >"$out"
}

# ops OP [SINCE]: requests of operation OP in the endpoint's log (from index SINCE).
ops() {
	endpoint_requests | jq --arg op "$1" --argjson n "${2:-0}" \
		'[.requests[$n:][] | select(.operation == $op)] | length'
}
nreq() { endpoint_requests | jq '.requests | length'; }
# rss_kib FILE: "Maximum resident set size" of a /usr/bin/time -v report.
rss_kib() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "generating $N entries and $IMPORTS/3 for (b) ..."
t0=$(now)
make_fleet "$D" "$N" e
make_fleet "$D" $((IMPORTS / 3)) n
echo "  $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
manifest "$D/fleet.yaml" e "$N" us-east-1 eu-west-1
manifest "$D/small.yaml" e $((N / 10)) us-east-1 eu-west-1
manifest "$D/new.yaml" n $((IMPORTS / 3)) us-east-1 eu-west-1 ap-southeast-2

echo "seeding ACM with $N x 2 certificates (in-process, the endpoint's import code) ..."
mkdir -p "$D/state"
t0=$(now)
"$PYTHON3" - "$D" "$N" <<'PY'
import datetime, os, sys
sys.path.insert(0, os.path.join(os.environ["ACMB_TESTS_DIR"], "endpoint"))
from state import State
from acm import AcmService
d, n = sys.argv[1], int(sys.argv[2])
st = State(os.path.join(d, "state"))
save = st._save
st._save = lambda: None  # once, at the end
svc = AcmService(st, "123456789012")
class Ctx:
    def __init__(self, region):
        self.region, self.account, self.request_id = region, None, "seed"
        self.now = datetime.datetime.utcnow()
        self.clock = datetime.datetime.utcnow
for region in ("us-east-1", "eu-west-1"):
    ctx = Ctx(region)
    for i in range(n):
        r = lambda s: open(os.path.join(d, s), "rb").read()
        svc.import_certificate({"Certificate": r("e%d.pem" % i), "PrivateKey": r("e%d.key" % i),
                                "CertificateChain": r("eroot.pem"),
                                "Tags": [{"Key": "acmbridge:name", "Value": "e%d" % i}]}, ctx)
save()
PY
echo "  $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
_ACMB_ENDPOINT_TMP=$D
endpoint_start
URL=$ACMB_ENDPOINT_URL

echo
echo "(a) no-op over $N unchanged entries x 2 regions"
before=$(nreq)
t0=$(now)
nice /usr/bin/time -v -o "$D/noop.time" "$ACMB" sync --manifest "$D/fleet.yaml" --endpoint-url "$URL" \
	--output json >"$D/noop.json" 2>"$D/noop.err" || { cat "$D/noop.err"; exit 2; }
t_noop=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
unchanged=$(jq '[.Items[] | select(.Action == "unchanged")] | length' "$D/noop.json")
all=$(endpoint_requests | jq --argjson n "$before" '.requests[$n:] | length')
listing=$(endpoint_requests | jq --argjson n "$before" \
	'[.requests[$n:][] | select(.operation == "SearchCertificates" or .operation == "ListCertificates")] | group_by(.region) | map("\(.[0].region)=\(length)") | join(" ")')
percert=$((all - $(endpoint_requests | jq --argjson n "$before" \
	'[.requests[$n:][] | select(.operation == "SearchCertificates" or .operation == "ListCertificates")] | length')))
maxpages=$(endpoint_requests | jq --argjson n "$before" \
	'[.requests[$n:][] | select(.operation == "SearchCertificates" or .operation == "ListCertificates")] | group_by(.region) | map(length) | max')
echo "  acmbridge sync: $unchanged/$((2 * N)) items unchanged; listing calls per region: $listing (target <= 4); per-certificate calls: $percert (target 0); wall $t_noop s"
[ "$unchanged" -eq $((2 * N)) ] || { echo "  NOT a no-op: the seeding did not match"; status=1; }
[ "$maxpages" -le 4 ] && [ "$percert" -eq 0 ] || { echo "  target MISSED"; status=1; }

# The loop: list the region (every page), then reimport each certificate
# into the ARN its domain maps to.
loop_noop() {
	local region=$1 count=$2 i arn
	aws_loop --endpoint-url "$URL" --region "$region" acm list-certificates \
		--includes keyTypes=EC_prime256v1 --query 'CertificateSummaryList[].[DomainName,CertificateArn]' \
		--output text >"$D/list-$region.txt"
	for ((i = 0; i < count; i++)); do
		arn=$(awk -v d="e$i.bench.example.test" '$1 == d { print $2; exit }' "$D/list-$region.txt")
		aws_loop --endpoint-url "$URL" --region "$region" acm import-certificate --certificate-arn "$arn" \
			--certificate "fileb://$D/e$i.pem" --private-key "fileb://$D/e$i.key" \
			--certificate-chain "fileb://$D/eroot.pem" --output text >/dev/null
	done
}
before=$(nreq)
t0=$(now)
loop_noop us-east-1 0
loop_noop eu-west-1 0
t_list=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
pages=$(ops ListCertificates "$before")
t0=$(now)
loop_noop us-east-1 "$SAMPLE"
loop_noop eu-west-1 "$SAMPLE"
t_sample=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
per=$(awk -v s="$t_sample" -v l="$t_list" -v n="$SAMPLE" 'BEGIN { printf "%.3f", (s - l) / (2 * n) }')
loop_total=$(awk -v l="$t_list" -v p="$per" -v n="$N" 'BEGIN { printf "%.0f", l + 2 * n * p }')
echo "  shell loop: listing $pages calls for both regions in $t_list s; then $((2 * N)) import-certificate calls (1 per certificate); measured on $SAMPLE per region: $per s each; wall for $N x 2: ~$loop_total s"
echo "  ratio (loop / sync wall): $(awk -v a="$loop_total" -v b="$t_noop" 'BEGIN { printf "%.0f", a / b }')x"

echo
echo "(c) peak RSS of the no-op at $N and at $((N / 10)) entries"
nice /usr/bin/time -v -o "$D/small.time" "$ACMB" sync --manifest "$D/small.yaml" --endpoint-url "$URL" \
	--output json >/dev/null 2>"$D/small.err" || { cat "$D/small.err"; exit 2; }
r_big=$(rss_kib "$D/noop.time")
r_small=$(rss_kib "$D/small.time")
echo "  $N entries: $(mib "$r_big") MiB; $((N / 10)) entries: $(mib "$r_small") MiB (target < 32 MiB)"
[ "$r_big" -lt $((32 * 1024)) ] || { echo "  target MISSED"; status=1; }

echo
echo "(b) $IMPORTS new imports over 3 regions, quotas x10 (bound 30 imports/s)"
endpoint_stop
endpoint_start --quotas --quota-scale 10
URL=$ACMB_ENDPOINT_URL
endpoint_reset
export ACMB_TEST_AWS_RATES="acm:ImportCertificate=10,acm:ListCertificates=10,acm:SearchCertificates=10,acm:DescribeCertificate=100,acm:GetCertificate=100,acm:ListTagsForCertificate=100,acm:AddTagsToCertificate=50,acm:RemoveTagsFromCertificate=50"
t0=$(now)
nice /usr/bin/time -v -o "$D/new.time" "$ACMB" sync --manifest "$D/new.yaml" --endpoint-url "$URL" \
	--output json >"$D/new.json" 2>"$D/new.err" || true
t_new=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
unset ACMB_TEST_AWS_RATES
"$PYTHON3" - "$D/new.json" "$t_new" "$(rss_kib "$D/new.time")" <<'PY' || status=1
import json, subprocess, sys, os, datetime
res = json.load(open(sys.argv[1]))
log = json.loads(subprocess.run(["curl", "-sS", os.environ["ACMB_ENDPOINT_URL"] + "/__control/requests"],
                                stdout=subprocess.PIPE, check=True).stdout)["requests"]
def t(x):
    return x if isinstance(x, (int, float)) else datetime.datetime.fromisoformat(x.rstrip("Z")).timestamp()
imp = sorted(t(r["time"]) for r in log if r.get("operation") == "ImportCertificate" and r.get("applied"))
throttled = sum(1 for r in log if r.get("error") == "ThrottlingException")
ops = {}
for r in log:
    ops[r.get("operation")] = ops.get(r.get("operation"), 0) + 1
rate = (len(imp) - 1) / (imp[-1] - imp[0]) if len(imp) > 1 and imp[-1] > imp[0] else 0.0
share = rate / 30.0
print("  acmbridge sync: %d done, %d failed, %d not done; %d imports applied in %.2f s (first to last): "
      "%.2f imports/s = %.2f of the 30/s bound (target >= 0.9); wall %s s; %d throttled answers; "
      "calls: %s; peak RSS %.1f MiB" % (res["Done"], res["Failed"], res["NotDone"], len(imp),
      imp[-1] - imp[0] if imp else 0, rate, share, sys.argv[2], throttled,
      ", ".join("%s %d" % kv for kv in sorted(ops.items())), int(sys.argv[3]) / 1024))
ok = res["Failed"] == 0 and res["NotDone"] == 0 and share >= 0.9
if not ok:
    print("  target MISSED")
sys.exit(0 if ok else 1)
PY
# The loop at the same quotas: a sample of new imports per region, in turn.
endpoint_reset
t0=$(now)
for ((i = 0; i < SAMPLE; i++)); do
	for region in us-east-1 eu-west-1 ap-southeast-2; do
		aws_loop --endpoint-url "$URL" --region "$region" acm import-certificate \
			--certificate "fileb://$D/n$i.pem" --private-key "fileb://$D/n$i.key" \
			--certificate-chain "fileb://$D/nroot.pem" --output text >/dev/null
	done
done
t_loop=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
echo "  shell loop: $((3 * SAMPLE)) imports in $t_loop s: $(awk -v n=$((3 * SAMPLE)) -v t="$t_loop" 'BEGIN { printf "%.1f imports/s = %.2f of the bound", n / t, n / t / 30 }')"
exit $status
