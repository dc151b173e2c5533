import ArgumentParser
import SwisorCore

@main
struct Swisor: ParsableCommand {
    /// Parsing through the root makes argument-parser build every command's options
    /// (for its completion-script check) on each call: a third of `swisor list`'s CPU.
    /// A plain call of one subcommand is parsed by that subcommand alone; help,
    /// completions and every error still go through the root, for the full messages.
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if let command = plainForm(args) {
            do {
                try command()
            } catch {
                ListCommand.exit(withError: error)
            }
            return
        }
        if let name = args.first, !args.contains(where: Swisor.needsRoot),
           let command = configuration.subcommands.first(where: { $0.configuration.commandName == name || $0.configuration.aliases.contains(name) }),
           var parsed = try? command.parseAsRoot(Array(args.dropFirst())) {
            do {
                try parsed.run()
            } catch {
                command.exit(withError: error)
            }
            return
        }
        Self.main(args)
    }

    /// The calls scripts and dashboards make in loops, in their exact plain forms, skip
    /// argument-parser altogether: even for one subcommand, its first-use generic
    /// metadata is a fifth of `swisor list`. Anything else is parsed as usual.
    private static func plainForm(_ args: [String]) -> (() throws -> Void)? {
        switch args {
        case ["list"], ["ls"], ["status"]:
            return { try ListCommand.show(json: false) }
        case ["list", "--json"], ["ls", "--json"], ["status", "--json"], ["jlist"]:
            return { try ListCommand.show(json: true) }
        case ["ping"]:
            return { try PingCommand.show(json: false) }
        case ["ping", "--json"]:
            return { try PingCommand.show(json: true) }
        case ["--version"]:
            // What argument-parser prints for it, without building its tables.
            return { printOut(Release.version + "\n") }
        default:
            return nil
        }
    }

    private static func needsRoot(_ arg: String) -> Bool {
        arg == "-h" || arg == "--help" || arg == "help" || arg.hasPrefix("--generate-completion") || arg == "--version"
            || arg == "--experimental-dump-help"
    }

    static let configuration = CommandConfiguration(
        commandName: "swisor",
        abstract: "A process supervisor for Linux: PM2's ecosystem files, whole-tree stops, no zombies.",
        discussion: """
        The daemon (swisord, installed beside swisor) starts by itself on the first command that needs it (every command but kill, ping, list and doctor). It keeps its socket, pid file and logs in $SWISOR_HOME (default ~/.swisor).

        Targets are `all`, an app name, a namespace or an id, resolved in that order.

        See swisor(1) and swisor-ecosystem(5).
        """,
        version: Release.version,
        subcommands: [
            StartCommand.self, ListCommand.self, JlistCommand.self, DescribeCommand.self,
            RestartCommand.self, ReloadCommand.self, StopCommand.self, DeleteCommand.self, ResetCommand.self, TriggerCommand.self, LogsCommand.self,
            FlushCommand.self, ReloadLogsCommand.self,
            PsCommand.self, DoctorCommand.self, SaveCommand.self, ResurrectCommand.self, PingCommand.self, KillCommand.self, DaemonCommand.self,
            StartupCommand.self, UnstartupCommand.self,
        ]
    )
}
