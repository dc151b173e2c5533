import ArgumentParser
import SwisorCore

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
