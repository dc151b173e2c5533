import Foundation
import SwisorSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Names another user could have planted where the daemon (root) writes: a symlink or a
/// hard link to a file only root may write, a symlink at a temporary name, a file of
/// theirs among the rotated logs (issue 13, item 5).
@Suite struct PlantedFileTests {
    /// A directory anyone may write to, as /tmp or a shared log folder, and a root-only
    /// file outside it.
    struct Scene {
        let dir: TemporaryDirectory
        var shared: String { dir.file("shared") }
        var secret: String { dir.file("secret") }
        init() throws {
            dir = try TemporaryDirectory()
            // Writable by all and not sticky, as a carelessly made /var/log/app: the
            // kernel's protected_symlinks (sticky folders only) does not help here.
            mkdir(dir.file("shared"), 0o777)
            chmod(dir.file("shared"), 0o777)
            try dir.write("secret", "root only\n")
            chmod(dir.file("secret"), 0o600)
        }
        /// A symlink owned by uid 65534, as an unprivileged user would make it.
        func plantLink(_ name: String, to target: String) {
            symlink(target, shared + "/" + name)
            lchown(shared + "/" + name, 65534, 65534)
        }
        var secretText: String { (try? String(contentsOfFile: secret, encoding: .utf8)) ?? "" }
    }

    @Test func aSymlinkAnotherUserPlantedIsNotFollowed() throws {
        let s = try Scene()
        s.plantLink("app-out.log", to: s.secret)
        #expect(throws: SystemError.self) { try FileSystem.openForAppend(s.shared + "/app-out.log", mode: 0o640) }
        do {
            _ = try FileSystem.openForAppend(s.shared + "/app-out.log", mode: 0o640)
        } catch {
            #expect(error.description.contains("a symbolic link another user could have made: not followed"), "\(error)")
        }
        #expect(s.secretText == "root only\n")
    }

    @Test func aSymlinkOnlyRootCouldHaveMadeIsFollowed() throws {
        let s = try Scene()
        // Root's own link in a folder nobody else may write (as /dev/stdout is).
        let own = s.dir.file("own")
        mkdir(own, 0o755)
        try s.dir.write("own/real.log", "")
        symlink(own + "/real.log", own + "/app-out.log")
        let fd = try FileSystem.openForAppend(own + "/app-out.log", mode: 0o640)
        try fd.writeAll(Array("x\n".utf8))
        fd.close()
        #expect((try? String(contentsOfFile: own + "/real.log", encoding: .utf8)) == "x\n")
        // The same link in a folder others may write to is not followed: it could be swapped.
        symlink(own + "/real.log", s.shared + "/root-link.log")
        #expect(throws: SystemError.self) { try FileSystem.openForAppend(s.shared + "/root-link.log", mode: 0o640) }
    }

    @Test func aHardLinkToAnotherFileIsRefused() throws {
        let s = try Scene()
        link(s.secret, s.shared + "/hard-out.log")
        do {
            _ = try FileSystem.openForAppend(s.shared + "/hard-out.log", mode: 0o640)
            Issue.record("a file with two links was opened")
        } catch {
            #expect(error.description.contains("a file with 2 hard links"), "\(error)")
        }
        #expect(s.secretText == "root only\n")
        // A fresh log file is created and opened as before.
        let fd = try FileSystem.openForAppend(s.shared + "/new-out.log", mode: 0o640)
        fd.close()
    }

    @Test func theCompressorsTemporaryNameCannotBeAimedElsewhere() throws {
        let s = try Scene()
        try s.dir.write("shared/app-out__2026-12-03.log", "rotated lines\n")
        s.plantLink("app-out__2026-12-03.log.gz.tmp", to: s.secret)
        try Gzip.compress(s.shared + "/app-out__2026-12-03.log", to: s.shared + "/app-out__2026-12-03.log.gz")
        #expect(s.secretText == "root only\n", "the planted link was replaced, not written through")
        let back = try #require(Gzip.decompress(s.shared + "/app-out__2026-12-03.log.gz"))
        #expect(String(decoding: back, as: UTF8.self) == "rotated lines\n")
    }

    @Test func retentionRemovesOnlyTheDaemonsOwnFiles() throws {
        let s = try Scene()
        try s.dir.write("shared/theirs.log", "another user's\n")
        chown(s.shared + "/theirs.log", 65534, 65534)
        s.plantLink("link.log", to: s.secret)
        try s.dir.write("shared/mine.log", "ours\n")
        FileSystem.removeOwnFile(s.shared + "/theirs.log")
        FileSystem.removeOwnFile(s.shared + "/link.log")
        FileSystem.removeOwnFile(s.shared + "/mine.log")
        #expect(FileManager.default.fileExists(atPath: s.shared + "/theirs.log"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: s.shared + "/link.log")) == s.secret)
        #expect(!FileManager.default.fileExists(atPath: s.shared + "/mine.log"))
        #expect(s.secretText == "root only\n")
    }
}
