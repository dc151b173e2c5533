@testable import SwisorDaemon
import Foundation
@testable import SwisorSystem
import HeapModule
import SwisorCore
import Testing

@Suite struct ProcStatTests {
    @Test func parsesACommandWithSpacesAndParentheses() throws {
        let line = "4242 (my (weird) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 25 17 0 0 20 0 1 0 987654 10000000 321 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
        let e = try #require(ProcFS.parseStat(Array(line.utf8)))
        #expect(e.pid == 4242)
        #expect(e.comm == "my (weird) app")
        #expect(e.ppid == 1)
        #expect(e.pgid == 4242)
        #expect(e.sid == 4242)
        #expect(e.state == UInt8(ascii: "S"))
        #expect(e.cpuTicks == 42)
        #expect(e.startTime == 987654)
        #expect(e.rssPages == 321)
    }

    @Test func rejectsTruncatedInput() {
        #expect(ProcFS.parseStat(Array("12 (x) S 1 2".utf8)) == nil)
        #expect(ProcFS.parseStat([]) == nil)
    }

    @Test func readsThisProcess() throws {
        let me = try #require(ProcFS.entry(pid: getpidForTest()))
        #expect(me.startTime > 0)
        #expect(ProcFS.scan().contains { $0.pid == me.pid })
    }
}

@Suite struct TimerHeapTests {
    /// The loop's heap order: deadline, then scheduling order (the token).
    @Test func popsInDeadlineThenInsertionOrder() {
        var heap = Heap<TimerEntry>()
        let deadlines: [Int64] = [50, 10, 30, 10, 70, 0, 30]
        for (i, d) in deadlines.enumerated() { heap.insert(TimerEntry(deadline: d, token: UInt64(i))) }
        var order: [UInt64] = []
        while let e = heap.popMin() { order.append(e.token) }
        #expect(order == [5, 1, 3, 2, 6, 0, 4])
        #expect(heap.isEmpty)
    }
}

@Suite struct LogPathTests {
    @Test func defaultNamesFollowPM2() {
        var s = AppSpec(name: "api", script: "/x", cwd: "/")
        var p = LogPaths.forInstance(id: 3, spec: s, logsDirectory: "/h/logs")
        #expect(p == LogPaths(out: "/h/logs/api-out.log", err: "/h/logs/api-error.log", combined: nil))
        s.instances = 2
        p = LogPaths.forInstance(id: 3, spec: s, logsDirectory: "/h/logs")
        #expect(p.out == "/h/logs/api-out-3.log")
        #expect(p.err == "/h/logs/api-error-3.log")
        s.mergeLogs = true
        #expect(LogPaths.forInstance(id: 3, spec: s, logsDirectory: "/h/logs").out == "/h/logs/api-out.log")
    }

    @Test func customPathsGetTheIdWithSeveralInstances() {
        var s = AppSpec(name: "api", script: "/x", cwd: "/", instances: 2, outFile: "/var/log/api.log",
                        errorFile: "/dev/null", logFile: "/var/log/all")
        let p = LogPaths.forInstance(id: 1, spec: s, logsDirectory: "/h/logs")
        #expect(p == LogPaths(out: "/var/log/api-1.log", err: "/dev/null", combined: "/var/log/all-1"))
        s.instances = 1
        #expect(LogPaths.forInstance(id: 1, spec: s, logsDirectory: "/h/logs").out == "/var/log/api.log")
    }
}

@Suite struct CountdownTests {
    @Test func firesOnceAfterArmAndLastLeave() {
        var fired = 0
        let c = Countdown { fired += 1 }
        c.enter()
        c.enter()
        c.leave()
        #expect(fired == 0)
        c.arm()
        #expect(fired == 0)
        c.leave()
        #expect(fired == 1)
        let empty = Countdown { fired += 1 }
        empty.arm()
        #expect(fired == 2)
    }
}

#if canImport(Glibc)
import Glibc
func getpidForTest() -> Int32 { getpid() }
#endif

