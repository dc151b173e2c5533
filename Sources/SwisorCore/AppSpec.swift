/// One app as the daemon runs it: every option resolved (paths absolute, environment
/// merged, units converted), so that the daemon never needs the ecosystem file again
/// and a saved dump can run it exactly as started.
///
/// The CLI builds it from an ecosystem file (`Ecosystem.load`) or from `swisor start
/// <script>` options, and sends it over the control socket.
public struct AppSpec: Codable, Sendable, Equatable {
    /// Validated by `AppName.validate`: it becomes a file name and a cgroup name.
    public var name: String
    public var namespace: String
    /// What to run: a path or a program name looked up in PATH, or a shell command line
    /// when `shell` is true.
    public var script: String
    public var args: [String]
    /// `nil` runs `script` directly; otherwise the program that runs it (looked up in PATH).
    public var interpreter: String?
    public var interpreterArgs: [String]
    /// Run `script` through `/bin/sh -c` (PM2 does the same for a script containing a space).
    public var shell: Bool
    /// Absolute.
    public var cwd: String
    /// The complete environment of the app: the starting CLI's environment, then `env`,
    /// then `env_<name>`. swisor's own variables are added at spawn time.
    public var env: [String: String]
    public var instances: Int
    public var instanceVar: String
    /// `increment_var`: a variable of `env` that each instance gets increased by its
    /// index (`instanceVariables(index:)`). nil: none (and in dumps saved before it existed).
    public var incrementVar: String?
    public var autorestart: Bool
    public var killSignal: Signal
    public var killTimeoutMs: Int
    public var killMode: KillMode
    /// `nil`: the default under the home's logs/ folder. "/dev/null" disables.
    public var outFile: String?
    public var errorFile: String?
    /// Combined stdout+stderr, in addition to the two above. `nil`: none.
    public var logFile: String?
    public var mergeLogs: Bool
    public var minUptimeMs: Int
    public var maxRestarts: Int
    public var restartDelayMs: Int
    /// First wait of the exponential backoff; nil when off. Takes precedence over
    /// `restartDelayMs`.
    public var expBackoffRestartDelayMs: Int?
    public var expBackoffMaxDelayMs: Int
    public var stopExitCodes: [Int32]
    /// Restart (reason `memory`) when every process of the app together uses more;
    /// nil: no limit.
    public var maxMemoryRestartBytes: UInt64?
    /// `cron_restart`, validated (CronExpression.parse succeeds); nil: none.
    public var cronRestart: String?
    /// false: the app waits for its first cron run (or a start) instead of starting
    /// when it is added.
    public var autostart: Bool
    /// Hard memory limit of the whole app (its cgroup: memory.max, or v1's
    /// memory.limit_in_bytes); no swap on top of it. nil: none.
    public var memoryMaxBytes: UInt64?
    /// cgroup v2 memory.high: above it the kernel throttles and reclaims. nil: none.
    public var memoryHighBytes: UInt64?
    /// Most processes and threads the app may have at once (pids.max). nil: none.
    public var tasksMax: Int?
    /// CPU time the app may use, in percent of one CPU (150 = one and a half CPUs).
    public var cpuQuotaPercent: Int?
    /// `wait_ready`: the app is `launching` until one of its processes sends `READY=1` to
    /// its NOTIFY_SOCKET (or `listen_timeout` passes). nil (older dumps) is false.
    public var waitReady: Bool?
    /// `listen_timeout`: how long a `wait_ready` app (or the new process of a `reload`) may
    /// take to report ready before it is taken as online anyway. nil: the default.
    public var listenTimeoutMs: Int?
    /// `watchdog_sec`: the app must send `WATCHDOG=1` at least this often once it is online,
    /// or it is restarted (reason `watchdog`). nil: no watchdog.
    public var watchdogMs: Int?
    /// `log_date_format` as written (a valid `LogDateFormat`): each line gets this time
    /// stamp. nil: none (unless `time`). Every log option is optional, so that dumps saved
    /// before they existed still load; `logSettings(defaults:)` resolves them.
    public var logDateFormat: String?
    /// `time: true`: each line gets an ISO 8601 time stamp (when `logDateFormat` is nil).
    public var time: Bool?
    /// `log_type`: text lines (nil, the default, or `.text`), JSON records, or the journal.
    public var logType: LogType?
    /// `log_max_size`: rotate a log file once it reaches this size. nil: the daemon's
    /// default (SWISOR_LOG_MAX_SIZE), else no rotation by size.
    public var logMaxSizeBytes: UInt64?
    /// `log_retain`: rotated files kept per log (the oldest are deleted). nil: the
    /// daemon's default, else `LogSettings.defaultRetain`.
    public var logRetain: Int?
    /// `log_compress`: gzip rotated files. nil: the daemon's default, else false.
    public var logCompress: Bool?
    /// `log_rotate_interval`: a cron expression (validated) on which the logs rotate.
    /// nil: the daemon's default, else none.
    public var logRotateInterval: String?

