#if canImport(Glibc)
import Glibc
#endif
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
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")),
              close > open else { return nil }
        guard let pid = Int32(String(decoding: bytes[..<open], as: UTF8.self).trimmingSpaces) else { return nil }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // rest[0] is field 3 (state); field N is rest[N - 3].
        guard rest.count >= 22 else { return nil }
        func num(_ field: Int) -> Int64 { Int64(String(decoding: rest[field - 3], as: UTF8.self)) ?? 0 }
        return ProcessEntry(
            pid: pid,
            ppid: pid_t(num(4)),
            pgid: pid_t(num(5)),
            sid: pid_t(num(6)),
            state: rest[0].first ?? UInt8(ascii: "?"),
            startTime: UInt64(max(0, num(22))),
            cpuTicks: UInt64(max(0, num(14) + num(15))),
            rssPages: num(24),
            comm: comm
        )
    }

    public static func entry(pid: pid_t) -> ProcessEntry? {
        guard let bytes = FileDescriptor.readSmallFile("/proc/\(pid)/stat") else { return nil }
        return parseStat(bytes)
    }

    /// Every process on the host. One readdir and one small read per process; callers
    /// scan once per tick for all apps, never once per app.
    public static func scan() -> [ProcessEntry] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var out: [ProcessEntry] = []
        out.reserveCapacity(512)
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
            guard let pid = name, let e = entry(pid: pid) else { continue }
            out.append(e)
        }
        return out
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

    public static func commandLine(pid: pid_t) -> String? {
        guard let bytes = FileDescriptor.readSmallFile("/proc/\(pid)/cmdline", limit: 8192) else { return nil }
        let parts = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// Seconds since boot as clock ticks, to turn a start time into an age.
    public static func uptimeTicks() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return UInt64(ts.tv_sec) * UInt64(clockTicksPerSecond) + UInt64(ts.tv_nsec) / UInt64(1_000_000_000 / clockTicksPerSecond)
    }
}

/// Signals one exact process, never a pid that was reused by someone else: the pidfd
/// pins the process, and the start time read after opening it proves it is ours.
public enum ExactSignal {
    public enum Outcome: Equatable { case sent, gone, failed(Int32) }

    public static func send(_ signal: Int32, to target: ProcessIdentity) -> Outcome {
        let pidfd = cswisor_pidfd_open(target.pid)
        if pidfd < 0 { return errno == ESRCH ? .gone : fallback(signal, target) }
        defer { Glibc.close(pidfd) }
        guard let now = ProcFS.entry(pid: target.pid), now.startTime == target.startTime else { return .gone }
        if cswisor_pidfd_send_signal(pidfd, signal) == 0 { return .sent }
        return errno == ESRCH ? .gone : .failed(errno)
    }

    /// Kernels before 5.3 have no pidfd: check the start time, then kill(2). The window
    /// between the two is microseconds, and pid reuse within it needs the whole pid
    /// space to wrap.
    private static func fallback(_ signal: Int32, _ target: ProcessIdentity) -> Outcome {
        guard errno == ENOSYS else { return .failed(errno) }
        guard let now = ProcFS.entry(pid: target.pid), now.startTime == target.startTime else { return .gone }
        if kill(target.pid, signal) == 0 { return .sent }
        return errno == ESRCH ? .gone : .failed(errno)
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
