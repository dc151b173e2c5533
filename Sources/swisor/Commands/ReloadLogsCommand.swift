import ArgumentParser
import SwisorCore

struct ReloadLogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reloadLogs",
        abstract: "Reopen every app's log files by path (after an external logrotate moved them).",
        discussion: """
        Lines received before the request go to the file that was open (now under its new \
        name), later lines to a new file at the configured path. SIGHUP to the daemon does \
        the same, for logrotate's postrotate. swisor's own rotation (log_max_size, \
        log_rotate_interval) needs neither.
        """,
        aliases: ["reload-logs"]
    )

    func run() throws {
        let response = try Client.send(Request(command: .reloadLogs), autostart: true)
        for m in response.messages ?? [] { printOut(m + "\n") }
    }
}
