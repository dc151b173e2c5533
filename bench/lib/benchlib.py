#!/usr/bin/env python3
"""Helpers for bench/run: config generation, polling predicates, process-tree
snapshots and the final report. Standard library only.

Subcommands (argv[1]):
  ecosystem N SCRIPT OUT            write a swisor ecosystem file with N apps
  supervisor-conf N SCRIPT DIR OUT  write a supervisord config with N programs
  count-swisor                      stdin: `swisor list --json`; prints apps online
  count-supervisor                  stdin: `supervisorctl status`; prints RUNNING lines
  descendants PID                   prints "pid starttime" of every descendant of PID
  kill-survivors FILE               SIGKILLs each "pid starttime" of FILE still alive
                                    (same start time, not a zombie); prints how many
  cpu-ticks PID                     prints utime+stime of PID in clock ticks
  report FACTS OUTDIR               reads key=value FACTS and hyperfine exports, writes
                                    OUTDIR/latest.json and OUTDIR/latest.md, prints the md
"""

import json
import math
import os
import sys


# ---------------------------------------------------------------- generation

def ecosystem(n, script, out):
    apps = [
        {
            "name": f"bench-{i:03d}",
            "script": script,
            "interpreter": "none",
            "autorestart": True,
        }
        for i in range(n)
    ]
    with open(out, "w") as f:
        json.dump({"apps": apps}, f, indent=1)
        f.write("\n")


def supervisor_conf(n, script, d, out):
    lines = [
        "[unix_http_server]",
        f"file={d}/supervisor.sock",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={d}/supervisord.log",
        f"pidfile={d}/supervisord.pid",
        f"childlogdir={d}/logs",
        "nodaemon=false",
        "loglevel=warn",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{d}/supervisor.sock",
        "",
    ]
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


def cpu_ticks(pid):
    st = _stat(pid)
    print(st[2] if st else 0)


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


def report(facts_path, outdir):
    f = _facts(facts_path)
    work = f["work"]
    ticks = int(f.get("clk_tck", "100"))
    n_apps = int(f["apps"])

    timings = {}
    for key, label in [
        ("true_swisor", "/bin/true (spawn baseline, swisor phase)"),
        ("swisor_list", "swisor list"),
        ("swisor_list_json", "swisor list --json"),
        ("swisor_ping", "swisor ping"),
        ("true_supervisor", "/bin/true (spawn baseline, supervisord phase)"),
        ("python_startup", "python3 -c pass (supervisorctl's interpreter, no work)"),
        ("supervisorctl_status", "supervisorctl status"),
    ]:
        path = os.path.join(work, f"hf-{key}.json")
        if not os.path.exists(path):
            continue
        s = _stats(path)
        s["label"] = label
        base = ("true_supervisor" if key in ("python_startup", "supervisorctl_status")
                else "true_swisor")
        if not key.startswith("true") and base in timings:
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

    targets = {}
    if "swisor_list" in timings:
        m = timings["swisor_list"]["median_ms"]
        targets["list_median_under_10ms"] = {"value_ms": m, "limit_ms": 10, "met": m < 10}
    if isinstance(sw.get("VmRSS_kB"), int):
        r = sw["VmRSS_kB"]
        targets["daemon_rss_under_16MiB"] = {"value_kB": r, "limit_kB": 16 * 1024,
                                             "met": r < 16 * 1024}

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
        "ratios": ratios,
        "targets": targets,
        "notes": [x for x in f.get("notes", "").split("|") if x],
    }

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "latest.json"), "w") as out:
        json.dump(result, out, indent=2)
        out.write("\n")

    md = _markdown(result)
    with open(os.path.join(outdir, "latest.md"), "w") as out:
        out.write(md)
    sys.stdout.write(md)
    if targets and not all(t["met"] for t in targets.values()):
        sys.exit(3)


