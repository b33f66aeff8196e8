import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One server per data folder: an exclusive lock on `tern.lock` in the folder, held while the process lives.
///
/// Limits and budgets are counted in the server's memory, so two servers on one folder would each grant a key its
/// whole limit. `tern keys` does not take the lock and works beside a running server.
///
/// ```swift
/// let lock = try DataFolderLock.acquire(directory: "/var/lib/tern")   // throws when another server holds it
/// ```
public final class DataFolderLock: Sendable {
    /// The lock file's name inside the data folder.
    public static let fileName = "tern.lock"

    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        _ = close(descriptor)  // Closing the file releases the lock.
    }

    /// Locks `directory` (created readable by its owner only if missing) for this process.
    ///
    /// - Throws: ``TernStoreError`` naming the process that holds the folder, or why the lock file cannot be opened.
    public static func acquire(directory: String) throws(TernStoreError) -> DataFolderLock {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TernStoreError(.database, "cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let path = (directory as NSString).appendingPathComponent(fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TernStoreError(.database, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            _ = close(descriptor)
            let who = holder.isEmpty ? "another tern serve" : "another tern serve (process \(holder))"
            throw TernStoreError(
                .database,
                "\(who) is using the data folder \(directory). Stop it first, or give this one its own folder with --data-dir; "
                    + "two servers on one folder would each grant a key its whole rate limit and budget.")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return DataFolderLock(descriptor: descriptor)
    }
}
