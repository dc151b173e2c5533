/// A Linux signal, named as the user wrote it in an ecosystem file or on the command line.
/// The table is Linux's (x86-64 and arm64 agree on every signal listed), so the core
/// stays free of libc.
public struct Signal: Sendable, Hashable, Codable, CustomStringConvertible {
    public let number: Int32

    public init?(number: Int32) {
        guard Signal.names[number] != nil else { return nil }
        self.number = number
    }

    /// Accepts "SIGTERM", "TERM", "sigterm" and "15".
    public init?(parsing text: String) {
        let upper = text.uppercased()
        if let n = Int32(upper), Signal.names[n] != nil {
            self.number = n
            return
        }
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        guard let hit = Signal.names.first(where: { $0.value == bare }) else { return nil }
        self.number = hit.key
    }

    public var name: String { "SIG" + (Signal.names[number] ?? "\(number)") }
    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let s = Signal(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown signal \(text)")
        }
        self = s
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    private init(_ n: Int32) { number = n }
    public static let sighup = Signal(1)
    public static let sigint = Signal(2)
    public static let sigquit = Signal(3)
    public static let sigkill = Signal(9)
    public static let sigusr1 = Signal(10)
    public static let sigusr2 = Signal(12)
    public static let sigterm = Signal(15)
    public static let sigcont = Signal(18)

    static let names: [Int32: String] = [
        1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE",
        9: "KILL", 10: "USR1", 11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM",
        16: "STKFLT", 17: "CHLD", 18: "CONT", 19: "STOP", 20: "TSTP", 21: "TTIN", 22: "TTOU",
        23: "URG", 24: "XCPU", 25: "XFSZ", 26: "VTALRM", 27: "PROF", 28: "WINCH", 29: "IO",
        30: "PWR", 31: "SYS",
    ]
}
