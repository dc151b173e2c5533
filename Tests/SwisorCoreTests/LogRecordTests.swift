import Testing

@testable import SwisorCore

@Suite("Log records")
struct LogRecordTests {
    static let berlin = TimeZoneFixtures.zones("Europe/Berlin")[0]
    /// 2026-11-22 10:00:00.123 in Berlin.
    static let t: Int64 = 1_795_338_000_123

    static func render(
        _ line: [UInt8], _ format: LogLineFormat, app: String = "web", instance: Int = 0, stream: LogStream = .out,
        end: LineFramer.Line.End = .newline, continuation: Bool = false, at ms: Int64 = t,
        zone: TimeZoneRules = berlin
    ) -> String {
        var renderer = LogRecordRenderer(app: app, instance: instance, format: format, zone: zone)
        var out: [UInt8] = []
        renderer.append(line, end: end, isContinuation: continuation, stream: stream, at: ms, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func render(_ line: String, _ format: LogLineFormat, stream: LogStream = .out) -> String {
        render(Array(line.utf8), format, stream: stream)
    }

    static let pm2Format = try! LogDateFormat("YYYY-MM-DD HH:mm:ss Z")

    @Test("plain lines are the app's bytes and a newline")
    func plain() {
        #expect(Self.render("hello", .plain) == "hello\n")
        #expect(Self.render("", .plain) == "\n")
        #expect(Self.render("crlf\r", .plain) == "crlf\r\n")
        #expect(Self.render(Array("piece".utf8), .plain, end: .cut) == "piece")
        #expect(Self.render(Array("rest".utf8), .plain, continuation: true) == "rest\n")
        #expect(Self.render(Array("no newline".utf8), .plain, end: .endOfInput) == "no newline\n")
        // Invalid UTF-8 is written as it came.
        var renderer = LogRecordRenderer(app: "web", instance: 0, format: .plain, zone: .utc)
        var out: [UInt8] = []
        renderer.append([0xFF, 0x61], stream: .err, at: 0, to: &out)
        #expect(out == [0xFF, 0x61, 0x0A])
    }

    @Test("time stamps as PM2 writes them: '<time>: <line>'")
    func timestamped() {
        #expect(Self.render("ready", .timestamped(Self.pm2Format)) == "2026-11-22 10:00:00 +01:00: ready\n")
        #expect(
            Self.render("ready", .timestamped(.iso8601), stream: .err) == "2026-11-22T10:00:00.123+01:00: ready\n")
        #expect(Self.render("", .timestamped(Self.pm2Format)) == "2026-11-22 10:00:00 +01:00: \n")
        #expect(
            Self.render(Array("tail".utf8), .timestamped(Self.pm2Format), end: .endOfInput)
                == "2026-11-22 10:00:00 +01:00: tail\n")
        // A cut piece has no newline; its continuation no prefix: the line stays whole.
        #expect(
            Self.render(Array("first".utf8), .timestamped(Self.pm2Format), end: .cut)
                == "2026-11-22 10:00:00 +01:00: first")
        #expect(Self.render(Array("more".utf8), .timestamped(Self.pm2Format), end: .cut, continuation: true) == "more")
        #expect(Self.render(Array("last".utf8), .timestamped(Self.pm2Format), continuation: true) == "last\n")
        // In UTC and in New York.
        #expect(
            Self.render(Array("x".utf8), .timestamped(.iso8601), zone: .utc) == "2026-11-22T09:00:00.123+00:00: x\n")
        let newYork = TimeZoneFixtures.zones("America/New_York")[0]
        #expect(
            Self.render(Array("x".utf8), .timestamped(Self.pm2Format), zone: newYork)
                == "2026-11-22 04:00:00 -05:00: x\n")
    }

    @Test("JSON records")
    func json() throws {
        let text = Self.render("listening on :8080", .json(.iso8601))
        #expect(
            text
                == #"{"timestamp":"2026-11-22T10:00:00.123+01:00","app":"web","id":0,"stream":"out","message":"listening on :8080"}"#
                + "\n")
        let err = Self.render(Array("boom".utf8), .json(Self.pm2Format), app: "api", instance: 12, stream: .err)
        #expect(
            err == #"{"timestamp":"2026-11-22 10:00:00 +01:00","app":"api","id":12,"stream":"err","message":"boom"}"#
                + "\n")
        let cut = Self.render(Array("part".utf8), .json(.iso8601), end: .cut)
        #expect(cut.hasSuffix(#","message":"part","cut":true}"# + "\n"))
        let tail = Self.render(Array("tail".utf8), .json(.iso8601), end: .endOfInput, continuation: true)
        #expect(tail.hasSuffix(#","message":"tail"}"# + "\n"))
        // Each record is one valid JSON object on one line.
        for record in [text, err, cut, tail] {
            #expect(record.utf8.filter { $0 == 0x0A }.count == 1)
            let value = try JSON.parse(String(record.dropLast()))
            #expect(value.objectValue?.keys.prefix(5) == ["timestamp", "app", "id", "stream", "message"])
        }
        #expect(try JSON.parse(String(cut.dropLast()))["cut"] == .bool(true))
        #expect(try JSON.parse(String(err.dropLast()))["id"] == .int(12))
    }

    @Test("JSON escapes the message, the app name and the time stamp")
    func jsonEscaping() throws {
        let message = "say \"hi\" \\ tab\there\u{1}\u{1F}\u{7F} é 日本 😀\r"
        let record = Self.render(Array(message.utf8), .json(.iso8601), app: #"we"ird\app"#)
        let value = try JSON.parse(String(record.dropLast()))
        #expect(value["message"] == .string(message))
        #expect(value["app"] == .string(#"we"ird\app"#))
        #expect(record.contains(#""message":"say \"hi\" \\ tab\there\u0001\u001f"#))
        // A user's format whose literal text holds a quote still makes valid JSON.
        let quoted = try LogDateFormat(#"HH:mm [\"at\"]"#)
        let stamped = Self.render(Array("x".utf8), .json(quoted))
        #expect(try JSON.parse(String(stamped.dropLast()))["timestamp"] == .string(#"10:00 \"at\""#))
    }

    @Test("invalid UTF-8 becomes U+FFFD, so a record is always valid JSON")
    func invalidUTF8() throws {
        let cases: [([UInt8], String)] = [
            ([0x61, 0xFF, 0x62], "a\u{FFFD}b"),
            ([0xC0, 0xAF], "\u{FFFD}\u{FFFD}"),  // overlong '/'
            ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),  // a surrogate
            ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),  // above U+10FFFF
            ([0xE2, 0x82], "\u{FFFD}"),  // truncated at the end of the line
            ([0xE2, 0x82, 0x41], "\u{FFFD}A"),  // truncated before ASCII
            ([0xF0, 0x9F, 0x98], "\u{FFFD}"),
            ([0x80, 0x80], "\u{FFFD}\u{FFFD}"),
            ([0xF8, 0x88, 0x80, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
            ([0xE2, 0x82, 0xAC, 0xFE], "€\u{FFFD}"),
        ]
        for (bytes, expected) in cases {
            let record = Self.render(bytes, .json(.iso8601))
            #expect(try JSON.parse(String(record.dropLast()))["message"] == .string(expected), "\(bytes)")
        }
    }

    @Test("escaping bytes is the serializer's escaping of the decoded string, byte for byte")
    func escapingMatchesSerializer() {
        var random = SplitMix64(state: 7)
        let pieces: [[UInt8]] = [
            [0x61], [0x22], [0x5C], [0x0A], [0x0D], [0x09], [0x08], [0x0C], [0x00], [0x1F], [0x7F], [0x2F],
            Array("é".utf8), Array("€".utf8), Array("😀".utf8), [0x80], [0xC3], [0xE2, 0x82], [0xF0, 0x9F],
            [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xFF], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90],
        ]
        for _ in 0..<500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &random)]
            }
            var out: [UInt8] = [UInt8(ascii: "\"")]
            bytes.withUnsafeBytes { JSON.appendEscaped($0, to: &out) }
            out.append(UInt8(ascii: "\""))
            #expect(out == JSON.string(String(decoding: bytes, as: UTF8.self)).serializedBytes(), "\(bytes)")
        }
        // Every single byte value, alone.
        for b in 0...255 {
            var out: [UInt8] = [UInt8(ascii: "\"")]
            [UInt8(b)].withUnsafeBytes { JSON.appendEscaped($0, to: &out) }
            out.append(UInt8(ascii: "\""))
            #expect(out == JSON.string(String(decoding: [UInt8(b)], as: UTF8.self)).serializedBytes(), "byte \(b)")
        }
    }

    @Test("the time stamp follows the clock, per second or per millisecond")
    func stampCache() {
        var renderer = LogRecordRenderer(
            app: "web", instance: 0, format: .timestamped(Self.pm2Format), zone: Self.berlin)
        var out: [UInt8] = []
        for ms in [Self.t, Self.t + 500, Self.t + 877, Self.t + 1877, Self.t - 1000] {
            renderer.append(Array("x".utf8), stream: .out, at: ms, to: &out)
        }
        #expect(
            String(decoding: out, as: UTF8.self)
                == """
                2026-11-22 10:00:00 +01:00: x
                2026-11-22 10:00:00 +01:00: x
                2026-11-22 10:00:01 +01:00: x
                2026-11-22 10:00:02 +01:00: x
                2026-11-22 09:59:59 +01:00: x

                """)
        var precise = LogRecordRenderer(app: "web", instance: 0, format: .json(.iso8601), zone: .utc)
        var records: [UInt8] = []
        for ms in [Self.t, Self.t, Self.t + 1, Self.t - 123] {
            precise.append(Array("x".utf8), stream: .out, at: ms, to: &records)
        }
        let stamps = String(decoding: records, as: UTF8.self).split(separator: "\n").map { $0.dropFirst(14).prefix(29) }
        #expect(
            stamps == [
                "2026-11-22T09:00:00.123+00:00", "2026-11-22T09:00:00.123+00:00", "2026-11-22T09:00:00.124+00:00",
                "2026-11-22T09:00:00.000+00:00",
            ])
    }

    @Test("across the end of DST the stamps show the repeated hour with its offsets")
    func dstStamps() {
        var renderer = LogRecordRenderer(app: "web", instance: 0, format: .timestamped(.iso8601), zone: Self.berlin)
        var out: [UInt8] = []
        // 2026-10-25 00:59:59.500 and 01:00:00.000 UTC.
        renderer.append(Array("before".utf8), stream: .out, at: 1_792_889_999_500, to: &out)
        renderer.append(Array("after".utf8), stream: .out, at: 1_792_890_000_000, to: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "2026-10-25T02:59:59.500+02:00: before\n2026-10-25T02:00:00.000+01:00: after\n")
    }

    @Test("framer and renderer together keep a long line whole in text, in records in JSON")
    func withFramer() throws {
        let long = String(repeating: "a", count: 11) + "é" + String(repeating: "b", count: 5)
        let input = Array((long + "\nshort\n").utf8)
        var framer = LineFramer(maxLineBytes: 6)
        var text = LogRecordRenderer(app: "web", instance: 3, format: .timestamped(Self.pm2Format), zone: Self.berlin)
        var json = LogRecordRenderer(app: "web", instance: 3, format: .json(.iso8601), zone: Self.berlin)
        var textOut: [UInt8] = []
        var jsonOut: [UInt8] = []
        framer.feed(input) { line in
            text.append(line, stream: .err, at: Self.t, to: &textOut)
            json.append(line, stream: .err, at: Self.t, to: &jsonOut)
        }
        framer.flush { _ in Issue.record("nothing should be held") }
        #expect(
            String(decoding: textOut, as: UTF8.self)
                == "2026-11-22 10:00:00 +01:00: \(long)\n2026-11-22 10:00:00 +01:00: short\n")
        let records = try String(decoding: jsonOut, as: UTF8.self).split(separator: "\n").map {
            try JSON.parse(String($0))
        }
        #expect(records.map { $0["message"]?.stringValue } == ["aaaaaa", "aaaaa", "ébbbb", "b", "short"])
        #expect(records.map { $0["cut"] } == [.bool(true), .bool(true), .bool(true), nil, nil])
        #expect(records.allSatisfy { $0["stream"] == .string("err") && $0["id"] == .int(3) })
    }
}
