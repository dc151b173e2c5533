import ArgumentParser
import SwisorDaemon

@main
struct Swisor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swisor",
        abstract: "A process supervisor for Linux: PM2's ecosystem files, whole-tree stops, no zombies.",
        discussion: """
        The daemon starts by itself on the first command that needs it (every command but kill, ping and list). It keeps its socket, pid file and logs in $SWISOR_HOME (default ~/.swisor).

        Targets are `all`, an app name, a namespace or an id, resolved in that order.

        See swisor(1) and swisor-ecosystem(5).
        """,
        version: Daemon.version,
        subcommands: [
            StartCommand.self, ListCommand.self, JlistCommand.self, DescribeCommand.self,
            RestartCommand.self, StopCommand.self, DeleteCommand.self, ResetCommand.self, LogsCommand.self,
            PingCommand.self, KillCommand.self, DaemonCommand.self,
        ]
    )
}
