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

    /// `","app":"web","id":0,"stream":"out","message":"`, per stream.
    private let jsonFieldsOut: [UInt8]
    private let jsonFieldsErr: [UInt8]
    /// The last time stamp, already JSON-escaped for `.json`, and the second (or
    /// millisecond) it shows.
    private var stamp: [UInt8] = []
    private var stampKey: Int64?

    public init(app: String, instance: Int, format: LogLineFormat, zone: TimeZoneRules) {
        self.format = format
        self.zone = zone
        func fields(_ stream: LogStream) -> [UInt8] {
            var out = Array(#"","app":""#.utf8)
            Self.appendEscaped(app, to: &out)
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
        switch format {
        case .plain:
            out.append(contentsOf: bytes)
            if end != .cut { out.append(0x0A) }
        case .timestamped(let dateFormat):
            if !isContinuation {
                updateStamp(dateFormat, epochMs, escaped: false)
                out.append(contentsOf: stamp)
                out.append(contentsOf: ": ".utf8)
            }
            out.append(contentsOf: bytes)
            if end != .cut { out.append(0x0A) }
        case .json(let dateFormat):
            updateStamp(dateFormat, epochMs, escaped: true)
            out.append(contentsOf: #"{"timestamp":""#.utf8)
            out.append(contentsOf: stamp)
            out.append(contentsOf: stream == .out ? jsonFieldsOut : jsonFieldsErr)
            Self.appendEscaped(bytes, to: &out)
            out.append(UInt8(ascii: "\""))
            if end == .cut { out.append(contentsOf: #","cut":true"#.utf8) }
            out.append(contentsOf: "}\n".utf8)
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

    private mutating func updateStamp(_ dateFormat: LogDateFormat, _ epochMs: Int64, escaped: Bool) {
        let key = dateFormat.showsMilliseconds ? epochMs : Civil.floorDiv(epochMs, 1000)
        guard key != stampKey else { return }
        stampKey = key
        stamp.removeAll(keepingCapacity: true)
        if escaped {
            // Literal text of a user's format may hold a quote or a backslash.
            var text: [UInt8] = []
            dateFormat.append(epochMs: epochMs, in: zone, to: &text)
            text.withUnsafeBytes { Self.appendEscaped($0, to: &stamp) }
        } else {
            dateFormat.append(epochMs: epochMs, in: zone, to: &stamp)
        }
    }

    // MARK: JSON string escaping over bytes

    /// Appends `bytes` as the inside of a JSON string (no quotes), escaped exactly as
    /// `JSON.serialized()` escapes a `String` (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
    /// `\u00XX` for other control characters, everything else as is). Bytes that are not
    /// well-formed UTF-8 become U+FFFD, one per maximal ill-formed subpart (Unicode 15,
    /// 3.9), which is what `String(decoding:as:)` does, so the result is always valid JSON.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let count = bytes.count
        var runStart = 0
        var i = 0
        func flushRun(to end: Int, _ out: inout [UInt8]) {
            if end > runStart { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<end])) }
        }
        while i < count {
            let b = bytes[i]
            if b >= 0x20 && b < 0x80 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if b >= 0x80 {
                let (length, valid) = utf8Sequence(bytes, at: i)
                if valid {
                    i += length
                    continue
                }
                flushRun(to: i, &out)
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += length
                runStart = i
                continue
            }
            flushRun(to: i, &out)
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            default:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0xF)])
            }
            i += 1
            runStart = i
        }
        flushRun(to: count, &out)
    }

    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The UTF-8 sequence that starts with the non-ASCII byte at `i`: its length when it is
    /// well-formed (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing above
    /// U+10FFFF), else the length of its maximal ill-formed subpart (at least 1).
    static func utf8Sequence(_ bytes: UnsafeRawBufferPointer, at i: Int) -> (length: Int, valid: Bool) {
        let need: Int
        // The range allowed for the second byte; the others are always 0x80...0xBF.
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch bytes[i] {
        case 0xC2...0xDF: need = 1
        case 0xE0: (need, low) = (2, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: (need, high) = (2, 0x9F)
        case 0xF0: (need, low) = (3, 0x90)
        case 0xF1...0xF3: need = 3
        case 0xF4: (need, high) = (3, 0x8F)
        default: return (1, false)  // a stray continuation byte, C0, C1, F5...FF
        }
        var j = 1
        while j <= need {
            guard i + j < bytes.count else { return (j, false) }
            let c = bytes[i + j]
            guard c >= low && c <= high else { return (j, false) }
            low = 0x80
            high = 0xBF
            j += 1
        }
        return (need + 1, true)
    }
}
