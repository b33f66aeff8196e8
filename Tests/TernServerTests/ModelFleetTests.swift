import Foundation
import Hummingbird
import HummingbirdTesting
import TernEngine
import TernOpenAI
import TernScheduler
import TernStore
import Testing

@testable import TernServer

extension ServerTests {
    /// Two real models behind one server: loaded on demand, unloaded when idle or for room, a broken file failing only
    /// its own requests, and the admin routes that load and unload.
    @Suite struct ModelFleetTests {
        static let smol = "smollm2"
        static let gemma = "gemma-3"

        /// The file of the second model, Gemma 3 270M (`TERN_TEST_GEMMA3_MODEL`; scripts/test.sh fetches it).
        static func gemmaPath() throws -> String {
            guard let path = ProcessInfo.processInfo.environment["TERN_TEST_GEMMA3_MODEL"], !path.isEmpty else {
                throw TestSetupError("TERN_TEST_GEMMA3_MODEL is not set: point it at gemma-3-270m-q4_k_m.gguf (scripts/test.sh does)")
            }
            return path
        }

        static func source(_ id: String, _ path: String) -> ModelSource {
            ModelSource(id: id, path: { path }, load: { try LoadedModel(path: path) })
        }

        /// A server of both models (and `extra` ones), none loaded at start.
        static func make(
            memory: Int? = nil, keepAlive: Duration? = nil, extra: [ModelSource] = [], access: AccessControl? = nil
        ) throws -> TernServer {
            let smolPath = try #require(ProcessInfo.processInfo.environment["TERN_TEST_MODEL"])
            var configuration = TernServerConfiguration(
                host: "127.0.0.1", port: 0, aliases: ["small": smol], contextLength: 256, maxSequences: 2, threads: 1)
            configuration.modelsMemoryBytes = memory
            configuration.keepAlive = keepAlive
            let sources = [source(smol, smolPath), source(gemma, try gemmaPath())] + extra
            return try TernServer(configuration: configuration, access: access, logger: TestServer.quietLogger, models: sources)
        }

        /// The greedy continuation of a fixed prompt by `model`.
        static func complete(_ client: some TestClientProtocol, _ model: String, key: String? = nil) async throws -> String {
            let response = try await client.post(
                "/v1/completions", json: #"{"model":"\#(model)","prompt":"The three primary colors are","max_tokens":12,"temperature":0}"#,
                key: key)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let choices = try #require(try response.json()["choices"] as? [[String: Any]])
            return try #require(choices.first?["text"] as? String)
        }

        static func status(_ client: some TestClientProtocol, _ model: String) async throws -> String? {
            try await client.execute(uri: "/v1/models/\(model)", method: .get).json()["status"] as? String
        }

        /// The status of `model` once it reads `unloaded`, or after ten seconds.
        static func statusOnceUnloaded(_ client: some TestClientProtocol, _ model: String) async throws -> String? {
            var status = try await Self.status(client, model)
            for _ in 0..<200 where status != "unloaded" {
                try await Task.sleep(for: .milliseconds(50))
                status = try await Self.status(client, model)
            }
            return status
        }

