/// Time zone rules without Foundation, for `cron_restart` (docs/semantics.md, "Cron": schedules run
/// in the daemon's local time).
///
/// The core reads no files: the daemon reads `/etc/localtime` or `/usr/share/zoneinfo/NAME`
/// and hands the bytes to `init(tzif:)`. A `TZ`-style rule such as `CET-1CEST,M3.5.0,M10.5.0/3`
/// can be given directly with `init(posixTZ:)`.
///
/// Instants are seconds since the Unix epoch, UTC, leap seconds not counted (time_t). "Wall"
/// or "local" seconds are the same count for the clock on the wall: `utc + offset`.
public struct TimeZoneRules: Sendable, Equatable {
    /// A change of UTC offset. Changes of name or DST flag alone are not transitions here,
    /// since nothing that uses this type cares about them.
    public struct Transition: Sendable, Equatable {
        /// The first instant (UTC) with the new offset.
        public var at: Int64
        public var offsetBefore: Int32
        public var offsetAfter: Int32

        public init(at: Int64, offsetBefore: Int32, offsetAfter: Int32) {
            self.at = at
            self.offsetBefore = offsetBefore
            self.offsetAfter = offsetAfter
        }
    }

    /// What a wall-clock time means as an instant.
    public enum LocalTimeResolution: Sendable, Equatable {
        /// The usual case: the wall time happens once.
        case unique(Int64)
        /// The clock was set back over this wall time, so it happens twice.
        case repeated(first: Int64, second: Int64)
        /// The clock jumped over this wall time; `gapEnd` is the instant of the jump, the
        /// first instant after the gap.
        case skipped(gapEnd: Int64)
    }

    struct LocalType: Sendable, Equatable {
        var offset: Int32
        var isDST: Bool
        var abbreviation: String
    }

    // The transition table of a TZif file: at transitionTimes[i], local time becomes
    // types[transitionTypes[i]]. Before the first one, types[0] applies (RFC 8536, 3.2).
    var transitionTimes: [Int64]
    var transitionTypes: [Int]
    var types: [LocalType]
    // The POSIX TZ rule for instants after the last transition (the TZif footer), or for
    // every instant when there are no transitions.
    var rule: PosixRule?

    public static let utc = TimeZoneRules(
        transitionTimes: [], transitionTypes: [], types: [LocalType(offset: 0, isDST: false, abbreviation: "UTC")],
        rule: nil)

    init(transitionTimes: [Int64], transitionTypes: [Int], types: [LocalType], rule: PosixRule?) {
        self.transitionTimes = transitionTimes
        self.transitionTypes = transitionTypes
        self.types = types
        self.rule = rule
    }

    /// A rule as the `TZ` environment variable writes it (POSIX.1-2017, 8.3, with the
    /// extensions of RFC 8536 3.3.1: rule times from -167 to 167 hours). A zone that has
    /// daylight saving time but no rule for it (`EST5EDT`) gets the US rules, as glibc does.
    public init(posixTZ text: String) throws(TimeZoneError) {
        let rule = try PosixRule.parse(text)
        self.init(transitionTimes: [], transitionTypes: [], types: [rule.standard], rule: rule)
    }

    /// The contents of a TZif file (RFC 8536), versions 1 to 4. From version 2 on, the
    /// 64-bit data and the footer rule are used and the 32-bit data is skipped.
    public init(tzif bytes: [UInt8]) throws(TimeZoneError) {
        var parser = TZifParser(bytes)
        self = try parser.parse()
    }

    // MARK: Instants to local time

    /// Seconds east of UTC at the instant.
    public func offset(atUTC t: Int64) -> Int32 {
        localType(atUTC: t).offset
    }

    /// The zone's name for local time at the instant, such as "CEST" or "+0330".
    public func abbreviation(atUTC t: Int64) -> String {
        localType(atUTC: t).abbreviation
    }

    /// Wall-clock seconds (`utc + offset`) at the instant.
    public func localTime(atUTC t: Int64) -> Int64 {
        t + Int64(offset(atUTC: t))
    }

    public func civilTime(atUTC t: Int64) -> CivilTime {
        CivilTime(secondsSinceEpoch: localTime(atUTC: t))
    }

