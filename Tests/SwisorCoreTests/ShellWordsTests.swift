import Testing

@testable import SwisorCore

@Suite("Shell words")
struct ShellWordsTests {
    @Test(
        "split",
        arguments: [
            ("", [String]()),
            ("  ", []),
            ("a b  c", ["a", "b", "c"]),
            ("--port 80 --host=0.0.0.0", ["--port", "80", "--host=0.0.0.0"]),
            ("'a b' \"c d\"", ["a b", "c d"]),
            ("x'y z'w", ["xy zw"]),
            ("''", [""]),
            ("\"\" a", ["", "a"]),
            ("a\\ b", ["a b"]),
            ("\"say \\\"hi\\\"\"", ["say \"hi\""]),
            ("'it'\\''s'", ["it's"]),
            ("'$HOME' *", ["$HOME", "*"]),
            ("a\tb\nc", ["a", "b", "c"]),
        ])
    func split(text: String, words: [String]) throws {
        #expect(try ShellWords.split(text) == words)
    }

    @Test func splitErrors() {
        #expect(throws: ShellWords.SplitError.unterminatedQuote("'")) { try ShellWords.split("a 'b") }
        #expect(throws: ShellWords.SplitError.unterminatedQuote("\"")) { try ShellWords.split("\"b") }
        #expect(throws: ShellWords.SplitError.trailingBackslash) { try ShellWords.split("a\\") }
    }

    @Test(
        "quote then split gives the word back",
        arguments: [
            "plain", "", "two words", "it's", "\"quoted\"", "$HOME", "a\\b", "tab\there", "new\nline", "*?[]",
            "--opt=value", "é ü", "'", "''", "back`tick`", "semi;colon", "-",
        ])
    func roundTrip(word: String) throws {
        let quoted = ShellWords.quote(word)
        #expect(try ShellWords.split(quoted) == [word])
        #expect(try ShellWords.split(quoted + " " + quoted) == [word, word])
    }

    @Test func quoteLeavesSafeWordsAlone() {
        #expect(ShellWords.quote("--port=80") == "--port=80")
        #expect(ShellWords.quote("a b") == "'a b'")
        #expect(ShellWords.quote("") == "''")
        #expect(ShellWords.quote("it's") == "'it'\\''s'")
    }
}
