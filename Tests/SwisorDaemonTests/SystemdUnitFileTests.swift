import Foundation
import SwisorCore
import SwisorSystem
import Testing

/// The shipped units (dist/) and the ones `swisor startup` renders, checked by systemd's
/// own parser: `systemd-analyze verify` (installed by `make deps`; it works offline, with
/// or without systemd as PID 1).
///
/// `verify` exits 0 for an unknown directive or a bad value (it only warns), so these
/// tests count any line it prints as a failure.
@Suite struct SystemdUnitFileTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// What dist/ holds: `make install`'s default PREFIX, root's home.
    static let shipped = SystemdUnit(executable: "/usr/local/bin/swisor", home: "/root/.swisor")

    // MARK: The shipped files

    /// dist/ is the renderer's output for the defaults. To refresh it after a change to
    /// SystemdUnit: SWISOR_UPDATE_DIST=1 swift test --filter SystemdUnitFileTests
    @Test func shippedUnitsAreWhatStartupRenders() throws {
        let expected = [
            "swisor.service": try Self.shipped.serviceText(),
            "swisor.socket": try Self.shipped.socketText(),
        ]
        for (name, text) in expected.sorted(by: { $0.key < $1.key }) {
            let path = Self.packageRoot + "/dist/" + name
            if ProcessInfo.processInfo.environment["SWISOR_UPDATE_DIST"] == "1" {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            }
            let onDisk = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            #expect(onDisk == text, "dist/\(name) differs from SystemdUnit's output (SWISOR_UPDATE_DIST=1 refreshes it)")
        }
    }

    @Test func shippedPathsMatchTheMakefileAndTheManual() throws {
        let makefile = String(decoding: try Data(contentsOf: URL(fileURLWithPath: Self.packageRoot + "/Makefile")), as: UTF8.self)
        let prefix = makefile.split(separator: "\n").first { $0.hasPrefix("PREFIX") }
            .map { $0.split(separator: "=", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
        #expect(prefix.map { $0 + "/bin/swisor" } == Self.shipped.executable)
        // Documentation=man:swisor(1) names a page that exists.
        #expect(FileManager.default.fileExists(atPath: Self.packageRoot + "/man/swisor.1"))
    }

    @Test func systemdAnalyzeAcceptsTheShippedUnits() throws {
        let dir = try TemporaryDirectory()
        // verify checks that ExecStart's program exists: the same path under a temporary
        // root, an executable file there.
        let program = dir.path + Self.shipped.executable
        try Self.installFakeProgram(at: program)
        for name in ["swisor.service", "swisor.socket"] {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: Self.packageRoot + "/dist/" + name)), as: UTF8.self)
            #expect(text.contains(Self.shipped.executable) || name.hasSuffix(".socket"))
            try dir.write(name, text.replacingOccurrences(of: Self.shipped.executable, with: program))
        }
        let result = try Self.verify([dir.file("swisor.service"), dir.file("swisor.socket")])
        #expect(result.accepted, "\(result.output)")
    }

    // MARK: Generated units

    @Test(arguments: [
        ("root", SystemdUnit.Scope.system, nil as String?, "/root/.swisor", "swisor"),
        ("for a user", .system, "daemon", "/home/daemon user/.swisor", "swisor"),
        ("user manager", .user, nil, "/home/bob/.swisor", "swisor"),
        ("awkward paths", .system, nil, "/srv/50% \"home\"/it's\\here", "my apps/100%/swisor"),
    ])
    func systemdAnalyzeAcceptsGeneratedUnits(
        label: String, scope: SystemdUnit.Scope, user: String?, home: String, program: String
    ) throws {
        let dir = try TemporaryDirectory()
        let executable = dir.path + "/" + program
        try Self.installFakeProgram(at: executable)
        let unit = SystemdUnit(
            executable: executable, home: home, scope: scope, user: user,
            timeoutStopSec: SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: 45_000), watchdogSec: user == nil ? nil : 30)
        try dir.write(unit.serviceName, try unit.serviceText())
        try dir.write(unit.socketName, try unit.socketText())
        let result = try Self.verify([dir.file(unit.serviceName), dir.file(unit.socketName)], userManager: scope == .user)
        #expect(result.accepted, "\(label): \(result.output)")
    }

    /// The check above means something: a misspelled directive, a bad value or a missing
    /// program each make it fail.
    @Test(arguments: [
        ("Delegate=yes", "Delegte=yes"),
        ("Type=notify", "Type=notfy"),
        ("KillMode=mixed", "KillMode=mix"),
        ("TimeoutStopSec=30", "TimeoutStopSec=thirty"),
        ("swisord --resurrect", "swisord --resurrect \"unbalanced"),
    ])
    func systemdAnalyzeRefusesABrokenService(good: String, broken: String) throws {
        let dir = try TemporaryDirectory()
        let program = dir.path + "/swisor"
        try Self.installFakeProgram(at: program)
        let text = try SystemdUnit(executable: program, home: "/root/.swisor").serviceText()
        #expect(text.contains(good))
        try dir.write("swisor.service", text)
        #expect(try Self.verify([dir.file("swisor.service")]).accepted)
        try dir.write("swisor.service", text.replacingOccurrences(of: good, with: broken))
        let result = try Self.verify([dir.file("swisor.service")])
        #expect(!result.accepted, "\(broken) was accepted")
    }

    @Test func systemdAnalyzeRefusesAMissingProgramAndABrokenSocket() throws {
        let dir = try TemporaryDirectory()
        let unit = SystemdUnit(executable: dir.path + "/nowhere/swisor", home: "/root/.swisor")
        try dir.write("swisor.service", try unit.serviceText())
        let missing = try Self.verify([dir.file("swisor.service")])
        #expect(!missing.accepted)
        #expect(missing.output.contains("nowhere/swisord"))
        try dir.write("swisor.socket", try unit.socketText().replacingOccurrences(of: "SocketMode=0600", with: "SocketMod=0600"))
        #expect(!(try Self.verify([dir.file("swisor.socket")]).accepted))
    }

    /// What systemd reads back from the escaped values: `systemd --test` (PID 1's parser,
    /// run as an unprivileged user: it refuses root) dumps the units it loaded.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd")))
    func systemdReadsTheEscapedValuesBack() throws {
        let dir = try TemporaryDirectory()
        _ = chmod(dir.path, 0o755)
        let executable = dir.path + "/my apps/100%/swisor"
        try Self.installFakeProgram(at: executable)
        let home = "/srv/50% \"home\"/it's\\here"
        let unit = SystemdUnit(executable: executable, home: home)
        try dir.write(unit.serviceName, try unit.serviceText())
        try dir.write(unit.socketName, try unit.socketText())
        for name in [unit.serviceName, unit.socketName] { _ = chmod(dir.file(name), 0o644) }

        var argv = ["/lib/systemd/systemd", "--test", "--system", "--unit=" + unit.socketName, "--log-target=console"]
        if geteuid() == 0 {
            guard let setpriv = Self.which("setpriv") else { throw SystemError("setpriv not found (make deps)", errno: ENOENT) }
            argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
        }
        let run = try Self.run(argv, environment: ["SYSTEMD_UNIT_PATH": dir.path + ":"])
        let dump = run.output
        guard dump.contains("-> Unit \(unit.serviceName):") else {
            Issue.record("no dump of \(unit.serviceName) (exit \(run.status)): \(dump.prefix(2000))")
            return
        }
        #expect(dump.contains("Environment: SWISOR_HOME=\(home)\n"))
        // ListenStream= is printed C-escaped; the mount dependency systemd derives from it
        // shows the path as it was read.
        #expect(dump.contains("RequiresMountsFor: \(home)/swisor.sock (origin-file)"))
        // The command line as systemd prints it: the path, quoted because of its blank.
        #expect(dump.contains("Command Line: \"\(unit.daemonExecutable)\" --resurrect\n"))
        #expect(dump.contains("Command Line: \"\(executable)\" reload all\n"))
        #expect(dump.contains("Delegate: yes"))
        #expect(dump.contains("KillMode: mixed"))
        #expect(dump.contains("OOMPolicy: continue"))
        #expect(dump.contains("TimeoutStopSec: 30s"))
        #expect(dump.contains("LimitNOFILE: 524288\n"))
        #expect(dump.contains("LimitNOFILESoft: 65536\n"))
    }

    // MARK: Helpers

    struct Verification {
        var status: Int32
        var output: String
        /// Exit 0 and not a line printed. On this project's machines (PID 1 systemd or not,
        /// container or not) verify prints nothing for a good unit; a warning always names
        /// a line of the unit.
        var accepted: Bool { status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }

    static func verify(_ files: [String], userManager: Bool = false) throws -> Verification {
        guard let analyze = which("systemd-analyze") else {
            throw SystemError("systemd-analyze not found: `make deps` installs it (package systemd)", errno: ENOENT)
        }
        // --man=no: Documentation=man:swisor(1) is checked by running man(1), and the page
        // is only installed by `make install` (shippedPathsMatchTheMakefileAndTheManual
        // checks that it exists).
        var argv = [analyze]
        var environment: [String: String] = [:]
        let runtime: TemporaryDirectory?
        if userManager {
            // A user manager needs its runtime folder (XDG_RUNTIME_DIR, /run/user/<uid> in
            // a session): a private one, not the real one.
            runtime = try TemporaryDirectory()
            environment["XDG_RUNTIME_DIR"] = runtime?.path
            argv.append("--user")
        } else {
            runtime = nil
        }
        argv += ["verify", "--man=no"] + files
        let result = try withExtendedLifetime(runtime) { try run(argv, environment: environment) }
        return Verification(status: result.status, output: result.output)
    }

    static func run(_ argv: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["SYSTEMD_LOG_COLOR"] = "0"
        env["SYSTEMD_PAGER"] = "cat"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// An executable file (a copy of true(1)) at `path`, folders created, readable by all.
    /// `path` and the daemon beside it (ExecStart= names the daemon, ExecReload= the CLI):
    /// systemd-analyze checks that both exist.
    static func installFakeProgram(at path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        for program in [path, Release.daemonPath(besideCLI: path)] {
            try FileManager.default.copyItem(atPath: "/bin/true", toPath: program)
            _ = chmod(program, 0o755)
        }
    }
}
