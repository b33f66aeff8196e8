/// A tokenizer could not be built from the vocabulary it was given.
///
/// The ``code`` says what kind of problem it is; the ``message`` names the offending value.
///
/// ```swift
/// do {
///     let tokenizer = try Tokenizer(gguf: file)
/// } catch {
///     print(error)  // "tokenizer: unsupported tokenizer model 't5' (supported: gpt2, llama, gemma4, bert)"
/// }
/// ```
public struct TokenizerError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of problem.
    public enum Code: Sendable, Equatable {
        /// A required metadata key is absent or has the wrong type.
        case missingKey
        /// `tokenizer.ggml.model` names a tokenizer kind that is not implemented.
        case unsupportedModel
        /// `tokenizer.ggml.pre` names a pre-tokenizer that is not implemented.
        case unsupportedPreTokenizer
        /// Token list, token types or merges are inconsistent or malformed.
        case invalidVocabulary
    }

    /// The kind of problem.
    public let code: Code
    /// A description for a person, naming the key or value at fault.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `tokenizer: ` followed by the message.
    public var description: String { "tokenizer: \(message)" }
}
