import TernTensors

/// A small seeded generator (SplitMix64) so every run sees the same data.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func float(_ range: ClosedRange<Float>) -> Float { Float.random(in: range, using: &self) }
}

/// Random weights of `type` in a buffer whose first row starts `offset` bytes in (to test unaligned data).
final class RandomWeights {
    let buffer: UnsafeMutableRawPointer
    /// Row 0 as GGUF stores it.
    let source: UnsafeRawPointer
    /// The GGUF type and row size of `source` (a packed matrix may compute as another type).
    let type: TensorType
    let rowBytes: Int
    let matrix: WeightMatrix

    init(type: TensorType, rows: Int, columns: Int, offset: Int, random: inout SeededRandom) {
        let rowBytes = type.rowBytes(columns)!
        buffer = .allocate(byteCount: rows * rowBytes + offset + 64, alignment: 64)
        let base = buffer + offset
        for i in 0..<(rows * rowBytes) { base.storeBytes(of: UInt8.random(in: 0...255, using: &random), toByteOffset: i, as: UInt8.self) }
        let half = { (v: Float) in Float16(v).bitPattern }
        for r in 0..<rows {
            let row = base + r * rowBytes
            switch type {
            case .f32:
                for c in 0..<columns { row.storeBytes(of: random.float(-1...1), toByteOffset: 4 * c, as: Float.self) }
            case .f16:
                for c in 0..<columns { row.storeBytes(of: half(random.float(-1...1)), toByteOffset: 2 * c, as: UInt16.self) }
            case .bf16:
                for c in 0..<columns {
                    let bits = random.float(-1...1).bitPattern >> 16
                    row.storeBytes(of: UInt16(bits), toByteOffset: 2 * c, as: UInt16.self)
                }
            default:
                // Random quants; sane scales (random bytes could be infinities): d first in most blocks, last in Q6_K's
                // and Q3_K's, before dmin in Q2_K's; Q4_1 and Q5_1 then have their minimum, Q4_K and Q5_K their dmin.
                for b in 0..<(columns / type.blockElements) {
                    let block = row + b * type.blockBytes
                    let dOffset = [TensorType.q6_K: 208, .q2_K: 80, .q3_K: 108][type] ?? 0
                    let d = type.blockElements == 256 ? random.float(-0.01...0.01) : random.float(-0.05...0.05)
                    block.storeBytes(of: half(d), toByteOffset: dOffset, as: UInt16.self)
                    if type == .q4_1 || type == .q5_1 { block.storeBytes(of: half(random.float(-0.3...0.3)), toByteOffset: 2, as: UInt16.self) }
                    if type == .q4_K || type == .q5_K || type == .q2_K {
                        block.storeBytes(of: half(random.float(0...0.01)), toByteOffset: dOffset + 2, as: UInt16.self)
                    }
                }
            }
        }
        source = UnsafeRawPointer(base)
        self.type = type
        self.rowBytes = rowBytes
        matrix = WeightMatrix(type: type, rows: rows, columns: columns, data: source)
    }

    deinit { buffer.deallocate() }

    /// Row `r` as GGUF stores it (the matrix may hold a packed copy).
    func row(_ r: Int) -> UnsafeRawPointer { source + r * rowBytes }

    /// Row `r` as floats through the scalar reference, from the GGUF bytes.
    func dequantized(_ r: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: matrix.columns) { out, count in
            Dequantize.row(type, source: row(r), into: out.baseAddress!, count: matrix.columns)
            count = matrix.columns
        }
    }
}

/// `count` random floats, some rows scaled up, some exactly zero, to exercise the quantizer's range.
func randomActivations(_ count: Int, random: inout SeededRandom) -> [Float] {
    (0..<count).map { i in
        if i % 97 == 5 { return 0 }
        let x = random.float(-1...1)
        return i % 13 == 0 ? x * 8 : x
    }
}

/// The kernel-comparison tolerance for one output: a multiple of `Σ|w·x|`.
func absoluteSum(_ w: [Float], _ x: ArraySlice<Float>) -> Double {
    zip(w, x).reduce(0) { $0 + Double(abs($1.0 * $1.1)) }
}

/// The bound on the error that 8-bit activation blocks of `block` elements add: `Σ_c |w_c|·amax(block of c)·0.005`.
func activationQuantizationBound(_ w: [Float], _ x: ArraySlice<Float>, block: Int = 32) -> Double {
    let xs = Array(x)
    var bound = 0.0
    for b in 0..<(xs.count / block) {
        let amax = xs[(block * b)..<(block * b + block)].map(abs).max()!
        for c in (block * b)..<(block * b + block) { bound += Double(abs(w[c]) * amax) * 0.005 }
    }
    return bound
}
