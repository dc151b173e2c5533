/// The control protocol between the CLI and the daemon (docs/protocol.md): one JSON
/// object per line over the Unix socket, one request and one response per connection.
public enum ControlProtocol {
    /// Bumped on any incompatible change; the daemon refuses other versions with a
    /// message telling the user to restart it (`swisor kill`).
    public static let version = 1
    public static let maxMessageBytes = 64 << 20
}

public enum Command: String, Codable, Sendable, CaseIterable {
    case ping, list, describe, start, restart, stop, delete, logs, kill, reset, trigger, doctor, reload
    /// Empty the current log files of a target (through the log writer: no line is torn).
    case flush
    /// Open every log file again by its path (after an external logrotate moved them).
    case reloadLogs
}

public struct Request: Codable, Sendable {
    public var version: Int
    public var command: Command
    /// `all`, a name, a namespace or an id (resolved by the daemon, in that order).
    public var target: String?
    /// For `start` from a file or a script: the resolved apps.
    public var apps: [AppSpec]?
    /// For `start`: the environment every app's starts from (the CLI's), sent once; each
    /// app's `env` then holds only what differs (docs/protocol.md, "Request"). Absent: each
    /// app's `env` is complete.
    public var env: [String: String]?

    public init(command: Command, target: String? = nil, apps: [AppSpec]? = nil) {
        self.version = ControlProtocol.version
        self.command = command
        self.target = target
        self.apps = apps
    }

    /// A `start` of `apps` whose common environment `base` is sent once: 1,000 apps with
    /// a 13 KB shell environment are 13 MB to write, read and decode otherwise. Apps whose
    /// environment lacks a variable of `base` are sent whole.
    public static func start(apps: [AppSpec], sharing base: [String: String]) -> Request {
        var request = Request(command: .start, apps: apps)
        guard !base.isEmpty, apps.allSatisfy({ spec in base.allSatisfy { spec.env[$0.key] != nil } }) else {
            return request
        }
        request.env = base
        request.apps = apps.map { spec in
            var s = spec
            s.env = spec.env.filter { base[$0.key] != $0.value }
            return s
        }
        return request
    }

    /// The apps with their complete environment: what the daemon runs.
    public var resolvedApps: [AppSpec]? {
        guard let base = env else { return apps }
        return apps?.map { spec in
            var s = spec
            s.env = base.merging(spec.env) { $1 }
            return s
        }
    }

    enum CodingKeys: String, CodingKey {
        case version = "v", command, target, apps, env
    }
}

public struct ErrorBody: Codable, Sendable, Equatable {
    public enum Code: String, Codable, Sendable {
        case badRequest = "bad_request"
        case forbidden
        case noMatch = "no_match"
        case invalidApp = "invalid_app"
        case versionMismatch = "version_mismatch"
        case shuttingDown = "shutting_down"
        /// `reload`: a new process could not take over; the old one keeps running.
        case reloadFailed = "reload_failed"
        case internalError = "internal"
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

public struct Response: Codable, Sendable {
    public var version: Int
    public var ok: Bool
    public var error: ErrorBody?
    public var ping: PingInfo?
    public var apps: [AppInfo]?
    /// One line each, for the user: what happened beyond the app list.
    public var messages: [String]?
    public var doctor: DoctorReport?

    public init(ok: Bool = true, error: ErrorBody? = nil, ping: PingInfo? = nil,
                apps: [AppInfo]? = nil, messages: [String]? = nil, doctor: DoctorReport? = nil) {
        self.version = ControlProtocol.version
        self.ok = ok
        self.error = error
        self.ping = ping
        self.apps = apps
        self.messages = messages
        self.doctor = doctor
    }

    public static func failure(_ code: ErrorBody.Code, _ message: String) -> Response {
        Response(ok: false, error: ErrorBody(code, message))
    }

    enum CodingKeys: String, CodingKey {
        case version = "v", ok, error, ping, apps, messages, doctor
    }
}

public struct PingInfo: Codable, Sendable {
    public var pid: Int32
    public var version: String
    public var uptimeMs: Int64
    public var home: String
    public var containment: String
    public var containmentReason: String
    public var apps: Int

