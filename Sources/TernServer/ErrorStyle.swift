import TernAnthropic
public import TernOpenAI

/// How a route writes its errors: OpenAI's envelope, or Anthropic's shape on the Messages API. The status, headers and
/// message are the same either way.
public enum ErrorStyle: Sendable {
    /// `{"error":{"message","type","param","code"}}`.
    case openAI
    /// `{"type":"error","error":{"type","message"}}`.
    case anthropic

    /// The JSON body for `error`.
    public func body(for error: OpenAIError) -> [UInt8] {
        switch self {
        case .openAI: Array(error.jsonBody)
        case .anthropic: AnthropicError.body(for: error)
        }
    }
}
