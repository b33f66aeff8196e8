import CTernKernels
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One mapping that holds the packed copies of a model's weight matrices, which the kernel may back with huge pages.
///
/// A decode step streams every weight once; in 4 KiB pages that is tens of thousands of TLB misses per step, in 2 MiB
/// pages a few dozen (measured: the products of a whole step 11–20 % faster). Matrices take consecutive 64-byte
/// aligned pieces; the mapping is returned when the arena and every matrix in it are gone. `base` never changes and
/// pieces are handed out under a lock, so an arena may be shared between threads.
public final class WeightArena: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    /// The first byte past what has been handed out.
    private let used = Mutex(0)

    /// The size of a huge page on x86-64 and most arm64 kernels; the mapping starts on such a boundary.
    static let hugePageSize = 2 << 20

    /// Reserves `capacity` bytes (address space; pages are backed as matrices are packed into them).
    public init(capacity: Int) {
        precondition(capacity >= 0)
        mappedBytes = (capacity + Self.hugePageSize - 1) / Self.hugePageSize * Self.hugePageSize + Self.hugePageSize
        let raw = AddressSpace.reserve(mappedBytes, for: "the weights")
        base = raw
        #if canImport(Glibc)
            let start = (Int(bitPattern: raw) + Self.hugePageSize - 1) / Self.hugePageSize * Self.hugePageSize - Int(bitPattern: raw)
            // A hint: where the kernel has no huge pages (or THP is off) the pages are ordinary ones.
            _ = madvise(raw + start, mappedBytes - start, Int32(MADV_HUGEPAGE))
            used.withLock { $0 = start }
        #endif
    }

    deinit { munmap(base, mappedBytes) }

    /// `bytes` bytes aligned to 64, or nil when the arena has no room left.
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        used.withLock { used in
            let start = (used + 63) / 64 * 64
            guard start + bytes <= mappedBytes else { return nil }
            used = start + bytes
            return base + start
        }
    }

    /// Bytes the packed copy of a `rows` × `columns` matrix of `type` takes in an arena (0 if it is not packed).
    public static func bytes(for type: TensorType, rows: Int, columns: Int) -> Int {
        let bytes =
            WeightMatrix.interleaves(type)
            ? tern_interleaved_bf16_bytes(Int64(rows), Int64(columns)) : tern_packed_bytes(Int32(type.rawValue), Int64(rows), Int64(columns))
        return bytes == 0 ? 0 : (bytes + 63) / 64 * 64
    }
}
