public import TernJSON

extension OpenAIError {
    /// 400 `invalid_request_error` with a message and the parameter at fault.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 400: the body is not valid JSON.
    public static func malformedJSON(detail: String? = nil) -> OpenAIError {
        var message =
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. "
            + "The API expects a JSON payload, but what was sent was not valid JSON.)"
        if let detail { message += " Detail: \(detail)." }
        return invalidRequest(message)
    }

    /// 400 `unsupported_parameter`: a parameter this server does not implement.
    public static func unsupportedParameter(_ name: String) -> OpenAIError {
        invalidRequest("Unsupported parameter: '\(name)' is not supported by this server.", param: name, code: "unsupported_parameter")
    }

    /// 400 `unsupported_value`: a parameter whose given value this server does not implement.
    public static func unsupportedValue(_ param: String, value: String, supported: [String]) -> OpenAIError {
        var message = "Unsupported value: '\(param)' does not support '\(value)' with this server."
        if !supported.isEmpty { message += " Supported values are: \(quotedList(supported))." }
        return invalidRequest(message, param: param, code: "unsupported_value")
    }

    /// 400: keys OpenAI does not define, e.g. "Unrecognized request argument supplied: foo".
    public static func unrecognizedArguments(_ names: [String]) -> OpenAIError {
        let sorted = names.sorted()
        let noun = sorted.count == 1 ? "argument" : "arguments"
        return invalidRequest("Unrecognized request \(noun) supplied: \(sorted.joined(separator: ", "))", param: sorted.first)
    }

