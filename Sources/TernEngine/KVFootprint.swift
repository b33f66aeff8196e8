/// How much resident memory a KV-cache slot holding some number of tokens occupies.
///
/// Keys and values each fill a slot's region of a layer front to back, one row per position. Memory is counted in whole
/// pages, as the kernel backs it.
///
/// ```swift
/// let footprint = KVFootprint(config: model.config, contextLength: 8192)
/// footprint.bytes(tokens: 400)   // resident bytes of a 400-token sequence
/// ```
public struct KVFootprint: Sendable, Equatable {
    /// Transformer blocks, each with its own keys and values.
    public var layers: Int
    /// Width of the keys (and values) of one token in one layer.
    public var kvDimension: Int
    /// Positions per slot.
    public var contextLength: Int
    /// Size of a memory page in bytes.
    public var pageSize: Int

    /// A footprint for an explicit geometry.
    public init(layers: Int, kvDimension: Int, contextLength: Int, pageSize: Int = 4096) {
        self.layers = layers
        self.kvDimension = kvDimension
        self.contextLength = contextLength
        self.pageSize = pageSize
    }

    /// The footprint of a cache for `config` with `contextLength` positions per slot.
    public init(config: ModelConfig, contextLength: Int) {
        self.init(layers: config.blockCount, kvDimension: config.kvDimension, contextLength: contextLength, pageSize: KVCache.pageSize)
    }

    /// Resident bytes of one slot holding `tokens` positions (0 for an empty slot).
    public func bytes(tokens: Int) -> Int {
        guard tokens > 0 else { return 0 }
        let half = MemoryLayout<UInt16>.stride
        let region = min(roundUp(tokens * kvDimension * half), contextLength * kvDimension * half)
        return 2 * layers * region
    }

    /// Bytes one token adds once its pages are backed.
    public var bytesPerToken: Int { 2 * layers * kvDimension * MemoryLayout<UInt16>.stride }

    private func roundUp(_ bytes: Int) -> Int { (bytes + pageSize - 1) / pageSize * pageSize }
}
