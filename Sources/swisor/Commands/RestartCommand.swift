import ArgumentParser
import SwisorCore

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
