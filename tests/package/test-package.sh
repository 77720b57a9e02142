#!/bin/bash
# The Debian package on this machine, as an operator meets it: built by
# scripts/package.sh (lintian errors fail it), installed with dpkg -i, then
# `acmbridge --version`, `man -w` for every page, the bash completion found
# by bash-completion's loader, the zsh completion, the units under
# `systemd-analyze verify`, the timer enabled; then dpkg --purge, after which
# none of its files, its state directory or its timer's enablement is left.
#
# This installs into the real system of the machine that runs it, so it:
#   - needs root and dpkg (else exit 77, skipped, with the reason);
#   - refuses to run where an acmbridge package, /usr/bin/acmbridge or
#     /var/lib/acmbridge already exist (it would replace or delete them);
#   - takes a lock (one run at a time; ctest also runs it alone, RUN_SERIAL)
#     and waits for dpkg's own lock while another apt or dpkg runs;
#   - purges the package on any exit, so a failed run leaves nothing.
# ACMB_PACKAGE_DEB=path/to/acmbridge_*.deb skips the build (scripts/test.sh
# or CI can build once).
set -u

: "${ACMB_TESTS_DIR:?tests/ source dir}"
SRC=$(cd "$ACMB_TESTS_DIR/.." && pwd)
LOCK=/run/lock/acmbridge-package-test.lock

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root: it installs the package with dpkg -i into this machine's system"
for tool in dpkg dpkg-query dpkg-deb; do
	command -v "$tool" >/dev/null || skip "$tool is missing (not a Debian system)"
done
if [ -z "${ACMB_PACKAGE_DEB:-}" ]; then
	for tool in dpkg-buildpackage dh lintian; do
		command -v "$tool" >/dev/null || skip "$tool is missing (scripts/deps.sh installs it)"
	done
fi

exec 9>"$LOCK" || skip "cannot open the lock $LOCK"
flock -w 3600 9 || skip "another run holds $LOCK"

if dpkg-query -W -f='${Status}' acmbridge 2>/dev/null | grep -qv '^unknown\|not-installed'; then
	skip "an acmbridge package is on this machine ($(dpkg-query -W -f='${Status}' acmbridge)): the test would replace and purge it"
fi
for p in /usr/bin/acmbridge /var/lib/acmbridge /var/lib/private/acmbridge /etc/acmbridge; do
	[ -e "$p" ] || [ -L "$p" ] && skip "$p exists and is not the test's: it would be replaced or deleted"
done

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}

W=$(mktemp -d "${TMPDIR:-/tmp}/acmb-package-test.XXXXXX")
installed=0
state_made=0
private_made=0
[ -d /var/lib/private ] || private_made=1

# dpkg ARGS...: dpkg, waiting (up to 10 min) while another apt/dpkg holds
# its lock; other failures return at once.
dpkg_locked() {
	local i
	for ((i = 0; i < 120; i++)); do
		if dpkg "$@" >"$W/dpkg.log" 2>&1; then
			return 0
		fi
		grep -q 'lock' "$W/dpkg.log" || return 1
		sleep 5
	done
	return 1
}

