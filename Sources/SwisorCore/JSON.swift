/// A JSON value (RFC 8259), parsed strictly from UTF-8 bytes.
///
/// Integers are kept apart from other numbers so that `"max_restarts": 10` stays exactly 10
/// and `"kill_timeout": 1.5` can be told from `1`: an integral literal (no fraction, no
/// exponent) that fits in 64 bits is `.int`; every other number is `.double`.
/// `.int(1)` and `.double(1)` are therefore different values.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// Deeper nesting is refused, so that a hostile or broken file cannot exhaust the stack
    /// of the recursive parser.
    public static let maxDepth = 512

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSON {
        let result: Result<JSON, JSONSyntaxError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            do throws(JSONSyntaxError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSON {
        try parse(Array(text.utf8))
    }
}

/// Where a JSON text is broken, for a message such as
/// "line 14, column 7: expected ',' or '}' after an object member".
/// Lines and columns start at 1; a column counts characters (Unicode scalars), not bytes,
/// so that it matches what an editor shows.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A JSON object that keeps its members in the order of the text, because messages and
/// listings follow the user's file, and a serialized object should read like its source.
///
/// A key given twice keeps its first position and its last value (as JavaScript does,
/// which is what PM2 users get); the key is recorded in `duplicateKeys` so a loader can warn.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var members: [(key: String, value: JSON)] = []
    /// Keys that appeared more than once, each listed once, in order of their second use.
    public private(set) var duplicateKeys: [String] = []
    /// Key to position, built only once the object has more than `linearLimit` members:
    /// below that, comparing keys beats hashing them. Most objects are small (a `list`
    /// answer is a hundred objects of 13 members, parsed at every `swisor list`, where
    /// hashing every key twice was a fifth of the CLI's own time), and a large one (an env
    /// of hundreds of variables) still finds a key without a scan.
    private var index: [String: Int]?
    static let linearLimit = 16

    public init() {}

    /// Members with distinct keys (the caller's promise), as encoders write them: no
    /// comparison of keys at all (a `list` answer is written by the daemon at every call).
    public init(distinct members: [(key: String, value: JSON)]) {
        self.members = members
        if members.count > JSONObject.linearLimit {
            index = Dictionary(members.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { _, last in last })
        }
    }

    public init(_ members: [(key: String, value: JSON)]) {
        self.members.reserveCapacity(members.count)
        for member in members { append(member.key, member.value) }
    }

    public init(dictionaryLiteral elements: (String, JSON)...) {
        for (key, value) in elements { append(key, value) }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    private mutating func appendNew(_ key: String, _ value: JSON) {
        index?[key] = members.count
        members.append((key, value))
        if index == nil, members.count > JSONObject.linearLimit {
            var built: [String: Int] = [:]
            built.reserveCapacity(members.count * 2)
            for (i, member) in members.enumerated() { built[member.key] = i }
            index = built
        }
    }

    /// Setting `nil` removes the member.
    public subscript(key: String) -> JSON? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let newValue {
                if let i = position(of: key) {
                    members[i].value = newValue
                } else {
                    appendNew(key, newValue)
                }
            } else if let i = position(of: key) {
                members.remove(at: i)
                if index != nil {
                    index?[key] = nil
                    for j in i..<members.count { index?[members[j].key] = j }
                }
            }
        }
    }

    /// Adds a member as the parser meets it: a repeated key overwrites and is recorded.
    mutating func append(_ key: String, _ value: JSON) {
        if let i = position(of: key) {
            members[i].value = value
            if !duplicateKeys.contains(key) { duplicateKeys.append(key) }
        } else {
            appendNew(key, value)
        }
    }

    /// Two objects are equal when they have the same keys with equal values, in any order
    /// (JSON's meaning of an object); `duplicateKeys` is history and does not count.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (key, value) in lhs.members {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }
}

// MARK: - Accessors

extension JSON {
    public var isNull: Bool { if case .null = self { true } else { false } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }

