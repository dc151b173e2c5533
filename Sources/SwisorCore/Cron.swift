/// A `cron_restart` schedule (docs/semantics.md, "Cron").
///
/// Syntax: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first,
/// separated by blanks. Each field is `*` or a comma list of items; an item is `n`, `a-b`,
/// `*/s`, `a-b/s` or `n/s` (from n to the field's maximum, as Vixie cron and croner read it).
/// Months may be named JAN-DEC and days SUN-SAT, in any case; day-of-week 7 is Sunday, as 0.
/// `?` means `*` in the two day fields (croner, hence PM2, accepts it). Nicknames: `@yearly`
/// (= `@annually`), `@monthly`, `@weekly`, `@daily` (= `@midnight`), `@hourly`.
///
/// Days follow crontab(5): when both day-of-month and day-of-week are restricted, a day that
/// matches either runs; otherwise both must match (so the unrestricted one is moot). As in
/// Vixie cron and cronie, a field is unrestricted when it begins with `*` (or `?`), so
/// `0 0 */2 * MON` runs on odd-numbered days that are Mondays.
///
/// Expressions that can never fire (`0 0 30 2 *`) are rejected by `parse`, so a schedule
/// that silently never runs cannot be loaded.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written, for display.
    public let text: String
    /// Whether a seconds field was given (6 fields).
    public private(set) var hasSeconds: Bool

    var seconds: CronField
    var minutes: CronField
    var hours: CronField
    var daysOfMonth: CronField
    var months: CronField
    /// 0 = Sunday ... 6 = Saturday (7 is folded into 0).
    var daysOfWeek: CronField
    var dayOfMonthIsStar: Bool
    var dayOfWeekIsStar: Bool
    /// Vixie cron's "wildcard job": the minute or the hour field begins with `*`. Such a
    /// job follows the wall clock through DST changes; the others run once per wall time.
    var followsWallClock: Bool

    public var description: String { text }

    // MARK: Parsing

    public static func parse(_ text: String) throws(CronParseError) -> CronExpression {
        let words = text.split(whereSeparator: { $0.isWhitespace })
        guard let first = words.first else { throw CronParseError("empty expression") }
        if first.hasPrefix("@") {
            let nickname = first.lowercased()
            let expansion: String
            switch nickname {
            case "@yearly", "@annually": expansion = "0 0 1 1 *"
            case "@monthly": expansion = "0 0 1 * *"
            case "@weekly": expansion = "0 0 * * 0"
            case "@daily", "@midnight": expansion = "0 0 * * *"
            case "@hourly": expansion = "0 * * * *"
            case "@reboot":
                throw CronParseError(
                    "@reboot has no meaning for a supervisor (apps start when the daemon starts unless autostart is false)"
                )
            default:
                throw CronParseError(
                    "unknown nickname \(first) (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"
                )
            }
            guard words.count == 1 else { throw CronParseError("unexpected \"\(words[1])\" after \(first)") }
            return try parseFields(expansion.split(separator: " "), original: text)
        }
        guard words.count == 5 || words.count == 6 else {
            throw CronParseError(
                "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found \(words.count)"
            )
        }
        return try parseFields(words, original: text)
    }

    private init(text: String) {
        self.text = text
        hasSeconds = false
        seconds = CronField(bits: 1)
        minutes = CronField(bits: 0)
        hours = CronField(bits: 0)
        daysOfMonth = CronField(bits: 0)
        months = CronField(bits: 0)
        daysOfWeek = CronField(bits: 0)
        dayOfMonthIsStar = true
        dayOfWeekIsStar = true
        followsWallClock = false
    }

    private static func parseFields(_ words: [Substring], original: String) throws(CronParseError) -> CronExpression {
        var e = CronExpression(text: original)
        let offset = words.count == 6 ? 1 : 0
        e.hasSeconds = offset == 1
        if offset == 1 { e.seconds = try FieldSpec.second.parse(words[0], position: 1) }
        e.minutes = try FieldSpec.minute.parse(words[offset], position: offset + 1)
        e.hours = try FieldSpec.hour.parse(words[offset + 1], position: offset + 2)
        e.daysOfMonth = try FieldSpec.dayOfMonth.parse(words[offset + 2], position: offset + 3)
        e.months = try FieldSpec.month.parse(words[offset + 3], position: offset + 4)
        var dow = try FieldSpec.dayOfWeek.parse(words[offset + 4], position: offset + 5)
        if dow.contains(7) { dow.bits = (dow.bits | 1) & ~(1 << 7) }
        e.daysOfWeek = dow
        e.dayOfMonthIsStar = words[offset + 2].hasPrefix("*") || words[offset + 2].hasPrefix("?")
        e.dayOfWeekIsStar = words[offset + 4].hasPrefix("*") || words[offset + 4].hasPrefix("?")
        e.followsWallClock = words[offset].hasPrefix("*") || words[offset + 1].hasPrefix("*")

        // The day of month must match unless both day fields are restricted (then the
        // day of week alone can fire). Refuse combinations no calendar has.
        if e.dayOfMonthIsStar || e.dayOfWeekIsStar {
            let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            let firstDay = e.daysOfMonth.next(atOrAfter: 1) ?? 32
            if !(1...12).contains(where: { e.months.contains($0) && firstDay <= longest[$0 - 1] }) {
                throw CronParseError(
                    "field \(offset + 3) (day-of-month): \"\(words[offset + 2])\" never occurs in month \"\(words[offset + 3])\", the expression would never fire"
                )
            }
        }
        return e
    }

    // MARK: Matching

    func dayMatches(year: Int64, month: Int, day: Int) -> Bool {
        let domOK = daysOfMonth.contains(day)
        let dowOK = daysOfWeek.contains(Civil.weekday(ofDay: Civil.daysFromCivil(year, month, day)))
        return dayOfMonthIsStar || dayOfWeekIsStar ? domOK && dowOK : domOK || dowOK
    }

    /// The first wall time at or after `from` and before `limit` (wall-clock seconds) that
    /// the fields match, ignoring time zones. Skips a field at a time: a month, a day, an
    /// hour, a minute, a second, never scanning second by second.
    func nextMatch(wallFrom from: Int64, before limit: Int64) -> Int64? {
        guard from < limit else { return nil }
        var days = Civil.floorDiv(from, 86_400)
        var (year, month, day) = Civil.civilFromDays(days)
        let secondOfDay = Int(from - days * 86_400)
        var hour = secondOfDay / 3600
        var minute = secondOfDay / 60 % 60
        var second = secondOfDay % 60

        // These move to the start of a later month or day, and say whether it is still
        // before the limit.
        func startOfNextMonth() -> Bool {
            // Straight to the next allowed month, this year or the next.
            if let m = months.next(atOrAfter: month + 1) {
                month = m
            } else {
                month = months.next(atOrAfter: 1)!
                year += 1
            }
            day = 1
            (hour, minute, second) = (0, 0, 0)
            days = Civil.daysFromCivil(year, month, 1)
            return days * 86_400 < limit
        }
        func startOfNextDay() -> Bool {
            day += 1
            (hour, minute, second) = (0, 0, 0)
            if day > Civil.daysIn(year: year, month: month) { return startOfNextMonth() }
            days += 1
            return days * 86_400 < limit
        }

        while true {
            if !months.contains(month) {
                guard startOfNextMonth() else { return nil }
                continue
            }
            if !dayMatches(year: year, month: month, day: day) {
                guard startOfNextDay() else { return nil }
                continue
            }
            guard let h = hours.next(atOrAfter: hour) else {
                guard startOfNextDay() else { return nil }
                continue
            }
            if h != hour { (hour, minute, second) = (h, 0, 0) }
            guard let m = minutes.next(atOrAfter: minute) else {
                (hour, minute, second) = (hour + 1, 0, 0)
                continue
            }
            if m != minute { (minute, second) = (m, 0) }
            guard let s = seconds.next(atOrAfter: second) else {
                (minute, second) = (minute + 1, 0)
                continue
            }
            let wall = days * 86_400 + Int64(hour * 3600 + minute * 60 + s)
            return wall < limit ? wall : nil
        }
    }

    // MARK: Scheduling

    /// The first instant strictly after `utcSeconds` at which the schedule fires in `zone`,
    /// or nil when none comes within 50 years (only possible for rare day-of-month and
    /// day-of-week combinations, such as February 29 on a Monday).
    ///
    /// Daylight saving time, as Vixie cron (and cronie) handle it. An expression whose
    /// minute or hour field begins with `*` ("wildcard", such as `*/15 * * * *` or
    /// `0 * * * *`) follows the wall clock: it fires at every instant whose wall time
    /// matches, so it does not fire for wall times the clock skips and fires twice for a
    /// matching wall time the clock repeats. Any other expression (a fixed time such as
    /// `30 2 * * *`) fires once per matching wall time: a wall time in a spring-forward gap
    /// fires at the end of the gap (02:30 on a day that jumps from 02:00 to 03:00 fires at
    /// 03:00 new time; several skipped times fire once, together), and a wall time that
    /// occurs twice fires at its first occurrence only.
    public func nextFire(after utcSeconds: Int64, in zone: TimeZoneRules) -> Int64? {
        // Far beyond any clock; keeps the arithmetic below from overflowing.
        guard utcSeconds > -(1 << 45) && utcSeconds < 1 << 45 else { return nil }
        let horizon = utcSeconds + 50 * 366 * 86_400

        // Walk the stretches of constant UTC offset. Within one, wall time runs in step
        // with UTC, so the first wall-clock match is the first instant.
        var segmentStart = utcSeconds
        var offset = Int64(zone.offset(atUTC: utcSeconds))
        var wallFrom = utcSeconds + offset + 1
        if !followsWallClock, let previous = zone.lastTransition(atOrBefore: utcSeconds),
            previous.offsetBefore > previous.offsetAfter
        {
            // Just after a fall-back, wall times up to the old clock's reading have already
            // occurred once; a fixed-time expression must not fire for them again.
            wallFrom = max(wallFrom, previous.at + Int64(previous.offsetBefore))
        }
        while segmentStart < horizon {
            let transition = zone.nextTransition(after: segmentStart)
            let segmentEnd = min(transition?.at ?? horizon, horizon)
            if let wall = nextMatch(wallFrom: wallFrom, before: segmentEnd + offset) {
                return wall - offset
            }
            guard let transition, transition.at < horizon else { return nil }
            let before = transition.at + Int64(transition.offsetBefore)
            let after = transition.at + Int64(transition.offsetAfter)
            if after > before {
                // Spring forward: wall times in [before, after) do not exist.
                if !followsWallClock, nextMatch(wallFrom: before, before: after) != nil { return transition.at }
                wallFrom = after
            } else {
                // Fall back: wall times in [after, before) come round again.
                wallFrom = followsWallClock ? after : before
            }
            segmentStart = transition.at
            offset = Int64(transition.offsetAfter)
        }
        return nil
    }
}