cleanup() {
	if [ "$installed" -eq 1 ]; then
		dpkg_locked --purge acmbridge || cat "$W/dpkg.log" >&2
	fi
	# Only what the test made (none of it existed before, see above): the
	# simulated state directory, when the purge did not take it.
	if [ "$state_made" -eq 1 ]; then
		rm -rf /var/lib/private/acmbridge
		rm -f /var/lib/acmbridge
	fi
	if [ "$private_made" -eq 1 ]; then
		rmdir /var/lib/private 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT

if [ -n "${ACMB_PACKAGE_DEB:-}" ]; then
	deb=$ACMB_PACKAGE_DEB
else
	echo "# building the package (scripts/package.sh)"
	if ! nice bash "$SRC/scripts/package.sh" "$W/deb" >"$W/package.log" 2>&1; then
		tail -n 40 "$W/package.log" >&2
		bad "scripts/package.sh failed"
		exit 1
	fi
	ok "scripts/package.sh built it; lintian reports no error"
	deb=$(ls "$W"/deb/acmbridge_*.deb)
fi
version=$(dpkg-deb -f "$deb" Version)

# Dependencies first: dpkg -i would leave a half-configured package.
missing=()
for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g'); do
	dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' || missing+=("$dep")
done
[ ${#missing[@]} -eq 0 ] || skip "the package's dependencies are not installed: ${missing[*]}"

echo "# dpkg -i"
if ! dpkg_locked -i "$deb"; then
	cat "$W/dpkg.log" >&2
	bad "dpkg -i $deb"
	installed=1
	exit 1
fi
installed=1
[ "$(dpkg-query -W -f='${Status} ${Version}' acmbridge)" = "install ok installed $version" ] &&
	ok "installed $version" || bad "status: $(dpkg-query -W -f='${Status} ${Version}' acmbridge)"
dpkg -L acmbridge >"$W/files"

[ "$(command -v acmbridge)" = /usr/bin/acmbridge ] && ok "acmbridge is /usr/bin/acmbridge" ||
	bad "acmbridge on PATH: $(command -v acmbridge)"
v=$(acmbridge --version 2>&1)
[ "$(head -1 <<<"$v")" = "acmbridge $version" ] && ok "acmbridge --version: $(head -1 <<<"$v")" ||
	bad "acmbridge --version: $v"
grep -q '^libcurl [0-9]' <<<"$v" && ok "--version loads libcurl: $(grep '^libcurl' <<<"$v")" ||
	bad "--version without libcurl: $v"

echo "# man pages"
m=$(man -w acmbridge 2>&1)
[ "$m" = /usr/share/man/man1/acmbridge.1.gz ] && ok "man -w acmbridge: $m" || bad "man -w acmbridge: $m"
for c in $(bash "$SRC/scripts/cli-options.sh" --commands /usr/bin/acmbridge | cut -f1); do
	m=$(man -w "acmbridge-$c" 2>&1)
	[ "$m" = "/usr/share/man/man1/acmbridge-$c.1.gz" ] && ok "man -w acmbridge-$c" ||
		bad "man -w acmbridge-$c: $m"
done
m=$(man -w 5 acmbridge.yaml 2>&1)
[ "$m" = /usr/share/man/man5/acmbridge.yaml.5.gz ] && ok "man -w 5 acmbridge.yaml" ||
	bad "man -w 5 acmbridge.yaml: $m"

echo "# completion"
compdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null ||
	echo /usr/share/bash-completion/completions)
[ -f "$compdir/acmbridge" ] && ok "$compdir/acmbridge" || bad "no $compdir/acmbridge"
if [ -f /usr/share/bash-completion/bash_completion ]; then
	# As an interactive shell gets it: bash-completion's on-demand loader.
	spec=$(bash -c '. /usr/share/bash-completion/bash_completion
		__load_completion acmbridge && complete -p acmbridge' 2>&1)
	[ "$spec" = "complete -F _acmbridge acmbridge" ] && ok "bash-completion loads it" ||
		bad "bash-completion's loader: $spec"
fi
[ -f /usr/share/zsh/vendor-completions/_acmbridge ] && ok "zsh vendor-completions/_acmbridge" ||
	bad "no /usr/share/zsh/vendor-completions/_acmbridge"

echo "# systemd"
unitdir=$(dirname "$(grep '/acmbridge-sync.service$' "$W/files")")
if command -v systemd-analyze >/dev/null; then
	v=$(systemd-analyze verify "$unitdir/acmbridge-sync.service" "$unitdir/acmbridge-sync.timer" 2>&1 |
		grep -v 'Unit sysinit.target not found')
	[ -z "$v" ] && ok "systemd-analyze verify: clean" || bad "systemd-analyze verify: $v"
else
	bad "systemd-analyze is missing"
fi
[ -L /etc/systemd/system/timers.target.wants/acmbridge-sync.timer ] && ok "the timer is enabled" ||
	bad "acmbridge-sync.timer is not enabled"
[ ! -e /etc/systemd/system/multi-user.target.wants/acmbridge-sync.service ] &&
	ok "the service itself is not enabled (the timer starts it)" || bad "acmbridge-sync.service is enabled"

echo "# documents"
for f in copyright changelog.gz examples/acmbridge.yaml; do
	[ -f "/usr/share/doc/acmbridge/$f" ] && ok "/usr/share/doc/acmbridge/$f" ||
		bad "no /usr/share/doc/acmbridge/$f"
done

# What a run of the service leaves: the audit log in its state directory
# (DynamicUser= keeps it under /var/lib/private behind a symlink).
state_made=1
mkdir -p /var/lib/private/acmbridge
[ "$private_made" -eq 1 ] && chmod 700 /var/lib/private
: >/var/lib/private/acmbridge/audit.log
ln -s private/acmbridge /var/lib/acmbridge

echo "# dpkg --purge"
if dpkg_locked --purge acmbridge; then
	installed=0
	ok "purged"
else
	cat "$W/dpkg.log" >&2
	bad "dpkg --purge acmbridge"
fi
s=$(dpkg-query -W -f='${Status}' acmbridge 2>/dev/null)
[ -z "$s" ] || [[ $s == *not-installed* ]] && ok "dpkg knows no acmbridge" || bad "status after purge: $s"
left=0
while IFS= read -r f; do
	# Directories shared with other packages (/usr/bin, /usr/share/man) stay.
	if [ -e "$f" ] && [ ! -d "$f" ]; then
		bad "left after purge: $f"
		left=1
	elif [ -d "$f" ] && [[ $f == */acmbridge ]]; then
		bad "directory left after purge: $f"
		left=1
	fi
done <"$W/files"
[ "$left" -eq 0 ] && ok "none of the package's $(wc -l <"$W/files") paths is left"
for p in /var/lib/acmbridge /var/lib/private/acmbridge /etc/acmbridge \
	/etc/systemd/system/timers.target.wants/acmbridge-sync.timer; do
	[ -e "$p" ] || [ -L "$p" ] && bad "left after purge: $p" || ok "gone: $p"
done
if ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep -q acmbridge ||
	find /var/lib/systemd/deb-systemd-helper-enabled -name '*acmbridge*' 2>/dev/null | grep -q .; then
	bad "deb-systemd-helper still remembers acmbridge's units"
else
	ok "deb-systemd-helper's state is clean"
fi

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
