#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SwisorCore
import SwisorSystem

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the apps of an ecosystem file, a script, or known apps by target.",
        discussion: """
        swisor start ecosystem.config.js [--env production] [--only api,worker]
            Starts the file's apps (.json, .yml/.yaml, or JavaScript: *.config.js/.cjs/.mjs
            and ecosystem*.js, evaluated by node as PM2 does); apps already known by name
            are restarted with the file's options. Nothing starts if the file has an error.
        swisor start
            The first of ecosystem.config.js, .cjs, .mjs, ecosystem.json, .yml, .yaml in
            the current directory.
        swisor start worker.py --name worker -- --queue jobs
            Starts a script (interpreter chosen by extension) or a program in PATH;
            words after `--` are its arguments. A command with spaces runs through /bin/sh.
        swisor start api
            Starts known apps that are not running (all, a name, a namespace or an id).
        """
    )

    @Argument(help: "An ecosystem file (.json, .yml, .yaml, *.config.js/.cjs/.mjs), a script or program, or a known app (all, name, namespace, id). Default: ecosystem.config.js (or another ecosystem file) in the current directory.")
    var target: String?

    @Option(help: "App name (default: the script's base name without extension).") var name: String?
    @Option(help: "Namespace of the app (default: default).") var namespace: String?
    @Option(help: "Program that runs the script (default: by extension; none: run it directly).") var interpreter: String?
    @Option(name: .customLong("interpreter-args"), help: "Arguments for the interpreter, before the script.") var interpreterArgs: String?
    @Option(help: "Working directory of the app (default: the current directory).") var cwd: String?
    @Option(name: [.customShort("i"), .long], help: "Number of instances: N, max or 0 (one per CPU), or -N (CPUs minus N).") var instances: String?
    @Option(help: "Use the env_<NAME> block of each app in the ecosystem file.") var env: String?
    @Option(help: "Start only these apps of the ecosystem file (comma-separated names).") var only: String?
    @Flag(name: .customLong("no-autorestart"), help: "Do not restart the app when it exits.") var noAutorestart = false
    @Option(name: .customLong("kill-signal"), help: "Signal sent on stop (default SIGINT).") var killSignal: String?
    @Option(name: .customLong("kill-timeout"), help: "Wait before SIGKILL on stop: ms, or with a unit (5s).") var killTimeout: String?
    @Option(name: .customLong("max-restarts"), help: "Unstable runs in a row before the app is errored (default 16).") var maxRestarts: Int?
    @Option(name: .customLong("min-uptime"), help: "A shorter run is unstable: ms, or with a unit (default 1s).") var minUptime: String?
    @Option(name: .customLong("restart-delay"), help: "Wait before each automatic restart: ms, or with a unit.") var restartDelay: String?
    @Option(name: .customLong("exp-backoff-restart-delay"), help: "First wait of an exponential backoff (x1.5 per restart in a row); overrides --restart-delay.") var expBackoffRestartDelay: String?
    @Option(name: .customLong("max-memory-restart"), help: "Restart when all processes of the app together use more memory (200M, 1G).") var maxMemoryRestart: String?
    @Option(name: .customLong("memory-max"), help: "Hard memory limit of the whole app, in its cgroup (512M); no swap on top.") var memoryMax: String?
    @Option(name: .customLong("memory-high"), help: "cgroup v2 memory.high: throttle and reclaim above this (400M).") var memoryHigh: String?
    @Option(name: .customLong("tasks-max"), help: "Most processes and threads the app may have (pids.max).") var tasksMax: Int?
    @Option(name: .customLong("cpu-quota"), help: "CPU time the app may use, in percent of one CPU (50, 150).") var cpuQuota: String?
    @Option(name: .customLong("cron"), help: "cron_restart: restart, or start when not running, on this schedule (\"0 3 * * *\").") var cron: String?
    @Flag(name: .customLong("no-autostart"), help: "Do not start the app now: wait for its first cron run or a start.") var noAutostart = false
    @Flag(name: .customLong("wait-ready"), help: "The app is online only once it sends READY=1 to its NOTIFY_SOCKET (sd_notify).") var waitReady = false
    @Option(name: .customLong("listen-timeout"), help: "How long to wait for READY=1 before taking the app as online: ms, or with a unit (default 3s).") var listenTimeout: String?
    @Option(name: .customLong("watchdog"), help: "watchdog_sec: restart the app when it sends no WATCHDOG=1 for this long: seconds, or with a unit (30s).") var watchdog: String?
    @Flag(name: .customLong("merge-logs"), help: "One log file for all instances.") var mergeLogs = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "File for the app's stdout.") var output: String?
    @Option(name: [.customShort("e"), .customLong("error")], help: "File for the app's stderr.") var error: String?
    @Option(name: [.customShort("l"), .customLong("log")], help: "File for stdout and stderr combined.") var log: String?
    @Flag(help: "Prefix each log line with an ISO 8601 time stamp (time: true).") var time = false
    @Option(name: .customLong("log-date-format"), help: "Prefix each log line with this time stamp (dayjs tokens: \"YYYY-MM-DD HH:mm:ss Z\").") var logDateFormat: String?
    @Option(name: .customLong("log-type"), help: "text (default), json (one JSON object per line) or journal (systemd's journal).") var logType: String?
    @Option(name: .customLong("log-max-size"), help: "Rotate a log file when it reaches this size (10M, 1G).") var logMaxSize: String?
    @Option(name: .customLong("log-retain"), help: "Rotated files kept per log (default 30).") var logRetain: Int?
    @Flag(name: .customLong("log-compress"), help: "gzip rotated log files.") var logCompress = false
    @Option(name: .customLong("log-rotate-interval"), help: "Rotate the logs on this cron schedule (\"0 0 * * *\").") var logRotateInterval: String?
    @Flag(help: "Print the started apps as JSON.") var json = false
    @Argument(parsing: .postTerminator, help: "Arguments for the script (after --).") var scriptArgs: [String] = []

    private var adHocFlagsGiven: Bool {
        name != nil || namespace != nil || interpreter != nil || interpreterArgs != nil || cwd != nil
            || instances != nil || noAutorestart || killSignal != nil || killTimeout != nil || maxRestarts != nil
            || minUptime != nil || restartDelay != nil || expBackoffRestartDelay != nil || maxMemoryRestart != nil || memoryMax != nil || memoryHigh != nil || tasksMax != nil || cpuQuota != nil || cron != nil || noAutostart || mergeLogs || output != nil || error != nil || log != nil
            || time || logDateFormat != nil || logType != nil || logMaxSize != nil || logRetain != nil || logCompress
            || logRotateInterval != nil
            || !scriptArgs.isEmpty
    }

    func validate() throws {
        if let maxRestarts, maxRestarts < 0 { throw ValidationError("--max-restarts must be 0 or more") }
    }

    func run() throws {
        let cwdNow = Home.currentDirectory()
        guard let target = try target ?? defaultFile(in: cwdNow) else { return }
        if let format = EcosystemFormat.of(target) {
            return try startFile(target, format: format, cwdNow: cwdNow)
        }
        if only != nil || env != nil {
            throw CLIError("--env and --only apply to ecosystem files only")
        }
        let isFile = FileSystem.exists(Home.absolute(target, relativeTo: cwd.map { Home.absolute($0, relativeTo: cwdNow) } ?? cwdNow))
        if isFile || target.contains(" ") || target.contains("/") || adHocFlagsGiven {
            return try startScript(target, cwdNow: cwdNow)
        }
        // A known app, or else a program in PATH.
        do {
            try submit(Request(command: .start, target: target))
        } catch let e as CLIError where e.code == .noMatch {
            if (try? Spawner.resolveProgram(target, cwd: cwdNow, path: currentEnvironment()["PATH"])) != nil {
                return try startScript(target, cwdNow: cwdNow)
            }
            throw CLIError("\(e.description), and no file or program named \"\(target)\" exists")
        }
    }

    /// `swisor start` alone: PM2 reads ecosystem.config.js; the other forms follow.
    private func defaultFile(in cwd: String) throws -> String? {
        if let found = EcosystemFormat.defaultFiles.first(where: { FileSystem.exists(Home.absolute($0, relativeTo: cwd)) }) {
            return found
        }
        throw CLIError("no target given, and no ecosystem file here (\(cwd)): looked for \(EcosystemFormat.defaultFiles.joined(separator: ", "))")
    }

    /// An ecosystem file: read (JavaScript: evaluated by node) in the CLI, loaded, and
    /// its apps sent to the daemon; nothing is sent when anything in it is wrong.
    private func startFile(_ target: String, format: EcosystemFormat, cwdNow: String) throws {
        if adHocFlagsGiven {
            throw CLIError("with an ecosystem file, set options in the file; only --env and --only apply")
        }
        let path = Home.absolute(target, relativeTo: cwdNow)
        let bytes: [UInt8]
        do throws(SystemError) {
            guard let read = try FileSystem.contents(path, limit: 16 << 20) else {
                throw SystemError("open", subject: path, errno: ENOENT)
            }
            bytes = read
        } catch {
            throw CLIError("\(target): cannot read the file: \(SystemError.describe(errno: error.errno))")
        }
        let json: [UInt8]
        if case .javascript = format {
            json = try JavaScriptEcosystem.evaluate(path: path, source: target, cwd: cwdNow, environment: currentEnvironment())
        } else {
            json = bytes
        }
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? cwdNow
        let eco = try load { (options: inout EcosystemOptions) throws(ConfigError) -> Ecosystem in
            options.source = target
            options.directory = dir
            options.envName = env
            options.only = only.map { $0.split(separator: ",").map { String($0).trimmingSpaces } }
            return try Ecosystem.load(bytes: json, format: format == .yaml ? .yaml : .json, options: options)
        }
        try submit(Request.start(apps: eco.apps, sharing: currentEnvironment()))
    }

    /// `swisor start <script> [flags] -- args`: the flags become an app object that goes
    /// through the same loader as a file, so the rules and messages are the same.
    private func startScript(_ target: String, cwdNow: String) throws {
        var app: [(key: String, value: JSON)] = [("script", .string(target))]
        func put(_ key: String, _ value: String?) { if let value { app.append((key, .string(value))) } }
        put("name", name)
        put("namespace", namespace)
        put("interpreter", interpreter)
        put("interpreter_args", interpreterArgs)
        put("cwd", cwd)
        if let instances { app.append(("instances", Int64(instances).map(JSON.int) ?? .string(instances))) }
        if noAutorestart { app.append(("autorestart", .bool(false))) }
        put("kill_signal", killSignal)
        put("kill_timeout", killTimeout)
        if let maxRestarts { app.append(("max_restarts", .int(Int64(maxRestarts)))) }
        put("min_uptime", minUptime)
        put("restart_delay", restartDelay)
        put("exp_backoff_restart_delay", expBackoffRestartDelay)
        put("max_memory_restart", maxMemoryRestart)
        put("memory_max", memoryMax)
        put("memory_high", memoryHigh)
        if let tasksMax { app.append(("tasks_max", .int(Int64(tasksMax)))) }
        put("cpu_quota", cpuQuota)
        put("cron_restart", cron)
        if noAutostart { app.append(("autostart", .bool(false))) }
        if waitReady { app.append(("wait_ready", .bool(true))) }
        put("listen_timeout", listenTimeout)
        if let watchdog { app.append(("watchdog_sec", Double(watchdog).map(JSON.double) ?? .string(watchdog))) }
        if mergeLogs { app.append(("merge_logs", .bool(true))) }
        put("out_file", output)
        put("error_file", error)
        put("log_file", log)
        if time { app.append(("time", .bool(true))) }
        put("log_date_format", logDateFormat)
        put("log_type", logType)
        put("log_max_size", logMaxSize)
        if let logRetain { app.append(("log_retain", .int(Int64(logRetain)))) }
        if logCompress { app.append(("log_compress", .bool(true))) }
        put("log_rotate_interval", logRotateInterval)
        if !scriptArgs.isEmpty { app.append(("args", .array(scriptArgs.map(JSON.string)))) }
        let eco = try load { (options: inout EcosystemOptions) throws(ConfigError) -> Ecosystem in
            options.source = "command line"
            options.directory = cwdNow
            return try Ecosystem.load(json: .object(JSONObject(app)), options: options)
        }
        try submit(Request.start(apps: eco.apps, sharing: currentEnvironment()))
    }

    private func load(_ body: (inout EcosystemOptions) throws(ConfigError) -> Ecosystem) throws -> Ecosystem {
        var options = EcosystemOptions(
            source: "", directory: "/", baseEnv: currentEnvironment(),
            cpuCount: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
            logDirectory: Home.fromEnvironment().logs,
            fileExists: { FileSystem.exists($0) }
        )
        do {
            let eco = try body(&options)
            for w in eco.warnings { printErr("swisor: warning: \(w)") }
            return eco
        } catch {
            throw CLIError(error.description)
        }
    }

    private func submit(_ request: Request) throws {
        let response = try Client.send(request, autostart: true)
        let apps = response.apps ?? []
        if json {
            printOut(try AppTable.json(apps))
        } else {
            for m in response.messages ?? [] { printOut(m + "\n") }
            printOut(AppTable.render(apps))
        }
        let failed = apps.filter { $0.status == .errored }
        if !failed.isEmpty {
            throw CLIError(failed.map { "\($0.name) (id \($0.id)): \($0.statusReason ?? "errored")" }.joined(separator: "; "))
        }
    }
}
