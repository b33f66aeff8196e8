#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Anonymous private mappings: address space reserved up front, whose pages the kernel backs only when written.
public enum AddressSpace {
    /// Reserves `bytes` of readable, writable address space, zero-filled on first touch. Stops the process when the
    /// system refuses, naming `purpose` ("the KV cache"), as a reservation this size is made once at start.
    public static func reserve(_ bytes: Int, for purpose: String) -> UnsafeMutableRawPointer {
        #if canImport(Glibc)
            let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
            let flags = MAP_PRIVATE | MAP_ANON
        #endif
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0), raw != MAP_FAILED else {
            fatalError("could not reserve \(bytes) bytes of address space for \(purpose)")
        }
        return raw
    }
}
