import Testing
@testable import SwisorCore

@Suite struct SystemdUnitTests {
    let plain = SystemdUnit(executable: "/usr/local/bin/swisor", home: "/root/.swisor")

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// The directives a supervisor under systemd needs (issue 5), each exactly once.
    @Test func serviceHasEveryRequiredDirective() throws {
        let text = try plain.serviceText()
        let l = lines(text)
        for expected in [
            "Type=notify", "NotifyAccess=main",
            "ExecStart=/usr/local/bin/swisord --resurrect",
            "ExecReload=/usr/local/bin/swisor reload all",
            "Delegate=yes", "KillMode=mixed", "OOMPolicy=continue", "Restart=on-failure",
            "TimeoutStopSec=30", "LimitNOFILE=65536:524288",
            "Environment=SWISOR_HOME=/root/.swisor",
            "WantedBy=multi-user.target", "After=network-online.target", "Wants=network-online.target",
        ] {
            #expect(l.filter { $0 == expected }.count == 1, "\(expected)")
        }
        #expect(!l.contains { $0.hasPrefix("User=") || $0.hasPrefix("Group=") || $0.hasPrefix("WatchdogSec=") })
        #expect(text.hasSuffix("\n") && !text.hasSuffix("\n\n"))
        // Sections in order, each directive under the right one.
        let sections = l.filter { $0.hasPrefix("[") }
        #expect(sections == ["[Unit]", "[Service]", "[Install]"])
        let service = try #require(l.firstIndex(of: "[Service]"))
        let install = try #require(l.firstIndex(of: "[Install]"))
        let delegate = try #require(l.firstIndex(of: "Delegate=yes"))
        #expect(service < delegate && delegate < install)
    }

    @Test func socketListensOnTheHomeSocket() throws {
        let l = lines(try plain.socketText())
        for expected in [
            "ListenStream=/root/.swisor/swisor.sock", "SocketMode=0600", "DirectoryMode=0700",
            "Service=swisor.service", "WantedBy=sockets.target",
        ] {
            #expect(l.contains(expected), "\(expected)")
        }
        #expect(!l.contains { $0.hasPrefix("SocketUser=") })
        #expect(l.filter { $0.hasPrefix("[") } == ["[Unit]", "[Socket]", "[Install]"])
    }

    @Test func forAUserTheUnitsRunAsThemUnderTheirOwnName() throws {
        let u = SystemdUnit(executable: "/usr/bin/swisor", home: "/home/alice/.swisor", user: "alice", group: "staff",
                            watchdogSec: 20)
        #expect(u.serviceName == "swisor-alice.service")
        #expect(u.socketName == "swisor-alice.socket")
        let service = lines(try u.serviceText())
        #expect(service.contains("User=alice"))
        #expect(service.contains("Group=staff"))
        #expect(service.contains("WatchdogSec=20"))
        #expect(service.contains("Environment=SWISOR_HOME=/home/alice/.swisor"))
        #expect(service.contains("Description=swisor process supervisor (alice)"))
        let socket = lines(try u.socketText())
        #expect(socket.contains("SocketUser=alice"))
        #expect(socket.contains("SocketGroup=staff"))
        #expect(socket.contains("Service=swisor-alice.service"))
        #expect(socket.contains("ListenStream=/home/alice/.swisor/swisor.sock"))
    }

    @Test func aUserUnitHasNoUserAndStartsWithTheSession() throws {
        let u = SystemdUnit(executable: "/home/bob/.local/bin/swisor", home: "/home/bob/.swisor", scope: .user)
        #expect(u.serviceName == "swisor.service")
        let l = lines(try u.serviceText())
        #expect(l.contains("WantedBy=default.target"))
        // network-online.target is a system unit, out of a user manager's reach.
        #expect(!l.contains { $0.contains("network-online") })
        #expect(l.contains { $0.contains("systemctl --user edit swisor.service") })
        var withUser = u
        withUser.user = "bob"
        #expect(throws: SystemdUnitError.self) { try withUser.serviceText() }
    }

    @Test func unitNames() {
        #expect(SystemdUnit.baseName(user: nil) == "swisor")
        #expect(SystemdUnit.baseName(user: "www-data") == "swisor-www-data")
        #expect(plain.serviceName == "swisor.service")
        #expect(plain.socketName == "swisor.socket")
    }

    // MARK: TimeoutStopSec

