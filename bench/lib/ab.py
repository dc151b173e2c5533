"""bench/ab: two swisor builds measured interleaved (see bench/ab)."""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

OLD, NEW, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
BINS = [OLD, NEW]
homes = []


def daemon(apps):
    """One daemon per build, each with `apps`, under a home of its own."""
    out = []
    for b in BINS:
        h = tempfile.mkdtemp(prefix="/tmp/swisor-ab.")
        homes.append((b, h))
        json.dump({"apps": apps}, open(h + "/eco.json", "w"))
        env = dict(os.environ, SWISOR_HOME=h)
        subprocess.run([b, "start", h + "/eco.json"], env=env, stdout=subprocess.DEVNULL, check=True)
        pid = int(open(h + "/swisor.pid").read())
        out.append((b, env, pid))
    return out


def loop_cpu_ns(pid):
    # The daemon's loop thread only (its main thread): the log threads are not asked.
    return int(open(f"/proc/{pid}/task/{pid}/schedstat").read().split()[0])


def finish():
    for b, h in homes:
        subprocess.run([b, "kill"], env=dict(os.environ, SWISOR_HOME=h), stdout=subprocess.DEVNULL)
        shutil.rmtree(h, ignore_errors=True)
    homes.clear()


def median(xs):
    return statistics.median(xs)


def instructions():
    """Daemon instructions per list/ping (100 apps) and per respawn, for both builds."""
    work = tempfile.mkdtemp(prefix="/tmp/swisor-ab-cg.")
    out = {}
    try:
        for i, b in enumerate(BINS):
            # valgrind cannot read the toolchain's DWARF: a copy without it, symbols kept.
            sb = f"{work}/swisor-{i}"
            subprocess.run(["strip", "--strip-debug", "-o", sb, b], check=True)

            def under_valgrind(apps, tag):
                h = tempfile.mkdtemp(prefix="/tmp/swisor-ab.")
                homes.append((b, h))
                json.dump({"apps": apps}, open(h + "/eco.json", "w"))
                env = dict(os.environ, SWISOR_HOME=h)
                dump = f"{work}/{tag}-{i}.cg"
                p = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                      f"--callgrind-out-file={dump}", sb, "daemon"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 120
                while subprocess.run([b, "ping"], env=env, capture_output=True).returncode != 0:
                    if time.monotonic() > deadline or p.poll() is not None:
                        raise SystemExit(f"bench/ab: {sb} did not come up under valgrind")
                    time.sleep(0.2)
                subprocess.run([b, "start", h + "/eco.json"], env=env, stdout=subprocess.DEVNULL, check=True)
                return env, p, dump

            def counted(p, dump, work_fn):
                n = len([f for f in os.listdir(work) if f.startswith(os.path.basename(dump) + ".")])
                subprocess.run(["callgrind_control", "-i", "on", str(p.pid)], stdout=subprocess.DEVNULL, check=True)
                k = work_fn()
                subprocess.run(["callgrind_control", "-i", "off", str(p.pid)], stdout=subprocess.DEVNULL, check=True)
                subprocess.run(["callgrind_control", "-d", str(p.pid)], stdout=subprocess.DEVNULL, check=True)
                path = f"{dump}.{n + 1}"
                total = next(int(l.split()[1]) for l in open(path) if l.startswith("totals:"))
                return total / k

            # Registered, not running: nothing is sampled, so no once-a-second tick falls in
            # the window; `list` still builds every instance's line.
            apps = [{"name": f"a{j}", "script": "/bin/sh", "args": ["-c", "while :; do sleep 3600; done"],
                     "interpreter": "none", "autostart": False} for j in range(100)]
            env, p, dump = under_valgrind(apps, "requests")
            time.sleep(2)
            for c in ("list", "ping"):
                def run(c=c):
                    for _ in range(20):
                        subprocess.run([b, c], env=env, stdout=subprocess.DEVNULL)
                    return 20
                out.setdefault(f"daemon instructions per `{c}`, 100 apps registered (thousands)", [0, 0])[i] = counted(p, dump, run) / 1000
            subprocess.run([b, "kill"], env=env, stdout=subprocess.DEVNULL)
            p.wait(timeout=120)

            env, p, dump = under_valgrind([{"name": "crash", "script": "/bin/true", "interpreter": "none",
                                            "min_uptime": 0, "max_restarts": 1000000, "autostart": False}], "respawn")

            def restarts():
                return json.loads(subprocess.run([b, "jlist"], env=env, capture_output=True, text=True).stdout)[0]["restarts"]

            def crash_loop():
                r0 = restarts()
                subprocess.run([b, "start", "crash"], env=env, stdout=subprocess.DEVNULL)
                time.sleep(4)
                subprocess.run([b, "stop", "crash"], env=env, stdout=subprocess.DEVNULL)
                return max(1, restarts() - r0)
            out.setdefault("daemon instructions per respawn (thousands)", [0, 0])[i] = counted(p, dump, crash_loop) / 1000
            subprocess.run([b, "kill"], env=env, stdout=subprocess.DEVNULL)
            p.wait(timeout=120)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


