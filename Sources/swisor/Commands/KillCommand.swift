import ArgumentParser
import SwisorCore

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
