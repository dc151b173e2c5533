import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The output of one CLI run.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var ok: Bool { status == 0 }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A real swisor daemon under a temporary SWISOR_HOME, driven through the real CLI
/// binary. Every test makes its own and calls `shutdown()`, which stops every app
/// (whole trees), ends the daemon, checks that none of the app processes the test
/// recorded survived, and removes the home.
final class Harness {
    let home: String
    let bin: String
    /// The daemon, `swisord`, beside the CLI (as `make install` puts them).
    var daemonBin: String { Release.daemonPath(besideCLI: bin) }
    private var daemon: Process?
    /// Pids (with start times) the test saw; `shutdown` proves each is gone.
    private var tracked: [ProcessIdentity] = []

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["SWISOR_BIN"], !b.isEmpty { return b }
        // `swift test` without the Makefile: the debug product next to the tests.
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/swisor").path
    }

    /// Creates the home; with `startDaemon`, runs the daemon (`swisord`) as a child of
    /// the test (so the test reaps it) and waits until it answers.
    /// Extra environment of the daemon (SWISOR_CONTAINMENT).
    let daemonEnvironment: [String: String]

    init(startDaemon: Bool = true, daemonEnvironment: [String: String] = [:]) throws {
        self.daemonEnvironment = daemonEnvironment
        var template = Array("/tmp/swt-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        home = String(cString: dir)
        bin = Harness.binary
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw HarnessError("no swisor binary at \(bin): run `make test` (or swift build first)")
        }
        guard FileManager.default.isExecutableFile(atPath: daemonBin) else {
            throw HarnessError("no swisord beside \(bin): run `make test` (or swift build --build-tests first)")
        }
        if startDaemon {
            do {
                try self.startDaemon()
            } catch {
                // No `shutdown()` will run for a harness that was never returned:
                // end the daemon and remove the home here.
                if let d = daemon, d.isRunning {
                    kill(d.processIdentifier, SIGKILL)
                    d.waitUntilExit()
                }
                try? FileManager.default.removeItem(atPath: home)
                throw error
            }
        }
    }

    func startDaemon(arguments: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: daemonBin)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SWISOR_HOME"] = home
        env.merge(daemonEnvironment) { $1 }
        p.environment = env
        let log = FileHandle(forWritingAtPath: "/dev/null")
        p.standardOutput = log
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        daemon = p
        try waitUntil("the daemon answers ping", timeout: 20) { self.run(["ping"]).ok }
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SWISOR_HOME"] = home
        env["NO_COLOR"] = "1"
        return env
    }

    /// Runs the CLI (or `program`: swisord, a copy of the CLI); never hangs the suite
    /// (killed after `timeout` seconds).
    @discardableResult
    func run(_ args: [String], env extra: [String: String] = [:], cwd: String? = nil,
             prefix: [String] = [], program: String? = nil, timeout: Double = 60) -> CLIResult {
        let p = Process()
        let argv = prefix + [program ?? bin] + args
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = environment.merging(extra) { $1 }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        // Output goes to files, not pipes: nothing to drain concurrently, and a large
        // output can never block the child.
        let outPath = home + "/.cli-out", errPath = home + "/.cli-err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return CLIResult(status: -1, stdout: "", stderr: "cannot create output files")
        }
        defer { try? out.close(); try? err.close() }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        do { try p.run() } catch { return CLIResult(status: -1, stdout: "", stderr: "\(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(2_000) }
        if p.isRunning {
            // SIGKILL, not terminate(): children of the test runner may inherit a signal
            // mask with SIGTERM blocked, and a CLI that hangs must not hang the suite.
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let outData = FileManager.default.contents(atPath: outPath) ?? Data()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return CLIResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts the CLI without waiting for it (a reload to interrupt): its stderr goes to
    /// `stderr` when given. The caller waits for it and ends it.
    func background(_ args: [String], stderr: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.environment = environment
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        if let stderr { _ = FileManager.default.createFile(atPath: stderr, contents: nil) }
        p.standardError = FileHandle(forWritingAtPath: stderr ?? "/dev/null")
        try p.run()
        return p
    }

    /// Runs the CLI and requires success.
    @discardableResult
    func must(_ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> CLIResult {
        let r = run(args, env: env, cwd: cwd)
        guard r.ok else {
            throw HarnessError("swisor \(args.joined(separator: " ")) failed (\(r.status)): \(r.stderr)\(r.stdout)")
        }
        return r
    }

    func list() throws -> [AppInfo] {
        let r = try must(["jlist"])
        return try JSONDecoder().decode([AppInfo].self, from: Data(r.stdout.utf8))
    }

    func app(_ name: String, instance: Int = 0) throws -> AppInfo? {
        try list().first { $0.name == name && $0.instance == instance }
    }

    func describe(_ target: String) throws -> [AppInfo] {
        let r = try must(["describe", target, "--json"])
        return try JSONDecoder().decode([AppInfo].self, from: Data(r.stdout.utf8))
    }

    /// The waits of the app's `waiting restart` events, in ms, oldest first (each reason
    /// ends with "restart in N ms").
    func backoffWaits(_ target: String) throws -> [Int] {
        let history = try describe(target).first?.history ?? []
        return history.filter { $0.event == "waiting restart" }
            .compactMap { $0.reason?.split(separator: " ").dropLast().last.flatMap { Int($0) } }
    }

    var daemonPID: pid_t? {
        guard let text = try? String(contentsOfFile: home + "/swisor.pid", encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Writes an executable script into the home and returns its path.
    @discardableResult
    func script(_ name: String, _ body: String) throws -> String {
        let path = home + "/" + name
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = home + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: name.hasPrefix("/") ? name : home + "/" + name, encoding: .utf8)) ?? ""
    }

    /// Pids a test script wrote to a file, one per line; tracked for `shutdown`.
    func pids(in name: String) -> [pid_t] {
        let found = read(name).split(whereSeparator: \.isNewline).compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
        for p in found { track(p) }
        return found
    }

    func track(_ pid: pid_t) {
        if let e = ProcFS.entry(pid: pid), !e.isZombie { tracked.append(e.identity) }
    }

    /// True while the process exists and is not a zombie.
    static func alive(_ pid: pid_t) -> Bool {
        guard let e = ProcFS.entry(pid: pid) else { return false }
        return !e.isZombie
    }

    static func alive(_ id: ProcessIdentity) -> Bool {
        guard let e = ProcFS.entry(pid: id.pid), e.startTime == id.startTime else { return false }
        return !e.isZombie
    }

    /// Zombies whose parent is the daemon: the daemon must reap every child.
    func zombiesOfDaemon() -> [ProcessEntry] {
        guard let d = daemonPID else { return [] }
        return ProcFS.scan().filter { $0.ppid == d && $0.isZombie }
    }

    func waitUntil(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: UInt32 = 2_000
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(pause)
            pause = min(pause * 2, 100_000)
        }
        if try condition() { return }
        throw HarnessError("timed out after \(timeout) s waiting until \(what)")
    }

    /// SIGKILLs the daemon (a crash): its apps keep running in their cgroups.
    func crashDaemon() {
        guard let d = daemon else { return }
        kill(d.processIdentifier, SIGKILL)
        d.waitUntilExit()
        daemon = nil
    }

    /// Stops everything, ends the daemon, proves no tracked process survived and no
    /// cgroup of this home is left, and removes the home. Kills leftovers by exact pid
    /// (never by name) and removes leftover cgroups by exact path before failing.
    func shutdown() {
        _ = run(["kill"], timeout: 60)
        if let d = daemon {
            let deadline = Date().addingTimeInterval(20)
            while d.isRunning && Date() < deadline { usleep(5_000) }
            if d.isRunning { kill(d.processIdentifier, SIGKILL); d.waitUntilExit() }
        }
        let survivors = tracked.filter { Harness.alive($0) }
        for s in survivors { _ = ExactSignal.send(SIGKILL, to: s) }
        #expect(survivors.isEmpty, "processes survived the daemon's shutdown: \(survivors.map(\.pid))")
        let leftovers = HostCgroups.groups(forHome: home).filter { FileManager.default.fileExists(atPath: $0) }
        for dir in leftovers { HostCgroups.removeTree(dir) }
        #expect(leftovers.isEmpty, "cgroups left after swisor kill: \(leftovers)")
        try? FileManager.default.removeItem(atPath: home)
    }
}

/// Decodes the JSON lines of the CLI's output in tests.
extension AppInfo {
    var isOnline: Bool { status == .online && pid != nil }
}

/// The cgroups a daemon started by this test process would make (it inherits the
/// test's cgroups), found the way the daemon finds them.
enum HostCgroups {
    static var layout: CgroupLayout {
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let own = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        return CgroupLayout.resolve(mountinfo: mountinfo, selfCgroup: own)
    }

    /// The per-home group in every hierarchy, when the test runs at the cgroup2 root
    /// (else the daemon lives in `<group>/daemon` and the group stays, by design).
    static func groups(forHome home: String) -> [String] {
        let l = layout
        guard let unified = l.unified, unified.isRoot else { return [] }
        let name = CgroupNames.group(forHome: home)
        return [unified.directory + "/" + name] + l.v1.values.map { $0.directory + "/" + name }
    }

    /// Kills what is in a cgroup tree and removes it, deepest first; by exact path.
    static func removeTree(_ dir: String) {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: dir + "/" + entry, isDirectory: &isDir), isDir.boolValue { removeTree(dir + "/" + entry) }
        }
        if fm.fileExists(atPath: dir + "/cgroup.kill") {
            try? "1".write(toFile: dir + "/cgroup.kill", atomically: false, encoding: .utf8)
        } else {
            let pids = ((try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
            for p in pids { kill(p, SIGKILL) }
        }
        let deadline = Date().addingTimeInterval(5)
        while rmdir(dir) != 0 && errno == EBUSY && Date() < deadline { usleep(10_000) }
    }

    /// The cgroup2 path of a process relative to the hierarchy's root ("0::" line).
    static func cgroup2Path(of pid: pid_t) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return CgroupMembership.parse(text).first { $0.hierarchy == 0 }?.path
    }
}
