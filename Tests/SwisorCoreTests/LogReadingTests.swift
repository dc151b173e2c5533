import Testing

@testable import SwisorCore

/// The reading side of logs: time stamps read back, file lines parsed, `--since`, the
/// output of `swisor logs`, rotated files found, and the format on the wire.
@Suite("Log reading")
struct LogReadingTests {
    static let berlin = TimeZoneFixtures.zones("Europe/Berlin")[0]
    static let newYork = TimeZoneFixtures.zones("America/New_York")[0]
    /// 2026-11-22 10:00:00.123 in Berlin (+01:00).
    static let t: Int64 = 1_795_338_000_123

    static func format(_ pattern: String) -> LogDateFormat { try! LogDateFormat(pattern) }

    // MARK: Time stamps read back

    @Test(
        "a stamp reads back as the instant it shows, in every zone",
        arguments: [
            ("YYYY-MM-DDTHH:mm:ss.SSSZ", 1 as Int64), ("YYYY-MM-DD HH:mm:ss Z", 1000), ("YYYY-MM-DD HH:mm:ss ZZ", 1000),
            ("YYYY-MM-DD HH:mm:ss", 1000), ("YYYY-MM-DD HH:mm", 60_000), ("DD/MM/YYYY H:m:s.SSS", 1),
            ("ddd, D MMM YYYY hh:mm:ss A Z", 1000), ("dddd MMMM D YYYY h:mm a", 60_000), ("X", 1000), ("x", 1),
            ("[at] YYYY-MM-DD HH:mm:ss", 1000), ("YY-M-D H:mm", 60_000), ("X.SSS", 1),
        ])
    func roundTrip(pattern: String, resolution: Int64) {
        let f = Self.format(pattern)
        #expect(f.canReadBack)
        // Across a year, the DST changes and both sides of noon, in three zones.
        var instants: [Int64] = []
        var x: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        while x < 1_798_761_600_000 {
            instants.append(x)
            x += 3_599_937 * 7  // about 7 hours, odd milliseconds
        }
        for zone in [Self.berlin, Self.newYork, .utc] {
            for ms in instants {
                let text = f.format(epochMs: ms, in: zone)
                guard let (back, length) = f.readBack(Array(text.utf8), zone: zone) else {
                    Issue.record("\(pattern): \"\(text)\" does not read back")
                    continue
                }
                #expect(length == text.utf8.count)
                let expected = ms - ((ms % resolution) + resolution) % resolution
                // Without an offset, the repeated hour reads as its first occurrence.
                if back != expected && !(back == expected - 3_600_000 && !pattern.contains("Z") && !pattern.contains("X")
                    && !pattern.contains("x"))
                {
                    Issue.record("\(pattern) in a zone: \"\(text)\" read back as \(back), expected \(expected)")
                }
            }
        }
    }

    @Test("a wall time repeated when DST ends reads as its first occurrence; a stamp with an offset is exact")
    func repeatedHour() {
        // 2026-10-25 02:30 happens twice in Berlin: at 00:30Z (+02:00) and 01:30Z (+01:00).
        let first: Int64 = 1_792_888_200_000
        let second = first + 3_600_000
        let plain = Self.format("YYYY-MM-DD HH:mm:ss")
        #expect(plain.readBack(Array("2026-10-25 02:30:00".utf8), zone: Self.berlin)?.epochMs == first)
        let iso = LogDateFormat.iso8601
        #expect(iso.readBack(Array(iso.format(epochMs: second, in: Self.berlin).utf8), zone: Self.berlin)?.epochMs == second)
        // A wall time skipped when DST starts reads as the instant the clocks jumped.
        #expect(plain.readBack(Array("2026-03-29 02:30:00".utf8), zone: Self.berlin)?.epochMs == 1_774_746_000_000)
    }

