import ArgumentParser
import SwisorCore
import SwisorSystem

struct SaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save the app list, with each app's resolved options and environment, for resurrect.",
        discussion: """
        Writes $SWISOR_HOME/dump.json atomically (a temporary file, fsync, rename; mode 0600); the \
        previous good dump is kept as dump.json.bak. The daemon never rewrites the dump by itself.
        """
    )

    @Option(help: "Write to this file instead of the home's dump.json.") var to: String?

    func run() throws {
        let home = Home.fromEnvironment()
        let apps = try Client.send(Request(command: .describe, target: "all"), autostart: false).apps ?? []
        // One spec per app: instances of a name share it (with their count).
        var seen = Set<String>()
        var specs: [AppSpec] = []
        for a in apps.sorted(by: { $0.id < $1.id }) {
            guard let spec = a.spec, seen.insert(spec.name).inserted else { continue }
            specs.append(spec)
        }
        let path = to.map { Home.absolute($0, relativeTo: Home.currentDirectory()) } ?? home.dumpFile
        do {
            try DumpFile.write(specs, to: path)
        } catch {
            throw CLIError(error.description)
        }
        printOut("saved \(specs.count) app(s) to \(path)\n")
    }
}
