#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SwisorCore
import SwisorSystem

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the last lines of an app's logs, then follow new lines.",
        discussion: "Each line is prefixed with `<id>|<name>|out` or `<id>|<name>|err`. Without a target, every app."
    )

    @Argument(help: "all, an app name, a namespace or an id.") var target: String = "all"
    @Option(name: .long, help: "How many lines to print from the end of each file.") var lines: Int = 15
    @Flag(help: "Only the error stream.") var err = false
    @Flag(help: "Only the output stream.") var out = false
    @Flag(help: "Print and exit instead of following new lines.") var nostream = false

    func validate() throws {
        if lines < 0 { throw ValidationError("--lines must be 0 or more") }
        if err && out { throw ValidationError("--err and --out exclude each other; give neither for both") }
    }

    struct Source {
        var path: String
        var prefix: String
    }

    func run() throws {
        let apps = try Client.send(Request(command: .logs, target: target), autostart: true).apps ?? []
        var sources: [Source] = []
        var seen = Set<String>()
        for a in apps {
            guard let l = a.logs else { continue }
            var wanted: [(String?, String)] = []
            if !err { wanted.append((l.out, "out")) }
            if !out { wanted.append((l.err, "err")) }
            for (path, stream) in wanted {
                guard let path, path != "/dev/null", seen.insert(path).inserted else { continue }
                sources.append(Source(path: path, prefix: "\(a.id)|\(a.name)|\(stream)| "))
            }
        }
        if sources.isEmpty {
            printErr("swisor: no log files for \"\(target)\"")
            return
        }
        var followers: [Follower] = []
        for s in sources {
            let f = Follower(source: s)
            if lines > 0 { f.printTail(lines: lines) } else { f.skipToEnd() }
            followers.append(f)
        }
        if nostream { return }
        // Polling a handful of files ten times a second costs nothing measurable and
        // survives truncation and re-creation, which inotify watches on one inode do not.
        while true {
            usleep(100_000)
            for f in followers { f.poll() }
        }
    }
}

/// Follows one log file: prints complete lines as they are appended; starts over when
/// the file shrinks or is replaced.
final class Follower {
    let source: LogsCommand.Source
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var offset: off_t = 0
    private var partial: [UInt8] = []

    init(source: LogsCommand.Source) {
        self.source = source
        reopen()
    }

    private func reopen() {
        if fd >= 0 { close(fd) }
        fd = open(source.path, O_RDONLY | O_CLOEXEC)
        offset = 0
        partial = []
        var st = stat()
        if fd >= 0 && fstat(fd, &st) == 0 { inode = st.st_ino }
    }

    func skipToEnd() {
        guard fd >= 0 else { return }
        offset = lseek(fd, 0, SEEK_END)
    }

    /// Reads backwards in blocks until `lines` newlines are found.
    func printTail(lines: Int) {
        guard fd >= 0 else { return }
        let size = lseek(fd, 0, SEEK_END)
        var start = size
        var newlines = 0
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        // A trailing newline ends the last line; it does not start a new one.
        var skipLast = true
        search: while start > 0 {
            let len = min(off_t(block.count), start)
            start -= len
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(len), start) }
            if n <= 0 { break }
            for i in stride(from: n - 1, through: 0, by: -1) where block[i] == UInt8(ascii: "\n") {
                if skipLast && start + off_t(i) == size - 1 { continue }
                newlines += 1
                if newlines == lines {
                    start += off_t(i + 1)
                    break search
                }
            }
            skipLast = false
        }
        offset = max(0, start)
        poll()
    }

    func poll() {
        var st = stat()
        if stat(source.path, &st) == 0, st.st_ino != inode || st.st_size < offset {
            reopen()
        }
        guard fd >= 0 else {
            reopen()
            return
        }
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            offset += off_t(n)
            partial.append(contentsOf: buf[0..<n])
            emitCompleteLines()
        }
    }

    private func emitCompleteLines() {
        guard let last = partial.lastIndex(of: UInt8(ascii: "\n")) else { return }
        var out: [UInt8] = []
        for line in partial[...last].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            out.append(contentsOf: source.prefix.utf8)
            out.append(contentsOf: line)
            out.append(UInt8(ascii: "\n"))
        }
        partial.removeSubrange(...last)
        try? FileDescriptor.standardOutput.writeAll(out)
    }
}
