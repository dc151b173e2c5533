import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import SwisorCore

/// The list `swisor save` writes and `swisor resurrect` (and `daemon --resurrect`, at
/// boot) starts again:
///
///     {"version":1,"saved_at":<epoch ms>,"apps":[<AppSpec>, one per line...]}
///
/// Each app is the resolved `AppSpec` the daemon runs (options, environment, absolute
/// paths), so a dump runs without its ecosystem file.
///
/// A dump is only ever replaced whole, and a good one is never lost: `write` writes a
/// temporary file (mode 0600) and fsyncs it, copies the current dump to `<path>.bak` if
/// that one is good, renames the new file over the old, and fsyncs the folder. A crash
/// at any point leaves the old dump or the new one, never a mix. A current dump that is
/// already broken does not become the backup, so it cannot overwrite a good `.bak`.
public enum DumpFile {
    /// The format written, and the only one read.
    public static let version = 1
    /// A dump larger than this is refused rather than read into memory (a thousand apps
    /// with large environments take a few MiB).
    public static let maxBytes = 64 << 20

    public static func backupPath(for path: String) -> String { path + ".bak" }

    /// The saved apps, all of them or an error (never a partial list). When the dump is
    /// missing or broken and `<path>.bak` is good, the error says so (`DumpError.backup`).
    public static func load(_ path: String) throws(DumpError) -> Dump {
        do {
            return try loadOnly(path)
        } catch var error {
            let backup = backupPath(for: path)
            if let good = try? loadOnly(backup) {
                error.backup = DumpError.Backup(path: backup, appCount: good.apps.count)
            }
            throw error
        }
    }

    /// Writes `specs` as the dump at `path`, atomically. The folder must exist (it is the
    /// home, which `Home.prepare` creates). Refuses specs that `load` would refuse.
    public static func write(_ specs: [AppSpec], to path: String, savedAt: Int64 = wallClockMilliseconds()) throws(DumpError) {
        let bytes = try encode(specs, savedAt: savedAt, file: path)
        let pid = getpid()
        let temporary = "\(path).tmp-\(pid)"
        do throws(SystemError) {
            try writeDurably(bytes, to: temporary)
            do throws(SystemError) {
                try keepBackup(of: path, pid: pid)
                _ = try syscallRetrying("rename", subject: "\(temporary) to \(path)") { rename(temporary, path) }
            } catch {
                unlink(temporary)
                throw error
            }
            try syncDirectory(of: path)
        } catch {
            throw DumpError(file: path, reason: .cannotWrite(error))
        }
    }

    // MARK: - Encoding

    private struct Contents: Decodable {
        var version: Int
        var savedAt: Int64
        var apps: [AppSpec]

        enum CodingKeys: String, CodingKey {
            case version
            case savedAt = "saved_at"
            case apps
        }
    }

    /// The bytes of a dump: one app per line (compact, keys sorted), so that people can
    /// read, grep and diff it:
    ///
    ///     {"version":1,"saved_at":1700000000123,"apps":[
    ///     {"args":["3600"],"autorestart":true,...,"name":"worker",...},
    ///     {"args":[],...,"name":"job",...}
    ///     ]}
    public static func encode(_ specs: [AppSpec], savedAt: Int64, file: String = "dump") throws(DumpError) -> [UInt8] {
        if let error = invalidApp(in: specs, file: file) { throw error }
        var out = Array("{\"version\":\(version),\"saved_at\":\(savedAt),\"apps\":[\n".utf8)
        for (index, spec) in specs.enumerated() {
            do {
                out += try Wire.encode(spec)
            } catch {
                throw DumpError(file: file, reason: .invalidApp(index: index, name: spec.name, problem: "cannot encode: \(error)"))
            }
            out += Array((index == specs.count - 1 ? "\n" : ",\n").utf8)
        }
        out += Array("]}\n".utf8)
        return out
    }

    /// Reads a dump's bytes; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws(DumpError) -> Dump {
        func fail(_ reason: DumpError.Reason) -> DumpError { DumpError(file: file, reason: reason) }

