import Foundation
import Testing

@testable import SwisorCore

/// Values PM2 accepts that swisor refused (issue 17, item 6), the top-level keys PM2 reads,
/// and `increment_var` (item 3): each checked against what PM2's source does with it.
@Suite("Ecosystem loader: values PM2 accepts, increment_var")
struct PM2ValueTests {
    typealias F = EcoFixture

    // MARK: - env and env_* as strings

    @Test func aStringEnvSectionIsIgnoredWithAWarning() throws {
        let eco = try F.load(
            #"{"apps": [{"script": "a.js", "env": {"A": "1"}, "env_production": "production", "env_dev": {"B": "2"}}]}"#,
            envName: "production", baseEnv: [:])
        #expect(eco.apps[0].env == ["A": "1"], "nothing from the string, and env still applies")
        #expect(eco.warnings == [
            "eco.json: apps[0].env_production: a string, not an object of variables: ignored (PM2 accepts it and sets no variable from it)",
        ])
        // Not selected: still accepted, still said (a file does not break under one --env only).
        let other = try F.load(#"{"script": "a.js", "env_production": "production"}"#, baseEnv: [:])
        #expect(other.apps[0].env == [:])
        #expect(other.warnings.count == 1)
        // `env` itself may be a string too in PM2's schema.
        let env = try F.load(#"{"script": "a.js", "env": "NODE_ENV=production"}"#, baseEnv: ["HOME": "/h"])
        #expect(env.apps[0].env == ["HOME": "/h"])
        #expect(env.warnings == [
            "eco.json: env: a string, not an object of variables: ignored (PM2 accepts it and sets no variable from it)",
        ])
    }

    // MARK: - log_type and log_date_format

    @Test func anyStringIsALogTypeAsUnderPM2() throws {
        for (text, type) in [("json", LogType.json), ("text", .text), ("journal", .journal)] {
            let eco = try F.load(#"{"script": "a.js", "log_type": "\#(text)"}"#)
            #expect(eco.apps[0].logType == type)
            #expect(eco.warnings == [])
        }
        let raw = try F.load(#"{"script": "a.js", "log_type": "raw"}"#)
        #expect(raw.apps[0].logType == nil, "the default, as PM2 writes text for anything but json")
        #expect(raw.warnings == [
            #"eco.json: log_type: "raw" is not a log type ("text", "json" or "journal"): ignored, as PM2 ignores it"#,
        ])
        let empty = try F.load(#"{"script": "a.js", "log_type": ""}"#)
        #expect(empty.apps[0].logType == nil)
        #expect(empty.warnings == [])
    }

    @Test(arguments: [#""""#, "false", "0", "null"])
    func aFalseLogDateFormatIsNotGiven(value: String) throws {
        let eco = try F.load(#"{"script": "a.js", "log_date_format": \#(value), "time": true}"#)
        #expect(eco.apps[0].logDateFormat == nil)
        #expect(eco.apps[0].time == true, "so `time` still stamps lines")
        #expect(eco.warnings == [])
    }

    // MARK: - Top-level keys

    @Test func pm2sOwnKeyForTheAppsIsRead() throws {
        let eco = try F.load(#"{"pm2": [{"name": "old", "script": "a.js"}, {"script": "b.js"}]}"#)
        #expect(eco.apps.map(\.name) == ["old", "b"])
        #expect(eco.warnings == [])
        #expect(F.error(#"{"pm2": [{"name": "old"}]}"#) == "eco.json: pm2[0]: missing `script` (the program or command to run)")
        #expect(F.error(#"{"pm2": []}"#) == "eco.json: pm2: expected at least one app, found an empty array")
        // With `apps` there too, PM2 reads `apps` only.
        let both = try F.load(#"{"apps": [{"script": "a.js"}], "pm2": [{"script": "b.js"}]}"#)
        #expect(both.apps.map(\.name) == ["a"])
        #expect(both.warnings == ["eco.json: pm2: ignored, as by PM2, which reads `pm2` only when there is no `apps`"])
    }

    @Test func aStaticSectionIsPM2OnlyAndNotFatal() throws {
        let eco = try F.load(#"{"apps": [{"script": "a.js"}], "static": [{"path": "./public", "port": 8080}]}"#)
        #expect(eco.apps.map(\.name) == ["a"])
        #expect(eco.warnings == [
            "eco.json: static: ignored (PM2-only: PM2's built-in static file server; run a server of your own as an app)",
        ])
        #expect(try F.load(#"{"apps": [{"script": "a.js"}], "statc": []}"#).warnings
            == ["eco.json: statc: unknown top-level key, ignored (did you mean `static`?)"])
    }

    @Test func scriptServeIsSaidToBePM2sServer() throws {
        let eco = try F.load(#"{"script": "serve", "env": {"PM2_SERVE_PATH": "."}}"#)
        #expect(eco.apps[0].script == "serve")
        #expect(eco.warnings == [
            "eco.json: script: \"serve\" is PM2's built-in static file server, which swisor does not have: the program `serve` is looked up in PATH",
        ])
        // A file of that name in the cwd is what the user means.
        #expect(try F.load(#"{"script": "serve"}"#, files: ["/srv/proj/serve"]).warnings == [])
    }

    // MARK: - increment_var

    @Test func incrementVarCountsUpFromTheVariablesValue() throws {
        let app = try F.app(#""script": "a.js", "instances": 3, "increment_var": "PORT", "env": {"PORT": 3000}"#)
        #expect(app.incrementVar == "PORT")
        #expect(app.env["PORT"] == "3000", "the app's env keeps the base")
        let ports = (0..<3).map { i in app.instanceVariables(index: i).first { $0.name == "PORT" }?.value }
        #expect(ports == ["3000", "3001", "3002"])
        #expect(app.instanceVariables(index: 2).map(\.name) == ["NODE_APP_INSTANCE", "PORT"])
        #expect(app.instanceVariables(index: 2).first?.value == "2")
    }

    @Test func theBaseIsWhatPM2Takes() throws {
        func values(_ members: String, baseEnv: [String: String] = F.baseEnv) throws -> [String?] {
            let app = try F.app(#""script": "a.js", "increment_var": "PORT", \#(members)"#, baseEnv: baseEnv)
            return (0..<3).map { i in app.instanceVariables(index: i).first { $0.name == "PORT" }?.value }
        }
        // From the port option, and from the caller's environment, as both are in PM2's env.
        #expect(try values(#""port": 8000"#) == ["8000", "8001", "8002"])
        #expect(try values("\"instances\": 1", baseEnv: ["PORT": "4000"]) == ["4000", "4001", "4002"])
        // Number(value) || 0: missing, empty or not a number counts from 0.
        #expect(try values("\"instances\": 1") == ["0", "1", "2"])
        #expect(try values(#""env": {"PORT": ""}"#) == ["0", "1", "2"])
        #expect(try values(#""env": {"PORT": " 0x10 "}"#) == ["16", "17", "18"])
        #expect(try values(#""env": {"PORT": "-1"}"#) == ["-1", "0", "1"])
        #expect(try values(#""env": {"PORT": "2.5"}"#) == ["2.5", "3.5", "4.5"])
        // With --env, the selected section's value is the base.
        let app = try F.app(#""script": "a.js", "increment_var": "PORT", "env": {"PORT": 3000}, "env_production": {"PORT": 9000}"#, envName: "production")
        #expect(app.instanceVariables(index: 1).last?.value == "9001")
    }

    @Test func aBaseThatIsNoNumberIsSaid() throws {
        let eco = try F.load(#"{"script": "a.js", "increment_var": "PORT", "env": {"PORT": "http"}}"#)
        #expect(eco.warnings == [
            #"eco.json: increment_var: PORT is "http", not a number: the instances get 0, 1, 2, ... (as under PM2)"#,
        ])
        #expect(eco.apps[0].instanceVariables(index: 1).last?.value == "1")
    }

    @Test func incrementVarNamingTheInstanceVarWinsAsInPM2() throws {
        let app = try F.app(#""script": "a.js", "increment_var": "NODE_APP_INSTANCE", "env": {"NODE_APP_INSTANCE": "10"}"#)
        let variables = app.instanceVariables(index: 1)
        #expect(variables.map(\.name) == ["NODE_APP_INSTANCE", "NODE_APP_INSTANCE"])
        var env: [String: String] = [:]
        for v in variables { env[v.name] = v.value }
        #expect(env["NODE_APP_INSTANCE"] == "11")
    }

    @Test func noIncrementVar() throws {
        let app = try F.app(#""script": "a.js", "increment_var": """#)
        #expect(app.incrementVar == nil, "an empty name is not given, as PM2 tests it for truth")
        #expect(app.instanceVariables(index: 4).map(\.name) == ["NODE_APP_INSTANCE"])
        #expect(try F.app(#""script": "a.js", "increment_var": null"#).incrementVar == nil)
    }

    @Test func incrementVarIsSavedAndChecked() throws {
        var app = try F.app(#""script": "a.js", "increment_var": "PORT""#)
        let text = String(decoding: try JSONEncoder().encode(app), as: UTF8.self)
        #expect(text.contains(#""increment_var":"PORT""#), "the dump's and the protocol's name")
        #expect(try JSONDecoder().decode(AppSpec.self, from: Data(text.utf8)) == app)
        // A dump saved before the option existed has no such key, and still loads.
        let plain = AppSpec(name: "web", script: "/bin/sleep", cwd: "/")
        let old = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!old.contains("increment_var"))
        #expect(try JSONDecoder().decode(AppSpec.self, from: Data(old.utf8)).incrementVar == nil)
        app.incrementVar = "A=B"
        #expect(app.problem == "increment_var: a variable name cannot contain '='")
        app.incrementVar = nil
        #expect(app.problem == nil)
    }
}
