import ArgumentParser
import Foundation
import TernEngine

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Manage the models folder.",
        subcommands: [Path.self, List.self]
    )

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the path of the default model, fetching it first if it is not there yet.")

        @Option(name: .long, help: "Folder for downloaded models (or set TERN_MODELS_DIR). Default: ~/.cache/tern/models.")
        var modelsDir: String?

        func run() throws {
            print(try DefaultModel.path(in: DefaultModel.directory(modelsDir)) { printError($0) })
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the GGUF files in the models folder.")

        @Option(name: .long, help: "Folder for downloaded models (or set TERN_MODELS_DIR). Default: ~/.cache/tern/models.")
        var modelsDir: String?

        func run() throws {
            let directory = DefaultModel.directory(modelsDir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where name.hasSuffix(".gguf") {
                print((directory as NSString).appendingPathComponent(name))
            }
        }
    }
}
