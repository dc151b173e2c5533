/// Reads one app object of an ecosystem file into an `AppSpec`, or throws the first error with
/// its JSON path. Where docs/semantics.md is silent, PM2's behaviour is followed (lib/Common.js,
/// lib/API/schema.json, lib/God.js); the comments say where swisor differs and why.
struct EcosystemAppReader {
    let object: JSONObject
    /// `apps[3]`, `[3]`, or empty for a file that is one app object.
    let path: String
    let options: EcosystemOptions
    private(set) var warnings: [String] = []
    /// Where the app's name comes from, for the duplicate-name error.
    private(set) var namePath: String = ""

    /// Supported options present in the object, by canonical name, with the key as spelled.
    private var given: [String: (key: String, value: JSON)] = [:]
    private var envSections: [(key: String, value: JSON)] = []

    init(object: JSONObject, path: String, options: EcosystemOptions) {
        self.object = object
        self.path = path
        self.options = options
        self.namePath = path
    }

    /// Interpreters by script extension: PM2's lib/API/interpreter.json, except that `.py`
    /// is python3 (docs/semantics.md, "Ecosystem file"; `python` is Python 2 or missing on current distributions),
    /// plus `.mjs`/`.cjs` (PM2 runs them with node too, because it runs every non-binary
    /// file with node). An unknown extension runs the file directly (PM2 would use node).
    static let interpreterByExtension: [String: String] = [
        ".sh": "bash", ".py": "python3", ".rb": "ruby", ".pl": "perl", ".php": "php",
        ".js": "node", ".mjs": "node", ".cjs": "node",
        ".ts": "bun", ".tsx": "bun", ".coffee": "coffee", ".ls": "lsc",
    ]

    static let maxInstances = AppSpec.maximumInstances

