/// Keys and values of every layer for a fixed number of sequence slots, each up to `contextLength` tokens, in f16.
///
/// Half precision halves the memory and matches the reference engine's numerics. Values are stored transposed
/// (one row per dimension, one column per position) so that weighting them by attention is a matrix-vector product.
///
/// Memory is reserved once; pages the kernel never touches stay unbacked, so a large context costs
/// resident memory only as sequences grow into it.
public final class KVCache: @unchecked Sendable {
    /// Number of sequences that can be held at once.
    public let slotCount: Int
    /// Positions per slot.
    public let contextLength: Int
    let layers: Int
    let kvDimension: Int
    /// [layers][slots][contextLength][kvDimension] f16
    let keys: UnsafeMutablePointer<UInt16>
    /// [layers][slots][kvDimension][contextLength] f16
    let values: UnsafeMutablePointer<UInt16>

    /// Reserves room for `slotCount` sequences of `contextLength` tokens of a model shaped like `config`.
    public init(config: ModelConfig, slotCount: Int, contextLength: Int) {
        precondition(slotCount > 0 && contextLength > 0)
        self.slotCount = slotCount
        self.contextLength = contextLength
        layers = config.blockCount
        kvDimension = config.kvDimension
        let count = layers * slotCount * contextLength * kvDimension
        keys = .allocate(capacity: count)
        values = .allocate(capacity: count)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes reserved for keys and values together.
    public var byteCount: Int { 2 * layers * slotCount * contextLength * kvDimension * MemoryLayout<UInt16>.stride }

    /// Offset of the first key or value of `slot` in `layer`.
    @inline(__always)
    func offset(layer: Int, slot: Int) -> Int {
        (layer * slotCount + slot) * contextLength * kvDimension
    }
}
