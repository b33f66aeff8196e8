import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernAnthropic
import TernOpenAI
import Testing

@testable import TernServer

extension ServerTests {
    /// Anthropic's `POST /v1/messages` and `/v1/messages/count_tokens`: its request, response, stream and error shapes.
    @Suite struct MessagesTests {
        @Test(arguments: [
            (#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}"#, "messages[0].content[0].type"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"temperature":1.5}"#, "temperature"),
            (
                #"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"w"}]}"#,
                "tools[0].type"
            ),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"a b","input_schema":{}}]}"#, "tools[0].name"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"any"}}"#, "tool_choice"),
            (
                #"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"tool","name":"b"}}"#,
                "tool_choice.name"
            ),
            (
                #"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"a","input":{}}]}]}"#,
                "messages[0].content[0].type"
            ),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}"#, "messages[0].role"),
            (#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":"x"}]}"#, "messages"),
        ])
        func badRequestsNameTheField(body: String, param: String) {
            #expect {
                try MessagesRequest.decode(from: Array(body.utf8))
            } throws: { error in
                (error as? OpenAIError)?.param == param && (error as? OpenAIError)?.status == 400
            }
        }

        @Test func systemBlocksJoinAndATrailingAssistantTurnIsThePrefill() throws {
            let body = #"""
                {"model":"m","max_tokens":5,"system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind."}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},{"role":"assistant","content":"Hello,"}],
                 "stop_sequences":["END"],"top_k":5}
                """#
            let request = try MessagesRequest.decode(from: Array(body.utf8))
            #expect(request.prefill == "Hello,")
            #expect(request.chatRequest.messages.map(\.role) == [.system, .user])
            #expect(request.chatRequest.messages[0].text == "Be brief.\nBe kind.")
            #expect(request.sampling.stop == ["END"] && request.sampling.topK == 5)
            #expect(
                try MessagesRequest.decode(from: Array(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#.utf8), requireMaxTokens: false)
                    .maxTokens == nil)
        }

        @Test func toolUseAndToolResultBlocksBecomeCallsAndToolMessages() throws {
            let body = #"""
                {"model":"m","max_tokens":50,
                 "tools":[{"name":"get_weather","description":"Weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
                 "tool_choice":{"type":"any","disable_parallel_tool_use":true},
                 "messages":[{"role":"user","content":"Weather in Paris?"},
                   {"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18 °C"}]},{"type":"text","text":"Thanks!"}]}]}
                """#
            let request = try MessagesRequest.decode(from: Array(body.utf8))
            let chat = request.chatRequest
            #expect(chat.tools.map(\.name) == ["get_weather"] && chat.toolChoice == .required && !chat.parallelToolCalls)
            #expect(chat.messages.map(\.role) == [.user, .assistant, .tool, .user])
            #expect(
                chat.messages[1].text == "Let me look."
                    && chat.messages[1].toolCalls == [ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
            #expect(chat.messages[2].toolCallID == "toolu_1" && chat.messages[2].text == "18 °C")
            #expect(request.prefill == nil, "an assistant turn that calls tools is a finished turn")
        }

        /// A streamed call is one `tool_use` block: its input arrives as `input_json_delta` pieces that join into an object
        /// valid for the tool, and the message stops with `tool_use`.
        @Test func aStreamedToolCallIsAToolUseBlock() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = #"""
                    {"model":"gpt-4","max_tokens":60,"stream":true,
                     "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
                     "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
                     "messages":[{"role":"user","content":"Weather in Rome?"}]}
                    """#
                let streamed = try await client.post("/v1/messages", json: body)
                let events = try String(buffer: streamed.body).split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { line in
                    try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any])
                }
                let types = events.compactMap { $0["type"] as? String }
                #expect(
                    types.filter { $0 != "content_block_delta" } == [
                        "message_start", "content_block_start", "ping", "content_block_stop", "message_delta", "message_stop",
                    ])
                let block = try #require(events.first { $0["type"] as? String == "content_block_start" })
                #expect(block["index"] as? Int == 0)
                let start = try #require(block["content_block"] as? [String: Any])
                #expect(start["type"] as? String == "tool_use" && start["name"] as? String == "get_weather")
                #expect((start["id"] as? String)?.hasPrefix("toolu_") == true)
                let pieces = events.compactMap { event -> String? in
                    guard let delta = event["delta"] as? [String: Any], delta["type"] as? String == "input_json_delta" else { return nil }
                    #expect(event["index"] as? Int == 0)
                    return delta["partial_json"] as? String
                }
                let input = try #require(try JSONSerialization.jsonObject(with: Data(pieces.joined().utf8)) as? [String: Any])
                #expect(input["city"] is String)
                let stop = try #require(events.first { $0["type"] as? String == "message_delta" }?["delta"] as? [String: Any])
                #expect(stop["stop_reason"] as? String == "tool_use")
            }
        }

        @Test func wholeAndStreamedAnswersAgreeWithEachOther() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let body = #"{"model":"gpt-4","max_tokens":6,"temperature":0,"messages":[{"role":"user","content":"Say hello."}]"#
                let whole = try await client.post("/v1/messages", json: body + "}").json()
                #expect((whole["id"] as? String)?.hasPrefix("msg_") == true)
                let content = try #require(whole["content"] as? [[String: Any]])
                let text = try #require(content.first?["text"] as? String)
                let streamed = try await client.post("/v1/messages", json: body + #","stream":true}"#)
                #expect(streamed.headers[.contentType] == "text/event-stream")
                let lines = String(buffer: streamed.body).split(separator: "\n")
                let names = lines.filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
                #expect(names.first == "message_start" && names.last == "message_stop")
                #expect(
                    names.filter { $0 != "content_block_delta" } == [
                        "message_start", "content_block_start", "ping", "content_block_stop", "message_delta", "message_stop",
                    ])
                let deltas = try lines.filter { $0.hasPrefix("data: ") && $0.contains("text_delta") }.map { line in
                    let event = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any])
                    return try #require((event["delta"] as? [String: Any])?["text"] as? String)
                }
                #expect(deltas.joined() == text)
            }
        }

        @Test func refusalsAreInAnthropicShapeWithOpenAIStatuses() async throws {
            try await TestAccess.with { access in
                let key = try await access.key()
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let body = #"{"model":"gpt-4","max_tokens":1,"messages":[{"role":"user","content":"x"}]}"#
                    let missing = try await client.post("/v1/messages", json: body)
                    #expect(missing.status == .unauthorized)
                    #expect(try Self.anthropicError(missing) == "authentication_error")
                    var headers: HTTPFields = [.contentType: "application/json"]
                    headers[HTTPField.Name("x-api-key")!] = key
                    let ok = try await client.execute(uri: "/v1/messages", method: .post, headers: headers, body: ByteBuffer(string: body))
                    #expect(ok.status == .ok)
                    let count = try await client.execute(
                        uri: "/v1/messages/count_tokens", method: .post, headers: headers,
                        body: ByteBuffer(string: #"{"model":"gpt-4","messages":[{"role":"user","content":"x"}]}"#))
                    #expect(try count.json()["input_tokens"] as? Int == (try ok.json()["usage"] as? [String: Any])?["input_tokens"] as? Int)
                    let wrongMethod = try await client.get("/v1/messages", key: key)
                    #expect(wrongMethod.status == .methodNotAllowed)
                    #expect(try Self.anthropicError(wrongMethod) == "invalid_request_error")
                    // The OpenAI routes keep OpenAI's envelope.
                    _ = try await client.chat(key: nil).openAIError(status: .unauthorized)
                }
            }
        }

        /// The `error.type` of an Anthropic error body, checked for its shape.
        static func anthropicError(_ response: TestResponse) throws -> String? {
            let body = try response.json()
            #expect(body["type"] as? String == "error")
            let error = try #require(body["error"] as? [String: Any])
            #expect(Set(error.keys) == ["type", "message"])
            return error["type"] as? String
        }
    }
}
