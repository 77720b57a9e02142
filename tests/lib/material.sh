# Test material made at test time with the openssl command: keys of any
# type, self-signed roots, intermediates and leaves with SANs, AIA, EKU,
# chosen validity dates, and version 1 certificates. Nothing is checked in.
#
# Source it, then:
#   mat_setup [DIR]          make (or use) a work dir; sets MAT_DIR; mat_cleanup removes it
#   mat_key FILE SPEC        SPEC: rsa:BITS ec:CURVE ed25519 ed448 dsa:BITS rsa-pss:BITS
#   mat_cert NAME [options]  writes $MAT_DIR/NAME.pem (certificate) and NAME.key
#       --key SPEC           key to generate (default ec:prime256v1)
#       --keyfile FILE       use an existing key instead
#       --subj DN            subject, e.g. "/CN=Example Intermediate CA" (default /CN=NAME)
#       --issuer NAME        sign with $MAT_DIR/NAME.{pem,key} (default: self-signed)
#       --ca                 basicConstraints CA:TRUE, keyCertSign (roots, intermediates)
#       --san LIST           subjectAltName, e.g. "DNS:a.example,DNS:b.example"
#       --sans N             N generated DNS names (thousands are fine)
#       --ocsp URL           AIA OCSP URL
#       --eku LIST           extendedKeyUsage, e.g. serverAuth,clientAuth
#       --not-before WHEN    date(1) -d expression, e.g. "-2 days", "+1 year"
#       --not-after WHEN     (default "+365 days")
#       --v1                 no extensions at all: an X.509 version 1 certificate
#   mat_chain OUT NAME...    concatenates $MAT_DIR/NAME.pem files into OUT
#   mat_cached_key FILE SPEC like mat_key, but reuses $MAT_CACHE_DIR (for RSA 8192)
#
# Each function returns non-zero (and prints why) when openssl fails.

mat_setup() {
	if [ -n "${1:-}" ]; then
		MAT_DIR=$1
		mkdir -p "$MAT_DIR"
	else
		MAT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/acmb-mat.XXXXXX")
	fi
	mkdir -p "$MAT_DIR/.ca/new"
	: >"$MAT_DIR/.ca/index.txt"
	cat >"$MAT_DIR/.ca/ca.cnf" <<EOF
[ ca ]
default_ca = mat_ca
[ mat_ca ]
dir = $MAT_DIR/.ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
rand_serial = yes
default_md = sha256
policy = mat_policy
unique_subject = no
email_in_dn = no
preserve = yes
[ mat_policy ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
emailAddress = optional
[ req ]
distinguished_name = mat_dn
prompt = no
[ mat_dn ]
CN = placeholder
EOF
	export MAT_DIR
}

mat_cleanup() {
	if [ -n "${MAT_DIR:-}" ] && [ -d "$MAT_DIR" ]; then
		rm -rf "$MAT_DIR"
	fi
}

mat_key() {
	local file=$1 spec=$2
	case $spec in
	rsa:*)
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${spec#rsa:}" \
		    -out "$file" 2>/dev/null ;;
	rsa-pss:*)
		openssl genpkey -algorithm RSA-PSS -pkeyopt "rsa_keygen_bits:${spec#rsa-pss:}" \
		    -out "$file" 2>/dev/null ;;
	ec:*)
		openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${spec#ec:}" \
		    -pkeyopt ec_param_enc:named_curve -out "$file" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$file" 2>/dev/null ;;
	ed448) openssl genpkey -algorithm ED448 -out "$file" 2>/dev/null ;;
	dsa:*)
		openssl genpkey -genparam -algorithm DSA -pkeyopt "dsa_paramgen_bits:${spec#dsa:}" \
		    -out "$file.params" 2>/dev/null &&
		    openssl genpkey -paramfile "$file.params" -out "$file" 2>/dev/null
		local rc=$?
		rm -f "$file.params"
		return $rc ;;
	*)
		echo "mat_key: unknown key spec '$spec'" >&2
		return 2 ;;
	esac || { echo "mat_key: openssl failed for $spec" >&2; return 1; }
}

mat_cached_key() {
	local file=$1 spec=$2 cache
	cache="${MAT_CACHE_DIR:-${TMPDIR:-/tmp}/acmb-mat-cache}"
	mkdir -p "$cache"
	if [ ! -s "$cache/${spec/:/-}.key" ]; then
		mat_key "$cache/${spec/:/-}.key.tmp$$" "$spec" || return 1
		mv "$cache/${spec/:/-}.key.tmp$$" "$cache/${spec/:/-}.key"
	fi
	cp "$cache/${spec/:/-}.key" "$file"
}

