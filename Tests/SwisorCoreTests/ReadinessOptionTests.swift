import SwisorCore
import Testing

/// wait_ready, listen_timeout, watchdog_sec (issue 5) and the daemon's STATUS= summary.
struct ReadinessOptionTests {
    private typealias F = EcoFixture

    @Test func readinessOptionsAreReadWithTheirUnits() throws {
        let a = try F.app(#""script": "a", "wait_ready": true, "listen_timeout": "8s", "watchdog_sec": 30"#)
        #expect(a.waitReady == true && a.waitsForReady)
        #expect(a.listenTimeoutMs == 8000 && a.readyTimeoutMs == 8000)
        #expect(a.watchdogMs == 30_000)
        #expect(a.speaksNotify)
        #expect(try F.app(#""script": "a", "watchdog_sec": 0.5"#).watchdogMs == 500)
        #expect(try F.app(#""script": "a", "watchdog_sec": "1m""#).watchdogMs == 60_000)
        #expect(try F.app(#""script": "a", "listen_timeout": 1500"#).listenTimeoutMs == 1500)
        // 0 is "off", as systemd's WatchdogSec=0.
        #expect(try F.app(#""script": "a", "watchdog_sec": 0"#).watchdogMs == nil)
        let plain = try F.app(#""script": "a""#)
        #expect(!plain.waitsForReady && !plain.speaksNotify && plain.readyTimeoutMs == AppSpec.defaultListenTimeoutMs)
        #expect(try F.warnings(#""script": "a", "wait_ready": true, "listen_timeout": 100"#).isEmpty)
    }

    @Test func aDumpWithoutTheNewFieldsStillLoadsAndBadOnesAreNamed() throws {
        var spec = AppSpec(name: "a", script: "/bin/true", cwd: "/")
        #expect(spec.problem == nil)
        spec.watchdogMs = 5
        #expect(spec.problem == "watchdog_ms: expected at least 100 or null, found 5")
        spec.watchdogMs = nil
        spec.listenTimeoutMs = 0
        #expect(spec.problem == "listen_timeout_ms: expected a positive integer or null, found 0")
    }

    @Test func statusSummaryCountsInStatusOrder() {
        #expect(AppStatus.summary([]) == "no apps")
        #expect(AppStatus.summary([.errored, .online, .online, .stopped, .online]) == "3 online, 1 stopped, 1 errored")
        #expect(AppStatus.summary([.waitingRestart, .launching]) == "1 launching, 1 waiting restart")
    }
}
