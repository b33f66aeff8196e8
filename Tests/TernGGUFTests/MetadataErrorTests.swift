import TernGGUF
import Testing

@Suite struct MetadataErrorTests {
    @Test func truncatedValue() {
        var writer = GGUFTestWriter()
        writer.add("k", .uint64(7))
        let bytes = writer.build()
        expectGGUFError(.truncated, Array(bytes.prefix(bytes.count - 1)))
    }

    @Test func truncatedString() {
        var writer = GGUFTestWriter()
        writer.add("k", .string("hello"))
        let bytes = writer.build()
        expectGGUFError(.stringTooLong, Array(bytes.prefix(bytes.count - 2)))
    }

    @Test func absurdStringLength() {
        for length in [UInt64(1 << 40), UInt64.max] {
            var writer = GGUFTestWriter()
            var payload: [UInt8] = []
            GGUFTestWriter.put(length, &payload)
            payload += Array("abc".utf8)
            writer.metadata = [(Array("k".utf8), .raw(type: 8, payload: payload))]
            expectGGUFError(.stringTooLong, writer.build())
        }
    }

    @Test func absurdArrayCount() {
        for count in [UInt64(1 << 40), UInt64(Int64.max), UInt64.max, 100] {
            var writer = GGUFTestWriter()
            var payload: [UInt8] = []
            GGUFTestWriter.put(UInt32(5), &payload)  // int32 elements
            GGUFTestWriter.put(count, &payload)
            payload += [UInt8](repeating: 0, count: 16)  // room for 4, not 100
            writer.metadata = [(Array("k".utf8), .raw(type: 9, payload: payload))]
            expectGGUFError(.countTooLarge, writer.build())
        }
    }

    @Test func absurdStringArrayCount() {
        var writer = GGUFTestWriter()
        var payload: [UInt8] = []
        GGUFTestWriter.put(UInt32(8), &payload)  // strings: at least 8 bytes each
        GGUFTestWriter.put(UInt64(5), &payload)
        payload += [UInt8](repeating: 0, count: 39)
        writer.metadata = [(Array("k".utf8), .raw(type: 9, payload: payload))]
        expectGGUFError(.countTooLarge, writer.build())
    }

    @Test func unknownValueType() {
        var writer = GGUFTestWriter()
        writer.metadata = [(Array("k".utf8), .raw(type: 13, payload: [0, 0, 0, 0]))]
        expectGGUFError(.unknownValueType, writer.build())
    }

    @Test func unknownArrayElementType() {
        var writer = GGUFTestWriter()
        var payload: [UInt8] = []
        GGUFTestWriter.put(UInt32(0xFFFF_FFFF), &payload)
        GGUFTestWriter.put(UInt64(1), &payload)
        payload += [0, 0, 0, 0]
        writer.metadata = [(Array("k".utf8), .raw(type: 9, payload: payload))]
        expectGGUFError(.unknownValueType, writer.build())
    }

    @Test func invalidBool() {
        var writer = GGUFTestWriter()
        writer.metadata = [(Array("k".utf8), .raw(type: 7, payload: [2]))]
        expectGGUFError(.invalidBool, writer.build())
    }

    @Test func duplicateKey() {
        var writer = GGUFTestWriter()
        writer.add("general.name", .string("a"))
        writer.add("general.other", .uint8(1))
        writer.add("general.name", .string("b"))
        expectGGUFError(.duplicateKey, writer.build())
    }

    @Test func invalidUTF8InKey() {
        var writer = GGUFTestWriter()
        writer.metadata = [([0x6B, 0xFF], .value(.uint8(1)))]
        expectGGUFError(.invalidUTF8, writer.build())
    }

    @Test func invalidUTF8InStringValue() {
        var writer = GGUFTestWriter()
        var payload: [UInt8] = []
        GGUFTestWriter.put(UInt64(3), &payload)
        payload += [0xE2, 0x82, 0x41]  // a three-byte sequence cut short
        writer.metadata = [(Array("k".utf8), .raw(type: 8, payload: payload))]
        expectGGUFError(.invalidUTF8, writer.build())
    }

    @Test func invalidUTF8InStringArray() {
        var writer = GGUFTestWriter()
        var payload: [UInt8] = []
        GGUFTestWriter.put(UInt32(8), &payload)
        GGUFTestWriter.put(UInt64(2), &payload)
        GGUFTestWriter.put(UInt64(1), &payload)
        payload += [0x61]
        GGUFTestWriter.put(UInt64(2), &payload)
        payload += [0xC0, 0x80]  // overlong encoding of NUL
        writer.metadata = [(Array("tokens".utf8), .raw(type: 9, payload: payload))]
        expectGGUFError(.invalidUTF8, writer.build())
    }

    @Test func nestingTooDeep() {
        var value = GGUFValue.array([.uint8(1)])
        for _ in 0..<GGUFFile.maxArrayNesting { value = .array([value]) }
        var writer = GGUFTestWriter()
        writer.add("deep", value)
        expectGGUFError(.nestingTooDeep, writer.build())
    }

    @Test func deepestAllowedNesting() throws {
        var value = GGUFValue.array([.uint8(1)])
        for _ in 1..<GGUFFile.maxArrayNesting { value = .array([value]) }
        var writer = GGUFTestWriter()
        writer.add("deep", value)
        #expect(try GGUFFile(bytes: writer.build()).metadata["deep"] == value)
    }

    @Test(arguments: [GGUFValue.uint32(48), .uint32(0), .int32(-32), .string("32"), .float32(32), .uint64(3 << 40)])
    func invalidAlignment(value: GGUFValue) {
        var writer = GGUFTestWriter.sample()
        writer.add("general.alignment", value)
        expectGGUFError(.invalidAlignment, writer.build())
    }
}

@Suite struct ErrorMessageTests {
    private func error(_ bytes: [UInt8]) -> GGUFError? {
        do {
            _ = try GGUFFile(bytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func messagesNameKeyTensorAndOffset() throws {
        var keys = GGUFTestWriter()
        keys.add("general.name", .string("a"))
        keys.add("general.name", .string("b"))
        let duplicate = try #require(error(keys.build()))
        #expect(duplicate.message.contains("general.name"))
        #expect(duplicate.message.contains("offset 57"))  // 24-byte header, then 8 + 12 + 4 + 8 + 1 for the first entry
        #expect(duplicate.description.hasPrefix("GGUF: duplicateKey: "))

        var tensors = GGUFTestWriter()
        tensors.tensors = [GGUFTestWriter.Tensor(rawName: Array("blk.3.ffn_up.weight".utf8), dimensions: [33], type: 3, data: [])]
        let partial = try #require(error(tensors.build()))
        #expect(partial.code == .partialBlock)
        #expect(partial.message.contains("blk.3.ffn_up.weight"))
        #expect(partial.message.contains("Q4_1"))
    }
}
