import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 5: the daemon's own sd_notify and socket activation, apps' readiness and
/// watchdog over their NOTIFY_SOCKET, and `reload`. Apps are small C programs linked
/// against libsystemd (Tests/Fixtures), built once per test run.
@Suite(.serialized)
struct ReadinessTests {
    // MARK: The daemon under systemd

    @Test func theDaemonSendsReadyStatusWatchdogAndStopping() throws {
        let systemd = try NotifyListener()
        defer { systemd.close() }
        let h = try Harness(startDaemon: false, daemonEnvironment: [
            "NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "300000",
        ])
        defer { h.shutdown() }
        try h.startDaemon()

        let ready = try systemd.waitFor("READY=1") { $0.contains("READY=1") }
        #expect(ready.contains("STATUS=no apps"), "\(ready)")
        #expect(ready.contains("MAINPID=\(h.daemonPID ?? -1)"), "\(ready)")
        // WatchdogSec 300 ms: a ping at least every 150 ms, from the event loop.
        _ = try systemd.waitFor("two WATCHDOG=1") { _ in systemd.received.filter { $0 == "WATCHDOG=1" }.count >= 2 }

        // The CLI runs under the same NOTIFY_SOCKET (a unit's ExecStartPost, say): the app
        // must not inherit it.
        let s = try h.script("env.sh", "echo \"notify=[$NOTIFY_SOCKET] watchdog=[$WATCHDOG_USEC]\" > \(h.home)/env.txt\nexec sleep 1000\n")
        try h.must(["start", s, "--name", "plain"], env: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "1"])
        _ = try systemd.waitFor("STATUS=1 online") { $0 == "STATUS=1 online" }
        try h.waitUntil("the app wrote its environment") { h.read("env.txt").contains("notify=") }
        #expect(h.read("env.txt") == "notify=[] watchdog=[]\n")
        if let p = try h.app("plain")?.pid { h.track(p) }

