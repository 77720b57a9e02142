#!/usr/bin/python3
"""Drives `acmbridge ... --cli-auto-prompt` on a pseudo-terminal, as an
operator at a terminal would: waits for each prompt, types a partial file
name, presses TAB (file-name completion) and Enter.

Usage: prompt_pty.py DIR ANSWERS -- COMMAND...
  DIR      the working directory (completion is relative to it)
  ANSWERS  prompt=typed pairs joined by ';', e.g. '--certificate=rsa.p\t'
           ('\t' is a TAB; Enter follows each answer)
Prints the child's terminal output; exits with the child's exit code, or 99
when a prompt did not come within 20 s.
"""
import os
import pty
import select
import sys
import time


def main():
    cwd, answers = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pairs = [a.split("=", 1) for a in answers.split(";") if a]
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.environ.setdefault("TERM", "xterm")
        os.execv(cmd[0], cmd)
    seen = b""
    for prompt, typed in pairs:
        deadline = time.time() + 20
        while prompt.encode() + b" (" not in seen:
            if time.time() > deadline:
                sys.stdout.write(seen.decode(errors="replace"))
                print("\nprompt_pty: no prompt %r" % prompt)
                os.kill(pid, 9)
                return 99
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        seen = seen[seen.index(prompt.encode() + b" (") + 1:]
        os.write(fd, typed.replace("\\t", "\t").encode())
        time.sleep(0.3)
        os.write(fd, b"\r")
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
