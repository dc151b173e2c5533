#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorDaemon
import SwisorSystem

// `swisord`: the daemon, in the foreground. The CLI starts it (from the `swisor` beside
// it), the systemd unit runs it with --resurrect, and `swisor daemon` execs it. Three
// options do not need an argument parser: this binary is not what users type.

let usage = """
    Usage: swisord [--resurrect]

    The swisor daemon, in the foreground: what the swisor command starts when it needs
    one, and what the systemd unit of `swisor startup` runs. Its socket, pid file and logs
    are in $SWISOR_HOME (default ~/.swisor). See swisor(1).

    Options:
      --resurrect   Start the apps of the saved dump (swisor save) once the socket
                    listens: what the systemd unit runs at boot.
      --version     Show the version.
      -h, --help    Show this help.

    """

func write(_ text: String, to fd: FileDescriptor) {
    try? fd.writeAll(Array(text.utf8))
}

var resurrect = false
for argument in CommandLine.arguments.dropFirst() {
    switch argument {
    case "--resurrect":
        resurrect = true
    case "--version":
        write(Release.version + "\n", to: .standardOutput)
        exit(0)
    case "-h", "--help":
        write(usage, to: .standardOutput)
        exit(0)
    default:
        // 64 (EX_USAGE), as the CLI's argument errors.
        write("swisord: unknown argument '\(argument)'\n\(usage)", to: .standardError)
        exit(64)
    }
}
exit(Daemon.run(home: .fromEnvironment(), resurrect: resurrect))
