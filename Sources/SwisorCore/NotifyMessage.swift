/// One datagram of systemd's notify protocol (sd_notify(3)): newline-separated
/// `VARIABLE=VALUE` assignments. The daemon reads them from each app's NOTIFY_SOCKET
/// (`parse`), and sends its own to systemd (`text`).
///
/// Parsing follows systemd's reading of the same datagram:
/// - a flag (`READY=1`, `RELOADING=1`, `STOPPING=1`, `WATCHDOG=1`, `WATCHDOG=trigger`)
///   counts wherever it appears; another value (`READY=0`) is kept in `other`;
/// - a variable with a value (`STATUS=`, `MAINPID=`, ...) given twice keeps its first
///   value, as systemd does (it looks each one up from the start); the repeat is reported;
/// - empty lines, hence a trailing newline, are nothing; bytes that are not UTF-8 are
///   read as U+FFFD;
/// - a line that is not an assignment (no `=`, or nothing before it), a line with a NUL
///   byte, or a number that does not parse is ignored and reported in `problems`, so
///   the daemon can log what a broken client sent and still act on the rest.
///
/// `STATUS=` is shown by `describe` and `list`: it is cut to `maxStatusBytes`, and its
/// control characters (a newline, an escape sequence meant for a terminal) become U+FFFD.
public struct NotifyMessage: Sendable, Equatable {
    public struct Assignment: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `READY=1`: startup finished (or a reload, after `RELOADING=1`).
    public var ready: Bool
    /// `RELOADING=1`.
    public var reloading: Bool
    /// `STOPPING=1`.
    public var stopping: Bool
    /// `STATUS=`: one line of free text; "" clears the previous one.
    public var status: String?
    /// `WATCHDOG=1`: the keep-alive ping.
    public var watchdogPing: Bool
    /// `WATCHDOG=trigger`: the app asks for the watchdog's action (a restart) now.
    public var watchdogTrigger: Bool
    /// `WATCHDOG_USEC=`: a new watchdog interval in microseconds (0 turns it off).
    public var watchdogUsec: UInt64?
    /// `MONOTONIC_USEC=`: CLOCK_MONOTONIC in microseconds, sent with `RELOADING=1`.
    public var monotonicUsec: UInt64?
    /// `MAINPID=`: the app's main process, when it is not the one swisor started.
    public var mainPID: Int32?
    /// `ERRNO=`: why the app failed, as an errno number.
    public var errno: Int32?
    /// Every other assignment, in order (`EXTEND_TIMEOUT_USEC=`, `X_...=`, `READY=0`, ...).
    public var other: [Assignment]
    /// What was ignored, one line each, e.g. `line 2 is not an assignment: "oops"`.
    /// Never part of `text`.
    public var problems: [String]

    /// The longest STATUS kept, in UTF-8 bytes (cut at a character boundary). systemd
    /// takes up to 16 KiB, but a status is one line in `list` and `describe`: a longer
    /// one is a log message in the wrong place.
    public static let maxStatusBytes = 1024

    public init(
        ready: Bool = false,
        reloading: Bool = false,
        stopping: Bool = false,
        status: String? = nil,
        watchdogPing: Bool = false,
        watchdogTrigger: Bool = false,
        watchdogUsec: UInt64? = nil,
        monotonicUsec: UInt64? = nil,
        mainPID: Int32? = nil,
        errno: Int32? = nil,
        other: [Assignment] = [],
        problems: [String] = []
    ) {
        self.ready = ready
        self.reloading = reloading
        self.stopping = stopping
        self.status = status
        self.watchdogPing = watchdogPing
        self.watchdogTrigger = watchdogTrigger
        self.watchdogUsec = watchdogUsec
        self.monotonicUsec = monotonicUsec
        self.mainPID = mainPID
        self.errno = errno
        self.other = other
        self.problems = problems
    }

    // MARK: - Reading

    public static func parse(_ text: String) -> NotifyMessage {
        parse(Array(text.utf8))
    }

