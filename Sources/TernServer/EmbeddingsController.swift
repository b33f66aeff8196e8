import Hummingbird
import TernEngine
import TernOpenAI
import TernScheduler

/// `POST /v1/embeddings`: one L2-normalized vector per input, pooled as the model's GGUF says (`pooling_type`; the
/// mean for a decoder that says nothing, as llama.cpp's server with `--pooling mean`).
///
/// Inputs run through the scheduler like chat requests, batched with whatever else is running; a request with many
/// inputs keeps at most `--max-sequences` of them in the scheduler at once, so that it cannot fill the queue alone.
struct EmbeddingsController: Sendable {
    let models: ModelFleet
    let bodyReader: RequestBodyReader
    /// Watches the request's connection for the client hanging up.
    let connections: ConnectionRegistry

    func create(_ request: Request, context: TernRequestContext) async throws -> Response {
        var request = request
        let asked = try await bodyReader.decode(&request) { try EmbeddingsRequest.decode(from: $0) }.value
        return try await models.withModel(asked.model, context: context) { lease in
            let scheduler = lease.scheduler
            let model = scheduler.model
            let width = model.config.embeddingLength
            if let dimensions = asked.dimensions, dimensions != width {
                throw OpenAIError.invalidRequest(
                    "This model cannot shorten its embeddings: 'dimensions' must be \(width) (its width) or left out, not \(dimensions).",
                    param: "dimensions", code: "unsupported_value")
            }
            let limit = scheduler.configuration.contextLength
            let tokenize: @Sendable () throws(OpenAIError) -> [[Int32]] = { () throws(OpenAIError) -> [[Int32]] in
                try asked.inputs.enumerated().map { (index, input) throws(OpenAIError) -> [Int32] in
                    let param = asked.inputs.count == 1 ? "input" : "input[\(index)]"
                    let tokens = try Self.tokens(of: input, model: model, limit: limit, param: param)
                    guard tokens.count <= limit else {
                        // A text is tokenized only to one token past the context: its true length is not known.
                        guard case .tokens = input else { throw .promptTooLong(limit: limit, param: param) }
                        throw .contextLengthExceeded(promptTokens: tokens.count, completionTokens: 0, limit: limit, param: param)
                    }
                    return tokens
                }
            }
            // Many long inputs take a while to tokenize.
            let inputs = try await onThread(named: "tern-tokenize", bytes: asked.textBytes, threshold: 16 << 10, tokenize)
            let promptTokens = inputs.reduce(0) { $0 + $1.count }
            try await context.access?.reserve(promptTokens: promptTokens, maxCompletionTokens: 0)
            let pooling = model.config.pooling
            var vectors = try await connections.whileConnected(context.channel) {
                try await Self.embed(inputs, pooling: pooling, scheduler: scheduler)
            }
            for index in vectors.indices { Self.normalize(&vectors[index]) }
            try await context.access?.commitOrFail(status: 200, usage: Usage(promptTokens: promptTokens, completionTokens: 0))
            let body = EmbeddingList(vectors: vectors, model: asked.model, promptTokens: promptTokens, encodingFormat: asked.encodingFormat).json
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
    }

    /// The tokens of one input: a text with the model's special tokens around it, or ids checked against the vocabulary.
    private static func tokens(of input: EmbeddingsRequest.Input, model: LoadedModel, limit: Int, param: String) throws(OpenAIError) -> [Int32] {
        switch input {
        case .text(let text):
            // Tokenizing stops past the context: a text far longer than it is refused for the price of one context.
            return model.encodeWithSpecialTokens(text, parseSpecial: false, limit: limit)
        case .tokens(let ids):
            let vocabulary = model.config.vocabularySize
            if let bad = ids.firstIndex(where: { $0 >= vocabulary }) {
                throw .invalidRequest(
                    "Invalid '\(param)[\(bad)]': token id \(ids[bad]) is out of range; this model's vocabulary has \(vocabulary) tokens.",
                    param: param, code: "invalid_value")
            }
            return ids.map { Int32($0) }
        }
    }

    /// Runs every input through the scheduler, at most `maxSequences` at a time, and returns the pooled vectors in order.
    private static func embed(_ inputs: [[Int32]], pooling: ModelConfig.Pooling, scheduler: Scheduler) async throws -> [[Float]] {
        var vectors = [[Float]](repeating: [], count: inputs.count)
        let window = max(1, scheduler.configuration.maxSequences)
        try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            var next = 0
            var running = 0
            while next < inputs.count || running > 0 {
                while next < inputs.count && running < window {
                    let stream: AsyncThrowingStream<Embedding, any Error>
                    do throws(SchedulerError) {
                        stream = try scheduler.submit(EmbeddingRequest(tokens: inputs[next], pooling: pooling))
                    } catch  where error.code == .overloaded && running > 0 {
                        break  // the queue is full of others' work: wait for one of ours to end, then go on
                    } catch {
                        throw GenerationRun.openAIError(error, contextParam: "input")
                    }
                    let index = next
                    group.addTask {
                        for try await embedding in stream { return (index, embedding.vector) }
                        throw CancellationError()
                    }
                    next += 1
                    running += 1
                }
                guard let (index, vector) = try await group.next() else { break }
                vectors[index] = vector
                running -= 1
            }
        }
        return vectors
    }

    /// Scales `vector` to length 1 (summing in f64), as OpenAI's embeddings are; a zero vector stays zero.
    static func normalize(_ vector: inout [Float]) {
        var sum: Double = 0
        for value in vector { sum += Double(value) * Double(value) }
        guard sum > 0 else { return }
        let scale = Float(1 / sum.squareRoot())
        for index in vector.indices { vector[index] *= scale }
    }
}
