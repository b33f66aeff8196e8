/// An error raised while loading a model or running it, with a message that says what to do.
public struct EngineError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure.
    public enum Code: Sendable, Equatable {
        /// `general.architecture` names a family Tern cannot run.
        case unsupportedArchitecture
        /// A required metadata key is missing or has the wrong type or an impossible value.
        case invalidMetadata
        /// A required tensor is missing, or has the wrong shape or a type without kernels.
        case invalidTensor
        /// A request does not fit: too many tokens, a position past the context, a token id out of range.
        case invalidInput
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, naming the key, tensor or value.
    public let message: String

    /// Creates an error of `code` with `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
