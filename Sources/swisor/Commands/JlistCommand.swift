import ArgumentParser
import SwisorCore

struct JlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jlist",
        abstract: "Same as `list --json` (PM2's name)."
    )

    func run() throws {
        try ListCommand.show(json: true)
    }
}
