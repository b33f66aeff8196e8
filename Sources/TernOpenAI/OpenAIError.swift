public import Foundation

/// An error in OpenAI's envelope: `{"error":{"message":…,"type":…,"param":…,"code":…}}`.
///
/// Carries the HTTP status to answer with; `status` and `retryAfterSeconds` are not part of the
/// JSON body. Use the constructors in `OpenAIError+Cases.swift` for the common cases.
///
/// ```swift
/// throw OpenAIError.invalidRequest("Invalid 'n': must be at least 1.", param: "n")
/// ```
public struct OpenAIError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The HTTP status code: 400, 401, 403, 404, 405, 413, 429, 500 or 503.
    public var status: Int
    /// A human-readable explanation.
    public var message: String
    /// OpenAI's error type, e.g. `invalid_request_error`, `server_error`, `insufficient_quota`.
    public var type: String
    /// The request parameter at fault, e.g. `temperature` or `messages[1].content`.
    public var param: String?
    /// A machine-readable code, e.g. `model_not_found`, `context_length_exceeded`.
    public var code: String?
    /// Seconds for a `retry-after` header (429 and 503), when known.
    public var retryAfterSeconds: Int?

    /// Creates an error with every field given explicitly.
    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// "status type: message (param)".
    public var description: String {
        "\(status) \(type): \(message)" + (param.map { " (param: \($0))" } ?? "")
    }

    private enum EnvelopeKeys: String, CodingKey { case error }
    private enum Keys: String, CodingKey { case message, type, param, code }

    /// Encodes the envelope with explicit `null` for a missing `param` or `code`, like OpenAI.
    public func encode(to encoder: any Encoder) throws {
        var envelope = encoder.container(keyedBy: EnvelopeKeys.self)
        var body = envelope.nestedContainer(keyedBy: Keys.self, forKey: .error)
        try body.encode(message, forKey: .message)
        try body.encode(type, forKey: .type)
        try body.encode(param, forKey: .param)
        try body.encode(code, forKey: .code)
    }

    /// Decodes an envelope (for example from an upstream server); the status is not in the body
    /// and is set to 0 — assign the HTTP status of the response afterwards.
    public init(from decoder: any Decoder) throws {
        let envelope = try decoder.container(keyedBy: EnvelopeKeys.self)
        let body = try envelope.nestedContainer(keyedBy: Keys.self, forKey: .error)
        self.init(
            status: 0,
            message: try body.decode(String.self, forKey: .message),
            type: try body.decodeIfPresent(String.self, forKey: .type) ?? "",
            param: try body.decodeIfPresent(String.self, forKey: .param),
            code: try body.decodeIfPresent(String.self, forKey: .code)
        )
    }

    /// The JSON body to send.
    public var jsonBody: Data { OpenAIJSON.encode(self) }
}