        if bytes.allSatisfy({ $0 == 0 || $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            // Zeros too: what a file that was never synced can hold after a crash.
            throw fail(.empty(byteCount: bytes.count))
        }
        let root: JSON
        do throws(JSONSyntaxError) {
            root = try JSON.parse(bytes)
        } catch {
            // Every dump starts with '{' and ends with '}': one that starts but does not
            // end, and is not a whole value followed by more, was cut short (a full disk,
            // a copy interrupted), not written wrong.
            let last = bytes.reversed().first(where: { !isBlank($0) })
            let truncated = bytes.first(where: { !isBlank($0) }) == UInt8(ascii: "{")
                && last != UInt8(ascii: "}") && !error.message.contains("after the JSON value")
            throw fail(truncated ? .truncated(error) : .notJSON(error))
        }
        guard case .object(let top) = root else {
            throw fail(.notADump("expected a JSON object, found \(root.brief)"))
        }
        guard let versionValue = top["version"] else { throw fail(.notADump("no \"version\"")) }
        guard case .int(let found) = versionValue else {
            throw fail(.notADump("\"version\": expected an integer, found \(versionValue.brief)"))
        }
        guard found == Int64(version) else { throw fail(.unsupportedVersion(found)) }
        guard let savedAt = top["saved_at"]?.int64Value else {
            throw fail(.notADump("\"saved_at\": expected the time of the save in milliseconds, found \(top["saved_at"]?.brief ?? "nothing")"))
        }
        guard let apps = top["apps"]?.arrayValue else {
            throw fail(.notADump("\"apps\": expected an array of apps, found \(top["apps"]?.brief ?? "nothing")"))
        }
        let contents: Contents
        do {
            contents = try Wire.decode(Contents.self, from: bytes)
        } catch {
            throw fail(describe(error, apps: apps))
        }
        if let error = invalidApp(in: contents.apps, file: file) { throw error }
        return Dump(savedAt: savedAt, apps: contents.apps)
    }

    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// The first app that cannot run (`AppSpec.problem`) or whose name is taken.
    private static func invalidApp(in specs: [AppSpec], file: String) -> DumpError? {
        var seen = Set<String>()
        for (index, spec) in specs.enumerated() {
            if let problem = spec.problem {
                return DumpError(file: file, reason: .invalidApp(index: index, name: spec.name, problem: problem))
            }
            if !seen.insert(spec.name).inserted {
                return DumpError(file: file, reason: .invalidApp(index: index, name: spec.name, problem: "the name is listed twice"))
            }
        }
        return nil
    }