    /// An integer, also from a double with an integral value that fits (`10.0`).
    public var int64Value: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            // 2^63 is exactly representable and is the first value that does not fit.
            guard d.rounded(.towardZero) == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18
            else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    /// Any number as a Double.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The member of an object, or nil for a missing key or a value that is not an object.
    public subscript(key: String) -> JSON? { objectValue?[key] }

    /// What the value is, for messages: `"ten"`, `-3`, `true`, `null`, `an array`, `an object`.
    /// Long strings are cut, so a message stays on one readable line.
    public var brief: String {
        switch self {
        // Infinity and NaN, which a .json file read as PM2 reads it may hold, by their names.
        case .double(let d) where !d.isFinite: return d.isNaN ? "NaN" : d < 0 ? "-Infinity" : "Infinity"
        case .null, .bool, .int, .double: return serialized()
        case .string(let s):
            let limit = 40
            if s.count <= limit { return JSON.string(s).serialized() }
            return JSON.string(String(s.prefix(limit))).serialized().dropLast() + "…\""
        case .array(let a): return a.isEmpty ? "an empty array" : "an array"
        case .object(let o): return o.isEmpty ? "an empty object" : "an object"
        }
    }
}

// MARK: - Literals (for code that builds JSON, such as the CLI turning flags into an app)

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var object = JSONObject()
        for (key, value) in elements { object.append(key, value) }
        self = .object(object)
    }
}

// MARK: - Serializer

