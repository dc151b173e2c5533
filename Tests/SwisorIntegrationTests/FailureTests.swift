import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bad input and failures: clear one-line errors, nothing half-started, a daemon that
/// keeps serving.
@Suite(.serialized)
struct FailureTests {
    @Test func missingProgramIsErroredWithItsErrno() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let eco = try h.file("eco.json", #"{"apps": [{"name": "ghost", "script": "/nonexistent/program"}]}"#)
        let r = h.run(["start", eco])
        #expect(r.status != 0)
        #expect(r.stderr.contains("No such file or directory (ENOENT)"), "\(r.stderr)")
        let ghost = try #require(try h.app("ghost"))
        #expect(ghost.status == .errored)
        #expect(ghost.pid == nil)
        #expect(ghost.statusReason?.contains("ENOENT") == true)
    }

    @Test func notExecutableAndBadCwdAreErrored() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let plain = try h.file("plain", "not a program\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "noexec", "script": "\(plain)", "interpreter": "none"},
                  {"name": "nocwd", "script": "/bin/sleep", "args": "1000", "cwd": "/nonexistent/dir"}]}
        """)
        let r = h.run(["start", eco])
        #expect(r.status != 0)
        let noexec = try #require(try h.app("noexec"))
        #expect(noexec.status == .errored)
        #expect(noexec.statusReason?.contains("EACCES") == true, "\(String(describing: noexec.statusReason))")
        let nocwd = try #require(try h.app("nocwd"))
        #expect(nocwd.status == .errored)
        #expect(nocwd.statusReason?.contains("/nonexistent/dir") == true)
        #expect(nocwd.statusReason?.contains("ENOENT") == true)
    }

    @Test func malformedFilesStartNothing() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let syntax = try h.file("syntax.json", "{\"apps\": [\n  {\"name\": \"a\", \"script\": \"x\"\n]}\n")
        var r = h.run(["start", syntax])
        #expect(r.status != 0)
        #expect(r.stderr.contains("syntax.json"), "\(r.stderr)")
        #expect(r.stderr.contains("line 3"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")

        let semantic = try h.file("semantic.json", """
        {"apps": [{"name": "good", "script": "/bin/sleep", "args": "1000"},
                  {"name": "bad", "script": "/bin/sleep", "max_restarts": "ten"}]}
        """)
        r = h.run(["start", semantic])
        #expect(r.status != 0)
        #expect(r.stderr.contains("semantic.json"), "\(r.stderr)")
        #expect(r.stderr.contains("apps[1].max_restarts"), "\(r.stderr)")

        let badName = try h.file("name.json", #"{"apps": [{"name": "../etc", "script": "/bin/sleep"}]}"#)
        r = h.run(["start", badName])
        #expect(r.status != 0)
        #expect(r.stderr.contains("apps[0].name"), "\(r.stderr)")

        // Nothing started: the daemon was not even needed.
        #expect(!h.run(["ping"]).ok)
        #expect(try h.list().isEmpty)
    }

    @Test func crashLoopEndsInErrored() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("crash.sh", "echo run >> runs\nexit 3\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "crash", "script": "./crash.sh", "max_restarts": 3, "min_uptime": 5000}]}"#)
        _ = h.run(["start", eco])
        try h.waitUntil("the crash loop gives up", timeout: 20) { try h.app("crash")?.status == .errored }
        let a = try #require(try h.app("crash"))
        #expect(a.unstableRestarts == 3)
        #expect(a.restarts == 2)
        #expect(a.lastExit?.code == 3)
        #expect(h.read("runs").split(separator: "\n").count == 3)
        #expect(a.statusReason?.contains("max_restarts 3") == true)

        // reset zeroes the counters and leaves the processes (none here) alone.
        try h.must(["reset", "crash"])
        let reset = try #require(try h.app("crash"))
        #expect(reset.restarts == 0)
        #expect(reset.unstableRestarts == 0)
        #expect(reset.status == .errored)
        #expect(h.run(["reset", "nope"]).status != 0)
    }

    @Test func exitWithoutAutorestartIsStopped() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("job.sh", "echo done\nexit 0\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "job", "script": "./job.sh", "autorestart": false}]}"#)
        _ = h.run(["start", eco])
        try h.waitUntil("the job exits") { try h.app("job")?.status == .stopped }
        let a = try #require(try h.app("job"))
        #expect(a.restarts == 0)
        #expect(a.unstableRestarts == 0, "a job that is not restarted is not unstable")
        #expect(a.lastExit?.code == 0)
        #expect(a.lastExit?.requested == false)
        #expect(a.statusReason?.contains("exited by itself") == true)
    }

    @Test func anotherUserIsRefusedBySOPeerCred() throws {
        let h = try Harness()
        defer { h.shutdown() }
        guard getuid() == 0 else {
            print("skipped: needs root to run the CLI as another uid (uid \(getuid()))")
            return
        }
        // nobody (65534) keeps CAP_DAC_OVERRIDE so it gets past the 0700 home and the
        // 0600 socket: what is tested is the daemon's own uid check.
        let r = h.run(["list"], prefix: [
            "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=+dac_override", "--ambient-caps=+dac_override",
        ])
        #expect(r.status != 0)
        #expect(r.stderr.contains("uid 65534 may not control this swisor daemon"), "status \(r.status), stderr \(r.stderr), stdout \(r.stdout)")
        #expect(h.run(["ping"]).ok, "the daemon keeps serving")
    }

    @Test func garbageOnTheSocketDoesNotHurtTheDaemon() throws {
        let h = try Harness()
        defer { h.shutdown() }
        for payload in ["nonsense\n", "{\"v\": 1, \"command\": \"explode\"}\n", "{\"v\": 99, \"command\": \"ping\"}\n", "{}\n", "[1,2\n"] {
            let fd = try UnixSocket.connect(path: h.home + "/swisor.sock")
            try fd.writeAll(Array(payload.utf8))
            var reply = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { Glibc.read(fd.rawValue, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                reply += buf[0..<n]
            }
            fd.close()
            let response = try JSONDecoder().decode(Response.self, from: Data(reply))
            #expect(!response.ok)
            if payload.contains("99") { #expect(response.error?.code == .versionMismatch) }
        }
        // A client that connects and closes at once, and one that says nothing.
        try UnixSocket.connect(path: h.home + "/swisor.sock").close()
        let silent = try UnixSocket.connect(path: h.home + "/swisor.sock")
        defer { silent.close() }
        #expect(h.run(["ping"]).ok)
    }

    /// No socket, a stale one, and one removed under a live daemon (issue 13, items 6-7).
    @Test func aStaleSocketAndARemovedSocketAreSaidApart() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        // A socket file nobody listens on, as a daemon killed with SIGKILL leaves it.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = h.home + "/swisor.sock"
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        let ping = h.run(["ping"])
        #expect(!ping.ok)
        #expect(ping.stderr.contains("not running (a stale socket at \(path)"), "\(ping.stderr)")
        #expect(h.run(["list"]).stderr.contains("a stale socket"))

        // A daemon whose socket was removed from under it listens there again.
        try h.startDaemon()
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s])
        h.track(try #require(try h.app("s")?.pid))
        unlink(path)
        try h.waitUntil("the daemon listens on its socket again") { h.run(["ping"]).ok }
        #expect(try h.app("s")?.isOnline == true, "the apps were never touched")
        // Even with its whole home removed: home, socket and pid file are made again, so
        // `swisor kill` (in shutdown) still reaches it.
        let pid = try #require(h.daemonPID)
        // Moved away then deleted (an `rm -rf` racing with the daemon's own rebuilding
        // of the home would fail on a non-empty folder).
        let gone = h.home + ".gone"
        #expect(rename(h.home, gone) == 0)
        try h.waitUntil("the daemon made its home and socket again") { h.run(["ping"]).ok }
        try FileManager.default.removeItem(atPath: gone)
        #expect(h.daemonPID == pid)
        #expect(try h.app("s")?.isOnline == true)
    }

    /// The home moved away (or removed) under a live daemon: its lock file goes with it,
    /// but no second daemon may start for the same home and cgroups (issue 13, item 6).
    @Test func aSecondDaemonCannotStartWhenTheHomeWasRemovedUnderTheFirst() throws {
        let h = try Harness()
        let moved = h.home + ".moved"
        defer {
            h.shutdown()
            try? FileManager.default.removeItem(atPath: moved)
        }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s])
        h.track(try #require(try h.app("s")?.pid))
        #expect(rename(h.home, moved) == 0)
        // The first daemon makes its home again, with a new lock file nobody holds.
        try h.waitUntil("the first daemon made its home again") { h.run(["ping"]).ok }
        // Run in the foreground (`swisor daemon`, which execs swisord): a second daemon
        // that started would serve (and be killed by the timeout); one that sees the lock
        // exits at once, status 0.
        let second = h.run(["daemon"], timeout: 15)
        #expect(second.status == 0, "status \(second.status): \(second.stderr)")
        #expect(second.stderr.contains("a swisor daemon already runs for \(h.home)") || second.stdout.contains("already runs"),
                "\(second.stderr)\(second.stdout)")
        #expect(h.run(["ping"]).ok, "the first daemon still serves")
        #expect(DaemonLock.abstractName(forHome: h.home) == "@swisor/lock/" + CgroupNames.group(forHome: h.home))
    }

    @Test func daemonStartsOnDemandButNotForListPingKill() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        #expect(!h.run(["ping"]).ok)
        #expect(h.run(["list"]).ok)
        #expect(h.run(["kill"]).ok)
        #expect(!FileManager.default.fileExists(atPath: h.home + "/swisor.sock"))
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s])
        let ping = try h.must(["ping", "--json"])
        let info = try JSONDecoder().decode(PingInfo.self, from: Data(ping.stdout.utf8))
        // The mode depends on the host (CgroupTests cover it); it is never empty.
        #expect(["process-tree", "cgroup2", "cgroup-hybrid"].contains(info.containment))
        #expect(!info.containmentReason.isEmpty)
        #expect(h.daemonPID == info.pid)
        h.track(try #require(try h.app("s")?.pid))
        // Home and socket modes.
        var st = stat()
        stat(h.home, &st)
        #expect(st.st_mode & 0o777 == 0o700)
        stat(h.home + "/swisor.sock", &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func logsCommandPrintsTheLastLines() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try h.script("talk.sh", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done\necho done > state\nexec sleep 1000\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "talk", "script": "./talk.sh"}]}"#)
        try h.must(["start", eco])
        h.track(try #require(try h.app("talk")?.pid))
        try h.waitUntil("the output reached the log files") {
            h.read(h.home + "/logs/talk-out.log").contains("out5") && h.read(h.home + "/logs/talk-error.log").contains("err5")
        }
        let out = try h.must(["logs", "talk", "--lines", "2", "--out", "--nostream"]).stdout
        #expect(out == "0|talk|out| out4\n0|talk|out| out5\n")
        let err = try h.must(["logs", "talk", "--lines", "1", "--err", "--nostream"]).stdout
        #expect(err == "0|talk|err| err5\n")
    }
}

@Suite(.serialized)
struct BackoffIntegrationTests {
    /// stop_exit_codes: a listed code is "done" (stopped), another is restarted.
    @Test func stopExitCodes() throws {
        let h = try Harness()
        defer { h.shutdown() }
        // First run exits 4 (restarted), the second exits 3 (listed: stopped).
        try h.script("codes.sh", "n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n\n[ $n -ge 2 ] && exit 3\nexit 4\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "c", "script": "./codes.sh", "stop_exit_codes": [0, 3]}]}"#)
        _ = h.run(["start", eco])
        try h.waitUntil("the listed exit code stops the app") { try h.app("c")?.status == .stopped }
        let a = try #require(try h.app("c"))
        #expect(a.restarts == 1)
        #expect(a.lastExit?.code == 3)
        #expect(a.statusReason == "exited by itself: exited with code 3, listed in stop_exit_codes")
        #expect(h.read("n") == "2\n")
    }

    /// After a run of 30 s the backoff starts over (measured exactly: docs/semantics.md, "How an exit is judged").
    @Test func backoffStartsOverAfterAThirtySecondRun() throws {
        let h = try Harness()
        defer { h.shutdown() }
        // Runs 1-3 fail at once, run 4 lasts 31 s, runs 5+ fail at once again.
        try h.script("slow.sh", "n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n\n[ $n -eq 4 ] && sleep 31\nexit 1\n")
        let eco = try h.file("eco.json", #"{"apps": [{"name": "s", "script": "./slow.sh", "exp_backoff_restart_delay": 200, "min_uptime": 0}]}"#)
        _ = h.run(["start", eco])
        try h.waitUntil("the run after the long one has failed", timeout: 60) {
            (Int(h.read("n").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 6
        }
        let waits = try h.backoffWaits("s")
        // 200, 300, 450 before the long run; 200 again after it, then 300.
        #expect(Array(waits.prefix(5)) == [200, 300, 450, 200, 300], "\(waits)")
        try h.must(["stop", "s"])
    }
    /// Waits grow x1.5 (each recorded in the history with its reason), never less than
    /// configured between two real runs, and a manual restart starts over.
    @Test func backoffDelaysGrowAndResetOnManualRestart() throws {
        let h = try Harness()
        defer { h.shutdown() }
        // Each run records its start in ns, then fails at once.
        try h.script("fail.sh", "date +%s%N >> starts\nexit 1\n")
        let eco = try h.file("eco.json", """
        {"apps": [{"name": "f", "script": "./fail.sh", "exp_backoff_restart_delay": 100, "min_uptime": 0}]}
        """)
        _ = h.run(["start", eco])
        try h.waitUntil("five runs happened", timeout: 20) {
            h.read("starts").split(separator: "\n").count >= 5
        }
        let waits = try h.backoffWaits("f")
        #expect(Array(waits.prefix(4)) == [100, 150, 225, 337])
        let starts = h.read("starts").split(separator: "\n").compactMap { Int64($0) }
        for (i, expected) in [100, 150, 225, 337].enumerated() where i + 1 < starts.count {
            let gapMs = (starts[i + 1] - starts[i]) / 1_000_000
            #expect(gapMs >= Int64(expected), "run \(i + 1) came \(gapMs) ms after run \(i), before its \(expected) ms wait")
        }
        // While it waits, list shows it.
        try h.waitUntil("the app is seen waiting") { try h.app("f")?.status == .waitingRestart }
        #expect(try h.app("f")?.nextRestartAt != nil)

        // A manual restart starts the backoff over.
        try h.must(["restart", "f"])
        try h.waitUntil("the app waits again") { try h.app("f")?.status == .waitingRestart }
        let last = try #require(try h.describe("f").first?.history?.last { $0.event == "waiting restart" })
        #expect(last.reason?.hasSuffix("restart in 100 ms") == true, "\(String(describing: last.reason))")
        try h.must(["stop", "f"])
        #expect(try h.app("f")?.status == .stopped)
    }
}
