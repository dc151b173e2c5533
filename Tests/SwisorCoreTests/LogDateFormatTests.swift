import Testing

@testable import SwisorCore

/// Expected texts come from Python's zoneinfo over the machine's tzdata
/// (`datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).isoformat(timespec="milliseconds")`)
/// and from dayjs's documented tokens, never from the code under test.
@Suite("Log date formats")
struct LogDateFormatTests {
    static let berlin = TimeZoneFixtures.zones("Europe/Berlin")
    static let newYork = TimeZoneFixtures.zones("America/New_York")
    static let utcZones = TimeZoneFixtures.zones("UTC")

    /// 2026-11-22 09:00:00.123 UTC, a Sunday: 10:00 in Berlin (CET), 04:00 in New York (EST).
    static let winter: Int64 = 1_795_338_000_123
    /// 2026-06-22 09:54:56.789 UTC, a Monday: CEST and EDT.
    static let summer: Int64 = 1_782_122_096_789

    static func format(_ pattern: String, _ ms: Int64, _ zone: TimeZoneRules = .utc) throws -> String {
        try LogDateFormat(pattern).format(epochMs: ms, in: zone)
    }

    @Test(
        "every token, in UTC",
        arguments: [
            ("YYYY", "2026"), ("YY", "26"), ("M", "11"), ("MM", "11"), ("MMM", "Nov"), ("MMMM", "November"),
            ("D", "22"), ("DD", "22"), ("d", "0"), ("dd", "Su"), ("ddd", "Sun"), ("dddd", "Sunday"),
            ("H", "9"), ("HH", "09"), ("h", "9"), ("hh", "09"), ("m", "0"), ("mm", "00"), ("s", "0"),
            ("ss", "00"), ("SSS", "123"), ("Z", "+00:00"), ("ZZ", "+0000"), ("A", "AM"), ("a", "am"),
            ("X", "1795338000"), ("x", "1795338000123"),
        ])
    func tokens(pattern: String, expected: String) throws {
        for zone in Self.utcZones {
            #expect(try Self.format(pattern, Self.winter, zone) == expected, "\(pattern)")
        }
    }

    @Test(
        "single-digit forms and padding",
        arguments: [
            // 2026-01-05 03:04:05.006 UTC, a Monday.
            ("YYYY-M-D H:m:s.SSS", "2026-1-5 3:4:5.006"),
            ("YYYY-MM-DD HH:mm:ss.SSS", "2026-01-05 03:04:05.006"),
            ("h hh A a d dd ddd dddd", "3 03 AM am 1 Mo Mon Monday"),
            ("MMM MMMM", "Jan January"),
        ])
    func padding(pattern: String, expected: String) throws {
        #expect(try Self.format(pattern, 1_767_582_245_006) == expected)
    }

    @Test(
        "twelve-hour clock",
        arguments: [
            (1_767_225_600_000 as Int64, "12 12 AM am 00"),  // 00:00
            (1_767_229_200_000, "1 01 AM am 01"),  // 01:00
            (1_767_268_740_000, "11 11 AM am 11"),  // 11:59
            (1_767_268_800_000, "12 12 PM pm 12"),  // 12:00
            (1_767_272_400_000, "1 01 PM pm 13"),  // 13:00
            (1_767_308_400_000, "11 11 PM pm 23"),  // 23:00
        ])
    func twelveHour(ms: Int64, expected: String) throws {
        #expect(try Self.format("h hh A a HH", ms) == expected)
    }

    @Test(
        "ISO 8601 in Berlin, across both DST changes of 2026",
        arguments: [
            (1_795_338_000_123 as Int64, "2026-11-22T10:00:00.123+01:00"),
            (1_782_122_096_789, "2026-06-22T11:54:56.789+02:00"),
            (1_774_745_999_999, "2026-03-29T01:59:59.999+01:00"),
            (1_774_746_000_000, "2026-03-29T03:00:00.000+02:00"),
            (1_792_889_999_000, "2026-10-25T02:59:59.000+02:00"),
            (1_792_890_000_000, "2026-10-25T02:00:00.000+01:00"),
            (0, "1970-01-01T01:00:00.000+01:00"),
            (-1, "1970-01-01T00:59:59.999+01:00"),
            (1_767_225_600_000, "2026-01-01T01:00:00.000+01:00"),
        ])
    func berlinISO(ms: Int64, expected: String) {
        for zone in Self.berlin {
            #expect(LogDateFormat.iso8601.format(epochMs: ms, in: zone) == expected)
        }
    }

