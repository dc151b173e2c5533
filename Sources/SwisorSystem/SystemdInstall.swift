#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// The Linux side of `swisor startup` / `unstartup`: the user database, files written
/// whole, and running systemctl with its output kept for the error message.

/// One entry of the user database (passwd(5)).
public struct Account: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    /// pw_dir: the user's home directory.
    public var directory: String

    /// The entry for `name`, nil when there is none. getpwnam_r, so that NSS errors
    /// (an unreachable LDAP server) are told apart from "no such user".
    public static func lookup(_ name: String) throws(SystemError) -> Account? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 << 10)
        while true {
            let code = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
            if code == ERANGE, buffer.count < 1 << 20 {
                buffer = [CChar](repeating: 0, count: buffer.count * 4)
                continue
            }
            // ENOENT, ESRCH, EBADF and EPERM also mean "not found" (getpwnam_r(3)).
            if code != 0, ![ENOENT, ESRCH, EBADF, EPERM].contains(code) {
                throw SystemError("getpwnam_r", subject: name, errno: code)
            }
            guard result != nil else { return nil }
            return Account(
                name: name, uid: entry.pw_uid, gid: entry.pw_gid,
                directory: entry.pw_dir.map { String(cString: $0) } ?? "/")
        }
    }
}

/// systemd as this machine runs it.
public enum SystemdHost {
    /// Whether systemd is the running init system (sd_booted(3): /run/systemd/system/
    /// exists). Without it there is no manager to reload; `systemctl enable` still works,
    /// offline, on the unit files.
    public static var isBooted: Bool { sd_booted() > 0 }
}

/// A helper program run to completion, its stdout and stderr kept together.
public struct ProgramRun: Sendable {
    public var status: Int32
    public var output: String
    public var succeeded: Bool { status == 0 }

    /// Runs `argv` (argv[0] an absolute path) with `environment`, stdin /dev/null, and
    /// waits for it. A program that cannot be started is a SpawnError.
    public static func run(_ argv: [String], environment: [String: String]) throws(SpawnError) -> ProgramRun {
        let pipe: Pipe
        do {
            pipe = try Pipe.make()
        } catch {
            throw SpawnError(stage: .pipe, errno: error.errno, subject: argv.first ?? "")
        }
        let pid: pid_t
        do throws(SpawnError) {
            pid = try Spawner.spawn(SpawnRequest(
                argv: argv, environment: environment, cwd: "/", stdout: pipe.writeEnd, stderr: pipe.writeEnd))
        } catch {
            pipe.readEnd.close()
            pipe.writeEnd.close()
            throw error
        }
        pipe.writeEnd.close()
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            guard let n = chunk.withUnsafeMutableBytes({ try? pipe.readEnd.read(into: $0) }), n > 0 else { break }
            // A chatty program is cut, not allowed to fill memory.
            if output.count < 1 << 20 { output.append(contentsOf: chunk[0..<n]) }
        }
        pipe.readEnd.close()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return ProgramRun(status: -1, output: String(decoding: output, as: UTF8.self)) }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let code: Int32 = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ProgramRun(status: code, output: String(decoding: output, as: UTF8.self))
    }
}
