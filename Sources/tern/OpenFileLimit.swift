#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit, which bounds the connections `tern serve` can hold.
enum OpenFileLimit {
    /// Descriptors kept for everything but client connections: the event loops, the model, the database and its
    /// connections, logs, the listener, and the 32 the listener leaves free (`AcceptPauseHandler`).
    static let reserve: rlim_t = 128

    /// Raises the soft limit to the hard one (at most 2^20), or at least as far as `connections` need.
    ///
    /// As far as allowed, not just as far as needed: upstream and database connections come on top of the clients',
    /// and a process out of descriptors is worse off than one holding many (libdispatch, behind Swift's timers and
    /// name resolution, ends the process when it cannot open a file under `/proc`).
    ///
    /// - Throws: ``CommandError`` when even the hard limit is too low, saying how many connections fit.
    static func raise(toFit connections: Int) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let needed = rlim_t(connections) + reserve
        let wanted = max(needed, min(limit.rlim_max, 1 << 20))
        for target in [wanted, needed] where limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = min(target, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                limit = raised
                break
            }
        }
        guard limit.rlim_cur >= needed else {
            let fits = limit.rlim_cur > reserve ? limit.rlim_cur - reserve : 0
            throw CommandError(
                "--max-connections \(connections) needs \(needed) open files, but this process may open \(limit.rlim_cur) "
                    + "(ulimit -n). Use --max-connections \(fits) or less, or raise the limit.")
        }
    }
}
