import ArgumentParser
import SwisorCore

struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Everything known about an app: options, processes, last exit, history, log files.",
        aliases: ["show", "info"]
    )

    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print as JSON (environment values are left out unless --env is given).") var json = false
    @Flag(help: "Include the app's environment (it often holds secrets).") var env = false

    func run() throws {
        var apps = try Client.send(Request(command: .describe, target: target), autostart: true).apps ?? []
        if !env {
            for i in apps.indices { apps[i].spec?.env = [:] }
        }
        if json {
            printOut(try AppTable.json(apps))
            return
        }
        for a in apps { printOut(render(a)) }
    }

    static func readiness(_ s: AppSpec) -> String {
        var parts: [String] = []
        parts.append(s.waitsForReady ? "wait_ready (listen_timeout \(s.readyTimeoutMs) ms)" : "online when started")
        if let w = s.watchdogMs { parts.append("watchdog_sec \(Double(w) / 1000) s") }
        return parts.joined(separator: ", ")
    }

    private func render(_ a: AppInfo) -> String {
        var lines: [(String, String)] = [
            ("status", Format.colored(a.status, a.status.rawValue) + (a.statusReason.map { " (\($0))" } ?? "")),
            ("name", a.name), ("namespace", a.namespace), ("id", String(a.id)), ("instance", String(a.instance)),
            ("pid", a.pid.map(String.init) ?? "-"),
            ("uptime", a.uptimeMs.map(Format.duration) ?? "-"),
            ("restarts", String(a.restarts)), ("unstable restarts", String(a.unstableRestarts)),
            ("processes", String(a.processCount)), ("cpu", Format.percent(a.cpu)), ("memory", Format.bytes(a.memory)),
            ("created", Format.time(ms: a.createdAt)),
        ]
        if let at = a.nextRestartAt { lines.append(("next restart", Format.time(ms: at))) }
        if let status = a.notifyStatus { lines.append(("app status", status)) }
        if let cron = a.spec?.cronRestart {
            lines.append(("cron_restart", cron + (a.nextCronAt.map { ", next run \(Format.time(ms: $0))" } ?? ", paused (stopped)")))
        }
        if let e = a.lastExit {
            lines.append(("last exit", "\(e.summary) at \(Format.time(ms: e.at)) after \(e.runMs) ms" + (e.requested ? " (requested)" : " (by itself)")))
        }
        if let s = a.spec {
            lines += [
                ("command", s.argv.map(ShellWords.quote).joined(separator: " ")), ("cwd", s.cwd),
                ("instances", String(s.instances)), ("autorestart", String(s.autorestart)),
                ("kill", "\(s.killSignal.name), SIGKILL after \(s.killTimeoutMs) ms, mode \(s.killMode.rawValue)"),
                ("restart policy", "min_uptime \(s.minUptimeMs) ms, max_restarts \(s.maxRestarts), "
                    + (s.expBackoffRestartDelayMs.map { "exp_backoff_restart_delay \($0) ms (max \(s.expBackoffMaxDelayMs) ms)" } ?? "restart_delay \(s.restartDelayMs) ms")
                    + (s.stopExitCodes.isEmpty ? "" : ", stop_exit_codes \(s.stopExitCodes.map(String.init).joined(separator: ","))")),
                ("memory limit", s.maxMemoryRestartBytes.map { "max_memory_restart \(Format.bytes(Int64(clamping: $0))) (whole app)" } ?? "-"),
                ("cgroup limits", DescribeCommand.limits(s)),
                ("readiness", DescribeCommand.readiness(s)),
            ]
        }
        if let c = a.cgroup { lines.append(("cgroup", c)) }
        if let l = a.logs {
            if a.logJournal == true { lines.append(("logs to", "the journal (SYSLOG_IDENTIFIER=\(a.name))")) }
            lines.append(("out log", l.out ?? "-"))
            lines.append(("error log", l.err ?? "-"))
            if let c = l.combined { lines.append(("combined log", c)) }
        }
        if let s = a.spec { lines.append(("log format", DescribeCommand.logFormat(s))) }
        if let rotations = a.logRotations, rotations > 0 { lines.append(("log rotations", String(rotations))) }
        if let dropped = a.logDroppedLines, dropped > 0 || a.logError != nil {
            lines.append(("log lines dropped", "\(dropped) (\(Format.bytes(a.logDroppedBytes ?? 0)))"
                + (a.logError.map { ", last error: \($0)" } ?? "")))
        }
        var out = "── \(a.name) (id \(a.id)) " + String(repeating: "─", count: max(4, 40 - a.name.count)) + "\n"
        let w = lines.map(\.0.count).max() ?? 0
        for (k, v) in lines { out += "  " + k + String(repeating: " ", count: w - k.count) + "  " + v + "\n" }
        if env, let s = a.spec {
            out += "  environment:\n"
            for k in s.env.keys.sorted() { out += "    \(k)=\(s.env[k]!)\n" }
        }
        if let ps = a.processes, !ps.isEmpty {
            out += "  processes:\n"
            for p in ps { out += "    \(p.pid) (parent \(p.ppid)) \(Format.bytes(p.rss))  \(p.command)\n" }
        }
        if let h = a.history, !h.isEmpty {
            out += "  history:\n"
            for e in h.suffix(15) {
                out += "    \(Format.time(ms: e.at))  \(e.event)" + (e.reason.map { ": \($0)" } ?? "") + "\n"
            }
        }
        return out
    }

    /// The line format and the rotation options the app itself sets (the daemon's
    /// SWISOR_LOG_* defaults apply to the others).
    static func logFormat(_ s: AppSpec) -> String {
        var parts: [String]
        switch s.logLineFormat {
        case .plain: parts = ["text"]
        case .timestamped(let f): parts = ["text, time stamp \(f.pattern)"]
        case .json(let f): parts = ["json, time stamp \(f.pattern)"]
        }
        if s.logType == .journal { parts = ["journal (files: \(parts[0]))"] }
        if let m = s.logMaxSizeBytes { parts.append("log_max_size \(Format.bytes(Int64(clamping: m)))") }
        if let r = s.logRotateInterval { parts.append("log_rotate_interval \(r)") }
        if let r = s.logRetain { parts.append("log_retain \(r)") }
        if s.logCompress == true { parts.append("log_compress") }
        return parts.joined(separator: ", ")
    }

    static func limits(_ s: AppSpec) -> String {
        var parts: [String] = []
        if let m = s.memoryMaxBytes { parts.append("memory_max \(Format.bytes(Int64(clamping: m)))") }
        if let m = s.memoryHighBytes { parts.append("memory_high \(Format.bytes(Int64(clamping: m)))") }
        if let t = s.tasksMax { parts.append("tasks_max \(t)") }
        if let c = s.cpuQuotaPercent { parts.append("cpu_quota \(c)%") }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }
}
