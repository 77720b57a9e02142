"""gdb side of the custody harness (loaded with gdb -batch -x; driven by
custody-scan.py, which passes a JSON config in ACMB_CUSTODY_CONFIG).

Runs the program under test, stops it at two moments, reads every readable
mapping of the process and searches it for the run's secrets:
  result  entry of the first write()/writev() to the result fd (stdout, or
          stderr for a flow whose result is an error line);
  exit    entry of exit_group().
Optionally delivers a signal at a chosen point (the return of the Nth call of
a syscall, or a breakpoint) and then scans at exit_group, and checks the
process hardening (dumpable flag, core limit, secure-heap VmFlags). More
moments: cfg["moments_at"] lists {"at": "break:FUNCTION"}; every call of
FUNCTION is a moment named FUNCTION#N (a sync's key loader: the keys of the
entries done before must be gone).
"""

import json
import os
import re
import shlex
import sys
import time

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import secrets as acmb_secrets  # noqa: E402  (tests/custody/secrets.py)

ENOSYS = 38
SYSCALLS = {"write": 1, "writev": 20, "exit_group": 231}
SIGNALS = {"INT": 2, "TERM": 15}


def parse_maps(pid):
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split(None, 5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            out.append({"lo": lo, "hi": hi, "perms": parts[1],
                        "name": parts[5].strip() if len(parts) > 5 else ""})
    return out


_elf_cache = {}


def is_elf_file(path):
    if path not in _elf_cache:
        try:
            with open(path, "rb") as f:
                _elf_cache[path] = f.read(4) == b"\x7fELF"
        except OSError:
            _elf_cache[path] = False
    return _elf_cache[path]


def vmflags_by_start(pid, resident=None):
    """VmFlags of each mapping by start address; fills resident (a dict)
    with Rss + Swap in kB when given."""
    flags = {}
    cur = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split(None, 1)[0]
            if "-" in head and not head.endswith(":"):
                cur = int(head.split("-")[0], 16)
            elif head == "VmFlags:":
                flags[cur] = line.split()[1:]
            elif resident is not None and head in ("Rss:", "Swap:"):
                resident[cur] = resident.get(cur, 0) + int(line.split()[1])
    return flags


HUGE_RESERVATION = 64 << 30
ENV_ENTRY = re.compile(rb"(?:^|\x00)([A-Za-z_][A-Za-z0-9_]*)=$")


def read_mapping(memfd, lo, hi):
    """Reads [lo, hi) through /proc/PID/mem; pages that cannot be read come
    back as None in a list of (addr, bytes|None) pieces."""
    try:
        return [(lo, os.pread(memfd, hi - lo, lo))]
    except OSError:
        pass
    pieces = []
    inf = gdb.selected_inferior()
    for a in range(lo, hi, acmb_secrets.PAGE):
        try:
            pieces.append((a, os.pread(memfd, acmb_secrets.PAGE, a)))
        except OSError:
            try:
                pieces.append((a, bytes(inf.read_memory(a, acmb_secrets.PAGE))))
            except gdb.error:
                pieces.append((a, None))
    return pieces


def label(m):
    return m["name"] or "[anon]"


def search_piece(needles, res, areas, where, buf):
    """Searches one piece of memory read at a moment; adds its hits to res
    and returns the probes made. where: (mapping label, mapping start or
    None for registers, VmFlags text, address of buf or None)."""
    name, lo, flags, addr = where
    hits, probes = needles.scan(buf)
    for h in hits:
        if addr is None:
            h["mapping"] = name
            h["mapping_offset"] = h.pop("offset")
            h["address"] = "-"
            h["mapping_flags"] = ""
            res["hits"].append(h)
            continue
        # NAME= right before: a copy of an environment entry.
        env = ENV_ENTRY.search(buf[max(0, h["offset"] - 80):h["offset"]])
        if env:
            h["env_var"] = env.group(1).decode()
        h["mapping"] = name
        h["mapping_offset"] = addr - lo + h["offset"]
        h["address"] = hex(addr + h["offset"])
        h["mapping_flags"] = flags
        for area, alo, ahi in areas:
            if alo <= addr + h["offset"] < ahi:
                h["mapping_flags"] += " (in the %s block)" % area
        del h["offset"]
        res["hits"].append(h)
    return probes


def scan(cfg, needles, moment, why, capture=None):
    """Reads and searches every readable mapping and the vector registers.
    capture (a list) receives a copy of every piece read, for a search after
    the run for a secret known only then (late_scan)."""
    t0 = time.monotonic()
    pid = gdb.selected_inferior().pid
    maps = parse_maps(pid)
    resident = {}
    flags = vmflags_by_start(pid, resident)
    res = {"moment": moment, "why": why, "bytes_scanned": 0, "probes": 0,
           "windows": needles.count(), "mappings_scanned": 0,
           "skipped_text": [], "unreadable": [], "hits": [],
           "threads": len(os.listdir("/proc/%d/task" % pid)),
           "dontdump_scanned": 0}
    # arg_start, arg_end, env_start, env_end (proc(5) fields 48-51): a hit
    # there is in argv or in the environment the process was started with.
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    areas = (("argv", int(st[45]), int(st[46])),
             ("environment", int(st[47]), int(st[48])))
    memfd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    try:
        for m in maps:
            size = m["hi"] - m["lo"]
            if "r" not in m["perms"]:
                res["unreadable"].append({"name": label(m), "bytes": size,
                                          "perms": m["perms"],
                                          "why": "no read permission (guard page)"})
                continue
            if (m["name"].startswith("/") and "w" not in m["perms"] and
                    is_elf_file(m["name"].replace(" (deleted)", ""))):
                res["skipped_text"].append({"name": m["name"], "bytes": size,
                                            "perms": m["perms"]})
                continue
            anon = not m["name"].startswith("/")
            if anon and size > HUGE_RESERVATION:
                res["unreadable"].append({
                    "name": label(m), "bytes": size, "perms": m["perms"],
                    "why": "address-space reservation over 64 GiB: a "
                    "sanitizer's shadow memory (metadata, no program data), "
                    "skipped; %d kB resident" % resident.get(m["lo"], 0)})
                continue
            if anon and resident.get(m["lo"], 1) == 0 and not m["name"].startswith("[stack"):
                # Never touched (no page resident or swapped): reads as
                # zeros, so there is nothing to find; counted, not read.
                res["untouched_bytes"] = res.get("untouched_bytes", 0) + size
                res["mappings_scanned"] += 1
                continue
            if m["name"] == "[vsyscall]":
                res["unreadable"].append({"name": m["name"], "bytes": size,
                                          "perms": m["perms"],
                                          "why": "kernel page, not readable"})
                continue
            for addr, buf in read_mapping(memfd, m["lo"], m["hi"]):
                if buf is None:
                    res["unreadable"].append({"name": label(m), "addr": hex(addr),
                                              "bytes": acmb_secrets.PAGE,
                                              "perms": m["perms"],
                                              "why": "read failed"})
                    continue
                res["bytes_scanned"] += len(buf)
                if "dd" in flags.get(m["lo"], []):
                    res["dontdump_scanned"] += len(buf)
                where = (label(m), m["lo"], " ".join(flags.get(m["lo"], [])), addr)
                res["probes"] += search_piece(needles, res, areas, where, buf)
                if capture is not None:
                    capture.append((where, buf))
            res["mappings_scanned"] += 1
    finally:
        os.close(memfd)
    regs = register_files()
    res["register_bytes"] = sum(len(b) for _, b in regs)
    for tname, buf in regs:
        where = ("[vector registers of %s]" % tname, None, "", None)
        res["probes"] += search_piece(needles, res, areas, where, buf)
        if capture is not None:
            capture.append((where, buf))
    res["areas"] = areas
    if res["hits"] and cfg.get("backtrace_on_hit"):
        res["backtrace"] = gdb.execute("thread apply all bt 12", to_string=True)
    res["seconds"] = round(time.monotonic() - t0, 3)
    return res


def late_scan(cfg, report, captures):
    """A key made inside a token is known only after the run: the command in
    cfg["late_key"] exports it (from the token, into a test file) once the
    program has exited, and the memory kept from each moment is searched for
    its forms as well."""
    import subprocess
    late = cfg["late_key"]
    t0 = time.monotonic()
    r = subprocess.run(["bash", "-c", late["cmd"]], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode != 0 or not os.path.exists(late["path"]):
        report["late_key_error"] = "command '%s' failed (exit %d): %s" % (
            late["cmd"], r.returncode,
            r.stdout.decode(errors="replace").strip()[-400:])
        return
    spec = {"keys": [{"path": late["path"]}],
            "public_files": cfg["secrets"].get("public_files", []) +
            [p for p in late.get("public_files", []) if os.path.exists(p)]}
    needles = acmb_secrets.Needles(acmb_secrets.build_forms(spec),
                                   acmb_secrets.public_blobs(spec))
    report["public_dropped"] += needles.public_dropped
    report["forms"] += [{"form": "late key " + n, "bytes": len(b)}
                        for n, b in needles.forms]
    report["windows"] += needles.count()
    for moment, caps in captures.items():
        res = report["moments"].get(moment)
        if res is None:
            continue
        before = len(res["hits"])
        for where, buf in caps:
            res["probes"] += search_piece(needles, res, res["areas"], where, buf)
        for h in res["hits"][before:]:
            h["form"] = "late key " + h["form"]
        res["windows"] += needles.count()
    report["late_key_seconds"] = round(time.monotonic() - t0, 3)


def register_files():
    """Each thread's vector registers as one byte string: not memory, but
    what the next lazy-binding trampoline or signal frame writes to the
    stack, and what a ptrace-capable attacker reads directly."""
    inf = gdb.selected_inferior()
    cur = gdb.selected_thread()
    out = []
    for t in inf.threads():
        t.switch()
        parts = []
        for fmt, count, field in (("$zmm%d", 32, "v64_int8"),
                                  ("$ymm%d", 16, "v32_int8"),
                                  ("$xmm%d", 16, "v16_int8")):
            try:
                for i in range(count):
                    v = gdb.parse_and_eval(fmt % i)[field]
                    n = v.type.sizeof
                    parts.append(bytes(int(v[j]) & 0xff for j in range(n)))
                break
            except gdb.error:
                parts = []
        out.append(("thread %d (LWP %d)" % (t.num, t.ptid[1]), b"".join(parts)))
    if cur is not None:
        cur.switch()
    return out


def hardening(pid):
    h = {}
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                h["core_limit"] = line.split()[4:6]
            if line.startswith("Max locked memory"):
                h["memlock_limit"] = line.split()[3:5]
    # Called at a syscall-return stop only: an inferior call at a
    # syscall-entry stop would clobber the pending syscall.
    h["dumpable"] = int(gdb.parse_and_eval("(int)prctl(3, 0, 0, 0, 0)"))
    flags = vmflags_by_start(pid)
    heap = []
    for m in parse_maps(pid):
        if m["name"] == "" and m["hi"] - m["lo"] == cfg_secure_heap_size:
            heap.append(flags.get(m["lo"], []))
    h["secure_heap_vmflags"] = [" ".join(f) for f in heap]
    return h


cfg_secure_heap_size = 16 << 20


def main():
    cfg_path = os.environ["ACMB_CUSTODY_CONFIG"]
    with open(cfg_path) as f:
        cfg = json.load(f)
    report = {"argv": cfg["argv"], "moments": {}, "events": []}
    t0 = time.monotonic()
    needles = acmb_secrets.Needles(acmb_secrets.build_forms(cfg["secrets"]),
                                   acmb_secrets.public_blobs(cfg["secrets"]))
    report["public_dropped"] = needles.public_dropped
    report["forms"] = [{"form": n, "bytes": len(b)} for n, b in needles.forms]
    report["windows"] = needles.count()
    report["setup_seconds"] = round(time.monotonic() - t0, 3)

    for c in ("set pagination off", "set confirm off", "set width 0",
              "set breakpoint pending on", "set print thread-events off",
              "set debuginfod enabled off",
              "handle SIGINT SIGTERM SIGPIPE nostop noprint pass"):
        try:
            gdb.execute(c, to_string=True)
        except gdb.error:
            pass
    gdb.execute("file " + shlex.quote(cfg["argv"][0]), to_string=True)
    for k, v in cfg.get("inferior_env", {}).items():
        gdb.execute("set environment %s %s" % (k, v), to_string=True)
    redir = " > %s 2> %s < %s" % (shlex.quote(cfg["stdout"]),
                                  shlex.quote(cfg["stderr"]),
                                  shlex.quote(cfg.get("stdin") or "/dev/null"))
    gdb.execute("set args " + " ".join(shlex.quote(a) for a in cfg["argv"][1:]) +
                redir, to_string=True)

    result_fd = cfg.get("result_fd", 1)
    sig = cfg.get("signal")
    syscalls = ["write", "writev", "exit_group"]
    sig_syscall = None
    if sig:
        kind, _, rest = sig["at"].partition(":")
        if kind == "syscall":
            sig_syscall = rest
            if rest not in syscalls:
                syscalls.append(rest)
        elif kind == "break":
            gdb.execute("break " + rest, to_string=True)
    moment_funcs = {}
    for mat in cfg.get("moments_at", []):
        kind, _, func = mat["at"].partition(":")
        if kind != "break" or not func:
            raise ValueError("moments_at: write break:FUNCTION, not %r" % mat["at"])
        if not sig or sig["at"] != mat["at"]:
            gdb.execute("break " + func, to_string=True)
        moment_funcs[func] = 0
    gdb.execute("catch syscall " + " ".join(syscalls), to_string=True)

    seen_result = False
    sig_count = 0
    sig_sent = False
    want_hardening = cfg.get("hardening", False)
    watch = cfg.get("watch")
    report["origins"] = []
    late = cfg.get("late_key")
    captures = {}
    if watch:
        # Same argv, environment and no ASLR: the copy lands at the same
        # address as in the scanning run. Stop when those bytes arrive there.
        gdb.execute("starti", to_string=True)
        gdb.execute("watch -l *(long *)%d if *(long *)%d == %d" % (
            watch["address"], watch["address"], watch["value"]),
            to_string=True)
        gdb.execute("continue", to_string=True)
    else:
        gdb.execute("run", to_string=True)
    while gdb.selected_inferior().pid != 0:
        if watch and last_stop[1] == "watchpoint":
            report["origins"].append(gdb.execute("bt 25", to_string=True))
            last_stop[0] = last_stop[1] = None
            if len(report["origins"]) >= 3:
                gdb.execute("delete", to_string=True)
            gdb.execute("continue", to_string=True)
            continue
        pid = gdb.selected_inferior().pid
        frame_sys = None
        try:
            orig = int(gdb.parse_and_eval("$orig_rax"))
            rax = int(gdb.parse_and_eval("$rax"))
            entry = rax == -ENOSYS
            frame_sys = orig
        except gdb.error:
            entry = False
        name = None
        for n, num in SYSCALLS.items():
            if frame_sys == num:
                name = n
        if sig_syscall and frame_sys is not None and not entry and \
                frame_sys == syscall_number(sig_syscall):
            name = sig_syscall
        is_bp = last_stop[1] == "breakpoint"
        if name in ("write", "writev") and entry and not seen_result:
            fd = int(gdb.parse_and_eval("$rdi"))
            if fd == result_fd:
                seen_result = True
                report["moments"]["result"] = scan(
                    cfg, needles, "result",
                    "first %s() to fd %d" % (name, result_fd),
                    captures.setdefault("result", []) if late else None)
        elif name in ("write", "writev") and not entry and want_hardening \
                and seen_result and "hardening" not in report:
            report["hardening"] = hardening(pid)
        elif is_bp and last_stop[2] in moment_funcs:
            func = last_stop[2]
            moment_funcs[func] += 1
            mname = "%s#%d" % (func, moment_funcs[func])
            report["moments"][mname] = scan(
                cfg, needles, mname, "call %d of %s()" % (moment_funcs[func], func),
                captures.setdefault(mname, []) if late else None)
        elif name == "exit_group" and entry:
            report["moments"]["exit"] = scan(
                cfg, needles, "exit", "entry of exit_group()",
                captures.setdefault("exit", []) if late else None)
        if sig and not sig_sent:
            hit = False
            if sig_syscall and name == sig_syscall and not entry:
                sig_count += 1
                hit = sig_count == sig.get("nth", 1)
            elif is_bp and sig["at"] == "break:" + (last_stop[2] or ""):
                sig_count += 1
                hit = sig_count == sig.get("nth", 1)
            if hit:
                os.kill(pid, SIGNALS[sig["sig"]])
                sig_sent = True
                report["events"].append("sent SIG%s at %s (occurrence %d)" % (
                    sig["sig"], sig["at"], sig_count))
        last_stop[0] = None
        last_stop[1] = None
        last_stop[2] = None
        gdb.execute("continue", to_string=True)

    def conv(name):
        try:
            v = gdb.parse_and_eval(name)
            return None if str(v) == "void" else int(v)
        except gdb.error:
            return None

    if late:
        late_scan(cfg, report, captures)
    for m in report["moments"].values():
        m.pop("areas", None)
    report["exit_code"] = conv("$_exitcode")
    report["exit_signal"] = conv("$_exitsignal")
    report["signal_sent"] = sig_sent
    with open(cfg["report"], "w") as f:
        json.dump(report, f, indent=1)


last_stop = [None, None, None]  # event, kind, breakpoint location


def syscall_number(name):
    nums = {"connect": 42, "sendto": 44, "recvfrom": 45, "poll": 7,
            "ppoll": 271, "read": 0, "clock_nanosleep": 230, "nanosleep": 35,
            "openat": 257, "sendmsg": 46, "socket": 41}
    return nums[name]


def on_stop(ev):
    last_stop[0] = ev
    if isinstance(ev, gdb.BreakpointEvent):
        bp = ev.breakpoints[0]
        if bp.type == gdb.BP_BREAKPOINT:
            last_stop[1] = "breakpoint"
            last_stop[2] = bp.location
        elif bp.type in (gdb.BP_HARDWARE_WATCHPOINT, gdb.BP_WATCHPOINT):
            last_stop[1] = "watchpoint"
        else:
            last_stop[1] = "catch"
    else:
        last_stop[1] = "signal"


gdb.events.stop.connect(on_stop)
try:
    main()
except Exception as e:  # the driver reports a missing report as an error
    import traceback
    traceback.print_exc()
    if gdb.selected_inferior().pid != 0:
        gdb.execute("kill", to_string=True)
    os._exit(3)
