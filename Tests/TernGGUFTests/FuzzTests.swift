import TernGGUF
import TernTensors
import Testing

/// SplitMix64: a small deterministic generator so fuzz runs repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What parsing a mutated file led to.
private enum Outcome {
    case parsed
    case rejected(GGUFError.Code)
}

/// Parses `bytes`; on success checks that the result is self-consistent.
private func parseAndCheck(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
    let file: GGUFFile
    do {
        file = try GGUFFile(bytes: bytes)
    } catch {
        return .rejected(error.code)
    }
    #expect(file.fileSize == bytes.count, sourceLocation: sourceLocation)
    #expect(file.version == 2 || file.version == 3, sourceLocation: sourceLocation)
    #expect(file.alignment > 0 && file.alignment & (file.alignment - 1) == 0, sourceLocation: sourceLocation)
    #expect(file.metadataKeys.count == file.metadata.count, sourceLocation: sourceLocation)
    #expect(Set(file.metadataKeys).count == file.metadataKeys.count, sourceLocation: sourceLocation)
    #expect(file.dataOffset >= 0 && file.dataOffset <= file.fileSize, sourceLocation: sourceLocation)
    #expect(Set(file.tensors.map(\.name)).count == file.tensors.count, sourceLocation: sourceLocation)
    var end = 0
    for tensor in file.tensors.sorted(by: { $0.offset < $1.offset }) {
        #expect(tensor.offset >= end, "\(tensor.name) overlaps", sourceLocation: sourceLocation)
        #expect(tensor.offset % file.alignment == 0, sourceLocation: sourceLocation)
        #expect(file.dataOffset % file.alignment == 0, sourceLocation: sourceLocation)
        #expect((1...4).contains(tensor.dimensions.count), sourceLocation: sourceLocation)
        #expect(tensor.dimensions.allSatisfy { $0 > 0 }, sourceLocation: sourceLocation)
        #expect(tensor.type.rowBytes(tensor.rowElements).map { $0 * tensor.rowCount } == tensor.byteCount, sourceLocation: sourceLocation)
        #expect(file.dataOffset + tensor.offset + tensor.byteCount <= file.fileSize, sourceLocation: sourceLocation)
        #expect(file.tensor(named: tensor.name) == tensor, sourceLocation: sourceLocation)
        let view = file.data(for: tensor)
        #expect(view.count == tensor.byteCount, sourceLocation: sourceLocation)
        #expect(view.baseAddress! >= file.bytes.baseAddress! + file.dataOffset, sourceLocation: sourceLocation)
        #expect(view.baseAddress! + view.count <= file.bytes.baseAddress! + file.fileSize, sourceLocation: sourceLocation)
        end = tensor.offset + tensor.byteCount
    }
    return .parsed
}

/// Values that make counts, lengths, dimensions and offsets absurd.
private let hugeValues: [UInt64] = [
    UInt64.max, UInt64(Int64.max), UInt64(Int64.max) + 1, 1 << 32, 1 << 40, 1 << 62, 0xFFFF_FFFF, 0, 1, 1 << 31, UInt64.max - 31,
]

@Suite struct FuzzTests {
    private static func base() -> (bytes: [UInt8], lengthFields: [Int]) {
        var writer = GGUFTestWriter.sample(alignment: 16)
        let bytes = writer.build()
        return (bytes, writer.lengthFieldOffsets)
    }

    @Test func baseFileParses() throws {
        let (bytes, _) = Self.base()
        guard case .parsed = parseAndCheck(bytes) else {
            Issue.record("the fuzz base file must be valid")
            return
        }
    }

    @Test func everyTruncation() {
        let (bytes, _) = Self.base()
        // The last tensor's data ends the file, so every shorter prefix is malformed.
        for length in 0..<bytes.count {
            if case .parsed = parseAndCheck(Array(bytes.prefix(length))) {
                Issue.record("prefix of \(length) of \(bytes.count) bytes parsed")
            }
        }
    }

    @Test func randomMutations() {
        let (original, lengthFields) = Self.base()
        var rng = SplitMix64(state: 0x7E57_6667)
        var parsed = 0
        var codes: [String: Int] = [:]
        for _ in 0..<5000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                Self.mutate(&bytes, lengthFields: lengthFields, using: &rng)
            }
            switch parseAndCheck(bytes) {
            case .parsed: parsed += 1
            case .rejected(let code): codes["\(code)", default: 0] += 1
            }
        }
        // Both outcomes must occur, and many different problems must have been recognized.
        #expect(parsed > 0)
        #expect(codes.values.reduce(0, +) > 2500)
        #expect(codes.count >= 10, "\(codes)")
    }

    /// Applies one random mutation.
    private static func mutate(_ bytes: inout [UInt8], lengthFields: [Int], using rng: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:  // flip bits
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            }
        case 1:  // truncate
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case 2:  // insert random bytes
            let index = Int.random(in: 0...bytes.count, using: &rng)
            let inserted = (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.insert(contentsOf: inserted, at: index)
        case 3:  // delete a range
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...16, using: &rng)))
        case 4:  // a huge value over a count or length field
            overwrite(&bytes, at: lengthFields.randomElement(using: &rng)!, with: hugeValues.randomElement(using: &rng)!)
        case 5:  // a huge value anywhere (dimensions, offsets, types)
            overwrite(&bytes, at: Int.random(in: 0..<bytes.count, using: &rng), with: hugeValues.randomElement(using: &rng)!)
        default:  // a small value anywhere (type numbers, dimension counts, bools)
            let value = UInt32.random(in: 0...40, using: &rng)
            overwrite(&bytes, at: Int.random(in: 0..<bytes.count, using: &rng), with: UInt64(value), width: 4)
        }
    }

    private static func overwrite(_ bytes: inout [UInt8], at offset: Int, with value: UInt64, width: Int = 8) {
        for byte in 0..<width where offset + byte < bytes.count {
            bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte)))
        }
    }
}
