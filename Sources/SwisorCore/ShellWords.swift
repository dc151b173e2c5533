/// The small part of POSIX shell word syntax that PM2 users put in `args` strings:
/// blanks separate words; single quotes, double quotes and backslashes group them.
/// No expansion of any kind happens (PM2 does none either).
public enum ShellWords {
    public enum SplitError: Error, Equatable, Sendable {
        case unterminatedQuote(Character)
        case trailingBackslash
    }

    public static func split(_ text: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for ch in text {
            if escaped {
                current.append(ch)
                escaped = false
                continue
            }
            if let q = quote {
                if ch == q {
                    quote = nil
                } else if ch == "\\" && q == "\"" {
                    escaped = true
                } else {
                    current.append(ch)
                }
                continue
            }
            switch ch {
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'", "\"":
                quote = ch
                inWord = true
            case "\\":
                escaped = true
                inWord = true
            default:
                current.append(ch)
                inWord = true
            }
        }
        if let q = quote { throw .unterminatedQuote(q) }
        if escaped { throw .trailingBackslash }
        if inWord { words.append(current) }
        return words
    }

    /// Quotes a word so that `/bin/sh` reads it back unchanged.
    public static func quote(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences("'", with: "'\\''") + "'"
    }
}

extension String {
    /// Foundation-free replace, so the core does not pull Foundation in.
    func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for ch in self {
            if ch == target { out += replacement } else { out.append(ch) }
        }
        return out
    }
}
