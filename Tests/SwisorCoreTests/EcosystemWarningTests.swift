import Testing

@testable import SwisorCore

@Suite("Ecosystem loader: warnings, --only, option tables")
struct EcosystemWarningTests {
    typealias F = EcoFixture

    @Test(
        "unknown keys are warned about, with a guess when one is close",
        arguments: [
            ("scirpt", "unknown option, ignored (did you mean `script`?)"),
            ("nmae", "unknown option, ignored (did you mean `name`?)"),
            ("maxRestart", "unknown option, ignored (did you mean `maxRestarts`?)"),
            ("max_restart", "unknown option, ignored (did you mean `max_restarts`?)"),
            ("MAX_RESTARTS", "unknown option, ignored (did you mean `max_restarts`?)"),
            ("enviroment", "unknown option, ignored"),
            ("foo", "unknown option, ignored"),
            ("evn", "unknown option, ignored (did you mean `env`?)"),
            ("instance", "unknown option, ignored (did you mean `instances`?)"),
            ("killsignal", "unknown option, ignored (did you mean `killSignal`?)"),
            ("max_memory_restarts", "unknown option, ignored (did you mean `max_memory_restart`?)"),
            ("env-production", "unknown option, ignored"),
            ("env_", "unknown option, ignored (did you mean `env`?)"),
        ])
    func unknownKeys(key: String, message: String) throws {
        let eco = try F.load(#"{"apps": [{"script": "a.js", "\#(key)": 1}]}"#)
        let path = EcosystemPaths.member("apps[0]", key)
        #expect(eco.warnings == ["eco.json: \(path): \(message)"])
    }

    @Test func pm2OnlyOptionsAreListedInOneWarning() throws {
        let warnings = try F.warnings(
            #""script": "a.js", "pmx": false, "watch": true, "vizion": true, "ignore_watch": ["node_modules"], "windowsHide": true, "pid": "/tmp/a.pid", "name_prefix": "cron:""#
        )
        #expect(warnings == ["eco.json: ignored (PM2-only): pmx, watch, ignore_watch, pid, name_prefix"])
    }

    @Test func pm2OnlyOptionsAtTheirDefaultsAreNotWarnedAbout() throws {
        let warnings = try F.warnings(
            #""script": "a.js", "watch": false, "pmx": true, "vizion": true, "automation": true, "force": false, "exec_mode": "fork", "exec_mode": "fork_mode", "autostart": true, "wait_ready": false, "time": false, "cron_restart": 0"#
        )
        #expect(warnings == ["eco.json: exec_mode: given more than once, the last value is used"])
    }

    @Test func notYetSupportedOptionsAreWarnedAboutEach() throws {
        let eco = try F.load(
            #"{"apps": [{"script": "a.js", "uid": "www"}]}"#
        )
        #expect(
            eco.warnings == [
                "eco.json: apps[0].uid: not supported yet, ignored",
            ])
        #expect(eco.apps == (try F.load(#"{"apps": [{"script": "a.js"}]}"#)).apps)
    }

