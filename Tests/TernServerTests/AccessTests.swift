import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernStore
import Testing

@testable import TernServer

extension ServerTests {
    /// Keys, limits, budgets and the ledger through the real router.
    @Suite struct AccessTests {
        @Test func everyAPIRouteNeedsAValidKey() async throws {
            try await TestAccess.with { access in
                let key = try await access.key()
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    for uri in ["/v1/models", "/v1/models/gpt-4", "/admin/keys", "/metrics"] {
                        let missing = try await client.get(uri, key: nil).openAIError(status: .unauthorized)
                        #expect(missing["code"] as? String == "invalid_api_key", "\(uri)")
                    }
                    let wrong = try await client.get("/v1/models", key: "tern-wrong").openAIError(status: .unauthorized)
                    #expect(wrong["code"] as? String == "invalid_api_key")
                    // The message shows at most the first characters of what was sent.
                    #expect((wrong["message"] as? String)?.contains("tern-wrong") == false)
                    // A path no route serves is 404 with or without a key, as OpenAI answers it.
                    #expect(try await client.get("/v1/audio/speech", key: nil).status == .notFound)
                    let chat = try await client.chat(#""max_tokens": 1"#).openAIError(status: .unauthorized)
                    #expect(chat["code"] as? String == "invalid_api_key")
                    // Open: health and the API description.
                    #expect(try await client.get("/health", key: nil).status == .ok)
                    #expect(try await client.get("/openapi.json", key: nil).status == .ok)
                    #expect(try await client.get("/v1/models", key: key).status == .ok)
                }
            }
        }

        /// `/metrics` takes any valid key, even one allowed no served model (a scraper's), and a scrape is neither
        /// limited nor charged.
        @Test func metricsTakeAnyValidKeyAndAreNotCharged() async throws {
            try await TestAccess.with { access in
                let scraper = try await access.key(NewAPIKey(name: "scraper", models: ["none"], limits: KeyLimits(requestsPerMinute: 1)))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let missing = try await client.get("/metrics", key: nil).openAIError(status: .unauthorized)
                    #expect(missing["code"] as? String == "invalid_api_key")
                    for _ in 0..<3 { #expect(try await client.get("/metrics", key: scraper).status == .ok) }
                    #expect(try await client.chat(#""max_tokens": 1"#, key: scraper).status == .forbidden)
                    let ledger = try #require(try await access.usage(of: "scraper"))
                    #expect(ledger.requests == 1)
                }
            }
        }

