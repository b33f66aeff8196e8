/// Why a JSON Schema cannot be turned into a grammar: invalid, or asking for something Tern cannot enforce.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in a sentence that names the keyword.
    public var message: String
    /// Where, as a JSON Pointer into the schema (`#/properties/age`).
    public var path: String

    /// An error at `path`.
    public init(_ message: String, at path: String) {
        self.message = message
        self.path = path
    }

    /// "message (at #/path)".
    public var description: String { "\(message) (at \(path))" }
}
