import Testing

@testable import SwisorCore

extension CronExpression {
    /// Six lists (second minute hour day-of-month month day-of-week), `*` for a full one.
    var fieldsForTest: String {
        func render(_ field: CronField, _ range: ClosedRange<Int>) -> String {
            field.values == Array(range) ? "*" : field.values.map(String.init).joined(separator: ",")
        }
        return [
            render(seconds, 0...59), render(minutes, 0...59), render(hours, 0...23), render(daysOfMonth, 1...31),
            render(months, 1...12), render(daysOfWeek, 0...6),
        ].joined(separator: " ")
    }
}

@Suite("Cron expressions: parsing")
struct CronParseTests {
    static let valid: [(String, String)] = [
        ("* * * * *", "0 * * * * *"),
        ("*/15 * * * *", "0 0,15,30,45 * * * *"),
        ("5/15 * * * *", "0 5,20,35,50 * * * *"),
        ("10-50/10 * * * *", "0 10,20,30,40,50 * * * *"),
        ("0 9-17/4 * * *", "0 0 9,13,17 * * *"),
        ("0 0 1,15,31 * *", "0 0 0 1,15,31 * *"),
        ("0 0 1-31/2 * *", "0 0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * *"),
        ("0 0 */31 * *", "0 0 0 1 * *"),
        ("0 0 * JAN,mar,Dec *", "0 0 0 * 1,3,12 *"),
        ("0 0 * jan-MAR *", "0 0 0 * 1,2,3 *"),
        ("0 0 * FEB/4 *", "0 0 0 * 2,6,10 *"),
        ("0 0 * * MON-FRI", "0 0 0 * * 1,2,3,4,5"),
        ("0 0 * * mon-fri/2", "0 0 0 * * 1,3,5"),
        ("0 0 * * sun,SAT", "0 0 0 * * 0,6"),
        ("0 0 * * 7", "0 0 0 * * 0"),
        ("0 0 * * 5-7", "0 0 0 * * 0,5,6"),
        ("0 0 * * 0-7", "0 0 0 * * *"),
        ("0 0 * * */7", "0 0 0 * * 0"),
        ("0 0 ? * MON", "0 0 0 * * 1"),
        ("00 05 * * *", "0 0 5 * * *"),
        ("1,2,3-5,*/20 * * * *", "0 0,1,2,3,4,5,20,40 * * * *"),
        ("*/20 * * * * *", "0,20,40 * * * * *"),
        ("59 59 23 31 12 6", "59 59 23 31 12 6"),
        ("  0   12\t* * *  ", "0 0 12 * * *"),
        ("0 0 29 2 *", "0 0 0 29 2 *"),
        ("0 0 30 2 MON", "0 0 0 30 2 1"),
        ("@yearly", "0 0 0 1 1 *"),
        ("@annually", "0 0 0 1 1 *"),
        ("@monthly", "0 0 0 1 * *"),
        ("@weekly", "0 0 0 * * 0"),
        ("@daily", "0 0 0 * * *"),
        ("@midnight", "0 0 0 * * *"),
        ("@hourly", "0 0 * * * *"),
        ("@HOURLY", "0 0 * * * *"),
    ]

    @Test("valid expressions", arguments: valid)
    func parses(text: String, fields: String) throws {
        let e = try CronExpression.parse(text)
        #expect(e.fieldsForTest == fields)
        #expect(e.description == text)
    }

    @Test("seconds field, restricted days and wall-clock following")
    func flags() throws {
        #expect(try CronExpression.parse("*/5 * * * * *").hasSeconds)
        #expect(try !CronExpression.parse("* * * * *").hasSeconds)
        #expect(try !CronExpression.parse("@hourly").hasSeconds)

        let both = try CronExpression.parse("0 0 13 * FRI")
        #expect(!both.dayOfMonthIsStar && !both.dayOfWeekIsStar)
        // crontab(5): a field beginning with '*' is unrestricted, even with a step.
        let stepped = try CronExpression.parse("0 0 */2 * MON")
        #expect(stepped.dayOfMonthIsStar && !stepped.dayOfWeekIsStar)
        #expect(try CronExpression.parse("0 0 ? * ?").dayOfWeekIsStar)

        // Vixie cron's "wildcard" jobs: minute or hour begins with '*'.
        #expect(try CronExpression.parse("30 2 * * *").followsWallClock == false)
        #expect(try CronExpression.parse("0 0-23 * * *").followsWallClock == false)
        #expect(try CronExpression.parse("*/15 30 2 * * *").followsWallClock == false)
        #expect(try CronExpression.parse("0 * * * *").followsWallClock)
        #expect(try CronExpression.parse("* 2 * * *").followsWallClock)
        #expect(try CronExpression.parse("0 */2 * * *").followsWallClock)
        #expect(try CronExpression.parse("@hourly").followsWallClock)
        #expect(try CronExpression.parse("@daily").followsWallClock == false)
    }