results = {}
try:
    # 1. list and ping with 100 apps: daemon loop CPU per request.
    apps = [{"name": f"a{i}", "script": "/bin/sh", "args": ["-c", "while :; do sleep 3600; done"],
             "interpreter": "none", "max_memory_restart": "1G"} for i in range(100)]
    ds = daemon(apps)
    time.sleep(2)
    per = {(i, c): [] for i in range(2) for c in ("list", "ping")}
    for _ in range(30):
        for c in ("list", "ping"):
            for i, (b, env, pid) in enumerate(ds):
                a = loop_cpu_ns(pid)
                for _ in range(40):
                    subprocess.run([b, c], env=env, stdout=subprocess.DEVNULL)
                per[(i, c)].append((loop_cpu_ns(pid) - a) / 40 / 1000)
    for c in ("list", "ping"):
        results[f"daemon loop CPU per `{c}`, 100 apps (µs)"] = [median(per[(i, c)]) for i in range(2)]
    finish()

    # 2. crash-to-respawn: an app that exits at once, restarted with no delay.
    ds = daemon([{"name": "crash", "script": "/bin/true", "interpreter": "none", "min_uptime": 0,
                  "max_restarts": 1000000, "autostart": False}])
    cost = {0: [], 1: []}
    rate = {0: [], 1: []}
    for _ in range(8):
        for i, (b, env, pid) in enumerate(ds):
            def restarts():
                return json.loads(subprocess.run([b, "jlist"], env=env, capture_output=True, text=True).stdout)[0]["restarts"]
            r0, a = restarts(), loop_cpu_ns(pid)
            subprocess.run([b, "start", "crash"], env=env, stdout=subprocess.DEVNULL)
            time.sleep(2)
            subprocess.run([b, "stop", "crash"], env=env, stdout=subprocess.DEVNULL)
            n = max(1, restarts() - r0)
            cost[i].append((loop_cpu_ns(pid) - a) / 1000 / n)
            rate[i].append(n / 2)
    results["daemon loop CPU per respawn (µs)"] = [median(cost[i]) for i in range(2)]
    results["respawns per second"] = [median(rate[i]) for i in range(2)]
    finish()

    # 3. stop of a tree: 10 children and 10 setsid escapees of a shell.
    tree = "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & (setsid sleep 1000 &); done; wait"
    ds = daemon([{"name": "tree", "script": "/bin/sh", "args": ["-c", tree], "interpreter": "none",
                  "kill_signal": "SIGTERM", "autostart": False}])
    wall = {0: [], 1: []}
    for _ in range(25):
        for i, (b, env, pid) in enumerate(ds):
            subprocess.run([b, "start", "tree"], env=env, stdout=subprocess.DEVNULL)
            time.sleep(0.4)
            t = time.monotonic()
            subprocess.run([b, "stop", "tree"], env=env, stdout=subprocess.DEVNULL)
            wall[i].append((time.monotonic() - t) * 1000)
    results["`stop` of a 21-process tree with escapees, wall (ms)"] = [median(wall[i]) for i in range(2)]
    finish()

    # 4. Instructions (callgrind): what the host's noise cannot blur. The daemon runs under
    # valgrind, counting only between `callgrind_control -i on` and `-i off`, around the
    # requests or the crash loop; all of the daemon's threads, user space only.
    instr = instructions()
    for k, v in instr.items():
        results[k] = v
finally:
    finish()

def version(b):
    return subprocess.run([b, "--version"], capture_output=True, text=True).stdout.strip()

lines = [
    "# swisor against swisor, interleaved",
    "",
    f"- date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
    f"- old: `{OLD}` ({version(OLD)}); new: `{NEW}` ({version(NEW)})",
    f"- machine: {os.cpu_count()} CPUs; load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    "- each figure a median over rounds that alternate old and new (bench/ab)",
    "",
    "| figure | old | new | new / old |",
    "| --- | ---: | ---: | ---: |",
]
for k, (o, n) in results.items():
    lines.append(f"| {k} | {o:.1f} | {n:.1f} | {n / o:.2f} |")
text = "\n".join(lines) + "\n"
open(OUT, "w").write(text)
print(text)
