#!/bin/bash
# `cmake --install` of the build dir into a scratch root: exactly the files
# an operator should get, where Debian looks for them (the program, a man
# page per command, bash completion where pkg-config bash-completion says,
# zsh's vendor-completions, the systemd units, the documents and the
# example manifest); the library with its header and a pkg-config file
# that compiles and links a program, when include/acmbridge.h exists, and
# nothing of it before; the service and timer as systemd reads them, with
# the service's exposure under `systemd-analyze security`.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
: "${ACMB_BUILD_DIR:?build dir}"
SRC=$(cd "$ACMB_TESTS_DIR/.." && pwd)
OPTIONS="$SRC/scripts/cli-options.sh"
# The exposure of acmbridge-sync.service must not creep up (docs/packaging.md).
EXPOSURE_MAX=2.0

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}

W=$(mktemp -d "${TMPDIR:-/tmp}/acmb-install.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/root

# Into the prefix the build was configured for (the pkg-config file and
# the units name it), under a scratch DESTDIR.
if ! DESTDIR=$R cmake --install "$ACMB_BUILD_DIR" >"$W/install.log" 2>&1; then
	cat "$W/install.log" >&2
	bad "cmake --install failed"
	exit 1
fi

cache() { sed -n "s/^$1:[A-Z]*=//p" "$ACMB_BUILD_DIR/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX)
P=${prefix#/}
libdir=$(cache CMAKE_INSTALL_LIBDIR)
unitdir=$(cache ACMB_SYSTEMD_UNIT_DIR)
case $unitdir in /*) ;; *) unitdir=$prefix/$unitdir ;; esac
# bash-completion's directory, as its pkg-config file puts it under datadir.
bashrel=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null)
bashrel=${bashrel#"$(pkg-config --variable=datadir bash-completion 2>/dev/null)"/}
bashrel=${bashrel:-bash-completion/completions}

want=(
	"$P/bin/acmbridge"
	"$P/share/man/man1/acmbridge.1"
	"$P/share/man/man5/acmbridge.yaml.5"
	"$P/share/$bashrel/acmbridge"
	"$P/share/zsh/vendor-completions/_acmbridge"
	"${unitdir#/}/acmbridge-sync.service"
	"${unitdir#/}/acmbridge-sync.timer"
)
for d in README.md packaging.md aws.md pkcs11.md private-ca.md rules.md security.md design.md \
	examples/acmbridge.yaml; do
	want+=("$P/share/doc/acmbridge/$d")
done
for c in $(bash "$OPTIONS" --commands "$ACMBRIDGE" | cut -f1); do
	want+=("$P/share/man/man1/acmbridge-$c.1")
done
if [ -f "$SRC/include/acmbridge.h" ]; then
	want+=("$P/include/acmbridge.h" "$P/$libdir/libacmbridge.a" "$P/$libdir/pkgconfig/acmbridge.pc")
fi

printf '%s\n' "${want[@]}" | sort >"$W/want"
(cd "$R" && find . -type f -o -type l) | sed 's|^\./||' | sort >"$W/have"
missing=$(comm -23 "$W/want" "$W/have")
extra=$(comm -13 "$W/want" "$W/have")
[ -z "$missing" ] && ok || bad "not installed: $(echo $missing)"
[ -z "$extra" ] && ok || bad "installed but not expected: $(echo $extra)"
[ -x "$R/$P/bin/acmbridge" ] && ok || bad "$P/bin/acmbridge is not executable"
"$R/$P/bin/acmbridge" --version | grep -q '^acmbridge ' && ok || bad "the installed acmbridge does not run"

echo "# the library"
if [ -f "$SRC/include/acmbridge.h" ]; then
	pcdir=$R/$P/$libdir/pkgconfig
	PKG_CONFIG_PATH=$pcdir pkg-config --validate acmbridge && ok || bad "pkg-config --validate acmbridge"
	flags=$(PKG_CONFIG_SYSROOT_DIR=$R PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs acmbridge) ||
		bad "pkg-config --cflags --libs acmbridge"
	printf '#include <acmbridge.h>\nint main(void) { return 0; }\n' >"$W/embed.c"
	# shellcheck disable=SC2086
	if cc -o "$W/embed" "$W/embed.c" $flags 2>"$W/cc.log" && "$W/embed"; then ok; else
		bad "a program with acmbridge.h does not build with pkg-config's flags: $(cat "$W/cc.log")"
	fi
else
	echo "note: no include/acmbridge.h yet: the library, header and acmbridge.pc must not be installed"
	ls "$R/$P/$libdir"/libacmbridge* "$R/$P/$libdir"/pkgconfig/acmbridge.pc >/dev/null 2>&1 &&
		bad "library files installed without the public header" || ok
fi

echo "# systemd"
svc=$R$unitdir/acmbridge-sync.service
tmr=$R$unitdir/acmbridge-sync.timer
etc=$prefix/$(cache CMAKE_INSTALL_SYSCONFDIR)
[ "$prefix" = /usr ] && etc=/etc
want_exec="ExecStart=$prefix/$(cache CMAKE_INSTALL_BINDIR)/acmbridge sync --manifest $etc/acmbridge/acmbridge.yaml"
grep -qxF "$want_exec" "$svc" && ok || bad "ExecStart: $(grep ExecStart "$svc"), wanted $want_exec"
for k in Type=oneshot DynamicUser=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	NoNewPrivileges=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
	StateDirectory=acmbridge LimitMEMLOCK=32M; do
	grep -qxF "$k" "$svc" && ok || bad "acmbridge-sync.service lacks $k"
done
# LimitMEMLOCK must hold the secure heap (src/common/secmem.h).
heap=$(sed -n 's/^#define ACMB_SECURE_HEAP_SIZE ((size_t)\([0-9]*\) << 20)$/\1/p' "$SRC/src/common/secmem.h")
[ -n "$heap" ] && [ "$heap" -le 32 ] && ok || bad "LimitMEMLOCK=32M is below the ${heap:-?} MiB secure heap"
for k in "OnCalendar=*-*-* 00,12:00:00" RandomizedDelaySec=43200 Persistent=true WantedBy=timers.target; do
	grep -qxF "$k" "$tmr" && ok || bad "acmbridge-sync.timer lacks $k"
done
if command -v systemd-analyze >/dev/null; then
	# As systemd reads them; ExecStart pointed at this build (the installed
	# path does not exist here), man pages not looked up.
	mkdir -p "$W/units"
	sed "s|^ExecStart=[^ ]*|ExecStart=$ACMBRIDGE|" "$svc" >"$W/units/acmbridge-sync.service"
	cp "$tmr" "$W/units/"
	v=$(cd "$W/units" && systemd-analyze verify --man=no acmbridge-sync.service acmbridge-sync.timer 2>&1 |
		grep -v 'Unit sysinit.target not found')
	[ -z "$v" ] && ok || bad "systemd-analyze verify: $v"
	exposure=$(systemd-analyze security --offline=yes "$W/units/acmbridge-sync.service" 2>&1 |
		sed -n 's/.*Overall exposure level for acmbridge-sync.service: \([0-9.]*\).*/\1/p')
	echo "acmbridge-sync.service exposure: ${exposure:-?}"
	if [ -n "$exposure" ] && awk -v e="$exposure" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(e <= m) }'; then
		ok
	else
		bad "systemd-analyze security: exposure ${exposure:-unknown}, at most $EXPOSURE_MAX wanted"
	fi
	cal=$(systemd-analyze calendar --iterations=2 "*-*-* 00,12:00:00" 2>&1 | grep -c 'Next elapse\|Iter. #2')
	[ "$cal" -eq 2 ] && ok || bad "the timer's OnCalendar does not parse"
else
	echo "note: systemd-analyze is missing: the units were not verified"
fi

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
