/// One line of a log file as `swisor logs` reads it back.
public struct LogEntry: Sendable, Equatable {
    /// The instant recorded with the line (a JSON record's `timestamp`, a time-stamped
    /// line's prefix), when the file records one and it reads back; nil for plain lines.
    public var timeMs: Int64?
    /// True when the line has no time of its own but belongs with the line before it: a
    /// line without a readable stamp in a time-stamped file (a line written before `time`
    /// was turned on, or text a user pasted), or a continuation piece of a cut JSON line.
    /// A `--since` filter gives it the previous line's verdict.
    public var inheritsTime: Bool
    /// What the text output shows: the line as in the file for plain and time-stamped
    /// files; `<timestamp>: <message>` for a JSON record (the same layout as a
    /// time-stamped file), or the bare message for a piece that continues a cut line.
    public var text: [UInt8]
    /// The app's own bytes, without any stamp: the `message` of `--json` output.
    public var message: [UInt8]
    /// The stream a JSON record names; nil otherwise (the file's stream applies).
    public var stream: LogStream?
    /// A JSON record with `"cut":true`: the message continues in the next record.
    public var cut: Bool
    /// This record continues a cut one: the text output joins it to the previous line
    /// (no prefix), as a time-stamped file does.
    public var continuesCut: Bool

    public init(
        timeMs: Int64? = nil, inheritsTime: Bool = false, text: [UInt8], message: [UInt8], stream: LogStream? = nil,
        cut: Bool = false, continuesCut: Bool = false
    ) {
        self.timeMs = timeMs
        self.inheritsTime = inheritsTime
        self.text = text
        self.message = message
        self.stream = stream
        self.cut = cut
        self.continuesCut = continuesCut
    }
}

/// Reads the lines of one log file (without their `\n`) back into `LogEntry`s, per the
/// file's `LogLineFormat`. One reader per file, in file order: a JSON record that
/// follows a cut one is its continuation.
public struct LogLineReader: Sendable {
    public let format: LogLineFormat
    public let zone: TimeZoneRules
    private var previousCut = false

    public init(format: LogLineFormat, zone: TimeZoneRules) {
        self.format = format
        self.zone = zone
    }

    public mutating func read(_ line: UnsafeRawBufferPointer) -> LogEntry {
        switch format {
        case .plain:
            let bytes = Array(line)
            return LogEntry(text: bytes, message: bytes)
        case .timestamped(let dateFormat):
            let bytes = Array(line)
            // `<stamp>: <line>`; a cut line is whole in the file (its pieces are joined).
            if let (ms, length) = dateFormat.readBack(line, zone: zone), length + 2 <= line.count,
                line[length] == UInt8(ascii: ":"), line[length + 1] == UInt8(ascii: " ")
            {
                return LogEntry(timeMs: ms, text: bytes, message: Array(line[(length + 2)...]))
            }
            return LogEntry(inheritsTime: true, text: bytes, message: bytes)
        case .json(let dateFormat):
            let continues = previousCut
            guard let record = try? JSON.parse(Array(line)).objectValue, let message = record["message"]?.stringValue
            else {
                // Not a record (a line written before `log_type` was json, a torn write):
                // shown as it is, with the time of the line before it.
                previousCut = false
                let bytes = Array(line)
                return LogEntry(inheritsTime: true, text: bytes, message: bytes)
            }
            let stamp = record["timestamp"]?.stringValue
            let time = stamp.flatMap { dateFormat.readBack(Array($0.utf8), zone: zone) }
            let cut = record["cut"]?.boolValue == true
            previousCut = cut
            var text: [UInt8] = []
            if let stamp, !continues {
                text.append(contentsOf: stamp.utf8)
                text.append(contentsOf: ": ".utf8)
            }
            text.append(contentsOf: message.utf8)
            // A stamp that is not entirely the date format's (edited by hand) is no time.
            let timeMs = time.flatMap { $0.length == stamp?.utf8.count ? $0.epochMs : nil }
            return LogEntry(
                timeMs: timeMs, inheritsTime: timeMs == nil, text: text, message: Array(message.utf8),
                stream: record["stream"]?.stringValue.flatMap(LogStream.init(rawValue:)), cut: cut,
                continuesCut: continues)
        }
    }

    public mutating func read(_ line: [UInt8]) -> LogEntry {
        line.withUnsafeBytes { read($0) }
    }
}

/// `swisor logs --since`: which lines to show, one verdict per line, in file order.
///
/// A line with a time is shown when its time is at or after `sinceMs`. A line without
/// one that belongs with the line before it (`inheritsTime`) gets that line's verdict;
/// one that begins the file, and every line of a plain file, is shown: whole files last
/// written before `sinceMs` are skipped by the caller (`LogFiles.lastWriteBound`), which
/// is all a file without times allows.
public struct LogSinceFilter: Sendable {
    public let sinceMs: Int64
    private var last: Bool?

    public init(sinceMs: Int64) {
        self.sinceMs = sinceMs
    }

    public mutating func keep(_ entry: LogEntry) -> Bool {
        let verdict: Bool
        if let t = entry.timeMs {
            verdict = t >= sinceMs
        } else if entry.inheritsTime {
            verdict = last ?? true
        } else {
            verdict = true
        }
        last = verdict
        return verdict
    }
}