    @Test("equal texts give equal expressions")
    func equality() throws {
        #expect(try CronExpression.parse("0 0 * * *") == CronExpression.parse("0 0 * * *"))
        // The text is kept for display, so another spelling is another value.
        #expect(try CronExpression.parse("0 0 * * *") != CronExpression.parse("@daily"))
    }

    static let invalid: [(String, String)] = [
        ("", "empty expression"),
        ("  \t ", "empty expression"),
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found 4"),
        (
            "* * * * * * *",
            "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), found 7"
        ),
        ("0 25 * * *", "field 2 (hour): 25 is out of range 0-23"),
        ("0 0 25 * * *", "field 3 (hour): 25 is out of range 0-23"),
        ("60 * * * *", "field 1 (minute): 60 is out of range 0-59"),
        ("60 * * * * *", "field 1 (second): 60 is out of range 0-59"),
        ("0 0 0 * *", "field 3 (day-of-month): 0 is out of range 1-31"),
        ("0 0 32 * *", "field 3 (day-of-month): 32 is out of range 1-31"),
        ("0 0 * 13 *", "field 4 (month): 13 is out of range 1-12"),
        ("0 0 * 0 *", "field 4 (month): 0 is out of range 1-12"),
        ("0 0 * * 8", "field 5 (day-of-week): 8 is out of range 0-7"),
        ("99999999999999999999 * * * *", "field 1 (minute): 99999999999999999999 is out of range 0-59"),
        ("0 0 * FOO *", "field 4 (month): \"FOO\" is neither a number nor a month name (JAN-DEC)"),
        ("0 0 * JAN-MON *", "field 4 (month): \"MON\" is neither a number nor a month name (JAN-DEC)"),
        ("0 0 * * MONDAY", "field 5 (day-of-week): \"MONDAY\" is neither a number nor a day name (SUN-SAT)"),
        ("0 0 * * 5L", "field 5 (day-of-week): \"5L\" is neither a number nor a day name (SUN-SAT)"),
        ("0 0 * * 1#2", "field 5 (day-of-week): \"1#2\" is neither a number nor a day name (SUN-SAT)"),
        ("0 x * * *", "field 2 (hour): \"x\" is not a number"),
        ("0 0 L * *", "field 3 (day-of-month): \"L\" is not a number"),
        ("? * * * *", "field 1 (minute): \"?\" is not a number"),
        ("*/0 * * * *", "field 1 (minute): step 0 must be at least 1"),
        ("*/61 * * * *", "field 1 (minute): step 61 is larger than the range 0-59"),
        ("0 0 * */13 *", "field 4 (month): step 13 is larger than the range 1-12"),
        ("*/ * * * *", "field 1 (minute): missing step after '/' in \"*/\""),
        ("*/x * * * *", "field 1 (minute): step \"x\" is not a number"),
        ("1/2/3 * * * *", "field 1 (minute): more than one step in \"1/2/3\""),
        ("5-1 * * * *", "field 1 (minute): range 5-1 goes backwards"),
        ("0 0 * * FRI-MON", "field 5 (day-of-week): range FRI-MON goes backwards"),
        ("1-2-3 * * * *", "field 1 (minute): \"1-2-3\" is not a range"),
        ("1,,2 * * * *", "field 1 (minute): empty item in the list \"1,,2\""),
        ("1, * * * *", "field 1 (minute): empty item in the list \"1,\""),
        ("-5 * * * *", "field 1 (minute): missing value in \"-5\""),
        ("5- * * * *", "field 1 (minute): missing value in \"5-\""),
        ("0 0 30 2 *", "field 3 (day-of-month): \"30\" never occurs in month \"2\", the expression would never fire"),
        (
            "0 0 0 31 APR,JUN *",
            "field 4 (day-of-month): \"31\" never occurs in month \"APR,JUN\", the expression would never fire"
        ),
        (
            "0 0 30-31 FEB *",
            "field 3 (day-of-month): \"30-31\" never occurs in month \"FEB\", the expression would never fire"
        ),
        (
            "@reboot",
            "@reboot has no meaning for a supervisor (apps start when the daemon starts unless autostart is false)"
        ),
        (
            "@every 5m",
            "unknown nickname @every (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"
        ),
        ("@", "unknown nickname @ (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"),
        ("@daily 0", "unexpected \"0\" after @daily"),
    ]

    @Test("invalid expressions say which field and why", arguments: invalid)
    func rejects(text: String, message: String) {
        #expect(throws: CronParseError(message)) { try CronExpression.parse(text) }
    }
}
