import TernGGUF
import TernTensors
import Testing

/// A writer with the given tensors and one metadata key.
private func writer(_ tensors: [GGUFTestWriter.Tensor]) -> GGUFTestWriter {
    var writer = GGUFTestWriter()
    writer.add("general.architecture", .string("llama"))
    writer.tensors = tensors
    return writer
}

/// A tensor with raw directory fields and `byteCount` bytes of data.
private func raw(_ name: String, _ dims: [UInt64], _ type: UInt32 = 0, bytes: Int = 64, offset: UInt64? = nil) -> GGUFTestWriter.Tensor {
    GGUFTestWriter.Tensor(rawName: Array(name.utf8), dimensions: dims, type: type, data: [UInt8](repeating: 0, count: bytes), offset: offset)
}

@Suite struct TensorDirectoryErrorTests {
    @Test func truncatedTensorInfo() {
        // Four dimensions make the entry long enough that a cut inside it still passes the tensor count check.
        var file = writer([GGUFTestWriter.Tensor("a", [8, 2, 1, 1], .f32)])
        let bytes = file.build()
        let nameField = file.lengthFieldOffsets.last!
        // Cut inside the last dimension, then inside the type, then inside the data offset.
        for cut in [nameField + 8 + 1 + 4 + 24 + 3, nameField + 8 + 1 + 4 + 32 + 2, nameField + 8 + 1 + 4 + 32 + 4 + 7] {
            expectGGUFError(.truncated, Array(bytes.prefix(cut)))
        }
    }

    @Test func dataSectionPastEndOfFile() throws {
        var file = writer([GGUFTestWriter.Tensor("a", [8], .f32)])
        let bytes = file.build()
        let directoryEnd = file.lengthFieldOffsets.last! + 8 + 1 + 4 + 8 + 4 + 8
        try #require(directoryEnd % 32 != 0)
        // The directory is whole, but the aligned data section would start after the end of the file.
        expectGGUFError(.truncated, Array(bytes.prefix(directoryEnd)))
    }

    @Test func truncatedTensorData() {
        var file = writer([GGUFTestWriter.Tensor("a", [8], .f32), GGUFTestWriter.Tensor("b", [64], .q8_0)])
        let bytes = file.build()
        expectGGUFError(.tensorOutOfRange, Array(bytes.prefix(bytes.count - 1)))
    }

    @Test func duplicateTensorName() {
        var file = writer([GGUFTestWriter.Tensor("a", [8], .f32), GGUFTestWriter.Tensor("a", [8], .f32)])
        expectGGUFError(.duplicateTensorName, file.build())
    }

    @Test func invalidUTF8InTensorName() {
        var file = writer([
            GGUFTestWriter.Tensor(rawName: [0x61, 0xED, 0xA0, 0x80], dimensions: [4], type: 0, data: [UInt8](repeating: 0, count: 16))
        ])
        expectGGUFError(.invalidUTF8, file.build())
    }

    @Test(arguments: [0, 5, 1000, UInt32.max].map { Int($0) })
    func invalidDimensionCount(count: Int) {
        var file = writer([raw("a", [UInt64](repeating: 1, count: min(count, 8)))])
        let bytes = file.build()
        // Patch the dimension count after writing, so the byte stream otherwise stays the same.
        var patched = bytes
        let countOffset = file.lengthFieldOffsets.last! + 8 + 1
        withUnsafeBytes(of: UInt32(count).littleEndian) { patched.replaceSubrange(countOffset..<countOffset + 4, with: $0) }
        expectGGUFError(.invalidDimensionCount, patched)
    }

    @Test(arguments: [UInt64(0), UInt64(Int64.max) + 1, UInt64.max])
    func invalidDimension(extent: UInt64) {
        var file = writer([raw("a", [4, extent])])
        expectGGUFError(.invalidDimension, file.build())
    }

    @Test func elementCountOverflow() {
        var file = writer([raw("a", [1 << 32, 1 << 32, 1 << 32])])
        expectGGUFError(.sizeOverflow, file.build())
    }

    @Test func byteCountOverflow() {
        // 2^62 elements fit in Int, 2^64 bytes of f32 do not.
        var file = writer([raw("a", [1 << 31, 1 << 31])])
        expectGGUFError(.sizeOverflow, file.build())
    }

    @Test func absurdButRepresentableSize() {
        // 2^40 f32 elements: no overflow, but far more than the file holds.
        var file = writer([raw("a", [1 << 20, 1 << 20])])
        expectGGUFError(.tensorOutOfRange, file.build())
    }

    @Test(arguments: [UInt32(4), 5, 31, 36, 1000, UInt32.max])
    func unknownTensorType(type: UInt32) {
        var file = writer([raw("a", [32], type)])
        expectGGUFError(.unknownTensorType, file.build())
    }

    @Test(arguments: [(TensorType.q4_1, 33), (.q8_0, 16), (.q4_K, 32)])
    func partialBlock(type: TensorType, elements: Int) {
        var file = writer([raw("a", [UInt64(elements), 2], type.rawValue)])
        expectGGUFError(.partialBlock, file.build())
    }

    @Test func misalignedTensor() {
        var file = writer([raw("a", [4], offset: 8)])
        expectGGUFError(.misalignedTensor, file.build())
    }

    @Test(arguments: [UInt64(64), 1 << 40, UInt64(Int64.max) + 1 - 32, UInt64(Int64.max) + 1, UInt64.max - 31])
    func offsetOutOfRange(offset: UInt64) {
        var file = writer([raw("a", [4], bytes: 16, offset: offset)])
        expectGGUFError(.tensorOutOfRange, file.build())
    }

    @Test func overlappingTensors() {
        // b starts inside a (a is 64 bytes at 0; b claims offset 32).
        var file = writer([raw("a", [16]), raw("b", [8], bytes: 32, offset: 32)])
        expectGGUFError(.overlappingTensors, file.build())
    }

    @Test func identicalOffsets() {
        var file = writer([raw("a", [8], bytes: 32, offset: 0), raw("b", [8], bytes: 32, offset: 0)])
        expectGGUFError(.overlappingTensors, file.build())
    }

    @Test func adjacentTensorsAreFine() throws {
        var file = writer([raw("a", [8], bytes: 32), raw("b", [8], bytes: 32)])
        let parsed = try GGUFFile(bytes: file.build())
        #expect(parsed.tensors.map(\.offset) == [0, 32])
    }
}
