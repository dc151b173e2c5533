#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import SwisorSystem

enum Format {
    static var isTerminal: Bool { isatty(1) == 1 && getenv("NO_COLOR") == nil }

    static func duration(ms: Int64) -> String {
        let s = ms / 1000
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h" }
        return "\(s / 86400)D"
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var i = 0
        while v >= 1024 && i < units.count - 1 {
            v /= 1024
            i += 1
        }
        if i == 0 { return "\(n) B" }
        return "\(Double(Int(v * 10)) / 10) \(units[i])"
    }

    static func percent(_ v: Double) -> String {
        "\(Double(Int(v * 10)) / 10)%"
    }

    /// Local time, "2026-11-22 07:49:35".
    static func time(ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tm = tm()
        localtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%d %H:%M:%S", &tm)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func colored(_ status: AppStatus, _ text: String) -> String {
        guard isTerminal else { return text }
        let code: String
        switch status {
        case .online: code = "32"
        case .launching, .stopping, .waitingRestart: code = "33"
        case .errored: code = "31"
        case .stopped: code = "90"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// A table: box-drawn on a terminal, plain aligned columns when piped (for grep/awk).
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Per row, a status used to color the status column on a terminal.
    var statuses: [AppStatus?] = []
    var statusColumn: Int? = nil

    func render(terminal: Bool = Format.isTerminal) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var out = ""
        if terminal {
            let line = { (l: String, m: String, r: String) in
                l + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: m) + r + "\n"
            }
            out += line("┌", "┬", "┐")
            out += "│" + headers.enumerated().map { " " + pad($0.element, widths[$0.offset]) + " " }.joined(separator: "│") + "│\n"
            out += line("├", "┼", "┤")
            for (r, row) in rows.enumerated() {
                let cells = row.enumerated().map { (i, cell) -> String in
                    let padded = pad(cell, widths[i])
                    if i == statusColumn, let st = statuses[r] { return " " + Format.colored(st, padded) + " " }
                    return " " + padded + " "
                }
                out += "│" + cells.joined(separator: "│") + "│\n"
            }
            out += line("└", "┴", "┘")
        } else {
            out += headers.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ").trimmingTrailing + "\n"
            for row in rows {
                out += row.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ").trimmingTrailing + "\n"
            }
        }
        return out
    }
}

extension String {
    var trimmingTrailing: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

enum AppTable {
    static func render(_ apps: [AppInfo]) -> String {
        var t = Table(headers: ["id", "name", "namespace", "pid", "uptime", "restarts", "status", "cpu", "mem"])
        t.statusColumn = 6
        let now = wallClockMilliseconds()
        for a in apps {
            var status = a.status.rawValue
            if a.status == .waitingRestart, let at = a.nextRestartAt {
                status += " (\(Format.duration(ms: max(0, at - now) + 999)))"
            } else if a.pid == nil, let at = a.nextCronAt {
                // A scheduled job between runs: when it runs next.
                status += " (next \(Format.time(ms: at)))"
            }
            t.rows.append([
                String(a.id), a.name, a.namespace, a.pid.map(String.init) ?? "-",
                a.uptimeMs.map(Format.duration) ?? "-", String(a.restarts), status,
                a.pid == nil ? "-" : Format.percent(a.cpu), a.pid == nil ? "-" : Format.bytes(a.memory),
            ])
            t.statuses.append(a.status)
        }
        return t.render()
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try Wire.encode(value, pretty: Format.isTerminal), as: UTF8.self) + "\n"
    }
}
