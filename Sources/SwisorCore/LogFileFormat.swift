/// What the lines of an app's log files look like, as far as a reader (`swisor logs`)
/// needs to know: the line format the daemon renders (`LogRecordRenderer`), or `.journal`
/// when the app's lines go to journald and its files get none.
public enum LogFileFormat: Sendable, Equatable {
    case lines(LogLineFormat)
    case journal

    public static let plain = LogFileFormat.lines(.plain)

    /// The value of `LogPaths.format` on the wire:
    ///
    ///     {"type":"plain"}
    ///     {"type":"time","date_format":"YYYY-MM-DDTHH:mm:ss.SSSZ"}
    ///     {"type":"json","date_format":"YYYY-MM-DDTHH:mm:ss.SSSZ"}
    ///     {"type":"journal"}
    ///
    /// The date format is always written out, the default included, so a reader never
    /// has to know which default the daemon had.
    public var wire: LogFormatWire {
        switch self {
        case .lines(.plain): LogFormatWire(type: "plain")
        case .lines(.timestamped(let f)): LogFormatWire(type: "time", dateFormat: f.pattern)
        case .lines(.json(let f)): LogFormatWire(type: "json", dateFormat: f.pattern)
        case .journal: LogFormatWire(type: "journal")
        }
    }

    /// The format a wire value names. A `time` or `json` without `date_format` has the
    /// default, ISO 8601. Throws, in one line, for a type this reader does not know (a
    /// newer daemon) or a date format it cannot parse, so the caller can say so and fall
    /// back to reading the lines as plain text.
    public init(wire: LogFormatWire) throws(LogFormatWireError) {
        func date() throws(LogFormatWireError) -> LogDateFormat {
            guard let pattern = wire.dateFormat else { return .iso8601 }
            do {
                return try LogDateFormat(pattern)
            } catch {
                throw LogFormatWireError("log format \"\(wire.type)\": \(error.message)")
            }
        }
        switch wire.type {
        case "plain": self = .plain
        case "time": self = .lines(.timestamped(try date()))
        case "json": self = .lines(.json(try date()))
        case "journal": self = .journal
        default:
            throw LogFormatWireError(
                "unknown log format \"\(wire.type)\" (known: plain, time, json, journal); is the daemon newer than this CLI?")
        }
    }
}

/// `LogPaths.format` as it travels: a type and, for the time-stamped types, the
/// `log_date_format` pattern.
public struct LogFormatWire: Codable, Sendable, Equatable {
    /// `plain`, `time`, `json` or `journal`.
    public var type: String
    /// The date format pattern, for `time` and `json`.
    public var dateFormat: String?

    public init(type: String, dateFormat: String? = nil) {
        self.type = type
        self.dateFormat = dateFormat
    }

    enum CodingKeys: String, CodingKey {
        case type
        case dateFormat = "date_format"
    }
}

/// Why a `LogPaths.format` cannot be read, in one line.
public struct LogFormatWireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