    public init(pid: Int32, version: String, uptimeMs: Int64, home: String,
                containment: String, containmentReason: String, apps: Int) {
        self.pid = pid
        self.version = version
        self.uptimeMs = uptimeMs
        self.home = home
        self.containment = containment
        self.containmentReason = containmentReason
        self.apps = apps
    }

    enum CodingKeys: String, CodingKey {
        case pid, version, home, containment, apps
        case uptimeMs = "uptime_ms"
        case containmentReason = "containment_reason"
    }
}

/// Statuses as PM2 names them (docs/semantics.md, "Status values").
public enum AppStatus: String, Codable, Sendable, CaseIterable {
    case launching
    case online
    case stopping
    case stopped
    case waitingRestart = "waiting restart"
    case errored
}

public struct ExitInfo: Codable, Sendable, Equatable {
    /// Set when the process exited; nil when a signal killed it.
    public var code: Int32?
    public var signal: String?
    /// Wall clock, ms since the epoch.
    public var at: Int64
    public var runMs: Int64
    /// swisor sent the signal (stop, restart): not a crash.
    public var requested: Bool
    /// The kernel's OOM killer ended it, inside the app's memory limit (reason `oom`);
    /// nil otherwise.
    public var oom: Bool?

    public init(code: Int32?, signal: String?, at: Int64, runMs: Int64, requested: Bool, oom: Bool? = nil) {
        self.code = code
        self.signal = signal
        self.at = at
        self.runMs = runMs
        self.requested = requested
        self.oom = oom
    }

    public var summary: String {
        if oom == true { return "killed by the kernel's OOM killer (\(signal ?? "SIGKILL"))" }
        if let signal { return "killed by \(signal)" }
        return "exit code \(code ?? -1)"
    }

    enum CodingKeys: String, CodingKey {
        case code, signal, at, requested, oom
        case runMs = "run_ms"
    }
}

public struct HistoryEvent: Codable, Sendable, Equatable {
    public var at: Int64
    public var event: String
    public var reason: String?

    public init(at: Int64, event: String, reason: String? = nil) {
        self.at = at
        self.event = event
        self.reason = reason
    }
}

public struct LogPaths: Codable, Sendable, Equatable {
    public var out: String?
    public var err: String?
    public var combined: String?
    /// How the lines of these files are written (`LogFileFormat.wire`), so that
    /// `swisor logs` can read their times back. Absent from older daemons and dumps,
    /// which wrote plain lines only.
    public var format: LogFormatWire?

    public init(out: String?, err: String?, combined: String?, format: LogFormatWire? = nil) {
        self.out = out
        self.err = err
        self.combined = combined
        self.format = format
    }
}

public struct ProcessInfo: Codable, Sendable, Equatable {
    public var pid: Int32
    public var ppid: Int32
    public var rss: Int64
    /// Percent of one CPU over the process's life, as ps(1) computes %CPU.
    public var cpu: Double?
    /// The kernel's one-letter state (R, S, D, Z, T...).
    public var state: String?
    public var command: String

    public init(pid: Int32, ppid: Int32, rss: Int64, cpu: Double? = nil, state: String? = nil, command: String) {
        self.pid = pid
        self.ppid = ppid
        self.rss = rss
        self.cpu = cpu
        self.state = state
        self.command = command
    }
}

/// `swisor doctor`: how the daemon contains apps, and what is wrong under it.
public struct DoctorReport: Codable, Sendable {
    public var containment: String
    public var reason: String
    public var controllers: [ControllerReport]
    public var findings: [Finding]

    public init(containment: String, reason: String, controllers: [ControllerReport], findings: [Finding]) {
        self.containment = containment
        self.reason = reason
        self.controllers = controllers
        self.findings = findings
    }

    public struct ControllerReport: Codable, Sendable {
        public var name: String
        /// "v1" or "v2"; nil when unavailable.
        public var version: String?
        public var directory: String?
        public var problem: String?
        /// The ecosystem options that rely on it.
        public var options: [String]

        public init(name: String, version: String?, directory: String?, problem: String?, options: [String]) {
            self.name = name
            self.version = version
            self.directory = directory
            self.problem = problem
            self.options = options
        }
    }

