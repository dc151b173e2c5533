import Testing

@testable import SwisorCore

private let utc = TimeZoneFixtures.utc
private let show = TimeZoneFixtures.show

/// Expected instants below were worked out by hand from calendars printed with `date -u`,
/// and, for the DST cases, with `TZ=Europe/Berlin date -u -d '...'` (GNU date, glibc) and
/// `zdump -v -c 2026,2027 Europe/Berlin America/New_York`: never with the code under test.
@Suite("Cron expressions: next fire time")
struct CronScheduleTests {
    // (expression, after, expected next fire), all UTC.
    static let utcCases: [(String, String, String)] = [
        // Month ends.
        ("0 0 1 * *", "2026-01-31 12:00:00", "2026-02-01 00:00:00"),
        ("0 12 31 * *", "2026-01-31 12:00:00", "2026-03-31 12:00:00"),
        ("0 12 31 * *", "2026-03-31 12:00:00", "2026-05-31 12:00:00"),
        ("0 0 30 * *", "2026-01-30 00:00:00", "2026-03-30 00:00:00"),
        ("0 0 29 * *", "2026-01-29 00:00:00", "2026-03-29 00:00:00"),
        ("0 0 29 * *", "2028-01-29 00:00:00", "2028-02-29 00:00:00"),
        ("59 23 31 12 *", "2026-06-01 00:00:00", "2026-12-31 23:59:00"),
        ("59 23 31 12 *", "2026-12-31 23:59:00", "2027-12-31 23:59:00"),
        ("0 0 1 1 *", "2026-12-31 23:59:59", "2027-01-01 00:00:00"),
        // Leap days, and 2100 is not a leap year.
        ("0 0 29 2 *", "2025-01-01 00:00:00", "2028-02-29 00:00:00"),
        ("0 0 29 2 *", "2028-02-29 00:00:00", "2032-02-29 00:00:00"),
        ("0 0 29 2 *", "2096-03-01 00:00:00", "2104-02-29 00:00:00"),
        ("0 0 28-29 2 *", "2026-02-28 00:00:00", "2027-02-28 00:00:00"),
        ("0 0 28-29 2 *", "2028-02-28 00:00:00", "2028-02-29 00:00:00"),
        // Strictly after; seconds carry into minutes, hours, days, months, years.
        ("30 2 * * *", "2026-05-10 02:30:00", "2026-05-11 02:30:00"),
        ("30 2 * * *", "2026-05-10 02:29:59", "2026-05-10 02:30:00"),
        ("* * * * *", "2026-05-10 02:29:00", "2026-05-10 02:30:00"),
        ("* * * * *", "2026-05-10 02:29:01", "2026-05-10 02:30:00"),
        ("*/15 * * * * *", "2026-01-01 00:00:07", "2026-01-01 00:00:15"),
        ("*/15 * * * * *", "2026-01-01 00:00:45", "2026-01-01 00:01:00"),
        ("*/15 * * * * *", "2026-12-31 23:59:45", "2027-01-01 00:00:00"),
        ("*/2 * * * * *", "2026-01-01 00:00:00", "2026-01-01 00:00:02"),
        ("5,35 30 2 * * *", "2026-01-01 02:30:05", "2026-01-01 02:30:35"),
        ("5,35 30 2 * * *", "2026-01-01 02:30:35", "2026-01-02 02:30:05"),
        ("5/15 * * * *", "2026-01-01 00:00:00", "2026-01-01 00:05:00"),
        ("5/15 * * * *", "2026-01-01 00:50:00", "2026-01-01 01:05:00"),
        ("10-50/10 * * * *", "2026-01-01 00:50:00", "2026-01-01 01:10:00"),
        ("0 9-17/4 * * *", "2026-01-01 13:00:00", "2026-01-01 17:00:00"),
        ("0 9-17/4 * * *", "2026-01-01 17:00:00", "2026-01-02 09:00:00"),
        // Names (2026-01-09 is a Friday, 2026-01-12 a Monday).
        ("0 9 * * MON-FRI", "2026-01-09 09:00:00", "2026-01-12 09:00:00"),
        ("0 9 * * mon-fri", "2026-01-08 10:00:00", "2026-01-09 09:00:00"),
        ("0 0 1 jun,DEC *", "2026-01-01 00:00:00", "2026-06-01 00:00:00"),
        ("0 0 1 jun,DEC *", "2026-06-01 00:00:00", "2026-12-01 00:00:00"),
        ("0 0 * * 7", "2026-01-05 00:00:00", "2026-01-11 00:00:00"),
        ("0 0 * * SUN", "2026-01-05 00:00:00", "2026-01-11 00:00:00"),
        // Day of month OR day of week when both are restricted (crontab(5)).
        ("0 0 13 * FRI", "2026-01-01 00:00:00", "2026-01-02 00:00:00"),
        ("0 0 13 * FRI", "2026-01-09 00:00:00", "2026-01-13 00:00:00"),
        ("0 0 1 * MON", "2026-01-31 00:00:00", "2026-02-01 00:00:00"),
        ("0 0 1 * MON", "2026-02-01 00:00:00", "2026-02-02 00:00:00"),
        ("0 0 30 2 MON", "2026-02-01 00:00:00", "2026-02-02 00:00:00"),
        // ... and AND when one begins with '*': odd days that are Mondays.
        ("0 0 */2 * MON", "2026-01-01 00:00:00", "2026-01-05 00:00:00"),
        ("0 0 */2 * MON", "2026-01-05 00:00:00", "2026-01-19 00:00:00"),
        ("0 0 13 * *", "2026-01-01 00:00:00", "2026-01-13 00:00:00"),
        ("0 0 * * FRI", "2026-01-03 00:00:00", "2026-01-09 00:00:00"),
        ("0 0 13 * ?", "2026-01-01 00:00:00", "2026-01-13 00:00:00"),
        // Nicknames (2026-01-07 is a Wednesday, 2026-01-11 a Sunday).
        ("@yearly", "2026-06-01 00:00:00", "2027-01-01 00:00:00"),
        ("@annually", "2026-01-01 00:00:00", "2027-01-01 00:00:00"),
        ("@monthly", "2026-12-15 00:00:00", "2027-01-01 00:00:00"),
        ("@weekly", "2026-01-07 00:00:00", "2026-01-11 00:00:00"),
        ("@daily", "2026-02-28 13:00:00", "2026-03-01 00:00:00"),
        ("@midnight", "2028-02-28 13:00:00", "2028-02-29 00:00:00"),
        ("@hourly", "2026-01-01 00:59:59", "2026-01-01 01:00:00"),
        ("@hourly", "2026-12-31 23:00:00", "2027-01-01 00:00:00"),
        // Before 1970.
        ("0 0 1 1 *", "1969-06-01 00:00:00", "1970-01-01 00:00:00"),
        ("0 0 29 2 *", "1960-03-01 00:00:00", "1964-02-29 00:00:00"),
    ]

