#if canImport(Glibc)
import Glibc
#endif
import SwisorCore
import CSwisor

/// One process as /proc/<pid>/stat shows it.
public struct ProcessEntry: Sendable, Equatable {
    public var pid: pid_t
    public var ppid: pid_t
    public var pgid: pid_t
    public var sid: pid_t
    public var state: UInt8
    /// Clock ticks since boot: with the pid, it names a process uniquely (pid reuse).
    public var startTime: UInt64
    /// utime + stime, in clock ticks.
    public var cpuTicks: UInt64
    public var rssPages: Int64
    public var comm: String

    public var isZombie: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }
    public var identity: ProcessIdentity { ProcessIdentity(pid: pid, startTime: startTime) }
}

/// A pid together with its start time: stays valid across pid reuse.
public struct ProcessIdentity: Hashable, Sendable, Codable {
    public var pid: pid_t
    public var startTime: UInt64
    public init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }
}

public enum ProcFS {
    public static let clockTicksPerSecond: Int64 = Int64(sysconf(Int32(_SC_CLK_TCK)))
    public static let pageSize: Int64 = Int64(sysconf(Int32(_SC_PAGESIZE)))

    /// Parses /proc/<pid>/stat. The command name may contain spaces and parentheses,
    /// so the fields are read after the *last* ')'.
    public static func parseStat(_ bytes: [UInt8]) -> ProcessEntry? {
        bytes.withUnsafeBufferPointer { parseStat($0) }
    }

