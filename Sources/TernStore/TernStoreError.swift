/// A store operation failed; `code` says why, `message` says what to do.
public struct TernStoreError: Error, Sendable, CustomStringConvertible {
    /// Kinds of failure.
    public enum Code: Sendable, Equatable {
        /// No key with that id or name.
        case notFound
        /// A key with that name exists.
        case duplicateName
        /// A value is out of range or malformed.
        case invalidValue
        /// The database could not be opened, read or written.
        case database
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for a person.
    public var message: String

    /// An error of kind `code`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
