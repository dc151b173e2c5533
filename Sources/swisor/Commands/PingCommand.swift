import ArgumentParser
import SwisorCore
import SwisorSystem
import SwisorDaemon

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

struct KillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill",
        abstract: "Stop every app (whole trees), then the daemon. Never starts one."
    )

    func run() throws {
        do {
            let response = try Client.send(Request(command: .kill), autostart: false)
            for m in response.messages ?? [] { printOut(m + "\n") }
        } catch let e as Client.NotRunning {
            printOut("\(e.description); nothing to do\n")
        }
    }
}

struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the daemon in the foreground (what a systemd unit runs)."
    )

    func run() throws {
        let status = SwisorDaemon.Daemon.run(home: .fromEnvironment())
        if status != 0 { throw ExitCode(status) }
    }
}
