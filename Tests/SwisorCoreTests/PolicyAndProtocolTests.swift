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
            let o = RestartPolicy.decide(spec: s, exit: exit(runMs: 10), history: .init(unstableRuns: unstable))
            unstable = o.history.unstableRuns
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
        let first = RestartPolicy.decide(spec: s, exit: exit(runMs: 100), history: .init())
        #expect(first.decision == .restart(afterMs: 5000))
        let second = RestartPolicy.decide(spec: s, exit: exit(runMs: 100), history: first.history)
        if case .giveUp = second.decision {} else { Issue.record("expected errored, got \(second.decision)") }
    }

    @Test func aStableRunResetsTheCount() {
        let s = spec { $0.maxRestarts = 2; $0.minUptimeMs = 1000 }
        let o = RestartPolicy.decide(spec: s, exit: exit(runMs: 1000), history: .init(unstableRuns: 1))
        #expect(o.history.unstableRuns == 0)
        #expect(o.decision == .restart(afterMs: 0))
    }

    @Test func stopExitCodesAndAutorestart() {
        let s = spec { $0.stopExitCodes = [0, 2] }
        let listed = RestartPolicy.decide(spec: s, exit: exit(code: 2, runMs: 10), history: .init(unstableRuns: 4))
        #expect(listed.decision == .stop(reason: "exited with code 2, listed in stop_exit_codes"))
        #expect(listed.history.unstableRuns == 0, "an exit that is not restarted does not count as unstable")
        // A death by signal is never a clean exit, even with 0 listed (PM2 reports it as 0).
        #expect(RestartPolicy.decide(spec: s, exit: exit(signal: "SIGKILL", runMs: 5000), history: .init()).decision
            == .restart(afterMs: 0))
        let off = spec { $0.autorestart = false }
        #expect(RestartPolicy.decide(spec: off, exit: exit(signal: "SIGSEGV", runMs: 5000), history: .init()).decision
            == .stop(reason: "killed by SIGSEGV, autorestart is off"))
    }
}

@Suite struct BackoffTests {
    func spec(first: Int = 100, cap: Int = 15_000, maxRestarts: Int = 100) -> AppSpec {
        AppSpec(name: "a", script: "/bin/false", cwd: "/", minUptimeMs: 1000, maxRestarts: maxRestarts,
                restartDelayMs: 7000, expBackoffRestartDelayMs: first, expBackoffMaxDelayMs: cap)
    }

    func waits(_ s: AppSpec, runs: [Int64], from start: RestartPolicy.History = .init()) -> [Int] {
        var history = start
        var out: [Int] = []
        for run in runs {
            let o = RestartPolicy.decide(spec: s, exit: ExitInfo(code: 1, signal: nil, at: 0, runMs: run, requested: false), history: history)
            history = o.history
            if case .restart(let ms) = o.decision { out.append(ms) } else { out.append(-1) }
        }
        return out
    }

    @Test func growsByHalfAndIsCapped() {
        // restart_delay (7000) is overridden by the backoff.
        #expect(waits(spec(), runs: [10, 10, 10, 10, 10]) == [100, 150, 225, 337, 505])
        #expect(waits(spec(first: 4000, cap: 10_000), runs: [5000, 5000, 5000, 5000]) == [4000, 6000, 9000, 10_000])
        #expect(waits(spec(first: 20_000), runs: [10]) == [15_000], "the first wait is capped too")
    }

    @Test func aThirtySecondRunResetsTheWait() {
        #expect(waits(spec(), runs: [10, 10, 29_999, 30_000, 10]) == [100, 150, 225, 100, 150])
    }

    /// PM2's hole: with backoff the crash loop still reaches errored.
    @Test func backoffDoesNotHideACrashLoop() {
        #expect(waits(spec(maxRestarts: 3), runs: [10, 10, 10]) == [100, 150, -1])
    }