        try h.must(["stop", "plain"])
        _ = try systemd.waitFor("STATUS=1 stopped") { $0 == "STATUS=1 stopped" }
        try h.must(["kill"])
        _ = try systemd.waitFor("STOPPING=1") { $0.contains("STOPPING=1") }
    }

    @Test func aDaemonTheCLIStartsNeverInheritsTheCLIsSystemdVariables() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s, "--name", "one"], env: [
            "NOTIFY_SOCKET": h.home + "/nobody-listens", "LISTEN_FDS": "1", "WATCHDOG_USEC": "1000",
        ])
        if let p = try h.app("one")?.pid { h.track(p) }
        let daemon = try #require(h.daemonPID)
        let env = ProcFS.environment(pid: daemon) ?? [:]
        #expect(env["SWISOR_HOME"] == h.home, "the daemon's environment was read")
        for name in ["NOTIFY_SOCKET", "LISTEN_FDS", "WATCHDOG_USEC"] { #expect(env[name] == nil, "\(name)") }
    }

    /// Run as the unit runs it (`swisord`), and as units written by earlier versions do
    /// (`swisor daemon`, which execs swisord: the pid, so LISTEN_PID, and fd 3 carry over).
    @Test(arguments: [false, true])
    func socketActivationServesThePassedSocketAndLeavesItBound(throughCLI: Bool) throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let socketPath = h.home + "/swisor.sock"
        let listener = try UnixSocket.listen(path: socketPath)
        defer {
            listener.close()
            unlink(socketPath)
        }
        // As systemd does: the socket as fd 3, LISTEN_FDS=1, LISTEN_PID the daemon's pid
        // (the shell's $$, which exec keeps).
        let command = throughCLI ? "exec \"$0\" daemon" : "exec \"$0\""
        let pid = try spawnWithFD3(listener.rawValue, ["/bin/sh", "-c", "LISTEN_FDS=1 LISTEN_PID=$$ " + command, throughCLI ? h.bin : h.daemonBin],
                                   env: h.environment, log: h.home + "/daemon.log")
        defer { reap(pid) }
        try h.waitUntil("the daemon answers on the passed socket") { h.run(["ping"]).ok }
        #expect(h.read("daemon.log").contains("(socket activation)"))
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s, "--name", "one"])
        if let p = try h.app("one")?.pid { h.track(p) }
        try h.must(["kill"])
        try h.waitUntil("the daemon exited") { waitpid(pid, nil, WNOHANG) == pid }
        var st = stat()
        #expect(lstat(socketPath, &st) == 0, "the socket is systemd's: it stays for the next activation")
    }

    // MARK: Readiness of apps

    @Test func anAppIsOnlineOnlyAfterReadyAndItsStatusShows() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let notifier = try Fixtures.build("notifier")
        let trigger = h.home + "/go"
        try h.must(["start", notifier, "--name", "svc", "--wait-ready", "--listen-timeout", "60s", "--", "ready-on", trigger])
        let app = try #require(try h.app("svc"))
        if let p = app.pid { h.track(p) }
        #expect(app.status == .launching)
        try h.waitUntil("the app's first STATUS=") { try h.app("svc")?.notifyStatus == "waiting for the trigger" }
        // Still launching: it has not said READY=1.
        #expect(try h.app("svc")?.status == .launching)

        _ = FileManager.default.createFile(atPath: trigger, contents: nil)
        try h.waitUntil("online after READY=1") { try h.app("svc")?.status == .online }
        let d = try #require(try h.describe("svc").first)
        #expect(d.notifyStatus == "serving as pid \(d.pid ?? -1)")
        #expect(d.history?.contains { $0.event == "ready" && $0.reason == "READY=1" } == true)
        #expect(try h.must(["describe", "svc"]).stdout.contains("serving as pid"))
    }

    @Test func withoutReadyTheListenTimeoutTakesItOnlineWithAWarning() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let notifier = try Fixtures.build("notifier")
        try h.must(["start", notifier, "--name", "mute", "--wait-ready", "--listen-timeout", "400", "--", "never"])
        if let p = try h.app("mute")?.pid { h.track(p) }
        try h.waitUntil("online at listen_timeout") { try h.app("mute")?.status == .online }
        let history = try h.describe("mute").first?.history ?? []
        #expect(history.contains { $0.event == "ready" && $0.reason?.contains("no READY=1 within listen_timeout 400 ms") == true })
    }

    @Test func anAppThatDiesBeforeReadyIsAFailedStartNeverOnline() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("die.sh", "echo started >> \(h.home)/runs\nexit 3\n")
        try h.must(["start", s, "--name", "dies", "--wait-ready", "--listen-timeout", "200", "--max-restarts", "2", "--min-uptime", "5s"])
        try h.waitUntil("errored after its restarts") { try h.app("dies")?.status == .errored }
        let history = try h.describe("dies").first?.history ?? []
        #expect(!history.contains { $0.event == "ready" }, "never online: \(history)")
        #expect(try h.app("dies")?.lastExit?.code == 3)
    }

    @Test func aMessageFromAProcessOutsideTheAppIsIgnored() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let notifier = try Fixtures.build("notifier")
        try h.must(["start", notifier, "--name", "guarded", "--wait-ready", "--listen-timeout", "60s", "--", "never"])
        if let p = try h.app("guarded")?.pid { h.track(p) }
        // The test process is no process of the app, and alive when it sends.
        try NotifyListener.send("READY=1\nSTATUS=forged", to: h.home + "/notify/0.sock")
        try h.waitUntil("the forged message is recorded") {
            try h.describe("guarded").first?.history?.contains { $0.event == "notify" } == true
        }
        let app = try #require(try h.app("guarded"))
        #expect(app.status == .launching)
        #expect(app.notifyStatus == nil)
    }

    @Test func aHungAppIsRestartedByItsWatchdog() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let notifier = try Fixtures.build("notifier")
        let hang = h.home + "/hang"
        try h.must(["start", notifier, "--name", "dog", "--wait-ready", "--watchdog", "0.5", "--", "watchdog", hang])
        let first = try #require(try h.app("dog")?.pid)
        h.track(first)
        try h.waitUntil("online") { try h.app("dog")?.status == .online }
        // Pinging every 50 ms: alive well past its 500 ms watchdog.
        try h.waitUntil("a second of pings") { (try h.app("dog")?.uptimeMs ?? 0) > 1200 }
        #expect(try h.app("dog")?.restarts == 0)

        _ = FileManager.default.createFile(atPath: hang, contents: nil)
        try h.waitUntil("restarted by the watchdog") { (try h.app("dog")?.restarts ?? 0) >= 1 }
        let d = try #require(try h.describe("dog").first)
        #expect(d.history?.contains { $0.event == "watchdog" && $0.reason?.contains("no WATCHDOG=1 within watchdog_sec 500 ms") == true } == true)
        #expect(d.history?.contains { $0.event == "restart" && $0.reason == "watchdog" } == true)
        #expect(!Harness.alive(first) || d.pid != first)
        unlink(hang)
        if let p = d.pid { h.track(p) }
    }

    @Test func aWatchdogLoopEndsErroredAfterMaxRestarts() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let notifier = try Fixtures.build("notifier")
        let hang = h.home + "/hang"
        _ = FileManager.default.createFile(atPath: hang, contents: nil)
        // READY=1, then never a ping: every run is a watchdog failure shorter than min_uptime.
        try h.must(["start", notifier, "--name", "hung", "--wait-ready", "--watchdog", "0.2", "--min-uptime", "5s",
                    "--max-restarts", "2", "--kill-signal", "SIGTERM", "--", "watchdog", hang])
        try h.waitUntil("errored by the restart policy") { try h.app("hung")?.status == .errored }
        let d = try #require(try h.describe("hung").first)
        // max_restarts 2: two unstable runs in a row (docs/semantics.md, "How an exit is judged"), so one restart.
        #expect(d.restarts == 1)
        #expect(d.history?.filter { $0.event == "watchdog" }.count == 2)
        #expect(d.statusReason?.contains("unstable") == true, "\(d.statusReason ?? "")")
    }

    @Test func aMessageFromAnExitedOutsiderCannotRestartAnOnlineApp() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s, "--name", "svc", "--watchdog", "60"])
        let pid = try #require(try h.app("svc")?.pid)
        h.track(pid)
        // systemd-notify sends and exits at once: by the time the daemon reads it, the
        // sender is gone or a zombie, and it never was a process of the app.
        let r = Process()
        r.executableURL = URL(fileURLWithPath: "/bin/sh")
        r.arguments = ["-c", "NOTIFY_SOCKET=\(h.home)/notify/0.sock exec systemd-notify WATCHDOG=trigger"]
        try r.run()
        r.waitUntilExit()
        try h.waitUntil("the message is refused") {
            try h.describe("svc").first?.history?.contains { $0.event == "notify" } == true
        }
        let app = try #require(try h.app("svc"))
        #expect(app.pid == pid && app.restarts == 0 && app.isOnline)
    }

    // MARK: Reload

    @Test func reloadOfTwoInstancesNeverRefusesAClient() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let server = try Fixtures.build("server")
        let port = try freePort()
        try h.must(["start", server, "--name", "web", "-i", "2", "--wait-ready", "--listen-timeout", "10s", "--kill-signal", "SIGTERM",
                    "--", "serve", String(port)])
        try h.waitUntil("both online") { try h.list().filter { $0.name == "web" && $0.isOnline }.count == 2 }
        let before = try h.list().filter { $0.name == "web" }
        for a in before { if let p = a.pid { h.track(p) } }

        let stop = h.home + "/stop-client", out = h.home + "/client.out"
        let client = Process()
        client.executableURL = URL(fileURLWithPath: server)
        client.arguments = ["client", String(port), stop, out]
        try client.run()
        defer {
            _ = FileManager.default.createFile(atPath: stop, contents: nil)
            client.waitUntilExit()
        }
        try h.waitUntil("the client got an answer") { FileManager.default.fileExists(atPath: out + ".started") }

        let reload = h.run(["reload", "web"])
        #expect(reload.ok, "\(reload.stderr)")
        let after = try h.list().filter { $0.name == "web" }
        for a in after { if let p = a.pid { h.track(p) } }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        client.waitUntilExit()

        let report = h.read(out).split(separator: "\n")
        // "ok N refused R reset M"
        let counts = (report.first ?? "").split(separator: " ").map(String.init)
        #expect(counts.count == 6, "\(h.read(out))")
        let number = { (label: String) in counts.firstIndex(of: label).flatMap { Int(counts[$0 + 1]) } ?? -1 }
        #expect(number("refused") == 0, "a moment with nobody listening: \(h.read(out))")
        // A reset needs a connection queued in the microseconds between the old server's
        // last accept and its close (the kernel's SO_REUSEPORT limit): one is tolerated.
        #expect((0...1).contains(number("reset")), "\(h.read(out))")
        let okCount = number("ok")
        #expect(okCount > 10, "the client ran throughout: \(counts)")
        // Both old and both new processes answered during the test.
        let served = Set(report.dropFirst().compactMap { Int32($0) })
        for a in before + after { #expect(served.contains(a.pid ?? -1), "pid \(a.pid ?? -1) served: \(served)") }
        #expect(Set(before.compactMap(\.pid)).isDisjoint(with: after.compactMap(\.pid)))
        #expect(after.allSatisfy { $0.isOnline && $0.restarts == 1 })
        for a in before { #expect(!Harness.alive(a.pid ?? 0), "the old pid \(a.pid ?? 0) is gone") }
        #expect(after.map(\.id) == before.map(\.id), "ids stay")
    }

    /// The old run's escaped processes go with it; the new run's stay: each run is told
    /// apart by its own cgroup, or without cgroups by SWISOR_UNIT in its environment.
    @Test(arguments: ["auto", "process-tree"])
    func reloadStopsTheOldTreeOnlyEscapeesIncluded(containment: String) throws {
        let h = try Harness(daemonEnvironment: ["SWISOR_CONTAINMENT": containment])
        defer { h.shutdown() }
        let s = try h.script("tree.sh", """
            (setsid sh -c 'echo $$ >> \(h.home)/escapees; exec sleep 1000' &)
            exec sleep 1000
            """)
        try h.must(["start", s, "--name", "tree", "--min-uptime", "300", "--kill-signal", "SIGTERM"])
        try h.waitUntil("the first escapee") { h.pids(in: "escapees").count == 1 }
        let old = try #require(try h.app("tree")?.pid)
        h.track(old)
        try h.must(["reload", "tree"])
        try h.waitUntil("the new run's escapee") { h.pids(in: "escapees").count == 2 }
        let escapees = h.pids(in: "escapees")
        let new = try #require(try h.app("tree")?.pid)
        h.track(new)
        #expect(new != old && !Harness.alive(old))
        #expect(!Harness.alive(escapees[0]), "the old run's escapee was stopped with it")
        #expect(Harness.alive(escapees[1]), "the new run's escapee serves on")
        #expect(try h.describe("tree").first?.processes?.count == 2)
    }

    /// Starts the notifier fixture as `name`, ready at once while the file it returns
    /// exists: removed, a new process of it (a reload's) waits there for READY=1.
    func startGated(_ h: Harness, _ name: String) throws -> String {
        let notifier = try Fixtures.build("notifier")
        let go = h.home + "/go"
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        try h.must(["start", notifier, "--name", name, "--wait-ready", "--listen-timeout", "60s", "--", "ready-on", go])
        return go
    }

    /// A reload waiting on one instance leaves alone the instances a later request
    /// deleted; a second reload of the instance in progress is refused.
    @Test func laterRequestsWinOverAQueuedReload() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let go = try startGated(h, "aaa")
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s, "--name", "bbb"])
        try h.waitUntil("aaa online") { try h.app("aaa")?.status == .online }
        for a in try h.list() { if let p = a.pid { h.track(p) } }

        // The new aaa waits for the trigger, so the reload holds there.
        unlink(go)
        let reload = try h.background(["reload", "all"])
        defer { if reload.isRunning { kill(reload.processIdentifier, SIGKILL); reload.waitUntilExit() } }
        try h.waitUntil("the new aaa is started") {
            try h.describe("aaa").first?.history?.contains { $0.event == "reload" } == true
        }
        let second = h.run(["reload", "aaa"])
        #expect(second.status == 1 && second.stderr.contains("a reload of it is already in progress"), "\(second.stderr)")
        try h.must(["delete", "bbb"])

        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let deadline = Date().addingTimeInterval(20)
        while reload.isRunning && Date() < deadline { usleep(10_000) }
        #expect(!reload.isRunning && reload.terminationStatus == 0)
        let apps = try h.list()
        #expect(apps.map(\.name) == ["aaa"], "bbb stays deleted: \(apps.map(\.name))")
        #expect(apps.first?.restarts == 1 && apps.first?.isOnline == true)
        if let p = apps.first?.pid { h.track(p) }
    }

    /// A stop during a reload ends the old process too: the reload's answer says so,
    /// not that the old process keeps running (issue 13, item 7).
    @Test func aReloadInterruptedByAStopSaysTheOldProcessStops() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let go = try startGated(h, "aaa")
        try h.waitUntil("aaa online") { try h.app("aaa")?.status == .online }
        let old = try #require(try h.app("aaa")?.pid)
        h.track(old)
        unlink(go)
        let out = h.home + "/reload.err"
        let reload = try h.background(["reload", "aaa"], stderr: out)
        defer { if reload.isRunning { kill(reload.processIdentifier, SIGKILL); reload.waitUntilExit() } }
        try h.waitUntil("the new aaa is started") {
            try h.describe("aaa").first?.history?.contains { $0.event == "reload" } == true
        }
        try h.must(["stop", "aaa"])
        let deadline = Date().addingTimeInterval(20)
        while reload.isRunning && Date() < deadline { usleep(10_000) }
        #expect(!reload.isRunning && reload.terminationStatus == 1)
        let said = h.read(out)
        #expect(said.contains("interrupted by a stop request"), "\(said)")
        #expect(!said.contains("the old process keeps running"), "\(said)")
        #expect(!Harness.alive(old))
        #expect(try h.app("aaa")?.status == .stopped)
    }

    @Test func aReloadWhoseNewProcessFailsKeepsTheOldOne() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let s = try h.script("app.sh", """
            if [ -e \(h.home)/broken ]; then echo broken >&2; exit 7; fi
            exec sleep 1000
            """)
        try h.must(["start", s, "--name", "app"])
        let old = try #require(try h.app("app")?.pid)
        h.track(old)
        _ = FileManager.default.createFile(atPath: h.home + "/broken", contents: nil)
        let r = h.run(["reload", "app"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("app app (id 0): the new process exited (exit code 7) before it was online; the old process keeps running"), "\(r.stderr)")
        let now = try #require(try h.app("app"))
        #expect(now.pid == old && now.isOnline && now.restarts == 0)
        #expect(Harness.alive(old))
    }
}

