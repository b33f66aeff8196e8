public import TernGGUF

/// Sampling values for what a request leaves out; each is nil where this source says nothing.
///
/// A server layers three sources: the operator's options, then the model's own `general.sampling.*` keys, then
/// ``llamaCpp`` (the values llama.cpp's server applies), so that small models stay coherent for clients that send
/// no sampling fields at all. Whatever a request sets wins over all of them.
///
/// ```swift
/// let defaults = operatorOptions.filling(from: SamplingDefaults(metadata: file.metadata)).filling(from: .llamaCpp)
/// var parameters = SamplingParameters()
/// defaults.apply(to: &parameters)
/// if let temperature = request.temperature { parameters.temperature = temperature }
/// ```
public struct SamplingDefaults: Sendable, Equatable {
    /// Temperature; 0 is greedy.
    public var temperature: Float?
    /// Top-k; 0 turns it off.
    public var topK: Int?
    /// Top-p; 1 turns it off.
    public var topP: Float?
    /// Min-p; 0 turns it off.
    public var minP: Float?
    /// Repetition penalty; 1 turns it off.
    public var repetitionPenalty: Float?
    /// Tokens the repetition penalty looks back over.
    public var repetitionWindow: Int?

    /// Values from one source.
    public init(
        temperature: Float? = nil, topK: Int? = nil, topP: Float? = nil, minP: Float? = nil, repetitionPenalty: Float? = nil,
        repetitionWindow: Int? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
    }

    /// llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition penalty over 64 tokens.
    public static let llamaCpp = SamplingDefaults(
        temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1, repetitionWindow: 64)

    /// The values a GGUF file recommends in `general.sampling.temp`, `.top_k`, `.top_p`, `.min_p`, `.penalty_repeat`
    /// and `.penalty_last_n`. A value outside the range the sampler accepts is left out, so that a bad file cannot make
    /// every request fail; `penalty_last_n` of −1 ("the whole context") is left out too.
    public init(metadata: [String: GGUFValue]) {
        func number(_ key: String, in range: ClosedRange<Double>) -> Float? {
            guard let value = metadata["general.sampling.\(key)"]?.double, value.isFinite, range.contains(value) else { return nil }
            return Float(value)
        }
        func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
            guard let value = metadata["general.sampling.\(key)"]?.int, range.contains(value) else { return nil }
            return value
        }
        self.init(
            temperature: number("temp", in: 0...100), topK: integer("top_k", in: 0...Int(Int32.max)), topP: number("top_p", in: 0...1),
            minP: number("min_p", in: 0...1), repetitionPenalty: number("penalty_repeat", in: 0.000_001...100),
            repetitionWindow: integer("penalty_last_n", in: 0...SamplingParameters.maximumRepetitionWindow))
    }

    /// These values, with `fallback`'s where these have none.
    public func filling(from fallback: SamplingDefaults) -> SamplingDefaults {
        SamplingDefaults(
            temperature: temperature ?? fallback.temperature, topK: topK ?? fallback.topK, topP: topP ?? fallback.topP,
            minP: minP ?? fallback.minP, repetitionPenalty: repetitionPenalty ?? fallback.repetitionPenalty,
            repetitionWindow: repetitionWindow ?? fallback.repetitionWindow)
    }

    /// Sets the parameters these values give.
    public func apply(to parameters: inout SamplingParameters) {
        if let temperature { parameters.temperature = temperature }
        if let topK { parameters.topK = topK }
        if let topP { parameters.topP = topP }
        if let minP { parameters.minP = minP }
        if let repetitionPenalty { parameters.repetitionPenalty = repetitionPenalty }
        if let repetitionWindow { parameters.repetitionWindow = repetitionWindow }
    }
}
