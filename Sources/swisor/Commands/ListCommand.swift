import ArgumentParser
import SwisorCore
import SwisorSystem

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
        try ListCommand.show(json: json)
    }

    static func show(json: Bool) throws {
        let line: ArraySlice<UInt8>
        do {
            line = try Client.exchange(Request(command: .list), autostart: false)
        } catch let e as Client.NotRunning {
            if json { printOut("[]\n") } else { printErr("swisor: \(e.description)") }
            return
        }
        // The hot path of scripts and dashboards: parsed with the core's JSON parser,
        // which costs a fraction of Codable's generic decoding at start-up.
        let response: JSON
        do {
            response = try JSON.parse(Array(line))
        } catch {
            throw CLIError("unreadable answer from the daemon: \(error)")
        }
        guard response["ok"]?.boolValue == true else {
            let error = response["error"]
            throw CLIError(
                error?["message"]?.stringValue ?? "the daemon refused the request",
                code: error?["code"]?.stringValue.flatMap(ErrorBody.Code.init(rawValue:)))
        }
        let apps = response["apps"]?.arrayValue ?? []
        if json {
            if Format.isTerminal {
                // For a person: pretty, through Codable (speed does not matter here).
                let full = try Wire.decode(Response.self, from: line)
                printOut(try AppTable.json(full.apps ?? []))
            } else {
                printOut(JSON.array(apps).serialized() + "\n")
            }
            return
        }
        printOut(AppTable.render(apps.map { ListRow(json: $0).info }))
    }
}

/// The fields the table shows, read from the daemon's JSON (docs/protocol.md).
struct ListRow {
    var info: AppInfo

    init(json: JSON) {
        info = AppInfo(
            id: Int(json["id"]?.int64Value ?? -1),
            name: json["name"]?.stringValue ?? "?",
            namespace: json["namespace"]?.stringValue ?? "?",
            instance: Int(json["instance"]?.int64Value ?? 0),
            status: json["status"]?.stringValue.flatMap(AppStatus.init(rawValue:)) ?? .errored,
            statusReason: json["status_reason"]?.stringValue,
            pid: json["pid"]?.int64Value.map { Int32(truncatingIfNeeded: $0) },
            restarts: Int(json["restarts"]?.int64Value ?? 0),
            unstableRestarts: Int(json["unstable_restarts"]?.int64Value ?? 0),
            uptimeMs: json["uptime_ms"]?.int64Value,
            cpu: json["cpu"]?.doubleValue ?? 0,
            memory: json["memory"]?.int64Value ?? 0,
            processCount: Int(json["process_count"]?.int64Value ?? 0),
            createdAt: json["created_at"]?.int64Value ?? 0,
            nextRestartAt: json["next_restart_at"]?.int64Value
        )
        info.nextCronAt = json["next_cron_at"]?.int64Value
    }
}
