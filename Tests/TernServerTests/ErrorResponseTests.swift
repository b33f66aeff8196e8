import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TernServer
import Testing

extension ServerTests {
    /// Every failure comes back in OpenAI's envelope with the right status, and the server keeps serving.
    @Suite struct ErrorResponseTests {
        @Test func malformedJSONIs400() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.post("/v1/chat/completions", json: #"{"model": "gpt-4", "messages": ["#)
                    .openAIError(status: .badRequest)
                #expect(error["type"] as? String == "invalid_request_error")
                #expect((error["message"] as? String)?.contains("JSON") == true)
                // Still serving.
                #expect(try await client.execute(uri: "/v1/models", method: .get).status == .ok)
            }
        }

        @Test func wrongContentTypeIs400() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.post("/v1/chat/completions", json: #"{"model":"gpt-4"}"#, contentType: "text/plain")
                    .openAIError(status: .badRequest)
                #expect(error["code"] as? String == "invalid_content_type")
            }
        }

        @Test func unknownRouteIs404() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.execute(uri: "/v1/audio/speech", method: .post).openAIError(status: .notFound)
                #expect(error["message"] as? String == "Invalid URL (POST /v1/audio/speech)")
            }
        }

        @Test(arguments: [
            ("/v1/chat/completions", HTTPRequest.Method.get), ("/v1/completions", .put), ("/v1/models", .post), ("/v1/models/gpt-4", .delete),
        ])
        func wrongMethodIs405(path: String, method: HTTPRequest.Method) async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.execute(uri: path, method: method).openAIError(status: .methodNotAllowed)
                #expect(error["code"] as? String == "method_not_allowed")
            }
        }

        @Test func tooLargeBodyIs413() async throws {
            try await TestServer.test(try TestServer.make(maxBodyBytes: 2048)) { client in
                let content = String(repeating: "a", count: 4096)
                let error = try await client.chat(content: content).openAIError(status: .contentTooLarge)
                #expect((error["message"] as? String)?.contains("2048") == true)
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }

        @Test func unknownModelIs404ModelNotFound() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let chat = try await client.post("/v1/chat/completions", json: #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#)
                #expect(try chat.openAIError(status: .notFound)["code"] as? String == "model_not_found")
                let completion = try await client.post("/v1/completions", json: #"{"model":"gpt-5","prompt":"hi"}"#)
                #expect(try completion.openAIError(status: .notFound)["code"] as? String == "model_not_found")
                let model = try await client.execute(uri: "/v1/models/gpt-5", method: .get)
                #expect(try model.openAIError(status: .notFound)["code"] as? String == "model_not_found")
            }
        }

        @Test(arguments: [
            (#""temperature": 2.5"#, "temperature"), (#""top_p": 0"#, "top_p"), (#""n": 9"#, "n"), (#""max_tokens": 0"#, "max_tokens"),
            (#""presence_penalty": -3"#, "presence_penalty"), (#""top_logprobs": 21, "logprobs": true"#, "top_logprobs"),
            (#""temperature": "hot""#, "temperature"), (#""logit_bias": {"999999": 5}"#, "logit_bias"), (#""stop": ["a","b","c","d","e"]"#, "stop"),
        ])
        func outOfRangeParameterIs400NamingIt(field: String, param: String) async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.chat(field).openAIError(status: .badRequest)
                #expect(error["param"] as? String == param)
            }
        }

        @Test(arguments: [
            (#""functions": [{"name":"f"}]"#, "functions"),
            (#""response_format": {"type":"xml"}"#, "response_format.type"),
            (#""audio": {"voice":"alloy","format":"mp3"}"#, "audio"),
        ])
        func unsupportedParameterIs400NamingIt(field: String, param: String) async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let error = try await client.chat(field).openAIError(status: .badRequest)
                #expect(error["param"] as? String == param)
                #expect((error["message"] as? String)?.contains("not support") == true)
            }
        }

        @Test func imagePartIs400() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = #"{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]}"#
                let error = try await client.post("/v1/chat/completions", json: body).openAIError(status: .badRequest)
                #expect(error["code"] as? String == "unsupported_value")
            }
        }

        @Test func contextExceededIs400WithTheNumbers() async throws {
            try await TestServer.test(try TestServer.make(contextLength: 64)) { client in
                let error = try await client.chat(#""max_tokens": 60"#).openAIError(status: .badRequest)
                #expect(error["code"] as? String == "context_length_exceeded")
                #expect(error["param"] as? String == "messages")
                let message = try #require(error["message"] as? String)
                #expect(message.contains("maximum context length is 64 tokens"))
                #expect(message.contains("60 in the completion"))
                // The prompt alone is too long for the completions endpoint as well.
                let long = String(repeating: "word ", count: 100)
                let completion = try await client.post("/v1/completions", json: #"{"model":"gpt-4","prompt":"\#(long)","max_tokens":1}"#)
                #expect(try completion.openAIError(status: .badRequest)["param"] as? String == "prompt")
                // Far longer than the context: refused as too long, without counting it all.
                let huge = String(repeating: "word ", count: 10_000)
                let tooLong = try await client.chat(content: huge).openAIError(status: .badRequest)
                #expect(tooLong["code"] as? String == "context_length_exceeded")
                #expect((tooLong["message"] as? String)?.contains("the messages alone are longer than that") == true)
            }
        }

        /// While the model loads, `/health` is 503 and requests wait for it (they are not refused).
        @Test func requestsWaitWhileTheModelLoads() async throws {
            let gate = Gate()
            let model = try TestModel.load()
            let server = try TestServer.make(load: {
                gate.wait()
                return model
            })
            try await server.makeApplication().test(.router) { client in
                defer { gate.open() }  // never leave the loading thread waiting, even when an expectation throws
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .serviceUnavailable)
                #expect(try health.json()["status"] as? String == "unavailable")
                #expect(health.headers[.retryAfter] == "1")
                let waiting = Task { try await client.chat(#""max_tokens": 1"#).status }
                let model = try await client.execute(uri: "/v1/models/\(TestServer.modelID)", method: .get).json()
                #expect(model["status"] as? String == "loading")
                gate.open()
                #expect(try await waiting.value == .ok)
                try await TestServer.waitUntilReady(client)
                #expect(try await client.chat(#""max_tokens": 1"#).status == .ok)
            }
        }
    }
}

/// A one-shot gate a loading thread waits on.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func open() { semaphore.signal() }
}
