/// Reading a time stamp back from the text `LogDateFormat.append` wrote, so that
/// `swisor logs --since` can filter the lines of time-stamped and JSON log files.
///
/// The parse follows the pattern's tokens: a literal must match byte for byte, a padded
/// number takes exactly its width, an unpadded one (`M`, `D`, `H`, `h`, `m`, `s`) one or
/// two digits, names (`MMM`, `dddd`...) match the English names the formatter writes.
///
/// An instant can be read back only when the pattern names one: `X` or `x` alone, or a
/// year (`YYYY`, or `YY` read as 20YY), a month, a day, an hour (`H`/`HH`, or `h`/`hh`
/// with `A`/`a`) and a minute; seconds and milliseconds default to 0. With `Z` or `ZZ`
/// the instant is exact; without an offset the wall time is read in `zone` (the reader's
/// local time, which is the daemon's when both run on one machine), and a wall time that
/// happens twice (the hour repeated when DST ends) means its first occurrence, so a
/// `--since` filter never leaves out a line it should show. A pattern such as `HH:mm:ss`
/// (no date) names no instant: `canReadBack` is false and every stamp reads as nil.
extension LogDateFormat {
    /// True when a stamp in this format names an instant (see above).
    public var canReadBack: Bool {
        let has = { (t: [Token]) in self.tokens.contains { t.contains($0) } }
        if has([.unixSeconds, .unixMilliseconds]) { return true }
        let hour24 = has([.hour24, .hour24Padded])
        let hour12 = has([.hour12, .hour12Padded]) && has([.meridiemUpper, .meridiemLower])
        return has([.year4, .year2]) && has([.month, .month2, .monthShort, .monthLong]) && has([.day, .day2])
            && (hour24 || hour12) && has([.minute, .minutePadded])
    }

    /// Reads a stamp at the start of `bytes`: the instant (ms since the epoch) and how many
    /// bytes the stamp took, or nil when the bytes do not match the pattern or the pattern
    /// names no instant.
    public func readBack(_ bytes: UnsafeRawBufferPointer, zone: TimeZoneRules) -> (epochMs: Int64, length: Int)? {
        guard canReadBack else { return nil }
        var i = 0
        var year: Int64?
        var month: Int?
        var day: Int?
        var hour: Int?
        var hour12: Int?
        var pm: Bool?
        var minute: Int?
        var second = 0
        var millis = 0
        var offsetMinutes: Int?
        var unixSeconds: Int64?
        var unixMs: Int64?

        /// `min...max` digits, as a number.
        func digits(_ min: Int, _ max: Int) -> Int64? {
            var value: Int64 = 0
            var n = 0
            while n < max, i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                value = value * 10 + Int64(bytes[i] - 0x30)
                n += 1
                i += 1
            }
            return n >= min ? value : nil
        }
        /// The index in `names` of the name (or its first `length` letters) at `i`.
        func name(_ names: [String], length: Int?) -> Int? {
            for (index, full) in names.enumerated() {
                let text = length.map { Array(full.utf8.prefix($0)) } ?? Array(full.utf8)
                if i + text.count <= bytes.count, text.indices.allSatisfy({ bytes[i + $0] == text[$0] }) {
                    i += text.count
                    return index
                }
            }
            return nil
        }
        func offset(colon: Bool) -> Int? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return nil }
            let negative = bytes[i] == UInt8(ascii: "-")
            i += 1
            guard let h = digits(2, 2) else { return nil }
            if colon {
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
            }
            guard let m = digits(2, 2), h <= 23, m <= 59 else { return nil }
            let total = Int(h * 60 + m)
            return negative ? -total : total
        }

        for token in tokens {
            switch token {
            case .literal(let text):
                guard i + text.count <= bytes.count, text.indices.allSatisfy({ bytes[i + $0] == text[$0] })
                else { return nil }
                i += text.count
            case .year4:
                guard let v = digits(4, 4) else { return nil }
                year = v
            case .year2:
                guard let v = digits(2, 2) else { return nil }
                if year == nil { year = 2000 + v }
            case .month, .month2:
                guard let v = digits(token == .month ? 1 : 2, 2) else { return nil }
                month = Int(v)
            case .monthShort, .monthLong:
                guard let index = name(Self.monthNames, length: token == .monthShort ? 3 : nil) else { return nil }
                month = index + 1
            case .day, .day2:
                guard let v = digits(token == .day ? 1 : 2, 2) else { return nil }
                day = Int(v)
            case .weekday:
                guard digits(1, 1) != nil else { return nil }
            case .weekdayMin, .weekdayShort, .weekdayLong:
                let length: Int? = token == .weekdayMin ? 2 : token == .weekdayShort ? 3 : nil
                guard name(Self.weekdayNames, length: length) != nil else { return nil }
            case .hour24, .hour24Padded:
                guard let v = digits(token == .hour24 ? 1 : 2, 2) else { return nil }
                hour = Int(v)
            case .hour12, .hour12Padded:
                guard let v = digits(token == .hour12 ? 1 : 2, 2) else { return nil }
                hour12 = Int(v)
            case .meridiemUpper, .meridiemLower:
                guard let index = name(token == .meridiemUpper ? ["AM", "PM"] : ["am", "pm"], length: nil)
                else { return nil }
                pm = index == 1
            case .minute, .minutePadded:
                guard let v = digits(token == .minute ? 1 : 2, 2) else { return nil }
                minute = Int(v)
            case .second, .secondPadded:
                guard let v = digits(token == .second ? 1 : 2, 2) else { return nil }
                second = Int(v)
            case .milliseconds:
                guard let v = digits(3, 3) else { return nil }
                millis = Int(v)
            case .offsetColon, .offsetCompact:
                guard let v = offset(colon: token == .offsetColon) else { return nil }
                offsetMinutes = v
            case .unixSeconds, .unixMilliseconds:
                let negative = i < bytes.count && bytes[i] == UInt8(ascii: "-")
                if negative { i += 1 }
                guard let v = digits(1, 18) else { return nil }
                if token == .unixSeconds { unixSeconds = negative ? -v : v } else { unixMs = negative ? -v : v }
            }
        }

        if let unixMs { return (unixMs, i) }
        if let unixSeconds { return (unixSeconds * 1000 + Int64(millis), i) }
        if hour == nil, let hour12, let pm {
            guard (1...12).contains(hour12) else { return nil }
            hour = hour12 % 12 + (pm ? 12 : 0)
        }
        guard let year, let month, let day, let hour, let minute, (1...12).contains(month),
            (1...Civil.daysIn(year: year, month: month)).contains(day), hour <= 23, minute <= 59, second <= 59
        else { return nil }
        let wall = CivilTime(year: Int(year), month: month, day: day, hour: hour, minute: minute, second: second)
            .secondsSinceEpoch
        let seconds: Int64
        if let offsetMinutes {
            seconds = wall - Int64(offsetMinutes) * 60
        } else {
            switch zone.resolve(local: wall) {
            case .unique(let t): seconds = t
            case .repeated(let first, _): seconds = first
            case .skipped(let gapEnd): seconds = gapEnd
            }
        }
        return (seconds * 1000 + Int64(millis), i)
    }

    /// `readBack` over an array.
    public func readBack(_ bytes: [UInt8], zone: TimeZoneRules) -> (epochMs: Int64, length: Int)? {
        bytes.withUnsafeBytes { readBack($0, zone: zone) }
    }
}
