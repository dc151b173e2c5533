import Foundation
import SwisorCore
@testable import SwisorDaemon
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The writer thread without a daemon: framing across chunks, rotation at line
/// boundaries, back-pressure signals, and gzip.
@Suite struct LogWriterUnitTests {
    static func config(_ dir: TemporaryDirectory, _ settings: LogSettings) -> LogSinkConfig {
        LogSinkConfig(paths: LogPaths(out: dir.file("app-out.log"), err: dir.file("app-error.log"), combined: nil),
                      settings: settings, app: "app", index: 0)
    }

    /// Waits (poll with a deadline) until the writer posts events, and returns them.
    static func events(_ writer: LogWriter, until done: ([LogEvent]) -> Bool) -> [LogEvent] {
        var all: [LogEvent] = []
        let deadline = Date().addingTimeInterval(20)
        while !done(all) && Date() < deadline {
            var pfd = pollfd(fd: writer.wakeDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 100)
            all += writer.takeEvents()
        }
        return all
    }

    /// Plain (runs of lines), time-stamped and JSON (rendered line by line into blocks):
    /// each rotated file ends right after the line that took it to log_max_size.
    @Test(arguments: [LogLineFormat.plain, .timestamped(.iso8601), .json(.iso8601)])
    func linesSplitAcrossChunksAreWholeAndRotationHappensBetweenLines(format: LogLineFormat) throws {
        let dir = try TemporaryDirectory()
        let writer = try LogWriter(zone: .utc)
        let sink = LogSink(id: 0)
        writer.enqueue(sink, .configure(Self.config(dir, LogSettings(format: format, maxSizeBytes: 4096, retain: 1000))))
        // 20,000 numbered lines cut into chunks of awkward sizes.
        var text: [UInt8] = []
        for n in 1...20_000 { text += Array("line \(n)\n".utf8) }
        var offset = 0
        var size = 1
        while offset < text.count {
            let end = min(text.count, offset + size)
            let chunk = Array(text[offset..<end])
            writer.enqueue(sink, .data(source: 1, stream: .out, bytes: chunk, at: 0))
            offset = end
            size = size * 7 % 5003 + 1
        }
        writer.enqueue(sink, .end(source: 1, stream: .out, at: 0))
        writer.enqueue(sink, .close(token: 1))
        writer.shutdown()

        let rotated = dir.entries.filter { $0.hasPrefix("app-out__") }
        #expect(rotated.count > 20)
        var numbers: [Int] = []
        let ordered = rotated.sorted {
            func key(_ n: String) -> (String, Int) {
                let rest = n.dropFirst("app-out__".count + 19)
                return (String(n.prefix("app-out__".count + 19)), rest.hasPrefix(".") ? Int(rest.dropFirst().prefix { $0.isNumber }) ?? 0 : 0)
            }
            return key($0) < key($1)
        }
        // The longest rendered line: "line 20000" with its prefix or record around it.
        let longest: Int
        switch format {
        case .plain: longest = 11
        case .timestamped: longest = 11 + "2026-11-22T10:00:00.000+00:00: ".utf8.count
        case .json: longest = 160
        }
        for name in ordered + ["app-out.log"] {
            let content = try dir.read(name)
            #expect(content.isEmpty || content.hasSuffix("\n"), "\(name) ends mid-line")
            if name != "app-out.log" {
                // Rotated once the size is reached, at the end of that line.
                #expect(content.utf8.count >= 4096 && content.utf8.count < 4096 + longest, "\(name): \(content.utf8.count) bytes")
            }
            numbers += content.split(separator: "\n").map { line -> Int in
                switch format {
                case .plain: return Int(line.dropFirst(5)) ?? -1
                case .timestamped: return Int(line.split(separator: " ").last ?? "") ?? -1
                case .json:
                    guard let r = line.range(of: #""message":"line "#) else { return -1 }
                    return Int(line[r.upperBound...].prefix { $0.isNumber }) ?? -1
                }
            }
        }
        #expect(numbers == Array(1...20_000))
        #expect(sink.stats.rotations == rotated.count)
    }

    @Test func aQueueOverItsBoundAsksForBackPressureAndReportsTheDrain() throws {
        let dir = try TemporaryDirectory()
        let writer = try LogWriter(zone: .utc)
        defer { writer.shutdown() }
        let sink = LogSink(id: 7)
        writer.enqueue(sink, .configure(Self.config(dir, LogSettings())))
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: LogWriter.sinkLimit + 1)
        #expect(writer.enqueue(sink, .data(source: 1, stream: .out, bytes: big, at: 0)))
        let events = Self.events(writer) { $0.contains { if case .drained(7) = $0 { true } else { false } } }
        #expect(events.contains { if case .drained(7) = $0 { true } else { false } })
        // Below the bound: no back-pressure.
        #expect(!writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("y\n".utf8), at: 0)))
    }