    @Test(
        "ISO 8601 in New York, across both DST changes of 2026",
        arguments: [
            (1_795_338_000_123 as Int64, "2026-11-22T04:00:00.123-05:00"),
            (1_782_122_096_789, "2026-06-22T05:54:56.789-04:00"),
            (1_772_953_199_999, "2026-03-08T01:59:59.999-05:00"),
            (1_772_953_200_000, "2026-03-08T03:00:00.000-04:00"),
            (1_793_512_799_000, "2026-11-01T01:59:59.000-04:00"),
            (1_793_512_800_000, "2026-11-01T01:00:00.000-05:00"),
            (0, "1969-12-31T19:00:00.000-05:00"),
            (-1, "1969-12-31T18:59:59.999-05:00"),
            (1_767_225_600_000, "2025-12-31T19:00:00.000-05:00"),
        ])
    func newYorkISO(ms: Int64, expected: String) {
        for zone in Self.newYork {
            #expect(LogDateFormat.iso8601.format(epochMs: ms, in: zone) == expected)
        }
    }

    @Test("the PM2 formats people write")
    func commonFormats() throws {
        let berlin = Self.berlin[0]
        #expect(try Self.format("YYYY-MM-DD HH:mm:ss Z", Self.winter, berlin) == "2026-11-22 10:00:00 +01:00")
        #expect(try Self.format("YYYY-MM-DD HH:mm:ss ZZ", Self.summer, berlin) == "2026-06-22 11:54:56 +0200")
        #expect(try Self.format("YYYY-MM-DDTHH:mm:ss.SSSZ", Self.winter, berlin) == "2026-11-22T10:00:00.123+01:00")
        #expect(try Self.format("YYYY-MM-DDTHH:mm:ss", Self.winter, berlin) == "2026-11-22T10:00:00")
        #expect(try Self.format("DD/MM/YYYY hh:mm A", Self.summer, berlin) == "22/06/2026 11:54 AM")
        #expect(
            try Self.format("ddd, D MMM YYYY HH:mm:ss ZZ", Self.summer, Self.newYork[0])
                == "Mon, 22 Jun 2026 05:54:56 -0400")
        #expect(try Self.format("YYYY-MM-DD HH:mm:ss.SSS", Self.winter) == "2026-11-22 09:00:00.123")
    }

    @Test(
        "literal text: unknown letters, brackets, longest tokens first",
        arguments: [
            ("[YYYY] YYYY", "YYYY 2026"),
            ("[at] HH:mm", "at 09:00"),
            ("[[x]] x", "[x] 1795338000123"),
            ("[] YYYY", "[] 2026"),  // empty brackets are literal, as in dayjs
            ("[YYYY", "[2026"),  // no closing bracket: literal '['
            ("YYYY]", "2026]"),
            ("Do", "22o"),  // moment's ordinal is not a dayjs core token
            ("YYYYY", "2026Y"),
            ("YYY", "26Y"),
            ("Y YY", "Y 26"),
            ("SS S YYYY", "SS S 2026"),
            ("MMMMM", "November11"),
            ("ddddd", "Sunday0"),
            ("HHH", "099"),
            ("ZZZ", "+0000+00:00"),
            ("T W Q k é 日本 YYYY", "T W Q k é 日本 2026"),
            ("YYYY-MM-DD_HH-mm-ss", "2026-11-22_09-00-00"),
        ])
    func literals(pattern: String, expected: String) throws {
        #expect(try Self.format(pattern, Self.winter) == expected)
    }

    @Test("patterns that could never show a time are refused", arguments: ["", "true", "[YYYY-MM-DD]", "---", "é"])
    func refused(pattern: String) {
        #expect(throws: LogDateFormatError.self) { try LogDateFormat(pattern) }
    }

    @Test("the refusal says why")
    func refusalMessages() {
        #expect(throws: LogDateFormatError("log date format is empty")) { try LogDateFormat("") }
        #expect(
            throws: LogDateFormatError(
                "log date format \"true\" has no date or time token (such as YYYY-MM-DD HH:mm:ss)")
        ) { try LogDateFormat("true") }
    }

    @Test("years outside 1000...9999 and before the epoch")
    func years() throws {
        // 0999-06-01 00:00:00 UTC and 0005-01-01, checked with Python's datetime.
        #expect(try Self.format("YYYY YY", -30_628_713_600_000) == "0999 99")
        #expect(try Self.format("YYYY-MM-DD YY", -62_009_366_400_000) == "0005-01-01 05")
        #expect(try Self.format("YYYY-MM-DD HH:mm:ss.SSS X x", -1) == "1969-12-31 23:59:59.999 -1 -1")
        #expect(try Self.format("X x", -1000) == "-1 -1000")
        #expect(try Self.format("X x", -1001) == "-2 -1001")
    }

    @Test("an offset that is not a whole minute is truncated, and the time agrees with it")
    func localMeanTime() throws {
        // Berlin's LMT is +0:53:28; 1893-03-31 23:06:31 UTC is 23:59:31 at +00:53.
        let berlin = try TimeZoneRules(tzif: TimeZoneFixtures.berlin)
        #expect(
            LogDateFormat.iso8601.format(epochMs: -2_422_054_409_000, in: berlin) == "1893-03-31T23:59:31.000+00:53")
        // New York's LMT is -4:56:02: truncated toward zero, -04:56.
        let newYork = try TimeZoneRules(tzif: TimeZoneFixtures.newYork)
        #expect(try Self.format("HH:mm:ss ZZ", -2_717_650_801_000, newYork) == "12:03:59 -0456")
    }

    @Test("offsets with minutes")
    func offsetMinutes() throws {
        let lordHowe = TimeZoneFixtures.zones("Australia/Lord_Howe")[0]
        // 2026-06-22 09:54:56 UTC is 20:24:56 at +10:30 (standard time there in June).
        #expect(try Self.format("HH:mm Z ZZ", Self.summer, lordHowe) == "20:24 +10:30 +1030")
        let kathmandu = try TimeZoneRules(posixTZ: "<+0545>-5:45")
        #expect(try Self.format("HH:mm Z", Self.winter, kathmandu) == "14:45 +05:45")
        let marquesas = try TimeZoneRules(posixTZ: "<-0930>9:30")
        #expect(try Self.format("HH:mm ZZ", Self.winter, marquesas) == "23:30 -0930")
    }

    @Test("append adds to what is there; format is the same text")
    func appendAndFormat() throws {
        let format = try LogDateFormat("YYYY-MM-DD HH:mm:ss Z")
        var out = Array("> ".utf8)
        format.append(epochMs: Self.winter, in: Self.berlin[0], to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "> 2026-11-22 10:00:00 +01:00")
        #expect(format.format(epochMs: Self.winter, in: Self.berlin[0]) == "2026-11-22 10:00:00 +01:00")
    }

    @Test("the default, equality, description and millisecond detection")
    func properties() throws {
        #expect(LogDateFormat.iso8601.pattern == "YYYY-MM-DDTHH:mm:ss.SSSZ")
        #expect(LogDateFormat.iso8601.showsMilliseconds)
        #expect(try LogDateFormat("x").showsMilliseconds)
        #expect(try !LogDateFormat("YYYY-MM-DD HH:mm:ss").showsMilliseconds)
        #expect(try !LogDateFormat("[SSS] X").showsMilliseconds)
        #expect(try LogDateFormat("HH:mm") == LogDateFormat("HH:mm"))
        #expect(try LogDateFormat("HH:mm") != LogDateFormat("HH:mm:ss"))
        #expect(try LogDateFormat("HH:mm").description == "HH:mm")
    }

    @Test("numbers at the edges of Int64")
    func numbers() {
        func text(_ n: Int64, _ width: Int) -> String {
            var out: [UInt8] = []
            LogDateFormat.appendNumber(n, width: width, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(text(0, 1) == "0")
        #expect(text(0, 3) == "000")
        #expect(text(7, 2) == "07")
        #expect(text(12345, 2) == "12345")
        #expect(text(-5, 3) == "-005")
        #expect(text(Int64.max, 1) == "9223372036854775807")
        #expect(text(Int64.min, 1) == "-9223372036854775808")
        #expect(text(1_000_000_000_000_000_000, 1) == "1000000000000000000")
    }
}
