import Testing

@testable import SwisorCore

@Suite("App names")
struct AppNameTests {
    @Test(
        "valid names",
        arguments: ["api", "web-1", "A.b_c-d", "1app", "007x", "v1.2.3", String(repeating: "a", count: 64), "x"])
    func valid(name: String) {
        #expect(AppName.validate(name) == nil)
    }

    @Test(
        "invalid names say why",
        arguments: [
            ("", "a name cannot be empty"),
            ("all", "\"all\" is reserved: it means every app in a command"),
            ("123", "a name cannot be only digits: it would be read as an app id"),
            ("0", "a name cannot be only digits: it would be read as an app id"),
            (".hidden", "a name must start with a letter or a digit"),
            ("-x", "a name must start with a letter or a digit"),
            ("_x", "a name must start with a letter or a digit"),
            ("a b", "a name may contain only ASCII letters, digits, '.', '_' and '-', found a space"),
            ("a/b", "a name may contain only ASCII letters, digits, '.', '_' and '-', found '/'"),
            ("café", "a name may contain only ASCII letters, digits, '.', '_' and '-', found 'é'"),
            ("a\nb", "a name may contain only ASCII letters, digits, '.', '_' and '-', found a line break"),
            ("a\tb", "a name may contain only ASCII letters, digits, '.', '_' and '-', found a tab"),
            ("a\u{1}", "a name may contain only ASCII letters, digits, '.', '_' and '-', found a control character"),
            (String(repeating: "a", count: 65), "a name is at most 64 characters long, found 65"),
        ])
    func invalid(name: String, reason: String) {
        #expect(AppName.validate(name) == reason)
    }

    @Test func allIsReservedOnlyExactly() {
        #expect(AppName.validate("ALL") == nil)
        #expect(AppName.validate("all2") == nil)
    }
}
