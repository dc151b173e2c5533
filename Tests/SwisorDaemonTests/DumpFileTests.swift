import Foundation
import SwisorCore
@testable import SwisorSystem
import Testing

@Suite struct DumpFileTests {
    /// An app with every option away from its default, and an environment to keep.
    static let full = AppSpec(
        name: "api", namespace: "prod", script: "/srv/api/server.js", args: ["--port", "3000", "a b"],
        interpreter: "node", interpreterArgs: ["--max-old-space-size=512"], shell: false, cwd: "/srv/api",
        env: ["PORT": "3000", "QUOTE": "say \"hi\"\n", "EMPTY": "", "UNICODE": "héllo ✓"],
        instances: 3, instanceVar: "INSTANCE_ID", autorestart: false, killSignal: Signal(parsing: "SIGTERM")!,
        killTimeoutMs: 12_000, killMode: .mixed, outFile: "/var/log/api.out", errorFile: "/dev/null",
        logFile: "/var/log/api.log", mergeLogs: true, minUptimeMs: 5000, maxRestarts: 4, restartDelayMs: 250,
        expBackoffRestartDelayMs: 100, expBackoffMaxDelayMs: 30_000, stopExitCodes: [0, 3],
        maxMemoryRestartBytes: 1 << 40, cronRestart: "0 3 * * *", autostart: false,
        logDateFormat: "YYYY-MM-DD HH:mm:ss Z", time: true, logType: .json, logMaxSizeBytes: 10 << 20, logRetain: 7,
        logCompress: true, logRotateInterval: "0 0 * * *")
    static let small = AppSpec(name: "worker", script: "sleep", args: ["3600"], cwd: "/")
    static let shell = AppSpec(name: "job", script: "echo $HOME && date", shell: true, cwd: "/tmp")

    func expectError(_ path: String, _ check: (DumpError) -> Void) {
        do {
            let dump = try DumpFile.load(path)
            Issue.record("expected an error, loaded \(dump.apps.count) apps")
        } catch {
            check(error)
        }
    }

