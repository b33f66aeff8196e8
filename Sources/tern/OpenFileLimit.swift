#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit, which bounds the connections `tern serve` can hold.
enum OpenFileLimit {
    /// Descriptors kept for everything but client connections: the model, the database, logs, the listener.
    static let reserve: rlim_t = 64

    /// Raises the soft limit as far as needed for `connections`, up to the hard limit.
    ///
    /// - Throws: ``CommandError`` when even the hard limit is too low, saying how many connections fit.
    static func raise(toFit connections: Int) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let needed = rlim_t(connections) + reserve
        if limit.rlim_cur < needed {
            var raised = limit
            raised.rlim_cur = min(needed, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur >= needed else {
            let fits = limit.rlim_cur > reserve ? limit.rlim_cur - reserve : 0
            throw CommandError(
                "--max-connections \(connections) needs \(needed) open files, but this process may open \(limit.rlim_cur) "
                    + "(ulimit -n). Use --max-connections \(fits) or less, or raise the limit.")
        }
    }
}