    @Test func timeoutStopCoversTheLongestKillTimeoutPlusAMargin() {
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: 1600) == 30)  // the floor
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: 0) == 30)
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: -5) == 30)
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: 20_000) == 30)
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: 20_001) == 31)  // rounded up
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: 60_000) == 70)
        #expect(SystemdUnit.timeoutStopSeconds(maxKillTimeoutMs: Int.max) > 0)
        let specs = [
            AppSpec(name: "a", script: "/x", cwd: "/", killTimeoutMs: 5000),
            AppSpec(name: "b", script: "/x", cwd: "/", killTimeoutMs: 45_500),
        ]
        #expect(SystemdUnit.timeoutStopSeconds(for: specs) == 56)
        #expect(SystemdUnit.timeoutStopSeconds(for: []) == 30)
        let u = SystemdUnit(executable: "/x", home: "/h", timeoutStopSec: SystemdUnit.timeoutStopSeconds(for: specs))
        #expect(lines((try? u.serviceText()) ?? "").contains("TimeoutStopSec=56"))
    }

    // MARK: Escaping (systemd.syntax(7), systemd.service(5) "Command lines")

    @Test func commandWordsAreQuotedOnlyWhenNeeded() {
        #expect(SystemdUnit.commandWord("/usr/bin/swisor", isProgram: true) == "/usr/bin/swisor")
        #expect(SystemdUnit.commandWord("/opt/my apps/swisor", isProgram: true) == "\"/opt/my apps/swisor\"")
        #expect(SystemdUnit.commandWord("/opt/100%/swisor", isProgram: true) == "/opt/100%%/swisor")
        #expect(SystemdUnit.commandWord("/opt/it's/swisor", isProgram: true) == "\"/opt/it's/swisor\"")
        #expect(SystemdUnit.commandWord("/opt/\"q\"\\b", isProgram: true) == "\"/opt/\\\"q\\\"\\\\b\"")
        #expect(SystemdUnit.commandWord("a\tb") == "\"a\\x09b\"")
        #expect(SystemdUnit.commandWord("") == "\"\"")
        // Arguments have $NAME expanded: a literal dollar is $$.
        #expect(SystemdUnit.commandWord("$HOME") == "$$HOME")
        #expect(SystemdUnit.commandWord(";") == "\\;")
    }

    @Test func environmentValuesAreQuotedAsOneAssignment() {
        #expect(SystemdUnit.environmentAssignment(name: "SWISOR_HOME", value: "/root/.swisor")
            == "Environment=SWISOR_HOME=/root/.swisor")
        #expect(SystemdUnit.environmentAssignment(name: "SWISOR_HOME", value: "/srv/my home")
            == "Environment=\"SWISOR_HOME=/srv/my home\"")
        #expect(SystemdUnit.environmentAssignment(name: "SWISOR_HOME", value: "/srv/50%/\"x\"\\y")
            == "Environment=\"SWISOR_HOME=/srv/50%%/\\\"x\\\"\\\\y\"")
        // No variable expansion in Environment=: the dollar stays single.
        #expect(SystemdUnit.environmentAssignment(name: "SWISOR_HOME", value: "/srv/$x")
            == "Environment=SWISOR_HOME=/srv/$x")
    }

    @Test func awkwardPathsAreEscapedInEveryDirective() throws {
        let u = SystemdUnit(executable: "/opt/my apps/100%/swisor", home: "/srv/a b/50%")
        let service = lines(try u.serviceText())
        #expect(service.contains("ExecStart=\"/opt/my apps/100%%/swisord\" --resurrect"))
        #expect(service.contains("ExecReload=\"/opt/my apps/100%%/swisor\" reload all"))
        #expect(service.contains("Environment=\"SWISOR_HOME=/srv/a b/50%%\""))
        // ListenStream= is not unquoted: the rest of the line is the path.
        #expect(lines(try u.socketText()).contains("ListenStream=/srv/a b/50%%/swisor.sock"))
    }

    // MARK: Validation

    @Test func refusesWhatCannotBeWrittenOrWouldNotWork() {
        func problem(_ configure: (inout SystemdUnit) -> Void) -> String? {
            var u = plain
            configure(&u)
            do {
                _ = try u.serviceText()
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0.executable = "swisor" }?.contains("absolute") == true)
        #expect(problem { $0.executable = "/usr//bin/swisor" }?.contains("normalized") == true)
        #expect(problem { $0.executable = "/usr/bin/../swisor" }?.contains("normalized") == true)
        #expect(problem { $0.executable = "/opt/$x/swisor" }?.contains("'$'") == true)
        #expect(problem { $0.executable = "/opt/a\nb" }?.contains("control character") == true)
        #expect(problem { $0.home = "relative/home" }?.hasPrefix("home \"relative/home\": ") == true)
        #expect(problem { $0.home = "/h/" }?.contains("normalized") == true)
        #expect(problem { $0.home = "/" + String(repeating: "h", count: 100) }?.contains("Unix socket path") == true)
        #expect(problem { $0.home = "/" + String(repeating: "h", count: 94) } == nil)  // 95 + 12 = 107 bytes
        #expect(problem { $0.user = "" }?.contains("empty") == true)
        #expect(problem { $0.user = "-x" }?.contains("cannot start") == true)
        #expect(problem { $0.user = "a b" }?.contains("ASCII letters") == true)
        #expect(problem { $0.user = "al%ce" }?.contains("ASCII letters") == true)
        #expect(problem { $0.user = "al@corp" }?.contains("ASCII letters") == true)
        #expect(problem { $0.user = String(repeating: "u", count: 33) }?.contains("32") == true)
        #expect(problem { $0.user = "_apt" } == nil)
        #expect(problem { $0.user = "nobody" }?.contains("as nobody") == true)
        #expect(problem { $0.group = "nobody" }?.hasPrefix("group ") == true)
        #expect(problem { $0.group = "a:b" }?.hasPrefix("group ") == true)
        #expect(problem { $0.timeoutStopSec = 0 } != nil)
        #expect(problem { $0.watchdogSec = 0 } != nil)
        #expect(problem { $0.limitNOFILE = .init(soft: 0) } != nil)
        #expect(problem { $0.limitNOFILE = .init(soft: 10, hard: 5) } != nil)
        #expect(problem { $0.limitNOFILE = .init(soft: 4096) } == nil)
    }

    @Test func aSingleFileLimitSetsBoth() throws {
        let u = SystemdUnit(executable: "/x", home: "/h", limitNOFILE: .init(soft: 4096))
        #expect(lines(try u.serviceText()).contains("LimitNOFILE=4096"))
    }
}
