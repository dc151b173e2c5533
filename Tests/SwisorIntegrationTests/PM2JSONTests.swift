import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// PM2's `.json` files as PM2 reads them (issue 17, items 1 and 6), through the real CLI and
/// daemon, and the reader checked against the real node evaluating each text exactly as
/// PM2's lib/Common.js does.
@Suite(.serialized)
struct PM2JSONTests {
    // MARK: - The reader against node

    /// Texts that node (PM2) and swisor must read alike: the same value, or both an error.
    static let agree: [String] = [
        // Strict JSON.
        #"{"apps": [{"name": "a", "script": "x", "instances": 2, "env": {"A": "1e3", "B": 1.5}}]}"#,
        #"["\u00e9\ud83d\ude00", "\/", -0, 1e21, 1E-7, 9007199254740993]"#,
        // Comments and blanks.
        "// PM2's template\n{\"a\": 1}\n", "{\"a\": /* inline */ 1}", "{\n  \"a\": 1, /* a\n  multi-line\n  comment */ \"b\": 2\n}",
        "{\"a\": 1 // x\r\n}", "{\"a\": 1 // x\u{2028}}", "{\"a\":\u{0B}\u{0C}\u{A0}\u{3000}\u{FEFF}\u{2028}\u{2029}1}",
        "\u{FEFF}{a: 1}",
        // Keys.
        "{name: 'api', $x_1: 1, _y: 2, café: 3}", "{default: 1, class: 2, null: 3, true: 4, if: 5}",
        "{'single': 1, \"double\": 2}", "{1: 'a', 0x10: 'b', 1.50: 'c', .5: 'd', 1e3: 'e', 017: 'f', 1e21: 'g', 0.0000001: 'h'}",
        "{a: 1, a: 2, 'a': 3, b: 4}", "{a:1,b:[2,{c:3,},],}", "{ /*1*/ a /*2*/ : /*3*/ 1 /*4*/ , /*5*/ }",
        "{\n  apps: [ // list\n    { name: 'x', // n\n      env: { PORT: 0x0BB8, }, },\n  ],\n}",
        // Strings.
        #"["it's", 'say "hi"', '\'', "\'", "\v", "a\0b", "\x41\x7a", "\u{41}\u{1F600}", "\ud83d\u{de00}", "\u{00000041}"]"#,
        #"["\101\7\08\377\400", "\8\9", "\q\%\ "]"#, "[\"\\é\"]", "[\"one \\\ntwo\", 'three \\\r\nfour', 'five \\\rsix']",
        "['a\\\u{2028}b', 'c\u{2028}d']", "[\"tab\there\", \"nul\u{0}\", \"esc\u{1B}\"]",
        "[`template`]", "[`two\nlines\r\nand \\` $ {} \\${x}`, `cr\rcr`]", #"[`\0`, `\x41`, `\u0041`]"#,
        // Numbers.
        "[0x1F, 0XfF, 0o17, 0O7, 0b101, 0B1, 0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF]", "[017, 00, 08, 09.5, 019, 08e1]",
        "[.5, -.25, 5., 5.e1, +1, +1.5, - 1, - -1, -+1, +-1, - /* c */ 2, -/**/-3]", "[--1]", "[++1]", "[1_000_000, 0xF_F, 1_0.2_5e1_0]",
        "[Infinity, -Infinity, +Infinity, NaN, -NaN]", "[-0x10, -0, -0.0, 9223372036854775807, 9223372036854775808]",
        "[1.7976931348623157e308, 5e-324, 1e-400]",
        // Literals and commas.
        "{\"a\": undefined, b: [undefined]}", "[1, 2,]", "{\"a\": 1,\n}", "{\"a\": [1,],}", "{}", "[]", "{,}",
        // Errors in both.
        "{\"a\" 1}", "[1 2]", "{a: 1 b: 2}", "['abc", "['a\nb']", "[`abc", "/* never closed\n{}", "// only a comment\n", "",
        "{a: 1};", "{name}", "[-]", "[0x]", "[0xG]", "[3in]", "[1__0]", "[1_]", "[0_1]", "[017.5]", "[1e]", "[.]",
        "[`\\1`]", "[`\\8`]", "['\\x4']", "['\\u{}']", "['\\u{110000}']", "{“a”: 1}", "[True]", "{,,}", "{a: 1,,}", "[1] 2",
        "{[k]: 1}", "[x]", "[-x => x]",
    ]