    mutating func read() throws(ConfigError) -> AppSpec {
        try sortKeys()
        let env = try readEnvironmentSections()
        let cwd = try readCwd()

        // Interpreter and script, as PM2's prepareAppConf and resolveInterpreter.
        var interpreter: String? = nil
        // "none" (run directly) still counts as a choice: no interpreter by extension.
        var explicitInterpreter = false
        if let (key, value) = given["interpreter"] {
            let text = try string(key, value, expected: "a program name or path, or \"none\"")
            if !text.isEmpty {
                explicitInterpreter = true
                if text != "none" { interpreter = try resolveProgram(text, key: key, cwd: cwd) }
            }
        }

        guard let (scriptKey, scriptValue) = given["script"] else {
            throw error(path, "missing `script` (the program or command to run)")
        }
        let scriptText = try string(scriptKey, scriptValue, expected: "a non-empty string (the program or command to run)")
        guard !scriptText.isEmpty else {
            throw error(member(scriptKey), "expected a non-empty string (the program or command to run), found \"\"")
        }
        guard let expanded = EcosystemPaths.expandingHome(scriptText, home: options.baseEnv["HOME"]) else {
            throw error(member(scriptKey), noHomeMessage)
        }
        let candidate = EcosystemPaths.resolve(expanded, against: cwd)
        let exists = options.fileExists(candidate)
        let script: String
        var shell = false
        if interpreter == nil && !exists && scriptText.contains(where: { $0 == " " || $0 == "\t" }) {
            // A command line (`npm run start`), also with "interpreter": "none": run by
            // /bin/sh -c. A path with a blank that exists, or one given to an interpreter,
            // is still a path.
            shell = true
            script = scriptText
        } else if exists || expanded.contains("/") {
            script = candidate
        } else {
            // A bare name that is no file of the cwd: a program looked up in PATH at exec.
            script = scriptText
        }
        if !explicitInterpreter && !shell {
            interpreter = Self.interpreterByExtension[EcosystemPaths.fileExtension(script)]
        }

        if scriptText == "serve" && !exists && interpreter == nil {
            // PM2 replaces this name with its own static file server (lib/API.js, _startJson).
            warn(scriptKey, "\"serve\" is PM2's built-in static file server, which swisor does not have: the program `serve` is looked up in PATH")
        }
        let name = try readName(script: scriptText, scriptKey: scriptKey, shell: shell)
        let namespace = try readNamespace()

        let args = try words("args") ?? []
        var interpreterArgs: [String] = []
        if let list = try words("interpreter_args") {
            if interpreter == nil {
                if !list.isEmpty {
                    warn(given["interpreter_args"]!.key, "ignored: the script runs without an interpreter")
                }
            } else {
                interpreterArgs = list
            }
        }

        var environment = env
        if let (key, value) = given["port"] {
            // PM2's shortcut for PORT; as in PM2, it wins over `env`.
            let port = try integer(key, value, in: 1...65535, expected: "a port number (1 to 65535)")
            environment["PORT"] = String(port)
        }
        if environment["PYTHONUNBUFFERED"] == nil, runsPython(interpreter: interpreter, script: script, shell: shell) {
            // As PM2: Python buffers stdout into a pipe, and log lines would show up late
            // or be lost in a crash. swisor leaves a value the user set alone.
            environment["PYTHONUNBUFFERED"] = "1"
        }

        let instances = try readInstances()
        if let (key, value) = given["exec_mode"] {
            let mode = try string(key, value, expected: "\"fork\" or \"cluster\"")
            switch mode {
            case "fork", "fork_mode": break
            case "cluster", "cluster_mode":
                warn(key, "cluster mode is Node-only: the instances run as separate processes")
            default:
                throw error(member(key), "expected \"fork\" or \"cluster\", found \(value.brief)")
            }
        }
        var instanceVar = AppSpec.defaultInstanceVar
        if let (key, value) = given["instance_var"] {
            instanceVar = try string(key, value, expected: "an environment variable name")
            if let reason = Self.invalidVariableName(instanceVar) {
                throw error(member(key), "\(reason), found \(value.brief)")
            }
        }
        let incrementVar = try readIncrementVar(environment: environment)

        let autorestart = try bool("autorestart") ?? true
        var killSignal = AppSpec.defaultKillSignal
        if let (key, value) = given["kill_signal"] {
            let text: String? =
                switch value {
                case .string(let s): s
                case .int(let i): String(i)
                default: nil
                }
            guard let text, let signal = Signal(parsing: text) else {
                throw error(member(key), "expected a signal name such as \"SIGTERM\", found \(value.brief)")
            }
            killSignal = signal
        }
        let killTimeout = try duration("kill_timeout") ?? AppSpec.defaultKillTimeoutMs
        let killMode = try readKillMode()

        let logs = try readLogs(name: name, cwd: cwd)

        let minUptime = try duration("min_uptime") ?? AppSpec.defaultMinUptimeMs
        var maxRestarts = AppSpec.defaultMaxRestarts
        if let (key, value) = given["max_restarts"] {
            maxRestarts = try integer(key, value, in: 0...Int64(Int32.max), expected: "a non-negative integer")
        }
        let restartDelay = try duration("restart_delay") ?? 0
        // PM2 reads 0 as "off".
        let backoff = try duration("exp_backoff_restart_delay").flatMap { $0 > 0 ? $0 : nil }
        let backoffMax = try duration("exp_backoff_max_delay") ?? AppSpec.defaultExpBackoffMaxDelayMs
        if backoffMax <= 0, let (key, value) = given["exp_backoff_max_delay"] {
            throw error(member(key), "expected a positive duration, found \(value.brief)")
        }
        let stopExitCodes = try readStopExitCodes()
        let cron = try readCron()
        let autostart = try bool("autostart") ?? true
        var maxMemory: UInt64?
        if let (key, value) = given["max_memory_restart"] {
            guard let bytes = Units.parseMemorySize(value), bytes > 0 else {
                throw error(member(key), "expected a positive memory size (\(Units.memorySizeForms)), found \(value.brief)")
            }
            try checkSize(key, value, bytes)
            maxMemory = bytes
        }
        let limits = try readLimits()
        let waitReady = try bool("wait_ready")
        let listenTimeout = try duration("listen_timeout")
        if listenTimeout == 0, let (key, value) = given["listen_timeout"] {
            throw error(member(key), "expected a positive duration, found \(value.brief)")
        }
        let watchdog = try readWatchdog()
        let logOptions = try readLogOptions()

        let spec = AppSpec(
            name: name,
            namespace: namespace,
            script: script,
            args: args,
            interpreter: interpreter,
            interpreterArgs: interpreterArgs,
            shell: shell,
            cwd: cwd,
            env: environment,
            instances: instances,
            instanceVar: instanceVar,
            incrementVar: incrementVar,
            autorestart: autorestart,
            killSignal: killSignal,
            killTimeoutMs: killTimeout,
            killMode: killMode,
            outFile: logs.out,
            errorFile: logs.error,
            logFile: logs.combined,
            mergeLogs: logs.merge,
            minUptimeMs: minUptime,
            maxRestarts: maxRestarts,
            restartDelayMs: restartDelay,
            expBackoffRestartDelayMs: backoff,
            expBackoffMaxDelayMs: backoffMax,
            stopExitCodes: stopExitCodes,
            maxMemoryRestartBytes: maxMemory,
            cronRestart: cron,
            autostart: autostart,
            memoryMaxBytes: limits.memoryMaxBytes,
            memoryHighBytes: limits.memoryHighBytes,
            tasksMax: limits.tasksMax,
            cpuQuotaPercent: limits.cpuQuotaPercent,
            waitReady: waitReady,
            listenTimeoutMs: listenTimeout,
            watchdogMs: watchdog,
            logDateFormat: logOptions.dateFormat,
            time: logOptions.time,
            logType: logOptions.type,
            logMaxSizeBytes: logOptions.maxSize,
            logRetain: logOptions.retain,
            logCompress: logOptions.compress,
            logRotateInterval: logOptions.rotateInterval
        )
        // The daemon checks every spec again with `problem`; what it would refuse must
        // fail here, at load, with the app's path (found by the fuzzer: a NUL in a path).
        if let problem = spec.problem { throw error(path, problem) }
        return spec
    }

