import Testing

@testable import SwisorCore

private let utc = TimeZoneFixtures.utc
private let show = TimeZoneFixtures.show

/// Expected offsets and transitions come from the machine's glibc and tzdata: `TZ=... date
/// -d @N +%::z%Z`, `zdump -v`, and Python's time.localtime under TZ=<rule> (which is glibc's
/// own POSIX rule code), never from the code under test.
@Suite("Time zone rules")
struct TimeZoneRulesTests {
    @Test(
        "civil time against date -u",
        arguments: [
            ("1970-01-01 00:00:00", 0 as Int64, 4),
            ("1969-12-31 23:59:59", -1, 3),
            ("2000-02-29 12:34:56", 951_827_696, 2),
            ("1900-03-01 00:00:00", -2_203_891_200, 4),
            ("2100-03-01 00:00:00", 4_107_542_400, 1),
            ("2038-01-19 03:14:08", 2_147_483_648, 2),
            ("0001-01-01 00:00:00", -62_135_596_800, 1),
            ("2026-03-29 01:00:00", 1_774_746_000, 0),
            ("1600-02-29 00:00:00", -11_670_998_400, 2),
        ])
    func civilTime(text: String, seconds: Int64, weekday: Int) {
        let civil = CivilTime(secondsSinceEpoch: seconds)
        #expect(civil.description == text)
        #expect(civil.secondsSinceEpoch == seconds)
        #expect(civil.weekday == weekday)
        #expect(utc(text) == seconds)
    }

    @Test("civil time carries out-of-range fields")
    func civilCarry() {
        func normalized(_ c: CivilTime) -> String { CivilTime(secondsSinceEpoch: c.secondsSinceEpoch).description }
        #expect(normalized(CivilTime(year: 2026, month: 12, day: 31, hour: 24)) == "2027-01-01 00:00:00")
        #expect(normalized(CivilTime(year: 2026, month: 13, day: 1)) == "2027-01-01 00:00:00")
        #expect(normalized(CivilTime(year: 2026, month: 0, day: 1)) == "2025-12-01 00:00:00")
        #expect(normalized(CivilTime(year: 2026, month: -11, day: 1)) == "2025-01-01 00:00:00")
        #expect(normalized(CivilTime(year: 2028, month: 2, day: 30)) == "2028-03-01 00:00:00")
        #expect(CivilTime(year: 2026, month: 1, day: 1) < CivilTime(year: 2026, month: 1, day: 1, second: 1))
    }

    @Test("the embedded files decode to the real sizes")
    func fixtures() {
        #expect(TimeZoneFixtures.berlin.count == 2298)
        #expect(TimeZoneFixtures.newYork.count == 3552)
        #expect(TimeZoneFixtures.decodeBase64("aGVsbG8=") == Array("hello".utf8))
    }

    // (zone, instant, offset, abbreviation) from `TZ=zone date -d @instant +%::z%Z`.
    static let fileOffsets: [(String, Int64, Int32, String)] = [
        ("Europe/Berlin", -6_942_499_200, 3208, "LMT"),  // 1750, before the first transition
        ("Europe/Berlin", -2_422_054_409, 3208, "LMT"),  // 1893-03-31 23:06:31 UTC
        ("Europe/Berlin", -2_422_054_408, 3600, "CET"),
        ("Europe/Berlin", -775_872_000, 10800, "CEMT"),  // 1945, double summer time
        ("Europe/Berlin", 331_257_600, 7200, "CEST"),  // 1980
        ("Europe/Berlin", 1_774_745_999, 3600, "CET"),  // 2026-03-29 00:59:59 UTC
        ("Europe/Berlin", 1_774_746_000, 7200, "CEST"),
        ("Europe/Berlin", 1_792_889_999, 7200, "CEST"),  // 2026-10-25 00:59:59 UTC
        ("Europe/Berlin", 1_792_890_000, 3600, "CET"),
        ("Europe/Berlin", 2_147_483_648, 3600, "CET"),  // 2038, past 32-bit time
        ("Europe/Berlin", 2_540_246_400, 7200, "CEST"),  // 2050, footer rule
        ("Europe/Berlin", 4_103_654_400, 3600, "CET"),  // 2100
        ("America/New_York", -6_942_499_200, -17762, "LMT"),
        ("America/New_York", -2_717_650_801, -17762, "LMT"),  // 1883-11-18 16:59:59 UTC
        ("America/New_York", -2_717_650_800, -18000, "EST"),
        ("America/New_York", -775_872_000, -14400, "EWT"),
        ("America/New_York", 331_257_600, -14400, "EDT"),
        ("America/New_York", 1_772_953_199, -18000, "EST"),  // 2026-03-08 06:59:59 UTC
        ("America/New_York", 1_772_953_200, -14400, "EDT"),
        ("America/New_York", 1_793_512_799, -14400, "EDT"),  // 2026-11-01 05:59:59 UTC
        ("America/New_York", 1_793_512_800, -18000, "EST"),
        ("America/New_York", 2_540_246_400, -14400, "EDT"),
        ("America/New_York", 4_103_654_400, -18000, "EST"),
    ]

