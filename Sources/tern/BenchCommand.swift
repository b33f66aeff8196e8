import ArgumentParser
import Foundation
import TernEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing (pp) and generation (tg) speed, like llama-bench.",
        discussion: """
            pp: one forward pass over -p random tokens. tg: -n forward passes of one token each, from an empty context; \
            with -s N, each pass carries the next token of N sequences at once (a server's decode step under N \
            clients) and t/s counts the tokens of all of them. Tokenization and sampling are not timed. A warm-up run \
            comes first; each test then runs -r times and reports the mean and standard deviation of tokens per \
            second. --json prints the keys llama-bench's JSON uses (n_prompt, n_gen, n_threads, avg_ts, stddev_ts, …).
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: [.customShort("p"), .long], help: "Prompt tokens for the pp test (0 skips it).")
    var nPrompt = 512

    @Option(name: [.customShort("n"), .long], help: "Generated tokens for the tg test (0 skips it).")
    var nGen = 128

    @Option(name: [.customShort("s"), .long], help: "Sequences decoded together in the tg test.")
    var sequences = 1

    @Option(name: [.customShort("t"), .long], help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: [.customShort("r"), .long], help: "Repetitions of each test.")
    var repetitions = 5

    @Flag(name: .long, help: "Print the results as a JSON array.")
    var json = false

    func validate() throws {
        guard nPrompt >= 0, nGen >= 0, nPrompt + nGen > 0 else { throw ValidationError("-p and -n must be 0 or more, not both 0") }
        guard repetitions > 0 else { throw ValidationError("-r must be at least 1") }
        guard sequences > 0 else { throw ValidationError("-s must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("-t must be at least 1") }
    }

    func run() throws {
        let path = try modelOptions.resolvePath()
        let model = try modelOptions.load()
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let context = max(nPrompt, nGen) + 1
        guard context <= model.config.contextLength else {
            throw ValidationError("the model's context holds \(model.config.contextLength) tokens; -p and -n must fit in it")
        }
        let generator = Generator(model: model, contextLength: context, threads: threadCount, batchSize: max(nPrompt, 1))
        let decoder = sequences > 1 ? ParallelDecoder(model: model, sequences: sequences, contextLength: context, threads: threadCount) : nil
        var generatorRandom = SystemRandomNumberGenerator()
        let vocabulary = Int32(model.config.vocabularySize)
        var results: [BenchResult] = []
        for (prompt, generated) in [(nPrompt, 0), (0, nGen)] where prompt + generated > 0 {
            let tokens = (0..<max(prompt, generated)).map { _ in Int32.random(in: 0..<vocabulary, using: &generatorRandom) }
            let work = {
                if prompt > 0 {
                    _ = try generator.prefill(tokens)
                } else if let decoder {
                    for position in 0..<generated { try decoder.step(token: tokens[position], position: position) }
                } else {
                    for position in 0..<generated { _ = try generator.prefill([tokens[position]], start: position) }
                }
            }
            let name = BenchResult.name(nPrompt: prompt, nGen: generated, sequences: sequences)
            if !json { printError("\(name): warm-up …") }
            try work()
            var samples: [Double] = []
            for repetition in 1...repetitions {
                if !json { printError("\(name): run \(repetition)/\(repetitions) …") }
                let start = ContinuousClock.now
                try work()
                let elapsed = ContinuousClock.now - start
                samples.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) * 1e-9)
            }
            let batch = prompt > 0 ? 1 : sequences
            results.append(BenchResult(nPrompt: prompt, nGen: generated, sequences: batch, threads: threadCount, samplesNanoseconds: samples))
        }
        if json {
            let objects = results.map { $0.jsonObject(modelPath: path, model: model) }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("| model | threads | test | t/s |")
            print("| --- | ---: | ---: | ---: |")
            for result in results {
                let rate = String(format: "%.2f ± %.2f", result.averageRate, result.rateStandardDeviation)
                print("| \((path as NSString).lastPathComponent) | \(result.threads) | \(result.name) | \(rate) |")
            }
        }
    }
}

/// One pp or tg test: the time of each repetition.
struct BenchResult {
    let nPrompt: Int
    let nGen: Int
    /// Sequences decoded together (1 for pp).
    let sequences: Int
    let threads: Int
    let samplesNanoseconds: [Double]

    static func name(nPrompt: Int, nGen: Int, sequences: Int) -> String {
        nPrompt > 0 ? "pp\(nPrompt)" : sequences > 1 ? "tg\(nGen)×\(sequences)" : "tg\(nGen)"
    }

    var name: String { Self.name(nPrompt: nPrompt, nGen: nGen, sequences: sequences) }
    var tokens: Double { Double(nPrompt + nGen * sequences) }
    var rates: [Double] { samplesNanoseconds.map { tokens / ($0 * 1e-9) } }
    var averageRate: Double { mean(rates) }
    var rateStandardDeviation: Double { standardDeviation(rates) }

    func jsonObject(modelPath: String, model: LoadedModel) -> [String: Any] {
        let size = (try? FileManager.default.attributesOfItem(atPath: modelPath)[.size] as? Int) ?? 0
        return [
            "model_filename": modelPath,
            "model_type": "\(model.config.architecture) \(model.file.metadata["general.size_label"]?.string ?? "")",
            "model_size": size,
            "n_threads": threads,
            "n_batch": max(nPrompt, 1),
            "n_prompt": nPrompt,
            "n_gen": nGen,
            "n_sequences": sequences,
            "test_time": ISO8601DateFormatter().string(from: Date()),
            "avg_ns": Int(mean(samplesNanoseconds)),
            "stddev_ns": Int(standardDeviation(samplesNanoseconds)),
            "avg_ts": averageRate,
            "stddev_ts": rateStandardDeviation,
            "samples_ns": samplesNanoseconds.map { Int($0) },
            "samples_ts": rates,
        ]
    }

    private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    private func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let average = mean(values)
        return (values.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}