    /// `increment_var`: the variable it names gets its value plus the instance's index in
    /// each instance (`AppSpec.instanceVariables`), so instances of one server each get a
    /// PORT of their own. PM2 (lib/God.js, injectVariables) counts from `Number(value) || 0`:
    /// a variable that is missing, or no number, counts from 0; that is kept, and said.
    /// An empty name is "not given", as PM2 tests it for truth.
    private mutating func readIncrementVar(environment: [String: String]) throws(ConfigError) -> String? {
        guard let (key, value) = given["increment_var"] else { return nil }
        let name = try string(key, value, expected: "an environment variable name")
        if name.isEmpty { return nil }
        if let reason = Self.invalidVariableName(name) {
            throw error(member(key), "\(reason), found \(value.brief)")
        }
        if let text = environment[name], ObjectLiteral.javaScriptNumberValue(text).isNaN {
            warn(key, "\(name) is \(JSON.string(text).brief), not a number: the instances get 0, 1, 2, ... (as under PM2)")
        }
        return name
    }

    /// `watchdog_sec` is in seconds, as systemd's WatchdogSec: a number (fractions allowed)
    /// or a duration string ("30s", "1m"). 0 turns it off, as in systemd.
    private func readWatchdog() throws(ConfigError) -> Int? {
        guard let (key, value) = given["watchdog_sec"] else { return nil }
        let ms: Int?
        switch value {
        // Seconds far beyond the bound (checked below) are kept from overflowing here.
        case .int(let seconds) where seconds >= 0 && seconds <= 1 << 40: ms = Int(seconds) * 1000
        case .double(let seconds) where seconds >= 0 && seconds <= 0x1p40: ms = Int((seconds * 1000).rounded())
        case .int(let seconds) where seconds > 1 << 40: ms = Int.max
        case .double(let seconds) where seconds > 0x1p40: ms = Int.max
        case .string(let text): ms = Units.parseDuration(text)
        default: ms = nil
        }
        guard let ms, ms >= 0 else {
            throw error(member(key), "expected seconds (a number such as 30) or a duration such as \"30s\", found \(value.brief)")
        }
        try checkDuration(key, value, ms)
        if ms > 0 && ms < AppSpec.minimumWatchdogMs {
            throw error(member(key), "expected at least \(AppSpec.minimumWatchdogMs) ms, found \(value.brief)")
        }
        return ms == 0 ? nil : ms
    }

    // MARK: - Keys