        @Test func revokedAndExpiredKeysAre401() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(name: "soon-revoked"))
                // A key cannot be made with an expiry that has passed: this one expires a moment after it is made.
                let expired = try await access.key(NewAPIKey(expiresAt: Date(timeIntervalSinceNow: 0.5)))
                try await Task.sleep(for: .seconds(1))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    #expect(try await client.get("/v1/models", key: key).status == .ok)
                    _ = try await access.store.revoke("soon-revoked")
                    let revoked = try await client.get("/v1/models", key: key).openAIError(status: .unauthorized)
                    #expect((revoked["message"] as? String)?.contains("revoked") == true)
                    let old = try await client.get("/v1/models", key: expired).openAIError(status: .unauthorized)
                    #expect((old["message"] as? String)?.contains("expired") == true)
                }
            }
        }

        @Test func modelOutsideTheKeysListIs403() async throws {
            try await TestAccess.with { access in
                let limited = try await access.key(NewAPIKey(models: ["other-model"]))
                let aliasOnly = try await access.key(NewAPIKey(models: ["gpt-4"]))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let error = try await client.chat(#""max_tokens": 1"#, key: limited).openAIError(status: .forbidden)
                    #expect(error["code"] as? String == "model_not_allowed")
                    #expect(try await client.chat(#""max_tokens": 1"#, key: aliasOnly).status == .ok)
                }
            }
        }

        @Test func everyAPIResponseCarriesRateLimitHeaders() async throws {
            // Slow refills (one request per 6 s, 10 tokens per s), so that what a request took still shows afterwards.
            try await TestAccess.with(defaults: KeyLimits(requestsPerMinute: 10, tokensPerMinute: 600)) { access in
                let key = try await access.key()
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let models = try await client.get("/v1/models", key: key)
                    #expect(models.headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "10")
                    #expect(models.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "9")
                    #expect(models.headers[HTTPField.Name("x-ratelimit-reset-requests")!]?.hasSuffix("s") == true)
                    #expect(models.headers[HTTPField.Name("x-ratelimit-limit-tokens")!] == "600")
                    #expect(models.headers[HTTPField.Name("x-ratelimit-remaining-tokens")!] == "600")
                    let chat = try await client.chat(#""max_tokens": 2"#, key: key)
                    #expect(chat.status == .ok)
                    let usage = try #require(try chat.json()["usage"] as? [String: Any])
                    let used = try #require(usage["total_tokens"] as? Int)
                    let remaining = try #require(chat.headers[HTTPField.Name("x-ratelimit-remaining-tokens")!].flatMap { Int($0) })
                    #expect(remaining < 600 && remaining >= 600 - used)
                    #expect(chat.headers[HTTPField.Name("x-ratelimit-reset-tokens")!]?.hasSuffix("s") == true)
                    let error = try await client.chat(#""temperature": 9"#, key: key)
                    #expect(error.status == .badRequest)
                    #expect(error.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] != nil)
                }
            }
        }

        @Test func requestsPerMinuteOverTheLimitAre429WithRetryAfter() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(limits: KeyLimits(requestsPerMinute: 2)))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    #expect(try await client.get("/v1/models", key: key).status == .ok)
                    // A generation is admitted together with its tokens, and counts the same.
                    #expect(try await client.chat(#""max_tokens": 2"#, key: key).status == .ok)
                    for limited in [try await client.get("/v1/models", key: key), try await client.chat(#""max_tokens": 2"#, key: key)] {
                        let error = try limited.openAIError(status: .tooManyRequests)
                        #expect(error["code"] as? String == "rate_limit_exceeded")
                        #expect(limited.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 } == true)
                        #expect(limited.headers[HTTPField.Name("x-ratelimit-remaining-requests")!] == "0")
                    }
                }
            }
        }

        /// Requests refused for requests per minute, tokens per minute or concurrency are rows of the ledger too.
        @Test func everyRateLimitRefusalIsALedgerRow() async throws {
            try await TestAccess.with { access in
                let perMinute = try await access.key(NewAPIKey(name: "rpm", limits: KeyLimits(requestsPerMinute: 1, tokensPerMinute: 100)))
                let single = try await access.key(NewAPIKey(name: "single", limits: KeyLimits(maxConcurrent: 1)))
                let server = try TestServer.make(access: access.control)
                try await TestServer.test(server, .live) { client in
                    #expect(try await client.chat(#""max_tokens": 200"#, key: perMinute).status == .tooManyRequests)  // tokens
                    #expect(try await client.get("/v1/models", key: perMinute).status == .tooManyRequests)  // requests
                    // One request of `single` runs (streaming); a second one at the same time is refused.
                    let port = try #require(client.port)
                    let running = try RawConnection(port: port)
                    running.sendPost(
                        path: "/v1/chat/completions",
                        json: TestServer.longStory(stream: true),
                        key: single)
                    _ = running.receive { $0.contains("data: ") }
                    let refused = try await client.get("/v1/models", key: single).openAIError(status: .tooManyRequests)
                    #expect(refused["code"] as? String == "rate_limit_exceeded")
                    running.close()
                    #expect(try await DisconnectAndConcurrencyTests.waitForIdle(server))
                    let rows = try await access.usage(of: "single", once: 2)
                    #expect(rows?.requests == 2 && rows?.failedRequests == 2)  // the refusal and the hang-up
                    let limited = try #require(try await access.usage(of: "rpm"))
                    #expect(limited.requests == 2 && limited.failedRequests == 2)
                }
            }
        }

        @Test func tokensPerMinuteCountPromptAndMaxTokens() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(limits: KeyLimits(tokensPerMinute: 100)))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let tooLarge = try await client.chat(#""max_tokens": 200"#, key: key).openAIError(status: .tooManyRequests)
                    #expect(tooLarge["code"] as? String == "rate_limit_exceeded")
                    #expect(try await client.chat(#""max_tokens": 2"#, key: key).status == .ok)
                }
            }
        }

        @Test func budgetExhaustedIs429InsufficientQuota() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(name: "budget", budget: TokenBudget(tokens: 60, period: .day)))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let first = try await client.chat(#""max_tokens": 2"#, key: key)
                    #expect(first.status == .ok)
                    let used = try #require((try first.json()["usage"] as? [String: Any])?["total_tokens"] as? Int)
                    // What is left cannot cover another prompt of the same size.
                    #expect(used > 30)
                    let error = try await client.chat(#""max_tokens": 2"#, key: key).openAIError(status: .tooManyRequests)
                    #expect(error["code"] as? String == "insufficient_quota")
                    #expect(error["type"] as? String == "insufficient_quota")
                    let usage = try #require(try await access.usage(of: "budget"))
                    #expect(usage.promptTokens + usage.completionTokens == used)
                }
            }
        }

        @Test func concurrentRequestsNeverOverrunABudget() async throws {
            try await TestAccess.with { access in
                // Each request reserves its prompt (about 30 tokens) plus 2; the budget fits only a few of 24 at once.
                let key = try await access.key(NewAPIKey(name: "racer", budget: TokenBudget(tokens: 200, period: .month)))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                        for _ in 0..<24 { group.addTask { UInt(try await client.chat(#""max_tokens": 2"#, key: key).status.code) } }
                        return try await group.reduce(into: [UInt]()) { $0.append($1) }
                    }
                    let succeeded = statuses.filter { $0 == 200 }.count
                    #expect(succeeded >= 1)
                    #expect(statuses.allSatisfy { $0 == 200 || $0 == 429 })
                    let usage = try #require(try await access.usage(of: "racer"))
                    #expect(usage.promptTokens + usage.completionTokens <= 200)
                    #expect(usage.requests == 24)
                    #expect(usage.failedRequests == 24 - succeeded)
                }
            }
        }

        @Test func ledgerHasOneRowPerRequestWithTheResponsesUsage() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(name: "ledger"))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let whole = try await client.chat(#""max_tokens": 3"#, key: key).json()
                    let usage = try #require(whole["usage"] as? [String: Any])
                    let streamed = try await client.chat(#""max_tokens": 4, "stream": true, "stream_options": {"include_usage": true}"#, key: key)
                    #expect(String(buffer: streamed.body).hasSuffix("data: [DONE]\n\n"))
                    _ = try await client.get("/v1/models", key: key)
                    let ledger = try #require(try await access.usage(of: "ledger"))
                    #expect(ledger.requests == 3)
                    #expect(ledger.completionTokens == (usage["completion_tokens"] as? Int ?? -1) + 4)
                    #expect(ledger.promptTokens == 2 * (usage["prompt_tokens"] as? Int ?? -1))
                }
            }
        }

        @Test func aClientThatHangsUpIsRecordedAndChargedForWhatWasGenerated() async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(name: "quitter"))
                let server = try TestServer.make(access: access.control)
                try await TestServer.test(server, .live) { client in
                    let port = try #require(client.port)
                    for stream in [true, false] {
                        let connection = try RawConnection(port: port)
                        connection.sendPost(
                            path: "/v1/chat/completions",
                            json:
                                TestServer.longStory(stream: stream),
                            key: key)
                        if stream {
                            _ = connection.receive { $0.components(separatedBy: "data: ").count > 3 }
                        } else {
                            let scheduler = try #require(server.models.scheduler(of: TestServer.modelID))
                            for _ in 0..<2000 where scheduler.load == 0 { try await Task.sleep(for: .milliseconds(5)) }
                            try await Task.sleep(for: .milliseconds(200))
                        }
                        connection.close()
                        #expect(try await DisconnectAndConcurrencyTests.waitForIdle(server))
                    }
                    let usage = try await access.usage(of: "quitter", once: 2)
                    #expect(usage?.requests == 2)
                    #expect(usage?.failedRequests == 2)
                    // The streamed one had sent at least two content chunks: those tokens count.
                    #expect((usage?.completionTokens ?? 0) >= 2)
                    #expect((usage?.promptTokens ?? 0) > 0)
                }
            }
        }

        @Test(arguments: [false, true])
        func logsNeverHoldAKeyAndHoldPromptsOnlyWhenAsked(logPrompts: Bool) async throws {
            try await TestAccess.with { access in
                let key = try await access.key(NewAPIKey(name: "logged"))
                let lines = LogCapture.Lines()
                let server = try TestServer.make(
                    access: access.control, logger: LogCapture.logger(lines), configure: { $0.logPrompts = logPrompts })
                try await server.makeApplication().test(.router) { client in
                    try await TestServer.waitUntilReady(client)
                    #expect(try await client.chat(#""max_tokens": 1"#, content: "secret-prompt-words", key: key).status == .ok)
                    #expect(try await client.chat(#""temperature": 9"#, content: "secret-prompt-words", key: key).status == .badRequest)
                    #expect(try await client.get("/v1/models", key: key + "x").status == .unauthorized)
                }
                let text = lines.all.joined(separator: "\n")
                #expect(!lines.all.isEmpty)
                #expect(!text.contains(key))
                #expect(!text.contains(String(key.dropFirst(5).prefix(12))))
                #expect(text.contains("secret-prompt-words") == logPrompts)
            }
        }

        @Test func adminAPINeedsAnAdminKeyAndManagesKeys() async throws {
            try await TestAccess.with { access in
                let admin = try await access.key(NewAPIKey(name: "root", isAdmin: true))
                let user = try await access.key(NewAPIKey(name: "user"))
                try await TestServer.test(try TestServer.make(access: access.control)) { client in
                    let denied = try await client.get("/admin/keys", key: user).openAIError(status: .forbidden)
                    #expect(denied["code"] as? String == "permission_denied")
                    let created = try await client.post("/admin/keys", json: #"{"name":"made","rpm":5,"models":["gpt-4"]}"#, key: admin)
                    #expect(created.status == .created)
                    let secret = try #require(try created.json()["key"] as? String)
                    #expect(secret.hasPrefix("tern-"))
                    #expect(try await client.get("/v1/models", key: secret).headers[HTTPField.Name("x-ratelimit-limit-requests")!] == "5")
                    let list = try await client.get("/admin/keys", key: admin).json()
                    let names = (list["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                    #expect(names == ["root", "user", "made"])
                    #expect(String(buffer: try await client.get("/admin/keys", key: admin).body).contains(secret) == false)
                    let duplicate = try await client.post("/admin/keys", json: #"{"name":"made"}"#, key: admin).openAIError(status: .badRequest)
                    #expect(duplicate["code"] as? String == "duplicate_name")
                    let past = try await client.post("/admin/keys", json: #"{"name":"old","expires_at":"2020-01-01T00:00:00Z"}"#, key: admin)
                    #expect((try past.openAIError(status: .badRequest)["message"] as? String)?.contains("has passed") == true)
                    let revoked = try await client.execute(uri: "/admin/keys/made", method: .delete, headers: [.authorization: "Bearer \(admin)"])
                    #expect(revoked.status == .ok)
                    #expect(try await client.get("/v1/models", key: secret).status == .unauthorized)
                    let usage = try await client.get("/admin/usage", key: admin).json()
                    let made = (usage["data"] as? [[String: Any]])?.first { $0["name"] as? String == "made" }
                    #expect(made?["requests"] as? Int == 1)
                }
            }
        }
    }
}

@Suite struct RateLimitHeaderFormatTests {
    @Test(arguments: [(0.12, "120ms"), (1, "1s"), (2.5, "2.5s"), (360, "6m0s"), (90.5, "1m30.5s"), (3723, "1h2m3s"), (0, "0ms")])
    func durationsAreWrittenAsOpenAIWritesThem(seconds: Double, text: String) {
        #expect(RateLimitHeaders.duration(seconds) == text)
    }
}
