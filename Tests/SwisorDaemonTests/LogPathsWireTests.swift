import SwisorCore
@testable import SwisorSystem
import Testing

/// `LogPaths.format` on the wire: present only when set, so older CLIs and dumps that do
/// not know it read the same JSON as before, and a CLI reads an older daemon's answer.
@Suite struct LogPathsWireTests {
    @Test func formatIsEncodedOnlyWhenPresent() throws {
        let old = LogPaths(out: "/h/a-out.log", err: "/h/a-error.log", combined: nil)
        #expect(String(decoding: try Wire.encode(old), as: UTF8.self) == #"{"err":"/h/a-error.log","out":"/h/a-out.log"}"#)
        var new = old
        new.format = LogFileFormat.lines(.json(.iso8601)).wire
        let text = String(decoding: try Wire.encode(new), as: UTF8.self)
        #expect(
            text == #"{"err":"/h/a-error.log","format":{"date_format":"YYYY-MM-DDTHH:mm:ss.SSSZ","type":"json"},"out":"/h/a-out.log"}"#)
        #expect(try Wire.decode(LogPaths.self, from: Array(text.utf8)) == new)
        #expect(try Wire.decode(LogPaths.self, from: Array(#"{"out":"/x"}"#.utf8)).format == nil)
        let plain = try Wire.decode(LogPaths.self, from: Array(#"{"out":"/x","format":{"type":"plain"}}"#.utf8))
        #expect(try plain.format.map(LogFileFormat.init(wire:)) == .plain)
    }
}