    /// Sorts the object's keys into supported options, `env_*` sections, PM2-only and
    /// not-yet options (warned about here), and unknown keys (warned about, with a guess).
    private mutating func sortKeys() throws(ConfigError) {
        var ignored: [String] = []
        for (key, value) in object.members {
            if key.hasPrefix("env_") && key.count > 4 {
                envSections.append((key, value))
                continue
            }
            guard let option = EcosystemKeys.option(spelled: key) else {
                var message = "unknown option, ignored"
                if let guess = EcosystemKeys.suggestion(for: key) { message += " (did you mean `\(guess)`?)" }
                warn(key, message)
                continue
            }
            // PM2 reads null as "not given" (lib/tools/Config.js); generated files rely on it.
            if value.isNull { continue }
            switch option.role {
            case .supported:
                if let previous = given[option.name] {
                    // Two spellings of one option: the canonical one wins, else the first, as
                    // in PM2, but not silently.
                    let newWins = key == option.name
                    let (kept, dropped) = newWins ? (key, previous.key) : (previous.key, key)
                    warn(dropped, "same option as `\(kept)`, which is also given; ignored")
                    if newWins { given[option.name] = (key, value) }
                } else {
                    given[option.name] = (key, value)
                }
            case .pm2Only(let harmless):
                if !harmless.contains(value) { ignored.append(key) }
            case .notYet(let kind, let harmless):
                try check(kind, key, value)
                if !harmless.contains(value) { warn(key, "not supported yet, ignored") }
            }
        }
        for key in object.duplicateKeys {
            warn(key, "given more than once, the last value is used")
        }
        if !ignored.isEmpty {
            warnings.append(line(path, "ignored (PM2-only): " + ignored.joined(separator: ", ")))
        }
    }

    private func check(_ kind: EcosystemKeys.ValueKind, _ key: String, _ value: JSON) throws(ConfigError) {
        switch kind {
        case .any: return
        case .bool: _ = try bool(key, value)
        case .string: _ = try string(key, value, expected: "a string")
        case .duration: _ = try duration(key, value)
        case .memorySize:
            guard Units.parseMemorySize(value) != nil else {
                throw error(member(key), "expected a memory size (\(Units.memorySizeForms)), found \(value.brief)")
            }
        }
    }

    // MARK: - Options

    /// The cgroup limits. Only their form is checked here: whether this host can
    /// enforce them is the daemon's question, answered at start.
    private func readLimits() throws(ConfigError) -> ResourceLimits {
        var limits = ResourceLimits()
        func size(_ option: String) throws(ConfigError) -> UInt64? {
            guard let (key, value) = given[option] else { return nil }
            guard let bytes = Units.parseMemorySize(value), bytes >= ResourceLimits.minimumMemoryBytes else {
                throw error(member(key), "expected a memory size of at least 1M (\(Units.memorySizeForms)), found \(value.brief)")
            }
            try checkSize(key, value, bytes)
            return bytes
        }
        limits.memoryMaxBytes = try size("memory_max")
        limits.memoryHighBytes = try size("memory_high")
        if let (key, value) = given["tasks_max"] {
            limits.tasksMax = try integer(key, value, in: 1...Int64(Int32.max), expected: "a positive number of processes")
        }
        if let (key, value) = given["cpu_quota"] {
            guard let percent = ResourceLimits.parseCPUQuota(value) else {
                throw error(member(key), "expected a percentage of one CPU from 1 to \(ResourceLimits.maximumCPUQuotaPercent), as 50 or \"50%\", found \(value.brief)")
            }
            limits.cpuQuotaPercent = percent
        }
        if let high = limits.memoryHighBytes, let max = limits.memoryMaxBytes, high > max,
           let (key, value) = given["memory_high"] {
            throw error(member(key), "memory_high must not be above memory_max (\(max) bytes), found \(value.brief)")
        }
        return limits
    }

