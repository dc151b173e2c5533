import ArgumentParser
import SwisorSystem
import SwisorDaemon

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the daemon in the foreground (what a systemd unit runs)."
    )

    @Flag(help: "Start the apps of the saved dump (swisor save) once the socket listens: what the systemd unit runs at boot.") var resurrect = false

    func run() throws {
        let status = SwisorDaemon.Daemon.run(home: .fromEnvironment(), resurrect: resurrect)
        if status != 0 { throw ExitCode(status) }
    }
}
