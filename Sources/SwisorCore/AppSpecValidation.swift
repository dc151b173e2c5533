extension AppSpec {
    /// Why this app cannot be run as it is, or nil. The ecosystem loader only builds
    /// valid specs; this checks one that comes from elsewhere (a saved dump, edited by
    /// hand or written by another version; a `start` request from any client, which the
    /// daemon checks before anything changes) before anything runs. The bounds are the
    /// loader's (docs/semantics.md, "Limits"), so nothing the daemon computes from an
    /// accepted spec can overflow. The message names the
    /// field as the dump does (`cwd: expected an absolute path, found "srv/web"`).
    public var problem: String? {
        if let reason = AppName.validate(name) { return "name: \(reason)" }
        if let reason = AppName.validate(namespace) { return "namespace: \(reason)" }
        if script.isEmpty { return "script: cannot be empty" }
        if let interpreter, interpreter.isEmpty { return "interpreter: cannot be empty (null runs the script directly)" }
        // Every string below ends up in argv, the environment or a path: C strings.
        let cStrings: [(String, [String])] = [
            ("script", [script]), ("args", args), ("interpreter", interpreter.map { [$0] } ?? []),
            ("interpreter_args", interpreterArgs), ("cwd", [cwd]),
        ]
        for (field, values) in cStrings where values.contains(where: { $0.utf8.contains(0) }) {
            return "\(field): cannot contain a NUL character"
        }
        if !cwd.hasPrefix("/") { return "cwd: expected an absolute path, found \(JSON.string(cwd).brief)" }
        for (key, value) in env.sorted(by: { $0.key < $1.key }) {
            if let reason = EcosystemAppReader.invalidVariableName(key) {
                return "env: \(JSON.string(key).brief): \(reason)"
            }
            if value.utf8.contains(0) { return "env.\(key): a value cannot contain a NUL character" }
        }
        if instances < 1 || instances > AppSpec.maximumInstances {
            return "instances: expected 1 to \(AppSpec.maximumInstances), found \(instances)"
        }
        if let reason = EcosystemAppReader.invalidVariableName(instanceVar) { return "instance_var: \(reason)" }
        if let incrementVar, let reason = EcosystemAppReader.invalidVariableName(incrementVar) {
            return "increment_var: \(reason)"
        }
        let durations: [(String, Int)] = [
            ("kill_timeout_ms", killTimeoutMs), ("min_uptime_ms", minUptimeMs),
            ("max_restarts", maxRestarts), ("restart_delay_ms", restartDelayMs),
        ]
        for (field, value) in durations where value < 0 {
            return "\(field): expected a non-negative integer, found \(value)"
        }
        let bounded: [(String, Int?)] = [
            ("kill_timeout_ms", killTimeoutMs), ("min_uptime_ms", minUptimeMs), ("restart_delay_ms", restartDelayMs),
            ("exp_backoff_restart_delay_ms", expBackoffRestartDelayMs), ("exp_backoff_max_delay_ms", expBackoffMaxDelayMs),
            ("listen_timeout_ms", listenTimeoutMs), ("watchdog_ms", watchdogMs),
        ]
        for case (let field, let value?) in bounded where value > AppSpec.maximumDurationMs {
            return "\(field): expected at most \(AppSpec.maximumDurationMs) (366 days), found \(value)"
        }
        let sizes: [(String, UInt64?)] = [
            ("max_memory_restart_bytes", maxMemoryRestartBytes), ("memory_max_bytes", memoryMaxBytes),
            ("memory_high_bytes", memoryHighBytes), ("log_max_size_bytes", logMaxSizeBytes),
        ]
        for case (let field, let value?) in sizes where value > AppSpec.maximumMemoryBytes {
            return "\(field): expected at most \(AppSpec.maximumMemoryBytes) (1 PiB), found \(value)"
        }
        if let m = memoryMaxBytes, m < ResourceLimits.minimumMemoryBytes {
            return "memory_max_bytes: expected at least \(ResourceLimits.minimumMemoryBytes), found \(m)"
        }
        if let m = memoryHighBytes, m < ResourceLimits.minimumMemoryBytes {
            return "memory_high_bytes: expected at least \(ResourceLimits.minimumMemoryBytes), found \(m)"
        }
        if let t = tasksMax, t < 1 || t > Int(Int32.max) {
            return "tasks_max: expected 1 to \(Int32.max), found \(t)"
        }
        if let q = cpuQuotaPercent, q < 1 || q > ResourceLimits.maximumCPUQuotaPercent {
            return "cpu_quota_percent: expected 1 to \(ResourceLimits.maximumCPUQuotaPercent), found \(q)"
        }
        if let r = logRetain, r < 1 || r > Int(Int32.max) {
            return "log_retain: expected 1 to \(Int32.max), found \(r)"
        }
        if let s = logMaxSizeBytes, s < LogSettings.minimumMaxSize {
            return "log_max_size_bytes: expected at least \(LogSettings.minimumMaxSize), found \(s)"
        }
        if let backoff = expBackoffRestartDelayMs, backoff <= 0 {
            return "exp_backoff_restart_delay_ms: expected a positive integer or null, found \(backoff)"
        }
        if expBackoffMaxDelayMs <= 0 {
            return "exp_backoff_max_delay_ms: expected a positive integer, found \(expBackoffMaxDelayMs)"
        }
        for (field, path) in [("out_file", outFile), ("error_file", errorFile), ("log_file", logFile)] {
            guard let path else { continue }
            if !path.hasPrefix("/") || path.utf8.contains(0) {
                return "\(field): expected an absolute path or null, found \(JSON.string(path).brief)"
            }
        }
        if let code = stopExitCodes.first(where: { !(0...255).contains($0) }) {
            return "stop_exit_codes: expected exit codes from 0 to 255, found \(code)"
        }
        if maxMemoryRestartBytes == 0 { return "max_memory_restart_bytes: expected a positive size or null, found 0" }
        if let t = listenTimeoutMs, t <= 0 { return "listen_timeout_ms: expected a positive integer or null, found \(t)" }
        if let w = watchdogMs, w < AppSpec.minimumWatchdogMs {
            return "watchdog_ms: expected at least \(AppSpec.minimumWatchdogMs) or null, found \(w)"
        }
        if let cronRestart {
            do throws(CronParseError) {
                _ = try CronExpression.parse(cronRestart)
            } catch {
                return "cron_restart: \(error)"
            }
        }
        return nil
    }
}