    /// Line format and rotation. Each is kept only when given, so the daemon's defaults
    /// (SWISOR_LOG_*) apply to the rest.
    private mutating func readLogOptions() throws(ConfigError) -> (
        dateFormat: String?, time: Bool?, type: LogType?, maxSize: UInt64?, retain: Int?, compress: Bool?,
        rotateInterval: String?
    ) {
        var dateFormat: String?
        // PM2 tests the format for truth (lib/God/ForkMode.js): "" is no format. `false` and
        // 0, which its schema would refuse, are taken the same way.
        if let (key, value) = given["log_date_format"], value != .string(""), value != .bool(false), value != .int(0) {
            let text = try string(key, value, expected: "a date format such as \"YYYY-MM-DD HH:mm:ss Z\"")
            do {
                _ = try LogDateFormat(text)
            } catch {
                throw self.error(member(key), "invalid date format \(value.brief): \(error.message)")
            }
            dateFormat = text
        }
        let time = try bool("time")
        var type: LogType?
        if let (key, value) = given["log_type"] {
            guard case .string(let text) = value else {
                throw error(member(key), "expected \"text\", \"json\" or \"journal\", found \(value.brief)")
            }
            if let t = LogType(rawValue: text) {
                type = t
            } else if !text.isEmpty {
                // PM2 takes any string and acts only on "json" (lib/God/ForkMode.js).
                warn(key, "\(value.brief) is not a log type (\"text\", \"json\" or \"journal\"): ignored, as PM2 ignores it")
            }
        }
        var maxSize: UInt64?
        if let (key, value) = given["log_max_size"] {
            guard let bytes = Units.parseMemorySize(value), bytes >= LogSettings.minimumMaxSize else {
                throw error(member(key), "expected a size of at least 1K (\(Units.memorySizeForms)), found \(value.brief)")
            }
            try checkSize(key, value, bytes)
            maxSize = bytes
        }
        var retain: Int?
        if let (key, value) = given["log_retain"] {
            retain = try integer(key, value, in: 1...Int64(Int32.max), expected: "a number of rotated files to keep, 1 or more")
        }
        let compress = try bool("log_compress")
        var rotateInterval: String?
        if let (key, value) = given["log_rotate_interval"] {
            let text = try string(key, value, expected: "a cron expression such as \"0 0 * * *\"")
            do {
                _ = try CronExpression.parse(text)
            } catch {
                throw self.error(member(key), "invalid cron expression \(value.brief): \(error.message)")
            }
            rotateInterval = text
        }
        return (dateFormat, time, type, maxSize, retain, compress, rotateInterval)
    }

    /// Checked at load, so a bad expression names its JSON path instead of failing
    /// at the first tick. PM2 reads 0 and "0" as "no cron".
    private func readCron() throws(ConfigError) -> String? {
        guard let (key, value) = given["cron_restart"] else { return nil }
        if value == .int(0) || value == .string("0") { return nil }
        let text = try string(key, value, expected: "a cron expression such as \"0 3 * * *\"")
        do {
            _ = try CronExpression.parse(text)
        } catch {
            throw self.error(member(key), "invalid cron expression \(value.brief): \(error.message)")
        }
        return text
    }

    private func readCwd() throws(ConfigError) -> String {
        let base = EcosystemPaths.normalize(options.directory)
        guard let (key, value) = given["cwd"] else { return base }
        let text = try string(key, value, expected: "a directory path")
        if text.isEmpty { return base }
        guard let expanded = EcosystemPaths.expandingHome(text, home: options.baseEnv["HOME"]) else {
            throw error(member(key), noHomeMessage)
        }
        return EcosystemPaths.resolve(expanded, against: base)
    }

    /// A program given by name stays a name (looked up in PATH at exec); one given as a
    /// path is made absolute against the app's cwd.
    private func resolveProgram(_ text: String, key: String, cwd: String) throws(ConfigError) -> String {
        guard let expanded = EcosystemPaths.expandingHome(text, home: options.baseEnv["HOME"]) else {
            throw error(member(key), noHomeMessage)
        }
        return expanded.contains("/") ? EcosystemPaths.resolve(expanded, against: cwd) : expanded
    }

