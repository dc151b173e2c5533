/// The systemd units `swisor startup` writes: a service that runs `swisord --resurrect`
/// (the daemon, beside the swisor binary) at boot, and a socket unit for the control socket (socket activation).
/// `dist/swisor.service` and `dist/swisor.socket` are what this renders for the
/// defaults (a test keeps them equal).
///
/// Names: `swisor.service` / `swisor.socket`, or `swisor-<user>.service` /
/// `swisor-<user>.socket` for `--user <user>`. With `--user` the unit is a system unit
/// that runs the daemon as that user (PM2's model: `pm2-<user>.service`), so several
/// users' units live side by side in /etc/systemd/system and must not clash; a user
/// unit (`scope: .user`, in the user's own manager) needs no suffix.
///
/// Every value that comes from the user is escaped for systemd.syntax(7) (see
/// `commandWord`, `environmentAssignment`, `escapingSpecifiers`), or refused when
/// no escape exists for it (a control character in a path, `$` in the executable's path).
public struct SystemdUnit: Sendable, Equatable {
    /// Which service manager runs the unit.
    public enum Scope: String, Sendable, Equatable {
        /// PID 1: /etc/systemd/system, started at boot (multi-user.target).
        case system
        /// The user's own manager (`systemctl --user`): ~/.config/systemd/user, started at
        /// login, or at boot with `loginctl enable-linger`. No `User=` there.
        case user
    }

    /// RLIMIT_NOFILE for the daemon, which every app inherits.
    public struct FileLimit: Sendable, Equatable {
        public var soft: Int
        /// nil: the same as `soft`.
        public var hard: Int?

        public init(soft: Int, hard: Int? = nil) {
            self.soft = soft
            self.hard = hard
        }

        /// 65536 open files for the apps (servers with many connections; systemd's own
        /// default soft limit, 1024, is select()'s), under systemd's default hard limit
        /// (524288 since v240, also what user managers get) so an app may still raise it.
        public static let `default` = FileLimit(soft: 65536, hard: 524288)

        var rendered: String { hard.map { "\(soft):\($0)" } ?? "\(soft)" }
    }

    /// Absolute path of the swisor binary (ExecReload=); the daemon is `daemonExecutable`
    /// beside it.
    public var executable: String
    /// The daemon's home (`SWISOR_HOME`), absolute; the socket unit listens on
    /// `<home>/swisor.sock`.
    public var home: String
    public var scope: Scope
    /// `User=` (system scope only): the daemon and every app run as this user.
    public var user: String?
    /// `Group=`; nil: the user's primary group (systemd's default with `User=`).
    public var group: String?
    /// From `timeoutStopSeconds(maxKillTimeoutMs:)`.
    public var timeoutStopSec: Int
    /// `WatchdogSec=`: the daemon must then send WATCHDOG=1 at least this often.
    public var watchdogSec: Int?
    public var limitNOFILE: FileLimit

