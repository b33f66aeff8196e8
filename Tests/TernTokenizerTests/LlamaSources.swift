import Foundation

/// llama.cpp's vocabulary files and their test vectors, from the folder `scripts/fetch_llama_sources.py` fills.
///
/// Tests that need them fail (never skip) when `TERN_LLAMA_SOURCES` is not set, so that a run without the files cannot
/// pass for one that checked them.
enum LlamaSources {
    /// One test of `tests/test-tokenizer-0.cpp`: a text and the ids llama.cpp gives it without special tokens.
    struct Vector {
        var text: String
        var ids: [Int32]
    }

    /// The folder holding `models/ggml-vocab-*`.
    static func folder() throws -> URL {
        guard let path = ProcessInfo.processInfo.environment["TERN_LLAMA_SOURCES"], !path.isEmpty else {
            throw TestModelError(
                message: "set TERN_LLAMA_SOURCES to the folder printed by scripts/fetch_llama_sources.py (scripts/test.sh does)")
        }
        return URL(fileURLWithPath: path)
    }

    /// The path of `models/ggml-vocab-NAME.gguf`.
    static func vocabularyPath(_ name: String) throws -> String {
        try folder().appendingPathComponent("models/ggml-vocab-\(name).gguf").path
    }

    /// The names of the vocabularies that have `.inp`/`.out` vectors.
    static func namesWithVectors() throws -> [String] {
        let models = try folder().appendingPathComponent("models")
        return try FileManager.default.contentsOfDirectory(atPath: models.path)
            .filter { $0.hasPrefix("ggml-vocab-") && $0.hasSuffix(".gguf.inp") }
            .map { String($0.dropFirst("ggml-vocab-".count).dropLast(".gguf.inp".count)) }
            .sorted()
    }

    /// The vectors of one vocabulary, read as `test-tokenizer-0.cpp` reads them: texts separated by a line
    /// `__ggml_vocab_test__` (nothing after the last separator is no test), ids one line per text.
    static func vectors(_ name: String) throws -> [Vector] {
        let path = try vocabularyPath(name)
        let input = try Data(contentsOf: URL(fileURLWithPath: path + ".inp"))
        let output = try String(contentsOfFile: path + ".out", encoding: .utf8)
        let separator = Data("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        var position = input.startIndex
        while position < input.endIndex {
            guard let found = input.range(of: separator, in: position..<input.endIndex) else {
                texts.append(String(decoding: input[position...], as: UTF8.self))
                break
            }
            texts.append(String(decoding: input[position..<found.lowerBound], as: UTF8.self))
            position = found.upperBound
        }
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // The newline that ends the last line.
        guard lines.count == texts.count else {
            throw TestModelError(message: "\(name): \(texts.count) texts but \(lines.count) lines of ids")
        }
        return try zip(texts, lines).map { text, line in
            let ids = try line.split(separator: " ").map { field in
                guard let id = Int32(field) else { throw TestModelError(message: "\(name): bad id '\(field)'") }
                return id
            }
            return Vector(text: text, ids: ids)
        }
    }
}
