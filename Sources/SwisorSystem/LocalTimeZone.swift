#if canImport(Glibc)
import Glibc
#endif
import SwisorCore

/// The daemon's local time zone for cron schedules, read the way glibc reads it: `TZ`
/// (a zone name, a path, or a POSIX rule), else /etc/localtime, else UTC.
public enum LocalTimeZone {
    public struct Loaded: Sendable {
        public var rules: TimeZoneRules
        public var name: String
        /// Set when `TZ` or /etc/localtime was there but unusable.
        public var warning: String?
    }

    public static func load(environment tz: String? = getenv("TZ").map { String(cString: $0) }) -> Loaded {
        if let tz {
            var name = tz
            if name.hasPrefix(":") { name.removeFirst() }
            if name.isEmpty { return Loaded(rules: .utc, name: "UTC") }
            let path = name.hasPrefix("/") ? name : "/usr/share/zoneinfo/" + name
            if let bytes = FileDescriptor.readSmallFile(path), let rules = try? TimeZoneRules(tzif: bytes) {
                return Loaded(rules: rules, name: name)
            }
            if let rules = try? TimeZoneRules(posixTZ: tz) {
                return Loaded(rules: rules, name: tz)
            }
            return Loaded(rules: .utc, name: "UTC", warning: "TZ=\(tz) is neither a zone file nor a POSIX rule; cron schedules use UTC")
        }
        guard let bytes = FileDescriptor.readSmallFile("/etc/localtime") else {
            return Loaded(rules: .utc, name: "UTC")
        }
        do {
            let rules = try TimeZoneRules(tzif: bytes)
            return Loaded(rules: rules, name: zoneName(ofLink: "/etc/localtime") ?? "/etc/localtime")
        } catch {
            return Loaded(rules: .utc, name: "UTC", warning: "/etc/localtime: \(error); cron schedules use UTC")
        }
    }

    /// "Europe/Berlin" for a link into a zoneinfo folder.
    static func zoneName(ofLink path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Everything after the last "zoneinfo/" component.
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        guard let at = parts.lastIndex(of: "zoneinfo") else { return target }
        return parts[(at + 1)...].joined(separator: "/")
    }
}
