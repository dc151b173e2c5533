#if canImport(Glibc)
import Glibc
#endif
import SwisorSystem

/// The daemon's own log: one line per event on stderr, which is daemon.log when the
/// CLI started the daemon and the journal under systemd.
public final class DaemonLog {
    public init() {}

    public func info(_ message: String) { write("info", message) }
    public func warning(_ message: String) { write("warning", message) }
    public func error(_ message: String) { write("error", message) }

    private func write(_ level: String, _ message: String) {
        let line = "\(DaemonLog.timestamp()) \(level): \(message)\n"
        try? FileDescriptor.standardError.writeAll(line.utf8)
    }

    /// ISO 8601 in UTC with milliseconds.
    static func timestamp() -> String {
        let ms = wallClockMilliseconds()
        var t = time_t(ms / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S", &tm)
        let frac = String(ms % 1000)
        let head = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return head + "." + String(repeating: "0", count: 3 - frac.count) + frac + "Z"
    }
}
