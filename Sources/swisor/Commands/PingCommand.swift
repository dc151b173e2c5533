import ArgumentParser
import SwisorCore
import SwisorSystem
struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Show the daemon's pid, version, uptime, home and containment mode.",
        discussion: "Exits 1 when no daemon is running. Never starts one."
    )

    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        try PingCommand.show(json: json)
    }

    static func show(json: Bool) throws {
        let response = try Client.send(Request(command: .ping), autostart: false)
        guard let p = response.ping else { throw CLIError("the daemon sent no ping information") }
        if json {
            printOut(try AppTable.json(p))
            return
        }
        printOut("""
        swisor daemon \(p.version), pid \(p.pid), up \(Format.duration(ms: p.uptimeMs))
        home:        \(p.home)
        apps:        \(p.apps) instance(s)
        containment: \(p.containment) (\(p.containmentReason))

        """)
    }
}