    static func file(_ name: String) -> [UInt8] {
        name == "Europe/Berlin" ? TimeZoneFixtures.berlin : TimeZoneFixtures.newYork
    }

    @Test("offsets and names from real TZif files", arguments: fileOffsets)
    func fileOffset(zone: String, instant: Int64, offset: Int32, abbreviation: String) throws {
        let rules = try TimeZoneRules(tzif: Self.file(zone))
        #expect(rules.offset(atUTC: instant) == offset)
        #expect(rules.abbreviation(atUTC: instant) == abbreviation)
        #expect(rules.localTime(atUTC: instant) == instant + Int64(offset))
    }

    @Test("transitions from the table and from the footer, as zdump lists them")
    func fileTransitions() throws {
        let berlin = try TimeZoneRules(tzif: TimeZoneFixtures.berlin)
        let spring = TimeZoneRules.Transition(at: utc("2026-03-29 01:00:00"), offsetBefore: 3600, offsetAfter: 7200)
        let fall = TimeZoneRules.Transition(at: utc("2026-10-25 01:00:00"), offsetBefore: 7200, offsetAfter: 3600)
        #expect(berlin.nextTransition(after: utc("2026-01-01 00:00:00")) == spring)
        #expect(berlin.nextTransition(after: spring.at - 1) == spring)
        #expect(berlin.nextTransition(after: spring.at) == fall)
        #expect(berlin.lastTransition(atOrBefore: spring.at) == spring)
        #expect(berlin.lastTransition(atOrBefore: spring.at - 1)?.at == utc("2025-10-26 01:00:00"))
        #expect(berlin.lastTransition(atOrBefore: utc("2026-07-01 00:00:00")) == spring)
        // 2040 is past the table (it ends in 2037): the footer rule answers.
        let spring2040 = TimeZoneRules.Transition(
            at: utc("2040-03-25 01:00:00"), offsetBefore: 3600, offsetAfter: 7200)
        let fall2040 = TimeZoneRules.Transition(at: utc("2040-10-28 01:00:00"), offsetBefore: 7200, offsetAfter: 3600)
        #expect(berlin.nextTransition(after: utc("2040-01-01 00:00:00")) == spring2040)
        #expect(berlin.nextTransition(after: spring2040.at) == fall2040)
        #expect(berlin.lastTransition(atOrBefore: utc("2040-12-31 00:00:00")) == fall2040)
        #expect(berlin.lastTransition(atOrBefore: fall2040.at - 1) == spring2040)
        // The first transition ever: LMT to CET.
        #expect(
            berlin.lastTransition(atOrBefore: utc("1893-06-01 00:00:00"))
                == .init(at: -2_422_054_408, offsetBefore: 3208, offsetAfter: 3600))
        #expect(berlin.lastTransition(atOrBefore: -2_422_054_409) == nil)

