import Foundation
import SwisorCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The two executables (docs/design.md, "CLI start-up"): `swisor`, the CLI, starts
/// `swisord`, the daemon, from its own folder; the daemon parses its few options by hand;
/// a CLI without its daemon beside it says where it looked.
@Suite struct ExecutablesTests {
    @Test func theCLIAndTheDaemonAreOneVersion() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        // --version: the release's version, as argument-parser prints it, from both.
        let cli = h.run(["--version"])
        #expect(cli.status == 0 && cli.stdout == Release.version + "\n" && cli.stderr.isEmpty, "\(cli)")
        let daemon = h.run(["--version"], program: h.daemonBin)
        #expect(daemon.status == 0 && daemon.stdout == Release.version + "\n" && daemon.stderr.isEmpty, "\(daemon)")
        try h.startDaemon()
        let ping = h.run(["ping"])
        #expect(ping.stdout.hasPrefix("swisor daemon \(Release.version), pid"), "\(ping.stdout)")
    }

    @Test func theDaemonParsesItsFewOptions() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        for flag in ["-h", "--help"] {
            let help = h.run([flag], program: h.daemonBin)
            #expect(help.status == 0 && help.stdout.hasPrefix("Usage: swisord [--resurrect]\n"), "\(help)")
            #expect(help.stdout.contains("--resurrect") && help.stderr.isEmpty)
        }
        // 64 (EX_USAGE), as the CLI's usage errors; and no daemon was started.
        let bad = h.run(["daemon"], program: h.daemonBin)
        #expect(bad.status == 64, "\(bad)")
        #expect(bad.stderr.hasPrefix("swisord: unknown argument 'daemon'\nUsage: swisord"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.home + "/swisor.sock"))
    }

    /// The autostarted daemon is the swisord beside the CLI, and the pid file check that
    /// tells a live daemon from a stale pid knows both command lines.
    @Test func theCLIStartsTheDaemonBesideIt() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let s = try h.script("s.sh", "exec sleep 1000\n")
        try h.must(["start", s])
        h.track(try #require(try h.app("s")?.pid))
        let pid = try #require(h.daemonPID)
        let cmdline = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"))
        let argv = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let expected = URL(fileURLWithPath: h.daemonBin).resolvingSymlinksInPath().path
        #expect(argv == [expected], "\(argv)")
        #expect(Release.isDaemonCommandLine(argv))
    }

    @Test func aCLIWithoutItsDaemonSaysWhereItLooked() throws {
        let h = try Harness(startDaemon: false)
        defer { h.shutdown() }
        let folder = h.home + "/alone"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let alone = folder + "/swisor"
        try FileManager.default.copyItem(atPath: h.bin, toPath: alone)
        let s = try h.script("s.sh", "exec sleep 1000\n")

        let start = h.run(["start", s], program: alone)
        #expect(start.status == 1, "\(start)")
        #expect(start.stderr == "Error: cannot start the swisor daemon: cannot execute \(folder)/swisord: No such file or directory (ENOENT) (swisord is installed beside swisor)\n", "\(start.stderr)")

        let daemon = h.run(["daemon"], program: alone)
        #expect(daemon.status == 1, "\(daemon)")
        #expect(daemon.stderr == "Error: cannot run the swisor daemon: execv \(folder)/swisord: No such file or directory (ENOENT) (swisord is installed beside swisor)\n", "\(daemon.stderr)")
        #expect(h.run(["ping"]).status == 1, "nothing started")
    }
}
