#!/usr/bin/env bash
# Installs the Debian 12 packages acmbridge needs to build, test, lint and
# run the demo. Idempotent: does nothing when everything is already there.
set -euo pipefail

PKGS=(
	build-essential cmake pkg-config clang libclang-rt-14-dev
	openssl libssl-dev libcurl4-openssl-dev curl libjansson-dev
	libp11-kit-dev p11-kit libp11-dev softhsm2 opensc libyaml-dev
	libcmocka-dev
	python3 python3-botocore python3-cryptography awscli
	gdb strace valgrind hyperfine time jq
	chromium prometheus
	cppcheck clang-tidy clang-format
	dpkg-dev debhelper lintian scdoc mandoc man-db groff-base bash-completion zsh systemd
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
