import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `swisor logs`: the real CLI reading what the daemon writes. Where a test needs lines
/// the daemon does not write itself (rotations, old lines), the app is silent and the
/// test writes its log file, and rotates it exactly as the daemon does: rename to
/// `RotationPlan`'s name, then a new file at the same path.
@Suite(.serialized)
struct LogsTests {
    // MARK: Helpers

    /// A log file the test writes as the daemon would: appends, renames, re-creates.
    final class LogWriter {
        let path: String
        var fd: Int32
        let zone = LocalTimeZone.load().rules

        init(path: String) throws {
            self.path = path
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw HarnessError("cannot open \(path): errno \(errno)") }
        }

        deinit { close(fd) }

        func write(_ lines: [String]) {
            let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
                precondition(n > 0, "write to \(path) failed")
                done += n
            }
        }

        /// Renames the file to its rotated name; the old descriptor stays open (writes go
        /// on landing in the rotated file until `reopen`). Returns the rotated path.
        @discardableResult
        func rename() -> String {
            let dir = RotationPlan.LogName(path: path).directory
            let rotated = RotationPlan.rotatedFile(
                forLog: path, at: wallClockMilliseconds(), zone: zone, compress: false,
                existing: (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            precondition(Glibc.rename(path, rotated.path) == 0, "rename failed")
            return rotated.path
        }

        /// Opens a new file at the path, as the daemon does after a rename.
        func reopen() throws {
            close(fd)
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw HarnessError("cannot reopen \(path)") }
        }

        func rotate() throws {
            rename()
            try reopen()
        }
    }

    /// `swisor logs ...` running in the background, its output going to a file.
    final class Follower {
        let process = Process()
        let outPath: String
        let errPath: String

        init(_ h: Harness, _ args: [String], name: String = "follow") throws {
            outPath = h.home + "/.\(name)-out"
            errPath = h.home + "/.\(name)-err"
            FileManager.default.createFile(atPath: outPath, contents: nil)
            FileManager.default.createFile(atPath: errPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: h.bin)
            process.arguments = ["logs"] + args
            process.environment = h.environment
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            try process.run()
        }

        var output: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        var errors: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
        var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

        func pause() { kill(process.processIdentifier, SIGSTOP) }
        func resume() { kill(process.processIdentifier, SIGCONT) }

        /// SIGKILL: a process started from the test runner may inherit a signal mask
        /// that blocks SIGTERM.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// Starts silent apps (`sleep`) whose out file is `<home>/<name>.log`; returns the
    /// log paths by name.
    @discardableResult
    static func silentApps(_ h: Harness, _ names: [String]) throws -> [String: String] {
        var paths: [String: String] = [:]
        let apps = names.map { name -> String in
            paths[name] = h.home + "/\(name).log"
            return #"{"name": "\#(name)", "script": "sleep", "args": "3600", "out_file": "\#(h.home)/\#(name).log", "error_file": "/dev/null"}"#
        }
        let eco = try h.file("silent.json", #"{"apps": [\#(apps.joined(separator: ","))]}"#)
        try h.must(["start", eco])
        for a in try h.list() { h.track(a.pid!) }
        for path in paths.values {
            try h.waitUntil("the daemon created \(path)") { FileManager.default.fileExists(atPath: path) }
        }
        return paths
    }

    static func numbered(_ prefix: String, _ range: Range<Int>) -> [String] {
        range.map { "\(prefix)\(String(format: "%05d", $0))" }
    }

    // MARK: Following

    /// Lines written across many rotations, including several rotations while the
    /// follower is paused (SIGSTOP, so it is certain to see them only afterwards), writes
    /// to the old file after its rename, and a path that is missing for a while: every
    /// line is printed exactly once, in order.
    @Test func followAcrossRotationPrintsEveryLineOnce() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let path = try Self.silentApps(h, ["rot"])["rot"]!
        let log = try LogWriter(path: path)
        let follower = try Follower(h, ["rot", "--out", "--lines", "0"])
        defer { follower.stop() }
        // Following has begun once a line written now shows.
        try h.waitUntil("the follower prints a first line") {
            log.write(["warmup"])
            return follower.output.contains("0|rot|out| warmup\n")
        }
        var expected: [String] = []
        func write(_ range: Range<Int>) {
            let lines = Self.numbered("L", range)
            log.write(lines)
            expected += lines
        }
        var n = 0
        // Plain rotations, at the follower's pace.
        for _ in 0..<5 {
            write(n..<(n + 40)); n += 40
            try log.rotate()
        }
        // Three rotations between two reads.
        follower.pause()
        for _ in 0..<3 {
            write(n..<(n + 25)); n += 25
            try log.rotate()
        }
        write(n..<(n + 10)); n += 10
        follower.resume()
        try h.waitUntil("the follower shows the lines of the rotations it missed") {
            follower.output.contains(expected.last! + "\n")
        }
        // Again, and the first two rotated files are compressed before the follower looks:
        // the one it was reading (its descriptor still reads it) and one it never opened
        // (decompressed on the fly).
        follower.pause()
        var rotated: [String] = []
        for _ in 0..<3 {
            write(n..<(n + 25)); n += 25
            rotated.append(log.rename())
            try log.reopen()
        }
        for file in rotated.prefix(2) { try Gzip.compress(file, to: file + ".gz") }
        write(n..<(n + 10)); n += 10
        follower.resume()
        try h.waitUntil("the follower shows the lines of the compressed rotations") {
            follower.output.contains(expected.last! + "\n")
        }
        // Lines that reach the old file after its rename, before the new file exists,
        // and a path missing until the follower has shown them.
        write(n..<(n + 10)); n += 10
        log.rename()
        write(n..<(n + 10)); n += 10
        let last = expected.last!
        try h.waitUntil("the follower reads the renamed file to its end") { follower.output.contains(last + "\n") }
        try log.reopen()
        write(n..<(n + 30)); n += 30
        // A flush: truncated in place, then new lines.
        try h.waitUntil("the follower shows every line so far") { follower.output.contains(expected.last! + "\n") }
        #expect(ftruncate(log.fd, 0) == 0)
        write(n..<(n + 5)); n += 5
        try h.waitUntil("the follower shows the last line", timeout: 20) {
            follower.output.contains("0|rot|out| \(expected.last!)\n")
        }
        let printed = follower.lines.filter { !$0.hasSuffix("| warmup") }
        #expect(printed == expected.map { "0|rot|out| \($0)" })
        #expect(follower.errors.isEmpty, "stderr: \(follower.errors)")
    }

    /// `swisor logs` with no name follows every app: each line once, with its app's id,
    /// name and stream, also across a rotation of one of them.
    @Test func followWithoutANameShowsEveryApp() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let paths = try Self.silentApps(h, ["alpha", "beta"])
        let ids = Dictionary(uniqueKeysWithValues: try h.list().map { ($0.name, $0.id) })
        let alpha = try LogWriter(path: paths["alpha"]!)
        let beta = try LogWriter(path: paths["beta"]!)
        alpha.write(["before"])
        let follower = try Follower(h, ["--lines", "5"])
        defer { follower.stop() }
        try h.waitUntil("the follower shows the existing line") { follower.output.contains("|alpha|out| before\n") }
        for round in 0..<10 {
            alpha.write(Self.numbered("A", (round * 10)..<(round * 10 + 10)))
            beta.write(Self.numbered("B", (round * 10)..<(round * 10 + 10)))
            if round == 4 { try beta.rotate() }
        }
        try h.waitUntil("both apps' last lines show") {
            follower.output.contains("A00099\n") && follower.output.contains("B00099\n")
        }
        let lines = follower.lines
        #expect(lines.filter { $0.hasPrefix("\(ids["alpha"]!)|alpha|out| ") }.count == 101)
        #expect(lines.filter { $0.hasPrefix("\(ids["beta"]!)|beta|out| ") }.count == 100)
        #expect(
            lines.filter { $0.contains("|alpha|") }.map { String($0.split(separator: " ").last!) }
                == ["before"] + Self.numbered("A", 0..<100))
        #expect(lines.filter { $0.contains("|beta|") }.map { String($0.split(separator: " ").last!) } == Self.numbered("B", 0..<100))
    }

    // MARK: What is already there

    /// `--lines N` reaches back into rotated files when the current one holds fewer,
    /// compressed ones too. `--since` on plain files skips whole files last
    /// written before it, and says that is all it can do.
    @Test func linesReachIntoRotatedFilesAndSinceSkipsOldFiles() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let path = try Self.silentApps(h, ["rot"])["rot"]!
        let log = try LogWriter(path: path)
        log.write(Self.numbered("L", 1..<11))
        let first = log.rename()
        try log.reopen()
        log.write(Self.numbered("L", 11..<21))
        try log.rotate()
        log.write(Self.numbered("L", 21..<24))
        func shown(_ args: [String]) throws -> [String] {
            try h.must(["logs", "rot", "--out", "--nostream"] + args).stdout.split(separator: "\n").map {
                String($0.dropFirst("0|rot|out| ".count))
            }
        }
        #expect(try shown(["--lines", "2"]) == ["L00022", "L00023"])
        #expect(try shown(["--lines", "5"]) == Self.numbered("L", 19..<24))
        #expect(try shown(["--lines", "15"]) == Self.numbered("L", 9..<24))
        #expect(try shown(["--lines", "100"]) == Self.numbered("L", 1..<24))
        #expect(try shown(["--lines", "0"]) == [])
        // Older, compressed files: read through, newest first, as far as needed; one that
        // cannot be decompressed is named on stderr and reading stops there.
        let directory = RotationPlan.LogName(path: path).directory
        let older = directory + "rot__2021-01-01_00-00-00.log"
        FileManager.default.createFile(atPath: older, contents: Data(Self.numbered("G", 1..<6).map { $0 + "\n" }.joined().utf8))
        try Gzip.compress(older, to: older + ".gz")
        let broken = directory + "rot__2020-01-01_00-00-00.log.gz"
        FileManager.default.createFile(atPath: broken, contents: Data([0x1F, 0x8B]))
        #expect(try shown(["--lines", "25"]) == ["G00004", "G00005"] + Self.numbered("L", 1..<24))
        let r = try h.must(["logs", "rot", "--out", "--nostream", "--lines", "100"])
        #expect(r.stdout.split(separator: "\n").map { String($0.dropFirst("0|rot|out| ".count)) }
            == Self.numbered("G", 1..<6) + Self.numbered("L", 1..<24))
        #expect(r.stderr.contains("rot__2020-01-01_00-00-00.log.gz cannot be decompressed"), "\(r.stderr)")
        // The first rotated file was last written two hours ago: --since 1h skips it
        // (and the compressed ones, older still), and says why plain lines are not filtered.
        var times = [timespec(tv_sec: time(nil) - 7200, tv_nsec: 0), timespec(tv_sec: time(nil) - 7200, tv_nsec: 0)]
        for file in [first, older + ".gz", broken] { #expect(utimensat(AT_FDCWD, file, &times, 0) == 0) }
        let since = try h.must(["logs", "rot", "--out", "--nostream", "--since", "1h"])
        #expect(since.stdout.split(separator: "\n").map { String($0.dropFirst("0|rot|out| ".count)) } == Self.numbered("L", 11..<24))
        #expect(since.stderr.contains("rot: plain log lines carry no time; --since only skips whole files last written before then"))
        #expect(try shown(["--since", "1h", "--lines", "4"]) == Self.numbered("L", 20..<24))
        #expect(try shown(["--since", "3h"]).count == 23)
        // Rotated in 2021 by its name: decompressed for a time before that; the 2020 one
        // is skipped unread.
        let since2020 = try h.must(["logs", "rot", "--out", "--nostream", "--since", "2020-06-01T00:00:00Z"])
        #expect(since2020.stdout.split(separator: "\n").map { String($0.dropFirst("0|rot|out| ".count)) }
            == Self.numbered("G", 1..<6) + Self.numbered("L", 1..<24))
        #expect(!since2020.stderr.contains("cannot be decompressed"), "\(since2020.stderr)")
        let bad = h.run(["logs", "rot", "--since", "2026", "--nostream"])
        #expect(!bad.ok && bad.stderr.contains("--since \"2026\" is neither a duration"), "\(bad.stderr)")
    }

    /// `--json`: one object per line that parses back, with the app's id, name, stream and
    /// message (quotes, tabs, invalid UTF-8 included); the timestamp of plain lines is
    /// null, or with `--timestamp` the time they were read. `--timestamp` in text puts that
    /// time first.
    @Test func jsonAndTimestampOutput() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("talk.sh", #"printf 'plain one\n'; printf 'with "quotes"\tand \\ tab\n'; printf 'bad \377 byte\n' >&2; exec sleep 3600"# + "\n")
        try h.must(["start", h.home + "/talk.sh", "--name", "talk"])
        for a in try h.list() { h.track(a.pid!) }
        let id = try #require(try h.app("talk")).id
        try h.waitUntil("both streams are written") {
            // Not h.read: the error log is not valid UTF-8.
            let err = FileManager.default.contents(atPath: h.home + "/logs/talk-error.log") ?? Data()
            return h.read(h.home + "/logs/talk-out.log").contains("tab\n") && String(decoding: err, as: UTF8.self).contains("byte\n")
        }
        func objects(_ args: [String]) throws -> [[String: Any]] {
            let out = try h.must(["logs", "talk", "--json", "--nostream"] + args).stdout
            return try out.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
            }
        }
        let plain = try objects([])
        #expect(plain.count == 3)
        for o in plain {
            #expect(Set(o.keys) == ["timestamp", "app", "id", "stream", "message"])
            #expect(o["timestamp"] is NSNull)
            #expect(o["app"] as? String == "talk" && o["id"] as? Int == id)
        }
        #expect(plain.map { $0["message"] as? String } == ["plain one", "with \"quotes\"\tand \\ tab", "bad \u{FFFD} byte"])
        #expect(plain.map { $0["stream"] as? String } == ["out", "out", "err"])
        let zone = LocalTimeZone.load().rules
        let t0 = wallClockMilliseconds()
        let stamped = try objects(["--timestamp", "--err"])
        let t1 = wallClockMilliseconds()
        #expect(stamped.count == 1)
        let stamp = try #require(stamped.first?["timestamp"] as? String)
        let ms = try LogSince.parse(stamp, nowMs: 0, zone: zone)
        #expect(ms >= t0 - 1 && ms <= t1 + 1, "\(stamp)")
        // Text: "<ISO time> <id>|talk|out| <line>".
        let text = try h.must(["logs", "talk", "--out", "--timestamp", "--nostream"]).stdout.split(separator: "\n")
        #expect(text.count == 2)
        for line in text {
            let parts = line.split(separator: " ", maxSplits: 1)
            #expect(parts.count == 2 && parts[1].hasPrefix("\(id)|talk|out| "), "\(line)")
            #expect((try? LogSince.parse(String(parts[0]), nowMs: 0, zone: zone)) != nil, "\(line)")
        }
    }

    // MARK: Formats the daemon reports

    /// A stand-in for the daemon that answers every request with `response`: the CLI's
    /// handling of the log formats in `LogPaths.format` (time-stamped, JSON, journal), as
    /// a daemon with the writing side reports them, tested on the real CLI binary.
    final class FakeDaemon {
        let listener: FileDescriptor
        let stop: SwisorSystem.Pipe
        let thread: Thread
        let done = DispatchSemaphore(value: 0)

        init(socket: String, response: Response) throws {
            listener = try UnixSocket.listen(path: socket)
            stop = try SwisorSystem.Pipe.make()
            var line = try Wire.encode(response)
            line.append(0x0A)
            let (listener, stopEnd, done) = (listener, stop.readEnd, done)
            let answer = line
            thread = Thread {
                while true {
                    var fds = [pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: stopEnd.rawValue, events: Int16(POLLIN), revents: 0)]
                    guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { break }
                    if fds[1].revents != 0 { break }
                    guard fds[0].revents != 0, let client = UnixSocket.accept(listener) else { continue }
                    // Read the whole request line (blocking), answer, close.
                    _ = fcntl(client.rawValue, F_SETFL, fcntl(client.rawValue, F_GETFL) & ~O_NONBLOCK)
                    var byte: UInt8 = 0
                    while Glibc.read(client.rawValue, &byte, 1) == 1 && byte != 0x0A {}
                    try? client.writeAll(answer)
                    client.close()
                }
                done.signal()
            }
            thread.start()
        }

        func shutdown() {
            try? stop.writeEnd.writeAll([1])
            done.wait()
            listener.close()
            stop.readEnd.close()
            stop.writeEnd.close()
        }
    }

    static func app(_ id: Int, _ name: String, out: String?, format: LogFileFormat) -> AppInfo {
        var a = AppInfo(id: id, name: name, namespace: "default", instance: 0, status: .online)
        a.logs = LogPaths(out: out, err: nil, combined: nil, format: format.wire)
        return a
    }

    /// Time-stamped and JSON logs: `--since` filters by each line's own time (a line
    /// without a stamp goes with the line before it), `--json` gives that time in ISO
    /// 8601, and a journal app is pointed at journalctl while the others are shown.
    @Test func sinceFiltersTimestampedAndJsonLogsByTheirTimes() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let zone = LocalTimeZone.load().rules
        let now = wallClockMilliseconds()
        let old = now - 3_600_000  // an hour ago
        let recent = now - 60_000  // a minute ago
        // What the daemon's renderer writes, at those times.
        let custom = try LogDateFormat("DD/MM/YYYY HH:mm:ss")
        var timeFile: [UInt8] = []
        var jsonFile: [UInt8] = []
        var time = LogRecordRenderer(app: "stamped", instance: 0, format: .timestamped(.iso8601), zone: zone)
        var json = LogRecordRenderer(app: "records", instance: 0, format: .json(custom), zone: zone)
        time.append(Array("old line".utf8), stream: .out, at: old, to: &timeFile)
        timeFile += Array("a line without a stamp, with the old one\n".utf8)
        time.append(Array("recent line".utf8), stream: .out, at: recent, to: &timeFile)
        timeFile += Array("a line without a stamp, with the recent one\n".utf8)
        json.append(Array("old record".utf8), stream: .out, at: old, to: &jsonFile)
        json.append(Array("recent \"record\"".utf8), stream: .err, at: recent, to: &jsonFile)
        let timePath = try h.file("stamped.log", String(decoding: timeFile, as: UTF8.self))
        let jsonPath = try h.file("records.log", String(decoding: jsonFile, as: UTF8.self))
        let daemon = try FakeDaemon(
            socket: h.home + "/swisor.sock",
            response: Response(apps: [
                Self.app(0, "stamped", out: timePath, format: .lines(.timestamped(.iso8601))),
                Self.app(1, "records", out: jsonPath, format: .lines(.json(custom))),
                Self.app(2, "journaled", out: nil, format: .journal),
            ]))
        defer { daemon.shutdown() }

        let all = try h.must(["logs", "--nostream"])
        #expect(all.stdout.split(separator: "\n").count == 6)
        #expect(all.stdout.contains("1|records|out| \(custom.format(epochMs: old, in: zone)): old record\n"))
        #expect(all.stderr == "swisor: journaled logs to the journal: journalctl -t journaled\n")

        let since = try h.must(["logs", "--since", "10m", "--nostream"])
        #expect(
            since.stdout.split(separator: "\n") == [
                "0|stamped|out| \(LogDateFormat.iso8601.format(epochMs: recent, in: zone)): recent line",
                "0|stamped|out| a line without a stamp, with the recent one",
                "1|records|err| \(custom.format(epochMs: recent, in: zone)): recent \"record\"",
            ])
        #expect(!since.stderr.contains("plain"))

        let objects = try h.must(["logs", "--since", "10m", "--json", "--nostream"]).stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 3)
        // Times in ISO 8601; the custom format has whole seconds.
        #expect(objects[0]["timestamp"] as? String == LogDateFormat.iso8601.format(epochMs: recent, in: zone))
        // A line without a stamp has no time of its own (it is shown for the line before it).
        #expect(objects[1]["timestamp"] is NSNull)
        #expect(objects[1]["message"] as? String == "a line without a stamp, with the recent one")
        #expect(
            objects[2]["timestamp"] as? String
                == LogDateFormat.iso8601.format(epochMs: recent - ((recent % 1000) + 1000) % 1000, in: zone))
        #expect(objects[2]["message"] as? String == "recent \"record\"" && objects[2]["stream"] as? String == "err")
        // --since and --lines: the last N of the lines since then.
        let limited = try h.must(["logs", "--since", "2h", "--lines", "1", "--nostream"]).stdout
        #expect(
            limited.split(separator: "\n") == [
                "0|stamped|out| a line without a stamp, with the recent one",
                "1|records|err| \(custom.format(epochMs: recent, in: zone)): recent \"record\"",
            ])
    }
}
