import CSystemd

/// The daemon's side of systemd's notify protocol, through libsystemd. Without
/// NOTIFY_SOCKET (not started by systemd) sd_notify is a no-op that returns 0.
public enum SystemdNotify {
    @discardableResult
    public static func send(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }
}