/// Why a cron expression was refused, in one line that names the field, such as
/// `field 2 (hour): 25 is out of range 0-23`.
public struct CronParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// The allowed values of one field, as bits (bit n set = value n allowed).
struct CronField: Sendable, Equatable {
    var bits: UInt64

    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let rest = bits >> UInt64(max(value, 0))
        return rest == 0 ? nil : max(value, 0) + rest.trailingZeroBitCount
    }

    var values: [Int] { (0..<64).filter { contains($0) } }
}

private struct FieldSpec {
    var name: String
    var min: Int
    var max: Int
    /// Three-letter names for `min`, `min + 1`, ...
    var names: [String] = []
    var nameKind = ""
    var allowsQuestionMark = false

    static let second = FieldSpec(name: "second", min: 0, max: 59)
    static let minute = FieldSpec(name: "minute", min: 0, max: 59)
    static let hour = FieldSpec(name: "hour", min: 0, max: 23)
    static let dayOfMonth = FieldSpec(name: "day-of-month", min: 1, max: 31, allowsQuestionMark: true)
    static let month = FieldSpec(
        name: "month", min: 1, max: 12,
        names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        nameKind: "a month name (JAN-DEC)")
    static let dayOfWeek = FieldSpec(
        name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        nameKind: "a day name (SUN-SAT)", allowsQuestionMark: true)

