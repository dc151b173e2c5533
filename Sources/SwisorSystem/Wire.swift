import FoundationEssentials
import SwisorCore

/// JSON encoding of protocol messages: one object per line. FoundationEssentials
/// rather than Foundation keeps the CLI's start-up short (no ICU, no CoreFoundation).
public enum Wire {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// A decoding error as one line a user can act on.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c) where c.codingPath.isEmpty:
            return "malformed JSON: \(c.debugDescription)"
        case DecodingError.dataCorrupted(let c):
            // A value of the right JSON type that a field's own decoder refused (a
            // signal name, an enum): the field, not "malformed JSON".
            return "\(path(c.codingPath)): \(c.debugDescription)"
        case DecodingError.keyNotFound(let key, let c):
            return "missing \(path(c.codingPath + [key]))"
        case DecodingError.typeMismatch(let type, let c):
            return "\(path(c.codingPath)): expected \(type)"
        case DecodingError.valueNotFound(let type, let c):
            return "\(path(c.codingPath)): expected \(type), found null"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for k in keys {
            if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : "." + k.stringValue }
        }
        return out.isEmpty ? "(root)" : out
    }
}
