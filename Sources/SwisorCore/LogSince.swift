/// The value of `swisor logs --since`: how far back to show lines from.
///
/// - A duration back from now: a number and a unit, `30s`, `10m`, `2h`, `1d`, `1.5h`,
///   `500ms` (`Units.parseDuration`'s forms plus `d` for days). A bare number is refused:
///   `--since 2026` must not silently mean two seconds ago.
/// - A date, `2026-11-22`: its midnight in local time.
/// - A local time, `2026-11-22 10:00`, `2026-11-22 10:00:30`, or with `T` for the blank,
///   optionally with a fraction of a second (`10:00:30.250`).
/// - An ISO 8601 instant: a time followed by `Z` or an offset, `+01:00`, `+0100` or `+01`.
///
/// A local time that happens twice (the hour repeated when DST ends) means its first
/// occurrence, so nothing asked for is left out; one that never happens (skipped when DST
/// starts) means the instant the clocks jumped.
public enum LogSince {
    /// Milliseconds since the Unix epoch for `text`, given the current instant and the local
    /// time zone.
    public static func parse(_ text: String, nowMs: Int64, zone: TimeZoneRules) throws(LogSinceError) -> Int64 {
        let bytes = Array(text.utf8)
        if bytes.count >= 5, bytes[0...3].allSatisfy(isDigit), bytes[4] == UInt8(ascii: "-") {
            var parser = TimeParser(bytes: bytes, text: text)
            return try parser.instant(zone: zone)
        }
        guard let ms = durationMs(text) else {
            throw LogSinceError(
                "\"\(text)\" is neither a duration (such as 30s, 10m, 2h, 1d) nor a time (such as 2026-11-22, "
                    + "2026-11-22 10:00, 2026-11-22T10:00:00Z)")
        }
        let (since, overflow) = nowMs.subtractingReportingOverflow(ms)
        guard !overflow else { throw LogSinceError("\"\(text)\" is too long ago") }
        return since
    }

    /// Milliseconds in a duration that has a unit.
    static func durationMs(_ text: String) -> Int64? {
        guard let last = text.utf8.last, !isDigit(last) else { return nil }
        if last == UInt8(ascii: "d") {
            guard let hours = Units.parseDuration(String(text.dropLast()) + "h") else { return nil }
            let (ms, overflow) = Int64(hours).multipliedReportingOverflow(by: 24)
            return overflow ? nil : ms
        }
        return Units.parseDuration(text).map(Int64.init)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// `YYYY-MM-DD[(T| )HH:mm[:ss[.fff]][Z|±HH[:]mm|±HH]]`.
    private struct TimeParser {
        let bytes: [UInt8]
        let text: String
        var i = 0

        func fail(_ what: String) -> LogSinceError {
            LogSinceError("\"\(text)\": \(what)")
        }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func instant(zone: TimeZoneRules) throws(LogSinceError) -> Int64 {
            let year = try number(4, "year")
            try expect("-", "expected '-' after the year")
            let month = try number(2, "month")
            guard (1...12).contains(month) else { throw fail("month \(month) is not 1 to 12") }
            try expect("-", "expected '-' after the month")
            let day = try number(2, "day")
            let days = Civil.daysIn(year: Int64(year), month: month)
            guard (1...days).contains(day) else { throw fail("day \(day) is not 1 to \(days)") }
            var civil = CivilTime(year: year, month: month, day: day)
            var millis: Int64 = 0
            var offset: Int64? = nil
            if let b = peek {
                guard b == UInt8(ascii: " ") || b == UInt8(ascii: "T") else {
                    throw fail("expected a blank or 'T' before the time of day")
                }
                i += 1
                civil.hour = try number(2, "hour")
                guard civil.hour <= 23 else { throw fail("hour \(civil.hour) is not 0 to 23") }
                try expect(":", "expected ':' after the hour")
                civil.minute = try number(2, "minute")
                guard civil.minute <= 59 else { throw fail("minute \(civil.minute) is not 0 to 59") }
                if peek == UInt8(ascii: ":") {
                    i += 1
                    civil.second = try number(2, "second")
                    guard civil.second <= 59 else { throw fail("second \(civil.second) is not 0 to 59") }
                    if peek == UInt8(ascii: ".") {
                        i += 1
                        millis = try fraction()
                    }
                }
                offset = try zoneOffset()
            }
            guard i == bytes.count else {
                throw fail("unexpected \"\(String(decoding: bytes[i...], as: UTF8.self))\" at the end")
            }
            let wall = civil.secondsSinceEpoch
            let seconds: Int64
            if let offset {
                seconds = wall - offset
            } else {
                switch zone.resolve(local: wall) {
                case .unique(let t): seconds = t
                case .repeated(let first, _): seconds = first
                case .skipped(let gapEnd): seconds = gapEnd
                }
            }
            return seconds * 1000 + millis
        }

        mutating func expect(_ c: Unicode.Scalar, _ message: String) throws(LogSinceError) {
            guard peek == UInt8(ascii: c) else { throw fail(message) }
            i += 1
        }

        /// Exactly `width` digits.
        mutating func number(_ width: Int, _ what: String) throws(LogSinceError) -> Int {
            var value = 0
            for _ in 0..<width {
                guard let b = peek, LogSince.isDigit(b) else { throw fail("expected \(width) digits for the \(what)") }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
                i += 1
            }
            return value
        }

        /// Milliseconds from the digits after the `.`; digits past the third are dropped.
        mutating func fraction() throws(LogSinceError) -> Int64 {
            var value: Int64 = 0
            var count = 0
            while let b = peek, LogSince.isDigit(b) {
                if count < 3 { value = value * 10 + Int64(b - UInt8(ascii: "0")) }
                count += 1
                i += 1
            }
            guard count > 0 else { throw fail("expected digits after '.'") }
            for _ in count..<max(count, 3) { value *= 10 }
            return value
        }

        /// Seconds east of UTC from `Z`, `±HH:mm`, `±HHmm` or `±HH`; nil when there is none.
        mutating func zoneOffset() throws(LogSinceError) -> Int64? {
            guard let b = peek else { return nil }
            if b == UInt8(ascii: "Z") || b == UInt8(ascii: "z") {
                i += 1
                return 0
            }
            guard b == UInt8(ascii: "+") || b == UInt8(ascii: "-") else { return nil }
            i += 1
            let hours = try number(2, "offset hours")
            var minutes = 0
            if peek == UInt8(ascii: ":") {
                i += 1
                minutes = try number(2, "offset minutes")
            } else if let next = peek, LogSince.isDigit(next) {
                minutes = try number(2, "offset minutes")
            }
            guard hours <= 23, minutes <= 59 else { throw fail("offset out of range") }
            let seconds = Int64(hours * 3600 + minutes * 60)
            return b == UInt8(ascii: "-") ? -seconds : seconds
        }
    }
}

/// Why a `--since` value cannot be read, in one line.
public struct LogSinceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