    @Test func roundTripKeepsEveryOptionAndTheEnvironment() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("dump.json")
        let specs = [Self.full, Self.small, Self.shell]
        try DumpFile.write(specs, to: path, savedAt: 1_700_000_000_123)
        let dump = try DumpFile.load(path)
        #expect(dump.apps == specs)
        #expect(dump.savedAt == 1_700_000_000_123)
        // The documented shape: snake_case keys, version 1.
        let json = try JSON.parse(Array(try dir.read("dump.json").utf8))
        #expect(json["version"] == .int(1))
        #expect(json["saved_at"] == .int(1_700_000_000_123))
        #expect(json["apps"]?.arrayValue?.first?["kill_timeout_ms"] == .int(12_000))
        #expect(json["apps"]?.arrayValue?.first?["max_memory_restart_bytes"] == .int(1 << 40))
        #expect(dir.entries == ["dump.json"])  // no temporary file, no backup of nothing
        // An empty list is a valid dump too (`swisor save` with no app).
        try DumpFile.write([], to: path)
        #expect(try DumpFile.load(path).apps.isEmpty)
    }

    @Test func theDumpIsPrivateWhateverTheUmask() throws {
        let dir = try TemporaryDirectory()
        let old = umask(0)
        defer { umask(old) }
        try DumpFile.write([Self.small], to: dir.file("dump.json"))
        try DumpFile.write([Self.small, Self.shell], to: dir.file("dump.json"))
        for name in ["dump.json", "dump.json.bak"] {
            var st = stat()
            #expect(stat(dir.file(name), &st) == 0)
            #expect(st.st_mode & 0o7777 == 0o600, "\(name)")
        }
    }

    @Test func aSaveKeepsThePreviousGoodDumpAsBackup() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("dump.json")
        try DumpFile.write([Self.small], to: path)
        try DumpFile.write([Self.small, Self.shell], to: path)
        #expect(try DumpFile.load(path).apps.count == 2)
        #expect(try DumpFile.load(DumpFile.backupPath(for: path)).apps == [Self.small])
        #expect(dir.entries == ["dump.json", "dump.json.bak"])
    }

    @Test func aCorruptedDumpDoesNotOverwriteAGoodBackup() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("dump.json")
        try DumpFile.write([Self.small, Self.shell], to: path)
        try DumpFile.write([Self.full], to: path)  // .bak: small + shell
        try dir.write("dump.json", "{\"version\":1,\"saved_at\":1,\"apps\":[{\"name\":")  // cut short
        expectError(path) { error in
            guard case .truncated = error.reason else { Issue.record("\(error)"); return }
            #expect(error.backup == DumpError.Backup(path: path + ".bak", appCount: 2))
            #expect(error.description.hasPrefix("\(path): truncated, the JSON ends early: line 1, column "))
            #expect(error.description.hasSuffix(
                "; the previous dump is kept at \(path).bak (2 apps): swisor resurrect --from \(path).bak"))
        }
        // Saving over the broken dump leaves the good backup alone.
        try DumpFile.write([Self.full], to: path)
        #expect(try DumpFile.load(path + ".bak").apps == [Self.small, Self.shell])
        #expect(dir.entries == ["dump.json", "dump.json.bak"])
    }

    @Test func aMissingDumpSaysSoAndPointsAtABackup() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("dump.json")
        expectError(path) { error in
            #expect(error.reason == .missing)
            #expect(error.backup == nil)
            #expect(error.description == "\(path): no saved app list (`swisor save` writes it)")
        }
        try DumpFile.write([Self.small], to: path)
        try DumpFile.write([Self.small], to: path)
        try FileManager.default.removeItem(atPath: path)
        expectError(path) { #expect($0.backup?.appCount == 1) }
    }

    @Test func brokenFilesGiveOneClearLine() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("dump.json")
        func error(_ text: String) -> String {
            do {
                try dir.write("dump.json", text)
                let dump = try DumpFile.load(path)
                return "loaded \(dump.apps.count) apps"
            } catch let e as DumpError {
                return String(e.description.dropFirst(path.count + 2))
            } catch {
                return "\(error)"
            }
        }
        #expect(error("") == "the file is empty")
        #expect(error("\0\0\0\0") == "the file holds no data (4 blank or zero bytes)")
        #expect(error("garbage") == "not a swisor dump, not JSON: line 1, column 1: expected a value, found 'garbage'")
        #expect(error("{\"version\":1,\"saved_at\":1,\"apps\":[]} trailing") == "not a swisor dump, not JSON: line 1, column 38: unexpected 't' after the JSON value")
        #expect(error("{\"apps\":[\n{\"name\":\"a\"").hasPrefix("truncated, the JSON ends early: line 2, column "))
        #expect(error("[1, 2]") == "not a swisor dump: expected a JSON object, found an array")
        #expect(error("{\"apps\":[]}") == "not a swisor dump: no \"version\"")
        #expect(error("{\"version\":\"1\",\"saved_at\":1,\"apps\":[]}") == "not a swisor dump: \"version\": expected an integer, found \"1\"")
        #expect(error("{\"version\":2,\"saved_at\":1,\"apps\":[]}")
            == "dump version 2 is not supported: this swisor reads version 1 (written by a newer swisor?)")
        #expect(error("{\"version\":0,\"saved_at\":1,\"apps\":[]}") == "dump version 0 is not supported: this swisor reads version 1")
        #expect(error("{\"version\":1,\"apps\":[]}").hasPrefix("not a swisor dump: \"saved_at\": "))
        #expect(error("{\"version\":1,\"saved_at\":1,\"apps\":{}}")
            == "not a swisor dump: \"apps\": expected an array of apps, found an empty object")
    }

    /// Each app is named by its index and its name; nothing is returned from a dump with
    /// one bad app.
    @Test func anInvalidAppIsNamedAndNothingLoads() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("dump.json")
        try DumpFile.write([Self.small, Self.shell], to: path)
        let good = try dir.read("dump.json")
        func error(_ edit: (inout JSONObject) -> Void) throws -> String {
            guard case .object(var top) = try JSON.parse(good), case .array(var apps) = top["apps"]!,
                case .object(var second) = apps[1]
            else { return "bad fixture" }
            edit(&second)
            apps[1] = .object(second)
            top["apps"] = .array(apps)
            try dir.write("dump.json", JSON.object(top).serialized())
            do {
                let dump = try DumpFile.load(path)
                return "loaded \(dump.apps.count) apps"
            } catch {
                return String(error.description.dropFirst(path.count + 2))
            }
        }
        #expect(try error { $0["cwd"] = "tmp" } == "apps[1] (\"job\"): cwd: expected an absolute path, found \"tmp\"")
        #expect(try error { $0["name"] = "" } == "apps[1] (\"\"): name: a name cannot be empty")
        #expect(try error { $0["name"] = "worker" } == "apps[1] (\"worker\"): the name is listed twice")
        #expect(try error { $0["kill_timeout_ms"] = "soon" }
            == "apps[1] (\"job\"): kill_timeout_ms: expected an integer, found \"soon\"")
        #expect(try error { $0["script"] = nil } == "apps[1] (\"job\"): script: missing")
        #expect(try error { $0["env"] = ["A": 1] } == "apps[1] (\"job\"): env.A: expected a string, found 1")
        #expect(try error { $0["kill_signal"] = "SIGNOPE" }.hasPrefix("apps[1] (\"job\"): kill_signal: "))
        #expect(try error { $0["instances"] = .null } == "apps[1] (\"job\"): instances: expected an integer, found null")
        #expect(try error { $0["name"] = 7 } == "apps[1]: name: expected a string, found 7")
    }

    @Test func aSaveRefusesAppsALoadWouldRefuse() throws {
        let dir = try TemporaryDirectory()
        var bad = Self.small
        bad.cwd = "relative"
        #expect(throws: DumpError.self) { try DumpFile.write([bad], to: dir.file("dump.json")) }
        #expect(throws: DumpError.self) { try DumpFile.write([Self.small, Self.small], to: dir.file("dump.json")) }
        #expect(dir.entries.isEmpty)
    }

    @Test func aFailedWriteLeavesNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        // A folder where the dump should be: the final rename fails (EISDIR).
        try FileManager.default.createDirectory(atPath: dir.file("dump.json"), withIntermediateDirectories: false)
        do {
            try DumpFile.write([Self.small], to: dir.file("dump.json"))
            Issue.record("the write succeeded")
        } catch {
            guard case .cannotWrite(let e) = error.reason else { Issue.record("\(error)"); return }
            #expect(e.call == "rename")
            #expect(error.description.hasPrefix("\(dir.file("dump.json")): cannot save: rename "))
        }
        #expect(dir.entries == ["dump.json"])
        // A folder that does not exist: nothing is created.
        #expect(throws: DumpError.self) { try DumpFile.write([Self.small], to: dir.file("none/dump.json")) }
        #expect(dir.entries == ["dump.json"])
        // A stale temporary file of the same name (a crashed process with our pid) is replaced.
        let other = try TemporaryDirectory()
        try other.write("dump.json.tmp-\(getpid())", "stale")
        try DumpFile.write([Self.small], to: other.file("dump.json"))
        #expect(other.entries == ["dump.json"])
    }

    @Test func homeNamesTheDump() {
        #expect(Home(root: "/h/.swisor").dumpFile == "/h/.swisor/dump.json")
        #expect(DumpFile.backupPath(for: "/h/.swisor/dump.json") == "/h/.swisor/dump.json.bak")
    }
}