    /// A decoding error as `apps[2] ("web"): kill_timeout_ms: expected an integer, found "x"`.
    private static func describe(_ error: any Error, apps: [JSON]) -> DumpError.Reason {
        let path: [any CodingKey]
        let message: String
        switch error {
        case DecodingError.typeMismatch(let type, let c):
            (path, message) = (c.codingPath, "expected \(kind(type))")
        case DecodingError.valueNotFound(let type, let c):
            (path, message) = (c.codingPath, "expected \(kind(type)), found null")
        case DecodingError.keyNotFound(let key, let c):
            (path, message) = (c.codingPath + [key], "missing")
        case DecodingError.dataCorrupted(let c):
            (path, message) = (c.codingPath, c.debugDescription)
        default:
            return .notADump("\(error)")
        }
        // path[0] is "apps", path[1] the index, the rest the field inside the app.
        guard path.count >= 2, path[0].stringValue == "apps", let index = path[1].intValue else {
            let where_ = path.map(\.stringValue).joined(separator: ".")
            return .notADump(where_.isEmpty ? message : "\(where_): \(message)")
        }
        var field = ""
        for key in path.dropFirst(2) {
            if let i = key.intValue { field += "[\(i)]" } else { field += field.isEmpty ? key.stringValue : "." + key.stringValue }
        }
        var found = ""
        if message != "missing", index < apps.count {
            var value: JSON? = apps[index]
            for key in path.dropFirst(2) {
                if let i = key.intValue { value = value?.arrayValue.flatMap { i < $0.count ? $0[i] : nil } } else { value = value?[key.stringValue] }
            }
            if let value, !message.hasSuffix("found null") { found = ", found \(value.brief)" }
        }
        let name = index < apps.count ? apps[index]["name"]?.stringValue : nil
        return .invalidApp(index: index, name: name, problem: field.isEmpty ? message + found : "\(field): \(message)\(found)")
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt64.Type: return "an integer"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("AppSpec") { return "an object" }
            return name
        }
    }

    // MARK: - Files

    private static func loadOnly(_ path: String) throws(DumpError) -> Dump {
        let bytes: [UInt8]
        do throws(SystemError) {
            bytes = try readWhole(path)
        } catch {
            if error.errno == ENOENT { throw DumpError(file: path, reason: .missing) }
            if error.errno == EFBIG {
                throw DumpError(file: path, reason: .notADump("larger than \(maxBytes >> 20) MiB"))
            }
            throw DumpError(file: path, reason: .unreadable(error))
        }
        return try decode(bytes, file: path)
    }

    private static func readWhole(_ path: String) throws(SystemError) -> [UInt8] {
        guard let bytes = try FileSystem.contents(path, limit: maxBytes) else {
            throw SystemError("open", subject: path, errno: ENOENT)
        }
        return bytes
    }

    private static func writeDurably(_ bytes: [UInt8], to path: String) throws(SystemError) {
        try FileSystem.writeDurably(bytes, to: path, mode: 0o600)
    }

    /// Copies the current dump to `<path>.bak` when it loads: a broken one is left to
    /// be replaced, and the last good backup stays.
    private static func keepBackup(of path: String, pid: Int32) throws(SystemError) {
        guard let current = try? readWhole(path), (try? decode(current, file: path)) != nil else { return }
        let backup = backupPath(for: path)
        let temporary = "\(backup).tmp-\(pid)"
        try writeDurably(current, to: temporary)
        do throws(SystemError) {
            _ = try syscallRetrying("rename", subject: "\(temporary) to \(backup)") { rename(temporary, backup) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A rename is durable only once the folder that holds the name is synced.
    private static func syncDirectory(of path: String) throws(SystemError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = try FileDescriptor.open(directory, O_RDONLY | O_DIRECTORY)
        defer { fd.close() }
        _ = try syscallRetrying("fsync", subject: directory) { fsync(fd.rawValue) }
    }
}

/// A loaded dump.
public struct Dump: Sendable, Equatable {
    /// Milliseconds since the Unix epoch.
    public var savedAt: Int64
    public var apps: [AppSpec]

    public init(savedAt: Int64, apps: [AppSpec]) {
        self.savedAt = savedAt
        self.apps = apps
    }
}

/// Why a dump cannot be read or written, as one line that names the file:
///
///     /root/.swisor/dump.json: truncated: line 41, column 1: unexpected end of input, ...;
///     the previous dump is kept at /root/.swisor/dump.json.bak (3 apps): swisor resurrect --from /root/.swisor/dump.json.bak
public struct DumpError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case missing
        case unreadable(SystemError)
        /// No byte, or only blanks and zeros.
        case empty(byteCount: Int)
        /// Starts as a dump, and the JSON ends early.
        case truncated(JSONSyntaxError)
        case notJSON(JSONSyntaxError)
        /// JSON, but not the shape of a dump.
        case notADump(String)
        case unsupportedVersion(Int64)
        /// `index` into `apps`; `name` when the app has one.
        case invalidApp(index: Int, name: String?, problem: String)
        case cannotWrite(SystemError)
    }

    /// A good dump next to a broken one.
    public struct Backup: Sendable, Equatable {
        public var path: String
        public var appCount: Int
    }

    public var file: String
    public var reason: Reason
    public var backup: Backup?

    public init(file: String, reason: Reason, backup: Backup? = nil) {
        self.file = file
        self.reason = reason
        self.backup = backup
    }

    public var description: String {
        let what: String
        switch reason {
        case .missing:
            what = "no saved app list (`swisor save` writes it)"
        case .unreadable(let error):
            what = "cannot read it: \(error)"
        case .empty(let count):
            what = count == 0 ? "the file is empty" : "the file holds no data (\(count) blank or zero bytes)"
        case .truncated(let error):
            what = "truncated, the JSON ends early: \(error)"
        case .notJSON(let error):
            what = "not a swisor dump, not JSON: \(error)"
        case .notADump(let message):
            what = "not a swisor dump: \(message)"
        case .unsupportedVersion(let found):
            what = "dump version \(found) is not supported: this swisor reads version \(DumpFile.version)"
                + (found > Int64(DumpFile.version) ? " (written by a newer swisor?)" : "")
        case .invalidApp(let index, let name, let problem):
            let app = name.map { "apps[\(index)] (\(JSON.string($0).brief))" } ?? "apps[\(index)]"
            what = "\(app): \(problem)"
        case .cannotWrite(let error):
            what = "cannot save: \(error)"
        }
        var line = "\(file): \(what)"
        if let backup {
            let apps = backup.appCount == 1 ? "1 app" : "\(backup.appCount) apps"
            line += "; the previous dump is kept at \(backup.path) (\(apps)): swisor resurrect --from \(backup.path)"
        }
        return line
    }
}

extension Home {
    /// Where `swisor save` writes.
    public var dumpFile: String { root + "/dump.json" }
}
