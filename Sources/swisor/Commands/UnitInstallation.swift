#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SwisorCore
import SwisorSystem

/// What `startup` and `unstartup` share: where the units go, and systemctl.
struct UnitInstallation {
    /// systemd's folder for units the administrator installs; they take precedence over
    /// the packaged ones (`make install` puts dist/'s in $(PREFIX)/lib/systemd/system).
    static let unitDirectory = "/etc/systemd/system"
    /// Every unit `startup` writes has this line; neither command overwrites or removes a
    /// file without it (someone's own swisor.service).
    static let marker = "Written by `swisor startup`"

    /// "" or an absolute path without a trailing slash: `--root`, an offline image.
    let root: String
    /// `--user`: names the units `swisor-<user>.*`.
    let user: String?

    init(root: String?, user: String?) {
        var r = root.map { Home.absolute($0) } ?? ""
        while r.hasSuffix("/") { r.removeLast() }
        self.root = r
        self.user = user
    }

    /// `path` (as the installed system sees it) on this machine's file system.
    func onDisk(_ path: String) -> String { root + path }

    var serviceName: String { SystemdUnit.baseName(user: user) + ".service" }
    var socketName: String { SystemdUnit.baseName(user: user) + ".socket" }
    var unitDirectoryOnDisk: String { onDisk(UnitInstallation.unitDirectory) }
    func unitPath(_ name: String) -> String { unitDirectoryOnDisk + "/" + name }
    /// The `systemctl enable` symlink of each unit ([Install] WantedBy=).
    func wantsLink(_ name: String) -> String {
        unitDirectoryOnDisk + (name.hasSuffix(".socket") ? "/sockets.target.wants/" : "/multi-user.target.wants/") + name
    }

    /// With `--root` systemctl works on that tree alone (`--root=`), offline.
    var offline: Bool { !root.isEmpty || !SystemdHost.isBooted }

    static func requireRoot(_ command: String) throws {
        if geteuid() != 0 {
            throw CLIError("swisor \(command) must run as root: it writes \(unitDirectory) and runs systemctl (try sudo; --print needs no root)")
        }
    }

    /// nil: no such file. Refuses a file startup did not write.
    func ownedUnit(_ name: String) throws -> [UInt8]? {
        let path = unitPath(name)
        let bytes: [UInt8]?
        do {
            bytes = try FileSystem.contents(path)
        } catch {
            throw CLIError("cannot read \(path): \(error)")
        }
        if let bytes, !String(decoding: bytes, as: UTF8.self).contains(UnitInstallation.marker) {
            throw CLIError("\(path) was not written by swisor startup: refusing to touch it (move it away first)")
        }
        return bytes
    }

    /// The systemctl of PATH, or an error saying it is missing.
    static func systemctl() throws -> String {
        do {
            return try Spawner.resolveProgram("systemctl", cwd: "/", path: currentEnvironment()["PATH"] ?? "/usr/bin:/bin")
        } catch {
            throw CLIError("systemctl not found in PATH: is systemd installed? (swisor startup --print shows the unit to install by hand)")
        }
    }

    /// Runs `systemctl [--root=DIR] <args>`; its own message on failure.
    func systemctl(_ program: String, _ args: [String]) throws -> ProgramRun {
        var argv = [program]
        if !root.isEmpty { argv.append("--root=" + root) }
        argv += ["--no-ask-password"] + args
        var environment = currentEnvironment()
        environment["SYSTEMD_PAGER"] = "cat"
        environment["SYSTEMD_COLORS"] = "0"
        let run: ProgramRun
        do {
            run = try ProgramRun.run(argv, environment: environment)
        } catch {
            throw CLIError("systemctl \(args.joined(separator: " ")): \(error)")
        }
        if !run.succeeded {
            throw CLIError("systemctl \(args.joined(separator: " ")) failed (exit \(run.status)): \(UnitInstallation.oneLine(run.output))")
        }
        return run
    }

    /// systemctl's output as one line, for an error message.
    static func oneLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        return lines.isEmpty ? "(no message)" : lines.joined(separator: "; ")
    }

    /// "Created symlink a → b." lines, indented, for the report.
    static func indented(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { "  " + $0 + "\n" }.joined()
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var s = self
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// `--root`, which both commands take.
struct UnitRootOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Work on the system image under this folder instead of /: units in <dir>/etc/systemd/system, the home under <dir>, `systemctl --root=<dir>` (offline, no daemon-reload). For images and tests.",
        valueName: "dir"))
    var root: String?

    func validate() throws {
        if let root {
            if root.isEmpty { throw ValidationError("--root: expected a folder, found an empty string") }
            if Home.absolute(root).split(separator: "/").isEmpty {
                throw ValidationError("--root \(root): that is / itself; leave --root out")
            }
        }
    }

    /// `--user`'s name must be one systemd accepts and a unit name can hold.
    static func validate(user: String?) throws {
        if let user, let problem = SystemdUnit.accountNameProblem(user) {
            throw ValidationError("--user \(user): \(problem)")
        }
    }
}
