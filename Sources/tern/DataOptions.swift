import ArgumentParser
import Foundation
import TernStore

/// Where Tern keeps its state (API keys and the usage ledger), shared by `tern serve` and `tern keys`.
struct DataOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Folder for API keys and the usage ledger (or set TERN_DATA_DIR). Default: $XDG_DATA_HOME/tern or ~/.local/share/tern.")
    var dataDir: String?

    /// The folder: the option, else `TERN_DATA_DIR`, else the XDG data folder.
    var directory: String {
        let environment = ProcessInfo.processInfo.environment
        if let dataDir, !dataDir.isEmpty { return dataDir }
        if let value = environment["TERN_DATA_DIR"], !value.isEmpty { return value }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("tern") }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".local/share/tern")
    }

    /// Opens the store, turning failures into a message for a person.
    func open() async throws -> SQLiteStore {
        do {
            return try await SQLiteStore.open(directory: directory)
        } catch {
            throw CommandError("cannot open Tern's database in \(directory): \(error)")
        }
    }
}
