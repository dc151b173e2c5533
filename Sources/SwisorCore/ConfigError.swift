/// Why an ecosystem file (or the options of `swisor start`) cannot be used, in one line that
/// names the place and says what was found and what was expected:
///
///     ecosystem.json: apps[3].max_restarts: expected a non-negative integer, found "ten"
///     ecosystem.json: line 14, column 7: expected ',' or '}' after an object member
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as the user named it, or "command line".
    public var file: String
    /// A JSON path such as `apps[3].max_restarts`; empty when the error is about the whole
    /// file (a syntax error carries its line and column in `message` instead).
    public var path: String
    public var message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }
}
