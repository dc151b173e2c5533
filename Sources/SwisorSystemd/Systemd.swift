import CSystemd
import SwisorSystem

/// The daemon's side of systemd's notify protocol, through libsystemd. Without
/// NOTIFY_SOCKET (not started by systemd) sd_notify is a no-op that returns 0.
public enum SystemdNotify {
    @discardableResult
    public static func send(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// WatchdogSec of the unit, in microseconds, when the watchdog is on for this process
    /// (WATCHDOG_USEC, and WATCHDOG_PID naming this process when set); nil otherwise.
    public static func watchdogUsec() -> UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? usec : nil
    }
}

/// Socket activation (sd_listen_fds(3)): the listening sockets systemd passed, from fd 3.
public enum SystemdSockets {
    public struct Passed {
        /// The listening Unix stream socket to serve, if one was passed.
        public var listener: FileDescriptor?
        /// Passed fds that are not that (closed by `take`), described for the log.
        public var ignored: [String]
    }

    /// Takes the passed fds (and unsets LISTEN_FDS/LISTEN_PID, so apps never inherit
    /// them): the first listening AF_UNIX stream socket is the control socket; any other
    /// fd is closed and reported. nil when nothing was passed to this process.
    public static func take() -> Passed? {
        let count = sd_listen_fds(1)
        guard count > 0 else { return nil }
        var passed = Passed(listener: nil, ignored: [])
        for fd in SD_LISTEN_FDS_START..<(SD_LISTEN_FDS_START + count) {
            if passed.listener == nil && sd_is_socket_unix(fd, 1 /* SOCK_STREAM */, 1, nil, 0) > 0 {
                let sock = FileDescriptor(rawValue: fd)
                // sd_listen_fds set close-on-exec; non-blocking is the loop's rule.
                try? sock.setNonBlocking()
                passed.listener = sock
            } else {
                passed.ignored.append("fd \(fd)")
                FileDescriptor(rawValue: fd).close()
            }
        }
        return passed
    }
}
