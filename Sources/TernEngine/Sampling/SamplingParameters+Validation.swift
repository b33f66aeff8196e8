extension SamplingParameters {
    /// The largest ``repetitionWindow`` accepted: more tokens than any context holds (the sampler keeps a ring this long).
    public static let maximumRepetitionWindow = 1 << 20

    /// A sampling parameter outside its allowed range, naming the parameter so that a server can report it.
    public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The parameters that ``SamplingParameters/validate(vocabularySize:)`` checks.
        public enum Parameter: String, Sendable, Equatable {
            /// ``SamplingParameters/temperature``.
            case temperature
            /// ``SamplingParameters/topK``.
            case topK
            /// ``SamplingParameters/topP``.
            case topP
            /// ``SamplingParameters/minP``.
            case minP
            /// ``SamplingParameters/repetitionPenalty``.
            case repetitionPenalty
            /// ``SamplingParameters/repetitionWindow``.
            case repetitionWindow
            /// ``SamplingParameters/presencePenalty``.
            case presencePenalty
            /// ``SamplingParameters/frequencyPenalty``.
            case frequencyPenalty
            /// ``SamplingParameters/logitBias``.
            case logitBias
        }

        /// The offending parameter.
        public var parameter: Parameter
        /// What is wrong with it, for people.
        public var message: String

        /// Creates an error about `parameter`.
        public init(parameter: Parameter, message: String) {
            self.parameter = parameter
            self.message = message
        }

        /// `"<parameter>: <message>"`.
        public var description: String { "\(parameter.rawValue): \(message)" }
    }

    /// Checks every parameter's range; with `vocabularySize`, also that ``logitBias`` names existing tokens.
    ///
    /// These are the engine's limits (a server may apply tighter ones, such as OpenAI's temperature ≤ 2):
    /// temperature finite and ≥ 0; top-k ≥ 0; top-p and min-p in 0...1; repetition penalty finite and > 0;
    /// repetition window in 0...``maximumRepetitionWindow``; presence, frequency and bias values finite.
    public func validate(vocabularySize: Int? = nil) throws(ValidationError) {
        func fail(_ parameter: ValidationError.Parameter, _ message: String) -> ValidationError {
            ValidationError(parameter: parameter, message: message)
        }
        guard temperature.isFinite, temperature >= 0 else { throw fail(.temperature, "must be a finite number ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw fail(.topK, "must be ≥ 0 (0 turns top-k off), got \(topK)") }
        guard topP >= 0, topP <= 1 else { throw fail(.topP, "must be between 0 and 1, got \(topP)") }
        guard minP >= 0, minP <= 1 else { throw fail(.minP, "must be between 0 and 1, got \(minP)") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw fail(.repetitionPenalty, "must be a finite number > 0 (1 turns it off), got \(repetitionPenalty)")
        }
        guard repetitionWindow >= 0, repetitionWindow <= Self.maximumRepetitionWindow else {
            throw fail(.repetitionWindow, "must be between 0 (off) and \(Self.maximumRepetitionWindow), got \(repetitionWindow)")
        }
        guard presencePenalty.isFinite else { throw fail(.presencePenalty, "must be a finite number, got \(presencePenalty)") }
        guard frequencyPenalty.isFinite else { throw fail(.frequencyPenalty, "must be a finite number, got \(frequencyPenalty)") }
        for (token, bias) in logitBias {
            guard bias.isFinite else { throw fail(.logitBias, "bias for token \(token) must be a finite number, got \(bias)") }
            if let vocabularySize, token < 0 || Int(token) >= vocabularySize {
                throw fail(.logitBias, "token \(token) is not in the vocabulary (0..<\(vocabularySize))")
            }
        }
    }
}
