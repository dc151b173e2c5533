#if canImport(Glibc)
import Glibc
#endif

/// The daemon's open-file limit. It holds a few descriptors per app (two pipes, a
/// notify socket, the cgroup files the sampler keeps open), so 1,000 apps started from
/// a shell with the usual soft limit of 1024 would run out. As systemd does for itself,
/// the daemon raises its soft limit to the hard one and gives every app the limit it
/// was itself given, so apps see what they would have seen without it (a select()-
/// based app keeps its 1024).
public enum FileLimits {
    /// Raises the soft RLIMIT_NOFILE to the hard limit. Returns the limit as it was,
    /// for the apps, when it changed; nil when nothing changed (apps inherit it as is).
    public static func raiseForDaemon() -> rlimit? {
        var original = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &original) == 0, original.rlim_cur < original.rlim_max else { return nil }
        var raised = original
        raised.rlim_cur = original.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 else { return nil }
        return original
    }
}