    public struct Finding: Codable, Sendable {
        /// zombie, leftover, orphan, stale-cgroup, containment, controller.
        public var kind: String
        public var app: String?
        public var message: String
        /// What to do about it.
        public var advice: String
        public var processes: [ProcessInfo]

        public init(kind: String, app: String? = nil, message: String, advice: String, processes: [ProcessInfo] = []) {
            self.kind = kind
            self.app = app
            self.message = message
            self.advice = advice
            self.processes = processes
        }
    }
}

/// One app instance as `list --json` and `describe --json` show it.
public struct AppInfo: Codable, Sendable {
    public var id: Int
    public var name: String
    public var namespace: String
    public var instance: Int
    public var status: AppStatus
    /// Why it is in this status, when that is not obvious (errored, stopped by itself).
    public var statusReason: String?
    public var pid: Int32?
    public var restarts: Int
    public var unstableRestarts: Int
    public var uptimeMs: Int64?
    /// Percent of one CPU, summed over every process of the app.
    public var cpu: Double
    /// Bytes, summed over every process of the app.
    public var memory: Int64
    public var processCount: Int
    public var createdAt: Int64
    public var nextRestartAt: Int64?
    /// The next cron_restart run, ms since the epoch; nil without a schedule or while
    /// it is paused by `stop`.
    public var nextCronAt: Int64?
    public var lastExit: ExitInfo?
    /// The last `STATUS=` line the app sent to its NOTIFY_SOCKET.
    public var notifyStatus: String?
    // describe only:
    public var spec: AppSpec?
    public var logs: LogPaths?
    public var history: [HistoryEvent]?
    public var processes: [ProcessInfo]?
    /// The app's cgroup directory while it has one.
    public var cgroup: String?
    // describe only, the instance's logs (`logs` has `log_journal` too):
    /// Lines (and bytes) that could not be written: a full disk, an unwritable directory.
    public var logDroppedLines: Int?
    public var logDroppedBytes: Int64?
    /// The last failure to write or open a log file (kept after a recovery).
    public var logError: String?
    /// Lines go to the systemd journal (log_type journal, and a journal runs).
    public var logJournal: Bool?
    /// Rotations done since the daemon started.
    public var logRotations: Int?

    public init(id: Int, name: String, namespace: String, instance: Int, status: AppStatus,
                statusReason: String? = nil, pid: Int32? = nil, restarts: Int = 0,
                unstableRestarts: Int = 0, uptimeMs: Int64? = nil, cpu: Double = 0,
                memory: Int64 = 0, processCount: Int = 0, createdAt: Int64 = 0,
                nextRestartAt: Int64? = nil, lastExit: ExitInfo? = nil) {
        self.id = id
        self.name = name
        self.namespace = namespace
        self.instance = instance
        self.status = status
        self.statusReason = statusReason
        self.pid = pid
        self.restarts = restarts
        self.unstableRestarts = unstableRestarts
        self.uptimeMs = uptimeMs
        self.cpu = cpu
        self.memory = memory
        self.processCount = processCount
        self.createdAt = createdAt
        self.nextRestartAt = nextRestartAt
        self.lastExit = lastExit
    }

