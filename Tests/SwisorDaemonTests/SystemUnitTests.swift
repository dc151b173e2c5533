@testable import SwisorDaemon
@testable import SwisorSystem
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
    @Test func popsInDeadlineThenInsertionOrder() {
        var heap = TimerHeap()
        let deadlines: [Int64] = [50, 10, 30, 10, 70, 0, 30]
        for (i, d) in deadlines.enumerated() { heap.push(deadline: d, token: UInt64(i)) }
        var order: [UInt64] = []
        while let e = heap.pop() { order.append(e.token) }
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
