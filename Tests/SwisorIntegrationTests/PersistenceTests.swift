import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// save / resurrect / daemon --resurrect (issue 5, first part).
@Suite(.serialized)
struct PersistenceTests {
    private func specs(_ h: Harness) throws -> [AppSpec] {
        let r = try h.must(["describe", "all", "--json", "--env"])
        return try JSONDecoder().decode([AppInfo].self, from: Data(r.stdout.utf8))
            .sorted { $0.id < $1.id }.compactMap(\.spec)
    }

    private func trackAll(_ h: Harness) throws {
        for a in try h.list() { if let p = a.pid { h.track(p) } }
    }

    @Test func saveThenResurrectAfterKillRunsTheSameApps() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        let eco = try h.file("eco.json", """
        {"apps": [
          {"name": "web", "script": "\(s)", "instances": 2, "env": {"SECRET": "x y"}, "kill_timeout": 900, "restart_delay": 250},
          {"name": "job", "script": "\(s)", "autorestart": false, "cron_restart": "0 3 * * *", "max_memory_restart": "200M"}
        ]}
        """)
        try h.must(["start", eco], env: ["FROM_CLI": "1"])
        let before = try specs(h)
        try trackAll(h)
        let saved = try h.must(["save"])
        #expect(saved.stdout.contains("saved 2 app(s)"))
        var st = stat()
        #expect(stat(h.home + "/dump.json", &st) == 0 && st.st_mode & 0o777 == 0o600)

        try h.must(["kill"])
        try h.must(["resurrect"])
        let after = try specs(h)
        try trackAll(h)
        #expect(after == before, "the same apps, options and environment")
        #expect(after.first?.env["FROM_CLI"] == "1")
        #expect(try h.list().filter { $0.name == "web" }.count == 2)
    }

    @Test func aCorruptedDumpStartsNothingAndTheGoodOneIsKept() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s, "--name", "one"])
        try h.must(["save"])
        try h.must(["save"])  // the first becomes dump.json.bak
        try trackAll(h)
        let good = h.read("dump.json.bak")
        #expect(good.contains("\"one\""))
        try h.must(["delete", "all"])

        // Truncated in the middle, as a full disk or a crash would leave it.
        let full = h.read("dump.json")
        _ = try h.file("dump.json", String(full.prefix(full.count / 2)))
        let r = h.run(["resurrect"])
        #expect(!r.ok)
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains("dump.json"))
        #expect(r.stderr.contains("dump.json.bak (1 app)"))
        #expect(try h.list().isEmpty, "nothing started from a broken dump")
        #expect(h.read("dump.json.bak") == good)

        // As the error says: the kept dump still works.
        try h.must(["resurrect", "--from", h.home + "/dump.json.bak"])
        #expect(try h.app("one")?.isOnline == true)
        try trackAll(h)
    }

    @Test func daemonResurrectStartsTheSavedAppsAtBoot() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s, "--name", "boot"])
        try h.must(["save"])
        try h.must(["kill"])
        try h.startDaemon(arguments: ["--resurrect"])
        let app = try #require(try h.app("boot"))
        #expect(app.isOnline, "launched before the daemon answered")
        try trackAll(h)
    }
}
