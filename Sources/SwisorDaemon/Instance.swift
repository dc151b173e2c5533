#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

/// One running copy of an app (an app with `instances: 3` has three), with its own id.
final class Instance {
    /// What the user last asked for; decides what happens once a termination ends.
    enum Desired { case run, stop, delete }

    /// Stop in progress: every process of the instance is being signalled until none
    /// is left (SEMANTICS.md, "Stopping").
    struct Termination {
        var signalled: Set<ProcessIdentity> = []
        /// kill_timeout passed: SIGKILL whatever is left, on every round.
        var killing = false
        var killTimer: EventLoop.TimerID?
        /// Requested by the user (stop, restart, delete), as opposed to cleaning up
        /// after the main process exited by itself.
        var requested: Bool
    }

    /// One run of the app: the main process and what belongs to it. Kept apart from the
    /// instance's identity (id, history, counters, schedule) so that `reload` can start a
    /// new run beside the old one and then swap them.
    struct Run {
        /// The containment unit (cgroup) of this run's processes. The instance's id for its
        /// first runs; a reload's new run gets a unit of its own.
        var unit: Int
        var pid: pid_t?
        var startedMono: Int64 = 0
        var startedWall: Int64 = 0
        // Accounting, from the last containment snapshot.
        var cpu: Double = 0
        var memory: Int64 = 0
        var processCount = 0
        var lastCPUMicros: UInt64 = 0
        /// OOM kills in the current run's cgroup already reported.
        var oomSeen: UInt64 = 0
        var lastSampleMono: Int64 = 0
        // The notify protocol (SEMANTICS.md, "Readiness").
        /// `listen_timeout` while `launching` with wait_ready.
        var readyTimer: EventLoop.TimerID?
        /// The watchdog deadline; moved by each WATCHDOG=1.
        var watchdogTimer: EventLoop.TimerID?
        /// The watchdog interval in force (`watchdog_sec`, or what WATCHDOG_USEC= set).
        var watchdogMs: Int?
        /// The last STATUS= the run sent.
        var notifyStatus: String?
    }

    /// What this object is: the instance users see, the new run of a `reload` waiting to
    /// be online, or the old run of a reload being stopped.
    enum Role { case current, candidate, retiring }

    let id: Int
    var spec: AppSpec
    let index: Int
    let createdAt: Int64
    var logs: LogRoute
    var role: Role = .current
    /// For a candidate or a retiring run: the instance it belongs to (its history gets
    /// the events).
    weak var origin: Instance?
    /// A candidate's callback: nil once online, else why it failed.
    var reloadDone: ((String?) -> Void)?

    var status: AppStatus = .stopped {
        didSet { if status != oldValue && role == .current { statusObserver?() } }
    }
    /// Told of every status change of a current instance (the daemon's STATUS= line).
    var statusObserver: (() -> Void)?
    var statusReason: String?
    var desired: Desired = .run
    var run: Run
    var restarts = 0
    var policy = RestartPolicy.History()
    var unstableRuns: Int { policy.unstableRuns }
    var lastExit: ExitInfo?
    /// The main process exited by itself; the restart policy decides once its
    /// leftover processes are gone.
    var pendingExit: ExitInfo?
    /// A manual restart waits for the termination to end.
    var relaunchReason: String?
    /// Counts the requests that changed what is wanted of the instance: a queued reload
    /// step leaves alone an instance someone stopped, restarted or deleted since.
    var generation = 0
    /// Why swisor itself ended a run it judged unhealthy (`watchdog`): the restart policy
    /// then decides as after a crash, with this as the reason.
    var failureReason: String?
    var restartTimer: EventLoop.TimerID?
    var nextRestartAt: Int64?
    var termination: Termination?
    /// cron_restart, parsed; the schedule is paused by `stop` until a start/restart.
    var cron: CronExpression?
    var cronPaused = false
    var cronTimer: EventLoop.TimerID?
    var nextCronAt: Int64?
    /// Replies waiting for the current termination (stop/restart/delete requests).
    var waiters: [() -> Void] = []
    private(set) var history: [HistoryEvent] = []
    /// The app's NOTIFY_SOCKET (for apps with wait_ready or watchdog_sec), kept across
    /// runs; the daemon reads it on the loop.
    var notifySocket: FileDescriptor?
    var notifyPath: String?
    /// Datagrams refused because their sender was no process of the app: counted, the
    /// first logged.
    var foreignNotifications = 0

