import Foundation
import Hummingbird
import HummingbirdTesting
import TernOpenAI
import Testing

@testable import TernServer

extension ServerTests {
    /// `POST /v1/responses` and the stored responses behind `GET`/`DELETE /v1/responses/{id}`.
    @Suite struct ResponsesTests {
        @Test func storedResponsesAreReadBackUntilTheyExpire() async throws {
            // Without access control the responses live in memory, still per key (here: no key at all).
            let server = try TestServer.make(configure: { $0.responseRetention = .seconds(1) })
            try await TestServer.test(server) { client in
                let created = try await client.post("/v1/responses", json: #"{"model":"gpt-4","input":"Hi","max_output_tokens":3}"#).json()
                let id = try #require(created["id"] as? String)
                let read = try await client.get("/v1/responses/\(id)", key: nil)
                #expect(read.status == .ok)
                #expect(try read.json()["id"] as? String == id)
                try await Task.sleep(for: .milliseconds(1500))
                _ = try await client.get("/v1/responses/\(id)", key: nil).openAIError(status: .notFound)
                let continued = try await client.post(
                    "/v1/responses", json: #"{"model":"gpt-4","input":"Hi","previous_response_id":"\#(id)"}"#)
                #expect(try continued.openAIError(status: .notFound)["param"] as? String == "previous_response_id")
            }
        }

        @Test(arguments: [
            (#"{"model":"m"}"#, "input"),
            (#"{"model":"m","input":[]}"#, "input"),
            (#"{"model":"m","input":[{"role":"tool","content":"x"}]}"#, "input[0].role"),
            (#"{"model":"m","input":[{"type":"computer_call_output","call_id":"c","output":"x"}]}"#, "input[0].type"),
            (#"{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}"#, "input[0].output"),
            (#"{"model":"m","input":"x","tools":[{"type":"web_search"}]}"#, "tools[0].type"),
            (#"{"model":"m","input":"x","reasoning":{"effort":"low"}}"#, "reasoning"),
            (#"{"model":"m","input":"x","tool_choice":{"type":"function","name":"g"},"tools":[{"type":"function","name":"f"}]}"#, "tool_choice.name"),
            (#"{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"bad name","schema":{}}}}"#, "text.format.name"),
        ])
        func badRequestsNameTheField(body: String, param: String) {
            #expect {
                try ResponseRequest.decode(from: Array(body.utf8))
            } throws: { error in
                guard let error = error as? OpenAIError else { return false }
                return error.status == 400 && (error.param == param || (error.param?.hasPrefix(param) ?? false))
            }
        }
    }
}
