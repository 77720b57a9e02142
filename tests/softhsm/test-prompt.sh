#!/usr/bin/env bash
# The PIN prompt on a terminal (no --pin-file, --pin-env or pin-source): the
# process runs on a pseudo-terminal; the prompt names the token, the PIN
# typed is not echoed and opens the token, and echo is back on afterwards.
# Ctrl-C at the prompt stops the command at once (exit 130), echo back on.
FIXTURE_TYPES="p256"
. "$(dirname "$0")/fixture.sh"

out=$("$PYTHON3" - "$ACMBRIDGE" "$MODULE" "$FIXTURE_PIN" <<'PYEOF'
import os, pty, select, signal, sys, termios, time

prog, module, pin = sys.argv[1], sys.argv[2], sys.argv[3]
argv = [prog, "check", "--module", module, "--audit-log", "/dev/null",
        "--certificate", "pkcs11:token=acmb-main;object=p256-sens;type=cert"]


def read_until(fd, needle, seconds=30):
    buf = b""
    end = time.monotonic() + seconds
    while needle not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def run(answer):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.pop("FIXTURE_PIN", None)
        os.execv(argv[0], argv)
    seen = read_until(fd, b"PIN for token 'acmb-main': ")
    prompted = b"PIN for token 'acmb-main': " in seen
    os.write(fd, answer)
    rest = b""
    # A command that ignores Ctrl-C would wait for input for ever.
    deadline = time.monotonic() + 20
    done, status = 0, 0
    while not done and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            rest += chunk
            if not chunk:
                time.sleep(0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    echo = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
    os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return prompted, code, echo, seen + rest


prompted, code, echo, text = run(pin.encode() + b"\n")
print("typed prompted=%s exit=%d echo=%s pin-echoed=%s" % (
    prompted, code, echo, pin.encode() in text))
prompted, code, echo, text = run(b"\x03")
print("ctrl-c prompted=%s exit=%d echo=%s interrupted=%s" % (
    prompted, code, echo, b"interrupted by signal 2 while reading the PIN" in text))
PYEOF
)
echo "$out"
expect_in "prompt names the token" "typed prompted=True" "$out"
expect_in "PIN typed at the prompt opens the token" "typed prompted=True exit=0" "$out"
expect_in "PIN not echoed, echo back on after" "exit=0 echo=True pin-echoed=False" "$out"
expect_in "Ctrl-C at the prompt: exit 130 at once, echo back on" \
	"ctrl-c prompted=True exit=130 echo=True interrupted=True" "$out"
finish
