import TernGGUF

/// The `<architecture>.*` keys of a GGUF file, read with errors that name the key.
///
/// ```swift
/// let window = try metadata.int("attention.sliding_window")         // gemma3.attention.sliding_window
/// let base = try metadata.float("rope.freq_base_swa", default: 10000)
/// ```
struct ModelMetadata {
    /// `general.architecture`: the prefix of every key read here.
    let architecture: String
    /// Every key of the file.
    let values: [String: GGUFValue]

    /// The value of `<architecture>.<key>`, if present.
    func value(_ key: String) -> GGUFValue? { values["\(architecture).\(key)"] }

    /// Whether `<architecture>.<key>` is present.
    func contains(_ key: String) -> Bool { value(key) != nil }

    /// A positive integer, or `value` when the key is absent.
    func int(_ key: String, default value: Int? = nil) throws(EngineError) -> Int {
        let name = "\(architecture).\(key)"
        guard let found = self.value(key)?.int ?? value else {
            if self.value(key)?.array != nil {
                throw EngineError(.invalidMetadata, "\(name) holds one value per layer; Tern needs one value for every layer")
            }
            throw EngineError(.invalidMetadata, "\(name) is missing or not an integer")
        }
        guard found > 0, found < 1 << 24 else {
            throw EngineError(.invalidMetadata, "\(name) = \(found) is out of range")
        }
        return found
    }

    /// A positive, finite number, or `value` when the key is absent.
    func float(_ key: String, default value: Double? = nil) throws(EngineError) -> Float {
        let name = "\(architecture).\(key)"
        guard let found = self.value(key)?.double ?? value, found.isFinite, found > 0 else {
            throw EngineError(.invalidMetadata, "\(name) is missing or not a positive number")
        }
        return Float(found)
    }

    /// A positive, finite number, or nil when the key is absent or zero (the reference engine's "not set").
    func optionalFloat(_ key: String) throws(EngineError) -> Float? {
        guard let value = value(key) else { return nil }
        guard let found = value.double, found.isFinite, found >= 0 else {
            throw EngineError(.invalidMetadata, "\(architecture).\(key) is not a positive number")
        }
        return found == 0 ? nil : Float(found)
    }

    /// A string, if present.
    func string(_ key: String) -> String? { value(key)?.string }

    /// Which of `blockCount` layers use sliding-window attention, from `attention.sliding_window_pattern`: an array of
    /// one flag per layer, or a period n (layer il slides iff il % n < n − 1; 0: every layer), `defaultPeriod` when absent.
    func slidingLayers(blockCount: Int, defaultPeriod: Int) throws(EngineError) -> [Bool] {
        let key = "attention.sliding_window_pattern"
        if let flags = value(key)?.array {
            let bools = flags.compactMap(\.bool)
            guard bools.count == flags.count, bools.count >= blockCount else {
                throw EngineError(.invalidMetadata, "\(architecture).\(key) is not one flag per layer")
            }
            return Array(bools.prefix(blockCount))
        }
        let period = value(key)?.int ?? defaultPeriod
        guard period >= 0 else { throw EngineError(.invalidMetadata, "\(architecture).\(key) = \(period) is out of range") }
        return (0..<blockCount).map { period == 0 || $0 % period < period - 1 }
    }
}
