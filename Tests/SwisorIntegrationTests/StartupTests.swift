import Foundation
import SwisorCore
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `swisor startup` / `unstartup` through the real binary. They work on a system image
/// under `--root` (units in <root>/etc/systemd/system, `systemctl --root=`, the home
/// under <root>): the machine's own /etc/systemd/system is never touched, and the same
/// path runs whether systemd is PID 1 or not. The units written are checked with
/// `systemd-analyze verify`, where any output is a failure.
@Suite(.serialized)
struct StartupTests {
    /// The home the units name (as seen inside the root).
    static let home = "/srv/swisor"

    /// A harness without a daemon (for its CLI runner and its temporary folder), and the
    /// root under it.
    private func setUp() throws -> (Harness, String) {
        let h = try Harness(startDaemon: false)
        let root = h.home + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        return (h, root)
    }

    private func run(_ h: Harness, _ args: [String], env: [String: String] = [:], prefix: [String] = []) -> CLIResult {
        h.run(args, env: ["SWISOR_HOME": Self.home].merging(env) { $1 }, prefix: prefix)
    }

    /// What ExecReload= names: the binary's own path, symlinks resolved (/proc/self/exe).
    private var executable: String {
        URL(fileURLWithPath: Harness.binary).resolvingSymlinksInPath().path
    }

    /// What ExecStart= names: the daemon beside it.
    private var daemon: String { Release.daemonPath(besideCLI: executable) }

