import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Requests no CLI of this version would send (issue 13): values out of every bound in a
/// `start` request must be refused by the daemon itself, naming the field, with nothing
/// started and the daemon alive.
@Suite(.serialized)
struct HostileRequestTests {
    /// One request line on a fresh connection; the decoded answer.
    func send(_ h: Harness, _ object: [String: Any]) throws -> Response {
        let fd = try UnixSocket.connect(path: h.home + "/swisor.sock")
        defer { fd.close() }
        var bytes = try JSONSerialization.data(withJSONObject: object)
        bytes.append(UInt8(ascii: "\n"))
        try fd.writeAll(Array(bytes))
        var reply = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd.rawValue, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            reply += buf[0..<n]
        }
        return try JSONDecoder().decode(Response.self, from: Data(reply))
    }

    /// A valid start request for one app, as a JSON object to spoil.
    func startRequest(_ h: Harness) throws -> [String: Any] {
        let spec = AppSpec(name: "victim", script: "/bin/sleep", args: ["1000"], cwd: h.home)
        let data = try JSONEncoder().encode(Request(command: .start, apps: [spec]))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func outOfBoundsValuesAreRefusedByTheDaemonNamingTheField() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let cases: [(field: String, value: Any, message: String)] = [
            ("kill_timeout_ms", Int64.max, "kill_timeout_ms: expected at most 31622400000 (366 days), found 9223372036854775807"),
            ("restart_delay_ms", Int64.max, "restart_delay_ms: expected at most"),
            ("min_uptime_ms", Int64.max, "min_uptime_ms: expected at most"),
            ("listen_timeout_ms", Int64.max, "listen_timeout_ms: expected at most"),
            ("watchdog_ms", Int64.max, "watchdog_ms: expected at most"),
            ("exp_backoff_restart_delay_ms", Int64.max, "exp_backoff_restart_delay_ms: expected at most"),
            ("exp_backoff_max_delay_ms", Int64.max, "exp_backoff_max_delay_ms: expected at most"),
            ("instances", Int64(1) << 62, "instances: expected 1 to 1024, found 4611686018427387904"),
            ("cpu_quota_percent", Int64(1_000_000_000_000_000), "cpu_quota_percent: expected 1 to 100000"),
            ("memory_max_bytes", Int64.max, "memory_max_bytes: expected at most 1125899906842624"),
            ("max_memory_restart_bytes", Int64.max, "max_memory_restart_bytes: expected at most"),
            ("cwd", "relative/dir", "cwd: expected an absolute path, found \"relative/dir\""),
            ("out_file", "relative.log", "out_file: expected an absolute path or null"),
        ]
        for c in cases {
            var request = try startRequest(h)
            var apps = try #require(request["apps"] as? [[String: Any]])
            apps[0][c.field] = c.value
            request["apps"] = apps
            let response = try send(h, request)
            #expect(!response.ok, "\(c.field) must be refused")
            #expect(response.error?.code == .invalidApp, "\(c.field): \(String(describing: response.error))")
            #expect(response.error?.message.contains("app \"victim\": \(c.message)") == true,
                    "\(c.field): \(response.error?.message ?? "-")")
        }
        // Values of the wrong type, or that a field's decoder refuses: bad_request, naming it.
        let typeCases: [(field: String, value: Any, message: String)] = [
            ("instances", "two", "apps[0].instances: expected Int"),
            ("kill_signal", "SIGNOPE", "apps[0].kill_signal: "),
            ("env", ["A": 1], "apps[0].env.A: expected String"),
        ]
        for c in typeCases {
            var request = try startRequest(h)
            var apps = try #require(request["apps"] as? [[String: Any]])
            apps[0][c.field] = c.value
            request["apps"] = apps
            let response = try send(h, request)
            #expect(response.error?.code == .badRequest, "\(c.field): \(String(describing: response.error))")
            #expect(response.error?.message.hasPrefix(c.message) == true, "\(c.field): \(response.error?.message ?? "-")")
            #expect(response.error?.message.contains("malformed JSON") == false)
        }
        #expect(h.run(["ping"]).ok, "the daemon is alive")
        #expect(try h.list().isEmpty, "nothing started")
        // And the untouched request still works, so the refusals were about the values.
        let ok = try send(h, try startRequest(h))
        #expect(ok.ok)
        let victim = try #require(try h.app("victim"))
        h.track(try #require(victim.pid))
    }
}