def _markdown(r):
    m = r["machine"]
    t = r["timings"]
    sw, sv = r["swisor_daemon"], r["supervisord"]
    L = []
    L.append(f"# swisor benchmark: {r['apps']} apps running\n")
    L.append(f"- date: {m['date']}")
    L.append(f"- swisor commit: `{m['swisor_commit']}` (daemon version {m['swisor_version']})")
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_total']} RAM, "
             f"Linux {m['kernel']}; load average {m['load_start']} at the start, "
             f"{m['load_end']} at the end")
    L.append(f"- peer: supervisord {m['supervisord_version']} (Debian package `supervisor`, "
             f"Python {m['python_version']}). PM2 is not measured: npm's registry is not "
             f"reachable from this machine, so it cannot be installed.")
    L.append(f"- timer: hyperfine {m['hyperfine_version']}, `--shell=none --output=pipe`, "
             f"{r['warmup']} warm-ups then {r['runs']} runs per command; each run is the wall "
             f"time of fork+exec+wait of the CLI, output read through a pipe (not a terminal)")
    L.append(f"- each app: `{r['app_script']}` (a shell and its `sleep`, two processes)\n")

    L.append("## Targets (issue 2)\n")
    L.append("| target | measured | limit | met |")
    L.append("| --- | ---: | ---: | :---: |")
    tg = r["targets"]
    if "list_median_under_10ms" in tg:
        x = tg["list_median_under_10ms"]
        L.append(f"| `swisor list` median wall time | {x['value_ms']:.2f} ms | 10 ms | "
                 f"{'yes' if x['met'] else '**NO**'} |")
    if "daemon_rss_under_16MiB" in tg:
        x = tg["daemon_rss_under_16MiB"]
        L.append(f"| daemon RSS (VmRSS) | {_mb(x['value_kB'])} | 16 MiB | "
                 f"{'yes' if x['met'] else '**NO**'} |")
    L.append("")

    L.append("## CLI wall time (ms)\n")
    L.append("| command | median | p90 | min | mean | median − /bin/true | daemon CPU per request |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key in ("true_swisor", "swisor_list", "swisor_list_json", "swisor_ping",
                "true_supervisor", "python_startup", "supervisorctl_status"):
        if key not in t:
            continue
        s = t[key]
        minus = f"{s['median_minus_true_ms']:.2f}" if "median_minus_true_ms" in s else "—"
        cpu = f"{s['daemon_cpu_ms_per_request']:.3f}" if "daemon_cpu_ms_per_request" in s else "—"
        L.append(f"| {s['label']} | {s['median_ms']:.2f} | {s['p90_ms']:.2f} | "
                 f"{s['min_ms']:.2f} | {s['mean_ms']:.2f} | {minus} | {cpu} |")
    L.append("")

    L.append("## Daemon memory and cost\n")
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
    row("idle CPU, ms per s (5 s window)", "idle_cpu_ms_per_s", num)
    row("`swisor start FILE` / `supervisord -c FILE` command returns", "start_cli_ms", ms)
    row(f"start {r['apps']} apps until all online/RUNNING", "start_ms", ms)
    row("`swisor kill` command returns", "stop_cli_ms", ms)
    row("stop everything until the daemon has exited (`swisor kill` / `supervisorctl shutdown`)",
        "stop_ms", ms)
    row("processes left after the stop", "survivors", num)
    L.append("")

    L.append("## Ratios (swisor / supervisord, same run)\n")
    rt = r["ratios"]
    if "list_median_vs_supervisorctl_status" in rt:
        x = rt["list_median_vs_supervisorctl_status"]
        L.append(f"- `swisor list` median / `supervisorctl status` median: **{x:.3f}** "
                 f"({1 / x:.1f}× faster)" if x else "")
    if "daemon_rss_vs_supervisord_rss" in rt:
        x = rt["daemon_rss_vs_supervisord_rss"]
        L.append(f"- swisor daemon VmRSS / supervisord VmRSS: **{x:.3f}**")
    L.append("")
    if r["notes"]:
        L.append("## Notes\n")
        for n in r["notes"]:
            L.append(f"- {n}")
        L.append("")
    return "\n".join(L)


def main():
    a = sys.argv[1:]
    cmd = a[0] if a else ""
    if cmd == "ecosystem":
        ecosystem(int(a[1]), a[2], a[3])
    elif cmd == "supervisor-conf":
        supervisor_conf(int(a[1]), a[2], a[3], a[4])
    elif cmd == "count-swisor":
        count_swisor()
    elif cmd == "count-supervisor":
        count_supervisor()
    elif cmd == "descendants":
        descendants(int(a[1]))
    elif cmd == "kill-survivors":
        kill_survivors(a[1])
    elif cmd == "cpu-ticks":
        cpu_ticks(int(a[1]))
    elif cmd == "report":
        report(a[1], a[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
