import Foundation
import SwisorCore
import SwisorSystem
import Testing

/// The control request decoder under mutated input (issue 13): what any client of the
/// socket may send. Seeded and bounded as the loader's fuzzer (SWISOR_FUZZ_ITERATIONS).
/// Every request decodes or is refused with a one-line reason; every spec of a decoded
/// `start` is judged by the daemon's own check without a crash, and one it accepts is
/// within every bound.
@Suite struct RequestFuzzTests {
    static var iterations: Int {
        max(1, Int(ProcessInfo.processInfo.environment["SWISOR_FUZZ_ITERATIONS"] ?? "") ?? 3000)
    }

    typealias Random = SplitMix64

    static let boundaries = [
        "0", "-1", "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "1e308", "1e15", "0.5", "null", "true", "\"\"", "[]", "{}", "\"SIGKILL\"", "\"relative/path\"",
        "\"\\u0000\"", "4611686018427387904",
    ]

    static func seeds() throws -> [[UInt8]] {
        var spec = AppSpec(name: "api", script: "/usr/bin/node", args: ["server.js"], cwd: "/srv", env: ["PORT": "3000"])
        spec.maxMemoryRestartBytes = 200 << 20
        spec.expBackoffRestartDelayMs = 100
        spec.watchdogMs = 30_000
        spec.memoryMaxBytes = 512 << 20
        spec.cpuQuotaPercent = 150
        spec.cronRestart = "0 3 * * *"
        return [
            try Wire.encode(Request(command: .start, apps: [spec, spec])),
            try Wire.encode(Request(command: .stop, target: "api")),
            try Wire.encode(Request(command: .list)),
        ]
    }

    @Test func mutatedRequestsDecodeOrAreRefusedAndNeverCrash() throws {
        let seeds = try Self.seeds()
        var decoded = 0
        for round in 0..<Self.iterations {
            var r = Random(state: 0xC0DE_0000 &+ UInt64(round))
            var b = seeds[r.below(seeds.count)]
            for _ in 0..<(1 + r.below(3)) {
                switch r.below(4) {
                case 0 where !b.isEmpty: b[r.below(b.count)] ^= UInt8(1 << r.below(8))
                case 1 where !b.isEmpty: b.remove(at: r.below(b.count))
                default:
                    // A boundary value in place of the value after a colon.
                    let colons = b.indices.filter { b[$0] == UInt8(ascii: ":") }
                    guard !colons.isEmpty else { break }
                    let start = colons[r.below(colons.count)] + 1
                    var end = start
                    if end < b.count, b[end] == UInt8(ascii: "\"") {
                        end += 1
                        while end < b.count, b[end] != UInt8(ascii: "\"") { end += 1 }
                        end = min(b.count, end + 1)
                    } else {
                        while end < b.count, !",}]".utf8.contains(b[end]) { end += 1 }
                    }
                    b.replaceSubrange(start..<end, with: Array(Self.boundaries[r.below(Self.boundaries.count)].utf8))
                }
            }
            do {
                let request = try Wire.decode(Request.self, from: b)
                decoded += 1
                for spec in request.apps ?? [] where spec.problem == nil {
                    #expect(spec.instances <= AppSpec.maximumInstances, "round \(round)")
                    #expect(spec.killTimeoutMs <= AppSpec.maximumDurationMs, "round \(round)")
                    #expect((spec.cpuQuotaPercent ?? 1) <= ResourceLimits.maximumCPUQuotaPercent, "round \(round)")
                    #expect(!spec.argv.isEmpty || spec.script.isEmpty, "round \(round)")
                }
            } catch {
                #expect(!Wire.describe(error).contains("\n"), "round \(round): \(Wire.describe(error))")
            }
        }
        #expect(decoded > Self.iterations / 20, "only \(decoded) mutated requests decoded")
    }
}