    @Test("UTC: month ends, leap days, names, nicknames, OR rule", arguments: utcCases)
    func nextFireUTC(expression: String, after: String, expected: String) throws {
        let e = try CronExpression.parse(expression)
        for zone in TimeZoneFixtures.zones("UTC") {
            #expect(show(e.nextFire(after: utc(after), in: zone)) == expected)
        }
    }

    @Test("a sequence of fires: the 13th or Fridays in early 2026")
    func sequence() throws {
        let e = try CronExpression.parse("0 0 13 * FRI")
        var t = utc("2026-01-01 00:00:00")
        var fires: [String] = []
        for _ in 0..<9 {
            t = try #require(e.nextFire(after: t, in: .utc))
            fires.append(String(show(t).prefix(10)))
        }
        #expect(
            fires == [
                "2026-01-02", "2026-01-09", "2026-01-13", "2026-01-16", "2026-01-23", "2026-01-30", "2026-02-06",
                "2026-02-13", "2026-02-20",
            ])
    }

    // (zone, expression, after, expected): after and expected are UTC; comments give the
    // local wall times. Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST at 01:00 UTC;
    // 2026-10-25 03:00 CEST -> 02:00 CET at 01:00 UTC, so 02:00-02:59 occurs twice.
    // America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT at 07:00 UTC; 2026-11-01 02:00
    // EDT -> 01:00 EST at 06:00 UTC, so 01:00-01:59 occurs twice.
    static let dstCases: [(String, String, String, String)] = [
        // Berlin, spring forward: a fixed 02:30 fires at the end of the gap (03:00 CEST).
        ("Europe/Berlin", "30 2 * * *", "2026-03-28 12:00:00", "2026-03-29 01:00:00"),
        ("Europe/Berlin", "30 2 * * *", "2026-03-29 01:00:00", "2026-03-30 00:30:00"),  // 02:30 CEST
        ("Europe/Berlin", "0 30 2 * * *", "2026-03-28 12:00:00", "2026-03-29 01:00:00"),
        ("Europe/Berlin", "0,30 2 * * *", "2026-03-28 12:00:00", "2026-03-29 01:00:00"),  // both, once
        ("Europe/Berlin", "0,30 2 * * *", "2026-03-29 01:00:00", "2026-03-30 00:00:00"),  // 02:00 CEST
        ("Europe/Berlin", "0 2 29 3 *", "2026-01-01 00:00:00", "2026-03-29 01:00:00"),
        ("Europe/Berlin", "0 3 * * *", "2026-03-28 12:00:00", "2026-03-29 01:00:00"),  // 03:00 CEST
        ("Europe/Berlin", "30 3 * * *", "2026-03-28 12:00:00", "2026-03-29 01:30:00"),  // 03:30 CEST
        ("Europe/Berlin", "59 1 * * *", "2026-03-28 12:00:00", "2026-03-29 00:59:00"),  // 01:59 CET
        // ... a wildcard job follows the clock: no run for the skipped wall times.
        ("Europe/Berlin", "0 * * * *", "2026-03-29 00:30:00", "2026-03-29 01:00:00"),  // 01:30 CET -> 03:00 CEST
        ("Europe/Berlin", "30 * * * *", "2026-03-29 00:45:00", "2026-03-29 01:30:00"),  // -> 03:30 CEST
        ("Europe/Berlin", "*/20 2 * * *", "2026-03-28 12:00:00", "2026-03-30 00:00:00"),  // 02:00 CEST next day
        // Berlin, fall back: a fixed 02:30 fires once, at the first (CEST) occurrence.
        ("Europe/Berlin", "30 2 * * *", "2026-10-24 12:00:00", "2026-10-25 00:30:00"),  // 02:30 CEST
        ("Europe/Berlin", "30 2 * * *", "2026-10-25 00:30:00", "2026-10-26 01:30:00"),  // 02:30 CET next day
        ("Europe/Berlin", "30 2 * * *", "2026-10-25 01:10:00", "2026-10-26 01:30:00"),  // from 02:10 CET
        ("Europe/Berlin", "30 2 * * *", "2026-10-25 00:45:00", "2026-10-26 01:30:00"),  // from 02:45 CEST
        ("Europe/Berlin", "0 2 * * *", "2026-10-24 23:59:59", "2026-10-25 00:00:00"),  // 02:00 CEST
        ("Europe/Berlin", "0 2 * * *", "2026-10-25 00:00:00", "2026-10-26 01:00:00"),  // 02:00 CET next day
        ("Europe/Berlin", "0 3 * * *", "2026-10-24 12:00:00", "2026-10-25 02:00:00"),  // 03:00 CET
        ("Europe/Berlin", "15 2,3 * * *", "2026-10-25 00:15:00", "2026-10-25 02:15:00"),  // -> 03:15 CET
        ("Europe/Berlin", "*/20 30 2 * * *", "2026-10-25 00:30:20", "2026-10-25 00:30:40"),
        ("Europe/Berlin", "*/20 30 2 * * *", "2026-10-25 00:30:40", "2026-10-26 01:30:00"),
        // ... a wildcard job fires in both occurrences.
        ("Europe/Berlin", "0 * * * *", "2026-10-24 23:30:00", "2026-10-25 00:00:00"),  // 02:00 CEST
        ("Europe/Berlin", "0 * * * *", "2026-10-25 00:00:00", "2026-10-25 01:00:00"),  // 02:00 CET
        ("Europe/Berlin", "0 * * * *", "2026-10-25 01:00:00", "2026-10-25 02:00:00"),  // 03:00 CET
        ("Europe/Berlin", "30 * * * *", "2026-10-25 00:30:00", "2026-10-25 01:30:00"),  // 02:30 CET
        ("Europe/Berlin", "*/30 2 * * *", "2026-10-25 00:30:00", "2026-10-25 01:00:00"),  // 02:00 CET
        ("Europe/Berlin", "*/30 2 * * *", "2026-10-25 01:00:00", "2026-10-25 01:30:00"),  // 02:30 CET
        ("Europe/Berlin", "*/30 2 * * *", "2026-10-25 01:30:00", "2026-10-26 01:00:00"),  // 02:00 CET next day
        // Berlin 2040: past the transition table, from the footer rule.
        ("Europe/Berlin", "30 2 * * *", "2040-03-24 12:00:00", "2040-03-25 01:00:00"),
        ("Europe/Berlin", "30 2 * * *", "2040-03-25 01:00:00", "2040-03-26 00:30:00"),
        ("Europe/Berlin", "30 2 * * *", "2040-10-27 12:00:00", "2040-10-28 00:30:00"),
        ("Europe/Berlin", "30 2 * * *", "2040-10-28 00:30:00", "2040-10-29 01:30:00"),
        // New York, spring forward: 02:30 does not exist on 2026-03-08.
        ("America/New_York", "30 2 * * *", "2026-03-07 12:00:00", "2026-03-08 07:00:00"),  // 03:00 EDT
        ("America/New_York", "30 2 * * *", "2026-03-08 07:00:00", "2026-03-09 06:30:00"),  // 02:30 EDT
        ("America/New_York", "@daily", "2026-03-08 05:00:00", "2026-03-09 04:00:00"),  // 00:00 EST -> 00:00 EDT
        ("America/New_York", "30 * * * *", "2026-03-08 06:45:00", "2026-03-08 07:30:00"),  // 01:45 EST -> 03:30 EDT
        // New York, fall back: 02:30 occurs once (EST); 01:30 twice, fired once (EDT).
        ("America/New_York", "30 2 * * *", "2026-10-31 12:00:00", "2026-11-01 07:30:00"),  // 02:30 EST
        ("America/New_York", "30 2 * * *", "2026-10-31 06:00:00", "2026-10-31 06:30:00"),  // 02:30 EDT
        ("America/New_York", "30 1 * * *", "2026-10-31 12:00:00", "2026-11-01 05:30:00"),  // 01:30 EDT
        ("America/New_York", "30 1 * * *", "2026-11-01 05:30:00", "2026-11-02 06:30:00"),  // 01:30 EST next day
        ("America/New_York", "30 * * * *", "2026-11-01 05:30:00", "2026-11-01 06:30:00"),  // 01:30 EST
        // Lord Howe: a half-hour change. 2026-10-04 02:00 -> 02:30 (+11) at 15:30 UTC the
        // day before; 2026-04-05 02:00 (+11) -> 01:30 (+1030) at 15:00 UTC the day before.
        ("Australia/Lord_Howe", "15 2 * * *", "2026-10-03 12:00:00", "2026-10-03 15:30:00"),  // 02:30 +11
        ("Australia/Lord_Howe", "15 2 * * *", "2026-10-03 15:30:00", "2026-10-04 15:15:00"),  // 02:15 +11
        ("Australia/Lord_Howe", "45 1 * * *", "2026-04-04 12:00:00", "2026-04-04 14:45:00"),  // 01:45 +11
        ("Australia/Lord_Howe", "45 1 * * *", "2026-04-04 14:45:00", "2026-04-05 15:15:00"),  // 01:45 +1030 next day
        ("Australia/Lord_Howe", "45 * * * *", "2026-04-04 14:45:00", "2026-04-04 15:15:00"),  // 01:45 +1030
    ]

    @Test("DST changes in named zones", arguments: dstCases)
    func nextFireDST(zone: String, expression: String, after: String, expected: String) throws {
        let e = try CronExpression.parse(expression)
        for rules in TimeZoneFixtures.zones(zone) {
            #expect(show(e.nextFire(after: utc(after), in: rules)) == expected)
        }
    }

    // Every fire in 2026, counted: a fixed daily time fires every day exactly once; a
    // wildcard job loses the skipped hour and gains the repeated one.
    static let yearCounts: [(String, String, Int)] = [
        ("Europe/Berlin", "30 2 * * *", 365),
        ("Europe/Berlin", "0 2 * * *", 365),
        ("Europe/Berlin", "0 * * * *", 365 * 24),
        ("Europe/Berlin", "*/15 * * * *", 365 * 96),
        ("Europe/Berlin", "*/20 2 * * *", 365 * 3 - 3 + 3),
        // Fixed minute and hour: the four skipped seconds of the spring day fire together.
        ("Europe/Berlin", "*/15 30 2 * * *", (365 - 1) * 4 + 1),
        ("America/New_York", "30 1 * * *", 365),
        ("America/New_York", "30 2 * * *", 365),
        ("America/New_York", "* 1 * * *", 365 * 60 + 60),
        ("UTC", "0 */10 * * * *", 365 * 24 * 6),
    ]

    @Test("fires over a whole year", arguments: yearCounts)
    func yearOfFires(zone: String, expression: String, count: Int) throws {
        let e = try CronExpression.parse(expression)
        let end = utc("2027-01-01 00:00:00")
        for rules in TimeZoneFixtures.zones(zone) {
            let start = rules.resolve(local: utc("2026-01-01 00:00:00"))
            guard case .unique(let first) = start else {
                Issue.record("2026-01-01 00:00 should exist")
                return
            }
            var t = first - 1
            var fires = 0
            // Up to local midnight of 2027-01-01 (no DST change near it in these zones).
            while let next = e.nextFire(after: t, in: rules), next < end - Int64(rules.offset(atUTC: end)) {
                #expect(next > t)
                t = next
                fires += 1
            }
            #expect(fires == count, "\(expression) in \(zone)")
        }
    }

    @Test("no fire beyond any plausible clock")
    func farFuture() throws {
        let e = try CronExpression.parse("* * * * *")
        #expect(e.nextFire(after: 1 << 50, in: .utc) == nil)
        #expect(e.nextFire(after: Int64.min, in: .utc) == nil)
        #expect(e.nextFire(after: Int64.max, in: .utc) == nil)
    }
}
