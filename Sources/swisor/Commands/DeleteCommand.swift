import ArgumentParser
import SwisorCore

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
