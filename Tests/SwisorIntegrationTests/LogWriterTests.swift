import Foundation
import SwisorCore
import SwisorSystem
import SwisorSystemd
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of logs: line framing, time stamps, JSON records, rotation,
/// flush, reloadLogs, back-pressure and faults, with a real daemon and real apps.
@Suite(.serialized)
struct LogWriterTests {
    /// The log files of the home, by name.
    static func logNames(_ h: Harness) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: h.home + "/logs")) ?? []).sorted()
    }

    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }

    /// Every line of the current file and its rotated files (decompressed), oldest first.
    static func allLines(_ h: Harness, base: String) throws -> [Substring] {
        var texts: [(String, String)] = []
        for name in logNames(h) where name.hasPrefix(base + "__") {
            let path = h.home + "/logs/" + name
            if name.hasSuffix(".gz") {
                let bytes = try #require(Gzip.decompress(path), "cannot decompress \(name)")
                texts.append((name, String(decoding: bytes, as: UTF8.self)))
            } else {
                texts.append((name, h.read(path)))
            }
        }
        // In rotation order: by time stamp, then by the `.N` of rotations within a second
        // (`x__<stamp>.1.log` comes after `x__<stamp>.log`).
        func order(_ name: String) -> (String, Int) {
            let stamp = String(name.dropFirst(base.count + 2).prefix(19))
            let rest = name.dropFirst(base.count + 2 + 19)
            let counter = rest.hasPrefix(".") ? Int(rest.dropFirst().prefix { $0.isNumber }) ?? 0 : 0
            return (stamp, counter)
        }
        texts.sort { order($0.0) < order($1.0) }
        for (name, text) in texts {
            #expect(text.isEmpty || text.hasSuffix("\n"), "\(name) does not end at a line boundary")
        }
        return texts.flatMap { lines($0.1) } + lines(h.read(h.home + "/logs/" + base + ".log"))
    }

    /// `shutdown` for a daemon the CLI started (not a child of the test): waits until it
    /// is gone, so that its cgroups are removed before they are checked.
    static func shutdownWaitingForDaemon(_ h: Harness) {
        let pid = h.daemonPID
        _ = h.run(["kill"])
        if let pid {
            try? h.waitUntil("the daemon exited", timeout: 30) { !Harness.alive(pid) }
        }
        h.shutdown()
    }

    @Test func timestampsAndJSONRecordsParseBack() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("talk.sh", "echo one; echo 'two \"quoted\"'; echo three >&2; sleep 100\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "ts", "script": "./talk.sh", "time": true},
                  {"name": "fmt", "script": "./talk.sh", "log_date_format": "YYYY-MM-DD HH:mm:ss Z"},
                  {"name": "js", "script": "./talk.sh", "log_type": "json"}]}
        """)
        let before = Date().addingTimeInterval(-1)
        try h.must(["start", eco])
        for a in try h.list() { h.track(a.pid!) }
        let logs = h.home + "/logs/"
        try h.waitUntil("every app's lines are written") {
            Self.lines(h.read(logs + "ts-out.log")).count == 2 && Self.lines(h.read(logs + "js-error.log")).count == 1
                && Self.lines(h.read(logs + "fmt-error.log")).count == 1
        }
        let after = Date().addingTimeInterval(1)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // time: true is "<ISO 8601 with ms and offset>: <line>".
        for (line, text) in zip(Self.lines(h.read(logs + "ts-out.log")), ["one", "two \"quoted\""]) {
            let parts = line.split(separator: ": ", maxSplits: 1)
            #expect(parts.count == 2 && parts[1] == text, "\(line)")
            let date = try #require(iso.date(from: String(parts[0])), "not ISO 8601: \(line)")
            #expect(date >= before && date <= after)
        }
        // A dayjs format: 2026-11-22 10:00:00 +00:00: three
        let fmt = try #require(Self.lines(h.read(logs + "fmt-error.log")).first)
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        let date = try #require(plain.date(from: String(fmt.prefix(26))), "\(fmt)")
        #expect(fmt.dropFirst(26) == ": three" && date >= before.addingTimeInterval(-1) && date <= after)
        // JSON records: timestamp, app, id, stream, message.
        let id = try #require(try h.app("js")?.id)
        var records: [[String: Any]] = []
        for line in Self.lines(h.read(logs + "js-out.log")) + Self.lines(h.read(logs + "js-error.log")) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            records.append(try #require(object as? [String: Any], "\(line)"))
        }
        #expect(records.map { $0["message"] as? String } == ["one", "two \"quoted\"", "three"])
        #expect(records.map { $0["stream"] as? String } == ["out", "out", "err"])
        for r in records {
            #expect(r["app"] as? String == "js" && r["id"] as? Int == id)
            #expect(Set(r.keys) == ["timestamp", "app", "id", "stream", "message"])
            let stamp = try #require(iso.date(from: r["timestamp"] as? String ?? ""), "\(r)")
            #expect(stamp >= before && stamp <= after)
        }
    }

    /// A line written in two parts is one line; a line longer than 16 KiB is written whole
    /// in text and as marked pieces in JSON; a last line without a newline gets one.
    @Test func partialLinesAreJoinedAndLongLinesCut() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("parts.sh", """
        printf 'abc'; sleep 0.3; printf 'def\\n'
        head -c 40000 /dev/zero | tr '\\0' x; echo
        printf 'no-newline-at-exit'
        """)
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "txt", "script": "./parts.sh", "time": true, "autorestart": false},
                  {"name": "js", "script": "./parts.sh", "log_type": "json", "autorestart": false}]}
        """)
        try h.must(["start", eco])
        let logs = h.home + "/logs/"
        try h.waitUntil("both apps ended and their last lines are written", timeout: 20) {
            try h.list().allSatisfy { $0.status == .stopped }
                && h.read(logs + "txt-out.log").hasSuffix("no-newline-at-exit\n")
                && h.read(logs + "js-out.log").contains("no-newline-at-exit")
        }
        let long = String(repeating: "x", count: 40000)
        let text = Self.lines(h.read(logs + "txt-out.log")).map { $0.split(separator: ": ", maxSplits: 1).last.map(String.init) ?? "" }
        #expect(text == ["abcdef", long, "no-newline-at-exit"])
        var messages: [String] = []
        var cuts: [Bool] = []
        for line in Self.lines(h.read(logs + "js-out.log")) {
            let r = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            messages.append(r["message"] as? String ?? "?")
            cuts.append(r["cut"] as? Bool ?? false)
        }
        #expect(cuts == [false, true, true, false, false])
        #expect(messages.count == 5 && messages[0] == "abcdef" && messages[1...3].joined() == long)
        #expect(messages[1].utf8.count == LineFramer.defaultMaxLineBytes)
        #expect(messages.last == "no-newline-at-exit")
    }

    /// An app writes numbered lines as fast as it can while size rotation (with gzip)
    /// happens dozens of times: afterwards every number is there exactly once.
    @Test func rotationUnderLoadLosesAndDuplicatesNoLine() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let count = 400_000
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "seq", "script": "seq", "args": ["1", "\(count)"], "autorestart": false,
                   "log_max_size": "64K", "log_retain": 1000, "log_compress": true}]}
        """)
        try h.must(["start", eco])
        try h.waitUntil("the app wrote its last line and every rotated file is compressed", timeout: 120) {
            guard try h.app("seq")?.status == .stopped else { return false }
            let names = Self.logNames(h)
            let pending = names.contains { $0.hasPrefix("seq-out__") && !$0.hasSuffix(".gz") }
            // The last line may have filled a file: then it ends the newest rotated one.
            return try !pending && Self.allLines(h, base: "seq-out").last == "\(count)"
        }
        let rotated = Self.logNames(h).filter { $0.hasPrefix("seq-out__") }
        #expect(rotated.count >= 20, "only \(rotated.count) rotations")
        for name in rotated {
            #expect(name.wholeMatch(of: /seq-out__\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(\.[1-9]\d*)?\.log\.gz/) != nil, "\(name)")
        }
        var seen = [UInt8](repeating: 0, count: count + 1)
        var bad: [Substring] = []
        for line in try Self.allLines(h, base: "seq-out") {
            if let n = Int(line), n >= 1, n <= count { seen[n] &+= 1 } else { bad.append(line) }
        }
        #expect(bad.isEmpty, "unexpected lines: \(bad.prefix(5))")
        let missing = (1...count).filter { seen[$0] == 0 }
        let twice = (1...count).filter { seen[$0] > 1 }
        #expect(missing.isEmpty, "\(missing.count) numbers missing, first \(missing.prefix(5))")
        #expect(twice.isEmpty, "\(twice.count) numbers written twice, first \(twice.prefix(5))")
        let info = try #require(try h.describe("seq").first)
        #expect(info.logRotations == rotated.count)
        #expect(info.logDroppedLines == 0)
    }

    /// Two instances with merge_logs share one file: one rotation renames and reopens it
    /// for both (a second descriptor would write into the renamed file while it is being
    /// compressed, and those lines would be lost).
    @Test func instancesSharingAFileRotateItTogether() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let count = 150_000
        try h.script("seq.sh", "exec seq -f \"$NODE_APP_INSTANCE-%g\" 1 \(count)\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "pair", "script": "./seq.sh", "instances": 2, "merge_logs": true, "autorestart": false,
                   "log_max_size": "64K", "log_retain": 1000, "log_compress": true}]}
        """)
        try h.must(["start", eco])
        try h.waitUntil("both instances ended and every rotated file is compressed", timeout: 120) {
            let apps = try h.list()
            guard apps.count == 2, apps.allSatisfy({ $0.status == .stopped }) else { return false }
            guard !Self.logNames(h).contains(where: { $0.hasPrefix("pair-out__") && !$0.hasSuffix(".gz") }) else { return false }
            return try Self.allLines(h, base: "pair-out").count >= 2 * count
        }
        var seen: [String: Int] = [:]
        for line in try Self.allLines(h, base: "pair-out") { seen[String(line), default: 0] += 1 }
        let missing = (0..<2).flatMap { i in (1...count).map { "\(i)-\($0)" } }.filter { seen[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) lines missing, first \(missing.prefix(3))")
        #expect(seen.values.allSatisfy { $0 == 1 } && seen.count == 2 * count, "\(seen.count) distinct lines")
        #expect(Self.logNames(h).filter { $0.hasPrefix("pair-out__") }.count >= 20)
    }

    /// log_retain keeps the newest rotated files; without compression they stay plain.
    @Test func retentionDeletesTheOldest() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let count = 20_000
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "seq", "script": "seq", "args": ["1", "\(count)"], "autorestart": false,
                   "log_max_size": "4K", "log_retain": 3}]}
        """)
        try h.must(["start", eco])
        try h.waitUntil("the app wrote its last line", timeout: 60) {
            try h.app("seq")?.status == .stopped && Self.allLines(h, base: "seq-out").last == "\(count)"
        }
        let rotated = Self.logNames(h).filter { $0.hasPrefix("seq-out__") }
        #expect(rotated.count == 3, "\(rotated)")
        #expect(rotated.allSatisfy { $0.hasSuffix(".log") })
        // What is left is the end of the output, without a gap.
        let numbers = try Self.allLines(h, base: "seq-out").compactMap { Int($0) }
        #expect(numbers.last == count)
        let gaps = zip(numbers, numbers.dropFirst()).filter { $1 != $0 + 1 }
        #expect(gaps.isEmpty, "not contiguous at \(gaps.prefix(3))")
        #expect((try h.describe("seq").first?.logRotations ?? 0) > 3)
    }

    /// log_rotate_interval: a cron schedule (here every second, with a seconds field).
    @Test func rotationOnACronSchedule() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("tick.sh", "i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.05; done\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "tick", "script": "./tick.sh", "log_rotate_interval": "* * * * * *"}]}
        """)
        try h.must(["start", eco])
        h.track(try #require(try h.app("tick")?.pid))
        try h.waitUntil("two rotations happened", timeout: 20) {
            Self.logNames(h).filter { $0.hasPrefix("tick-out__") }.count >= 2
        }
        try h.must(["stop", "tick"])
        let numbers = try Self.allLines(h, base: "tick-out").map { Int($0.dropFirst(4)) ?? -1 }
        #expect(numbers.first == 1)
        let gaps = zip(numbers, numbers.dropFirst()).filter { $1 != $0 + 1 }
        #expect(gaps.isEmpty, "not contiguous at \(gaps.prefix(3))")
    }

    /// flush empties the current file through the writer: what follows starts a new
    /// file cleanly (no hole of NUL bytes, no torn line).
    @Test func flushEmptiesTheCurrentFiles() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("count.sh", "i=0; while :; do i=$((i+1)); echo line$i; sleep 0.02; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "count", "script": "./count.sh"}]}"#)
        try h.must(["start", eco])
        h.track(try #require(try h.app("count")?.pid))
        let path = h.home + "/logs/count-out.log"
        try h.waitUntil("20 lines are written") { Self.lines(h.read(path)).count >= 20 }
        let r = try h.must(["flush", "count"])
        #expect(r.stdout.contains("flushed the logs of count (id 0)"))
        let right = Self.lines(h.read(path)).count
        #expect(right < 20, "\(right) lines right after the flush")
        try h.waitUntil("new lines arrive") { Self.lines(h.read(path)).count >= right + 10 }
        let text = h.read(path)
        #expect(!text.contains("\0"))
        let numbers = Self.lines(text).map { Int($0.dropFirst(4)) ?? -1 }
        let gaps = zip(numbers, numbers.dropFirst()).filter { $1 != $0 + 1 }
        #expect(numbers.allSatisfy { $0 > 20 } && gaps.isEmpty, "first \(numbers.prefix(3)), gaps at \(gaps.prefix(3))")
        // Without a target: every app.
        #expect(try h.must(["flush"]).stdout.contains("flushed the logs of count"))
    }

    /// An external logrotate moves the file; `reloadLogs` (then SIGHUP) makes the writer
    /// open a new one: every line is in exactly one of the files.
    @Test func reloadLogsAfterAnExternalMove() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("count.sh", "i=0; while [ ! -e stop ]; do i=$((i+1)); echo line$i; sleep 0.01; done; echo last$i\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "count", "script": "./count.sh", "autorestart": false}]}"#)
        try h.must(["start", eco])
        h.track(try #require(try h.app("count")?.pid))
        let path = h.home + "/logs/count-out.log"
        try h.waitUntil("lines are written") { Self.lines(h.read(path)).count >= 20 }
        #expect(rename(path, path + ".1") == 0)
        try h.must(["reloadLogs"])
        try h.waitUntil("a new file gets the lines") { Self.lines(h.read(path)).count >= 20 }
        #expect(rename(path, path + ".2") == 0)
        let daemon = try #require(h.daemonPID)
        #expect(kill(daemon, SIGHUP) == 0)
        try h.waitUntil("after SIGHUP, again a new file gets the lines") { Self.lines(h.read(path)).count >= 20 }
        _ = try h.file("stop", "")
        try h.waitUntil("the app ended") { try h.app("count")?.status == .stopped && h.read(path).contains("last") }
        let all = [path + ".1", path + ".2", path].flatMap { Self.lines(h.read($0)) }
        let last = try #require(all.last)
        let total = try #require(Int(last.dropFirst(4)))
        let numbers = all.dropLast().map { Int($0.dropFirst(4)) ?? -1 }
        let gaps = zip(numbers, numbers.dropFirst()).filter { $1 != $0 + 1 }
        #expect(numbers.first == 1 && numbers.last == total && gaps.isEmpty, "gaps at \(gaps.prefix(3))")
        #expect(Self.lines(h.read(path + ".1")).count >= 20 && Self.lines(h.read(path + ".2")).count >= 20)
        #expect(try h.app("count")?.status == .stopped)
    }

    /// A flooding app is throttled by back-pressure onto its own pipe: `list` answers
    /// quickly, another app's lines keep arriving, the daemon's memory stays bounded.
    @Test func aFloodingAppDelaysNeitherListNorOtherApps() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("tick.sh", "i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.05; done\n")
        // A real file (rotated, so the disk does not fill): the writer has work to do.
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "flood", "script": "yes", "args": ["a line of flood output that keeps coming"],
                   "log_max_size": "4M", "log_retain": 2, "time": true},
                  {"name": "tick", "script": "./tick.sh"}]}
        """)
        try h.must(["start", eco])
        for a in try h.list() { h.track(a.pid!) }
        try h.waitUntil("the flood rotated its log", timeout: 30) {
            (try h.describe("flood").first?.logRotations ?? 0) >= 2
        }
        var slowest = 0.0
        for _ in 0..<20 {
            let start = Date()
            #expect(h.run(["list"], timeout: 10).ok)
            slowest = max(slowest, Date().timeIntervalSince(start))
        }
        // Generous: a loaded 2-core machine; what matters is that list is not stuck
        // behind the flood (without back-pressure it would wait for the disk).
        #expect(slowest < 2, "slowest list took \(slowest) s")
        let tick = h.home + "/logs/tick-out.log"
        let seen = Self.lines(h.read(tick)).count
        try h.waitUntil("the quiet app's lines keep arriving", timeout: 20) {
            Self.lines(h.read(tick)).count >= seen + 20
        }
        let rss = try #require(h.daemonPID.flatMap { ProcFS.entry(pid: $0) }).rssPages * Int64(sysconf(Int32(_SC_PAGESIZE)))
        #expect(rss < 200 << 20, "daemon RSS \(rss >> 20) MiB")
        try h.must(["stop", "flood"])
        #expect(try h.app("tick")?.isOnline == true)
        #expect(try h.describe("flood").first?.logDroppedLines == 0)
    }

    /// An app writes a burst of lines, one write(2) each on both streams (a busy pipe,
    /// which the reader reads with short pauses to take many lines at a time), then stays
    /// silent with a partial line: every whole line is written while it runs, none waits
    /// for more output or for the exit, and the partial line is written at the stop. Its
    /// busy pipes were enlarged to 1 MiB; a quiet app's stayed at the kernel's default.
    @Test func aBurstThenSilenceIsWrittenWhileTheAppRuns() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("burst.sh", """
        i=0
        while [ $i -lt 5000 ]; do i=$((i+1)); echo "burst $i"; echo "err $i" >&2; done
        printf 'partial'
        exec sleep 3600
        """)
        try h.script("quiet.sh", "echo one line; exec sleep 3600\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "burst", "script": "./burst.sh", "autorestart": false},
                  {"name": "quiet", "script": "./quiet.sh", "autorestart": false}]}
        """)
        try h.must(["start", eco])
        let pid = try #require(try h.app("burst")?.pid)
        h.track(pid)
        let quiet = try #require(try h.app("quiet")?.pid)
        h.track(quiet)
        let out = h.home + "/logs/burst-out.log", err = h.home + "/logs/burst-error.log"
        try h.waitUntil("all 5000 lines of each stream are written", timeout: 30) {
            Self.lines(h.read(out)).count >= 5000 && Self.lines(h.read(err)).count >= 5000
        }
        #expect(Self.lines(h.read(out)) == (1...5000).map { Substring("burst \($0)") })
        #expect(Self.lines(h.read(err)) == (1...5000).map { Substring("err \($0)") })
        #expect(!h.read(out).contains("partial"))
        // F_GETPIPE_SZ of the apps' stdout, through /proc; closed at once, since a write
        // end held here would keep the pipe from ending.
        func pipeSize(_ pid: pid_t) throws -> Int32 {
            let fd = open("/proc/\(pid)/fd/1", O_WRONLY | O_NONBLOCK)
            try #require(fd >= 0, "cannot open the stdout of \(pid): errno \(errno)")
            defer { close(fd) }
            return fcntl(fd, 1032)
        }
        #expect(try pipeSize(pid) == 1 << 20)
        try h.waitUntil("the quiet app's line is written") { Self.lines(h.read(h.home + "/logs/quiet-out.log")) == ["one line"] }
        #expect(try pipeSize(quiet) == Int32(sysconf(Int32(_SC_PAGESIZE))) * 16)
        try h.must(["stop", "burst"])
        try h.waitUntil("the partial line is written at the stop") { h.read(out).hasSuffix("burst 5000\npartial\n") }
    }

    /// A log file that cannot be opened (its directory is a file) is reported once in
    /// the history and the daemon log, its lines are counted, and it is retried until it
    /// works. A full device (/dev/full) is reported once and counted the same way.
    @Test func logFaultsAreReportedOnceCountedAndRetried() throws {
        // The daemon is started by the CLI, so that its log is the home's daemon.log.
        let h = try Harness(startDaemon: false)
        defer { Self.shutdownWaitingForDaemon(h) }
        try h.script("count.sh", "i=0; while :; do i=$((i+1)); echo line$i; sleep 0.02; done\n")
        _ = try h.file("blocker", "a file where a directory should be\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "blocked", "script": "./count.sh", "out_file": "blocker/out.log"},
                  {"name": "full", "script": "./count.sh", "out_file": "/dev/full"}]}
        """)
        try h.must(["start", eco])
        for a in try h.list() { h.track(a.pid!) }
        try h.waitUntil("lines are dropped and counted") {
            let apps = try h.describe("all")
            return apps.allSatisfy { ($0.logDroppedLines ?? 0) >= 20 }
        }
        for app in try h.describe("all") {
            let events = app.history?.filter { $0.event == "log" } ?? []
            #expect(events.count == 1, "\(app.name): \(events)")
            #expect((app.logDroppedBytes ?? 0) >= Int64(app.logDroppedLines ?? 0) * 6)
            #expect(try h.app(app.name)?.isOnline == true)
        }
        let blocked = try #require(try h.describe("blocked").first)
        #expect(blocked.logError?.contains("cannot open the log file") == true, "\(String(describing: blocked.logError))")
        #expect(blocked.logError?.contains("ENOTDIR") == true)
        let full = try #require(try h.describe("full").first)
        #expect(full.logError?.contains("ENOSPC") == true, "\(String(describing: full.logError))")
        let daemonLog = h.read(h.home + "/daemon.log")
        #expect(daemonLog.components(separatedBy: "app blocked (id 0): cannot open the log file").count == 2, "\(daemonLog)")
        #expect(daemonLog.components(separatedBy: "app full (id 1): cannot write the log file").count == 2, "\(daemonLog)")
        // Repaired: the next attempt (backoff of at most a minute, here a few seconds)
        // opens the file and the lines arrive again.
        try FileManager.default.removeItem(atPath: h.home + "/blocker")
        try FileManager.default.createDirectory(atPath: h.home + "/blocker", withIntermediateDirectories: false)
        try h.waitUntil("the repaired file gets lines", timeout: 90) {
            Self.lines(h.read(h.home + "/blocker/out.log")).count >= 5
        }
        try h.waitUntil("the recovery is in the history") {
            (try h.describe("blocked").first?.history ?? []).contains { $0.event == "log" && $0.reason?.contains("written again") == true }
        }
    }

    /// Without a journal (no socket, as on this machine), log_type journal falls back to
    /// the files with one warning.
    @Test func journalFallsBackToFilesWithOneWarning() throws {
        guard !Journal.isAvailable() else {
            print("skipped: a journal runs here (\(Journal.socketPath) exists); the fallback cannot be shown")
            return
        }
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("talk.sh", "echo to-the-journal; sleep 100\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "jr", "script": "./talk.sh", "log_type": "journal"}]}"#)
        try h.must(["start", eco])
        h.track(try #require(try h.app("jr")?.pid))
        try h.waitUntil("the line is in the file") { h.read(h.home + "/logs/jr-out.log") == "to-the-journal\n" }
        try h.must(["restart", "jr"])
        h.track(try #require(try h.app("jr")?.pid))
        try h.waitUntil("the restarted app wrote too") { Self.lines(h.read(h.home + "/logs/jr-out.log")).count == 2 }
        let info = try #require(try h.describe("jr").first)
        #expect(info.logJournal == false)
        let warnings = info.history?.filter { $0.event == "log" } ?? []
        #expect(warnings.count == 1 && warnings.first?.reason?.contains("no journal runs here") == true, "\(warnings)")
    }
}
