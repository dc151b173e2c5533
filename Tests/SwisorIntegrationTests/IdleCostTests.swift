import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a running app costs the daemon when nobody asks about it (issue 15): nothing for
/// an app without a memory watch (no timer, no file open), one tick a second for an app
/// with one; CPU and memory are read when asked. Wake-ups are counted as the daemon's
/// context switches (every thread's, voluntary and not): a thread blocked in epoll_wait
/// or on a condition has none, whatever the load of the machine.
@Suite struct IdleCostTests {
    static func contextSwitches(_ pid: pid_t) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var total = 0
        for t in tasks {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/status", encoding: .utf8)) ?? ""
            for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches") || line.hasPrefix("nonvoluntary_ctxt_switches") {
                total += Int(line.split(separator: "\t").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            }
        }
        return total
    }

    /// The daemon's wake-ups over `seconds`. A measurement window, not a wait for a
    /// condition: what is measured is that nothing happens in it.
    static func wakeups(_ pid: pid_t, over seconds: Double) -> Int {
        let before = contextSwitches(pid)
        usleep(UInt32(seconds * 1_000_000))
        return contextSwitches(pid) - before
    }

    /// Waits until the daemon has been quiet for 300 ms: what a request it answered
    /// still does after its answer (a log file closed by the writer thread) is its
    /// cost, not the idle cost measured next.
    static func settle(_ pid: pid_t) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if wakeups(pid, over: 0.3) == 0 { return }
        }
        throw HarnessError("the daemon never went quiet for 300 ms in 10 s")
    }

    /// Descriptors the daemon holds on cgroup files.
    static func cgroupFiles(_ pid: pid_t) -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
            .filter { $0.hasPrefix("/sys/fs/cgroup/") }
    }

    @Test func anAppWithoutAMemoryWatchCostsTheDaemonNothing() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        let daemon = try #require(h.daemonPID)
        try h.script("quiet.sh", "while :; do sleep 3600; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "quiet", "script": "./quiet.sh", "instances": 3}]}"#)
        try h.must(["start", eco], cwd: h.home)

        #expect(Self.cgroupFiles(daemon).isEmpty, "cgroup files open before anyone asked: \(Self.cgroupFiles(daemon))")
        try Self.settle(daemon)
        let idle = Self.wakeups(daemon, over: 2.5)
        #expect(idle == 0, "the daemon woke up \(idle) times in 2.5 s with 3 quiet apps and nothing asked")

        // Asked, the daemon reads every app's cgroup now.
        let apps = try h.list()
        #expect(apps.count == 3)
        for app in apps {
            #expect(app.status == .online)
            #expect(app.memory > 0, "no memory read for \(app.name) \(app.instance)")
            #expect(app.processCount == 2, "\(app.processCount) processes in \(app.name) \(app.instance)")
            if let pid = app.pid { h.track(pid) }
        }
        let kept = Self.cgroupFiles(daemon)
        #expect(kept.count >= 3, "files kept open for the next reading: \(kept)")
        try Self.settle(daemon)
        let afterList = Self.wakeups(daemon, over: 2.5)
        #expect(afterList == 0, "the daemon woke up \(afterList) times in 2.5 s after a list")

        // Closed before the cgroups go.
        try h.must(["stop", "all"])
        #expect(Self.cgroupFiles(daemon).isEmpty, "cgroup files still open after the stop: \(Self.cgroupFiles(daemon))")
    }

    @Test func theMemoryWatchTicksOnlyWhileAWatchedAppRuns() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        let daemon = try #require(h.daemonPID)
        try h.script("quiet.sh", "while :; do sleep 3600; done\n")
        let eco = try h.file("eco.json", #"""
        {"apps": [{"name": "watched", "script": "./quiet.sh", "max_memory_restart": "1G"},
                  {"name": "plain", "script": "./quiet.sh"}]}
        """#)
        try h.must(["start", eco], cwd: h.home)

        let watching = Self.wakeups(daemon, over: 3.5)
        #expect(watching >= 3 && watching <= 40, "\(watching) wake-ups in 3.5 s with one watched app (one tick a second)")
        // The watch reads the usage through one kept descriptor; nothing of `plain`.
        let kept = Self.cgroupFiles(daemon)
        #expect(!kept.isEmpty && kept.allSatisfy { $0.contains("watched") }, "\(kept)")

        // The stop's kill_timeout, cancelled when the app went, wakes nobody either.
        try h.must(["stop", "watched"])
        try Self.settle(daemon)
        let after = Self.wakeups(daemon, over: 2.5)
        #expect(after == 0, "\(after) wake-ups in 2.5 s once the watched app stopped")
        #expect(Self.cgroupFiles(daemon).isEmpty, "\(Self.cgroupFiles(daemon))")
    }

    @Test func cpuIsTheShareSinceThePreviousReading() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        try h.script("burn.sh", "while :; do :; done\n")
        try h.script("rest.sh", "while :; do sleep 3600; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "burn", "script": "./burn.sh"}, {"name": "rest", "script": "./rest.sh"}]}"#)
        try h.must(["start", eco], cwd: h.home)
        try h.waitUntil("burn shows its CPU") { (try h.app("burn")?.cpu ?? 0) > 20 }
        // The first reading of `rest` is the average since it started, its shell's
        // start-up included; the next ones (a second apart at least) cover its sleep.
        try h.waitUntil("rest shows the CPU of a sleeping app", timeout: 20) { (try h.app("rest")?.cpu ?? 100) < 5 }
        #expect((try h.app("burn")?.cpu ?? 0) > 20)
        for app in try h.list() { if let pid = app.pid { h.track(pid) } }
    }

    /// The daemon raises its own soft open-file limit (it holds descriptors for every
    /// app) and gives each app the limit it was given itself.
    @Test func appsKeepTheOpenFileLimitTheDaemonWasGiven() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let prlimit = "/usr/bin/prlimit"
        try #require(FileManager.default.isExecutableFile(atPath: prlimit), "prlimit (util-linux, installed by make deps)")
        try h.script("quiet.sh", "while :; do sleep 3600; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "quiet", "script": "./quiet.sh"}]}"#)
        let r = h.run(["start", eco], cwd: h.home, prefix: [prlimit, "--nofile=700:9000"])
        try #require(r.ok, "\(r.stderr)")
        let daemon = try #require(h.daemonPID)
        let app = try #require(try h.app("quiet")?.pid)
        h.track(app)
        func openFiles(_ pid: pid_t) -> [String] {
            let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
            let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
            return line.split(separator: " ").dropFirst(3).prefix(2).map(String.init)
        }
        #expect(openFiles(daemon) == ["9000", "9000"], "the daemon's limit: \(openFiles(daemon))")
        #expect(openFiles(app) == ["700", "9000"], "the app's limit: \(openFiles(app))")
    }
}
