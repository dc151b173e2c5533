import Testing

@testable import SwisorCore

@Suite("Ecosystem loader: errors")
struct EcosystemErrorTests {
    typealias F = EcoFixture

    static let durationForms = Units.durationForms
    static let memoryForms = Units.memorySizeForms
    static let nameChars = "a name may contain only ASCII letters, digits, '.', '_' and '-'"

    @Test(
        "whole-file errors",
        arguments: [
            ("{\"apps\": [\n  {\"script\": \"a.js\"\n   \"name\": \"x\"}]}", "eco.json: line 3, column 4: expected ',' or '}' after an object member"),
            ("", "eco.json: line 1, column 1: the file is empty, expected a JSON value"),
            (#"{"apps": []}"#, "eco.json: apps: expected at least one app, found an empty array"),
            (#"[]"#, "eco.json: expected at least one app, found an empty array"),
            (#"42"#, #"eco.json: expected an object with "apps", an array of apps, or one app object; found 42"#),
            (#""app.js""#, #"eco.json: expected an object with "apps", an array of apps, or one app object; found "app.js""#),
            (#"{"apps": "x"}"#, #"eco.json: apps: expected an array of apps, found "x""#),
            (#"{"apps": null}"#, #"eco.json: apps: expected an array of apps, found null"#),
            (#"{"apps": [1]}"#, "eco.json: apps[0]: expected an app object, found 1"),
            (#"[{"script": "a"}, ["b"]]"#, "eco.json: [1]: expected an app object, found an array"),
            (#"{"apps": [{"name": "x"}]}"#, "eco.json: apps[0]: missing `script` (the program or command to run)"),
            (#"{"name": "x"}"#, "eco.json: missing `script` (the program or command to run)"),
            (#"{"apps": [{"script": null}]}"#, "eco.json: apps[0]: missing `script` (the program or command to run)"),
        ])
    func fileErrors(text: String, message: String) {
        #expect(F.error(text) == message)
    }

    @Test(
        "option errors name the path, what was found and what was expected",
        arguments: [
            (#""script": """#, #"apps[0].script: expected a non-empty string (the program or command to run), found """#),
            (#""script": 5"#, "apps[0].script: expected a non-empty string (the program or command to run), found 5"),
            (#""cmd": ["a"]"#, "apps[0].cmd: expected a non-empty string (the program or command to run), found an array"),
            (#""script": "a", "name": 5"#, "apps[0].name: expected an app name, found 5"),
            (#""script": "a", "name": "my app""#, #"apps[0].name: invalid app name "my app": \#(nameChars), found a space"#),
            (#""script": "a", "name": "all""#, #"apps[0].name: invalid app name "all": "all" is reserved: it means every app in a command"#),
            (#""script": "a", "name": "42""#, #"apps[0].name: invalid app name "42": a name cannot be only digits: it would be read as an app id"#),
            (#""script": "a", "name": """#, #"apps[0].name: invalid app name "": a name cannot be empty"#),
            (#""script": "x/.hidden""#, #"apps[0].script: the default app name ".hidden", made from the script, is invalid (a name must start with a letter or a digit); set `name`"#),
            (#""script": "'my tool' --x""#, #"apps[0].script: the default app name "my tool", made from the script, is invalid (\#(nameChars), found a space); set `name`"#),
            (#""script": "123.js""#, #"apps[0].script: the default app name "123", made from the script, is invalid (a name cannot be only digits: it would be read as an app id); set `name`"#),
            (#""script": "a", "namespace": "all""#, #"apps[0].namespace: invalid namespace "all": "all" is reserved: it means every app in a command"#),
            (#""script": "a", "namespace": 1"#, "apps[0].namespace: expected a namespace name, found 1"),
            (#""script": "a", "args": "a 'b""#, #"apps[0].args: expected shell words, found "a 'b" (an unterminated ' quote)"#),
            (#""script": "a", "args": "a\\""#, #"apps[0].args: expected shell words, found "a\\" (a backslash at the end)"#),
            (#""script": "a", "args": ["x", null]"#, "apps[0].args[1]: expected a string or a number, found null"),
            (#""script": "a", "args": ["x", true]"#, "apps[0].args[1]: expected a string or a number, found true"),
            (#""script": "a", "args": {"a": 1}"#, "apps[0].args: expected a string or an array of strings, found an object"),
            (#""script": "a", "node_args": 3"#, "apps[0].node_args: expected a string or an array of strings, found 3"),
            (#""script": "a", "interpreter": true"#, #"apps[0].interpreter: expected a program name or path, or "none", found true"#),
            (#""script": "a", "cwd": 1"#, "apps[0].cwd: expected a directory path, found 1"),
            // A string is accepted (and ignored) as PM2's schema allows; other kinds are not.
            (#""script": "a", "env": 5"#, #"apps[0].env: expected an object of environment variables, found 5"#),
            (#""script": "a", "env_production": true"#, #"apps[0].env_production: expected an object of environment variables, found true"#),
            (#""script": "a", "env": {"X": null}"#, "apps[0].env.X: expected a string, a number or a boolean, found null"),
            (#""script": "a", "env": {"X": {"y": 1}}"#, "apps[0].env.X: expected a string, a number or a boolean, found an object"),
            (#""script": "a", "env": {"X": [1]}"#, "apps[0].env.X: expected a string, a number or a boolean, found an array"),
            (#""script": "a", "env": {"A=B": "1"}"#, #"apps[0].env["A=B"]: invalid environment variable name: a variable name cannot contain '='"#),
            (#""script": "a", "env": {"": "1"}"#, #"apps[0].env[""]: invalid environment variable name: a variable name cannot be empty"#),
            (#""script": "a", "env": {"A\u0000": "1"}"#, #"apps[0].env["A\u0000"]: invalid environment variable name: a variable name cannot contain a NUL character"#),
            (#""script": "a", "env": {"A": "x\u0000y"}"#, "apps[0].env.A: an environment value cannot contain a NUL character"),
            // Every env_ section is checked, selected or not.
            (#""script": "a", "env_production": {"X": null}"#, "apps[0].env_production.X: expected a string, a number or a boolean, found null"),
            (#""script": "a", "env_staging": []"#, "apps[0].env_staging: expected an object of environment variables, found an empty array"),
            (#""script": "a", "port": 0"#, "apps[0].port: expected a port number (1 to 65535), found 0"),
            (#""script": "a", "port": 70000"#, "apps[0].port: expected a port number (1 to 65535), found 70000"),
            (#""script": "a", "port": "http""#, #"apps[0].port: expected a port number (1 to 65535), found "http""#),
            (#""script": "a", "instances": "many""#, #"apps[0].instances: expected a number of instances (1 or more; 0 or "max" for one per CPU; -N for all CPUs but N), found "many""#),
            (#""script": "a", "instances": 2.5"#, #"apps[0].instances: expected a number of instances (1 or more; 0 or "max" for one per CPU; -N for all CPUs but N), found 2.5"#),
            (#""script": "a", "instances": true"#, #"apps[0].instances: expected a number of instances (1 or more; 0 or "max" for one per CPU; -N for all CPUs but N), found true"#),
            (#""script": "a", "instances": 5000"#, "apps[0].instances: expected at most 1024 instances, found 5000"),
            (#""script": "a", "exec_mode": "spawn""#, #"apps[0].exec_mode: expected "fork" or "cluster", found "spawn""#),
            (#""script": "a", "exec_mode": 1"#, #"apps[0].exec_mode: expected "fork" or "cluster", found 1"#),
            (#""script": "a", "instance_var": "A=B""#, #"apps[0].instance_var: a variable name cannot contain '=', found "A=B""#),
            (#""script": "a", "instance_var": """#, #"apps[0].instance_var: a variable name cannot be empty, found """#),
            (#""script": "a", "instance_var": 1"#, "apps[0].instance_var: expected an environment variable name, found 1"),
            (#""script": "a", "autorestart": "no""#, #"apps[0].autorestart: expected true or false, found "no""#),
            (#""script": "a", "autorestart": 0"#, "apps[0].autorestart: expected true or false, found 0"),
            (#""script": "a", "kill_signal": "SIGFOO""#, #"apps[0].kill_signal: expected a signal name such as "SIGTERM", found "SIGFOO""#),
            (#""script": "a", "kill_signal": 99"#, #"apps[0].kill_signal: expected a signal name such as "SIGTERM", found 99"#),
            (#""script": "a", "killSignal": true"#, #"apps[0].killSignal: expected a signal name such as "SIGTERM", found true"#),
            (#""script": "a", "kill_timeout": "5x""#, #"apps[0].kill_timeout: expected a duration (\#(durationForms)), found "5x""#),
            (#""script": "a", "kill_timeout": -1"#, "apps[0].kill_timeout: expected a duration (\(durationForms)), found -1"),
            (#""script": "a", "min_uptime": true"#, "apps[0].min_uptime: expected a duration (\(durationForms)), found true"),
            (#""script": "a", "restart_delay": "1 s""#, #"apps[0].restart_delay: expected a duration (\#(durationForms)), found "1 s""#),
            (#""script": "a", "kill_mode": "tree""#, #"apps[0].kill_mode: expected "group" or "mixed", found "tree""#),
            (#""script": "a", "treekill": "no""#, #"apps[0].treekill: expected true or false, found "no""#),
            (#""script": "a", "out_file": 3"#, "apps[0].out_file: expected a file path, found 3"),
            (#""script": "a", "err": false"#, "apps[0].err: expected a file path, found false"),
            (#""script": "a", "log_file": 1"#, "apps[0].log_file: expected a file path, found 1"),
            (#""script": "a", "merge_logs": "yes""#, #"apps[0].merge_logs: expected true or false, found "yes""#),
            (#""script": "a", "disable_logs": 1"#, "apps[0].disable_logs: expected true or false, found 1"),
            (#""script": "a", "max_restarts": "ten""#, #"apps[0].max_restarts: expected a non-negative integer, found "ten""#),
            (#""script": "a", "max_restarts": -1"#, "apps[0].max_restarts: expected a non-negative integer, found -1"),
            (#""script": "a", "max_restarts": 1.5"#, "apps[0].max_restarts: expected a non-negative integer, found 1.5"),
            (#""script": "a", "maxRestarts": 1e20"#, "apps[0].maxRestarts: expected a non-negative integer, found 1e+20"),
            (#""script": "a", "stop_exit_codes": 256"#, "apps[0].stop_exit_codes: expected an exit code (0 to 255) or an array of them, found 256"),
            (#""script": "a", "stop_exit_codes": "abc""#, #"apps[0].stop_exit_codes: expected an exit code (0 to 255) or an array of them, found "abc""#),
            (#""script": "a", "stop_exit_codes": [0, "x"]"#, #"apps[0].stop_exit_codes[1]: expected an exit code (0 to 255), found "x""#),
            (#""script": "a", "stop_exit_codes": [0, -1]"#, "apps[0].stop_exit_codes[1]: expected an exit code (0 to 255), found -1"),
            (#""script": "a", "append_env_to_name": "yes""#, #"apps[0].append_env_to_name: expected true or false, found "yes""#),
            // Options not implemented yet are still checked, so a file does not break the day they are.
            (#""script": "a", "max_memory_restart": "lots""#, #"apps[0].max_memory_restart: expected a positive memory size (\#(memoryForms)), found "lots""#),
            (#""script": "a", "maxMemoryRestart": -5"#, "apps[0].maxMemoryRestart: expected a positive memory size (\(memoryForms)), found -5"),
            (#""script": "a", "max_memory_restart": 0"#, "apps[0].max_memory_restart: expected a positive memory size (\(memoryForms)), found 0"),
            (#""script": "a", "memory_max": "lots""#, #"apps[0].memory_max: expected a memory size of at least 1M (\#(memoryForms)), found "lots""#),
            (#""script": "a", "memory_max": "512K""#, #"apps[0].memory_max: expected a memory size of at least 1M (\#(memoryForms)), found "512K""#),
            (#""script": "a", "memoryHigh": 1024"#, #"apps[0].memoryHigh: expected a memory size of at least 1M (\#(memoryForms)), found 1024"#),
            (#""script": "a", "memory_max": "100M", "memory_high": "200M""#, #"apps[0].memory_high: memory_high must not be above memory_max (104857600 bytes), found "200M""#),
            (#""script": "a", "tasks_max": 0"#, #"apps[0].tasks_max: expected a positive number of processes, found 0"#),
            (#""script": "a", "tasks_max": "many""#, #"apps[0].tasks_max: expected a positive number of processes, found "many""#),
            (#""script": "a", "cpu_quota": 0"#, #"apps[0].cpu_quota: expected a percentage of one CPU from 1 to 100000, as 50 or "50%", found 0"#),
            (#""script": "a", "cpu_quota": "half""#, #"apps[0].cpu_quota: expected a percentage of one CPU from 1 to 100000, as 50 or "50%", found "half""#),
            (#""script": "a", "cpu_quota": 12.5"#, #"apps[0].cpu_quota: expected a percentage of one CPU from 1 to 100000, as 50 or "50%", found 12.5"#),
            (#""script": "a", "wait_ready": "yes""#, #"apps[0].wait_ready: expected true or false, found "yes""#),
            (#""script": "a", "listen_timeout": 0"#, "apps[0].listen_timeout: expected a positive duration, found 0"),
            (#""script": "a", "listen_timeout": "soon""#, #"apps[0].listen_timeout: expected a duration (\#(durationForms)), found "soon""#),
            (#""script": "a", "watchdog_sec": "often""#, #"apps[0].watchdog_sec: expected seconds (a number such as 30) or a duration such as "30s", found "often""#),
            (#""script": "a", "watchdog_sec": -1"#, #"apps[0].watchdog_sec: expected seconds (a number such as 30) or a duration such as "30s", found -1"#),
            (#""script": "a", "watchdog_sec": 0.05"#, "apps[0].watchdog_sec: expected at least 100 ms, found 0.05"),
            (#""script": "a", "exp_backoff_restart_delay": "fast""#, #"apps[0].exp_backoff_restart_delay: expected a duration (\#(durationForms)), found "fast""#),
            (#""script": "a", "log_date_format": 5"#, #"apps[0].log_date_format: expected a date format such as "YYYY-MM-DD HH:mm:ss Z", found 5"#),
            (#""script": "a", "log_date_format": "true""#, #"apps[0].log_date_format: invalid date format "true": log date format "true" has no date or time token (such as YYYY-MM-DD HH:mm:ss)"#),
            (#""script": "a", "time": "yes""#, #"apps[0].time: expected true or false, found "yes""#),
            // Any string is accepted, as PM2 accepts it; other kinds are not (PM2's schema says string).
            (#""script": "a", "log_type": 5"#, #"apps[0].log_type: expected "text", "json" or "journal", found 5"#),
            (#""script": "a", "log_date_format": true"#, #"apps[0].log_date_format: expected a date format such as "YYYY-MM-DD HH:mm:ss Z", found true"#),
            (#""script": "a", "increment_var": 5"#, #"apps[0].increment_var: expected an environment variable name, found 5"#),
            (#""script": "a", "increment_var": "A=B""#, #"apps[0].increment_var: a variable name cannot contain '=', found "A=B""#),
            (#""script": "a", "log_max_size": "10""#, #"apps[0].log_max_size: expected a size of at least 1K (\#(memoryForms)), found "10""#),
            (#""script": "a", "log_max_size": "big""#, #"apps[0].log_max_size: expected a size of at least 1K (\#(memoryForms)), found "big""#),
            (#""script": "a", "log_retain": 0"#, #"apps[0].log_retain: expected a number of rotated files to keep, 1 or more, found 0"#),
            (#""script": "a", "log_retain": "all""#, #"apps[0].log_retain: expected a number of rotated files to keep, 1 or more, found "all""#),
            (#""script": "a", "log_compress": 1"#, #"apps[0].log_compress: expected true or false, found 1"#),
            (#""script": "a", "log_rotate_interval": 5"#, #"apps[0].log_rotate_interval: expected a cron expression such as "0 0 * * *", found 5"#),
        ])
    func optionErrors(members: String, message: String) {
        #expect(F.appError(members) == "eco.json: " + message)
    }

    @Test func homeIsNeededForTilde() {
        let noHome = ["PATH": "/bin"]
        let message = "cannot expand `~`: HOME is not set in the environment"
        #expect(F.appError(#""script": "a", "cwd": "~/x""#, baseEnv: noHome) == "eco.json: apps[0].cwd: " + message)
        #expect(F.appError(#""script": "~/a""#, baseEnv: noHome) == "eco.json: apps[0].script: " + message)
        #expect(F.appError(#""script": "a", "out": "~/o.log""#, baseEnv: noHome) == "eco.json: apps[0].out: " + message)
        #expect(F.appError(#""script": "a", "interpreter": "~/py""#, baseEnv: noHome) == "eco.json: apps[0].interpreter: " + message)
        #expect(F.appError(#""script": "a", "cwd": "~/x""#, baseEnv: ["HOME": ""]) == "eco.json: apps[0].cwd: " + message)
    }

    @Test func duplicateNames() {
        #expect(
            F.error(#"{"apps": [{"script": "a.js", "name": "web"}, {"script": "b.js"}, {"script": "c.js", "name": "web"}]}"#)
                == #"eco.json: apps[2].name: app name "web" is already used by apps[0]"#)
        // A name made from the script has the app as its path.
        #expect(
            F.error(#"{"apps": [{"script": "a.js"}, {"script": "lib/a.sh"}]}"#)
                == #"eco.json: apps[1]: app name "a" is already used by apps[0]"#)
        #expect(F.error(#"[{"script": "a.js"}, {"script": "x", "name": "a"}]"#) == #"eco.json: [1].name: app name "a" is already used by [0]"#)
        // Namespaces do not separate names: targets look names up across all of them.
        #expect(
            F.error(#"[{"script": "a", "namespace": "n1"}, {"script": "a", "namespace": "n2"}]"#)
                == #"eco.json: [1]: app name "a" is already used by [0]"#)
        // With append_env_to_name, the final names are compared.
        #expect(F.error(#"[{"script": "a", "name": "a-dev"}, {"script": "a", "append_env_to_name": true}]"#, envName: "dev")
            == #"eco.json: [1]: app name "a-dev" is already used by [0]"#)
    }

    @Test func theFirstErrorInFileOrderOfAppsWins() {
        #expect(
            F.error(#"[{"script": "a", "max_restarts": -1}, {"script": 1}]"#)
                == "eco.json: [0].max_restarts: expected a non-negative integer, found -1")
    }

    /// Each supported option is read and type-checked: an object (or, for env, a number)
    /// where it does not belong is an error at its path.
    @Test("every supported option is read", arguments: EcosystemKeys.supported.map(\.name))
    func everySupportedOptionIsRead(name: String) {
        let value = name == "env" ? "5" : #"{"x": 1}"#
        let members = name == "script" ? #""script": \#(value)"# : #""script": "a", "\#(name)": \#(value)"#
        let message = F.appError(members)
        #expect(message?.hasPrefix("eco.json: apps[0].\(name): expected ") == true, "\(message ?? "no error")")
    }
}