    public init(
        name: String,
        namespace: String = AppSpec.defaultNamespace,
        script: String,
        args: [String] = [],
        interpreter: String? = nil,
        interpreterArgs: [String] = [],
        shell: Bool = false,
        cwd: String,
        env: [String: String] = [:],
        instances: Int = 1,
        instanceVar: String = AppSpec.defaultInstanceVar,
        incrementVar: String? = nil,
        autorestart: Bool = true,
        killSignal: Signal = AppSpec.defaultKillSignal,
        killTimeoutMs: Int = AppSpec.defaultKillTimeoutMs,
        killMode: KillMode = .group,
        outFile: String? = nil,
        errorFile: String? = nil,
        logFile: String? = nil,
        mergeLogs: Bool = false,
        minUptimeMs: Int = AppSpec.defaultMinUptimeMs,
        maxRestarts: Int = AppSpec.defaultMaxRestarts,
        restartDelayMs: Int = 0,
        expBackoffRestartDelayMs: Int? = nil,
        expBackoffMaxDelayMs: Int = AppSpec.defaultExpBackoffMaxDelayMs,
        stopExitCodes: [Int32] = [],
        maxMemoryRestartBytes: UInt64? = nil,
        cronRestart: String? = nil,
        autostart: Bool = true,
        memoryMaxBytes: UInt64? = nil,
        memoryHighBytes: UInt64? = nil,
        tasksMax: Int? = nil,
        cpuQuotaPercent: Int? = nil,
        waitReady: Bool? = nil,
        listenTimeoutMs: Int? = nil,
        watchdogMs: Int? = nil,
        logDateFormat: String? = nil,
        time: Bool? = nil,
        logType: LogType? = nil,
        logMaxSizeBytes: UInt64? = nil,
        logRetain: Int? = nil,
        logCompress: Bool? = nil,
        logRotateInterval: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.script = script
        self.args = args
        self.interpreter = interpreter
        self.interpreterArgs = interpreterArgs
        self.shell = shell
        self.cwd = cwd
        self.env = env
        self.instances = instances
        self.instanceVar = instanceVar
        self.incrementVar = incrementVar
        self.autorestart = autorestart
        self.killSignal = killSignal
        self.killTimeoutMs = killTimeoutMs
        self.killMode = killMode
        self.outFile = outFile
        self.errorFile = errorFile
        self.logFile = logFile
        self.mergeLogs = mergeLogs
        self.minUptimeMs = minUptimeMs
        self.maxRestarts = maxRestarts
        self.restartDelayMs = restartDelayMs
        self.expBackoffRestartDelayMs = expBackoffRestartDelayMs
        self.expBackoffMaxDelayMs = expBackoffMaxDelayMs
        self.stopExitCodes = stopExitCodes
        self.maxMemoryRestartBytes = maxMemoryRestartBytes
        self.cronRestart = cronRestart
        self.autostart = autostart
        self.memoryMaxBytes = memoryMaxBytes
        self.memoryHighBytes = memoryHighBytes
        self.tasksMax = tasksMax
        self.cpuQuotaPercent = cpuQuotaPercent
        self.waitReady = waitReady
        self.listenTimeoutMs = listenTimeoutMs
        self.watchdogMs = watchdogMs
        self.logDateFormat = logDateFormat
        self.time = time
        self.logType = logType
        self.logMaxSizeBytes = logMaxSizeBytes
        self.logRetain = logRetain
        self.logCompress = logCompress
        self.logRotateInterval = logRotateInterval
    }

    /// The variables an instance gets on top of `env` (docs/semantics.md, "Environment of
    /// an app"): its index in `instanceVar`, and with `incrementVar` that variable's value
    /// plus the index, as PM2 computes it (lib/God.js, injectVariables): from
    /// `Number(value) || 0` (missing or not a number counts from 0), printed as JavaScript
    /// prints a number. `PORT` 3000 and three instances: 3000, 3001, 3002. Set after the
    /// index, so it wins when both name one variable, as in PM2.
    public func instanceVariables(index: Int) -> [(name: String, value: String)] {
        var variables = [(name: instanceVar, value: String(index))]
        if let incrementVar {
            let base = ObjectLiteral.javaScriptNumberValue(env[incrementVar] ?? "")
            let start = base.isNaN ? 0 : base
            variables.append((incrementVar, ObjectLiteral.javaScriptText(start + Double(index))))
        }
        return variables
    }

