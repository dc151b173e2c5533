/// Every app option the loader knows, by role, with PM2's aliases (lib/API/schema.json).
///
/// Each option is also accepted in camelCase (`max_restarts` → `maxRestarts`), derived from
/// its snake_case spellings by PM2's own rule (lib/tools/Config.js), so no table lists a name
/// twice.
enum EcosystemKeys {
    /// What a value of an option that is not read yet must look like, so that a file that
    /// loads today does not start failing the day the option is implemented.
    enum ValueKind: Sendable, Equatable {
        case any, bool, string, duration, memorySize
    }

    enum Role: Sendable, Equatable {
        /// Read into `AppSpec` by `EcosystemAppReader`.
        case supported
        /// A PM2 feature that has no meaning for swisor (Node instrumentation, PM2's own
        /// bookkeeping, file watching). Accepted so PM2 files load, and listed in one warning
        /// per app, unless the value is one of `harmless` (PM2's default, or "off"), which
        /// ignoring changes nothing about.
        case pm2Only(harmless: [JSON])
        /// A feature swisor will have. Accepted with a warning until then, unless the value
        /// is one of `harmless`. Implementing one means moving its line to `supported`.
        case notYet(kind: ValueKind, harmless: [JSON])
    }

    struct Option: Sendable {
        let name: String
        let aliases: [String]
        let role: Role

        init(_ name: String, aliases: [String] = [], _ role: Role) {
            self.name = name
            self.aliases = aliases
            self.role = role
        }
    }

    static let supported: [Option] = [
        Option("name", .supported),
        Option("script", aliases: ["cmd", "command", "exec"], .supported),
        Option("args", .supported),
        Option("interpreter", aliases: ["exec_interpreter"], .supported),
        Option("interpreter_args", aliases: ["node_args"], .supported),
        Option("cwd", .supported),
        Option("env", .supported),
        Option("namespace", .supported),
        Option("instances", .supported),
        Option("instance_var", .supported),
        Option("increment_var", .supported),
        Option("exec_mode", .supported),
        Option("autorestart", .supported),
        Option("kill_signal", .supported),
        Option("kill_timeout", .supported),
        Option("kill_mode", .supported),
        Option("treekill", .supported),
        Option("out_file", aliases: ["out", "output", "out_log"], .supported),
        Option("error_file", aliases: ["error", "err", "err_file", "err_log"], .supported),
        Option("log_file", aliases: ["log"], .supported),
        Option("disable_logs", .supported),
        Option("merge_logs", aliases: ["combine_logs"], .supported),
        Option("min_uptime", .supported),
        Option("max_restarts", .supported),
        Option("restart_delay", .supported),
        Option("exp_backoff_restart_delay", .supported),
        Option("exp_backoff_max_delay", .supported),
        Option("stop_exit_codes", .supported),
        Option("max_memory_restart", .supported),
        Option("cron_restart", aliases: ["cron"], .supported),
        Option("autostart", .supported),
        Option("memory_max", .supported),
        Option("memory_high", .supported),
        Option("tasks_max", .supported),
        Option("cpu_quota", .supported),
        Option("wait_ready", .supported),
        Option("listen_timeout", .supported),
        Option("watchdog_sec", .supported),
        Option("port", .supported),
        Option("append_env_to_name", .supported),
        Option("log_date_format", .supported),
        Option("time", .supported),
        Option("log_type", .supported),
        Option("log_max_size", .supported),
        Option("log_retain", .supported),
        Option("log_compress", .supported),
        Option("log_rotate_interval", .supported),
    ]

    /// The one list of options that swisor will implement (docs/semantics.md, "Ecosystem file", describes most).
    static let notYet: [Option] = [
        // Running as another user needs the daemon to be root; PM2 has these.
        Option("uid", aliases: ["user"], .notYet(kind: .any, harmless: [])),
        Option("gid", .notYet(kind: .any, harmless: [])),
        // PM2: true drops the inherited environment, a string or list drops matching names.
        Option("filter_env", .notYet(kind: .any, harmless: [.bool(false)])),
    ]

