#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

extension Supervisor {
    /// `swisor doctor`: what operators otherwise dig out with ps and awk. One /proc
    /// scan, on request only.
    func doctor() -> DoctorReport {
        // Whatever exited since the last SIGCHLD is reaped first: a zombie of the
        // daemon's own is a finding only if it survives this.
        reap()
        refresh()
        let all = ProcFS.scan()
        let uptime = ProcFS.uptimeTicks()
        let daemonPID = getpid()
        var children: [pid_t: [ProcessEntry]] = [:]
        for e in all { children[e.ppid, default: []].append(e) }
        let byPID = Dictionary(all.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })

        var owner: [pid_t: Instance] = [:]
        // Every run of an instance (a reload's other run too) belongs to it.
        for inst in instances.values {
            for unit in Set(inst.runs.keys).union([inst.unit]) {
                for m in containment.members(of: unit) { owner[m.pid] = inst }
                if let p = inst.runs[unit]?.pid { owner[p] = inst }
            }
        }
        func info(_ e: ProcessEntry) -> ProcessInfo { ProcFS.info(e, uptimeTicks: uptime) }
        func label(_ inst: Instance) -> String { "\(inst.spec.name) (id \(inst.id))" }

        var findings: [DoctorReport.Finding] = []

        if containment.mode == "process-tree" {
            findings.append(.init(
                kind: "containment",
                message: "no cgroup per app: \(containment.reason)",
                advice: "run swisor as root, or under systemd with Delegate=yes (swisor startup), for exact stops, limits and OOM reports"))
        }
        for c in containment.controllers where c.version == nil && containment.mode != "process-tree" {
            let options = DoctorReport.options(of: c.controller)
            findings.append(.init(
                kind: "controller",
                message: "no \(c.controller.rawValue) controller: \(c.problem ?? "unavailable")",
                advice: "apps with \(options.joined(separator: " or ")) are refused at start; "
                    + (c.controller == .memory ? "memory is summed over the app's processes instead" : "nothing else is affected")))
        }

        // Zombies anywhere under the daemon.
        var stack = children[daemonPID] ?? []
        var zombies: [ProcessEntry] = []
        while let e = stack.popLast() {
            if e.isZombie { zombies.append(e) }
            stack.append(contentsOf: children[e.pid] ?? [])
        }
        for z in zombies {
            if z.ppid == daemonPID {
                findings.append(.init(
                    kind: "zombie", app: owner[z.pid].map(label),
                    message: "zombie \(z.pid) (\(z.comm)) is a child of the daemon and was not reaped",
                    advice: "a swisor bug: please report it; `swisor kill` ends the daemon and its zombies",
                    processes: [info(z)]))
                continue
            }
            let parent = byPID[z.ppid]
            let app = owner[z.ppid] ?? owner[z.pid]
            findings.append(.init(
                kind: "zombie", app: app.map(label),
                message: "zombie \(z.pid) (\(z.comm)): its parent \(z.ppid) (\(parent?.comm ?? "?")) has not reaped it",
                advice: "the parent must wait() for its children; " + (app.map { "`swisor restart \($0.spec.name)` clears them now" } ?? "ending the parent clears them"),
                processes: [info(z)] + (parent.map { [info($0)] } ?? [])))
        }

        // Processes still alive in an app that is not running.
        for inst in visible where inst.pid == nil && !terminator.isStopping(inst.unit) {
            let left = containment.members(of: inst.unit)
            guard !left.isEmpty else { continue }
            findings.append(.init(
                kind: "leftover", app: label(inst),
                message: "\(left.count) process(es) still run in \(inst.status.rawValue) app \(label(inst))"
                    + (containment.cgroupPath(of: inst.unit).map { " (cgroup \($0))" } ?? ""),
                advice: "`swisor stop \(inst.spec.name)` ends them",
                processes: left.map(info)))
        }

        // Orphans re-parented to the daemon that belong to no app.
        let orphans = (children[daemonPID] ?? []).filter { !$0.isZombie && owner[$0.pid] == nil }
        if !orphans.isEmpty {
            findings.append(.init(
                kind: "orphan",
                message: "\(orphans.count) process(es) were re-parented to the daemon (it is a subreaper) but belong to no app",
                advice: "they outlived an app swisor no longer knows (deleted, or an earlier daemon); end them with `kill \(orphans.map { String($0.pid) }.joined(separator: " "))` if they are not wanted",
                processes: orphans.map(info)))
        }

        // Cgroups an earlier daemon left populated.
        for group in containment.strayGroups() {
            let procs = group.pids.compactMap { byPID[$0] ?? ProcFS.entry(pid: $0) }
            findings.append(.init(
                kind: "stale-cgroup",
                message: "\(group.path) holds \(group.pids.count) process(es) of an app an earlier swisor daemon did not stop",
                advice: "no app of this daemon owns them; end them with `echo 1 > \(group.path)/cgroup.kill` (or kill \(group.pids.map(String.init).joined(separator: " "))), then `rmdir \(group.path)`",
                processes: procs.map(info)))
        }

        let controllers = containment.controllers.map {
            DoctorReport.ControllerReport(name: $0.controller.rawValue, version: $0.version?.rawValue,
                                          directory: $0.directory, problem: $0.problem,
                                          options: DoctorReport.options(of: $0.controller))
        }
        return DoctorReport(containment: containment.mode, reason: containment.reason,
                            controllers: controllers, findings: findings)
    }
}

extension DoctorReport {
    static func options(of controller: CgroupController) -> [String] {
        switch controller {
        case .memory: return ["memory_max", "memory_high"]
        case .pids: return ["tasks_max"]
        case .cpu: return ["cpu_quota"]
        }
    }
}