    private mutating func readName(script: String, scriptKey: String, shell: Bool) throws(ConfigError) -> String {
        var name: String
        var fromKey: String? = nil
        if let (key, value) = given["name"] {
            name = try string(key, value, expected: "an app name")
            fromKey = key
            namePath = member(key)
        } else {
            // PM2: the script's base name without extension. For a command line, that of its
            // first word (PM2 would use the whole line, blanks included, which no target
            // could name).
            var program = script
            if shell {
                program = (try? ShellWords.split(script).first)
                    ?? String(script.split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
            }
            name = EcosystemPaths.baseNameWithoutExtension(program)
        }
        if let (key, value) = given["append_env_to_name"], try bool(key, value), let envName = options.envName {
            // PM2: lets one file run the same apps once per environment side by side.
            name += "-" + envName
        }
        if let reason = AppName.validate(name) {
            if let fromKey {
                throw error(member(fromKey), "invalid app name \(JSON.string(name).brief): \(reason)")
            }
            throw error(
                member(scriptKey),
                "the default app name \(JSON.string(name).brief), made from the script, is invalid (\(reason)); set `name`")
        }
        return name
    }

    private func readNamespace() throws(ConfigError) -> String {
        guard let (key, value) = given["namespace"] else { return AppSpec.defaultNamespace }
        let namespace = try string(key, value, expected: "a namespace name")
        // Namespaces are command targets like names, so they follow the same rule.
        if let reason = AppName.validate(namespace) {
            throw error(member(key), "invalid namespace \(value.brief): \(reason)")
        }
        return namespace
    }

    /// `baseEnv`, then `env`, then `env_<envName>`. Every `env_*` section is checked, the
    /// selected one or not, so that a file does not break only under one `--env`.
    private mutating func readEnvironmentSections() throws(ConfigError) -> [String: String] {
        var environment = options.baseEnv
        if let (key, value) = given["env"], !ignoredString(key, value) {
            for (name, text) in try variables(key, value) { environment[name] = text }
        }
        var selected: [(String, String)] = []
        for (key, value) in envSections where !value.isNull && !ignoredString(key, value) {
            let parsed = try variables(key, value)
            if let envName = options.envName, key.dropFirst(4) == envName { selected = parsed }
        }
        for (name, text) in selected { environment[name] = text }
        return environment
    }

    /// PM2's schema allows a string for `env` and `env_*` (lib/API/schema.json), and PM2
    /// then sets nothing usable from it (Object.assign spreads the string's characters as
    /// variables "0", "1", ...). Accepted and ignored, with a warning.
    private mutating func ignoredString(_ key: String, _ value: JSON) -> Bool {
        guard case .string = value else { return false }
        warn(key, "a string, not an object of variables: ignored (PM2 accepts it and sets no variable from it)")
        return true
    }

    private mutating func variables(_ key: String, _ value: JSON) throws(ConfigError) -> [(String, String)] {
        guard case .object(let section) = value else {
            throw error(member(key), "expected an object of environment variables, found \(value.brief)")
        }
        let sectionPath = member(key)
        for name in section.duplicateKeys {
            warnings.append(line(EcosystemPaths.member(sectionPath, name), "given more than once, the last value is used"))
        }
        var result: [(String, String)] = []
        for (name, entry) in section.members {
            let entryPath = EcosystemPaths.member(sectionPath, name)
            if let reason = Self.invalidVariableName(name) {
                throw error(entryPath, "invalid environment variable name: \(reason)")
            }
            let text: String
            switch entry {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            case .double(let d): text = Self.javaScriptNumber(d)
            case .bool(let b): text = b ? "true" : "false"
            default:
                throw error(entryPath, "expected a string, a number or a boolean, found \(entry.brief)")
            }
            if text.utf8.contains(0) {
                throw error(entryPath, "an environment value cannot contain a NUL character")
            }
            result.append((name, text))
        }
        return result
    }

    /// An environment entry is `NAME=value` and a C string: the name can hold neither `=`
    /// nor NUL, and cannot be empty. Anything else is the program's business.
    static func invalidVariableName(_ name: String) -> String? {
        if name.isEmpty { return "a variable name cannot be empty" }
        if name.contains("=") { return "a variable name cannot contain '='" }
        if name.utf8.contains(0) { return "a variable name cannot contain a NUL character" }
        return nil
    }

    /// As JavaScript prints a number into an environment variable (PM2 passes values through
    /// Node): 3000.0 is "3000".
    static func javaScriptNumber(_ d: Double) -> String { ObjectLiteral.javaScriptText(d) }

    private func runsPython(interpreter: String?, script: String, shell: Bool) -> Bool {
        if let interpreter { return EcosystemPaths.baseName(interpreter).hasPrefix("python") }
        return !shell && EcosystemPaths.baseName(script).hasPrefix("python")
    }

    /// As PM2 (lib/God.js): 0 or "max" is one per CPU, -N is all CPUs but N, at least 1.
    private func readInstances() throws(ConfigError) -> Int {
        guard let (key, value) = given["instances"] else { return 1 }
        let expected = "a number of instances (1 or more; 0 or \"max\" for one per CPU; -N for all CPUs but N)"
        let cpus = max(options.cpuCount, 1)
        let count: Int
        if value == .string("max") {
            count = cpus
        } else if let n = integerValue(value), let small = Int(exactly: n) {
            count = small == 0 ? cpus : small < 0 ? max(cpus + small, 1) : small
        } else {
            throw error(member(key), "expected \(expected), found \(value.brief)")
        }
        if count > Self.maxInstances {
            throw error(member(key), "expected at most \(Self.maxInstances) instances, found \(value.brief)")
        }
        return count
    }

    /// `kill_mode` ("group", "mixed"), or PM2's `treekill`: false signals the main process
    /// only, which swisor's "mixed" does first (the rest get SIGKILL when it is gone).
    private mutating func readKillMode() throws(ConfigError) -> KillMode {
        var fromTreekill: KillMode? = nil
        if let (key, value) = given["treekill"] {
            fromTreekill = try bool(key, value) ? .group : .mixed
        }
        guard let (key, value) = given["kill_mode"] else { return fromTreekill ?? .group }
        guard case .string(let text) = value, let mode = KillMode(rawValue: text) else {
            throw error(member(key), "expected \"group\" or \"mixed\", found \(value.brief)")
        }
        if let fromTreekill, fromTreekill != mode {
            warn(given["treekill"]!.key, "conflicts with `\(key)` \(value.brief), which is used")
        }
        return mode
    }

    private mutating func readLogs(name: String, cwd: String) throws(ConfigError)
        -> (out: String?, error: String?, combined: String?, merge: Bool)
    {
        let merge = try bool("merge_logs") ?? false
        if try bool("disable_logs") == true {
            return ("/dev/null", "/dev/null", nil, merge)
        }
        let out = try logPath("out_file", cwd: cwd)
        let err = try logPath("error_file", cwd: cwd)
        var combined: String? = nil
        if let (key, value) = given["log_file"] {
            if case .bool(let wanted) = value {
                // PM2: `true` is a combined log named <name>.log in its default log folder.
                if wanted {
                    if let folder = options.logDirectory {
                        combined = EcosystemPaths.resolve(name + ".log", against: folder)
                    } else {
                        warn(key, "`true` (a combined log in the default folder) is not available here, ignored")
                    }
                }
            } else {
                combined = try logPath("log_file", cwd: cwd)
            }
        }
        return (out, err, combined, merge)
    }

    /// A log file: relative to the app's cwd (as PM2), `~` expanded, "/dev/null" (and PM2's
    /// "NULL") for none. An empty string means the default, as in PM2.
    private func logPath(_ option: String, cwd: String) throws(ConfigError) -> String? {
        guard let (key, value) = given[option] else { return nil }
        let text = try string(key, value, expected: "a file path")
        if text.isEmpty { return nil }
        if text == "NULL" || text == "/dev/null" { return "/dev/null" }
        guard let expanded = EcosystemPaths.expandingHome(text, home: options.baseEnv["HOME"]) else {
            throw error(member(key), noHomeMessage)
        }
        return EcosystemPaths.resolve(expanded, against: cwd)
    }

    private func readStopExitCodes() throws(ConfigError) -> [Int32] {
        guard let (key, value) = given["stop_exit_codes"] else { return [] }
        let expected = "an exit code (0 to 255)"
        if case .array(let list) = value {
            var codes: [Int32] = []
            for (i, entry) in list.enumerated() {
                let elementPath = EcosystemPaths.element(member(key), i)
                guard let n = integerValue(entry), (0...255).contains(n) else {
                    throw error(elementPath, "expected \(expected), found \(entry.brief)")
                }
                codes.append(Int32(n))
            }
            return codes
        }
        guard let n = integerValue(value), (0...255).contains(n) else {
            throw error(member(key), "expected \(expected) or an array of them, found \(value.brief)")
        }
        return [Int32(n)]
    }

    // MARK: - Values

    /// An argument list: an array of strings and numbers, or a string split into words as a
    /// shell would (quotes group, nothing is expanded).
    private func words(_ option: String) throws(ConfigError) -> [String]? {
        guard let (key, value) = given[option] else { return nil }
        switch value {
        case .string(let text):
            do throws(ShellWords.SplitError) {
                return try ShellWords.split(text)
            } catch {
                let problem =
                    switch error {
                    case .unterminatedQuote(let q): "an unterminated \(q) quote"
                    case .trailingBackslash: "a backslash at the end"
                    }
                throw self.error(member(key), "expected shell words, found \(value.brief) (\(problem))")
            }
        case .array(let list):
            var result: [String] = []
            for (i, entry) in list.enumerated() {
                switch entry {
                case .string(let s): result.append(s)
                case .int(let n): result.append(String(n))
                case .double(let d): result.append(Self.javaScriptNumber(d))
                default:
                    throw error(EcosystemPaths.element(member(key), i), "expected a string or a number, found \(entry.brief)")
                }
            }
            return result
        default:
            throw error(member(key), "expected a string or an array of strings, found \(value.brief)")
        }
    }

    private func string(_ key: String, _ value: JSON, expected: String) throws(ConfigError) -> String {
        guard case .string(let s) = value else {
            throw error(member(key), "expected \(expected), found \(value.brief)")
        }
        // Every string option becomes a path, an argument or a name: a C string.
        if s.utf8.contains(0) { throw error(member(key), "cannot contain a NUL character") }
        return s
    }

    private func bool(_ option: String) throws(ConfigError) -> Bool? {
        guard let (key, value) = given[option] else { return nil }
        return try bool(key, value)
    }

    private func bool(_ key: String, _ value: JSON) throws(ConfigError) -> Bool {
        guard case .bool(let b) = value else {
            throw error(member(key), "expected true or false, found \(value.brief)")
        }
        return b
    }

    private func duration(_ option: String) throws(ConfigError) -> Int? {
        guard let (key, value) = given[option] else { return nil }
        return try duration(key, value)
    }

    private func duration(_ key: String, _ value: JSON) throws(ConfigError) -> Int {
        guard let ms = Units.parseDuration(value) else {
            throw error(member(key), "expected a duration (\(Units.durationForms)), found \(value.brief)")
        }
        try checkDuration(key, value, ms)
        return ms
    }

    /// docs/semantics.md, "Limits": no duration beyond 366 days.
    private func checkDuration(_ key: String, _ value: JSON, _ ms: Int) throws(ConfigError) {
        if ms > AppSpec.maximumDurationMs {
            throw error(member(key), "expected at most 366 days (\(AppSpec.maximumDurationMs) ms), found \(value.brief)")
        }
    }

    /// docs/semantics.md, "Limits": no size beyond 1 PiB.
    private func checkSize(_ key: String, _ value: JSON, _ bytes: UInt64) throws(ConfigError) {
        if bytes > AppSpec.maximumMemoryBytes {
            throw error(member(key), "expected at most 1P (\(AppSpec.maximumMemoryBytes) bytes), found \(value.brief)")
        }
    }

    private func integer(_ key: String, _ value: JSON, in range: ClosedRange<Int64>, expected: String) throws(ConfigError) -> Int {
        guard let n = integerValue(value), range.contains(n), let small = Int(exactly: n) else {
            throw error(member(key), "expected \(expected), found \(value.brief)")
        }
        return small
    }

    /// An integer, also written `10.0` or `"10"`: PM2 parses numeric strings for number
    /// options (lib/tools/Config.js), and files written for it do that.
    private func integerValue(_ value: JSON) -> Int64? {
        if case .string(let s) = value { return Int64(s) }
        return value.int64Value
    }

    // MARK: - Messages

    private var noHomeMessage: String { "cannot expand `~`: HOME is not set in the environment" }

    private func member(_ key: String) -> String { EcosystemPaths.member(path, key) }

    private func line(_ at: String, _ message: String) -> String {
        at.isEmpty ? "\(options.source): \(message)" : "\(options.source): \(at): \(message)"
    }

    private mutating func warn(_ key: String, _ message: String) {
        warnings.append(line(member(key), message))
    }

    private func error(_ at: String, _ message: String) -> ConfigError {
        ConfigError(file: options.source, path: at, message: message)
    }
}
