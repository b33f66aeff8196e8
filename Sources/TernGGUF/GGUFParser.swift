import TernTensors

/// Everything read from a GGUF file's header, metadata and tensor directory, validated.
struct GGUFParser {
    var version: UInt32 = 0
    var alignment = GGUFFile.defaultAlignment
    var metadataKeys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    var tensors: [GGUFTensorInfo] = []
    var dataOffset = 0

    /// The smallest possible tensor directory entry: name length, one dimension, type, offset.
    static let minimumTensorInfoSize = 8 + 4 + 8 + 4 + 8
    /// The smallest possible metadata entry: key length, value type, a one-byte value.
    static let minimumKeyValueSize = 8 + 4 + 1

    /// Parses and validates the file in `base ..< base + size`.
    init(base: UnsafeRawPointer, size: Int) throws(GGUFError) {
        var cursor = GGUFCursor(base: base, size: size)
        try readHeader(&cursor)
    }

    private mutating func readHeader(_ cursor: inout GGUFCursor) throws(GGUFError) {
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else {  // "GGUF" read as little-endian
            let hex = String(magic.byteSwapped, radix: 16)
            throw GGUFError(.badMagic, "file starts with 0x\(hex), not \"GGUF\"")
        }
        version = try cursor.read(UInt32.self, "version")
        switch version {
        case 2, 3: break
        case 1: throw GGUFError(.unsupportedVersion, "GGUF version 1 (32-bit counts) is not supported; convert the file to version 3")
        case 0x0200_0000, 0x0300_0000: throw GGUFError(.unsupportedVersion, "big-endian GGUF files are not supported")
        default: throw GGUFError(.unsupportedVersion, "GGUF version \(version) is not supported (only 2 and 3)")
        }
        let tensorCount = try cursor.readCount("tensor count")
        let keyValueCount = try cursor.readCount("metadata count")
        guard keyValueCount <= cursor.remaining / Self.minimumKeyValueSize else {
            throw GGUFError(
                .countTooLarge,
                "metadata count \(keyValueCount) is more than the \(cursor.remaining) bytes left can hold (corrupt count or truncated file)")
        }
        guard tensorCount <= cursor.remaining / Self.minimumTensorInfoSize else {
            throw GGUFError(
                .countTooLarge,
                "tensor count \(tensorCount) is more than the \(cursor.remaining) bytes left can hold (corrupt count or truncated file)")
        }
        try readMetadata(&cursor, count: keyValueCount)
        try readAlignment()
        guard tensorCount <= cursor.remaining / Self.minimumTensorInfoSize else {
            throw GGUFError(
                .countTooLarge,
                "tensor count \(tensorCount) is more than the \(cursor.remaining) bytes left after the metadata can hold (corrupt count or truncated file)"
            )
        }
        try readTensorInfos(&cursor, count: tensorCount)
        try placeDataSection(after: cursor.offset, fileSize: cursor.size)
    }

    private mutating func readMetadata(_ cursor: inout GGUFCursor, count: Int) throws(GGUFError) {
        metadataKeys.reserveCapacity(count)
        metadata.reserveCapacity(count)
        for index in 0..<count {
            let start = cursor.offset
            let key = try cursor.readString("metadata key \(index)")
            guard metadata[key] == nil else { throw GGUFError(.duplicateKey, "metadata key \(key) at offset \(start) appears twice") }
            let type = try cursor.read(UInt32.self, "value type of \(key)")
            metadata[key] = try cursor.readValue(type: type, key: key)
            metadataKeys.append(key)
        }
    }

    private mutating func readAlignment() throws(GGUFError) {
        guard let value = metadata["general.alignment"] else { return }
        guard let number = value.int, number > 0, number & (number - 1) == 0 else {
            throw GGUFError(.invalidAlignment, "general.alignment is \(value), not a positive power of two")
        }
        alignment = number
    }

