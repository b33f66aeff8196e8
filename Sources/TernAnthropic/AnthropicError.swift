import TernJSON
public import TernOpenAI

/// An error in Anthropic's shape, `{"type":"error","error":{"type":…,"message":…}}`, made from the ``OpenAIError`` that
/// Tern raises everywhere: the status stays, the type follows the status as Anthropic's API assigns it.
public enum AnthropicError {
    /// Anthropic's error type for an HTTP status.
    public static func type(forStatus status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 408, 504: "timeout_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 500...: "api_error"
        default: "invalid_request_error"
        }
    }

    /// The body for `error`.
    public static func body(for error: OpenAIError) -> [UInt8] {
        let inner: JSONObject = ["type": .string(type(forStatus: error.status)), "message": .string(error.message)]
        return Array(JSONValue.object(["type": .string("error"), "error": .object(inner)]).jsonText.utf8)
    }
}
