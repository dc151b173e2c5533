import Testing

@testable import SwisorCore

/// Instants from Python's zoneinfo: `datetime(..., tzinfo=ZoneInfo("Europe/Berlin"))`.
@Suite("logs --since")
struct LogSinceTests {
    static let berlin = TimeZoneFixtures.zones("Europe/Berlin")
    static let now: Int64 = 1_795_338_000_123

    @Test(
        "durations back from now",
        arguments: [
            ("30s", 30_000 as Int64), ("10m", 600_000), ("2h", 7_200_000), ("1d", 86_400_000), ("7d", 604_800_000),
            ("1.5h", 5_400_000), ("0.5d", 43_200_000), ("500ms", 500), ("0s", 0), ("90m", 5_400_000),
        ])
    func durations(text: String, ms: Int64) throws {
        for zone in Self.berlin + [.utc] {
            #expect(try LogSince.parse(text, nowMs: Self.now, zone: zone) == Self.now - ms)
        }
    }

    @Test(
        "dates and times, local to the zone",
        arguments: [
            ("2026-11-22", 1_795_302_000_000 as Int64),
            ("2026-11-22 10:00", 1_795_338_000_000),
            ("2026-11-22T10:00", 1_795_338_000_000),
            ("2026-11-22 10:00:00", 1_795_338_000_000),
            ("2026-11-22T10:00:30.250", 1_795_338_030_250),
            ("2026-11-22 10:00:30.25", 1_795_338_030_250),
            ("2026-11-22 10:00:30.2", 1_795_338_030_200),
            ("2026-11-22 10:00:30.2509", 1_795_338_030_250),
            ("2024-02-29", 1_709_161_200_000),
        ])
    func localTimes(text: String, ms: Int64) throws {
        for zone in Self.berlin {
            #expect(try LogSince.parse(text, nowMs: Self.now, zone: zone) == ms)
        }
    }

    @Test(
        "ISO 8601 instants name their own offset",
        arguments: [
            ("2026-11-22T10:00:00Z", 1_795_341_600_000 as Int64),
            ("2026-11-22T10:00:00z", 1_795_341_600_000),
            ("2026-11-22T10:00Z", 1_795_341_600_000),
            ("2026-11-22T10:00:00.123Z", 1_795_341_600_123),
            ("2026-11-22T10:00:00+01:00", 1_795_338_000_000),
            ("2026-11-22T10:00:00+0100", 1_795_338_000_000),
            ("2026-11-22T10:00:00+01", 1_795_338_000_000),
            ("2026-11-22 10:00:00-05:00", 1_795_359_600_000),
            ("2026-11-22T10:00:00+05:45", 1_795_320_900_000),
            ("2026-11-22T10:00:00.5-00:30", 1_795_343_400_500),
        ])
    func instants(text: String, ms: Int64) throws {
        // The zone does not matter when the text has an offset.
        for zone in Self.berlin + [.utc] + TimeZoneFixtures.zones("America/New_York") {
            #expect(try LogSince.parse(text, nowMs: Self.now, zone: zone) == ms)
        }
    }

    @Test("in UTC and New York, a local time is that zone's")
    func otherZones() throws {
        #expect(try LogSince.parse("2026-11-22 10:00", nowMs: Self.now, zone: .utc) == 1_795_341_600_000)
        for zone in TimeZoneFixtures.zones("America/New_York") {
            #expect(try LogSince.parse("2026-11-22 10:00", nowMs: Self.now, zone: zone) == 1_795_359_600_000)
        }
    }

