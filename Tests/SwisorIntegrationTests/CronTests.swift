import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// cron_restart with real processes: jobs that run and exit on a schedule, services
/// restarted by it, trigger, autostart false, and stop pausing the schedule.
@Suite(.serialized)
struct CronTests {
    @Test func aSixFieldScheduleStartsAnExitedJobEachTime() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("job.sh", "date +%s >> runs\nexit 0\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "job", "script": "./job.sh", "autorestart": false, "cron_restart": "*/2 * * * * *"}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("three scheduled runs", timeout: 30) {
            h.read("runs").split(separator: "\n").count >= 4
        }
        let runs = h.read("runs").split(separator: "\n").compactMap { Int64($0) }
        // After the first run (at start), each one is on an even second.
        for t in runs.dropFirst() { #expect(t % 2 == 0, "a run at \(t), not on the */2 schedule") }
        try h.waitUntil("the job is stopped between runs") {
            let a = try h.app("job")
            return a?.status == .stopped && a?.nextCronAt != nil
        }
        let a = try #require(try h.app("job"))
        #expect(a.restarts == 0, "a scheduled start of an exited job is not a restart")
        #expect(a.lastExit?.code == 0)
        let history = try #require(try h.describe("job").first?.history)
        #expect(history.contains { $0.event == "cron" && $0.reason == "starting the app" })
        #expect(history.contains { $0.event == "start" && $0.reason == "cron" })

        // stop pauses the schedule: no next run, and none happens while stopped.
        try h.must(["stop", "job"])
        let stopped = try #require(try h.app("job"))
        #expect(stopped.nextCronAt == nil)
        let count = h.read("runs").split(separator: "\n").count
        let until = Date().addingTimeInterval(4.5)
        try h.waitUntil("two scheduled times have passed", timeout: 10) { Date() > until }
        #expect(h.read("runs").split(separator: "\n").count == count, "a paused schedule fired")
        // start resumes it.
        try h.must(["start", "job"])
        #expect(try h.app("job")?.nextCronAt != nil)
        try h.waitUntil("the resumed schedule fires", timeout: 20) {
            h.read("runs").split(separator: "\n").count >= count + 2
        }
    }

    @Test func aRunningServiceIsRestartedByItsSchedule() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("svc.sh", "echo $$ >> mains\nexec sleep 100000\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "svc", "script": "./svc.sh", "cron_restart": "*/2 * * * * *"}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("the schedule restarted the service twice", timeout: 30) {
            (try h.app("svc")?.restarts ?? 0) >= 2
        }
        let mains = h.pids(in: "mains")
        let current = try #require(try h.app("svc")?.pid)
        h.track(current)
        #expect(mains.filter { $0 != current }.allSatisfy { !Harness.alive($0) }, "an old run survived its cron restart")
        let history = try #require(try h.describe("svc").first?.history)
        #expect(history.contains { $0.event == "restart" && $0.reason == "cron" })
    }

    @Test func autostartFalseWaitsAndTriggerRunsNow() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("yearly.sh", "echo ran >> runs\nexit 0\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "yearly", "script": "./yearly.sh", "autorestart": false, "autostart": false, "cron_restart": "0 0 1 1 *"}]}"#)
        try h.must(["start", eco])
        let a = try #require(try h.app("yearly"))
        #expect(a.status == .stopped)
        #expect(a.pid == nil)
        #expect(a.statusReason?.contains("waiting for its first cron run") == true)
        // Next run: the coming January 1st, 00:00 local time, in the future.
        let next = try #require(a.nextCronAt)
        #expect(next > Int64(Date().timeIntervalSince1970 * 1000))
        #expect(next < Int64(Date().addingTimeInterval(367 * 86400).timeIntervalSince1970 * 1000))
        #expect(h.read("runs").isEmpty)
        // The table shows when it runs next.
        #expect(try h.must(["list"]).stdout.contains("stopped (next "))

        try h.must(["trigger", "yearly"])
        try h.waitUntil("the triggered run happened") {
            let status = try h.app("yearly")?.status
            return h.read("runs") == "ran\n" && status == .stopped
        }
        #expect(try h.describe("yearly").first?.history?.contains { $0.event == "trigger" } == true)
        #expect(h.run(["trigger", "nope"]).status != 0)
    }

    @Test func aBadExpressionIsRefusedAtLoad() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let eco = try h.file("eco.json", #"{"apps": [{"name": "a", "script": "/bin/true", "cron_restart": "61 * * * *"}]}"#)
        let r = h.run(["start", eco])
        #expect(r.status != 0)
        #expect(r.stderr.contains("eco.json: apps[0].cron_restart: invalid cron expression \"61 * * * *\""), "\(r.stderr)")
        #expect(!h.run(["ping"]).ok, "nothing started")
    }
}

@Suite(.serialized)
struct ScheduledLayoutTests {
    static var examples: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
    }

    /// examples/scheduled.json: services, queue workers and jobs side by side. Jobs run
    /// (at start and when triggered), exit 0 and wait for their next run; the services
    /// and workers are untouched by any of it.
    @Test func jobsRunNextToUntouchedServices() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.must(["start", ScheduledLayoutTests.examples + "/scheduled.json"])
        let all = try h.list()
        #expect(all.count == 16)
        let services = all.filter { $0.namespace != "jobs" }
        #expect(services.count == 9)
        #expect(services.allSatisfy { $0.isOnline })
        for s in services { h.track(s.pid!) }
        let jobsExited = { (after: Int64) throws -> Bool in
            let jobs = try h.list().filter { $0.namespace == "jobs" }
            return jobs.count == 7 && jobs.allSatisfy {
                $0.status == .stopped && $0.lastExit?.code == 0 && ($0.lastExit?.at ?? 0) > after && $0.nextCronAt != nil
            }
        }
        try h.waitUntil("every job ran once and exited 0", timeout: 20) { try jobsExited(0) }
        let firstRuns = try h.list().filter { $0.namespace == "jobs" }.compactMap { $0.lastExit?.at }.max() ?? 0

        try h.must(["trigger", "jobs"])
        try h.waitUntil("every job ran again", timeout: 20) { try jobsExited(firstRuns) }
        let after = try h.list().filter { $0.namespace != "jobs" }
        #expect(after.map(\.pid) == services.map(\.pid), "a service was restarted by the jobs' runs")
        #expect(after.allSatisfy { $0.restarts == 0 && $0.isOnline })
        #expect(try h.list().filter { $0.namespace == "jobs" }.allSatisfy { $0.restarts == 0 })
        let log = h.read(h.home + "/logs/invoices-out.log")
        #expect(log.components(separatedBy: "job invoices: done").count - 1 == 2)
    }
}
