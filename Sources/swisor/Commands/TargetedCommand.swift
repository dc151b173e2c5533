import ArgumentParser
import SwisorCore

/// restart, stop and delete: one target, one request, the resulting table.
protocol TargetedCommand: ParsableCommand {
    static var command: Command { get }
    var target: String { get }
    var json: Bool { get }
}

extension TargetedCommand {
    func run() throws {
        let response = try Client.send(Request(command: Self.command, target: target), autostart: true)
        let apps = response.apps ?? []
        if json {
            printOut(try AppTable.json(apps))
            return
        }
        for m in response.messages ?? [] { printOut(m + "\n") }
        if !apps.isEmpty { printOut(AppTable.render(apps)) }
    }
}
