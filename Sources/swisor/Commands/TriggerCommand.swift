import ArgumentParser
import SwisorCore

struct TriggerCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Do now what the next cron_restart run would do.",
        discussion: "Restarts a running app, or starts a stopped, exited or errored one (a scheduled job runs now). Does not resume a schedule paused by stop."
    )
    static let command = Command.trigger
    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print the affected apps as JSON.") var json = false
}