    @Test func offWhenNotSet() {
        let s = AppSpec(name: "a", script: "/bin/false", cwd: "/", restartDelayMs: 250)
        #expect(waits(s, runs: [5000, 5000]) == [250, 250])
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

@Suite struct BackoffOptionTests {
    @Test func loadsWithUnitsAndDefaults() throws {
        let eco = try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "exp_backoff_restart_delay": "100ms", "exp_backoff_max_delay": "2s"}, {"name": "b", "script": "/bin/true", "expBackoffRestartDelay": 0}]}"#)
        #expect(eco.apps[0].expBackoffRestartDelayMs == 100)
        #expect(eco.apps[0].expBackoffMaxDelayMs == 2000)
        #expect(eco.apps[1].expBackoffRestartDelayMs == nil, "0 is off, as in PM2")
        #expect(eco.apps[1].expBackoffMaxDelayMs == 15_000)
        #expect(!eco.warnings.contains { $0.contains("exp_backoff") || $0.contains("expBackoff") })
    }

    @Test func aZeroCapIsAnError() {
        #expect(throws: ConfigError(file: "eco.json", path: "apps[0].exp_backoff_max_delay", message: "expected a positive duration, found 0")) {
            try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "exp_backoff_max_delay": 0}]}"#)
        }
    }
}

@Suite struct MemoryRestartOptionTests {
    @Test func loadsSizes() throws {
        let eco = try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "max_memory_restart": "200M"}, {"name": "b", "script": "/bin/true", "maxMemoryRestart": 1048576}, {"name": "c", "script": "/bin/true"}]}"#)
        #expect(eco.apps.map(\.maxMemoryRestartBytes) == [200 * 1024 * 1024, 1_048_576, nil])
        #expect(eco.warnings.isEmpty)
    }
}

@Suite struct CronOptionTests {
    @Test func loadsAndValidatesWithThePath() throws {
        let eco = try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "cron_restart": "*/2 * * * * *", "autostart": false}, {"name": "b", "script": "/bin/true", "cron": 0}, {"name": "c", "script": "/bin/true"}]}"#)
        #expect(eco.apps.map(\.cronRestart) == ["*/2 * * * * *", nil, nil])
        #expect(eco.apps.map(\.autostart) == [false, true, true])
        #expect(eco.warnings.isEmpty)
        #expect(throws: ConfigError(file: "eco.json", path: "apps[1].cron_restart", message: "invalid cron expression \"0 25 * * *\": field 2 (hour): 25 is out of range 0-23")) {
            try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true"}, {"name": "b", "script": "/bin/true", "cron_restart": "0 25 * * *"}]}"#)
        }
        #expect(throws: ConfigError(file: "eco.json", path: "apps[0].autostart", message: "expected true or false, found \"no\"")) {
            try EcoFixture.load(#"{"apps": [{"name": "a", "script": "/bin/true", "autostart": "no"}]}"#)
        }
    }
}

/// The CLI's environment is sent once per `start`, not once per app.
@Suite struct SharedEnvironmentTests {
    let base = ["HOME": "/root", "PATH": "/usr/bin", "BIG": String(repeating: "x", count: 13_000)]

    func spec(_ name: String, _ extra: [String: String]) -> AppSpec {
        AppSpec(name: name, script: "/bin/true", cwd: "/", env: base.merging(extra) { $1 })
    }

    @Test func eachAppCarriesOnlyWhatDiffersAndTheDaemonGetsItWhole() {
        let apps = [spec("a", ["PORT": "1"]), spec("b", ["PATH": "/opt/bin"])]
        let request = Request.start(apps: apps, sharing: base)
        #expect(request.env == base)
        #expect(request.apps?.map(\.env) == [["PORT": "1"], ["PATH": "/opt/bin"]])
        #expect(request.resolvedApps == apps)
    }

    @Test func anAppWithoutAVariableOfTheBaseIsSentWhole() {
        var lean = spec("c", [:])
        lean.env["BIG"] = nil
        let request = Request.start(apps: [spec("a", [:]), lean], sharing: base)
        #expect(request.env == nil)
        #expect(request.resolvedApps == [spec("a", [:]), lean])
    }

    @Test func aRequestWithoutABaseIsTakenAsItIs() {
        let request = Request(command: .start, apps: [spec("a", [:])])
        #expect(request.resolvedApps == [spec("a", [:])])
    }
}
