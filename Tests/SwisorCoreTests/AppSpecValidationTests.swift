import Testing
@testable import SwisorCore

@Suite struct AppSpecValidationTests {
    func problem(_ configure: (inout AppSpec) -> Void) -> String? {
        var s = AppSpec(name: "web", script: "/srv/web/server.js", cwd: "/srv/web")
        configure(&s)
        return s.problem
    }

    @Test func aSpecFromTheLoaderIsValid() throws {
        #expect(problem { _ in } == nil)
        let loaded = try EcoFixture.load(
            """
            {"apps": [{"name": "api", "script": "server.js", "env": {"PORT": 3000}, "cron_restart": "0 3 * * *",
                       "max_memory_restart": "200M", "exp_backoff_restart_delay": 100, "out_file": "out.log",
                       "log_file": true, "interpreter": "node", "instances": 2}]}
            """)
        #expect(loaded.apps.allSatisfy { $0.problem == nil })
    }

    @Test func namesEachBrokenField() {
        #expect(problem { $0.name = "" } == "name: a name cannot be empty")
        #expect(problem { $0.name = "all" }?.hasPrefix("name: ") == true)
        #expect(problem { $0.namespace = "a/b" }?.hasPrefix("namespace: ") == true)
        #expect(problem { $0.script = "" } == "script: cannot be empty")
        #expect(problem { $0.interpreter = "" }?.hasPrefix("interpreter: ") == true)
        #expect(problem { $0.args = ["a\u{0}b"] } == "args: cannot contain a NUL character")
        #expect(problem { $0.cwd = "srv/web" } == "cwd: expected an absolute path, found \"srv/web\"")
        #expect(problem { $0.env = ["A=B": "x"] }?.hasPrefix("env: \"A=B\": ") == true)
        #expect(problem { $0.env = ["A": "x\u{0}"] } == "env.A: a value cannot contain a NUL character")
        #expect(problem { $0.instances = 0 } == "instances: expected 1 to 1024, found 0")
        #expect(problem { $0.instanceVar = "" }?.hasPrefix("instance_var: ") == true)
        #expect(problem { $0.killTimeoutMs = -1 } == "kill_timeout_ms: expected a non-negative integer, found -1")
        #expect(problem { $0.maxRestarts = -1 }?.hasPrefix("max_restarts: ") == true)
        #expect(problem { $0.expBackoffRestartDelayMs = 0 }?.hasPrefix("exp_backoff_restart_delay_ms: ") == true)
        #expect(problem { $0.expBackoffMaxDelayMs = 0 }?.hasPrefix("exp_backoff_max_delay_ms: ") == true)
        #expect(problem { $0.outFile = "logs/out.log" }?.hasPrefix("out_file: ") == true)
        #expect(problem { $0.outFile = "/dev/null" } == nil)
        #expect(problem { $0.stopExitCodes = [0, 256] } == "stop_exit_codes: expected exit codes from 0 to 255, found 256")
        #expect(problem { $0.maxMemoryRestartBytes = 0 }?.hasPrefix("max_memory_restart_bytes: ") == true)
        #expect(problem { $0.cronRestart = "61 * * * *" }?.hasPrefix("cron_restart: ") == true)
    }
}
