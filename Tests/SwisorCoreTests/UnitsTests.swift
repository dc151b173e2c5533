import Testing

@testable import SwisorCore

@Suite("Durations and memory sizes")
struct UnitsTests {
    static let durationCases: [(String, Int)] = [
        ("500ms", 500), ("1.5s", 1500), ("60s", 60_000), ("2m", 120_000), ("1h", 3_600_000),
        ("1500", 1500), ("0", 0), ("0s", 0), ("0.4ms", 0), ("0.5ms", 1), ("2.0005s", 2001),
        ("0.25h", 900_000), ("007s", 7000), ("9223372036854775807", Int.max),
    ]

    @Test("durations", arguments: durationCases)
    func durations(text: String, ms: Int) {
        #expect(Units.parseDuration(text) == ms)
        #expect(Units.parseDuration(JSON.string(text)) == ms)
    }

    @Test(
        "bad durations",
        arguments: [
            "", "s", "ms", "-1s", "1.s", ".5s", "1 s", " 1s", "1s ", "1S", "1MS", "1d", "1e3", "abc", "1.2.3s",
            "10x", "9223372036854775808", "9223372036854775807s", "1sec", "+5",
        ])
    func badDurations(text: String) {
        #expect(Units.parseDuration(text) == nil)
    }

    @Test(
        "durations from JSON values",
        arguments: [
            (JSON.int(100), 100 as Int?), (.double(1.5), 2), (.double(1.4), 1), (.int(0), 0), (.int(-1), nil),
            (.double(-0.5), nil), (.double(1e300), nil), (.bool(true), nil), (.null, nil), (.array([]), nil),
            (.string("2m"), 120_000),
        ])
    func jsonDurations(value: JSON, ms: Int?) {
        #expect(Units.parseDuration(value) == ms)
    }

    static let memorySizeCases: [(String, UInt64)] = [
        ("200M", 200 << 20), ("1G", 1 << 30), ("512K", 512 << 10), ("512k", 512 << 10),
        ("200MB", 200 << 20), ("200MiB", 200 << 20), ("200mb", 200 << 20), ("1gb", 1 << 30), ("1GiB", 1 << 30),
        ("1.5G", 1_610_612_736), ("0.5K", 512), ("1024", 1024), ("1024B", 1024), ("1024b", 1024), ("0", 0),
        ("1.9", 1), ("8589934591G", 8_589_934_591 << 30),
    ]

    @Test("memory sizes", arguments: memorySizeCases)
    func memorySizes(text: String, bytes: UInt64) {
        #expect(Units.parseMemorySize(text) == bytes)
        #expect(Units.parseMemorySize(JSON.string(text)) == bytes)
    }

    @Test(
        "bad memory sizes",
        arguments: ["", "M", "-1M", "1T", "1 M", "10X", "1MiBs", "1KBB", "1iB", ".5M", "1e3", "8589934592G"])
    func badMemorySizes(text: String) {
        #expect(Units.parseMemorySize(text) == nil)
    }

    @Test(
        "memory sizes from JSON values",
        arguments: [
            (JSON.int(4096), UInt64(4096) as UInt64?), (.double(1.9), 1), (.int(-1), nil), (.bool(false), nil),
            (.string("1K"), 1024), (.object([:]), nil),
        ])
    func jsonMemorySizes(value: JSON, bytes: UInt64?) {
        #expect(Units.parseMemorySize(value) == bytes)
    }
}
