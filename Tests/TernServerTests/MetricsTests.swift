import Foundation
import HummingbirdTesting
import TernEngine
import TernServer
import Testing

extension ServerTests {
    /// `GET /metrics` in Prometheus' text format: what the scheduler did, and a warning in the log when the KV budget
    /// forces preemptions.
    @Suite struct MetricsTests {
        @Test func metricsCountRequestsTokensAndPreemptions() async throws {
            let model = try TestModel.load()
            let context = 128
            let budget = KVFootprint(config: model.config, contextLength: context).bytes(tokens: context)
            let lines = LogCapture.Lines()
            let server = try TestServer.make(
                contextLength: context, maxSequences: 3, logger: LogCapture.logger(lines), configure: { $0.kvMemoryBytes = budget })
            try await TestServer.test(server) { client in
                let before = try await client.metrics()
                #expect(before["tern_model_ready"] == 1)
                #expect(before["tern_generation_tokens_total"] == 0)
                #expect(before["tern_kv_cache_budget_bytes"] == Double(budget))

                // Three answers of 90 tokens (the end-of-text tokens are banned) do not fit one 128-token context
                // together: sequences are preempted and computed again.
                let usages = try await withThrowingTaskGroup(of: (prompt: Int, completion: Int).self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            let response = try await client.post(
                                "/v1/completions",
                                json: #"{"model":"gpt-4","prompt":"Once upon a time","max_tokens":90,"logit_bias":{"0":-100,"2":-100}}"#)
                            let usage = try #require(try response.json()["usage"] as? [String: Any])
                            return (usage["prompt_tokens"] as? Int ?? -1, usage["completion_tokens"] as? Int ?? -1)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let after = try await client.metrics()
                #expect(after["tern_requests_total{outcome=\"finished\"}"] == 3)
                #expect(after["tern_requests_total{outcome=\"rejected\"}"] == 0)
                #expect(after["tern_generation_tokens_total"] == Double(usages.map(\.completion).reduce(0, +)))
                #expect(after["tern_generation_tokens_total"] == 270)
                #expect(after["tern_prompt_tokens_total"] == Double(usages.map(\.prompt).reduce(0, +)))
                #expect((after["tern_preemptions_total"] ?? 0) > 0)
                #expect(after["tern_requests_running"] == 0)
                #expect(after["tern_requests_waiting"] == 0)
                #expect(after["tern_time_to_first_token_seconds_count"] == 3)
                #expect(after["tern_time_to_first_token_seconds_bucket{le=\"+Inf\"}"] == 3)
                #expect(after["tern_inter_token_latency_seconds_count"] == 267, "a gap before every token but each answer's first")
                #expect(after["tern_e2e_request_latency_seconds_count"] == 3)
                #expect(after["tern_request_queue_time_seconds_count"] == 3)
                #expect((after["tern_scheduler_busy_seconds_total"] ?? 0) > 0)
                #expect((after["tern_kv_cache_bytes"] ?? .infinity) <= Double(budget))
            }
            let warnings = lines.all.filter { $0.hasPrefix("warning KV memory full: preempted") }
            #expect(!warnings.isEmpty)
        }

        @Test func theTextFollowsTheExpositionFormat() async throws {
            try await TestServer.test(try TestServer.make()) { client in
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.hasSuffix("\n"))
                var described: Set<String> = []
                for line in text.split(separator: "\n") {
                    if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                        let name = line.split(separator: " ")[2]
                        if line.hasPrefix("# TYPE ") {
                            #expect(["gauge", "counter", "histogram"].contains(line.split(separator: " ").last ?? ""), "\(line)")
                            described.insert(String(name))
                        }
                        continue
                    }
                    // Every sample belongs to a family declared before it, and its value is a number.
                    let name = line.prefix { $0 != "{" && $0 != " " }
                    let family = ["_bucket", "_sum", "_count"].reduce(String(name)) { name, suffix in
                        name.hasSuffix(suffix) && described.contains(String(name.dropLast(suffix.count))) ? String(name.dropLast(suffix.count)) : name
                    }
                    #expect(described.contains(family), "\(line)")
                    #expect(Double(line.split(separator: " ").last ?? "") != nil, "\(line)")
                }
                #expect(described.count >= 15)
            }
        }
    }
}

extension TestClientProtocol {
    /// `GET /metrics` as a dictionary from each sample's name and labels to its value: the samples of `model` (its
    /// label left out) and those of no model.
    func metrics(key: String? = nil, model: String = TestServer.modelID) async throws -> [String: Double] {
        let response = try await get("/metrics", key: key)
        #expect(response.status == .ok)
        var samples: [String: Double] = [:]
        let label = "model=\"\(model)\""
        for line in String(buffer: response.body).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            var name = String(line[..<space])
            if name.contains("model=\"") {
                guard name.contains(label) else { continue }
                name = name.replacingOccurrences(of: label + ",", with: "").replacingOccurrences(of: "{" + label + "}", with: "")
            }
            samples[name] = Double(line[line.index(after: space)...])
        }
        return samples
    }
}