    @Test("patterns that name no instant, and text that does not match, read back as nil")
    func noInstant() {
        for pattern in ["HH:mm:ss", "YYYY-MM-DD", "MM-DD HH:mm", "YYYY-MM-DD hh:mm", "YYYY-MM-DD HH"] {
            #expect(!Self.format(pattern).canReadBack, "\(pattern)")
            #expect(Self.format(pattern).readBack(Array("2026-11-22 10:00:00".utf8), zone: .utc) == nil)
        }
        let iso = LogDateFormat.iso8601
        for text in [
            "", "hello", "2026-11-22", "2026-11-22T10:00:00.123", "2026-13-22T10:00:00.123+01:00",
            "2026-02-30T10:00:00.123+01:00", "2026-11-22T24:00:00.123+01:00", "2026-11-22T10:00:00.12+01:00",
            "2026-11-22 10:00:00.123+01:00", "2026-11-22T10:00:00.123+0100",
        ] {
            #expect(iso.readBack(Array(text.utf8), zone: .utc) == nil, "\(text)")
        }
        // A stamp followed by more text: its length says where it ends.
        #expect(iso.readBack(Array("2026-11-22T10:00:00.123+01:00: hi".utf8), zone: .utc)?.length == 29)
    }

    // MARK: File lines

    static func read(_ lines: [String], _ format: LogLineFormat, zone: TimeZoneRules = berlin) -> [LogEntry] {
        var reader = LogLineReader(format: format, zone: zone)
        return lines.map { reader.read(Array($0.utf8)) }
    }

    static func text(_ e: LogEntry) -> String { String(decoding: e.text, as: UTF8.self) }
    static func message(_ e: LogEntry) -> String { String(decoding: e.message, as: UTF8.self) }

    @Test("lines of every format, rendered by the daemon's renderer, read back")
    func renderedLinesReadBack() {
        let formats: [LogLineFormat] = [
            .plain, .timestamped(.iso8601), .timestamped(Self.format("YYYY-MM-DD HH:mm:ss Z")), .json(.iso8601),
            .json(Self.format("DD/MM/YYYY HH:mm:ss.SSS [\"q\"]")),
        ]
        let messages = ["ready", "", "a: b", "{\"json\": true}", "tab\there", "ünï \u{7}"]
        for format in formats {
            var renderer = LogRecordRenderer(app: "web", instance: 3, format: format, zone: Self.berlin)
            var file: [UInt8] = []
            for (i, m) in messages.enumerated() {
                renderer.append(Array(m.utf8), stream: i % 2 == 0 ? .out : .err, at: Self.t + Int64(i), to: &file)
            }
            let lines = file.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map {
                String(decoding: $0, as: UTF8.self)
            }
            let entries = Self.read(lines, format)
            #expect(entries.map(Self.message) == messages, "\(format)")
            for (i, e) in entries.enumerated() {
                switch format {
                case .plain:
                    #expect(e.timeMs == nil && !e.inheritsTime && Self.text(e) == messages[i])
                case .timestamped(let f):
                    #expect(e.timeMs == Self.t + Int64(i) - (f.showsMilliseconds ? 0 : Int64(i) + 123))
                    #expect(Self.text(e) == lines[i])
                case .json(let f):
                    #expect(e.timeMs == Self.t + Int64(i) - (f.showsMilliseconds ? 0 : Int64(i) + 123))
                    #expect(e.stream == (i % 2 == 0 ? .out : .err))
                    #expect(Self.text(e) == f.format(epochMs: Self.t + Int64(i), in: Self.berlin) + ": " + messages[i])
                }
            }
        }
    }

    @Test("a time-stamped file: lines without a readable stamp inherit the time of the line before")
    func timestampedWithoutStamp() {
        let e = Self.read(
            ["written before time was on", "2026-11-22T10:00:00.123+01:00: one", "2026-11-22T10:00:00.123+01:00:x", "two"],
            .timestamped(.iso8601))
        #expect(e[0].timeMs == nil && e[0].inheritsTime)
        #expect(e[1].timeMs == Self.t && Self.message(e[1]) == "one")
        #expect(e[2].timeMs == nil && e[2].inheritsTime && Self.message(e[2]) == "2026-11-22T10:00:00.123+01:00:x")
        #expect(e[3].timeMs == nil && e[3].inheritsTime)
    }

