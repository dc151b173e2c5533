import Testing

@testable import SwisorCore

/// The reader of PM2's JavaScript-flavoured `.json` files (ObjectLiteral), and how the loader
/// falls back to it (`Ecosystem.readJSON`). Each accepted construct is checked for its value
/// and for the place and name of the warning; each error for its line and column.
@Suite("Object-literal reader (.json files as PM2 reads them)")
struct ObjectLiteralTests {
    struct Good: Sendable, CustomTestStringConvertible {
        var text: String
        var value: JSON
        /// Line, column and wording of the first construct strict JSON lacks.
        var line: Int
        var column: Int
        var what: String
        init(_ text: String, _ value: JSON, _ line: Int, _ column: Int, _ what: String) {
            (self.text, self.value, self.line, self.column, self.what) = (text, value, line, column, what)
        }
        var testDescription: String { what + ": " + text }
    }

    @Test(
        "every construct PM2 accepts beyond JSON, with the place the warning names",
        arguments: [
            // Comments and blanks.
            Good("// PM2's template\n{\"a\": 1}", ["a": 1], 1, 1, "a // comment"),
            Good("{\"a\": 1} // end, no newline", ["a": 1], 1, 10, "a // comment"),
            Good("{\"a\": /* inline */ 1}", ["a": 1], 1, 7, "a /* */ comment"),
            Good("{\n  \"a\": 1, /* a\n  multi-line\n  comment */ \"b\": 2\n}", ["a": 1, "b": 2], 2, 11, "a /* */ comment"),
            Good("{\"a\": 1 // x\r\n}", ["a": 1], 1, 9, "a // comment"),
            Good("{\"a\": 1 // x\u{2028}}", ["a": 1], 1, 9, "a // comment"),
            Good("{\"a\":\u{0B}1}", ["a": 1], 1, 6, "the blank U+000B"),
            Good("{\"a\":\u{0C}1}", ["a": 1], 1, 6, "the blank U+000C"),
            Good("{\"a\":\u{A0}1}", ["a": 1], 1, 6, "the blank U+00A0"),
            Good("{\"a\":\u{3000}1}", ["a": 1], 1, 6, "the blank U+3000"),
            Good("{\"a\":\u{FEFF}1}", ["a": 1], 1, 6, "the blank U+FEFF"),
            Good("{\"a\":\u{2028}1}", ["a": 1], 1, 6, "the blank U+2028"),
            // Keys.
            Good("{name: 'api'}", ["name": "api"], 1, 2, "the key name without quotes"),
            Good("{ $x_1: 1, _y: 2 }", ["$x_1": 1, "_y": 2], 1, 3, "the key $x_1 without quotes"),
            Good("{default: 1, class: 2, null: 3, true: 4}", ["default": 1, "class": 2, "null": 3, "true": 4], 1, 2, "the key default without quotes"),
            Good("{café: 1}", ["café": 1], 1, 2, "the key café without quotes"),
            Good("{'single': 1}", ["single": 1], 1, 2, "a key in single quotes"),
            Good("{1: 'a', 0x10: 'b', 1.50: 'c', .5: 'd', 1e3: 'e'}",
                 ["1": "a", "16": "b", "1.5": "c", "0.5": "d", "1000": "e"], 1, 2, "a number as a key"),
            // Strings.
            Good("[\"it's\", 'say \"hi\"']", ["it's", "say \"hi\""], 1, 10, "a string in single quotes"),
            Good(#"['\'']"#, ["'"], 1, 2, "a string in single quotes"),
            Good(#"["\'"]"#, ["'"], 1, 3, "the escape \\'"),
            Good(#"["\v"]"#, ["\u{0B}"], 1, 3, "the escape \\v"),
            Good(#"["a\0b"]"#, ["a\u{0}b"], 1, 4, "the escape \\0"),
            Good(#"["\x41\x7a"]"#, ["Az"], 1, 3, "the escape \\x"),
            Good(#"["\u{41}\u{1F600}"]"#, ["A😀"], 1, 3, "the escape \\u{...}"),
            Good(#"["\ud83d\u{de00}"]"#, ["😀"], 1, 9, "the escape \\u{...}"),
            Good(#"["\101\7\08\377"]"#, ["A\u{07}\u{0}8\u{FF}"], 1, 3, "an octal escape \\1"),
            Good(#"["\8\9"]"#, ["89"], 1, 3, "the escape \\8"),
            Good(#"["\q\%"]"#, ["q%"], 1, 3, "the escape \\q (read as the character alone)"),
            Good("[\"\\é\"]", ["é"], 1, 3, "a needless backslash before U+00E9"),
            Good("[\"one \\\ntwo\"]", ["one two"], 1, 7, "a backslash at the end of a line in a string"),
            Good("[\"one \\\r\ntwo\"]", ["one two"], 1, 7, "a backslash at the end of a line in a string"),
            Good("['a\\\u{2028}b']", ["ab"], 1, 2, "a string in single quotes"),
            Good("[\"tab\there\"]", ["tab\there"], 1, 6, "the control character U+0009 in a string"),
            Good("[`template`]", ["template"], 1, 2, "a template literal"),
            Good("[`two\nlines\r\nand \\` $ {}`]", ["two\nlines\nand ` $ {}"], 1, 2, "a template literal"),
            // Numbers.
            Good("[0x1F, 0XfF, 0o17, 0O7, 0b101, 0B1]", [31, 255, 15, 7, 5, 1], 1, 2, "a hexadecimal number"),
            Good("[0o17]", [15], 1, 2, "an octal number"),
            Good("[0b11]", [3], 1, 2, "a binary number"),
            Good("[0xFFFFFFFFFFFFFFFF]", [.double(18446744073709551615)], 1, 2, "a hexadecimal number"),
            Good("[017, 00]", [15, 0], 1, 2, "a number with a leading zero (JavaScript reads 017 as octal)"),
            Good("[08, 09.5, 019]", [8, 9.5, 19], 1, 2, "a number with a leading zero"),
            Good("[.5, -.25]", [0.5, -0.25], 1, 2, "a number starting with a decimal point"),
            Good("[5., 5.e1]", [5.0, 50.0], 1, 3, "a number ending with a decimal point"),
            Good("[+1, +1.5]", [1, 1.5], 1, 2, "a '+' sign"),
            Good("[- 1]", [-1], 1, 3, "a blank after a sign"),
            Good("[- -1, -+1, +-1]", [1, -1, -1], 1, 3, "a blank after a sign"),
            Good("[-+1]", [-1], 1, 3, "a '+' sign"),
            Good("[-/**/-1]", [1], 1, 3, "a /* */ comment"),
            Good("[1_000_000, 0xF_F]", [1_000_000, 255], 1, 3, "a '_' in a number"),
            Good("[1_0.2_5e1_0]", [10.25e10], 1, 3, "a '_' in a number"),
            Good("[Infinity, -Infinity, +Infinity]", [.double(.infinity), .double(-.infinity), .double(.infinity)], 1, 2, "Infinity"),
            Good("[NaN]", [.double(.nan)], 1, 2, "NaN"),  // compared by its text below: NaN is not equal to itself
            Good("[-0x10]", [-16], 1, 3, "a hexadecimal number"),
            // Found by the fuzzer: the one integer whose magnitude does not fit stays an integer.
            Good("// c\n[-9223372036854775808, 9223372036854775808]", [.int(.min), .double(9223372036854775808)], 1, 1, "a // comment"),
            // Literals, commas, duplicates.
            Good("{\"a\": undefined}", ["a": nil], 1, 7, "undefined (read as null, not given)"),
            Good("[1, 2,]", [1, 2], 1, 6, "a trailing comma"),
            Good("{\"a\": 1,\n}", ["a": 1], 1, 8, "a trailing comma"),
            Good("{\"a\": [1,],}", ["a": [1]], 1, 9, "a trailing comma"),
            Good("{a: 1, a: 2, 'a': 3}", ["a": 3], 1, 2, "the key a without quotes"),
            Good("\u{FEFF}{a: 1}", ["a": 1], 1, 2, "the key a without quotes"),
        ])
    func accepted(good: Good) throws {
        let (value, relaxation) = try ObjectLiteral.parse(good.text)
        // NaN is not equal to itself: compare serialized forms, with non-finite numbers by name.
        #expect(Self.shown(value) == Self.shown(good.value))
        #expect(relaxation == ObjectLiteral.Relaxation(line: good.line, column: good.column, what: good.what))
    }

    static func shown(_ value: JSON) -> String {
        switch value {
        case .double(let d) where !d.isFinite: return value.brief
        case .array(let a): return "[" + a.map(shown).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.members.map { JSON.string($0.key).serialized() + ":" + shown($0.value) }.joined(separator: ",") + "}"
        default: return value.serialized()
        }
    }

    @Test func duplicateKeysKeepTheirFirstPlaceAndTheLastValueAsInJavaScript() throws {
        let (value, _) = try ObjectLiteral.parse("{a: 1, b: 2, 'a': 3, \"a\": 4}")
        let object = try #require(value.objectValue)
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 4)
        #expect(object.duplicateKeys == ["a"])
    }

    @Test func pm2sOldEcosystemTemplateReads() throws {
        // What `pm2 ecosystem` wrote into ecosystem.json (PM2 2.x): comments, unquoted keys.
        let text = """
            {
              /**
               * Application configuration section
               * http://pm2.keymetrics.io/docs/usage/application-declaration/
               */
              apps : [

                // First application
                {
                  name      : "API",
                  script    : "app.js",
                  env: {
                    COMMON_VARIABLE: "true"
                  },
                  env_production : {
                    NODE_ENV: "production"
                  }
                },

                // Second application
                {
                  name      : "WEB",
                  script    : "web.js"
                }
              ],

              deploy : {
                production : {
                  user : "node",
                  host : "212.83.163.1",
                  ref  : "origin/master",
                  repo : "git@github.com:repo.git",
                  path : "/var/www/production",
                  "post-deploy" : "npm install && pm2 startOrRestart ecosystem.json --env production"
                },
              }
            }
            """
        let (value, relaxation) = try ObjectLiteral.parse(text)
        #expect(relaxation == ObjectLiteral.Relaxation(line: 2, column: 3, what: "a /* */ comment"))
        #expect(value["apps"]?.arrayValue?.map { $0["name"] } == ["API", "WEB"])
        #expect(value["apps"]?.arrayValue?[0]["env_production"] == ["NODE_ENV": "production"])
        #expect(value["deploy"]?["production"]?["post-deploy"]?.stringValue?.hasPrefix("npm install") == true)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var column: Int
        var message: String
        init(_ text: String, _ line: Int, _ column: Int, _ message: String) {
            (self.text, self.line, self.column, self.message) = (text, line, column, message)
        }
        var testDescription: String { message }
    }

    static let code = "a .json file may hold only literal values (PM2 would run it as JavaScript code; compute values in an ecosystem.config.js)"

    @Test(
        "errors after a relaxation carry their own line and column",
        arguments: [
            // JavaScript code, which PM2 would run: refused with where it is.
            Bad("// c\n{a: process.env.PORT}", 2, 5, "expected a value, found 'process': " + code),
            Bad("// c\n{a: 1 + 1}", 2, 7, "expected ',' or '}' after an object member"),
            Bad("// c\n{a: `x${y}`}", 2, 7, "a template literal with ${...} is JavaScript code, which a .json file cannot have (compute values in an ecosystem.config.js)"),
            Bad("// c\n{name}", 2, 6, "expected ':' after the key \"name\" (`{name}` is JavaScript shorthand for a variable's value, which a .json file cannot have)"),
            Bad("// c\n{[k]: 1}", 2, 2, "a computed key ([...]) is JavaScript code, which a .json file cannot have; write the key"),
            Bad("// c\n[-x]", 2, 3, "expected a number after the sign, found 'x' (a sign before anything else is JavaScript code, which a .json file cannot have)"),
            Bad("// c\n[-]", 2, 3, "expected a number after the sign"),
            Bad("// c\n[--1]", 2, 2, "'--' is JavaScript's decrement operator; write one sign"),
            Bad("// c\n[++1]", 2, 2, "'++' is JavaScript's increment operator; write one sign"),
            Bad("// c\n[1,,2]", 2, 4, "expected a value, found ',' (an empty array element)"),
            Bad("// c\n[,]", 2, 2, "expected a value, found ',' (an empty array element)"),
            Bad("// c\n{a: 1,,}", 2, 7, "expected a key, found ',' (two commas in a row)"),
            Bad("// c\n{a: 1};", 2, 7, "unexpected ';' after the value"),
            Bad("// c\n[10n]", 2, 2, "a BigInt (a number ending in n) cannot be an option's value"),
            Bad("// c\n[017.5]", 2, 2, "a number with a leading zero cannot have a fraction, an exponent or '_' (JavaScript reads it as octal)"),
            Bad("// c\n[0x]", 2, 4, "expected a digit after '0x'"),
            Bad("// c\n[0xG]", 2, 4, "expected a digit after '0x'"),
            Bad("// c\n[3in]", 2, 3, "unexpected 'i' right after a number"),
            Bad("// c\n[1__0]", 2, 3, "a '_' in a number must stand between two digits"),
            Bad("// c\n[1_]", 2, 3, "a '_' in a number must stand between two digits"),
            Bad("// c\n[0_1]", 2, 3, "unexpected '_' right after a number"),
            Bad("// c\n[1e400]", 2, 2, "number 1e400 is out of range"),
            Bad("// c\n[1e]", 2, 4, "expected a digit in the exponent"),
            Bad("// c\n[.]", 2, 2, "expected a digit after the decimal point"),
            // Strings.
            Bad("// c\n['abc", 2, 2, "unterminated string"),
            Bad("// c\n['a\nb']", 2, 2, "unterminated string (a line break inside a string must be written \\n, or follow a backslash)"),
            Bad("// c\n[`abc", 2, 2, "unterminated template literal"),
            Bad("// c\n[`\\1`]", 2, 3, "an octal escape (\\1) is not allowed in a template literal"),
            Bad("// c\n[`\\8`]", 2, 3, "the escape \\8 is not allowed in a template literal"),
            Bad("// c\n['\\x4']", 2, 3, "invalid \\x escape: expected 2 hexadecimal digits"),
            Bad("// c\n['\\u{}']", 2, 3, "invalid \\u{...} escape: expected hexadecimal digits and '}'"),
            Bad("// c\n['\\u{110000}']", 2, 3, "invalid \\u{...} escape: above 10FFFF"),
            Bad("// c\n['\\ud800']", 2, 3, "unpaired UTF-16 surrogate \\uD800 in a string"),
            Bad("// c\n['\\u{dc00}']", 2, 3, "unpaired UTF-16 surrogate \\uDC00 in a string"),
            // Structure.
            Bad("/* never closed\n{}", 1, 1, "unterminated /* comment"),
            Bad("// only a comment\n", 2, 1, "the file is empty, expected a JSON value"),
            Bad("// c\n{a 1}", 2, 4, "expected ':' after the key \"a\""),
            Bad("// c\n{a: 1 b: 2}", 2, 7, "expected ',' or '}' after an object member"),
            Bad("// c\n{a: 1", 2, 6, "unexpected end of input, expected ',' or '}' after an object member"),
            Bad("// c\n{", 2, 2, "unexpected end of input, expected a key or '}'"),
            Bad("// c\n[1", 2, 3, "unexpected end of input, expected ',' or ']' after an array element"),
            Bad("// c\n[", 2, 2, "unexpected end of input, expected a value or ']'"),
            Bad("// c\n{“a”: 1}", 2, 2, "expected a key, found '“' (U+201C)"),
            Bad("// c\n[True]", 2, 2, "expected a value, found 'True': " + code),
        ])
    func refused(bad: Bad) {
        #expect(throws: ObjectLiteral.Failure(
            error: JSONSyntaxError(line: bad.line, column: bad.column, message: bad.message),
            relaxation: ObjectLiteral.Relaxation(line: 1, column: 1, what: bad.message.hasPrefix("unterminated /*") ? "a /* */ comment" : "a // comment"))
        ) {
            try ObjectLiteral.parse(bad.text)
        }
    }

    @Test func nestingDepthIsLimitedAsInTheStrictParser() {
        let tooDeep = "//\n" + String(repeating: "[", count: JSON.maxDepth + 1)
        #expect(throws: ObjectLiteral.Failure(
            error: JSONSyntaxError(line: 2, column: JSON.maxDepth + 1, message: "nesting deeper than 512 levels"),
            relaxation: ObjectLiteral.Relaxation(line: 1, column: 1, what: "a // comment"))
        ) {
            try ObjectLiteral.parse(tooDeep)
        }
    }

    @Test func invalidUTF8IsRefusedWhereverItIs() {
        for (bytes, column, message) in [
            (Array("//\n['".utf8) + [0xC3, 0x28] + Array("']".utf8), 3, "invalid UTF-8 sequence"),
            (Array("//\n{".utf8) + [0xFF] + Array(": 1}".utf8), 2, "invalid UTF-8 byte 0xFF"),
            (Array("//\n[1]".utf8) + [0xC0, 0xAF], 4, "invalid UTF-8 byte 0xC0"),
        ] {
            #expect(throws: ObjectLiteral.Failure(
                error: JSONSyntaxError(line: 2, column: column, message: message),
                relaxation: ObjectLiteral.Relaxation(line: 1, column: 1, what: "a // comment"))
            ) {
                try ObjectLiteral.parse(bytes)
            }
        }
    }

    /// Linear behaviour on a large input full of relaxations: long strings in single
    /// quotes with and without escapes, many unquoted members each after a comment, blanks.
    @Test func largeInput() throws {
        let plain = String(repeating: "abcdefgh", count: 200_000)
        let escaped = String(repeating: "ab\\n\\x41\\'", count: 100_000)
        var members: [String] = []
        for i in 0..<20_000 { members.append("// member \(i)\n key\(i):\u{A0}[0x\(String(i, radix: 16)), .5, 'v\(i)',],") }
        let text = "{plain: '\(plain)', escaped: '\(escaped)', \(members.joined(separator: "\n"))}"
        let (value, relaxation) = try ObjectLiteral.parse(text)
        #expect(relaxation?.what == "the key plain without quotes")
        let object = try #require(value.objectValue)
        #expect(object.count == 20_002)
        #expect(object["plain"]?.stringValue?.utf8.count == 1_600_000)
        #expect(object["escaped"]?.stringValue == String(repeating: "ab\nA'", count: 100_000))
        #expect(object["key19999"] == [19999, 0.5, "v19999"])
    }

    // MARK: - The loader's choice between the two parsers

    @Test func strictJSONIsReadByTheStrictParserWithoutAWarning() throws {
        let text = #"{"apps": [{"name": "a", "script": "x", "instances": 2, "env": {"A": "1e3"}}]}"#
        let (value, relaxation) = try Ecosystem.readJSON(Array(text.utf8))
        #expect(relaxation == nil)
        #expect(value == (try JSON.parse(text)))
    }

    /// A file whose mistake comes before anything JavaScript-only gets the strict parser's
    /// error, word for word, as before this reader existed.
    @Test(
        "real errors keep the strict message",
        arguments: [
            "{\n  \"a\": 1\n  \"b\": 2\n}", "{\"a\" 1}", "[1 2]", "[1e]", "[1e999]", "[tru]", "nul", "[True]",
            "\"abc", "[\"ab\\\"]", "\"\\ud800\"", "[1] 2", "{} {}", "{", "[", "[1,", "{\"a\":1",
            "[\"é\", x]", "{“a”: 1}", "", "  \n ", "[-]", "{\"a\" 1, // late comment\n}",
        ])
    func realErrorsKeepTheStrictMessage(text: String) {
        var strict: JSONSyntaxError? = nil
        do { _ = try JSON.parse(text) } catch { strict = error }
        #expect(strict != nil)
        #expect(throws: strict!) { try Ecosystem.readJSON(Array(text.utf8)) }
    }

    @Test func anErrorAfterARelaxationIsTheReadersOwn() {
        // The strict parser would blame the comment; the mistake is the missing comma.
        let text = "{\n  // the API\n  \"a\": 1\n  \"b\": 2\n}"
        #expect(throws: JSONSyntaxError(line: 4, column: 3, message: "expected ',' or '}' after an object member")) {
            try Ecosystem.readJSON(Array(text.utf8))
        }
    }

    @Test func theWarningNamesTheFileAndTheFirstConstructOnce() throws {
        let eco = try EcoFixture.load("""
            {
              apps: [{
                name: 'web', // the site
                script: "web.js",
                instances: 0x2,
              }],
            }
            """)
        #expect(eco.apps.map(\.name) == ["web"])
        #expect(eco.apps[0].instances == 2)
        #expect(eco.warnings == [
            "eco.json: line 2, column 3: the key apps without quotes: not strict JSON; read as a JavaScript object literal, as PM2 reads a .json file",
        ])
    }

