import TernTensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keys and values of every layer for a fixed number of sequence slots, each up to `contextLength` tokens, in f16.
///
/// Half precision halves the memory and matches the reference engine's numerics. Keys and values are both stored one
/// row per position, so that a sequence's memory grows with its length and a token's key and value are each one write.
///
/// Memory is reserved once (anonymous, page-aligned mappings); pages the kernel never touches stay unbacked, so a large
/// context costs resident memory only as sequences grow into it, and ``release(slot:)`` hands a slot's pages back.
public final class KVCache: @unchecked Sendable {
    /// Number of sequences that can be held at once.
    public let slotCount: Int
    /// Positions per slot.
    public let contextLength: Int
    let layers: Int
    let kvDimension: Int
    /// [layers][slots][contextLength][kvDimension] f16
    let keys: UnsafeMutablePointer<UInt16>
    /// [layers][slots][contextLength][kvDimension] f16
    let values: UnsafeMutablePointer<UInt16>
    private let mappedBytes: Int

    /// The size of a memory page.
    public static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Reserves room for `slotCount` sequences of `contextLength` tokens of a model shaped like `config`.
    public init(config: ModelConfig, slotCount: Int, contextLength: Int) {
        precondition(slotCount > 0 && contextLength > 0)
        self.slotCount = slotCount
        self.contextLength = contextLength
        layers = config.blockCount
        kvDimension = config.kvDimension
        let bytes = layers * slotCount * contextLength * kvDimension * MemoryLayout<UInt16>.stride
        mappedBytes = (bytes + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        keys = Self.map(mappedBytes)
        values = Self.map(mappedBytes)
    }

    deinit {
        munmap(keys, mappedBytes)
        munmap(values, mappedBytes)
    }

    /// Bytes reserved (address space, not resident memory) for keys and values together.
    public var byteCount: Int { 2 * layers * slotCount * contextLength * kvDimension * MemoryLayout<UInt16>.stride }

    /// Offset of the first key or value of `slot` in `layer`.
    @inline(__always)
    func offset(layer: Int, slot: Int) -> Int {
        (layer * slotCount + slot) * contextLength * kvDimension
    }

    /// Copies the keys and values of the first `count` positions of `source` into `destination`, in every layer.
    ///
    /// Used to start a sequence from another one's prefix (the same system prompt) without computing it again.
    public func copyPrefix(from source: Int, to destination: Int, count: Int) {
        precondition(source != destination && (0..<slotCount).contains(source) && (0..<slotCount).contains(destination))
        precondition(count >= 0 && count <= contextLength)
        guard count > 0 else { return }
        for layer in 0..<layers {
            let from = offset(layer: layer, slot: source)
            let to = offset(layer: layer, slot: destination)
            (keys + to).update(from: keys + from, count: count * kvDimension)
            (values + to).update(from: values + from, count: count * kvDimension)
        }
    }

    /// Gives the memory pages of `slot` back to the system, all of them or those past its first `keeping` positions
    /// (a page that holds any of those stays); what they held becomes undefined (zero).
    public func release(slot: Int, keeping: Int = 0) {
        precondition((0..<slotCount).contains(slot) && keeping >= 0)
        guard keeping < contextLength else { return }
        let kept = keeping * kvDimension * MemoryLayout<UInt16>.stride
        let slotBytes = contextLength * kvDimension * MemoryLayout<UInt16>.stride
        for layer in 0..<layers {
            let start = offset(layer: layer, slot: slot) * MemoryLayout<UInt16>.stride + kept
            Self.discard(UnsafeMutableRawPointer(keys), from: start, count: slotBytes - kept)
            Self.discard(UnsafeMutableRawPointer(values), from: start, count: slotBytes - kept)
        }
    }

    /// `madvise(DONTNEED)` on the whole pages inside `[start, start + count)` of `base`.
    private static func discard(_ base: UnsafeMutableRawPointer, from start: Int, count: Int) {
        let first = (start + pageSize - 1) / pageSize * pageSize
        let end = (start + count) / pageSize * pageSize
        guard end > first else { return }
        #if canImport(Glibc)
            _ = madvise(base + first, end - first, Int32(MADV_DONTNEED))
        #else
            _ = madvise(base + first, end - first, MADV_FREE)
        #endif
    }

    private static func map(_ bytes: Int) -> UnsafeMutablePointer<UInt16> {
        AddressSpace.reserve(bytes, for: "the KV cache").bindMemory(to: UInt16.self, capacity: bytes / MemoryLayout<UInt16>.stride)
    }
}