    private mutating func readTensorInfos(_ cursor: inout GGUFCursor, count: Int) throws(GGUFError) {
        tensors.reserveCapacity(count)
        var names = Set<String>(minimumCapacity: count)
        for index in 0..<count {
            let start = cursor.offset
            let name = try cursor.readString("name of tensor \(index)")
            guard names.insert(name).inserted else {
                throw GGUFError(.duplicateTensorName, "tensor \(name) at offset \(start) appears twice")
            }
            let dimensionCount = try cursor.read(UInt32.self, "dimension count of tensor \(name)")
            guard dimensionCount >= 1, dimensionCount <= GGUFFile.maxDimensions else {
                throw GGUFError(
                    .invalidDimensionCount,
                    "tensor \(name) at offset \(start) has \(dimensionCount) dimensions (1 to \(GGUFFile.maxDimensions) allowed)")
            }
            var dimensions: [Int] = []
            dimensions.reserveCapacity(Int(dimensionCount))
            for axis in 0..<Int(dimensionCount) {
                let raw = try cursor.read(UInt64.self, "dimension \(axis) of tensor \(name)")
                guard raw > 0, let extent = Int(exactly: raw) else {
                    throw GGUFError(.invalidDimension, "tensor \(name) at offset \(start) has dimension \(axis) = \(raw)")
                }
                dimensions.append(extent)
            }
            let rawType = try cursor.read(UInt32.self, "type of tensor \(name)")
            guard let type = TensorType(rawValue: rawType) else {
                throw GGUFError(.unknownTensorType, "tensor \(name) at offset \(start) has unknown type \(rawType)")
            }
            let rawOffset = try cursor.read(UInt64.self, "data offset of tensor \(name)")
            let byteCount = try Self.byteCount(name: name, at: start, dimensions: dimensions, type: type)
            guard let offset = Int(exactly: rawOffset) else {
                throw GGUFError(.tensorOutOfRange, "tensor \(name) at offset \(start) has data offset \(rawOffset), beyond any file")
            }
            guard offset % alignment == 0 else {
                throw GGUFError(
                    .misalignedTensor, "tensor \(name) at offset \(start) has data offset \(offset), not a multiple of \(alignment)")
            }
            tensors.append(GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset, byteCount: byteCount))
        }
    }

    /// The bytes a tensor takes, checking block divisibility and overflow.
    private static func byteCount(name: String, at start: Int, dimensions: [Int], type: TensorType) throws(GGUFError) -> Int {
        var elements = 1
        for extent in dimensions {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw GGUFError(.sizeOverflow, "tensor \(name) at offset \(start) has dimensions \(dimensions) whose product overflows")
            }
            elements = product
        }
        guard dimensions[0] % type.blockElements == 0 else {
            throw GGUFError(
                .partialBlock,
                "tensor \(name) at offset \(start) has rows of \(dimensions[0]) elements, not a multiple of the \(type) block size \(type.blockElements)"
            )
        }
        let rows = elements / dimensions[0]
        guard let rowBytes = type.rowBytes(dimensions[0]) else {
            throw GGUFError(.sizeOverflow, "tensor \(name) at offset \(start) has a row size that overflows")
        }
        let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow else { throw GGUFError(.sizeOverflow, "tensor \(name) at offset \(start) has a byte size that overflows") }
        return bytes
    }

    /// Puts the data section at the next aligned offset and checks every tensor lies inside it, apart.
    private mutating func placeDataSection(after end: Int, fileSize: Int) throws(GGUFError) {
        let misalignment = end % alignment
        let (aligned, overflow) = end.addingReportingOverflow(misalignment == 0 ? 0 : alignment - misalignment)
        if tensors.isEmpty {
            dataOffset = overflow ? fileSize : min(aligned, fileSize)
            return
        }
        guard !overflow, aligned <= fileSize else {
            throw GGUFError(.truncated, "the data section would start after the end of the file (\(fileSize) bytes)")
        }
        dataOffset = aligned
        let dataSize = fileSize - dataOffset
        for tensor in tensors where tensor.byteCount > dataSize || tensor.offset > dataSize - tensor.byteCount {
            throw GGUFError(
                .tensorOutOfRange,
                "tensor \(tensor.name) (\(tensor.byteCount) bytes at data offset \(tensor.offset)) ends past the data section (\(dataSize) bytes at file offset \(dataOffset))"
            )
        }
        let ordered = tensors.sorted { $0.offset < $1.offset }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.offset < previous.offset + previous.byteCount {
            throw GGUFError(
                .overlappingTensors,
                "tensor \(next.name) at data offset \(next.offset) overlaps tensor \(previous.name) (\(previous.byteCount) bytes at data offset \(previous.offset))"
            )
        }
    }
}
