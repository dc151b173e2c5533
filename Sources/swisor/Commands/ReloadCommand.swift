import ArgumentParser
import SwisorCore

struct ReloadCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Replace each instance's processes with new ones without a moment of downtime.",
        discussion: """
            For each instance in turn: start a new process beside the running one, wait until \
            it is online (READY=1 with wait_ready, at most listen_timeout; else once it stayed up for \
            min_uptime), \
            then stop the old one. With several instances one is replaced at a time, so the others \
            keep serving. A new process that fails leaves the old one running, and reload exits 1 \
            naming it. Instances that are not online are restarted. `restart` stops first.
            """
    )
    static let command = Command.reload
    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print the affected apps as JSON.") var json = false
}
