import Foundation
import Testing

@testable import TernOpenAI

@Suite struct OpenAIErrorTests {
    @Test func encodesTheEnvelopeWithNulls() throws {
        try expectEncoding(
            OpenAIError.modelNotFound("gpt-9"),
            equals: #"""
                {"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.",
                "type":"invalid_request_error","param":null,"code":"model_not_found"}}
                """#)
        try expectEncoding(
            OpenAIError.invalidRequest("Bad.", param: "temperature"),
            equals: #"{"error":{"message":"Bad.","type":"invalid_request_error","param":"temperature","code":null}}"#)
    }

    @Test func decodesAnUpstreamEnvelope() throws {
        let body = #"{"error":{"message":"m","type":"server_error","param":null,"code":"overloaded"}}"#
        let error = try JSONDecoder().decode(OpenAIError.self, from: Data(body.utf8))
        #expect(error.message == "m")
        #expect(error.type == "server_error")
        #expect(error.param == nil)
        #expect(error.code == "overloaded")
    }

    @Test func constructorsHaveTheRightStatusTypeAndCode() {
        let cases: [(OpenAIError, Int, String, String?)] = [
            (.invalidRequest("x"), 400, "invalid_request_error", nil),
            (.unsupportedParameter("tools"), 400, "invalid_request_error", "unsupported_parameter"),
            (.modelNotFound("m"), 404, "invalid_request_error", "model_not_found"),
            (.notFound("POST /v1/nope"), 404, "invalid_request_error", nil),
            (.methodNotAllowed(method: "GET", path: "/v1/chat/completions", allowed: ["POST"]), 405, "invalid_request_error", "method_not_allowed"),
            (.bodyTooLarge(limit: 1024), 413, "invalid_request_error", "request_too_large"),
            (.contextLengthExceeded(promptTokens: 10, completionTokens: 20, limit: 16), 400, "invalid_request_error", "context_length_exceeded"),
            (.overloaded(retryAfterSeconds: 2), 503, "server_error", "overloaded"),
            (.internalError(), 500, "server_error", nil),
            (.missingAPIKey, 401, "invalid_request_error", nil),
            (.invalidAPIKey("sk-abcdefgh"), 401, "invalid_request_error", "invalid_api_key"),
            (.rateLimited(.tokens, limit: 1000, retryAfterSeconds: 3), 429, "tokens", "rate_limit_exceeded"),
            (.insufficientQuota, 429, "insufficient_quota", "insufficient_quota"),
            (.permissionDenied(), 403, "invalid_request_error", "permission_denied"),
        ]
        for (error, status, type, code) in cases {
            #expect(error.status == status, "\(error)")
            #expect(error.type == type, "\(error)")
            #expect(error.code == code, "\(error)")
        }
    }

    @Test func contextLengthMessageHasTheNumbers() {
        let chat = OpenAIError.contextLengthExceeded(promptTokens: 2000, completionTokens: 100, limit: 2048)
        #expect(chat.param == "messages")
        #expect(
            chat.message
                == "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (2000 in the messages, "
                + "100 in the completion). Please reduce the length of the messages or completion.")
        let completion = OpenAIError.contextLengthExceeded(promptTokens: 5, completionTokens: 4096, limit: 2048, param: "prompt")
        #expect(completion.param == "prompt")
        #expect(completion.message.contains("4101 tokens (5 in your prompt; 4096 for the completion)"))
    }

    @Test func invalidAPIKeyDoesNotEchoTheKey() {
        let error = OpenAIError.invalidAPIKey("sk-secret-value-123")
        #expect(!error.message.contains("secret-value"))
        #expect(error.message.contains("sk-sec***"))
    }

    @Test func retryAfterIsKeptOutOfTheBody() throws {
        let error = OpenAIError.overloaded(retryAfterSeconds: 5)
        #expect(error.retryAfterSeconds == 5)
        let body = try #require(try foundationJSON(error.jsonBody) as? [String: Any])
        let inner = try #require(body["error"] as? [String: Any])
        #expect(Set(inner.keys) == ["message", "type", "param", "code"])
    }
}