@Suite struct WireFormTests {
    /// The daemon's fast encoding of list answers must say exactly what Codable says.
    @Test func fastListEncodingEqualsCodable() throws {
        var a = AppInfo(id: 3, name: "api \"x\"", namespace: "web", instance: 1, status: .waitingRestart,
                        statusReason: "exit code 1; restart in 150 ms", pid: nil, restarts: 4, unstableRestarts: 2,
                        uptimeMs: nil, cpu: 7.1, memory: 1_234_567, processCount: 0, createdAt: 1_795_000_000_000,
                        nextRestartAt: 1_795_000_000_150,
                        lastExit: ExitInfo(code: nil, signal: "SIGSEGV", at: 1_795_000_000_000, runMs: 12, requested: false))
        var b = AppInfo(id: 4, name: "w", namespace: "default", instance: 0, status: .online, pid: 4242,
                        uptimeMs: 99, cpu: 0, memory: 0, processCount: 3, createdAt: 1)
        b.lastExit = ExitInfo(code: 0, signal: nil, at: 5, runMs: 6, requested: true)
        for cpu in [0.0, 12.0, 0.1, 99.9] {
            a.cpu = cpu
            let response = Response(apps: [a, b])
            let fast = try #require(response.listWireForm).serializedBytes()
            let codable = try Wire.encode(response)
            #expect(try JSON.parse(fast) == JSON.parse(codable))
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: codable, as: UTF8.self))
        }
        // Anything beyond list fields goes through Codable.
        var detailed = a
        detailed.history = []
        #expect(Response(apps: [detailed]).listWireForm == nil)
        #expect(Response(messages: ["x"]).listWireForm == nil)
    }

    @Test func fastRequestEncodingEqualsCodable() throws {
        for request in [Request(command: .list), Request(command: .stop, target: "a \"b\" ü")] {
            let fast = try #require(request.simpleWireForm).serializedBytes()
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: try Wire.encode(request), as: UTF8.self))
        }
        #expect(Request(command: .start, apps: []).simpleWireForm == nil)
    }
}

@Suite struct LocalTimeZoneTests {
    @Test func readsTZAsAZoneAPathOrARule() throws {
        let rule = LocalTimeZone.load(environment: "CET-1CEST,M3.5.0,M10.5.0/3")
        #expect(rule.warning == nil)
        // 2026-07-01T00:00:00Z is summer: UTC+2.
        #expect(rule.rules.offset(atUTC: 1_782_864_000) == 7200)
        let utc = LocalTimeZone.load(environment: "")
        #expect(utc.name == "UTC")
        let bad = LocalTimeZone.load(environment: "No/Such_Zone")
        #expect(bad.name == "UTC")
        #expect(bad.warning?.contains("No/Such_Zone") == true)
        if FileManager.default.fileExists(atPath: "/usr/share/zoneinfo/Europe/Berlin") {
            let berlin = LocalTimeZone.load(environment: ":Europe/Berlin")
            #expect(berlin.name == "Europe/Berlin")
            #expect(berlin.rules.offset(atUTC: 1_782_864_000) == 7200)
        } else {
            print("zone file check skipped: /usr/share/zoneinfo/Europe/Berlin is missing (no tzdata)")
        }
    }
}

@Suite struct EventLoopTimerTests {
    /// A delay past the end of the monotonic clock is "never", not an overflow trap.
    @Test func aDeadlinePastTheEndOfTheClockSaturates() throws {
        let loop = try EventLoop()
        var fired = [Int]()
        let never = loop.schedule(afterMilliseconds: .max) { fired.append(0) }
        loop.schedule(afterMilliseconds: Int64.max - 1) { fired.append(1) }
        loop.schedule(afterMilliseconds: 1) {
            fired.append(2)
            loop.stop()
        }
        loop.run()
        loop.cancel(never)
        #expect(fired == [2])
    }

    /// Timers that keep re-arming for the next millisecond, each taking longer than that,
    /// must not keep the loop from its descriptors: a pass runs only the timers due when
    /// it began.
    @Test func rearmingTimersDoNotStarveDescriptors() throws {
        let loop = try EventLoop()
        let pipe = try Pipe.make()
        defer {
            pipe.readEnd.close()
            pipe.writeEnd.close()
        }
        var firings = 0
        var readable = false
        try loop.register(pipe.readEnd) { _ in
            readable = true
            loop.stop()
        }
        func rearm() {
            loop.schedule(afterMilliseconds: 1) {
                firings += 1
                if firings == 10 {
                    // Readable while the timers run, not before the first pass.
                    var byte: UInt8 = 1
                    _ = write(pipe.writeEnd.rawValue, &byte, 1)
                }
                usleep(2_000)
                // The bound that ends the test if the descriptor is never served.
                if firings >= 500 { loop.stop() } else { rearm() }
            }
        }
        for _ in 0..<3 { rearm() }
        loop.run()
        loop.unregister(pipe.readEnd)
        #expect(readable, "the pipe was never served (\(firings) timer firings)")
        #expect(firings < 500)
    }