    /// What node evaluates and swisor refuses, on purpose: JavaScript code (a .json file
    /// that computes belongs in an ecosystem.config.js), an array hole, a BigInt (PM2 cannot
    /// send it to its daemon), a lone surrogate (no Swift string holds it), a number literal
    /// out of range (refused by the strict parser too).
    static let swisorRefuses: [String] = [
        "{a: process.env.HOME}", "[1 + 1]", "[`x${1}`]", "[1,,2]", "[,]", "[10n]", "['\\ud800']", "[\"\\udc00\"]",
        "[1e400]", "[(1)]", "[void 0]", "[Math.PI]", "{get x() { return 1 }}", "[-\"5\"]", "[!0]",
        "{\\u0061: 1}", "<!-- HTML comment\n{}", "[1, 2][0]", "{a: 1}.a",
    ]

    /// What node refuses and swisor reads: a last line comment without a line end, which
    /// comments out the `)` PM2 appends.
    static let swisorAccepts: [String] = ["{\"a\": 1} // end, no newline"]

    enum Outcome: Equatable, CustomStringConvertible {
        case value(String)
        case error(String)
        var description: String {
            switch self {
            case .value(let v): "value \(v)"
            case .error(let e): "error \(e)"
            }
        }
        var isError: Bool { if case .error = self { true } else { false } }
    }