    @Test func clusterModeIsWarnedAbout() throws {
        let eco = try F.load(#"{"apps": [{"script": "a.js", "exec_mode": "cluster", "instances": "max"}]}"#, cpus: 3)
        #expect(eco.apps[0].instances == 3)
        #expect(eco.warnings == ["eco.json: apps[0].exec_mode: cluster mode is Node-only: the instances run as separate processes"])
        #expect(try F.warnings(#""script": "a.js", "exec_mode": "cluster_mode""#) == ["eco.json: exec_mode: cluster mode is Node-only: the instances run as separate processes"])
        #expect(try F.warnings(#""script": "a.js", "exec_mode": "fork""#) == [])
    }

    @Test func duplicateKeysAndSpellings() throws {
        let eco = try F.load(#"{"script": "a.js", "name": "x", "name": "y", "env": {"A": "1", "A": "2"}}"#, baseEnv: [:])
        #expect(eco.apps[0].name == "y")
        #expect(eco.apps[0].env == ["A": "2"])
        #expect(
            eco.warnings == [
                "eco.json: name: given more than once, the last value is used",
                "eco.json: env.A: given more than once, the last value is used",
            ])

        // The canonical spelling wins wherever it is; otherwise the first one given.
        let both = try F.load(#"{"cmd": "b.js", "script": "a.js", "maxRestarts": 1, "max_restarts": 2, "out": "o1", "output": "o2"}"#)
        #expect(both.apps[0].script == "a.js")
        #expect(both.apps[0].maxRestarts == 2)
        #expect(both.apps[0].outFile == "/srv/proj/o1")
        #expect(
            both.warnings == [
                "eco.json: cmd: same option as `script`, which is also given; ignored",
                "eco.json: maxRestarts: same option as `max_restarts`, which is also given; ignored",
                "eco.json: output: same option as `out`, which is also given; ignored",
            ])
    }

    @Test func otherWarnings() throws {
        #expect(
            try F.warnings(#""script": "/x/run", "interpreter_args": "--inspect""#)
                == ["eco.json: interpreter_args: ignored: the script runs without an interpreter"])
        #expect(try F.warnings(#""script": "/x/run", "interpreter_args": []"#) == [])
        #expect(
            try F.warnings(#""script": "a.js", "kill_mode": "group", "treekill": false"#)
                == [#"eco.json: treekill: conflicts with `kill_mode` "group", which is used"#])
        #expect(try F.warnings(#""script": "a.js", "kill_mode": "mixed", "treekill": false"#) == [])
        // An env_ section for another name is not unused by mistake: nothing to say about
        // it; but an --env that matches no section at all is most likely a typo.
        #expect(try F.warnings(#""script": "a.js", "env_production": {"A": "1"}, "env_test": {}"#, envName: "test") == [])
        #expect(try F.warnings(#""script": "a.js", "env_production": {"A": "1"}, "env_test": {}"#, envName: "dev")
            == ["eco.json: --env dev: no app has an env_dev block; only `env` applies"])
    }

    @Test func topLevelKeys() throws {
        let eco = try F.load(#"{"apps": [{"script": "a.js"}], "deploy": {"production": {}}, "appz": [], "apps": [{"script": "b.js"}]}"#)
        #expect(eco.apps.map(\.name) == ["b"])
        #expect(
            eco.warnings == [
                "eco.json: deploy: ignored (PM2-only)",
                "eco.json: appz: unknown top-level key, ignored (did you mean `apps`?)",
                "eco.json: apps: given more than once, the last value is used",
            ])
    }

    // MARK: - --only

    static let three = #"""
        {"apps": [
            {"name": "web", "script": "w.js", "scirpt": 1},
            {"name": "worker", "script": "k.js", "pmx": false},
            {"name": "cron", "script": "c.js"}
        ]}
        """#

    @Test func onlyKeepsTheNamedAppsInFileOrder() throws {
        let eco = try F.load(Self.three, only: ["cron", "web"])
        #expect(eco.apps.map(\.name) == ["web", "cron"])
        // Warnings about apps left out are left out too.
        #expect(eco.warnings == ["eco.json: apps[0].scirpt: unknown option, ignored (did you mean `script`?)"])
        #expect(try F.load(Self.three, only: ["worker", "worker"]).apps.map(\.name) == ["worker"])
    }

    @Test func onlyNamesMustExist() {
        #expect(F.error(Self.three, only: ["web", "api"]) == #"--only: no app named "api" in eco.json"#)
        #expect(F.error(Self.three, only: ["x", "y"]) == #"--only: no app named "x", "y" in eco.json"#)
    }

    @Test func onlyStillValidatesEveryApp() {
        let text = #"{"apps": [{"name": "web", "script": "w.js"}, {"name": "bad", "script": "b.js", "max_restarts": -1}]}"#
        #expect(F.error(text, only: ["web"]) == "eco.json: apps[1].max_restarts: expected a non-negative integer, found -1")
    }

    @Test func configErrorDescription() {
        #expect(ConfigError(file: "f.json", path: "apps[3].max_restarts", message: "m").description == "f.json: apps[3].max_restarts: m")
        #expect(ConfigError(file: "f.json", path: "", message: "m").description == "f.json: m")
    }

    // MARK: - The option tables

    @Test func noSpellingBelongsToTwoOptions() {
        var owner: [String: String] = [:]
        for option in EcosystemKeys.all {
            for spelling in EcosystemKeys.spellings(of: option) {
                #expect(owner[spelling] == nil, "\(spelling) is spelled by \(owner[spelling] ?? "") and \(option.name)")
                owner[spelling] = option.name
            }
        }
        #expect(owner.count == EcosystemKeys.bySpelling.count)
    }

    @Test func camelCaseFollowsPM2() {
        #expect(EcosystemKeys.camelCase("max_memory_restart") == "maxMemoryRestart")
        #expect(EcosystemKeys.camelCase("exp_backoff_restart_delay") == "expBackoffRestartDelay")
        #expect(EcosystemKeys.camelCase("v8") == "v8")
        #expect(EcosystemKeys.camelCase("a_b_cd") == "abCd")
        #expect(EcosystemKeys.spellings(of: EcosystemKeys.bySpelling["node_args"]!) == [
            "interpreter_args", "interpreterArgs", "node_args", "nodeArgs",
        ])
    }

    @Test func theNotYetTableHoldsThePlannedOptions() {
        let planned = [
            "uid", "gid", "filter_env",
        ]
        let notYet = Set(EcosystemKeys.notYet.map(\.name))
        for name in planned { #expect(notYet.contains(name), "\(name)") }
        // Implemented since: moved out of the table.
        for name in ["exp_backoff_restart_delay", "exp_backoff_max_delay", "max_memory_restart", "cron_restart", "autostart",
                     "memory_max", "memory_high", "tasks_max", "cpu_quota",
                     "wait_ready", "listen_timeout", "watchdog_sec",
                     "log_date_format", "time", "log_type", "log_max_size", "log_retain", "log_compress",
                     "log_rotate_interval"] { #expect(!notYet.contains(name), "\(name)") }
    }

    @Test(
        "edit distance counts a swap as one edit",
        arguments: [("nmae", "name", 1), ("scirpt", "script", 1), ("", "abc", 3), ("kitten", "sitting", 3), ("same", "same", 0)])
    func editDistance(a: String, b: String, distance: Int) {
        #expect(EcosystemKeys.editDistance(Array(a), Array(b)) == distance)
    }
}
