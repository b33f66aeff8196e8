/// Why the scheduler refused a request or a configuration.
public struct SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Code: Sendable, Equatable {
        /// The waiting queue is full; retry later.
        case overloaded
        /// Prompt plus requested tokens exceed the context of one sequence.
        case contextLengthExceeded(prompt: Int, requested: Int, limit: Int)
        /// The request is malformed (an empty prompt, no room to generate).
        case invalidRequest
        /// The scheduler is stopping and takes no new work.
        case shuttingDown
        /// The configuration cannot work, e.g. a KV memory budget smaller than one full context.
        case invalidConfiguration
    }

    /// The kind of refusal.
    public let code: Code
    /// A message for the client.
    public let message: String

    /// Creates an error of `code` with `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
