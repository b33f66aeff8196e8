import Foundation
import HTTPTypes
import Hummingbird
import TernOpenAI
import TernStore

/// OpenAI's `x-ratelimit-*` headers and the 429 errors of the limiter.
enum RateLimitHeaders {
    static let limitRequests = HTTPField.Name("x-ratelimit-limit-requests")!
    static let remainingRequests = HTTPField.Name("x-ratelimit-remaining-requests")!
    static let resetRequests = HTTPField.Name("x-ratelimit-reset-requests")!
    static let limitTokens = HTTPField.Name("x-ratelimit-limit-tokens")!
    static let remainingTokens = HTTPField.Name("x-ratelimit-remaining-tokens")!
    static let resetTokens = HTTPField.Name("x-ratelimit-reset-tokens")!

    /// Every header name, for CORS `expose-headers`.
    static let names = [limitRequests, remainingRequests, resetRequests, limitTokens, remainingTokens, resetTokens]

    /// Sets the six headers from `snapshot` (a limit that does not apply leaves its three out).
    static func apply(_ snapshot: RateLimitSnapshot, to headers: inout HTTPFields) {
        if let requests = snapshot.requests {
            headers[limitRequests] = String(requests.limit)
            headers[remainingRequests] = String(requests.remaining)
            headers[resetRequests] = duration(requests.resetSeconds)
        }
        if let tokens = snapshot.tokens {
            headers[limitTokens] = String(tokens.limit)
            headers[remainingTokens] = String(tokens.remaining)
            headers[resetTokens] = duration(tokens.resetSeconds)
        }
    }

    /// A duration as OpenAI writes it: `120ms`, `1s`, `2.5s`, `6m0s`, `1h2m3s`.
    static func duration(_ seconds: Double) -> String {
        let milliseconds = Int((max(0, seconds) * 1000).rounded(.up))
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let rest = Double(milliseconds % 60_000) / 1000
        var text = rest == rest.rounded() ? "\(Int(rest))s" : String(format: "%g", rest) + "s"
        if hours > 0 || minutes > 0 { text = "\(minutes)m" + text }
        if hours > 0 { text = "\(hours)h" + text }
        return text
    }

    /// The 429 for a refusal of the limiter, with `retry-after` in whole seconds where waiting helps.
    static func error(for rejection: RateLimitRejection) -> OpenAIError {
        switch rejection {
        case .requests(let limit, let retryAfter):
            return .rateLimited(.requests, limit: limit, retryAfterSeconds: seconds(retryAfter))
        case .tokens(let limit, let requested, let retryAfter):
            guard let retryAfter else {
                return OpenAIError(
                    status: 429,
                    message: "Request too large: this key's limit is \(limit) tokens per min, and this request needs up to \(requested) "
                        + "(prompt plus max_tokens). Lower max_tokens or shorten the prompt.",
                    type: "tokens", code: "rate_limit_exceeded")
            }
            var error = OpenAIError.rateLimited(.tokens, limit: limit, retryAfterSeconds: seconds(retryAfter))
            error.message += " Requested \(requested)."
            return error
        case .concurrency(let limit):
            return OpenAIError(
                status: 429, message: "Too many concurrent requests for this key: the limit is \(limit). Retry when one has finished.",
                type: "requests", code: "rate_limit_exceeded", retryAfterSeconds: 1)
        case .budget(let budget, let remaining, let requested, let resetsAt):
            let reset = ISO8601DateFormatter().string(from: resetsAt)
            return OpenAIError(
                status: 429,
                message: "You exceeded your current quota: this key's budget is \(budget.tokens) tokens per \(budget.period.rawValue), "
                    + "\(remaining) are left, and this request needs up to \(requested) (prompt plus max_tokens). The budget resets at \(reset).",
                type: "insufficient_quota", code: "insufficient_quota")
        }
    }

    private static func seconds(_ value: Double) -> Int { max(1, Int(value.rounded(.up))) }
}
