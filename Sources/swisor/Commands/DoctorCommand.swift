import ArgumentParser
import SwisorCore

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check containment and look for zombies, leftover processes, orphans and stale cgroups.",
        discussion: """
        Reports the containment in use (a cgroup per app, or the process-tree fallback) and each \
        controller with the options it enables; then zombies anywhere under the daemon, processes still \
        in an app that is not running, orphans re-parented to the daemon that belong to no app, and cgroups \
        an earlier daemon left populated, each with what to do about it. Exits 1 when it finds anything.
        """
    )

    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let response = try Client.send(Request(command: .doctor), autostart: false)
        guard let report = response.doctor else { throw CLIError("the daemon sent no report") }
        if json {
            printOut(try AppTable.json(report))
        } else {
            printOut(DoctorCommand.render(report))
        }
        if !report.findings.isEmpty { throw ExitCode(1) }
    }

    static func render(_ r: DoctorReport) -> String {
        var out = "containment  \(r.containment): \(r.reason)\n"
        for c in r.controllers {
            let name = c.name.padding(6)
            let options = c.options.joined(separator: ", ")
            if let v = c.version {
                out += "  \(name) \(v)  \(c.directory ?? "")  (\(options))\n"
            } else {
                out += "  \(name) --  \(c.problem ?? "unavailable")  (\(options) refused)\n"
            }
        }
        if r.findings.isEmpty {
            out += "no problems found: no zombies, no leftover processes, no orphans, no stale cgroups\n"
            return out
        }
        out += "\(r.findings.count) finding(s):\n"
        for f in r.findings {
            out += "- [\(f.kind)] \(f.message)\n"
            for p in f.processes {
                out += "    \(p.pid) (parent \(p.ppid), \(p.state ?? "?")) \(Format.bytes(p.rss))  \(p.command)\n"
            }
            out += "  what to do: \(f.advice)\n"
        }
        return out
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
