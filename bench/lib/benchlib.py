#!/usr/bin/env python3
"""Helpers for bench/run: config generation, polling predicates, process-tree
snapshots and the final report. Standard library only.

Subcommands (argv[1]):
  ecosystem N SCRIPT OUT [MEM]      write a swisor ecosystem file with N apps (each with
                                    max_memory_restart MEM when given)
  supervisor-conf N SCRIPT DIR OUT  write a supervisord config with N programs
  crash-ecosystem BIN LOG OUT       the swisor ecosystem file of the crash-to-respawn phase
  crash-supervisor-conf BIN LOG DIR OUT
                                    the supervisord config of the same phase
  count-starts LOG                  prints the "start" lines of a crash log
  swisor-summary                    stdin: `swisor list --json`; prints "apps online restarts"
  swisor-app NAME                   stdin: `swisor list --json`; prints "status restarts
                                    unstable_restarts" of app NAME ("missing 0 0" if absent)
  history-count EVENT               stdin: `swisor describe NAME --json`; prints how many
                                    events EVENT its (recent) history holds
  find-key KEY                      stdin: any JSON; prints the first value of KEY found at
                                    any depth ("none" if absent)
  kill-exe PATH                     SIGKILLs each live process whose executable is PATH;
                                    prints how many
  count-swisor                      stdin: `swisor list --json`; prints apps online
  count-supervisor                  stdin: `supervisorctl status`; prints RUNNING lines
  descendants PID                   prints "pid starttime" of every descendant of PID
  kill-survivors FILE               SIGKILLs each "pid starttime" of FILE still alive
                                    (same start time, not a zombie); prints how many
  count-alive FILE                  prints how many "pid starttime" of FILE are alive
  cpu-ticks PID                     prints utime+stime of PID in clock ticks
  stop-ecosystem NAME BIN MODE PIDFILE KILL_TIMEOUT_MS OUT
                                    the swisor ecosystem file of the stop section: one
                                    app running the tree (bench/lib/tree.c)
  stop-supervisor-conf BIN DIR OUT NAME:MODE:PIDFILE:STOPWAITSECS...
                                    the supervisord config of the same section
  tree-wait PIDFILE N DEADLINE CGROUP
                                    waits until the tree recorded N live processes (and,
                                    CGROUP not "-", until its cgroup holds exactly them)
  tree-procs PIDFILE                prints "pid starttime" of each process of the tree
  stop-time CGROUP PIDFILE SETTLE_MS TIMEOUT_S [KEY=VALUE...] -- CMD...
                                    times the stop request CMD (and, CGROUP not "-", when
                                    the cgroup reported populated 0); counts the tree's
                                    processes alive at its return and SETTLE_MS later;
                                    prints one JSON line
  stop-line FILE                    prints a summary of the last stop of FILE (stop-time's
                                    lines)
  cgroup-cleanup FILE               ends and removes every cgroup left under the
                                    directories named in FILE (swisor-<hash>, in any
                                    hierarchy); prints how many were left
  log-ecosystem CASE BIN DIR LINES LENGTH OUT
                                    the swisor ecosystem file of a case of the logs section
                                    (CASE "<n>-block" or "<n>-line"): n apps logw<n><b|l>-<i>
                                    (namespace logs<n><b|l>) running bench/lib/logwriter.c,
                                    each logging to DIR/out/<name>.log
  log-supervisor-conf BIN WORK TOTAL_LINES LENGTH SUPDIR OUT CASE...
                                    the supervisord config of the same section: a group per
                                    case (logw<n><b|l>), no log rotation
  log-run SUP CASE ROUND PID DIR LINES LENGTH TIMEOUT_S
                                    one round of the logs section: waits until the n
                                    writers of DIR are ready, starts them together, times
                                    until every log file holds all their bytes, reads the
                                    CPU ticks of daemon PID around it, waits for the
                                    writers to exit and checks every line; prints one JSON
                                    line
  mem-snapshot PID [KEY=VALUE...]   one JSON line: VmRSS, VmHWM, RssAnon, RssFile, Threads
                                    (/proc/PID/status) and Rss, Pss, Pss_Anon, Pss_File...
                                    (/proc/PID/smaps_rollup), in kB
  idle-window PID SECONDS PARTS [KEY=VALUE...]
                                    the CPU of PID over an idle window: utime+stime ticks
                                    and ns (its process CPU clock), per sub-window too, and
                                    Pss at the end of each; one JSON line
  startstop SUP N ROUNDS SETTLE_MS UPTIME_MS TIMEOUT_S ROOT APP SPEC PROCS [KEY=VALUE...]
            -- STOP_CMD... -- START_CMD...
                                    ROUNDS of "stop all" (timed until the last app process
                                    under ROOT exited, watched through pidfds) then "start
                                    all" (timed until the supervisor reports all N up: SPEC
                                    swisor:BIN, supervisord:SOCKET, s6:SCANDIR or
                                    runit:SCANDIR); one JSON line per command; every
                                    app process seen is appended to PROCS ("pid starttime")
  startstop-line FILE               prints a summary of the last round of FILE
  app-procs ROOT APP                prints "pid starttime" of every app process under ROOT
  s6-scandir N APP DIR              N s6 service directories (down) running APP
  runit-scandir N APP DIR           N runit service directories (down) running APP
  svc-control SCANDIR LETTER        writes LETTER to every service's supervise/control
  svc-ready SCANDIR N DEADLINE      waits until N services of SCANDIR are supervised
  report FACTS OUTDIR               reads key=value FACTS and hyperfine exports, writes
                                    OUTDIR/latest.json and OUTDIR/latest.md, prints the md
"""

import json
import math
import os
import sys
import time


# ---------------------------------------------------------------- generation

def ecosystem(n, script, out, max_memory=None):
    apps = []
    for i in range(n):
        app = {
            "name": f"bench-{i:03d}",
            "script": script,
            "interpreter": "none",
            "autorestart": True,
        }
        if max_memory:
            # Turns the memory watch on for every app (issue 3); far above what the app
            # uses, so it never fires.
            app["max_memory_restart"] = max_memory
        apps.append(app)
    with open(out, "w") as f:
        json.dump({"apps": apps}, f, indent=1)
        f.write("\n")


# The crash-to-respawn phase: one app that exits with code 1 as soon as it starts, to be
# restarted at once, forever (bounded by bench/run's deadline and its stop).
CRASH_MAX_RESTARTS = 1000000


def crash_ecosystem(binary, log, out):
    app = {
        "name": "crash",
        "script": binary,
        "args": [log],
        "interpreter": "none",
        "autorestart": True,
        # No run is unstable (a run is unstable when shorter than min_uptime), so the
        # crash-loop count never grows; max_restarts is only a second guard.
        "min_uptime": 0,
        "max_restarts": CRASH_MAX_RESTARTS,
        # No restart_delay and no exp_backoff_restart_delay: restart at once.
    }
    with open(out, "w") as f:
        json.dump({"apps": [app]}, f, indent=1)
        f.write("\n")


def _supervisor_head(d, loglevel):
    return [
        "[unix_http_server]",
        f"file={d}/supervisor.sock",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={d}/supervisord.log",
        f"pidfile={d}/supervisord.pid",
        f"childlogdir={d}/logs",
        "nodaemon=false",
        f"loglevel={loglevel}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{d}/supervisor.sock",
        "",
    ]


def crash_supervisor_conf(binary, log, d, out):
    # loglevel info: every spawn and exit is logged, so bench/run can check afterwards
    # that the program kept being respawned and never went to BACKOFF or FATAL.
    lines = _supervisor_head(d, "info") + [
        "[program:crash]",
        f"command={binary} {log}",
        "autostart=true",
        # RestartUnconditionally: EXITED -> STARTING on the main loop's next pass.
        "autorestart=true",
        # With startsecs=0 a run is never "too quick" (now - laststart < 0 is false), so
        # an exit goes RUNNING -> EXITED, never STARTING -> BACKOFF: startretries (the
        # BACKOFF -> FATAL count) is never used; it is set high as a second guard.
        "startsecs=0",
        f"startretries={CRASH_MAX_RESTARTS}",
        # Exit code 1 is "not expected" (only 0 is), as swisor's autorestart.
        "exitcodes=0",
        "stopasgroup=true",
        "killasgroup=true",
        "stopwaitsecs=5",
        f"stdout_logfile={d}/logs/crash.out",
        f"stderr_logfile={d}/logs/crash.err",
        "",
    ]
    with open(out, "w") as f:
        f.write("\n".join(lines))


def supervisor_conf(n, script, d, out):
    lines = _supervisor_head(d, "warn")
    for i in range(n):
        lines += [
            f"[program:bench-{i:03d}]",
            f"command={script}",
            "autostart=true",
            "autorestart=true",
            # Counted RUNNING as soon as it is spawned, like swisor's `online`.
            "startsecs=0",
            # Stop the whole tree (the shell and its sleep), as swisor does.
            "stopasgroup=true",
            "killasgroup=true",
            "stopwaitsecs=5",
            f"stdout_logfile={d}/logs/bench-{i:03d}.out",
            f"stderr_logfile={d}/logs/bench-{i:03d}.err",
            "",
        ]
    with open(out, "w") as f:
        f.write("\n".join(lines))


# ---------------------------------------------------------------- polling

def count_swisor():
    try:
        apps = json.load(sys.stdin)
    except ValueError:
        print(0)
        return
    if isinstance(apps, dict):  # tolerate {"apps": [...]}
        apps = apps.get("apps", [])
    print(sum(1 for a in apps if isinstance(a, dict) and a.get("status") == "online"))


def count_supervisor():
    print(sum(1 for line in sys.stdin if len(line.split()) > 1 and line.split()[1] == "RUNNING"))


def _list_json():
    try:
        apps = json.load(sys.stdin)
    except ValueError:
        return []
    if isinstance(apps, dict):
        apps = apps.get("apps", [])
    return [a for a in apps if isinstance(a, dict)]


def swisor_summary():
    apps = _list_json()
    print(len(apps), sum(1 for a in apps if a.get("status") == "online"),
          sum(int(a.get("restarts") or 0) for a in apps))


def swisor_app(name):
    for a in _list_json():
        if a.get("name") == name:
            status = str(a.get("status", "?")).replace(" ", "_")
            print(status, int(a.get("restarts") or 0), int(a.get("unstable_restarts") or 0))
            return
    print("missing 0 0")


def history_count(event):
    try:
        data = json.load(sys.stdin)
    except ValueError:
        print(0)
        return
    items = data if isinstance(data, list) else [data]
    print(sum(1 for d in items if isinstance(d, dict)
              for h in d.get("history", []) if isinstance(h, dict) and h.get("event") == event))


def find_key(key):
    def walk(v):
        if isinstance(v, dict):
            if key in v:
                return v[key]
            v = list(v.values())
        if isinstance(v, list):
            for x in v:
                r = walk(x)
                if r is not None:
                    return r
        return None
    try:
        r = walk(json.load(sys.stdin))
    except ValueError:
        r = None
    print("none" if r is None else r)


def count_starts(path):
    try:
        with open(path, "rb") as f:
            print(sum(1 for line in f if line.startswith(b"start ")))
    except OSError:
        print(0)


# ---------------------------------------------------------------- /proc

def _stat(pid):
    """(ppid, starttime, utime+stime) of pid, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); field N is rest[N - 3]
    return int(rest[1]), int(rest[19]), int(rest[11]) + int(rest[12])


def descendants(root):
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _stat(int(name))
        if st:
            children.setdefault(st[0], []).append((int(name), st[1]))
    out, todo = [], [root]
    while todo:
        for pid, start in children.get(todo.pop(), []):
            out.append((pid, start))
            todo.append(pid)
    for pid, start in out:
        print(pid, start)


def _zombie(pid):
    """A zombie has exited and waits only for its (new) parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return True
    return data[data.rindex(")") + 2] == "Z"


def kill_survivors(path):
    n = 0
    with open(path) as f:
        for line in f:
            pid, start = (int(x) for x in line.split())
            st = _stat(pid)
            if st and st[1] == start and not _zombie(pid):
                n += 1
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
    print(n)


def count_alive(path):
    """How many "pid starttime" of FILE are still that process, alive (not a zombie)."""
    n = 0
    with open(path) as f:
        for line in f:
            pid, start = (int(x) for x in line.split())
            if _same_alive(pid, start):
                n += 1
    print(n)


def kill_exe(path):
    """SIGKILLs every live process running the executable PATH (the crash app of this run,
    which lives in this run's own work area, so nothing else can match). Prints how many."""
    target = os.path.realpath(path)
    n = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{name}/exe")
        except OSError:
            continue
        if exe == target and not _zombie(int(name)):
            n += 1
            try:
                os.kill(int(name), 9)
            except OSError:
                pass
    print(n)


def cpu_ticks(pid):
    st = _stat(pid)
    print(st[2] if st else 0)


# ---------------------------------------------------------------- stop section (issue 4)

# The tree of bench/lib/tree.c: how many processes it makes, and which of them leave the
# main process's process group and session (setsid + double fork).
TREE_PROCESSES = 50
TREE_ESCAPED_ROLES = ("escaped", "escaped-child")


def stop_ecosystem(name, binary, mode, pidfile, kill_timeout_ms, out):
    app = {
        "name": name,
        "script": binary,
        "args": [mode, pidfile],
        "interpreter": "none",
        # Started and stopped by bench/run only: nothing restarts it between rounds.
        "autorestart": False,
        "kill_signal": "SIGTERM",
        "kill_timeout": int(kill_timeout_ms),
        # Every process of the app gets kill_signal at once (the default).
        "kill_mode": "group",
    }
    with open(out, "w") as f:
        json.dump({"apps": [app]}, f, indent=1)
        f.write("\n")


def stop_supervisor_conf(binary, d, out, programs):
    """programs: "NAME:MODE:PIDFILE:STOPWAITSECS" each."""
    lines = _supervisor_head(d, "info")
    for spec in programs:
        name, mode, pidfile, waitsecs = spec.split(":", 3)
        lines += [
            f"[program:{name}]",
            f"command={binary} {mode} {pidfile}",
            # Started and stopped by bench/run only.
            "autostart=false",
            "autorestart=false",
            "startsecs=0",
            "stopsignal=TERM",
            # The stop signal, then SIGKILL after stopwaitsecs, to the main process's
            # process group (kill(-pid, ...)), not to the main process alone.
            "stopasgroup=true",
            "killasgroup=true",
            f"stopwaitsecs={waitsecs}",
            f"stdout_logfile={d}/logs/{name}.out",
            f"stderr_logfile={d}/logs/{name}.err",
            "",
        ]
    with open(out, "w") as f:
        f.write("\n".join(lines))