    @Test func flushAndReopenAreDoneInOrderWithTheData() throws {
        let dir = try TemporaryDirectory()
        let writer = try LogWriter(zone: .utc)
        defer { writer.shutdown() }
        let sink = LogSink(id: 1)
        writer.enqueue(sink, .configure(Self.config(dir, LogSettings())))
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("before\n".utf8), at: 0))
        writer.enqueue(sink, .truncate(token: 1))
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("after\n".utf8), at: 0))
        _ = Self.events(writer) { $0.contains { if case .done(1) = $0 { true } else { false } } }
        try Self.waitFor { (try? dir.read("app-out.log")) == "after\n" }
        #expect(try dir.read("app-out.log") == "after\n")
        // Moved away, then reopened: the next line goes to a new file at the path.
        #expect(rename(dir.file("app-out.log"), dir.file("moved.log")) == 0)
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("old file\n".utf8), at: 0))
        writer.enqueue(sink, .reopen(token: 2))
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("new file\n".utf8), at: 0))
        _ = Self.events(writer) { $0.contains { if case .done(2) = $0 { true } else { false } } }
        try Self.waitFor { (try? dir.read("app-out.log")) == "new file\n" }
        #expect(try dir.read("moved.log") == "after\nold file\n")
    }

    static func waitFor(_ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        while !condition() {
            guard Date() < deadline else { throw SystemError("wait", errno: ETIMEDOUT) }
            usleep(2_000)
        }
    }

    /// Plain lines are written in runs, big ones straight from the chunk; what a full
    /// device refuses is counted exactly, line by line, on both paths, and a log_file
    /// that is also the out_file gets each line once.
    @Test func droppedRunsAreCountedByTheirLines() throws {
        let dir = try TemporaryDirectory()
        let writer = try LogWriter(zone: .utc)
        let sink = LogSink(id: 3)
        writer.enqueue(sink, .configure(LogSinkConfig(
            paths: LogPaths(out: "/dev/full", err: nil, combined: nil), settings: LogSettings(), app: "app", index: 0)))
        var big: [UInt8] = []
        for n in 1...1000 { big += Array("a line numbered \(n) in a run\n".utf8) }
        #expect(big.count >= LogSink.directWriteBytes)
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: big, at: 0))
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("small\nrun\nand a partial".utf8), at: 0))
        writer.enqueue(sink, .close(token: 1))
        _ = Self.events(writer) { $0.contains { if case .done(1) = $0 { true } else { false } } }
        let stats = writer.stats(of: sink)
        // The partial line is written (with a newline) at the close.
        #expect(stats.droppedLines == 1003)
        #expect(stats.droppedBytes == Int64(big.count + "small\nrun\nand a partial\n".utf8.count))
        #expect(stats.lastError?.contains("ENOSPC") == true)

        let shared = LogSink(id: 4)
        let path = dir.file("both.log")
        writer.enqueue(shared, .configure(LogSinkConfig(
            paths: LogPaths(out: path, err: nil, combined: path), settings: LogSettings(), app: "app", index: 0)))
        writer.enqueue(shared, .data(source: 1, stream: .out, bytes: big, at: 0))
        writer.enqueue(shared, .data(source: 1, stream: .out, bytes: Array("once\n".utf8), at: 0))
        writer.enqueue(shared, .close(token: 2))
        _ = Self.events(writer) { $0.contains { if case .done(2) = $0 { true } else { false } } }
        writer.shutdown()
        #expect(try dir.read("both.log") == String(decoding: big, as: UTF8.self) + "once\n")
    }

    /// A line cut in pieces and dropped counts as one line in every format (in JSON each
    /// piece is a record of its own).
    @Test(arguments: [LogLineFormat.plain, .timestamped(.iso8601), .json(.iso8601)])
    func aDroppedCutLineCountsOnce(format: LogLineFormat) throws {
        let writer = try LogWriter(zone: .utc)
        let sink = LogSink(id: 3)
        writer.enqueue(sink, .configure(LogSinkConfig(
            paths: LogPaths(out: "/dev/full", err: nil, combined: nil), settings: LogSettings(format: format),
            app: "app", index: 0)))
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 40 * 1024) + Array("\nand a short one\n".utf8)
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: line, at: 0))
        writer.enqueue(sink, .close(token: 1))
        _ = Self.events(writer) { $0.contains { if case .done(1) = $0 { true } else { false } } }
        let stats = writer.stats(of: sink)
        writer.shutdown()
        #expect(stats.droppedLines == 2, "format \(format)")
    }

    /// An out_file that is also the log_file is one open file, closed with the instance.
    @Test func aFileSharedByOutAndCombinedIsClosedAtClose() throws {
        let dir = try TemporaryDirectory()
        let writer = try LogWriter(zone: .utc)
        let sink = LogSink(id: 4)
        let path = dir.file("both.log")
        func openCount() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path
            }.count
        }
        writer.enqueue(sink, .configure(LogSinkConfig(
            paths: LogPaths(out: path, err: nil, combined: path), settings: LogSettings(), app: "app", index: 0)))
        writer.enqueue(sink, .data(source: 1, stream: .out, bytes: Array("x\n".utf8), at: 0))
        writer.enqueue(sink, .truncate(token: 1))
        _ = Self.events(writer) { $0.contains { if case .done(1) = $0 { true } else { false } } }
        #expect(openCount() == 1)
        writer.enqueue(sink, .close(token: 2))
        _ = Self.events(writer) { $0.contains { if case .done(2) = $0 { true } else { false } } }
        writer.shutdown()
        #expect(openCount() == 0)
    }

    @Test func gzipRoundTripReplacesTheSource() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for n in 0..<50_000 { text += "line \(n) of a rotated log\n" }
        try dir.write("a.log", text)
        try Gzip.compress(dir.file("a.log"), to: dir.file("a.log.gz"))
        #expect(dir.entries == ["a.log.gz"])
        let back = try #require(Gzip.decompress(dir.file("a.log.gz")))
        #expect(String(decoding: back, as: UTF8.self) == text)
        // Streamed a line at a time, as `logs` reads it.
        var lines: [String] = []
        #expect(Gzip.forEachLine(dir.file("a.log.gz")) { lines.append(String(decoding: $0, as: UTF8.self)) })
        #expect(lines == text.split(separator: "\n").map(String.init))
        #expect(!Gzip.forEachLine(dir.file("missing.gz")) { _ in })
        let size = (try FileManager.default.attributesOfItem(atPath: dir.file("a.log.gz"))[.size] as? Int) ?? 0
        #expect(size > 0 && size < text.utf8.count / 5)
        // A source that cannot be read leaves nothing behind.
        #expect(throws: SystemError.self) { try Gzip.compress(dir.file("missing.log"), to: dir.file("missing.log.gz")) }
        #expect(dir.entries == ["a.log.gz"])
        #expect(Gzip.decompress(dir.file("nothing.gz")) == nil)
    }
}
