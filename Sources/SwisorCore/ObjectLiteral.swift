/// The reader of a `.json` ecosystem file that is not strict JSON (docs/semantics.md,
/// "Ecosystem file").
///
/// PM2 does not parse a `.json` file as JSON: lib/Common.js (`parseConfig`) evaluates
/// `"(" + text + ")"` with node's `vm.runInThisContext`, a sloppy-mode script. So a file PM2
/// accepts may hold anything a JavaScript object literal may hold, and PM2's own old
/// `pm2 ecosystem` template used comments. This reads the part of JavaScript that is a
/// literal value, without node, and gives what node would evaluate:
///
/// - comments, `//` to the end of the line and `/* ... */`; every JavaScript blank (U+000B,
///   U+000C, U+00A0, U+FEFF, the Zs spaces) and line end (CR, U+2028, U+2029);
/// - keys unquoted (identifier names, reserved words included), in single quotes, or
///   numbers (`{1: x}` is the key "1", `{0x10: x}` the key "16");
/// - strings in single quotes, raw control characters other than a line end inside them,
///   every escape JavaScript has (`\'`, `\v`, `\0`, `\xHH`, `\u{H...}`, legacy octal `\101`,
///   a backslash before a line end continues the string, `\q` is `q`), and template
///   literals without `${...}`;
/// - numbers with `+`, hexadecimal, octal (`0o17`, and sloppy mode's `017`), binary,
///   `_` separators, `.5` and `5.`, `Infinity`, `NaN`; `undefined` (read as null: "not
///   given", as PM2 reads it);
/// - trailing commas; a key given twice keeps its first place and its last value, as in
///   JavaScript (`JSONObject` records it, and the loader warns).
///
/// What is JavaScript code rather than a literal (a variable such as `process.env.PORT`,
/// arithmetic, a call, `${...}`, a shorthand or computed key, an array hole) is refused with
/// its line and column: such a file belongs in an ecosystem.config.js, which node
/// evaluates. So is what PM2 would fail on later (a BigInt, which cannot be sent to PM2's
/// daemon) and what a Swift string cannot hold (a lone surrogate, invalid UTF-8), as the
/// strict parser does.
///
/// The loader reads a file with `JSON.parse` first and comes here only when that fails, so a
/// strict file is read exactly as before; `relaxation` names the first construct strict JSON
/// lacks, for the one warning per file.
public enum ObjectLiteral {
    /// Where a file first leaves strict JSON, and how: "line 3, column 5: a // comment".
    public struct Relaxation: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var what: String

        public init(line: Int, column: Int, what: String) {
            self.line = line
            self.column = column
            self.what = what
        }

