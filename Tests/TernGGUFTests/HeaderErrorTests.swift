import Foundation
import TernGGUF
import Testing

@Suite struct HeaderErrorTests {
    @Test func wrongMagic() {
        var writer = GGUFTestWriter.sample()
        writer.magic = Array("GGML".utf8)
        expectGGUFError(.badMagic, writer.build())
    }

    @Test(arguments: [UInt32(0), 1, 4, 0x0300_0000])
    func unsupportedVersion(version: UInt32) {
        var writer = GGUFTestWriter.sample()
        writer.version = version
        expectGGUFError(.unsupportedVersion, writer.build())
    }

    @Test func truncatedHeader() {
        var writer = GGUFTestWriter.sample()
        let bytes = writer.build()
        for length in [0, 3, 4, 7, 8, 15, 16, 23] {
            expectGGUFError(.truncated, Array(bytes.prefix(length)))
        }
    }

    @Test func absurdTensorCount() {
        var writer = GGUFTestWriter.sample()
        writer.tensorCount = 1 << 40
        expectGGUFError(.countTooLarge, writer.build())
        writer.tensorCount = UInt64.max
        expectGGUFError(.countTooLarge, writer.build())
    }

    @Test func absurdMetadataCount() {
        var writer = GGUFTestWriter.sample()
        writer.metadataCount = 1 << 33
        expectGGUFError(.countTooLarge, writer.build())
        writer.metadataCount = UInt64(Int64.max) + 1
        expectGGUFError(.countTooLarge, writer.build())
    }

    @Test func tensorCountExceedsWhatFollowsMetadata() {
        var writer = GGUFTestWriter()
        // A long string value leaves room for the count before, but not after, the metadata.
        writer.add("big", .string(String(repeating: "x", count: 400)))
        writer.tensorCount = 10
        expectGGUFError(.countTooLarge, writer.build())
    }

    @Test func cannotOpen() {
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/tern/model.gguf") }
        do {
            _ = try GGUFFile(path: FileManager.default.temporaryDirectory.path)
            Issue.record("opened a directory")
        } catch {
            #expect(error.code == .cannotOpen)
        }
    }

    @Test func emptyFileOnDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tern-gguf-empty-\(UUID().uuidString).gguf")
        try Data().write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try GGUFFile(path: url.path)
            Issue.record("opened an empty file")
        } catch {
            #expect(error.code == .truncated)
        }
    }
}