    /// 400 `missing_required_parameter`.
    public static func missingParameter(_ param: String) -> OpenAIError {
        invalidRequest("Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    /// 400 `invalid_type`, e.g. "Invalid type for 'temperature': expected a decimal, but got a string instead."
    public static func invalidType(_ param: String, expected: String, got value: JSONValue) -> OpenAIError {
        invalidRequest(
            "Invalid type for '\(param)': expected \(expected), but got \(value.typeDescription) instead.", param: param, code: "invalid_type")
    }

    /// 400 `invalid_value` for a value outside an enumeration.
    public static func invalidValue(_ param: String, value: String, supported: [String]) -> OpenAIError {
        invalidRequest(
            "Invalid value: '\(value)'. Supported values are: \(quotedList(supported)).", param: param, code: "invalid_value")
    }

    /// 404 `model_not_found`.
    public static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(
            status: 404, message: "The model `\(model)` does not exist or you do not have access to it.", type: "invalid_request_error",
            code: "model_not_found")
    }

    /// 404 for an unknown route, e.g. "Invalid URL (POST /v1/foo)".
    public static func notFound(_ route: String) -> OpenAIError {
        OpenAIError(status: 404, message: "Invalid URL (\(route))", type: "invalid_request_error")
    }

    /// 405 for a known path called with the wrong method.
    public static func methodNotAllowed(method: String, path: String, allowed: [String]) -> OpenAIError {
        OpenAIError(
            status: 405, message: "Method \(method) is not allowed for \(path). Allowed: \(allowed.joined(separator: ", ")).",
            type: "invalid_request_error", code: "method_not_allowed")
    }

    /// 413 for a body over the limit.
    public static func bodyTooLarge(limit: Int) -> OpenAIError {
        OpenAIError(
            status: 413, message: "The request body is too large. The maximum size is \(limit) bytes.", type: "invalid_request_error",
            code: "request_too_large")
    }

    /// 431 for a request head whose header fields are over the limit.
    public static func headerFieldsTooLarge(bytes: Int, fields: Int) -> OpenAIError {
        OpenAIError(
            status: 431, message: "The request's header fields are too large. The maximum is \(bytes) bytes and \(fields) fields.",
            type: "invalid_request_error", code: "request_header_fields_too_large")
    }

    /// 400 for a prompt longer than the whole context (counted only up to the limit, so no total is given).
    public static func promptTooLong(limit: Int, param: String = "messages") -> OpenAIError {
        let what = param == "messages" ? "the messages alone are" : "the prompt alone is"
        return invalidRequest(
            "This model's maximum context length is \(limit) tokens, and \(what) longer than that. Please reduce the length of your \(param).",
            param: param, code: "context_length_exceeded")
    }

    /// 400 `context_length_exceeded`, with OpenAI's wording.
    ///
    /// - Parameters:
    ///   - promptTokens: tokens in the rendered prompt.
    ///   - completionTokens: tokens requested for the completion.
    ///   - limit: the model's context length.
    ///   - param: `messages` for chat, `prompt` for completions.
    public static func contextLengthExceeded(promptTokens: Int, completionTokens: Int, limit: Int, param: String = "messages") -> OpenAIError {
        let total = promptTokens + completionTokens
        let message =
            param == "messages"
            ? "This model's maximum context length is \(limit) tokens. However, you requested \(total) tokens "
                + "(\(promptTokens) in the messages, \(completionTokens) in the completion). "
                + "Please reduce the length of the messages or completion."
            : "This model's maximum context length is \(limit) tokens, however you requested \(total) tokens "
                + "(\(promptTokens) in your prompt; \(completionTokens) for the completion). "
                + "Please reduce your prompt; or completion length."
        return invalidRequest(message, param: param, code: "context_length_exceeded")
    }

    /// 503 `overloaded`: the server cannot admit more work right now.
    public static func overloaded(retryAfterSeconds: Int? = nil) -> OpenAIError {
        OpenAIError(
            status: 503, message: "The server is currently overloaded with other requests. Please retry your request later.",
            type: "server_error", code: "overloaded", retryAfterSeconds: retryAfterSeconds)
    }

    /// 500 `server_error`.
    public static func internalError(_ message: String = "The server had an error while processing your request. Sorry about that!")
        -> OpenAIError
    {
        OpenAIError(status: 500, message: message, type: "server_error")
    }

    /// 401: no `Authorization: Bearer` header.
    public static var missingAPIKey: OpenAIError {
        OpenAIError(
            status: 401,
            message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
                + "(i.e. Authorization: Bearer YOUR_KEY).",
            type: "invalid_request_error")
    }

    /// 401 `invalid_api_key`; only a short prefix of the key is echoed.
    public static func invalidAPIKey(_ key: String) -> OpenAIError {
        let shown = key.count > 6 ? String(key.prefix(6)) + "***" : "***"
        return OpenAIError(
            status: 401, message: "Incorrect API key provided: \(shown).", type: "invalid_request_error", code: "invalid_api_key")
    }

    /// 403: the key may not do this (for example use this model).
    public static func permissionDenied(_ message: String = "You are not allowed to perform this request.") -> OpenAIError {
        OpenAIError(status: 403, message: message, type: "invalid_request_error", code: "permission_denied")
    }

    /// The kind of limit behind a 429, used as the error `type` like OpenAI ("requests" or "tokens").
    public enum RateLimitKind: String, Sendable {
        /// Requests per interval.
        case requests
        /// Tokens per interval.
        case tokens
    }

    /// 429 `rate_limit_exceeded`.
    public static func rateLimited(_ kind: RateLimitKind, limit: Int, interval: String = "min", retryAfterSeconds: Int? = nil)
        -> OpenAIError
    {
        var message = "Rate limit reached for \(kind.rawValue) per \(interval): Limit \(limit)."
        if let retryAfterSeconds { message += " Please try again in \(retryAfterSeconds)s." }
        return OpenAIError(
            status: 429, message: message, type: kind.rawValue, code: "rate_limit_exceeded", retryAfterSeconds: retryAfterSeconds)
    }

    /// 429 `insufficient_quota`: the key's budget is spent.
    public static var insufficientQuota: OpenAIError {
        OpenAIError(
            status: 429, message: "You exceeded your current quota, please check your plan and billing details.",
            type: "insufficient_quota", code: "insufficient_quota")
    }

    static func quotedList(_ values: [String]) -> String {
        let quoted = values.map { "'\($0)'" }
        guard quoted.count > 2 else { return quoted.joined(separator: " and ") }
        return quoted.dropLast().joined(separator: ", ") + ", and " + quoted[quoted.count - 1]
    }
}