    /// From PM2's schema.json; `harmless` is PM2's default where it has one.
    static let pm2Only: [Option] = [
        Option("pmx", .pm2Only(harmless: [.bool(true)])),
        Option("vizion", .pm2Only(harmless: [.bool(true)])),
        Option("automation", .pm2Only(harmless: [.bool(true)])),
        Option("source_map_support", .pm2Only(harmless: [.bool(true)])),
        Option("disable_source_map_support", .pm2Only(harmless: [.bool(false)])),
        Option("trace", .pm2Only(harmless: [.bool(false)])),
        Option("disable_trace", .pm2Only(harmless: [.bool(true)])),
        Option("v8", .pm2Only(harmless: [.bool(false)])),
        Option("event_loop_inspector", .pm2Only(harmless: [.bool(false)])),
        Option("deep_monitoring", .pm2Only(harmless: [.bool(false)])),
        Option("io", .pm2Only(harmless: [])),
        Option("watch", .pm2Only(harmless: [.bool(false)])),
        Option("ignore_watch", .pm2Only(harmless: [])),
        Option("watch_options", .pm2Only(harmless: [])),
        Option("watch_delay", .pm2Only(harmless: [])),
        Option("post_update", .pm2Only(harmless: [])),
        Option("force", .pm2Only(harmless: [.bool(false)])),
        Option("shutdown_with_message", .pm2Only(harmless: [.bool(false)])),
        Option("kill_retry_time", .pm2Only(harmless: [.int(100)])),
        Option("windowsHide", .pm2Only(harmless: [.bool(true)])),
        Option("pid_file", aliases: ["pid"], .pm2Only(harmless: [])),
        Option("install_url", .pm2Only(harmless: [])),
        Option("execute_command", .pm2Only(harmless: [])),
        Option("write", .pm2Only(harmless: [])),
        Option("name_prefix", .pm2Only(harmless: [])),
        Option("username", .pm2Only(harmless: [])),
    ]

    static let all: [Option] = supported + notYet + pm2Only

    /// Every accepted spelling → its option. A spelling that two options would share is a
    /// bug in the tables; the tests check there is none.
    static let bySpelling: [String: Option] = {
        var map: [String: Option] = [:]
        for option in all {
            for spelling in spellings(of: option) where map[spelling] == nil {
                map[spelling] = option
            }
        }
        return map
    }()

    static func option(spelled key: String) -> Option? { bySpelling[key] }

    /// The name, the aliases, and the camelCase form of each.
    static func spellings(of option: Option) -> [String] {
        var result: [String] = []
        for snake in [option.name] + option.aliases {
            for spelling in [snake, camelCase(snake)] where !result.contains(spelling) {
                result.append(spelling)
            }
        }
        return result
    }

    /// PM2's rule: the words after the first get a capital, except one-letter words.
    static func camelCase(_ snake: String) -> String {
        snake.split(separator: "_", omittingEmptySubsequences: false).enumerated().map { i, word in
            i != 0 && word.count > 1 ? word.prefix(1).uppercased() + word.dropFirst() : String(word)
        }.joined()
    }

    /// The known spelling closest to a mistyped `key`, when it is close enough to be the
    /// likely intent: at most 2 edits (1 for keys under 5 letters, where 2 edits reach
    /// unrelated words: "foo" is 2 from "log").
    static func suggestion(for key: String, among candidates: [String]? = nil) -> String? {
        let lowered = Array(key.lowercased())
        let limit = lowered.count < 5 ? 1 : 2
        var best: (spelling: String, distance: Int)? = nil
        for spelling in candidates ?? all.flatMap(spellings(of:)) {
            let d = editDistance(lowered, Array(spelling.lowercased()))
            if d <= limit, d < (best?.distance ?? Int.max) { best = (spelling, d) }
        }
        return best?.spelling
    }

    /// Optimal string alignment distance: Levenshtein plus the swap of two neighbours, the
    /// commonest typo ("nmae").
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
