/// The decisions of built-in log rotation, without touching a file: what a rotated log is
/// called, and which rotated logs `log_retain` deletes. The daemon does the renames, the
/// compression and the deletions.
///
/// A log `<dir>/<base><ext>` (`ext` is the file name's last extension, usually `.log`)
/// rotated at an instant becomes
///
///     <dir>/<base>__YYYY-MM-DD_HH-mm-ss<ext>          web-out__2026-11-22_10-00-00.log
///     <dir>/<base>__YYYY-MM-DD_HH-mm-ss.N<ext>        a second rotation within that second
///     ...<ext>.gz                                     with compression
///
/// in the daemon's local time, as pm2-logrotate names them, so existing habits (and globs)
/// keep working.
public enum RotationPlan {
    /// The parts of a log's path that a rotated name is built from.
    public struct LogName: Sendable, Equatable {
        /// The directory with its trailing `/`, or empty for a bare file name.
        public var directory: String
        /// The file name without `ext`: `web-out`.
        public var base: String
        /// From the last `.` of the file name, `.log`; empty when it has none (a leading dot,
        /// as in `.hidden`, is not an extension).
        public var ext: String

        public init(path: String) {
            let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
            let nameStart = slash.map { path.utf8.index(after: $0) } ?? path.startIndex
            directory = String(path[..<nameStart])
            let name = path[nameStart...]
            if let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")), dot != name.startIndex {
                base = String(name[..<dot])
                ext = String(name[dot...])
            } else {
                base = String(name)
                ext = ""
            }
        }
    }

    /// Where a rotation moves a log file.
    public struct RotatedFile: Sendable, Equatable {
        /// The path the log is renamed to: `…/web-out__2026-11-22_10-00-00.log`.
        public var path: String
        /// The path it ends up at: `path`, plus `.gz` with compression (the daemon compresses
        /// `path` into it, then removes `path`).
        public var finalPath: String
    }

    /// The time stamp in rotated names; `_` and `-` keep it free of `:` and blanks.
    public static let stampFormat = try! LogDateFormat("YYYY-MM-DD_HH-mm-ss")

    /// The rotated name for the log at `logPath`, rotated at `epochMs` (the stamp is `zone`'s
    /// wall time). `existing` is the listing of the log's directory (file names): when this
    /// log already has rotated files with the same stamp (several rotations within one
    /// second), `.N` is added before the extension, N one more than the highest there.
    /// Never a lower free number: retention may have deleted `.1` while `.5` is kept, and a
    /// new `.1` would then sort as older than `.5` and be the next one deleted.
    public static func rotatedFile(
        forLog logPath: String, at epochMs: Int64, zone: TimeZoneRules, compress: Bool, existing: [String]
    ) -> RotatedFile {
        let log = LogName(path: logPath)
        let stamp = stampFormat.format(epochMs: epochMs, in: zone)
        let stem = log.base + "__" + stamp
        var highest: Int? = nil
        for name in existing {
            if let parsed = parseRotatedName(name, of: log), parsed.stamp == stamp {
                highest = max(highest ?? 0, parsed.counter)
            }
        }
        let name = highest.map { stem + "." + String($0 + 1) + log.ext } ?? stem + log.ext
        let path = log.directory + name
        return RotatedFile(path: path, finalPath: compress ? path + ".gz" : path)
    }

    /// Which rotated files of the log at `logPath` to delete so that `retain` of them are
    /// left: the oldest first, by the time stamp in their names (then by their `.N`).
    /// `names` is the listing of the log's directory; only names that are exactly this
    /// log's rotated names count, so `web-api-out__…` is never taken for a rotated
    /// `web-out.log`, nor is the log itself or anything else in the directory.
    ///
    /// The order is that of the local time stamps: for the hour repeated when DST ends, a
    /// file from before the change may sort after one from after it. Retention by count
    /// only ever deletes the wrong one of two files rotated within that hour.
    public static func filesToDelete(forLog logPath: String, in names: [String], retain: Int) -> [String] {
        let log = LogName(path: logPath)
        var rotated: [(stamp: String, counter: Int, name: String)] = []
        for name in names {
            if let (stamp, counter) = parseRotatedName(name, of: log) {
                rotated.append((stamp, counter, name))
            }
        }
        guard rotated.count > max(retain, 0) else { return [] }
        // Stamps are fixed-width and most significant first, so text order is time order.
        rotated.sort { ($0.stamp, $0.counter, $0.name) < ($1.stamp, $1.counter, $1.name) }
        return rotated.prefix(rotated.count - max(retain, 0)).map(\.name)
    }

    /// The stamp and counter of `name` when it is `<base>__<stamp>[.N]<ext>[.gz]`. Compared
    /// byte for byte, since file names are bytes (no Unicode equivalence).
    static func parseRotatedName(_ name: String, of log: LogName) -> (stamp: String, counter: Int)? {
        let bytes = Array(name.utf8)
        let prefix = Array((log.base + "__").utf8)
        let ext = Array(log.ext.utf8)
        guard bytes.starts(with: prefix), bytes.count >= prefix.count + 19 + ext.count else { return nil }
        let stamp = bytes[prefix.count..<(prefix.count + 19)]
        guard isStamp(stamp) else { return nil }
        var rest = bytes[(prefix.count + 19)...]
        if rest.count >= ext.count + 3, rest.suffix(3).elementsEqual(".gz".utf8) { rest = rest.dropLast(3) }
        guard rest.count >= ext.count, rest.suffix(ext.count).elementsEqual(ext) else { return nil }
        rest = rest.dropLast(ext.count)
        let stampText = String(decoding: stamp, as: UTF8.self)
        if rest.isEmpty { return (stampText, 0) }
        // `.N`: digits only, no leading zero, as rotatedFile writes them.
        let digits = rest.dropFirst()
        guard rest.first == UInt8(ascii: "."), !digits.isEmpty, digits.count <= 9, digits.first != UInt8(ascii: "0"),
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return (stampText, digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
    }

    /// `YYYY-MM-DD_HH-mm-ss`: digits and separators in their places.
    private static func isStamp(_ text: ArraySlice<UInt8>) -> Bool {
        let separators: [Int: UInt8] = [
            4: UInt8(ascii: "-"), 7: UInt8(ascii: "-"), 10: UInt8(ascii: "_"), 13: UInt8(ascii: "-"),
            16: UInt8(ascii: "-"),
        ]
        for (i, b) in text.enumerated() {
            if let separator = separators[i] {
                guard b == separator else { return false }
            } else {
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return false }
            }
        }
        return true
    }
}