// MARK: - Helpers

/// The C fixtures, compiled once per test process with the first C compiler found (as
/// bench/run does: cc, gcc, else the Swift toolchain's clang), linked against libsystemd.
enum Fixtures {
    nonisolated(unsafe) private static var built: [String: String] = [:]
    private static let lock = NSLock()
    /// Where the binaries go: removed when the test process exits.
    static let directory = NSTemporaryDirectory() + "swisor-fixtures-\(getpid())"

    static func build(_ name: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = built[name] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let source = root.appendingPathComponent("Fixtures/\(name).c").path
        let dir = directory
        if built.isEmpty {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: Fixtures.directory) }
        }
        let output = dir + "/\(name)"
        let cc = try compiler()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cc)
        p.arguments = ["-O2", "-o", output, source, "-lsystemd"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw HarnessError("\(cc) \(source) failed: \(message)") }
        built[name] = output
        return output
    }

    private static func compiler() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["cc", "gcc", "clang"] {
            for dir in path.split(separator: ":") where access("\(dir)/\(name)", X_OK) == 0 { return "\(dir)/\(name)" }
        }
        for dir in path.split(separator: ":") where access("\(dir)/swift", X_OK) == 0 {
            let real = URL(fileURLWithPath: "\(dir)/swift").resolvingSymlinksInPath().deletingLastPathComponent()
            let clang = real.appendingPathComponent("clang").path
            if access(clang, X_OK) == 0 { return clang }
        }
        throw HarnessError("no C compiler (cc, gcc, clang) for the test fixtures")
    }
}

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifyListener {
    let path: String
    private let dir: String
    private let fd: Int32
    private(set) var received: [String] = []

    init() throws {
        var template = Array("/tmp/swn-XXXXXX".utf8CString)
        guard let d = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        dir = String(cString: d)
        path = dir + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        let r = NotifyListener.withAddress(path) { bind(fd, $0, $1) }
        guard r == 0 else { throw HarnessError("bind \(path): \(errno)") }
    }

    /// Reads datagrams until one satisfies `match` (each datagram is checked whole, and
    /// each of its lines).
    func waitFor(_ what: String, timeout: Double = 15, _ match: (String) -> Bool) throws -> String {
        if let hit = received.first(where: match) { return hit }
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 8192)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            received.append(text)
            if match(text) { return text }
        }
        throw HarnessError("timed out waiting for \(what); received: \(received.suffix(10))")
    }

    static func send(_ text: String, to path: String) throws {
        let s = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { Glibc.close(s) }
        let bytes = Array(text.utf8)
        let n = withAddress(path) { addr, len in sendto(s, bytes, bytes.count, 0, addr, len) }
        guard n == bytes.count else { throw HarnessError("sendto \(path): \(errno)") }
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
        rmdir(dir)
    }

    private static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

/// posix_spawn with `fd` as the child's fd 3 (what systemd passes in socket activation).
func spawnWithFD3(_ fd: Int32, _ argv: [String], env: [String: String], log: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fd, 3)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        for p in cArgs { free(p) }
        for p in cEnv { free(p) }
    }
    var pid: pid_t = 0
    let r = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
    guard r == 0 else { throw HarnessError("posix_spawn \(argv[0]): \(r)") }
    return pid
}

/// Reaps a child the test spawned itself; SIGKILL first if it is still running.
func reap(_ pid: pid_t) {
    if waitpid(pid, nil, WNOHANG) == pid { return }
    kill(pid, SIGKILL)
    _ = waitpid(pid, nil, 0)
}

/// A TCP port nobody listens on now (the kernel's pick for port 0).
func freePort() throws -> Int {
    let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(s) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0 }
    }
    guard ok else { throw HarnessError("cannot find a free port: \(errno)") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
