import Testing
@testable import SwisorCore

@Suite struct ReleaseTests {
    @Test func theDaemonIsBesideTheCLI() {
        #expect(Release.daemonPath(besideCLI: "/usr/local/bin/swisor") == "/usr/local/bin/swisord")
        #expect(Release.daemonPath(besideCLI: "/opt/my apps/100%/swisor") == "/opt/my apps/100%/swisord")
        // Renamed or not, the daemon's name is fixed.
        #expect(Release.daemonPath(besideCLI: "/home/u/bin/sw") == "/home/u/bin/swisord")
        #expect(Release.daemonPath(besideCLI: "/swisor") == "/swisord")
        #expect(Release.daemonPath(besideCLI: "swisor") == "swisord")
        #expect(SystemdUnit(executable: "/usr/bin/swisor", home: "/root/.swisor").daemonExecutable == "/usr/bin/swisord")
    }

    /// The pid file names a live daemon only when that pid runs one: `swisord` (started
    /// by the CLI, or by the unit with --resurrect) or an earlier version's `swisor daemon`.
    @Test(arguments: [
        (["/usr/local/bin/swisord"], true),
        (["/usr/local/bin/swisord", "--resurrect"], true),
        (["swisord"], true),
        (["/usr/local/bin/swisor", "daemon"], true),
        (["/usr/local/bin/swisor", "daemon", "--resurrect"], true),
        (["/usr/local/bin/swisor", "list"], false),
        (["/usr/local/bin/swisor"], false),
        (["/usr/bin/sleep", "daemon"], false),
        (["/usr/local/bin/swisordx"], false),
        (["/srv/swisord/app", "daemon"], false),
        ([], false),
    ])
    func daemonCommandLines(argv: [String], isDaemon: Bool) {
        #expect(Release.isDaemonCommandLine(argv) == isDaemon, "\(argv)")
    }
}
