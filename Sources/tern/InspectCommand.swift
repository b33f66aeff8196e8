import ArgumentParser
import TernGGUF

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the metadata and the tensor table of a GGUF file.",
        discussion: "Long arrays (vocabularies, merges) are shortened to their first items; --full prints them whole."
    )

    @Argument(help: "Path of the GGUF file.")
    var path: String

    @Flag(name: .long, help: "Print arrays and strings whole.")
    var full = false

    func run() throws {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw CommandError("\(path): \(error)")
        }
        print("GGUF version \(file.version), \(file.metadataKeys.count) metadata keys, \(file.tensors.count) tensors, alignment \(file.alignment)")
        print("")
        print("Metadata:")
        for key in file.metadataKeys {
            print("  \(key) = \(render(file.metadata[key]!))")
        }
        print("")
        print("Tensors:")
        let nameWidth = file.tensors.map(\.name.count).max() ?? 0
        for tensor in file.tensors {
            let name = tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let type = tensor.type.description.padding(toLength: 8, withPad: " ", startingAt: 0)
            let shape = "[" + tensor.dimensions.map(String.init).joined(separator: ", ") + "]"
            print("  \(name)  \(type) \(shape.padding(toLength: 16, withPad: " ", startingAt: 0)) offset \(tensor.offset)  \(tensor.byteCount) bytes")
        }
    }

    private func render(_ value: GGUFValue) -> String {
        switch value {
        case .string(let string):
            let shown = full || string.count <= 200 ? string : String(string.prefix(200)) + "…"
            return "\"" + shown.replacingOccurrences(of: "\n", with: "\\n") + "\""
        case .array(let items):
            let shown = full ? items : Array(items.prefix(8))
            let more = shown.count < items.count ? ", … (\(items.count) items)" : ""
            return "[" + shown.map(render).joined(separator: ", ") + more + "]"
        case .bool(let flag): return String(flag)
        case .float32(let number): return String(number)
        case .float64(let number): return String(number)
        default: return value.int.map(String.init) ?? "\(value)"
        }
    }
}
