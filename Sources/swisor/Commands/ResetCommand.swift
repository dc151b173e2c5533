import ArgumentParser
import SwisorCore

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
