import ArgumentParser
import SwisorCore
import SwisorSystem

struct ResurrectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resurrect",
        abstract: "Start the apps of the saved dump, with the options and environment they were saved with.",
        discussion: """
        Apps already known by name are restarted with the saved options, as `start` does. A missing, \
        truncated or corrupted dump is an error and starts nothing; the error says when dump.json.bak \
        holds a good earlier dump (use --from to start it).
        """
    )

    @Option(help: "Read this dump instead of the home's dump.json.") var from: String?
    @Flag(help: "Print the started apps as JSON.") var json = false

    func run() throws {
        let home = Home.fromEnvironment()
        let path = from.map { Home.absolute($0, relativeTo: Home.currentDirectory()) } ?? home.dumpFile
        let dump: Dump
        do {
            dump = try DumpFile.load(path)
        } catch {
            throw CLIError(error.description)
        }
        let response = try Client.send(Request(command: .start, apps: dump.apps), autostart: true)
        let apps = response.apps ?? []
        if json {
            printOut(try AppTable.json(apps))
        } else {
            printOut(AppTable.render(apps))
        }
        let failed = apps.filter { $0.status == .errored }
        if !failed.isEmpty {
            throw CLIError(failed.map { "\($0.name) (id \($0.id)): \($0.statusReason ?? "errored")" }.joined(separator: "; "))
        }
    }
}
