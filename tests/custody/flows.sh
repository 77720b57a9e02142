# The flows every custody test runs (sourced after lib.sh and make_material).
# Each flow is one line: NAME|EXPECTED_EXIT|RESULT_FD|SECRET_OPTS|STDIN|ARGS
# SECRET_OPTS are custody-scan options naming the run's secrets; ARGS are
# acmbridge's arguments ($M is the material dir, expanded at use).
# check_flows: `acmbridge check` with every kind of file input and the
# failure paths reachable after the key was read.
check_flows() {
	cat <<'FLOWS'
check-pkcs1|0|1|--key $M/rsa-pkcs1.pem --public-file $M/rsa-pkcs1.crt||check --certificate $M/rsa-pkcs1.crt --private-key $M/rsa-pkcs1.pem
check-pkcs8|0|1|--key $M/rsa-pkcs8.pem --public-file $M/rsa-pkcs8.crt||check --certificate $M/rsa-pkcs8.crt --private-key $M/rsa-pkcs8.pem
check-sec1|0|1|--key $M/ec-sec1.pem --public-file $M/ec-sec1.crt||check --certificate $M/ec-sec1.crt --private-key $M/ec-sec1.pem
check-der|0|1|--key $M/rsa-pkcs8.der --public-file $M/rsa-pkcs8.crt||check --certificate $M/rsa-pkcs8.crt --private-key fileb://$M/rsa-pkcs8.der
check-stdin|0|1|--key $M/rsa-pkcs1.pem --public-file $M/rsa-pkcs1.crt|$M/rsa-pkcs1.pem|check --certificate $M/rsa-pkcs1.crt --private-key -
check-encrypted-file|0|1|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt||check --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-file $M/pass.txt
check-encrypted-env|0|1|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt||check --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-env CUSTODY_PASS
check-pkcs12|0|1|--key $M/bundle.p12 --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/bundle.p12 --public-file $M/p12.crt||check --pkcs12 $M/bundle.p12 --passphrase-file $M/pass.txt
fail-key-mismatch|3|1|--key $M/rsa-pkcs8.pem --public-file $M/rsa-enc.crt||check --certificate $M/rsa-enc.crt --private-key $M/rsa-pkcs8.pem
fail-wrong-passphrase|2|2|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/wrong.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt||check --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-file $M/wrong.txt
FLOWS
}

# flow_fields LINE: sets F_NAME F_EXIT F_FD F_SECRETS (array) F_STDIN F_ARGS (array)
flow_fields() {
	local line=${1//\$M/$M}
	IFS='|' read -r F_NAME F_EXIT F_FD secrets F_STDIN args <<<"$line"
	read -r -a F_SECRETS <<<"$secrets"
	read -r -a F_ARGS <<<"$args"
}
