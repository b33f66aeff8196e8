import Foundation
import TernGGUF
import TernTensors
import Testing

/// Tern's dequantization of every format it computes with, against the `gguf` package's reference, bit for bit.
///
/// `Tests/Fixtures/quant-formats.gguf` holds random blocks of each format and what the reference makes of them;
/// `scripts/make_quant_fixtures.py` writes it (and scripts/test.sh checks that it still does).
@Suite struct QuantFormatTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/quant-formats.gguf").path

    @Test func everyComputableFormatIsInTheFixture() throws {
        let file = try GGUFFile(path: Self.fixture)
        let quantized = TensorType.computable.filter { $0.blockElements > 1 }
        #expect(Set(file.tensors.filter { $0.name.hasSuffix(".raw") }.map(\.type)) == Set(quantized))
    }

    @Test func dequantizationMatchesTheReference() throws {
        let file = try GGUFFile(path: Self.fixture)
        for raw in file.tensors where raw.name.hasSuffix(".raw") {
            let expected = try #require(file.tensor(named: raw.name.replacingOccurrences(of: ".raw", with: ".expected")))
            let columns = raw.dimensions[0]
            let rowBytes = try #require(raw.type.rowBytes(columns))
            let source = file.data(for: raw).baseAddress!
            let reference = file.data(for: expected).baseAddress!.assumingMemoryBound(to: Float.self)
            var row = [Float](repeating: .nan, count: columns)
            for r in 0..<raw.dimensions[1] {
                Dequantize.row(raw.type, source: source + r * rowBytes, into: &row, count: columns)
                let mismatch = (0..<columns).first { row[$0].bitPattern != reference[r * columns + $0].bitPattern }
                #expect(
                    mismatch == nil,
                    "\(raw.type) row \(r) element \(mismatch ?? 0): \(row[mismatch ?? 0]) vs \(reference[r * columns + (mismatch ?? 0)])")
            }
        }
    }
}
