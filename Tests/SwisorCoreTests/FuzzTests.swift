import Foundation
import Testing

@testable import SwisorCore

/// A seeded mutation fuzzer for what comes from outside: ecosystem files (JSON and YAML)
/// and, in SwisorDaemonTests, control requests. Deterministic (a fixed seed per round),
/// bounded: SWISOR_FUZZ_ITERATIONS rounds per target (`make test`: 3000; `make fuzz`:
/// 300000). A crash (a trap on overflow, an out-of-range index) ends the test process:
/// that is the failure, and the seed of the round is printed first, so it reproduces.
/// Beyond not crashing, every file the loader accepts must give specs the daemon's own
/// check accepts, and that the life-cycle machine can run through a crash and a restart.
@Suite struct FuzzTests {
    static var iterations: Int {
        max(1, Int(ProcessInfo.processInfo.environment["SWISOR_FUZZ_ITERATIONS"] ?? "") ?? 3000)
    }

    static let seeds: [String] = [
        #"{"apps": [{"name": "api", "script": "server.js", "instances": 2, "env": {"PORT": 3000}, "max_memory_restart": "200M", "cron_restart": "0 3 * * *", "kill_timeout": 3000, "restart_delay": "2s", "exp_backoff_restart_delay": 100, "watchdog_sec": 30, "wait_ready": true, "listen_timeout": 5000}]}"#,
        #"[{"script": "worker.py", "name": "w", "args": ["--queue", "jobs"], "memory_max": "512M", "cpu_quota": "150%", "tasks_max": 64, "log_max_size": "10M", "log_retain": 3}]"#,
        #"{"script": "job.sh", "autorestart": false, "cron": "*/5 * * * *", "out_file": "/dev/null", "min_uptime": "1s", "max_restarts": 5, "stop_exit_codes": [0, 3]}"#,
        "apps:\n  - name: y\n    script: ./web.sh\n    instances: max\n    env:\n      A: 1\n    env_production:\n      A: 2\n",
        "defaults: &d\n  kill_timeout: 100\napps:\n  - <<: *d\n    script: a.js\n    exp_backoff_max_delay: 1h\n",
        // PM2's JavaScript-flavoured .json (ObjectLiteral).
        "{\n  /* PM2 */ apps: [ // the apps\n    { name: 'api', script: \"server.js\", instances: 0x2, env: { PORT: +3000, A: `t`, B: 'x\\\ny', },\n      kill_timeout: .5e4, max_restarts: undefined, },\n  ],\n}\n",
    ]

    /// Values at the edges of every range, spliced in where a value stands.
    static let boundaries: [String] = [
        "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9007199254740993", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "18446744073709551616", "1e308", "-1e308", "1e-308",
        "0.5", "NaN", "Infinity", "null", "true", "false", "\"\"", "\"max\"", "\"-0\"", "\"9999999999999s\"",
        "\"8785h\"", "\"1.5G\"", "\"99999999999999999999G\"", "\"* * * * * * *\"", "\"60 24 32 13 8\"",
        "[]", "{}", "[[[[[[[[[[]]]]]]]]]]", "\"\\u0000\"", "\"\\ud800\"", "\"" + String(repeating: "x", count: 5000) + "\"",
        "0x7FFFFFFFFFFFFFFF", "-0b1", "017", "1_0", ".5", "5.", "-Infinity", "undefined", "'\\x41'", "`a\nb`", "/* */", "//\n",
    ]

    typealias Random = SplitMix64

    /// One mutation of `bytes`: a flipped, inserted or removed byte, a boundary value over
    /// a number or a string, a duplicated or cut region, or deep nesting.
    static func mutate(_ bytes: [UInt8], _ r: inout Random) -> [UInt8] {
        var b = bytes
        let rounds = 1 + r.below(4)
        for _ in 0..<rounds {
            switch r.below(7) {
            case 0 where !b.isEmpty:
                b[r.below(b.count)] ^= UInt8(1 << r.below(8))
            case 1:
                b.insert(UInt8(truncatingIfNeeded: r.next()), at: r.below(b.count + 1))
            case 2 where !b.isEmpty:
                b.remove(at: r.below(b.count))
            case 3, 4:
                // Replace a run of digits, or a quoted string, with a boundary value.
                let value = Array(boundaries[r.below(boundaries.count)].utf8)
                let positions = b.indices.filter { b[$0] == UInt8(ascii: ":") }
                guard let colon = positions.isEmpty ? nil : positions[r.below(positions.count)] else { break }
                var end = colon + 1
                while end < b.count, b[end] == UInt8(ascii: " ") { end += 1 }
                let start = end
                if end < b.count, b[end] == UInt8(ascii: "\"") {
                    end += 1
                    while end < b.count, b[end] != UInt8(ascii: "\"") { end += 1 }
                    end = min(b.count, end + 1)
                } else {
                    while end < b.count, !",}]\n".utf8.contains(b[end]) { end += 1 }
                }
                b.replaceSubrange(start..<end, with: value)
            case 5 where b.count > 2:
                let from = r.below(b.count), to = min(b.count, from + r.below(64))
                b.insert(contentsOf: b[from..<to], at: r.below(b.count + 1))
            default:
                let depth = 1 + r.below(700)
                b = Array(String(repeating: "[", count: depth).utf8) + b + Array(String(repeating: "]", count: depth).utf8)
            }
        }
        return b
    }