    @Test("JSON records: cut pieces join in the text output; lines that are not records are shown as they are")
    func jsonRecords() {
        var renderer = LogRecordRenderer(app: "web", instance: 0, format: .json(.iso8601), zone: Self.berlin)
        var file: [UInt8] = []
        renderer.append(Array("first piece ".utf8), end: .cut, stream: .out, at: Self.t, to: &file)
        renderer.append(
            Array("and the rest".utf8), end: .newline, isContinuation: true, stream: .out, at: Self.t + 5, to: &file)
        let lines = file.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) } + [
            "not json", #"{"timestamp":"yesterday","message":"odd"}"#, #"{"message":3}"#,
        ]
        let e = Self.read(lines, .json(.iso8601))
        #expect(e[0].cut && !e[0].continuesCut && Self.text(e[0]) == "2026-11-22T10:00:00.123+01:00: first piece ")
        #expect(!e[1].cut && e[1].continuesCut && Self.text(e[1]) == "and the rest" && e[1].timeMs == Self.t + 5)
        #expect(e[2].timeMs == nil && e[2].inheritsTime && Self.text(e[2]) == "not json")
        #expect(e[3].timeMs == nil && e[3].inheritsTime && Self.text(e[3]) == "yesterday: odd")
        #expect(Self.text(e[4]) == #"{"message":3}"#)
        // In the text output, the two pieces make one line.
        let printer = LogPrinter(app: "web", id: 0, json: false, timestamp: false, zone: Self.berlin)
        var out: [UInt8] = []
        for entry in e.prefix(2) { printer.append(entry, stream: .out, receivedMs: 0, to: &out) }
        #expect(
            String(decoding: out, as: UTF8.self) == "0|web|out| 2026-11-22T10:00:00.123+01:00: first piece and the rest\n")
    }

    // MARK: --since

    @Test("--since: lines by their time, stampless lines with the line before, plain lines all")
    func sinceFilter() {
        var filter = LogSinceFilter(sinceMs: 1000)
        let entries = [
            LogEntry(inheritsTime: true, text: [], message: []),  // nothing before it: shown
            LogEntry(timeMs: 999, text: [], message: []),
            LogEntry(inheritsTime: true, text: [], message: []),  // with 999: hidden
            LogEntry(timeMs: 1000, text: [], message: []),
            LogEntry(inheritsTime: true, text: [], message: []),  // with 1000: shown
            LogEntry(timeMs: 500, text: [], message: []),  // out of order: by its own time
            LogEntry(text: [], message: []),  // plain: shown
        ]
        #expect(entries.map { filter.keep($0) } == [true, false, false, true, true, false, true])
    }

    @Test("a file's last-write bound: its mtime, or a rotated name's time plus an hour when earlier")
    func lastWriteBound() {
        let mtime: Int64 = 1_795_338_000_000  // 10:00:00 in Berlin
        #expect(LogFiles.lastWriteBound(mtimeMs: mtime, rotatedStamp: nil, zone: Self.berlin) == mtime)
        #expect(
            LogFiles.lastWriteBound(mtimeMs: mtime, rotatedStamp: "2026-11-22_08-00-00", zone: Self.berlin)
                == mtime - 7_200_000 + 3_601_000)
        #expect(LogFiles.lastWriteBound(mtimeMs: mtime, rotatedStamp: "2026-11-22_10-00-00", zone: Self.berlin) == mtime)
    }

    // MARK: Output

    @Test("text output: id|name|stream| and the line; --timestamp puts the read time first")
    func textOutput() {
        let entry = LogEntry(text: Array("hello".utf8), message: Array("hello".utf8))
        var out: [UInt8] = []
        LogPrinter(app: "web", id: 4, json: false, timestamp: false, zone: Self.berlin)
            .append(entry, stream: .err, receivedMs: Self.t, to: &out)
        LogPrinter(app: "web", id: 4, json: false, timestamp: true, zone: Self.berlin)
            .append(entry, stream: .out, receivedMs: Self.t, to: &out)
        #expect(
            String(decoding: out, as: UTF8.self)
                == "4|web|err| hello\n2026-11-22T10:00:00.123+01:00 4|web|out| hello\n")
    }

    @Test("JSON output parses back; timestamp is the line's time, the read time with --timestamp, else null")
    func jsonOutput() throws {
        let plain = LogEntry(text: Array("a \"q\"\n\u{1}".utf8), message: Array("a \"q\"\n\u{1}".utf8))
        let stamped = LogEntry(timeMs: Self.t, text: [], message: Array("m".utf8), stream: .err, cut: true)
        var out: [UInt8] = []
        let json = LogPrinter(app: "w\"eb", id: 2, json: true, timestamp: false, zone: Self.berlin)
        let jsonTimestamp = LogPrinter(app: "web", id: 2, json: true, timestamp: true, zone: .utc)
        json.append(plain, stream: .out, receivedMs: 5, to: &out)
        jsonTimestamp.append(plain, stream: .out, receivedMs: Self.t, to: &out)
        json.append(stamped, stream: .out, receivedMs: 5, to: &out)
        jsonTimestamp.append(stamped, stream: .out, receivedMs: 5, to: &out)
        let lines = out.split(separator: 0x0A).map { try? JSON.parse(Array($0)) }
        #expect(lines.count == 4)
        #expect(lines[0] == ["timestamp": nil, "app": "w\"eb", "id": 2, "stream": "out", "message": "a \"q\"\n\u{1}"])
        #expect(lines[1]?["timestamp"] == "2026-11-22T09:00:00.123+00:00")
        #expect(
            lines[2] == [
                "timestamp": "2026-11-22T10:00:00.123+01:00", "app": "w\"eb", "id": 2, "stream": "err", "message": "m",
                "cut": true,
            ])
        // The line's own time wins over the read time; in the reader's zone.
        #expect(lines[3]?["timestamp"] == "2026-11-22T09:00:00.123+00:00")
    }

    // MARK: Rotated files

    @Test("rotated files of a log, oldest first; other logs' and unrelated names are not")
    func rotatedFiles() {
        let names = [
            "web-out.log", "web-out__2026-11-22_10-00-00.1.log", "web-out__2026-11-22_10-00-00.log",
            "web-out__2026-11-21_09-00-00.log.gz", "web-out__2026-11-22_10-00-00.2.log.gz", "web-api-out__2026-11-20_00-00-00.log",
            "web-out__2026-11-2x_00-00-00.log", "web-error__2026-11-19_00-00-00.log", ".", "..",
        ]
        let found = LogFiles.rotated(forLog: "/h/logs/web-out.log", in: names)
        #expect(
            found.map(\.name) == [
                "web-out__2026-11-21_09-00-00.log.gz", "web-out__2026-11-22_10-00-00.log", "web-out__2026-11-22_10-00-00.1.log",
                "web-out__2026-11-22_10-00-00.2.log.gz",
            ])
        #expect(found.map(\.compressed) == [true, false, false, true])
        #expect(found[2].stamp == "2026-11-22_10-00-00" && found[2].counter == 1)
    }

    // MARK: The format on the wire

    @Test("LogFileFormat to and from its wire value")
    func wire() throws {
        let formats: [LogFileFormat] = [
            .plain, .journal, .lines(.timestamped(.iso8601)), .lines(.json(.iso8601)),
            .lines(.timestamped(Self.format("YYYY-MM-DD HH:mm:ss Z"))), .lines(.json(Self.format("X"))),
        ]
        for f in formats {
            #expect(try LogFileFormat(wire: f.wire) == f)
        }
        #expect(LogFileFormat.plain.wire == LogFormatWire(type: "plain"))
        #expect(
            LogFileFormat.lines(.timestamped(.iso8601)).wire
                == LogFormatWire(type: "time", dateFormat: "YYYY-MM-DDTHH:mm:ss.SSSZ"))
        // Without a date format, the default.
        #expect(try LogFileFormat(wire: LogFormatWire(type: "json")) == .lines(.json(.iso8601)))
        #expect(throws: LogFormatWireError.self) { try LogFileFormat(wire: LogFormatWire(type: "syslog")) }
        #expect(throws: LogFormatWireError.self) { try LogFileFormat(wire: LogFormatWire(type: "time", dateFormat: "")) }
        do {
            _ = try LogFileFormat(wire: LogFormatWire(type: "syslog"))
        } catch {
            #expect(error.message.hasPrefix("unknown log format \"syslog\""))
        }
    }
}
