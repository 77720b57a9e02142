#!/usr/bin/python3
"""custody-scan: runs a program under gdb, stops it when it first writes its
result and at exit_group, and searches all of its readable memory for the
secrets of the run (see memscan_gdb.py and secrets.py).

usage: custody-scan.py --label NAME [secret options] [run options] -- PROG ARGS

Secrets (the test generated them, so it knows them):
  --key PATH             a private key file (PEM, DER or PKCS#12); every form
                         of it is searched (PKCS#8/PKCS#1/SEC1 DER and PEM,
                         base64 of the PEMs, raw private numbers)
  --key-passphrase S     passphrase to open --key (PEM encryption, PKCS#12)
  --passphrase S         a passphrase to search for (also: --passphrase-file)
  --pin S, --aws-secret S, --secret-file PATH (whole file content)
  --late-key PATH --late-key-cmd CMD [--late-public PATH ...]
                         a key known only after the run (made inside a
                         token): the memory read at each moment is kept, and
                         after the program exits the shell command CMD writes
                         the key to PATH (and its certificate to the
                         --late-public paths); then every form of it is
                         searched in that memory too
Run:
  --result-fd N          the result moment is the first write to N (default 1)
  --signal SIG@WHERE     SIG is INT or TERM; WHERE is syscall:NAME[:N] (at the
                         return of the Nth call) or break:FUNCTION[:N]
  --expect-exit N        the exit code the run must end with
  --probe-at break:FUNCTION
                         also scan at every call of FUNCTION (moments
                         FUNCTION#1, #2, ...; repeatable); their hits are
                         reported, not judged: the test reads report.json
                         and judges each form (mid-run, the run's AWS
                         credentials are rightly in its locked memory)
  --bn-words             also search each key's private numbers as OpenSSL
                         holds them in a BIGNUM (little-endian 64-bit words)
  --stdin PATH, --env K=V (for the program), --hardening, --no-line-buffer
  --figures FILE         append this run's figures as one JSON line
Exit status: 0 both moments scanned and no secret found; 1 a secret found;
2 a moment never came or the exit code was not the expected one; 3 the
harness itself failed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
STDBUF = "/usr/libexec/coreutils/libstdbuf.so"


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else "%.1f %s" % (n, unit)
        n /= 1024.0


def print_moment(label, m):
    print("custody: [%s] moment=%s (%s): scanned %d bytes (%s) in %d mappings, "
          "%d bytes of them MADV_DONTDUMP, plus %d bytes of vector registers; "
          "%d threads; %d windows x %d probes; "
          "hits=%d; %.2fs" % (
              label, m["moment"], m["why"], m["bytes_scanned"],
              human(m["bytes_scanned"]), m["mappings_scanned"],
              m["dontdump_scanned"], m["register_bytes"], m["threads"],
              m["windows"], m["probes"],
              sum(1 for h in m["hits"] if not h.get("excused")), m["seconds"]))
    if m.get("untouched_bytes"):
        print("custody:   counted without reading: %s of anonymous mappings "
              "never touched (no page resident or swapped: all zeros)" %
              human(m["untouched_bytes"]))
    skipped = m["skipped_text"]
    names = sorted({os.path.basename(s["name"]) for s in skipped})
    print("custody:   not scanned, read-only ELF file mappings (program and "
          "library text/rodata): %d mappings, %s: %s" % (
              len(skipped), human(sum(s["bytes"] for s in skipped)),
              ", ".join(names)))
    unr = {}
    for u in m["unreadable"]:
        k = "%s %s (%s)" % (u["name"], u["perms"], u["why"])
        unr[k] = unr.get(k, 0) + u["bytes"]
    if unr:
        print("custody:   not readable: " + "; ".join(
            "%s %s" % (k, human(v)) for k, v in sorted(unr.items())))
    for h in m["hits"]:
        whole = " (whole form)" if h["length"] == h["form_length"] else ""
        if h.get("excused"):
            print("custody:   EXCUSED %s +0x%x: %d bytes of %s as environment "
                  "entry %s=: %s" % (h["mapping"], h["mapping_offset"],
                                     h["length"], h["form"], h["env_var"],
                                     h["excused"]))
            continue
        print("custody:   HIT %s +0x%x (address %s, VmFlags %s): %d bytes of "
              "%s at form offset %d of %d%s" % (
                  h["mapping"], h["mapping_offset"], h["address"],
                  h["mapping_flags"] or "-", h["length"], h["form"],
                  h["form_offset"], h["form_length"], whole))
    if m.get("backtrace"):
        print("custody:   threads at this moment:")
        for line in m["backtrace"].splitlines():
            print("custody:     " + line)


def sanitizer_runtime(prog):
    try:
        out = subprocess.run(["ldd", prog], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
    except OSError:
        return None
    for line in out.splitlines():
        if "libasan.so" in line and "=>" in line:
            return line.split("=>")[1].split()[0]
    return None


def run_gdb(cfg, cfg_path, env):
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    try:
        os.unlink(cfg["report"])
    except FileNotFoundError:
        pass
    g = subprocess.run(["gdb", "-nx", "-batch", "-q", "-x",
                        os.path.join(HERE, "memscan_gdb.py")],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL)
    if not os.path.exists(cfg["report"]):
        sys.stdout.write(g.stdout.decode(errors="replace"))
        return None
    with open(cfg["report"]) as f:
        return json.load(f)


def find_origins(label, cfg, cfg_path, env, rep, probe_funcs=()):
    """Reruns with a watchpoint on an 8-byte-aligned word inside each of the
    first hits, conditioned on the secret's bytes arriving there."""
    sys.path.insert(0, HERE)
    import secrets as acmb_secrets
    forms = dict(acmb_secrets.build_forms(cfg["secrets"]))
    done = 0
    for moment in rep["moments"]:
        if moment.rsplit("#", 1)[0] in probe_funcs:
            continue
        for h in rep["moments"].get(moment, {}).get("hits", []):
            # A late key is a new key in every run: no rerun can watch it.
            if done >= 3 or h["address"] == "-" or h["form"] not in forms:
                continue
            addr = int(h["address"], 16)
            skip = (-addr) % 8
            if h["length"] < skip + 8:
                continue
            data = forms[h["form"]][h["form_offset"] + skip:h["form_offset"] + skip + 8]
            value = int.from_bytes(data, "little", signed=True)
            c = dict(cfg)
            c["watch"] = {"address": addr + skip, "value": value}
            c["report"] = cfg["report"] + ".origin"
            r = run_gdb(c, cfg_path + ".origin", dict(env, ACMB_CUSTODY_CONFIG=cfg_path + ".origin"))
            done += 1
            print("custody: [%s] ORIGIN of %s hit at %s (%s): %s" % (
                label, moment, h["address"], h["form"],
                "no write of those bytes seen" if not r or not r["origins"]
                else "written by:"))
            for bt in (r or {}).get("origins", []):
                for line in bt.splitlines():
                    print("custody:     " + line)
                print("custody:     --")


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--label", required=True)
    ap.add_argument("--key", action="append", default=[])
    ap.add_argument("--key-passphrase")
    ap.add_argument("--key-passphrase-file")
    ap.add_argument("--passphrase", action="append", default=[])
    ap.add_argument("--passphrase-file", action="append", default=[])
    ap.add_argument("--pin", action="append", default=[])
    ap.add_argument("--aws-secret", action="append", default=[])
    ap.add_argument("--secret-file", action="append", default=[])
    ap.add_argument("--public-file", action="append", default=[])
    ap.add_argument("--late-key")
    ap.add_argument("--late-key-cmd")
    ap.add_argument("--late-public", action="append", default=[])
    ap.add_argument("--result-fd", type=int, default=1)
    ap.add_argument("--signal")
    ap.add_argument("--expect-exit", type=int)
    ap.add_argument("--probe-at", action="append", default=[])
    ap.add_argument("--bn-words", action="store_true")
    ap.add_argument("--stdin")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--unset-env", action="append", default=[])
    ap.add_argument("--hardening", action="store_true")
    ap.add_argument("--no-line-buffer", action="store_true")
    ap.add_argument("--backtrace-on-hit", action="store_true")
    ap.add_argument("--origin", action="store_true",
                    help="for each of the first 3 hits, run again with a "
                    "hardware watchpoint on its address and print the "
                    "backtraces that wrote the secret bytes there")
    ap.add_argument("--figures")
    ap.add_argument("--workdir")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no program given after --")

    if a.key_passphrase_file:
        with open(a.key_passphrase_file, "rb") as f:
            a.key_passphrase = f.read().decode().rstrip("\r\n")
    passphrases = list(a.passphrase)
    for p in a.passphrase_file:
        with open(p, "rb") as f:
            text = f.read().decode()
        passphrases.append(text.rstrip("\r\n"))
    secrets = {
        "keys": [{"path": k, "passphrase": a.key_passphrase} for k in a.key],
        "passphrases": passphrases, "pins": a.pin,
        "aws_secrets": a.aws_secret, "files": a.secret_file,
        "public_files": a.public_file, "bn_words": a.bn_words,
    }
    work = a.workdir or tempfile.mkdtemp(prefix="custody-")
    os.makedirs(work, exist_ok=True)
    inferior_env = {}
    if not a.no_line_buffer and os.path.exists(STDBUF):
        # Line-buffered stdout: the result moment is when the first result
        # line is produced, not when stdio flushes at exit. An ASan build
        # needs its runtime first in the preload list.
        preload = [STDBUF]
        asan = sanitizer_runtime(cmd[0])
        if asan:
            preload.insert(0, asan)
        inferior_env = {"LD_PRELOAD": " ".join(preload), "_STDBUF_O": "L"}
    if sanitizer_runtime(cmd[0]):
        # LeakSanitizer stops the world with ptrace, which fails under gdb.
        inferior_env["ASAN_OPTIONS"] = ":".join(
            x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
    cfg = {
        "argv": cmd, "secrets": secrets, "result_fd": a.result_fd,
        "stdout": os.path.join(work, "stdout"),
        "stderr": os.path.join(work, "stderr"),
        "stdin": a.stdin, "report": os.path.join(work, "report.json"),
        "inferior_env": inferior_env, "hardening": a.hardening,
        "backtrace_on_hit": a.backtrace_on_hit,
    }
    cfg["moments_at"] = [{"at": x} for x in a.probe_at]
    probe_funcs = {x.partition(":")[2] for x in a.probe_at}
    if bool(a.late_key) != bool(a.late_key_cmd):
        ap.error("--late-key and --late-key-cmd go together")
    if a.late_key:
        cfg["late_key"] = {"path": a.late_key, "cmd": a.late_key_cmd,
                           "public_files": a.late_public}
    if a.signal:
        sig, _, where = a.signal.partition("@")
        parts = where.split(":")
        nth = 1
        if len(parts) == 3:
            nth = int(parts[2])
        cfg["signal"] = {"sig": sig, "at": parts[0] + ":" + parts[1], "nth": nth}
    cfg_path = os.path.join(work, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    env = dict(os.environ)
    env["ACMB_CUSTODY_CONFIG"] = cfg_path
    for name in a.unset_env:
        env.pop(name, None)
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    rep = run_gdb(cfg, cfg_path, env)
    if rep is None:
        print("custody: [%s] HARNESS FAILURE: gdb wrote no report" % a.label)
        return 3
    print("custody: [%s] %s" % (a.label, " ".join(cmd)))
    print("custody: [%s] searching %d windows (%d dropped: public key or "
          "certificate bytes) of %d secret forms: %s" % (
        a.label, rep["windows"], rep["public_dropped"], len(rep["forms"]),
        ", ".join("%s (%d B)" % (x["form"], x["bytes"]) for x in rep["forms"])))
    if "_STDBUF_O" in inferior_env:
        print("custody: [%s] stdout made line-buffered with %s" % (a.label, STDBUF))
    if "ASAN_OPTIONS" in inferior_env:
        print("custody: [%s] ASan build: detect_leaks=0 (LeakSanitizer cannot "
              "run under a tracer)" % a.label)
    if rep.get("late_key_error"):
        print("custody: [%s] HARNESS FAILURE: the late key could not be "
              "learnt: %s" % (a.label, rep["late_key_error"]))
        return 3
    if "late_key" in cfg:
        print("custody: [%s] late key learnt after the run in %.2fs and "
              "searched in the memory kept from each moment" % (
                  a.label, rep["late_key_seconds"]))
    for e in rep["events"]:
        print("custody: [%s] %s" % (a.label, e))
    status = 0
    hits = 0
    asan = sanitizer_runtime(cmd[0])
    extra = [k for k in rep["moments"] if k not in ("result", "exit")]
    for moment in ["result"] + extra + ["exit"]:
        m = rep["moments"].get(moment)
        probe = moment.rsplit("#", 1)[0] in probe_funcs
        for h in (m or {}).get("hits", []):
            # The sanitizer runtime reads /proc/self/environ into its own
            # buffer at start-up, before main() can wipe anything: that copy
            # is the test build's, not acmbridge's. Only in ASan builds, only
            # outside the process's own environment block.
            if asan and h.get("env_var") and "environment block" not in h["mapping_flags"]:
                h["excused"] = ("ASan build: the sanitizer runtime's copy of "
                                "/proc/self/environ, made before main()")
        if m is not None:
            m["hits"] = [h for h in m["hits"] if not h.get("excused")] + \
                [h for h in m["hits"] if h.get("excused")]
        if m is None:
            print("custody: [%s] moment=%s NEVER REACHED (%s)" % (
                a.label, moment,
                "no write to fd %d" % a.result_fd if moment == "result"
                else "no exit_group: killed by signal %s" % rep["exit_signal"]))
            status = 2
            continue
        print_moment(a.label, m)
        if probe:
            print("custody: [%s]   (a probe: its hits are reported, not judged)" % a.label)
            continue
        hits += sum(1 for h in m["hits"] if not h.get("excused"))
    # Keep the judgement (excused hits) for the tests that read the report.
    with open(cfg["report"], "w") as f:
        json.dump(rep, f, indent=1)
    if "hardening" in rep:
        h = rep["hardening"]
        print("custody: [%s] hardening: dumpable=%d, core limit %s, memlock "
              "limit %s, secure heap VmFlags %s" % (
                  a.label, h["dumpable"], "/".join(h["core_limit"]),
                  "/".join(h["memlock_limit"]),
                  h["secure_heap_vmflags"] or "NOT FOUND"))
    print("custody: [%s] exit code %s%s" % (
        a.label, rep["exit_code"],
        "" if rep["exit_signal"] is None else ", killed by signal %d" % rep["exit_signal"]))
    if a.expect_exit is not None and rep["exit_code"] != a.expect_exit:
        print("custody: [%s] EXPECTED exit code %d" % (a.label, a.expect_exit))
        status = 2
    if a.figures:
        with open(a.figures, "a") as f:
            f.write(json.dumps({
                "label": a.label, "exit_code": rep["exit_code"],
                "windows": rep["windows"],
                "moments": {k: {x: v[x] for x in ("bytes_scanned", "probes",
                                                  "seconds", "threads")}
                            | {"hits": sum(1 for h in v["hits"]
                                          if not h.get("excused"))}
                            for k, v in rep["moments"].items()}}) + "\n")
    if hits and a.origin:
        find_origins(a.label, cfg, cfg_path, env, rep, probe_funcs)
    if hits:
        print("custody: [%s] FOUND %d copies of secrets" % (a.label, hits))
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
