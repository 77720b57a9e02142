#!/usr/bin/env bash
# Builds acmbridge's Debian packages from this tree (debian/, debhelper) and
# checks them with lintian: any lintian error fails the build.
#     scripts/package.sh [OUTDIR]      (default: build-deb)
# Leaves OUTDIR/acmbridge_VERSION_ARCH.deb (and the -dbgsym package, and
# libacmbridge-dev once include/acmbridge.h exists), the .changes and
# .buildinfo files, and lintian.txt. The files git knows (tracked, or new and
# not ignored) are copied to a scratch dir first: the build never writes into
# the tree, and nothing from a build dir gets into the package.
# Needs: dpkg-dev, debhelper, lintian and the Build-Depends of debian/control
# (scripts/deps.sh installs all of them).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build-deb}
for tool in dpkg-buildpackage dh lintian git; do
	if ! command -v "$tool" >/dev/null; then
		echo "package: $tool is not installed (scripts/deps.sh installs it)" >&2
		exit 1
	fi
done
version=$(dpkg-parsechangelog -S Version)
cmake_version=$(sed -n 's/^project(acmbridge VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
if [ "$version" != "$cmake_version" ]; then
	echo "package: debian/changelog says $version, CMakeLists.txt $cmake_version" >&2
	exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/acmb-package.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
src=$scratch/acmbridge-$version
mkdir "$src"
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -xf - -C "$src"

# The library package needs the public header: without it, it is left out
# by its build profile (debian/control).
profiles=${DEB_BUILD_PROFILES:-}
if [ ! -f include/acmbridge.h ]; then
	profiles="${profiles:+$profiles }pkg.acmbridge.nolib"
	echo "package: no include/acmbridge.h yet: building without libacmbridge-dev" >&2
fi

(
	cd "$src"
	DEB_BUILD_PROFILES=$profiles dpkg-buildpackage -b -us -uc \
		${profiles:+--build-profiles="${profiles// /,}"} -j2
) >"$scratch/build.log" 2>&1 || {
	tail -n 60 "$scratch/build.log" >&2
	echo "package: dpkg-buildpackage failed (the log's end is above)" >&2
	exit 1
}

mkdir -p "$out"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes=$scratch/acmbridge_${version}_$arch.changes
# The files the .changes names, and the .changes itself.
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]\{32\} [0-9]* [^ ]* [^ ]* //p' "$changes") \
	"acmbridge_${version}_$arch.changes"; do
	cp "$scratch/$f" "$out/"
done
cp "$scratch/build.log" "$out/build.log"

# Errors fail; warnings and the rest are printed for whoever reads the log.
status=0
lintian --info --display-info --fail-on error "$out/acmbridge_${version}_$arch.changes" \
	>"$out/lintian.txt" 2>&1 || status=$?
cat "$out/lintian.txt"
if [ "$status" -ne 0 ]; then
	echo "package: lintian reports errors (above)" >&2
	exit 1
fi
echo "package: $(ls "$out"/*.deb | tr '\n' ' ')"
