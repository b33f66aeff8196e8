import ArgumentParser
import Foundation
import TernEngine
import TernTokenizer

/// Options that choose the model, shared by the commands that load one.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Path of a GGUF model file. Default: the default model, fetched on first use.")
    var model: String?

    @Option(name: .long, help: "Folder for downloaded models (or set TERN_MODELS_DIR). Default: ~/.cache/tern/models.")
    var modelsDir: String?

    /// The model file to open, fetching the default model when none was named.
    func resolvePath() throws -> String {
        if let model {
            guard FileManager.default.fileExists(atPath: model) else {
                throw ValidationError("no file at \(model); pass the path of a GGUF model, or leave out --model for the default model")
            }
            return model
        }
        return try DefaultModel.path(in: DefaultModel.directory(modelsDir)) { line in printError(line) }
    }

    /// Builds only the tokenizer of the model, from the file's metadata (a vocabulary-only GGUF will do).
    func loadTokenizer() throws -> Tokenizer {
        let path = try resolvePath()
        do {
            return try Tokenizer(ggufPath: path)
        } catch {
            throw CommandError("cannot read the tokenizer of \(path): \(error)")
        }
    }

    /// Opens the model, turning errors into messages for a person.
    func load() throws -> LoadedModel {
        let path = try resolvePath()
        do {
            return try LoadedModel(path: path)
        } catch {
            throw CommandError("cannot load \(path): \(error)")
        }
    }
}

/// Writes `line` to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// A failure to report to the person at the terminal; the command exits with status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
