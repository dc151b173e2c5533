import SwisorCore
import Testing

@Suite struct RestartPolicyTests {
    func spec(_ configure: (inout AppSpec) -> Void = { _ in }) -> AppSpec {
        var s = AppSpec(name: "app", script: "/bin/true", cwd: "/")
        configure(&s)
        return s
    }

    func exit(code: Int32? = 1, signal: String? = nil, runMs: Int64) -> ExitInfo {
        ExitInfo(code: signal == nil ? code : nil, signal: signal, at: 0, runMs: runMs, requested: false)
    }

    @Test func crashLoopReachesErroredAfterMaxRestarts() {
        let s = spec { $0.maxRestarts = 3 }
        var unstable = 0
        var decisions: [RestartPolicy.Decision] = []
        for _ in 0..<3 {
            let o = RestartPolicy.decide(spec: s, exit: exit(runMs: 10), unstableRunsBefore: unstable)
            unstable = o.unstableRuns
            decisions.append(o.decision)
        }
        #expect(decisions[0] == .restart(afterMs: 0))
        #expect(decisions[1] == .restart(afterMs: 0))
        guard case .giveUp(let reason) = decisions[2] else {
            Issue.record("expected errored, got \(decisions[2])")
            return
        }
        #expect(reason.contains("3 unstable runs in a row"))
    }

    /// PM2's hole (pm2 #841): with a restart delay, the unstable count still grows.
    @Test func restartDelayDoesNotHideACrashLoop() {
        let s = spec { $0.maxRestarts = 2; $0.restartDelayMs = 5000 }
        let first = RestartPolicy.decide(spec: s, exit: exit(runMs: 100), unstableRunsBefore: 0)
        #expect(first.decision == .restart(afterMs: 5000))
        let second = RestartPolicy.decide(spec: s, exit: exit(runMs: 100), unstableRunsBefore: first.unstableRuns)
        if case .giveUp = second.decision {} else { Issue.record("expected errored, got \(second.decision)") }
    }

    @Test func aStableRunResetsTheCount() {
        let s = spec { $0.maxRestarts = 2; $0.minUptimeMs = 1000 }
        let o = RestartPolicy.decide(spec: s, exit: exit(runMs: 1000), unstableRunsBefore: 1)
        #expect(o.unstableRuns == 0)
        #expect(o.decision == .restart(afterMs: 0))
    }

    @Test func stopExitCodesAndAutorestart() {
        let s = spec { $0.stopExitCodes = [0, 2] }
        let listed = RestartPolicy.decide(spec: s, exit: exit(code: 2, runMs: 10), unstableRunsBefore: 4)
        #expect(listed.decision == .stop(reason: "exited with code 2, listed in stop_exit_codes"))
        #expect(listed.unstableRuns == 0, "an exit that is not restarted does not count as unstable")
        // A death by signal is never a clean exit, even with 0 listed (PM2 reports it as 0).
        #expect(RestartPolicy.decide(spec: s, exit: exit(signal: "SIGKILL", runMs: 5000), unstableRunsBefore: 0).decision
            == .restart(afterMs: 0))
        let off = spec { $0.autorestart = false }
        #expect(RestartPolicy.decide(spec: off, exit: exit(signal: "SIGSEGV", runMs: 5000), unstableRunsBefore: 0).decision
            == .stop(reason: "killed by SIGSEGV, autorestart is off"))
    }
}

@Suite struct TargetTests {
    let apps = [
        TargetResolver.Candidate(id: 0, name: "api", namespace: "web"),
        TargetResolver.Candidate(id: 1, name: "worker", namespace: "jobs"),
        TargetResolver.Candidate(id: 2, name: "worker", namespace: "jobs"),
        TargetResolver.Candidate(id: 3, name: "web", namespace: "front"),
        TargetResolver.Candidate(id: 4, name: "cron", namespace: "3"),
    ]

    @Test(arguments: [
        ("all", [0, 1, 2, 3, 4]),
        ("worker", [1, 2]),
        ("jobs", [1, 2]),
        // A name wins over a namespace of the same word.
        ("web", [3]),
        ("front", [3]),
        // A namespace wins over an id.
        ("3", [4]),
        ("2", [2]),
        ("nope", []),
        ("9", []),
    ])
    func resolution(target: String, expected: [Int]) {
        #expect(TargetResolver.resolve(target, in: apps) == expected)
    }
}

@Suite struct SignalTests {
    @Test(arguments: ["SIGTERM", "TERM", "sigterm", "15"])
    func parsesNamesAndNumbers(_ text: String) {
        #expect(Signal(parsing: text) == .sigterm)
    }

    @Test func rejectsUnknown() {
        #expect(Signal(parsing: "SIGNOPE") == nil)
        #expect(Signal(parsing: "99") == nil)
        #expect(Signal(parsing: "") == nil)
    }

    @Test func names() {
        #expect(Signal.sigkill.name == "SIGKILL")
        #expect(Signal(number: 11)?.name == "SIGSEGV")
    }
}

@Suite struct AppSpecTests {
    @Test func argvForEachKind() {
        var s = AppSpec(name: "a", script: "/srv/app.py", args: ["--port", "80"], interpreter: "python3",
                        interpreterArgs: ["-u"], cwd: "/srv")
        #expect(s.argv == ["python3", "-u", "/srv/app.py", "--port", "80"])
        s.interpreter = nil
        #expect(s.argv == ["/srv/app.py", "--port", "80"])
        s = AppSpec(name: "a", script: "node server.js | tee x", args: ["it's"], shell: true, cwd: "/")
        #expect(s.argv == ["/bin/sh", "-c", "node server.js | tee x 'it'\\''s'"])
    }
}

@Suite struct EnvSelectionWarningTests {
    @Test func anEnvThatMatchesNoBlockIsWarnedAbout() throws {
        let eco = try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "env_production": {"X": "1"}}]}"#, envName: "prodution")
        #expect(eco.warnings.contains("eco.json: --env prodution: no app has an env_prodution block; only `env` applies"))
        let ok = try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "env_production": {"X": "1"}}]}"#, envName: "production")
        #expect(!ok.warnings.contains { $0.contains("--env") })
        #expect(ok.apps[0].env["X"] == "1")
    }
}
