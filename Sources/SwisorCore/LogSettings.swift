/// `log_type`: where and how an app's lines are written.
public enum LogType: String, Codable, Sendable, Equatable, CaseIterable {
    /// Text lines in the log files (the default): as written, or with a time stamp
    /// (`time`, `log_date_format`).
    case text
    /// One JSON object per line in the log files (`LogLineFormat.json`).
    case json
    /// Each line to the systemd journal (sd_journal_sendv); where no journal runs, text
    /// lines in the log files, with one warning.
    case journal
}

extension AppSpec {
    /// How each line is rendered into the app's log files, exactly as `LogRecordRenderer`
    /// documents it: `.json` with `log_type: "json"` (time stamps in `log_date_format`,
    /// else ISO 8601), `.timestamped` with `log_date_format` or `time: true`, else `.plain`.
    /// For a journal app this is the format of its fallback files.
    public var logLineFormat: LogLineFormat {
        // The loader validated the pattern; one from elsewhere that does not parse is
        // taken as absent rather than failing the app.
        let date = logDateFormat.flatMap { try? LogDateFormat($0) }
        if logType == .json { return .json(date ?? .iso8601) }
        if let date { return .timestamped(date) }
        if time == true { return .timestamped(.iso8601) }
        return .plain
    }

    /// The app asked for the journal itself (`log_type: "journal"`). Apps that give no
    /// `log_type` follow the daemon's default (`LogDefaults.journal`).
    public var logsToJournal: Bool { logType == .journal }

    /// The app's log options with the daemon's defaults filled in.
    public func logSettings(defaults: LogDefaults) -> LogSettings {
        LogSettings(
            format: logLineFormat,
            journal: logType == .journal || (logType == nil && defaults.journal),
            maxSizeBytes: logMaxSizeBytes ?? defaults.maxSizeBytes,
            retain: logRetain ?? defaults.retain ?? LogSettings.defaultRetain,
            compress: logCompress ?? defaults.compress ?? false,
            rotateInterval: (logRotateInterval ?? defaults.rotateInterval).flatMap { try? CronExpression.parse($0) }
        )
    }
}

/// The log options of one app as the daemon applies them.
public struct LogSettings: Sendable, Equatable {
    public var format: LogLineFormat
    /// Lines go to the journal (files only when none runs).
    public var journal: Bool
    /// Rotate a file when it reaches this size; nil: never by size.
    public var maxSizeBytes: UInt64?
    /// Rotated files kept per log.
    public var retain: Int
    public var compress: Bool
    /// Rotate on this schedule (the daemon's local time); nil: never by time.
    public var rotateInterval: CronExpression?

    /// pm2-logrotate's default: enough history to look back a month of daily rotations,
    /// and a bound on the disk a forgotten app can fill.
    public static let defaultRetain = 30
    /// Smaller sizes would rotate on almost every line: certainly a mistake ("10" for
    /// "10M"), and a storm of renames.
    public static let minimumMaxSize: UInt64 = 1024

    public init(format: LogLineFormat = .plain, journal: Bool = false, maxSizeBytes: UInt64? = nil,
                retain: Int = LogSettings.defaultRetain, compress: Bool = false, rotateInterval: CronExpression? = nil) {
        self.format = format
        self.journal = journal
        self.maxSizeBytes = maxSizeBytes
        self.retain = retain
        self.compress = compress
        self.rotateInterval = rotateInterval
    }
}

/// Daemon-wide defaults for the log options, from the daemon's environment (set them in
/// the systemd unit, `Environment=SWISOR_LOG_MAX_SIZE=100M`): an app's own option wins.
///
/// | variable | value |
/// |---|---|
/// | `SWISOR_LOG_MAX_SIZE` | a size, at least 1K (`100M`) |
/// | `SWISOR_LOG_RETAIN` | rotated files kept, 1 or more |
/// | `SWISOR_LOG_COMPRESS` | `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`) |
/// | `SWISOR_LOG_ROTATE_INTERVAL` | a cron expression (`0 0 * * *`) |
/// | `SWISOR_LOG_TYPE` | `journal` (apps without `log_type` log to the journal) or `text` |
public struct LogDefaults: Sendable, Equatable {
    public var maxSizeBytes: UInt64?
    public var retain: Int?
    public var compress: Bool?
    /// Validated: `CronExpression.parse` accepts it.
    public var rotateInterval: String?
    public var journal: Bool

    public init(maxSizeBytes: UInt64? = nil, retain: Int? = nil, compress: Bool? = nil,
                rotateInterval: String? = nil, journal: Bool = false) {
        self.maxSizeBytes = maxSizeBytes
        self.retain = retain
        self.compress = compress
        self.rotateInterval = rotateInterval
        self.journal = journal
    }

    public static let variables = [
        "SWISOR_LOG_MAX_SIZE", "SWISOR_LOG_RETAIN", "SWISOR_LOG_COMPRESS", "SWISOR_LOG_ROTATE_INTERVAL",
        "SWISOR_LOG_TYPE",
    ]

    /// Reads the variables that are set; a bad value is ignored with one line naming the
    /// variable and what it expects (the daemon logs it and runs on: a typo in a unit file
    /// must not keep every app from starting).
    public static func parse(environment: [String: String]) -> (defaults: LogDefaults, problems: [String]) {
        var d = LogDefaults()
        var problems: [String] = []
        func value(_ name: String) -> String? {
            guard let v = environment[name], !v.isEmpty else { return nil }
            return v
        }
        if let v = value("SWISOR_LOG_MAX_SIZE") {
            if let bytes = Units.parseMemorySize(v), bytes >= LogSettings.minimumMaxSize {
                d.maxSizeBytes = bytes
            } else {
                problems.append("SWISOR_LOG_MAX_SIZE=\(v): expected a size of at least 1K (\(Units.memorySizeForms)); ignored")
            }
        }
        if let v = value("SWISOR_LOG_RETAIN") {
            if let n = Int(v), n >= 1 {
                d.retain = n
            } else {
                problems.append("SWISOR_LOG_RETAIN=\(v): expected a number of rotated files, 1 or more; ignored")
            }
        }
        if let v = value("SWISOR_LOG_COMPRESS") {
            if let b = parseBool(v) {
                d.compress = b
            } else {
                problems.append("SWISOR_LOG_COMPRESS=\(v): expected true or false; ignored")
            }
        }
        if let v = value("SWISOR_LOG_ROTATE_INTERVAL") {
            do {
                _ = try CronExpression.parse(v)
                d.rotateInterval = v
            } catch {
                problems.append("SWISOR_LOG_ROTATE_INTERVAL=\(v): invalid cron expression: \(error.message); ignored")
            }
        }
        if let v = value("SWISOR_LOG_TYPE") {
            switch v {
            case "journal": d.journal = true
            case "text": d.journal = false
            default: problems.append("SWISOR_LOG_TYPE=\(v): expected journal or text; ignored")
            }
        }
        return (d, problems)
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: return nil
        }
    }
}
