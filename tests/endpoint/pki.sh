# Test PKI made with the openssl command at test time (sourced by tests).
# pki_make DIR: root CA, intermediate CA, and leaves signed by the
# intermediate: rsa (RSA-2048), rsa2 (RSA-2048, same names, new key),
# rsa4096, ec-under-rsa (P-256 under the RSA intermediate, which ACM's
# algorithm-match rule refuses), plus ec (P-256) under a P-256 intermediate
# and a self-signed RSA-2048 "self". Each leaf NAME has DIR/NAME.pem,
# DIR/NAME.key (unencrypted PKCS#8); DIR/chain.pem is the RSA intermediate
# then root, DIR/chain-ec.pem the EC intermediate then root.

_pki_leaf() {
	local dir=$1 name=$2 keyspec=$3 cn=$4
	openssl req -new -newkey "$keyspec" -nodes -keyout "$dir/$name.key" \
		-out "$dir/$name.csr" -subj "/O=acmbridge test/CN=$cn" 2>/dev/null
	cat >"$dir/$name.ext" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyEncipherment
		extendedKeyUsage=serverAuth,clientAuth
		subjectAltName=DNS:$cn,DNS:alt.$cn
	EOF
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/int.pem" \
		-CAkey "$dir/int.key" -set_serial "0x$(openssl rand -hex 16)" \
		-days 30 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.pem" \
		2>/dev/null
}

pki_make() {
	local dir=$1
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/root.key" \
		-out "$dir/root.pem" -days 60 -sha256 \
		-subj "/O=acmbridge test/CN=acmbridge Test Root" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/int.key" \
		-out "$dir/int.csr" \
		-subj "/O=acmbridge test/CN=acmbridge Test Intermediate" 2>/dev/null
	printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' \
		'keyUsage=critical,keyCertSign,cRLSign' >"$dir/int.ext"
	openssl x509 -req -in "$dir/int.csr" -CA "$dir/root.pem" \
		-CAkey "$dir/root.key" -set_serial "0x$(openssl rand -hex 16)" \
		-days 45 -sha256 -extfile "$dir/int.ext" -out "$dir/int.pem" \
		2>/dev/null
	cat "$dir/int.pem" "$dir/root.pem" >"$dir/chain.pem"
	_pki_leaf "$dir" rsa rsa:2048 www.example.test
	_pki_leaf "$dir" rsa2 rsa:2048 www.example.test
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/int-ec.key" -out "$dir/int-ec.csr" \
		-subj "/O=acmbridge test/CN=acmbridge Test EC Intermediate" 2>/dev/null
	openssl x509 -req -in "$dir/int-ec.csr" -CA "$dir/root.pem" \
		-CAkey "$dir/root.key" -set_serial "0x$(openssl rand -hex 16)" \
		-days 45 -sha256 -extfile "$dir/int.ext" -out "$dir/int-ec.pem" \
		2>/dev/null
	cat "$dir/int-ec.pem" "$dir/root.pem" >"$dir/chain-ec.pem"
	local leaf ca
	for leaf in ec ec-under-rsa; do
		ca=int-ec
		[ "$leaf" = ec-under-rsa ] && ca=int
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$dir/$leaf.key" 2>/dev/null
		openssl req -new -key "$dir/$leaf.key" -out "$dir/$leaf.csr" \
			-subj "/O=acmbridge test/CN=ec.example.test" 2>/dev/null
		sed 's/www.example.test/ec.example.test/g' "$dir/rsa.ext" >"$dir/$leaf.ext"
		openssl x509 -req -in "$dir/$leaf.csr" -CA "$dir/$ca.pem" \
			-CAkey "$dir/$ca.key" -set_serial "0x$(openssl rand -hex 16)" \
			-days 30 -sha256 -extfile "$dir/$leaf.ext" -out "$dir/$leaf.pem" \
			2>/dev/null
	done
	_pki_leaf "$dir" rsa4096 rsa:4096 big.example.test
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/self.key" \
		-out "$dir/self.pem" -days 30 -sha256 \
		-subj "/CN=self.example.test" \
		-addext subjectAltName=DNS:self.example.test 2>/dev/null
}

# pki_serial PEM: the serial as ACM shows it (lowercase hex, colon-separated).
pki_serial() {
	local hex
	hex=$(openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
	if [ $((${#hex} % 2)) -eq 1 ]; then hex="0$hex"; fi
	echo "$hex" | sed 's/../&:/g; s/:$//'
}

# pki_fingerprint PEM: SHA-256 of the DER certificate, lowercase hex.
pki_fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f'
}
