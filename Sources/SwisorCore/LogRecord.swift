/// Which pipe of an app a line came from.
public enum LogStream: String, Sendable, Equatable {
    case out
    case err
}

/// How each line of an app's output is written to its log files.
public enum LogLineFormat: Sendable, Equatable {
    /// The app's bytes as they are (PM2's default).
    case plain
    /// `<time>: <line>`, as PM2 writes with `log_date_format` (`time: true` is
    /// `.timestamped(.iso8601)`).
    case timestamped(LogDateFormat)
    /// One JSON object per line (`log_type: "json"`):
    ///
    ///     {"timestamp":"2026-11-22T10:00:00.123+01:00","app":"web","id":0,"stream":"out","message":"ready"}
    ///
    /// with `log_date_format` for the time stamp when there is one, else `.iso8601`. PM2's
    /// keys are `message`, `timestamp`, `type`, `process_id` and `app_name`; these say the
    /// same in swisor's own words. A piece of a cut line (`LineFramer`) has `"cut":true`
    /// after its message: its message continues in the next record of that stream.
    case json(LogDateFormat)
}

/// Renders the lines of one instance into the bytes written to its log files.
///
/// One renderer per instance: the parts of a JSON record that never change (app name, id,
/// stream) are escaped once, and the time stamp is formatted once per second (once per
/// millisecond for formats that show milliseconds), since the daemon stamps every line of
/// a chunk with the time the chunk was read.
///
/// In the text formats a line longer than `LineFramer.maxLineBytes` is written whole: its
/// cut pieces get no newline and its continuation pieces no prefix, so a file holds what
/// the app wrote. (In a combined file, a line of the other stream may then land between two
/// pieces of a very long line; JSON records keep them apart.) A line that ended without a
/// newline (`.endOfInput`, the app exited mid-line) gets one, so that what the next run
/// writes starts on a line of its own.
public struct LogRecordRenderer: Sendable {
    public let format: LogLineFormat
    /// The zone of the time stamps: the daemon's local time.
    public let zone: TimeZoneRules

    /// `format` taken apart once: switching on an enum with a payload copies the payload
    /// (an array of tokens, retained and released) on every line.
    private enum Kind { case plain, timestamped, json }
    private let kind: Kind
    private let dateFormat: LogDateFormat
    private let showsMilliseconds: Bool
    /// `","app":"web","id":0,"stream":"out","message":"`, per stream.
    private let jsonFieldsOut: [UInt8]
    /// Constant parts, as bytes (appending a string's UTF-8 view per line costs more).
    private static let stampSeparator = Array(": ".utf8)
    private static let jsonStart = Array(#"{"timestamp":""#.utf8)
    private static let jsonCut = Array(#","cut":true"#.utf8)
    private static let jsonEnd = Array("}\n".utf8)
    private let jsonFieldsErr: [UInt8]
    /// The last time stamp, already JSON-escaped for `.json`, and the second (or
    /// millisecond) it shows.
    private var stamp: [UInt8] = []
    private var stampKey: Int64?

    public init(app: String, instance: Int, format: LogLineFormat, zone: TimeZoneRules) {
        self.format = format
        self.zone = zone
        switch format {
        case .plain: (kind, dateFormat) = (.plain, .iso8601)
        case .timestamped(let f): (kind, dateFormat) = (.timestamped, f)
        case .json(let f): (kind, dateFormat) = (.json, f)
        }
        showsMilliseconds = dateFormat.showsMilliseconds
        func fields(_ stream: LogStream) -> [UInt8] {
            var out = Array(#"","app":""#.utf8)
            JSON.appendEscaped(app, to: &out)
            out.append(contentsOf: #"","id":"#.utf8)
            LogDateFormat.appendNumber(Int64(instance), width: 1, to: &out)
            out.append(contentsOf: #","stream":""#.utf8)
            out.append(contentsOf: stream.rawValue.utf8)
            out.append(contentsOf: #"","message":""#.utf8)
            return out
        }
        jsonFieldsOut = fields(.out)
        jsonFieldsErr = fields(.err)
    }

    /// Appends the rendering of one line (or piece of a line) from the framer, received at
    /// `epochMs`, to `out`.
    public mutating func append(_ line: LineFramer.Line, stream: LogStream, at epochMs: Int64, to out: inout [UInt8]) {
        append(line.bytes, end: line.end, isContinuation: line.isContinuation, stream: stream, at: epochMs, to: &out)
    }

    /// Appends the rendering of `bytes` (a line without its `\n`) to `out`.
    public mutating func append(
        _ bytes: UnsafeRawBufferPointer, end: LineFramer.Line.End = .newline, isContinuation: Bool = false,
        stream: LogStream, at epochMs: Int64, to out: inout [UInt8]
    ) {
        switch kind {
        case .plain:
            out.append(contentsOf: bytes)
            if end != .cut { out.append(0x0A) }
        case .timestamped:
            if !isContinuation {
                updateStamp(epochMs, escaped: false)
                out.append(contentsOf: stamp)
                out.append(contentsOf: LogRecordRenderer.stampSeparator)
            }
            out.append(contentsOf: bytes)
            if end != .cut { out.append(0x0A) }
        case .json:
            updateStamp(epochMs, escaped: true)
            out.append(contentsOf: LogRecordRenderer.jsonStart)
            out.append(contentsOf: stamp)
            out.append(contentsOf: stream == .out ? jsonFieldsOut : jsonFieldsErr)
            JSON.appendEscaped(bytes, to: &out)
            out.append(UInt8(ascii: "\""))
            if end == .cut { out.append(contentsOf: LogRecordRenderer.jsonCut) }
            out.append(contentsOf: LogRecordRenderer.jsonEnd)
        }
    }

    /// `[UInt8]` convenience for `append(_:end:isContinuation:stream:at:to:)`.
    public mutating func append(
        _ bytes: [UInt8], end: LineFramer.Line.End = .newline, isContinuation: Bool = false,
        stream: LogStream, at epochMs: Int64, to out: inout [UInt8]
    ) {
        bytes.withUnsafeBytes {
            append($0, end: end, isContinuation: isContinuation, stream: stream, at: epochMs, to: &out)
        }
    }

    private mutating func updateStamp(_ epochMs: Int64, escaped: Bool) {
        let key = showsMilliseconds ? epochMs : Civil.floorDiv(epochMs, 1000)
        guard key != stampKey else { return }
        stampKey = key
        stamp.removeAll(keepingCapacity: true)
        if escaped {
            // Literal text of a user's format may hold a quote or a backslash.
            var text: [UInt8] = []
            dateFormat.append(epochMs: epochMs, in: zone, to: &text)
            text.withUnsafeBytes { JSON.appendEscaped($0, to: &stamp) }
        } else {
            dateFormat.append(epochMs: epochMs, in: zone, to: &stamp)
        }
    }
}
