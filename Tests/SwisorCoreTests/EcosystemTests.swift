import Testing

@testable import SwisorCore

@Suite("Ecosystem loader: forms, options, resolution")
struct EcosystemTests {
    typealias F = EcoFixture

    // MARK: - Top level

    @Test(
        "the three top-level forms and PM2's lone object under apps",
        arguments: [
            #"{"apps": [{"script": "app.js"}]}"#,
            #"[{"script": "app.js"}]"#,
            #"{"script": "app.js"}"#,
            #"{"apps": {"script": "app.js"}}"#,
        ])
    func topLevelForms(text: String) throws {
        let eco = try F.load(text, files: ["/srv/proj/app.js"])
        #expect(eco.apps == [AppSpec(name: "app", script: "/srv/proj/app.js", interpreter: "node", cwd: "/srv/proj", env: F.baseEnv)])
        #expect(eco.warnings == [])
    }

    @Test(
        "paths follow the top-level form",
        arguments: [
            (#"{"apps": [{"script": "a.js"}, {"script": "b.js", "max_restarts": "ten"}]}"#, "apps[1].max_restarts"),
            (#"[{"script": "a.js"}, {"script": "b.js", "max_restarts": "ten"}]"#, "[1].max_restarts"),
            (#"{"script": "b.js", "max_restarts": "ten"}"#, "max_restarts"),
            (#"{"apps": {"script": "b.js", "max_restarts": "ten"}}"#, "apps.max_restarts"),
        ])
    func pathsPerForm(text: String, path: String) {
        #expect(F.error(text) == "eco.json: \(path): expected a non-negative integer, found \"ten\"")
    }

    @Test func severalAppsInOrder() throws {
        let eco = try F.load(#"{"apps": [{"script": "b.js"}, {"script": "a.js"}, {"script": "c.sh", "name": "z"}]}"#)
        #expect(eco.apps.map(\.name) == ["b", "a", "z"])
    }

    @Test func commandLineObjectGoesThroughTheSameLoader() throws {
        let object = JSONObject([
            (key: "script", value: "server.py"), (key: "name", value: "srv"), (key: "instances", value: "max"),
            (key: "args", value: ["--port", "80"]),
        ])
        var options = F.options(files: ["/home/u/work/server.py"])
        options.source = "command line"
        options.directory = "/home/u/work"
        let eco = try Ecosystem.load(json: .object(object), options: options)
        #expect(
            eco.apps == [
                AppSpec(
                    name: "srv", script: "/home/u/work/server.py", args: ["--port", "80"], interpreter: "python3",
                    cwd: "/home/u/work", env: F.baseEnv.merging(["PYTHONUNBUFFERED": "1"]) { $1 }, instances: 4)
            ])

        let bad = JSONObject([(key: "script", value: "x"), (key: "max_restarts", value: -1)])
        #expect(throws: ConfigError(file: "command line", path: "max_restarts", message: "expected a non-negative integer, found -1")) {
            try Ecosystem.load(json: .object(bad), options: options)
        }
    }

    // MARK: - Defaults and every option

    @Test func defaults() throws {
        let app = try F.app(#""script": "app.js""#, files: ["/srv/proj/app.js"])
        #expect(app.name == "app")
        #expect(app.namespace == "default")
        #expect(app.args == [])
        #expect(app.interpreterArgs == [])
        #expect(app.shell == false)
        #expect(app.cwd == "/srv/proj")
        #expect(app.env == F.baseEnv)
        #expect(app.instances == 1)
        #expect(app.instanceVar == "NODE_APP_INSTANCE")
        #expect(app.autorestart == true)
        #expect(app.killSignal == .sigint)
        #expect(app.killTimeoutMs == 1600)
        #expect(app.killMode == .group)
        #expect(app.outFile == nil)
        #expect(app.errorFile == nil)
        #expect(app.logFile == nil)
        #expect(app.mergeLogs == false)
        #expect(app.minUptimeMs == 1000)
        #expect(app.maxRestarts == 16)
        #expect(app.restartDelayMs == 0)
        #expect(app.stopExitCodes == [])
    }

    @Test func everyOption() throws {
        let eco = try F.load(
            #"""
            {"apps": [{
                "name": "api",
                "script": "server.js",
                "args": "--port 8080 'two words'",
                "interpreter": "/opt/node/bin/node",
                "interpreter_args": ["--max-old-space-size=512"],
                "cwd": "services/api",
                "env": {"NODE_ENV": "development", "PORT": 3000, "RATIO": 0.5, "DEBUG": false},
                "env_production": {"NODE_ENV": "production"},
                "namespace": "backend",
                "instances": 2,
                "instance_var": "INSTANCE_ID",
                "exec_mode": "fork",
                "autorestart": false,
                "kill_signal": "SIGTERM",
                "kill_timeout": "5s",
                "kill_mode": "mixed",
                "out_file": "logs/out.log",
                "error_file": "/var/log/api/err.log",
                "log_file": "~/combined.log",
                "merge_logs": true,
                "min_uptime": "2s",
                "max_restarts": 5,
                "restart_delay": 250,
                "stop_exit_codes": [0, 3],
                "memory_max": "512M",
                "memoryHigh": 402653184,
                "tasks_max": 64,
                "cpu_quota": "150%"
            }]}
            """#, envName: "production", files: ["/srv/proj/services/api/server.js"])
        #expect(eco.warnings == [])
        #expect(
            eco.apps == [
                AppSpec(
                    name: "api",
                    namespace: "backend",
                    script: "/srv/proj/services/api/server.js",
                    args: ["--port", "8080", "two words"],
                    interpreter: "/opt/node/bin/node",
                    interpreterArgs: ["--max-old-space-size=512"],
                    shell: false,
                    cwd: "/srv/proj/services/api",
                    env: F.baseEnv.merging(["NODE_ENV": "production", "PORT": "3000", "RATIO": "0.5", "DEBUG": "false"]) { $1 },
                    instances: 2,
                    instanceVar: "INSTANCE_ID",
                    autorestart: false,
                    killSignal: .sigterm,
                    killTimeoutMs: 5000,
                    killMode: .mixed,
                    outFile: "/srv/proj/services/api/logs/out.log",
                    errorFile: "/var/log/api/err.log",
                    logFile: "/home/u/combined.log",
                    mergeLogs: true,
                    minUptimeMs: 2000,
                    maxRestarts: 5,
                    restartDelayMs: 250,
                    stopExitCodes: [0, 3],
                    memoryMaxBytes: 512 << 20,
                    memoryHighBytes: 384 << 20,
                    tasksMax: 64,
                    cpuQuotaPercent: 150
                )
            ])
    }

    /// Every alias and camelCase spelling gives the same app as the canonical name, and one
    /// that differs from the default (so the option was really read).
    @Test(
        "aliases and camelCase spellings",
        arguments: [
            ("cmd", "script", #""x.sh""#), ("command", "script", #""x.sh""#), ("exec", "script", #""x.sh""#),
            ("exec_interpreter", "interpreter", #""python3""#), ("execInterpreter", "interpreter", #""python3""#),
            ("node_args", "interpreter_args", #""--inspect""#), ("nodeArgs", "interpreter_args", #""--inspect""#),
            ("interpreterArgs", "interpreter_args", #""--inspect""#),
            ("out", "out_file", #""o.log""#), ("output", "out_file", #""o.log""#), ("out_log", "out_file", #""o.log""#),
            ("outFile", "out_file", #""o.log""#),
            ("error", "error_file", #""e.log""#), ("err", "error_file", #""e.log""#),
            ("err_file", "error_file", #""e.log""#), ("err_log", "error_file", #""e.log""#),
            ("errorFile", "error_file", #""e.log""#),
            ("log", "log_file", #""c.log""#), ("logFile", "log_file", #""c.log""#),
            ("combine_logs", "merge_logs", "true"), ("mergeLogs", "merge_logs", "true"),
            ("combineLogs", "merge_logs", "true"),
            ("maxRestarts", "max_restarts", "3"), ("killTimeout", "kill_timeout", "5"),
            ("minUptime", "min_uptime", #""2s""#), ("restartDelay", "restart_delay", "100"),
            ("stopExitCodes", "stop_exit_codes", "[0]"), ("instanceVar", "instance_var", #""X""#),
            ("killSignal", "kill_signal", #""SIGTERM""#), ("killMode", "kill_mode", #""mixed""#),
            ("disableLogs", "disable_logs", "true"), ("execMode", "exec_mode", #""cluster""#),
        ])
    func aliases(alias: String, canonical: String, value: String) throws {
        let base = canonical == "script" ? "" : #""script": "s.js", "#
        let viaAlias = try F.load("{\(base)\"\(alias)\": \(value)}")
        let viaName = try F.load("{\(base)\"\(canonical)\": \(value)}")
        #expect(viaAlias.apps == viaName.apps)
        #expect(viaAlias.warnings == viaName.warnings.map { $0.replacingOccurrences(of: canonical, with: alias) })
        if canonical != "script" && canonical != "exec_mode" {
            #expect(viaName.apps != (try F.load(#"{"script": "s.js"}"#)).apps)
        }
    }

    // MARK: - Environment

    @Test func environmentMergeOrder() throws {
        let members = #"""
            "script": "a.js",
            "env": {"B": "env", "C": "env"},
            "env_production": {"C": "production", "D": "production"},
            "env_staging": {"C": "staging"}
            """#
        let base = ["A": "base", "B": "base", "C": "base"]
        #expect(try F.app(members, envName: "production", baseEnv: base).env == ["A": "base", "B": "env", "C": "production", "D": "production"])
        #expect(try F.app(members, envName: "staging", baseEnv: base).env == ["A": "base", "B": "env", "C": "staging"])
        #expect(try F.app(members, baseEnv: base).env == ["A": "base", "B": "env", "C": "env"])
        // A name with no env_ section is not an error: the app just has none for it.
        #expect(try F.app(members, envName: "test", baseEnv: base).env == ["A": "base", "B": "env", "C": "env"])
        // Selection is exact.
        #expect(try F.app(members, envName: "Production", baseEnv: base).env["C"] == "env")
        // Only env_ sections, with no env.
        #expect(try F.app(#""script": "a.js", "env_dev": {"X": "1"}"#, envName: "dev", baseEnv: [:]).env == ["X": "1"])
    }

    @Test func environmentValuesAreStringified() throws {
        let env = try F.app(
            #""script": "a.js", "env": {"S": "x", "I": 3000, "NEG": -2, "D": 0.5, "WHOLE": 2.0, "T": true, "F": false, "E": ""}"#,
            baseEnv: [:]
        ).env
        #expect(env == ["S": "x", "I": "3000", "NEG": "-2", "D": "0.5", "WHOLE": "2", "T": "true", "F": "false", "E": ""])
    }

    @Test func portSetsPORTOverEnv() throws {
        #expect(try F.app(#""script": "a.js", "port": 8080, "env": {"PORT": "1"}"#, baseEnv: [:]).env == ["PORT": "8080"])
        #expect(try F.app(#""script": "a.js", "port": "9000""#, baseEnv: [:]).env == ["PORT": "9000"])
    }

    @Test func pythonIsUnbuffered() throws {
        #expect(try F.app(#""script": "job.py""#, baseEnv: [:]).env == ["PYTHONUNBUFFERED": "1"])
        #expect(try F.app(#""script": "job", "interpreter": "/venv/bin/python3.12""#, baseEnv: [:]).env == ["PYTHONUNBUFFERED": "1"])
        #expect(try F.app(#""script": "python3", "args": "-m http.server""#, baseEnv: [:]).env == ["PYTHONUNBUFFERED": "1"])
        // A value the user set is kept.
        #expect(try F.app(#""script": "job.py", "env": {"PYTHONUNBUFFERED": "0"}"#, baseEnv: [:]).env == ["PYTHONUNBUFFERED": "0"])
        #expect(try F.app(#""script": "job.js""#, baseEnv: [:]).env == [:])
        #expect(try F.app(#""script": "python3 -m http.server""#, baseEnv: [:]).env == [:])
    }

    // MARK: - Names

    @Test(
        "name defaults to the script's base name without extension",
        arguments: [
            ("app.js", "app"), ("./bin/www", "www"), ("api.server.js", "api.server"), ("npm", "npm"),
            ("npm run start", "npm"), ("'my tool' --x", "my tool"), ("/usr/bin/python3.11", "python3"),
            ("dir/worker.sh", "worker"), ("~/bin/job", "job"), ("run.tar.gz", "run.tar"),
        ])
    func nameDefault(script: String, name: String) {
        let result = Result { () throws(ConfigError) in try F.app("\"script\": \(JSON.string(script).serialized())") }
        if AppName.validate(name) == nil {
            #expect((try? result.get())?.name == name)
        } else {
            // "my tool" cannot be a name: the file must set one.
            #expect(throws: ConfigError.self) { try result.get() }
        }
    }

    @Test func appendEnvToName() throws {
        #expect(try F.app(#""script": "a.js", "name": "api", "append_env_to_name": true"#, envName: "production").name == "api-production")
        #expect(try F.app(#""script": "a.js", "name": "api", "append_env_to_name": true"#).name == "api")
        #expect(try F.app(#""script": "a.js", "append_env_to_name": true"#, envName: "dev").name == "a-dev")
        #expect(try F.app(#""script": "a.js", "name": "api", "append_env_to_name": false"#, envName: "dev").name == "api")
    }

    // MARK: - Script and interpreter

    struct ScriptCase: Sendable, CustomTestStringConvertible {
        var members: String
        var files: Set<String> = []
        var script: String
        var interpreter: String?
        var shell = false
        var testDescription: String { members }
    }

    @Test(
        "script and interpreter resolution",
        arguments: [
            ScriptCase(members: #""script": "app.js""#, files: ["/srv/proj/app.js"], script: "/srv/proj/app.js", interpreter: "node"),
            ScriptCase(members: #""script": "app.js""#, script: "app.js", interpreter: "node"),
            ScriptCase(members: #""script": "./app.js""#, script: "/srv/proj/app.js", interpreter: "node"),
            ScriptCase(members: #""script": "lib/run.sh""#, script: "/srv/proj/lib/run.sh", interpreter: "bash"),
            ScriptCase(members: #""script": "/opt/x/run.py""#, script: "/opt/x/run.py", interpreter: "python3"),
            ScriptCase(members: #""script": "/w.rb""#, script: "/w.rb", interpreter: "ruby"),
            ScriptCase(members: #""script": "/w.pl""#, script: "/w.pl", interpreter: "perl"),
            ScriptCase(members: #""script": "/w.php""#, script: "/w.php", interpreter: "php"),
            ScriptCase(members: #""script": "/w.mjs""#, script: "/w.mjs", interpreter: "node"),
            ScriptCase(members: #""script": "/w.cjs""#, script: "/w.cjs", interpreter: "node"),
            ScriptCase(members: #""script": "/w.ts""#, script: "/w.ts", interpreter: "bun"),
            ScriptCase(members: #""script": "/w.coffee""#, script: "/w.coffee", interpreter: "coffee"),
            ScriptCase(members: #""script": "/w.JS""#, script: "/w.JS", interpreter: nil),
            ScriptCase(members: #""script": "/w.go""#, script: "/w.go", interpreter: nil),
            ScriptCase(members: #""script": "server""#, script: "server", interpreter: nil),
            ScriptCase(members: #""script": "server""#, files: ["/srv/proj/server"], script: "/srv/proj/server", interpreter: nil),
            ScriptCase(members: #""script": "../bin/srv""#, script: "/srv/bin/srv", interpreter: nil),
            ScriptCase(members: #""script": "~/bin/tool""#, script: "/home/u/bin/tool", interpreter: nil),
            ScriptCase(members: #""script": "~", "name": "x""#, script: "/home/u", interpreter: nil),
            ScriptCase(members: #""script": "npm run start""#, script: "npm run start", interpreter: nil, shell: true),
            ScriptCase(members: #""script": "run.sh --fast""#, script: "run.sh --fast", interpreter: nil, shell: true),
            ScriptCase(members: #""script": "npm start", "interpreter": "none""#, script: "npm start", interpreter: nil, shell: true),
            ScriptCase(
                members: #""script": "a b.sh", "interpreter": "none", "name": "x""#, files: ["/srv/proj/a b.sh"],
                script: "/srv/proj/a b.sh", interpreter: nil),
            ScriptCase(
                members: #""script": "my app.js", "name": "x""#, files: ["/srv/proj/my app.js"], script: "/srv/proj/my app.js",
                interpreter: "node"),
            ScriptCase(members: #""script": "my app.js", "interpreter": "node", "name": "x""#, script: "my app.js", interpreter: "node"),
            ScriptCase(
                members: #""script": "app.js", "interpreter": "none""#, files: ["/srv/proj/app.js"], script: "/srv/proj/app.js",
                interpreter: nil),
            ScriptCase(members: #""script": "app.py", "interpreter": "/usr/bin/python3.12""#, script: "app.py", interpreter: "/usr/bin/python3.12"),
            ScriptCase(
                members: #""script": "app.py", "interpreter": "./venv/bin/python""#, script: "app.py",
                interpreter: "/srv/proj/venv/bin/python"),
            ScriptCase(members: #""script": "app.py", "interpreter": "~/py/bin/python""#, script: "app.py", interpreter: "/home/u/py/bin/python"),
            ScriptCase(members: #""script": "app.js", "interpreter": """#, script: "app.js", interpreter: "node"),
            ScriptCase(members: #""script": "app.js", "interpreter": "deno""#, script: "app.js", interpreter: "deno"),
            ScriptCase(
                members: #""script": "app.js", "cwd": "sub""#, files: ["/srv/proj/sub/app.js"], script: "/srv/proj/sub/app.js",
                interpreter: "node"),
            ScriptCase(members: #""script": "app.js", "cwd": "sub""#, files: ["/srv/proj/app.js"], script: "app.js", interpreter: "node"),
        ])
    func scriptResolution(c: ScriptCase) throws {
        let app = try F.app(c.members, files: c.files)
        #expect(app.script == c.script)
        #expect(app.interpreter == c.interpreter)
        #expect(app.shell == c.shell)
    }

    @Test func shellCommandKeepsArgs() throws {
        let app = try F.app(#""script": "npm run", "args": ["start", "a b"]"#)
        #expect(app.argv == ["/bin/sh", "-c", "npm run start 'a b'"])
    }

    @Test func interpreterArgsGoBeforeTheScript() throws {
        let app = try F.app(#""script": "/a/app.js", "node_args": "--inspect --max-old-space-size=64", "args": [1, "x"]"#)
        #expect(app.argv == ["node", "--inspect", "--max-old-space-size=64", "/a/app.js", "1", "x"])
    }

    @Test(
        "arguments",
        arguments: [
            (#""a  b 'c d' \"e\\\"f\"""#, ["a", "b", "c d", "e\"f"]),
            (#"["a b", 1, -2, 1.5, 3.0]"#, ["a b", "1", "-2", "1.5", "3"]),
            (#""""#, []),
            (#"[]"#, []),
        ])
    func args(json: String, expected: [String]) throws {
        #expect(try F.app(#""script": "/x", "args": \#(json)"#).args == expected)
    }

    // MARK: - cwd

    @Test(
        "cwd",
        arguments: [
            (#""cwd": "sub/../web""#, "/srv/proj/web"), (#""cwd": "/var/www/""#, "/var/www"),
            (#""cwd": "~/x""#, "/home/u/x"), (#""cwd": "~""#, "/home/u"), (#""cwd": ".""#, "/srv/proj"),
            (#""cwd": "..""#, "/srv"), (#""cwd": "/../..""#, "/"), (#""cwd": """#, "/srv/proj"),
            (#""cwd": null"#, "/srv/proj"), (#""cwd": "a//b/./c""#, "/srv/proj/a/b/c"),
        ])
    func cwd(member: String, expected: String) throws {
        #expect(try F.app(#""script": "x", "# + member).cwd == expected)
    }

    // MARK: - Instances, modes, signals

    @Test(
        "instances",
        arguments: [
            ("1", 4, 1), ("4", 4, 4), ("\"max\"", 4, 4), ("0", 8, 8), ("-1", 4, 3), ("-1", 1, 1), ("-10", 4, 1),
            ("\"3\"", 4, 3), ("2.0", 4, 2), ("\"-1\"", 4, 3), ("\"max\"", 0, 1), ("1024", 4, 1024),
        ])
    func instances(json: String, cpus: Int, expected: Int) throws {
        #expect(try F.app(#""script": "x", "instances": \#(json)"#, cpus: cpus).instances == expected)
    }

    @Test(
        "kill signal",
        arguments: [
            ("\"SIGTERM\"", Signal.sigterm), ("\"TERM\"", .sigterm), ("\"sigusr2\"", .sigusr2), ("15", .sigterm),
            ("\"9\"", .sigkill), ("\"SIGHUP\"", .sighup),
        ])
    func killSignal(json: String, signal: Signal) throws {
        #expect(try F.app(#""script": "x", "kill_signal": \#(json)"#).killSignal == signal)
    }

    @Test(
        "kill mode and PM2's treekill",
        arguments: [
            (#""kill_mode": "group""#, KillMode.group), (#""kill_mode": "mixed""#, .mixed),
            (#""treekill": false"#, .mixed), (#""treekill": true"#, .group),
            (#""kill_mode": "group", "treekill": false"#, .group), (#""kill_mode": "mixed", "treekill": true"#, .mixed),
        ])
    func killMode(members: String, mode: KillMode) throws {
        #expect(try F.app(#""script": "x", "# + members).killMode == mode)
    }

    @Test(
        "durations accept units",
        arguments: [
            (#""kill_timeout": "5s""#, 5000, 1000, 0), (#""min_uptime": "1.5s""#, 1600, 1500, 0),
            (#""restart_delay": 250"#, 1600, 1000, 250), (#""restart_delay": "2m""#, 1600, 1000, 120_000),
            (#""kill_timeout": "1500""#, 1500, 1000, 0), (#""minUptime": "1h""#, 1600, 3_600_000, 0),
        ])
    func durations(members: String, killTimeout: Int, minUptime: Int, restartDelay: Int) throws {
        let app = try F.app(#""script": "x", "# + members)
        #expect(app.killTimeoutMs == killTimeout)
        #expect(app.minUptimeMs == minUptime)
        #expect(app.restartDelayMs == restartDelay)
    }

    @Test(
        "max_restarts and stop_exit_codes",
        arguments: [
            (#""max_restarts": 0"#, 0, [Int32]()), (#""max_restarts": "10""#, 10, []), (#""max_restarts": 10.0"#, 10, []),
            (#""stop_exit_codes": 0"#, 16, [0]), (#""stop_exit_codes": [0, 2, 255]"#, 16, [0, 2, 255]),
            (#""stop_exit_codes": "3""#, 16, [3]), (#""stop_exit_codes": []"#, 16, []),
            (#""stop_exit_codes": ["1", 2]"#, 16, [1, 2]),
        ])
    func restartsAndExitCodes(members: String, maxRestarts: Int, codes: [Int32]) throws {
        let app = try F.app(#""script": "x", "# + members)
        #expect(app.maxRestarts == maxRestarts)
        #expect(app.stopExitCodes == codes)
    }

    @Test func booleansAndNames() throws {
        let app = try F.app(#""script": "x", "autorestart": false, "namespace": "jobs", "instance_var": "WORKER_ID""#)
        #expect(app.autorestart == false)
        #expect(app.namespace == "jobs")
        #expect(app.instanceVar == "WORKER_ID")
    }

    // MARK: - Logs

    struct LogCase: Sendable, CustomTestStringConvertible {
        var members: String
        var out: String?
        var error: String?
        var combined: String?
        var testDescription: String { members }
    }

    @Test(
        "log files",
        arguments: [
            LogCase(members: #""out_file": "out.log""#, out: "/srv/proj/out.log"),
            LogCase(members: #""out_file": "l/o.log", "cwd": "/app""#, out: "/app/l/o.log"),
            LogCase(members: #""error_file": "~/logs/e.log""#, error: "/home/u/logs/e.log"),
            LogCase(members: #""out_file": "/dev/null", "error_file": "NULL""#, out: "/dev/null", error: "/dev/null"),
            LogCase(members: #""out_file": """#),
            LogCase(members: #""log_file": true"#, combined: "/home/u/.swisor/logs/x.log"),
            LogCase(members: #""log_file": true, "name": "web""#, combined: "/home/u/.swisor/logs/web.log"),
            LogCase(members: #""log_file": false"#),
            LogCase(members: #""log_file": "all.log""#, combined: "/srv/proj/all.log"),
            LogCase(members: #""log_file": "/dev/null""#, combined: "/dev/null"),
            LogCase(
                members: #""disable_logs": true, "out_file": "o.log", "log_file": "c.log""#, out: "/dev/null",
                error: "/dev/null"),
            LogCase(members: #""disable_logs": false, "out_file": "o.log""#, out: "/srv/proj/o.log"),
        ])
    func logs(c: LogCase) throws {
        let app = try F.app(#""script": "x", "# + c.members)
        #expect(app.outFile == c.out)
        #expect(app.errorFile == c.error)
        #expect(app.logFile == c.combined)
    }

    @Test func logFileTrueWithoutALogDirectoryIsIgnoredWithAWarning() throws {
        let eco = try F.load(#"{"script": "x", "log_file": true}"#, logDirectory: nil)
        #expect(eco.apps[0].logFile == nil)
        #expect(eco.warnings == ["eco.json: log_file: `true` (a combined log in the default folder) is not available here, ignored"])
    }

    @Test func nullMeansNotGiven() throws {
        let app = try F.app(#""script": "x", "name": null, "max_restarts": null, "env": null, "env_prod": null, "watch": null"#, envName: "prod")
        #expect(app == (try F.app(#""script": "x""#)))
    }

    // MARK: - Scale

    @Test func manyApps() throws {
        let apps = (0..<2000).map { i in
            #"{"name": "app\#(i)", "script": "w\#(i).js", "env": {"N": \#(i)}, "max_restarts": "\#(i % 20)"}"#
        }
        let eco = try F.load("{\"apps\": [\(apps.joined(separator: ","))]}")
        #expect(eco.apps.count == 2000)
        #expect(eco.apps[1999].name == "app1999")
        #expect(eco.apps[1999].env["N"] == "1999")
        #expect(eco.apps[1999].maxRestarts == 19)
        #expect(eco.warnings == [])
    }
}

extension String {
    /// Foundation-free helper for the alias test.
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
