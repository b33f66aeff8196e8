#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system's cryptographically secure random numbers, read in one call for as many words as the caller said it
/// needs.
///
/// On Linux `SystemRandomNumberGenerator` makes one `getrandom` call for every 8 bytes, so an id of 24 characters
/// cost 24 system calls; with this one it costs one `read` of `/dev/urandom` (kept open). Where that cannot be
/// read, it falls back to `SystemRandomNumberGenerator`.
struct BufferedSystemRandom: RandomNumberGenerator {
    private var words: [UInt64]
    private var used: Int

    /// A generator that fetches `words` words (at least one, at most 64) per refill.
    init(words count: Int) {
        words = [UInt64](repeating: 0, count: min(max(count, 1), 64))
        used = words.count
    }

    mutating func next() -> UInt64 {
        if used == words.count {
            words.withUnsafeMutableBytes { bytes in
                guard !Self.fill(bytes) else { return }
                var system = SystemRandomNumberGenerator()
                for index in 0..<bytes.count / 8 { bytes.storeBytes(of: system.next(), toByteOffset: index * 8, as: UInt64.self) }
            }
            used = 0
        }
        defer { used += 1 }
        return words[used]
    }

    #if canImport(Darwin)
        private static func fill(_ bytes: UnsafeMutableRawBufferPointer) -> Bool {
            arc4random_buf(bytes.baseAddress!, bytes.count)
            return true
        }
    #else
        /// `/dev/urandom`, opened once for the process; -1 when it cannot be.
        private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

        /// Fills `bytes` from `/dev/urandom`; false when it cannot be read.
        private static func fill(_ bytes: UnsafeMutableRawBufferPointer) -> Bool {
            guard urandom >= 0 else { return false }
            var offset = 0
            while offset < bytes.count {
                let count = read(urandom, bytes.baseAddress! + offset, bytes.count - offset)
                if count > 0 {
                    offset += count
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    #endif
}
