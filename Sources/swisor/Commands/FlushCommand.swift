import ArgumentParser
import SwisorCore

struct FlushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush",
        abstract: "Empty the current log files of apps (all of them without a target).",
        discussion: """
        The daemon's log writer empties each file after writing the lines it already \
        received, and the app's next line starts the file again: no line is torn, no hole \
        is left. Rotated files are kept. Apps that log to the journal have nothing to empty.
        """
    )
    @Argument(help: "all (the default), an app name, a namespace or an id.") var target: String = "all"
    @Flag(help: "Print the affected apps as JSON.") var json = false

    func run() throws {
        let response = try Client.send(Request(command: .flush, target: target), autostart: true)
        if json {
            printOut(try AppTable.json(response.apps ?? []))
            return
        }
        for m in response.messages ?? [] { printOut(m + "\n") }
    }
}