extension JSON {
    /// Compact JSON text (no blanks), object members in their order. Non-finite doubles,
    /// which JSON cannot express, are written as `null` (as JavaScript's JSON.stringify).
    public func serialized() -> String {
        String(decoding: serializedBytes(), as: UTF8.self)
    }

    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            // Swift's description is the shortest text that reads back as the same Double,
            // and is valid JSON for finite values ("1.5", "3.0", "1e-07", "1e+20").
            out.append(contentsOf: (d.isFinite ? d.description : "null").utf8)
        case .string(let s): JSON.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, member) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(s, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    // MARK: String escaping over bytes

    /// Appends `bytes` as the inside of a JSON string (no quotes): `\"`, `\\`, `\n`, `\r`,
    /// `\t`, `\b`, `\f`, `\u00XX` for the other control characters, everything else as it is
    /// (non-ASCII is valid unescaped in JSON). Bytes that are not well-formed UTF-8 become
    /// U+FFFD, one per maximal ill-formed subpart (Unicode 15, 3.9), which is what
    /// `String(decoding:as:)` does, so the result is always valid JSON. The one escaper of
    /// the package: `serialized()` and the JSON log records (`LogRecordRenderer`) both use it.
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
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

    /// `appendEscaped` for a string (always well-formed UTF-8).
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
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

// MARK: - Parser

/// A recursive-descent parser over a byte buffer. Every step is linear in the input: strings
/// without escapes are sliced straight out of the buffer, and the line and column of an
/// error are computed only once an error happens.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSON {
        // RFC 8259 lets a parser ignore a byte order mark; editors on Windows write one.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
        skipWhitespace()
        if pos == bytes.count { throw error("the file is empty, expected a JSON value") }
        let value = try parseValue()
        skipWhitespace()
        if pos < bytes.count { throw error("unexpected \(describe(pos)) after the JSON value") }
        return value
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONSyntaxError) -> JSON {
        guard pos < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "'"): throw error("strings must be in double quotes, found a single quote")
        case UInt8(ascii: "/"): throw error("comments are not allowed in JSON")
        default: throw error("expected a value, found \(describeWord(pos))")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let matches = pos + count <= bytes.count
            && (0..<count).allSatisfy { bytes[pos + $0] == word.utf8Start[$0] }
        guard matches else { throw error("expected \(word), found \(describeWord(pos))") }
        pos += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSON.maxDepth { throw error("nesting deeper than \(JSON.maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSON {
        try enter()
        pos += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                    throw error("expected a key after ',' (trailing commas are not allowed in JSON)")
                }
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "'") {
                    throw error("expected a string key, found a single quote (strings must be in double quotes)")
                }
                if pos < bytes.count, isIdentifierStart(bytes[pos]) {
                    throw error("expected a string key, found \(describeWord(pos)) (keys must be in double quotes)")
                }
                throw error("expected a string key, found \(describe(pos))")
            }
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \(JSON.string(key).brief)")
            }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            object.append(key, value)
            skipWhitespace()
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected ',' or '}' after an object member")
            }
            if bytes[pos] == UInt8(ascii: ",") {
                pos += 1
                skipWhitespace()
                continue
            }
            if bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                depth -= 1
                return .object(object)
            }
            throw error("expected ',' or '}' after an object member")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSON {
        try enter()
        pos += 1  // [
        var elements: [JSON] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                throw error("expected a value after ',' (trailing commas are not allowed in JSON)")
            }
            elements.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else {
                throw error("unexpected end of input, expected ',' or ']' after an array element")
            }
            if bytes[pos] == UInt8(ascii: ",") {
                pos += 1
                skipWhitespace()
                continue
            }
            if bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                depth -= 1
                return .array(elements)
            }
            throw error("expected ',' or ']' after an array element")
        }
    }

    // MARK: Strings

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let opening = pos
        pos += 1
        let start = pos
        // Fast path: no escape, so the text is a slice of the input (already checked UTF-8).
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
                pos += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw controlCharacterError(b, opening: opening) }
            if b < 0x80 { pos += 1 } else { try skipUTF8Sequence() }
        }
        guard pos < bytes.count else { throw error("unterminated string", at: opening) }

        // Slow path: escapes are decoded into a buffer.
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") {
                try parseEscape(into: &buffer)
            } else if b < 0x20 {
                throw controlCharacterError(b, opening: opening)
            } else if b < 0x80 {
                buffer.append(b)
                pos += 1
            } else {
                let sequenceStart = pos
                try skipUTF8Sequence()
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[sequenceStart..<pos]))
            }
        }
        throw error("unterminated string", at: opening)
    }

    private func controlCharacterError(_ b: UInt8, opening: Int) -> JSONSyntaxError {
        if b == 0x0A || b == 0x0D {
            // Most often a closing quote is missing; point at the string that never ended.
            return error("unterminated string (a line break inside a string must be written \\n)", at: opening)
        }
        return error("control character \(JSONParser.scalarName(UInt32(b))) in a string must be escaped")
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONSyntaxError) {
        let escapeStart = pos
        pos += 1  // backslash
        guard pos < bytes.count else { throw error("unterminated string", at: escapeStart) }
        let c = bytes[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let first = try readHex4(escapeStart: escapeStart)
            var scalar = first
            if (0xD800...0xDBFF).contains(first) {
                // A high surrogate must be followed by an escaped low one: together they are
                // one scalar outside the Basic Multilingual Plane.
                guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                else { throw unpairedSurrogate(first, at: escapeStart) }
                let secondStart = pos
                pos += 2
                let second = try readHex4(escapeStart: secondStart)
                guard (0xDC00...0xDFFF).contains(second) else {
                    throw unpairedSurrogate(first, at: escapeStart)
                }
                scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(first) {
                throw unpairedSurrogate(first, at: escapeStart)
            }
            // Surrogates were handled above, so this is always a valid scalar.
            let unicodeScalar = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            buffer.append(contentsOf: UTF8.encode(unicodeScalar)!)
        default:
            let shown =
                (0x21..<0x7F).contains(c)
                ? "'\\" + String(UnicodeScalar(c)) + "'"
                : "'\\' followed by \(describe(escapeStart + 1))"
            throw error("invalid escape \(shown) in a string", at: escapeStart)
        }
    }

    /// Swift strings hold Unicode scalars only, so a lone surrogate (legal in JSON's grammar,
    /// but no character) cannot be kept; refusing it beats replacing it silently.
    private func unpairedSurrogate(_ unit: UInt32, at offset: Int) -> JSONSyntaxError {
        error("unpaired UTF-16 surrogate \\u\(JSONParser.hex4(unit)) in a string", at: offset)
    }

    private mutating func readHex4(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard pos < bytes.count, let digit = JSONParser.hexValue(bytes[pos]) else {
                throw error("invalid \\u escape: expected 4 hexadecimal digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            pos += 1
        }
        return value
    }

    /// Checks one multi-byte UTF-8 sequence at `pos` (Unicode table 3-7: no overlong forms,
    /// no surrogates, nothing above U+10FFFF) and moves past it.
    private mutating func skipUTF8Sequence() throws(JSONSyntaxError) {
        let b0 = bytes[pos]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8 byte 0x\(JSONParser.hex2(b0))")
        }
        guard pos + length <= bytes.count, secondRange.contains(bytes[pos + 1]),
            (2..<length).allSatisfy({ (0x80...0xBF).contains(bytes[pos + $0]) })
        else { throw error("invalid UTF-8 sequence") }
        pos += length
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSON {
        let start = pos
        var negative = false
        if bytes[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        guard pos < bytes.count, isDigit(bytes[pos]) else {
            throw error("expected a digit after '-'")
        }
        // Accumulated as a negative number, whose range includes Int64.min.
        var magnitude: Int64 = 0
        var fitsInt = true
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) {
                throw error("numbers cannot have leading zeros", at: start)
            }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) {
                if fitsInt {
                    let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.subtractingReportingOverflow(Int64(bytes[pos] - UInt8(ascii: "0")))
                    if o1 || o2 { fitsInt = false } else { magnitude = s }
                }
                pos += 1
            }
        }
        var integral = true
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            integral = false
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else {
                throw error("expected a digit after the decimal point")
            }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            integral = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected a digit in the exponent") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if integral && fitsInt {
            if negative { return .int(magnitude) }
            if magnitude != .min { return .int(-magnitude) }
        }
        // Swift's Double(String) rounds correctly; the syntax was checked above, so it only
        // fails on overflow (it returns infinity then).
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw error("number \(text) is out of range", at: start)
        }
        return .double(d)
    }

    // MARK: Helpers

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "$")
    }

    /// "'x'", "'“' (U+201C)", "end of input", "U+0000": what is at `offset`, as a user can
    /// find it in an editor.
    private func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let b = bytes[offset]
        if b >= 0x21 && b < 0x7F { return "'" + String(UnicodeScalar(b)) + "'" }
        if b < 0x80 { return JSONParser.scalarName(UInt32(b)) }
        // A non-ASCII character is shown whole when it is valid UTF-8 (typographic quotes
        // pasted from a web page are a classic), with its code so look-alikes can be told apart.
        var end = offset + 1
        while end < bytes.count, end - offset < 4, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let slice = UnsafeBufferPointer(rebasing: bytes[offset..<end])
        let text = String(decoding: slice, as: UTF8.self)
        if text.utf8.elementsEqual(slice), let scalar = text.unicodeScalars.first,
            text.unicodeScalars.count == 1
        {
            return "'" + text + "' (" + JSONParser.scalarName(scalar.value) + ")"
        }
        return "the invalid UTF-8 byte 0x" + JSONParser.hex2(b)
    }

    /// A word such as an unquoted key or a misspelt literal (`True`, `undefined`), shown whole.
    private func describeWord(_ offset: Int) -> String {
        var end = offset
        while end < bytes.count, end - offset < 20,
            isIdentifierStart(bytes[end]) || isDigit(bytes[end])
        {
            end += 1
        }
        if end == offset { return describe(offset) }
        return "'" + String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self) + "'"
    }

    private func error(_ message: String) -> JSONSyntaxError { error(message, at: pos) }

    /// Line and column are worked out here, once, by a scan of the text before `offset`, so the
    /// parser does not pay for tracking them on every byte.
    private func error(_ message: String, at offset: Int) -> JSONSyntaxError {
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
                // Continuation bytes belong to the character already counted.
                column += 1
            }
            i += 1
        }
        return JSONSyntaxError(line: line, column: column, message: message)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    static func hex4(_ v: UInt32) -> String {
        hex2(UInt8(truncatingIfNeeded: v >> 8)) + hex2(UInt8(truncatingIfNeeded: v))
    }

    static func scalarName(_ v: UInt32) -> String {
        var digits = String(v, radix: 16, uppercase: true)
        while digits.count < 4 { digits = "0" + digits }
        return "U+" + digits
    }
}