    func parse(_ text: Substring, position: Int) throws(CronParseError) -> CronField {
        func fail(_ what: String) -> CronParseError {
            CronParseError("field \(position) (\(name)): \(what)")
        }
        func value(_ token: Substring) throws(CronParseError) -> Int {
            if !token.isEmpty && token.allSatisfy({ $0.isASCII && $0.isNumber }) {
                // Long digit strings are out of range anyway; this avoids overflow.
                guard token.count <= 4, let n = Int(token), n >= min, n <= max else {
                    throw fail("\(token) is out of range \(min)-\(max)")
                }
                return n
            }
            if let index = names.firstIndex(of: token.uppercased()) { return min + index }
            if token.isEmpty { throw fail("missing value in \"\(text)\"") }
            throw fail(
                names.isEmpty ? "\"\(token)\" is not a number" : "\"\(token)\" is neither a number nor \(nameKind)")
        }

        var field = CronField(bits: 0)
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw fail("empty item in the list \"\(text)\"") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail("more than one step in \"\(item)\"") }
            let base = parts[0]
            var step = 1
            if parts.count == 2 {
                let s = parts[1]
                guard !s.isEmpty else { throw fail("missing step after '/' in \"\(item)\"") }
                guard s.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw fail("step \"\(s)\" is not a number") }
                guard s.count <= 4, let n = Int(s), n <= max - min + 1 else {
                    throw fail("step \(s) is larger than the range \(min)-\(max)")
                }
                guard n >= 1 else { throw fail("step 0 must be at least 1") }
                step = n
            }
            let low: Int
            let high: Int
            if base == "*" || (base == "?" && allowsQuestionMark) {
                (low, high) = (min, max)
            } else if let dash = base.firstIndex(of: "-") {
                let a = base[..<dash]
                let b = base[base.index(after: dash)...]
                guard !b.contains("-") else { throw fail("\"\(base)\" is not a range") }
                (low, high) = (try value(a), try value(b))
                guard low <= high else { throw fail("range \(base) goes backwards") }
            } else {
                low = try value(base)
                // `5/15` runs from 5 to the end of the range, as in Vixie cron and croner.
                high = parts.count == 2 ? max : low
            }
            for v in stride(from: low, through: high, by: step) { field.bits |= 1 << UInt64(v) }
        }
        return field
    }
}