def _tree(pidfile):
    """[(role, pid, starttime, pgid, sid)] recorded by the tree so far."""
    out = []
    try:
        with open(pidfile) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5 and all(x.isdigit() for x in parts[1:]):
                    out.append((parts[0],) + tuple(int(x) for x in parts[1:]))
    except OSError:
        pass
    return out


def _same_alive(pid, start):
    """pid is still the process that recorded start time `start`, and not a zombie."""
    st = _stat(pid)
    return bool(st) and st[1] == start and not _zombie(pid)


def _cgroup_pids(cg):
    try:
        with open(os.path.join(cg, "cgroup.procs")) as f:
            return {int(x) for x in f.read().split()}
    except OSError:
        return None


def _cgroup_state(cg):
    """"populated 0", "populated 1" or "removed" (a cgroup is removed only when empty)."""
    try:
        with open(os.path.join(cg, "cgroup.events")) as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k == "populated":
                    return f"populated {v.strip()}"
    except FileNotFoundError:
        return "removed"
    except OSError as e:
        return f"unreadable ({e.strerror})"
    return "unknown"


def tree_wait(pidfile, n, deadline_s, cg):
    """Waits until the tree has recorded n processes, all alive, and (cg not "-") the
    app's cgroup holds exactly those (an intermediate process of a double fork is gone).
    Exit 0 then; else prints what was seen and exits 1."""
    end = time.monotonic() + float(deadline_s)
    while True:
        tree = _tree(pidfile)
        why = None
        if len(tree) < n:
            why = f"{len(tree)} of {n} processes recorded"
        else:
            dead = [t[1] for t in tree if not _same_alive(t[1], t[2])]
            if dead:
                why = f"{len(dead)} recorded process(es) not alive: {dead[:5]}"
            elif cg != "-":
                procs = _cgroup_pids(cg)
                want = {t[1] for t in tree}
                if procs is None:
                    why = f"no cgroup.procs in {cg}"
                elif procs != want:
                    why = (f"cgroup.procs has {len(procs)} pid(s), {len(procs - want)} not "
                           f"recorded, {len(want - procs)} recorded not in it")
        if why is None:
            return
        if time.monotonic() >= end:
            print(why)
            sys.exit(1)
        time.sleep(0.005)


def tree_procs(pidfile):
    for t in _tree(pidfile):
        print(t[1], t[2])


