import ArgumentParser
import Foundation
import TernEngine
import TernGGUF

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
        static let configuration = CommandConfiguration(
            abstract: "List the GGUF models in the models folder: id, size, architecture and the type most weights are stored in.",
            discussion: "The ids are those `tern serve --models-dir FOLDER` serves them under; a split model is listed once.")

        @Option(name: .long, help: "Folder for downloaded models (or set TERN_MODELS_DIR). Default: ~/.cache/tern/models.")
        var modelsDir: String?

        func run() throws {
            let directory = DefaultModel.directory(modelsDir)
            guard FileManager.default.fileExists(atPath: directory) else {
                throw CommandError("no folder at \(directory); `tern models path` fetches the default model into it")
            }
            var rows = [["ID", "SIZE", "ARCHITECTURE", "TYPE"]]
            for entry in try ServedModels.models(in: directory) {
                rows.append([entry.id] + Self.describe(entry.path))
            }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(
                    zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(
                        in: .whitespaces))
            }
        }

        /// Size, architecture and main tensor type of the model at `path`, or what is wrong with the file.
        static func describe(_ path: String) -> [String] {
            let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int).map(Self.size) ?? "?"
            do {
                let file = try GGUFFile(path: path)
                let architecture = file.metadata["general.architecture"]?.string ?? "?"
                if let fileType = file.metadata["general.file_type"]?.int.flatMap({ Self.fileTypes[$0] }) {
                    return [size, architecture, fileType]
                }
                var bytes: [String: Int] = [:]
                for tensor in file.tensors { bytes["\(tensor.type)", default: 0] += tensor.byteCount }
                let main = bytes.max { $0.value < $1.value }?.key ?? "?"
                return [size, architecture, main]
            } catch {
                return [size, "unreadable", "\(error)"]
            }
        }

        /// The names of llama.cpp's `general.file_type` values: what a quantization is called (`Q4_K_M`).
        static let fileTypes: [Int: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M",
            13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS",
            21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
            29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
        ]

        /// `bytes` as MiB or GiB.
        static func size(_ bytes: Int) -> String {
            bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : "\(bytes >> 20) MiB"
        }
    }
}
