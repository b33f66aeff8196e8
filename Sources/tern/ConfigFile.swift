import ArgumentParser
import Foundation
import Yams

/// `tern serve --config FILE`: a YAML file of `tern serve`'s options by their long names, plus `upstreams` as a list of
/// mappings. It becomes arguments placed before the command line's own, so that a flag given on the command line
/// overrides the file (for options that take a list, the two are joined). `${VAR}` in a value is the environment
/// variable VAR. Every key is checked on its own, so that an error names the file, the line and the key.
///
/// ```yaml
/// port: 8080
/// database: ${TERN_DATABASE_URL}
/// model: [/models/a.gguf, /models/b.gguf]
/// upstreams:
///   - {id: big, url: "http://10.0.0.7:8080/v1", model: llama-3.1-70b, api-key-env: BIG_KEY, weight: 2}
/// ```
struct ConfigFile {
    /// The arguments the file stands for, in its order.
    let arguments: [String]
    /// How many settings it holds.
    let count: Int

    /// A mistake in the file, with where it is.
    struct Mistake: Error, CustomStringConvertible {
        let path: String
        let line: Int?
        let key: String?
        let message: String

        var description: String {
            [path + (line.map { ":\($0)" } ?? ""), key, message].compactMap { $0 }.joined(separator: ": ")
        }
    }

    /// Reads and checks `path`.
    init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Mistake(path: path, line: nil, key: nil, message: "cannot be read (\(error.localizedDescription))")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Mistake(path: path, line: nil, key: nil, message: "is not valid YAML: \(error)")
        }
        guard let root else {
            arguments = []
            count = 0
            return
        }
        guard let mapping = root.mapping else {
            throw Mistake(path: path, line: root.mark?.line, key: nil, message: "must be a mapping of option names to values")
        }
        var arguments: [String] = []
        for (keyNode, value) in mapping {
            let line = keyNode.mark?.line
            guard let key = keyNode.string else { throw Mistake(path: path, line: line, key: nil, message: "a key must be a name") }
            func mistake(_ message: String, at node: Node? = nil) -> Mistake {
                Mistake(path: path, line: node?.mark?.line ?? line, key: key, message: message)
            }
            func scalar(_ node: Node) throws -> String {
                guard let text = node.scalar?.string else { throw mistake("expected a single value, not a list or a mapping") }
                return try Self.substitute(text, environment: environment) { mistake($0) }
            }
            let these: [String]
            if key == "upstreams" {
                guard let list = value.sequence else { throw mistake("expected a list of upstreams") }
                these = try list.flatMap { item -> [String] in
                    guard let entry = item.mapping else {
                        throw mistake("each upstream is a mapping of id, url, model, api-key-env, weight", at: item)
                    }
                    var fields: [String: String] = [:]
                    for (nameNode, field) in entry {
                        guard let name = nameNode.string, ["id", "url", "model", "api-key-env", "weight"].contains(name) else {
                            throw mistake(
                                "'\(nameNode.string ?? "?")' is not known; an upstream takes id, url, model, api-key-env and weight", at: nameNode)
                        }
                        let value = try scalar(field)
                        guard !value.contains(",") else { throw mistake("an upstream's \(name) may not contain a comma", at: field) }
                        fields[name] = value
                    }
                    guard let id = fields["id"], let url = fields["url"] else { throw mistake("each upstream needs an id and a url", at: item) }
                    var option = "\(id)=\(url)"
                    if let model = fields["model"] { option += ",model=\(model)" }
                    if let variable = fields["api-key-env"] { option += ",key-env=\(variable)" }
                    if let weight = fields["weight"] { option += ",weight=\(weight)" }
                    do {
                        _ = try UpstreamOption.parse(option, environment: environment)
                    } catch {
                        throw mistake("\(error)", at: item)
                    }
                    return ["--upstream", option]
                }
            } else if ["config", "help", "version"].contains(key) {
                throw mistake("is not a setting of the file")
            } else if let list = value.sequence {
                these = try list.flatMap { ["--\(key)", try scalar($0)] }
            } else if value.scalar?.style == .plain, let flag = Bool(value.scalar?.string ?? "") {
                // A switch: `no-auth: true` is --no-auth; false leaves it out.
                these = flag ? ["--\(key)"] : []
                if !flag {
                    try Self.check(["--\(key)"]) { mistake($0) }
                    continue
                }
            } else {
                these = ["--\(key)", try scalar(value)]
            }
            try Self.check(these) { mistake($0) }
            arguments += these
        }
        self.arguments = arguments
        count = mapping.count
    }

    /// `text` with every `${VAR}` replaced by the environment variable VAR.
    static func substitute(_ text: String, environment: [String: String], mistake: (String) -> Mistake) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw mistake("'${' without its '}'") }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else { throw mistake("the environment variable \(name) is not set") }
            result += rest[..<start.lowerBound] + value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// Parses one setting alone, so that an unknown name or a bad value is blamed on its own line.
    private static func check(_ arguments: [String], mistake: (String) -> Mistake) throws {
        do {
            _ = try ServeCommand.parse(arguments)
        } catch {
            let message = ServeCommand.message(for: error)
            throw mistake(message.replacingOccurrences(of: "Unknown option", with: "not an option of tern serve:"))
        }
    }

    /// The command line with `--config FILE` (or `--config=FILE`) of `tern serve` replaced by the file's arguments,
    /// placed first so that the command line's own flags override them.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard arguments.first == "serve" else { return arguments }
        var rest = Array(arguments.dropFirst())
        var path: String?
        if let index = rest.firstIndex(of: "--config"), index + 1 < rest.count {
            path = rest[index + 1]
            rest.removeSubrange(index...index + 1)
        } else if let index = rest.firstIndex(where: { $0.hasPrefix("--config=") }) {
            path = String(rest[index].dropFirst("--config=".count))
            rest.remove(at: index)
        }
        guard let path else { return arguments }
        return ["serve"] + (try ConfigFile(path: path).arguments) + rest
    }
}
