import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whole-tree stop: children, grandchildren and an escapee that left the process group
/// with setsid and a double fork. Each script records its pids; after stop (and after a
/// crash of the main process) none of them may be left.
@Suite(.serialized)
struct TreeTests {
    /// main -> child -> grandchild; main -> setsid sh -> (exits) escapee re-parented.
    static let tree = """
    echo $$ >> pids
    sh -c 'echo $$ >> pids; sleep 1000 & echo $! >> pids; wait' &
    setsid sh -c 'sleep 1001 & echo $! > escapee.tmp; mv escapee.tmp escapee' &
    while [ "$(cat pids | wc -l)" -lt 3 ] || [ ! -s escapee ]; do sleep 0.05; done
    echo ready >> state
    while :; do sleep 1; done
    """

    private func startTree(_ h: Harness, extra: String = "") throws -> [pid_t] {
        try h.script("tree.sh", TreeTests.tree)
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "tree", "script": "./tree.sh", "kill_timeout": 3000 \(extra)}]}
        """)
        try h.must(["start", eco])
        try h.waitUntil("the tree is up") { h.read("state").contains("ready") }
        let pids = h.pids(in: "pids") + h.pids(in: "escapee")
        #expect(pids.count == 4)
        #expect(pids.allSatisfy { Harness.alive($0) })
        // The escapee really escaped: another session, re-parented to the daemon once
        // its setsid parent exited.
        let main = try #require(ProcFS.entry(pid: pids[0]))
        try h.waitUntil("the escapee is re-parented to the subreaper daemon") {
            ProcFS.entry(pid: pids[3])?.ppid == h.daemonPID
        }
        let escapee = try #require(ProcFS.entry(pid: pids[3]))
        #expect(escapee.sid != main.sid)
        return pids
    }

    @Test func stopLeavesNoSurvivor() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let pids = try startTree(h)
        let d = try #require(try h.describe("tree").first)
        #expect(d.processCount >= 5, "describe counts every process of the app: \(d.processCount)")

        try h.must(["stop", "tree"])
        // stop replies only once every process is gone: no waiting here.
        let survivors = pids.filter { Harness.alive($0) }
        #expect(survivors.isEmpty, "survivors after stop: \(survivors)")
        #expect(try h.app("tree")?.status == .stopped)
        try h.waitUntil("no zombie is left under the daemon") { h.zombiesOfDaemon().isEmpty }
    }

    @Test func crashOfMainProcessCleansUpBeforeRestart() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let pids = try startTree(h)
        let before = try #require(try h.app("tree"))
        for f in ["state", "pids", "escapee"] { try FileManager.default.removeItem(atPath: h.home + "/" + f) }
        kill(pids[0], SIGKILL)

        try h.waitUntil("the app is restarted", timeout: 20) {
            guard let a = try h.app("tree") else { return false }
            return a.isOnline && a.pid != before.pid && h.read("state").contains("ready")
        }
        let survivors = pids.filter { Harness.alive($0) }
        #expect(survivors.isEmpty, "processes of the crashed run survived its restart: \(survivors)")
        let after = try #require(try h.app("tree"))
        #expect(after.restarts == 1)
        #expect(after.lastExit?.signal == "SIGKILL")
        #expect(after.lastExit?.code == nil)
        _ = h.pids(in: "pids") + h.pids(in: "escapee")
        try h.waitUntil("no zombie is left under the daemon") { h.zombiesOfDaemon().isEmpty }
    }

    @Test func ignoringTheKillSignalEndsInSIGKILL() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("stubborn.sh", "trap '' INT TERM\necho $$ > pid\nwhile :; do sleep 1; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "stubborn", "script": "./stubborn.sh", "kill_timeout": 400, "kill_signal": "SIGTERM"}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("the app wrote its pid") { !h.read("pid").isEmpty }
        let pid = try #require(h.pids(in: "pid").first)
        try h.must(["stop", "stubborn"])
        #expect(!Harness.alive(pid))
        let d = try #require(try h.describe("stubborn").first)
        #expect(d.status == .stopped)
        #expect(d.lastExit?.signal == "SIGKILL", "\(String(describing: d.lastExit))")
        #expect(d.history?.contains { $0.event == "kill" } == true)
    }

    @Test func stoppingOneAppLeavesTheOtherAlone() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("a.sh", "sh -c 'echo $$ > a-child; exec sleep 1000' &\nexec sleep 1000\n")
        try h.script("b.sh", "sh -c 'echo $$ > b-child; exec sleep 1000' &\nexec sleep 1000\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "a", "script": "./a.sh"}, {"name": "b", "script": "./b.sh"}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("both children are up") { !h.read("a-child").isEmpty && !h.read("b-child").isEmpty }
        let aChild = try #require(h.pids(in: "a-child").first)
        let bChild = try #require(h.pids(in: "b-child").first)
        let b = try #require(try h.app("b"))
        h.track(b.pid!)
        try h.must(["stop", "a"])
        #expect(!Harness.alive(aChild))
        #expect(Harness.alive(bChild))
        #expect(Harness.alive(b.pid!))
        #expect(try h.app("b")?.isOnline == true)
    }

    @Test func orphanedZombiesAreReaped() throws {
        let h = try Harness()
        defer { h.shutdown() }
        // The parent forks children that exit and never waits for them, then exits
        // itself: the zombies are re-parented to the daemon, which must reap them.
        try h.script("zombies.sh", """
        sh -c 'for i in 1 2 3 4 5; do (exit 0) & done; exec sleep 0.3' &
        echo started > state
        exec sleep 1000
        """)
        let eco = try h.file("eco.json", #"{"apps": [{"name": "z", "script": "./zombies.sh"}]}"#)
        try h.must(["start", eco])
        h.track(try #require(try h.app("z")?.pid))
        try h.waitUntil("the app started") { h.read("state").contains("started") }
        try h.waitUntil("every orphaned zombie is reaped", timeout: 10) {
            let count = try h.describe("z").first?.processCount
            return h.zombiesOfDaemon().isEmpty && count == 1
        }
    }
}

@Suite(.serialized)
struct ShutdownTests {
    /// SIGTERM stops every app (whole trees) and the daemon; a second SIGTERM while an
    /// app ignores the first skips the rest of its kill_timeout.
    @Test func aSecondSIGTERMEscalates() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("stubborn.sh", "trap '' INT TERM\necho $$ > pid\nwhile :; do sleep 1; done\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "stubborn", "script": "./stubborn.sh", "kill_timeout": 600000}]}"#)
        try h.must(["start", eco])
        try h.waitUntil("the app wrote its pid") { !h.read("pid").isEmpty }
        let pid = try #require(h.pids(in: "pid").first)
        let daemon = try #require(h.daemonPID)
        kill(daemon, SIGTERM)
        try h.waitUntil("the daemon is shutting down") { try h.list().first?.status == .stopping }
        #expect(Harness.alive(pid), "kill_timeout is 10 minutes: the app is still there")
        kill(daemon, SIGTERM)
        try h.waitUntil("the app is killed and the daemon gone", timeout: 20) {
            !Harness.alive(pid) && !Harness.alive(daemon)
        }
    }
}