/// Renders the lines `swisor logs` prints.
///
/// Text, one line each (`--timestamp` adds the time the line was read first):
///
///     0|web|out| listening on :8080
///     2026-11-22T10:00:00.123+01:00 0|web|out| listening on :8080
///
/// JSON (`--json`), one object per line:
///
///     {"timestamp":"2026-11-22T10:00:00.123+01:00","app":"web","id":0,"stream":"out","message":"listening on :8080"}
///
/// `timestamp` is the time the file records with the line (ISO 8601 in local time,
/// whatever the file's date format); for a line without one it is the time it was read
/// with `--timestamp`, else null. A piece of a cut line keeps `"cut":true`.
public struct LogPrinter: Sendable {
    public let json: Bool
    public let timestamp: Bool
    public let zone: TimeZoneRules
    /// `0|web|` for text; `,"app":"web","id":0,"stream":"` for JSON.
    private let head: [UInt8]

    public init(app: String, id: Int, json: Bool, timestamp: Bool, zone: TimeZoneRules) {
        self.json = json
        self.timestamp = timestamp
        self.zone = zone
        var head: [UInt8] = []
        if json {
            head.append(contentsOf: #","app":""#.utf8)
            JSON.appendEscaped(app, to: &head)
            head.append(contentsOf: #"","id":"#.utf8)
            head.append(contentsOf: String(id).utf8)
            head.append(contentsOf: #","stream":""#.utf8)
        } else {
            head.append(contentsOf: "\(id)|\(app)|".utf8)
        }
        self.head = head
    }

    /// Appends the output for `entry`, read from a file of `stream` at `receivedMs`.
    public func append(_ entry: LogEntry, stream fileStream: LogStream, receivedMs: Int64, to out: inout [UInt8]) {
        let stream = entry.stream ?? fileStream
        if json {
            out.append(contentsOf: #"{"timestamp":"#.utf8)
            if let t = entry.timeMs ?? (timestamp ? receivedMs : nil) {
                out.append(UInt8(ascii: "\""))
                LogDateFormat.iso8601.append(epochMs: t, in: zone, to: &out)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: "null".utf8)
            }
            out.append(contentsOf: head)
            out.append(contentsOf: stream.rawValue.utf8)
            out.append(contentsOf: #"","message":""#.utf8)
            entry.message.withUnsafeBytes { JSON.appendEscaped($0, to: &out) }
            out.append(UInt8(ascii: "\""))
            if entry.cut { out.append(contentsOf: #","cut":true"#.utf8) }
            out.append(contentsOf: "}\n".utf8)
            return
        }
        if !entry.continuesCut {
            if timestamp {
                LogDateFormat.iso8601.append(epochMs: receivedMs, in: zone, to: &out)
                out.append(UInt8(ascii: " "))
            }
            out.append(contentsOf: head)
            out.append(contentsOf: stream.rawValue.utf8)
            out.append(contentsOf: "| ".utf8)
        }
        out.append(contentsOf: entry.text)
        if !entry.cut { out.append(0x0A) }
    }
}

/// The files of one log, as `swisor logs` reaches back into them.
public enum LogFiles {
    /// A rotated file of a log (`RotationPlan`'s names), found in the log's directory.
    public struct Rotated: Sendable, Equatable {
        /// The file name, in the log's directory.
        public var name: String
        /// `YYYY-MM-DD_HH-mm-ss`, the daemon's local time of the rotation.
        public var stamp: String
        public var counter: Int
        public var compressed: Bool
    }

    /// The rotated files of the log at `logPath` among `names` (its directory's listing),
    /// oldest first: by the stamp in their names, then by their `.N`.
    public static func rotated(forLog logPath: String, in names: [String]) -> [Rotated] {
        let log = RotationPlan.LogName(path: logPath)
        var found: [Rotated] = []
        for name in names {
            if let (stamp, counter) = RotationPlan.parseRotatedName(name, of: log) {
                found.append(Rotated(name: name, stamp: stamp, counter: counter, compressed: name.hasSuffix(".gz")))
            }
        }
        // Stamps are fixed-width, most significant first: text order is time order.
        return found.sorted { ($0.stamp, $0.counter, $0.name) < ($1.stamp, $1.counter, $1.name) }
    }

    /// A time no line of a file is later than: its modification time (the last write;
    /// compressing a rotated file only makes it later), and for a rotated file also the
    /// time in its name (the rotation, after the last line), read in `zone` plus an hour
    /// and a second, since the name has whole seconds and no offset (in the hour repeated
    /// when DST ends it names two instants; the later one is an hour after the first).
    /// `swisor logs --since` skips a file whose bound is before the time asked for.
    public static func lastWriteBound(mtimeMs: Int64, rotatedStamp: String?, zone: TimeZoneRules) -> Int64 {
        guard let stamp = rotatedStamp, let (ms, _) = RotationPlan.stampFormat.readBack(Array(stamp.utf8), zone: zone)
        else { return mtimeMs }
        return min(mtimeMs, ms + 3_601_000)
    }
}
