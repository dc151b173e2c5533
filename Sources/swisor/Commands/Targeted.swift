import ArgumentParser
import SwisorCore

/// restart, stop and delete: one target, one request, the resulting table.
protocol TargetedCommand: ParsableCommand {
    static var command: Command { get }
    var target: String { get }
    var json: Bool { get }
}

extension TargetedCommand {
    func run() throws {
        let response = try Client.send(Request(command: Self.command, target: target), autostart: true)
        let apps = response.apps ?? []
        if json {
            printOut(try AppTable.json(apps))
            return
        }
        for m in response.messages ?? [] { printOut(m + "\n") }
        if !apps.isEmpty { printOut(AppTable.render(apps)) }
    }
}

struct RestartCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Stop every process of the target, then start it again.",
        discussion: "Resets the unstable-restart count. Replies once the new processes run."
    )
    static let command = Command.restart
    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print the affected apps as JSON.") var json = false
}

struct StopCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop every process of the target (the whole tree, escapees included).",
        discussion: "Sends kill_signal and SIGCONT to every process, SIGKILL after kill_timeout; replies once none is left."
    )
    static let command = Command.stop
    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print the affected apps as JSON.") var json = false
}

struct ResetCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Set the restart counters (restarts, unstable restarts, backoff) back to 0.",
        discussion: "The processes are not touched: an errored app stays errored until started."
    )
    static let command = Command.reset
    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print the affected apps as JSON.") var json = false
}

struct DeleteCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Stop the target and forget it.",
        aliases: ["del"]
    )
    static let command = Command.delete
    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print the result as JSON.") var json = false
}
