import Testing

@testable import SwisorCore

/// Values PM2 accepts that swisor refused (issue 17, item 6) and the top-level keys PM2
/// reads: each checked against what PM2's source does with it.
@Suite("Ecosystem loader: values PM2 accepts")
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
}
