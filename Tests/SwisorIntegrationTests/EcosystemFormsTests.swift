import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every ecosystem form PM2 reads, through the real CLI: JavaScript evaluated by the real
/// node (CommonJS with `process.env`, an ES module with `export default`), YAML, and
/// `swisor start` alone finding ecosystem.config.js. Bad files: one line, nothing started.
@Suite(.serialized)
struct EcosystemFormsTests {
    static let node: String? = ["/usr/bin/node", "/usr/local/bin/node"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The server every form starts: prints its port, then sleeps.
    func web(_ h: Harness) throws {
        try h.script("web.sh", "echo \"web PORT=$PORT MODE=$MODE\"\nexec sleep 1000\n")
    }

    /// The app's environment as the daemon holds it (`describe --env`).
    func environment(_ h: Harness, _ name: String) throws -> [String: String] {
        let r = try h.must(["describe", name, "--json", "--env"])
        let apps = try JSONDecoder().decode([AppInfo].self, from: Data(r.stdout.utf8))
        return try #require(apps.first?.spec).env
    }

    func requireNode() throws {
        // `make deps` installs nodejs: a machine without it did not run the Makefile.
        _ = try #require(Self.node, "node is not installed: run `make deps` (apt-get install nodejs)")
    }

    @Test func aCommonJSFileReadsTheCallersEnvironmentAndPrints() throws {
        try requireNode()
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let eco = try h.file("ecosystem.config.js", """
            const base = Number(process.env.BASE_PORT || 4000);
            console.log('loading the config');
            module.exports = {
              apps: [{
                name: 'jsweb',
                script: './web.sh',
                instances: 2,
                env: { PORT: String(base + 1) },
                env_production: { MODE: 'prod' },
                ignore_watch: [/node_modules/],
              }],
              deploy: { production: { user: 'deploy' } },
            };
            """)
        let r = h.run(["start", eco, "--env", "production"], env: ["BASE_PORT": "5000"])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.contains("loading the config"), "what the file prints reaches the terminal: \(r.stderr)")
        #expect(!r.stdout.contains("loading the config"), "and never the CLI's output")
        #expect(r.stderr.contains("deploy: ignored (PM2-only)"))
        let apps = try h.list()
        #expect(apps.map(\.name) == ["jsweb", "jsweb"])
        #expect(apps.allSatisfy { $0.isOnline })
        for a in apps { h.track(a.pid!) }
        let env = try environment(h, "jsweb")
        #expect(env["PORT"] == "5001", "process.env of the caller, evaluated by node")
        #expect(env["MODE"] == "prod")
        try h.waitUntil("the app logged its port") { h.read("logs/jsweb-out-0.log").contains("web PORT=5001 MODE=prod") }
    }

    @Test func anESModuleWithExportDefault() throws {
        try requireNode()
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let eco = try h.file("ecosystem.config.mjs", """
            const port = 3000 + 7;
            export default { apps: [{ name: 'esm', script: './web.sh', env: { PORT: port } }] };
            """)
        try h.must(["start", eco])
        let app = try #require(try h.app("esm"))
        #expect(app.isOnline)
        h.track(app.pid!)
        #expect(try environment(h, "esm")["PORT"] == "3007")
    }

