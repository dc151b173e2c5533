import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Containment through a cgroup per app, on whatever this host offers (on the CI
/// machines: a hybrid host, cgroup2 for membership and v1 memory/pids/cpu). Each test
/// skips, saying why, only where the daemon found no usable cgroup.
@Suite(.serialized)
struct CgroupTests {
    /// The daemon's containment, or nil (with the reason printed) when it has no cgroups.
    static func cgroupDaemon(_ h: Harness, _ test: String = #function) throws -> DoctorReport? {
        let r = h.run(["doctor", "--json"])
        let report = try JSONDecoder().decode(DoctorReport.self, from: Data(r.stdout.utf8))
        if report.containment == "process-tree" {
            print("SKIP \(test): this host gives the daemon no cgroup (\(report.reason))")
            return nil
        }
        return report
    }

    static func directory(_ report: DoctorReport, _ controller: String) -> (version: String, dir: String)? {
        guard let c = report.controllers.first(where: { $0.name == controller }), let v = c.version, let d = c.directory else { return nil }
        return (v, d)
    }

    /// Where a controller's files are for one app cgroup: its cgroup2 directory, or
    /// the app's directory in the v1 hierarchy.
    static func controllerDir(_ report: DoctorReport, _ controller: String, app cgroup: String) -> String? {
        guard let (version, dir) = directory(report, controller) else { return nil }
        return version == "v2" ? cgroup : dir + "/" + (cgroup as NSString).lastPathComponent
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func procs(_ cgroup: String) -> [pid_t] {
        CgroupFiles.pids(read(cgroup + "/cgroup.procs"))
    }

    @Test func escapeeLivesInTheAppCgroupAndStopLeavesNoSurvivor() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard let report = try CgroupTests.cgroupDaemon(h) else { return }
        try h.script("tree.sh", TreeTests.tree)
        let eco = try h.file("eco.json", #"{"apps": [{"name": "tree", "script": "./tree.sh", "kill_timeout": 3000}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("the tree is up") { h.read("state").contains("ready") }
        let pids = h.pids(in: "pids") + h.pids(in: "escapee")
        try h.waitUntil("the escapee is re-parented to the daemon") { ProcFS.entry(pid: pids[3])?.ppid == h.daemonPID }

        let cgroup = try #require(try h.describe("tree").first?.cgroup)
        #expect(cgroup.hasSuffix("/app-0-tree"))
        let members = Set(CgroupTests.procs(cgroup))
        for p in pids {
            #expect(members.contains(p), "pid \(p) is in the app's cgroup")
            #expect(HostCgroups.cgroup2Path(of: p).map { cgroup.hasSuffix($0) } == true)
        }
        // ps lists every process of the app, the escapee too.
        struct PsRow: Decodable { var cgroup: String?; var processes: [SwisorCore.ProcessInfo] }
        let ps = try JSONDecoder().decode([PsRow].self, from: Data(try h.must(["ps", "tree", "--json"]).stdout.utf8))
        #expect(ps.first?.cgroup == cgroup)
        let listed = Set(ps.first?.processes.map(\.pid) ?? [])
        for p in pids { #expect(listed.contains(p), "ps lists \(p): \(listed.sorted())") }
        let memoryDir = CgroupTests.controllerDir(report, "memory", app: cgroup)

        try h.must(["stop", "tree"])
        let survivors = pids.filter { Harness.alive($0) }
        #expect(survivors.isEmpty, "survivors after stop: \(survivors)")
        #expect(!FileManager.default.fileExists(atPath: cgroup), "the app's cgroup is removed after stop")
        if let memoryDir { #expect(!FileManager.default.fileExists(atPath: memoryDir)) }
        #expect(try h.app("tree")?.status == .stopped)
    }

    @Test func forkBombIsBoundedByTasksMaxAndStillStopped() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard let report = try CgroupTests.cgroupDaemon(h) else { return }
        try h.script("bomb.sh", "f() { f & f & wait; }\nf\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "bomb", "script": "./bomb.sh", "tasks_max": 24, "kill_timeout": 300, "autorestart": false}]}"#)
        try h.must(["start", eco])
        let cgroup = try #require(try h.describe("bomb").first?.cgroup)
        let pidsDir = try #require(CgroupTests.controllerDir(report, "pids", app: cgroup))
        #expect(CgroupTests.read(pidsDir + "/pids.max").hasPrefix("24"))
        try h.waitUntil("the bomb hits its limit") {
            (CgroupFiles.value(of: "max", in: CgroupTests.read(pidsDir + "/pids.events")) ?? 0) > 0
        }
        let current = CgroupFiles.number(CgroupTests.read(pidsDir + "/pids.current")) ?? 0
        #expect(current <= 24, "pids.current \(current) stays within tasks_max")
        let members = CgroupTests.procs(cgroup)
        #expect(members.count <= 24)
        for p in members { h.track(p) }

        try h.must(["stop", "bomb"])
        #expect(members.filter { Harness.alive($0) }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: cgroup))
        #expect(try h.app("bomb")?.status == .stopped)
    }

    @Test func killByTheOOMKillerIsReportedAsOOM() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        // The main shell itself grows past memory_max: the kernel kills it.
        try h.script("hog.sh", "echo $$ > hog.pid\nx=$(head -c 200M /dev/zero | tr '\\0' a)\nsleep 1000\n")
        // A worker grows past it while the main process goes on.
        try h.script("workers.sh", "( x=$(head -c 200M /dev/zero | tr '\\0' a); sleep 1000 ) &\nexec sleep 1000\n")
        let eco = try h.file("eco.json", """
        {"apps": [
          {"name": "hog", "script": "./hog.sh", "memory_max": "48M", "restart_delay": 600000},
          {"name": "workers", "script": "./workers.sh", "memory_max": "48M"}
        ]}
        """)
        try h.must(["start", eco])
        _ = h.pids(in: "hog.pid")
        try h.waitUntil("the hog is killed and waits for its restart", timeout: 30) {
            try h.app("hog")?.status == .waitingRestart
        }
        let hog = try #require(try h.describe("hog").first)
        #expect(hog.lastExit?.oom == true)
        #expect(hog.lastExit?.signal == "SIGKILL")
        #expect(hog.lastExit?.requested == false)
        let wait = try #require(hog.history?.last { $0.event == "waiting restart" })
        #expect(wait.reason?.hasPrefix("oom;") == true, "restart reason: \(wait.reason ?? "-")")

        try h.waitUntil("the worker's OOM kill is recorded", timeout: 30) {
            try h.describe("workers").first?.history?.contains { $0.event == "oom" } == true
        }
        let workers = try #require(try h.describe("workers").first)
        #expect(workers.status == .online, "the main process goes on")
        #expect(workers.restarts == 0)
        if let p = workers.pid { h.track(p) }
    }

    @Test func stoppingOneAppLeavesTheOtherUntouched() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        try h.script("pair.sh", "sleep 1000 &\nsetsid sh -c 'sleep 1001 &' &\nsleep 1002 &\nwait\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "a", "script": "./pair.sh"}, {"name": "b", "script": "./pair.sh"}]}"#)
        try h.must(["start", eco])
        let infos = try h.describe("all")
        let a = try #require(infos.first { $0.name == "a" }?.cgroup)
        let b = try #require(infos.first { $0.name == "b" }?.cgroup)
        // Settled: the short-lived `setsid sh` is gone once its `sleep 1001` runs.
        func settled(_ dir: String) -> Bool {
            let commands = CgroupTests.procs(dir).map { pid in
                (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ") ?? ""
            }
            return commands.count == 4 && commands.contains { $0.hasPrefix("sleep 1001") }
        }
        try h.waitUntil("both trees are up") { settled(a) && settled(b) }
        let bBefore = CgroupTests.procs(b).compactMap { ProcFS.entry(pid: $0)?.identity }
        for p in CgroupTests.procs(a) + CgroupTests.procs(b) { h.track(p) }

        try h.must(["stop", "a"])
        #expect(!FileManager.default.fileExists(atPath: a))
        #expect(bBefore.allSatisfy { Harness.alive($0) }, "b's processes are untouched")
        #expect(Set(CgroupTests.procs(b)) == Set(bBefore.map(\.pid)))
        #expect(try h.app("b")?.status == .online)
    }

    @Test func cgroupsAreRemovedAfterDeleteAndAfterKill() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard let report = try CgroupTests.cgroupDaemon(h) else { return }
        let s = try h.script("s.sh", "sleep 1000 &\nexec sleep 1001\n")
        try h.must(["start", s, "--name", "one"])
        let first = try #require(try h.describe("one").first?.cgroup)
        let memoryDir = CgroupTests.controllerDir(report, "memory", app: first)
        for p in CgroupTests.procs(first) { h.track(p) }
        try h.must(["delete", "one"])
        #expect(!FileManager.default.fileExists(atPath: first))
        if let memoryDir { #expect(!FileManager.default.fileExists(atPath: memoryDir)) }

        try h.must(["start", s, "--name", "two"])
        let second = try #require(try h.describe("two").first?.cgroup)
        for p in CgroupTests.procs(second) { h.track(p) }
        try h.must(["kill"])
        #expect(!FileManager.default.fileExists(atPath: second))
        // The per-home group itself: checked for every test by Harness.shutdown.
        for dir in HostCgroups.groups(forHome: h.home) {
            #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) removed by swisor kill")
        }
    }

    @Test func aLimitTheHostCannotEnforceIsRefusedAndNothingStarts() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard let report = try CgroupTests.cgroupDaemon(h) else { return }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "ok", "script": "\(s)"}, {"name": "high", "script": "\(s)", "memory_high": "64M"}]}
        """)
        let r = h.run(["start", eco])
        if CgroupTests.directory(report, "memory")?.version == "v2" {
            #expect(r.ok, "memory_high is enforced with the v2 memory controller: \(r.stderr)")
            let cgroup = try #require(try h.describe("high").first?.cgroup)
            #expect(CgroupTests.read(cgroup + "/memory.high").hasPrefix(String(64 << 20)))
            for a in try h.list() { if let p = a.pid { h.track(p) } }
        } else {
            #expect(!r.ok)
            #expect(r.stderr.contains("app \"high\": memory_high cannot be enforced here"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
            #expect(try h.list().isEmpty, "all or nothing: the valid app did not start either")
        }
    }

    @Test func withoutCgroupsLimitsAreRefusedAndTreesStillStop() throws {
        let h = try Harness(daemonEnvironment: ["SWISOR_CONTAINMENT": "process-tree"])
        defer { h.shutdown() }
        let ping = try JSONDecoder().decode(PingInfo.self, from: Data(try h.must(["ping", "--json"]).stdout.utf8))
        #expect(ping.containment == "process-tree")
        let s = try h.script("s.sh", "exec sleep 1000\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "m", "script": "\#(s)", "memory_max": "100M"}]}"#)
        let r = h.run(["start", eco])
        #expect(!r.ok)
        #expect(r.stderr.contains("app \"m\": memory_max cannot be enforced here: it needs a cgroup"), "\(r.stderr)")
        #expect(try h.list().isEmpty)

        // The fallback still stops an escaping tree whole.
        try h.script("tree.sh", TreeTests.tree)
        let tree = try h.file("tree.json", #"{"apps": [{"name": "tree", "script": "./tree.sh"}]}"#)
        try h.must(["start", tree])
        try h.waitUntil("the tree is up") { h.read("state").contains("ready") }
        let pids = h.pids(in: "pids") + h.pids(in: "escapee")
        try h.waitUntil("the escapee is re-parented to the daemon") { ProcFS.entry(pid: pids[3])?.ppid == h.daemonPID }
        #expect(try h.describe("tree").first?.cgroup == nil)
        try h.must(["stop", "tree"])
        #expect(pids.filter { Harness.alive($0) }.isEmpty)
    }

    @Test func doctorFindsZombiesOrphansAndStaleCgroups() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard try CgroupTests.cgroupDaemon(h) != nil else { return }
        let clean = h.run(["doctor"])
        #expect(clean.ok, "a fresh daemon has nothing to report: \(clean.stdout)")
        #expect(clean.stdout.contains("no problems found"))

        // A zombie: after exec, `sleep` is the parent of a child it never waits for
        // (the child outlives the exec, so the shell cannot reap it first).
        try h.script("z.sh", "sh -c 'sleep 0.3' &\nexec sleep 1000\n")
        // An orphan that belongs to no app: it leaves its cgroup, then its parent exits.
        let root = try #require(HostCgroups.layout.unified).directory
        try h.script("o.sh", "sh -c 'sh -c \"echo \\$\\$ > \(root)/cgroup.procs; echo \\$\\$ > orphan.tmp; mv orphan.tmp orphan; exec sleep 1002\" &'\nexec sleep 1000\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "z", "script": "./z.sh"}, {"name": "o", "script": "./o.sh"}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("the orphan is out") { !h.read("orphan").isEmpty }
        let orphan = try #require(h.pids(in: "orphan").first)
        // Its identity now, so that a failing test ends this process, never a later one
        // that reused its pid.
        let orphanID = try #require(ProcFS.entry(pid: orphan)).identity
        defer { _ = ExactSignal.send(SIGKILL, to: orphanID) }
        try h.waitUntil("the orphan is re-parented to the daemon") { ProcFS.entry(pid: orphan)?.ppid == h.daemonPID }
        for a in try h.list() { if let p = a.pid { h.track(p) } }

        var report = DoctorReport(containment: "", reason: "", controllers: [], findings: [])
        try h.waitUntil("doctor sees the zombie and the orphan") {
            let r = h.run(["doctor", "--json"])
            report = try JSONDecoder().decode(DoctorReport.self, from: Data(r.stdout.utf8))
            return r.status == 1 && report.findings.contains { $0.kind == "zombie" } && report.findings.contains { $0.kind == "orphan" }
        }
        let zombie = try #require(report.findings.first { $0.kind == "zombie" })
        #expect(zombie.app?.hasPrefix("z (id") == true)
        #expect(zombie.advice.contains("swisor restart z"))
        let orphanFinding = try #require(report.findings.first { $0.kind == "orphan" })
        #expect(orphanFinding.processes.map(\.pid) == [orphan])
        #expect(orphanFinding.advice.contains("kill \(orphan)"))
        _ = ExactSignal.send(SIGKILL, to: orphanID)
        try h.waitUntil("the orphan is gone") { !Harness.alive(orphan) }
        try h.must(["delete", "all"])

        // A daemon that dies without stopping its apps leaves them in their cgroups; the
        // next daemon sets them aside and doctor reports them.
        let s = try h.script("s.sh", "echo $$ > \(h.home)/stale.pid\nexec sleep 1003\n")
        try h.must(["start", s, "--name", "survivor"])
        try h.waitUntil("the app runs") { !h.read("stale.pid").isEmpty }
        let survivor = try #require(h.pids(in: "stale.pid").first)
        h.crashDaemon()
        #expect(Harness.alive(survivor))
        try h.startDaemon()
        let r = h.run(["doctor", "--json"])
        #expect(r.status == 1)
        report = try JSONDecoder().decode(DoctorReport.self, from: Data(r.stdout.utf8))
        let stale = try #require(report.findings.first { $0.kind == "stale-cgroup" })
        #expect(stale.processes.map(\.pid) == [survivor])
        let path = try #require(stale.message.split(separator: " ").first.map(String.init))
        #expect(path.hasSuffix("/app-2-survivor"), "the earlier daemon's cgroup keeps its name: \(path)")
        #expect(stale.advice.contains(path + "/cgroup.kill"))
        // Do as it says; the next daemon start finds the cgroup empty and removes it.
        try "1".write(toFile: path + "/cgroup.kill", atomically: false, encoding: .utf8)
        try h.waitUntil("the survivor is gone") { !Harness.alive(survivor) }
        // A new app runs beside it, in a cgroup of its own.
        try h.must(["start", s, "--name", "again"])
        try h.waitUntil("the new app runs") { try h.app("again")?.isOnline == true }
        if let p = try h.app("again")?.pid { h.track(p) }
        // swisor kill removes the emptied stale cgroup, its v1 twins and the group.
    }
}
