import ArgumentParser
import Foundation
import TernStore

/// Where Tern keeps its state (API keys, limits and the usage ledger), shared by `tern serve` and `tern keys`: a data
/// folder with a SQLite file, or a PostgreSQL database that several servers share.
struct DataOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Folder for API keys and the usage ledger (or set TERN_DATA_DIR). Default: $XDG_DATA_HOME/tern or ~/.local/share/tern.")
    var dataDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A PostgreSQL database for keys, limits and the ledger instead of the data folder (or set TERN_DATABASE_URL), e.g. "
                + "postgres://tern:PASSWORD@127.0.0.1:5432/tern. Replicas on one database share every key, limit and budget.",
            valueName: "url"))
    var database: String?

    /// The PostgreSQL URL: the option, else `TERN_DATABASE_URL`; nil for the data folder.
    var databaseURL: String? {
        if let database, !database.isEmpty { return database }
        if let value = ProcessInfo.processInfo.environment["TERN_DATABASE_URL"], !value.isEmpty { return value }
        return nil
    }

    /// The folder: the option, else `TERN_DATA_DIR`, else the XDG data folder.
    var directory: String {
        let environment = ProcessInfo.processInfo.environment
        if let dataDir, !dataDir.isEmpty { return dataDir }
        if let value = environment["TERN_DATA_DIR"], !value.isEmpty { return value }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return (xdg as NSString).appendingPathComponent("tern") }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".local/share/tern")
    }

    /// Opens the database, turning failures into a message for a person; warns when other users can read the folder.
    func open() async throws -> any TernDatabase {
        if let url = databaseURL {
            guard PostgresStore.isURL(url) else {
                throw ValidationError("--database takes a postgres:// URL; for a folder use --data-dir")
            }
            do {
                return try await PostgresStore.open(url: url)
            } catch {
                throw CommandError("\(error)")
            }
        }
        warnIfOthersCanRead()
        do {
            return try await SQLiteStore.open(directory: directory)
        } catch {
            throw CommandError("cannot open Tern's database in \(directory): \(error)")
        }
    }

    /// Claims the folder for one `tern serve` (see ``DataFolderLock``), held until the process exits; nil with a
    /// PostgreSQL database, which any number of servers share.
    func lockForServing() throws -> DataFolderLock? {
        guard databaseURL == nil else { return nil }
        do {
            return try DataFolderLock.acquire(directory: directory)
        } catch {
            throw CommandError(error.message)
        }
    }

    /// The folder holds key hashes and every request's usage: a folder that others may enter is worth a warning
    /// (Tern creates its own folder and files for their owner only, but does not change a folder it did not make).
    private func warnIfOthersCanRead() {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: directory),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
        else { return }
        let text = """
            warning: other users can open the data folder \(directory) (mode \(String(mode, radix: 8))); it holds the API keys' \
            hashes and the usage ledger. Make it private with: chmod 700 \(directory)

            """
        FileHandle.standardError.write(Data(text.utf8))
    }
}
