import Testing

@testable import SwisorCore

/// YAML ecosystem files read as js-yaml's `load` reads them (PM2's reader), into the same
/// JSON values as a .json file.
@Suite("YAML ecosystem files")
struct YAMLTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSON { try YAML.parse(Array(text.utf8)) }

    func error(_ text: String) -> String? {
        do throws(JSONSyntaxError) {
            _ = try parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aTypicalFile() throws {
        let json = try parse("""
            # PM2 ecosystem, YAML form
            apps:
              - name: api
                script: ./server.js
                instances: 4
                autorestart: true
                max_memory_restart: 300M
                args: ["--port", "3000"]
                env:
                  NODE_ENV: development
                env_production:
                  NODE_ENV: production
              - name: worker
                script: worker.py
                interpreter: python3
                cron_restart: "0 3 * * *"
            """)
        let apps = try #require(json["apps"]?.arrayValue)
        #expect(apps.count == 2)
        #expect(apps[0] == [
            "name": "api", "script": "./server.js", "instances": 4, "autorestart": true,
            "max_memory_restart": "300M", "args": ["--port", "3000"],
            "env": ["NODE_ENV": "development"], "env_production": ["NODE_ENV": "production"],
        ])
        #expect(apps[1]["cron_restart"] == "0 3 * * *")
    }

    @Test(
        "plain scalars resolve as js-yaml's default (YAML 1.2 core) schema does",
        arguments: [
            ("a: ~", JSON.null), ("a: null", .null), ("a:", .null), ("a: NULL", .null),
            ("a: true", .bool(true)), ("a: False", .bool(false)),
            ("a: yes", .string("yes")), ("a: on", .string("on")), ("a: off", .string("off")),
            ("a: 42", .int(42)), ("a: -7", .int(-7)), ("a: 1_000", .int(1000)), ("a: 0x1F", .int(31)),
            ("a: 0o17", .int(15)), ("a: 0b101", .int(5)),
            ("a: 1.5", .double(1.5)), ("a: 1e3", .double(1000)), ("a: 012", .double(12)),
            ("a: 9223372036854775807", .int(Int64.max)), ("a: -9223372036854775808", .int(Int64.min)),
            ("a: 1.2.3", .string("1.2.3")), ("a: 3000ms", .string("3000ms")), ("a: 200M", .string("200M")),
            ("a: '42'", .string("42")), ("a: \"true\"", .string("true")), ("a: !!str 42", .string("42")),
            ("a: !!int \"42\"", .int(42)), ("a: !!float 1", .double(1)), ("a: 2026-12-03", .string("2026-12-03")),
        ])
    func scalars(text: String, value: JSON) throws {
        #expect(try parse(text)["a"] == value)
    }

    @Test func infinityAndNaNAreFloats() throws {
        #expect(try parse("a: .inf")["a"] == .double(.infinity))
        #expect(try parse("a: -.INF")["a"] == .double(-.infinity))
        #expect(try parse("a: .nan")["a"]?.doubleValue?.isNaN == true)
    }

    @Test func blockScalarsKeepTheirText() throws {
        let json = try parse("""
            a: |
              line one
              line two
            b: >
              folded
              text
            """)
        #expect(json["a"] == "line one\nline two\n")
        #expect(json["b"] == "folded text", "the file ends without a line break: none is kept")
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let json = try parse("""
            defaults: &defaults
              max_restarts: 5
              env: &env
                NODE_ENV: production
            apps:
              - <<: *defaults
                name: a
                max_restarts: 9
              - <<: [*defaults, {kill_timeout: 100}]
                name: b
                env: *env
            """)
        let apps = try #require(json["apps"]?.arrayValue)
        #expect(apps[0] == ["name": "a", "max_restarts": 9, "env": ["NODE_ENV": "production"]], "its own key wins over the merged one")
        #expect(apps[1]["max_restarts"] == 5)
        #expect(apps[1]["kill_timeout"] == 100)
        #expect(apps[1]["env"] == ["NODE_ENV": "production"])
    }

    @Test func scalarKeysBecomeStrings() throws {
        #expect(try parse("1: one\ntrue: yes\n~: nothing") == ["1": "one", "true": "yes", "~": "nothing"])
    }

    @Test func aTopLevelListIsAListOfApps() throws {
        #expect(try parse("- script: a.js\n- script: b.js") == [["script": "a.js"], ["script": "b.js"]])
    }

    @Test(
        "errors carry a line and a column",
        arguments: [
            ("apps:\n  - name: a\n    name: b\n", "line 3, column 5: key \"name\" is given twice in this mapping"),
            ("a: [1, 2\n", "line 2, column 1: did not find expected ',' or ']' (while parsing a flow sequence)"),
            ("a: 1\n---\nb: 2\n", "line 2, column 1: expected one YAML document, found a second one (`---`)"),
            ("", "line 1, column 1: the file has no YAML document (it is empty)"),
            ("# only a comment\n", "line 2, column 1: the file has no YAML document (it is empty)"),
            ("a: *nothing\n", "line 1, column 4: unknown alias *nothing"),
            ("a: !custom x\n", "line 1, column 4: unsupported tag !custom"),
            ("a: !!int ten\n", "line 1, column 4: \"ten\" is not a valid int"),
            ("? [a, b]\n: c\n", "line 1, column 3: a mapping key must be a plain value, not a list or a mapping"),
            ("a: <<\n<<: 1\n", "line 2, column 1: a merge key (<<) takes a mapping or a list of mappings"),
            ("\tapps: 1\n", "line 1, column 1: found character that cannot start any token (while scanning for the next token)"),
        ])
    func errors(text: String, message: String) {
        #expect(error(text) == message)
    }

    @Test func aliasBombsAreRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...8 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(error(text)?.contains("more than 1000000 values once aliases are expanded") == true)
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(error(text)?.contains("nested more than 512 levels deep") == true)
    }

    @Test func theLoaderGivesYAMLTheSameJSONPathErrors() {
        let text = "apps:\n  - script: a.js\n    max_restarts: ten\n"
        do throws(ConfigError) {
            _ = try Ecosystem.load(bytes: Array(text.utf8), format: .yaml, options: EcoFixture.options())
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "eco.json: apps[0].max_restarts: expected a non-negative integer, found \"ten\"")
        }
    }

    @Test func syntaxErrorsNameTheFile() {
        do throws(ConfigError) {
            _ = try Ecosystem.load(bytes: Array("a: [".utf8), format: .yaml, options: EcoFixture.options())
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("eco.json: line 2, column 1: "))
        }
    }

    @Test(
        "which reader a file name asks for",
        arguments: [
            ("ecosystem.json", EcosystemFormat?.some(.json)), ("deploy/apps.yml", .yaml), ("a.yaml", .yaml),
            ("ecosystem.config.js", .javascript(module: false)), ("pm2.config.cjs", .javascript(module: false)),
            ("x/ecosystem.config.mjs", .javascript(module: true)), ("ecosystem.js", .javascript(module: false)),
            ("ecosystem.prod.mjs", .javascript(module: true)),
            ("app.js", nil), ("server.mjs", nil), ("config/ecosystem/app.js", nil), ("worker.py", nil), ("api", nil),
        ])
    func formats(path: String, format: EcosystemFormat?) {
        #expect(EcosystemFormat.of(path) == format)
    }
}