    var unit: Int { run.unit }
    var pid: pid_t? { get { run.pid } set { run.pid = newValue } }
    var runStartedMono: Int64 { get { run.startedMono } set { run.startedMono = newValue } }
    var runStartedWall: Int64 { get { run.startedWall } set { run.startedWall = newValue } }
    var cpu: Double { get { run.cpu } set { run.cpu = newValue } }
    var memory: Int64 { get { run.memory } set { run.memory = newValue } }
    var processCount: Int { get { run.processCount } set { run.processCount = newValue } }
    var lastCPUMicros: UInt64 { get { run.lastCPUMicros } set { run.lastCPUMicros = newValue } }
    var oomSeen: UInt64 { get { run.oomSeen } set { run.oomSeen = newValue } }
    var lastSampleMono: Int64 { get { run.lastSampleMono } set { run.lastSampleMono = newValue } }

    static let historyLimit = 100

    init(id: Int, spec: AppSpec, index: Int, logs: LogRoute) {
        self.id = id
        self.spec = spec
        self.index = index
        self.logs = logs
        self.createdAt = wallClockMilliseconds()
        self.cron = Instance.parseCron(spec)
        self.run = Run(unit: id)
    }

    /// The new run of a `reload` of `origin`, in containment unit `unit`.
    init(candidateFor origin: Instance, unit: Int) {
        self.id = origin.id
        self.spec = origin.spec
        self.index = origin.index
        self.logs = origin.logs
        self.createdAt = origin.createdAt
        self.run = Run(unit: unit)
        self.role = .candidate
        self.origin = origin
    }

    /// The loader validated it; a spec from elsewhere (an older dump) that does not
    /// parse simply has no schedule.
    static func parseCron(_ spec: AppSpec) -> CronExpression? {
        spec.cronRestart.flatMap { try? CronExpression.parse($0) }
    }

    func record(_ event: String, _ reason: String? = nil) {
        if role != .current {
            origin?.record(event, reason.map { "\(role == .candidate ? "new" : "old") process: \($0)" } ?? (role == .candidate ? "new process" : "old process"))
            return
        }
        history.append(HistoryEvent(at: wallClockMilliseconds(), event: event, reason: reason))
        if history.count > Instance.historyLimit {
            history.removeFirst(history.count - Instance.historyLimit)
        }
    }

    /// Variables of systemd's protocols that an app must only see when swisor set them
    /// for it: the starting CLI's environment (under a systemd unit, say) may carry the
    /// daemon's own.
    static let systemdVariables = ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// The environment the app runs with: its resolved spec plus swisor's variables.
    var environment: [String: String] {
        var env = spec.env
        for name in Instance.systemdVariables { env[name] = nil }
        env["SWISOR_APP_NAME"] = spec.name
        env[ProcessTreeContainment.appIDVariable] = String(id)
        if unit != id { env[ProcessTreeContainment.unitVariable] = String(unit) }
        env[spec.instanceVar] = String(index)
        if spec.speaksNotify, let path = (origin ?? self).notifyPath {
            env["NOTIFY_SOCKET"] = path
            if let ms = spec.watchdogMs { env["WATCHDOG_USEC"] = String(ms * 1000) }
        }
        return env
    }

    func info(detailed: Bool, snapshot: [ProcessEntry], cgroup: String? = nil) -> AppInfo {
        var info = AppInfo(
            id: id, name: spec.name, namespace: spec.namespace, instance: index,
            status: status, statusReason: statusReason, pid: pid, restarts: restarts,
            unstableRestarts: unstableRuns,
            uptimeMs: pid != nil ? monotonicMilliseconds() - runStartedMono : nil,
            cpu: cpu, memory: memory, processCount: processCount, createdAt: createdAt,
            nextRestartAt: nextRestartAt, lastExit: lastExit
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
    /// SEMANTICS.md, "Logs": `<name>-out.log` and `<name>-error.log` under the home's
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
