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

    let id: Int
    var spec: AppSpec
    let index: Int
    let createdAt: Int64
    var logs: LogRoute

    var status: AppStatus = .stopped
    var statusReason: String?
    var desired: Desired = .run
    var pid: pid_t?
    var runStartedMono: Int64 = 0
    var runStartedWall: Int64 = 0
    var restarts = 0
    var policy = RestartPolicy.History()
    var unstableRuns: Int { policy.unstableRuns }
    var lastExit: ExitInfo?
    /// The main process exited by itself; the restart policy decides once its
    /// leftover processes are gone.
    var pendingExit: ExitInfo?
    /// A manual restart waits for the termination to end.
    var relaunchReason: String?
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

    // Accounting, from the last containment snapshot.
    var cpu: Double = 0
    var memory: Int64 = 0
    var processCount = 0
    var lastCPUMicros: UInt64 = 0
    /// OOM kills in the current run's cgroup already reported.
    var oomSeen: UInt64 = 0
    var lastSampleMono: Int64 = 0

    static let historyLimit = 100

    init(id: Int, spec: AppSpec, index: Int, logs: LogRoute) {
        self.id = id
        self.spec = spec
        self.index = index
        self.logs = logs
        self.createdAt = wallClockMilliseconds()
        self.cron = Instance.parseCron(spec)
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

    /// The environment the app runs with: its resolved spec plus swisor's variables.
    var environment: [String: String] {
        var env = spec.env
        env["SWISOR_APP_NAME"] = spec.name
        env[ProcessTreeContainment.appIDVariable] = String(id)
        env[spec.instanceVar] = String(index)
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
