import ArgumentParser
import SwisorSystem
import SwisorDaemon

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the daemon in the foreground (what a systemd unit runs)."
    )

    func run() throws {
        let status = SwisorDaemon.Daemon.run(home: .fromEnvironment())
        if status != 0 { throw ExitCode(status) }
    }
}