        let newYork = try TimeZoneRules(tzif: TimeZoneFixtures.newYork)
        #expect(
            newYork.nextTransition(after: utc("2026-01-01 00:00:00"))
                == .init(at: utc("2026-03-08 07:00:00"), offsetBefore: -18000, offsetAfter: -14400))
        #expect(
            newYork.nextTransition(after: utc("2040-06-01 00:00:00"))
                == .init(at: utc("2040-11-04 06:00:00"), offsetBefore: -14400, offsetAfter: -18000))
    }

    @Test(
        "the footer rule alone agrees with the table, and the table hands over to it",
        arguments: [
            ("Europe/Berlin", TimeZoneFixtures.berlinRule, "1997-01-01 00:00:00"),
            ("America/New_York", TimeZoneFixtures.newYorkRule, "2008-01-01 00:00:00"),
        ])
    func ruleMatchesTable(zone: String, rule: String, since: String) throws {
        let file = try TimeZoneRules(tzif: Self.file(zone))
        let posix = try TimeZoneRules(posixTZ: rule)
        var t = utc(since)
        var count = 0
        while true {
            let a = try #require(file.nextTransition(after: t))
            if a.at >= utc("2060-01-01 00:00:00") { break }
            #expect(posix.nextTransition(after: t) == a, "\(zone) after \(show(t))")
            #expect(posix.lastTransition(atOrBefore: a.at) == a)
            #expect(file.lastTransition(atOrBefore: a.at) == a)
            t = a.at
            count += 1
        }
        #expect(count == 2 * (2060 - Int(since.prefix(4))!))
    }

    /// The header counts of a TZif file's first block, to cut or patch real files.
    static func firstBlockEnd(_ bytes: [UInt8]) -> Int {
        func count(_ i: Int) -> Int { bytes[(20 + 4 * i)..<(24 + 4 * i)].reduce(0) { $0 << 8 | Int($1) } }
        let (isut, isstd, leap, time, type, char) = (count(0), count(1), count(2), count(3), count(4), count(5))
        return 44 + time * 5 + type * 6 + char + leap * 8 + isstd + isut
    }

    @Test("version 1 data: 32-bit times, no footer")
    func versionOne() throws {
        var bytes = Array(TimeZoneFixtures.berlin[..<Self.firstBlockEnd(TimeZoneFixtures.berlin)])
        bytes[4] = 0
        let rules = try TimeZoneRules(tzif: bytes)
        #expect(rules.offset(atUTC: 1_774_745_999) == 3600)
        #expect(rules.offset(atUTC: 1_774_746_000) == 7200)
        #expect(rules.abbreviation(atUTC: 331_257_600) == "CEST")
        // Without a footer the last type (CET, 2037-10-25) goes on for ever.
        #expect(rules.offset(atUTC: 2_540_246_400) == 3600)
        #expect(rules.nextTransition(after: utc("2038-01-01 00:00:00")) == nil)
    }

    @Test("versions 3 and 4 read like 2")
    func laterVersions() throws {
        let two = try TimeZoneRules(tzif: TimeZoneFixtures.newYork)
        for version in ["3", "4"] {
            var bytes = TimeZoneFixtures.newYork
            bytes[4] = UInt8(ascii: Unicode.Scalar(version)!)
            bytes[Self.firstBlockEnd(bytes) + 4] = bytes[4]
            #expect(try TimeZoneRules(tzif: bytes) == two)
        }
    }

    /// A version 2 file with an empty-ish first block, built by hand.
    static func tzif(
        times: [Int64] = [], indexes: [UInt8] = [], types: [(Int32, UInt8, UInt8)], chars: String,
        leaps: Int = 0, footer: String
    ) -> [UInt8] {
        func be(_ v: UInt64, _ n: Int) -> [UInt8] {
            (0..<n).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        }
        func header(_ counts: [Int]) -> [UInt8] {
            Array("TZif2".utf8) + [UInt8](repeating: 0, count: 15) + counts.flatMap { be(UInt64($0), 4) }
        }
        var out = header([0, 0, 0, 0, 1, 1]) + [0, 0, 0, 0, 0, 0, 0]
        out += header([0, 0, leaps, times.count, types.count, chars.utf8.count])
        out += times.flatMap { be(UInt64(bitPattern: $0), 8) } + indexes
        out += types.flatMap { be(UInt64(UInt32(bitPattern: $0.0)), 4) + [$0.1, $0.2] }
        out += Array(chars.utf8) + [UInt8](repeating: 0, count: leaps * 12)
        return out + Array("\n\(footer)\n".utf8)
    }

    @Test("files without transitions use the footer for every instant")
    func footerOnly() throws {
        let tehran = try TimeZoneRules(
            tzif: Self.tzif(types: [(12600, 0, 0)], chars: "+0330\0", footer: "<+0330>-3:30"))
        #expect(tehran.offset(atUTC: 0) == 12600)
        #expect(tehran.abbreviation(atUTC: 0) == "+0330")
        #expect(tehran.nextTransition(after: 0) == nil)

        // An empty footer: type 0 for ever.
        let fixed = try TimeZoneRules(tzif: Self.tzif(types: [(-3600, 0, 0)], chars: "-01\0", footer: ""))
        #expect(fixed.offset(atUTC: 2_000_000_000) == -3600)

        // A rule in the footer with no table: the rule for every instant.
        let slimBerlin = try TimeZoneRules(
            tzif: Self.tzif(types: [(3600, 0, 0)], chars: "CET\0", footer: TimeZoneFixtures.berlinRule))
        #expect(slimBerlin.offset(atUTC: 1_774_746_000) == 7200)
        #expect(slimBerlin == (try TimeZoneRules(posixTZ: TimeZoneFixtures.berlinRule)))
    }

    static let badFiles: [([UInt8], String)] = [
        ([], "time zone data: not a TZif file (no \"TZif\" magic)"),
        (Array("# not zoneinfo\n".utf8), "time zone data: not a TZif file (no \"TZif\" magic)"),
        (Array(TimeZoneFixtures.berlin.prefix(60)), "time zone data: truncated after 60 bytes"),
        (Array(TimeZoneFixtures.berlin.prefix(2000)), "time zone data: truncated after 2000 bytes"),
        (Array("TZif1".utf8) + [UInt8](repeating: 0, count: 39), "time zone data: unknown TZif version byte 49"),
        (tzif(types: [], chars: "", footer: ""), "time zone data: no local time types"),
        (
            tzif(times: [0], indexes: [1], types: [(0, 0, 0)], chars: "UTC\0", footer: ""),
            "time zone data: transition to local time type 1 of 1"
        ),
        (
            tzif(times: [5, 5], indexes: [0, 0], types: [(0, 0, 0)], chars: "UTC\0", footer: ""),
            "time zone data: transition times are not in ascending order"
        ),
        (
            tzif(types: [(0, 0, 9)], chars: "UTC\0", footer: ""),
            "time zone data: invalid local time type"
        ),
        (
            tzif(types: [(0, 0, 0)], chars: "UTC\0", leaps: 1, footer: ""),
            "time zone data: leap-second zones (\"right/\" files) are not supported"
        ),
        (
            tzif(types: [(3600, 0, 0)], chars: "CET\0", footer: "CET-1CEST,M3.5.0"),
            "time zone data: footer: TZ rule \"CET-1CEST,M3.5.0\": expected ',' before the end of daylight saving time"
        ),
        (
            Array(tzif(types: [(0, 0, 0)], chars: "UTC\0", footer: "UTC0").dropLast()),
            "time zone data: footer does not end with a newline"
        ),
    ]

    @Test("bad files", arguments: badFiles)
    func badFile(bytes: [UInt8], message: String) {
        #expect(throws: TimeZoneError(message)) { try TimeZoneRules(tzif: bytes) }
    }

    // (rule, transition instant, offset before, offset after) from glibc, for 2026 and 2028:
    // southern hemisphere, half-hour and 45-minute offsets, negative and > 24 h rule times,
    // Jn and zero-based n dates (with and without a leap day), negative DST (Dublin).
    static let ruleTransitions: [(String, Int64, Int32, Int32)] = [
        ("CET-1CEST,M3.5.0,M10.5.0/3", 1_774_746_000, 3600, 7200),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 1_792_890_000, 7200, 3600),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 1_837_645_200, 3600, 7200),
        ("CET-1CEST,M3.5.0,M10.5.0/3", 1_856_394_000, 7200, 3600),
        ("EST5EDT,M3.2.0,M11.1.0", 1_772_953_200, -18000, -14400),
        ("EST5EDT,M3.2.0,M11.1.0", 1_793_512_800, -14400, -18000),
        ("EST5EDT,M3.2.0,M11.1.0", 1_836_457_200, -18000, -14400),
        ("EST5EDT,M3.2.0,M11.1.0", 1_857_016_800, -14400, -18000),
        ("EST5EDT", 1_772_953_200, -18000, -14400),
        ("EST5EDT", 1_793_512_800, -14400, -18000),
        ("AEST-10AEDT,M10.1.0,M4.1.0/3", 1_775_318_400, 39600, 36000),
        ("AEST-10AEDT,M10.1.0,M4.1.0/3", 1_791_043_200, 36000, 39600),
        ("AEST-10AEDT,M10.1.0,M4.1.0/3", 1_838_217_600, 39600, 36000),
        ("AEST-10AEDT,M10.1.0,M4.1.0/3", 1_853_942_400, 36000, 39600),
        ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1_775_314_800, 39600, 37800),
        ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 1_791_041_400, 37800, 39600),
        ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1_774_746_000, -7200, -3600),
        ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1_792_890_000, -3600, -7200),
        ("IST-1GMT0,M10.5.0,M3.5.0/1", 1_774_746_000, 0, 3600),
        ("IST-1GMT0,M10.5.0,M3.5.0/1", 1_792_890_000, 3600, 0),
        ("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 1_775_311_200, 49500, 45900),
        ("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 1_790_431_200, 45900, 49500),
        ("<+0330>-3:30<+0430>,J79/24,J263/24", 1_774_038_600, 12600, 16200),
        ("<+0330>-3:30<+0430>,J79/24,J263/24", 1_789_932_600, 16200, 12600),
        ("<+0330>-3:30<+0430>,J79/24,J263/24", 1_837_197_000, 12600, 16200),
        ("<+0330>-3:30<+0430>,J79/24,J263/24", 1_853_091_000, 16200, 12600),
        ("XXX3YYY,59/2,300/2", 1_772_341_200, -10800, -7200),
        ("XXX3YYY,59/2,300/2", 1_793_160_000, -7200, -10800),
        ("XXX3YYY,59/2,300/2", 1_835_413_200, -10800, -7200),
        ("XXX3YYY,59/2,300/2", 1_856_232_000, -7200, -10800),
    ]

    @Test("POSIX TZ rules against glibc", arguments: ruleTransitions)
    func ruleTransition(rule: String, at: Int64, before: Int32, after: Int32) throws {
        let rules = try TimeZoneRules(posixTZ: rule)
        #expect(rules.offset(atUTC: at - 1) == before)
        #expect(rules.offset(atUTC: at) == after)
        let transition = TimeZoneRules.Transition(at: at, offsetBefore: before, offsetAfter: after)
        #expect(rules.nextTransition(after: at - 86_400) == transition)
        #expect(rules.lastTransition(atOrBefore: at + 86_400) == transition)
    }

    @Test("POSIX TZ rules: names, no DST, DST all year")
    func ruleShapes() throws {
        let tehran = try TimeZoneRules(posixTZ: "<+0330>-3:30")
        #expect(tehran.offset(atUTC: 1_782_907_200) == 12600)
        #expect(tehran.abbreviation(atUTC: 0) == "+0330")
        #expect(tehran.nextTransition(after: 0) == nil)
        #expect(tehran.lastTransition(atOrBefore: 0) == nil)

        let sydney = try TimeZoneRules(posixTZ: "AEST-10AEDT,M10.1.0,M4.1.0/3")
        #expect(sydney.abbreviation(atUTC: 1_768_478_400) == "AEDT")
        #expect(sydney.abbreviation(atUTC: 1_782_907_200) == "AEST")

        // RFC 8536 3.3.1: DST from January 1 00:00 to December 31 24:00 + 1 h is DST all
        // year, with no transition at new year.
        let always = try TimeZoneRules(posixTZ: "EST5EDT,0/0,J365/25")
        for t in [
            utc("2026-01-01 04:59:59"), utc("2026-01-01 05:00:00"), utc("2026-07-01 00:00:00"),
            utc("2027-01-01 04:59:59"), utc("2027-01-01 05:00:00"),
        ] {
            #expect(always.offset(atUTC: t) == -14400)
        }
        #expect(always.nextTransition(after: utc("2026-06-01 00:00:00")) == nil)

        #expect(try TimeZoneRules(posixTZ: "UTC0") == TimeZoneRules(posixTZ: "UTC0"))
        #expect(TimeZoneRules.utc.offset(atUTC: 1_774_746_000) == 0)
        #expect(TimeZoneRules.utc.abbreviation(atUTC: 0) == "UTC")
        #expect(try TimeZoneRules(posixTZ: "<-0130>1:30").offset(atUTC: 0) == -5400)
        #expect(try TimeZoneRules(posixTZ: "ABC+1:02:03").offset(atUTC: 0) == -3723)
        #expect(try TimeZoneRules(posixTZ: "ABC-1DEF-3,M3.5.0,M10.5.0").offset(atUTC: 1_782_907_200) == 10800)
    }

    static let badRules: [(String, String)] = [
        ("", "TZ rule \"\": empty"),
        (":Europe/Berlin", "TZ rule \":Europe/Berlin\": names a zone file, not a rule"),
        ("CET", "TZ rule \"CET\": expected the UTC offset after \"CET\""),
        ("CE-1", "TZ rule \"CE-1\": the standard time name is shorter than 3 letters"),
        ("1CET", "TZ rule \"1CET\": expected the standard time name at \"1CET\""),
        ("<AB>1", "TZ rule \"<AB>1\": the standard time name <AB> is shorter than 3 characters"),
        ("<CET-1", "TZ rule \"<CET-1\": unterminated '<' in the standard time name"),
        ("<C T>-1", "TZ rule \"<C T>-1\": unexpected character in the standard time name"),
        ("CET-25", "TZ rule \"CET-25\": UTC offset hours 25 out of range 0-24"),
        ("CET-1:60", "TZ rule \"CET-1:60\": UTC offset minutes 60 out of range 0-59"),
        ("CET-x", "TZ rule \"CET-x\": expected a number in the UTC offset at \"x\""),
        ("CET-1CEST,M3.5.0", "TZ rule \"CET-1CEST,M3.5.0\": expected ',' before the end of daylight saving time"),
        (
            "CET-1CEST;M3.5.0",
            "TZ rule \"CET-1CEST;M3.5.0\": expected a number in the daylight saving time offset at \";M3.5.0\""
        ),
        ("CET-1CEST,M13.5.0,M10.5.0", "TZ rule \"CET-1CEST,M13.5.0,M10.5.0\": month M13 out of range 1-12"),
        ("CET-1CEST,M3.6.0,M10.5.0", "TZ rule \"CET-1CEST,M3.6.0,M10.5.0\": week 6 in M3.6 out of range 1-5"),
        ("CET-1CEST,M3.5.7,M10.5.0", "TZ rule \"CET-1CEST,M3.5.7,M10.5.0\": weekday 7 in M3.5.7 out of range 0-6"),
        ("CET-1CEST,M3,M10.5.0", "TZ rule \"CET-1CEST,M3,M10.5.0\": expected '.' after M3"),
        ("CET-1CEST,J0,J365", "TZ rule \"CET-1CEST,J0,J365\": Julian day J0 out of range J1-J365"),
        ("CET-1CEST,0,366", "TZ rule \"CET-1CEST,0,366\": day 366 out of range 0-365"),
        ("CET-1CEST,X,J365", "TZ rule \"CET-1CEST,X,J365\": expected a date (Jn, n or Mm.w.d) at \"X,J365\""),
        (
            "CET-1CEST,M3.5.0/168,M10.5.0",
            "TZ rule \"CET-1CEST,M3.5.0/168,M10.5.0\": time of day hours 168 out of range 0-167"
        ),
        ("CET-1CEST,M3.5.0,M10.5.0/3x", "TZ rule \"CET-1CEST,M3.5.0,M10.5.0/3x\": unexpected \"x\" at the end"),
        ("CET-1234", "TZ rule \"CET-1234\": too many digits in the UTC offset"),
    ]

    @Test("bad POSIX TZ rules", arguments: badRules)
    func badRule(text: String, message: String) {
        #expect(throws: TimeZoneError(message)) { try TimeZoneRules(posixTZ: text) }
    }

    @Test("wall times to instants: unique, skipped, repeated")
    func resolve() throws {
        for berlin in TimeZoneFixtures.zones("Europe/Berlin") {
            #expect(berlin.resolve(local: utc("2026-07-01 12:00:00")) == .unique(utc("2026-07-01 10:00:00")))
            #expect(berlin.resolve(local: utc("2026-03-29 01:59:59")) == .unique(utc("2026-03-29 00:59:59")))
            #expect(berlin.resolve(local: utc("2026-03-29 02:00:00")) == .skipped(gapEnd: utc("2026-03-29 01:00:00")))
            #expect(berlin.resolve(local: utc("2026-03-29 02:30:00")) == .skipped(gapEnd: utc("2026-03-29 01:00:00")))
            #expect(berlin.resolve(local: utc("2026-03-29 03:00:00")) == .unique(utc("2026-03-29 01:00:00")))
            #expect(
                berlin.resolve(local: utc("2026-10-25 02:30:00"))
                    == .repeated(first: utc("2026-10-25 00:30:00"), second: utc("2026-10-25 01:30:00")))
            #expect(
                berlin.resolve(local: utc("2026-10-25 02:00:00"))
                    == .repeated(first: utc("2026-10-25 00:00:00"), second: utc("2026-10-25 01:00:00")))
            #expect(berlin.resolve(local: utc("2026-10-25 03:00:00")) == .unique(utc("2026-10-25 02:00:00")))
            #expect(berlin.resolve(local: utc("2026-10-25 01:59:59")) == .unique(utc("2026-10-24 23:59:59")))
        }
        for newYork in TimeZoneFixtures.zones("America/New_York") {
            #expect(
                newYork.resolve(local: utc("2026-11-01 01:30:00"))
                    == .repeated(first: utc("2026-11-01 05:30:00"), second: utc("2026-11-01 06:30:00")))
            #expect(newYork.resolve(local: utc("2026-11-01 02:30:00")) == .unique(utc("2026-11-01 07:30:00")))
            #expect(newYork.resolve(local: utc("2026-03-08 02:30:00")) == .skipped(gapEnd: utc("2026-03-08 07:00:00")))
        }
        let lordHowe = TimeZoneFixtures.zones("Australia/Lord_Howe")[0]
        #expect(lordHowe.resolve(local: utc("2026-10-04 02:15:00")) == .skipped(gapEnd: utc("2026-10-03 15:30:00")))
        #expect(TimeZoneRules.utc.resolve(local: 0) == .unique(0))
        let civil = try TimeZoneRules(tzif: TimeZoneFixtures.berlin).civilTime(atUTC: utc("2026-10-25 01:30:00"))
        #expect(civil.description == "2026-10-25 02:30:00")
    }
}
