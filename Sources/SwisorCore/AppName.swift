/// The rule for app names (and namespaces, which targets share with names).
///
/// A name is used as a file name (`<name>-out.log`, `<name>-error-<id>.log`), as a cgroup
/// directory name, and as a command target, so it must be safe in all three places:
/// - ASCII letters, digits, `.`, `_` and `-` only: no `/` (a path), no blank or quote (a
///   shell user would have to quote it), no newline (cgroup names refuse it, and it would
///   break `/proc/<pid>/cgroup` and our log listings), nothing that sorts or looks differently
///   under another locale;
/// - the first character a letter or a digit: a leading `.` would hide the log files
///   (and allow `.` and `..`), a leading `-` reads as an option on a command line;
/// - at most 64 characters, so that a file name with its suffixes stays far below NAME_MAX
///   and `list` stays readable;
/// - not `all`, the target keyword for every app;
/// - not only digits, which a target resolves as an app id.
public enum AppName {
    public static let maxLength = 64

    /// `nil` when `name` is valid, else the reason, ready to follow "invalid name: ".
    public static func validate(_ name: String) -> String? {
        let scalars = name.unicodeScalars
        guard let first = scalars.first else { return "a name cannot be empty" }
        if name == "all" { return "\"all\" is reserved: it means every app in a command" }
        if let bad = scalars.first(where: { !isAllowed($0) }) {
            return "a name may contain only ASCII letters, digits, '.', '_' and '-', found \(show(bad))"
        }
        if !isAlphanumeric(first) { return "a name must start with a letter or a digit" }
        if scalars.allSatisfy({ ("0"..."9").contains($0) }) {
            return "a name cannot be only digits: it would be read as an app id"
        }
        if scalars.count > maxLength {
            return "a name is at most \(maxLength) characters long, found \(scalars.count)"
        }
        return nil
    }

    private static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    private static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        isAlphanumeric(s) || s == "." || s == "_" || s == "-"
    }

    private static func show(_ s: Unicode.Scalar) -> String {
        switch s {
        case " ": return "a space"
        case "\t": return "a tab"
        case "\n", "\r": return "a line break"
        default:
            if s.value < 0x20 || s.value == 0x7F { return "a control character" }
            return "'\(s)'"
        }
    }
}