        public var description: String { "line \(line), column \(column): \(what)" }
    }

    /// A syntax error, and whether the text had left strict JSON before it: when it had
    /// not, the strict parser's error for the same text is the one to show (it is at the
    /// same place, and its message is the one users had before).
    public struct Failure: Error, Sendable, Equatable {
        public var error: JSONSyntaxError
        public var relaxation: Relaxation?
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> (value: JSON, relaxation: Relaxation?) {
        let result: Result<(JSON, Relaxation?), Failure> = bytes.withUnsafeBufferPointer { buffer in
            var parser = ObjectLiteralParser(bytes: buffer)
            do throws(JSONSyntaxError) {
                let value = try parser.parseDocument()
                return .success((value, parser.relaxation))
            } catch {
                return .failure(Failure(error: error, relaxation: parser.relaxation))
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(Failure) -> (value: JSON, relaxation: Relaxation?) {
        try parse(Array(text.utf8))
    }

    /// A number as JavaScript prints it (ECMAScript's Number::toString): what a number
    /// becomes as a key (`{1.50: x}` is "1.5") and in a process's environment (PM2 hands
    /// values to node's spawn, which prints them): 3000.0 is "3000", 1e21 "1e+21", 1e-7
    /// "1e-7", 0.00001 "0.00001".
    public static func javaScriptText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d == 0 { return "0" }
        if d < 0 { return "-" + javaScriptText(-d) }
        if d.isInfinite { return "Infinity" }
        // Swift's description has the shortest digits that read back as `d`, as
        // JavaScript's; only the layout differs ("1e-07", "1e+16").
        let text = d.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits: [Character] = []
        var point: Int? = nil
        for c in mantissa {
            if c == "." { point = digits.count } else { digits.append(c) }
        }
        // d = 0.digits × 10^n
        var n = (point ?? digits.count) + exponent
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let k = digits.count
        let s = String(digits)
        if k <= n && n <= 21 { return s + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 { return String(digits[..<n]) + "." + String(digits[n...]) }
        if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + s }
        let e = n - 1
        let exponentText = (e < 0 ? "e-" : "e+") + String(abs(e))
        return k == 1 ? s + exponentText : String(digits[0]) + "." + String(digits[1...]) + exponentText
    }

    /// JavaScript's `Number(text)` of a string (StringToNumber): blanks around are
    /// trimmed, "" is 0, decimal with an optional sign and exponent, `0x`/`0o`/`0b` without
    /// a sign, `Infinity`; anything else is NaN. PM2 reads the base of `increment_var`
    /// this way (lib/God.js, injectVariables).
    public static func javaScriptNumberValue(_ text: String) -> Double {
        var scalars = Array(text.unicodeScalars)
        while let first = scalars.first, ObjectLiteralParser.isBlank(first.value) { scalars.removeFirst() }
        while let last = scalars.last, ObjectLiteralParser.isBlank(last.value) { scalars.removeLast() }
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars)
        if s.isEmpty { return 0 }
        switch s {
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        let lower = s.lowercased()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
            let digits = lower.dropFirst(2)
            guard !digits.isEmpty else { return .nan }
            var value: Double = 0
            for c in digits {
                guard let v = c.hexDigitValue, v < radix else { return .nan }
                value = value * Double(radix) + Double(v)
            }
            return value
        }
        // StrDecimalLiteral: [sign] (digits [. [digits]] | . digits) [e [sign] digits].
        let bytes = Array(s.utf8)
        var i = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        var mantissaDigits = 0
        while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1; mantissaDigits += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return .nan }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let start = i
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            guard i > start else { return .nan }
        }
        guard i == bytes.count else { return .nan }
        // Swift reads this syntax (".5", "5.", "+1e3") as JavaScript does, rounding
        // correctly; too large is infinity in both.
        return Double(s) ?? .nan
    }
}

