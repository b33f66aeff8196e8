import TernGGUF
import TernTensors

/// Looks up a model's tensors by name, checks their shapes and types, wraps them for the kernels, and remembers
/// which it took, so that a tensor the description does not use is reported rather than silently ignored.
final class WeightLoader {
    let file: GGUFFile
    /// Where the packed copies of the matrices go, all in one mapping.
    private let arena: WeightArena
    /// Names of the tensors handed out so far.
    private var used: Set<String> = []

    init(file: GGUFFile) {
        self.file = file
        // Room for the packed copy of every matrix, with slack for a fused tensor cut into up to three matrices; a 3-D
        // tensor is one matrix per expert.
        arena = WeightArena(
            capacity: file.tensors.reduce(0) { sum, info in
                switch info.dimensions.count {
                case 2: sum + WeightArena.bytes(for: info.type, rows: info.rowCount + 3 * 16, columns: info.rowElements)
                case 3: sum + info.dimensions[2] * WeightArena.bytes(for: info.type, rows: info.dimensions[1] + 16, columns: info.rowElements)
                default: sum
                }
            })
    }

    /// Whether the file has a tensor called `name`.
    func has(_ name: String) -> Bool { file.tensor(named: name) != nil }

    /// The matrix `name`, [columns] → [rows].
    func matrix(_ name: String, columns: Int, rows: Int) throws(EngineError) -> WeightMatrix {
        try matrices(name, columns: columns, rows: [rows])[0]
    }

    /// The matrix `name`, [columns] → [Σ rows], as one matrix per run of `rows` (a fused tensor: query, key and value
    /// rows one after another, say). Each output row is computed as it would be in the whole matrix.
    func matrices(_ name: String, columns: Int, rows: [Int]) throws(EngineError) -> [WeightMatrix] {
        let total = rows.reduce(0, +)
        let info = try tensor(name)
        guard info.dimensions == [columns, total] else {
            throw EngineError(.invalidTensor, "tensor \(name) has shape \(info.dimensions), expected [\(columns), \(total)]")
        }
        return try slices(of: info, columns: columns, rows: rows)
    }

    /// The matrix `name` as ``matrix(_:columns:rows:)`` gives it, an F32 one as its bf16 copy
    /// (``WeightMatrix/bf16Copy(arena:)``), whose file pages are then released.
    func bf16Matrix(_ name: String, columns: Int, rows: Int) throws(EngineError) -> WeightMatrix {
        let stored = try matrix(name, columns: columns, rows: rows)
        let copy = stored.bf16Copy(arena: arena)
        if copy.ownsCopy && !stored.ownsCopy { file.evict(try tensor(name)) }
        return copy
    }

    /// Consecutive runs of `rows` rows of `info`, each as a matrix of its own.
    private func slices(of info: GGUFTensorInfo, columns: Int, rows: [Int]) throws(EngineError) -> [WeightMatrix] {
        let name = info.name
        guard info.type.hasKernels else {
            throw EngineError(
                .invalidTensor,
                "tensor \(name) is stored as \(info.type), which Tern cannot compute with yet; it computes with "
                    + TensorType.computable.map(\.description).joined(separator: ", "))
        }
        let base = file.data(for: info).baseAddress!
        let rowBytes = info.type.rowBytes(columns)!
        var parts: [WeightMatrix] = []
        var first = 0
        for count in rows {
            parts.append(WeightMatrix(type: info.type, rows: count, columns: columns, data: base + first * rowBytes, arena: arena))
            first += count
        }
        // a packed or interleaved matrix owns a copy; the file's pages need not stay resident beside it
        if parts.allSatisfy(\.ownsCopy) { file.evict(info) }
        return parts
    }

    /// The 3-D tensor `name`, [columns] → [rows] for each of `count` experts, as one matrix per expert.
    func experts(_ name: String, columns: Int, rows: Int, count: Int) throws(EngineError) -> [WeightMatrix] {
        let info = try tensor(name)
        guard info.dimensions == [columns, rows, count] else {
            throw EngineError(.invalidTensor, "tensor \(name) has shape \(info.dimensions), expected [\(columns), \(rows), \(count)]")
        }
        return try slices(of: info, columns: columns, rows: Array(repeating: rows, count: count))
    }

    /// The f32 vector `name` of `count` values (a norm's weights, a bias), read in place.
    func vector(_ name: String, count: Int) throws(EngineError) -> UnsafePointer<Float> {
        let info = try tensor(name)
        guard info.dimensions == [count], info.type == .f32 else {
            throw EngineError(.invalidTensor, "tensor \(name) is \(info.type) \(info.dimensions), expected F32 [\(count)]")
        }
        return file.data(for: info).baseAddress!.assumingMemoryBound(to: Float.self)
    }

    /// The f32 matrix `name` of `rows` rows of `columns` values (a table of learned embeddings), read in place.
    func rows(_ name: String, columns: Int, rows: Int) throws(EngineError) -> UnsafePointer<Float> {
        let info = try tensor(name)
        guard info.dimensions == [columns, rows], info.type == .f32 else {
            throw EngineError(.invalidTensor, "tensor \(name) is \(info.type) \(info.dimensions), expected F32 [\(columns), \(rows)]")
        }
        return file.data(for: info).baseAddress!.assumingMemoryBound(to: Float.self)
    }

    /// The f32 vector `name`, or nil when the file has no such tensor.
    func optionalVector(_ name: String, count: Int) throws(EngineError) -> UnsafePointer<Float>? {
        has(name) ? try vector(name, count: count) : nil
    }

    /// Fails when the file holds tensors the description did not take: computing without them would give wrong logits.
    func requireAllUsed(architecture: String) throws(EngineError) {
        let unused = file.tensors.map(\.name).filter { !used.contains($0) }
        guard unused.isEmpty else {
            let shown = unused.prefix(5).joined(separator: ", ") + (unused.count > 5 ? ", …" : "")
            throw EngineError(
                .invalidTensor,
                "this \(architecture) file has \(unused.count) tensor(s) that Tern's \(architecture) description does not use (\(shown)): "
                    + "a variant Tern does not implement")
        }
    }

    private func tensor(_ name: String) throws(EngineError) -> GGUFTensorInfo {
        guard let info = file.tensor(named: name) else {
            throw EngineError(.invalidTensor, "tensor \(name) is missing")
        }
        used.insert(name)
        return info
    }
}
