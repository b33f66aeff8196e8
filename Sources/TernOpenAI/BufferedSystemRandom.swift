#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system's cryptographically secure random numbers, fetched 256 bytes at a time.
///
/// `SystemRandomNumberGenerator` makes one system call for every 8 bytes, so an id of 24 characters cost 24 calls;
/// with this one it costs one.
struct BufferedSystemRandom: RandomNumberGenerator {
    private var words = [UInt64](repeating: 0, count: 32)
    private var used = 32

    mutating func next() -> UInt64 {
        if used == words.count {
            words.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            used = 0
        }
        defer { used += 1 }
        return words[used]
    }
}
