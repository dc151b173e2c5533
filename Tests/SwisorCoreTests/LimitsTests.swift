import Testing

@testable import SwisorCore

/// docs/semantics.md, "Limits": every duration, size and count has a bound that the loader
/// and the daemon (through `AppSpec.problem`) share, so that nothing computed from an
/// accepted spec can overflow.
@Suite struct LimitsTests {
    typealias F = EcoFixture

    @Test(
        "values past the bounds are refused with their JSON path",
        arguments: [
            (#""kill_timeout": 9223372036854775807"#, "kill_timeout: expected at most 366 days (31622400000 ms), found 9223372036854775807"),
            (#""watchdog_sec": "9999999999999s""#, "watchdog_sec: expected at most 366 days (31622400000 ms), found \"9999999999999s\""),
            (#""restart_delay": "8785h""#, "restart_delay: expected at most 366 days (31622400000 ms), found \"8785h\""),
            (#""listen_timeout": 31622400001"#, "listen_timeout: expected at most 366 days (31622400000 ms), found 31622400001"),
            (#""min_uptime": "9223372036854775s""#, "min_uptime: expected at most 366 days (31622400000 ms), found \"9223372036854775s\""),
            (#""min_uptime": "9223372036854776s""#, "min_uptime: expected a duration (milliseconds as a number, or a string such as \"500ms\", \"1.5s\", \"60s\", \"2m\", \"1h\"), found \"9223372036854776s\""),
            (#""watchdog_sec": 9223372036854775807"#, "watchdog_sec: expected at most 366 days (31622400000 ms), found 9223372036854775807"),
            (#""watchdog_sec": 1e300"#, "watchdog_sec: expected at most 366 days (31622400000 ms), found 1e+300"),
            (#""exp_backoff_restart_delay": 1e18"#, "exp_backoff_restart_delay: expected at most 366 days (31622400000 ms), found 1e+18"),
            (#""exp_backoff_max_delay": "8785h""#, "exp_backoff_max_delay: expected at most 366 days (31622400000 ms), found \"8785h\""),
            (#""max_memory_restart": "1048577G""#, "max_memory_restart: expected at most 1P (1125899906842624 bytes), found \"1048577G\""),
            (#""memory_max": 9223372036854775807"#, "memory_max: expected at most 1P (1125899906842624 bytes), found 9223372036854775807"),
            (#""log_max_size": "2000000G""#, "log_max_size: expected at most 1P (1125899906842624 bytes), found \"2000000G\""),
            (#""instances": 4611686018427387904"#, "instances: expected at most 1024 instances, found 4611686018427387904"),
            (#""out_file": "/var/log/a\u0000b""#, "out_file: cannot contain a NUL character"),
            (#""cwd": "/srv/\u0000""#, "cwd: cannot contain a NUL character"),
        ])
    func loaderBounds(members: String, message: String) {
        #expect(F.error("{\"script\": \"a.js\", \(members)}") == "eco.json: \(message)")
    }

    @Test func theBoundsThemselvesAreAccepted() throws {
        let app = try F.app(#""script": "a.js", "kill_timeout": 31622400000, "restart_delay": "8784h", "watchdog_sec": 31622400, "max_memory_restart": "1048576G", "instances": 1024"#)
        #expect(app.killTimeoutMs == AppSpec.maximumDurationMs)
        #expect(app.restartDelayMs == AppSpec.maximumDurationMs)
        #expect(app.watchdogMs == AppSpec.maximumDurationMs)
        #expect(app.maxMemoryRestartBytes == AppSpec.maximumMemoryBytes)
        #expect(app.instances == 1024)
        #expect(app.problem == nil)
    }

    func problem(_ edit: (inout AppSpec) -> Void) -> String? {
        var s = AppSpec(name: "web", script: "/srv/web/server.js", cwd: "/srv/web")
        edit(&s)
        return s.problem
    }

    /// What a client other than the CLI may send: the daemon asks `problem`.
    @Test func theDaemonsCheckNamesEachFieldOutOfBounds() {
        let max = AppSpec.maximumDurationMs
        #expect(problem { $0.killTimeoutMs = .max } == "kill_timeout_ms: expected at most \(max) (366 days), found \(Int.max)")
        #expect(problem { $0.minUptimeMs = max + 1 }?.hasPrefix("min_uptime_ms: expected at most") == true)
        #expect(problem { $0.restartDelayMs = max + 1 }?.hasPrefix("restart_delay_ms: ") == true)
        #expect(problem { $0.expBackoffRestartDelayMs = max + 1 }?.hasPrefix("exp_backoff_restart_delay_ms: ") == true)
        #expect(problem { $0.expBackoffMaxDelayMs = max + 1 }?.hasPrefix("exp_backoff_max_delay_ms: ") == true)
        #expect(problem { $0.listenTimeoutMs = max + 1 }?.hasPrefix("listen_timeout_ms: ") == true)
        #expect(problem { $0.watchdogMs = max + 1 }?.hasPrefix("watchdog_ms: ") == true)
        #expect(problem { $0.instances = 1 << 62 } == "instances: expected 1 to 1024, found \(1 << 62)")
        #expect(problem { $0.instances = 0 } == "instances: expected 1 to 1024, found 0")
        #expect(problem { $0.cpuQuotaPercent = 1_000_000_000_000_000 } == "cpu_quota_percent: expected 1 to 100000, found 1000000000000000")
        #expect(problem { $0.tasksMax = 0 }?.hasPrefix("tasks_max: ") == true)
        #expect(problem { $0.memoryMaxBytes = .max }?.hasPrefix("memory_max_bytes: expected at most 1125899906842624") == true)
        #expect(problem { $0.memoryMaxBytes = 4096 }?.hasPrefix("memory_max_bytes: expected at least 1048576") == true)
        #expect(problem { $0.memoryHighBytes = .max }?.hasPrefix("memory_high_bytes: ") == true)
        #expect(problem { $0.maxMemoryRestartBytes = .max }?.hasPrefix("max_memory_restart_bytes: ") == true)
        #expect(problem { $0.logMaxSizeBytes = .max }?.hasPrefix("log_max_size_bytes: ") == true)
        #expect(problem { $0.logRetain = 0 }?.hasPrefix("log_retain: ") == true)
    }

    /// Property: a spec at every bound runs through every decision the machine makes,
    /// with clocks far from zero, and every number it hands the daemon stays in range.
    @Test func aSpecAtEveryBoundCanBeScheduled() {
        let max = AppSpec.maximumDurationMs
        for backoff in [false, true] {
            var d = MachineDriver(MachineDriver.spec {
                $0.killTimeoutMs = max
                $0.minUptimeMs = max
                $0.restartDelayMs = max
                if backoff { $0.expBackoffRestartDelayMs = max }
                $0.expBackoffMaxDelayMs = max
                $0.listenTimeoutMs = max
                $0.waitReady = true
                $0.watchdogMs = max
                $0.maxRestarts = 1_000_000
            })
            d.mono = Int64(Int32.max) * 1000
            d.wall = 4_102_444_800_000  // 2100-01-01
            d.online()
            for _ in 0..<40 {
                d.send(.ready(unit: d.unit, how: "READY=1"))
                d.advance(5)
                d.exit(d.unit, code: 1)
                d.empty(d.unit)
                #expect(d.status == .waitingRestart)
                #expect(d.machine.nextRestartAt == d.wall + Int64(max))
                #expect(d.timers.values.allSatisfy { $0 <= d.mono + Int64(max) })
                d.advance(Int64(max))
            }
            #expect(d.machine.restarts == 40)
        }
        // The watchdog's microseconds, as the daemon puts them in WATCHDOG_USEC.
        let (usec, overflow) = Int64(max).multipliedReportingOverflow(by: 1000)
        #expect(!overflow && usec == 31_622_400_000_000)
    }
}
