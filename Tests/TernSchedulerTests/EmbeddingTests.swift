import Foundation
import TernEngine
import TernScheduler
import TernTensors
import Testing

/// Embeddings through the scheduler on real models, against the vectors of llama.cpp's `llama-embedding` and of
/// sentence-transformers for a fixed set of texts (Tests/Fixtures/embeddings-reference.json, written by
/// scripts/make_embedding_fixtures.py): a BERT encoder (all-MiniLM-L6-v2, `TERN_TEST_BERT_MODEL`) and the default
/// decoder model pooled by the mean.
@Suite(.serialized)
struct EmbeddingTests {
    struct Fixture: Decodable {
        struct MiniLM: Decodable {
            var ids: [Int32]
            var sentence_transformers: [Float]
            var llama_cpp: [Float]
        }
        struct SmolLM2: Decodable {
            var ids: [Int32]
            var mean: [Float]
            var last: [Float]?
        }
        struct Text: Decodable {
            var text: String
            var minilm: MiniLM
            var smollm2: SmolLM2
        }
        var texts: [Text]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/embeddings-reference.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func load(_ variable: String, _ hint: String) -> Result<LoadedModel, any Error> {
        Result {
            guard let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty else {
                throw SchedulerTestError("\(variable) is not set: point it at \(hint) (scripts/test.sh sets it)")
            }
            return try LoadedModel(path: path)
        }
    }

    static let bert = load("TERN_TEST_BERT_MODEL", "all-MiniLM-L6-v2.f32.gguf (scripts/make_arch_fixtures.py minilm)")
    static let decoder = load("TERN_TEST_MODEL", "SmolLM2-135M-Instruct.Q4_1.gguf")

    static func scheduler(_ model: LoadedModel, maxSequences: Int = 4, maxBatchTokens: Int = 64) throws -> Scheduler {
        let scheduler = try Scheduler(
            model: model,
            configuration: SchedulerConfiguration(
                maxSequences: maxSequences, contextLength: 512, maxBatchTokens: maxBatchTokens, maxQueue: 64, threads: 2))
        scheduler.start()
        return scheduler
    }

    static func embed(_ scheduler: Scheduler, _ tokens: [Int32], pooling: ModelConfig.Pooling) async throws -> [Float] {
        for try await embedding in try scheduler.submit(EmbeddingRequest(tokens: tokens, pooling: pooling)) {
            #expect(embedding.promptTokens == tokens.count)
            return normalized(embedding.vector)
        }
        throw SchedulerTestError("the embedding stream ended without a result")
    }

