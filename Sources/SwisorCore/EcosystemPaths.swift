/// File paths and JSON paths for the loader, done on strings: the core makes no system call,
/// so nothing here looks at the file system (symbolic links are left to the kernel).
enum EcosystemPaths {
    /// `path` made absolute against `base` (itself absolute) and normalized: `.` and empty
    /// components dropped, `..` applied (`/..` stays `/`), no trailing slash.
    static func resolve(_ path: String, against base: String) -> String {
        normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `~` and `~/…` are the user's home, as PM2 reads them in `cwd` and log paths (a shell
    /// would have expanded them on a command line; in a file nobody does). `~user` is left
    /// alone: it would need the password database.
    static func expandingHome(_ path: String, home: String?) -> String? {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        guard let home, !home.isEmpty else { return nil }
        return home + path.dropFirst()
    }

    /// The last component, trailing slashes ignored ("a/b/" → "b").
    static func baseName(_ path: String) -> String {
        let trimmed = path.split(separator: "/", omittingEmptySubsequences: true).last
        return trimmed.map(String.init) ?? ""
    }

    /// The extension with its dot, as Node's path.extname (which PM2 uses): from the last dot
    /// of the base name, unless that dot starts it (".bashrc" has none).
    static func fileExtension(_ path: String) -> String {
        let base = baseName(path)
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return "" }
        return String(base[dot...])
    }

    static func baseNameWithoutExtension(_ path: String) -> String {
        let base = baseName(path)
        return String(base.dropLast(fileExtension(base).count))
    }

    // MARK: - JSON paths

    /// `apps[3]` + `max_restarts` → `apps[3].max_restarts`; a key that is not a plain word
    /// is quoted (`env["MY-VAR"]`) so the path stays unambiguous.
    static func member(_ base: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "$"
        }
        if !plain { return base + "[" + JSON.string(key).serialized() + "]" }
        return base.isEmpty ? key : base + "." + key
    }

    static func element(_ base: String, _ index: Int) -> String { base + "[\(index)]" }
}
