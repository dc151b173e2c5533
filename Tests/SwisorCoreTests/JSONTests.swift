import Testing

@testable import SwisorCore

@Suite("JSON parser and serializer")
struct JSONTests {
    @Test(
        "scalars",
        arguments: [
            ("null", JSON.null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .int(0)),
            ("-0", .int(0)),
            ("42", .int(42)),
            ("-42", .int(-42)),
            ("9223372036854775807", .int(.max)),
            ("-9223372036854775808", .int(.min)),
            ("9223372036854775808", .double(9223372036854775808)),
            ("1.5", .double(1.5)),
            ("1e3", .double(1000)),
            ("1E-2", .double(0.01)),
            ("-0.25e+1", .double(-2.5)),
            ("10.0", .double(10)),
            ("  \t\r\n 7 \n", .int(7)),
            ("\"\"", .string("")),
        ])
    func scalars(text: String, expected: JSON) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test(
        "string escapes and Unicode",
        arguments: [
            (#""a\"b\\c\/d""#, "a\"b\\c/d"),
            (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u00E9""#, "Aéé"),
            (#""caf\u00e9 and café""#, "café and café"),
            (#""\ud83d\ude00""#, "😀"),
            (#""😀 raw""#, "😀 raw"),
            (#""\u0000""#, "\u{0}"),
            (#""x\u2028y""#, "x\u{2028}y"),
            (#""日本語""#, "日本語"),
        ])
    func strings(text: String, expected: String) throws {
        #expect(try JSON.parse(text) == .string(expected))
    }

    @Test func nestedValuesKeepOrder() throws {
        let value = try JSON.parse(#"{"z": [1, {"b": null, "a": true}], "a": "x", "m": {}}"#)
        guard case .object(let top) = value else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(top.keys == ["z", "a", "m"])
        #expect(top["a"] == .string("x"))
        #expect(top["m"] == .object(JSONObject()))
        #expect(value["z"]?.arrayValue?[1].objectValue?.keys == ["b", "a"])
        #expect(top.duplicateKeys == [])
    }

    @Test func duplicateKeysKeepFirstPositionAndLastValue() throws {
        let value = try JSON.parse(#"{"a": 1, "b": 2, "a": 3, "a": 4, "b": 5}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == .int(4))
        #expect(object["b"] == .int(5))
        #expect(object.duplicateKeys == ["a", "b"])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try JSON.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == [1])
        // …and not counted in columns.
        #expect(throws: JSONSyntaxError(line: 1, column: 3, message: "expected ',' or ']' after an array element")) {
            try JSON.parse([0xEF, 0xBB, 0xBF] + Array("[1;]".utf8))
        }
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var text: [UInt8]
        var line: Int
        var column: Int
        var message: String
        init(_ text: String, _ line: Int, _ column: Int, _ message: String) {
            self.init(bytes: Array(text.utf8), line, column, message)
        }
        init(bytes: [UInt8], _ line: Int, _ column: Int, _ message: String) {
            self.text = bytes
            self.line = line
            self.column = column
            self.message = message
        }
        var testDescription: String { message }
    }

    @Test(
        "syntax errors carry line, column and what was expected",
        arguments: [
            BadCase("", 1, 1, "the file is empty, expected a JSON value"),
            BadCase("  \n ", 2, 2, "the file is empty, expected a JSON value"),
            BadCase("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}' after an object member"),
            BadCase("{\r\n  \"a\": 1\r\n  \"b\": 2\r\n}", 3, 3, "expected ',' or '}' after an object member"),
            BadCase("[1, 2,]", 1, 7, "expected a value after ',' (trailing commas are not allowed in JSON)"),
            BadCase("{\"a\": 1,}", 1, 9, "expected a key after ',' (trailing commas are not allowed in JSON)"),
            BadCase("{a: 1}", 1, 2, "expected a string key, found 'a' (keys must be in double quotes)"),
            BadCase("{'a': 1}", 1, 2, "expected a string key, found a single quote (strings must be in double quotes)"),
            BadCase("['a']", 1, 2, "strings must be in double quotes, found a single quote"),
            BadCase("{\"a\" 1}", 1, 6, "expected ':' after the key \"a\""),
            BadCase("[1 2]", 1, 4, "expected ',' or ']' after an array element"),
            BadCase("[01]", 1, 2, "numbers cannot have leading zeros"),
            BadCase("[-01]", 1, 2, "numbers cannot have leading zeros"),
            BadCase("[1.]", 1, 4, "expected a digit after the decimal point"),
            BadCase("[-]", 1, 3, "expected a digit after '-'"),
            BadCase("[+1]", 1, 2, "expected a value, found '+'"),
            BadCase("[.5]", 1, 2, "expected a value, found '.'"),
            BadCase("[1e]", 1, 4, "expected a digit in the exponent"),
            BadCase("[1e999]", 1, 2, "number 1e999 is out of range"),
            BadCase("[tru]", 1, 2, "expected true, found 'tru'"),
            BadCase("nul", 1, 1, "expected null, found 'nul'"),
            BadCase("[True]", 1, 2, "expected a value, found 'True'"),
            BadCase("[undefined]", 1, 2, "expected a value, found 'undefined'"),
            BadCase("[NaN]", 1, 2, "expected a value, found 'NaN'"),
            BadCase("\"abc", 1, 1, "unterminated string"),
            BadCase("[\"ab\\\"]", 1, 2, "unterminated string"),
            BadCase("{\"a\": \"x\n}", 1, 7, "unterminated string (a line break inside a string must be written \\n)"),
            BadCase("\"a\u{01}\"", 1, 3, "control character U+0001 in a string must be escaped"),
            BadCase("\"a\tb\"", 1, 3, "control character U+0009 in a string must be escaped"),
            BadCase("\"\\x\"", 1, 2, "invalid escape '\\x' in a string"),
            BadCase("\"\\é\"", 1, 2, "invalid escape '\\' followed by 'é' (U+00E9) in a string"),
            BadCase("\"\\u12G4\"", 1, 2, "invalid \\u escape: expected 4 hexadecimal digits"),
            BadCase("\"\\u12\"", 1, 2, "invalid \\u escape: expected 4 hexadecimal digits"),
            BadCase("\"\\ud800\"", 1, 2, "unpaired UTF-16 surrogate \\uD800 in a string"),
            BadCase("\"\\udc00\"", 1, 2, "unpaired UTF-16 surrogate \\uDC00 in a string"),
            BadCase("\"\\ud800\\u0041\"", 1, 2, "unpaired UTF-16 surrogate \\uD800 in a string"),
            BadCase("[1] 2", 1, 5, "unexpected '2' after the JSON value"),
            BadCase("{} {}", 1, 4, "unexpected '{' after the JSON value"),
            BadCase("// comment\n{}", 1, 1, "comments are not allowed in JSON"),
            BadCase("{", 1, 2, "expected a string key, found end of input"),
            BadCase("[", 1, 2, "unexpected end of input, expected a value"),
            BadCase("[1,", 1, 4, "unexpected end of input, expected a value"),
            BadCase("{\"a\":1", 1, 7, "unexpected end of input, expected ',' or '}' after an object member"),
            BadCase("[\"é\", x]", 1, 7, "expected a value, found 'x'"),
            BadCase("{“a”: 1}", 1, 2, "expected a string key, found '“' (U+201C)"),
            BadCase(bytes: [0x22, 0xC3, 0x28, 0x22], 1, 2, "invalid UTF-8 sequence"),
            BadCase(bytes: [0x22, 0xC0, 0xAF, 0x22], 1, 2, "invalid UTF-8 byte 0xC0"),
            BadCase(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], 1, 2, "invalid UTF-8 sequence"),
            BadCase(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, 2, "invalid UTF-8 sequence"),
            BadCase(bytes: [0x22, 0xE2, 0x82], 1, 2, "invalid UTF-8 sequence"),
            BadCase(bytes: [0x5B, 0xFF, 0x5D], 1, 2, "expected a value, found the invalid UTF-8 byte 0xFF"),
            BadCase(bytes: [0x5B, 0x00, 0x5D], 1, 2, "expected a value, found U+0000"),
        ])
    func syntaxErrors(bad: BadCase) {
        #expect(throws: JSONSyntaxError(line: bad.line, column: bad.column, message: bad.message)) {
            try JSON.parse(bad.text)
        }
    }

    @Test func syntaxErrorDescription() {
        let error = JSONSyntaxError(line: 14, column: 7, message: "expected ',' or '}' after an object member")
        #expect(error.description == "line 14, column 7: expected ',' or '}' after an object member")
    }

    @Test func nestingDepthIsLimited() throws {
        let deepest = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        var value = try JSON.parse(deepest)
        var levels = 0
        while case .array(let inner) = value {
            levels += 1
            value = inner.first ?? .null
        }
        #expect(levels == JSON.maxDepth)

        let tooDeep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        #expect(throws: JSONSyntaxError(line: 1, column: JSON.maxDepth + 1, message: "nesting deeper than 512 levels")) {
            try JSON.parse(tooDeep)
        }
        let objects = String(repeating: "{\"a\":", count: JSON.maxDepth + 1)
        #expect(throws: JSONSyntaxError(line: 1, column: 5 * JSON.maxDepth + 1, message: "nesting deeper than 512 levels")) {
            try JSON.parse(objects)
        }
    }

    @Test func serializesCompactlyInOrder() {
        let value: JSON = [
            "name": "web",
            "list": [1, 2.5, -3, true, false, nil],
            "text": "quote\" backslash\\ nl\n tab\t ctl\u{01} del\u{7F} é 😀",
            "empty": [:],
            "none": [],
        ]
        #expect(
            value.serialized()
                == #"{"name":"web","list":[1,2.5,-3,true,false,null],"text":"quote\" backslash\\ nl\n tab\t ctl\u0001 del"#
                + "\u{7F} é 😀\",\"empty\":{},\"none\":[]}")
    }

    @Test(
        "numbers serialize so they read back the same",
        arguments: [
            (JSON.double(3), "3.0"), (.double(0.1), "0.1"), (.double(1e-7), "1e-07"), (.double(1e20), "1e+20"),
            (.double(-0.0), "-0.0"), (.int(.min), "-9223372036854775808"), (.double(.infinity), "null"),
            (.double(.nan), "null"),
        ])
    func numberSerialization(value: JSON, text: String) throws {
        #expect(value.serialized() == text)
        if case .double(let d) = value, d.isFinite {
            #expect(try JSON.parse(text) == value)
        }
    }

    @Test func roundTrip() throws {
        let samples = [
            #"{"apps":[{"name":"a","env":{"X":"1\n2","Y":3.25,"Z":null},"args":["--x","y z"]}],"deploy":{}}"#,
            #"["\u0000\u001f","\ud83d\ude00",-1.5e-300,1.7976931348623157e308,9223372036854775807]"#,
            #"{"":{"":[[],{}]}}"#,
        ]
        for text in samples {
            let value = try JSON.parse(text)
            #expect(try JSON.parse(value.serialized()) == value)
            #expect(try JSON.parse(value.serialized()).serialized() == value.serialized())
        }
    }

    @Test func objectEditingAndEquality() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["c"] == .int(3))
        object["d"] = "x"
        object["a"] = 10
        #expect(object.keys == ["a", "c", "d"])
        #expect(JSON.object(object).serialized() == #"{"a":10,"c":3,"d":"x"}"#)
        // Equality is JSON's: members in any order.
        #expect(object == ["d": "x", "a": 10, "c": 3])
        #expect(object != ["d": "x", "a": 10])
        #expect(object != ["d": "x", "a": 10, "c": 4])
        #expect(JSON.int(1) != JSON.double(1))
        let built = JSONObject([(key: "k", value: 1), (key: "k", value: 2)])
        #expect(built["k"] == .int(2))
        #expect(built.duplicateKeys == ["k"])
    }

    /// Small objects find keys by comparing them, larger ones through an index built when
    /// they outgrow `linearLimit`: the same answers on both sides of it, through appends,
    /// overwrites, removals and repeated keys, checked against a plain model.
    @Test(arguments: [3, JSONObject.linearLimit, JSONObject.linearLimit + 1, 100])
    func objectLookupIsTheSameSmallAndLarge(size: Int) throws {
        var object = JSONObject()
        var model: [(String, Int)] = []
        func check() {
            #expect(object.keys == model.map(\.0))
            for (k, v) in model { #expect(object[k] == .int(Int64(v)), "\(k)") }
            #expect(object["absent"] == nil)
        }
        for i in 0..<size { object["k\(i)"] = .int(Int64(i)); model.append(("k\(i)", i)) }
        check()
        object["k0"] = 1000
        model[0].1 = 1000
        check()
        // Removing from the middle and the front, then adding back: positions move.
        for k in ["k\(size / 2)", "k0"] {
            object[k] = nil
            model.removeAll { $0.0 == k }
            check()
        }
        object["k0"] = 7
        model.append(("k0", 7))
        check()
        // The parser's path: a key given twice keeps its place and takes the last value.
        var members = (0..<size).map { (key: "p\($0)", value: JSON.int(Int64($0))) }
        members.append((key: "p0", value: .string("last")))
        let parsed = JSONObject(members)
        #expect(parsed.count == size && parsed.keys.first == "p0")
        #expect(parsed["p0"] == .string("last") && parsed.duplicateKeys == ["p0"])
        #expect(parsed["p\(size - 1)"] == .int(Int64(size - 1)))
        let text = "{" + (0..<size).map { "\"q\($0)\": \($0)" }.joined(separator: ", ") + ", \"q1\": true}"
        guard case .object(let fromText) = try JSON.parse(text) else { Issue.record("not an object"); return }
        #expect(fromText["q1"] == .bool(true) && fromText.duplicateKeys == ["q1"] && fromText.count == size)
        #expect(fromText["q\(size - 1)"] == .int(Int64(size - 1)))
    }

    @Test(
        "brief renders values for messages",
        arguments: [
            (JSON.string("ten"), #""ten""#), (.int(-3), "-3"), (.double(1.5), "1.5"), (.bool(true), "true"),
            (.null, "null"), (.array([1]), "an array"), (.array([]), "an empty array"),
            (.object(["a": 1]), "an object"), (.object([:]), "an empty object"),
            (.string(String(repeating: "x", count: 41)), "\"" + String(repeating: "x", count: 40) + "…\""),
            (.string("a\"b"), #""a\"b""#),
        ])
    func brief(value: JSON, text: String) {
        #expect(value.brief == text)
    }

    @Test func accessors() {
        #expect(JSON.double(10).int64Value == 10)
        #expect(JSON.double(10.5).int64Value == nil)
        #expect(JSON.double(1e19).int64Value == nil)
        #expect(JSON.int(7).doubleValue == 7)
        #expect(JSON.string("7").int64Value == nil)
        #expect(JSON.null.isNull)
        #expect(JSON.bool(false).boolValue == false)
        #expect(JSON.string("s").stringValue == "s")
        #expect(JSON.int(1)["a"] == nil)
    }

    /// Linear behaviour on a large input: long strings with and without escapes, many members.
    @Test func largeInput() throws {
        let plain = String(repeating: "abcdefgh", count: 200_000)
        let escaped = String(repeating: "ab\\n\\u00e9", count: 100_000)
        var members: [String] = []
        for i in 0..<20_000 { members.append("\"key\(i)\": [\(i), \(i).5, \"v\(i)\"]") }
        let text = "{\"plain\": \"\(plain)\", \"escaped\": \"\(escaped)\", \(members.joined(separator: ", "))}"
        let value = try JSON.parse(text)
        let object = try #require(value.objectValue)
        #expect(object.count == 20_002)
        #expect(object["plain"]?.stringValue?.utf8.count == 1_600_000)
        #expect(object["escaped"]?.stringValue?.count == 400_000)
        #expect(object["key19999"] == [19999, 19999.5, "v19999"])
    }

    /// An encoder's object (`init(distinct:)`) keeps no index, yet answers lookups, takes
    /// changes and compares as any other object.
    @Test func anObjectBuiltFromDistinctKeysBehavesAsAnyOther() {
        var built = JSONObject(distinct: [("a", 1), ("b", "x"), ("c", true)])
        #expect(built["b"] == "x")
        #expect(built["missing"] == nil)
        #expect(built == JSONObject([("c", true), ("a", 1), ("b", "x")]))
        built["a"] = 2
        built["d"] = .null
        built["b"] = nil
        #expect(built.keys == ["a", "c", "d"])
        #expect(built["a"] == 2)
        #expect(JSON.object(built).serialized() == #"{"a":2,"c":true,"d":null}"#)
    }
}