    private func text(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    private func lines(_ text: String?) -> [String] {
        (text ?? "").split(separator: "\n").map(String.init)
    }

    /// Every path under `dir`, relative, sorted.
    private func tree(_ dir: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    private func linkTarget(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    private func owner(_ path: String) -> (uid: uid_t, mode: mode_t)? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return (st.st_uid, st.st_mode & 0o7777)
    }

    /// One line on stderr, exit 1.
    private func expectOneLineError(_ r: CLIResult, containing needle: String, _ label: String) {
        #expect(r.status == 1, "\(label): exit \(r.status), \(r.stderr)")
        let errLines = lines(r.stderr)
        #expect(errLines.count == 1, "\(label): \(r.stderr)")
        #expect(r.stderr.contains(needle), "\(label): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(label): \(r.stdout)")
    }

    // MARK: --print

    @Test func printShowsTheUnitsAndTouchesNothing() throws {
        let (h, root) = try setUp()
        defer { h.shutdown() }
        let realUnit = "/etc/systemd/system/swisor.service"
        let realBefore = text(realUnit)

        let r = run(h, ["startup", "--print", "--root", root, "--socket"])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
        let out = lines(r.stdout)
        #expect(out.first == "# \(root)/etc/systemd/system/swisor.service")
        #expect(out.contains("# \(root)/etc/systemd/system/swisor.socket"))
        #expect(out.contains("ExecStart=\(daemon) --resurrect"))
        #expect(out.contains("ExecReload=\(executable) reload all"))
        #expect(out.contains("Environment=SWISOR_HOME=\(Self.home)"))
        #expect(out.contains("ListenStream=\(Self.home)/swisor.sock"))
        #expect(out.contains("TimeoutStopSec=30"))
        #expect(!out.contains { $0.hasPrefix("User=") })
        #expect(tree(root).isEmpty, "--print wrote \(tree(root))")

        // Without --root it names the real folder, needs no root, and writes nothing.
        let setpriv = try #require(which("setpriv"), "setpriv is installed by make deps")
        let plain = run(h, ["startup", "--print"], prefix: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"])
        #expect(plain.ok, "\(plain.stderr)")
        #expect(lines(plain.stdout).first == "# /etc/systemd/system/swisor.service")
        #expect(!plain.stdout.contains("swisor.socket"))
        #expect(text(realUnit) == realBefore)
    }

    // MARK: Install, verify, remove

    @Test func startupWritesAVerifiedEnabledUnitAndUnstartupRemovesIt() throws {
        let (h, root) = try setUp()
        defer { h.shutdown() }
        // A saved dump whose longest kill_timeout is 45 s: TimeoutStopSec = 45 + 10.
        let homeOnDisk = root + Self.home
        try FileManager.default.createDirectory(
            atPath: homeOnDisk, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try DumpFile.write([
            AppSpec(name: "slow", script: "/bin/sleep", args: ["100"], cwd: "/", killTimeoutMs: 45_000),
            AppSpec(name: "quick", script: "/bin/sleep", args: ["100"], cwd: "/"),
        ], to: homeOnDisk + "/dump.json")

        let units = root + "/etc/systemd/system"
        let r = run(h, ["startup", "--root", root, "--socket"])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stdout.contains("wrote \(units)/swisor.service"))
        #expect(r.stdout.contains("enabled swisor.service and swisor.socket"))
        #expect(r.stdout.contains("TimeoutStopSec=55 (2 saved app(s), longest kill_timeout 45000 ms)"))

        let service = lines(text(units + "/swisor.service"))
        #expect(service.contains("ExecStart=\(daemon) --resurrect"))
        #expect(service.contains("Environment=SWISOR_HOME=\(Self.home)"))
        #expect(service.contains("TimeoutStopSec=55"))
        #expect(service.contains("Type=notify") && service.contains("Delegate=yes") && service.contains("OOMPolicy=continue"))
        #expect(lines(text(units + "/swisor.socket")).contains("ListenStream=\(Self.home)/swisor.sock"))
        #expect(owner(units + "/swisor.service")?.mode == 0o644)
        let verified = try verify([units + "/swisor.service", units + "/swisor.socket"])
        #expect(verified.accepted, "\(verified.output)")
        #expect(linkTarget(units + "/multi-user.target.wants/swisor.service") == "/etc/systemd/system/swisor.service")
        #expect(linkTarget(units + "/sockets.target.wants/swisor.socket") == "/etc/systemd/system/swisor.socket")
        // No temporary file left beside the units.
        #expect(!tree(units).contains { $0.contains(".tmp-") })

        // Again without --socket: the service is rewritten, the socket unit removed.
        let again = run(h, ["startup", "--root", root])
        #expect(again.ok, "\(again.stderr)")
        #expect(again.stdout.contains("removed \(units)/swisor.socket"))
        #expect(text(units + "/swisor.socket") == nil)
        #expect(linkTarget(units + "/sockets.target.wants/swisor.socket") == nil)
        #expect(linkTarget(units + "/multi-user.target.wants/swisor.service") != nil)

        let removed = run(h, ["unstartup", "--root", root])
        #expect(removed.ok, "\(removed.stderr)")
        #expect(removed.stdout.contains("removed \(units)/swisor.service"))
        #expect(text(units + "/swisor.service") == nil)
        #expect(linkTarget(units + "/multi-user.target.wants/swisor.service") == nil)
        #expect(!tree(units).contains { $0.hasSuffix(".service") || $0.hasSuffix(".socket") }, "\(tree(units))")
        // The home and its saved apps stay.
        #expect(FileManager.default.fileExists(atPath: homeOnDisk + "/dump.json"))

        let nothing = run(h, ["unstartup", "--root", root])
        #expect(nothing.ok, "\(nothing.stderr)")
        #expect(nothing.stdout.contains("nothing to remove"))
    }

    /// The home is created for the daemon (mode 0700) when missing, so that the socket
    /// unit's folder exists and belongs to the daemon's user.
    @Test func startupCreatesTheHome() throws {
        let (h, root) = try setUp()
        defer { h.shutdown() }
        let r = run(h, ["startup", "--root", root, "--home", "/var/lib/swisor"])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stdout.contains("SWISOR_HOME=/var/lib/swisor (created)"))
        #expect(r.stdout.contains("no saved app list"))
        let home = owner(root + "/var/lib/swisor")
        #expect(home?.uid == 0 && home?.mode == 0o700)
        #expect(lines(text(root + "/etc/systemd/system/swisor.service")).contains("Environment=SWISOR_HOME=/var/lib/swisor"))
        #expect(run(h, ["unstartup", "--root", root]).ok)
    }

    // MARK: --user

    @Test func startupForAUserUsesTheirHomeAndRunsAsThem() throws {
        let (h, root) = try setUp()
        defer { h.shutdown() }
        // A system user made for this test, removed at the end; its home exists only in
        // the image, where startup looks for it.
        let name = "swt" + String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let add = try runTool(["useradd", "--system", "--no-create-home", "--home-dir", "/home/" + name, "--shell", "/usr/sbin/nologin", name])
        #expect(add.status == 0, "useradd: \(add.output)")
        defer {
            let del = try? runTool(["userdel", name])
            #expect(del?.status == 0, "userdel \(name): \(del?.output ?? "")")
        }
        let account = try #require(try Account.lookup(name))
        let units = root + "/etc/systemd/system"
        let service = "swisor-\(name).service", socket = "swisor-\(name).socket"

        // Its home directory is missing: refused, unless the daemon's home is given.
        expectOneLineError(
            run(h, ["startup", "--root", root, "--user", name]),
            containing: "--user \(name): the home directory \(root)/home/\(name) does not exist; give the daemon's home with --home",
            "no home directory")
        #expect(tree(root).isEmpty, "\(tree(root))")
        let given = run(h, ["startup", "--root", root, "--user", name, "--home", "/srv/" + name])
        #expect(given.ok, "\(given.stderr)")
        #expect(owner(root + "/srv/" + name)?.uid == account.uid)
        #expect(lines(text(units + "/" + service)).contains("Environment=SWISOR_HOME=/srv/\(name)"))

        // With it, the default layout: <home>/.swisor.
        try FileManager.default.createDirectory(atPath: root + "/home/" + name, withIntermediateDirectories: true)

        let r = run(h, ["startup", "--root", root, "--user", name, "--socket"])
        #expect(r.ok, "\(r.stderr)")
        let text = lines(text(units + "/" + service))
        #expect(text.contains("User=\(name)"))
        #expect(text.contains("Environment=SWISOR_HOME=/home/\(name)/.swisor"))
        #expect(lines(self.text(units + "/" + socket)).contains("SocketUser=\(name)"))
        let home = owner(root + "/home/\(name)/.swisor")
        #expect(home?.uid == account.uid && home?.mode == 0o700)
        let verified = try verify([units + "/" + service, units + "/" + socket])
        #expect(verified.accepted, "\(verified.output)")
        #expect(linkTarget(units + "/multi-user.target.wants/" + service) == "/etc/systemd/system/" + service)
        // The units of root's daemon are not these.
        #expect(self.text(units + "/swisor.service") == nil)

        let removed = run(h, ["unstartup", "--root", root, "--user", name])
        #expect(removed.ok, "\(removed.stderr)")
        #expect(!tree(units).contains { $0.hasSuffix(service) || $0.hasSuffix(socket) }, "\(tree(units))")
    }

    /// systemd-analyze says "Special user nobody configured, this is not safe!".
    @Test func nobodyIsRefused() throws {
        let (h, root) = try setUp()
        defer { h.shutdown() }
        for args in [["--print"], ["--root", root], ["--root", root, "--home", "/srv/nobody"]] {
            expectOneLineError(
                run(h, ["startup", "--user", "nobody"] + args),
                containing: "cannot write the unit: user \"nobody\": systemd deems a service running as nobody unsafe", "nobody \(args)")
        }
        #expect(tree(root).isEmpty, "\(tree(root))")
    }

    // MARK: Errors: one line, nothing written

    @Test func errorsAreOneLineAndLeaveNothingBehind() throws {
        let (h, root) = try setUp()
        defer { h.shutdown() }

        expectOneLineError(
            run(h, ["startup", "--root", root, "--user", "swisor-no-such-user"]),
            containing: "--user swisor-no-such-user: unknown user", "unknown user")
        #expect(tree(root).isEmpty)

        let setpriv = try #require(which("setpriv"))
        expectOneLineError(
            run(h, ["startup", "--root", root], prefix: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]),
            containing: "swisor startup must run as root", "not root")
        expectOneLineError(
            run(h, ["unstartup", "--root", root], prefix: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]),
            containing: "swisor unstartup must run as root", "not root")

        expectOneLineError(
            run(h, ["startup", "--root", root], env: ["PATH": "/nonexistent"]),
            containing: "systemctl not found in PATH", "no systemctl")
        #expect(tree(root).isEmpty, "\(tree(root))")

        // systemctl fails: its message is the error, and the unit and home are gone again.
        let fakeBin = h.home + "/fakebin"
        try FileManager.default.createDirectory(atPath: fakeBin, withIntermediateDirectories: false)
        try "#!/bin/sh\necho \"Failed to enable unit: simulated failure\" >&2\nexit 1\n"
            .write(toFile: fakeBin + "/systemctl", atomically: true, encoding: .utf8)
        chmod(fakeBin + "/systemctl", 0o755)
        expectOneLineError(
            run(h, ["startup", "--root", root, "--socket"], env: ["PATH": fakeBin + ":/usr/bin:/bin"]),
            containing: "systemctl enable swisor.service swisor.socket failed (exit 1): Failed to enable unit: simulated failure",
            "systemctl failing")
        #expect(tree(root).isEmpty, "left behind: \(tree(root))")

        // A unit folder that cannot be written (a read-only file system).
        let units = root + "/etc/systemd/system"
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        let mount = try runTool(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", units])
        try #require(mount.status == 0, "mount: \(mount.output)")
        do {
            defer {
                let umount = try? runTool(["umount", units])
                #expect(umount?.status == 0, "umount \(units): \(umount?.output ?? "")")
            }
            expectOneLineError(
                run(h, ["startup", "--root", root]),
                containing: "cannot write units to \(units): Read-only file system (EROFS)", "read-only")
            #expect(!FileManager.default.fileExists(atPath: root + Self.home), "the home was created")
        }

        // A swisor.service startup did not write is neither replaced nor removed.
        let handMade = "[Service]\nExecStart=/bin/true\n"
        try handMade.write(toFile: units + "/swisor.service", atomically: true, encoding: .utf8)
        expectOneLineError(run(h, ["startup", "--root", root]), containing: "was not written by swisor startup", "foreign unit")
        expectOneLineError(run(h, ["unstartup", "--root", root]), containing: "was not written by swisor startup", "foreign unit")
        #expect(text(units + "/swisor.service") == handMade)
        #expect(!FileManager.default.fileExists(atPath: root + Self.home))

        // Usage errors.
        let badUser = run(h, ["startup", "--print", "--user", "a b"])
        #expect(badUser.status == 64 && badUser.stderr.contains("--user a b: may contain only"), "\(badUser.stderr)")
        let slash = run(h, ["unstartup", "--root", "/"])
        #expect(slash.status == 64 && slash.stderr.contains("leave --root out"), "\(slash.stderr)")
    }

    // MARK: make install

    /// `make install` puts dist/'s units in $(PREFIX)/lib/systemd/system, naming the
    /// installed binary; `make uninstall` removes them. (`-o build`: the debug binary
    /// stands in for the release one, which the test need not build.)
    @Test func makeInstallShipsTheUnitsAndUninstallRemovesThem() throws {
        let (h, _) = try setUp()
        defer { h.shutdown() }
        let destdir = h.home + "/dest"
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let make = ["make", "-s", "-C", packageRoot, "-o", "build", "DESTDIR=" + destdir, "PREFIX=/opt/swisor", "RELEASE_BIN=" + Harness.binary]
        let install = try runTool(make + ["install"])
        #expect(install.status == 0, "\(install.output)")
        // Both executables, side by side: the CLI starts the daemon found beside it.
        for program in ["swisor", "swisord"] {
            #expect(owner(destdir + "/opt/swisor/bin/" + program)?.mode == 0o755, "\(program)")
        }
        let units = destdir + "/opt/swisor/lib/systemd/system"
        #expect(tree(units) == ["swisor.service", "swisor.socket"])
        let service = try #require(text(units + "/swisor.service"))
        #expect(lines(service).contains("ExecStart=/opt/swisor/bin/swisord --resurrect"))
        #expect(!service.contains("/usr/local"))
        #expect(owner(units + "/swisor.service")?.mode == 0o644)
        // Verified with the binary where the image has it.
        let check = h.home + "/check"
        try FileManager.default.createDirectory(atPath: check, withIntermediateDirectories: false)
        try service.replacingOccurrences(of: "/opt/swisor/bin/swisor", with: destdir + "/opt/swisor/bin/swisor")
            .write(toFile: check + "/swisor.service", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: units + "/swisor.socket", toPath: check + "/swisor.socket")
        let verified = try verify([check + "/swisor.service", check + "/swisor.socket"])
        #expect(verified.accepted, "\(verified.output)")

        let uninstall = try runTool(make + ["uninstall"])
        #expect(uninstall.status == 0, "\(uninstall.output)")
        #expect(tree(units).isEmpty, "\(tree(units))")
        #expect(!FileManager.default.fileExists(atPath: destdir + "/opt/swisor/bin/swisor"))
        #expect(!FileManager.default.fileExists(atPath: destdir + "/opt/swisor/bin/swisord"))
    }

    // MARK: Helpers

    struct ToolRun {
        var status: Int32
        var output: String
        /// systemd-analyze: exit 0 and not a line printed (it exits 0 on warnings).
        var accepted: Bool { status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }

    private func verify(_ files: [String]) throws -> ToolRun {
        // --man=no: man:swisor(1) is only installed by `make install`.
        try runTool(["systemd-analyze", "verify", "--man=no"] + files)
    }

    private func runTool(_ argv: [String]) throws -> ToolRun {
        guard let program = which(argv[0]) else {
            throw HarnessError("\(argv[0]) not found (make deps installs it)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["SYSTEMD_LOG_COLOR"] = "0"
        env["SYSTEMD_PAGER"] = "cat"
        p.environment = env
        let pipe = Foundation.Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return ToolRun(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    private func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