    /// Timers fire by deadline, and those with one deadline in the order they were scheduled.
    @Test func firesByDeadlineThenSchedulingOrder() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        loop.schedule(afterMilliseconds: 30) { fired.append("c") }
        loop.schedule(afterMilliseconds: 10) { fired.append("a1") }
        loop.schedule(afterMilliseconds: 10) { fired.append("a2") }
        loop.schedule(afterMilliseconds: 20) { fired.append("b") }
        loop.schedule(afterMilliseconds: 10) { fired.append("a3") }
        loop.schedule(afterMilliseconds: 40) {
            fired.append("end")
            loop.stop()
        }
        loop.run()
        #expect(fired == ["a1", "a2", "a3", "b", "c", "end"])
        #expect(loop.timers.isEmpty)
    }

    /// A cancelled timer never wakes the loop: its entry is dropped as soon as it is the
    /// earliest, not at its deadline (issue 15: a stop's cancelled kill_timeout woke an
    /// idle daemon 1.6 s later, once per app).
    @Test func aCancelledTimerNeverWakesTheLoop() throws {
        let loop = try EventLoop()
        let dropped = loop.schedule(afterMilliseconds: 20) { Issue.record("a cancelled timer ran") }
        loop.cancel(dropped)
        var turnAtEnd: UInt64 = 0
        loop.schedule(afterMilliseconds: 100) {
            turnAtEnd = loop.turn
            loop.stop()
        }
        loop.run()
        // Turn 1 waits for the 100 ms timer at once; turn 2 runs it. A wake-up at 20 ms
        // for the cancelled one would make it turn 3.
        #expect(turnAtEnd == 2, "the loop turned \(turnAtEnd) times")
    }

    /// Cancelled entries deep in the heap (far deadlines) are swept once they are most of
    /// it: a daemon that arms and cancels long timers all day keeps a small heap.
    @Test func cancelledFarTimersAreSwept() throws {
        let loop = try EventLoop()
        let kept = loop.schedule(afterMilliseconds: 1) {}
        for _ in 0..<5000 { loop.cancel(loop.schedule(afterMilliseconds: 3_600_000) {}) }
        #expect(loop.timers.count <= 1025, "\(loop.timers.count) entries for one live timer")
        loop.cancel(kept)
    }

    /// `cancel` drops the action at once; the heap entry stays until it is the earliest,
    /// then pops without running anything.
    @Test func aCancelledTimerPopsLaterAndDoesNothing() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let dropped = loop.schedule(afterMilliseconds: 5) { fired.append("cancelled") }
        loop.schedule(afterMilliseconds: 10) { fired.append("kept") }
        loop.cancel(dropped)
        loop.cancel(nil)
        #expect(loop.timers.count == 2)
        loop.schedule(afterMilliseconds: 20) {
            // By now both earlier entries have popped: only this one was in the heap.
            fired.append("end \(loop.timers.count)")
            loop.stop()
        }
        loop.run()
        #expect(fired == ["kept", "end 0"])
        #expect(loop.timers.isEmpty)
    }
}

@Suite struct PipeBudgetTests {
    @Test func aQuarterOfTheUsersSoftQuota() {
        let budget = PipeBudget(softLimitPages: 16384, pageSize: 4096)
        #expect(budget.limit == 16 << 20)
        #expect(budget.take(15 << 20))
        #expect(!budget.take(2 << 20))
        budget.give(15 << 20)
        #expect(budget.used == 0)
        #expect(budget.take(16 << 20))
        #expect(!budget.take(1))
        // No quota: no limit; unknown: the kernel's default.
        #expect(PipeBudget(softLimitPages: 0, pageSize: 4096).take(1 << 40))
        #expect(PipeBudget(softLimitPages: nil, pageSize: 4096).limit == 16 << 20)
    }
}