    enum CodingKeys: String, CodingKey {
        case id, name, namespace, instance, status, pid, restarts, cpu, memory
        case statusReason = "status_reason"
        case unstableRestarts = "unstable_restarts"
        case uptimeMs = "uptime_ms"
        case processCount = "process_count"
        case createdAt = "created_at"
        case nextRestartAt = "next_restart_at"
        case nextCronAt = "next_cron_at"
        case lastExit = "last_exit"
        case notifyStatus = "notify_status"
        case spec, logs, history, processes, cgroup
        case logDroppedLines = "log_dropped_lines"
        case logDroppedBytes = "log_dropped_bytes"
        case logError = "log_error"
        case logJournal = "log_journal"
        case logRotations = "log_rotations"
    }
}

// MARK: - Fast encoding of list-sized responses

extension Response {
    /// The wire form of a response that carries only list-sized apps (`list`, `stop`,
    /// `restart`, ... answers), written with the core's serializer: the daemon answers
    /// `list` for 100 apps in a fraction of Codable's time. Same keys, same order
    /// (sorted, as `Wire.encode`), same number forms; a test holds the two equal.
    /// nil when the response carries anything else, which then goes through Codable.
    public var listWireForm: JSON? {
        guard ok, error == nil, ping == nil, messages == nil, doctor == nil, let apps else { return nil }
        var rows: [JSON] = []
        rows.reserveCapacity(apps.count)
        for app in apps {
            guard let row = app.summaryJSON else { return nil }
            rows.append(row)
        }
        return .object(JSONObject(distinct: [("apps", .array(rows)), ("ok", .bool(true)), ("v", .int(Int64(version)))]))
    }
}

extension AppInfo {
    /// The list fields as JSON with sorted keys; nil for a detailed (describe) record.
    var summaryJSON: JSON? {
        guard spec == nil, logs == nil, history == nil, processes == nil, cgroup == nil, logDroppedLines == nil,
              logDroppedBytes == nil, logError == nil, logJournal == nil, logRotations == nil else { return nil }
        var m: [(key: String, value: JSON)] = [
            ("cpu", .number(cpu)),
            ("created_at", .int(createdAt)),
            ("id", .int(Int64(id))),
            ("instance", .int(Int64(instance))),
        ]
        if let lastExit {
            var e: [(key: String, value: JSON)] = [("at", .int(lastExit.at))]
            if let code = lastExit.code { e.append(("code", .int(Int64(code)))) }
            if let oom = lastExit.oom { e.append(("oom", .bool(oom))) }
            e.append(("requested", .bool(lastExit.requested)))
            e.append(("run_ms", .int(lastExit.runMs)))
            if let signal = lastExit.signal { e.append(("signal", .string(signal))) }
            m.append(("last_exit", .object(JSONObject(distinct: e))))
        }
        m.append(("memory", .int(memory)))
        m.append(("name", .string(name)))
        m.append(("namespace", .string(namespace)))
        if let nextCronAt { m.append(("next_cron_at", .int(nextCronAt))) }
        if let nextRestartAt { m.append(("next_restart_at", .int(nextRestartAt))) }
        if let notifyStatus { m.append(("notify_status", .string(notifyStatus))) }
        if let pid { m.append(("pid", .int(Int64(pid)))) }
        m.append(("process_count", .int(Int64(processCount))))
        m.append(("restarts", .int(Int64(restarts))))
        m.append(("status", .string(status.rawValue)))
        if let statusReason { m.append(("status_reason", .string(statusReason))) }
        m.append(("unstable_restarts", .int(Int64(unstableRestarts))))
        if let uptimeMs { m.append(("uptime_ms", .int(uptimeMs))) }
        return .object(JSONObject(distinct: m))
    }
}

extension JSON {
    /// A Double as JSONEncoder writes it: integral values without a fraction.
    static func number(_ d: Double) -> JSON {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return .int(Int64(d)) }
        return .double(d)
    }
}

extension Request {
    /// The wire form of a request without apps, written with the core's serializer
    /// (the CLI's start-up would otherwise pay for Codable's first use). nil when the
    /// request carries apps, which then go through Codable.
    public var simpleWireForm: JSON? {
        guard apps == nil else { return nil }
        var m: [(key: String, value: JSON)] = [("command", .string(command.rawValue))]
        if let target { m.append(("target", .string(target))) }
        m.append(("v", .int(Int64(version))))
        return .object(JSONObject(distinct: m))
    }
}

extension AppStatus {
    /// The daemon's one-line summary for systemd's `STATUS=` (`systemctl status swisor`):
    /// how many instances are in each status, in `AppStatus` order, zeros left out.
    /// "3 online, 1 errored"; "no apps" when there are none.
    public static func summary(_ statuses: some Sequence<AppStatus>) -> String {
        var counts: [AppStatus: Int] = [:]
        for s in statuses { counts[s, default: 0] += 1 }
        let parts = AppStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        return parts.isEmpty ? "no apps" : parts.joined(separator: ", ")
    }
}
