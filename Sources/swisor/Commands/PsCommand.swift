import ArgumentParser
import SwisorCore

struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List every process of an app: pid, parent, memory, CPU, command.",
        discussion: """
        The processes come from the app's cgroup, or with the process-tree fallback from the daemon's \
        view of the app's tree (descendants, and orphans re-parented to the daemon). CPU is the share of \
        one CPU over each process's life, as ps(1) shows it.
        """
    )

    @Argument(help: "all, an app name, a namespace or an id.") var target: String
    @Flag(help: "Print as JSON: one object per instance with its cgroup and processes.") var json = false

    func run() throws {
        let apps = try Client.send(Request(command: .describe, target: target), autostart: true).apps ?? []
        if json {
            struct Row: Encodable {
                var id: Int, name: String, status: String, pid: Int32?, cgroup: String?
                var processes: [SwisorCore.ProcessInfo]
            }
            printOut(try AppTable.json(apps.map {
                Row(id: $0.id, name: $0.name, status: $0.status.rawValue, pid: $0.pid, cgroup: $0.cgroup,
                    processes: $0.processes ?? [])
            }))
            return
        }
        var out = ""
        for a in apps {
            let procs = a.processes ?? []
            out += "\(a.name) (id \(a.id)): \(a.status.rawValue), \(procs.count) process(es)"
                + (a.cgroup.map { ", cgroup \($0)" } ?? "") + "\n"
            guard !procs.isEmpty else { continue }
            let rows = procs.sorted { $0.pid < $1.pid }.map { p in
                [String(p.pid), String(p.ppid), p.state ?? "?", Format.bytes(p.rss),
                 p.cpu.map(Format.percent) ?? "-", p.pid == a.pid ? p.command + "  (main)" : p.command]
            }
            out += Table(headers: ["PID", "PPID", "S", "RSS", "CPU", "COMMAND"], rows: rows).render()
        }
        printOut(out)
    }
}