    @Test func errorsInTheAppsKeepTheirJSONPaths() {
        #expect(EcoFixture.error("{apps: [{script: 'a', instances: 'many'}]}")
            == "eco.json: apps[0].instances: expected a number of instances (1 or more; 0 or \"max\" for one per CPU; -N for all CPUs but N), found \"many\"")
        #expect(EcoFixture.error("{apps: [{script: 'a', max_restarts: Infinity}]}")
            == "eco.json: apps[0].max_restarts: expected a non-negative integer, found Infinity")
        #expect(EcoFixture.error("// c\n{apps: [{script: 'a',, }]}")
            == "eco.json: line 2, column 22: expected a key, found ',' (two commas in a row)")
    }

    @Test func aDuplicateKeyIsWarnedAboutAndTheLastWins() throws {
        let eco = try EcoFixture.load("{apps: [{script: 'a', name: 'one', name: 'two'}]}")
        #expect(eco.apps[0].name == "two")
        #expect(eco.warnings.contains("eco.json: apps[0].name: given more than once, the last value is used"))
    }

    // MARK: - JavaScript's number texts

    @Test(
        "numbers print as JavaScript prints them",
        arguments: [
            (3000.0, "3000"), (1.5, "1.5"), (-2.25, "-2.25"), (0, "0"), (-0.0, "0"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
            (123456789012345680000, "123456789012345680000"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (0.000001, "0.000001"),
            (0.00001, "0.00001"), (0.1, "0.1"), (1.7976931348623157e308, "1.7976931348623157e+308"), (5e-324, "5e-324"),
            (.infinity, "Infinity"), (-.infinity, "-Infinity"), (.nan, "NaN"), (9007199254740993, "9007199254740992"),
        ])
    func javaScriptText(value: Double, text: String) {
        #expect(ObjectLiteral.javaScriptText(value) == text)
    }

    @Test(
        "strings become numbers as JavaScript's Number() makes them",
        arguments: [
            ("3000", 3000.0), (" 3000\n", 3000), ("", 0), ("  ", 0), ("-5", -5), ("+5", 5), ("1e3", 1000), (".5", 0.5),
            ("5.", 5), ("0x10", 16), ("0o10", 8), ("0b10", 2), ("017", 17), ("Infinity", .infinity), ("-Infinity", -.infinity),
            ("\u{A0}7\u{2028}", 7),
        ])
    func javaScriptNumberValue(text: String, value: Double) {
        #expect(ObjectLiteral.javaScriptNumberValue(text) == value)
    }

    @Test(arguments: ["abc", "3000abc", "1_000", "-0x10", "0x", "infinity", ".", "1e", "--1", "0xG"])
    func notANumber(text: String) {
        #expect(ObjectLiteral.javaScriptNumberValue(text).isNaN)
    }
}