    static func options() -> EcosystemOptions {
        EcoFixture.options(files: ["/srv/proj/server.js", "/srv/proj/worker.py", "/srv/proj/job.sh", "/srv/proj/a.js"])
    }

    @Test func theLoaderSurvivesMutatedFilesAndAcceptsOnlySchedulableApps() {
        let n = Self.iterations
        var accepted = 0
        for round in 0..<n {
            var r = Random(state: 0x5157_1500 &+ UInt64(round))
            let seed = Self.seeds[r.below(Self.seeds.count)]
            let bytes = Self.mutate(Array(seed.utf8), &r)
            let yaml = !seed.hasPrefix("{") && !seed.hasPrefix("[")
            do throws(ConfigError) {
                let eco = try Ecosystem.load(bytes: bytes, format: yaml ? .yaml : .json, options: Self.options())
                accepted += 1
                for spec in eco.apps {
                    #expect(spec.problem == nil, "round \(round): the loader accepted what the daemon refuses: \(spec.problem ?? "")")
                    Self.run(spec)
                }
            } catch {
                #expect(!error.description.isEmpty)
                #expect(!error.description.contains("\n"), "round \(round): one line: \(error.description)")
            }
        }
        // The mutations must leave enough files valid for the second property to mean something.
        #expect(accepted > n / 20, "only \(accepted) of \(n) mutated files loaded")
    }

    /// The object-literal reader never crashes, and reads every strict JSON text exactly
    /// as the strict parser does, without naming a relaxation: the loader's fallback can
    /// only add what strict JSON lacks.
    @Test func theObjectLiteralReaderExtendsTheStrictParser() {
        let n = Self.iterations
        var strict = 0
        for round in 0..<n {
            var r = Random(state: 0x0B1E_C700 &+ UInt64(round))
            let seed = Self.seeds[r.below(Self.seeds.count)]
            let bytes = Self.mutate(Array(seed.utf8), &r)
            let literal = Result { () throws(ObjectLiteral.Failure) in try ObjectLiteral.parse(bytes) }
            if case .failure(let failure) = literal {
                #expect(!failure.error.description.contains("\n"), "round \(round): one line: \(failure.error)")
            }
            guard let value = try? JSON.parse(bytes) else { continue }
            strict += 1
            guard case .success(let read) = literal else {
                Issue.record("round \(round): strict JSON the reader refused: \(String(decoding: bytes, as: UTF8.self))")
                continue
            }
            #expect(read.value == value, "round \(round)")
            #expect(read.relaxation == nil, "round \(round): \(String(describing: read.relaxation))")
        }
        #expect(strict > n / 50, "only \(strict) of \(n) mutated texts were strict JSON")
    }

    /// A crash and a restart of an accepted spec, through the machine, with clocks far
    /// from zero: nothing it computes may overflow.
    static func run(_ spec: AppSpec) {
        var m = InstanceMachine(id: 0, spec: spec, scheduled: spec.cronRestart != nil)
        var now = InstanceMachine.Instant(mono: Int64(Int32.max) * 1000, wall: 4_102_444_800_000)
        var pending: [InstanceMachine.Event] = [.start(.manual)]
        var steps = 0
        while let event = pending.popLast(), steps < 50 {
            steps += 1
            for action in m.handle(event, now: now) {
                switch action {
                case .spawn(let unit):
                    pending.append(.spawned(unit: unit, pid: 100 + Int32(steps)))
                case .terminate(let unit):
                    pending.append(.treeEmpty(unit: unit))
                    pending.append(.mainExited(unit: unit, .init(signal: "SIGTERM")))
                case .arm(let timer, let ms):
                    #expect(ms >= 0 && ms <= Int64(AppSpec.maximumDurationMs))
                    now.mono += ms
                    now.wall += ms
                    pending.insert(.timer(timer), at: 0)
                default: break
                }
            }
            if steps == 3, let unit = m.currentRun?.unit {
                pending.append(.mainExited(unit: unit, .init(code: 1)))
            }
        }
    }
}
