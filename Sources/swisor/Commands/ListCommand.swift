import ArgumentParser
import SwisorCore

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show every app: id, name, namespace, pid, uptime, restarts, status, cpu, mem.",
        discussion: "CPU and memory count every process of the app. Never starts the daemon.",
        aliases: ["ls", "status"]
    )

    @Flag(help: "Print the apps as JSON (an array of objects, documented in docs/protocol.md).")
    var json = false

    func run() throws {
        let apps: [AppInfo]
        do {
            apps = try Client.send(Request(command: .list), autostart: false).apps ?? []
        } catch let e as Client.NotRunning {
            if json { printOut("[]\n") } else { printErr("swisor: \(e.description)") }
            return
        }
        printOut(json ? try AppTable.json(apps) : AppTable.render(apps))
    }
}

struct JlistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jlist",
        abstract: "Same as `list --json` (PM2's name)."
    )

    func run() throws {
        var list = ListCommand()
        list.json = true
        try list.run()
    }
}