    /// One pass, no allocation but the command name: the daemon parses every
    /// process's stat once a second.
    static func parseStat(_ bytes: UnsafeBufferPointer<UInt8>) -> ProcessEntry? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")),
              close > open else { return nil }
        var pid: Int64 = 0
        var sawDigit = false
        for b in bytes[..<open] where b >= 48 && b <= 57 {
            pid = pid * 10 + Int64(b - 48)
            sawDigit = true
        }
        guard sawDigit else { return nil }
        // Fields after the name, 3 (state) to 24 (rss); field 3 is a letter.
        var fields = [Int64](repeating: 0, count: 25)
        var state: UInt8 = UInt8(ascii: "?")
        var field = 2
        var value: Int64 = 0
        var negative = false
        var inField = false
        var i = close + 1
        while i < bytes.count && field <= 24 {
            let b = bytes[i]
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\n") {
                if inField {
                    fields[field] = negative ? -value : value
                    inField = false
                }
            } else {
                if !inField {
                    field += 1
                    inField = true
                    value = 0
                    negative = false
                    if field == 3 { state = b }
                }
                if b == UInt8(ascii: "-") { negative = true } else if b >= 48 && b <= 57 { value = value * 10 + Int64(b - 48) }
            }
            i += 1
        }
        if inField && field <= 24 { fields[field] = negative ? -value : value }
        guard field >= 24 else { return nil }
        return ProcessEntry(
            pid: pid_t(truncatingIfNeeded: pid),
            ppid: pid_t(truncatingIfNeeded: fields[4]),
            pgid: pid_t(truncatingIfNeeded: fields[5]),
            sid: pid_t(truncatingIfNeeded: fields[6]),
            state: state,
            startTime: UInt64(max(0, fields[22])),
            cpuTicks: UInt64(max(0, fields[14] + fields[15])),
            rssPages: fields[24],
            comm: String(decoding: UnsafeBufferPointer(rebasing: bytes[(open + 1)..<close]), as: UTF8.self)
        )
    }

    public static func entry(pid: pid_t) -> ProcessEntry? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        return entry(pid: pid, buffer: &buffer)
    }

    /// Reads /proc/<pid>/stat into `buffer` (reused across a scan).
    static func entry(pid: pid_t, buffer: inout [UInt8]) -> ProcessEntry? {
        var path = "/proc/"
        path += String(pid)
        path += "/stat"
        guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
        defer { fd.close() }
        return buffer.withUnsafeMutableBufferPointer { buf -> ProcessEntry? in
            var n = 0
            while n < buf.count {
                let room = buf.count - n
                guard let r = try? fd.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buf[n...]))),
                      r > 0 else { break }
                n += r
                // /proc/<pid>/stat is produced whole by one read: a short read is the
                // end (no second call to see 0; a stop reads it twice per process).
                if r < room { break }
            }
            return parseStat(UnsafeBufferPointer(rebasing: buf[0..<n]))
        }
    }

    /// Every process on the host. One readdir and one small read per process; callers
    /// scan once per tick for all apps, never once per app.
    public static func scan() -> [ProcessEntry] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var out: [ProcessEntry] = []
        out.reserveCapacity(512)
        // A stat line is under 400 bytes; the name is at most 64.
        var buffer = [UInt8](repeating: 0, count: 1024)
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw -> pid_t? in
                var value: pid_t = 0
                var any = false
                for b in raw {
                    if b == 0 { break }
                    guard b >= 48 && b <= 57 else { return nil }
                    value = value * 10 + pid_t(b - 48)
                    any = true
                }
                return any ? value : nil
            }
            guard let pid = name, let e = entry(pid: pid, buffer: &buffer) else { continue }
            out.append(e)
        }
        return out
    }

    /// /proc/sys/fs/pipe-user-pages-soft: the pages of pipe capacity a user may hold
    /// before its unprivileged processes get 1-page pipes (0: no limit).
    public static func pipeUserPagesSoft() -> Int? {
        guard let bytes = FileDescriptor.readSmallFile("/proc/sys/fs/pipe-user-pages-soft", limit: 64) else { return nil }
        return Int(String(decoding: bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }

    /// Clock ticks since boot (/proc/uptime), the unit of a process's start time.
    public static func uptimeTicks() -> UInt64? {
        guard let bytes = FileDescriptor.readSmallFile("/proc/uptime", limit: 256) else { return nil }
        let first = bytes.prefix { $0 != UInt8(ascii: " ") }
        guard let seconds = Double(String(decoding: first, as: UTF8.self)) else { return nil }
        return UInt64(seconds * Double(clockTicksPerSecond))
    }

    /// ps(1)'s %CPU: CPU time over the time since the process started.
    public static func lifetimeCPUPercent(_ e: ProcessEntry, uptimeTicks: UInt64?) -> Double? {
        guard let up = uptimeTicks, up > e.startTime else { return nil }
        return (Double(e.cpuTicks) / Double(up - e.startTime) * 1000).rounded() / 10
    }

    public static func info(_ e: ProcessEntry, uptimeTicks: UInt64?) -> SwisorCore.ProcessInfo {
        SwisorCore.ProcessInfo(pid: e.pid, ppid: e.ppid, rss: e.rssPages * pageSize,
                    cpu: lifetimeCPUPercent(e, uptimeTicks: uptimeTicks),
                    state: String(UnicodeScalar(e.state)),
                    command: commandLine(pid: e.pid) ?? "[\(e.comm)]")
    }

    /// The process's initial environment (what it was exec'd with). nil when it is
    /// gone or not readable.
    public static func environment(pid: pid_t) -> [String: String]? {
        guard let bytes = FileDescriptor.readSmallFile("/proc/\(pid)/environ") else { return nil }
        var env: [String: String] = [:]
        for item in bytes.split(separator: 0) {
            guard let eq = item.firstIndex(of: UInt8(ascii: "=")) else { continue }
            env[String(decoding: item[..<eq], as: UTF8.self)] = String(decoding: item[(eq + 1)...], as: UTF8.self)
        }
        return env
    }

    /// The process is gone, a zombie, or has a SIGKILL pending (the OOM killer's, before
    /// the process has torn down): it will not run again.
    public static func isDying(_ pid: pid_t) -> Bool {
        guard let entry = entry(pid: pid) else { return true }
        if entry.isZombie { return true }
        guard let bytes = FileDescriptor.readSmallFile("/proc/\(pid)/status", limit: 8192) else { return true }
        let sigkill: UInt64 = 1 << (UInt64(SIGKILL) - 1)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            // Pending for the thread (SigPnd) or the whole process (ShdPnd), in hex.
            guard text.hasPrefix("SigPnd:") || text.hasPrefix("ShdPnd:") else { continue }
            let hex = text.split(separator: "\t").last.map { String($0).trimmingSpaces } ?? ""
            if let mask = UInt64(hex, radix: 16), mask & sigkill != 0 { return true }
        }
        return false
    }

    public static func commandLine(pid: pid_t) -> String? {
        guard let bytes = FileDescriptor.readSmallFile("/proc/\(pid)/cmdline", limit: 8192) else { return nil }
        let parts = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

/// Signals one exact process, never a pid that was reused by someone else: the pidfd
/// pins the process, and the start time read after opening it proves it is ours.
public enum ExactSignal {
    public enum Outcome: Equatable { case sent, gone, failed(Int32) }

    public static func send(_ signal: Int32, to target: ProcessIdentity) -> Outcome {
        send(signal, then: nil, to: target)
    }

    /// `signal`, then `second` (SIGCONT after a stop signal), through one pidfd and one
    /// identity check: a stop of 100 apps opens 200 pidfds, not 400.
    public static func send(_ signal: Int32, then second: Int32?, to target: ProcessIdentity) -> Outcome {
        let pidfd = cswisor_pidfd_open(target.pid)
        if pidfd < 0 { return errno == ESRCH ? .gone : fallback(signal, then: second, target) }
        defer { Glibc.close(pidfd) }
        guard let now = ProcFS.entry(pid: target.pid), now.startTime == target.startTime else { return .gone }
        guard cswisor_pidfd_send_signal(pidfd, signal) == 0 else { return errno == ESRCH ? .gone : .failed(errno) }
        if let second, cswisor_pidfd_send_signal(pidfd, second) != 0 && errno != ESRCH { return .failed(errno) }
        return .sent
    }

    /// Kernels before 5.3 have no pidfd: check the start time, then kill(2). The window
    /// between the two is microseconds, and pid reuse within it needs the whole pid
    /// space to wrap.
    private static func fallback(_ signal: Int32, then second: Int32?, _ target: ProcessIdentity) -> Outcome {
        guard errno == ENOSYS else { return .failed(errno) }
        guard let now = ProcFS.entry(pid: target.pid), now.startTime == target.startTime else { return .gone }
        guard kill(target.pid, signal) == 0 else { return errno == ESRCH ? .gone : .failed(errno) }
        if let second, kill(target.pid, second) != 0 && errno != ESRCH { return .failed(errno) }
        return .sent
    }
}

extension String {
    public var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
