/// An error from parsing or rendering a chat template, with the template position when known.
///
/// ```swift
/// do { _ = try ChatTemplate(source: "{% include 'x' %}") } catch { print(error) }
/// // chat template: unsupported tag 'include' (line 1, column 4)
/// ```
public struct ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: Sendable, Equatable {
        /// The template source is malformed.
        case syntax
        /// A tag, filter, test, method or operation that this interpreter does not provide.
        case unsupported
        /// A value was used in a way that Jinja2 would reject (wrong type, undefined attribute, …).
        case runtime
        /// The template called `raise_exception(message)`; ``ChatTemplateError/message`` is that message.
        case raised
        /// A sandbox limit (output size, iterations, call depth, nesting) was hit.
        case limit
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The 1-based template line, when known.
    public let line: Int?
    /// The 1-based template column, when known.
    public let column: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    /// The message with its position.
    public var description: String {
        guard let line else { return "chat template: \(message)" }
        return "chat template: \(message) (line \(line), column \(column ?? 0))"
    }

    /// The same error placed at a position, unless it already has one.
    func located(line: Int, column: Int) -> ChatTemplateError {
        self.line == nil ? ChatTemplateError(code, message, line: line, column: column) : self
    }
}