    /// Whether the app reports readiness over the notify protocol.
    public var waitsForReady: Bool { waitReady ?? false }
    /// The effective `listen_timeout`.
    public var readyTimeoutMs: Int { listenTimeoutMs ?? AppSpec.defaultListenTimeoutMs }
    /// Whether the app gets a NOTIFY_SOCKET at all.
    public var speaksNotify: Bool { waitsForReady || watchdogMs != nil }

    /// The cgroup limits of the app, as one value the containment layer applies.
    public var limits: ResourceLimits {
        ResourceLimits(memoryMaxBytes: memoryMaxBytes, memoryHighBytes: memoryHighBytes,
                       tasksMax: tasksMax, cpuQuotaPercent: cpuQuotaPercent)
    }

    /// Whether a run may reuse the empty cgroup of the run before (docs/design.md,
    /// "Containment with cgroups"): not with a memory option, whose accounting must not
    /// see page cache charged to an earlier run.
    public var reusesCgroup: Bool {
        maxMemoryRestartBytes == nil && memoryMaxBytes == nil && memoryHighBytes == nil
    }

    public static let defaultNamespace = "default"
    public static let defaultInstanceVar = "NODE_APP_INSTANCE"
    public static let defaultKillSignal = Signal.sigint
    public static let defaultKillTimeoutMs = 1600
    public static let defaultMinUptimeMs = 1000
    public static let defaultMaxRestarts = 16
    /// PM2's fixed cap, configurable in swisor.
    public static let defaultExpBackoffMaxDelayMs = 15_000
    /// PM2's default `listen_timeout`.
    public static let defaultListenTimeoutMs = 3000
    /// A watchdog shorter than this would fire on an ordinary scheduling hiccup.
    public static let minimumWatchdogMs = 100
    /// The longest duration any option may have: 366 days. Longer waits are what cron
    /// schedules are for, and this bound keeps every sum the daemon makes with one (a
    /// deadline on the monotonic clock, a wall time shown, WATCHDOG_USEC in microseconds)
    /// far from overflowing (docs/semantics.md, "Limits").
    public static let maximumDurationMs = 366 * 86_400_000
    /// More instances than this is taken for a typo (`10000` for `10`), not a plan.
    public static let maximumInstances = 1024
    /// The largest memory size an option may have: 1 PiB, far above any machine, and
    /// far below what a byte count in 64 bits can hold.
    public static let maximumMemoryBytes: UInt64 = 1 << 50

    /// The argv the daemon execs (argv[0] is looked up in PATH when it has no slash).
    public var argv: [String] {
        if shell {
            let line = ([script] + args.map(ShellWords.quote)).joined(separator: " ")
            return ["/bin/sh", "-c", line]
        }
        if let interpreter {
            return [interpreter] + interpreterArgs + [script] + args
        }
        return [script] + args
    }
}

/// How `stop` signals an app (docs/semantics.md, "Stopping").
public enum KillMode: String, Codable, Sendable, Equatable, CaseIterable {
    /// Every process of the app gets kill_signal at once (systemd's control-group).
    case group
    /// The main process first; the rest get SIGKILL once it exits or the timeout ends.
    case mixed
}

extension AppSpec {
    // Explicit keys: the saved dump and the protocol are documented formats, and
    // snake_case matches the ecosystem file's option names.
    enum CodingKeys: String, CodingKey {
        case name, namespace, script, args, interpreter
        case interpreterArgs = "interpreter_args"
        case shell, cwd, env, instances
        case instanceVar = "instance_var"
        case incrementVar = "increment_var"
        case autorestart
        case killSignal = "kill_signal"
        case killTimeoutMs = "kill_timeout_ms"
        case killMode = "kill_mode"
        case outFile = "out_file"
        case errorFile = "error_file"
        case logFile = "log_file"
        case mergeLogs = "merge_logs"
        case minUptimeMs = "min_uptime_ms"
        case maxRestarts = "max_restarts"
        case restartDelayMs = "restart_delay_ms"
        case expBackoffRestartDelayMs = "exp_backoff_restart_delay_ms"
        case expBackoffMaxDelayMs = "exp_backoff_max_delay_ms"
        case stopExitCodes = "stop_exit_codes"
        case maxMemoryRestartBytes = "max_memory_restart_bytes"
        case cronRestart = "cron_restart"
        case autostart
        case memoryMaxBytes = "memory_max_bytes"
        case memoryHighBytes = "memory_high_bytes"
        case tasksMax = "tasks_max"
        case cpuQuotaPercent = "cpu_quota_percent"
        case waitReady = "wait_ready"
        case listenTimeoutMs = "listen_timeout_ms"
        case watchdogMs = "watchdog_ms"
        case logDateFormat = "log_date_format"
        case time
        case logType = "log_type"
        case logMaxSizeBytes = "log_max_size_bytes"
        case logRetain = "log_retain"
        case logCompress = "log_compress"
        case logRotateInterval = "log_rotate_interval"
    }
}
