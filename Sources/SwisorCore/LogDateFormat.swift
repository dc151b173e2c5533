/// A `log_date_format` as PM2 users write it: dayjs (and moment) tokens such as
/// `YYYY-MM-DD HH:mm:ss Z` (docs/semantics.md, "Logs").
///
/// The pattern is parsed once into tokens; formatting an instant then only appends bytes.
/// Parsing is lenient as dayjs is: letters that are not tokens (`T`, `o`, `Q`...) are
/// literal text, and `[...]` makes anything literal (`[at] HH:mm`). Tokens are matched
/// longest first (`YYYYY` is `YYYY` and a literal `Y`). Only a pattern that could never
/// show a time (empty, or without a single token) is refused, since that is a mistake
/// (`"log_date_format": "true"`), not a format.
///
/// | Token | Output | Token | Output |
/// |---|---|---|---|
/// | `YYYY` | 2026 | `YY` | 26 |
/// | `M` `MM` | 1 01 | `MMM` `MMMM` | Jan January |
/// | `D` `DD` | 2 02 | `d` | 0-6, 0 = Sunday |
/// | `dd` `ddd` `dddd` | Su Sun Sunday | `H` `HH` | 0-23, padded |
/// | `h` `hh` | 1-12, padded | `A` `a` | AM am |
/// | `m` `mm` | minute | `s` `ss` | second |
/// | `SSS` | milliseconds | `Z` `ZZ` | +01:00 +0100 |
/// | `X` | Unix seconds | `x` | Unix milliseconds |
///
/// `X` and `x` come from dayjs's advancedFormat plugin (moment has them built in); the
/// letters of the plugins' other tokens (`Q`, `k`, `W`, the `o` of `Do`...) are literal
/// text here. `YY` is the last two digits of the year. Names are English, as dayjs without
/// a locale. An offset that is not a whole minute (local mean time, before about 1900) is
/// truncated to the minute, and the wall time is shown with that same offset, so the text
/// still names the exact instant.
public struct LogDateFormat: Sendable, Equatable, CustomStringConvertible {
    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case year4, year2
        case month, month2, monthShort, monthLong
        case day, day2
        case weekday, weekdayMin, weekdayShort, weekdayLong
        case hour24, hour24Padded, hour12, hour12Padded
        case minute, minutePadded, second, secondPadded, milliseconds
        case offsetColon, offsetCompact
        case meridiemUpper, meridiemLower
        case unixSeconds, unixMilliseconds
    }

    /// The pattern as written.
    public let pattern: String
    let tokens: [Token]

    /// ISO 8601 with milliseconds and the UTC offset, `2026-11-22T10:00:00.123+01:00`: the
    /// format for `time: true` and for JSON logs without a `log_date_format`. PM2 writes
    /// `YYYY-MM-DDTHH:mm:ss` for `time: true`, which loses the order of lines within a
    /// second and, without an offset, cannot tell apart the two hours with the same wall
    /// time every autumn; this names the exact instant and reads back with `--since`.
    public static let iso8601 = try! LogDateFormat("YYYY-MM-DDTHH:mm:ss.SSSZ")

    /// Parses `pattern`; throws only when it is empty or contains no token.
    public init(_ pattern: String) throws(LogDateFormatError) {
        guard !pattern.isEmpty else { throw LogDateFormatError("log date format is empty") }
        let tokens = Self.tokenize(Array(pattern.utf8))
        guard tokens.contains(where: { if case .literal = $0 { false } else { true } }) else {
            throw LogDateFormatError(
                "log date format \"\(pattern)\" has no date or time token (such as YYYY-MM-DD HH:mm:ss)")
        }
        self.pattern = pattern
        self.tokens = tokens
    }

    public var description: String { pattern }

    public static func == (a: LogDateFormat, b: LogDateFormat) -> Bool { a.pattern == b.pattern }

    /// True when two instants in the same second can format differently (`SSS`, `x`), so a
    /// cache of the text must be keyed by the millisecond rather than by the second.
    public var showsMilliseconds: Bool {
        tokens.contains { $0 == .milliseconds || $0 == .unixMilliseconds }
    }

    // MARK: Formatting

    /// The instant (milliseconds since the Unix epoch) as `zone`'s wall clock shows it.
    public func format(epochMs: Int64, in zone: TimeZoneRules) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        append(epochMs: epochMs, in: zone, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the formatted instant to `out`: the allocation-free path for log lines.
    public func append(epochMs: Int64, in zone: TimeZoneRules, to out: inout [UInt8]) {
        let seconds = Civil.floorDiv(epochMs, 1000)
        let millis = Int(epochMs - seconds * 1000)
        let offsetMinutes = Int(zone.offset(atUTC: seconds)) / 60
        let wall = seconds + Int64(offsetMinutes) * 60
        let days = Civil.floorDiv(wall, 86_400)
        let secondOfDay = Int(wall - days * 86_400)
        let (year, month, day) = Civil.civilFromDays(days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay / 60 % 60
        let second = secondOfDay % 60
        for token in tokens {
            switch token {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .year4: Self.appendNumber(year, width: 4, to: &out)
            case .year2: Self.appendNumber((year % 100 + 100) % 100, width: 2, to: &out)
            case .month: Self.appendNumber(Int64(month), width: 1, to: &out)
            case .month2: Self.appendNumber(Int64(month), width: 2, to: &out)
            case .monthShort: out.append(contentsOf: Self.monthNames[month - 1].prefix(3).utf8)
            case .monthLong: out.append(contentsOf: Self.monthNames[month - 1].utf8)
            case .day: Self.appendNumber(Int64(day), width: 1, to: &out)
            case .day2: Self.appendNumber(Int64(day), width: 2, to: &out)
            case .weekday: Self.appendNumber(Int64(Civil.weekday(ofDay: days)), width: 1, to: &out)
            case .weekdayMin: out.append(contentsOf: Self.weekdayNames[Civil.weekday(ofDay: days)].prefix(2).utf8)
            case .weekdayShort: out.append(contentsOf: Self.weekdayNames[Civil.weekday(ofDay: days)].prefix(3).utf8)
            case .weekdayLong: out.append(contentsOf: Self.weekdayNames[Civil.weekday(ofDay: days)].utf8)
            case .hour24: Self.appendNumber(Int64(hour), width: 1, to: &out)
            case .hour24Padded: Self.appendNumber(Int64(hour), width: 2, to: &out)
            case .hour12: Self.appendNumber(Int64(hour % 12 == 0 ? 12 : hour % 12), width: 1, to: &out)
            case .hour12Padded: Self.appendNumber(Int64(hour % 12 == 0 ? 12 : hour % 12), width: 2, to: &out)
            case .minute: Self.appendNumber(Int64(minute), width: 1, to: &out)
            case .minutePadded: Self.appendNumber(Int64(minute), width: 2, to: &out)
            case .second: Self.appendNumber(Int64(second), width: 1, to: &out)
            case .secondPadded: Self.appendNumber(Int64(second), width: 2, to: &out)
            case .milliseconds: Self.appendNumber(Int64(millis), width: 3, to: &out)
            case .offsetColon: Self.appendOffset(minutes: offsetMinutes, colon: true, to: &out)
            case .offsetCompact: Self.appendOffset(minutes: offsetMinutes, colon: false, to: &out)
            case .meridiemUpper: out.append(contentsOf: (hour < 12 ? "AM" : "PM").utf8)
            case .meridiemLower: out.append(contentsOf: (hour < 12 ? "am" : "pm").utf8)
            case .unixSeconds: Self.appendNumber(seconds, width: 1, to: &out)
            case .unixMilliseconds: Self.appendNumber(epochMs, width: 1, to: &out)
            }
        }
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Decimal digits, zero-padded to `width`; a negative number gets its sign before the
    /// padding (the proleptic year -43 is `-0043`).
    static func appendNumber(_ n: Int64, width: Int, to out: inout [UInt8]) {
        let magnitude = n.magnitude
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var power: UInt64 = 1
        var count = 1
        while magnitude / power >= 10 {
            power *= 10
            count += 1
        }
        for _ in count..<max(count, width) { out.append(UInt8(ascii: "0")) }
        while power > 0 {
            out.append(UInt8(ascii: "0") + UInt8(magnitude / power % 10))
            power /= 10
        }
    }

    static func appendOffset(minutes: Int, colon: Bool, to out: inout [UInt8]) {
        out.append(minutes < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let m = minutes.magnitude
        appendNumber(Int64(m / 60), width: 2, to: &out)
        if colon { out.append(UInt8(ascii: ":")) }
        appendNumber(Int64(m % 60), width: 2, to: &out)
    }

    // MARK: Parsing

    /// Every token, longest first for each letter, so that the first match is the longest.
    private static let table: [(text: [UInt8], token: Token)] =
        ([
            ("YYYY", .year4), ("YY", .year2),
            ("MMMM", .monthLong), ("MMM", .monthShort), ("MM", .month2), ("M", .month),
            ("DD", .day2), ("D", .day),
            ("dddd", .weekdayLong), ("ddd", .weekdayShort), ("dd", .weekdayMin), ("d", .weekday),
            ("HH", .hour24Padded), ("H", .hour24), ("hh", .hour12Padded), ("h", .hour12),
            ("mm", .minutePadded), ("m", .minute), ("ss", .secondPadded), ("s", .second),
            ("SSS", .milliseconds), ("ZZ", .offsetCompact), ("Z", .offsetColon),
            ("A", .meridiemUpper), ("a", .meridiemLower), ("X", .unixSeconds), ("x", .unixMilliseconds),
        ] as [(String, Token)]).map { (Array($0.0.utf8), $0.1) }

    static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        func flushLiteral() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = []
        }
        var i = 0
        next: while i < bytes.count {
            // `[text]`, as dayjs: the brackets need a closing one and something inside,
            // otherwise they are literal themselves.
            if bytes[i] == UInt8(ascii: "["),
                let close = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "]")), close > i + 1
            {
                literal.append(contentsOf: bytes[(i + 1)..<close])
                i = close + 1
                continue
            }
            for (text, token) in table where bytes[i...].starts(with: text) {
                flushLiteral()
                tokens.append(token)
                i += text.count
                continue next
            }
            literal.append(bytes[i])
            i += 1
        }
        flushLiteral()
        return tokens
    }
}

/// Why a `log_date_format` cannot be used, in one line.
public struct LogDateFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