    /// A value written so that node's and swisor's readings compare: every number as
    /// JavaScript prints it, object members sorted (node puts integer-like keys first).
    static func canonical(_ value: JSON) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return ObjectLiteral.javaScriptText(Double(i))
        case .double(let d): return ObjectLiteral.javaScriptText(d)
        case .string(let s): return JSON.string(s).serialized()
        case .array(let a): return "[" + a.map(canonical).joined(separator: ",") + "]"
        case .object(let o):
            if o.count == 1, let marker = o["$number"]?.stringValue { return marker }
            let members = o.members.sorted { $0.key < $1.key }
            return "{" + members.map { JSON.string($0.key).serialized() + ":" + canonical($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// Swisor's reading: the strict parser, else the object-literal reader, as the loader.
    static func swisor(_ text: String) -> Outcome {
        if let strict = try? JSON.parse(text) { return .value(canonical(strict)) }
        do throws(ObjectLiteral.Failure) {
            return .value(canonical(try ObjectLiteral.parse(text).value))
        } catch {
            return .error(error.error.description)
        }
    }

    /// node's reading of every text, by PM2's own code (lib/Common.js, parseConfig).
    static func node(_ texts: [String], in h: Harness) throws -> [Outcome] {
        let input = try h.file("texts.json", JSON.array(texts.map(JSON.string)).serialized())
        let program = try h.file("pm2-parse.js", """
            const vm = require('vm'), fs = require('fs');
            const texts = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
            // Numbers as JavaScript prints them (JSON.stringify has no Infinity or NaN), undefined
            // as null (how PM2 reads it), a BigInt and a lone surrogate as what they are.
            const replace = (k, x) =>
              typeof x === 'number' ? { $number: String(x) } :
              typeof x === 'bigint' ? { $number: String(x) + 'n' } :
              typeof x === 'string' && !x.isWellFormed() ? { $number: 'lone surrogate' } :
              x === undefined ? null : x;
            const out = texts.map(t => {
              try {
                const v = vm.runInThisContext('(' + t + ')', { filename: '/x/eco.json', displayErrors: false, timeout: 1000 });
                return { ok: JSON.parse(JSON.stringify(v, replace)) };
              } catch (e) { return { error: String(e) }; }
            });
            process.stdout.write(JSON.stringify(out));
            """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(EcosystemFormsTests.node))
        p.arguments = [program, input]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let results = try #require(try JSON.parse(Array(data)).arrayValue)
        #expect(results.count == texts.count)
        return results.map { r in
            if let ok = r["ok"] { return .value(canonical(ok)) }
            return .error(r["error"]?.stringValue ?? "?")
        }
    }

    @Test func theReaderReadsWhatNodeEvaluatesAsPM2Does() throws {
        _ = try #require(EcosystemFormsTests.node, "node is not installed: run `make deps` (apt-get install nodejs)")
        let h = try Harness(startDaemon: false)
        defer { try? FileManager.default.removeItem(atPath: h.home) }
        let all = Self.agree + Self.swisorRefuses + Self.swisorAccepts
        let byNode = try Self.node(all, in: h)
        for (text, fromNode) in zip(all, byNode) {
            let fromSwisor = Self.swisor(text)
            if Self.swisorRefuses.contains(text) {
                #expect(!fromNode.isError && fromSwisor.isError, "\(text.debugDescription): node \(fromNode), swisor \(fromSwisor)")
            } else if Self.swisorAccepts.contains(text) {
                #expect(fromNode.isError && !fromSwisor.isError, "\(text.debugDescription): node \(fromNode), swisor \(fromSwisor)")
            } else if fromNode.isError || fromSwisor.isError {
                #expect(fromNode.isError && fromSwisor.isError, "\(text.debugDescription): node \(fromNode), swisor \(fromSwisor)")
            } else {
                #expect(fromNode == fromSwisor, "\(text.debugDescription)")
            }
        }
    }

    // MARK: - Through the CLI

    /// The server every file starts: prints what it was given, then sleeps.
    func web(_ h: Harness) throws {
        try h.script("web.sh", "echo \"web MODE=$MODE GREETING=$GREETING\"\nexec sleep 1000\n")
    }

    /// The environment the app's process really has.
    func processEnvironment(_ app: AppInfo) throws -> [String: String] {
        let pid = try #require(app.pid)
        return try #require(ProcFS.environment(pid: pid))
    }

    func warnings(_ r: CLIResult) -> [Substring] {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("swisor: warning: ") }
    }

    @Test func aJavaScriptFlavouredJSONFileRunsAsUnderPM2() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        // PM2's old `pm2 ecosystem` template, as users edited it.
        let eco = try h.file("ecosystem.json", """
            {
              /**
               * Application configuration section
               */
              apps : [
                // First application
                {
                  name      : 'api',
                  name      : "web",   // given twice: the last wins, as in JavaScript
                  script    : './web.sh',
                  max_restarts: 0x0A,
                  kill_timeout: undefined,
                  env: {
                    MODE: 'dev',
                    GREETING: "one \\
            two",
                  },
                  env_production : {
                    MODE: 'prod',
                  },
                },
              ],
              deploy : {
                production : {
                  user : "node",
                  'post-deploy' : 'pm2 startOrRestart ecosystem.json --env production',
                },
              },
            }
            """)
        let r = h.run(["start", eco, "--env", "production"])
        #expect(r.ok, "\(r.stderr)")
        let notStrict = warnings(r).filter { $0.contains("not strict JSON") }
        #expect(notStrict == ["swisor: warning: \(eco): line 2, column 3: a /* */ comment: not strict JSON; read as a JavaScript object literal, as PM2 reads a .json file"],
                "one warning for the file, naming the first construct: \(r.stderr)")
        #expect(r.stderr.contains("\(eco): apps[0].name: given more than once, the last value is used"))
        #expect(r.stderr.contains("\(eco): deploy: ignored (PM2-only)"))
        let apps = try h.list()
        #expect(apps.map(\.name) == ["web"])
        let app = try #require(apps.first)
        #expect(app.isOnline)
        h.track(app.pid!)
        let env = try processEnvironment(app)
        #expect(env["MODE"] == "prod")
        #expect(env["GREETING"] == "one two", "a backslash at the end of a line continues the string")
        let spec = try #require(try h.describe("web").first?.spec)
        #expect(spec.maxRestarts == 10)
        #expect(spec.killTimeoutMs == AppSpec.defaultKillTimeoutMs, "undefined is not given")
        try h.waitUntil("the app logged") { h.read("logs/web-out.log").contains("web MODE=prod GREETING=one two") }
    }

    @Test func aBrokenFileGivesOneLineWithItsPlaceAndStartsNothing() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let cases: [(name: String, text: String, message: String)] = [
            // After a comment, the mistake itself is named, not the comment.
            ("relaxed.json", "{\n  // the API\n  apps: [{\n    name: 'api'\n    script: './web.sh',\n  }],\n}\n",
             "relaxed.json: line 5, column 5: expected ',' or '}' after an object member"),
            ("code.json", "{\n  apps: [{ name: 'api', script: './web.sh', env: { PORT: process.env.PORT } }],\n}\n",
             "code.json: line 2, column 58: expected a value, found 'process': a .json file may hold only literal values (PM2 would run it as JavaScript code; compute values in an ecosystem.config.js)"),
            // A strict file with a real error: the message it always had.
            ("strict.json", #"{"apps": [{"name": "a" "script": "./web.sh"}]}"#,
             "strict.json: line 1, column 24: expected ',' or '}' after an object member"),
            ("empty.json", "// nothing but a comment\n", "empty.json: line 2, column 1: the file is empty, expected a JSON value"),
        ]
        for c in cases {
            let path = try h.file(c.name, c.text)
            let r = h.run(["start", path])
            #expect(!r.ok, "\(c.name) must fail")
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
            #expect(lines.count == 1, "one line: \(r.stderr)")
            #expect(r.stderr.contains(c.message), "\(c.name): \(r.stderr)")
            #expect(!r.stderr.contains("not strict JSON"), "no warning for a file that is refused")
        }
        #expect(try h.list().isEmpty, "nothing started")
    }

    @Test func valuesPM2AcceptsAreAcceptedAndChangeNothing() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let eco = try h.file("values.json", """
            {
              "apps": [{
                "name": "vals",
                "script": "./web.sh",
                "env": {"MODE": "base"},
                "env_production": "production",
                "log_type": "raw",
                "log_date_format": ""
              }],
              "static": [{"path": "./public", "port": 8080}],
              "pm2": [{"name": "unread", "script": "./web.sh"}]
            }
            """)
        let r = h.run(["start", eco, "--env", "production"])
        #expect(r.ok, "\(r.stderr)")
        #expect(warnings(r) == [
            "swisor: warning: \(eco): static: ignored (PM2-only: PM2's built-in static file server; run a server of your own as an app)",
            "swisor: warning: \(eco): pm2: ignored, as by PM2, which reads `pm2` only when there is no `apps`",
            "swisor: warning: \(eco): apps[0].env_production: a string, not an object of variables: ignored (PM2 accepts it and sets no variable from it)",
            #"swisor: warning: \#(eco): apps[0].log_type: "raw" is not a log type ("text", "json" or "journal"): ignored, as PM2 ignores it"#,
        ], "\(r.stderr)")
        let apps = try h.list()
        #expect(apps.map(\.name) == ["vals"])
        let app = try #require(apps.first)
        #expect(app.isOnline)
        h.track(app.pid!)
        #expect(try processEnvironment(app)["MODE"] == "base", "env applies; the string section sets nothing")
        // Plain text lines, with no time stamp: neither the unknown log type nor the empty
        // date format changed anything, as under PM2.
        try h.waitUntil("the app logged") { h.read("logs/vals-out.log").contains("web") }
        #expect(h.read("logs/vals-out.log") == "web MODE=base GREETING=\n")
    }

    @Test func theAppsOfPM2sOwnKeyStart() throws {
        let h = try Harness()
        defer { h.shutdown() }
        try web(h)
        let eco = try h.file("process.json", #"{"pm2": [{"name": "old", "script": "./web.sh", "env": {"MODE": "pm2"}}]}"#)
        let r = h.run(["start", eco])
        #expect(r.ok, "\(r.stderr)")
        #expect(warnings(r).isEmpty, "\(r.stderr)")
        let app = try #require(try h.app("old"))
        #expect(app.isOnline)
        h.track(app.pid!)
        #expect(try processEnvironment(app)["MODE"] == "pm2")
    }

    // MARK: - increment_var

    /// A TCP port of the loopback that nothing listens on, with the next `count - 1` free too.
    static func freePorts(_ count: Int) throws -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20_000..<60_000)
            if (base..<(base + count)).allSatisfy({ canBind($0) }) { return base }
        }
        throw HarnessError("no free run of \(count) ports found")
    }

    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// What the server on the loopback `port` answers, or nil when nothing listens there.
    static func answer(_ port: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return nil }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func incrementVarGivesEachInstanceItsOwnPort() throws {
        _ = try #require(EcosystemFormsTests.node, "node is not installed: run `make deps` (apt-get install nodejs)")
        let h = try Harness()
        defer { h.shutdown() }
        // Each instance listens on its PORT and says which instance it is: with one PORT for
        // all, the second and third would die with EADDRINUSE.
        _ = try h.file("server.js", """
            const net = require('net');
            const port = Number(process.env.PORT);
            net.createServer(c => c.end(process.env.NODE_APP_INSTANCE + ' ' + process.env.PORT))
              .listen(port, '127.0.0.1', () => console.log('listening on ' + port));
            """)
        let base = try Self.freePorts(3)
        let eco = try h.file("ecosystem.json", """
            {
              apps: [{
                name: 'ports',
                script: './server.js',
                instances: 3,
                increment_var: 'PORT',
                env: { PORT: \(base) },
              }],
            }
            """)
        let r = h.run(["start", eco])
        #expect(r.ok, "\(r.stderr)")
        var apps = try h.list().sorted { $0.instance < $1.instance }
        #expect(apps.map(\.instance) == [0, 1, 2])
        for app in apps { if let pid = app.pid { h.track(pid) } }
        try h.waitUntil("every instance listens") {
            apps.allSatisfy { h.read("logs/ports-out-\($0.id).log").contains("listening") }
        }
        for app in apps {
            let port = base + app.instance
            let env = try processEnvironment(app)
            #expect(env["PORT"] == String(port), "instance \(app.instance)")
            #expect(env["NODE_APP_INSTANCE"] == String(app.instance))
            #expect(Self.answer(port) == "\(app.instance) \(port)", "instance \(app.instance) serves its own port")
        }
        apps = try h.list().sorted { $0.instance < $1.instance }
        #expect(apps.allSatisfy { $0.isOnline && $0.restarts == 0 }, "no instance crashed: \(apps.map { ($0.status, $0.restarts) })")
        let described = try h.must(["describe", "ports", "--json", "--env"])
        let spec = try #require(try JSONDecoder().decode([AppInfo].self, from: Data(described.stdout.utf8)).first?.spec)
        #expect(spec.env["PORT"] == String(base), "the app keeps the base")
        #expect(spec.incrementVar == "PORT")

        // A restart keeps the instance's port.
        let second = apps[1]
        try h.must(["restart", String(second.id)])
        let again = try #require(try h.list().first { $0.id == second.id })
        #expect(again.pid != second.pid)
        h.track(try #require(again.pid))
        #expect(try processEnvironment(again)["PORT"] == String(base + 1))
        try h.waitUntil("the restarted instance serves again") { Self.answer(base + 1) == "1 \(base + 1)" }
    }
}