    func localType(atUTC t: Int64) -> LocalType {
        let n = countOfTransitions(atOrBefore: t)
        if n == 0 {
            if transitionTimes.isEmpty, let rule { return rule.localType(atUTC: t) }
            return types[0]
        }
        if n == transitionTimes.count, t > transitionTimes[n - 1], let rule {
            return rule.localType(atUTC: t)
        }
        return types[transitionTypes[n - 1]]
    }

    /// How many table entries are at or before `t` (binary search).
    func countOfTransitions(atOrBefore t: Int64) -> Int {
        var low = 0
        var high = transitionTimes.count
        while low < high {
            let mid = (low + high) / 2
            if transitionTimes[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: Transitions

    /// The first change of offset strictly after `t`.
    public func nextTransition(after t: Int64) -> Transition? {
        var i = countOfTransitions(atOrBefore: t)
        while i < transitionTimes.count {
            if let found = tableTransition(i) { return found }
            i += 1
        }
        guard let rule, rule.daylight != nil else { return nil }
        let floor = max(t, transitionTimes.last ?? Int64.min)
        let year = Civil.year(ofWall: floor + Int64(rule.standard.offset))
        for candidate in rule.candidateInstants(years: year - 1...year + 2) where candidate > floor {
            if let found = transition(at: candidate) { return found }
        }
        return nil
    }

    /// The last change of offset at or before `t`.
    public func lastTransition(atOrBefore t: Int64) -> Transition? {
        let tableEnd = transitionTimes.last ?? Int64.min
        if let rule, rule.daylight != nil, t > tableEnd {
            let year = Civil.year(ofWall: t + Int64(rule.standard.offset))
            for candidate in rule.candidateInstants(years: year - 2...year + 1).reversed()
            where candidate <= t && candidate > tableEnd {
                if let found = transition(at: candidate) { return found }
            }
        }
        var i = countOfTransitions(atOrBefore: t) - 1
        while i >= 0 {
            if let found = tableTransition(i) { return found }
            i -= 1
        }
        return nil
    }

    private func tableTransition(_ i: Int) -> Transition? {
        let before = i == 0 ? types[0].offset : types[transitionTypes[i - 1]].offset
        let after = types[transitionTypes[i]].offset
        return before == after ? nil : Transition(at: transitionTimes[i], offsetBefore: before, offsetAfter: after)
    }

    private func transition(at t: Int64) -> Transition? {
        let before = offset(atUTC: t - 1)
        let after = offset(atUTC: t)
        return before == after ? nil : Transition(at: t, offsetBefore: before, offsetAfter: after)
    }

    // MARK: Local time to instants

    /// The instant(s) at which the wall clock shows `wall` (wall-clock seconds since
    /// 1970-01-01 00:00:00).
    public func resolve(local wall: Int64) -> LocalTimeResolution {
        // Any instant showing `wall` lies within a day and a bit of it (offsets stay within
        // ±26 h), so the offsets in effect over two days either side are all candidates.
        let low = wall - 2 * 86_400
        let high = wall + 2 * 86_400
        var offsets = [offset(atUTC: low)]
        var transitions: [Transition] = []
        var cursor = low
        while let next = nextTransition(after: cursor), next.at <= high {
            transitions.append(next)
            offsets.append(next.offsetAfter)
            cursor = next.at
        }
        var instants: [Int64] = []
        for candidate in offsets {
            let t = wall - Int64(candidate)
            if offset(atUTC: t) == candidate && !instants.contains(t) { instants.append(t) }
        }
        instants.sort()
        if let first = instants.first {
            return instants.count == 1 ? .unique(first) : .repeated(first: first, second: instants[instants.count - 1])
        }
        for tr in transitions
        where tr.offsetAfter > tr.offsetBefore && tr.at + Int64(tr.offsetBefore) <= wall
            && wall < tr.at + Int64(tr.offsetAfter)
        {
            return .skipped(gapEnd: tr.at)
        }
        // Unreachable with consistent data; the first forward jump is the best answer.
        return .skipped(gapEnd: transitions.first { $0.offsetAfter > $0.offsetBefore }?.at ?? wall)
    }
}

/// Why zone data or a TZ rule cannot be used, in one line.
public struct TimeZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

// MARK: - POSIX TZ rules

/// `std offset [dst [offset] [,start[/time],end[/time]]]`.
struct PosixRule: Sendable, Equatable {
    enum RuleDate: Sendable, Equatable {
        /// `Jn`: day 1...365, February 29 never counted (J60 is always March 1).
        case julianNoLeap(Int)
        /// `n`: day 0...365, February 29 counted.
        case zeroBased(Int)
        /// `Mm.w.d`: weekday d (0 = Sunday) of week w (1...5, 5 = the last) of month m.
        case monthWeekDay(month: Int, week: Int, weekday: Int)

        /// Days since the epoch of the rule's date in `year`.
        func day(inYear year: Int64) -> Int64 {
            let jan1 = Civil.daysFromCivil(year, 1, 1)
            switch self {
            case .julianNoLeap(let n):
                return jan1 + Int64(n - 1) + (Civil.isLeap(year) && n >= 60 ? 1 : 0)
            case .zeroBased(let n):
                return jan1 + Int64(n)
            case .monthWeekDay(let month, let week, let weekday):
                let first = Civil.daysFromCivil(year, month, 1)
                var day = 1 + (weekday - Civil.weekday(ofDay: first) + 7) % 7 + 7 * (week - 1)
                let length = Civil.daysIn(year: year, month: month)
                while day > length { day -= 7 }
                return first + Int64(day - 1)
            }
        }
    }

    struct Daylight: Sendable, Equatable {
        var type: TimeZoneRules.LocalType
        var start: RuleDate
        /// Wall seconds after midnight of `start`, in standard time.
        var startTime: Int64
        var end: RuleDate
        /// Wall seconds after midnight of `end`, in daylight time.
        var endTime: Int64
    }

    var standard: TimeZoneRules.LocalType
    var daylight: Daylight?

    /// DST start and end instants for a year.
    func bounds(year: Int64) -> (start: Int64, end: Int64)? {
        guard let d = daylight else { return nil }
        let start = d.start.day(inYear: year) * 86_400 + d.startTime - Int64(standard.offset)
        let end = d.end.day(inYear: year) * 86_400 + d.endTime - Int64(d.type.offset)
        return (start, end)
    }

    func localType(atUTC t: Int64) -> TimeZoneRules.LocalType {
        guard let d = daylight, let (start, end) = bounds(year: Civil.year(ofWall: t + Int64(standard.offset)))
        else { return standard }
        // Northern zones have start < end in the year; southern ones (and Dublin, whose
        // "daylight" time is winter GMT) have DST at both ends of the year.
        let inDaylight = start < end ? (start <= t && t < end) : !(end <= t && t < start)
        return inDaylight ? d.type : standard
    }

    /// Every instant where the rule may change the offset, in order, for a few years.
    func candidateInstants(years: ClosedRange<Int64>) -> [Int64] {
        var out: [Int64] = []
        for year in years {
            if let (start, end) = bounds(year: year) {
                out.append(start)
                out.append(end)
            }
        }
        return out.sorted()
    }

    // MARK: Parsing

    static func parse(_ text: String) throws(TimeZoneError) -> PosixRule {
        var p = Parser(bytes: Array(text.utf8), text: text)
        return try p.rule()
    }

    private struct Parser {
        let bytes: [UInt8]
        let text: String
        var i = 0

        func fail(_ what: String) -> TimeZoneError {
            TimeZoneError("TZ rule \"\(text)\": \(what)")
        }

        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        static func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

        mutating func rule() throws(TimeZoneError) -> PosixRule {
            if bytes.isEmpty { throw fail("empty") }
            if bytes[0] == UInt8(ascii: ":") { throw fail("names a zone file, not a rule") }
            let stdName = try name("standard time name")
            guard !atEnd else { throw fail("expected the UTC offset after \"\(stdName)\"") }
            let stdOffset = -(try clock(maxHours: 24, what: "UTC offset"))
            let standard = TimeZoneRules.LocalType(offset: Int32(stdOffset), isDST: false, abbreviation: stdName)
            if atEnd { return PosixRule(standard: standard, daylight: nil) }
            let dstName = try name("daylight saving time name")
            var dstOffset = stdOffset + 3600
            if let b = peek, b != UInt8(ascii: ",") {
                dstOffset = -(try clock(maxHours: 24, what: "daylight saving time offset"))
            }
            let type = TimeZoneRules.LocalType(offset: Int32(dstOffset), isDST: true, abbreviation: dstName)
            // glibc's default when a zone has DST but no rule: the US rules since 2007.
            var start = RuleDate.monthWeekDay(month: 3, week: 2, weekday: 0)
            var startTime: Int64 = 7200
            var end = RuleDate.monthWeekDay(month: 11, week: 1, weekday: 0)
            var endTime: Int64 = 7200
            if !atEnd {
                try expect(",", "expected ',' before the start of daylight saving time")
                (start, startTime) = try dateAndTime()
                try expect(",", "expected ',' before the end of daylight saving time")
                (end, endTime) = try dateAndTime()
                if !atEnd { throw fail("unexpected \"\(rest)\" at the end") }
            }
            return PosixRule(
                standard: standard,
                daylight: Daylight(type: type, start: start, startTime: startTime, end: end, endTime: endTime))
        }

        var rest: String { String(decoding: bytes[i...], as: UTF8.self) }

        mutating func expect(_ c: Unicode.Scalar, _ message: String) throws(TimeZoneError) {
            guard peek == UInt8(ascii: c) else { throw fail(message) }
            i += 1
        }

        /// `ABC` (three or more letters) or `<+0330>` (letters, digits, '+', '-').
        mutating func name(_ what: String) throws(TimeZoneError) -> String {
            let start = i
            if peek == UInt8(ascii: "<") {
                i += 1
                while let b = peek, b != UInt8(ascii: ">") {
                    guard Self.isLetter(b) || Self.isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
                    else { throw fail("unexpected character in the \(what)") }
                    i += 1
                }
                guard peek == UInt8(ascii: ">") else { throw fail("unterminated '<' in the \(what)") }
                i += 1
                let inner = String(decoding: bytes[(start + 1)..<(i - 1)], as: UTF8.self)
                guard inner.utf8.count >= 3 else { throw fail("the \(what) <\(inner)> is shorter than 3 characters") }
                return inner
            }
            while let b = peek, Self.isLetter(b) { i += 1 }
            guard i - start >= 3 else {
                throw fail(i == start ? "expected the \(what) at \"\(rest)\"" : "the \(what) is shorter than 3 letters")
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        /// `[+|-]hh[:mm[:ss]]` in seconds; positive values are west of Greenwich for offsets.
        mutating func clock(maxHours: Int64, what: String) throws(TimeZoneError) -> Int64 {
            var sign: Int64 = 1
            if peek == UInt8(ascii: "+") {
                i += 1
            } else if peek == UInt8(ascii: "-") {
                sign = -1
                i += 1
            }
            let hours = try number(maxDigits: 3, what: what)
            guard hours <= maxHours else { throw fail("\(what) hours \(hours) out of range 0-\(maxHours)") }
            var seconds = hours * 3600
            if peek == UInt8(ascii: ":") {
                i += 1
                let minutes = try number(maxDigits: 2, what: what)
                guard minutes <= 59 else { throw fail("\(what) minutes \(minutes) out of range 0-59") }
                seconds += minutes * 60
                if peek == UInt8(ascii: ":") {
                    i += 1
                    let secs = try number(maxDigits: 2, what: what)
                    guard secs <= 59 else { throw fail("\(what) seconds \(secs) out of range 0-59") }
                    seconds += secs
                }
            }
            return sign * seconds
        }

        mutating func number(maxDigits: Int, what: String) throws(TimeZoneError) -> Int64 {
            let start = i
            var value: Int64 = 0
            while Self.isDigit(peek) && i - start < maxDigits {
                value = value * 10 + Int64(bytes[i] - 0x30)
                i += 1
            }
            guard i > start else { throw fail("expected a number in the \(what) at \"\(rest)\"") }
            if Self.isDigit(peek) { throw fail("too many digits in the \(what)") }
            return value
        }

        mutating func dateAndTime() throws(TimeZoneError) -> (RuleDate, Int64) {
            let date: RuleDate
            if peek == UInt8(ascii: "J") {
                i += 1
                let n = try number(maxDigits: 3, what: "Julian day")
                guard (1...365).contains(n) else { throw fail("Julian day J\(n) out of range J1-J365") }
                date = .julianNoLeap(Int(n))
            } else if peek == UInt8(ascii: "M") {
                i += 1
                let m = try number(maxDigits: 2, what: "month")
                guard (1...12).contains(m) else { throw fail("month M\(m) out of range 1-12") }
                try expect(".", "expected '.' after M\(m)")
                let w = try number(maxDigits: 1, what: "week")
                guard (1...5).contains(w) else { throw fail("week \(w) in M\(m).\(w) out of range 1-5") }
                try expect(".", "expected '.' after M\(m).\(w)")
                let d = try number(maxDigits: 1, what: "weekday")
                guard (0...6).contains(d) else { throw fail("weekday \(d) in M\(m).\(w).\(d) out of range 0-6") }
                date = .monthWeekDay(month: Int(m), week: Int(w), weekday: Int(d))
            } else if Self.isDigit(peek) {
                let n = try number(maxDigits: 3, what: "day")
                guard n <= 365 else { throw fail("day \(n) out of range 0-365") }
                date = .zeroBased(Int(n))
            } else {
                throw fail("expected a date (Jn, n or Mm.w.d) at \"\(rest)\"")
            }
            var time: Int64 = 7200
            if peek == UInt8(ascii: "/") {
                i += 1
                time = try clock(maxHours: 167, what: "time of day")
            }
            return (date, time)
        }
    }
}

// MARK: - TZif

private struct TZifParser {
    let bytes: [UInt8]
    var i = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    struct Header {
        var version: UInt8
        var isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: Int
    }

    func fail(_ what: String) -> TimeZoneError {
        TimeZoneError("time zone data: \(what)")
    }

    mutating func take(_ n: Int) throws(TimeZoneError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - i >= n else { throw fail("truncated after \(bytes.count) bytes") }
        defer { i += n }
        return bytes[i..<(i + n)]
    }

    mutating func uint32() throws(TimeZoneError) -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func int64() throws(TimeZoneError) -> Int64 {
        Int64(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    mutating func header() throws(TimeZoneError) -> Header {
        guard bytes.count - i >= 4, bytes[i..<(i + 4)].elementsEqual("TZif".utf8) else {
            throw fail("not a TZif file (no \"TZif\" magic)")
        }
        i += 4
        let version = try take(1).first!
        guard version == 0 || (version >= UInt8(ascii: "2") && version <= UInt8(ascii: "9")) else {
            throw fail("unknown TZif version byte \(version)")
        }
        _ = try take(15)
        var counts: [Int] = []
        for _ in 0..<6 {
            let n = try uint32()
            // Real files have a few thousand entries at most; this bound keeps the size
            // arithmetic below far from overflow.
            guard n < 1 << 24 else { throw fail("implausible count \(n) in the header") }
            counts.append(Int(n))
        }
        return Header(
            version: version, isutcnt: counts[0], isstdcnt: counts[1], leapcnt: counts[2], timecnt: counts[3],
            typecnt: counts[4], charcnt: counts[5])
    }

    mutating func parse() throws(TimeZoneError) -> TimeZoneRules {
        let first = try header()
        if first.version == 0 { return try block(first, timeSize: 4, footer: false) }
        // Version 2+: skip the 32-bit block; the 64-bit one repeats it with wider times.
        _ = try take(
            first.timecnt * 5 + first.typecnt * 6 + first.charcnt + first.leapcnt * 8 + first.isstdcnt
                + first.isutcnt)
        let second = try header()
        return try block(second, timeSize: 8, footer: true)
    }

    mutating func block(_ h: Header, timeSize: Int, footer: Bool) throws(TimeZoneError) -> TimeZoneRules {
        guard h.typecnt >= 1 else { throw fail("no local time types") }
        guard h.charcnt >= 1 else { throw fail("no time zone abbreviations") }
        guard h.isstdcnt == 0 || h.isstdcnt == h.typecnt, h.isutcnt == 0 || h.isutcnt == h.typecnt else {
            throw fail("standard/UT indicator counts do not match the type count")
        }
        // Leap-second ("right/") zones count leap seconds in their times; time_t does not.
        guard h.leapcnt == 0 else { throw fail("leap-second zones (\"right/\" files) are not supported") }
        var times: [Int64] = []
        times.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            let t = timeSize == 8 ? try int64() : Int64(Int32(bitPattern: try uint32()))
            if let last = times.last, t <= last { throw fail("transition times are not in ascending order") }
            times.append(t)
        }
        var indexes: [Int] = []
        indexes.reserveCapacity(h.timecnt)
        for b in try take(h.timecnt) {
            guard Int(b) < h.typecnt else { throw fail("transition to local time type \(b) of \(h.typecnt)") }
            indexes.append(Int(b))
        }
        var raw: [(offset: Int32, isDST: Bool, nameIndex: Int)] = []
        for _ in 0..<h.typecnt {
            let offset = Int32(bitPattern: try uint32())
            let flags = try take(2)
            let isDST = flags[flags.startIndex]
            let nameIndex = Int(flags[flags.startIndex + 1])
            guard offset != Int32.min, isDST <= 1, nameIndex < h.charcnt else { throw fail("invalid local time type") }
            raw.append((offset, isDST == 1, nameIndex))
        }
        let chars = Array(try take(h.charcnt))
        let types = raw.map { r in
            let end = chars[r.nameIndex...].firstIndex(of: 0) ?? chars.count
            return TimeZoneRules.LocalType(
                offset: r.offset, isDST: r.isDST,
                abbreviation: String(decoding: chars[r.nameIndex..<end], as: UTF8.self))
        }
        _ = try take(h.isstdcnt + h.isutcnt)
        var rule: PosixRule? = nil
        if footer {
            guard try take(1).first == 0x0A else { throw fail("footer does not start with a newline") }
            guard let end = bytes[i...].firstIndex(of: 0x0A) else { throw fail("footer does not end with a newline") }
            let text = String(decoding: bytes[i..<end], as: UTF8.self)
            i = end + 1
            if !text.isEmpty {
                do {
                    rule = try PosixRule.parse(text)
                } catch {
                    throw fail("footer: \(error.message)")
                }
            }
        }
        return TimeZoneRules(transitionTimes: times, transitionTypes: indexes, types: types, rule: rule)
    }
}

// MARK: - Civil time

/// A proleptic Gregorian date and time of day, as a wall clock shows it (no zone).
public struct CivilTime: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// From wall-clock seconds since 1970-01-01 00:00:00.
    public init(secondsSinceEpoch s: Int64) {
        let days = Civil.floorDiv(s, 86_400)
        let secondOfDay = Int(s - days * 86_400)
        let (y, m, d) = Civil.civilFromDays(days)
        self.init(
            year: Int(y), month: m, day: d, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60)
    }

    /// Wall-clock seconds since 1970-01-01 00:00:00. Out-of-range fields carry over
    /// (hour 24 is the next day's midnight).
    public var secondsSinceEpoch: Int64 {
        Civil.daysFromCivil(Int64(year), month, day) * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60
            + Int64(second)
    }

    /// 0 = Sunday ... 6 = Saturday.
    public var weekday: Int {
        Civil.weekday(ofDay: Civil.daysFromCivil(Int64(year), month, day))
    }

    public static func < (a: CivilTime, b: CivilTime) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }

    /// `2026-03-29 03:00:00`.
    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let digits = String(n < 0 ? -n : n)
            return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }
}

/// Calendar arithmetic on day numbers (days since 1970-01-01), after Howard Hinnant's
/// "chrono-compatible low-level date algorithms".
enum Civil {
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func daysFromCivil(_ year: Int64, _ month: Int, _ day: Int) -> Int64 {
        // Months out of 1...12 carry into the year, which CivilTime's doc promises.
        let m0 = Int64(month - 1)
        let y = year + floorDiv(m0, 12) - (((m0 % 12) + 12) % 12 < 2 ? 1 : 0)
        let m = ((m0 % 12) + 12) % 12 + 1
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), Int(m), Int(d))
    }

    static func year(ofWall seconds: Int64) -> Int64 {
        civilFromDays(floorDiv(seconds, 86_400)).year
    }

    /// 0 = Sunday; 1970-01-01 was a Thursday.
    static func weekday(ofDay days: Int64) -> Int {
        Int(((days % 7) + 11) % 7)
    }

    static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(year: Int64, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