    /// All of `inputs` submitted at once, so that they share batches.
    static func embedTogether(_ scheduler: Scheduler, _ inputs: [[Int32]], pooling: ModelConfig.Pooling) async throws -> [[Float]] {
        try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, tokens) in inputs.enumerated() {
                group.addTask { (index, try await embed(scheduler, tokens, pooling: pooling)) }
            }
            var vectors = [[Float]](repeating: [], count: inputs.count)
            for try await (index, vector) in group { vectors[index] = vector }
            return vectors
        }
    }

    static func normalized(_ vector: [Float]) -> [Float] {
        let length = Float(vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot())
        return vector.map { $0 / length }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            aa += Double(a[i]) * Double(a[i])
            bb += Double(b[i]) * Double(b[i])
        }
        return dot / (aa * bb).squareRoot()
    }

    @Test func bertTokenizesAsLlamaCpp() throws {
        let model = try Self.bert.get()
        #expect(model.config.architecture == "bert" && !model.config.causal && model.config.pooling == .mean)
        for text in Self.fixture.texts {
            #expect(model.encodeWithSpecialTokens(text.text, parseSpecial: false) == text.minilm.ids, "\(text.text)")
        }
    }

    @Test func bertMatchesLlamaCppAndSentenceTransformers() async throws {
        let model = try Self.bert.get()
        let scheduler = try Self.scheduler(model)
        defer { scheduler.shutdown() }
        for text in Self.fixture.texts {
            let vector = try await Self.embed(scheduler, text.minilm.ids, pooling: model.config.pooling)
            #expect(vector.count == 384)
            #expect(Self.cosine(vector, text.minilm.llama_cpp) >= 0.9999, "\(text.text)")
            #expect(Self.cosine(vector, text.minilm.sentence_transformers) >= 0.999, "\(text.text)")
        }
    }

    /// Where the CPU multiplies bf16 pairs, the encoder's F32 matrices are rounded to bf16 by default; its vectors stay
    /// within a cosine of 1e-4 of those computed in f32 (`LoadOptions(bf16EncoderWeights: false)`, `--no-bf16`).
    @Test func bertInBF16StaysWithTheF32Vectors() async throws {
        let model = try Self.bert.get()
        let exact = try LoadedModel(
            path: ProcessInfo.processInfo.environment["TERN_TEST_BERT_MODEL"] ?? "", options: LoadOptions(bf16EncoderWeights: false))
        let (fast, slow) = (try Self.scheduler(model), try Self.scheduler(exact))
        defer {
            fast.shutdown()
            slow.shutdown()
        }
        // smallest cosines: bf16 to f32, bf16 and f32 to llama.cpp, bf16 and f32 to sentence-transformers
        var closest = [1.0, 1.0, 1.0, 1.0, 1.0]
        for text in Self.fixture.texts {
            let (a, b) = (try await Self.embed(fast, text.minilm.ids, pooling: .mean), try await Self.embed(slow, text.minilm.ids, pooling: .mean))
            #expect(Self.cosine(a, b) >= 0.9999, "\(text.text)")
            #expect(Self.cosine(b, text.minilm.llama_cpp) >= 0.999995, "f32: \(text.text)")
            let cosines = [
                Self.cosine(a, b), Self.cosine(a, text.minilm.llama_cpp), Self.cosine(b, text.minilm.llama_cpp),
                Self.cosine(a, text.minilm.sentence_transformers), Self.cosine(b, text.minilm.sentence_transformers),
            ]
            closest = zip(closest, cosines).map { min($0, $1) }
        }
        // Where bf16 products run, they are not the f32 ones.
        #expect(!CPULevel.multipliesBF16Pairs || closest[0] < 1 - 1e-7, "bf16 products were not used")
        print(
            "bert: bf16 pairs \(CPULevel.multipliesBF16Pairs ? "used" : "not available here"); smallest cosines: bf16 to f32 \(closest[0]); "
                + "to llama.cpp bf16 \(closest[1]), f32 \(closest[2]); to sentence-transformers bf16 \(closest[3]), f32 \(closest[4])")
    }

    /// Texts sharing batches get the vectors they get alone: attention never crosses from one text to another.
    @Test(arguments: ["bert", "decoder"])
    func batchedEqualsAlone(_ which: String) async throws {
        let model = try (which == "bert" ? Self.bert : Self.decoder).get()
        let inputs = Self.fixture.texts.map { which == "bert" ? $0.minilm.ids : $0.smollm2.ids }
        // Small decoder batches cut the long text into chunks and mix it with others.
        let scheduler = try Self.scheduler(model, maxSequences: 5, maxBatchTokens: which == "bert" ? 64 : 24)
        defer { scheduler.shutdown() }
        var alone: [[Float]] = []
        for tokens in inputs { alone.append(try await Self.embed(scheduler, tokens, pooling: .mean)) }
        let together = try await Self.embedTogether(scheduler, inputs, pooling: .mean)
        for (index, text) in Self.fixture.texts.enumerated() {
            #expect(Self.cosine(alone[index], together[index]) >= 0.99999, "\(text.text)")
        }
        // Different texts stay different.
        #expect(Self.cosine(together[0], together[1]) < 0.99)
    }

    @Test func decoderMeanAndLastPoolingMatchLlamaCpp() async throws {
        let model = try Self.decoder.get()
        #expect(model.config.pooling == .none)
        let scheduler = try Self.scheduler(model)
        defer { scheduler.shutdown() }
        for text in Self.fixture.texts {
            #expect(model.encodeWithSpecialTokens(text.text, parseSpecial: false) == text.smollm2.ids, "\(text.text)")
            // The hidden states of a 135M decoder have a few very large dimensions: f16 keys and values move them more
            // than BERT's, and llama.cpp's own flash-attention on and off differ by as much.
            let mean = try await Self.embed(scheduler, text.smollm2.ids, pooling: .none)
            #expect(Self.cosine(mean, text.smollm2.mean) >= 0.999, "\(text.text)")
            if let last = text.smollm2.last {
                let vector = try await Self.embed(scheduler, text.smollm2.ids, pooling: .last)
                #expect(Self.cosine(vector, last) >= 0.999, "\(text.text)")
            }
        }
    }

    /// Generation running beside embeddings generates what it generates alone.
    @Test func generationBesideEmbeddingsIsUnchanged() async throws {
        let model = try Self.decoder.get()
        let scheduler = try Self.scheduler(model, maxSequences: 4, maxBatchTokens: 16)
        defer { scheduler.shutdown() }
        let prompt = model.tokenizer.encode("Once upon a time, in a small village,", parseSpecial: false)
        func generate() async throws -> [Int32] {
            var tokens: [Int32] = []
            for try await event in try scheduler.submit(GenerationRequest(prompt: prompt, sampling: .greedy, maxTokens: 24)) {
                if case .token(let sampled) = event { tokens.append(sampled.token) }
            }
            return tokens
        }
        let alone = try await generate()
        async let beside = generate()
        let inputs = Self.fixture.texts.map(\.smollm2.ids)
        _ = try await Self.embedTogether(scheduler, inputs + inputs, pooling: .mean)
        #expect(try await beside == alone)
        #expect(alone.count == 24)
    }

    @Test func anEncoderRefusesToGenerateAndLongInputs() throws {
        let model = try Self.bert.get()
        let generator = Generator(model: model, contextLength: 64, threads: 1)
        #expect(throws: EngineError.self) { _ = try generator.prefill([101, 7592, 102]) }
        let scheduler = try Self.scheduler(model)
        defer { scheduler.shutdown() }
        #expect(throws: SchedulerError.self) {
            _ = try scheduler.submit(GenerationRequest(prompt: [101, 102], sampling: .greedy, maxTokens: 4))
        }
        let tooLong = [Int32](repeating: 1996, count: 513)
        let error = #expect(throws: SchedulerError.self) { _ = try scheduler.submit(EmbeddingRequest(tokens: tooLong, pooling: .mean)) }
        #expect(error?.code == .contextLengthExceeded(prompt: 513, requested: 0, limit: 512))
    }
}
