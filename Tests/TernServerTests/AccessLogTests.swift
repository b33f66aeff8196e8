import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import TernServer

extension ServerTests {
    /// Every response carries an `x-request-id`, and every request leaves one access-log line, streams included.
    @Suite struct AccessLogTests {
        static let requestID = HTTPField.Name("x-request-id")!

        @Test func requestIDsAreEchoedOrMadeAndEveryRequestIsLoggedOnce() async throws {
            try await TestAccess.with { access in
                let key = try await access.key()
                let lines = LogCapture.Lines()
                let server = try TestServer.make(access: access.control, logger: LogCapture.logger(lines))
                try await TestServer.test(server) { client in
                    var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(key)"]
                    headers[Self.requestID] = "trace-42"
                    // greedy, so that the answer (3 tokens, no early end) is the same every run
                    let body = #"{"model":"gpt-4","messages":[{"role":"user","content":"Hi there"}],"max_tokens":3,"temperature":0,"stream":true}"#
                    let streamed = try await client.execute(
                        uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: body))
                    #expect(streamed.status == .ok)
                    #expect(streamed.headers[Self.requestID] == "trace-42")
                    // An id that is not plain visible ASCII is replaced by one of the server's.
                    headers[Self.requestID] = "two words"
                    let refused = try await client.execute(uri: "/v1/models/gpt-4", method: .get, headers: [Self.requestID: "two words"])
                    #expect(refused.status == .unauthorized)
                    let made = try #require(refused.headers[Self.requestID])
                    #expect(made.hasPrefix("req_") && made.count == 28)

                    // The test client waited for /health first; the two requests above come after.
                    let requests = lines.all.filter { $0.hasPrefix("info request ") && !$0.contains("/health") }
                    #expect(requests.count == 2, "\(requests)")
                    let chat = try #require(requests.first { $0.contains("trace-42") })
                    for field in [
                        #""http.route": /v1/chat/completions"#, #""http.status": 200"#, #""tokens.completion": 3"#, #""key.id": key_"#,
                        #""http.method": POST"#,
                    ] {
                        #expect(chat.contains(field), "\(field) in \(chat)")
                    }
                    let models = try #require(requests.first { $0.contains(made) })
                    #expect(models.contains(#""http.route": /v1/models/**"#) && models.contains(#""http.status": 401"#), "\(models)")
                    // A space cannot occur in the random ids, which may hold "Hi" by chance.
                    #expect(!lines.all.contains { $0.contains("Hi there") }, "prompts are not logged")
                }
            }
        }
    }
}