    public static func parse(_ datagram: [UInt8]) -> NotifyMessage {
        var message = NotifyMessage()
        var seen = Set<String>()
        var lineNumber = 0
        for rawLine in datagram.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if rawLine.isEmpty { continue }
            if rawLine.contains(0) {
                message.problems.append("line \(lineNumber) contains a NUL byte, ignored")
                continue
            }
            let line = String(decoding: rawLine, as: UTF8.self)
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                message.problems.append("line \(lineNumber) is not an assignment: \(JSON.string(sanitized(line)).brief)")
                continue
            }
            let name = String(line[..<equals])
            let value = String(line[line.index(after: equals)...])
            message.read(name: name, value: value, line: lineNumber, seen: &seen)
        }
        return message
    }

    private mutating func read(name: String, value: String, line: Int, seen: inout Set<String>) {
        switch (name, value) {
        case ("READY", "1"): ready = true
        case ("RELOADING", "1"): reloading = true
        case ("STOPPING", "1"): stopping = true
        case ("WATCHDOG", "1"): watchdogPing = true
        case ("WATCHDOG", "trigger"): watchdogTrigger = true
        case ("STATUS", _), ("WATCHDOG_USEC", _), ("MONOTONIC_USEC", _), ("MAINPID", _), ("ERRNO", _):
            if seen.insert(name).inserted {
                readValue(name: name, value: value, line: line)
            } else {
                problems.append("line \(line): \(name) given again, the first value is kept")
            }
        default:
            other.append(Assignment(name, value))
        }
    }

    private mutating func readValue(name: String, value: String, line: Int) {
        switch name {
        case "STATUS":
            var cleaned = NotifyMessage.sanitized(value)
            if cleaned.utf8.count > NotifyMessage.maxStatusBytes {
                cleaned = NotifyMessage.prefix(cleaned, maxBytes: NotifyMessage.maxStatusBytes)
                problems.append("line \(line): STATUS longer than \(NotifyMessage.maxStatusBytes) bytes, cut")
            }
            status = cleaned
        case "WATCHDOG_USEC", "MONOTONIC_USEC":
            guard let usec = NotifyMessage.decimal(value, max: UInt64.max) else {
                problems.append("line \(line): \(name) expects microseconds, found \(JSON.string(NotifyMessage.sanitized(value)).brief)")
                return
            }
            if name == "WATCHDOG_USEC" { watchdogUsec = usec } else { monotonicUsec = usec }
        case "MAINPID":
            guard let pid = NotifyMessage.decimal(value, max: UInt64(Int32.max)), pid > 0 else {
                problems.append("line \(line): MAINPID expects a process id, found \(JSON.string(NotifyMessage.sanitized(value)).brief)")
                return
            }
            mainPID = Int32(pid)
        default:  // ERRNO
            guard let number = NotifyMessage.decimal(value, max: UInt64(Int32.max)) else {
                problems.append("line \(line): ERRNO expects an errno number, found \(JSON.string(NotifyMessage.sanitized(value)).brief)")
                return
            }
            errno = Int32(number)
        }
    }

    /// Plain decimal digits, no sign or blank (systemd accepts little more), up to `max`.
    static func decimal(_ text: String, max: UInt64) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
        var n: UInt64 = 0
        for b in text.utf8 {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            n = sum
        }
        return n <= max ? n : nil
    }

    /// Control characters (C0, DEL, C1) replaced by U+FFFD: one line, inert in a terminal.
    static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars { out.append(isControl(s) ? "\u{FFFD}" : s) }
        return String(out)
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value)
    }

    /// The longest prefix of whole Unicode scalars that fits in `maxBytes` UTF-8 bytes.
    static func prefix(_ text: String, maxBytes: Int) -> String {
        var out = String.UnicodeScalarView()
        var bytes = 0
        for s in text.unicodeScalars {
            let width = UTF8.width(s)
            if bytes + width > maxBytes { break }
            bytes += width
            out.append(s)
        }
        return String(out)
    }

    // MARK: - Writing

    /// The datagram, one assignment per line, without a trailing newline (sd_notify(3)
    /// implies one). STATUS and other values are sanitized and capped as in `parse`, so a
    /// value can never start a new assignment; an `other` name that is not one (empty,
    /// with `=` or a control character) is left out.
    public var text: String {
        var lines: [String] = []
        if ready { lines.append("READY=1") }
        if reloading { lines.append("RELOADING=1") }
        if let monotonicUsec { lines.append("MONOTONIC_USEC=\(monotonicUsec)") }
        if stopping { lines.append("STOPPING=1") }
        if let status {
            lines.append("STATUS=" + NotifyMessage.prefix(NotifyMessage.sanitized(status), maxBytes: NotifyMessage.maxStatusBytes))
        }
        if watchdogPing { lines.append("WATCHDOG=1") }
        if watchdogTrigger { lines.append("WATCHDOG=trigger") }
        if let watchdogUsec { lines.append("WATCHDOG_USEC=\(watchdogUsec)") }
        if let mainPID { lines.append("MAINPID=\(mainPID)") }
        if let errno { lines.append("ERRNO=\(errno)") }
        for a in other where !a.name.isEmpty && !a.name.contains("=") && !a.name.unicodeScalars.contains(where: NotifyMessage.isControl) {
            lines.append(a.name + "=" + NotifyMessage.sanitized(a.value))
        }
        return lines.joined(separator: "\n")
    }

    /// What the daemon sends once its socket listens and the saved apps are launched.
    public static func ready(status: String? = nil) -> NotifyMessage {
        NotifyMessage(ready: true, status: status)
    }

    /// At the start of a reload: systemd (253+, Type=notify-reload) wants the time the
    /// reload began, to tell this reload's READY=1 from an earlier one. The core makes no
    /// system call, so the caller reads CLOCK_MONOTONIC.
    public static func reloading(monotonicUsec: UInt64, status: String? = nil) -> NotifyMessage {
        NotifyMessage(reloading: true, status: status, monotonicUsec: monotonicUsec)
    }

    /// On SIGTERM, before the apps are stopped.
    public static func stopping(status: String? = nil) -> NotifyMessage {
        NotifyMessage(stopping: true, status: status)
    }

    /// The keep-alive ping for `WatchdogSec=`.
    public static let watchdog = NotifyMessage(watchdogPing: true)

    /// A new status line alone.
    public static func status(_ text: String) -> NotifyMessage {
        NotifyMessage(status: text)
    }
}