def _events_fd(cg):
    """cgroup.events of cg opened and read once, or None. The kernel wakes a poll for
    POLLPRI on it (with POLLERR) at once when the file changes (kernfs: the inotify event
    of the same change is delivered later, from a work queue, and is lost when the cgroup
    is removed first); reading the file again re-arms it."""
    try:
        fd = os.open(os.path.join(cg, "cgroup.events"), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        os.read(fd, 4096)
    except OSError:
        os.close(fd)
        return None
    return fd


def _events_empty(fd):
    """Reads cgroup.events again through fd (which re-arms it): True when it says
    `populated 0`, or can no longer be read (the cgroup was removed, which the kernel
    allows only once it is empty)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode()
    except OSError:
        return True
    return "populated 0" in text


def stop_time(cg, pidfile, settle_ms, timeout_s, cmd, labels=None):
    """Runs cmd (a stop request) and prints one JSON line: its wall time from fork to its
    exit (cli_ms), its exit status, and, when cg is not "-", when the app's cgroup reported
    `populated 0` (empty_ms, from the same start, seen by polling cgroup.events for POLLPRI)
    and the cgroup's state read right after cmd returned. Then how many of the processes
    the tree recorded were alive (same start time, not zombies) right after cmd returned
    (alive_at_return), and settle_ms later (survivors), by role. labels (KEY=VALUE) are
    copied into the line."""
    import select
    import subprocess
    tree = _tree(pidfile)
    ev = None
    if cg != "-":
        ev = _events_fd(cg)
    empty_ns = None
    t0 = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    pidfd = os.pidfd_open(p.pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    if ev is not None:
        poller.register(ev, select.POLLPRI)
        if _events_empty(ev):
            empty_ns = time.monotonic_ns()
    ret_ns = None
    timed_out = False
    # Read the command's output as it comes, so it never blocks on a full pipe.
    os.set_blocking(p.stdout.fileno(), False)
    poller.register(p.stdout.fileno(), select.POLLIN)
    output = b""
    while ret_ns is None:
        left = t0 / 1e6 + timeout_s * 1000 - time.monotonic_ns() / 1e6
        if left <= 0:
            timed_out = True
            p.kill()
            p.wait()
            ret_ns = time.monotonic_ns()
            break
        events = poller.poll(left)
        now = time.monotonic_ns()
        for fd, _ in events:
            if fd == ev:
                if _events_empty(ev):
                    if empty_ns is None:
                        empty_ns = now
                    # Nothing more to learn from it (and a removed file may stay ready
                    # for poll: it would wake the loop again and again).
                    poller.unregister(ev)
            elif fd == pidfd:
                ret_ns = now
            else:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if chunk:
                    output += chunk
                else:
                    poller.unregister(fd)
    rc = p.wait()
    try:
        output += p.stdout.read() or b""
    except (BlockingIOError, TypeError):
        pass
    alive = [t for t in tree if _same_alive(t[1], t[2])]
    res = dict(labels or {})
    res.update({"cli_ms": round((ret_ns - t0) / 1e6, 3), "rc": rc, "timed_out": timed_out,
                "recorded": len(tree)})
    if cg != "-":
        state = _cgroup_state(cg)
        res["cgroup_after"] = state
        procs = _cgroup_pids(cg)
        res["cgroup_procs_after"] = 0 if procs is None else len(procs)
        if ev is not None:
            os.close(ev)
        else:
            res["events_watched"] = False
        res["empty_ms"] = None if empty_ns is None else round((empty_ns - t0) / 1e6, 3)
    os.close(pidfd)
    res["alive_at_return"] = len(alive)
    time.sleep(settle_ms / 1000)
    left = [t for t in tree if _same_alive(t[1], t[2])]
    res["survivors"] = len(left)
    res["survivors_escaped"] = sum(1 for t in left if t[0] in TREE_ESCAPED_ROLES)
    res["survivors_in_group"] = len(left) - res["survivors_escaped"]
    if rc != 0 or timed_out:
        res["output"] = output.decode("utf-8", "replace")[-300:]
    print(json.dumps(res, sort_keys=True))


def stop_line(path):
    """A summary, for the log, of the last stop of stop-rounds.jsonl."""
    with open(path) as f:
        r = [json.loads(x) for x in f if x.strip()]
    r = [x for x in r if x.get("kind") == "stop"][-1]
    e = r.get("empty_ms")
    print(f"{r['cli_ms']:.1f} ms" + (f" (populated 0 at {e:.1f} ms)" if e is not None else "")
          + f", {r['alive_at_return']} alive at return, {r['survivors']} survivor(s)"
          + (f", exit {r['rc']}" if r["rc"] else ""))


def cgroup_cleanup(listfile):
    """listfile: names of the cgroup directories of swisor homes of this run, one a line
    ("swisor-<hash of the home>", from `swisor describe`'s "cgroup"; the home is in this
    run's work area, so the name is this run's only). Each directory of that name left in
    any hierarchy under /sys/fs/cgroup (cgroup2 and, on a hybrid host, the v1 ones), and
    every cgroup below it, deepest first: what is left in it is ended (cgroup.kill, else
    SIGKILL to each pid of cgroup.procs), then it is removed. Run only once the daemon of
    the home has exited. Prints how many directories were left."""
    try:
        with open(listfile) as f:
            names = {line.strip() for line in f if line.strip().startswith("swisor-")}
    except OSError:
        names = set()
    roots = []
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        if top.count("/") - 3 >= 6:
            dirs[:] = []
            continue
        for d in list(dirs):
            if d in names:
                roots.append(os.path.join(top, d))
                dirs.remove(d)
    found = []
    for root in roots:
        for top, dirs, _ in os.walk(root):
            found.append(top)
    for d in sorted(found, key=lambda x: x.count("/"), reverse=True):
        try:
            with open(os.path.join(d, "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            for pid in _cgroup_pids(d) or ():
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
        end = time.monotonic() + 2
        while any(not _zombie(p) for p in _cgroup_pids(d) or ()) and time.monotonic() < end:
            time.sleep(0.01)
        try:
            os.rmdir(d)
        except OSError as e:
            sys.stderr.write(f"bench: could not remove {d}: {e.strerror}\n")
    print(len(found))


# ---------------------------------------------------------------- issue 15: the performance floor

def _cpu_ns(pid):
    """utime+stime of process pid (all its threads, the exited ones included) in ns: its
    process CPU-time clock (CPUCLOCK_SCHED of the pid, what clock_getcpuclockid(3) gives),
    read with clock_gettime. The same sum as the ticks of /proc/PID/stat, without their
    10 ms resolution. None when it cannot be read."""
    try:
        return time.clock_gettime_ns(((~int(pid)) << 3) | 2)
    except (OSError, OverflowError):
        return None


_STATUS_KEYS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads")
_ROLLUP_KEYS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Private_Clean",
                "Private_Dirty", "Shared_Clean", "Shared_Dirty", "Swap")


def _proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in _STATUS_KEYS:
                    out[k if k == "Threads" else f"{k}_kB"] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def _smaps_rollup(pid):
    """The kB fields of /proc/PID/smaps_rollup (Pss, and Pss_Anon / Pss_File / Pss_Shmem on
    kernels from 5.7), or {} when it cannot be read."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in _ROLLUP_KEYS:
                    out[f"{k}_kB"] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def mem_snapshot(pid, labels):
    """One JSON line: /proc/PID/status (VmRSS, VmHWM, RssAnon, RssFile, RssShmem, Threads)
    and /proc/PID/smaps_rollup (Rss, Pss, Pss_Anon, Pss_File, ...) of pid, in kB."""
    res = dict(labels)
    res["pid"] = int(pid)
    res.update(_proc_status(pid))
    roll = _smaps_rollup(pid)
    res.update(roll)
    res["smaps_rollup"] = bool(roll)
    print(json.dumps(res, sort_keys=True))


def idle_window(pid, seconds, parts, labels):
    """The CPU of process pid over an idle window of `seconds`, split into `parts` equal
    sub-windows: one JSON line with the utime+stime ticks of /proc/PID/stat across the
    whole window (the figure of issue 3), the same from the process CPU clock in ns, the
    rate of each sub-window (ms of CPU per second; their median and spread), and Pss
    (smaps_rollup) at the end of each sub-window. Only /proc is read: the process is never
    asked anything."""
    ticks = os.sysconf("SC_CLK_TCK")
    parts = max(1, int(parts))
    res = dict(labels)
    st0, ns0, w0 = _stat(pid), _cpu_ns(pid), time.monotonic_ns()
    if not st0:
        res["error"] = f"process {pid} not found"
        print(json.dumps(res, sort_keys=True))
        return
    marks = [(w0, ns0)]
    pss = []
    for i in range(1, parts + 1):
        end = w0 + int(i * seconds * 1e9 / parts)
        while True:
            left = end - time.monotonic_ns()
            if left <= 0:
                break
            time.sleep(left / 1e9)
        marks.append((time.monotonic_ns(), _cpu_ns(pid)))
        p = _smaps_rollup(pid).get("Pss_kB")
        if p is not None:
            pss.append(p)
    st1, w1 = _stat(pid), time.monotonic_ns()
    if not st1:
        res["error"] = f"process {pid} exited during the window"
        print(json.dumps(res, sort_keys=True))
        return
    window_ms = (w1 - w0) / 1e6
    res.update({
        "pid": int(pid),
        "window_ms": round(window_ms, 1),
        "clk_tck": ticks,
        "ticks": st1[2] - st0[2],
        "cpu_ms_ticks": round((st1[2] - st0[2]) * 1000 / ticks, 3),
        "cpu_ms_per_s_ticks": round((st1[2] - st0[2]) * 1000 / ticks * 1000 / window_ms, 4),
        "parts": parts,
    })
    if all(ns is not None for _, ns in marks):
        res["cpu_ms_ns"] = round((marks[-1][1] - marks[0][1]) / 1e6, 4)
        res["cpu_ms_per_s_ns"] = round((marks[-1][1] - marks[0][1]) / 1e6 * 1e9
                                       / (marks[-1][0] - marks[0][0]), 4)
        rates = [round((b[1] - a[1]) / 1e6 * 1e9 / (b[0] - a[0]), 4)
                 for a, b in zip(marks, marks[1:])]
        res["part_ms_per_s"] = rates
        res["part_ms_per_s_dist"] = _dist4(rates)
    if pss:
        res["pss_kB_samples"] = pss
    print(json.dumps(res, sort_keys=True))


def _dist4(values):
    """median, p10 and p90 (nearest rank), min, max and mean, to 4 decimals."""
    srt = sorted(values)
    n = len(srt)
    mid = n // 2
    r = lambda x: round(x, 4)
    rank = lambda q: srt[min(n - 1, max(0, math.ceil(q * n) - 1))]
    return {"n": n, "median": r(srt[mid] if n % 2 else (srt[mid - 1] + srt[mid]) / 2),
            "p10": r(rank(0.1)), "p90": r(rank(0.9)), "min": r(srt[0]), "max": r(srt[-1]),
            "mean": r(sum(srt) / n)}


# ---- start all / stop all rounds

def _children_map():
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _stat(int(name))
        if st:
            children.setdefault(st[0], []).append((int(name), st[1]))
    return children


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def _app_procs(root, app, mains=None):
    """(pid, starttime) of every live process of the apps under supervisor process root:
    each descendant of root whose command line names the app script (the shell running
    it: its main process), and every descendant of those (its sleep). The supervisor's own
    helpers (s6-supervise, runsv) are not counted. The pids of the main processes are added
    to the set mains when given."""
    want = app.encode()
    children = _children_map()
    out = []
    todo = [(root, False)]
    while todo:
        pid, inside = todo.pop()
        for c, start in children.get(pid, []):
            main = not inside and want in _cmdline(c)
            mine = inside or main
            if mine and not _zombie(c):
                out.append((c, start))
                if main and mains is not None:
                    mains.add(c)
            todo.append((c, mine))
    return out


def _supervisord_states(sock):
    """{statename: count} of every program of the supervisord listening on unix socket
    sock, from its XML-RPC interface (supervisor.getAllProcessInfo): what `supervisorctl
    status` asks, without starting a Python interpreter per poll."""
    import http.client
    import socket
    import xmlrpc.client

    class Conn(http.client.HTTPConnection):
        def __init__(self):
            super().__init__("localhost", timeout=30)

        def connect(self):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            s.connect(sock)
            self.sock = s

    class Transport(xmlrpc.client.Transport):
        def make_connection(self, host):
            return Conn()

    proxy = xmlrpc.client.ServerProxy("http://localhost", transport=Transport())
    try:
        infos = proxy.supervisor.getAllProcessInfo()
    finally:
        proxy("close")()
    out = {}
    for x in infos:
        out[x.get("statename")] = out.get(x.get("statename"), 0) + 1
    return out


def _services(scandir):
    return sorted(os.path.join(scandir, d) for d in os.listdir(scandir)
                  if not d.startswith(".") and os.path.isdir(os.path.join(scandir, d)))


def _s6_state(svc):
    """"up", "down" or "other" from SVC/supervise/status (what s6-svstat reads; s6 2.11:
    35 bytes, the pid at offset 24 as 8 bytes big-endian, flags at 34, bit 1 finishing)."""
    try:
        with open(os.path.join(svc, "supervise", "status"), "rb") as f:
            data = f.read()
    except OSError:
        return "other"
    if len(data) < 35:
        return "other"
    pid = int.from_bytes(data[24:32], "big")
    finishing = data[34] & 2
    if finishing:
        return "other"
    return "up" if pid else "down"


def _runit_state(svc):
    """"up", "down" or "other" from SVC/supervise/stat (what `sv status` reads: run, down,
    finish)."""
    try:
        with open(os.path.join(svc, "supervise", "stat")) as f:
            word = f.read().split(",")[0].strip()
    except OSError:
        return "other"
    return {"run": "up", "down": "down"}.get(word, "other")


def _states(spec):
    """(up, down, total) of the apps, as the supervisor itself reports them. spec:
    swisor:BIN (`swisor list --json`: online / stopped), supervisord:SOCKET (RUNNING /
    STOPPED), s6:SCANDIR, runit:SCANDIR (each service's supervise status file)."""
    import subprocess
    kind, _, arg = spec.partition(":")
    if kind == "swisor":
        p = subprocess.run([arg, "list", "--json"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
        try:
            apps = json.loads(p.stdout or b"[]")
        except ValueError:
            return 0, 0, 0
        if isinstance(apps, dict):
            apps = apps.get("apps", [])
        apps = [a for a in apps if isinstance(a, dict)]
        return (sum(1 for a in apps if a.get("status") == "online"),
                sum(1 for a in apps if a.get("status") == "stopped"), len(apps))
    if kind == "supervisord":
        s = _supervisord_states(arg)
        return s.get("RUNNING", 0), s.get("STOPPED", 0), sum(s.values())
    read = _s6_state if kind == "s6" else _runit_state
    states = [read(svc) for svc in _services(arg)]
    return states.count("up"), states.count("down"), len(states)


def _output_says_all(kind, output, n, what):
    """True when the start command's own output reports all n apps up: swisor's table
    (every line with the status `online`), supervisorctl's `NAME: started` lines."""
    text = output.decode("utf-8", "replace")
    if kind == "swisor" and what == "start":
        return sum(1 for line in text.splitlines() if "online" in line.split()) >= n
    if kind == "supervisord" and what == "start":
        return sum(1 for line in text.splitlines() if line.rstrip().endswith(": started")) >= n
    return False


def svc_control(scandir, letter):
    """Writes `letter` to SVC/supervise/control of every service of scandir: what `s6-svc
    -LETTER SVC` (and runit's `sv`) does for one service. Returns how many writes failed."""
    failed = 0
    for svc in _services(scandir):
        try:
            fd = os.open(os.path.join(svc, "supervise", "control"), os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            failed += 1
            continue
        try:
            os.write(fd, letter.encode())
        except OSError:
            failed += 1
        finally:
            os.close(fd)
    return failed


def svc_ready(scandir, n, deadline_s):
    """Waits until n services of scandir have a supervisor reading their control FIFO
    (opening it for writing without blocking succeeds only then). Exit 1 on the deadline."""
    end = time.monotonic() + float(deadline_s)
    while True:
        ok = 0
        for svc in _services(scandir):
            try:
                fd = os.open(os.path.join(svc, "supervise", "control"), os.O_WRONLY | os.O_NONBLOCK)
                os.close(fd)
                ok += 1
            except OSError:
                pass
        if ok >= n:
            return
        if time.monotonic() >= end:
            print(f"{ok} of {n} services supervised")
            sys.exit(1)
        time.sleep(0.05)


def _raise_nofile():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def _run_cmd(cmd, timeout_s):
    """Runs a start command: (rc, output, monotonic ns at its exit); rc None on timeout."""
    import subprocess
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return None, out, time.monotonic_ns()
    return p.returncode, out, time.monotonic_ns()


def _wait_until(pred, deadline_ns, pause_s=0.02):
    while True:
        r = pred()
        if r:
            return r
        if time.monotonic_ns() >= deadline_ns:
            return None
        time.sleep(pause_s)


def _timed_stop(cmd, root, app, timeout_s, procs_file):
    """The stop: every app process (sh and sleep of each app under root) is opened as a
    pidfd first; then the command is forked, and one epoll watches those pidfds, the
    command's pidfd and its output: `gone_ms` is the exit of the last app process, from
    the command's fork; `cli_ms` the command's exit."""
    import select
    import subprocess
    mains = set()
    procs = _app_procs(root, app, mains)
    with open(procs_file, "a") as f:
        for pid, start in procs:
            f.write(f"{pid} {start}\n")
    ep = select.epoll()
    fds = set()
    main_fds = set()
    for pid, start in procs:
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue  # already gone
        if not _same_alive(pid, start):
            os.close(fd)
            continue
        fds.add(fd)
        if pid in mains:
            main_fds.add(fd)
        ep.register(fd, select.EPOLLIN)
    n = len(fds)
    last = last_main = None
    t0 = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    cmd_fd = os.pidfd_open(p.pid)
    out_fd = p.stdout.fileno()
    os.set_blocking(out_fd, False)
    ep.register(cmd_fd, select.EPOLLIN)
    ep.register(out_fd, select.EPOLLIN)
    cmd_ns = None
    output = b""
    deadline = t0 + int(timeout_s * 1e9)
    while fds or cmd_ns is None:
        left = (deadline - time.monotonic_ns()) / 1e9
        if left <= 0:
            break
        for fd, _ in ep.poll(left):
            now = time.monotonic_ns()
            if fd == cmd_fd:
                cmd_ns = now
                ep.unregister(fd)
            elif fd == out_fd:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                output += chunk
                if not chunk:
                    ep.unregister(fd)
            else:
                ep.unregister(fd)
                os.close(fd)
                fds.discard(fd)
                last = now
                if fd in main_fds:
                    last_main = now
    if cmd_ns is None:
        p.kill()
        cmd_ns = time.monotonic_ns()
    rc = p.wait()
    try:
        output += p.stdout.read() or b""
    except (BlockingIOError, TypeError):
        pass
    for fd in fds:
        os.close(fd)
    os.close(cmd_fd)
    ep.close()
    res = {"procs": len(procs), "watched": n, "left": len(fds),
           "cli_ms": round((cmd_ns - t0) / 1e6, 3), "rc": rc}
    if not fds:
        res["done_ms"] = round(((last or t0) - t0) / 1e6, 3)
        # The main processes (the shells the supervisor started and signals) alone.
        res["mains_done_ms"] = round(((last_main or t0) - t0) / 1e6, 3)
        res["mains"] = len(main_fds)
    else:
        res["error"] = f"{len(fds)} of {n} app processes still alive after {timeout_s}s"
    if rc != 0:
        res["output"] = output.decode("utf-8", "replace")[-300:]
    return res


def _timed_start(cmd, kind, spec, n, timeout_s):
    """The start: `cli_ms` is the command's exit; `done_ms` the first moment the supervisor
    reported all n apps up: the command's own output when it says so (swisor's table,
    supervisorctl's `started` lines), else the return of the first status read that does,
    polled from the command's exit on (runit, s6: their status files, every 1 ms)."""
    t0 = time.monotonic_ns()
    rc, out, t1 = _run_cmd(cmd, timeout_s)
    res = {"cli_ms": round((t1 - t0) / 1e6, 3), "rc": rc}
    if _output_says_all(kind, out, n, "start"):
        res["done_ms"] = res["cli_ms"]
        res["seen_by"] = "command output"
    else:
        deadline = t0 + int(timeout_s * 1e9)
        polls = 0
        while True:
            up, _, _ = _states(spec)
            polls += 1
            now = time.monotonic_ns()
            if up >= n:
                res["done_ms"] = round((now - t0) / 1e6, 3)
                res["seen_by"] = f"status read ({polls})"
                break
            if now >= deadline:
                res["error"] = f"only {up} of {n} apps up after {timeout_s}s"
                break
            time.sleep(0.001)
    if rc != 0:
        res["output"] = out.decode("utf-8", "replace")[-300:]
    return res


def startstop(sup, n, rounds, settle_ms, uptime_ms, timeout_s, root, app, spec, procs_file,
              stop_cmd, start_cmd, labels):
    """Rounds of `stop all` then `start all` of the n apps under one supervisor (they run
    when it begins): one JSON line per timed command. Between them, untimed: until the
    supervisor reports every app stopped (after a stop), or every app up with its two
    processes (after a start), then settle_ms of quiet; and a stop comes at least
    uptime_ms after the start before it (runsv delays a start by up to a second when the
    service's last run was shorter than that). Exit 1 after a failed round."""
    _raise_nofile()
    kind = spec.partition(":")[0]
    far = lambda: time.monotonic_ns() + int(timeout_s * 1e9)

    def all_up():
        up, _, _ = _states(spec)
        return up >= n and len(_app_procs(root, app)) >= 2 * n

    def all_down():
        _, down, _ = _states(spec)
        return down >= n

    if not _wait_until(all_up, far(), 0.05):
        print(json.dumps(dict(labels, supervisor=sup, apps=n, kind="setup",
                              error=f"the {n} apps are not all up before the first round")))
        sys.exit(1)
    failed = False
    started = time.monotonic_ns()
    for rnd in range(1, rounds + 1):
        for what in ("stop", "start"):
            time.sleep(settle_ms / 1000)
            if what == "stop":
                wait = started + int(uptime_ms * 1e6) - time.monotonic_ns()
                if wait > 0:
                    time.sleep(wait / 1e9)
                r = _timed_stop(stop_cmd, root, app, timeout_s, procs_file)
                ok = "done_ms" in r and _wait_until(all_down, far())
                if "done_ms" in r and not ok:
                    r["error"] = "the supervisor does not report every app stopped"
            else:
                r = _timed_start(start_cmd, kind, spec, n, timeout_s)
                ok = "done_ms" in r and _wait_until(all_up, far())
                started = time.monotonic_ns()
                if "done_ms" in r and not ok:
                    r["error"] = "not every app has its two processes"
            row = dict(labels)
            row.update({"supervisor": sup, "apps": n, "kind": what, "round": rnd})
            row.update(r)
            print(json.dumps(row, sort_keys=True), flush=True)
            if not ok:
                failed = True
                break
        if failed:
            break
    if failed:
        sys.exit(1)


def startstop_line(path):
    """A summary, for the log, of the last start and stop of startstop.jsonl."""
    with open(path) as f:
        rows = [json.loads(x) for x in f if x.strip()]
    last = {}
    for r in rows:
        last[r.get("kind")] = r
    parts = []
    for k in ("stop", "start"):
        r = last.get(k)
        if r:
            parts.append(f"{k} {r.get('done_ms', 'failed')} ms (command {r.get('cli_ms')} ms)")
    print(", ".join(parts))


def app_procs(root, app):
    for pid, start in _app_procs(int(root), app):
        print(pid, start)


def s6_scandir(n, app, scandir):
    """N services bench-000... under scandir, each down until told up: ./run records its
    pid (s6-supervise makes it a session and process group leader) and execs the app;
    ./finish signals that process group, so the app's sleep does not outlive a stop
    (s6-supervise signals the main process only, and s6 2.11 passes no pgid to finish)."""
    os.makedirs(scandir, exist_ok=True)
    for i in range(n):
        d = os.path.join(scandir, f"bench-{i:03d}")
        os.makedirs(d, exist_ok=True)
        _script(os.path.join(d, "run"), f'echo $$ >pgid\nexec {app}\n')
        _script(os.path.join(d, "finish"),
                'p=$(cat pgid 2>/dev/null)\nrm -f pgid\n[ -n "$p" ] || exit 0\n'
                'exec kill -TERM -- "-$p" 2>/dev/null\n')
        open(os.path.join(d, "down"), "w").close()


def runit_scandir(n, app, scandir):
    """N services under scandir, each down until told up: ./run execs the app in a session
    of its own (setsid(1) does not fork: runsv's child is not a group leader), and
    ./control/t, which runsv runs on `sv down` before it signals the main process, sends
    SIGTERM to that process group (runsv signals the main process only)."""
    os.makedirs(scandir, exist_ok=True)
    for i in range(n):
        d = os.path.join(scandir, f"bench-{i:03d}")
        os.makedirs(os.path.join(d, "control"), exist_ok=True)
        _script(os.path.join(d, "run"), f"exec setsid {app}\n")
        _script(os.path.join(d, "control", "t"),
                'p=$(cat supervise/pid 2>/dev/null)\n[ -n "$p" ] || exit 1\n'
                'exec kill -TERM -- "-$p"\n')
        open(os.path.join(d, "down"), "w").close()


def _script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)


# ---------------------------------------------------------------- logs section (issue 6)

# A case of the logs section: how many writers and how they write ("block": 4096-byte
# writes; "line": one write per line), as "<n>-<mode>".
def _log_case(case):
    n, mode = case.split("-")
    return int(n), mode


def _log_names(case):
    n, mode = _log_case(case)
    return [f"logw{n}{mode[0]}-{i}" for i in range(n)]


def _log_args(binary, d, name, lines, length, mode):
    return [f"{d}/{name}.ready", f"{d}/go", str(lines), str(length), f"{d}/{name}.stamps", mode]


def log_ecosystem(case, binary, d, lines, length, out):
    n, mode = _log_case(case)
    apps = []
    for name in _log_names(case):
        apps.append({
            "name": name,
            "namespace": f"logs{n}{mode[0]}",
            "script": binary,
            "args": _log_args(binary, d, name, lines, length, mode),
            "autorestart": False,
            "out_file": f"{d}/out/{name}.log",
            "error_file": "/dev/null",
        })
    with open(out, "w") as f:
        json.dump({"apps": apps}, f, indent=1)


def log_supervisor_conf(binary, work, total_lines, length, supdir, out, cases):
    """One group per case (logw1b, logw10l...); the case's files under WORK/logs-supervisord-CASE."""
    lines = _supervisor_head(supdir, "warn")
    for case in cases:
        n, mode = _log_case(case)
        d = f"{work}/logs-supervisord-{case}"
        names = _log_names(case)
        lines += [f"[group:logw{n}{mode[0]}]", f"programs={','.join(names)}", ""]
        for name in names:
            lines += [
                f"[program:{name}]",
                "command=" + " ".join([binary] + _log_args(binary, d, name, total_lines // n, length, mode)),
                "autostart=false",
                "autorestart=false",
                "startsecs=0",
                "exitcodes=0",
                f"stdout_logfile={d}/out/{name}.log",
                # No rotation: what is measured is the capture, as under swisor.
                "stdout_logfile_maxbytes=0",
                "stderr_logfile=NONE",
                "",
            ]
    with open(out, "w") as f:
        f.write("\n".join(lines))


def _log_check(path, lines, length):
    """True when the file holds exactly the writer's lines: LINES lines of LENGTH bytes,
    numbered from 0, in order."""
    try:
        if os.path.getsize(path) != lines * length:
            return False
        with open(path, "rb") as fh:
            i = 0
            for line in fh:
                if len(line) != length or int(line[:9]) != i % 1000000000:
                    return False
                i += 1
        return i == lines
    except (OSError, ValueError):
        return False


def log_run(sup, case, rnd, pid, d, lines, length, timeout_s):
    names = _log_names(case)
    n, mode = _log_case(case)
    expected = lines * length
    deadline = time.time() + timeout_s
    result = {"supervisor": sup, "case": case, "apps": n, "mode": mode, "round": rnd, "lines": lines * n,
              "bytes": expected * n, "line_bytes": length}
    # Every writer is up and waiting for the go file.
    pids = {}
    while time.time() < deadline and len(pids) < n:
        for name in names:
            try:
                with open(f"{d}/{name}.ready") as fh:
                    text = fh.read().strip()
                if text:
                    pids[name] = int(text)
            except (OSError, ValueError):
                pass
        if len(pids) < n:
            time.sleep(0.005)
    if len(pids) < n:
        result["error"] = f"only {len(pids)} of {n} writers started"
        print(json.dumps(result))
        return
    t0 = _stat(pid)
    with open(f"{d}/go", "w"):
        pass
    logs = [f"{d}/out/{name}.log" for name in names]
    landed = None
    while time.time() < deadline:
        try:
            if all(os.path.getsize(p) >= expected for p in logs):
                landed = time.time_ns()
                break
        except OSError:
            pass
        time.sleep(0.002)
    t1 = _stat(pid)
    starts, ends = [], []
    for name in names:
        try:
            with open(f"{d}/{name}.stamps") as fh:
                for line in fh:
                    word, ns = line.split()
                    (starts if word == "start" else ends).append(int(ns))
        except (OSError, ValueError):
            pass
    # The writers exit right after their last write; wait for them (a zombie counts as gone).
    while time.time() < deadline and any(_stat(p) and not _zombie(p) for p in pids.values()):
        time.sleep(0.005)
    if landed is None or not starts:
        result["error"] = "timed out before every byte reached the log files"
    else:
        wall_ms = (landed - min(starts)) / 1e6
        result["wall_ms"] = round(wall_ms, 3)
        if len(ends) == n:
            result["writers_ms"] = round((max(ends) - min(starts)) / 1e6, 3)
        if t0 and t1:
            ticks = os.sysconf("SC_CLK_TCK")
            result["daemon_cpu_ms"] = round((t1[2] - t0[2]) * 1000 / ticks, 1)
    result["intact"] = all(_log_check(p, lines, length) for p in logs)
    print(json.dumps(result))


LOG_CASES = ("1-block", "10-block", "1-line", "10-line")
LOG_CASE_NAMES = {"1-block": "one app, 4096-byte writes", "10-block": "ten apps at once, 4096-byte writes",
                  "1-line": "one app, a write per line", "10-line": "ten apps at once, a write per line"}


def _logs(f, work):
    """The logs section from log-rounds.jsonl, or None when it did not run."""
    try:
        with open(os.path.join(work, "log-rounds.jsonl")) as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError):
        return None
    if not rows:
        return None
    out = {
        "writer": "bench/lib/logwriter.c: numbered lines of "
                  f"{rows[0].get('line_bytes')} bytes (newline included) to stdout, as fast as the "
                  "pipe takes them, in 4096-byte writes (block) or one write per line (line); each "
                  "app's file is checked line by line afterwards",
        "mib_per_round": _num(f.get("log_mib")),
        "rounds": _num(f.get("log_rounds")),
        "swisor_config": f.get("swisor_log_config"),
        "supervisord_config": f.get("supervisord_log_config"),
    }
    for sup in ("swisor", "supervisord"):
        d = {}
        for case in LOG_CASES:
            mine = [x for x in rows if x.get("supervisor") == sup and x.get("case") == case]
            good = [x for x in mine if "wall_ms" in x]
            if not mine:
                continue
            v = {"rounds": len(mine), "failed_rounds": len(mine) - len(good),
                 "damaged_rounds": sum(1 for x in mine if not x.get("intact"))}
            if good:
                mib = good[0]["bytes"] / 1048576
                v["mib"] = round(mib, 1)
                v["lines"] = good[0]["lines"]
                v["wall_ms"] = _dist([x["wall_ms"] for x in good])
                med = v["wall_ms"]["median"]
                v["lines_per_s"] = round(good[0]["lines"] * 1000 / med) if med else None
                v["mib_per_s"] = round(mib * 1000 / med, 1) if med else None
                cpu = [x["daemon_cpu_ms"] for x in good if x.get("daemon_cpu_ms") is not None]
                if cpu:
                    cpu_sorted = sorted(cpu)
                    v["daemon_cpu_ms_median"] = cpu_sorted[len(cpu_sorted) // 2]
                    v["daemon_cpu_ms_per_mib"] = round(v["daemon_cpu_ms_median"] / mib, 2)
            v["round_rows"] = mine
            d[case] = v
        if d:
            out[sup] = d
    return out


# ---------------------------------------------------------------- report

def _stats(path):
    """median, p90, min, mean (ms) and run count from a hyperfine --export-json file."""
    with open(path) as f:
        times = sorted(json.load(f)["results"][0]["times"])
    n = len(times)
    mid = n // 2
    median = times[mid] if n % 2 else (times[mid - 1] + times[mid]) / 2
    p90 = times[max(0, math.ceil(0.9 * n) - 1)]  # nearest rank
    ms = lambda s: round(s * 1000, 3)
    return {
        "runs": n,
        "median_ms": ms(median),
        "p10_ms": ms(times[max(0, math.ceil(0.1 * n) - 1)]),
        "p90_ms": ms(p90),
        "min_ms": ms(times[0]),
        "mean_ms": ms(sum(times) / n),
    }


def _facts(path):
    facts = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                facts[k] = v
    return facts


def _num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return float(v)
        except (TypeError, ValueError):
            return v


def _mb(kib):
    return f"{kib / 1024:.1f} MiB" if isinstance(kib, (int, float)) else "n/a"


# Latency buckets of the distribution table, in ms: [low, high).
_BUCKETS = [(0, 1), (1, 2), (2, 5), (5, 10), (10, 100), (100, 1000), (1000, None)]


def _bucket_label(lo, hi):
    return f"≥ {lo} ms" if hi is None else f"{lo}–{hi} ms"


def _respawns(path, limit):
    """Crash-to-respawn latencies (ms) from a crash log: for each "start" line that follows
    an "exit" line, start − exit. Only the first `limit` respawns are kept, so both
    supervisors are judged on the same count when both reach it."""
    lat, starts, unpaired = [], 0, 0
    last = None  # ("start"|"exit", ns) of the previous line
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    continue
                word, ns = parts[0], int(parts[1])
                if word == "start":
                    starts += 1
                    if last and last[0] == "exit":
                        lat.append((ns - last[1]) / 1e6)
                    elif last:
                        # Two starts in a row: a run that never wrote its exit (killed
                        # at the stop), or two runs at once. Not a latency.
                        unpaired += 1
                last = (word, ns)
    except OSError:
        return None
    total = len(lat)
    lat = lat[:max(0, limit)]
    out = {"starts": starts, "respawns_in_log": total, "unpaired_starts": unpaired,
           "respawns": len(lat)}
    if not lat:
        return out
    srt = sorted(lat)
    n = len(srt)
    mid = n // 2
    rank = lambda q: srt[max(0, math.ceil(q * n) - 1)]  # nearest rank
    r3 = lambda x: round(x, 3)
    out.update({
        "median_ms": r3(srt[mid] if n % 2 else (srt[mid - 1] + srt[mid]) / 2),
        "p10_ms": r3(rank(0.1)),
        "p90_ms": r3(rank(0.9)),
        "p99_ms": r3(rank(0.99)),
        "min_ms": r3(srt[0]),
        "max_ms": r3(srt[-1]),
        "mean_ms": r3(sum(srt) / n),
        "distribution": {
            _bucket_label(lo, hi): sum(1 for x in srt if x >= lo and (hi is None or x < hi))
            for lo, hi in _BUCKETS
        },
    })
    return out


def _dist(values):
    """median, p90 (nearest rank), min, max and mean of values (ms)."""
    srt = sorted(values)
    n = len(srt)
    mid = n // 2
    r3 = lambda x: round(x, 3)
    return {
        "n": n,
        "median": r3(srt[mid] if n % 2 else (srt[mid - 1] + srt[mid]) / 2),
        "p90": r3(srt[max(0, math.ceil(0.9 * n) - 1)]),
        "min": r3(srt[0]),
        "max": r3(srt[-1]),
        "mean": r3(sum(srt) / n),
    }


STOP_NOOP = {"swisor": "swisor ping", "supervisord": "supervisorctl pid"}


def _stop(f, work):
    """The stop section (issue 4) from stop-rounds.jsonl, or None when it did not run."""
    path = os.path.join(work, "stop-rounds.jsonl")
    try:
        with open(path) as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError):
        return None
    if not rows:
        return None
    out = {
        "tree": f.get("stop_tree"),
        "processes": _num(f.get("stop_tree_processes")),
        "escaped_processes": 25,
        "rounds": _num(f.get("stop_rounds")),
        "settle_ms": _num(f.get("stop_settle_ms")),
        "timer": "wall time of the stop request (fork+exec+wait of the CLI, from Python, "
                 "output read through a pipe); under swisor also the time from the same "
                 "start until the app's cgroup.events said `populated 0` (poll for POLLPRI)",
    }
    for sup in ("swisor", "supervisord"):
        d = {}
        if sup == "swisor" and f.get("swisor_stop_containment"):
            d["containment"] = f.get("swisor_stop_containment")
        for variant in ("cooperating", "stubborn"):
            mine = [x for x in rows if x.get("supervisor") == sup and x.get("variant") == variant]
            stops = [x for x in mine if x.get("kind") == "stop"]
            noops = [x for x in mine if x.get("kind") == "noop"]
            if not stops:
                continue
            v = {"config": f.get(f"{sup}_stop_config_{variant}"), "stops": len(stops),
                 "stop_ms": _dist([x["cli_ms"] for x in stops])}
            empty = [x["empty_ms"] for x in stops if x.get("empty_ms") is not None]
            if empty:
                v["until_populated_0_ms"] = _dist(empty)
            if noops:
                v["noop_command"] = STOP_NOOP[sup]
                v["noop_ms"] = _dist([x["cli_ms"] for x in noops])
                # What the stop itself costs, without the CLI's own start and round trip.
                v["stop_median_minus_noop_median_ms"] = round(
                    v["stop_ms"]["median"] - v["noop_ms"]["median"], 3)
            total = lambda k: sum(int(x.get(k) or 0) for x in stops)
            v["alive_at_return_total"] = total("alive_at_return")
            v["survivors_total"] = total("survivors")
            v["survivors_escaped_total"] = total("survivors_escaped")
            v["survivors_in_group_total"] = total("survivors_in_group")
            v["survivors_per_stop"] = round(v["survivors_total"] / len(stops), 2)
            v["failed_requests"] = sum(1 for x in stops if x.get("rc") != 0 or x.get("timed_out"))
            after = [x["cgroup_after"] for x in stops if "cgroup_after" in x]
            if after:
                v["cgroup_after_return"] = {k: after.count(k) for k in sorted(set(after))}
                v["cgroup_not_empty_after_return"] = sum(
                    1 for a in after if a not in ("populated 0", "removed"))
                v["populated_0_not_seen"] = sum(
                    1 for x in stops if "cgroup_after" in x and x.get("empty_ms") is None)
            v["rounds"] = [{k: x.get(k) for k in ("round", "cli_ms", "empty_ms", "cgroup_after",
                                                   "alive_at_return", "survivors", "rc")
                            if k in x} for x in stops]
            d[variant] = v
        if any(k in d for k in ("cooperating", "stubborn")):
            out[sup] = d
    return out


# ---------------------------------------------------------------- report: issue 15

def _jsonl(work, name):
    try:
        with open(os.path.join(work, name)) as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError):
        return []


def _pick(rows, sup, apps, watch=None):
    """The last row of supervisor sup at apps apps (and memory watch yes/no when given)."""
    for r in reversed(rows):
        if r.get("supervisor") == sup and r.get("apps") == apps and (
                watch is None or r.get("watch") == watch):
            return r
    return None


SUPERVISORD_NO_WATCH = ("none: supervisord has no memory limit of its own (only the separate "
                        "memmon event listener of superlance, not installed here)")


def _idle(f, work):
    rows = _jsonl(work, "idle.jsonl")
    if not rows:
        return {}
    return {"window_s": _num(f.get("idle_seconds")), "parts": _num(f.get("idle_parts")),
            "scale_window_s": _num(f.get("scale_idle_seconds")),
            "swisor_memory_watch": f.get("memory_limit"),
            "supervisord_memory_watch": SUPERVISORD_NO_WATCH,
            "timer": "the daemon's utime+stime over the window: from /proc/PID/stat (clock "
                     "ticks) and from its process CPU clock (clock_gettime on the pid's "
                     "CPUCLOCK_SCHED, ns: the same sum without the 10 ms ticks), also per "
                     "sub-window; children not counted",
            "rows": rows}


def _memory(work):
    rows = _jsonl(work, "memory.jsonl")
    return {"source": "/proc/PID/status and /proc/PID/smaps_rollup of the daemon (kB)",
            "rows": rows} if rows else {}


STARTSTOP_COMMANDS = {
    "swisor": ("`swisor stop all`", "`swisor start all`"),
    "supervisord": ("`supervisorctl stop all`", "`supervisorctl start all`"),
    "s6": ("one `sh` writing `d` to each service's supervise/control FIFO (what `s6-svc -d "
           "DIR` does for the one service it takes)", "the same with `u` (`s6-svc -u`)"),
    "runit": ("`sv down DIR...` (every service in one command)", "`sv up DIR...`"),
}


def _startstop(f, work):
    rows = _jsonl(work, "startstop.jsonl")
    if not rows:
        return {}
    results = {}
    for r in rows:
        if r.get("kind") not in ("start", "stop"):
            continue
        g = results.setdefault(str(r.get("apps")), {}).setdefault(r["supervisor"], {})
        g.setdefault(r["kind"], []).append(r)
    out = {"rounds": _num(f.get("startstop_rounds")), "scale_rounds": _num(f.get("scale_rounds")),
           "settle_ms": _num(f.get("startstop_settle_ms")),
           "uptime_ms": _num(f.get("startstop_uptime_ms")),
           "commands": {k: {"stop": v[0], "start": v[1]} for k, v in STARTSTOP_COMMANDS.items()},
           "setup_errors": [r for r in rows if r.get("kind") == "setup"],
           "results": {}}
    for apps, sups in results.items():
        for sup, kinds in sups.items():
            for kind, rs in kinds.items():
                good = [x for x in rs if "done_ms" in x and not x.get("error")]
                v = {"rounds": len(rs), "failed": len(rs) - len(good)}
                if good:
                    v["done_ms"] = _dist4([x["done_ms"] for x in good])
                    v["cli_ms"] = _dist4([x["cli_ms"] for x in good])
                if kind == "start":
                    seen = [x.get("seen_by", "") for x in good]
                    v["seen_by_output"] = sum(1 for x in seen if x == "command output")
                else:
                    v["procs"] = sorted(x.get("procs", 0) for x in rs)[len(rs) // 2]
                    mains = [x["mains_done_ms"] for x in good if x.get("mains_done_ms") is not None]
                    if mains:
                        v["mains_done_ms"] = _dist4(mains)
                v["errors"] = [x.get("error") for x in rs if x.get("error")]
                v["rows"] = rs
                out["results"].setdefault(apps, {}).setdefault(sup, {})[kind] = v
    return out


def _idle_value(row):
    if not row or row.get("error"):
        return None
    d = row.get("part_ms_per_s_dist")
    v = {"window_ms_per_s_ticks": row.get("cpu_ms_per_s_ticks"), "ticks": row.get("ticks"),
         "window_ms_per_s_ns": row.get("cpu_ms_per_s_ns"), "window_s": round(row.get("window_ms", 0) / 1000, 1)}
    if d:
        v.update({"median": d["median"], "p10": d["p10"], "p90": d["p90"], "n": d["n"],
                  "of": "sub-windows"})
    else:
        v.update({"median": row.get("cpu_ms_per_s_ticks"), "n": 1, "of": "window (ticks)"})
    return v


def _hf_value(t):
    if not t:
        return None
    return {"median": t["median_ms"], "p10": t.get("p10_ms"), "p90": t["p90_ms"], "n": t["runs"],
            "of": "runs"}


def _ss_value(startstop, apps, sup, kind):
    v = startstop.get("results", {}).get(str(apps), {}).get(sup, {}).get(kind) if startstop else None
    if not v:
        return None
    if "done_ms" not in v:
        return {"failed": True, "errors": v.get("errors")}
    d = v["done_ms"]
    return {"median": d["median"], "p10": d["p10"], "p90": d["p90"], "n": d["n"], "of": "rounds",
            "min": d["min"], "max": d["max"], "command_median": v["cli_ms"]["median"],
            "failed_rounds": v["failed"]}


def _pss_value(memory, idle, apps, sup, watch):
    m = _pick((memory or {}).get("rows", []), sup, apps, watch)
    i = _pick((idle or {}).get("rows", []), sup, apps, watch)
    samples = []
    if m and m.get("Pss_kB") is not None:
        samples.append(m["Pss_kB"])
    if i:
        samples += i.get("pss_kB_samples", [])
    if not samples:
        return None
    d = _dist4(samples)
    v = {"median": d["median"], "p10": d["p10"], "p90": d["p90"], "n": d["n"], "of": "readings",
         "min": d["min"], "max": d["max"]}
    for k in ("Pss_Anon_kB", "Pss_File_kB", "Pss_Shmem_kB", "VmRSS_kB", "RssAnon_kB", "RssFile_kB"):
        if m and m.get(k) is not None:
            v[k] = m[k]
    return v


def _crash_value(c):
    if not c or c.get("median_ms") is None:
        return None
    return {"median": c["median_ms"], "p10": c.get("p10_ms"), "p90": c["p90_ms"],
            "n": c["respawns"], "of": "respawns"}


# Issue 15's table: key, figure, unit, limit (swisor's median must be at most it).
GOALS = [
    ("idle_cpu_no_watch", "idle daemon CPU, {n} apps, no memory watch", "ms/s", 0.1),
    ("idle_cpu_memory_watch", "idle daemon CPU, {n} apps, max_memory_restart on all {n}", "ms/s", 1.0),
    ("list_wall", "`swisor list` at {n} apps, wall", "ms", 2.0),
    ("version_wall", "`swisor --version`, wall", "ms", 1.5),
    ("start_all", "start {n} registered apps → all running", "ms", 150.0),
    ("stop_all", "stop {n} → gone", "ms", 50.0),
    ("pss", "daemon memory at {n} apps, PSS (smaps_rollup)", "kB", 4096),
    ("crash_respawn", "crash → respawn, median", "ms", 1.0),
    ("watched_files", "watched files (10,000 files watched)", None, None),
]
GOAL_TEXT = {"idle_cpu_no_watch": "≤ 0.1 ms per s", "idle_cpu_memory_watch": "≤ 1 ms per s",
             "list_wall": "≤ 2 ms", "version_wall": "≤ 1.5 ms", "start_all": "≤ 150 ms",
             "stop_all": "≤ 50 ms", "pss": "PSS ≤ 4 MB (4 MiB)", "crash_respawn": "≤ 1 ms",
             "watched_files": "—"}


def _figures(key, n, timings, idle, memory, startstop, crash, scale):
    """{supervisor: value} of one figure at n apps (scale: the scale section's keys)."""
    rows = (idle or {}).get("rows", [])
    sc = "scale_" if scale else ""
    if key == "idle_cpu_no_watch":
        return {"swisor": _idle_value(_pick(rows, "swisor", n, "no")),
                "supervisord": _idle_value(_pick(rows, "supervisord", n))}
    if key == "idle_cpu_memory_watch":
        return {"swisor": _idle_value(_pick(rows, "swisor", n, "yes")),
                "supervisord": _idle_value(_pick(rows, "supervisord", n))}
    if key == "list_wall":
        return {"swisor": _hf_value(timings.get(f"{sc}swisor_list")),
                "supervisord": _hf_value(timings.get(f"{sc}supervisorctl_status"))}
    if key == "version_wall":
        return {"swisor": _hf_value(timings.get("swisor_version_flag")),
                "supervisord": _hf_value(timings.get("supervisord_version_flag"))}
    if key in ("start_all", "stop_all"):
        kind = key.split("_")[0]
        return {s: _ss_value(startstop, n, s, kind) for s in ("swisor", "supervisord", "s6", "runit")}
    if key == "pss":
        return {"swisor": _pss_value(memory, idle, n, "swisor", "yes"),
                "supervisord": _pss_value(memory, idle, n, "supervisord", None)}
    if key == "crash_respawn":
        return {"swisor": _crash_value(crash.get("swisor")),
                "supervisord": _crash_value(crash.get("supervisord"))}
    return {}


def _goals(f, timings, idle, memory, startstop, crash, n):
    rows = []
    for key, figure, unit, limit in GOALS:
        row = {"key": key, "figure": figure.format(n=n), "unit": unit, "limit": limit,
               "goal": GOAL_TEXT[key]}
        if key == "watched_files":
            row.update({"met": None, "not_measured": "swisor has no watch yet"})
            rows.append(row)
            continue
        row["values"] = _figures(key, n, timings, idle, memory, startstop, crash, False)
        sw = row["values"].get("swisor")
        row["met"] = None if not sw or sw.get("median") is None else sw["median"] <= limit
        rows.append(row)
    return {"apps": n, "spread": "p10–p90 (nearest rank) of the runs, rounds, sub-windows or "
                                 "readings; met: swisor's median within the goal", "rows": rows}


def _scale(f, timings, idle, memory, startstop):
    n = _num(f.get("scale_apps"))
    rows = []
    for key, figure, unit, _ in GOALS:
        if key in ("version_wall", "crash_respawn", "watched_files"):
            continue
        v = _figures(key, n, timings, idle, memory, startstop, {}, True)
        if any(v.values()):
            rows.append({"key": key, "figure": figure.format(n=n), "unit": unit, "values": v})
    if not rows:
        return None
    return {"apps": n, "runs": _num(f.get("scale_runs")), "warmup": _num(f.get("scale_warmup")),
            "rounds": _num(f.get("scale_rounds")), "idle_window_s": _num(f.get("scale_idle_seconds")),
            "rows": rows}


def _issue15_ratios(goals):
    out = {}
    for row in goals["rows"]:
        v = row.get("values") or {}
        a, b = (v.get("swisor") or {}).get("median"), (v.get("supervisord") or {}).get("median")
        if row["key"] in ("start_all", "stop_all", "idle_cpu_no_watch", "pss") and a is not None and b:
            out[f"{row['key']}_vs_supervisord"] = round(a / b, 4)
    return out


def _fmt(v, unit):
    if v is None:
        return "—"
    if unit == "kB":
        return f"{v / 1024:.2f} MiB"
    if unit == "ms/s":
        return f"{v:.3f} ms/s"
    if v >= 100:
        return f"{v:.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    return f"{v:.2f} ms"


def _cell(v, unit, bold=False, missing="not measured"):
    if v is None:
        return missing
    if v.get("failed"):
        return "failed (" + "; ".join(str(e) for e in (v.get("errors") or [])[:1]) + ")"
    med = _fmt(v["median"], unit)
    if bold:
        med = f"**{med}**"
    if v.get("n", 1) > 1 and v.get("p10") is not None:
        lo, hi = _fmt(v["p10"], unit), _fmt(v["p90"], unit)
        unit_txt = {"kB": " MiB", "ms/s": " ms/s", "ms": " ms"}[unit]
        return f"{med} ({lo.replace(unit_txt, '')}–{hi})"
    return med


def _markdown_goals(r):
    g = r.get("goals")
    if not g:
        return []
    n = g["apps"]
    L = [f"## Issue 15 goals ({n} apps)\n"]
    if n != 100:
        L.append(f"(The goals are set for 100 apps; this run has {n}: BENCH_APPS.)\n")
    L.append("Medians, with their spread in parentheses: p10–p90 (nearest rank) of the "
             "hyperfine runs, the start/stop rounds, the idle window's sub-windows or the "
             "memory readings. Every peer was measured in the same run on the same machine. "
             "**met** compares swisor's median with the goal. s6 and runit are anchors of the "
             "start and stop rows only.\n")
    L.append("| figure | goal | swisor | met | supervisord | s6 | runit |")
    L.append("| --- | --- | ---: | :---: | ---: | ---: | ---: |")
    for row in g["rows"]:
        if row.get("not_measured"):
            L.append(f"| {row['figure']} | {row['goal']} | not measured: {row['not_measured']} | — | — | — | — |")
            continue
        v, u = row["values"], row["unit"]
        met = "—" if row["met"] is None else ("yes" if row["met"] else "**no**")
        anchor = lambda s: _cell(v.get(s), u, missing="not measured") if s in v else "—"
        L.append(f"| {row['figure']} | {row['goal']} | {_cell(v.get('swisor'), u, True)} | {met} | "
                 f"{_cell(v.get('supervisord'), u)} | {anchor('s6')} | {anchor('runit')} |")
    L.append("")
    L.extend(_goal_notes(r, g["rows"]))
    return L


def _goal_notes(r, rows):
    L = []
    by = {x["key"]: x for x in rows}
    idle = by.get("idle_cpu_no_watch", {}).get("values", {})
    idle_w = by.get("idle_cpu_memory_watch", {}).get("values", {})
    win = []
    for label, v in (("swisor, no watch", idle.get("swisor")), ("swisor, memory watch", idle_w.get("swisor")),
                     ("supervisord", idle.get("supervisord"))):
        if v:
            win.append(f"{label} {v['window_ms_per_s_ns']} ms/s from the CPU clock, "
                       f"{v['window_ms_per_s_ticks']} ms/s from /proc/PID/stat ({v['ticks']} ticks)")
    if win:
        w = (r.get("idle_cpu") or {})
        tick = 10 / max(1, w.get("window_s") or 1)
        L.append(f"- Idle CPU: the daemon's utime+stime per second of a {w.get('window_s')} s window "
                 f"with nothing asked of it; the figure is the median of its {w.get('parts')} "
                 f"sub-windows, read from the process CPU clock (ns). Over the whole window: "
                 + "; ".join(win) + f". One clock tick (10 ms) over this {w.get('window_s')} s "
                 f"window is {tick:.3f} ms/s"
                 + (", coarser than the 0.1 ms/s goal: the ticks alone could only say that a figure "
                    "is below one tick. " if tick > 0.1 else ". ")
                 + "supervisord has no memory watch, so both idle rows show its one window.")
    if "start_all" in by:
        ss = r.get("startstop") or {}
        L.append(f"- Start: the apps are registered and stopped; from the fork of the start command "
                 f"until the supervisor reported every app up: `swisor start all`'s and `supervisorctl "
                 f"start all`'s own output when it says so (swisor's table with every app `online`, "
                 f"supervisorctl's `started` lines, printed once the program is RUNNING), else the "
                 f"first status read after the command's return that does (s6, runit: each service's "
                 f"supervise status file, read every ms). Stop: from the fork of the stop command "
                 f"until the last process of any app (each app's shell and its sleep, watched through "
                 f"pidfds opened beforehand) exited. {ss.get('rounds')} rounds each "
                 f"(stop, then start), {ss.get('settle_ms')} ms of quiet before each command, and "
                 f"every stop at least {ss.get('uptime_ms')} ms after the start before it. See "
                 f"[Start all and stop all](#start-all-and-stop-all-issue-15).")
    if "pss" in by:
        p = by["pss"].get("values", {}).get("swisor")
        if p:
            split = ", ".join(f"{k.split('_')[1]} {_fmt(p[k + '_kB'], 'kB')}" for k in ("Pss_Anon", "Pss_File", "Pss_Shmem")
                              if p.get(k + "_kB") is not None)
            L.append(f"- PSS: `Pss` of `/proc/PID/smaps_rollup` of the daemon with the memory watch "
                     f"(the daemon of the list row), the reading after the timed runs and one at the end "
                     f"of each idle sub-window. swisor's split at the first reading: {split or 'not given by this kernel'}; "
                     f"VmRSS {_fmt(p.get('VmRSS_kB'), 'kB')}. See [Daemon memory](#daemon-memory-issue-15).")
    if "crash_respawn" in by:
        L.append("- Crash → respawn: see [Crash-to-respawn latency](#crash-to-respawn-latency-no-delay-configured-issue-3).")
    L.append("- Watched files: not measured, because swisor has no watch feature yet.")
    L.append("")
    return L


def _markdown_scale(r):
    sc = r.get("scale")
    if not sc:
        return []
    n = sc["apps"]
    L = [f"## At {n:,} apps (issue 15)\n"]
    L.append(f"The same figures with {n:,} apps, fewer runs: {sc['warmup']} warm-ups and {sc['runs']} "
             f"runs per command, {sc['rounds']} start/stop rounds, a {sc['idle_window_s']} s idle window. "
             f"Medians (p10–p90). Issue 15 sets its goals at 100 apps.\n")
    L.append("| figure | swisor | supervisord | s6 | runit |")
    L.append("| --- | ---: | ---: | ---: | ---: |")
    for row in sc["rows"]:
        v, u = row["values"], row["unit"]
        anchor = lambda s: _cell(v.get(s), u) if s in v else "—"
        L.append(f"| {row['figure']} | {_cell(v.get('swisor'), u, True)} | {_cell(v.get('supervisord'), u)} | "
                 f"{anchor('s6')} | {anchor('runit')} |")
    L.append("")
    return L


def _markdown_idle(r):
    i = r.get("idle_cpu") or {}
    rows = [x for x in i.get("rows", []) if not x.get("error")]
    if not rows:
        return []
    L = [f"## Idle daemon CPU (issues 3 and 15)\n"]
    L.append(f"The daemon's own utime+stime over a window with nothing asked of it (its children "
             f"are not counted), after the timed runs: from `/proc/PID/stat` in clock ticks of "
             f"10 ms, and from its process CPU clock (`clock_gettime` on the pid's CPU-time clock, "
             f"the same sum in ns), over the whole window and over each of its {i.get('parts')} "
             f"sub-windows. swisor with `max_memory_restart: \"{i.get('swisor_memory_watch')}\"` on "
             f"every app (the watch samples each app's memory, never fires) and without; "
             f"supervisord has no memory watch of its own.\n")
    cols = []
    for x in rows:
        who = x["supervisor"]
        if who == "swisor":
            who += ", memory watch" if x.get("watch") == "yes" else ", no watch"
        cols.append((f"{who}, {x['apps']} apps", x))
    L.append("| | " + " | ".join(c[0] for c in cols) + " |")
    L.append("| --- |" + " ---: |" * len(cols))

    def row(label, fn):
        L.append(f"| {label} | " + " | ".join(fn(x) for _, x in cols) + " |")

    g = lambda k, fmt: (lambda x: "n/a" if x.get(k) is None else fmt(x[k]))
    row("measured window", g("window_ms", lambda v: f"{v / 1000:.1f} s"))
    row("CPU in the window, ticks", lambda x: f"{x['ticks']} ({x['cpu_ms_ticks']:g} ms)")
    row("CPU per second, ticks", g("cpu_ms_per_s_ticks", lambda v: f"{v:.3f} ms"))
    row("CPU in the window, CPU clock", g("cpu_ms_ns", lambda v: f"{v:.2f} ms"))
    row("CPU per second, CPU clock", g("cpu_ms_per_s_ns", lambda v: f"{v:.4f} ms"))
    row("**per second, median of the sub-windows** (p10–p90)",
        lambda x: "n/a" if not x.get("part_ms_per_s_dist") else
        f"**{x['part_ms_per_s_dist']['median']:.4f} ms** ({x['part_ms_per_s_dist']['p10']:.4f}–"
        f"{x['part_ms_per_s_dist']['p90']:.4f})")
    row("share of one CPU", g("cpu_ms_per_s_ns", lambda v: f"{v / 10:.3f} %"))
    row("Pss during the window, median", lambda x: _mb(sorted(x["pss_kB_samples"])[len(x["pss_kB_samples"]) // 2])
        if x.get("pss_kB_samples") else "n/a")
    L.append("")
    return L


def _markdown_memory(r):
    rows = (r.get("memory") or {}).get("rows", [])
    if not rows:
        return []
    L = ["## Daemon memory (issue 15)\n"]
    L.append("From `/proc/PID/status` and `/proc/PID/smaps_rollup` of the daemon with its apps "
             "running, after the timed runs. PSS (proportional set size) counts each page shared "
             "with other processes (the binary and libraries mapped by others too) divided by the "
             "number of processes sharing it; Pss_Anon is the daemon's own heap and stacks, "
             "Pss_File its share of mapped files.\n")
    L.append("| daemon | apps | memory watch | **Pss** | Pss_Anon | Pss_File | Pss_Shmem | VmRSS | RssAnon | RssFile | VmHWM | threads |")
    L.append("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for x in rows:
        m = lambda k: _mb(x.get(k)) if x.get(k) is not None else "n/a"
        watch = {"yes": "max_memory_restart on all", "no": "none"}.get(x.get("watch"), "?")
        L.append(f"| {x['supervisor']} | {x['apps']} | {watch} | **{m('Pss_kB')}** | {m('Pss_Anon_kB')} | "
                 f"{m('Pss_File_kB')} | {m('Pss_Shmem_kB')} | {m('VmRSS_kB')} | {m('RssAnon_kB')} | "
                 f"{m('RssFile_kB')} | {m('VmHWM_kB')} | {x.get('Threads', 'n/a')} |")
    if not all(x.get("smaps_rollup") for x in rows):
        L.append("\n(No smaps_rollup for some daemons: a kernel before 4.14, or no permission.)")
    L.append("")
    return L


def _markdown_startstop(r):
    ss = r.get("startstop") or {}
    res = ss.get("results")
    if not res:
        return []
    L = ["## Start all and stop all (issue 15)\n"]
    L.append(f"The apps are registered and running when the rounds begin. Each round: *stop* (timed "
             f"from the command's fork until the last process of any app exited: each app's shell "
             f"and its `sleep`, found under the supervisor's pid and opened as pidfds beforehand, "
             f"watched with epoll), then, untimed, until the supervisor reports every app stopped; "
             f"*start* (timed from the command's fork until the supervisor reported every app up), "
             f"then, untimed, until every app has its two processes again. {ss.get('settle_ms')} ms "
             f"of quiet before each command; a stop comes at least {ss.get('uptime_ms')} ms after "
             f"the start before it (runsv holds back a start for up to a second when the service's "
             f"last run was shorter than that). *Last app shell exited*: the same stop until the "
             f"apps' main processes alone (the shells the supervisor started and signals) had "
             f"exited, without their `sleep`.\n")
    L.append("Commands and how *up* is seen:\n")
    L.append("- swisor: `swisor stop all`, `swisor start all`; up: the start command's own table "
             "shows every app `online` (else `swisor list --json`, polled)")
    L.append("- supervisord: `supervisorctl stop all`, `supervisorctl start all` (`startsecs=0`); up: "
             "its `NAME: started` lines, printed once each program is RUNNING (else "
             "`supervisor.getAllProcessInfo` over its socket, polled)")
    L.append("- s6 (s6-svscan, one s6-supervise per service): one `sh` writing `d` / `u` to each "
             "service's `supervise/control` FIFO, what `s6-svc -d` / `-u` does for the one service "
             "it takes (so no s6-svc process is spawned per service); up: each `supervise/status` "
             "holds a pid, read every ms from the command's return. s6-supervise signals only the "
             "service's main process, so each service's `finish` script sends SIGTERM to its "
             "process group (the shell's `sleep` would outlive the stop otherwise)")
    L.append("- runit (runsvdir -P, one runsv per service): `sv down DIR...`, `sv up DIR...` (every "
             "service in one command); up: each `supervise/stat` says `run`, read every ms from the "
             "command's return. runsv also signals only the main process, so each service runs the "
             "app in a session of its own (`setsid`) and has a `control/t` script that sends "
             "SIGTERM to that process group\n")
    L.append("| apps | supervisor | **start → all up**, median (p10–p90) | min–max | start command returned | "
             "**stop → gone**, median (p10–p90) | min–max | last app shell exited | stop command returned | "
             "processes per stop | rounds (failed) |")
    L.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for apps in sorted(res, key=int):
        for sup in ("swisor", "supervisord", "s6", "runit"):
            v = res[apps].get(sup)
            if not v:
                continue
            st, sp = v.get("start", {}), v.get("stop", {})

            def dist(x):
                d = x.get("done_ms")
                if not d:
                    return "failed", "—", "—"
                return (f"**{_fmt(d['median'], 'ms')}** ({_fmt(d['p10'], 'ms').replace(' ms', '')}–{_fmt(d['p90'], 'ms')})",
                        f"{_fmt(d['min'], 'ms').replace(' ms', '')}–{_fmt(d['max'], 'ms')}",
                        _fmt(x["cli_ms"]["median"], "ms"))
            a, b, c = dist(st) if st else ("—", "—", "—")
            d, e, g = dist(sp) if sp else ("—", "—", "—")
            rounds = max(st.get("rounds", 0), sp.get("rounds", 0))
            failed = st.get("failed", 0) + sp.get("failed", 0)
            mains = _fmt(sp["mains_done_ms"]["median"], "ms") if sp.get("mains_done_ms") else "—"
            L.append(f"| {apps} | {sup} | {a} | {b} | {c} | {d} | {e} | {mains} | {g} | {sp.get('procs', '—')} | "
                     f"{rounds} ({failed}) |")
    L.append("")
    errs = [(apps, sup, kind, e) for apps, sups in res.items() for sup, kinds in sups.items()
            for kind, v in kinds.items() for e in v.get("errors", [])]
    for apps, sup, kind, e in errs[:10]:
        L.append(f"- {sup}, {apps} apps, {kind}: {e}")
    if errs:
        L.append("")
    return L


def report(facts_path, outdir):
    f = _facts(facts_path)
    work = f["work"]
    ticks = int(f.get("clk_tck", "100"))
    n_apps = int(f["apps"])

    scale_apps = _num(f.get("scale_apps"))
    timings = {}
    for key, label in [
        ("true_swisor", "/bin/true (spawn baseline, swisor phase)"),
        ("swisor_list", "swisor list"),
        ("swisor_list_json", "swisor list --json"),
        ("swisor_ping", "swisor ping"),
        ("swisor_version_flag", "swisor --version"),
        ("true_supervisor", "/bin/true (spawn baseline, supervisord phase)"),
        ("python_startup", "python3 -c pass (supervisorctl's interpreter, no work)"),
        ("supervisorctl_status", "supervisorctl status"),
        ("supervisord_version_flag", "supervisord --version"),
        ("scale_swisor_list", f"swisor list, {scale_apps} apps"),
        ("scale_supervisorctl_status", f"supervisorctl status, {scale_apps} programs"),
    ]:
        path = os.path.join(work, f"hf-{key}.json")
        if not os.path.exists(path):
            continue
        s = _stats(path)
        s["label"] = label
        base = ("true_supervisor" if key in ("python_startup", "supervisorctl_status",
                                             "supervisord_version_flag")
                else "true_swisor")
        if not key.startswith(("true", "scale_")) and base in timings:
            s["median_minus_true_ms"] = round(s["median_ms"] - timings[base]["median_ms"], 3)
        # Daemon CPU spent serving the requests (warm-ups included), per request.
        t0, t1 = f.get(f"{key}_ticks0"), f.get(f"{key}_ticks1")
        if t0 is not None and t1 is not None:
            total = int(f[f"{key}_requests"])
            s["daemon_cpu_ms_per_request"] = round((int(t1) - int(t0)) * 1000 / ticks / total, 3)
        timings[key] = s

    def rss(prefix):
        return {
            k: _num(f.get(f"{prefix}_{k}"))
            for k in ("pid", "VmRSS_kB", "VmHWM_kB", "RssAnon_kB", "RssFile_kB",
                      "Threads", "idle_cpu_ms_per_s", "start_ms", "start_cli_ms", "stop_ms", "stop_cli_ms",
                      "processes", "survivors")
            if f.get(f"{prefix}_{k}") is not None
        }

    sw, sv = rss("swisor"), rss("supervisord")
    ratios = {}
    if "swisor_list" in timings and "supervisorctl_status" in timings:
        ratios["list_median_vs_supervisorctl_status"] = round(
            timings["swisor_list"]["median_ms"] / timings["supervisorctl_status"]["median_ms"], 4)
    if isinstance(sw.get("VmRSS_kB"), int) and isinstance(sv.get("VmRSS_kB"), int):
        ratios["daemon_rss_vs_supervisord_rss"] = round(sw["VmRSS_kB"] / sv["VmRSS_kB"], 4)

    checks = {}

    # ---- issue 3: crash-to-respawn latency and idle CPU under memory watch
    limit = int(f.get("crash_respawns", "0") or 0)
    crash = {
        "respawns_wanted": limit,
        "deadline_s": _num(f.get("crash_seconds")),
        "program": "bench/lib/crash.c: appends \"start <CLOCK_REALTIME ns>\" at the start of "
                   "main, then \"exit <ns>\", then _exit(1); latency = next start − previous exit",
        "compiler": f.get("crash_cc"),
        "linkage": f.get("crash_linkage"),
    }
    for prefix in ("swisor", "supervisord"):
        g = lambda k: _num(f.get(f"{prefix}_crash_{k}"))
        # Only respawns that happened while nothing talked to the supervisor: those before
        # the end of the collection (afterwards bench/run queries and stops it, and a
        # request wakes supervisord's main loop, which then respawns at once).
        upto = limit
        if isinstance(g("starts1"), int):
            upto = max(0, min(limit, g("starts1") - 1))
        st = _respawns(os.path.join(work, f"crash-{prefix}.log"), upto)
        if st is None:
            continue
        if isinstance(g("starts1"), int):
            st["respawns_in_window"] = max(0, g("starts1") - 1)
        for k in ("config", "status", "restarts", "unstable_restarts", "waiting_restart_events",
                  "errored_events", "spawned_lines", "exited_lines", "gave_up_lines",
                  "too_quickly_lines", "window_ms", "stop_ms", "starts_after_stop", "survivors",
                  "daemon_pid"):
            if f.get(f"{prefix}_crash_{k}") is not None:
                st[k] = g(k)
        s0, s1 = g("starts0"), g("starts1")
        t0, t1 = g("ticks0"), g("ticks1")
        w = g("window_ms")
        if all(isinstance(x, int) for x in (s0, s1, t0, t1)) and s1 > s0:
            st["daemon_cpu_ms_per_respawn"] = round((t1 - t0) * 1000 / ticks / (s1 - s0), 3)
        if all(isinstance(x, int) for x in (s0, s1, w)) and w > 0:
            st["respawns_per_s"] = round((s1 - s0) * 1000 / w, 1)
        crash[prefix] = st
    sm, vm = crash.get("swisor", {}).get("median_ms"), crash.get("supervisord", {}).get("median_ms")
    if isinstance(sm, float) and isinstance(vm, float) and vm > 0:
        ratios["respawn_median_vs_supervisord"] = round(sm / vm, 4)

    # ---- issue 15: idle CPU with and without memory watch, memory, start/stop rounds, and
    # the goals table, at N apps and at the scale section's
    idle = _idle(f, work)
    memory = _memory(work)
    startstop = _startstop(f, work)
    goals = _goals(f, timings, idle, memory, startstop, crash, n_apps)
    scale = _scale(f, timings, idle, memory, startstop) if scale_apps else None
    for k, v in _issue15_ratios(goals).items():
        ratios[k] = v

    # ---- issue 4: stop of an app of 50 processes
    stop = _stop(f, work)
    if stop:
        for variant in ("cooperating", "stubborn"):
            a = stop.get("swisor", {}).get(variant, {}).get("stop_ms", {}).get("median")
            b = stop.get("supervisord", {}).get(variant, {}).get("stop_ms", {}).get("median")
            if a is not None and b:
                ratios[f"stop_median_vs_supervisord_{variant}"] = round(a / b, 4)
        sw_stop = [stop["swisor"][v] for v in ("cooperating", "stubborn")
                   if v in stop.get("swisor", {})]
        if sw_stop:
            left = sum(v["alive_at_return_total"] for v in sw_stop)
            checks["stop_leaves_no_process"] = {
                "value": left, "limit": 0, "met": left == 0,
                "stops": sum(v["stops"] for v in sw_stop)}
    stop_notes = []
    for sup in ("swisor", "supervisord"):
        for variant in ("cooperating", "stubborn"):
            v = (stop or {}).get(sup, {}).get(variant)
            if not v:
                continue
            if v.get("failed_requests"):
                stop_notes.append(f"{sup}: {v['failed_requests']} stop request(s) of the "
                                  f"{variant} tree failed or timed out (see stop.{sup}.{variant}"
                                  f".rounds in latest.json)")
            if v.get("cgroup_not_empty_after_return"):
                stop_notes.append(f"{sup}: the {variant} tree's cgroup was not empty right after "
                                  f"the stop returned, {v['cgroup_not_empty_after_return']} time(s)")
    # ---- issue 6: log throughput
    logs = _logs(f, work)
    if logs:
        for n in LOG_CASES:
            a = logs.get("swisor", {}).get(n, {}).get("mib_per_s")
            b = logs.get("supervisord", {}).get(n, {}).get("mib_per_s")
            if a and b:
                ratios[f"log_throughput_vs_supervisord_{n}"] = round(a / b, 3)
            a = logs.get("swisor", {}).get(n, {}).get("daemon_cpu_ms_per_mib")
            b = logs.get("supervisord", {}).get(n, {}).get("daemon_cpu_ms_per_mib")
            if a is not None and b:
                ratios[f"log_cpu_per_mib_vs_supervisord_{n}"] = round(a / b, 3)
        for sup in ("swisor", "supervisord"):
            for n in LOG_CASES:
                v = logs.get(sup, {}).get(n)
                if v and (v["failed_rounds"] or v["damaged_rounds"]):
                    stop_notes.append(f"{sup}: logs, case {n}: {v['failed_rounds']} round(s) "
                                      f"timed out, {v['damaged_rounds']} left a log file that is not "
                                      f"exactly the lines written (see logs in latest.json)")

    if f.get("swisor_cgroups_left") is not None:
        # Of all the homes of the run, counted after their daemons exited.
        result_cgroups_left = _num(f.get("swisor_cgroups_left"))
    else:
        result_cgroups_left = None

    machine = {k: f.get(k) for k in ("date", "nproc", "kernel", "cpu", "mem_total",
                                      "swisor_commit", "swisor_version",
                                      "supervisord_version", "hyperfine_version",
                                      "python_version", "load_start", "load_end")}
    result = {
        "apps": n_apps,
        "app_script": f.get("app_script_text"),
        "runs": int(f["runs"]),
        "warmup": int(f["warmup"]),
        "timer": "hyperfine --shell=none --output=pipe (wall time of fork+exec+wait)",
        "machine": machine,
        "peer": "supervisord (Debian package supervisor); PM2 could not be installed "
                "(npm's registry is not reachable from this machine)",
        "timings": timings,
        "swisor_daemon": sw,
        "supervisord": sv,
        "goals": goals,
        "scale": scale,
        "idle_cpu": idle,
        "memory": memory,
        "startstop": startstop,
        "config": {k: _num(f.get(k)) for k in (
            "idle_seconds", "idle_parts", "memory_limit", "startstop_rounds",
            "startstop_settle_ms", "startstop_uptime_ms", "scale_apps", "scale_runs",
            "scale_warmup", "scale_rounds", "scale_idle_seconds", "nofile", "s6_version",
            "runit_version", "s6_missing", "runit_missing", "anchor_install") if f.get(k)},
        "crash_to_respawn": crash,
        "stop": stop,
        "logs": logs,
        "swisor_cgroups_left": result_cgroups_left,
        "sections": (f.get("sections") or "").split(","),
        "ratios": ratios,
        "checks": checks,
        "notes": [x for x in f.get("notes", "").split("|") if x] + stop_notes,
    }

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "latest.json"), "w") as out:
        json.dump(result, out, indent=2)
        out.write("\n")

    md = _markdown(result)
    with open(os.path.join(outdir, "latest.md"), "w") as out:
        out.write(md)
    sys.stdout.write(md)
    if any(g.get("met") is False for g in goals["rows"]):
        sys.exit(3)


def _markdown(r):
    m = r["machine"]
    t = r["timings"]
    sw, sv = r["swisor_daemon"], r["supervisord"]
    main = bool(sw or sv)  # the phases with the N apps (sections list, rss, idle, startstop) ran
    L = []
    L.append(f"# swisor benchmark: {r['apps']} apps running\n" if main else "# swisor benchmark\n")
    L.append(f"- date: {m['date']}")
    secs = [x for x in r.get("sections", []) if x]
    if secs and set(secs) != {"list", "rss", "idle", "crash", "startstop", "stop", "logs", "scale"}:
        L.append(f"- sections run (BENCH_SECTIONS): {', '.join(secs)}; the others were not")
    L.append(f"- swisor commit: `{m['swisor_commit']}` (daemon version {m['swisor_version']})")
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_total']} RAM, "
             f"Linux {m['kernel']}; load average {m['load_start']} at the start, "
             f"{m['load_end']} at the end")
    L.append(f"- peer: supervisord {m['supervisord_version']} (Debian package `supervisor`, "
             f"Python {m['python_version']}). PM2 is not measured: npm's registry is not "
             f"reachable from this machine, so it cannot be installed.")
    if t:
        L.append(f"- timer: hyperfine {m['hyperfine_version']}, `--shell=none --output=pipe`, "
                 f"{r['warmup']} warm-ups then {r['runs']} runs per command; each run is the wall "
                 f"time of fork+exec+wait of the CLI, output read through a pipe (not a terminal)")
    if main or r.get("startstop") or r.get("scale"):
        L.append(f"- each app: `{r['app_script']}` (a shell and its `sleep`, two processes); under "
                 f"swisor, with `max_memory_restart: \"{r['config'].get('memory_limit')}\"` on every "
                 f"app (the memory watch runs, never fires) in the list, memory-watch idle and PSS "
                 f"figures, without it in the no-watch idle and the start/stop figures (a daemon of "
                 f"its own, and so on for each phase)")
    c = r.get("config", {})
    if r.get("idle_cpu"):
        L.append(f"- idle windows: {c.get('idle_seconds')} s ({c.get('idle_parts')} sub-windows)"
                 + (f", {c.get('scale_idle_seconds')} s at {c.get('scale_apps')} apps" if c.get("scale_apps") else ""))
    if r.get("startstop"):
        L.append(f"- start/stop: {c.get('startstop_rounds')} rounds per supervisor at {r['apps']} apps"
                 + (f", {c.get('scale_rounds')} at {c.get('scale_apps')}" if c.get("scale_apps") else "")
                 + f"; {c.get('startstop_settle_ms')} ms of quiet before each command, each stop at least "
                 f"{c.get('startstop_uptime_ms')} ms after the start before it")
    if c.get("scale_apps"):
        L.append(f"- scale section: {c.get('scale_apps')} apps, {c.get('scale_warmup')} warm-ups and "
                 f"{c.get('scale_runs')} runs per command; open files limit (soft) {c.get('nofile')}")
    anchors = []
    for name, what in (("s6", "s6-svscan + s6-supervise"), ("runit", "runsvdir + runsv, `sv`")):
        if c.get(f"{name}_version"):
            anchors.append(f"{name} {c[name + '_version']} ({what}, Debian package `{name}`)")
        elif c.get(f"{name}_missing"):
            anchors.append(f"{name}: not measured ({c[name + '_missing']})")
    if anchors:
        L.append("- start/stop anchors: " + "; ".join(anchors))
    L.append("")

    L.extend(_markdown_goals(r))
    L.extend(_markdown_scale(r))

    if t:
        L.extend(_markdown_cli(r))
    if main:
        L.extend(_markdown_daemon(r))
    L.extend(_markdown_memory(r))
    L.extend(_markdown_idle(r))
    L.extend(_markdown_startstop(r))
    L.extend(_markdown_crash(r))
    L.extend(_markdown_stop(r))
    L.extend(_markdown_logs(r))

    L.append("## Ratios (swisor / supervisord, same run)\n")
    rt = r["ratios"]
    if "list_median_vs_supervisorctl_status" in rt:
        x = rt["list_median_vs_supervisorctl_status"]
        L.append(f"- `swisor list` median / `supervisorctl status` median: **{x:.3f}** "
                 f"({1 / x:.1f}× faster)" if x else "")
    if "daemon_rss_vs_supervisord_rss" in rt:
        x = rt["daemon_rss_vs_supervisord_rss"]
        L.append(f"- swisor daemon VmRSS / supervisord VmRSS: **{x:.3f}**")
    if "respawn_median_vs_supervisord" in rt:
        x = rt["respawn_median_vs_supervisord"]
        L.append(f"- crash-to-respawn median, swisor / supervisord: **{x:.4f}**"
                 + (f" ({1 / x:.0f}× faster)" if x else ""))
    if "idle_cpu_no_watch_vs_supervisord" in rt:
        x = rt["idle_cpu_no_watch_vs_supervisord"]
        L.append(f"- idle daemon CPU ({r['apps']} apps, median of the sub-windows), swisor without "
                 f"memory watch / supervisord: **{x:.3f}**")
    if "pss_vs_supervisord" in rt:
        L.append(f"- daemon PSS, swisor / supervisord: **{rt['pss_vs_supervisord']:.3f}**")
    for k, what in (("start_all", "start all → all up"), ("stop_all", "stop all → gone")):
        x = rt.get(f"{k}_vs_supervisord")
        if x is not None:
            L.append(f"- {what}, {r['apps']} apps, median, swisor / supervisord: **{x:.3f}**"
                     + (f" ({1 / x:.1f}× faster)" if 0 < x < 1 else ""))
    for variant in ("cooperating", "stubborn"):
        x = rt.get(f"stop_median_vs_supervisord_{variant}")
        if x is not None:
            L.append(f"- stop of the {variant} 50-process tree, median wall time, swisor / "
                     f"supervisord: **{x:.4f}**" + (f" ({1 / x:.0f}× faster)" if x else ""))
    for n, what in LOG_CASE_NAMES.items():
        x = rt.get(f"log_throughput_vs_supervisord_{n}")
        if x is not None:
            L.append(f"- log throughput, {what}, swisor / supervisord: **{x:.2f}**")
        x = rt.get(f"log_cpu_per_mib_vs_supervisord_{n}")
        if x is not None:
            L.append(f"- daemon CPU per MiB of logs, {what}, swisor / supervisord: **{x:.3f}**")
    L.append("")
    if r["notes"]:
        L.append("## Notes\n")
        for n in r["notes"]:
            L.append(f"- {n}")
        L.append("")
    return "\n".join(L)


def _markdown_cli(r):
    t = r["timings"]
    L = []
    L.append("## CLI wall time (ms)\n")
    L.append("| command | runs | median | p10 | p90 | min | mean | median − /bin/true | daemon CPU per request |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key in ("true_swisor", "swisor_list", "swisor_list_json", "swisor_ping", "swisor_version_flag",
                "true_supervisor", "python_startup", "supervisorctl_status", "supervisord_version_flag",
                "scale_swisor_list", "scale_supervisorctl_status"):
        if key not in t:
            continue
        s = t[key]
        minus = f"{s['median_minus_true_ms']:.2f}" if "median_minus_true_ms" in s else "—"
        cpu = f"{s['daemon_cpu_ms_per_request']:.3f}" if "daemon_cpu_ms_per_request" in s else "—"
        L.append(f"| {s['label']} | {s['runs']} | {s['median_ms']:.2f} | {s['p10_ms']:.2f} | {s['p90_ms']:.2f} | "
                 f"{s['min_ms']:.2f} | {s['mean_ms']:.2f} | {minus} | {cpu} |")
    L.append("")
    return L


def _markdown_daemon(r):
    sw, sv = r["swisor_daemon"], r["supervisord"]
    L = []
    L.append(f"## Daemon memory and cost, {r['apps']} apps\n")
    L.append("swisor: the daemon with the memory watch (PSS and its split: "
             "[Daemon memory](#daemon-memory-issue-15)).\n")
    L.append("| | swisor daemon | supervisord |")
    L.append("| --- | ---: | ---: |")

    def row(label, key, fmt):
        L.append(f"| {label} | {fmt(sw.get(key))} | {fmt(sv.get(key))} |")

    num = lambda v: "n/a" if v is None else str(v)
    ms = lambda v: "n/a" if v is None else f"{v} ms"
    row("VmRSS (after the timed runs)", "VmRSS_kB", _mb)
    row("VmHWM (peak RSS)", "VmHWM_kB", _mb)
    row("RssAnon", "RssAnon_kB", _mb)
    row("RssFile", "RssFile_kB", _mb)
    row("threads", "Threads", num)
    row("supervised processes (descendants)", "processes", num)
    row("`swisor start FILE` / `supervisord -c FILE` command returns", "start_cli_ms", ms)
    row(f"start {r['apps']} apps until all online/RUNNING", "start_ms", ms)
    row("`swisor kill` command returns", "stop_cli_ms", ms)
    row("stop everything until the daemon has exited (`swisor kill` / `supervisorctl shutdown`)",
        "stop_ms", ms)
    row("processes left after the stop", "survivors", num)
    L.append("")
    return L


def _markdown_stop(r):
    st = r.get("stop")
    if not st:
        return []
    L = [f"## Stop of an app of {st.get('processes')} processes (issue 4)\n"]
    L.append(
        f"The app is {st.get('tree')}: a main process, 12 children, 12 grandchildren, and 5 "
        f"sessions of 5 processes that escape (`setsid` and a double fork: out of the main "
        f"process's process group and session, re-parented): {st.get('escaped_processes')} "
        f"of the {st.get('processes')}. The same binary under both supervisors. "
        f"**cooperating**: every process exits at once on SIGTERM, SIGINT or SIGHUP; "
        f"**stubborn**: every process ignores them, so only SIGKILL ends it. Each variant is "
        f"started and stopped {st.get('rounds')} times under each supervisor; a stop is timed "
        f"once all {st.get('processes')} processes run (and, under swisor, once the app's "
        f"cgroup holds exactly them). Stop time: wall time of the stop request, from its fork to "
        f"its exit. Under swisor, `populated 0`: from the same start until the app's "
        f"`cgroup.events` said so (seen by `poll` for POLLPRI on it, which the kernel wakes at once). *Alive at return*: processes of the tree alive (same "
        f"pid and start time, not a zombie) right after the request returned; *survivors*: "
        f"{st.get('settle_ms')} ms later. Survivors are then killed by pid. The no-op request "
        f"(`swisor ping`, `supervisorctl pid`), timed the same way after each stop, is what "
        f"the CLI costs by itself.\n")
    if st.get("swisor", {}).get("containment"):
        L.append(f"swisor's containment: `{st['swisor']['containment']}`.\n")
    L.append("| variant | supervisor | configuration | stop median | p90 | min | max | "
             "until `populated 0`, median | no-op request, median | alive at return, per stop | "
             "**survivors per stop** (escaped + in the group) |")
    L.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    ms = lambda v: f"{v:.1f} ms" if v is not None and v >= 100 else (
        f"{v:.2f} ms" if v is not None else "—")
    for variant in ("cooperating", "stubborn"):
        for sup in ("swisor", "supervisord"):
            v = st.get(sup, {}).get(variant)
            if not v:
                continue
            d = v["stop_ms"]
            e = v.get("until_populated_0_ms", {}).get("median")
            nop = v.get("noop_ms", {}).get("median")
            n = v["stops"]
            L.append(
                f"| {variant} | {sup} | {v.get('config') or '?'} | **{ms(d['median'])}** | "
                f"{ms(d['p90'])} | {ms(d['min'])} | {ms(d['max'])} | {ms(e)} | "
                f"{ms(nop)} | {v['alive_at_return_total'] / n:g} | "
                f"**{v['survivors_per_stop']:g}** ({v['survivors_escaped_total'] / n:g} + "
                f"{v['survivors_in_group_total'] / n:g}; {v['survivors_total']} in {n} stops) |")
    L.append("")
    net = []
    for variant in ("cooperating", "stubborn"):
        parts = []
        for sup in ("swisor", "supervisord"):
            x = st.get(sup, {}).get(variant, {}).get("stop_median_minus_noop_median_ms")
            if x is not None:
                parts.append(f"{sup} {x:.1f} ms")
        if parts:
            net.append(f"{variant}: " + ", ".join(parts))
    if net:
        L.append("Stop median minus no-op median (the stop without the CLI's own cost): "
                 + "; ".join(net) + ".\n")
    checks = []
    for variant in ("cooperating", "stubborn"):
        v = st.get("swisor", {}).get(variant)
        if v and "cgroup_after_return" in v:
            seen = ", ".join(f"{k}: {c}" for k, c in v["cgroup_after_return"].items())
            checks.append(f"{variant}: {seen}")
        if v and v.get("populated_0_not_seen"):
            checks.append(f"{variant}: `populated 0` not seen before the return in "
                          f"{v['populated_0_not_seen']} stop(s)")
        if v and v.get("failed_requests"):
            checks.append(f"{variant}: {v['failed_requests']} stop request(s) failed")
    if checks:
        L.append("The app's cgroup, read right after `swisor stop` returned (a cgroup is "
                 "removed only once empty): " + "; ".join(checks) + ".\n")
    for variant in ("cooperating", "stubborn"):
        v = st.get("supervisord", {}).get(variant)
        if v and v.get("failed_requests"):
            L.append(f"supervisord, {variant}: {v['failed_requests']} stop request(s) failed.\n")
    if r.get("swisor_cgroups_left") is not None:
        L.append(f"Cgroups of this run's swisor homes left after their daemons exited: "
                 f"{r['swisor_cgroups_left']}.\n")
    return L


def _markdown_logs(r):
    g = r.get("logs")
    if not g:
        return []
    L = ["## Log throughput (issue 6)\n"]
    L.append(f"The app is {g['writer']}. Each round writes {g['mib_per_round']} MiB in all, from one "
             f"app or from ten at once (a tenth each); {g['rounds']} rounds per case and supervisor. "
             f"Time: from the first writer's first write (they wait for a common go) until every log "
             f"file holds all its bytes; the figures are the median round. Daemon CPU: its own "
             f"utime+stime over that window (clock ticks of 10 ms), children not counted.\n")
    L.append(f"- swisor: {g.get('swisor_config')}")
    L.append(f"- supervisord: {g.get('supervisord_config')}\n")
    L.append("| writers | writes | supervisor | MiB | lines | time, median | min | max | lines/s | MiB/s | "
             "daemon CPU, median | **daemon CPU per MiB** | rounds intact |")
    L.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case in LOG_CASES:
        n, mode = _log_case(case)
        writes = "4096 B" if mode == "block" else "per line"
        for sup in ("swisor", "supervisord"):
            v = g.get(sup, {}).get(case)
            if not v:
                continue
            if "wall_ms" not in v:
                L.append(f"| {n} | {writes} | {sup} | — | — | failed | | | | | | | 0 / {v['rounds']} |")
                continue
            w = v["wall_ms"]
            L.append(f"| {n} | {writes} | {sup} | {v['mib']} | {v['lines']:,} | {w['median']:.0f} ms | "
                     f"{w['min']:.0f} ms | {w['max']:.0f} ms | {v['lines_per_s']:,} | "
                     f"{v['mib_per_s']} | {v.get('daemon_cpu_ms_median', '—')} ms | "
                     f"**{v.get('daemon_cpu_ms_per_mib', '—')} ms** | "
                     f"{v['rounds'] - v['damaged_rounds']} / {v['rounds']} |")
    L.append("")
    return L


def _markdown_crash(r):
    c = r["crash_to_respawn"]
    sw, sv = c.get("swisor"), c.get("supervisord")
    if not sw and not sv:
        return []
    L = ["## Crash-to-respawn latency, no delay configured (issue 3)\n"]
    L.append(f"One app, `crash` ({c['program']}; built with {c.get('compiler')}, "
             f"{c.get('linkage')}), restarted by each supervisor in turn. Up to "
             f"{c['respawns_wanted']} respawns each, or what {c.get('deadline_s')} s give; the "
             f"statistics use the first {c['respawns_wanted']} of each log, and only respawns made "
             f"while collecting: nothing talks to the supervisor then (a request wakes "
             f"supervisord's main loop, which then respawns at once).\n")
    L.append("| | swisor | supervisord |")
    L.append("| --- | ---: | ---: |")

    def row(label, fn):
        L.append(f"| {label} | {fn(sw) if sw else 'n/a'} | {fn(sv) if sv else 'n/a'} |")

    def val(k, fmt=str):
        return lambda d: "n/a" if d.get(k) is None else fmt(d[k])

    ms2 = lambda v: f"{v:.2f} ms"
    row("configuration", val("config", lambda v: v.replace("|", "\\|")))
    row("respawns measured", val("respawns"))
    row("**median**", val("median_ms", lambda v: f"**{v:.2f} ms**"))
    row("p90", val("p90_ms", ms2))
    row("p99", val("p99_ms", ms2))
    row("min", val("min_ms", ms2))
    row("max", val("max_ms", ms2))
    row("mean", val("mean_ms", ms2))
    row("respawns per second while collecting", val("respawns_per_s"))
    row("daemon CPU per respawn", val("daemon_cpu_ms_per_respawn", lambda v: f"{v:.3f} ms"))
    row("respawns while collecting / in the whole log (until the stop)",
        lambda d: f"{d.get('respawns_in_window')} / {d.get('respawns_in_log')}")
    row("status when the collection ended", val("status", lambda v: str(v).replace("_", " ")))
    row("restart count reported by the supervisor", val("restarts"))
    row("`waiting restart` / `errored` events in the last 100 of swisor's history",
        lambda d: "—" if d.get("waiting_restart_events") is None
        else f"{d['waiting_restart_events']} / {d.get('errored_events')}")
    row("supervisord.log: `spawned:` / `exited:` / `gave up:` / `too quickly` lines",
        lambda d: "—" if d.get("spawned_lines") is None
        else f"{d['spawned_lines']} / {d.get('exited_lines')} / {d.get('gave_up_lines')} / "
             f"{d.get('too_quickly_lines')}")
    row("stop (`swisor delete crash` / `supervisorctl shutdown`) took", val("stop_ms", lambda v: f"{v} ms"))
    row("runs started after the stop returned", val("starts_after_stop"))
    row("crash processes left after the daemon exited", val("survivors"))
    L.append("")

    L.append("Distribution of the measured respawns:\n")
    L.append("| latency | swisor | supervisord |")
    L.append("| --- | ---: | ---: |")
    for lo, hi in _BUCKETS:
        k = _bucket_label(lo, hi)
        a = sw.get("distribution", {}).get(k, 0) if sw else "n/a"
        b = sv.get("distribution", {}).get(k, 0) if sv else "n/a"
        L.append(f"| {k} | {a} | {b} |")
    L.append("")
    return L


def _labels(args):
    """KEY=VALUE arguments as a dict, numbers as numbers."""
    return {k: _num(v) for k, v in (x.split("=", 1) for x in args)}


def main():
    a = sys.argv[1:]
    cmd = a[0] if a else ""
    if cmd == "ecosystem":
        ecosystem(int(a[1]), a[2], a[3], a[4] if len(a) > 4 and a[4] else None)
    elif cmd == "supervisor-conf":
        supervisor_conf(int(a[1]), a[2], a[3], a[4])
    elif cmd == "crash-ecosystem":
        crash_ecosystem(a[1], a[2], a[3])
    elif cmd == "crash-supervisor-conf":
        crash_supervisor_conf(a[1], a[2], a[3], a[4])
    elif cmd == "count-starts":
        count_starts(a[1])
    elif cmd == "swisor-summary":
        swisor_summary()
    elif cmd == "swisor-app":
        swisor_app(a[1])
    elif cmd == "history-count":
        history_count(a[1])
    elif cmd == "find-key":
        find_key(a[1])
    elif cmd == "kill-exe":
        kill_exe(a[1])
    elif cmd == "count-swisor":
        count_swisor()
    elif cmd == "count-supervisor":
        count_supervisor()
    elif cmd == "descendants":
        descendants(int(a[1]))
    elif cmd == "kill-survivors":
        kill_survivors(a[1])
    elif cmd == "count-alive":
        count_alive(a[1])
    elif cmd == "cpu-ticks":
        cpu_ticks(int(a[1]))
    elif cmd == "stop-ecosystem":
        stop_ecosystem(a[1], a[2], a[3], a[4], a[5], a[6])
    elif cmd == "stop-supervisor-conf":
        stop_supervisor_conf(a[1], a[2], a[3], a[4:])
    elif cmd == "tree-wait":
        tree_wait(a[1], int(a[2]), a[3], a[4])
    elif cmd == "tree-procs":
        tree_procs(a[1])
    elif cmd == "stop-time":
        if "--" not in a:
            sys.exit(2)
        i = a.index("--")
        labels = dict(x.split("=", 1) for x in a[5:i])
        stop_time(a[1], a[2], int(a[3]), float(a[4]), a[i + 1:], labels)
    elif cmd == "stop-line":
        stop_line(a[1])
    elif cmd == "cgroup-cleanup":
        cgroup_cleanup(a[1])
    elif cmd == "log-ecosystem":
        log_ecosystem(a[1], a[2], a[3], int(a[4]), int(a[5]), a[6])
    elif cmd == "log-supervisor-conf":
        log_supervisor_conf(a[1], a[2], int(a[3]), int(a[4]), a[5], a[6], a[7:])
    elif cmd == "log-run":
        log_run(a[1], a[2], int(a[3]), int(a[4]), a[5], int(a[6]), int(a[7]), float(a[8]))
    elif cmd == "mem-snapshot":
        mem_snapshot(int(a[1]), _labels(a[2:]))
    elif cmd == "idle-window":
        idle_window(int(a[1]), float(a[2]), int(a[3]), _labels(a[4:]))
    elif cmd == "startstop":
        if a.count("--") != 2:
            sys.exit(2)
        i = a.index("--")
        j = a.index("--", i + 1)
        startstop(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), float(a[6]), int(a[7]),
                  a[8], a[9], a[10], a[i + 1:j], a[j + 1:], _labels(a[11:i]))
    elif cmd == "startstop-line":
        startstop_line(a[1])
    elif cmd == "app-procs":
        app_procs(a[1], a[2])
    elif cmd == "s6-scandir":
        s6_scandir(int(a[1]), a[2], a[3])
    elif cmd == "runit-scandir":
        runit_scandir(int(a[1]), a[2], a[3])
    elif cmd == "svc-control":
        sys.exit(1 if svc_control(a[1], a[2]) else 0)
    elif cmd == "svc-ready":
        svc_ready(a[1], int(a[2]), a[3])
    elif cmd == "report":
        report(a[1], a[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