    @Test func aYAMLFile() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let eco = try h.file("ecosystem.yml", """
            defaults: &defaults
              script: ./web.sh
              max_restarts: 3
            apps:
              - <<: *defaults
                name: yweb
                env:
                  PORT: 8080
                  MODE: "on"
            """)
        let r = h.run(["start", eco])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.contains("defaults: unknown top-level key, ignored"), "the same warnings as a .json file")
        let app = try #require(try h.app("yweb"))
        #expect(app.isOnline)
        h.track(app.pid!)
        let env = try environment(h, "yweb")
        #expect(env["PORT"] == "8080")
        #expect(env["MODE"] == "on", "YAML 1.2: `on` is a string, as js-yaml reads it")
        #expect(try h.describe("yweb").first?.spec?.maxRestarts == 3, "merged from the anchor")
    }

    @Test func startAloneFindsEcosystemConfigJS() throws {
        try requireNode()
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let dir = h.home + "/project"
        mkdir(dir, 0o755)
        try "module.exports = { apps: [{ name: 'found', script: '../web.sh' }] };\n"
            .write(toFile: dir + "/ecosystem.config.js", atomically: true, encoding: .utf8)
        try h.must(["start"], cwd: dir)
        let app = try #require(try h.app("found"))
        #expect(app.isOnline)
        h.track(app.pid!)

        let empty = h.home + "/empty"
        mkdir(empty, 0o755)
        let r = h.run(["start"], cwd: empty)
        #expect(!r.ok)
        #expect(r.stderr.contains("no target given, and no ecosystem file here (\(empty)): looked for ecosystem.config.js, "))
    }

    @Test func badJavaScriptFilesGiveOneLineAndStartNothing() throws {
        try requireNode()
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let cases: [(name: String, text: String, message: String)] = [
            ("throws.config.js", "const x = 1;\nthrow new Error('no DATABASE_URL');\n",
             "throws.config.js: line 2, column 7: Error: no DATABASE_URL"),
            ("syntax.config.js", "module.exports = {\n  apps: [\n    { name: 'a' script: 'x' }\n  ]\n};\n",
             "syntax.config.js: line 3: SyntaxError: Unexpected identifier"),
            ("missing.config.js", "module.exports = require('./does-not-exist.js');\n",
             "missing.config.js: line 1, column "),
            ("function.config.js", "module.exports = () => ({ apps: [] });\n",
             "function.config.js: the file exports a function; PM2 does not call it either"),
            ("badapp.config.js", "module.exports = { apps: [{ name: 'bad', script: './web.sh', max_restarts: 'ten' }] };\n",
             "badapp.config.js: apps[0].max_restarts: expected a non-negative integer, found \"ten\""),
        ]
        for c in cases {
            let path = try h.file(c.name, c.text)
            let r = h.run(["start", path])
            #expect(!r.ok, "\(c.name) must fail")
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
            #expect(lines.count == 1, "one line: \(r.stderr)")
            #expect(r.stderr.contains(c.message), "\(c.name): \(r.stderr)")
        }
        #expect(try h.list().isEmpty, "nothing started")
    }

    @Test func aFileThatNeverFinishesIsKilledAtTheTimeLimit() throws {
        try requireNode()
        let h = try Harness()
        defer { h.shutdown() }
        let path = try h.file("hang.config.js", "setInterval(() => {}, 1000);\nwhile (true) {}\n")
        let t0 = monotonicMilliseconds()
        let r = h.run(["start", path], env: ["SWISOR_CONFIG_TIMEOUT": "1000"])
        let took = monotonicMilliseconds() - t0
        #expect(!r.ok)
        #expect(r.stderr.contains("hang.config.js: node did not finish loading the file within 1000 ms"), "\(r.stderr)")
        #expect(took < 20_000, "bounded by the limit, not by the file")
        // The node that evaluated it is gone (found by the file's path, which only it has).
        let left = ProcFS.scan().filter { (ProcFS.commandLine(pid: $0.pid) ?? "").contains(path) }
        #expect(left.isEmpty, "node was killed: \(left.map(\.pid))")
        #expect(try h.list().isEmpty)
        let bad = h.run(["start", path], env: ["SWISOR_CONFIG_TIMEOUT": "soon"])
        #expect(bad.stderr.contains("SWISOR_CONFIG_TIMEOUT: expected milliseconds between 1 and 3600000, found \"soon\""))
    }

    @Test func withoutNodeOneLineSaysHowToConvert() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let path = try h.file("ecosystem.config.js", "module.exports = { apps: [{ script: 'x.js' }] };\n")
        let r = h.run(["start", path], env: ["PATH": h.home + "/no-such-bin"])
        #expect(!r.ok)
        #expect(r.stderr.contains("a JavaScript ecosystem file is read by node, and node is not in PATH"), "\(r.stderr)")
        #expect(r.stderr.contains("JSON.stringify(require("))
        #expect(try h.list().isEmpty)
    }

    @Test func aBadYAMLFileGivesItsLineAndStartsNothing() throws {
        let h = try Harness()
        defer { h.shutdown() }
        let path = try h.file("eco.yaml", "apps:\n  - name: a\n    name: b\n")
        let r = h.run(["start", path])
        #expect(!r.ok)
        #expect(r.stderr.contains("eco.yaml: line 3, column 5: key \"name\" is given twice in this mapping"), "\(r.stderr)")
        #expect(try h.list().isEmpty)
    }
}