    public init(
        executable: String,
        home: String,
        scope: Scope = .system,
        user: String? = nil,
        group: String? = nil,
        timeoutStopSec: Int = SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: AppSpec.defaultKillTimeoutMs),
        watchdogSec: Int? = nil,
        limitNOFILE: FileLimit = .default
    ) {
        self.executable = executable
        self.home = home
        self.scope = scope
        self.user = user
        self.group = group
        self.timeoutStopSec = timeoutStopSec
        self.watchdogSec = watchdogSec
        self.limitNOFILE = limitNOFILE
    }

    /// The daemon, `swisord` in the swisor binary's folder (ExecStart=). Always derived,
    /// never given: the CLI starts the same one, so the two cannot disagree.
    public var daemonExecutable: String { Release.daemonPath(besideCLI: executable) }

    // MARK: - Names

    /// `swisor`, or `swisor-<user>` (the user name is checked by `validate`, and its
    /// characters are all valid in a unit name).
    public static func baseName(user: String?) -> String {
        user.map { "swisor-" + $0 } ?? "swisor"
    }

    public var serviceName: String { SystemdUnit.baseName(user: user) + ".service" }
    public var socketName: String { SystemdUnit.baseName(user: user) + ".socket" }
    /// Where the socket unit listens: the daemon's usual socket, so that the CLI finds
    /// it whether or not systemd holds it.
    public var socketPath: String { home + "/swisor.sock" }

    // MARK: - TimeoutStopSec

    /// Added to the longest kill_timeout: the SIGKILL round after it, reaping, the
    /// daemon's own exit, and a loaded machine at shutdown.
    public static let stopMarginSeconds = 10
    /// The floor: an app added later with a kill_timeout up to 20 s still gets all of it
    /// without `swisor startup` being run again.
    public static let minimumTimeoutStopSeconds = 30

    /// TimeoutStopSec= for apps whose longest kill_timeout is `maxKillTimeoutMs`.
    ///
    /// On `systemctl stop` the daemon gets SIGTERM (KillMode=mixed) and stops every app
    /// at once: each gets its kill_signal, and SIGKILL once its own kill_timeout has
    /// passed. So the whole stop takes about the longest kill_timeout, not their sum.
    /// The rule: that kill_timeout rounded up to whole seconds, plus `stopMarginSeconds`,
    /// and at least `minimumTimeoutStopSeconds`. Past it, systemd sends SIGKILL to every
    /// process left in the unit's cgroup.
    public static func timeoutStopSeconds(maxKillTimeoutMs: Int) -> Int {
        let ms = max(maxKillTimeoutMs, 0)
        let seconds = ms / 1000 + (ms % 1000 == 0 ? 0 : 1)
        let (total, overflow) = seconds.addingReportingOverflow(stopMarginSeconds)
        return overflow ? Int.max : max(total, minimumTimeoutStopSeconds)
    }

    /// The same for a list of apps (the default kill_timeout when there is none).
    public static func timeoutStopSeconds(for specs: some Sequence<AppSpec>) -> Int {
        timeoutStopSeconds(maxKillTimeoutMs: specs.map(\.killTimeoutMs).max() ?? AppSpec.defaultKillTimeoutMs)
    }

    // MARK: - Validation

    /// The longest user name accepted (useradd's and utmp's limit).
    public static let maxUserNameLength = 32
    /// The overflow user and group (uid and gid 65534).
    public static let nobody = "nobody"
    /// sizeof(sockaddr_un.sun_path) less the terminating NUL.
    public static let maxSocketPathBytes = 107

    /// Refuses what cannot be written into a unit file, or would not work there.
    public func validate() throws(SystemdUnitError) {
        if let reason = SystemdUnit.pathProblem(executable) {
            throw SystemdUnitError(input: "executable", value: executable, message: reason)
        }
        // ExecStart= expands `$NAME` in the arguments, argv[0] included, but not in the
        // program's path: no way to write a `$` that is right for both.
        if executable.contains("$") {
            throw SystemdUnitError(
                input: "executable", value: executable,
                message: "a path with '$' cannot be written in ExecStart=; install swisor elsewhere")
        }
        if let reason = SystemdUnit.pathProblem(home) {
            throw SystemdUnitError(input: "home", value: home, message: reason)
        }
        if socketPath.utf8.count > SystemdUnit.maxSocketPathBytes {
            throw SystemdUnitError(
                input: "home", value: home,
                message: "the socket path \(socketPath) is \(socketPath.utf8.count) bytes long, "
                    + "a Unix socket path is at most \(SystemdUnit.maxSocketPathBytes)")
        }
        if scope == .user, user != nil || group != nil {
            throw SystemdUnitError(
                input: user != nil ? "user" : "group", value: user ?? group ?? "",
                message: "a user unit runs as its manager's user: User= and Group= are for system units")
        }
        if let user, let reason = SystemdUnit.accountNameProblem(user) {
            throw SystemdUnitError(input: "user", value: user, message: reason)
        }
        if let group, let reason = SystemdUnit.accountNameProblem(group) {
            throw SystemdUnitError(input: "group", value: group, message: reason)
        }
        // systemd warns "Special user nobody configured, this is not safe!": nobody also
        // owns every file of an unmapped user (NFS, user namespaces), which the apps
        // could then read and write.
        if user == SystemdUnit.nobody || group == SystemdUnit.nobody {
            throw SystemdUnitError(
                input: user == SystemdUnit.nobody ? "user" : "group", value: SystemdUnit.nobody,
                message: "systemd deems a service running as nobody unsafe (nobody owns the files of unmapped users): create a user for the apps")
        }
        if timeoutStopSec < 1 {
            throw SystemdUnitError(input: "TimeoutStopSec", value: String(timeoutStopSec), message: "must be at least 1 second")
        }
        if let watchdogSec, watchdogSec < 1 {
            throw SystemdUnitError(input: "WatchdogSec", value: String(watchdogSec), message: "must be at least 1 second")
        }
        if limitNOFILE.soft < 1 || (limitNOFILE.hard.map { $0 < limitNOFILE.soft } ?? false) {
            throw SystemdUnitError(
                input: "LimitNOFILE", value: limitNOFILE.rendered,
                message: "expected a positive soft limit and a hard limit not below it")
        }
    }

    /// nil when `path` is absolute, normalized, and free of control characters.
    static func pathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "must be an absolute path" }
        if path.unicodeScalars.contains(where: isControl) {
            return "a path with a control character cannot be written in a unit file"
        }
        if path != "/" {
            let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                return "must be a normalized path (no empty, '.' or '..' component, no trailing '/')"
            }
        }
        return nil
    }

    /// A user or group name that is valid for User=/Group= in every systemd version
    /// (its strict rule, plus leading digits and '.', which Debian accepts), and safe in
    /// a unit name: ASCII letters, digits, '_', '.' and '-', not starting with '-' or '.'.
    public static func accountNameProblem(_ name: String) -> String? {
        let scalars = name.unicodeScalars
        guard let first = scalars.first else { return "cannot be empty" }
        if scalars.count > maxUserNameLength { return "is longer than \(maxUserNameLength) characters" }
        let allowed: (Unicode.Scalar) -> Bool = {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "_" || $0 == "." || $0 == "-"
        }
        if !scalars.allSatisfy(allowed) {
            return "may contain only ASCII letters, digits, '_', '.' and '-'"
        }
        if first == "-" || first == "." { return "cannot start with '-' or '.'" }
        return nil
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value)
    }

    // MARK: - Rendering

    /// The text of `<serviceName>`.
    public func serviceText() throws(SystemdUnitError) -> String {
        try validate()
        let program = SystemdUnit.commandWord(executable, isProgram: true)
        let daemon = SystemdUnit.commandWord(daemonExecutable, isProgram: true)
        var lines = [
            "# swisor: supervises the apps saved with `swisor save`, and starts them again at boot.",
            "# Written by `swisor startup`, which rewrites it: keep local changes in",
            "# `systemctl\(scope == .user ? " --user" : "") edit \(serviceName)`. See swisor(1).",
            "",
            "[Unit]",
            "Description=swisor process supervisor\(user.map { " (\(SystemdUnit.escapingSpecifiers($0)))" } ?? "")",
            "Documentation=man:swisor(1)",
        ]
        if scope == .system {
            lines += [
                "# The apps are mostly servers: start them once the network is up.",
                "Wants=network-online.target",
                "After=network-online.target",
            ]
        }
        lines += [
            "",
            "[Service]",
            "# READY=1 once the control socket listens and the saved apps are launched;",
            "# only the daemon itself may notify (each app has its own NOTIFY_SOCKET).",
            "Type=notify",
            "NotifyAccess=main",
        ]
        if let user { lines.append("User=" + SystemdUnit.escapingSpecifiers(user)) }
        if let group { lines.append("Group=" + SystemdUnit.escapingSpecifiers(group)) }
        lines += [
            SystemdUnit.environmentAssignment(name: "SWISOR_HOME", value: home),
            "ExecStart=\(daemon) --resurrect",
            "ExecReload=\(program) reload all",
            "Restart=on-failure",
        ]
        if let watchdogSec { lines.append("WatchdogSec=\(watchdogSec)") }
        lines += [
            "# swisor manages a cgroup per app below the unit's own.",
            "Delegate=yes",
            "# SIGTERM to the daemon alone: it stops every app with the app's kill_signal and",
            "# kill_timeout. TimeoutStopSec is the longest kill_timeout of the saved apps plus a",
            "# margin, at least 30 s; whatever is still running after it gets SIGKILL.",
            "KillMode=mixed",
            "TimeoutStopSec=\(timeoutStopSec)",
            "# An app killed by the kernel's OOM killer is for swisor to restart, not a reason",
            "# to stop every other app.",
            "OOMPolicy=continue",
            "LimitNOFILE=\(limitNOFILE.rendered)",
            "",
            "[Install]",
            "WantedBy=\(scope == .system ? "multi-user.target" : "default.target")",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text of `<socketName>`.
    public func socketText() throws(SystemdUnitError) -> String {
        try validate()
        var lines = [
            "# swisor's control socket, held by systemd: a swisor command started while the daemon",
            "# is not running starts it (`swisord --resurrect`, through \(serviceName)).",
            "# Written by `swisor startup`. See swisor(1).",
            "",
            "[Unit]",
            "Description=swisor control socket\(user.map { " (\(SystemdUnit.escapingSpecifiers($0)))" } ?? "")",
            "Documentation=man:swisor(1)",
            "",
            "[Socket]",
            // Not unquoted by systemd: the rest of the line is the path, spaces included.
            "ListenStream=" + SystemdUnit.escapingSpecifiers(socketPath),
            "SocketMode=0600",
        ]
        if let user { lines.append("SocketUser=" + SystemdUnit.escapingSpecifiers(user)) }
        if let group { lines.append("SocketGroup=" + SystemdUnit.escapingSpecifiers(group)) }
        lines += [
            "# Missing folders are created by systemd, as root: keep them private. swisor refuses",
            "# a home that is not its user's own, so `swisor startup` creates the home first.",
            "DirectoryMode=0700",
            "RemoveOnStop=yes",
            "Service=\(serviceName)",
            "",
            "[Install]",
            "WantedBy=sockets.target",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - systemd.syntax(7)

    /// `%` starts a specifier in almost every setting (systemd.unit(5), "Specifiers"),
    /// inside quotes too: `%%` is a literal `%`.
    public static func escapingSpecifiers(_ text: String) -> String {
        text.replacingAll("%", with: "%%")
    }

    /// One word of an ExecStart=-style command line (systemd.service(5), "Command
    /// lines"): quoted when it holds a blank, a quote or a backslash (systemd.syntax(7),
    /// with `\\` and `\"` inside), `%` doubled, and, in an argument, `$` doubled (an
    /// argument's `$NAME` is expanded; the program's path is not, see `validate`). A
    /// control character becomes a `\xNN` escape.
    public static func commandWord(_ word: String, isProgram: Bool = false) -> String {
        if !isProgram, word == ";" { return "\\;" }  // a lone ';' separates two commands
        var text = escapingSpecifiers(word)
        if !isProgram { text = text.replacingAll("$", with: "$$") }
        return quotedIfNeeded(text)
    }

    /// An `Environment=` line for one variable (systemd.exec(5)): the whole assignment
    /// quoted when needed, `%` doubled; `$` has no special meaning there.
    public static func environmentAssignment(name: String, value: String) -> String {
        "Environment=" + quotedIfNeeded(escapingSpecifiers(name + "=" + value))
    }

    static func quotedIfNeeded(_ text: String) -> String {
        let special: (Unicode.Scalar) -> Bool = {
            $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\\" || isControl($0)
        }
        guard text.isEmpty || text.unicodeScalars.contains(where: special) else { return text }
        var out = "\""
        for s in text.unicodeScalars {
            switch s {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default:
                if isControl(s) {
                    // \xNN covers C0 and DEL; the C1 range is two UTF-8 bytes.
                    for byte in String(s).utf8 { out += "\\x" + hex2(byte) }
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        return out + "\""
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}

/// Why a unit cannot be written: which input, its value, and what is wrong.
public struct SystemdUnitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// "executable", "home", "user", "group", or the setting's name.
    public var input: String
    public var value: String
    public var message: String

    public init(input: String, value: String, message: String) {
        self.input = input
        self.value = value
        self.message = message
    }

    public var description: String { "\(input) \(JSON.string(value).serialized()): \(message)" }
}

extension String {
    /// `replacingOccurrences(of:with:)` without Foundation.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