    @Test("a skipped local time means the jump; a repeated one its first occurrence")
    func dst() throws {
        for zone in Self.berlin {
            // 02:30 on 2026-03-29 does not exist in Berlin: clocks went from 02:00 to 03:00.
            #expect(try LogSince.parse("2026-03-29 02:30", nowMs: Self.now, zone: zone) == 1_774_746_000_000)
            // 02:30 on 2026-10-25 happens twice: first in CEST.
            #expect(try LogSince.parse("2026-10-25 02:30", nowMs: Self.now, zone: zone) == 1_792_888_200_000)
            #expect(try LogSince.parse("2026-10-25T02:30+01:00", nowMs: Self.now, zone: zone) == 1_792_891_800_000)
        }
    }

    @Test(
        "what is neither a duration nor a time",
        arguments: [
            "", "10", "2026", "abc", "-5m", "+5m", "10x", "1 d", "d", "ms", "1.d", "10M", "1H", " 10m", "10m ",
            "now", "1w", "5min",
        ])
    func notDurations(text: String) {
        #expect(throws: LogSinceError.self) { try LogSince.parse(text, nowMs: Self.now, zone: .utc) }
    }

    @Test(
        "dates and times that do not exist or are badly written",
        arguments: [
            "2026-02-29", "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "2026-1-5", "2026-11-22 24:00",
            "2026-11-22 10:60", "2026-11-22 10:00:60", "2026-11-22 10", "2026-11-22 10:", "2026-11-22 1:00",
            "2026-11-22 10:00:00 extra", "2026-11-22T10:00:00+25:00", "2026-11-22T10:00:00+01:60",
            "2026-11-22T10:00:00+1", "2026-11-22T10:00:00.", "2026-11-22x", "2026-11-22 ", "2026-11-22Z",
            "2026-11-22T10:00:00ZZ", "2026/11/22", "2026-11-22  10:00",
        ])
    func badTimes(text: String) {
        #expect(throws: LogSinceError.self) { try LogSince.parse(text, nowMs: Self.now, zone: .utc) }
    }

    @Test("errors say what was expected")
    func messages() {
        #expect(
            throws: LogSinceError(
                "\"soon\" is neither a duration (such as 30s, 10m, 2h, 1d) nor a time (such as 2026-11-22, "
                    + "2026-11-22 10:00, 2026-11-22T10:00:00Z)")
        ) { try LogSince.parse("soon", nowMs: Self.now, zone: .utc) }
        #expect(throws: LogSinceError("\"2026-02-30\": day 30 is not 1 to 28")) {
            try LogSince.parse("2026-02-30", nowMs: Self.now, zone: .utc)
        }
        #expect(throws: LogSinceError("\"2026-11-22 25:00\": hour 25 is not 0 to 23")) {
            try LogSince.parse("2026-11-22 25:00", nowMs: Self.now, zone: .utc)
        }
        #expect(throws: LogSinceError("\"2026-11-22 10:00 UTC\": unexpected \" UTC\" at the end")) {
            try LogSince.parse("2026-11-22 10:00 UTC", nowMs: Self.now, zone: .utc)
        }
    }

    @Test("a duration too long to subtract is refused, not wrapped")
    func overflow() {
        #expect(throws: LogSinceError("\"106751991167d\" is too long ago")) {
            try LogSince.parse("106751991167d", nowMs: Int64.min + 1000, zone: .utc)
        }
        #expect(throws: LogSinceError.self) {
            try LogSince.parse("999999999999999999d", nowMs: Self.now, zone: .utc)
        }
    }
}

extension LogSinceTests {
    @Test("the time stamps of time: true read back as the same instant")
    func stampsReadBack() throws {
        let instants: [Int64] = [
            1_795_338_000_123, 1_782_122_096_789, 1_792_889_999_500, 1_792_890_000_000, 1_774_746_000_000, 0, -1,
        ]
        for zone in Self.berlin + TimeZoneFixtures.zones("America/New_York") + [.utc] {
            for t in instants {
                let stamp = LogDateFormat.iso8601.format(epochMs: t, in: zone)
                #expect(try LogSince.parse(stamp, nowMs: Self.now, zone: .utc) == t, "\(stamp)")
            }
        }
    }
}
