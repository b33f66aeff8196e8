import CTernKernels
import Testing

@testable import TernTensors

/// Every SIMD level against the scalar C reference on the same random data.
@Suite struct KernelLevelTests {
    static let quantizedTypes: [TensorType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_nl, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs]
    static let allTypes: [TensorType] = [.f32, .f16, .bf16] + quantizedTypes
    /// The types whose matrices are repacked in groups of 16 rows; the others are read as GGUF stores them.
    static let packedTypes: [TensorType] = [.q4_0, .q4_1, .q5_0, .q8_0]

    private func table(_ level: CPULevel) -> tern_kernels { tern_kernels_for_level(Int32(level.rawValue)).pointee }

    @Test func theMachineRunsEveryLevelItReports() {
        #expect(CPULevel.available.first == .scalar)
        #expect(CPULevel.available.contains(CPULevel.active))
        print("kernel levels available: \(CPULevel.available), active: \(CPULevel.active)")
    }

    @Test(arguments: quantizedTypes)
    func activationQuantizationIsIdenticalAtEveryLevel(type: TensorType) {
        var random = SeededRandom(seed: 7)
        for columns in type.blockElements == 256 ? [256, 512, 1536] : [32, 96, 576, 1536] {
            let x = randomActivations(columns + 1, random: &random)
            let bytes = tern_act_row_bytes(Int32(type.rawValue), Int64(columns))
            let reference = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            let fast = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            defer {
                reference.deallocate()
                fast.deallocate()
            }
            x.withUnsafeBufferPointer { xs in
                let input = xs.baseAddress! + 1  // unaligned input
                reference.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                table(.scalar).quantize_act(Int32(type.rawValue), input, reference, Int64(columns))
                for level in CPULevel.available where level != .scalar {
                    fast.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                    table(level).quantize_act(Int32(type.rawValue), input, fast, Int64(columns))
                    #expect(
                        UnsafeRawBufferPointer(start: reference, count: bytes).elementsEqual(UnsafeRawBufferPointer(start: fast, count: bytes)),
                        "\(level) \(type) \(columns)")
                }
            }
        }
    }

    /// The 256-element blocks' scale comes from the first element of the largest magnitude: a later one of the same
    /// magnitude and the other sign, in the same 16 values or further on, must not take its place at any level; a block
    /// of zeros stays zeros; a NaN never sets the scale and becomes 0, as does every value of a block so small that its
    /// scale overflows. (The AVX2 level quantizes these blocks with the scalar code; AVX-512 has its own.)
    @Test(arguments: [TensorType.q4_K, .q6_K])
    func activationQuantizationOfTiesAndZerosIsIdenticalAtEveryLevel(type: TensorType) {
        var random = SeededRandom(seed: 13)
        let columns = 1536
        var x = randomActivations(columns, random: &random).map { $0 / 16 }
        x[37] = -3  // the first of the largest magnitude
        x[40] = 3
        x[200] = 3
        x[256 + 18] = 3
        x[256 + 255] = -3
        for i in 512..<768 { x[i] = i % 2 == 0 ? 0 : -0.0 }
        x[768 + 255] = 2  // the largest magnitude last
        x[1024 + 9] = .nan
        x[1024 + 100] = 1.5
        for i in 1280..<1536 { x[i] = 0 }
        x[1280 + 7] = .leastNonzeroMagnitude  // alone: −127 / x overflows to −infinity
        let bytes = tern_act_row_bytes(Int32(type.rawValue), Int64(columns))
        var reference = [UInt8](repeating: 0, count: bytes)
        table(.scalar).quantize_act(Int32(type.rawValue), x, &reference, Int64(columns))
        let blocks = columns / 256
        let ds = reference.withUnsafeBytes { raw in (0..<blocks).map { raw.load(fromByteOffset: 256 * blocks + 4 * $0, as: Float.self) } }
        // d = 1 / (−127 / max): the sign of the first element of the largest magnitude, reversed
        let expected: [Float] = [3 / 127, -3 / 127, 0, -2 / 127, -1.5 / 127, 0]
        #expect(zip(ds, expected).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) }, "\(ds)")
        #expect(reference[1280..<1536].allSatisfy { $0 == 0 }, "the overflowing block's quants are 0")
        #expect(reference[1024 + 9] == 0, "a NaN's quant is 0")
        let used = 256 * blocks + 4 * blocks + 32 * blocks
        for level in CPULevel.available where level != .scalar {
            var fast = [UInt8](repeating: 0xAA, count: bytes)
            table(level).quantize_act(Int32(type.rawValue), x, &fast, Int64(columns))
            #expect(fast[..<used].elementsEqual(reference[..<used]), "\(level) \(type)")
        }
    }

    @Test func activationQuantizationRoundTripIsBounded() {
        var random = SeededRandom(seed: 11)
        let columns = 1536
        let x = randomActivations(columns, random: &random)
        let act = UnsafeMutableRawPointer.allocate(byteCount: tern_act_row_bytes(3, Int64(columns)), alignment: 64)
        defer { act.deallocate() }
        table(.scalar).quantize_act(Int32(TensorType.q4_1.rawValue), x, act, Int64(columns))
        let blocks = columns / 32
        let scalesAndSums = (act + 64 * blocks).assumingMemoryBound(to: Float.self)  // {d, s} per block
        for b in 0..<blocks {
            let amax = x[(32 * b)..<(32 * b + 32)].map(abs).max()!
            let d = scalesAndSums[2 * b]
            #expect(abs(d - amax / 127) <= amax / 127 / 1024, "scale is the f16 of amax/127")
            var sum = 0
            for j in 0..<32 {
                let q = Int(act.load(fromByteOffset: 32 * b + j, as: Int8.self))
                sum += q
                #expect(abs(Float(q) * d - x[32 * b + j]) <= 0.56 * amax / 127 + 1e-12)
            }
            #expect(abs(scalesAndSums[2 * b + 1] - Float(sum) * amax / 127) <= abs(Float(sum) * amax / 127) / 1024 + 1e-12)
        }
    }

    @Test(arguments: allTypes)
    func gemmMatchesScalarAtEveryLevel(type: TensorType) {
        var random = SeededRandom(seed: 3 + UInt64(type.rawValue))
        // 48 and 70 blocks span several of the packed kernels' slices, 17 and 33 tokens several of their token tiles;
        // 12 and 16 tokens are one call of the K-quants' multi-token products, whole or not
        let blockCounts = type.blockElements == 256 ? [1, 2, 3, 6] : [1, 2, 3, 7, 18, 48, 70]
        for blocks in blockCounts {
            // the float types also get column counts past a multiple of 16: the 512-bit f32 tiles' tail columns
            let columns = type.blockElements == 256 ? 256 * blocks : type.blockElements == 1 ? 32 * blocks + blocks % 16 : 32 * blocks
            for tokens in [1, 2, 3, 4, 5, 6, 7, 9, 12, 16, 17, 33] {
                // runs of four tokens from a prompt batch (its formats' batch order where they have one, alone or
                // several at once) between single decoded ones
                let promptTokens = (0..<tokens).map { UInt8($0 % 5 == 4 ? 0 : 1) }
                let rows = 19
                let weights = RandomWeights(type: type, rows: rows, columns: columns, offset: 3, random: &random)
                let x = randomActivations(tokens * columns, random: &random)
                // what the kernels compute with: an interleaved BF16 matrix has a code of its own
                let code = weights.matrix.kernelType
                let stride = tern_act_row_bytes(code, Int64(columns))
                let act = UnsafeMutableRawPointer.allocate(byteCount: tokens * stride, alignment: 64)
                defer { act.deallocate() }
                let scalar = table(.scalar)
                x.withUnsafeBufferPointer { xs in
                    for t in 0..<tokens {
                        scalar.quantize_act(code, xs.baseAddress! + t * columns, act + t * stride, Int64(columns))
                    }
                }
                var reference = [Float](repeating: 0, count: tokens * rows)
                scalar.gemm(
                    code, weights.matrix.data, weights.matrix.rowBytes, 0, Int64(rows), Int64(columns), act, stride, Int64(tokens),
                    promptTokens, &reference, rows)
                let magnitude = (0..<rows).map { r in
                    let w = weights.dequantized(r)
                    return (0..<tokens).map { t in absoluteSum(w, x[(t * columns)..<((t + 1) * columns)]) }
                }
                for level in CPULevel.available where level != .scalar {
                    var fast = [Float](repeating: .nan, count: tokens * rows)
                    // two row ranges, the second starting at the second packed group and ending inside it
                    table(level).gemm(
                        code, weights.matrix.data, weights.matrix.rowBytes, 0, 16, Int64(columns), act, stride, Int64(tokens),
                        promptTokens, &fast, rows)
                    table(level).gemm(
                        code, weights.matrix.data, weights.matrix.rowBytes, 16, Int64(rows), Int64(columns), act, stride,
                        Int64(tokens), promptTokens, &fast, rows)
                    for t in 0..<tokens {
                        for r in 0..<rows {
                            let (got, want) = (fast[t * rows + r], reference[t * rows + r])
                            let place = "\(level) \(type) blocks \(blocks) tokens \(tokens) [\(t)][\(r)]"
                            if Self.quantizedTypes.contains(type) {
                                // every level sums the quantized types in the reference engine's order
                                #expect(got.bitPattern == want.bitPattern, "\(place)")
                            } else {
                                #expect(abs(Double(got) - Double(want)) <= 2e-6 * magnitude[r][t] + 1e-7, "\(place)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Random IQ4_NL weights (`rows` × `columns`) against `tokens` random activation rows: `body` gets the product of
    /// all of them at a level, with the given tokens marked as prompt tokens.
    private func withIQ4NLProducts(
        seed: UInt64, rows: Int, columns: Int, tokens: Int, _ body: (_ product: (CPULevel, [UInt8]?) -> [Float]) -> Void
    ) {
        var random = SeededRandom(seed: seed)
        let weights = RandomWeights(type: .iq4_nl, rows: rows, columns: columns, offset: 3, random: &random)
        let x = randomActivations(tokens * columns, random: &random)
        let code = weights.matrix.kernelType
        let stride = tern_act_row_bytes(code, Int64(columns))
        let act = UnsafeMutableRawPointer.allocate(byteCount: tokens * stride, alignment: 64)
        defer { act.deallocate() }
        x.withUnsafeBufferPointer { xs in
            for t in 0..<tokens { table(.scalar).quantize_act(code, xs.baseAddress! + t * columns, act + t * stride, Int64(columns)) }
        }
        body { level, promptTokens in
            var out = [Float](repeating: .nan, count: tokens * rows)
            table(level).gemm(
                code, weights.matrix.data, weights.matrix.rowBytes, 0, Int64(rows), Int64(columns), act, stride, Int64(tokens),
                promptTokens, &out, rows)
            return out
        }
    }

    /// IQ4_NL is the one format whose products llama.cpp orders differently for a prompt batch (tinyBLAS: every block
    /// into one set of lanes) than for a token decoded alone (even and odd blocks apart): a marked token takes the
    /// batch order, the others stay as they were, at every level.
    @Test func iq4NLPromptTokensTakeTheBatchOrder() {
        let rows = 19
        withIQ4NLProducts(seed: 11, rows: rows, columns: 32 * 7, tokens: 4) { product in
            for level in CPULevel.available {
                let alone = product(level, nil)
                let marked = product(level, [1, 0, 1, 0])
                for t in [1, 3] {
                    #expect((0..<rows).allSatisfy { marked[t * rows + $0].bitPattern == alone[t * rows + $0].bitPattern }, "\(level) token \(t)")
                }
                let changed = [0, 2].flatMap { t in (0..<rows).filter { marked[t * rows + $0].bitPattern != alone[t * rows + $0].bitPattern } }
                #expect(!changed.isEmpty, "\(level): no prompt token's product took the batch order")
            }
        }
    }

    /// Long runs of IQ4_NL prompt tokens (a whole tile of 16, odd runs, a run ending a tile) go through the levels'
    /// multi-token batch-order products (at AVX-512, for a call of fewer than 16 rows, two tokens to a register): every
    /// token as the scalar level computes it, bit for bit.
    @Test func iq4NLRunsOfPromptTokensAreIdenticalAtEveryLevel() {
        let (rows, tokens) = (13, 37)
        // runs 0–15, 16–19, 21–31 and 32–36; token 20 decoded alone
        let promptTokens = (0..<tokens).map { UInt8($0 == 20 ? 0 : 1) }
        withIQ4NLProducts(seed: 17, rows: rows, columns: 32 * 9, tokens: tokens) { product in
            let reference = product(.scalar, promptTokens)
            for level in CPULevel.available where level != .scalar {
                let fast = product(level, promptTokens)
                let firstDiffering = (0..<(tokens * rows)).first { fast[$0].bitPattern != reference[$0].bitPattern }
                #expect(firstDiffering == nil, "\(level): token \(firstDiffering.map { $0 / rows } ?? -1) differs")
            }
        }
    }

    /// A call of 16 rows or more lays a tile's prompt tokens side by side (AVX-512): a tile of 14 prompt tokens between
    /// two decoded ones, a tile with a single prompt token, a short last tile with two; rows past a chunk of the row's
    /// decoding (70 blocks) too. Every token as the scalar level computes it, bit for bit.
    @Test(arguments: [9, 70])
    func iq4NLPromptTilesAreIdenticalAtEveryLevel(blocks: Int) {
        let (rows, tokens) = (67, 37)
        // tile 0–15: all but 5 and 9; tile 16–31: only 20; tile 32–36: 33 and 35
        let prompt: Set<Int> = Set(0..<16).subtracting([5, 9]).union([20, 33, 35])
        let promptTokens = (0..<tokens).map { UInt8(prompt.contains($0) ? 1 : 0) }
        withIQ4NLProducts(seed: 23 + UInt64(blocks), rows: rows, columns: 32 * blocks, tokens: tokens) { product in
            let reference = product(.scalar, promptTokens)
            for level in CPULevel.available where level != .scalar {
                let fast = product(level, promptTokens)
                let firstDiffering = (0..<(tokens * rows)).first { fast[$0].bitPattern != reference[$0].bitPattern }
                #expect(firstDiffering == nil, "\(level): token \(firstDiffering.map { $0 / rows } ?? -1) differs")
            }
        }
    }

    @Test func halfConversionsAreExactAtEveryLevel() {
        // every half bit pattern except NaNs widens exactly
        let halves = (0...UInt16.max).filter { !Float16(bitPattern: $0).isNaN }
        for level in CPULevel.available {
            var widened = [Float](repeating: 0, count: halves.count)
            table(level).f16_to_f32(halves, &widened, Int64(halves.count))
            #expect(zip(halves, widened).allSatisfy { Float(Float16(bitPattern: $0)) == $1 }, "\(level)")
        }
        #expect(halves.allSatisfy { tern_f16_to_f32($0) == Float(Float16(bitPattern: $0)) })
        // rounding to half: random floats across the whole half range, ties, subnormals and overflow
        var random = SeededRandom(seed: 5)
        var floats: [Float] = [0, -0, 65504, 65519.99, 65520, -65520, 1e-8, 2.98e-8, 5.96e-8, 6.1e-5, .infinity, -.infinity]
        floats += halves.prefix(2000).map { Float(Float16(bitPattern: $0)) + Float(Float16(bitPattern: $0)).ulp * 0.5 }
        for _ in 0..<20000 {
            floats.append(Float(bitPattern: UInt32.random(in: 0x2F00_0000...0x4780_0000, using: &random)) * (Bool.random(using: &random) ? 1 : -1))
        }
        for level in CPULevel.available {
            var rounded = [UInt16](repeating: 0, count: floats.count)
            table(level).f32_to_f16(floats, &rounded, Int64(floats.count))
            #expect(zip(floats, rounded).allSatisfy { Float16($0).bitPattern == $1 }, "\(level)")
        }
        #expect(floats.allSatisfy { tern_f32_to_f16($0) == Float16($0).bitPattern })
    }

    @Test func bfloat16RoundsToNearestEven() {
        #expect(tern_f32_to_bf16(1.0) == 0x3F80)
        #expect(tern_f32_to_bf16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(tern_f32_to_bf16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(tern_f32_to_bf16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(tern_f32_to_bf16(.nan) & 0x7FC0 == 0x7FC0)
    }

    /// Both pairings: (x[2i], x[2i+1]) and, NeoX's, (x[i], x[i + pairs]).
    @Test(arguments: [false, true])
    func rotaryEmbeddingIsTheReferenceFormulaAtEveryLevel(neox: Bool) {
        var random = SeededRandom(seed: neox ? 12 : 11)
        for pairs in [1, 5, 8, 13, 32, 64, 128] {
            for heads in 1...3 {
                let headSize = 2 * pairs + 4  // values past the rotated ones stay as they are
                let x = (0..<(heads * headSize)).map { _ in random.float(-50...50) }
                let cosines = (0..<pairs).map { _ in random.float(-1...1) }
                let sines = (0..<pairs).map { _ in random.float(-1...1) }
                var expected = x
                for h in 0..<heads {
                    for i in 0..<pairs {
                        let (first, second) = neox ? (h * headSize + i, h * headSize + i + pairs) : (h * headSize + 2 * i, h * headSize + 2 * i + 1)
                        let (a, b, c, s) = (x[first], x[second], cosines[i], sines[i])
                        expected[first] = (-(b * s)).addingProduct(a, c)
                        expected[second] = (b * c).addingProduct(a, s)
                    }
                }
                for level in CPULevel.available {
                    var y = x
                    y.withUnsafeMutableBufferPointer { ys in
                        let rotate = neox ? level.kernels.ropeNeox : level.kernels.rope
                        rotate(ys.baseAddress!, Int64(heads), Int64(headSize), Int64(pairs), cosines, sines)
                    }
                    #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(level) neox \(neox) pairs \(pairs) heads \(heads)")
                }
            }
        }
    }

    @Test func vectorHelpersMatchScalarAtEveryLevel() {
        var random = SeededRandom(seed: 9)
        for count in [0, 1, 7, 16, 31, 64, 100, 577] {
            let x = (0...count).map { _ in random.float(-1...1) }
            let y = (0...count).map { _ in random.float(-1...1) }
            let a = random.float(-2...2)
            for level in CPULevel.available {
                let k = level.kernels
                x.withUnsafeBufferPointer { xs in
                    y.withUnsafeBufferPointer { ys in
                        let px = xs.baseAddress! + 1, py = ys.baseAddress! + 1  // unaligned
                        let expected = (0..<count).reduce(0.0) { $0 + Double(px[$1]) * Double(py[$1]) }
                        #expect(abs(Double(k.dot(px, py, Int64(count))) - expected) <= 1e-5 * Double(count + 1), "\(level)")
                    }
                }
                var z = y
                z.withUnsafeMutableBufferPointer { zs in
                    x.withUnsafeBufferPointer { xs in k.axpy(a, xs.baseAddress! + 1, zs.baseAddress! + 1, Int64(count)) }
                }
                #expect(z[0] == y[0])
                #expect((0..<count).allSatisfy { abs(z[$0 + 1] - (y[$0 + 1] + a * x[$0 + 1])) <= 1e-6 }, "\(level)")
                var s = y
                s.withUnsafeMutableBufferPointer { k.scale(a, $0.baseAddress!, Int64(count)) }
                #expect((0..<count).allSatisfy { s[$0] == y[$0] * a } && s[count] == y[count], "\(level)")
            }
        }
        var v: [Float] = [1, 2, 3]
        #expect(VectorMath.dot(v, v, count: 3) == 14)
        VectorMath.axpy(2, [1, 1, 1], &v, count: 3)
        #expect(v == [3, 4, 5])
        VectorMath.scale(&v, by: 0.5, count: 2)
        #expect(v == [1.5, 2, 5])
    }
}
