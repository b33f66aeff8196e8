import ArgumentParser
import Foundation
import Logging
import TernEngine
import TernServer

/// The model files `tern serve` serves: each `--model`, every GGUF in `--models-dir`, else the default model.
struct ServedModels {
    /// One model: its id and file.
    struct Entry: Equatable {
        /// The file name without `.gguf` (and without a split file's `-00001-of-0000N`).
        let id: String
        /// The file (the first part of a split model).
        let path: String
        /// Whether this is the default model, fetched on first use.
        let isDefault: Bool
    }

    let entries: [Entry]

    /// The models named by `files` and those found in `folder` (when given); the default model when there are none and
    /// `defaultWhenEmpty` (a server of upstream models alone serves no local one).
    init(files: [String], folder: String?, defaultWhenEmpty: Bool = true) throws {
        var entries: [Entry] = []
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ValidationError("no file at \(file); pass the path of a GGUF model, or leave out --model for the default model")
            }
            entries.append(Entry(id: Self.id(ofFile: file), path: file, isDefault: false))
        }
        if let folder {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--models-dir \(folder) is not a folder")
            }
            entries += try Self.models(in: folder).filter { found in !entries.contains { $0.path == found.path } }
        }
        if entries.isEmpty && defaultWhenEmpty {
            let folder = DefaultModel.directory(folder)
            entries = [
                Entry(
                    id: Self.id(ofFile: DefaultModel.fileName), path: (folder as NSString).appendingPathComponent(DefaultModel.fileName),
                    isDefault: true)
            ]
        }
        self.entries = entries
    }

    /// The GGUF models in `folder`, by name; a split model (`name-00001-of-00003.gguf` …) once, by its first part.
    static func models(in folder: String) throws -> [Entry] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        return names.compactMap { name in
            guard name.hasSuffix(".gguf"), splitPart(of: name).map({ $0 == 1 }) ?? true else { return nil }
            return Entry(id: id(ofFile: name), path: (folder as NSString).appendingPathComponent(name), isDefault: false)
        }
    }

    /// The id clients use for the model in `file`: its name without `.gguf` and without a split suffix.
    static func id(ofFile file: String) -> String {
        var name = URL(fileURLWithPath: file).lastPathComponent
        if name.hasSuffix(".gguf") { name.removeLast(5) }
        if splitPart(of: name + ".gguf") != nil { name.removeLast("-00001-of-00001".count) }
        return name
    }

    /// The part number of a split GGUF file name (`…-00002-of-00003.gguf` → 2), nil for a whole file.
    static func splitPart(of name: String) -> Int? {
        guard name.hasSuffix(".gguf") else { return nil }
        let stem = name.dropLast(5)
        guard stem.count > 15 else { return nil }
        let suffix = stem.suffix(15)  // -00001-of-00003
        let parts = suffix.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, parts[2] == "of", parts[1].count == 5, parts[3].count == 5,
            let part = Int(parts[1]), let count = Int(parts[3]), part >= 1, part <= count
        else { return nil }
        return part
    }

    /// The id a `--model-alias` or `--preload` value names: an id, or the path given to `--model`.
    func id(named name: String) -> String? {
        entries.first { $0.id == name || $0.path == name }?.id
    }

    /// The sources the server loads from, their weights held as `options` say; each load logs and checks the context
    /// length against the model's.
    func sources(contextLength: Int?, options: LoadOptions, logger: Logger) -> [ModelSource] {
        entries.map { entry in
            ModelSource(
                // A split model is not estimated: its load says what to do with it.
                id: entry.id,
                path: {
                    let readable = FileManager.default.fileExists(atPath: entry.path)
                    return readable && Self.splitPart(of: URL(fileURLWithPath: entry.path).lastPathComponent) == nil ? entry.path : nil
                },
                load: {
                    if let part = Self.splitPart(of: URL(fileURLWithPath: entry.path).lastPathComponent) {
                        throw CommandError(
                            "\(entry.path) is part \(part) of a split GGUF model, which Tern cannot read yet; merge the parts into one file "
                                + "(llama.cpp's llama-gguf-split --merge) and serve that")
                    }
                    let path =
                        entry.isDefault
                        ? try DefaultModel.path(in: (entry.path as NSString).deletingLastPathComponent) { printError($0) } : entry.path
                    logger.info("loading model", metadata: ["model.id": "\(entry.id)", "model.path": "\(path)"])
                    let model = try LoadedModel(path: path, options: options)
                    if let contextLength, contextLength > model.config.contextLength {
                        logger.warning(
                            "--ctx \(contextLength) is longer than the context of \(entry.id); using \(model.config.contextLength) tokens")
                    }
                    return model
                })
        }
    }
}