        /// The capabilities `GET /v1/models` lists for each model, once it lists them for all, or after ten seconds.
        static func capabilitiesOnceRead(_ client: some TestClientProtocol) async throws -> [String: [String]] {
            var listed: [String: [String]] = [:]
            for _ in 0..<200 {
                let models = try #require(try await client.execute(uri: "/v1/models", method: .get).json()["data"] as? [[String: Any]])
                listed = Dictionary(
                    uniqueKeysWithValues: models.compactMap { model in
                        (model["capabilities"] as? [String]).map { (model["id"] as? String ?? "", $0) }
                    })
                if listed.count == models.count { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return listed
        }

        /// A source of the test model called `id` whose load waits for `gate`.
        static func gated(_ id: String, _ gate: Gate) throws -> ModelSource {
            let model = try TestModel.load()
            return ModelSource(id: id, path: { nil }) {
                gate.wait()
                return model
            }
        }

        @Test func interleavedRequestsToBothModelsAnswerAsEachAlone() async throws {
            try await TestServer.test(try Self.make()) { client in
                let list = try await client.execute(uri: "/v1/models", method: .get).json()
                let entries = try #require(list["data"] as? [[String: Any]])
                #expect(entries.compactMap { $0["id"] as? String } == [Self.smol, Self.gemma, "small"])
                #expect(entries.allSatisfy { $0["status"] as? String == "unloaded" })

                let smolAlone = try await Self.complete(client, Self.smol)
                #expect(try await Self.status(client, Self.smol) == "loaded")
                #expect(try await Self.status(client, Self.gemma) == "unloaded")
                let gemmaAlone = try await Self.complete(client, Self.gemma)
                #expect(try await Self.status(client, Self.gemma) == "loaded")
                #expect(smolAlone != gemmaAlone, "two different models")

                let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
                    for round in 0..<6 {
                        let model = round.isMultiple(of: 2) ? Self.smol : Self.gemma
                        group.addTask { (model, try await Self.complete(client, model)) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.count == 6)
                for (model, answer) in answers { #expect(answer == (model == Self.smol ? smolAlone : gemmaAlone), "\(model)") }
                #expect(try await Self.complete(client, "small") == smolAlone, "an alias reaches its model")

                let metrics = try await client.metrics(model: Self.gemma)
                #expect(metrics["tern_model_ready"] == 1)
                #expect(metrics["tern_model_loads_total"] == 1)
                #expect(metrics["tern_requests_total{outcome=\"finished\"}"] == 4)
                #expect((metrics["tern_model_memory_bytes"] ?? 0) > Double(100 << 20), "Gemma 3 270M's weights alone are over 100 MiB")
            }
        }

        @Test func anIdleModelIsUnloadedAfterTheKeepAliveAndTheNextRequestLoadsItAgain() async throws {
            try await TestServer.test(try Self.make(keepAlive: .milliseconds(500))) { client in
                let first = try await Self.complete(client, Self.smol)
                #expect(try await Self.statusOnceUnloaded(client, Self.smol) == "unloaded")
                // The status says unloaded from when the unload starts; the count goes up once its scheduler has stopped.
                var unloads = try await client.metrics(model: Self.smol)["tern_model_unloads_total"]
                for _ in 0..<100 where unloads != 1 {
                    try await Task.sleep(for: .milliseconds(50))
                    unloads = try await client.metrics(model: Self.smol)["tern_model_unloads_total"]
                }
                #expect(unloads == 1)
                #expect(try await Self.complete(client, Self.smol) == first)
                let metrics = try await client.metrics(model: Self.smol)
                #expect(metrics["tern_model_loads_total"] == 2)
                #expect((metrics["tern_model_load_seconds_total"] ?? 0) > 0)
            }
        }

        @Test func aBudgetForOneModelAtATimeMakesThemTakeTurnsWithoutAFailure() async throws {
            // Each model's real footprint, from a server without a budget.
            let (smolBytes, gemmaBytes, smolAlone, gemmaAlone) = try await TestServer.test(try Self.make()) { client in
                let smol = try await Self.complete(client, Self.smol)
                let gemma = try await Self.complete(client, Self.gemma)
                let smolBytes = try #require(try await client.metrics(model: Self.smol)["tern_model_memory_bytes"])
                let gemmaBytes = try #require(try await client.metrics(model: Self.gemma)["tern_model_memory_bytes"])
                return (Int(smolBytes), Int(gemmaBytes), smol, gemma)
            }
            let budget = max(smolBytes, gemmaBytes) + (1 << 20)
            #expect(budget < smolBytes + gemmaBytes)
            try await TestServer.test(try Self.make(memory: budget)) { client in
                let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
                    for round in 0..<6 {
                        let model = round.isMultiple(of: 2) ? Self.smol : Self.gemma
                        group.addTask { (model, try await Self.complete(client, model)) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for (model, answer) in answers { #expect(answer == (model == Self.smol ? smolAlone : gemmaAlone), "\(model)") }
                // The one that ran last makes room for the other again.
                let last = try await Self.status(client, Self.smol) == "loaded" ? Self.gemma : Self.smol
                #expect(try await Self.complete(client, last) == (last == Self.smol ? smolAlone : gemmaAlone))
                let smol = try await client.metrics(model: Self.smol)
                let gemma = try await client.metrics(model: Self.gemma)
                #expect((smol["tern_model_unloads_total"] ?? 0) + (gemma["tern_model_unloads_total"] ?? 0) >= 2)
                #expect((smol["tern_model_ready"] ?? 0) + (gemma["tern_model_ready"] ?? 0) == 1, "never both at once")
            }
            // A model that cannot fit even alone is refused with the reason.
            try await TestServer.test(try Self.make(memory: 1 << 20)) { client in
                let response = try await client.post("/v1/completions", json: #"{"model":"\#(Self.smol)","prompt":"Hi","max_tokens":2}"#)
                let error = try response.openAIError(status: .internalServerError)
                #expect(error["code"] as? String == "model_too_large")
                #expect((error["message"] as? String)?.contains("--models-memory") == true)
            }
        }

        @Test func aBrokenFileFailsOnlyItsOwnRequests() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tern-fleet-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let broken = folder.appendingPathComponent("broken.gguf").path
            try Data("GGUF\u{3}\0\0\0 not really a model".utf8).write(to: URL(fileURLWithPath: broken))
            try await TestServer.test(try Self.make(extra: [Self.source("broken", broken)])) { client in
                for _ in 0..<2 {
                    let response = try await client.post("/v1/completions", json: #"{"model":"broken","prompt":"Hi","max_tokens":2}"#)
                    let error = try response.openAIError(status: .internalServerError)
                    #expect(error["code"] as? String == "model_load_failed")
                    #expect((error["message"] as? String)?.contains("`broken` could not be loaded") == true)
                    #expect(try await Self.status(client, "broken") == "unloaded")
                    #expect(!(try await Self.complete(client, Self.smol)).isEmpty)
                }
                #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
                // Once the file is fixed, the next request loads it.
                try FileManager.default.removeItem(atPath: broken)
                try FileManager.default.copyItem(atPath: try #require(ProcessInfo.processInfo.environment["TERN_TEST_MODEL"]), toPath: broken)
                #expect(try await Self.complete(client, "broken") == (try await Self.complete(client, Self.smol)))
            }
        }

        @Test func requestsForOneModelFlowWhileAnotherLoads() async throws {
            let gate = Gate()
            try await TestServer.test(try Self.make(extra: [try Self.gated("slow", gate)])) { client in
                defer { gate.open() }
                let waiting = Task { try await Self.complete(client, "slow") }
                while try await Self.status(client, "slow") != "loading" { try await Task.sleep(for: .milliseconds(5)) }
                let answer = try await Self.complete(client, Self.smol)
                #expect(!answer.isEmpty)
                #expect(try await Self.status(client, "slow") == "loading", "still loading while the other model answered")
                gate.open()
                #expect(try await waiting.value == answer, "the same file under another id")
            }
        }

        @Test func anEmbeddingModelRefusesToGenerateWithoutBeingLoaded() async throws {
            let bert = try #require(ProcessInfo.processInfo.environment["TERN_TEST_BERT_MODEL"], "set TERN_TEST_BERT_MODEL (scripts/test.sh does)")
            let server = try Self.make(keepAlive: .milliseconds(300), extra: [Self.source("minilm", bert)])
            try await TestServer.test(server) { client in
                let generate = #"{"model":"minilm","prompt":"Hello","max_tokens":2}"#
                for round in 0..<2 {
                    let error = try await client.post("/v1/completions", json: generate).openAIError(status: .badRequest)
                    #expect(error["code"] as? String == "model_not_supported")
                    #expect((error["message"] as? String)?.contains("embedding model (bert)") == true)
                    #expect(try await Self.status(client, "minilm") == "unloaded", "round \(round)")
                    // What the file says is enough: the model is not loaded to be refused.
                    #expect(try await client.metrics(model: "minilm")["tern_model_loads_total"] == 0, "round \(round)")
                }
                // The server reads the files from the start: /v1/models tells the embedding model from those that chat.
                let capabilities = try await Self.capabilitiesOnceRead(client)
                #expect(capabilities["minilm"] == ["embeddings"])
                #expect(capabilities[Self.smol] == ["chat", "completions", "embeddings"])
                #expect(capabilities["small"] == ["chat", "completions", "embeddings"], "an alias lists its model's")
                let embedded = try await client.post("/v1/embeddings", json: #"{"model":"minilm","input":"Hello"}"#)
                #expect(embedded.status == .ok)
                #expect(try await client.metrics(model: "minilm")["tern_model_loads_total"] == 1)
                #expect(try await Self.statusOnceUnloaded(client, "minilm") == "unloaded")
                let again = try await client.post("/v1/completions", json: generate).openAIError(status: .badRequest)
                #expect(again["code"] as? String == "model_not_supported")
                #expect(try await client.metrics(model: "minilm")["tern_model_loads_total"] == 1)
            }
        }

        @Test func aRequestCancelledWhileItsModelLoadsLeavesTheQueue() async throws {
            let gate = Gate()
            let fleet = try ModelFleet(
                sources: [try Self.gated("gated", gate)], aliases: [:], policy: ModelFleet.Policy(maxWaiting: 1), threads: 1,
                logger: TestServer.quietLogger
            ) { config in SchedulerConfiguration(contextLength: 256, threads: 1) }
            let host = try #require(fleet.hosts["gated"])
            let first = Task { try await fleet.acquire(host) }
            while fleet.availability(of: "gated") != .loading { try await Task.sleep(for: .milliseconds(5)) }
            // The queue holds one request: a second is refused until the first leaves it.
            await #expect(throws: OpenAIError.self) { try await fleet.acquire(host) }
            first.cancel()
            await #expect(throws: OpenAIError.self) { try await first.value }
            let second = Task { try await fleet.acquire(host) }
            gate.open()
            let scheduler = try await second.value
            fleet.release(host)
            #expect(fleet.scheduler(of: "gated") === scheduler)
            scheduler.shutdown()
        }

        @Test func adminKeysLoadAndUnloadModels() async throws {
            try await TestAccess.with { access in
                let admin = try await access.key(NewAPIKey(name: "admin", isAdmin: true))
                let user = try await access.key(NewAPIKey(name: "user"))
                try await TestServer.test(try Self.make(access: access.control)) { client in
                    let refused = try await client.post("/admin/models/\(Self.gemma)/load", json: "", key: user)
                    _ = try refused.openAIError(status: .forbidden)
                    _ = try await client.post("/admin/models/nothing/load", json: "", key: admin).openAIError(status: .notFound)
                    let loaded = try await client.post("/admin/models/\(Self.gemma)/load", json: "", key: admin)
                    #expect(loaded.status == .ok)
                    #expect(try loaded.json()["status"] as? String == "loaded")
                    #expect(try await client.get("/v1/models/\(Self.gemma)", key: user).json()["status"] as? String == "loaded")
                    let unloaded = try await client.post("/admin/models/\(Self.gemma)/unload", json: "", key: admin)
                    #expect(unloaded.status == .ok)
                    #expect(try unloaded.json()["status"] as? String == "unloaded")
                    #expect(try await client.metrics(key: user, model: Self.gemma)["tern_model_ready"] == 0)
                }
            }
        }
    }
}
