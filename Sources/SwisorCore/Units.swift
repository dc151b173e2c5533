/// Durations and memory sizes as ecosystem files write them (docs/semantics.md, "Ecosystem file").
///
/// PM2 accepts `"^\d+(h|m|s)?$"` for some durations only and plain numbers for the others;
/// swisor takes one syntax for every duration, a superset of PM2's, and one for every size.
public enum Units {
    /// For messages: "expected a duration (…), found …".
    public static let durationForms =
        "milliseconds as a number, or a string such as \"500ms\", \"1.5s\", \"60s\", \"2m\", \"1h\""
    public static let memorySizeForms = "bytes as a number, or a string such as \"512K\", \"200M\", \"1G\""

    /// Milliseconds from `"500ms"`, `"1.5s"`, `"60s"`, `"2m"`, `"1h"`, or a bare number of
    /// milliseconds (`"1500"`). Units are lowercase, as PM2's and systemd's. A fraction is
    /// allowed and the result is rounded to the nearest millisecond. No sign, no blanks.
    public static func parseDuration(_ text: String) -> Int? {
        guard let (number, suffix) = splitNumber(text) else { return nil }
        let factor: Int64
        switch suffix {
        case "", "ms": factor = 1
        case "s": factor = 1000
        case "m": factor = 60_000
        case "h": factor = 3_600_000
        default: return nil
        }
        return scale(number, by: factor).flatMap { Int(exactly: $0) }
    }

    /// A JSON number is milliseconds (rounded); a string is read by `parseDuration(_: String)`.
    public static func parseDuration(_ value: JSON) -> Int? {
        switch value {
        case .int(let i): return i >= 0 ? Int(exactly: i) : nil
        case .double(let d): return roundedNonNegative(d).flatMap { Int(exactly: $0) }
        case .string(let s): return parseDuration(s)
        default: return nil
        }
    }

    /// Bytes from `"512K"`, `"200M"`, `"1G"`, `"1.5G"` or a bare number of bytes. Units are
    /// ×1024 (as PM2's), in either case, and may be followed by `B` or `iB` (`"200MB"`,
    /// `"200MiB"`), because people write all of these and mean the same thing. Fractions
    /// are rounded down to a whole byte.
    public static func parseMemorySize(_ text: String) -> UInt64? {
        guard let (number, suffix) = splitNumber(text) else { return nil }
        let factor: Int64
        switch suffix.lowercased() {
        case "", "b": factor = 1
        case "k", "kb", "kib": factor = 1 << 10
        case "m", "mb", "mib": factor = 1 << 20
        case "g", "gb", "gib": factor = 1 << 30
        default: return nil
        }
        return scale(number, by: factor, rounding: .towardZero).flatMap { UInt64(exactly: $0) }
    }

    /// A JSON number is bytes; a string is read by `parseMemorySize(_: String)`.
    public static func parseMemorySize(_ value: JSON) -> UInt64? {
        switch value {
        case .int(let i): return i >= 0 ? UInt64(i) : nil
        case .double(let d):
            return roundedNonNegative(d, rule: .towardZero).flatMap { UInt64(exactly: $0) }
        case .string(let s): return parseMemorySize(s)
        default: return nil
        }
    }

    // MARK: - Helpers

    /// The decimal number at the start of `text` ("1", "1.5"; never "-1", ".5", "1.", "1e3")
    /// and what follows it.
    private static func splitNumber(_ text: String) -> (number: Substring, suffix: Substring)? {
        let utf8 = text.utf8
        var i = utf8.startIndex
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let start = i
        while i < utf8.endIndex, isDigit(utf8[i]) { i = utf8.index(after: i) }
        guard i != start else { return nil }
        if i < utf8.endIndex, utf8[i] == UInt8(ascii: ".") {
            i = utf8.index(after: i)
            let fractionStart = i
            while i < utf8.endIndex, isDigit(utf8[i]) { i = utf8.index(after: i) }
            guard i != fractionStart else { return nil }
        }
        return (text[start..<i], text[i...])
    }

    /// `number × factor`, exact for integers (no trip through Double, which would round
    /// above 2^53), rounded for fractions.
    private static func scale(
        _ number: Substring, by factor: Int64,
        rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
    ) -> Int64? {
        if !number.contains(".") {
            guard let n = Int64(number) else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        guard let d = Double(number) else { return nil }
        return roundedNonNegative(d * Double(factor), rule: rule)
    }

    private static func roundedNonNegative(
        _ d: Double, rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
    ) -> Int64? {
        // 2^63 is the first Double that no longer fits in an Int64.
        guard d.isFinite, d >= 0, d < 9.223372036854775808e18 else { return nil }
        return Int64(d.rounded(rule))
    }
}
