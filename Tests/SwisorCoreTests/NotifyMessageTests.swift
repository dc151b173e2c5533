import Testing
@testable import SwisorCore

@Suite struct NotifyMessageTests {
    @Test func readsTheWellKnownAssignments() {
        let m = NotifyMessage.parse(
            "READY=1\nSTATUS=Serving 12 requests/s\nWATCHDOG=1\nWATCHDOG_USEC=20000000\nMAINPID=4711\nERRNO=2\nX_APP=yes\n")
        #expect(m.ready)
        #expect(!m.reloading && !m.stopping && !m.watchdogTrigger)
        #expect(m.status == "Serving 12 requests/s")
        #expect(m.watchdogPing)
        #expect(m.watchdogUsec == 20_000_000)
        #expect(m.mainPID == 4711)
        #expect(m.errno == 2)
        #expect(m.other == [.init("X_APP", "yes")])
        #expect(m.problems.isEmpty)
    }

    @Test func flagsAndTheirOtherValues() {
        let m = NotifyMessage.parse("RELOADING=1\nMONOTONIC_USEC=123456789\nSTOPPING=1\nWATCHDOG=trigger")
        #expect(m.reloading && m.stopping && m.watchdogTrigger)
        #expect(!m.ready && !m.watchdogPing)
        #expect(m.monotonicUsec == 123_456_789)
        // READY=0 is not defined (sd_notify(3)): kept, not read as "not ready".
        let zero = NotifyMessage.parse("READY=0\nWATCHDOG=2")
        #expect(!zero.ready && !zero.watchdogPing)
        #expect(zero.other == [.init("READY", "0"), .init("WATCHDOG", "2")])
        // A flag counts wherever it is; both watchdog forms can come together.
        let both = NotifyMessage.parse("WATCHDOG=1\nWATCHDOG=trigger\nREADY=1\nREADY=1")
        #expect(both.watchdogPing && both.watchdogTrigger && both.ready && both.problems.isEmpty)
    }

    @Test func emptyAndTrailingLinesAreNothing() {
        #expect(NotifyMessage.parse("READY=1") == NotifyMessage.parse("READY=1\n"))
        #expect(NotifyMessage.parse("\n\nREADY=1\n\n").ready)
        let empty = NotifyMessage.parse("")
        #expect(empty == NotifyMessage())
        #expect(NotifyMessage.parse([]) == NotifyMessage())
    }

    @Test func malformedLinesAreIgnoredAndReported() {
        let m = NotifyMessage.parse("hello\nREADY=1\n=value\nMAINPID=abc\nMAINPID=0\nERRNO=-1\nWATCHDOG_USEC=1e6")
        #expect(m.ready)
        #expect(m.mainPID == nil && m.errno == nil && m.watchdogUsec == nil)
        #expect(m.problems.count == 6)
        #expect(m.problems[0] == "line 1 is not an assignment: \"hello\"")
        #expect(m.problems[1].hasPrefix("line 3 is not an assignment"))
        #expect(m.problems[2] == "line 4: MAINPID expects a process id, found \"abc\"")
        #expect(m.problems[3].hasPrefix("line 5: MAINPID"))  // a pid is positive
        #expect(m.problems[4].hasPrefix("line 6: ERRNO"))
        #expect(m.problems[5].hasPrefix("line 7: WATCHDOG_USEC"))
        let nul = NotifyMessage.parse([UInt8]("STATUS=a".utf8) + [0] + [UInt8]("b\nREADY=1".utf8))
        #expect(nul.status == nil && nul.ready)
        #expect(nul.problems == ["line 1 contains a NUL byte, ignored"])
        #expect(NotifyMessage.parse("MAINPID=99999999999999999999999").mainPID == nil)
    }

    /// systemd looks each variable up from the start: the first value is the one used.
    @Test func aRepeatedValueKeepsTheFirst() {
        let m = NotifyMessage.parse("STATUS=one\nSTATUS=two\nMAINPID=10\nMAINPID=11")
        #expect(m.status == "one")
        #expect(m.mainPID == 10)
        #expect(m.problems == [
            "line 2: STATUS given again, the first value is kept",
            "line 4: MAINPID given again, the first value is kept",
        ])
    }

    @Test func statusIsOneSafeCappedLine() {
        // A value may hold '=': only the first one separates.
        #expect(NotifyMessage.parse("STATUS=a=b").status == "a=b")
        #expect(NotifyMessage.parse("STATUS=").status == "")
        // A terminal escape sequence or a carriage return is made inert.
        #expect(NotifyMessage.parse("STATUS=\u{1B}[2Jgone\r").status == "\u{FFFD}[2Jgone\u{FFFD}")
        let long = String(repeating: "é", count: 600)  // 1200 bytes
        let m = NotifyMessage.parse("STATUS=" + long)
        let status = m.status ?? ""
        #expect(status.utf8.count == NotifyMessage.maxStatusBytes)
        #expect(status == String(repeating: "é", count: 512))
        #expect(m.problems == ["line 1: STATUS longer than 1024 bytes, cut"])
        // Cut between whole characters: a 3-byte scalar that does not fit is dropped.
        #expect(NotifyMessage.prefix("ab€", maxBytes: 4) == "ab")
        // Invalid UTF-8 is repaired, not refused.
        let bad = NotifyMessage.parse([UInt8]("STATUS=a".utf8) + [0xFF] + [UInt8]("b".utf8))
        #expect(bad.status == "a\u{FFFD}b")
    }

    @Test func rendersWhatTheDaemonSends() {
        #expect(NotifyMessage.ready().text == "READY=1")
        #expect(NotifyMessage.ready(status: "3 apps online").text == "READY=1\nSTATUS=3 apps online")
        #expect(NotifyMessage.stopping(status: "stopping 3 apps").text == "STOPPING=1\nSTATUS=stopping 3 apps")
        #expect(NotifyMessage.reloading(monotonicUsec: 42_000_000).text == "RELOADING=1\nMONOTONIC_USEC=42000000")
        #expect(NotifyMessage.watchdog.text == "WATCHDOG=1")
        #expect(NotifyMessage.status("idle").text == "STATUS=idle")
        // A newline in a status cannot start a second assignment.
        #expect(NotifyMessage.status("ok\nREADY=1").text == "STATUS=ok\u{FFFD}READY=1")
        var m = NotifyMessage(mainPID: 7, other: [.init("X_A", "1"), .init("BAD=NAME", "x"), .init("", "y")])
        #expect(m.text == "MAINPID=7\nX_A=1")
        m.problems = ["never sent"]
        #expect(!m.text.contains("never"))
    }

    @Test func whatIsRenderedParsesBack() {
        let sent = NotifyMessage(
            ready: true, reloading: true, stopping: true, status: "all good", watchdogPing: true,
            watchdogTrigger: true, watchdogUsec: 5_000_000, monotonicUsec: 99, mainPID: 1234, errno: 13,
            other: [.init("EXTEND_TIMEOUT_USEC", "1000000"), .init("X_NOTE", "a=b")])
        #expect(NotifyMessage.parse(sent.text) == sent)
    }
}
