#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SwisorCore
import SwisorSystem

struct StartupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "Install and enable a systemd unit that starts swisor, with the saved apps, at boot.",
        discussion: """
        Writes /etc/systemd/system/swisor.service (swisor-<user>.service with --user): Type=notify, \
        ExecStart=<swisord beside this binary> --resurrect, Environment=SWISOR_HOME=<home>, Delegate=yes, \
        KillMode=mixed, OOMPolicy=continue, TimeoutStopSec covering the saved apps' kill_timeout. \
        Creates the home (owned by the user), runs `systemctl daemon-reload` (skipped when systemd \
        is not running) and `systemctl enable`. Run it again after `swisor save` when kill timeouts \
        changed, or after moving the binaries. Nothing is left half-written on an error. Needs root, \
        except with --print.
        """
    )

    @Option(help: ArgumentHelp(
        "Run the daemon and the apps as this user: unit swisor-<user>.service with User=<user>, home <user's home>/.swisor.",
        valueName: "name"))
    var user: String?

    @OptionGroup var location: UnitRootOption

    @Option(help: ArgumentHelp(
        "The daemon's home (SWISOR_HOME) in the unit. Default: $SWISOR_HOME or ~/.swisor, or with --user <user's home>/.swisor.",
        valueName: "dir"))
    var home: String?

    @Flag(help: "Also install and enable swisor.socket: systemd holds the control socket and starts the service on the first command.")
    var socket = false

    @Flag(name: .customLong("print"), help: "Print the unit(s) to standard output and change nothing.")
    var printOnly = false

    func validate() throws {
        try UnitRootOption.validate(user: user)
        if let home, home.isEmpty { throw ValidationError("--home: expected a folder, found an empty string") }
    }

    func run() throws {
        if !printOnly { try UnitInstallation.requireRoot("startup") }
        let place = UnitInstallation(root: location.root, user: user)
        let account = try lookUpUser(place)
        let homePath = resolveHome(account: account)
        let timeout = timeoutStop(place, home: homePath)

        let unit = SystemdUnit(
            executable: Client.selfExecutable(), home: homePath, user: account?.name,
            timeoutStopSec: timeout.seconds)
        var units: [(name: String, text: String)] = []
        do {
            units.append((place.serviceName, try unit.serviceText()))
            if socket { units.append((place.socketName, try unit.socketText())) }
        } catch {
            throw CLIError("cannot write the unit: \(error)")
        }
        if home == nil, let account {
            // The default layout (~/.swisor) of that user, whose home must exist: a
            // service account's /nonexistent is not a place to create.
            guard case .directory = try kindOf(place.onDisk(account.directory)) else {
                throw CLIError("--user \(account.name): the home directory \(place.onDisk(account.directory)) does not exist; give the daemon's home with --home")
            }
        }
        for warning in timeout.warnings { printErr("warning: " + warning) }

        if printOnly {
            printOut(units.map { "# \(place.unitPath($0.name))\n\($0.text)" }.joined(separator: "\n"))
            return
        }
        try install(units, place: place, home: homePath, account: account, timeout: timeout)
    }

    // MARK: - What goes in the unit

    private func lookUpUser(_ place: UnitInstallation) throws -> Account? {
        guard let name = place.user else { return nil }
        let found: Account?
        do {
            found = try Account.lookup(name)
        } catch {
            throw CLIError("--user \(name): cannot read the user database: \(error)")
        }
        guard let found else { throw CLIError("--user \(name): unknown user (no such entry in the user database)") }
        return found
    }

    private func resolveHome(account: Account?) -> String {
        var path: String
        if let home {
            path = Home.absolute(home)
        } else if let account {
            path = (account.directory == "/" ? "" : account.directory) + "/.swisor"
        } else {
            path = Home.fromEnvironment().root
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private func kindOf(_ path: String) throws -> PathKind {
        do {
            return try FileSystem.kind(path)
        } catch {
            throw CLIError("\(error)")
        }
    }

    struct Timeout {
        var seconds: Int
        /// "3 saved apps, longest kill_timeout 45000 ms" or why the default is used.
        var origin: String
        var savedApps: Int?
        var warnings: [String] = []
    }

    /// TimeoutStopSec from the saved dump: `systemctl stop` must wait out the longest
    /// kill_timeout of what `daemon --resurrect` will run.
    private func timeoutStop(_ place: UnitInstallation, home: String) -> Timeout {
        let dumpPath = place.onDisk(Home(root: home).dumpFile)
        let fallback = SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: AppSpec.defaultKillTimeoutMs)
        do {
            let dump = try DumpFile.load(dumpPath)
            let longest = dump.apps.map(\.killTimeoutMs).max() ?? AppSpec.defaultKillTimeoutMs
            return Timeout(
                seconds: SystemdUnit.timeoutStopSeconds(for: dump.apps),
                origin: "\(dump.apps.count) saved app(s), longest kill_timeout \(longest) ms",
                savedApps: dump.apps.count)
        } catch {
            if case .missing = error.reason {
                return Timeout(seconds: fallback, origin: "no saved apps yet, the default kill_timeout")
            }
            return Timeout(
                seconds: fallback, origin: "the default kill_timeout",
                warnings: ["\(error) (TimeoutStopSec from the default kill_timeout; fix the dump and run swisor startup again)"])
        }
    }

    // MARK: - Installing

    private func install(
        _ units: [(name: String, text: String)], place: UnitInstallation, home: String, account: Account?, timeout: Timeout
    ) throws {
        let systemctl = try UnitInstallation.systemctl()
        // Everything that can be refused is checked before anything is written.
        let daemon = Client.daemonExecutable()
        guard FileSystem.isExecutableFile(daemon) else {
            throw CLIError("no daemon executable at \(daemon): the unit would not start (swisord is installed beside swisor, as `make install` does)")
        }
        var previous: [String: [UInt8]] = [:]
        for name in [place.serviceName, place.socketName] {
            if let bytes = try place.ownedUnit(name) { previous[name] = bytes }
        }
        let unitDirectory = place.unitDirectoryOnDisk
        var createdFolders: [String] = []
        if place.root.isEmpty {
            guard case .directory = try kindOf(unitDirectory) else {
                throw CLIError("\(unitDirectory) does not exist: is systemd installed?")
            }
        } else {
            do {
                createdFolders = try FileSystem.makeDirectories(unitDirectory, mode: 0o755, owner: nil)
            } catch {
                throw CLIError("cannot create the unit folder: \(error)")
            }
        }
        do {
            try FileSystem.checkWritable(unitDirectory)
        } catch {
            FileSystem.removeEmptyDirectories(createdFolders)
            throw CLIError("cannot write units to \(unitDirectory): \(SystemError.describe(errno: error.errno))")
        }

        let homeOnDisk = place.onDisk(home)
        let owner = account.map { (uid: $0.uid, gid: $0.gid) } ?? (uid: geteuid(), gid: getegid())
        let createdHome: [String]
        do {
            createdHome = try prepareHome(homeOnDisk, owner: owner, userName: account?.name ?? "root")
        } catch {
            FileSystem.removeEmptyDirectories(createdFolders)
            throw error
        }

        // From here on, a failure puts back what was there.
        var written: [String] = []
        func rollBack() {
            for name in written.reversed() {
                if let old = previous[name] {
                    try? FileSystem.writeAtomically(old, to: place.unitPath(name), mode: 0o644)
                } else {
                    _ = try? place.systemctl(systemctl, ["disable", name])
                    try? FileSystem.remove(place.unitPath(name))
                    try? FileSystem.remove(place.wantsLink(name))
                }
            }
            if !place.offline { _ = try? place.systemctl(systemctl, ["daemon-reload"]) }
            FileSystem.removeEmptyDirectories(createdHome)
            FileSystem.removeEmptyDirectories(createdFolders)
        }

        var report = ""
        do {
            for (name, text) in units {
                do {
                    written.append(name)
                    try FileSystem.writeAtomically(Array(text.utf8), to: place.unitPath(name), mode: 0o644)
                } catch {
                    throw CLIError("cannot write \(place.unitPath(name)): \(error)")
                }
                report += "wrote \(place.unitPath(name))\n"
            }
            if !place.offline {
                _ = try place.systemctl(systemctl, ["daemon-reload"])
                report += "reloaded systemd's units (systemctl daemon-reload)\n"
            } else if place.root.isEmpty {
                report += "systemd is not running here (PID 1 is not systemd): no daemon-reload; the unit is enabled for the next boot\n"
            }
            let enabled = try place.systemctl(systemctl, ["enable"] + units.map(\.name))
            report += "enabled \(units.map(\.name).joined(separator: " and ")): starts at boot\n"
            report += UnitInstallation.indented(enabled.output)
        } catch {
            rollBack()
            throw error
        }

        // A socket unit from an earlier `startup --socket`, not asked for this time.
        if !socket, previous[place.socketName] != nil {
            _ = try? place.systemctl(systemctl, ["disable", place.socketName])
            try? FileSystem.remove(place.unitPath(place.socketName))
            try? FileSystem.remove(place.wantsLink(place.socketName))
            if !place.offline { _ = try? place.systemctl(systemctl, ["daemon-reload"]) }
            report += "removed \(place.unitPath(place.socketName)) (installed earlier; --socket keeps it)\n"
        }

        var summary = "  ExecStart=\(Client.daemonExecutable()) --resurrect\n"
        summary += "  SWISOR_HOME=\(home)\(createdHome.isEmpty ? "" : " (created)")\(account.map { ", User=\($0.name)" } ?? "")\n"
        summary += "  TimeoutStopSec=\(timeout.seconds) (\(timeout.origin))\n"
        printOut(report + summary + nextSteps(place: place, home: home, account: account, timeout: timeout))
    }

    /// Creates the home, owned by the daemon's user, or checks the one there: the daemon
    /// refuses a home that is not its user's (Home.prepare), and the socket unit's path
    /// must be inside it.
    private func prepareHome(_ path: String, owner: (uid: uid_t, gid: gid_t), userName: String) throws -> [String] {
        switch try kindOf(path) {
        case .missing:
            do {
                return try FileSystem.makeDirectories(path, mode: 0o700, owner: owner)
            } catch {
                throw CLIError("cannot create the home: \(error)")
            }
        case .directory(let uid):
            if uid != owner.uid {
                throw CLIError("the home \(path) is owned by uid \(uid), not by \(userName) (uid \(owner.uid)): the daemon would refuse it")
            }
            return []
        case .symlink, .other:
            throw CLIError("the home \(path) exists and is not a folder")
        }
    }

    private func nextSteps(place: UnitInstallation, home: String, account: Account?, timeout: Timeout) -> String {
        let service = place.serviceName
        var out = ""
        if timeout.savedApps == nil {
            out += "no saved app list in \(home): start your apps, then `swisor save`, so that they come back at boot\n"
        }
        guard place.root.isEmpty else { return out }
        // A daemon of the same home already running outside systemd holds the home's
        // lock: the service's daemon would exit at once.
        if account == nil, let fd = try? UnixSocket.connect(path: Home(root: home).socket) {
            fd.close()
            out += "a swisor daemon already runs for \(home) outside systemd: `swisor save && swisor kill`, then start the service\n"
        }
        out += SystemdHost.isBooted
            ? "start it now: systemctl start \(service)\n"
            : "start it now (when systemd runs): systemctl start \(service)\n"
        return out
    }
}
