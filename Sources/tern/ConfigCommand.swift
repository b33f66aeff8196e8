import ArgumentParser
import Foundation

/// `tern config check FILE`: whether a configuration file for `tern serve --config` is right, before a server uses it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration file for tern serve --config.",
        discussion: """
            The file is YAML: tern serve's options by their long names (port: 8080, max-sequences: 8, model: [a.gguf, b.gguf], \
            no-auth: true), and upstreams as a list of mappings with id, url, model, api-key-env and weight. ${VAR} in a value \
            is the environment variable VAR; flags given to tern serve override the file. docs/configuration.md has the schema.

            Examples:
              tern config check tern.yaml
              tern serve --config tern.yaml --port 9090
            """,
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check FILE: every key is an option of tern serve with a value it takes, and together they make a server.")

        @Argument(help: "The YAML file.")
        var file: String

        func run() throws {
            let config: ConfigFile
            do {
                config = try ConfigFile(path: file)
            } catch let mistake as ConfigFile.Mistake {
                throw CommandError(mistake.description)
            }
            // Each upstream was checked with the file (ConfigFile); here the settings are checked together.
            do {
                _ = try ServeCommand.parse(config.arguments)
            } catch {
                throw CommandError("\(file): together the settings are refused: \(ServeCommand.message(for: error))")
            }
            print("\(file): \(config.count) setting\(config.count == 1 ? "" : "s"), all valid")
        }
    }
}
