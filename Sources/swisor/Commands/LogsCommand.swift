#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SwisorCore
import SwisorSystem

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the last lines of apps' logs, then follow new lines.",
        discussion: """
        Without a target, every app. Each line is prefixed with `<id>|<name>|out| ` or `<id>|<name>|err| `; \
        a line of a JSON log file is shown as `<timestamp>: <message>`. Following goes on across rotations \
        (no line lost or repeated) and truncations (`flush`). --lines reaches back into rotated files \
        (compressed ones too) when the current file holds fewer lines.

        --json prints one object per line: {"timestamp", "app", "id", "stream", "message"}, plus "cut": true \
        on a piece of a cut line. timestamp is the time the log file records with the line (time-stamped \
        and JSON logs), in ISO 8601; for plain logs it is null, or with --timestamp the time the line was read.

        --since keeps the lines at or after a time: 30s, 10m, 2h, 1d, 2026-11-22, 2026-11-22 10:00, or an \
        ISO 8601 instant. Lines of time-stamped and JSON logs are filtered by their own time (a \
        log_date_format without a date, such as HH:mm:ss, cannot be; its lines are all shown). Plain log \
        lines carry no time: --since then only skips whole files last written before that time. \
        With --since, --lines limits the output to the last N of those lines; otherwise it is not limited.

        Apps that log to journald have no files: `journalctl -t <name>` shows their lines.
        """
    )

    @Argument(help: "all (the default), an app name, a namespace or an id.") var target: String = "all"
    @Option(name: .long, help: "How many lines to print from the end of each log, before following (default: 15; with --since: all).")
    var lines: Int?
    @Flag(help: "Only the error stream.") var err = false
    @Flag(help: "Only the output stream.") var out = false
    @Flag(help: "Print and exit instead of following new lines.") var nostream = false
    @Flag(help: "One JSON object per line: timestamp, app, id, stream, message.") var json = false
    @Flag(help: "Add the time each line was read (ISO 8601) before it; with --json, the timestamp of lines that have none.")
    var timestamp = false
    @Option(help: "Only lines at or after this time: 10m, 2h, 1d, 2026-11-22 10:00, 2026-11-22T10:00:00Z.")
    var since: String?

    func validate() throws {
        if let lines, lines < 0 { throw ValidationError("--lines must be 0 or more") }
        if err && out { throw ValidationError("--err and --out exclude each other; give neither for both") }
    }

    /// How lines are printed, the same for every source.
    struct Printing {
        var json: Bool
        var timestamp: Bool
        var zone: TimeZoneRules
    }

    func run() throws {
        let zone = LocalTimeZone.load().rules
        var sinceMs: Int64?
        if let since {
            do {
                sinceMs = try LogSince.parse(since, nowMs: wallClockMilliseconds(), zone: zone)
            } catch {
                throw CLIError("--since \(error.message)")
            }
        }
        let apps = try Client.send(Request(command: .logs, target: target), autostart: true).apps ?? []
        let printing = Printing(json: json, timestamp: timestamp, zone: zone)
        var notes = Notes()
        var sources: [LogSource] = []
        var seen = Set<String>()
        var journal: [String] = []
        for a in apps {
            guard let l = a.logs else { continue }
            var format = LogLineFormat.plain
            if let wire = l.format {
                do {
                    switch try LogFileFormat(wire: wire) {
                    case .lines(let f): format = f
                    case .journal:
                        if !journal.contains(a.name) { journal.append(a.name) }
                        continue
                    }
                } catch {
                    notes.add("\(a.name): \(error.message); its lines are read as plain text")
                }
            }
            if sinceMs != nil, format == .plain {
                notes.add(
                    "\(a.name): plain log lines carry no time; --since only skips whole files last written before then")
            }
            var wanted: [(String?, LogStream)] = []
            if !err { wanted.append((l.out, .out)) }
            if !out { wanted.append((l.err, .err)) }
            for (path, stream) in wanted {
                guard let path, path != "/dev/null", seen.insert(path).inserted else { continue }
                sources.append(
                    LogSource(path: path, stream: stream, app: a.name, id: a.id, format: format, options: printing))
            }
        }
        for name in journal {
            printErr("swisor: \(name) logs to the journal: journalctl -t \(name)\(nostream ? "" : " -f")")
        }
        if sources.isEmpty {
            if journal.isEmpty { printErr("swisor: no log files for \"\(target)\"") }
            return
        }
        for s in sources {
            let text = sinceMs.map { s.history(since: $0, limit: lines, notes: &notes) }
                ?? s.history(lines: lines ?? 15, notes: &notes)
            emit(text)
        }
        for line in notes.lines { printErr("swisor: \(line)") }
        if nostream { return }
        // Polling a handful of files ten times a second costs nothing measurable and
        // follows renames and truncations, which an inotify watch on one inode does not.
        var output: [UInt8] = []
        while true {
            usleep(100_000)
            for s in sources {
                s.poll(into: &output)
                emit(output)
                output.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Writes to stdout; a reader that went away (`| head`) ends the command quietly.
    private func emit(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        do {
            try FileDescriptor.standardOutput.writeAll(bytes)
        } catch {
            Glibc.exit(error.errno == EPIPE ? 0 : 1)
        }
    }
}