mat_date() {
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

mat_cert() {
	local name=$1
	shift
	local keyspec=ec:prime256v1 keyfile="" subj="/CN=$name" issuer="" ca=0 san="" sans=0
	local ocsp="" eku="" nb="-1 hour" na="+365 days" v1=0
	while [ $# -gt 0 ]; do
		case $1 in
		--key) keyspec=$2; shift ;;
		--keyfile) keyfile=$2; shift ;;
		--subj) subj=$2; shift ;;
		--issuer) issuer=$2; shift ;;
		--ca) ca=1 ;;
		--san) san=$2; shift ;;
		--sans) sans=$2; shift ;;
		--ocsp) ocsp=$2; shift ;;
		--eku) eku=$2; shift ;;
		--not-before) nb=$2; shift ;;
		--not-after) na=$2; shift ;;
		--v1) v1=1 ;;
		*) echo "mat_cert: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	local d=$MAT_DIR
	if [ -n "$keyfile" ]; then
		cp "$keyfile" "$d/$name.key"
	else
		mat_key "$d/$name.key" "$keyspec" || return 1
	fi
	local ext="$d/.ca/$name.ext"
	: >"$ext"
	if [ $v1 -eq 0 ]; then
		{
			echo "[ mat_ext ]"
			echo "subjectKeyIdentifier = hash"
			if [ -n "$issuer" ]; then
				echo "authorityKeyIdentifier = keyid"
			fi
			if [ $ca -eq 1 ]; then
				echo "basicConstraints = critical, CA:TRUE"
				echo "keyUsage = critical, keyCertSign, cRLSign, digitalSignature"
			else
				echo "basicConstraints = CA:FALSE"
				echo "keyUsage = critical, digitalSignature, keyEncipherment"
			fi
			if [ $sans -gt 0 ]; then
				printf 'subjectAltName = DNS:%s' "$name.example"
				local i
				for ((i = 1; i < sans; i++)); do
					printf ',DNS:h%d.%s.example' "$i" "$name"
				done
				echo
			elif [ -n "$san" ]; then
				echo "subjectAltName = $san"
			fi
			if [ -n "$ocsp" ]; then
				echo "authorityInfoAccess = OCSP;URI:$ocsp"
			fi
			if [ -n "$eku" ]; then
				echo "extendedKeyUsage = $eku"
			fi
		} >"$ext"
	fi
	local csr="$d/.ca/$name.csr"
	openssl req -new -config "$d/.ca/ca.cnf" -key "$d/$name.key" -out "$csr" \
	    2>"$d/.ca/$name.err" || { cat "$d/.ca/$name.err" >&2; return 1; }
	local signer=()
	if [ -n "$issuer" ]; then
		signer=(-cert "$d/$issuer.pem" -keyfile "$d/$issuer.key")
	else
		signer=(-selfsign -keyfile "$d/$name.key")
	fi
	local extargs=()
	if [ $v1 -eq 0 ]; then
		extargs=(-extfile "$ext" -extensions mat_ext)
	fi
	openssl ca -batch -config "$d/.ca/ca.cnf" -notext -subj "$subj" -multivalue-rdn \
	    -startdate "$(mat_date "$nb")" -enddate "$(mat_date "$na")" \
	    "${signer[@]}" "${extargs[@]}" -in "$csr" -out "$d/$name.pem" \
	    2>"$d/.ca/$name.err" || { cat "$d/.ca/$name.err" >&2; return 1; }
}

mat_chain() {
	local out=$1
	shift
	: >"$out"
	local n
	for n in "$@"; do
		cat "$MAT_DIR/$n.pem" >>"$out"
	done
}

# mat_corrupt_rsa_key IN OUT: writes an RSA key (PKCS#1 PEM) whose public
# part (n, e) is intact but whose private exponents d, dp and dq each have one
# byte changed, so only a sign/verify test can tell it from the real key.
mat_corrupt_rsa_key() {
	local in=$1 out=$2 der="$MAT_DIR/.ca/corrupt.der"
	openssl rsa -in "$in" -traditional -outform DER -out "$der" 2>/dev/null || return 1
	local idx=0 off hl len pos byte
	while read -r off hl len; do
		# INTEGERs at depth 1: version n e d p q dp dq qinv
		if [ "$idx" -eq 3 ] || [ "$idx" -eq 6 ] || [ "$idx" -eq 7 ]; then
			pos=$((off + hl + len / 2))
			byte=$(od -An -tu1 -j "$pos" -N1 "$der" | tr -d ' ')
			printf "\\$(printf '%03o' $(((byte ^ 0x5a) & 0xff)))" |
			    dd of="$der" bs=1 seek="$pos" conv=notrunc status=none
		fi
		idx=$((idx + 1))
	done < <(openssl asn1parse -inform DER -in "$der" |
	    sed -n 's/^ *\([0-9]*\):d=1 *hl= *\([0-9]*\) *l= *\([0-9]*\) *prim: INTEGER.*/\1 \2 \3/p')
	{
		echo "-----BEGIN RSA PRIVATE KEY-----"
		base64 -w64 "$der"
		echo "-----END RSA PRIVATE KEY-----"
	} >"$out"
	rm -f "$der"
}

# mat_corrupt_ec_key IN OUT: an EC key (SEC1 PEM) that keeps its public
# point but has a different private scalar.
mat_corrupt_ec_key() {
	local in=$1 out=$2 der="$MAT_DIR/.ca/corrupt.der" off hl len pos byte
	openssl ec -in "$in" -outform DER -out "$der" 2>/dev/null || return 1
	read -r off hl len < <(openssl asn1parse -inform DER -in "$der" |
	    sed -n 's/^ *\([0-9]*\):d=1 *hl= *\([0-9]*\) *l= *\([0-9]*\) *prim: OCTET STRING.*/\1 \2 \3/p' |
	    head -1)
	pos=$((off + hl + len / 2))
	byte=$(od -An -tu1 -j "$pos" -N1 "$der" | tr -d ' ')
	printf "\\$(printf '%03o' $(((byte ^ 0x5a) & 0xff)))" |
	    dd of="$der" bs=1 seek="$pos" conv=notrunc status=none
	{
		echo "-----BEGIN EC PRIVATE KEY-----"
		base64 -w64 "$der"
		echo "-----END EC PRIVATE KEY-----"
	} >"$out"
	rm -f "$der"
}
