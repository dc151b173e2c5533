/// What one build of swisor is: its version, and its two executables, which are always
/// installed side by side: `swisor`, the CLI users type, and `swisord`, the daemon the
/// CLI starts and the systemd unit runs. Two, so that the CLI loads neither the daemon's
/// code nor libsystemd (docs/design.md, "CLI start-up"); side by side, so that a CLI
/// always starts the daemon of its own build, which speaks its protocol.
public enum Release {
    public static let version = "0.1.0"

    /// The daemon's file name.
    public static let daemonName = "swisord"

    /// The daemon beside the CLI at `cliPath` (absolute, as /proc/self/exe gives it).
    public static func daemonPath(besideCLI cliPath: String) -> String {
        guard let slash = cliPath.lastIndex(of: "/") else { return daemonName }
        return String(cliPath[...slash]) + daemonName
    }

    /// Whether `argv` (of /proc/<pid>/cmdline) is a swisor daemon's: `swisord ...`, or
    /// `swisor daemon ...`, how earlier versions ran it (and what the CLI still accepts,
    /// for units written by them: it then execs `swisord`, so this form only lasts
    /// until that exec).
    public static func isDaemonCommandLine(_ argv: [String]) -> Bool {
        guard let program = argv.first else { return false }
        let name = program.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? program
        if name == daemonName { return true }
        return name == "swisor" && argv.count > 1 && argv[1] == "daemon"
    }
}
