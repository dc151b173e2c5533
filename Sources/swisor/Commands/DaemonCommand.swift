import ArgumentParser
import SwisorCore
import SwisorSystem

/// `swisor daemon`: the daemon is its own executable, `swisord`, beside this one. This
/// command execs it, so the pid stays the same: units written by earlier versions
/// (`ExecStart=... swisor daemon --resurrect`, Type=notify, socket activation) keep
/// working, with their MAINPID, LISTEN_PID and passed sockets.
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the daemon in the foreground: execs swisord, installed beside swisor.",
        discussion: "swisord [--resurrect] is the same; the systemd unit of swisor startup runs it directly."
    )

    @Flag(help: "Start the apps of the saved dump (swisor save) once the socket listens: what the systemd unit runs at boot.") var resurrect = false

    func run() throws {
        let daemon = Client.daemonExecutable()
        let error = ProcessControl.replace(with: [daemon] + (resurrect ? ["--resurrect"] : []))
        throw CLIError("cannot run the swisor daemon: \(error) (swisord is installed beside swisor)")
    }
}
