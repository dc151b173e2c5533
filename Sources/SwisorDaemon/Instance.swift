#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// One running copy of an app (an app with `instances: 3` has three), with its own id:
/// what the daemon holds for it beside its life cycle. Every decision about that life is
/// the `machine`'s (SwisorCore/InstanceMachine.swift); this object keeps what carrying
/// them out needs: the runs' processes and pipes, accounting, the history, the timers the
/// machine armed, and the replies waiting for it.
final class Instance {
    /// One run of the app: the main process and what belongs to it, in a containment
    /// unit (cgroup) of its own. The instance's id for its first runs; a reload's new run
    /// gets a unit of its own and, once online, becomes the instance's run.
    struct Run {
        var unit: Int
        var pid: pid_t?
        var startedMono: Int64 = 0
        // Accounting, from the last containment snapshot.
        var cpu: Double = 0
        var memory: Int64 = 0
        var processCount = 0
        var lastCPUMicros: UInt64 = 0
        /// The cgroup's CPU time when the run began (not 0 in a reused cgroup).
        var cpuBaseMicros: UInt64 = 0
        /// OOM kills in the run's cgroup already reported.
        var oomSeen: UInt64 = 0
        var lastSampleMono: Int64 = 0
        /// The last STATUS= the run sent (docs/semantics.md, "Readiness").
        var notifyStatus: String?

        init(unit: Int) { self.unit = unit }
    }

    let id: Int
    var spec: AppSpec
    let index: Int
    let createdAt: Int64
    var logs: LogRoute
    var machine: InstanceMachine
    /// Every run with processes or a unit, by unit: the instance's own (`machine.unit`),
    /// a reload's new run, runs being stopped beside it.
    var runs: [Int: Run] = [:]
    /// The timers the machine armed, by what they are for.
    var timers: [InstanceMachine.Timer: EventLoop.TimerID] = [:]
    /// Replies waiting for the current request (stop, restart, delete, start).
    var waiters: [() -> Void] = []
    /// Reloads waiting for their new run, by its unit: nil when it serves, else why not.
    var reloadReplies: [Int: (String?) -> Void] = [:]
    /// cron_restart, parsed, and its timer.
    var cron: CronExpression?
    var cronTimer: EventLoop.TimerID?
    var nextCronAt: Int64?
    private(set) var history: [HistoryEvent] = []
    /// The app's NOTIFY_SOCKET (for apps with wait_ready or watchdog_sec), kept across
    /// runs; the daemon reads it on the loop.
    var notifySocket: FileDescriptor?
    var notifyPath: String?
    /// Datagrams refused because their sender was no process of the app: counted, the
    /// first logged.
    var foreignNotifications = 0

    /// The instance's own run.
    var unit: Int { machine.unit }
    var run: Run {
        get { runs[machine.unit] ?? Run(unit: machine.unit) }
        set { runs[machine.unit] = newValue }
    }
    var pid: pid_t? { runs[machine.unit]?.pid }
    var status: AppStatus { machine.display.status }
    var statusReason: String? { machine.display.reason }

    static let historyLimit = 100

    init(id: Int, spec: AppSpec, index: Int, logs: LogRoute) {
        self.id = id
        self.spec = spec
        self.index = index
        self.logs = logs
        self.createdAt = wallClockMilliseconds()
        let cron = Instance.parseCron(spec)
        self.cron = cron
        self.machine = InstanceMachine(id: id, spec: spec, scheduled: cron != nil)
    }

    /// `start` of a file naming this app: its new options for its next run. The
    /// machine learns them through its `configure` event.
    func configure(spec: AppSpec) {
        self.spec = spec
        cron = Instance.parseCron(spec)
    }

    /// The loader validated it; a spec from elsewhere (an older dump) that does not
    /// parse simply has no schedule.
    static func parseCron(_ spec: AppSpec) -> CronExpression? {
        spec.cronRestart.flatMap { try? CronExpression.parse($0) }
    }

    func record(_ event: String, _ reason: String? = nil) {
        history.append(HistoryEvent(at: wallClockMilliseconds(), event: event, reason: reason))
        if history.count > Instance.historyLimit {
            history.removeFirst(history.count - Instance.historyLimit)
        }
    }

    /// Variables of systemd's protocols that an app must only see when swisor set them
    /// for it: the starting CLI's environment (under a systemd unit, say) may carry the
    /// daemon's own.
    static let systemdVariables = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// The environment a run in `unit` starts with: the resolved spec plus swisor's
    /// variables.
    func environment(unit: Int) -> [String: String] {
        var env = spec.env
        for name in Instance.systemdVariables { env[name] = nil }
        env["SWISOR_APP_NAME"] = spec.name
        env[ProcessTreeContainment.appIDVariable] = String(id)
        if unit != id { env[ProcessTreeContainment.unitVariable] = String(unit) }
        // instance_var, and increment_var's value plus the index (AppSpec.instanceVariables).
        for variable in spec.instanceVariables(index: index) { env[variable.name] = variable.value }
        if spec.speaksNotify, let path = notifyPath {
            env["NOTIFY_SOCKET"] = path
            if let ms = spec.watchdogMs { env["WATCHDOG_USEC"] = String(ms * 1000) }
        }
        return env
    }

    func info(detailed: Bool, snapshot: [ProcessEntry], cgroup: String? = nil) -> AppInfo {
        // One read of the machine (each read of a class's struct property is a copy of
        // it): `list` builds this for every instance.
        let m = machine
        let run = runs[m.unit] ?? Run(unit: m.unit)
        let shown = m.display
        var info = AppInfo(
            id: id, name: spec.name, namespace: spec.namespace, instance: index,
            status: shown.status, statusReason: shown.reason, pid: run.pid, restarts: m.restarts,
            unstableRestarts: m.policy.unstableRuns,
            uptimeMs: run.pid != nil ? monotonicMilliseconds() - run.startedMono : nil,
            cpu: run.cpu, memory: run.memory, processCount: run.processCount, createdAt: createdAt,
            nextRestartAt: m.nextRestartAt, lastExit: m.lastExit
        )
        info.nextCronAt = nextCronAt
        info.notifyStatus = run.notifyStatus
        if detailed {
            info.spec = spec
            info.logs = logs.paths
            logs.annotate(&info)
            info.history = history
            let uptime = ProcFS.uptimeTicks()
            info.processes = snapshot.map { ProcFS.info($0, uptimeTicks: uptime) }
            info.cgroup = cgroup
        }
        return info
    }
}

extension LogPaths {
    /// docs/semantics.md, "Logs": `<name>-out.log` and `<name>-error.log` under the home's
    /// logs/, `-<id>` before `.log` for apps with several instances unless merge_logs.
    static func forInstance(id: Int, spec: AppSpec, logsDirectory: String) -> LogPaths {
        let separate = spec.instances > 1 && !spec.mergeLogs
        func place(_ custom: String?, _ kind: String) -> String {
            guard let custom else {
                return logsDirectory + "/\(spec.name)-\(kind)" + (separate ? "-\(id)" : "") + ".log"
            }
            if custom == "/dev/null" || !separate { return custom }
            if custom.hasSuffix(".log") { return String(custom.dropLast(4)) + "-\(id).log" }
            return custom + "-\(id)"
        }
        return LogPaths(
            out: place(spec.outFile, "out"),
            err: place(spec.errorFile, "error"),
            combined: spec.logFile.map { place($0, "combined") }
        )
    }
}