/// A recursive-descent parser over the bytes, in the shape of `JSONParser`: positions are
/// byte offsets, and a line and column (lines end at LF, columns count characters, as the
/// strict parser counts them) are worked out only for an error or the first relaxation.
private struct ObjectLiteralParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    var depth = 0
    /// Whether the last numeric literal was an integer (no fraction, no exponent), so that
    /// `-9223372036854775808` is `.int(Int64.min)`, as the strict parser reads it.
    private var integerLiteral = false
    private var firstRelaxation: (offset: Int, what: String)? = nil

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var relaxation: ObjectLiteral.Relaxation? {
        firstRelaxation.map { first in
            let (line, column) = location(first.offset)
            return ObjectLiteral.Relaxation(line: line, column: column, what: first.what)
        }
    }

    /// Records the first construct that strict JSON does not have.
    private mutating func relax(_ what: String, at offset: Int) {
        if firstRelaxation == nil { firstRelaxation = (offset, what) }
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSON {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
        try skipBlanks()
        if pos == bytes.count { throw error("the file is empty, expected a JSON value") }
        let value = try parseValue()
        try skipBlanks()
        if pos < bytes.count {
            // PM2 evaluates "(" + text + ")": a `;` or a second value is a SyntaxError there too.
            throw error("unexpected \(describe(pos)) after the value")
        }
        return value
    }

    // MARK: Blanks and comments

    /// JavaScript's WhiteSpace and LineTerminator, beyond JSON's four.
    static func isBlank(_ v: UInt32) -> Bool {
        switch v {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    static func isLineEnd(_ v: UInt32) -> Bool { v == 0x0A || v == 0x0D || v == 0x2028 || v == 0x2029 }

    private mutating func skipBlanks() throws(JSONSyntaxError) {
        while pos < bytes.count {
            let b = bytes[pos]
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D:
                pos += 1
            case 0x0B, 0x0C:
                relax("the blank \(scalarName(UInt32(b)))", at: pos)
                pos += 1
            case UInt8(ascii: "/"):
                guard pos + 1 < bytes.count else { return }
                if bytes[pos + 1] == UInt8(ascii: "/") {
                    relax("a // comment", at: pos)
                    pos += 2
                    while pos < bytes.count {
                        if bytes[pos] < 0x80 {
                            if bytes[pos] == 0x0A || bytes[pos] == 0x0D { break }
                            pos += 1
                        } else {
                            let (scalar, length) = try decodeScalar()
                            if ObjectLiteralParser.isLineEnd(scalar) { break }
                            pos += length
                        }
                    }
                } else if bytes[pos + 1] == UInt8(ascii: "*") {
                    let start = pos
                    relax("a /* */ comment", at: pos)
                    pos += 2
                    while true {
                        guard pos + 1 < bytes.count else { throw error("unterminated /* comment", at: start) }
                        if bytes[pos] == UInt8(ascii: "*") && bytes[pos + 1] == UInt8(ascii: "/") {
                            pos += 2
                            break
                        }
                        pos += 1
                    }
                } else {
                    return
                }
            case 0x80...:
                let (scalar, length) = try decodeScalar()
                guard ObjectLiteralParser.isBlank(scalar) else { return }
                relax("the blank \(scalarName(scalar))", at: pos)
                pos += length
            default:
                return
            }
        }
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONSyntaxError) -> JSON {
        guard pos < bytes.count else { throw error("unexpected end of input, expected a value") }
        let b = bytes[pos]
        switch b {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "'"):
            relax("a string in single quotes", at: pos)
            return .string(try parseString())
        case UInt8(ascii: "`"):
            relax("a template literal", at: pos)
            return .string(try parseTemplate())
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseSignedNumber()
        default:
            if let word = try identifier() {
                switch word.text {
                case "true": pos = word.end; return .bool(true)
                case "false": pos = word.end; return .bool(false)
                case "null": pos = word.end; return .null
                case "undefined":
                    relax("undefined (read as null, not given)", at: pos)
                    pos = word.end
                    return .null
                case "Infinity", "NaN":
                    relax(word.text, at: pos)
                    pos = word.end
                    return .double(word.text == "NaN" ? .nan : .infinity)
                default:
                    throw error(
                        "expected a value, found '\(word.text)': a .json file may hold only literal values "
                            + "(PM2 would run it as JavaScript code; compute values in an ecosystem.config.js)")
                }
            }
            throw error("expected a value, found \(describe(pos))")
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSON.maxDepth { throw error("nesting deeper than \(JSON.maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSON {
        try enter()
        pos += 1  // {
        var object = JSONObject()
        try skipBlanks()
        while true {
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected a key or '}'")
            }
            if bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                depth -= 1
                return .object(object)
            }
            let bare = try identifier() != nil
            let key = try parseKey()
            try skipBlanks()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                if bare, pos < bytes.count, bytes[pos] == UInt8(ascii: ",") || bytes[pos] == UInt8(ascii: "}") {
                    throw error(
                        "expected ':' after the key \(JSON.string(key).brief) (`{\(key)}` is JavaScript shorthand "
                            + "for a variable's value, which a .json file cannot have)")
                }
                throw error("expected ':' after the key \(JSON.string(key).brief)")
            }
            pos += 1
            try skipBlanks()
            let value = try parseValue()
            object.append(key, value)
            try skipBlanks()
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected ',' or '}' after an object member")
            }
            if bytes[pos] == UInt8(ascii: ",") {
                let comma = pos
                pos += 1
                try skipBlanks()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { relax("a trailing comma", at: comma) }
                continue
            }
            if bytes[pos] == UInt8(ascii: "}") { continue }
            throw error("expected ',' or '}' after an object member")
        }
    }

    /// A property name: a string, an identifier name (reserved words too, as in any
    /// object literal), or a number, which JavaScript turns into its text.
    private mutating func parseKey() throws(JSONSyntaxError) -> String {
        let b = bytes[pos]
        switch b {
        case UInt8(ascii: "\""):
            return try parseString()
        case UInt8(ascii: "'"):
            relax("a key in single quotes", at: pos)
            return try parseString()
        case UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = pos
            let number = try parseNumberLiteral()
            relax("a number as a key", at: start)
            switch number {
            case .int(let i): return String(i)
            case .double(let d): return ObjectLiteral.javaScriptText(d)
            default: return ""  // parseNumberLiteral returns numbers only
            }
        case UInt8(ascii: "["):
            throw error("a computed key ([...]) is JavaScript code, which a .json file cannot have; write the key")
        case UInt8(ascii: ","):
            throw error("expected a key, found ',' (two commas in a row)")
        default:
            if let word = try identifier() {
                relax("the key \(word.text) without quotes", at: pos)
                pos = word.end
                return word.text
            }
            throw error("expected a key, found \(describe(pos))")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSON {
        try enter()
        pos += 1  // [
        var elements: [JSON] = []
        try skipBlanks()
        while true {
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected a value or ']'")
            }
            if bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                depth -= 1
                return .array(elements)
            }
            if bytes[pos] == UInt8(ascii: ",") {
                // JavaScript makes a hole of it, which no option can use.
                throw error("expected a value, found ',' (an empty array element)")
            }
            elements.append(try parseValue())
            try skipBlanks()
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected ',' or ']' after an array element")
            }
            if bytes[pos] == UInt8(ascii: ",") {
                let comma = pos
                pos += 1
                try skipBlanks()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { relax("a trailing comma", at: comma) }
                continue
            }
            if bytes[pos] == UInt8(ascii: "]") { continue }
            throw error("expected ',' or ']' after an array element")
        }
    }

    // MARK: Identifiers

    /// The identifier name at `pos`, if one starts there (ID_Start, `$`, `_`; then
    /// ID_Continue, `$`, ZWNJ, ZWJ, as ECMAScript says), with the offset after it.
    private func identifier() throws(JSONSyntaxError) -> (text: String, end: Int)? {
        var i = pos
        var first = true
        while i < bytes.count {
            let b = bytes[i]
            let ok: Bool
            var length = 1
            if b < 0x80 {
                let letter = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x24 || b == 0x5F
                ok = letter || (!first && b >= 0x30 && b <= 0x39)
            } else {
                let (v, n) = try decodeScalar(at: i)
                length = n
                guard let scalar = Unicode.Scalar(v) else { break }
                ok = first ? scalar.properties.isIDStart : (scalar.properties.isIDContinue || v == 0x200C || v == 0x200D)
            }
            if !ok { break }
            i += length
            first = false
        }
        if i == pos { return nil }
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[pos..<i]), as: UTF8.self), i)
    }

    // MARK: Numbers

    /// `+` and `-` before a number, any number of them, as JavaScript's unary operators;
    /// then a numeric literal, `Infinity` or `NaN`.
    private mutating func parseSignedNumber() throws(JSONSyntaxError) -> JSON {
        var negative = false
        var signs = 0
        while pos < bytes.count, bytes[pos] == UInt8(ascii: "-") || bytes[pos] == UInt8(ascii: "+") {
            if bytes[pos] == UInt8(ascii: "+") { relax("a '+' sign", at: pos) }
            if signs > 0 { relax("more than one sign", at: pos) }
            if bytes[pos] == UInt8(ascii: "-") { negative.toggle() }
            if pos + 1 < bytes.count, bytes[pos + 1] == bytes[pos] {
                // `--1` is no double negation in JavaScript but a decrement: a SyntaxError.
                let op = bytes[pos] == UInt8(ascii: "-") ? "--" : "++"
                throw error("'\(op)' is JavaScript's \(op == "--" ? "decrement" : "increment") operator; write one sign")
            }
            signs += 1
            pos += 1
            let afterSign = pos
            try skipBlanks()
            if pos != afterSign { relax("a blank after a sign", at: afterSign) }
        }
        let value: JSON
        if let word = signs > 0 ? try identifier() : nil {
            guard word.text == "Infinity" || word.text == "NaN" else {
                throw error(
                    "expected a number after the sign, found '\(word.text)' (a sign before anything else is "
                        + "JavaScript code, which a .json file cannot have)")
            }
            relax(word.text, at: pos)
            pos = word.end
            value = .double(word.text == "NaN" ? .nan : .infinity)
        } else {
            guard pos < bytes.count, isDigit(bytes[pos]) || bytes[pos] == UInt8(ascii: ".") else {
                throw error(signs > 0 ? "expected a number after the sign" : "expected a value, found \(describe(pos))")
            }
            value = try parseNumberLiteral()
        }
        guard negative else { return value }
        switch value {
        case .double(9223372036854775808) where integerLiteral: return .int(.min)
        case .int(let i): return .int(-i)  // never Int64.min: the literal was positive
        case .double(let d): return .double(-d)
        default: return value
        }
    }

    /// A numeric literal without sign: decimal (with `.5`, `5.`, `_` separators), `0x`,
    /// `0o`, `0b`, or sloppy mode's legacy octal (`017` is 15; `08` and `09.5` are decimal).
    private mutating func parseNumberLiteral() throws(JSONSyntaxError) -> JSON {
        let start = pos
        integerLiteral = true
        if bytes[pos] == UInt8(ascii: "0"), pos + 1 < bytes.count {
            let next = bytes[pos + 1] | 0x20  // lower case
            let radix: Int? =
                switch next {
                case UInt8(ascii: "x"): 16
                case UInt8(ascii: "o"): 8
                case UInt8(ascii: "b"): 2
                default: nil
                }
            if let radix {
                let name = radix == 16 ? "a hexadecimal number" : radix == 8 ? "an octal number" : "a binary number"
                relax(name, at: start)
                pos += 2
                let digits = try digitRun(radix: radix)
                guard !digits.isEmpty else { throw error("expected a digit after '0\(Character(UnicodeScalar(bytes[start + 1])))'") }
                try checkEndOfNumber(start)
                return ObjectLiteralParser.integer(digits, radix: radix)
            }
            if isDigit(bytes[pos + 1]) {
                // Sloppy mode's legacy forms: octal when every digit is below 8, else decimal.
                var end = pos + 1
                while end < bytes.count, isDigit(bytes[end]) { end += 1 }
                let digits = Array(UnsafeBufferPointer(rebasing: bytes[(pos + 1)..<end]))
                if digits.allSatisfy({ $0 < UInt8(ascii: "8") }) {
                    relax("a number with a leading zero (JavaScript reads 0\(String(decoding: digits, as: UTF8.self)) as octal)", at: start)
                    pos = end
                    try checkEndOfNumber(start, legacy: true)
                    return ObjectLiteralParser.integer(digits.map { $0 - UInt8(ascii: "0") }, radix: 8)
                }
                relax("a number with a leading zero", at: start)
                return try parseDecimal(start: start, legacy: true)
            }
        }
        return try parseDecimal(start: start, legacy: false)
    }

    private mutating func parseDecimal(start: Int, legacy: Bool) throws(JSONSyntaxError) -> JSON {
        var text: [UInt8] = []
        let integerDigits = try decimalRun(separators: !legacy && bytes[pos] != UInt8(ascii: "0"))
        text += integerDigits
        var integral = true
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            integral = false
            let point = pos
            pos += 1
            let fraction = try decimalRun(separators: true)
            if integerDigits.isEmpty {
                guard !fraction.isEmpty else { throw error("expected a digit after the decimal point", at: point) }
                relax("a number starting with a decimal point", at: start)
            } else if fraction.isEmpty {
                relax("a number ending with a decimal point", at: point)
            }
            text = (text.isEmpty ? [UInt8(ascii: "0")] : text) + [UInt8(ascii: ".")]
                + (fraction.isEmpty ? [UInt8(ascii: "0")] : fraction)
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            integral = false
            text.append(UInt8(ascii: "e"))
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") {
                text.append(bytes[pos])
                pos += 1
            }
            let exponent = try decimalRun(separators: true)
            guard !exponent.isEmpty else { throw error("expected a digit in the exponent") }
            text += exponent
        }
        try checkEndOfNumber(start)
        integerLiteral = integral
        let literal = String(decoding: text, as: UTF8.self)
        if integral, let i = Int64(literal) { return .int(i) }
        guard let d = Double(literal), d.isFinite else {
            let shown = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            throw error("number \(shown) is out of range", at: start)
        }
        return .double(d)
    }

    /// Decimal digits at `pos`, with `_` between two digits where `separators` allows it.
    private mutating func decimalRun(separators: Bool) throws(JSONSyntaxError) -> [UInt8] {
        try digitRun(radix: 10, separators: separators).map { $0 + UInt8(ascii: "0") }
    }

    /// The values of the digits at `pos` in `radix`; a `_` must stand between two digits.
    private mutating func digitRun(radix: Int, separators: Bool = true) throws(JSONSyntaxError) -> [UInt8] {
        var digits: [UInt8] = []
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "_") && separators {
                guard !digits.isEmpty, pos + 1 < bytes.count, let v = JSONHex.value(bytes[pos + 1]), Int(v) < radix else {
                    throw error("a '_' in a number must stand between two digits")
                }
                relax("a '_' in a number", at: pos)
                pos += 1
                continue
            }
            guard let v = JSONHex.value(b), Int(v) < radix else { break }
            digits.append(v)
            pos += 1
        }
        return digits
    }

    /// JavaScript: "the SourceCharacter immediately following a NumericLiteral must not be
    /// an IdentifierStart or DecimalDigit".
    private mutating func checkEndOfNumber(_ start: Int, legacy: Bool = false) throws(JSONSyntaxError) {
        guard pos < bytes.count else { return }
        let b = bytes[pos]
        if b == UInt8(ascii: "n") {
            throw error("a BigInt (a number ending in n) cannot be an option's value", at: start)
        }
        if legacy && (b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")) {
            throw error("a number with a leading zero cannot have a fraction, an exponent or '_' (JavaScript reads it as octal)", at: start)
        }
        if isDigit(b) || (try? identifier()) != nil {
            throw error("unexpected \(describe(pos)) right after a number")
        }
    }

    private static func integer(_ digits: [UInt8], radix: Int) -> JSON {
        var exact: Int64 = 0
        var fits = true
        var approximate: Double = 0
        for d in digits {
            approximate = approximate * Double(radix) + Double(d)
            if fits {
                let (m, o1) = exact.multipliedReportingOverflow(by: Int64(radix))
                let (s, o2) = m.addingReportingOverflow(Int64(d))
                if o1 || o2 { fits = false } else { exact = s }
            }
        }
        return fits ? .int(exact) : .double(approximate)
    }

    // MARK: Strings

    /// A string in double or single quotes. A line end may not appear raw (JavaScript says
    /// so too), except U+2028 and U+2029, which JSON and JavaScript allow.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let opening = pos
        let quote = bytes[pos]
        pos += 1
        var buffer: [UInt8] = []
        while pos < bytes.count {
            let b = bytes[pos]
            if b == quote {
                pos += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try parseEscape(into: &buffer, template: false)
            } else if b == 0x0A || b == 0x0D {
                throw error(
                    "unterminated string (a line break inside a string must be written \\n, or follow a backslash)",
                    at: opening)
            } else if b < 0x20 {
                relax("the control character \(scalarName(UInt32(b))) in a string", at: pos)
                buffer.append(b)
                pos += 1
            } else if b < 0x80 {
                buffer.append(b)
                pos += 1
            } else {
                let (_, length) = try decodeScalar()
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pos..<(pos + length)]))
                pos += length
            }
        }
        throw error("unterminated string", at: opening)
    }

    /// A template literal without substitutions: line ends may be raw (CR LF and CR are
    /// read as LF, as JavaScript does); `${` starts code, which is refused.
    private mutating func parseTemplate() throws(JSONSyntaxError) -> String {
        let opening = pos
        pos += 1
        var buffer: [UInt8] = []
        while pos < bytes.count {
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "`"):
                pos += 1
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &buffer, template: true)
            case UInt8(ascii: "$") where pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "{"):
                throw error(
                    "a template literal with ${...} is JavaScript code, which a .json file cannot have "
                        + "(compute values in an ecosystem.config.js)")
            case 0x0D:
                buffer.append(0x0A)
                pos += 1
                if pos < bytes.count, bytes[pos] == 0x0A { pos += 1 }
            case 0x80...:
                let (_, length) = try decodeScalar()
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pos..<(pos + length)]))
                pos += length
            default:
                buffer.append(b)
                pos += 1
            }
        }
        throw error("unterminated template literal", at: opening)
    }

    private mutating func parseEscape(into buffer: inout [UInt8], template: Bool) throws(JSONSyntaxError) {
        let escapeStart = pos
        pos += 1  // backslash
        guard pos < bytes.count else { throw error(template ? "unterminated template literal" : "unterminated string", at: escapeStart) }
        let c = bytes[pos]
        func shown() -> String { "\\" + String(UnicodeScalar(c)) }
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            buffer.append(c)
            pos += 1
        case UInt8(ascii: "b"): buffer.append(0x08); pos += 1
        case UInt8(ascii: "f"): buffer.append(0x0C); pos += 1
        case UInt8(ascii: "n"): buffer.append(0x0A); pos += 1
        case UInt8(ascii: "r"): buffer.append(0x0D); pos += 1
        case UInt8(ascii: "t"): buffer.append(0x09); pos += 1
        case UInt8(ascii: "v"):
            relax("the escape \\v", at: escapeStart)
            buffer.append(0x0B)
            pos += 1
        case UInt8(ascii: "'"):
            relax("the escape \\'", at: escapeStart)
            buffer.append(c)
            pos += 1
        case UInt8(ascii: "0") where pos + 1 >= bytes.count || !isDigit(bytes[pos + 1]):
            relax("the escape \\0", at: escapeStart)
            buffer.append(0)
            pos += 1
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            // Sloppy mode's octal escapes: up to three digits, at most \377.
            if template { throw error("an octal escape (\(shown())) is not allowed in a template literal", at: escapeStart) }
            relax("an octal escape \(shown())", at: escapeStart)
            var value = UInt32(c - UInt8(ascii: "0"))
            pos += 1
            let most = c <= UInt8(ascii: "3") ? 2 : 1
            var taken = 0
            while taken < most, pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "7") {
                value = value * 8 + UInt32(bytes[pos] - UInt8(ascii: "0"))
                pos += 1
                taken += 1
            }
            appendScalar(value, to: &buffer)
        case UInt8(ascii: "8"), UInt8(ascii: "9"):
            if template { throw error("the escape \(shown()) is not allowed in a template literal", at: escapeStart) }
            relax("the escape \(shown())", at: escapeStart)
            buffer.append(c)
            pos += 1
        case UInt8(ascii: "x"):
            relax("the escape \\x", at: escapeStart)
            pos += 1
            var value: UInt32 = 0
            for _ in 0..<2 {
                guard pos < bytes.count, let digit = JSONHex.value(bytes[pos]) else {
                    throw error("invalid \\x escape: expected 2 hexadecimal digits", at: escapeStart)
                }
                value = value << 4 | UInt32(digit)
                pos += 1
            }
            appendScalar(value, to: &buffer)
        case UInt8(ascii: "u"):
            pos += 1
            let first = try readUnicodeEscape(escapeStart: escapeStart)
            var scalar = first
            if (0xD800...0xDBFF).contains(first) {
                guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                else { throw unpairedSurrogate(first, at: escapeStart) }
                let secondStart = pos
                pos += 2
                let second = try readUnicodeEscape(escapeStart: secondStart)
                guard (0xDC00...0xDFFF).contains(second) else { throw unpairedSurrogate(first, at: escapeStart) }
                scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(first) {
                throw unpairedSurrogate(first, at: escapeStart)
            }
            appendScalar(scalar, to: &buffer)
        case 0x0A, 0x0D:
            // A line continuation: the backslash and the line end are not part of the value.
            relax("a backslash at the end of a line in a string", at: escapeStart)
            pos += 1
            if c == 0x0D, pos < bytes.count, bytes[pos] == 0x0A { pos += 1 }
        case 0x80...:
            let (v, length) = try decodeScalar()
            if v == 0x2028 || v == 0x2029 {
                relax("a backslash at the end of a line in a string", at: escapeStart)
            } else {
                relax("a needless backslash before \(scalarName(v))", at: escapeStart)
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pos..<(pos + length)]))
            }
            pos += length
        default:
            // JavaScript's identity escape: `\q` is `q` (a control character is itself too).
            relax("the escape \(c >= 0x21 && c < 0x7F ? shown() : "\\ before " + scalarName(UInt32(c))) (read as the character alone)", at: escapeStart)
            buffer.append(c)
            pos += 1
        }
    }

    /// After `\u`: four hexadecimal digits, or hexadecimal digits in braces (at most 10FFFF).
    private mutating func readUnicodeEscape(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "{") {
            relax("the escape \\u{...}", at: escapeStart)
            pos += 1
            var count = 0
            while pos < bytes.count, let digit = JSONHex.value(bytes[pos]) {
                value = value << 4 | UInt32(digit)
                count += 1
                pos += 1
                if value > 0x10FFFF { throw error("invalid \\u{...} escape: above 10FFFF", at: escapeStart) }
            }
            guard count > 0, pos < bytes.count, bytes[pos] == UInt8(ascii: "}") else {
                throw error("invalid \\u{...} escape: expected hexadecimal digits and '}'", at: escapeStart)
            }
            pos += 1
            return value
        }
        for _ in 0..<4 {
            guard pos < bytes.count, let digit = JSONHex.value(bytes[pos]) else {
                throw error("invalid \\u escape: expected 4 hexadecimal digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            pos += 1
        }
        return value
    }

    /// Swift strings hold Unicode scalars only, so a lone surrogate (a valid JavaScript
    /// string) cannot be kept: refused, as by the strict parser.
    private func unpairedSurrogate(_ unit: UInt32, at offset: Int) -> JSONSyntaxError {
        error("unpaired UTF-16 surrogate \\u\(hex4(unit)) in a string", at: offset)
    }

    /// Appends a scalar known to be no surrogate (escapes check that first) as UTF-8.
    private func appendScalar(_ v: UInt32, to buffer: inout [UInt8]) {
        let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
        buffer.append(contentsOf: UTF8.encode(scalar)!)
    }

    // MARK: UTF-8

    private func decodeScalar() throws(JSONSyntaxError) -> (UInt32, Int) { try decodeScalar(at: pos) }

    /// The scalar whose UTF-8 starts at `offset` (a non-ASCII byte), and its length.
    private func decodeScalar(at offset: Int) throws(JSONSyntaxError) -> (UInt32, Int) {
        let (length, valid) = JSON.utf8Sequence(UnsafeRawBufferPointer(bytes), at: offset)
        guard valid else {
            // Worded as the strict parser words it: a byte that can start no sequence, or a
            // sequence that breaks off.
            let lead = bytes[offset]
            throw error((0xC2...0xF4).contains(lead) ? "invalid UTF-8 sequence" : "invalid UTF-8 byte 0x\(hex2(lead))", at: offset)
        }
        let b0 = UInt32(bytes[offset])
        var v: UInt32 =
            switch length {
            case 2: b0 & 0x1F
            case 3: b0 & 0x0F
            default: b0 & 0x07
            }
        for j in 1..<length { v = v << 6 | UInt32(bytes[offset + j] & 0x3F) }
        return (v, length)
    }

    // MARK: Messages

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// What is at `offset`, as a user can find it in an editor: "'x'", "'“' (U+201C)".
    private func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let b = bytes[offset]
        if b >= 0x21 && b < 0x7F { return "'" + String(UnicodeScalar(b)) + "'" }
        if b < 0x80 { return scalarName(UInt32(b)) }
        guard let (v, _) = try? decodeScalar(at: offset), let scalar = Unicode.Scalar(v) else {
            return "the invalid UTF-8 byte 0x" + hex2(b)
        }
        return "'" + String(Character(scalar)) + "' (" + scalarName(v) + ")"
    }

    private func error(_ message: String) -> JSONSyntaxError { error(message, at: pos) }

    private func error(_ message: String, at offset: Int) -> JSONSyntaxError {
        let (line, column) = location(offset)
        return JSONSyntaxError(line: line, column: column, message: message)
    }

    /// Line and column as `JSONParser` counts them (a line ends at LF; a column is a
    /// character; a byte order mark does not count), so both parsers point alike.
    private func location(_ offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        let end = min(offset, bytes.count)
        var i = (bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) ? 3 : 0
        while i < end {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }

    private func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    private func hex4(_ v: UInt32) -> String {
        hex2(UInt8(truncatingIfNeeded: v >> 8)) + hex2(UInt8(truncatingIfNeeded: v))
    }

    private func scalarName(_ v: UInt32) -> String {
        var digits = String(v, radix: 16, uppercase: true)
        while digits.count < 4 { digits = "0" + digits }
        return "U+" + digits
    }
}

/// The value of a hexadecimal digit (also the decimal, octal and binary ones).
enum JSONHex {
    static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
