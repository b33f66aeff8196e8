import Foundation
import TernGGUF
import TernTensors
import Testing

@Suite struct RoundTripTests {
    @Test(arguments: [UInt32(2), 3])
    func everyValueType(version: UInt32) throws {
        var writer = GGUFTestWriter.sample(version: version)
        let file = try GGUFFile(bytes: writer.build())
        #expect(file.version == version)
        #expect(file.alignment == 32)
        let expectedKeys = ["general.architecture"] + GGUFTestWriter.sampleValues.map(\.0)
        #expect(file.metadataKeys == expectedKeys)
        #expect(file.metadata.count == expectedKeys.count)
        for (key, value) in GGUFTestWriter.sampleValues {
            #expect(file.metadata[key] == value, "\(key)")
        }
    }

    @Test func accessors() throws {
        var writer = GGUFTestWriter.sample()
        let metadata = try GGUFFile(bytes: writer.build()).metadata
        #expect(metadata["t.uint8"]?.int == 200)
        #expect(metadata["t.int64"]?.int == Int(Int64.min))
        #expect(metadata["t.uint64"]?.int == nil)  // UInt64.max does not fit in Int
        #expect(metadata["t.uint64"]?.double == Double(UInt64.max))
        #expect(metadata["t.float32"]?.double == Double(Float(1e-5)))
        #expect(metadata["t.float64"]?.double == -2.5e300)
        #expect(metadata["t.int32"]?.double == -2_000_000_000)
        #expect(metadata["t.float32"]?.int == nil)
        #expect(metadata["t.bool.true"]?.bool == true)
        #expect(metadata["t.uint8"]?.bool == nil)
        #expect(metadata["t.string"]?.string == "héllo, wörld ✓ 🐦")
        #expect(metadata["t.array.strings"]?.stringArray == ["a", "", "Ġ t"])
        #expect(metadata["t.array.empty"]?.stringArray == [])
        #expect(metadata["t.array.int32"]?.stringArray == nil)
        #expect(metadata["t.array.int32"]?.array?.compactMap(\.int) == [1, -2, 3])
        #expect(metadata["t.string"]?.array == nil)
        #expect(metadata["t.array.nested"]?.array?[2].array?[0].int == 3)
    }

    @Test(arguments: [1, 8, 64, 256])
    func customAlignment(alignment: Int) throws {
        var writer = GGUFTestWriter.sample(alignment: alignment)
        let bytes = writer.build()
        let file = try GGUFFile(bytes: bytes)
        #expect(file.alignment == alignment)
        #expect(file.dataOffset == writer.dataOffset)
        #expect(file.dataOffset % alignment == 0)
        for tensor in file.tensors { #expect(tensor.offset % alignment == 0) }
        try expectTensorData(file, writer)
    }

    @Test func tensorDirectoryAndViews() throws {
        var writer = GGUFTestWriter.sample()
        let file = try GGUFFile(bytes: writer.build())
        #expect(file.tensors.map(\.name) == ["token_embd.weight", "blk.0.attn_norm.weight", "blk.0.ffn_down.weight"])
        let embedding = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embedding.type == .q8_0)
        #expect(embedding.dimensions == [64, 3])
        #expect(embedding.elementCount == 192)
        #expect(embedding.rowCount == 3)
        #expect(embedding.byteCount == 3 * 2 * 34)
        let down = try #require(file.tensor(named: "blk.0.ffn_down.weight"))
        #expect(down.dimensions == [32, 2, 1, 2])
        #expect(down.elementCount == 128)
        #expect(down.byteCount == 4 * 20)
        #expect(file.tensor(named: "missing") == nil)
        try expectTensorData(file, writer)
    }

    @Test func emptyFile() throws {
        var writer = GGUFTestWriter()
        // Header only: no metadata, no tensors, no padding.
        let file = try GGUFFile(bytes: Array(writer.build().prefix(24)))
        #expect(file.metadataKeys.isEmpty)
        #expect(file.tensors.isEmpty)
        #expect(file.fileSize == 24)
        #expect(file.dataOffset <= file.fileSize)
    }

    @Test func mappedFromPath() throws {
        var writer = GGUFTestWriter.sample(alignment: 64)
        let bytes = writer.build()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tern-gguf-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try GGUFFile(path: url.path)
        #expect(file.fileSize == bytes.count)
        #expect(file.metadata["t.array.deep"] == GGUFTestWriter.sampleValues.first { $0.0 == "t.array.deep" }?.1)
        try expectTensorData(file, writer)
    }

    /// Every tensor view holds exactly the bytes the writer put there.
    private func expectTensorData(_ file: GGUFFile, _ writer: GGUFTestWriter) throws {
        #expect(file.tensors.count == writer.tensors.count)
        for (tensor, written) in zip(file.tensors, writer.tensors) {
            let view = file.data(for: tensor)
            #expect(view.count == written.data.count, "\(tensor.name)")
            #expect(Array(view) == written.data, "\(tensor.name)")
            let start = try #require(view.baseAddress)
            #expect(start - file.bytes.baseAddress! == file.dataOffset + tensor.offset)
        }
    }
}
