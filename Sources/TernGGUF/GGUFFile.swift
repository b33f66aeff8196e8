/// A parsed GGUF file: its metadata, its tensor directory and zero-copy views of tensor data.
///
/// The file is memory-mapped read-only; tensor data is never copied. Everything the file says is
/// checked when it is opened, so a malformed file throws ``GGUFError`` instead of crashing later.
///
/// ```swift
/// let file = try GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let arch = file.metadata["general.architecture"]?.string   // "llama"
/// if let info = file.tensor(named: "token_embd.weight") {
///     let bytes = file.data(for: info)                       // points into the mapping
/// }
/// ```
public final class GGUFFile: @unchecked Sendable {
    /// The alignment of tensor data when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// The most dimensions a tensor may have.
    public static let maxDimensions: UInt32 = 4
    /// The deepest nesting of arrays inside a metadata value.
    public static let maxArrayNesting = 8

    /// The GGUF format version (2 or 3).
    public let version: UInt32
    /// The alignment of tensor data in bytes (`general.alignment`, default 32).
    public let alignment: Int
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// The tensor directory in file order.
    public let tensors: [GGUFTensorInfo]
    /// Absolute file offset of the tensor data section.
    public let dataOffset: Int

    private let storage: GGUFStorage
    private let tensorIndex: [String: Int]

    /// Opens and memory-maps the GGUF file at `path` read-only, then parses and validates it.
    public convenience init(path: String) throws(GGUFError) {
        try self.init(storage: GGUFStorage(path: path))
    }

    /// Parses a GGUF file held in memory; the bytes are copied into memory this object owns.
    public convenience init(bytes: [UInt8]) throws(GGUFError) {
        try self.init(storage: GGUFStorage(bytes: bytes))
    }

    private init(storage: GGUFStorage) throws(GGUFError) {
        let parsed = try GGUFParser(base: storage.base, size: storage.count)
        self.storage = storage
        version = parsed.version
        alignment = parsed.alignment
        metadataKeys = parsed.metadataKeys
        metadata = parsed.metadata
        tensors = parsed.tensors
        dataOffset = parsed.dataOffset
        var index: [String: Int] = [:]
        index.reserveCapacity(tensors.count)
        for (position, tensor) in tensors.enumerated() { index[tensor.name] = position }
        tensorIndex = index
    }

    /// The size of the file in bytes.
    public var fileSize: Int { storage.count }

    /// The directory entry of the tensor called `name`, if there is one.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of `tensor`'s data, inside the mapped file; valid while this `GGUFFile` lives.
    ///
    /// `tensor` must come from this file's ``tensors``.
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        precondition(
            tensor.offset >= 0 && tensor.byteCount >= 0 && tensor.offset <= fileSize - dataOffset - tensor.byteCount,
            "tensor \(tensor.name) does not belong to this GGUF file")
        return UnsafeRawBufferPointer(start: storage.base + dataOffset + tensor.offset, count: tensor.byteCount)
    }

    /// Lets the pages of `tensor`'s data leave this process's resident memory, for a tensor that was copied elsewhere.
    ///
    /// The data stays readable: a mapped file reads it back from disk if it is touched again. Pages shared with a
    /// neighbouring tensor are kept. An owned copy of the file is left as it is.
    public func evict(_ tensor: GGUFTensorInfo) {
        let range = data(for: tensor)
        storage.evict(range)
    }

    /// The bytes of the whole file; valid while this `GGUFFile` lives.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.base, count: storage.count) }
}
