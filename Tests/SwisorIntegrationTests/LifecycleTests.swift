import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real daemon, real CLI, real processes. Serialized: each test starts process trees
/// and a daemon of its own, and a 2-core CI machine runs them more reliably one by one.
@Suite(.serialized)
struct LifecycleTests {
    @Test func startListRestartStopDelete() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("web.sh", "echo \"web $$ PORT=$PORT\"\nexec sleep 1000\n")
        try h.script("worker.sh", "echo \"worker $NODE_APP_INSTANCE of $SWISOR_APP_NAME\"\nexec sleep 1000\n")
        let eco = try h.file("eco.json", """
        {"apps": [
          {"name": "web", "script": "./web.sh", "env": {"PORT": 3000}, "namespace": "front"},
          {"name": "worker", "script": "./worker.sh", "instances": 2}
        ]}
        """)
        let started = try h.must(["start", eco])
        #expect(started.stdout.contains("web"))

        let apps = try h.list()
        #expect(apps.count == 3)
        #expect(apps.map(\.id) == [0, 1, 2])
        #expect(apps.allSatisfy { $0.isOnline })
        let web = try #require(apps.first { $0.name == "web" })
        #expect(web.namespace == "front")
        #expect(web.restarts == 0)
        #expect(apps.filter { $0.name == "worker" }.map(\.instance) == [0, 1])
        for a in apps { h.track(a.pid!) }

        // list --json has the documented fields.
        let raw = try h.must(["list", "--json"]).stdout
        let objects = try #require(JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [[String: Any]])
        for key in ["id", "name", "namespace", "status", "pid", "restarts", "uptime_ms", "cpu", "memory"] {
            #expect(objects[0][key] != nil, "list --json lacks \(key)")
        }

        // Restart: a new process, the old one gone, the count up.
        let oldPID = web.pid!
        try h.must(["restart", "web"])
        let webAfter = try #require(try h.app("web"))
        #expect(webAfter.isOnline)
        #expect(webAfter.pid != oldPID)
        #expect(webAfter.restarts == 1)
        #expect(!Harness.alive(oldPID))
        h.track(webAfter.pid!)

        // Stop by namespace: only web stops.
        try h.must(["stop", "front"])
        let stopped = try #require(try h.app("web"))
        #expect(stopped.status == .stopped)
        #expect(stopped.pid == nil)
        #expect(!Harness.alive(webAfter.pid!))
        #expect(try h.list().filter { $0.name == "worker" }.allSatisfy { $0.isOnline })

        // start <name> starts it again; a start is not a restart.
        try h.must(["start", "web"])
        let again = try #require(try h.app("web"))
        #expect(again.isOnline)
        #expect(again.restarts == 1)
        h.track(again.pid!)

        // Delete by id (the JSON names what was deleted), then all.
        let deleted = try JSONDecoder().decode([AppInfo].self, from: Data(try h.must(["delete", "1", "--json"]).stdout.utf8))
        #expect(deleted.map(\.id) == [1])
        #expect(deleted.first?.status == .stopped)
        #expect(try h.list().map(\.id) == [0, 2])
        try h.must(["delete", "all"])
        #expect(try h.list().isEmpty)
        #expect(h.zombiesOfDaemon().isEmpty)

        // The logs got the apps' output, with the environment as documented.
        let webLog = h.read(h.home + "/logs/web-out.log")
        #expect(webLog.contains("PORT=3000"))
        let workerLog = h.read(h.home + "/logs/worker-out-2.log")
        #expect(workerLog.contains("worker 1 of worker"))
    }

    @Test func targetsThatMatchNothingFail() throws {
        let h = try Harness()
        defer { h.shutdown() }
        for cmd in ["stop", "restart", "delete", "describe"] {
            let r = h.run([cmd, "nosuchapp"])
            #expect(r.status != 0)
            #expect(r.stderr.contains("no app matches \"nosuchapp\""), "\(cmd): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        }
    }

    /// `start <name>` with no app of that name: on the daemon's `no_match` (its code, not
    /// its words) the CLI goes on to a program of that name in PATH; with none, it says
    /// both on one line.
    @Test func startOfAnUnknownNameFallsBackToAProgramInPath() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let missing = h.run(["start", "nosuchprogram"], cwd: "/")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(
            "no app matches \"nosuchprogram\" (not a name, namespace or id), and no file or program named \"nosuchprogram\" exists"),
            "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "one line: \(missing.stderr)")

        let bin = h.home + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: try h.script("swisor-prog", "exec sleep 1000\n"), toPath: bin + "/swisor-prog")
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        try h.must(["start", "swisor-prog"], env: ["PATH": path], cwd: "/")
        let app = try #require(try h.app("swisor-prog"))
        #expect(app.isOnline)
        h.track(app.pid!)
    }

    @Test func adHocScriptWithArguments() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("worker.sh", "echo \"args: $*\"\nexec sleep 1000\n")
        try h.must(["start", s, "--name", "worker", "--", "--queue", "jobs"], env: ["FROM_CLI": "yes"])
        let w = try #require(try h.app("worker"))
        #expect(w.isOnline)
        h.track(w.pid!)
        try h.waitUntil("the worker logged its arguments") {
            h.read(h.home + "/logs/worker-out.log").contains("args: --queue jobs")
        }
        // The CLI's environment is the base of the app's (PORT=3000 swisor start ...).
        let d = try h.run(["describe", "worker", "--env"])
        #expect(d.stdout.contains("FROM_CLI=yes"))
        let plain = try h.must(["describe", "worker"]).stdout
        #expect(!plain.contains("FROM_CLI=yes"), "environment printed without --env")
    }

    @Test func environmentSelection() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("env.sh", "echo \"MODE=$MODE ID=$SWISOR_APP_ID NAME=$SWISOR_APP_NAME INST=$INST\"\nexec sleep 1000\n")
        let eco = try h.file("eco.json", """
        [{"name": "e", "script": "env.sh", "instance_var": "INST",
          "env": {"MODE": "dev"}, "env_production": {"MODE": "prod"}}]
        """)
        try h.must(["start", eco, "--env", "production"])
        h.track(try #require(try h.app("e")?.pid))
        try h.waitUntil("the app logged its environment") {
            h.read(h.home + "/logs/e-out.log").contains("MODE=prod ID=0 NAME=e INST=0")
        }
    }

    @Test func onlySelectsApps() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("s.sh", "exec sleep 1000\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "a", "script": "s.sh"}, {"name": "b", "script": "s.sh"}, {"name": "c", "script": "s.sh"}]}
        """)
        try h.must(["start", eco, "--only", "a,c"])
        let names = try h.list().map(\.name)
        #expect(names == ["a", "c"])
        for a in try h.list() { h.track(a.pid!) }
    }

    @Test func knownAppsAreRestartedFromTheFile() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("s.sh", "echo \"v=$V\"\nexec sleep 1000\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "a", "script": "s.sh", "env": {"V": "1"}}]}"#)
        try h.must(["start", eco])
        let first = try #require(try h.app("a"))
        h.track(first.pid!)
        _ = try h.file("eco.json", #"{"apps": [{"name": "a", "script": "s.sh", "env": {"V": "2"}}]}"#)
        try h.must(["start", eco])
        let second = try #require(try h.app("a"))
        #expect(second.id == first.id)
        #expect(second.pid != first.pid)
        #expect(second.restarts == 1)
        h.track(second.pid!)
        try h.waitUntil("the restarted app saw the new environment") {
            h.read(h.home + "/logs/a-out.log").contains("v=2")
        }
    }
}
